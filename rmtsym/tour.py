"""`rmtsym tour`: run every file in ``derivations/`` and collect theory-vs-check rows.

Each derivation file is a module of the package ``rmtsym.derivations`` (the repository's
top-level ``derivations/`` folder, installed under that name) with a ``TITLE`` and a
function ``run(ctx: TourContext) -> list[Row]``. It writes its LaTeX and figures through the
context and returns rows comparing a theoretical value with an independent check (a closed
form, a second numerical method, or Monte Carlo with its standard error). Every file can also
be run on its own: ``python derivations/hermite_catalog.py -o OUTDIR``.

The output folder holds ``<file>.tex`` / ``<file>-*.tex``, ``<file>*.png`` (when matplotlib is
installed) and ``summary.md``, ``summary.csv``, ``summary.json``.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import math
import pkgutil
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

__all__ = ["Row", "TourContext", "run_tour", "derivation_modules", "main_for"]


@dataclass
class Row:
    """One line of the summary: ``theory`` against ``check`` within ``tolerance``.

    ``method`` says what the check is (closed form, second method, Monte Carlo n = ...);
    for Monte Carlo, ``stderr`` is its standard error and ``tolerance`` is stated in terms
    of it (e.g. 4 standard errors plus the known finite-size bias).
    """

    result: str
    quantity: str
    theory: float
    check: float
    method: str
    tolerance: float
    stderr: float | None = None
    note: str = ""

    @property
    def diff(self) -> float:
        return abs(self.theory - self.check)

    @property
    def status(self) -> str:
        ok = math.isfinite(self.diff) and self.diff <= self.tolerance
        return "ok" if ok else "FAIL"

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(diff=self.diff, status=self.status)
        return d


@dataclass
class TourContext:
    """What a derivation file gets: where to write, how big to simulate, whether to plot."""

    outdir: Path
    quick: bool = False
    plots: bool = True
    name: str = "result"
    written: list[Path] = field(default_factory=list)

    def size(self, full: int, quick: int) -> int:
        """A simulation size: ``full`` normally, ``quick`` under ``--quick``."""
        return quick if self.quick else full

    def write(self, filename: str, text: str) -> Path:
        path = self.outdir / filename
        path.write_text(text)
        self.written.append(path)
        return path

    def write_latex(self, text: str, suffix: str = "") -> Path:
        """Write ``<name><suffix>.tex``."""
        return self.write(f"{self.name}{suffix}.tex", text if text.endswith("\n") else text + "\n")

    @property
    def can_plot(self) -> bool:
        if not self.plots:
            return False
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            return False
        return True

    @contextmanager
    def figure(self, suffix: str = "", **subplots_kw) -> Iterator:
        """``with ctx.figure() as (fig, ax): ...`` saves ``<name><suffix>.png``; yields None
        (and saves nothing) when plots are off or matplotlib is missing."""
        if not self.can_plot:
            yield None
            return
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(**({"figsize": (6.4, 4.2)} | subplots_kw))
        try:
            yield fig, ax
            fig.tight_layout()
            path = self.outdir / f"{self.name}{suffix}.png"
            fig.savefig(path, dpi=120)
            self.written.append(path)
        finally:
            plt.close(fig)


def _derivations_package():
    """``rmtsym.derivations``: installed from ``derivations/``, or, when rmtsym is imported from
    a source checkout (e.g. ``python -m pytest`` in the repository), the checkout's folder."""
    try:
        return importlib.import_module("rmtsym.derivations")
    except ModuleNotFoundError:
        src = Path(__file__).resolve().parent.parent / "derivations"
        if not (src / "__init__.py").exists():
            raise
        from importlib import util as importlib_util

        spec = importlib_util.spec_from_file_location(
            "rmtsym.derivations", src / "__init__.py", submodule_search_locations=[str(src)])
        module = importlib_util.module_from_spec(spec)
        sys.modules["rmtsym.derivations"] = module
        spec.loader.exec_module(module)
        return module


def derivation_modules() -> list[str]:
    """Names of the derivation files, in the order the tour runs them."""
    pkg = _derivations_package()
    names = sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))
    order = getattr(pkg, "ORDER", [])
    return [n for n in order if n in names] + [n for n in names if n not in order]


def _fmt(x: float) -> str:
    if x is None:
        return ""
    if isinstance(x, float) and (x == 0 or 1e-4 <= abs(x) < 1e5):
        return f"{x:.6g}"
    return f"{x:.3e}"


def _write_summary(outdir: Path, rows: list[Row], timings: dict[str, float], errors: dict[str, str]) -> None:
    with open(outdir / "summary.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["result", "quantity", "theory", "check", "method", "stderr", "diff", "tolerance", "status"])
        for r in rows:
            w.writerow([r.result, r.quantity, repr(r.theory), repr(r.check), r.method,
                        "" if r.stderr is None else repr(r.stderr), repr(r.diff), repr(r.tolerance), r.status])
    (outdir / "summary.json").write_text(json.dumps(
        {"rows": [r.as_dict() for r in rows], "seconds": timings, "errors": errors}, indent=2, default=str))
    lines = ["# rmtsym tour: theory against independent checks", "",
             "| result | quantity | theory | check | method | diff | tolerance | status |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.result} | {r.quantity} | {_fmt(r.theory)} | {_fmt(r.check)} | {r.method} | "
                     f"{_fmt(r.diff)} | {_fmt(r.tolerance)} | {r.status} |")
    lines += ["", "| derivation file | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in timings.items()]
    if errors:
        lines += ["", "## Errors", ""] + [f"- {k}: {v.splitlines()[-1]}" for k, v in errors.items()]
    (outdir / "summary.md").write_text("\n".join(lines) + "\n")


def _print_rows(rows: Sequence[Row], out=sys.stdout) -> None:
    w = max([len(r.result) for r in rows] + [6])
    q = max([len(r.quantity) for r in rows] + [8])
    print(f"{'result':<{w}}  {'quantity':<{q}}  {'theory':>12}  {'check':>12}  {'diff':>9}  status  method", file=out)
    for r in rows:
        print(f"{r.result:<{w}}  {r.quantity:<{q}}  {_fmt(r.theory):>12}  {_fmt(r.check):>12}  "
              f"{_fmt(r.diff):>9}  {r.status:<6}  {r.method}", file=out)


def run_tour(outdir: Path, *, quick: bool = False, only: Sequence[str] | None = None,
             plots: bool = True, out=sys.stdout) -> list[Row]:
    """Run the derivation files (all, or ``only``) and write the summary into ``outdir``.

    A file that raises is reported (traceback in ``summary.json``) and counted as a failed
    row; the others still run.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    names = derivation_modules()
    if only:
        unknown = [n for n in only if n not in names]
        if unknown:
            from .errors import ParameterError

            raise ParameterError("only", unknown[0], "one of " + ", ".join(names))
        names = [n for n in names if n in only]
    rows: list[Row] = []
    timings: dict[str, float] = {}
    errors: dict[str, str] = {}
    for name in names:
        ctx = TourContext(outdir=outdir, quick=quick, plots=plots, name=name)
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(f"rmtsym.derivations.{name}")
            print(f"[tour] {name}: {getattr(mod, 'TITLE', '')}", file=out, flush=True)
            got = list(mod.run(ctx))
        except Exception:  # report, keep going
            errors[name] = traceback.format_exc()
            got = [Row(name, "run", float("nan"), float("nan"), "derivation file raised", 0.0)]
            print(errors[name], file=sys.stderr)
        timings[name] = time.perf_counter() - t0
        rows.extend(got)
    _write_summary(outdir, rows, timings, errors)
    print("", file=out)
    _print_rows(rows, out)
    n_fail = sum(r.status == "FAIL" for r in rows)
    print(f"\n{len(rows) - n_fail} of {len(rows)} checks ok; wrote {outdir}/summary.md", file=out)
    return rows


def main_for(run: Callable[[TourContext], list[Row]], file: str, argv: Sequence[str] | None = None) -> int:
    """Command line of a single derivation file: ``python derivations/X.py [-o OUTDIR] [--quick]``."""
    name = Path(file).stem
    p = argparse.ArgumentParser(description=f"Run the derivation file {name} on its own.")
    p.add_argument("-o", "--output", default=f"rmtsym-tour", help="output folder")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--no-plots", action="store_true")
    a = p.parse_args(argv)
    out = Path(a.output)
    out.mkdir(parents=True, exist_ok=True)
    ctx = TourContext(outdir=out, quick=a.quick, plots=not a.no_plots, name=name)
    rows = list(run(ctx))
    _print_rows(rows)
    return 1 if any(r.status == "FAIL" for r in rows) else 0
