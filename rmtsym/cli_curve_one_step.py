"""``rmtsym curve one-step ...``: test error of ridge readout after one large gradient step
(Cui et al. 2024; model and normalisation: rmtsym.models.one_step).

``--alpha`` (n/d) is the x-axis (a number or ``START:STOP:NUM[:log]``). Columns: the trained
error, the untrained random-feature error (``--lr 0``) and their difference. ``--dim D`` uses the
finite-d objects (``W0, v, zeta`` drawn with ``RandomState(--w0-seed)``, p = d) as the authors;
without it the d -> inf limit. ``--simulate`` trains the real network at ``--sim-dim``.
"""

from __future__ import annotations

import numpy as np

from .cli_curve import add_output_options, print_curve, range_type, sim_indices
from .errors import ParameterError

__all__ = ["add_parsers"]


def add_parsers(kinds) -> None:
    p = kinds.add_parser(
        "one-step", help="two-layer network after one large gradient step (spiked random features)",
        description="f(x) = sigma(W1 x).w/sqrt(p), W1 = W0 + eta~ p grad (one full-batch step on n0 = alpha0 d "
                    "samples of y = sigma_*(x_1)), readout ||y - Phi w/sqrt p||^2 + lambda ||w||^2 on n = alpha d "
                    "fresh samples, p = d. Columns: test MSE after the step, untrained random-feature MSE (lr 0).")
    p.add_argument("--act", default="tanh", help="activation sigma: catalog name or expression in z (default tanh)")
    p.add_argument("--target", default="sin", help="target sigma_*: catalog name or expression in z (default sin)")
    p.add_argument("--lr", type=float, default=3.0, help="learning rate eta~ >= 0 (default 3)")
    p.add_argument("--alpha0", type=float, default=20.0, help="first-step batch ratio n0/d (default 20)")
    p.add_argument("--alpha", type=range_type("alpha"), default="0.1:3:50", help="n/d (number or range)")
    p.add_argument("--ridge", type=float, default=0.1, help="lambda > 0 (default 0.1)")
    p.add_argument("--dim", type=int, default=None, help="finite-d objects at d = p = DIM (default: d -> inf)")
    p.add_argument("--w0-seed", type=int, default=58, help="seed of the finite-d objects (default 58, as the authors)")
    p.add_argument("--quad-order", type=int, default=80, help="Gauss-Hermite nodes of the kappa average (default 80)")
    p.add_argument("--sim-dim", type=int, default=300, help="d for --simulate (default 300)")
    p.add_argument("--sim-points", type=int, default=5, help="number of simulated points (default 5)")
    add_output_options(p)
    p.set_defaults(func=_run)


def _run(args) -> int:
    from .models.one_step import one_step_error, simulate_one_step_error

    if args.dim is not None and args.dim < 4:
        raise ParameterError("dim", args.dim, "an integer >= 4")
    x = args.alpha
    kw = dict(d=args.dim, seed=args.w0_seed, quad_order=args.quad_order)
    c = one_step_error(args.act, args.target, args.lr, args.alpha0, x, args.ridge, **kw)
    u = one_step_error(args.act, args.target, 0.0, args.alpha0, x, args.ridge, **kw)
    sim = None
    if args.simulate:
        idx = sim_indices(x.size, args.sim_points)
        s = simulate_one_step_error(args.act, args.target, args.lr, args.alpha0, x[idx], args.ridge,
                                    d=args.sim_dim, reps=max(args.reps, 2), seed=args.seed)
        sim = {"x": list(x[idx]), "mean": list(s.mean), "se": list(s.se)}
    pr = c.params
    for rep in c.report + u.report:
        import sys

        print(f"# not converged: alpha={rep['alpha']:.4g}: {rep['reason']} (NaN)", file=sys.stderr)
    return print_curve(
        args, "alpha", x, {"mse": c.mse, "mse_untrained": u.mse, "gain": u.mse - c.mse},
        title=(f"one gradient step: act={args.act} target={args.target} lr={args.lr:g} alpha0={args.alpha0:g} "
               f"lambda={args.ridge:g} " + (f"d=p={args.dim}" if args.dim else "d -> inf")),
        meta={"derivation": "one-step-generalisation", "r": pr["r"], "c": pr["c"], "gamma": pr["gamma"],
              "normalisation": "||y - Phi w/sqrt p||^2 + lambda ||w||^2, alpha = n/d, p = d"},
        sim=sim, logx=False, logy=False)
