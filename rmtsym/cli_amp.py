"""``rmtsym se ...`` (state evolution curves) and ``rmtsym amp run ...`` (AMP on a real matrix).

Normalisation: docs/conventions.md, "AMP (separable, Gaussian design)". At most one of the
numeric parameters may be a range ``START:STOP:NUM[:log]``; it is the x-axis of the table and
the plot. Points where the state evolution did not converge print ``nan`` and are listed on
standard error (never a number posing as a fixed point).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from .cli_curve import add_output_options, parse_range, print_curve, print_table, pyplot, range_type, sim_indices
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


def _save(plt, fig, path: str) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"wrote {path}", file=sys.stderr)


def _simulate(x: np.ndarray, args, value) -> dict:
    """Monte Carlo points for ``print_curve``: at ``--sim-points`` indices ``i`` of ``x``, the mean
    and standard error of ``value(i, seed)`` over ``--reps`` seeds (at least 2); non-finite values
    (e.g. a run that did not converge) are dropped, and a point with fewer than 2 left is skipped."""
    xs, means, ses = [], [], []
    for i in sim_indices(x.size, args.sim_points):
        vals = [v for v in (value(i, args.seed + k) for k in range(max(args.reps, 2))) if np.isfinite(v)]
        if len(vals) >= 2:
            xs.append(float(x[i]))
            means.append(float(np.mean(vals)))
            ses.append(float(np.std(vals, ddof=1) / np.sqrt(len(vals))))
    return {"x": xs, "mean": means, "se": ses}


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
    p.add_argument("--alpha", type=_alpha_type, default="1.5",
                   help="threshold / tau, or 'opt' for the MSE-optimal threshold at each point (default 1.5)")
    p.add_argument("--N", type=int_in("N", 10, 100_000), default=2000, help="signal size for --simulate (default 2000)")
    p.add_argument("--iters", type=int_in("iters", 1, 100_000), default=100,
                   help="AMP iterations for --simulate (default 100)")
    p.add_argument("--sim-points", type=int_in("sim-points", 1), default=6, help="simulated points (default 6)")
    p.add_argument("--latex", action="store_true", help="print the state evolution in LaTeX and exit")
    add_output_options(p)
    p.set_defaults(func=_run_lasso)


def _alpha_type(text: str):
    return None if str(text).strip().lower() in ("opt", "optimal") else parse_range(text, "alpha")


def _run_lasso(args) -> int:
    from .amp.separable import AMP_LASSO_SE, lasso_state_evolution

    if args.latex:
        print(AMP_LASSO_SE.latex())
        return 0
    if args.delta is None:
        args.delta = parse_range("0.1:1:100", "delta")
    opt = args.alpha is None
    params = {"delta": args.delta, "eps": args.eps, "sigma": args.sigma}
    if not opt:
        params["alpha"] = args.alpha
    x_name, x, f = _axis(params, "delta")
    if opt:
        from .amp.phase import lasso_optimal_mse

        o = lasso_optimal_mse(f["delta"], f["sigma"], f["eps"])
        f["alpha"] = np.where(o.converged, o.alpha, np.nan)
    r = lasso_state_evolution(f["delta"], f["sigma"], f["eps"], np.nan_to_num(f["alpha"], nan=1.0))
    ok = r.converged & np.isfinite(f["alpha"])
    _report_unconverged(x_name, x, ok, "state evolution")
    nan = lambda a: np.where(ok, a, np.nan)  # noqa: E731
    cols = {"mse": nan(r.mse), "tau2": nan(r.tau2), "onsager": nan(r.onsager), "stability": nan(r.stability)}
    if opt:
        cols["alpha"] = nan(f["alpha"])
    sim = None
    if args.simulate:
        from .simulate.amp import run_lasso_amp

        sim = _simulate(x, args, lambda i, seed: run_lasso_amp(
            args.N, f["delta"][i], f["sigma"][i], f["eps"][i], f["alpha"][i], args.iters, seed=seed).mse[-1])
    fixed = {k: float(v[0]) for k, v in params.items() if v.size == 1}
    return print_curve(args, x_name, x, cols,
                       title="LASSO AMP state evolution: " + " ".join(f"{k}={v:g}" for k, v in fixed.items())
                       + (" alpha=optimal" if opt else ""),
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
    _add_separable(kinds)
    _add_phase(kinds)
    _add_bayes(kinds)
    _add_glm(kinds)
    _add_multiclass(kinds)
    _add_at_line(kinds)
    _add_latent(kinds)
    _add_vamp(kinds)

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
    _add_run_separable(runs)
    _add_run_multiclass(runs)
    _add_run_glm(runs)


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
    print_table(args, title, meta, "t", t, columns)
    if args.plot:
        plt = pyplot(args.plot)
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        styles = iter(["o", "-", "s", "--", "^", ":"])
        for k, v in columns.items():
            st = next(styles, "-")
            ax.plot(t, np.asarray(v, float), st, ms=4, label=k)
        ax.set_yscale("log")
        ax.set_xlabel("iteration t")
        ax.set_title(title if len(title) <= 80 else title[:77] + "...", fontsize=9)
        ax.legend(fontsize=8)
        _save(plt, fig, args.plot)
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


# ---- se separable / amp run separable: any prior and denoiser ------------------------------------
_PRIOR_HELP = ("prior of x0: bg(eps=0.1[, var=1][, mean=0]) | gauss(var=1) | rademacher | "
               "discrete(points=[..], weights=[..]) | 'density: <expression in x> [on (a, b)]'; a value may be a "
               "parameter name (bg(eps=eps)) set by --param")
_DENOISER_HELP = ("denoiser: soft[(alpha=1.5)] (threshold alpha tau) | bayes (posterior mean of the prior) | "
                  "'expr: <expression in y, tau and parameters>' (parsed by a whitelist grammar, never executed)")


def _param_type(text: str) -> tuple[str, np.ndarray]:
    name, sep, value = str(text).partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"param must be NAME=VALUE or NAME=START:STOP:NUM[:log], got {text!r}")
    return name, parse_range(value.strip(), name)


def _model(args):
    from .amp.denoisers import parse_denoiser
    from .amp.priors import parse_prior
    from .amp.state_evolution import SeparableSE

    prior = parse_prior(args.prior)
    return SeparableSE(prior, parse_denoiser(args.denoiser, prior))


def _model_params(model, args) -> dict[str, np.ndarray]:
    given = dict(args.param or [])
    missing = [p for p in model.parameters if p not in given]
    if missing:
        raise ParameterError(missing[0], None, f"a value: --param {missing[0]}=VALUE "
                                               f"(model parameters: {', '.join(model.parameters)})")
    extra = [p for p in given if p not in model.parameters]
    if extra:
        raise ParameterError(extra[0], given[extra[0]].tolist(),
                             f"a parameter of this model ({', '.join(model.parameters) or 'none'})")
    return given


def _add_model_options(p) -> None:
    p.add_argument("--prior", default="bg(eps=0.1)", help=_PRIOR_HELP + " (default bg(eps=0.1))")
    p.add_argument("--denoiser", default="soft(alpha=1.5)", help=_DENOISER_HELP + " (default soft(alpha=1.5))")
    p.add_argument("--param", type=_param_type, action="append", metavar="NAME=VALUE",
                   help="value (or range) of a symbolic model parameter; repeatable")


def _add_separable(kinds) -> None:
    p = kinds.add_parser(
        "separable", help="separable AMP for any prior and denoiser (state evolution derived symbolically)",
        description="State evolution tau^2 = sigma^2 + (1/delta) E[(eta(X0 + tau Z; tau) - X0)^2] of separable "
                    "AMP for y = A x0 + w (A iid N(0, 1/n), delta = n/N), derived from the prior and denoiser: "
                    "closed form where the Gaussian expectations have one, quadrature otherwise. Columns: fixed "
                    "point tau^2 from the AMP start, per-coordinate MSE, Onsager coefficient, stability F' "
                    "(stable < 1).")
    _add_model_options(p)
    p.add_argument("--delta", type=range_type("delta"), default=None, help="n/N (number or range; default 0.1:1:100)")
    p.add_argument("--sigma", type=range_type("sigma"), default="0.1", help="noise standard deviation (default 0.1)")
    p.add_argument("--N", type=int_in("N", 10, 100_000), default=2000, help="signal size for --simulate (default 2000)")
    p.add_argument("--iters", type=int_in("iters", 1, 100_000), default=100,
                   help="AMP iterations for --simulate (default 100)")
    p.add_argument("--sim-points", type=int_in("sim-points", 1), default=6, help="simulated points (default 6)")
    p.add_argument("--latex", action="store_true", help="print the derived state evolution in LaTeX and exit")
    add_output_options(p)
    p.set_defaults(func=_run_separable)


def _run_separable(args) -> int:
    model = _model(args)
    if args.latex:
        print(model.latex())
        return 0
    if args.delta is None:
        args.delta = parse_range("0.1:1:100", "delta")
    given = _model_params(model, args)
    x_name, x, f = _axis({"delta": args.delta, "sigma": args.sigma, **given}, "delta")
    pars = {k: f[k] for k in model.parameters}
    r = model.fixed_point(f["delta"], f["sigma"], **pars)
    _report_unconverged(x_name, x, r.converged, "state evolution")
    cols = {"mse": r.mse, "tau2": r.tau2, "onsager": r.onsager, "stability": r.stability}
    sim = None
    if args.simulate:
        from .simulate.amp_separable import run_amp

        sim = _simulate(x, args, lambda i, seed: run_amp(
            model, args.N, f["delta"][i], f["sigma"][i], args.iters, seed=seed,
            **{k: float(v[i]) for k, v in pars.items()}).mse[-1])
    fixed = {k: float(v[0]) for k, v in (("delta", args.delta), ("sigma", args.sigma), *given.items())
             if v.size == 1}
    return print_curve(
        args, x_name, x, cols,
        title=f"AMP state evolution, prior {args.prior}, denoiser {args.denoiser}: "
              + " ".join(f"{k}={v:g}" for k, v in fixed.items()),
        meta={"derivation": model.name, "method": model.method,
              **({"simulation": f"AMP at N = {args.N}, {args.iters} iterations, final MSE"} if args.simulate else {})},
        sim=sim, logy=True)


def _add_run_separable(runs) -> None:
    p = runs.add_parser(
        "separable", help="AMP for any prior and denoiser, per iteration against state evolution",
        description="Run separable AMP (tau_t^2 = ||z^t||^2/n) for the given prior and denoiser on a Gaussian "
                    "matrix A (n x N, iid N(0, 1/n), n = delta N) and print the empirical MSE per iteration next "
                    "to its state-evolution prediction.")
    _add_model_options(p)
    p.add_argument("--N", type=int_in("N", 10, 100_000), default=2000, help="signal size N (default 2000)")
    p.add_argument("--delta", type=float, default=0.5, help="n/N (default 0.5)")
    p.add_argument("--sigma", type=float, default=0.1, help="noise standard deviation (default 0.1)")
    _add_run_options(p)
    p.set_defaults(func=_run_amp_separable)


def _run_amp_separable(args) -> int:
    from .simulate.amp_separable import run_amp

    model = _model(args)
    given = _model_params(model, args)
    for k, v in given.items():
        if v.size != 1:
            raise ParameterError(k, v.tolist(), "a single value for a run")
    pars = {k: float(v[0]) for k, v in given.items()}
    r = run_amp(model, args.N, args.delta, args.sigma, args.iters, seed=args.seed, **pars)
    tr = model.trajectory(r.n / r.N, args.sigma, args.iters, **pars)
    return _print_run(
        args, f"AMP, prior {args.prior}, denoiser {args.denoiser}: N={args.N} n={r.n} sigma={args.sigma:g} "
              + " ".join(f"{k}={v:g}" for k, v in pars.items()),
        {"derivation": model.name, "method": model.method, "seed": args.seed},
        {"mse_amp": r.mse, "mse_se": tr.mse, "tau2_amp": r.tau2, "tau2_se": tr.tau2})


# ---- se phase: the LASSO phase transition ------------------------------------------------------
def _add_phase(kinds) -> None:
    p = kinds.add_parser(
        "phase", help="noiseless LASSO / AMP phase transition rho(delta) (Donoho, Maleki & Montanari)",
        description="The noiseless LASSO/AMP phase transition: below rho(delta) = k/n AMP (and the LASSO) "
                    "recover x0 exactly. Columns: rho = k/n, eps = k/N = rho delta, and the minimax threshold "
                    "alpha. Closed form (parametric in alpha), equal to the l1 statistical dimension curve.")
    p.add_argument("--delta", type=range_type("delta"), default="0.02:1:50", help="n/N in (0, 1] (default 0.02:1:50)")
    p.add_argument("--simulate", action="store_true",
                   help="add AMP runs (optimal threshold for the sparsity): success rate 20%% below and above the curve, "
                        "at deltas in [0.2, 0.95]")
    p.add_argument("--N", type=int_in("N", 10, 100_000), default=2000, help="signal size for --simulate (default 2000)")
    p.add_argument("--reps", type=int, default=3, help="runs per simulated point (default 3)")
    p.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--sim-points", type=int_in("sim-points", 1), default=5, help="simulated deltas (default 5)")
    p.add_argument("--plot", metavar="FILE.png", help="draw the phase diagram")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_run_phase)


def _run_phase(args) -> int:
    from .amp.phase import AMP_LASSO_PHASE_TRANSITION, lasso_optimal_alpha, lasso_phase_transition

    d = np.asarray(args.delta, float)
    r = lasso_phase_transition(d)
    sim = None
    if args.simulate:
        from .simulate.amp import run_lasso_amp

        xs, means, ses = [], [], []
        for i in sim_indices(d.size, args.sim_points):
            if not 0.2 <= d[i] <= 0.95:  # below 0.2 the k ~ eps delta N nonzeros are too few at N ~ 10^3
                continue
            for side in (0.8, 1.2):
                eps = side * float(r.eps[i])
                a = float(lasso_optimal_alpha(d[i], eps))  # the best threshold for this sparsity
                ok = [run_lasso_amp(args.N, d[i], 0.0, eps, a, 300, seed=args.seed + k).mse[-1]
                      < 1e-4 * eps for k in range(max(args.reps, 1))]
                xs.append(float(d[i]))
                means.append(side * float(r.rho[i]))
                ses.append(float(np.mean(ok)))
        sim = {"delta": xs, "rho": means, "success_rate": ses}
    cols = {"rho": r.rho, "eps": r.eps, "alpha": r.alpha}
    title = "Noiseless LASSO/AMP phase transition (rho = k/n)"
    notes = []
    if sim:
        notes.append("AMP runs (N = %d, 300 iterations, success = MSE < 1e-4 eps):" % args.N)
        notes += [f"  delta={a:.4g} rho={b:.4g}: success rate {c:.2f}"
                  for a, b, c in zip(sim["delta"], sim["rho"], sim["success_rate"])]
    print_table(args, title, {"derivation": AMP_LASSO_PHASE_TRANSITION.name}, "delta", d, cols,
                 extra={"simulation": sim} if sim else None, notes=notes)
    if args.plot:
        plt = pyplot(args.plot)
        fig, ax = plt.subplots(figsize=(5.6, 4.4))
        ax.plot(d, r.rho, "k-", lw=1.5, label="rho_SE(delta) (closed form)")
        if sim:
            xs, ys, ok = map(np.asarray, (sim["delta"], sim["rho"], sim["success_rate"]))
            ax.scatter(xs[ok >= 0.5], ys[ok >= 0.5], marker="o", color="C2", label="AMP recovers")
            ax.scatter(xs[ok < 0.5], ys[ok < 0.5], marker="x", color="C3", label="AMP fails")
        ax.set_xlabel("delta = n/N")
        ax.set_ylabel("rho = k/n")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.legend(fontsize=8)
        ax.set_title(title, fontsize=10)
        _save(plt, fig, args.plot)
    return 0


# ---- se bayes: Bayes-optimal AMP and the MMSE (Bernoulli-Gaussian) ------------------------------
def _add_bayes(kinds) -> None:
    p = kinds.add_parser(
        "bayes", help="Bayes-optimal AMP MSE and the MMSE vs delta, Bernoulli-Gaussian prior",
        description="Bayes-optimal AMP (posterior-mean denoiser) for x0 ~ (1 - eps) delta_0 + eps N(0, 1): the "
                    "MSE AMP reaches from x = 0 (largest stable fixed point of state evolution) and the MMSE "
                    "(fixed point of least replica-symmetric potential), with the algorithmic and "
                    "information-theoretic thresholds in delta.")
    p.add_argument("--delta", type=range_type("delta"), default="0.05:1:100", help="n/N (default 0.05:1:100)")
    p.add_argument("--eps", type=float, default=0.1, help="sparsity k/N in (0, 1) (default 0.1)")
    p.add_argument("--sigma", type=float, default=0.01, help="noise standard deviation > 0 (default 0.01)")
    p.add_argument("--N", type=int_in("N", 10, 100_000), default=2000, help="signal size for --simulate (default 2000)")
    p.add_argument("--iters", type=int_in("iters", 1, 100_000), default=100,
                   help="AMP iterations for --simulate (default 100)")
    p.add_argument("--sim-points", type=int_in("sim-points", 1), default=6, help="simulated points (default 6)")
    add_output_options(p)
    p.set_defaults(func=_run_bayes)


def _run_bayes(args) -> int:
    from .amp.phase import AMP_BAYES_BG_SE, bayes_optimal_curve

    d = np.asarray(args.delta, float)
    c = bayes_optimal_curve(d, args.sigma, args.eps)
    th = c.thresholds
    meta = {"derivation": AMP_BAYES_BG_SE.name}
    if th is not None and np.isfinite(th.delta_it):
        meta.update(delta_low=f"{th.delta_low:.6g}", delta_IT=f"{th.delta_it:.6g}", delta_alg=f"{th.delta_alg:.6g}")
    else:
        meta["thresholds"] = "none (a single fixed point for every delta: no first-order transition)"
    sim = None
    if args.simulate:
        from .simulate.amp import run_bayes_amp

        sim = _simulate(d, args, lambda i, seed: run_bayes_amp(
            args.N, d[i], args.sigma, args.eps, args.iters, seed=seed).mse[-1])
    return print_curve(args, "delta", d, {"mse_amp": c.mse_amp, "mmse": c.mse_bayes,
                                          "n_fixed_points": c.n_fixed_points.astype(float)},
                       title=f"Bayes-optimal AMP, Bernoulli-Gaussian eps={args.eps:g} sigma={args.sigma:g}",
                       meta=meta, sim=sim, logy=True)


# ---- multi-class ridge cross-entropy (non-separable AMP) ------------------------------------------
def _add_multiclass_model(p) -> None:
    p.add_argument("--K", type=int_in("K", 2, 8), default=3, help="number of classes (default 3)")
    p.add_argument("--Delta", type=float, default=1.0, help="noise variance Delta > 0 (default 1)")
    p.add_argument("--lam", "--lambda", dest="lam", type=range_type("lambda"), default="1",
                   help="ridge lambda > 0 (default 1)")


def _add_multiclass(kinds) -> None:
    p = kinds.add_parser(
        "multiclass", help="multi-class ridge cross-entropy: matrix state evolution (non-separable AMP)",
        description="Gaussian mixture x = mu_c/d + sqrt(Delta/d) z, mu_c ~ N(0, I_d) (overlap Sigma = I_K), balanced "
                    "classes, n = alpha d; ERM sum_mu cross-entropy + (lambda/2)||W||_F^2. Columns: test and "
                    "training error of the ERM from the K x K state evolution of multi-class AMP, and rho_AT (AMP "
                    "contracts like sqrt(rho_AT)). Cakmak, Lu & Opper 2024; Loureiro et al. 2021.")
    p.add_argument("--alpha", type=range_type("alpha"), default=None, help="n/d (number or range; default 0.25:4:8)")
    _add_multiclass_model(p)
    p.add_argument("--dim", type=int_in("dim", 10, 5000), default=300, help="d for --simulate (default 300)")
    p.add_argument("--sim-points", type=int_in("sim-points", 1), default=4, help="simulated points (default 4)")
    add_output_options(p)
    p.set_defaults(func=_run_multiclass)


def _run_multiclass(args) -> int:
    from .amp.multiclass import AMP_MULTICLASS_SE, GaussianMixture, multiclass_state_evolution

    if args.alpha is None:
        args.alpha = parse_range("0.25:4:8", "alpha")
    x_name, x, f = _axis({"alpha": args.alpha, "lambda": args.lam}, "alpha")
    model = GaussianMixture(K=args.K, Delta=args.Delta)
    r = multiclass_state_evolution(model, f["alpha"], f["lambda"])
    _report_unconverged(x_name, x, r.converged, "state evolution")
    cols = {"test_error": r.test_error, "train_error": r.train_error, "rho_AT": r.rho_at}
    sim = None
    if args.simulate:
        from .simulate.multiclass import population_test_error, run_multiclass_amp, sample_gaussian_mixture

        def test_error(i, seed):
            s = sample_gaussian_mixture(int(round(f["alpha"][i] * args.dim)), args.dim, args.K, args.Delta, seed=seed)
            run = run_multiclass_amp(s.X, s.y, f["lambda"][i], args.Delta, args.K, M=s.M)
            return population_test_error(run.W, s.M, args.Delta, samples=20_000, seed=seed)[0] \
                if run.converged else np.nan

        sim = _simulate(x, args, test_error)
    fixed = {k: float(v[0]) for k, v in (("alpha", args.alpha), ("lambda", args.lam)) if v.size == 1}
    return print_curve(
        args, x_name, x, cols,
        title=f"Multi-class ridge cross-entropy, K={args.K} Delta={args.Delta:g} "
              + " ".join(f"{k}={v:g}" for k, v in fixed.items()),
        meta={"derivation": AMP_MULTICLASS_SE.name, "quadrature": r.quadrature,
              **({"simulation": f"AMP (= ERM) at d = {args.dim}: population test error of the trained W"}
                 if args.simulate else {})},
        sim=sim, logx=(x_name == "lambda"))


def _add_run_multiclass(runs) -> None:
    p = runs.add_parser(
        "multiclass", help="multi-class AMP on a sampled Gaussian mixture, against ERM and its contraction rate",
        description="Run multi-class AMP (K x K Onsager matrices, proximal cross-entropy denoiser) on one draw of the "
                    "Gaussian mixture and print per iteration ||W^{t+1} - W^t||_F/sqrt(d) next to the predicted "
                    "contraction sqrt(rho_AT)^t; then compare the fixed point with an independent L-BFGS ERM "
                    "solution and the state-evolution errors.")
    p.add_argument("--n", type=int_in("n", 2), default=2000, help="samples (default 2000)")
    p.add_argument("--d", type=int_in("d", 2, 20_000), default=1000, help="dimension (default 1000)")
    p.add_argument("--K", type=int_in("K", 2, 8), default=3, help="number of classes (default 3)")
    p.add_argument("--Delta", type=float, default=1.0, help="noise variance Delta > 0 (default 1)")
    p.add_argument("--lam", "--lambda", dest="lam", type=float, default=1.0, help="ridge lambda > 0 (default 1)")
    p.add_argument("--iters", type=int_in("iters", 1, 100_000), default=500, help="maximum iterations (default 500)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--plot", metavar="FILE.png", help="draw the iterate differences and the predicted rate")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_run_amp_multiclass)


def _run_amp_multiclass(args) -> int:
    from .amp.multiclass import AMP_MULTICLASS_SE, multiclass_state_evolution
    from .simulate.multiclass import (fit_multiclass_erm, population_test_error, run_multiclass_amp,
                                      sample_gaussian_mixture, training_error)

    s = sample_gaussian_mixture(args.n, args.d, args.K, args.Delta, seed=args.seed)
    run = run_multiclass_amp(s.X, s.y, args.lam, args.Delta, args.K, M=s.M, iters=args.iters)
    se = multiclass_state_evolution(s.model, s.alpha, args.lam)
    W = fit_multiclass_erm(s.X, s.y, args.lam, args.K)
    W = getattr(W, "W", W)
    rel = float(np.linalg.norm(run.W - W) / np.linalg.norm(W))
    test, test_se = population_test_error(run.W, s.M, args.Delta, seed=args.seed)
    rate = float(np.sqrt(se.rho_at))
    pred = run.diffs[0] * rate ** np.arange(run.diffs.size)
    meta = {"derivation": AMP_MULTICLASS_SE.name, "converged": bool(run.converged), "iterations": run.iterations,
            "rel_diff_W_AMP_vs_LBFGS": f"{rel:.3g}",
            "rho_AT_SE": f"{float(se.rho_at):.5g}", "rho_AT_AMP": f"{run.rho_at:.5g}",
            "test_error_SE": f"{float(se.test_error):.5g}", "test_error_AMP": f"{test:.5g} ± {test_se:.1g}",
            "train_error_SE": f"{float(se.train_error):.5g}",
            "train_error_AMP": f"{training_error(run.W, s.X, s.y):.5g}", "seed": args.seed}
    return _print_run(args, f"Multi-class AMP: n={args.n} d={args.d} K={args.K} Delta={args.Delta:g} "
                            f"lambda={args.lam:g}", meta, {"diff_amp": run.diffs, "sqrt_rho_AT^t": pred})


# ---- rotation-invariant couplings: AT line and random sequential message passing ----------------
def _coupling(text: str):
    """``sc[:VARIANCE]`` (semicircle) or ``wishart:C`` (``J0 = X^T X/n - I``, ``c = N/n``) ->
    (R-transform, sampler(N, seed), right edge of the spectrum)."""
    from .amp.rotation import semicircle_r, wishart_r
    from .simulate.sequential import goe, shifted_wishart

    kind, _, rest = str(text).strip().partition(":")
    try:
        if kind == "sc":
            v = float(rest) if rest else 1.0
            return semicircle_r(v), (lambda N, seed: goe(N, v, seed=seed)), 2 * np.sqrt(v)
        if kind == "wishart" and rest:
            c = float(rest)
            return wishart_r(c), (lambda N, seed: shifted_wishart(N, c, seed=seed)), (1 + np.sqrt(c)) ** 2 - 1
    except ValueError:
        pass
    raise ParameterError("coupling", text, "sc[:VARIANCE] (semicircle) or wishart:C (X^T X/n - I, c = N/n)")


def _add_at_line(kinds) -> None:
    p = kinds.add_parser(
        "at-line", help="AT line beta_AT(h) of the Ising model with a rotation-invariant coupling",
        description="p(s) ~ exp(beta/2 s^T J s + h sum s_i), J = O^T D O rotation invariant. The replica-symmetric "
                    "fixed point q = E tanh^2(h + sqrt(q R'(1 - q)) Z) and the AT line R'_{beta J}(chi) E[(1 - m^2)^2] "
                    "= 1, beyond which random sequential message passing stops converging (Cakmak, Lu & Opper 2022). "
                    "--simulate runs random sequential EC (h > 0; BP at h = 0, semicircle only) at 0.9 and 1.2 "
                    "beta_AT.")
    p.add_argument("--coupling", default="sc:1", help="sc[:VARIANCE] or wishart:C (default sc:1)")
    p.add_argument("--h", type=range_type("h"), default="0:2:21", help="field h >= 0 (default 0:2:21)")
    p.add_argument("--N", type=int_in("N", 50, 5000), default=500, help="size for --simulate (default 500)")
    p.add_argument("--sweeps", type=int_in("sweeps", 1), default=300, help="sweeps per run (default 300)")
    p.add_argument("--sim-points", type=int_in("sim-points", 1), default=3, help="simulated fields (default 3)")
    p.add_argument("--simulate", action="store_true", help="run the algorithm on both sides of the line")
    p.add_argument("--seed", type=int, default=0, help="seed of the coupling and the schedule (default 0)")
    p.add_argument("--plot", metavar="FILE.png", help="draw the line (and the runs)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_run_at_line)


def _run_at_line(args) -> int:
    from .amp.rotation import AMP_RSMP_AT_LINE, at_line, ising_rs

    h = np.asarray(args.h, float)
    if np.any(h < 0):
        raise ParameterError("h", float(h[h < 0][0]), "h >= 0 (the line is symmetric in h)")
    rt, sample, _ = _coupling(args.coupling)
    b = at_line(h, rt)
    rs = ising_rs(np.nan_to_num(b, nan=1.0), h, rt)
    q = np.where(np.isfinite(b), rs.q, np.nan)
    runs = []
    if args.simulate:
        from .simulate.sequential import ec_gaussian_stage, run_sequential_bp, run_sequential_ec

        J = sample(args.N, args.seed)
        for i in sim_indices(h.size, args.sim_points):
            if not np.isfinite(b[i]):
                continue
            for side in (0.9, 1.2):
                beta = side * float(b[i])
                if h[i] == 0:
                    if not args.coupling.startswith("sc"):
                        continue  # BP carries the SK Onsager term only (rmtsym.simulate.sequential)
                    r = run_sequential_bp(J, beta, 0.0, sweeps=args.sweeps, seed=args.seed + 1)
                    algo = "BP"
                else:
                    chi = float(1 - ising_rs(beta, h[i], rt).q)
                    try:
                        stage = ec_gaussian_stage(J, beta, chi)
                    except ParameterError:
                        continue
                    r = run_sequential_ec(J, beta, float(h[i]), chi, sweeps=args.sweeps, seed=args.seed + 1,
                                          gaussian_stage=stage)
                    algo = "EC"
                runs.append({"h": float(h[i]), "beta": beta, "beta/beta_AT": side, "algorithm": algo,
                             "converged": bool(r.converged), "sweeps": int(r.sweeps),
                             "last_change": float(r.changes[-1])})
    title = f"AT line of the Ising model, coupling {args.coupling}"
    notes = [f"run N={args.N} {r['algorithm']}: h={r['h']:.4g} beta={r['beta']:.4g} ({r['beta/beta_AT']:g} beta_AT): "
             f"{'converged' if r['converged'] else 'not converged'} after {r['sweeps']} sweeps "
             f"(last change {r['last_change']:.2g})" for r in runs]
    print_table(args, title, {"derivation": AMP_RSMP_AT_LINE.name}, "h", h, {"beta_AT": b, "q": q},
                 extra={"runs": runs} if args.simulate else None, notes=notes)
    if args.plot:
        plt = pyplot(args.plot)
        fig, ax = plt.subplots(figsize=(5.6, 4.2))
        ax.plot(h, b, "k-", label="AT line beta_AT(h)")
        for r in runs:
            ax.plot(r["h"], r["beta"], "o" if r["converged"] else "x", color="C2" if r["converged"] else "C3",
                    mfc="none")
        ax.set_xlabel("field h")
        ax.set_ylabel("beta")
        ax.set_title(title + " (o converged, x not)", fontsize=9)
        ax.legend(fontsize=8)
        _save(plt, fig, args.plot)
    return 0


# ---- VAMP --------------------------------------------------------------------------------------
def _add_vamp(kinds) -> None:
    p = kinds.add_parser(
        "vamp", help="VAMP state evolution for a rotation-invariant design (Bernoulli-Gaussian, matched)",
        description="Bayes-optimal VAMP for y = A x0 + w, A = U S V^T with V Haar; the law of the eigenvalues of "
                    "A^T A enters through its Stieltjes transform. --design iid: A iid N(0, 1/n), delta = n/N "
                    "(Marchenko-Pastur); --design geometric: square A with singular values kappa^{-i/(N-1)}, "
                    "normalised to mean(s^2) = 1 (the empirical law of N = --N values). Per iteration: the "
                    "predicted MSE; with --simulate, VAMP and AMP runs on the same design.")
    p.add_argument("--design", choices=("iid", "geometric"), default="iid", help="design family (default iid)")
    p.add_argument("--delta", type=float, default=0.5, help="n/N for --design iid (default 0.5)")
    p.add_argument("--kappa", type=float, default=100.0, help="condition number for --design geometric (default 100)")
    p.add_argument("--eps", type=float, default=0.1, help="sparsity (default 0.1)")
    p.add_argument("--sigma2", type=float, default=1e-3, help="noise variance > 0 (default 1e-3)")
    p.add_argument("--N", type=int_in("N", 10, 20_000), default=2000, help="signal size (default 2000)")
    p.add_argument("--iters", type=int_in("iters", 1, 10_000), default=15, help="iterations (default 15)")
    p.add_argument("--simulate", action="store_true", help="run VAMP and AMP on one draw")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--plot", metavar="FILE.png", help="draw MSE per iteration")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_run_vamp)


def _run_vamp(args) -> int:
    from .amp.vamp import AMP_VAMP_SE, vamp_state_evolution
    from .spectra.classic import marchenko_pastur

    if args.design == "iid":
        if not 0 < args.delta <= 1:
            raise ParameterError("delta", args.delta, "0 < delta <= 1 (n <= N)")
        n = int(round(args.delta * args.N))
        law = marchenko_pastur(args.N / n)
        design = None
    else:
        if not args.kappa >= 1:
            raise ParameterError("kappa", args.kappa, "condition number >= 1")
        from .simulate.vamp import geometric_design
        from .spectra.law import empirical_law

        design = geometric_design(args.N, args.kappa, seed=args.seed)
        law = empirical_law(design.s ** 2)
    se = vamp_state_evolution(law, args.eps, args.sigma2, iters=args.iters)
    cols = {"mse_se": se.mse}
    if args.simulate:
        from .simulate.vamp import iid_design, run_amp_bayes, run_vamp

        if design is None:
            design = iid_design(args.N, n, seed=args.seed)
        cols["mse_vamp"] = run_vamp(design, args.eps, args.sigma2, args.iters, seed=args.seed + 1).mse
        cols["mse_amp"] = run_amp_bayes(design, args.eps, args.sigma2, args.iters, seed=args.seed + 1).mse
    label = f"iid delta={args.delta:g}" if args.design == "iid" else f"geometric kappa={args.kappa:g}"
    return _print_run(args, f"VAMP, design {label}, eps={args.eps:g} sigma2={args.sigma2:g}, N={args.N}",
                      {"derivation": AMP_VAMP_SE.name, "converged": bool(se.converged)}, cols)


# ---- GLMs: Bayes-optimal GAMP and convex ERM --------------------------------------------------------
def _add_glm_model(p) -> None:
    p.add_argument("--channel", choices=("sign", "probit", "logistic", "relu"), default="sign",
                   help="teacher output channel y = f(w*.x) (default sign)")
    p.add_argument("--Delta", "--noise", dest="noise", type=float, default=0.0,
                   help="channel noise variance Delta: probit y = sign(z + sqrt(Delta) xi), relu y = max(z, 0) + "
                        "sqrt(Delta) xi (default 0)")
    p.add_argument("--beta", type=float, default=1.0, help="logistic channel P(y = 1 | z) = sigmoid(beta z) (default 1)")
    p.add_argument("--loss", choices=("bayes", "logistic", "square", "hinge"), default="bayes",
                   help="estimator: bayes (posterior mean, Bayes-optimal GAMP) or ERM with this loss (default bayes)")


def _add_glm(kinds) -> None:
    p = kinds.add_parser(
        "glm", help="generalised linear models: Bayes-optimal and ERM state evolution on the overlaps",
        description="Teacher w* ~ N(0, I_d), x ~ N(0, I_d/d), n = alpha d labels through the channel. State evolution "
                    "of GAMP on the overlaps: Bayes-optimal (m = q) or ERM with ridge (lambda/2)||w||^2 and a convex "
                    "loss (m, q, V and their conjugates). Columns: generalisation error (sign-type channels: "
                    "arccos(m/sqrt q)/pi; relu: MSE of the prediction), m, q. Aubin, Krzakala, Lu & Zdeborova 2020.")
    p.add_argument("--alpha", type=range_type("alpha"), default=None, help="n/d (number or range; default 0.1:5:50)")
    p.add_argument("--lam", "--lambda", dest="lam", type=range_type("lambda"), default="0.5",
                   help="ridge lambda for ERM (default 0.5)")
    _add_glm_model(p)
    p.add_argument("--dim", type=int_in("dim", 10, 20_000), default=600, help="d for --simulate (default 600)")
    p.add_argument("--sim-points", type=int_in("sim-points", 1), default=4, help="simulated points (default 4)")
    add_output_options(p)
    p.set_defaults(func=_run_glm)


def _run_glm(args) -> int:
    from .amp.glm import bayes_glm_se, erm_glm_se

    if args.alpha is None:
        args.alpha = parse_range("0.1:5:50", "alpha")
    bayes = args.loss == "bayes"
    params = {"alpha": args.alpha} if bayes else {"alpha": args.alpha, "lambda": args.lam}
    x_name, x, f = _axis(params, "alpha")
    kw = {"delta": args.noise, "beta": args.beta}
    if bayes:
        r = bayes_glm_se(args.channel, f["alpha"], **kw)
        cols = {"gen_error": r.eg, "q": r.q, "label_error": r.label_error}
        name = "amp-glm-bayes-se"
    else:
        r = erm_glm_se(args.channel, args.loss, f["alpha"], f["lambda"], **kw)
        cols = {"gen_error": r.eg, "m": r.m, "q": r.q, "train_loss": r.train_loss, "train_error": r.train_error}
        name = "amp-glm-erm-se"
    _report_unconverged(x_name, x, r.converged, "state evolution")
    sim = None
    if args.simulate:
        from .simulate.gamp import run_gamp_bayes, run_gamp_erm, sample_glm

        if args.channel == "relu":
            raise ParameterError("simulate", "relu", "a sign-type channel (the simulated error is arccos(m/sqrt q)/pi)")

        def gen_error(i, seed):
            data = sample_glm(args.dim, f["alpha"][i], args.channel, seed=seed, **kw)
            if bayes:  # posterior mean: m = q on average (Nishimori), error arccos(sqrt m)/pi
                m = run_gamp_bayes(data, 50).m[-1]
                return float(np.arccos(np.sqrt(np.clip(m, 0, 1))) / np.pi)
            run = run_gamp_erm(data.X, data.y, args.loss, f["lambda"][i], w_star=data.w_star)
            return float(np.arccos(np.clip(run.m[-1] / np.sqrt(run.q[-1]), -1, 1)) / np.pi)

        sim = _simulate(x, args, gen_error)
    fixed = {k: float(v[0]) for k, v in params.items() if v.size == 1}
    est = "Bayes-optimal" if bayes else f"ERM {args.loss}"
    return print_curve(
        args, x_name, x, cols,
        title=f"GLM, {args.channel} channel, {est}" + "".join(f" {k}={v:g}" for k, v in fixed.items()),
        meta={"derivation": name, **({"simulation": f"GAMP at d = {args.dim} (ERM: its fixed point = the ERM "
                                                    "minimiser); error arccos(m/sqrt q)/pi of the run"}
                                     if args.simulate else {})},
        sim=sim, logx=(x_name == "lambda"))


def _add_run_glm(runs) -> None:
    p = runs.add_parser(
        "glm", help="GAMP on a sampled GLM, overlaps per iteration against state evolution (and scikit-learn ERM)",
        description="Run GAMP on one draw of the GLM (teacher w* ~ N(0, I_d), x ~ N(0, I_d/d)) and print the "
                    "overlaps m = w.w*/d (Bayes-optimal: per iteration against the state-evolution trajectory; "
                    "ERM: at the fixed point against the state evolution and a scikit-learn fit for the "
                    "logistic loss).")
    _add_glm_model(p)
    p.add_argument("--alpha", type=float, default=2.0, help="n/d (default 2)")
    p.add_argument("--lam", "--lambda", dest="lam", type=float, default=0.5, help="ridge lambda for ERM (default 0.5)")
    p.add_argument("--d", type=int_in("d", 10, 20_000), default=2000, help="dimension (default 2000)")
    _add_run_options(p)
    p.set_defaults(func=_run_amp_glm)


def _run_amp_glm(args) -> int:
    from .amp.glm import bayes_glm_se_trajectory, erm_glm_se
    from .simulate.gamp import overlaps, run_gamp_bayes, run_gamp_erm, sample_glm

    kw = {"delta": args.noise, "beta": args.beta}
    data = sample_glm(args.d, args.alpha, args.channel, seed=args.seed, **kw)
    title = f"GAMP, {args.channel} channel, d={args.d} n={data.X.shape[0]}"
    if args.loss == "bayes":
        run = run_gamp_bayes(data, args.iters)
        se = bayes_glm_se_trajectory(args.channel, args.alpha, args.iters, **kw)
        return _print_run(args, title + ", Bayes-optimal", {"derivation": "amp-glm-bayes-se", "seed": args.seed},
                          {"m_gamp": run.m, "q_gamp": run.q, "m_se": se})
    if args.channel == "relu":
        raise ParameterError("channel", "relu", "a classification channel (sign, probit, logistic) for ERM")
    run = run_gamp_erm(data.X, data.y, args.loss, args.lam, w_star=data.w_star, iters=max(args.iters, 2000))
    se = erm_glm_se(args.channel, args.loss, args.alpha, args.lam, **kw)
    meta = {"derivation": "amp-glm-erm-se", "converged": bool(run.converged), "iterations": run.iterations,
            "m_SE": f"{float(se.m):.5g}", "q_SE": f"{float(se.q):.5g}", "gen_error_SE": f"{float(se.eg):.5g}",
            "gen_error_GAMP": f"{float(np.arccos(run.m[-1] / np.sqrt(run.q[-1])) / np.pi):.5g}", "seed": args.seed}
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:  # optional: pip install 'rmtsym[data]'
        LogisticRegression = None
        meta["sklearn"] = "not installed (pip install 'rmtsym[data]' for the comparison)"
    if args.loss == "logistic" and LogisticRegression is not None:
        clf = LogisticRegression(C=1.0 / args.lam, fit_intercept=False, tol=1e-10, max_iter=10_000)
        w = clf.fit(data.X, data.y).coef_.ravel()
        meta["rel_diff_w_GAMP_vs_sklearn"] = f"{np.linalg.norm(run.w - w) / np.linalg.norm(w):.3g}"
        meta["m_q_sklearn"] = "%.5g %.5g" % overlaps(w, data.w_star)
    return _print_run(args, title + f", ERM {args.loss} lambda={args.lam:g}", meta,
                      {"m_gamp": run.m, "q_gamp": run.q})


# ---- Gaussian latent variable model (student-teacher) -----------------------------------------
def _add_latent(kinds) -> None:
    p = kinds.add_parser(
        "latent", help="Gaussian latent variable model, rotation-invariant coupling: AT line vs sequential EC runs",
        description="Student p(x | y) ~ exp(beta/2 x^T J x - a|x|^2/2) prod_i [(1 - eps) N(y_i; x_i, s^2) + eps N(y_i; "
                    "-x_i, s^2)] with J rotation invariant; teacher x* ~ N(0, 1), y = +-x* + sigma* xi with sign flips "
                    "eps*. Columns: the AT line beta_AT (where random sequential EC stops converging), beta_proper = "
                    "a/lambda_max(J) (the model is proper below it), and the RS overlaps at beta_AT. --simulate runs EC at 0.85 and 1.2 beta_AT. Reconstruction of Cakmak, Lu & Opper "
                    "2022 (docs/amp.md).")
    p.add_argument("--coupling", default="sc:1", help="sc[:VARIANCE] or wishart:C (default sc:1)")
    p.add_argument("--eps", type=range_type("eps"), default="0.05:0.45:9", help="student flip belief (default 0.05:0.45:9)")
    p.add_argument("--s", type=range_type("s"), default="0.3", help="student noise s > 0 (default 0.3)")
    p.add_argument("--a", type=range_type("a"), default="3", help="diagonal prior precision a (default 3)")
    p.add_argument("--teacher", default="1,0.5,0.1", metavar="V,SIGMA,EPS",
                   help="teacher variance, noise and flip rate (default 1,0.5,0.1)")
    p.add_argument("--beta-max", type=float, default=2.0, help="search beta_AT below this (default 2)")
    p.add_argument("--N", type=int_in("N", 50, 5000), default=500, help="size for --simulate (default 500)")
    p.add_argument("--sim-points", type=int_in("sim-points", 1), default=2, help="simulated points (default 2)")
    p.add_argument("--sweeps", type=int_in("sweeps", 1), default=300, help="sweeps per run (default 300)")
    p.add_argument("--simulate", action="store_true", help="run random sequential EC on both sides of the line")
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_run_latent)


def _run_latent(args) -> int:
    from .amp.latent import AMP_LATENT_AT_LINE, MixtureSite, Teacher, latent_at_line, latent_rs

    try:
        tv, ts, te = (float(t) for t in args.teacher.split(","))
    except ValueError:
        raise ParameterError("teacher", args.teacher, "three numbers V,SIGMA,EPS") from None
    teacher = Teacher(tv, ts, te)
    rt, sample, edge = _coupling(args.coupling)
    x_name, x, f = _axis({"eps": args.eps, "s": args.s, "a": args.a}, "eps")
    site = MixtureSite(f["s"], f["eps"], f["a"])
    b = latent_at_line(rt, site, teacher, beta_hi=args.beta_max)
    rs = latent_rs(np.nan_to_num(b, nan=args.beta_max), rt, site, teacher)
    ok = np.isfinite(b)
    cols = {"beta_AT": b, "beta_proper": f["a"] / edge, "q": np.where(ok, rs.q, np.nan), "chi": np.where(ok, rs.chi, np.nan),
            "rho": np.where(ok, rs.rho, np.nan)}
    runs = []
    if args.simulate:
        from .simulate.latent import run_latent_ec

        J = sample(args.N, args.seed)
        _, y = teacher.sample(args.N, seed=args.seed + 1)
        for i in sim_indices(x.size, args.sim_points):
            if not ok[i]:
                continue
            st = MixtureSite(f["s"][i], f["eps"][i], f["a"][i])
            for side in (0.85, 1.2):
                beta = side * float(b[i])
                if beta >= f["a"][i] / edge:  # the prior precision a - beta J is no longer positive
                    print(f"rmtsym: note: no run at {x_name} = {x[i]:.4g}, beta = {beta:.4g}: beyond a/lambda_max = "
                          f"{f['a'][i] / edge:.4g} the model is improper", file=sys.stderr)
                    continue
                chi = float(latent_rs(beta, rt, st, teacher).chi)
                try:
                    r = run_latent_ec(J, beta, y, st, chi, sweeps=args.sweeps, seed=args.seed + 2)
                except ParameterError:
                    continue  # no Gaussian stage at this (beta, chi) for this sample of J
                runs.append({x_name: float(x[i]), "beta": beta, "beta/beta_AT": side, "converged": bool(r.converged),
                             "sweeps": int(r.sweeps), "last_change": float(r.changes[-1])})
    title = f"Gaussian latent model, coupling {args.coupling}, teacher {args.teacher}"
    notes = [f"run N={args.N} EC: {x_name}={r[x_name]:.4g} beta={r['beta']:.4g} ({r['beta/beta_AT']:g} beta_AT): "
             f"{'converged' if r['converged'] else 'not converged'} after {r['sweeps']} sweeps "
             f"(last change {r['last_change']:.2g})" for r in runs]
    print_table(args, title, {"derivation": AMP_LATENT_AT_LINE.name}, x_name, x, cols,
                 extra={"runs": runs} if args.simulate else None, notes=notes)
    return 0
