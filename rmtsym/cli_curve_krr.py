"""``rmtsym curve krr``: kernel ridge regression on the sphere across the phases n ~ d^k.

Normalisation: :mod:`rmtsym.models.kernel_ridge` (kernel ``h(<x,x'>/d)`` on S^{d-1}(sqrt d),
predictor ``K(x,X)(K + ridge I)^{-1} y`` with the unnormalised kernel matrix, ``--noise`` a
variance, ``--target`` the energies ``||P_l f*||^2`` per degree, or ``--target-norms`` the norms).

    rmtsym curve krr --kernel exp --dim 30 --k-max 3 --n 10:5000:100:log --ridge 1e-3 \\
        --noise 0.1 --target 0,1,1,0.6 [--simulate] [--plot f.png] [--json]
"""

from __future__ import annotations

import argparse

import numpy as np

from .cli_curve import add_output_options, print_curve, range_type
from .errors import ParameterError

__all__ = ["add_parsers"]


def _floats(name):
    def parse(text):
        try:
            vals = [float(t) for t in str(text).split(",") if t.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be comma-separated numbers, got {text!r}") from None
        if not vals:
            raise argparse.ArgumentTypeError(f"{name} must be comma-separated numbers, got {text!r}")
        return vals
    return parse


def add_parsers(kinds) -> None:
    p = kinds.add_parser(
        "krr", help="kernel ridge regression on the sphere, n ~ d^k (Hu & Lu 2022)",
        description="Learning curve of kernel ridge regression with K(x,x') = h(<x,x'>/d), x uniform on the "
                    "sphere of radius sqrt(d): the finite-d deterministic equivalent (every degree with its exact "
                    "multiplicity B(d,l)) and Hu & Lu's per-phase asymptotic formula. Risk = E(f_hat - f*)^2.")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--kernel", default="exp", help="h(z) of the cosine z: catalog name or expression in z (default exp)")
    src.add_argument("--xi", type=_floats("--xi"),
                     help="kernel coefficients xi_0,xi_1,... (Q_l(1) = 1 convention) instead of --kernel")
    p.add_argument("--dim", type=int, default=30, help="dimension d >= 3 (default 30)")
    p.add_argument("--k-max", type=int, default=3,
                   help="highest degree treated exactly (kernel coefficients xi_0..xi_{k_max+1} are computed; "
                        "the rest of h(1) acts as ridge) (default 3)")
    p.add_argument("--n", type=range_type("--n"), default=np.geomspace(10, 5000, 100), help="sample sizes (range)")
    p.add_argument("--ridge", type=range_type("--ridge"), default=np.array([1e-3]), help="ridge lambda >= 0")
    p.add_argument("--noise", type=float, default=0.1, help="label-noise variance sigma^2 (default 0.1)")
    tg = p.add_mutually_exclusive_group()
    tg.add_argument("--target", type=_floats("--target"), help="energies ||P_l f*||^2, l = 0,1,... (default 0,1,1,0.6)")
    tg.add_argument("--target-norms", type=_floats("--target-norms"), help="norms ||P_l f*|| (REFERENCES paper 7 style)")
    p.add_argument("--n-test", type=int, default=1000, help="test points per simulated replicate (default 1000)")
    p.add_argument("--sim-points", type=int, default=8, help="number of simulated n values (default 8)")
    p.add_argument("--sim-max-n", type=int, default=3000, help="largest simulated n (default 3000)")
    add_output_options(p)
    p.set_defaults(func=cmd_krr)


def cmd_krr(args) -> int:
    from .models.kernel_ridge import KernelSpectrum, kernel_spectrum, krr_curve

    if args.target_norms is not None:
        target = [t * t for t in args.target_norms]
    else:
        target = args.target if args.target is not None else [0, 1, 1, 0.6]
    if args.k_max < 0:
        raise ParameterError("k-max", args.k_max, "an integer >= 0")
    if args.xi is not None:
        spec = KernelSpectrum(args.dim, args.xi)
        label = f"xi = {args.xi}"
    else:
        spec = kernel_spectrum(args.kernel, args.dim, args.k_max + 1)
        label = f"h = {spec.label}"
    n = np.asarray(args.n, float)
    ridge = np.asarray(args.ridge, float)
    if ridge.size > 1 and n.size > 1:
        raise ParameterError("ridge", "a range", "a single value when --n is a range (sweep one of them)")
    fin = krr_curve(spec, None, target, n, ridge, args.noise, method="finite")
    asy = krr_curve(spec, None, target, n, ridge, args.noise, method="asymptotic",
                    k_max=min(args.k_max, spec.xi.size - 1))
    x_name, x = ("n", fin.n) if n.size >= ridge.size else ("ridge", fin.ridge)
    columns = {"risk": fin.risk, "risk_asymptotic": asy.risk, "bias": fin.bias, "variance": fin.variance,
               "phase": fin.phase}
    sim = None
    if args.simulate:
        from .simulate.kernel_ridge import simulate_krr_curve

        kern = args.xi if args.xi is not None else args.kernel
        if x_name == "n":
            lo, hi = float(n.min()), float(min(n.max(), args.sim_max_n))
            ns = np.unique(np.round(np.geomspace(max(lo, 2), max(hi, 2), args.sim_points)).astype(int))
            sim = simulate_krr_curve(kern, args.dim, target, ns, float(ridge[0]), args.noise, reps=args.reps,
                                     n_test=args.n_test, seed=args.seed)
        else:
            from .simulate.kernel_ridge import simulate_krr

            pts = ridge[np.unique(np.linspace(0, ridge.size - 1, args.sim_points).astype(int))]
            res = [simulate_krr(kern, args.dim, target, int(n[0]), float(r), args.noise, reps=args.reps,
                                n_test=args.n_test, seed=args.seed) for r in pts]
            sim = {"x": list(pts), "mean": [s.mean for s in res], "se": [s.se for s in res]}
    meta = {"kernel": label, "d": args.dim, "xi": [float(v) for v in spec.xi], "xi_tail": spec.tail,
            "target_energy": [float(t) for t in target], "noise": args.noise,
            "normalisation": "K(x,x')=h(<x,x'>/d) on S^{d-1}(sqrt d); f_hat = K(x,X)(K+ridge I)^{-1}y; "
                             "risk = E(f_hat-f*)^2"}
    if x_name == "n":
        meta["ridge"] = float(ridge[0])
    else:
        meta["n"] = float(n[0])
    return print_curve(args, x_name, x, columns, title=f"kernel ridge regression on the sphere, d = {args.dim}",
                       meta=meta, sim=sim, logx=True, logy=True)
