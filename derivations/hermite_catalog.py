"""Hermite coefficients of the activation catalog: exact, numeric, and Monte Carlo.

For each activation: c_0..c_6 (closed forms where they exist), mu_0, mu_1, mu_* in the Gaussian
convention of docs/conventions.md. Checks: the closed forms against mpmath quadrature at 30
digits (a second method), and E f(Z)^2 and c_2 against Monte Carlo (tolerance 4 standard errors).
Writes hermite_catalog.tex (a table to paste) and hermite_catalog.png (|c_k| against k).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from rmtsym.bases.catalog import CATALOG, activation
from rmtsym.bases.functions import to_numpy
from rmtsym.simulate.gaussian import mc_gaussian_mean
from rmtsym.tour import Row, TourContext, main_for

TITLE = "Hermite coefficients of the activation catalog (exact vs 30-digit quadrature vs Monte Carlo)"
DEGREE = 6
NAMES = [n for n in CATALOG if n not in ("polynomial", "linear")]


def _tex(v) -> str:
    v = sp.sympify(v)
    if isinstance(v, sp.Float) or (v.is_number and sp.count_ops(v) > 25):
        # numeric values (30-digit quadrature): below 1e-25 they are zero within the error bound
        return "0" if abs(float(v)) < 1e-25 else f"{float(v):.10g}"
    return sp.latex(v)


def run(ctx: TourContext) -> list[Row]:
    rows: list[Row] = []
    n_mc = ctx.size(2_000_000, 200_000)
    table = []
    spectra = {}
    for i, name in enumerate(NAMES):
        act = activation(name)
        numeric = act.hermite_coefficients(DEGREE, exact=False, digits=30)
        if act.is_exact:
            exact = act.hermite_coefficients(DEGREE, exact=True)
            diff = max(abs(float(sp.N(e - n, 40))) for e, n in zip(exact, numeric))
            rows.append(Row(f"hermite:{name}", f"max_k |c_k exact - c_k quad|, k<={DEGREE}", 0.0, diff,
                            "mpmath quadrature, 30 digits", 1e-25))
            shown = exact
        else:
            shown = numeric
        spectra[name] = np.abs(act.hermite_coefficients(20, exact=False).numpy())
        f = to_numpy(act.expr)
        norm2 = float(sp.N(act.norm2, 20))
        m, se = mc_gaussian_mean(lambda x: f(x) ** 2, n_mc, seed=100 + i)
        rows.append(Row(f"hermite:{name}", "E f(Z)^2", norm2, m, f"Monte Carlo n={n_mc}", 4 * se, se))
        c2 = float(sp.N(shown[2], 20))
        m, se = mc_gaussian_mean(lambda x: f(x) * (x**2 - 1) / np.sqrt(2), n_mc, seed=200 + i)
        rows.append(Row(f"hermite:{name}", "c_2", c2, m, f"Monte Carlo n={n_mc}", 4 * se, se))
        table.append((name, act, shown))

    lines = [r"% Hermite coefficients c_k = E[f(Z) h_k(Z)], h_k = He_k/sqrt(k!), Z ~ N(0,1) (rmtsym)",
             r"\begin{tabular}{lllll}", r"\hline",
             r"$\sigma(z)$ & $\mu_0$ & $\mu_1$ & $\mu_*$ & $c_2$ \\ \hline"]
    for name, act, shown in table:
        lines.append(f"{name}: ${sp.latex(act.expr)}$ & ${_tex(act.mu0)}$ & ${_tex(act.mu1)}$ & "
                     f"${_tex(act.mu_star)}$ & ${_tex(shown[2])}$ \\\\")
    lines += [r"\hline", r"\end{tabular}", ""]
    for name, act, shown in table:
        lines.append(f"% {name}: " + ("exact" if act.is_exact else "numeric, 30 digits"))
        lines.append(shown.latex())
    ctx.write_latex("\n".join(lines))

    with ctx.figure() as fig:
        if fig is not None:
            _, ax = fig
            colors = __import__("matplotlib").colormaps["tab20"].colors
            for j, (name, c) in enumerate(spectra.items()):
                k = np.arange(len(c))
                keep = c > 1e-15
                ax.semilogy(k[keep], c[keep], "os^Dv"[j % 5] + "-", ms=3, lw=0.8, color=colors[j % 20],
                            label=name)
            ax.set_xlabel("degree k")
            ax.set_ylabel(r"$|c_k|$")
            ax.set_title("Hermite coefficients of the catalog")
            ax.legend(fontsize=7, ncol=3)
    return rows


if __name__ == "__main__":
    raise SystemExit(main_for(run, __file__))
