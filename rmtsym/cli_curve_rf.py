"""``rmtsym curve rf ...``: random-feature ridge regression (normalisation: rmtsym.models.random_features).

Exactly one of ``--psi1``, ``--psi2``, ``--ridge`` may be a range ``START:STOP:NUM[:log]``; it is
the x-axis. ``--act`` is a catalog name or an expression in ``z`` (parsed by the whitelist
grammar, never evaluated as Python).
"""

from __future__ import annotations

import numpy as np

from .cli_curve import add_output_options, print_curve, range_type, sim_indices
from .errors import ParameterError

__all__ = ["add_parsers"]


def add_parsers(kinds) -> None:
    p = kinds.add_parser(
        "rf", help="random-feature ridge regression (Mei–Montanari), double descent",
        description="f_hat(x) = sum_j a_j sigma(<theta_j,x>/sqrt d), x, theta on S^{d-1}(sqrt d); objective "
                    "(1/n) sum (y - f_hat)^2 + (N lambda/d) ||a||^2; psi1 = N/d, psi2 = n/d; "
                    "y = <beta,x> + f_NL + eps, F1 = ||beta||, F*^2 = E f_NL^2, noise = Var eps. "
                    "Columns: excess risk E(f - f_hat)^2 (inf at the ridgeless peak psi1 = psi2), B, V, test error.")
    p.add_argument("--act", default="relu", help="activation: catalog name or expression in z (default relu)")
    p.add_argument("--psi1", type=range_type("psi1"), default="2", help="N/d (number or range)")
    p.add_argument("--psi2", type=range_type("psi2"), default=None,
                   help="n/d (number or range; default 0.1:5:200 unless another parameter is the range)")
    p.add_argument("--ridge", type=range_type("ridge"), default="1e-3", help="lambda >= 0 (number or range)")
    p.add_argument("--noise", type=float, default=0.25, help="noise variance tau^2 (default 0.25)")
    p.add_argument("--f1", type=float, default=1.0, help="||beta|| (default 1)")
    p.add_argument("--fstar", type=float, default=0.0, help="F_* = norm of the nonlinear target part (default 0)")
    p.add_argument("--dim", type=int, default=100, help="d for --simulate (default 100)")
    p.add_argument("--sim-points", type=int, default=8, help="number of simulated points (default 8)")
    p.add_argument("--regime", choices=("proportional", "polynomial"), default="proportional",
                   help="proportional (Mei–Montanari, default) or polynomial: p ≍ d^kappa1, n ≍ d^kappa2 "
                        "(Hu–Lu–Misiakiewicz; needs --p --n --d; --ridge may be a range; penalty "
                        "(p lambda/B(d,ell))||a||^2)")
    p.add_argument("--p", type=float, default=None, help="number of features (polynomial regime)")
    p.add_argument("--n", type=float, default=None, help="number of samples (polynomial regime)")
    p.add_argument("--d", type=int, default=None, help="dimension (polynomial regime)")
    p.add_argument("--mu", default=None,
                   help="polynomial regime: Gegenbauer coefficients mu_0,mu_1,... of sigma (default: from --act at d)")
    p.add_argument("--target", default="0,1,0.5",
                   help="polynomial regime: target norms ||P_k f*||, k = 0,1,... (default 0,1,0.5)")
    add_output_options(p)
    p.set_defaults(func=_run_rf)


def _floats(text, name):
    try:
        return [float(t) for t in str(text).split(",") if t.strip()]
    except ValueError:
        raise ParameterError(name, text, "comma-separated numbers") from None


def _run_rf_polynomial(args) -> int:
    from .models.random_features import rf_risk_polynomial_general

    if args.p is None or args.n is None or args.d is None:
        raise ParameterError("p/n/d", None, "--p, --n and --d with --regime polynomial")
    if args.psi1.size > 1 or (args.psi2 is not None) or args.simulate:
        raise ParameterError("regime", "polynomial", "--p, --n, --d and a --ridge range (no --psi1/--psi2/--simulate)")
    mu = _floats(args.mu, "mu") if args.mu else args.act
    tgt = _floats(args.target, "target")
    c = rf_risk_polynomial_general(mu, tgt, p=args.p, n=args.n, d=args.d, ridge=args.ridge, noise=args.noise)
    pr = c.params
    return print_curve(
        args, "ridge", args.ridge, {"risk": np.broadcast_to(c.risk, args.ridge.shape).ravel(),
                                    "test_error": np.broadcast_to(c.test_error, args.ridge.shape).ravel()},
        title=f"random features, polynomial regime: act={args.act if not args.mu else 'mu=' + args.mu} "
              f"p={args.p:g} n={args.n:g} d={args.d} noise={args.noise}",
        meta={"derivation": "random-features-ridge-polynomial", "regime": pr["regime"], "ell": pr["ell"],
              "kappa1": pr["kappa1"], "kappa2": pr["kappa2"], "normalisation": "(1/n)||y - F a||^2 + (p lambda/B(d,ell))||a||^2"},
        logx=args.ridge.size > 1, logy=False)


def _run_rf(args) -> int:
    from .models.random_features import activation_constants, rf_risk

    if args.regime == "polynomial":
        return _run_rf_polynomial(args)

    if args.psi2 is None:
        if args.psi1.size > 1 or args.ridge.size > 1:
            raise ParameterError("psi2", None, "a number n/d when --psi1 or --ridge is the range")
        from .cli_curve import parse_range

        args.psi2 = parse_range("0.1:5:200", "psi2")
    ranges = [(k, v) for k, v in (("psi1", args.psi1), ("psi2", args.psi2), ("ridge", args.ridge)) if v.size > 1]
    if len(ranges) > 1:
        raise ParameterError("/".join(k for k, _ in ranges), "ranges",
                             "at most one of --psi1, --psi2, --ridge as a range START:STOP:NUM")
    x_name, x = ranges[0] if ranges else ("psi2", args.psi2)
    if args.dim < 3:
        raise ParameterError("dim", args.dim, "an integer >= 3")
    mu1, mus = activation_constants(args.act)
    c = rf_risk((mu1, mus), args.psi1, args.psi2, args.ridge, f1=args.f1, fstar=args.fstar, noise=args.noise)
    sim = None
    if args.simulate:
        from .simulate.random_features import simulate_rf

        idx = sim_indices(x.size, args.sim_points)
        xs, means, ses = [], [], []
        for i in idx:
            p1 = float(np.broadcast_to(args.psi1, x.shape)[i] if args.psi1.size > 1 else args.psi1[0])
            p2 = float(np.broadcast_to(args.psi2, x.shape)[i] if args.psi2.size > 1 else args.psi2[0])
            lam = float(np.broadcast_to(args.ridge, x.shape)[i] if args.ridge.size > 1 else args.ridge[0])
            N, n = max(1, round(p1 * args.dim)), max(1, round(p2 * args.dim))
            if lam == 0 and N == n:
                continue  # the risk is infinite there
            r = simulate_rf(args.act, args.dim, N, n, lam, f1=args.f1, fstar=args.fstar, noise=args.noise,
                            reps=max(args.reps, 2), seed=args.seed)
            xs.append(x[i])
            means.append(r.mean)
            ses.append(r.se)
        sim = {"x": xs, "mean": means, "se": ses}
    shape = c.risk.shape
    return print_curve(
        args, x_name, x, {"risk": c.risk.ravel(), "bias": np.broadcast_to(c.bias, shape).ravel(),
                          "variance": np.broadcast_to(c.variance, shape).ravel(),
                          "test_error": c.test_error.ravel()},
        title=(f"random features: act={args.act} (mu1={mu1:.4g}, mu*={mus:.4g}) f1={args.f1} "
               f"fstar={args.fstar} noise={args.noise}"),
        meta={"derivation": "random-features-ridge", "normalisation": "(1/n)||y - F a||^2 + (N lambda/d)||a||^2",
              **({k: float(v[0]) for k, v in (("psi1", args.psi1), ("psi2", args.psi2), ("ridge", args.ridge))
                  if v.size == 1})},
        sim=sim, logx=(x_name == "ridge"), logy=True)
