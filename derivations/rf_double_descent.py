"""Double descent of random-feature ridge regression (Mei & Montanari 2019/2022; REFERENCES.md A3),
and its polynomial-regime reduction (Hu, Lu & Misiakiewicz 2024; REFERENCES.md paper 3).

Normalisation (rmtsym.models.random_features): x, theta on S^{d-1}(sqrt d), objective
(1/n) sum (y - f_hat)^2 + (N lambda/d) ||a||^2, psi1 = N/d, psi2 = n/d; risk = excess risk
E(f - f_hat)^2. Centred ReLU, F1 = 1, tau^2 = 0.25, psi2 = 1.5.

Checks: the REFERENCES.md numbers (A3 and paper 3); the compiled complex Newton solver of the
registered derivation against the scalar reduction on the 1000-point curve (second method); the
limits psi1 -> inf (kernel ridge regression, closed form) and psi2 -> inf (approximation error,
Marchenko–Pastur closed form); the ridgeless closed form; Monte Carlo at d = 150 (quick: 60) with
tolerance 4 SE + a stated finite-size bias (10% of the risk within a factor 2 of the peak
psi1 = psi2, 5% elsewhere; measured d = 60..100 deviations are within these).
"""

from __future__ import annotations

import numpy as np

from rmtsym.models.random_features import (RF_RIDGE, RF_RIDGE_POLYNOMIAL, activation_constants,
                                           approximation_error_limit, kernel_ridge_limit, rf_bias_variance,
                                           rf_risk, rf_risk_polynomial, ridgeless_chi)
from rmtsym.simulate.random_features import simulate_rf
from rmtsym.tour import Row, TourContext, main_for

TITLE = "Random-feature ridge regression: double descent (Mei–Montanari) and n ≍ p ≍ d^ell (Hu–Lu–Misiakiewicz)"
ACT = "relu(z) - 1/sqrt(2*pi)"
NAME = "random-features-ridge"


def run(ctx: TourContext) -> list[Row]:
    rows: list[Row] = []
    ctx.write_latex(RF_RIDGE.latex())
    ctx.write_latex(RF_RIDGE_POLYNOMIAL.latex(), "-polynomial")
    mu1, mus = activation_constants(ACT)
    kw = dict(f1=1.0, noise=0.25)

    # (1) reference numbers
    r = rf_risk(ACT, 2, 1.5, 0.05, **kw)
    for q, th, ref in (("B", r.bias, .4894), ("V", r.variance, .5079), ("R", r.risk, .6164)):
        rows.append(Row(NAME, f"{q} at (psi1, psi2, lambda) = (2, 1.5, .05)", float(th), ref,
                        "REFERENCES.md A3 (4 digits)", 5e-5))
    r3 = rf_risk_polynomial([0, 0, 1, .5, .3], [0, 0, 1, .5], ell=2, ridge=0.02, noise=0.1, psi1=0.6, psi2=1.5)
    rows.append(Row("random-features-ridge-polynomial", "risk, ell=2, (psi1, psi2, lambda) = (.6, 1.5, .02)",
                    float(r3.risk), 1.465, "REFERENCES.md paper 3 (3 digits)", 5e-4))

    # (2) second method on the 1000-point curve
    psi2 = 1.5
    ratio = np.geomspace(0.1, 10, 1000)
    curve = rf_risk(ACT, ratio * psi2, psi2, 1e-3, **kw)
    newton = rf_risk(ACT, ratio * psi2, psi2, 1e-3, method="newton", **kw)
    rel = np.nanmax(np.abs(newton.risk / curve.risk - 1))
    rows.append(Row(NAME, "max rel. diff, complex Newton vs scalar reduction (1000 pts)", 0.0, float(rel),
                    "second method (CompiledSystem on (nu1, nu2))", 1e-9))
    rows.append(Row(NAME, "fraction of Newton points converged", 1.0, float(np.isfinite(newton.risk).mean()),
                    "convergence report", 0.0))

    # (3) limits
    for p2, lam in ((0.5, 0.1), (1.5, 1e-3)):
        rows.append(Row(NAME, f"psi1 = inf, psi2 = {p2}, lambda = {lam}", float(rf_risk(ACT, np.inf, p2, lam, **kw).risk),
                        float(kernel_ridge_limit(p2, lam, mu1, mus, **kw)),
                        "closed form: ridge with kernel mu1^2 XX^T/d + mu*^2 I", 1e-10))
    for p1, lam in ((0.5, 0.1), (2.0, 1e-3)):
        rows.append(Row(NAME, f"psi2 = inf, psi1 = {p1}, lambda = {lam}", float(rf_risk(ACT, p1, np.inf, lam, **kw).risk),
                        float(approximation_error_limit(p1, lam, mu1, mus, f1=1.0)),
                        "closed form: approximation error via Marchenko–Pastur", 1e-10))
    z = mu1 / mus
    chi_small = rf_bias_variance(np.array([0.5, 3.0]), psi2, 1e-12, z)[0]
    rows.append(Row(NAME, "chi at lambda = 1e-12 vs ridgeless closed form", 0.0,
                    float(np.max(np.abs(chi_small - ridgeless_chi(np.minimum([0.5, 3.0], psi2), z)))),
                    "closed form (Mei–Montanari ridgeless)", 1e-5))
    rows.append(Row(NAME, "risk at lambda = 1e9 (null predictor: F1^2)", float(rf_risk(ACT, 2, 1.5, 1e9, **kw).risk),
                    1.0, "limit lambda -> inf", 1e-6))

    # (4) simulation
    d = ctx.size(150, 60)
    reps = ctx.size(8, 4)
    sims = []
    for k, rr in enumerate((0.3, 0.6, 1.0, 1.6, 3.0)):
        N, n = round(rr * psi2 * d), round(psi2 * d)
        th = float(rf_risk(ACT, N / d, n / d, 1e-3, **kw).risk)
        s = simulate_rf(ACT, d, N, n, 1e-3, reps=reps, seed=100 * k, **kw)
        bias = (0.10 if 0.5 <= rr <= 2.0 else 0.05) * th
        rows.append(Row(NAME, f"risk at psi1/psi2 = {N / n:.3g}, lambda = 1e-3", th, s.mean,
                        f"simulation d={d}, N={N}, n={n}, {reps} reps", 4 * s.se + bias, s.se,
                        note=f"finite-size allowance {bias:.3g}"))
        sims.append((N / n, s.mean, s.se))

    with ctx.figure() as fig:
        if fig is not None:
            _, ax = fig
            for lam, sty in ((0.0, "k:"), (1e-3, "k-"), (1e-2, "C0-"), (1e-1, "C2-")):
                c = rf_risk(ACT, ratio * psi2, psi2, lam, **kw)
                ax.plot(ratio, c.risk, sty, lw=1.3, label=f"theory, lambda = {lam:g}")
            sx, sm, ss = map(np.asarray, zip(*sims))
            ax.errorbar(sx, sm, yerr=2 * ss, fmt="o", ms=4, capsize=2, color="C3",
                        label=f"simulation d = {d}, lambda = 1e-3 (± 2 SE)")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_ylim(0.3, 30)
            ax.set_xlabel("psi1 / psi2 = N / n")
            ax.set_ylabel("excess risk E(f - f_hat)^2")
            ax.set_title(f"Random features, centred ReLU, psi2 = {psi2}, F1 = 1, tau^2 = 0.25", fontsize=9)
            ax.legend(fontsize=7)
    return rows


if __name__ == "__main__":
    raise SystemExit(main_for(run, __file__))
