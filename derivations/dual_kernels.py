"""Dual kernels K(rho) = E[f(u) f(v)]: closed forms, Hermite series, Monte Carlo.

Closed forms (arc-cosine for ReLU, Cho & Saul 2009; arcsin for erf and sign, Williams 1996)
are checked against the Hermite series sum_k c_k^2 rho^k (a second method; tolerance = the
stated truncation bound) and against Monte Carlo (4 standard errors). Activations without a
closed form (tanh, gelu) are checked series-against-Monte-Carlo.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from rmtsym.bases.catalog import RHO, activation
from rmtsym.bases.functions import to_numpy
from rmtsym.simulate.gaussian import mc_dual_kernel
from rmtsym.tour import Row, TourContext, main_for

TITLE = "Dual kernels: closed forms vs Hermite series vs Monte Carlo"
NAMES = ["relu", "erf", "sign", "abs", "sin", "tanh", "gelu"]
RHOS = [-0.5, 0.3, 0.9]


def run(ctx: TourContext) -> list[Row]:
    rows: list[Row] = []
    n_mc = ctx.size(1_000_000, 100_000)
    curves = {}
    tex = [r"% Dual kernels K(rho) = E[f(u) f(v)], u, v standard Gaussians with correlation rho (rmtsym)",
           r"\begin{aligned}"]
    for i, name in enumerate(NAMES):
        act = activation(name)
        f = to_numpy(act.expr)
        closed = act.dual_closed_form
        if closed is not None:
            tex.append(f"K_{{\\mathrm{{{name}}}}}(\\rho) &= {sp.latex(sp.simplify(closed).subs(RHO, sp.Symbol('rho')))} \\\\")
        grid = np.linspace(-1, 1, 81)
        curves[name] = (grid, act.dual_kernel(grid))
        for j, r in enumerate(RHOS):
            theory = float(act.dual_kernel(r))
            if closed is not None:
                series, bound = act.dual_kernel(r, degree=80, return_error=True)
                rows.append(Row(f"dual:{name}", f"K({r}) series", theory, float(series),
                                "Hermite series to degree 80 (tolerance = truncation bound)",
                                float(bound) + 1e-12))
            m, se = mc_dual_kernel(f, r, n_mc, seed=1000 + 10 * i + j)
            rows.append(Row(f"dual:{name}", f"K({r}) MC", theory, m, f"Monte Carlo n={n_mc}", 4 * se, se))
    tex[-1] = tex[-1].rstrip(" \\")
    tex.append(r"\end{aligned}")
    ctx.write_latex("\n".join(tex))

    with ctx.figure() as fig:
        if fig is not None:
            _, ax = fig
            for name, (g, k) in curves.items():
                ax.plot(g, k, lw=1.2, label=name)
            mc = [(r.quantity, r.check) for r in rows if r.quantity.endswith("MC")]
            pts = [(float(q.split("(")[1].split(")")[0]), c) for q, c in mc]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "k.", ms=5, label="Monte Carlo")
            ax.set_xlabel(r"$\rho$")
            ax.set_ylabel(r"$K(\rho) = E[f(u)f(v)]$")
            ax.set_title("Dual kernels (lines: theory, dots: simulation)")
            ax.legend(fontsize=7)
    return rows


if __name__ == "__main__":
    raise SystemExit(main_for(run, __file__))
