"""Noise injection during training approaches a weighted ridge as the number of copies grows
(Dhifallah & Lu 2021, arXiv:2102.07379; REFERENCES.md paper 10, reconstructed derivation).

Normalisation (rmtsym.models.noise_injection): x ~ N(0, I_d), F iid N(0, 1/d), features sigma(F x);
L copies x + Delta g; objective (1/(nL)) sum (y - w^T phi)^2 + lambda ||w||^2; clean test error with
label noise included; y = beta^T x/sqrt d + 0.3 xi, ||beta||^2 = d. Setting of REFERENCES item 4:
d = 200, p = 300, n = 400, lambda = 1e-3, Delta = 0.5 (quick: d = 100, p = 150, n = 200).

Checks: the REFERENCES numbers for (a, b); the ReLU closed form against the numeric Hermite path
(second method); the exact split of the L-copy objective (machine precision); C ~ aFF^T + bI against
a Monte Carlo covariance at d = p = 200 (noise-debiased cross estimator; REFERENCES 3.7% / 5%); the
Delta = 0 theory against the Mei–Montanari formula (second method); the L -> oo theory against
the simulated weighted ridge (4 SE + 3% finite-size allowance; 8% under --quick); noise
injection at L = 50 against the weighted ridge (paired, 4 SE + 3% finite-L allowance); the 1/L
extrapolation of L = 10, 50 against the weighted ridge (paired, 4 SE + 1%).
Finite L: the two-population theory (noise_injection_risk, effective penalty ((L-1)/(L + delta_2)) C,
peak at p = nL) against the simulated L-copy points (4 SE + 3% finite-size allowance; 8% under
--quick), and the paired L-copy minus weighted-ridge differences (4 SE + 3% of the weighted ridge);
its L = oo limit against weighted_ridge_risk (1e-10).
"""

from __future__ import annotations

import numpy as np

from rmtsym.models.noise_injection import (NOISE_INJECTION, SPLIT_LATEX, noise_injection_constants,
                                           noise_injection_risk, split_objective, weighted_ridge_risk,
                                           weighted_ridge_weights)
from rmtsym.models.random_features import rf_risk
from rmtsym.simulate.noise_injection import mc_feature_covariance, simulate_noise_injection
from rmtsym.tour import Row, TourContext, main_for

TITLE = "Noise injection (Dhifallah–Lu): L noisy copies approach the weighted ridge a||F^T w||^2 + (b + lambda)||w||^2"
NAME = "noise-injection-weighted-ridge"
COPIES = (1, 2, 5, 10, 50)


def run(ctx: TourContext) -> list[Row]:
    rows: list[Row] = []
    ctx.write_latex(NOISE_INJECTION.latex() + "\n% exact split and smoothing\n\\begin{gathered}\n"
                    + SPLIT_LATEX.replace("\n", " \\\\\n") + "\n\\end{gathered}")

    # (1) weights: reference numbers and a second method
    for act, (ra, rb) in (("tanh", (0.07980, 0.01948)), ("relu", (0.0625, 0.04555))):
        a, b = weighted_ridge_weights(act, 0.5)
        rows.append(Row(NAME, f"a, {act}, Delta = 0.5", a, ra, "REFERENCES.md paper 10 (4 digits)", 5e-6))
        rows.append(Row(NAME, f"b, {act}, Delta = 0.5", b, rb, "REFERENCES.md paper 10 (4 digits)", 5e-6))
    ex, num = noise_injection_constants("relu", 0.5), noise_injection_constants("relu(z)", 0.5)
    rows.append(Row(NAME, "b, ReLU: arc-cosine closed form vs numeric Hermite series", ex.b, num.b,
                    "second method (Hermite coefficients of sigma(s z), degree 60)", 1e-9))

    # (2) exact split
    rng = np.random.default_rng(0)
    F = rng.standard_normal((9, 6)) / np.sqrt(6)
    Phi = np.tanh((rng.standard_normal((7, 1, 6)) + 0.5 * rng.standard_normal((7, 5, 6))) @ F.T)
    lhs, rhs = split_objective(rng.standard_normal(7), Phi, rng.standard_normal(9))
    rows.append(Row(NAME, "exact split: max |mean of copies' losses - (mean loss + w^T Chat w)|", 0.0,
                    float(np.max(np.abs(lhs - rhs))), "direct evaluation, n = 7, L = 5, p = 9", 1e-12))

    # (3) Gaussian-equivalent covariance
    dc = ctx.size(200, 100)
    Fc = np.random.default_rng(1).standard_normal((dc, dc)) / np.sqrt(dc)
    for act, tol in (("tanh", 0.05), ("relu", 0.065)):
        C1 = mc_feature_covariance(act, Fc, 0.5, n_inputs=200, copies=100, seed=2)
        C2 = mc_feature_covariance(act, Fc, 0.5, n_inputs=200, copies=100, seed=3)
        a, b = weighted_ridge_weights(act, 0.5)
        M = a * Fc @ Fc.T + b * np.eye(dc)
        rel = float(np.sqrt(max(np.sum((C1 - M) * (C2 - M)), 0.0) / np.sum(C1 * C2)))
        t = tol if dc >= 200 else 1.5 * tol
        rows.append(Row(NAME, f"rel. Frobenius error of aFF^T + bI, {act}, d = p = {dc}", 0.0, rel,
                        "Monte Carlo covariance, 2 x 200 inputs x 100 copies (cross estimator)", t,
                        note="REFERENCES: 3.7% (tanh), 5% (ReLU) at d = p = 200"))

    # (4) theory at Delta = 0 against Mei–Montanari
    for act in ("tanh", "relu"):
        ours = float(weighted_ridge_risk(act, 0.0, p=300, n=400, d=200, ridge=1e-3).test_error)
        mm = float(rf_risk(act, 1.5, 2.0, 1e-3 * 200 / 300, f1=1.0, noise=0.09).risk) + 0.09
        rows.append(Row(NAME, f"test error, Delta = 0, {act} (p, n, d) = (300, 400, 200)", ours, mm,
                        "second method: Mei–Montanari fixed point, lambda_MM = lambda d/p", 1e-6 * mm))

    # (5) simulation: error vs L
    d = ctx.size(200, 100)
    p, n = 3 * d // 2, 2 * d
    reps = ctx.size(6, 4)
    curves = {}
    for k, act in enumerate(("tanh", "relu")):
        r = simulate_noise_injection(act, d, p, n, 1e-3, 0.5, copies=COPIES, reps=reps, seed=50 * k)
        th = float(weighted_ridge_risk(act, 0.5, p=p, n=n, d=d, ridge=1e-3).test_error)
        w, se = r.mean("weighted"), r.se("weighted")
        fb = (0.03 if d >= 200 else 0.08) * th
        rows.append(Row(NAME, f"test error L -> oo (weighted ridge), {act}", th, w,
                        f"simulation of the weighted ridge d={d}, p={p}, n={n}, {reps} reps", 4 * se + fb, se,
                        note=f"finite-size allowance {fb:.3g}"))
        dm, dse = r.diff("L=50", "weighted")
        rows.append(Row(NAME, f"noise injection L = 50 minus weighted ridge, {act}", 0.0, dm,
                        "paired simulation (same data, nested copies)", 4 * dse + 0.03 * w, dse,
                        note="finite-L allowance 3% (gap ~ 1/L)"))
        dx = r.values["L=50"] * 50 / 40 - r.values["L=10"] * 10 / 40 - r.values["weighted"]
        rows.append(Row(NAME, f"1/L extrapolation from L = 10, 50 minus weighted ridge, {act}", 0.0,
                        float(dx.mean()), "paired simulation", 4 * float(dx.std(ddof=1) / np.sqrt(dx.size)) + 0.01 * w,
                        float(dx.std(ddof=1) / np.sqrt(dx.size))))
        # finite-L theory against the simulated L-copy points
        thL = noise_injection_risk(act, 0.5, [*COPIES, np.inf], p, n, d, 1e-3).test_error
        rows.append(Row(NAME, f"finite-L theory at L = oo vs weighted_ridge_risk, {act}", float(thL[-1]), th,
                        "second code path (two-population equations with the second population deterministic)",
                        1e-10 * th))
        for i, L in enumerate(COPIES):
            k = f"L={L}"
            m, se = r.mean(k), r.se(k)
            rows.append(Row(NAME, f"test error L = {L} (finite-L theory), {act}", float(thL[i]), m,
                            f"simulated noise injection d={d}, p={p}, n={n}, {reps} reps", 4 * se + fb / th * thL[i],
                            se, note=f"finite-size allowance {fb / th * thL[i]:.3g}"))
            dm, dse = r.diff(k, "weighted")
            rows.append(Row(NAME, f"L = {L} minus L = oo: finite-L theory vs paired simulation, {act}",
                            float(thL[i] - thL[-1]), dm, "paired simulation (same data, nested copies)",
                            4 * dse + 0.03 * w, dse))
        curves[act] = (r, th, thL)

    with ctx.figure() as fig:
        if fig is not None:
            _, ax = fig
            Lg = np.unique(np.round(np.geomspace(1, max(COPIES), 40)).astype(int))
            for j, (act, (r, th, thL)) in enumerate(curves.items()):
                c = f"C{j}"
                m = [r.mean(f"L={L}") for L in COPIES]
                s = [r.se(f"L={L}") for L in COPIES]
                ax.errorbar(COPIES, m, yerr=2 * np.asarray(s), fmt="o-", ms=4, capsize=2, color=c,
                            label=f"{act}: noise injection, L copies (sim ± 2 SE)")
                wm, ws = r.mean("weighted"), r.se("weighted")
                ax.axhspan(wm - 2 * ws, wm + 2 * ws, color=c, alpha=0.15,
                           label=f"{act}: explicit weighted ridge (sim ± 2 SE)")
                ax.axhline(th, color=c, ls="--", lw=1.2, label=f"{act}: theory L -> oo")
                tc = noise_injection_risk(act, 0.5, Lg, p, n, d, 1e-3).test_error
                ax.plot(Lg, tc, "-", color=c, lw=2, alpha=0.6, label=f"{act}: finite-L theory")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("number of noisy copies L")
            ax.set_ylabel("clean test error")
            ax.set_title(f"Noise injection, Delta = 0.5, d = {d}, p = {p}, n = {n}, lambda = 1e-3", fontsize=9)
            ax.legend(fontsize=7)
    return rows


if __name__ == "__main__":
    raise SystemExit(main_for(run, __file__))
