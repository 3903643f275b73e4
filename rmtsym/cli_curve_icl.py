"""``rmtsym curve icl ...``: in-context learning of linear regression by linear attention
(normalisation: rmtsym.models.icl).

Exactly one of ``--tau``, ``--alpha``, ``--kappa``, ``--ridge`` may be a range ``START:STOP:NUM[:log]``;
it is the x-axis (default: ``--tau 0.1:5:200``). ``--kappa inf`` means infinitely many tasks.
"""

from __future__ import annotations

import numpy as np

from .cli_curve import add_output_options, parse_range, print_curve, range_type, sim_indices
from .errors import ParameterError

__all__ = ["add_parsers"]


def _kappa_type(text):
    if str(text).strip().lower() in ("inf", "infinity"):
        return np.array([np.inf])
    return parse_range(text, "kappa")


def add_parsers(kinds) -> None:
    p = kinds.add_parser(
        "icl", help="in-context learning by linear attention (Lu et al.), double descent in tau",
        description="Reduced linear attention y_hat = <Gamma, H_Z>, x ~ N(0, I_d/d), context l = alpha d, "
                    "n = tau d^2 sequences, k = kappa d training tasks, label noise variance rho; least squares "
                    "with (n/d) lambda ||Gamma||^2. Columns: ICL error (fresh tasks; inf at tau = 1 when ridge = 0) "
                    "and the IDG error (training-pool tasks).")
    p.add_argument("--tau", type=range_type("tau"), default=None, help="n/d^2 (number or range; default 0.1:5:200)")
    p.add_argument("--alpha", type=range_type("alpha"), default="1", help="context length / d (default 1)")
    p.add_argument("--rho", type=float, default=0.25, help="label-noise variance (default 0.25)")
    p.add_argument("--kappa", type=_kappa_type, default="2", help="task diversity k/d, or inf (default 2)")
    p.add_argument("--ridge", type=range_type("ridge"), default="0", help="lambda >= 0 (default 0: ridgeless)")
    p.add_argument("--dim", type=int, default=30, help="d for --simulate (default 30; cost ~ tau d^6)")
    p.add_argument("--sim-points", type=int, default=6, help="number of simulated points (default 6)")
    add_output_options(p)
    p.set_defaults(func=_run_icl)


def _run_icl(args) -> int:
    from .models.icl import icl_error, idg_error

    if args.tau is None:
        if any(v.size > 1 for v in (args.alpha, args.kappa, args.ridge)):
            raise ParameterError("tau", None, "a number n/d^2 when another parameter is the range")
        args.tau = parse_range("0.1:5:200", "tau")
    params = (("tau", args.tau), ("alpha", args.alpha), ("kappa", args.kappa), ("ridge", args.ridge))
    ranges = [(k, v) for k, v in params if v.size > 1]
    if len(ranges) > 1:
        raise ParameterError("/".join(k for k, _ in ranges), "ranges",
                             "at most one of --tau, --alpha, --kappa, --ridge as a range START:STOP:NUM")
    x_name, x = ranges[0] if ranges else ("tau", args.tau)
    if args.dim < 2 or args.dim > 120:
        raise ParameterError("dim", args.dim, "an integer in [2, 120]")
    full = {k: np.broadcast_to(v, x.shape) if v.size > 1 else np.full(x.shape, v[0]) for k, v in params}
    e = icl_error(full["tau"], full["alpha"], args.rho, full["kappa"], full["ridge"])
    cols = {"icl_error": np.atleast_1d(e)}
    cols["idg_error"] = np.atleast_1d(idg_error(full["tau"], full["alpha"], args.rho, full["kappa"], full["ridge"]))
    sim = None
    if args.simulate:
        from .simulate.icl import simulate_icl

        idx = sim_indices(x.size, args.sim_points)
        xs, means, ses = [], [], []
        for i in idx:
            if full["ridge"][i] == 0 and round(full["tau"][i] * args.dim ** 2) == args.dim * (args.dim + 1):
                continue  # interpolation point: infinite error
            r = simulate_icl(full["tau"][i], full["alpha"][i], args.rho, full["kappa"][i], d=args.dim,
                             ridge=full["ridge"][i], reps=max(args.reps, 2), seed=args.seed)
            xs.append(x[i])
            means.append(r.icl_mean)
            ses.append(r.icl_se)
        sim = {"x": xs, "mean": means, "se": ses}
    fixed = {k: float(v[0]) for k, v in params if v.size == 1}
    return print_curve(
        args, x_name, x, cols,
        title="ICL by linear attention: " + " ".join(f"{k}={v:g}" for k, v in {**fixed, "rho": args.rho}.items()),
        meta={"derivation": "icl-linear-attention", "normalisation": "sum (y - <Gamma,H>)^2 + (n/d) lambda ||Gamma||^2",
              **({"simulation_note": f"d = {args.dim}: finite-d bias is large and positive (~10-15% at d = 30)"}
                 if args.simulate else {})},
        sim=sim, logx=(x_name == "ridge"), logy=True)
