"""The ``rmtsym`` command.

Verbs: ``hermite``, ``gegenbauer``, ``catalog``, ``spectrum``, ``graph``, ``latex``, ``tour``. Every verb has
``--help``; results go to standard output (``--json`` for scripts, ``--latex`` where it makes
sense); bad input gives one line ``rmtsym: error: ...`` on standard error and exit status 2.
Expressions given on the command line are parsed by a whitelist grammar and never executed
(``docs/conventions.md``, User expressions).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

import sympy as sp

from .cli_types import int_in
from .errors import RmtsymError

__all__ = ["main", "build_parser"]


def _function(text: str):
    """A catalog name or a user expression -> (label, sympy expression)."""
    from .bases.catalog import activation

    act = activation(text)
    return act.name, act.expr


def _coeff_rows(exp, digits: int | None) -> list[dict]:
    rows = []
    shown = digits or 17
    for k, c in enumerate(exp.coefficients):
        c = sp.sympify(c)
        row = {"k": k}
        if exp.exact:
            row["exact"] = str(c)
            row["latex"] = sp.latex(c)
        if c.free_symbols:
            row["value"] = None
        else:
            val = sp.N(c, shown)
            row["value"] = float(val) if val.is_real else str(val)
            row["decimal"] = str(val)
        rows.append(row)
    return rows


def _print_expansion(args, exp, label: str, extra: dict) -> None:
    rows = _coeff_rows(exp, args.digits)
    if args.json:
        out = {"function": label, "expression": str(exp.function), "basis": exp.basis, **extra,
               "exact": exp.exact, "digits": exp.digits, "error_bound": exp.error, "method": exp.method,
               "coefficients": rows}
        print(json.dumps(out, indent=2))
        return
    if args.latex:
        sym = "c" if exp.basis == "hermite" else "g"
        print(exp.latex(symbol=sym))
        return
    sym = "c_k" if exp.basis == "hermite" else f"g_k(d={exp.dim})"
    head = f"# {exp.basis} coefficients {sym} of f(z) = {exp.function}  [{label}]"
    print(head)
    conv = ("convention: c_k = E[f(Z) h_k(Z)], h_k = He_k/sqrt(k!), Z ~ N(0,1)" if exp.basis == "hermite" else
            "convention: g_k = E[f(t) q_k(t)], t = <x,e>, x uniform on S^{d-1}(sqrt d)")
    print(f"# {conv}; method: {exp.method}" + ("" if exp.exact else f"; error bound {exp.error:.1e}"))
    width = max(len(r.get("exact", "")) for r in rows) if exp.exact else 0
    for r in rows:
        dec = r.get("decimal", "(symbolic)")
        if exp.exact:
            print(f"{r['k']:>3}  {r['exact']:<{width}}  {dec}")
        else:
            print(f"{r['k']:>3}  {dec}")


def _exact_flag(args):
    return True if args.exact else (False if args.numeric else None)


def cmd_hermite(args) -> int:
    from .bases.hermite import hermite_coefficients

    label, expr = _function(args.function)
    exp = hermite_coefficients(expr, args.degree, exact=_exact_flag(args), digits=args.digits)
    _print_expansion(args, exp, label, {})
    return 0


def cmd_gegenbauer(args) -> int:
    from .bases.gegenbauer import gegenbauer_coefficients

    label, expr = _function(args.function)
    exp = gegenbauer_coefficients(expr, args.dim, args.degree, exact=_exact_flag(args), digits=args.digits)
    _print_expansion(args, exp, label, {"dim": args.dim})
    return 0


def cmd_catalog(args) -> int:
    from .bases.catalog import CATALOG, activation

    rows = []
    for name, entry in CATALOG.items():
        act = activation(name)
        vals = {}
        for key in ("mu0", "mu1", "mu_star"):
            v = sp.sympify(getattr(act, key))
            vals[key] = float(sp.N(v, 17))
            vals[key + "_exact"] = None if v.atoms(sp.Float) else str(v)  # closed form, or None if numeric
        rows.append({"name": name, "expression": str(act.expr), "description": entry.description,
                     "exact": act.is_exact, "dual_closed_form": act.dual_closed_form is not None, **vals})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'name':<11} {'f(z)':<26} {'exact':<6} {'mu_0':>10} {'mu_1':>10} {'mu_*':>10}  dual kernel")
    for r in rows:
        print(f"{r['name']:<11} {r['description']:<26} {'yes' if r['exact'] else 'no':<6} "
              f"{r['mu0']:>10.6f} {r['mu1']:>10.6f} {r['mu_star']:>10.6f}  "
              f"{'closed form' if r['dual_closed_form'] else 'Hermite series'}")
    return 0


def cmd_graph(args) -> int:
    import networkx as nx

    from .core.graph import graph, to_dot

    if args.dot:
        text = to_dot()
        if args.dot == "-":
            sys.stdout.write(text)
        else:
            Path(args.dot).write_text(text)
            print(f"wrote {args.dot}", file=sys.stderr)
        return 0
    g = graph()
    if args.json:
        nodes = [{"name": n, "title": d.get("title", ""), "reference": d.get("reference", ""),
                  "requires": sorted(g.predecessors(n)), "missing": d.get("missing", False)}
                 for n, d in sorted(g.nodes(data=True))]
        print(json.dumps({"nodes": nodes, "edges": sorted(map(list, g.edges()))}, indent=2))
        return 0
    print(f"# {g.number_of_nodes()} derivations, {g.number_of_edges()} dependencies (a <- b: a rests on b)")
    for n in nx.lexicographical_topological_sort(g):
        reqs = sorted(g.predecessors(n))
        title = g.nodes[n].get("title", "")
        print(f"{n:<28} {title}" + (f"\n{'':<28} <- {', '.join(reqs)}" if reqs else ""))
    return 0


def cmd_latex(args) -> int:
    from .core.graph import get_derivation, latex_document

    if args.document:
        text = latex_document(args.name)
    else:
        text = get_derivation(args.name).latex() + "\n"
    if args.output:
        Path(args.output).write_text(text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_tour(args) -> int:
    from .tour import run_tour

    rows = run_tour(Path(args.output), quick=args.quick, only=args.only, plots=not args.no_plots)
    failed = [r for r in rows if r.status == "FAIL"]
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``rmtsym`` command."""
    p = argparse.ArgumentParser(
        prog="rmtsym",
        description="Random-matrix theory of machine learning: expansions, derivations, checks. "
                    "Conventions: docs/conventions.md.")
    from . import __version__

    p.add_argument("--version", action="version", version=f"rmtsym {__version__}")
    sub = p.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True

    fn_help = ("a catalog name (see `rmtsym catalog`) or an expression in z, e.g. 'tanh(2*z) + 0.1*z**2' "
               "(parsed by a whitelist grammar, never executed)")

    def add_expansion_opts(sp_):
        g = sp_.add_mutually_exclusive_group()
        g.add_argument("--exact", action="store_true", help="require closed forms (error if none)")
        g.add_argument("--numeric", action="store_true", help="numeric values even where closed forms exist")
        sp_.add_argument("--digits", type=int_in("digits", 1, 1000), default=None,
                         help="numeric values with this many digits (mpmath); default float64")
        out = sp_.add_mutually_exclusive_group()
        out.add_argument("--json", action="store_true", help="machine-readable output")
        out.add_argument("--latex", action="store_true", help="LaTeX aligned block")

    h = sub.add_parser("hermite", help="Hermite coefficients c_k = E[f(Z) h_k(Z)]",
                       description="Hermite coefficients c_k = E[f(Z) h_k(Z)], h_k = He_k/sqrt(k!), Z ~ N(0,1): "
                                   "exact where a closed form exists, numeric otherwise.")
    h.add_argument("function", help=fn_help)
    h.add_argument("--degree", type=int_in("degree", 0), default=6, help="highest degree K (default 6)")
    add_expansion_opts(h)
    h.set_defaults(func=cmd_hermite)

    g = sub.add_parser("gegenbauer", help="Gegenbauer coefficients g_k(f; d) on the sphere",
                       description="Gegenbauer coefficients g_k = E[f(t) q_k(t)], t = <x, e>, "
                                   "x uniform on S^{d-1}(sqrt d).")
    g.add_argument("function", help=fn_help)
    g.add_argument("--dim", type=int_in("dim", 3), required=True, help="dimension d >= 3")
    g.add_argument("--degree", type=int_in("degree", 0), default=6, help="highest degree K (default 6)")
    add_expansion_opts(g)
    g.set_defaults(func=cmd_gegenbauer)

    c = sub.add_parser("catalog", help="the activation catalog with mu_0, mu_1, mu_*",
                       description="List the activation catalog with mu_0, mu_1, mu_* (Gaussian convention).")
    c.add_argument("--json", action="store_true", help="machine-readable output")
    c.set_defaults(func=cmd_catalog)

    gr = sub.add_parser("graph", help="the derivation graph (what rests on what)",
                        description="Show the registered derivations and their dependencies.")
    gr.add_argument("--dot", metavar="FILE", help="write Graphviz DOT to FILE ('-' for standard output)")
    gr.add_argument("--json", action="store_true", help="machine-readable output")
    gr.set_defaults(func=cmd_graph)

    lt = sub.add_parser("latex", help="LaTeX of a derivation",
                        description="Print the LaTeX of a registered derivation (see `rmtsym graph`).")
    lt.add_argument("name", help="derivation name")
    lt.add_argument("-o", "--output", metavar="FILE.tex", help="write to FILE instead of standard output")
    lt.add_argument("--document", action="store_true",
                    help="a standalone document with everything the result rests on, foundations first")
    lt.set_defaults(func=cmd_latex)

    from .cli_spectrum import add_spectrum_parser

    add_spectrum_parser(sub)

    from .cli_curve import _add_top_level, add_curve_parser

    add_curve_parser(sub)
    _add_top_level(sub)

    from .cli_amp import add_amp_parsers

    add_amp_parsers(sub)

    t = sub.add_parser("tour", help="reproduce every result: LaTeX, figures, theory-vs-check table",
                       description="Run every file in derivations/ and write OUTDIR with one LaTeX file per "
                                   "result, a figure per result (if matplotlib is installed) and a summary "
                                   "table of theory against an independent check. Exit status 1 if a check fails.")
    t.add_argument("-o", "--output", default="rmtsym-tour", metavar="OUTDIR", help="output folder (default rmtsym-tour)")
    t.add_argument("--quick", action="store_true", help="smaller simulations (for tests)")
    t.add_argument("--only", action="append", metavar="NAME", help="run only this derivation file (repeatable)")
    t.add_argument("--no-plots", action="store_true", help="skip figures")
    t.set_defaults(func=cmd_tour)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 a tour check failed, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except RmtsymError as exc:
        print(f"rmtsym: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `rmtsym graph | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
