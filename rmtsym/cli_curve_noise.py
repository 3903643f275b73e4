"""``rmtsym curve noise ...``: noise injection during training and its weighted-ridge limit
(normalisation: rmtsym.models.noise_injection).

The theory column is the clean test error of the ``L -> oo`` model (the weighted ridge), from the
whitened covariate-shift deterministic equivalent with the Marchenko–Pastur law of ``FF^T``
(Gaussian-equivalence theory, no simulation). Finite numbers of copies ``L`` have no theory here:
with ``--simulate`` they are Monte Carlo points only (labelled ``simulation L=...``), next to the
simulated explicit weighted ridge.
"""

from __future__ import annotations

import sys

import numpy as np

from .cli_curve import add_output_options, print_curve, pyplot, range_type, sim_indices
from .errors import ParameterError

__all__ = ["add_parsers"]


def _copies(text: str):
    import argparse

    try:
        vals = sorted({int(t) for t in str(text).split(",") if t.strip()})
    except ValueError:
        vals = []
    if not vals or vals[0] < 1:
        raise argparse.ArgumentTypeError(f"copies must be a comma-separated list of integers L >= 1, got {text!r}")
    return vals


def add_parsers(kinds) -> None:
    p = kinds.add_parser(
        "noise", help="noise injection with L copies and its weighted-ridge limit (Dhifallah & Lu)",
        description="x ~ N(0, I_d), F in R^{p x d} iid N(0, 1/d), features sigma(F x); L noisy copies x + Delta g; "
                    "objective (1/(nL)) sum (y - w^T sigma(F(x + Delta g)))^2 + lambda ||w||^2; y = beta^T x/sqrt d "
                    "+ noise xi, ||beta||^2 = d. L -> oo equals the weighted ridge a||F^T w||^2 + (b + lambda)||w||^2 "
                    "on smoothed features. Columns: theory clean test error of that limit (label noise included), "
                    "a, b. Finite L: simulation only (--simulate).")
    p.add_argument("--act", default="relu", help="activation: catalog name or expression in z (default relu)")
    p.add_argument("--delta", type=range_type("delta"), default="0:1:21",
                   help="noise standard deviation Delta >= 0 (number or range; default 0:1:21)")
    p.add_argument("--p", type=int, default=300, help="number of features p (default 300)")
    p.add_argument("--n", type=int, default=400, help="number of samples n (default 400)")
    p.add_argument("--d", type=int, default=200, help="input dimension d (default 200)")
    p.add_argument("--ridge", type=float, default=1e-3, help="lambda (default 1e-3)")
    p.add_argument("--noise", type=float, default=0.3, help="label-noise standard deviation (default 0.3)")
    p.add_argument("--copies", type=_copies, default=[1, 5, 50],
                   help="numbers of copies L to simulate, comma-separated (default 1,5,50)")
    p.add_argument("--sim-points", type=int, default=6, help="number of simulated Delta values (default 6)")
    add_output_options(p)
    p.set_defaults(func=_run_noise)


def _run_noise(args) -> int:
    from .models.noise_injection import weighted_ridge_risk

    for nm in ("p", "n", "d"):
        if getattr(args, nm) < 1:
            raise ParameterError(nm, getattr(args, nm), "an integer >= 1")
    if np.any(args.delta < 0):
        raise ParameterError("delta", float(np.min(args.delta)), "noise standard deviations Delta >= 0")
    if not args.ridge > 0:
        raise ParameterError("ridge", args.ridge, "a number lambda > 0")
    if args.noise < 0:
        raise ParameterError("noise", args.noise, "a standard deviation >= 0")
    if args.reps < 2 and args.simulate:
        raise ParameterError("reps", args.reps, "an integer >= 2 (for a standard error)")
    x = args.delta
    th = weighted_ridge_risk(args.act, x, p=args.p, n=args.n, d=args.d, ridge=args.ridge, noise=args.noise)
    sim, extra = None, {}
    if args.simulate:
        from .simulate.noise_injection import simulate_noise_injection

        idx = sim_indices(x.size, args.sim_points)
        series = {f"L={L}": ([], [], []) for L in args.copies}
        series["weighted"] = ([], [], [])
        for k, i in enumerate(idx):
            r = simulate_noise_injection(args.act, args.d, args.p, args.n, args.ridge, float(x[i]),
                                         copies=tuple(args.copies), noise=args.noise, reps=args.reps,
                                         seed=args.seed + 1000 * k)
            for key, (xs, ms, ss) in series.items():
                xs.append(float(x[i]))
                ms.append(r.mean(key))
                ss.append(r.se(key))
        xs, ms, ss = series.pop("weighted")
        sim = {"x": xs, "mean": ms, "se": ss}
        extra = {k: {"x": v[0], "mean": v[1], "se": v[2]} for k, v in series.items()}
    plot, args.plot = args.plot, None
    meta = {"derivation": "noise-injection-weighted-ridge", "theory": "L -> oo (weighted ridge), Marchenko-Pastur "
            "law of FF^T; simulation = explicit weighted ridge", "p": args.p, "n": args.n, "d": args.d,
            "ridge": args.ridge, "noise": args.noise}
    if args.json and extra:
        meta["simulation_noise_injection"] = extra
    rc = print_curve(args, "delta", x, {"test_error": th.test_error.ravel(), "a": th.a.ravel(), "b": th.b.ravel()},
                     title=f"noise injection: act={args.act}, clean test error of the L -> oo weighted ridge",
                     meta=meta, sim=sim)
    if extra and not args.json:
        for key, v in extra.items():
            print(f"# simulation noise injection {key}: " + "  ".join(
                f"delta={a:.4g}: {m:.5g} ± {s:.2g}" for a, m, s in zip(v["x"], v["mean"], v["se"])))
    args.plot = plot
    if plot:
        _plot(plot, x, th.test_error.ravel(), sim, extra, args)
    return rc


def _plot(path, x, y, sim, extra, args) -> None:
    plt = pyplot(path)

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.plot(x, y, "k-", lw=1.5, label="theory: L -> oo (weighted ridge)")
    if sim:
        ax.errorbar(sim["x"], sim["mean"], yerr=2 * np.asarray(sim["se"]), fmt="o", ms=4, capsize=2, color="k",
                    mfc="none", label="simulation: weighted ridge (± 2 SE)")
    for j, (key, v) in enumerate(extra.items()):
        ax.errorbar(np.asarray(v["x"]) + 0.004 * (j + 1), v["mean"], yerr=2 * np.asarray(v["se"]), fmt="s-", ms=3,
                    lw=0.8, capsize=2, color=f"C{j}", label=f"simulation: noise injection {key}")
    ax.set_xlabel("Delta (injected noise std)")
    ax.set_ylabel("clean test error")
    ax.set_yscale("log")
    ax.set_title(f"noise injection, act={args.act}, p={args.p}, n={args.n}, d={args.d}, lambda={args.ridge:g}",
                 fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"wrote {path}", file=sys.stderr)
