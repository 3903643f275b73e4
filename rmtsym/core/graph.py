"""The registry of derivations as a networkx DiGraph: which result rests on which.

Every :class:`~rmtsym.core.derivation.Derivation` the package defines is registered when
its module is imported; :func:`graph` imports the provider modules listed in
``PROVIDERS`` first, so it always shows everything that exists. An edge ``a -> b`` means
"b requires a".

>>> import rmtsym
>>> g = rmtsym.graph()
>>> "hermite-expansion" in g and "dual-kernel" in g
True
>>> lineage("dual-kernel")
['hermite-expansion']
"""

from __future__ import annotations

import importlib
from typing import Iterable

import networkx as nx

from ..errors import ParameterError
from .derivation import Derivation

__all__ = ["register", "get_derivation", "graph", "lineage", "latex_document", "to_dot", "PROVIDERS"]

#: Modules that define and register derivations; each later layer appends its own.
PROVIDERS: list[str] = [
    "rmtsym.bases.derivations",
    "rmtsym.spectra.classic",
    "rmtsym.spectra.free",
    "rmtsym.spectra.spiked",
    "rmtsym.models.ridge",
    "rmtsym.models.kernel_ridge",
    "rmtsym.models.random_features",
    "rmtsym.models.noise_injection",
    "rmtsym.models.icl",
    "rmtsym.models.one_step",
    "rmtsym.amp.separable",
    "rmtsym.amp.state_evolution",
    "rmtsym.amp.phase",
    "rmtsym.amp.glm",
    "rmtsym.amp.multiclass",
    "rmtsym.amp.multiclass_stability",
    "rmtsym.amp.rotation",
    "rmtsym.amp.vamp",
    "rmtsym.amp.latent",
]

_REGISTRY: dict[str, Derivation] = {}


def register(derivation: Derivation, *, replace: bool = False) -> Derivation:
    """Add ``derivation`` to the registry (by name) and return it.

    Registering a different derivation under a taken name raises unless ``replace``.
    """
    old = _REGISTRY.get(derivation.name)
    if old is not None and old is not derivation and not replace:
        if old.latex() != derivation.latex():
            raise ParameterError("name", derivation.name, "a name not yet registered",
                                 "pass replace=True to overwrite")
    _REGISTRY[derivation.name] = derivation
    return derivation


def _load_providers() -> None:
    for mod in PROVIDERS:
        importlib.import_module(mod)


def get_derivation(name: str) -> Derivation:
    """The registered derivation called ``name`` (error lists the known names)."""
    _load_providers()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ParameterError("name", name, "a registered derivation: " + ", ".join(sorted(_REGISTRY))) from None


def graph() -> nx.DiGraph:
    """All registered derivations as a DiGraph (node attribute ``derivation``; edges from
    each requirement to what rests on it). A requirement that is not registered appears
    as a node with ``missing=True``."""
    _load_providers()
    g = nx.DiGraph()
    for name, d in _REGISTRY.items():
        g.add_node(name, derivation=d, title=d.title, reference=d.reference, missing=False)
    for name, d in _REGISTRY.items():
        for req in d.requires:
            if req not in g:
                g.add_node(req, derivation=None, title="", reference="", missing=True)
            g.add_edge(req, name)
    return g


def lineage(name: str) -> list[str]:
    """Names of everything ``name`` rests on, directly or not, in topological order
    (foundations first; ``name`` itself excluded)."""
    g = graph()
    if name not in g:
        get_derivation(name)  # raises with the list of names
    anc = nx.ancestors(g, name)
    return [n for n in nx.lexicographical_topological_sort(g.subgraph(anc))]


def _tex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"),
                 ("#", r"\#"), ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("~", r"\~{}"),
                 ("^", r"\^{}")):
        text = text.replace(a, b)
    return text


def latex_document(name: str) -> str:
    """A standalone LaTeX document: ``name`` with all its ancestors, foundations first,
    each with its reference, assumptions and equations."""
    names = lineage(name) + [name]
    g = graph()
    parts = [r"\documentclass{article}", r"\usepackage{amsmath,amssymb}",
             r"\begin{document}", f"\\section*{{{_tex_escape(name)} and what it rests on}}"]
    for n in names:
        d = g.nodes[n]["derivation"]
        if d is None:
            parts.append(f"\\subsection*{{{_tex_escape(n)}}}\nNot registered in rmtsym.")
            continue
        parts.append(f"\\subsection*{{{_tex_escape(d.title or n)} (\\texttt{{{_tex_escape(n)}}})}}")
        if d.reference:
            parts.append(f"\\noindent Reference: {_tex_escape(d.reference)}.\\\\")
        if d.assumptions:
            parts.append(f"\\noindent Assumptions: {_tex_escape(d.assumptions)}\\\\")
        if d.requires:
            parts.append(f"\\noindent Rests on: {_tex_escape(', '.join(d.requires))}.")
        if d.equations or d.outputs:
            parts.append("\\[\n" + d.latex(header=False) + "\n\\]")
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"


def _dot_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(names: Iterable[str] | None = None) -> str:
    """Graphviz DOT text of the graph (or of the sub-graph on ``names``)."""
    g = graph()
    if names is not None:
        g = g.subgraph(list(names))
    lines = ["digraph rmtsym {", "  rankdir=LR;", "  node [shape=box, fontsize=10];"]
    for n, data in sorted(g.nodes(data=True)):
        label = n if not data.get("title") else f"{n}\\n{data['title']}"
        style = ", style=dashed" if data.get("missing") else ""
        lines.append(f"  {_dot_quote(n)} [label={_dot_quote(label).replace(chr(92) * 2 + 'n', chr(92) + 'n')}{style}];")
    for a, b in sorted(g.edges()):
        lines.append(f"  {_dot_quote(a)} -> {_dot_quote(b)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
