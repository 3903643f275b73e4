"""Derivation objects, the registry graph, LaTeX and DOT output."""

import networkx as nx
import pytest
import sympy as sp

import rmtsym
from rmtsym.core.derivation import Derivation
from rmtsym.core.graph import get_derivation, latex_document, lineage, register, to_dot
from rmtsym.errors import ParameterError

x, y, p = sp.symbols("x y p")


def test_undeclared_symbols_are_rejected():
    with pytest.raises(ParameterError, match="undeclared symbol"):
        Derivation("bad", unknowns=[x], parameters=[], equations=[x - p])


def test_one_equation_per_unknown():
    with pytest.raises(ParameterError, match="equations"):
        Derivation("bad2", unknowns=[x, y], parameters=[p], equations=[x - p])


def test_latex_has_equations_branch_outputs_and_provenance():
    d = Derivation("demo-latex", unknowns=[x], parameters=[p], equations=[sp.Eq(x**2, p)],
                   outputs={"y_1": 2 * x}, branch=[x > 0], reference="Someone (2020)",
                   assumptions="x real", requires=["hermite-expansion"])
    text = d.latex()
    assert "% Reference: Someone (2020)" in text and "% Assumptions: x real" in text
    assert "x^{2} &= p" in text and r"\text{branch: } x &> 0" in text and "y_{1} &= 2 x" in text
    assert text.count(r"\begin{aligned}") == 1 and text.rstrip().endswith(r"\end{aligned}")


def test_compile_solves_with_branch_rule():
    d = Derivation("demo-branch", unknowns=[x], parameters=[p], equations=[x**2 - p], branch=[x > 0],
                   guess={x: -1 + 0 * p}, outputs={"double": 2 * x})
    sol = d.compile().solve({"p": [4.0, 9.0]})
    assert sol.report.ok.all()
    assert sol["x"] == pytest.approx([2.0, 3.0]) and sol["double"] == pytest.approx([4.0, 6.0])


def test_substitute_fixes_a_parameter():
    d = Derivation("demo-sub", unknowns=[x], parameters=[p, y], equations=[x - p * y])
    d2 = d.substitute(y=3)
    assert d2.parameters == (p,) and d2.requires == ("demo-sub",)
    assert d2.compile().solve({"p": 2.0})["x"] == pytest.approx(6.0)
    with pytest.raises(ParameterError, match="q"):
        d.substitute(q=1)


def test_graph_is_a_dag_with_the_foundations():
    g = rmtsym.graph()
    assert isinstance(g, nx.DiGraph) and nx.is_directed_acyclic_graph(g)
    for name in ("hermite-expansion", "gegenbauer-expansion", "dual-kernel", "marchenko-pastur"):
        assert name in g and g.nodes[name]["derivation"].name == name
    assert ("hermite-expansion", "dual-kernel") in g.edges
    assert not any(data["missing"] for _, data in g.nodes(data=True))


def test_lineage_is_topological():
    lin = lineage("dual-kernel-relu")
    assert lin == ["hermite-expansion", "dual-kernel"]
    assert lineage("hermite-expansion") == []


def test_register_refuses_a_different_derivation_under_a_taken_name():
    with pytest.raises(ParameterError, match="hermite-expansion"):
        register(Derivation("hermite-expansion", outputs={"q": sp.Integer(1)}))
    with pytest.raises(ParameterError, match="registered derivation"):
        get_derivation("no-such-result")


def test_latex_document_lists_ancestors_first():
    doc = latex_document("dual-kernel-relu")
    assert doc.startswith(r"\documentclass{article}") and doc.rstrip().endswith(r"\end{document}")
    i, j, k = (doc.index(f"texttt{{{n}}}") for n in ("hermite-expansion", "dual-kernel", "dual-kernel-relu"))
    assert i < j < k
    assert "Cho and L. K. Saul" in doc


def test_dot_export_names_every_edge():
    dot = to_dot()
    assert dot.startswith("digraph rmtsym {") and dot.rstrip().endswith("}")
    for a, b in rmtsym.graph().edges:
        assert f'"{a}" -> "{b}";' in dot
