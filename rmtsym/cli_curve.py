"""``rmtsym curve MODEL ...``: learning curves of the model families, and shared CLI helpers.

Each model family registers its sub-verb from its own module ``rmtsym.cli_curve_<family>``
(function ``add_parsers(kinds)``); this module holds what they share: the range syntax
``START:STOP:NUM`` (``0.1:5:200`` = 200 points, linear; ``1e-4:1:50:log`` = logarithmic), the
common output options, and the table/JSON/plot printer.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Sequence

import numpy as np

__all__ = ["add_curve_parser", "parse_range", "add_output_options", "print_curve", "print_table", "pyplot", "sim_indices", "FAMILIES"]

#: sub-verb modules, imported if present
FAMILIES = ["ridge", "krr", "rf", "noise", "icl", "one_step"]


def parse_range(text: str, name: str = "value") -> np.ndarray:
    """``"2"`` -> [2.]; ``"0.1:5:200"`` -> linspace(0.1, 5, 200); ``"1e-4:1:50:log"`` -> geomspace.

    >>> parse_range("0:1:3").tolist(), parse_range("1e-2:1:3:log").tolist()
    ([0.0, 0.5, 1.0], [0.01, 0.1, 1.0])
    """
    parts = str(text).split(":")
    try:
        if len(parts) == 1:
            return np.array([float(parts[0])])
        if len(parts) in (3, 4):
            a, b, k = float(parts[0]), float(parts[1]), int(parts[2])
            if k < 1:
                raise ValueError
            if len(parts) == 4:
                if parts[3] != "log" or a <= 0 or b <= 0:
                    raise ValueError
                return np.geomspace(a, b, k)
            return np.linspace(a, b, k)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(
        f"{name} must be a number or START:STOP:NUM[:log] (e.g. 0.1:5:200), got {text!r}")


def range_type(name: str):
    """An argparse ``type=`` for :func:`parse_range` with the parameter's name in errors."""
    return lambda text: parse_range(text, name)


def add_output_options(p: argparse.ArgumentParser) -> None:
    """``--simulate``, ``--reps``, ``--seed``, ``--plot``, ``--json``, shared by every curve."""
    p.add_argument("--simulate", action="store_true", help="add Monte Carlo points (with error bars)")
    p.add_argument("--reps", type=int, default=5, help="replicates per simulated point (default 5)")
    p.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--plot", metavar="FILE.png", help="draw the curve (and simulation points)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def sim_indices(n: int, k: int) -> np.ndarray:
    """``k`` evenly spread indices into a grid of ``n`` points (fewer if ``n < k``), for simulated points."""
    return np.unique(np.linspace(0, n - 1, max(1, min(k, n))).astype(int))


def _floats(v) -> list:
    """JSON list of floats, non-finite values as null (never a large finite number)."""
    return [None if not np.isfinite(t) else float(t) for t in np.asarray(v, float)]


def print_table(args, title: str, meta: dict, x_name: str, x, columns: dict, *, extra: dict | None = None,
                 notes=()) -> None:
    """``x`` and ``columns`` as JSON (with ``meta`` and ``extra``) or as a table with ``# `` header and
    ``notes`` lines."""
    if args.json:
        xs = np.asarray(x).tolist() if np.asarray(x).dtype.kind in "iu" else _floats(x)  # an integer axis stays integer
        print(json.dumps({"title": title, **meta, x_name: xs, **{k: _floats(v) for k, v in columns.items()},
                          **(extra or {})}, indent=2))
        return
    print(f"# {title}")
    for k, v in meta.items():
        print(f"# {k}: {v}")
    print("  ".join(f"{n:>12}" for n in (x_name, *columns)))
    cols = [np.asarray(c, float) for c in columns.values()]
    for i in range(len(x)):
        print("  ".join(f"{v:>12.6g}" for v in (x[i], *(c[i] for c in cols))))
    for line in notes:
        print(f"# {line}")


def print_curve(args, x_name: str, x: np.ndarray, columns: dict, *, title: str, meta: dict | None = None,
                sim: dict | None = None, logx: bool = False, logy: bool = False, y_key: str | None = None) -> int:
    """Print a learning curve as a table (or JSON), and plot ``y_key`` (default: first column)
    against ``x`` with simulation points ``sim = {"x": [...], "mean": [...], "se": [...]}``.
    Non-finite values print as ``inf``/``nan`` (never as a large finite number)."""
    y_key = y_key or next(iter(columns))
    notes = ["simulation: " + "  ".join(f"{x_name}={a:.4g}: {m:.5g} ± {s:.2g}"
                                        for a, m, s in zip(sim["x"], sim["mean"], sim["se"]))] if sim else []
    print_table(args, title, meta or {}, x_name, x, columns,
                extra={"simulation": {k: _floats(v) for k, v in sim.items()}} if sim else None, notes=notes)
    if args.plot:
        plt = pyplot(args.plot)
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        ax.plot(x, np.asarray(columns[y_key], float), "k-", lw=1.5, label=f"theory: {y_key}")
        if sim:
            ax.errorbar(sim["x"], sim["mean"], yerr=2 * np.asarray(sim["se"]), fmt="o", ms=4, capsize=2,
                        color="C3", label="simulation (± 2 SE)")
        if logx:
            ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel(x_name)
        ax.set_ylabel(y_key)
        ax.set_title(title if len(title) <= 80 else title[:77] + "...", fontsize=10 if len(title) <= 60 else 8)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        plt.close(fig)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def pyplot(path: str):
    """``matplotlib.pyplot`` on the Agg backend, or a ParameterError naming ``--plot``."""
    try:
        import matplotlib
    except ImportError:
        from .errors import ParameterError

        raise ParameterError("plot", path, "matplotlib installed (pip install 'rmtsym[plot]')") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def add_curve_parser(sub) -> None:
    """Register ``rmtsym curve`` and the sub-verbs of every family module present."""
    c = sub.add_parser("curve", help="learning curves (ridge, kernel ridge, random features, ...)",
                       description="Learning curves from deterministic equivalents, with optional simulation.")
    kinds = c.add_subparsers(dest="model", metavar="MODEL")
    kinds.required = True
    for fam in FAMILIES:
        try:
            mod = importlib.import_module(f"rmtsym.cli_curve_{fam}")
        except ModuleNotFoundError as exc:
            if exc.name != f"rmtsym.cli_curve_{fam}":
                raise
            continue
        mod.add_parsers(kinds)


def _add_top_level(sub, names: Sequence[str] = ("gcv",)) -> None:
    """Top-level verbs contributed by families (e.g. ``rmtsym gcv``), via ``add_top_level(sub)``."""
    for fam in FAMILIES:
        try:
            mod = importlib.import_module(f"rmtsym.cli_curve_{fam}")
        except ModuleNotFoundError:
            continue
        if hasattr(mod, "add_top_level"):
            mod.add_top_level(sub)
