"""In-context learning of linear regression by linear attention (Lu, Letey, Zavatone-Veth, Maiti &
Pehlevan 2024/2025; REFERENCES.md paper 2): double descent in tau = n/d^2 and the kappa transition.

Normalisation (rmtsym.models.icl): x ~ N(0, I_d/d), l = alpha d, n = tau d^2, k = kappa d tasks,
label-noise variance rho, penalty (n/d) lambda ||Gamma||^2; ICL error on fresh tasks (noise included).
Setting of the figures: alpha = 1, rho = 0.25.

Checks: the REFERENCES values of the authors' published functions (Result 1, ridge, IDG); the
kappa -> oo closed form; lambda -> 0 against Result 1 on both sides of tau = 1; the ridge peak
location (REFERENCES: about 0.94); the kappa transition (knee of e_ICL vs log kappa, located by Brent)
against a dense grid and against the corners kappa = 1 (tau > 1) and kappa = tau
(tau < 1) as x* -> 0; the compiled derivation against the vectorised evaluator;
simulation of the reduced model at d = 20 and 30 (quick: 12 and 18), extrapolated in 1/d, tolerance
4 SE of the extrapolate + 0.05 (stated allowance for the O(1/d^2) remainder; raw finite-d bias is
+10-15% at d = 30 and is reported in the note).
"""

from __future__ import annotations

import numpy as np

from rmtsym.models.icl import (ICL_LINEAR_ATTENTION, icl_error, icl_error_kappa_inf, icl_kappa_transition,
                               idg_error)
from rmtsym.simulate.icl import extrapolate_1_over_d, simulate_icl
from rmtsym.tour import Row, TourContext, main_for

TITLE = "In-context learning by linear attention: double descent in tau and the kappa transition (Lu et al.)"
NAME = "icl-linear-attention"
A, R = 1.0, 0.25


def _sim(ctx, tau, kappa, ridge, seed):
    ds = (ctx.size(20, 12), ctx.size(30, 18))
    reps = ctx.size(8, 3)
    res = [simulate_icl(tau, A, R, kappa, d=d, ridge=ridge, reps=reps, seed=seed + 100 * d) for d in ds]
    a, se = extrapolate_1_over_d(ds, [r.icl_mean for r in res], [r.icl_se for r in res])
    return ds, reps, res, a, se


def run(ctx: TourContext) -> list[Row]:
    rows: list[Row] = []
    ctx.write_latex(ICL_LINEAR_ATTENTION.latex())

    # (1) reference values
    for q, th, ref, tol in (("e_ICL (.5, .5, .1, .5)", icl_error(.5, .5, .1, .5), 1.66331, 5e-6),
                            ("e_ICL (10, 1, .25, 2)", icl_error(10, 1, .25, 2), 0.97099, 5e-6),
                            ("e_ICL (.5, .5, .1, .5), lambda = .1", icl_error(.5, .5, .1, .5, .1), 1.586071, 5e-7),
                            ("e_IDG (.5, .5, .1, .5)", idg_error(.5, .5, .1, .5), 1.303638, 5e-7)):
        rows.append(Row(NAME, q, float(th), ref, "REFERENCES.md paper 2 (authors' published function)", tol))

    # (2) limits and second method
    for tau in (1.5, 4.0):
        rows.append(Row(NAME, f"kappa = inf, tau = {tau}", float(icl_error(tau, A, R, np.inf)),
                        float(icl_error_kappa_inf(tau, A, R)), "closed form tau/(tau-1)(rho + x(1 - x m))", 1e-12))
    for tau in (0.7, 1.3):
        e0 = float(icl_error(tau, A, R, 2.0))
        rows.append(Row(NAME, f"lambda = 1e-10 vs ridgeless, tau = {tau}, kappa = 2",
                        float(icl_error(tau, A, R, 2.0, 1e-10)), e0, "limit lambda -> 0 (Result 1)", 1e-6 * e0))
    t = np.linspace(0.5, 1.5, 2001)
    rows.append(Row(NAME, "argmax_tau e_ICL, lambda = 0.1, kappa = 2", float(t[np.argmax(icl_error(t, A, R, 2.0, 0.1))]),
                    0.94, "REFERENCES.md (about 0.94)", 0.01))
    # kappa transition: knee of e_ICL(log kappa) (Brent) vs a dense grid, and -> kappa = 1 as x* -> 0
    kk = np.geomspace(1e-3, 1e3, 40001)
    LL = np.log(kk)
    kd = float(kk[np.argmax(np.gradient(np.gradient(icl_error(2.0, A, R, kk), LL), LL))])
    rows.append(Row(NAME, "kappa transition (knee of e_ICL vs log kappa), tau = 2", icl_kappa_transition(2.0, A, R),
                    kd, "dense-grid argmax of d2e/dlog(kappa)^2", 3 * (LL[1] - LL[0]) * kd))
    rows.append(Row(NAME, "kappa transition, tau = 2, alpha = 1e4, rho = 0", icl_kappa_transition(2.0, 1e4, 0.0), 1.0,
                    "MP corner at kappa = 1 as x* -> 0 (authors' README)", 1e-3))
    rows.append(Row(NAME, "kappa transition, tau = 0.5, alpha = 1e4, rho = 0", icl_kappa_transition(0.5, 1e4, 0.0), 0.5,
                    "corner at kappa = tau (tau < 1) as x* -> 0", 1e-3))
    sol = ICL_LINEAR_ATTENTION.compile().solve({"tau": 3.0, "alpha": A, "rho": R, "kappa": 2.0})
    rows.append(Row(NAME, "compiled derivation (m, q by Newton) vs evaluator, tau = 3",
                    complex(sol["e_icl_tau_gt_1"]).real, float(icl_error(3.0, A, R, 2.0)), "second method", 1e-9))

    # (3) simulation, extrapolated in 1/d
    sims = {}
    for k, (tau, kappa, lam) in enumerate(((0.5, 2.0, 0.1), (2.0, 2.0, 0.1), (3.0, 2.0, 0.0), (2.0, 0.5, 0.0),
                                           (2.0, 8.0, 0.0))):
        ds, reps, res, a, se = _sim(ctx, tau, kappa, lam, 1000 * k)
        th = float(icl_error(tau, A, R, kappa, lam))
        raw = ", ".join(f"d={r.d}: {r.icl_mean:.3f}±{r.icl_se:.3f}" for r in res)
        rows.append(Row(NAME, f"e_ICL at tau = {tau}, kappa = {kappa}, lambda = {lam}", th, a,
                        f"simulation d = {ds}, {reps} reps, extrapolated in 1/d", 4 * se + 0.05, se,
                        note=f"raw {raw} (finite-d bias positive)"))
        sims[(tau, kappa, lam)] = (res, a, se)

    with ctx.figure("-tau") as fig:
        if fig is not None:
            _, ax = fig
            tt = np.linspace(0.05, 5, 800)
            for lam, sty in ((0.0, "k-"), (0.1, "C0-"), (1.0, "C2-")):
                ax.plot(tt, icl_error(tt, A, R, 2.0, lam), sty, lw=1.3, label=f"theory, kappa = 2, lambda = {lam:g}")
            for (tau, kappa, lam), (res, a, se) in sims.items():
                if kappa == 2.0:
                    c = "k" if lam == 0 else "C0"
                    ax.errorbar([tau], [a], yerr=[2 * se], fmt="o", color=c, ms=4, capsize=2)
                    ax.plot([tau], [res[-1].icl_mean], "x", color=c, ms=5)
            ax.plot([], [], "ko", ms=4, label="simulation, extrapolated in 1/d (± 2 SE)")
            ax.plot([], [], "kx", ms=5, label=f"simulation, d = {res[-1].d} (raw)")
            ax.set_ylim(0.5, 6)
            ax.set_xlabel("tau = n / d^2")
            ax.set_ylabel("ICL error")
            ax.set_title("Linear attention, alpha = 1, rho = 0.25: peak at tau = 1 (ridgeless)", fontsize=9)
            ax.legend(fontsize=7)
    with ctx.figure("-kappa") as fig:
        if fig is not None:
            _, ax = fig
            kk = np.geomspace(0.05, 50, 400)
            for tau, sty in ((2.0, "k-"), (5.0, "C1-")):
                ax.plot(kk, icl_error(tau, A, R, kk), sty, lw=1.3, label=f"ICL, tau = {tau:g}")
                ax.plot(kk, idg_error(tau, A, R, kk), sty.replace("-", "--"), lw=1.0, label=f"IDG, tau = {tau:g}")
                kc = icl_kappa_transition(tau, A, R)
                ax.axvline(kc, color=sty[:-1], ls=":", lw=0.8)
                ax.plot([kc], [float(icl_error(tau, A, R, kc))], sty[:-1] + "v", ms=5,
                        label=f"transition (knee) kappa = {kc:.3f}, tau = {tau:g}")
            for (tau, kappa, lam), (res, a, se) in sims.items():
                if tau == 2.0 and lam == 0:
                    ax.errorbar([kappa], [a], yerr=[2 * se], fmt="ko", ms=4, capsize=2)
            ax.plot([], [], "ko", ms=4, label="simulation ICL, extrapolated in 1/d")
            ax.set_xscale("log")
            ax.set_xlabel("kappa = k / d (task diversity)")
            ax.set_ylabel("error")
            ax.set_title("Memorisation -> in-context learning transition in kappa (alpha = 1, rho = 0.25)", fontsize=9)
            ax.legend(fontsize=7)
    return rows


if __name__ == "__main__":
    raise SystemExit(main_for(run, __file__))
