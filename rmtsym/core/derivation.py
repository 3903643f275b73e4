"""`Derivation`: a named system of sympy equations that prints as LaTeX and compiles to a solver.

A derivation is the unit of the theory: unknowns, parameters, equations (each ``Eq`` or an
expression equal to zero), named outputs (functions of the unknowns and parameters), the
derivations it rests on (``requires``), the paper it comes from (``reference``) and its
normalisation in words (``assumptions``). A closed-form result is a derivation with no
unknowns and only outputs.

>>> import sympy as sp
>>> m, z = sp.symbols("m z")
>>> sc = Derivation("semicircle-demo", unknowns=[m], parameters=[z],
...                 equations=[sp.Eq(m**2 + z*m + 1, 0)], branch=[sp.im(m) > 0],
...                 guess={m: -1/z}, reference="Wigner (1955)",
...                 assumptions="semicircle of variance 1; m(z) = int dmu(x)/(x - z)")
>>> print(sc.latex(header=False))
\\begin{aligned}
m^{2} + m z + 1 &= 0 \\\\
\\text{branch: } \\operatorname{im}{\\left(m\\right)} &> 0
\\end{aligned}
>>> sol = sc.compile().solve({"z": 1 + 1j})
>>> complex(sol["m"])  # closed form (-z + sqrt(z^2 - 4))/2 on the Im m > 0 branch
(-0.2570...+0.5290...j)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping, Sequence

import sympy as sp

from ..errors import ParameterError

__all__ = ["Derivation"]


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return (x,)


@dataclass(frozen=True, eq=False)
class Derivation:
    """A named system of equations with its provenance.

    Parameters
    ----------
    name : registry key, lower-case with hyphens (``"marchenko-pastur"``).
    unknowns, parameters : sympy symbols. Every free symbol of the equations and outputs
        must be one of them.
    equations : sympy ``Eq`` objects or expressions meaning ``expr = 0``.
    outputs : named expressions of unknowns and parameters (``{"density": im(m)/pi}``).
    requires : names of the derivations this one rests on (edges of the graph).
    reference : the paper (authors, title, arXiv id) the equations follow.
    assumptions : the normalisation in words; where papers differ, which one is followed.
    branch : relationals that select the admissible solution (``im(m) > 0``).
    guess : initial guess of each unknown as an expression of the parameters.
    fixed_point : optional map ``u <- G(u)`` used as a damped fallback by the solver.
    symbols : LaTeX names for symbols (keys: sympy symbols) and for outputs (keys: output
        names), overriding sympy's default.
    title : a one-line human title.
    """

    name: str
    unknowns: Sequence[sp.Symbol] = ()
    parameters: Sequence[sp.Symbol] = ()
    equations: Sequence[sp.Expr] = ()
    outputs: Mapping[str, sp.Expr] = field(default_factory=dict)
    requires: Sequence[str] = ()
    reference: str = ""
    assumptions: str = ""
    branch: Sequence[sp.Basic] = ()
    guess: Mapping[sp.Symbol, sp.Expr] | None = None
    fixed_point: Mapping[sp.Symbol, sp.Expr] | None = None
    symbols: Mapping[sp.Symbol, str] = field(default_factory=dict)
    title: str = ""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.name, str) or not self.name or any(c.isspace() for c in self.name):
            raise ParameterError("name", self.name, "a non-empty string without spaces")
        set_(self, "unknowns", _as_tuple(self.unknowns))
        set_(self, "parameters", _as_tuple(self.parameters))
        set_(self, "equations", tuple(sp.sympify(e) for e in _as_tuple(self.equations)))
        set_(self, "requires", _as_tuple(self.requires))
        set_(self, "branch", _as_tuple(self.branch))
        set_(self, "outputs", {str(k): sp.sympify(v) for k, v in dict(self.outputs).items()})
        known = set(self.unknowns) | set(self.parameters)
        for label, exprs in (("equations", self.equations), ("outputs", self.outputs.values()),
                             ("branch", self.branch)):
            for e in exprs:
                families = {b.label for b in e.atoms(sp.IndexedBase)}
                stray = {s for s in e.free_symbols
                         if s not in known and s not in families and not isinstance(s, sp.Indexed)}
                if stray:
                    raise ParameterError(
                        label, str(e), "expressions in the declared unknowns and parameters",
                        f"undeclared symbol(s) {sorted(map(str, stray))} in derivation {self.name!r}")
        if len(self.equations) != len(self.unknowns):
            raise ParameterError("equations", len(self.equations),
                                 f"one equation per unknown ({len(self.unknowns)})")

    # ---- views -------------------------------------------------------------------------
    @property
    def residuals(self) -> tuple[sp.Expr, ...]:
        """Each equation as an expression equal to zero (``lhs - rhs``)."""
        return tuple(e.lhs - e.rhs if isinstance(e, sp.Equality) else e for e in self.equations)

    def __repr__(self) -> str:
        return (f"Derivation({self.name!r}, unknowns={[str(u) for u in self.unknowns]}, "
                f"parameters={[str(p) for p in self.parameters]}, outputs={list(self.outputs)})")

    # ---- LaTeX --------------------------------------------------------------------------
    def _latex(self, e: sp.Basic) -> str:
        return sp.latex(e, symbol_names=dict(self.symbols))

    def latex_lines(self) -> list[str]:
        """The aligned rows: equations, then branch rule, then outputs."""
        rows = []
        for e in self.equations:
            if isinstance(e, sp.Equality):
                rows.append(f"{self._latex(e.lhs)} &= {self._latex(e.rhs)}")
            else:
                rows.append(f"{self._latex(e)} &= 0")
        for b in self.branch:
            if isinstance(b, sp.core.relational.Relational):
                op = {">": ">", ">=": r"\geq", "<": "<", "<=": r"\leq"}.get(b.rel_op, b.rel_op)
                rows.append(f"\\text{{branch: }} {self._latex(b.lhs)} &{op} {self._latex(b.rhs)}")
        for k, v in self.outputs.items():
            name = self.symbols.get(k) or _latex_name(k)
            rows.append(f"{name} &= {self._latex(v)}")
        return rows

    def latex(self, *, header: bool = True) -> str:
        """Paper-ready LaTeX: an ``aligned`` block, preceded by comment lines naming the
        derivation, its reference and assumptions when ``header`` is true."""
        body = "\\begin{aligned}\n" + " \\\\\n".join(self.latex_lines()) + "\n\\end{aligned}"
        if not header:
            return body
        head = [f"% {self.name}: {self.title}".rstrip(": ")]
        if self.reference:
            head.append(f"% Reference: {self.reference}")
        if self.assumptions:
            head.append(f"% Assumptions: {self.assumptions}")
        if self.requires:
            head.append(f"% Rests on: {', '.join(self.requires)}")
        return "\n".join(head) + "\n" + body

    # ---- numerics -----------------------------------------------------------------------
    @cached_property
    def _compiled(self):
        from .solve import CompiledSystem

        return CompiledSystem(self.unknowns, self.parameters, self.residuals, self.outputs,
                              branch=self.branch, guess=self.guess, fixed_point=self.fixed_point,
                              name=self.name)

    def compile(self):
        """The numeric solver (:class:`rmtsym.core.solve.CompiledSystem`), built once."""
        return self._compiled

    def substitute(self, name: str | None = None, **values) -> "Derivation":
        """A new derivation with some parameters replaced by values (or expressions)."""
        byname = {str(p): p for p in self.parameters}
        subs = {}
        for k, v in values.items():
            if k not in byname:
                raise ParameterError(k, v, f"one of the parameters {sorted(byname)}")
            subs[byname[k]] = sp.sympify(v)
        keep = tuple(p for p in self.parameters if p not in subs)
        extra = set().union(*(sp.sympify(v).free_symbols for v in subs.values())) if subs else set()
        keep = keep + tuple(sorted(extra - set(keep) - set(self.unknowns), key=str))
        return Derivation(
            name or f"{self.name}[{','.join(f'{k}={v}' for k, v in values.items())}]",
            unknowns=self.unknowns, parameters=keep,
            equations=[e.subs(subs) for e in self.equations],
            outputs={k: v.subs(subs) for k, v in self.outputs.items()},
            requires=(self.name,), reference=self.reference, assumptions=self.assumptions,
            branch=[b.subs(subs) for b in self.branch],
            guess=None if self.guess is None else {k: sp.sympify(v).subs(subs) for k, v in self.guess.items()},
            fixed_point=None if self.fixed_point is None else {k: v.subs(subs) for k, v in self.fixed_point.items()},
            symbols=self.symbols, title=self.title)


def _latex_name(key: str) -> str:
    """LaTeX for an output name: ``mu_star`` -> ``\\mu_{*}``, ``density`` -> ``\\mathrm{density}``."""
    from sympy.printing.latex import greek_letters_set

    import re

    m = re.fullmatch(r"([A-Za-z]+)(\d+)", key)
    if m:
        key = f"{m.group(1)}_{m.group(2)}"
    base = key.split("_")[0]
    if len(base) == 1 or base in greek_letters_set:
        return sp.latex(sp.Symbol(key.replace("_star", "_*")))
    return "\\mathrm{" + key.replace("_", "\\_") + "}"
