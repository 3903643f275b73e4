"""``rmtsym spectrum``: limiting spectral laws, their equations, and simulation overlays.

Verbs: ``mp``, ``sc``, ``free-sum A B``, ``free-product A B`` (A, B law specs such as
``mp:0.5`` = Marchenko–Pastur of ratio 1/2, ``mp:0.5:2`` = the same with variance 2,
``sc:1`` = semicircle of variance 1), and, when available, ``kernel`` and ``ck``. Each prints
the law's equation, support, atoms and first moments; ``--simulate`` samples matrices of the
same model and reports the Kolmogorov distance and the Stieltjes-transform discrepancy with its
standard error; ``--plot FILE`` draws density against histogram; ``--json`` for scripts.
Conventions: docs/conventions.md (Stieltjes transform, Marchenko–Pastur, Semicircle).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp

from .cli_types import int_in
from .errors import ParameterError

__all__ = ["add_spectrum_parser", "LawSpec", "parse_law_spec"]

_NUM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?(/\d+)?$")


def _number(text: str, name: str) -> sp.Rational:
    if not _NUM.match(text.strip()):
        raise ParameterError(name, text, "a number such as 0.5, 1/3 or 2e-1")
    return sp.Rational(text.strip())


@dataclass
class LawSpec:
    """A law together with a sampler of a matrix of size n whose spectrum follows it."""

    text: str
    law: object
    matrix: Callable[[int, int], np.ndarray] | None  # (n, seed) -> symmetric matrix
    eigenvalues: Callable[[int, int], np.ndarray]     # (n, seed) -> eigenvalues
    simulated_law: object = None  # the law at the simulated size, when it differs from `law`


def _mp_spec(text, ratio, variance=sp.Integer(1)) -> LawSpec:
    from .simulate.ensembles import wishart_matrix
    from .spectra.classic import marchenko_pastur

    law = marchenko_pastur(ratio, variance)
    r, v = float(ratio), float(variance)

    def matrix(n, seed):
        return wishart_matrix(n, max(1, round(n / r)), v, seed)

    return LawSpec(text, law, matrix, lambda n, seed: np.linalg.eigvalsh(matrix(n, seed)))


def _sc_spec(text, variance) -> LawSpec:
    from .simulate.ensembles import wigner_matrix
    from .spectra.classic import semicircle

    law = semicircle(variance)
    v = float(variance)

    def matrix(n, seed):
        return wigner_matrix(n, v, seed)

    return LawSpec(text, law, matrix, lambda n, seed: np.linalg.eigvalsh(matrix(n, seed)))


def parse_law_spec(text: str) -> LawSpec:
    """``mp:RATIO[:VARIANCE]`` or ``sc:VARIANCE`` (numbers only; nothing is evaluated)."""
    parts = text.strip().lower().split(":")
    kind, args = parts[0], parts[1:]
    if kind in ("mp", "marchenko-pastur") and 1 <= len(args) <= 2:
        return _mp_spec(text, *[_number(a, "ratio" if i == 0 else "variance") for i, a in enumerate(args)])
    if kind in ("sc", "semicircle") and len(args) == 1:
        return _sc_spec(text, _number(args[0], "variance"))
    raise ParameterError("law", text, "mp:RATIO[:VARIANCE] or sc:VARIANCE, e.g. mp:0.5 or sc:1")


def _free_spec(op: str, a: LawSpec, b: LawSpec) -> LawSpec:
    from .simulate.ensembles import free_product_eigenvalues, free_sum_eigenvalues
    from .spectra.free import free_product, free_sum

    if op == "sum":
        law = free_sum(a.law, b.law)

        def eig(n, seed):
            return free_sum_eigenvalues(a.matrix(n, 2 * seed), b.matrix(n, 2 * seed + 1), seed=10_000 + seed)
    else:
        law = free_product(a.law, b.law)

        def eig(n, seed):
            return free_product_eigenvalues(a.matrix(n, 2 * seed), b.matrix(n, 2 * seed + 1), seed=10_000 + seed)
    return LawSpec(f"{a.text} {'+' if op == 'sum' else 'x'} {b.text}", law, None, eig)


def _grid(law, points: int) -> np.ndarray:
    lo, hi = law.hull()
    pad = 0.05 * (hi - lo) + 1e-9
    return np.linspace(lo - pad, hi + pad, points)


def _fmt_num(v) -> float | str:
    v = sp.sympify(v)
    return float(v) if v.is_real else str(sp.N(v))


def report(args, spec: LawSpec, extra: dict | None = None) -> int:
    """Print (or write) everything ``rmtsym spectrum`` reports about one law."""
    law = spec.law
    out = {"law": spec.text, "name": law.name, "equation": str(law.equation()),
           "support": [list(map(float, iv)) for iv in law.support()],
           "atoms": [[float(a), float(w)] for a, w in law.atoms()],
           "moments": [_fmt_num(law.moment(k)) for k in range(1, 5)], **(extra or {})}
    x = _grid(law, args.points)
    dens = law.density(x)
    out["density"] = {"x": x.tolist(), "y": [None if not np.isfinite(v) else float(v) for v in dens]}
    ev = None
    if args.simulate:
        from .simulate.compare import compare

        ev = np.array([spec.eigenvalues(args.n, args.seed + r) for r in range(args.reps)])
        c = compare(spec.simulated_law or law, ev)
        out["simulation"] = {"compared_with": (spec.simulated_law or law).name, "n": args.n, "replicates": args.reps, "seed": args.seed, "ks": c.ks,
                             "z": [str(z) for z in c.z], "m_law": [str(m) for m in c.m_law],
                             "m_empirical": [str(m) for m in c.m_empirical],
                             "discrepancy": c.discrepancy.tolist(), "se": np.asarray(c.se).tolist(),
                             "summary": c.summary()}
    if args.plot:
        other = spec.simulated_law
        _plot(args.plot, law, x, dens, ev, spec.text,
              None if other is None else (other.name, other.density(x)))
        out["plot"] = args.plot
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"# {spec.text}: {law.name}")
    print("# convention: m(z) = int dmu(x)/(x - z), Im m > 0 for Im z > 0; density = Im m(x+i0)/pi")
    for k, v in (extra or {}).items():
        print(f"{k}: {v}")
    print(f"equation: {law.equation()}")
    print("support: " + ", ".join(f"[{a:.10g}, {b:.10g}]" for a, b in law.support()))
    print("atoms: " + (", ".join(f"{w:.10g} at {a:.10g}" for a, w in law.atoms()) or "none"))
    print("moments 1..4: " + ", ".join(_show(law.moment(k)) for k in range(1, 5)))
    if ev is not None:
        against = "" if spec.simulated_law is None else f" against {spec.simulated_law.name}"
        print(f"simulation (n = {args.n}, {args.reps} replicates{against}): {out['simulation']['summary']}")
    if args.plot:
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def _show(v) -> str:
    """Exact rationals with small denominators as such, anything else to 10 digits."""
    v = sp.sympify(v)
    if v.is_Rational and v.q <= 10**6:
        return str(v)
    return f"{float(v):.10g}" if v.is_real else str(sp.N(v, 10))


def _plot(path, law, x, dens, ev, title, other=None) -> None:
    from .cli_curve import pyplot

    plt = pyplot(path)

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    if ev is not None:
        flat = np.ravel(ev)
        inside = (flat >= x[0]) & (flat <= x[-1])
        # histogram of the bulk range, normalised by all eigenvalues; outliers as ticks
        h, edges = np.histogram(flat[inside], bins=80, range=(x[0], x[-1]))
        ax.stairs(h / (flat.size * np.diff(edges)), edges, fill=True, alpha=0.4,
                  label=f"eigenvalues ({ev.shape[0]} x n={ev.shape[1]})")
        if (~inside).any():
            out = flat[~inside]
            ax.plot(np.clip(out, x[0], x[-1]), np.zeros_like(out), "|", color="C3", ms=12,
                    label=f"{out.size // ev.shape[0]} outlier(s) per matrix, at {np.round(np.unique(np.round(out, 1))[:4], 1)}")
    ax.plot(x, dens, "k-", lw=1.4, label="theory: Im m(x+i0)/pi")
    if other is not None:
        ax.plot(x, other[1], "r--", lw=1.2, label="at the simulated size")
    for a, w in law.atoms():
        ax.axvline(a, color="r", lw=1, ls=":", label=f"atom {w:.3g} at {a:.3g}")
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--simulate", action="store_true", help="sample matrices and compare (KS, Stieltjes)")
    p.add_argument("--n", type=int_in("n", 10), default=1000, help="matrix size for --simulate (default 1000)")
    p.add_argument("--reps", type=int_in("reps", 1), default=4, help="replicates for --simulate (default 4)")
    p.add_argument("--seed", type=int_in("seed", 0), default=0, help="first seed (default 0)")
    p.add_argument("--points", type=int_in("points", 2), default=401, help="density grid size (default 401)")
    p.add_argument("--plot", metavar="FILE.png", help="density against histogram")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def cmd_mp(args) -> int:
    ratio = _number(args.ratio, "ratio")
    return report(args, _mp_spec(f"mp:{args.ratio}:{args.variance}", ratio, _number(args.variance, "variance")))


def cmd_sc(args) -> int:
    return report(args, _sc_spec(f"sc:{args.variance}", _number(args.variance, "variance")))


def cmd_free(args) -> int:
    return report(args, _free_spec("sum" if args.kind == "free-sum" else "product",
                                   parse_law_spec(args.a), parse_law_spec(args.b)))


def add_spectrum_parser(sub) -> None:
    """Register ``rmtsym spectrum ...`` on the top-level subparsers."""
    sp_ = sub.add_parser("spectrum", help="limiting spectral laws (MP, semicircle, free sum/product, ...)",
                         description="Limiting spectral laws: equation, support, atoms, moments; optional "
                                     "simulation (--simulate) and figure (--plot).")
    kinds = sp_.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True
    mp = kinds.add_parser("mp", help="Marchenko–Pastur law of S = X X^T/N, ratio p/N",
                          description="Marchenko–Pastur law of S = variance * X X^T/N, X p x N, ratio = p/N.")
    mp.add_argument("--ratio", required=True, help="p/N > 0")
    mp.add_argument("--variance", default="1", help="entry variance > 0 (default 1)")
    _common(mp)
    mp.set_defaults(func=cmd_mp)
    sc = kinds.add_parser("sc", help="semicircle law of a given variance",
                          description="Wigner semicircle of variance v, support [-2 sqrt v, 2 sqrt v].")
    sc.add_argument("--variance", default="1", help="variance > 0 (default 1)")
    _common(sc)
    sc.set_defaults(func=cmd_sc)
    for kind, what in (("free-sum", "A + O B O^T"), ("free-product", "A^{1/2} O B O^T A^{1/2}")):
        fp = kinds.add_parser(kind, help=f"free {kind.split('-')[1]} of two laws ({what})",
                              description=f"Free {kind.split('-')[1]} of two laws, simulated as {what} with O Haar. "
                                          "Laws: mp:RATIO[:VARIANCE] or sc:VARIANCE.")
        fp.add_argument("a", help="first law, e.g. mp:0.5")
        fp.add_argument("b", help="second law, e.g. sc:1")
        _common(fp)
        fp.set_defaults(func=cmd_free)
    try:
        from . import cli_kernels
    except ImportError:  # pragma: no cover - kernels not available yet
        return
    cli_kernels.add_parsers(kinds, _common, report)
