"""``rmtsym curve ridge ...`` and ``rmtsym gcv data.npz ...`` (normalisation: rmtsym.models.ridge)."""

from __future__ import annotations

import argparse

import numpy as np

from .cli_curve import add_output_options, print_curve, range_type
from .errors import ParameterError

__all__ = ["add_parsers", "add_top_level"]


def add_parsers(kinds) -> None:
    p = kinds.add_parser("ridge", help="ridge regression learning curve (deterministic equivalent)",
                         description="Ridge beta_hat = (X^T X/n + lambda)^{-1} X^T y/n, x = Sigma^{1/2} z, "
                                     "y = x^T beta + eps, Var eps = noise^2. Columns: excess risk, "
                                     "prediction risk (= GCV limit), bias, variance, train error, kappa.")
    p.add_argument("--spectrum", choices=["powerlaw", "isotropic"], default="powerlaw")
    p.add_argument("--a", type=float, default=1.5, help="eigenvalue decay s_i ~ i^-a (tr Sigma = p)")
    p.add_argument("--b", type=float, default=1.0, help="target decay beta_i ~ i^-b (||beta|| = 1)")
    p.add_argument("--p", type=int, default=800, help="dimension")
    p.add_argument("--n", type=range_type("n"), default="50:2000:100", help="samples, START:STOP:NUM")
    p.add_argument("--ridge", type=range_type("ridge"), default="1e-3", help="lambda >= 0 (a number)")
    p.add_argument("--noise", type=float, default=0.1, help="noise standard deviation sigma")
    add_output_options(p)
    p.set_defaults(func=_run_ridge)


def _run_ridge(args) -> int:
    from .models.ridge import power_law_spectrum, ridge_risk

    a = 0.0 if args.spectrum == "isotropic" else args.a
    b = 1.0 if args.spectrum == "isotropic" else args.b
    if args.ridge.size != 1:
        raise ParameterError("ridge", args.ridge.tolist(), "a single number (the curve is over n)")
    lam = float(args.ridge[0])
    spec = power_law_spectrum(args.p, a, b)
    n = np.unique(np.round(args.n))
    c = ridge_risk(spec, n=n, ridge=lam, noise=args.noise)
    sim = None
    if args.simulate:
        from .simulate.ridge import simulate_ridge

        pts = n[np.linspace(0, n.size - 1, min(8, n.size)).astype(int)]
        pts = pts[~((lam == 0) & (pts == args.p))]
        res = [simulate_ridge(spec.eig, np.sqrt(spec.beta2), int(k), lam, args.noise, reps=max(args.reps, 2),
                              seed=args.seed) for k in pts]
        sim = {"x": pts, "mean": [r.risk for r in res], "se": [r.risk_se for r in res]}
    return print_curve(args, "n", n, {"risk": c.risk, "prediction_risk": c.prediction_risk, "bias": c.bias,
                                      "variance": c.variance, "train_error": c.train_error, "kappa": c.kappa},
                       title=f"ridge: {args.spectrum} a={a} b={b} p={args.p} lambda={lam} sigma={args.noise}",
                       meta={"derivation": c.derivation}, sim=sim, logy=True)


def add_top_level(sub) -> None:
    g = sub.add_parser("gcv", help="GCV of kernel ridge regression on data (one eigendecomposition)",
                       description="GCV(lambda) = [n^-1 ||y - S y||^2]/[1 - tr S/n]^2, S = K(K + lambda)^-1, "
                                   "K = Gram/n; averaged over the columns of y. DATA.npz holds X and y, or K and y.")
    g.add_argument("data", help="npz file with arrays X and y, or K and y")
    g.add_argument("--ridge", type=range_type("ridge"), default="1e-4:1:50:log")
    g.add_argument("--kernel", choices=["linear", "relu-nngp"], default="linear",
                   help="kernel built from X (ignored when K is given): linear x.x'/n or ReLU NNGP/n")
    g.add_argument("--json", action="store_true")
    g.add_argument("--plot", metavar="FILE.png")
    g.set_defaults(func=_run_gcv)


def _run_gcv(args) -> int:
    from .models.gcv import gcv, linear_kernel, relu_nngp_kernel

    try:
        data = np.load(args.data)
    except (OSError, ValueError) as exc:
        raise ParameterError("data", args.data, "a readable .npz file", str(exc)) from None
    if "y" not in data:
        raise ParameterError("data", args.data, "an npz with array y (and X or K)")
    y = data["y"]
    if "K" in data:
        K, src = data["K"], "K from file"
    elif "X" in data:
        X = np.asarray(data["X"], float)
        if X.ndim != 2:
            raise ParameterError("X", f"shape {X.shape}", "a 2-d array (n, d)")
        K = (linear_kernel(X) if args.kernel == "linear" else relu_nngp_kernel(X)) / X.shape[0]
        src = f"{args.kernel} kernel / n"
    else:
        raise ParameterError("data", args.data, "an npz with array X or K")
    r = gcv(K, y, args.ridge)
    best = int(np.argmin(r.gcv))
    return print_curve(args, "ridge", r.ridge, {"gcv": r.gcv, "train_error": r.train_error, "dof": r.dof},
                       title=f"GCV of kernel ridge regression ({src}, n={K.shape[0]})",
                       meta={"best_ridge": float(r.ridge[best]), "best_gcv": float(r.gcv[best])},
                       logx=True, logy=True)
