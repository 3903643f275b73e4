"""Gegenbauer coefficients on the sphere and their convergence to Hermite coefficients.

g_k(f; d) = E[f(t) q_k^{(d)}(t)], t = <x, e>, x uniform on S^{d-1}(sqrt d) (docs/conventions.md,
Sphere). Exact for polynomials as algebraic functions of d, with the symbolic limit d -> oo
equal to the Hermite coefficient c_k; numeric for tanh and ReLU, checked against Monte Carlo
over uniform points on the sphere (4 standard errors) and shown to converge to c_k at rate 1/d.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from rmtsym.bases.catalog import activation
from rmtsym.bases.functions import Z
from rmtsym.bases.gegenbauer import gegenbauer_coefficients, gegenbauer_limit
from rmtsym.bases.hermite import hermite_coefficients
from rmtsym.simulate.sphere import mc_gegenbauer
from rmtsym.tour import Row, TourContext, main_for

TITLE = "Gegenbauer coefficients: exact in d, Monte Carlo on the sphere, convergence to Hermite"
DIMS = [5, 10, 20, 50, 100, 200, 500, 1000]


def run(ctx: TourContext) -> list[Row]:
    rows: list[Row] = []
    d = sp.Symbol("d", positive=True, integer=True)

    # exact, symbolic in d, for a polynomial; its limit against the Hermite coefficients
    poly = Z**4 + Z**3
    exact = gegenbauer_coefficients(poly, d, 4, exact=True)
    limit = gegenbauer_limit(poly, 4)
    herm = hermite_coefficients(poly, 4, exact=True)
    worst = max(abs(float(sp.N(a - b, 30))) for a, b in zip(limit, herm))
    rows.append(Row("gegenbauer:z^4+z^3", "max_k |lim_d g_k(d) - c_k|", 0.0, worst,
                    "exact Hermite coefficients", 1e-25))
    tex = [r"% Gegenbauer coefficients of f(t) = t^4 + t^3 on S^{d-1}(sqrt d), exact in d (rmtsym)",
           r"\begin{aligned}"]
    tex += [f"g_{{{k}}}(d) &= {sp.latex(sp.simplify(g))} \\\\" for k, g in enumerate(exact)]
    tex += [f"\\lim_{{d\\to\\infty}} g_{{{k}}} &= {sp.latex(v)} \\\\" for k, v in enumerate(limit)]
    tex[-1] = tex[-1].rstrip(" \\")
    tex.append(r"\end{aligned}")
    ctx.write_latex("\n".join(tex))

    # numeric coefficients against Monte Carlo on the sphere
    n_mc = ctx.size(400_000, 60_000)
    curves = {}
    for i, name in enumerate(["tanh", "relu"]):
        act = activation(name)
        c = act.hermite_coefficients(4, exact=False, digits=20).numpy()
        g10 = gegenbauer_coefficients(act.expr, 10, 4, exact=False).numpy()
        for k in range(4):
            est, se = mc_gegenbauer(act.expr, 10, k, n_mc, seed=300 + 10 * i + k)
            rows.append(Row(f"gegenbauer:{name}", f"g_{k}(d=10)", float(g10[k]), float(est),
                            f"Monte Carlo on the sphere n={n_mc}", 4 * float(se), float(se)))
        errs = np.array([np.abs(gegenbauer_coefficients(act.expr, dd, 3, exact=False).numpy() - c[:4])
                         for dd in DIMS])
        curves[name] = errs
        # rate check: d |g_k(d) - c_k| is asymptotically constant, so it changes little from d=500 to 1000
        k = 1 if name == "tanh" else 2
        a, b = 500 * errs[DIMS.index(500), k], 1000 * errs[DIMS.index(1000), k]
        rows.append(Row(f"gegenbauer:{name}", f"d|g_{k}(d)-c_{k}| at d=1000 vs d=500", float(a), float(b),
                        "O(1/d) convergence (relative tolerance 5%)", 0.05 * abs(a)))

    with ctx.figure() as fig:
        if fig is not None:
            _, ax = fig
            for name, errs in curves.items():
                for k in range(4):
                    if np.all(errs[:, k] > 1e-14):
                        ax.loglog(DIMS, errs[:, k], "o-", ms=3, label=f"{name}, k={k}")
            ax.loglog(DIMS, 1.0 / np.array(DIMS), "k--", lw=0.8, label="1/d")
            ax.set_xlabel("d")
            ax.set_ylabel(r"$|g_k(f; d) - c_k(f)|$")
            ax.set_title("Gegenbauer to Hermite as d grows")
            ax.legend(fontsize=7, ncol=2)
    return rows


if __name__ == "__main__":
    raise SystemExit(main_for(run, __file__))
