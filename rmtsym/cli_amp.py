"""``rmtsym se ...`` (state evolution curves) and ``rmtsym amp run ...`` (AMP on a real matrix).

Normalisation: docs/conventions.md, "AMP (separable, Gaussian design)". At most one of the
numeric parameters may be a range ``START:STOP:NUM[:log]``; it is the x-axis of the table and
the plot. Points where the state evolution did not converge print ``nan`` and are listed on
standard error (never a number posing as a fixed point).
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from .cli_curve import add_output_options, parse_range, print_curve, range_type
from .cli_types import int_in
from .errors import ParameterError

__all__ = ["add_amp_parsers"]


def _axis(params: dict[str, np.ndarray], default: str) -> tuple[str, np.ndarray, dict[str, np.ndarray]]:
    """The one range among ``params`` (or ``default``), and every parameter broadcast to it."""
    ranges = [(k, v) for k, v in params.items() if v.size > 1]
    if len(ranges) > 1:
        names = ", ".join("--" + k for k, _ in ranges)
        raise ParameterError("/".join(k for k, _ in ranges), "ranges",
                             f"at most one of {names} as a range START:STOP:NUM")
    x_name, x = ranges[0] if ranges else (default, params[default])
    full = {k: (np.asarray(v, float) if v.size > 1 else np.full(x.shape, float(v[0]))) for k, v in params.items()}
    return x_name, x, full


def _report_unconverged(x_name: str, x: np.ndarray, ok: np.ndarray, what: str) -> None:
    bad = np.flatnonzero(~np.asarray(ok, bool))
    if bad.size:
        pts = ", ".join(f"{x[i]:.4g}" for i in bad[:8]) + (" ..." if bad.size > 8 else "")
        print(f"rmtsym: warning: {what} did not converge at {bad.size} point(s), {x_name} = {pts} "
              f"(printed as nan)", file=sys.stderr)


def _sim_indices(n: int, k: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, max(1, min(k, n))).astype(int))


# ---- se lasso ------------------------------------------------------------------------------
def _add_lasso(kinds) -> None:
    p = kinds.add_parser(
        "lasso", help="LASSO AMP (soft threshold at alpha tau), Bernoulli-Gaussian prior",
        description="State evolution of LASSO AMP, y = A x0 + w, A iid N(0, 1/n), delta = n/N, "
                    "x0 ~ (1 - eps) delta_0 + eps N(0, 1), soft threshold at alpha tau (closed form in Phi, phi; "
                    "Donoho, Maleki & Montanari 2009). Columns: fixed point tau^2, per-coordinate MSE, Onsager "
                    "coefficient, stability F'(tau^2) (stable < 1).")
    p.add_argument("--delta", type=range_type("delta"), default=None, help="n/N (number or range; default 0.1:1:100)")
    p.add_argument("--eps", type=range_type("eps"), default="0.1", help="sparsity k/N (default 0.1)")
    p.add_argument("--sigma", type=range_type("sigma"), default="0.1", help="noise standard deviation (default 0.1)")
    p.add_argument("--alpha", type=range_type("alpha"), default="1.5", help="threshold / tau (default 1.5)")
    p.add_argument("--N", type=int_in("N", 10, 100_000), default=2000, help="signal size for --simulate (default 2000)")
    p.add_argument("--iters", type=int_in("iters", 1, 100_000), default=100,
                   help="AMP iterations for --simulate (default 100)")
    p.add_argument("--sim-points", type=int_in("sim-points", 1), default=6, help="simulated points (default 6)")
    p.add_argument("--latex", action="store_true", help="print the state evolution in LaTeX and exit")
    add_output_options(p)
    p.set_defaults(func=_run_lasso)


def _run_lasso(args) -> int:
    from .amp.separable import AMP_LASSO_SE, lasso_state_evolution

    if args.latex:
        print(AMP_LASSO_SE.latex())
        return 0
    if args.delta is None:
        args.delta = parse_range("0.1:1:100", "delta")
    x_name, x, f = _axis({"delta": args.delta, "eps": args.eps, "sigma": args.sigma, "alpha": args.alpha}, "delta")
    r = lasso_state_evolution(f["delta"], f["sigma"], f["eps"], f["alpha"])
    ok = r.converged
    _report_unconverged(x_name, x, ok, "state evolution")
    nan = lambda a: np.where(ok, a, np.nan)  # noqa: E731
    cols = {"mse": nan(r.mse), "tau2": nan(r.tau2), "onsager": nan(r.onsager), "stability": nan(r.stability)}
    sim = None
    if args.simulate:
        from .simulate.amp import run_lasso_amp

        xs, means, ses = [], [], []
        for i in _sim_indices(x.size, args.sim_points):
            vals = [run_lasso_amp(args.N, f["delta"][i], f["sigma"][i], f["eps"][i], f["alpha"][i], args.iters,
                                  seed=args.seed + k).mse[-1] for k in range(max(args.reps, 2))]
            xs.append(float(x[i]))
            means.append(float(np.mean(vals)))
            ses.append(float(np.std(vals, ddof=1) / np.sqrt(len(vals))))
        sim = {"x": xs, "mean": means, "se": ses}
    fixed = {k: float(v[0]) for k, v in (("delta", args.delta), ("eps", args.eps), ("sigma", args.sigma),
                                         ("alpha", args.alpha)) if v.size == 1}
    return print_curve(args, x_name, x, cols,
                       title="LASSO AMP state evolution: " + " ".join(f"{k}={v:g}" for k, v in fixed.items()),
                       meta={"derivation": AMP_LASSO_SE.name,
                             **({"simulation": f"AMP at N = {args.N}, {args.iters} iterations, final MSE"}
                                if args.simulate else {})},
                       sim=sim, logy=True)


# ---- registration ------------------------------------------------------------------------------
def add_amp_parsers(sub) -> None:
    """Register ``rmtsym se`` and ``rmtsym amp``."""
    se = sub.add_parser("se", help="state evolution of AMP: fixed points, MSE curves, phase transitions",
                        description="State evolution of approximate message passing, derived from the model; "
                                    "tables (or JSON, plots) over a parameter range, optionally with AMP runs.")
    kinds = se.add_subparsers(dest="model", metavar="MODEL")
    kinds.required = True
    _add_lasso(kinds)

    amp = sub.add_parser("amp", help="run AMP on a real matrix (checks the state evolution)",
                         description="Approximate message passing on sampled data, per iteration against "
                                     "its state evolution.")
    verbs = amp.add_subparsers(dest="action", metavar="ACTION")
    verbs.required = True
    run = verbs.add_parser("run", help="run AMP for a model and compare with state evolution",
                           description="Run AMP on one draw of the model and print per-iteration errors next "
                                       "to the state-evolution prediction.")
    runs = run.add_subparsers(dest="model", metavar="MODEL")
    runs.required = True
    _add_run_lasso(runs)


# ---- amp run lasso ---------------------------------------------------------------------------
def _add_run_lasso(runs) -> None:
    p = runs.add_parser(
        "lasso", help="LASSO AMP on one draw of (A, x0, w), per iteration against state evolution",
        description="Run LASSO AMP (soft threshold at alpha tau_t, tau_t^2 = ||z^t||^2/n) on a Gaussian matrix "
                    "A (n x N, iid N(0, 1/n), n = delta N) and print, per iteration, the empirical MSE "
                    "||x^{t+1} - x0||^2/N next to its state-evolution prediction.")
    p.add_argument("--N", type=int_in("N", 10, 100_000), default=2000, help="signal size N (default 2000)")
    p.add_argument("--delta", type=float, default=0.5, help="n/N (default 0.5)")
    p.add_argument("--eps", type=float, default=0.1, help="sparsity k/N (default 0.1)")
    p.add_argument("--sigma", type=float, default=0.1, help="noise standard deviation (default 0.1)")
    p.add_argument("--alpha", type=float, default=1.5, help="threshold / tau (default 1.5)")
    _add_run_options(p)
    p.set_defaults(func=_run_amp_lasso)


def _add_run_options(p) -> None:
    p.add_argument("--iters", type=int_in("iters", 1, 100_000), default=30, help="iterations (default 30)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--plot", metavar="FILE.png", help="draw MSE per iteration: AMP and state evolution")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _print_run(args, title: str, meta: dict, columns: dict[str, np.ndarray]) -> int:
    """Per-iteration table ``t, columns...`` (or JSON), and a log-scale plot of every column."""
    t = np.arange(len(next(iter(columns.values()))))
    if args.json:
        clean = lambda v: [None if not np.isfinite(a) else float(a) for a in np.asarray(v, float)]  # noqa: E731
        print(json.dumps({"title": title, **meta, "t": t.tolist(), **{k: clean(v) for k, v in columns.items()}},
                         indent=2))
    else:
        print(f"# {title}")
        for k, v in meta.items():
            print(f"# {k}: {v}")
        print("  ".join(f"{n:>12}" for n in ["t", *columns]))
        for i in t:
            print("  ".join([f"{i:>12d}", *(f"{np.asarray(c, float)[i]:>12.6g}" for c in columns.values())]))
    if args.plot:
        try:
            import matplotlib
        except ImportError:
            raise ParameterError("plot", args.plot, "matplotlib installed (pip install 'rmtsym[plot]')") from None
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        styles = iter(["o", "-", "s", "--", "^", ":"])
        for k, v in columns.items():
            st = next(styles, "-")
            ax.plot(t, np.asarray(v, float), st, ms=4, label=k)
        ax.set_yscale("log")
        ax.set_xlabel("iteration t")
        ax.set_title(title if len(title) <= 80 else title[:77] + "...", fontsize=9)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        plt.close(fig)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def _run_amp_lasso(args) -> int:
    from .amp.separable import lasso_se_trajectory
    from .simulate.amp import run_lasso_amp

    r = run_lasso_amp(args.N, args.delta, args.sigma, args.eps, args.alpha, args.iters, seed=args.seed)
    _, se_mse = lasso_se_trajectory(r.n / r.N, args.sigma, args.eps, args.alpha, args.iters)
    return _print_run(
        args, f"LASSO AMP: N={args.N} n={r.n} eps={args.eps:g} sigma={args.sigma:g} alpha={args.alpha:g}",
        {"derivation": "amp-lasso-state-evolution", "seed": args.seed},
        {"mse_amp": r.mse, "mse_se": se_mse, "tau2_amp": r.tau2})
