"""LASSO phase transition (Donoho–Maleki–Montanari) and the Bayes-optimal MSE of AMP vs delta.

Normalisation (rmtsym.amp.separable / rmtsym.amp.phase): y = A x0 + w, A_ij iid N(0, 1/n), delta = n/N,
x0 ~ (1 - eps) delta_0 + eps N(0,1), rho = k/n = eps/delta. Rows:

- rho_SE(delta) (parametric closed form, arXiv:0907.3574) against (a) direct maximisation over the
  threshold of the SE slope F'(0) computed by the separable module's derivative (eps* by Brent), and
  (b) the l1 descent-cone statistical dimension of Amelunxen–Lotz–McCoy–Tropp (arXiv:1303.6672),
  inverted by Brent with the tail integral by quad; the delta -> 0 law rho ~ 1/(2 ln(1/delta))
  (Donoho–Tanner 2009);
- basis pursuit (l1 minimisation by scipy's HiGHS LP) at N = 300 (quick 160) on both sides of the
  curve (success fraction; finite-N allowance 0.34);
- LASSO AMP (N = 2000, noiseless, 200 iterations) succeeds at 0.85 rho_SE and fails at 1.15 rho_SE
  (stated levels 1e-6 and 1e-4; indicator rows);
- optimally tuned LASSO MSE and Bayes-optimal AMP MSE against AMP runs (4 seeds, 3 under --quick;
  tolerance 4 SE of the seed mean + finite-size allowance 10%, 15% under --quick);
- the replica potential's stationary points (Brent on its numerical derivative) against the SE fixed
  points; the I-MMSE mutual information against the entropy integral; the spinodal delta_alg (extremum
  of delta(snr)) against a bisection on delta of the largest fixed point from a root scan;
- the generic symbolic engine (rmtsym.amp.state_evolution: BAYES_BG, LASSO_BG) as a second method
  for mmse(snr), the Bayes-optimal AMP fixed points and the optimally tuned LASSO MSE.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq, linprog, minimize_scalar

from rmtsym.amp.phase import (
    AMP_BAYES_BG_SE, AMP_LASSO_PHASE_TRANSITION, bayes_optimal_curve, bayes_se_trajectory, bayes_thresholds,
    bg_mmse, bg_mutual_information, lasso_optimal_mse, lasso_phase_transition, rs_potential,
)
from rmtsym.amp.separable import lasso_se_map_derivative, lasso_se_trajectory, lasso_state_evolution
from rmtsym.simulate.amp import run_bayes_amp, run_lasso_amp
from rmtsym.tour import Row, TourContext, main_for

TITLE = ("Donoho–Maleki–Montanari: LASSO/AMP phase transition rho_SE(delta) and the Bayes-optimal "
         "MSE vs delta (Bernoulli–Gaussian prior, spinodal and IT thresholds)")
NAME = "amp-lasso-phase-transition"
EPS, SIG = 0.1, 0.01  # MSE-vs-delta figure: sparsity eps = k/N and noise level


def _slope_max_rho(delta: float) -> float:
    """Second method: max over alpha of eps* with F'(0) = 1 (separable module's derivative)."""
    v = 1e-18

    def eps_star(a):
        if lasso_se_map_derivative(v, delta, 0.0, 1e-12, a) >= 1.0:
            return 0.0
        return brentq(lambda e: lasso_se_map_derivative(v, delta, 0.0, e, a) - 1.0, 1e-12, 1.0, xtol=1e-15)

    r = minimize_scalar(lambda a: -eps_star(a), bounds=(1e-3, 6.0), method="bounded", options={"xatol": 1e-10})
    return -r.fun / delta


def _almt_rho(delta: float) -> float:
    """Independent geometric method: statistical dimension of the l1 descent cone, by quadrature."""
    def tail(t):
        return np.sqrt(2 / np.pi) * quad(lambda u: (u - t) ** 2 * np.exp(-u * u / 2), t, np.inf,
                                         epsabs=1e-14, epsrel=1e-13)[0]

    def dc(e):
        return minimize_scalar(lambda t: e * (1 + t * t) + (1 - e) * tail(t), bounds=(0, 10),
                               method="bounded", options={"xatol": 1e-10}).fun

    return brentq(lambda e: dc(e) - delta, 1e-9, 1 - 1e-9, xtol=1e-14) / delta


def _basis_pursuit_success(N, delta, rho, trials, rng):
    n = int(round(delta * N))
    k = max(1, int(round(rho * n)))
    ok = 0
    for _ in range(trials):
        A = rng.standard_normal((n, N)) / np.sqrt(n)
        x0 = np.zeros(N)
        x0[rng.choice(N, k, replace=False)] = rng.standard_normal(k)
        r = linprog(np.ones(2 * N), A_eq=np.hstack([A, -A]), b_eq=A @ x0, bounds=(0, None), method="highs")
        x = r.x[:N] - r.x[N:]
        ok += np.linalg.norm(x - x0) <= 1e-4 * np.linalg.norm(x0)
    return ok / trials


def _engine_rows(rows):
    """Second method from the generic symbolic SE engine (rmtsym.amp.state_evolution), if importable:
    its Bayes-optimal (posterior-mean) and LASSO models for the Bernoulli–Gaussian prior."""
    try:
        from rmtsym.amp.state_evolution import BAYES_BG, LASSO_BG
    except Exception as exc:  # pragma: no cover - engine absent or broken
        rows.append(Row(NAME, "generic SE engine unavailable: second-method rows skipped", 0.0, 0.0,
                        f"import failed: {type(exc).__name__}", 0.0))
        return
    t2 = np.array([1e-3, 1e-2, 0.1, 1.0])
    for v, x, y in zip(t2, bg_mmse(1 / t2, EPS), BAYES_BG.mse(t2, eps=EPS)):
        rows.append(Row(NAME, f"mmse(snr = {1 / v:g}): Gauss–Hermite (phase.py) vs engine's posterior-mean risk",
                        float(x), float(y), "second method: rmtsym.amp.state_evolution.BAYES_BG.mse (sinh quadrature)",
                        1e-8 * float(x)))
    ds = np.array([0.13, 0.17, 0.35])
    mine = bayes_optimal_curve(ds, SIG, EPS, thresholds=False).mse_amp
    eng = BAYES_BG.fixed_point(ds, SIG, eps=EPS)
    for d, x, y, c in zip(ds, mine, eng.mse, eng.converged):
        rows.append(Row(NAME, f"BO AMP fixed point, delta = {d}: root scan (phase.py) vs engine's iteration",
                        float(x), float(y) if c else float("nan"),
                        "second method: BAYES_BG.fixed_point (accelerated SE iteration from x = 0)", 1e-7 * float(x)))
    for d in (0.5, 0.8):
        o = lasso_optimal_mse(d, SIG, EPS)
        r = LASSO_BG.fixed_point(d, SIG, eps=EPS, alpha=float(o.alpha))
        rows.append(Row(NAME, f"optimally tuned LASSO MSE, delta = {d}: phase.py vs engine at alpha*", float(o.mse),
                        float(r.mse), "second method: LASSO_BG.fixed_point (symbolic closed form)", 1e-9 * float(o.mse)))


def run(ctx: TourContext) -> list[Row]:
    rows: list[Row] = []
    ctx.write_latex(AMP_LASSO_PHASE_TRANSITION.latex())
    ctx.write_latex(AMP_BAYES_BG_SE.latex(), "-bayes")

    # (1) the curve: closed form vs two independent methods, and the delta -> 0 law
    dchk = [0.1, 0.25, 0.5, 0.75]
    pt = lasso_phase_transition(dchk)
    almt = {}
    for d, r in zip(dchk, pt.rho):
        rows.append(Row(NAME, f"rho_SE({d}) closed form vs max_alpha of SE-slope root", float(r), _slope_max_rho(d),
                        "second method: separable.lasso_se_map_derivative at tau^2 = 1e-18, Brent + scipy bounded max",
                        1e-7))
        almt[d] = _almt_rho(d)
        rows.append(Row(NAME, f"rho_SE({d}) vs l1 statistical dimension (ALMT)", float(r), almt[d],
                        "independent geometric method: min_t of the descent-cone width by quad, inverted by Brent",
                        1e-8))
    dsmall = np.array([1e-8, 1e-30])
    ratio = lasso_phase_transition(dsmall).rho * 2 * np.log(1 / dsmall)
    for d, q in zip(dsmall, ratio):
        rows.append(Row(NAME, f"rho_SE(delta) * 2 ln(1/delta) at delta = {d:g}", 1.0, float(q),
                        "Donoho–Tanner 2009 asymptotic of the weak l1 threshold (log-slow)", 0.035))

    # (2) basis pursuit by LP on both sides of the curve (a third, combinatorial-geometry witness)
    rng = np.random.default_rng(7)
    Nbp, trials = ctx.size(300, 160), ctx.size(8, 4)
    for d in (0.25, 0.5):
        r0 = float(lasso_phase_transition(d).rho)
        for f, th in ((0.75, 1.0), (1.25, 0.0)):
            frac = _basis_pursuit_success(Nbp, d, f * r0, trials, rng)
            rows.append(Row(NAME, f"l1-minimisation success fraction, delta = {d}, rho = {f} rho_SE", th, frac,
                            f"scipy linprog (HiGHS), N = {Nbp}, {trials} trials, exactly k nonzeros", 0.34,
                            note="finite-N transition width allowance 0.34"))

    # (3) LASSO AMP on both sides of the curve (noiseless); N = 2000 also under --quick (at N = 1000 the
    # finite-size transition zone reaches 0.85 rho_SE at delta = 0.5)
    N = ctx.size(2000, 1000)
    for d in (0.25, 0.5):
        p = lasso_phase_transition(d)
        below = run_lasso_amp(2000, d, 0.0, 0.85 * float(p.eps), float(p.alpha), 200, seed=0)
        above = run_lasso_amp(2000, d, 0.0, 1.15 * float(p.eps), float(p.alpha), 200, seed=0)
        se_above = lasso_state_evolution(d, 0.0, 1.15 * float(p.eps), float(p.alpha), iters=200_000)
        rows.append(Row(NAME, f"AMP succeeds (MSE_200 < 1e-6), delta = {d}, rho = 0.85 rho_SE", 1.0,
                        float(below.mse[-1] < 1e-6), "LASSO AMP on a matrix, N = 2000, sigma = 0, minimax alpha", 0.0,
                        note=f"MSE_200 = {below.mse[-1]:.3g}; SE: tau^2 -> 0 at rate F'(0) ~ 0.9"))
        rows.append(Row(NAME, f"AMP fails (MSE_200 > 1e-4), delta = {d}, rho = 1.15 rho_SE", 1.0,
                        float(above.mse[-1] > 1e-4), "LASSO AMP on a matrix, N = 2000, sigma = 0, minimax alpha", 0.0,
                        note=f"MSE_200 = {above.mse[-1]:.3g}; SE fixed point MSE {float(se_above.mse):.3g}"))

    # (4) figure 1: phase diagram with second-method points and AMP markers
    Nf = ctx.size(1000, 400)
    grid = [(d, f) for d in (0.2, 0.35, 0.5, 0.65, 0.8) for f in (0.7, 1.3)]
    marks = []
    for d, f in grid:
        p = lasso_phase_transition(d)
        r = run_lasso_amp(Nf, d, 0.0, f * float(p.eps), float(p.alpha), 150, seed=1)
        marks.append((d, f * float(p.rho), r.mse[-1] < 1e-6))
    with ctx.figure("_phase") as fig:
        if fig is not None:
            _, ax = fig
            dg = np.linspace(0.005, 0.999, 300)
            ax.plot(dg, lasso_phase_transition(dg).rho, "k-", lw=2, label=r"$\rho_{SE}(\delta)$ closed form (DMM)")
            ax.plot(list(almt), list(almt.values()), "s", mfc="none", mec="C3", ms=9,
                    label="l1 statistical dimension (ALMT), 2nd method")
            for ok, mk, c, lab in ((True, "o", "C2", "AMP success (MSE < 1e-6)"), (False, "x", "C1", "AMP failure")):
                pts = [(d, r) for d, r, s in marks if s == ok]
                if pts:
                    ax.plot(*zip(*pts), mk, color=c, ms=7, label=f"{lab}, N = {Nf}")
            ax.set_xlabel(r"$\delta = n/N$")
            ax.set_ylabel(r"$\rho = k/n$")
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_title("LASSO / AMP phase transition (noiseless, Bernoulli–Gaussian)", fontsize=9)
            ax.legend(fontsize=7, loc="upper left")

    # (5) optimally tuned LASSO MSE vs AMP runs
    seeds = ctx.size(4, 3)
    fb = 0.10 if N >= 2000 else 0.15
    lasso_pts = []
    for d in (0.4, 0.6, 0.8):
        o = lasso_optimal_mse(d, SIG, EPS)
        T = 120
        _, se_traj = lasso_se_trajectory(d, SIG, EPS, float(o.alpha), T)
        m = np.array([run_lasso_amp(N, d, SIG, EPS, float(o.alpha), T, seed=s).mse[-1] for s in range(seeds)])
        mean, se = float(m.mean()), float(m.std(ddof=1) / np.sqrt(seeds))
        rows.append(Row(NAME, f"optimally tuned LASSO MSE, delta = {d}, sigma = {SIG}, eps = {EPS}", float(o.mse),
                        mean, f"LASSO AMP, N = {N}, {seeds} seeds, {T} iterations, alpha* = {float(o.alpha):.4f}",
                        4 * se + fb * float(o.mse), se, note=f"finite-size allowance {fb:.0%}; SE after {T} its "
                        f"{se_traj[-1]:.3g}"))
        lasso_pts.append((d, mean, se))

    # (6) Bayes-optimal AMP: MSE vs runs, potential, thresholds
    thr = bayes_thresholds(SIG, EPS)
    bo_pts = []
    for d in (0.13, 0.17, 0.35):
        c = bayes_optimal_curve([d], SIG, EPS, thresholds=False)
        T = 60
        _, traj = bayes_se_trajectory(d, SIG, EPS, T)
        m = np.array([run_bayes_amp(N, d, SIG, EPS, T, seed=s).mse[-1] for s in range(seeds)])
        mean, se = float(m.mean()), float(m.std(ddof=1) / np.sqrt(seeds))
        where = ("below delta_low" if d < thr.delta_low else
                 "metastable: AMP stuck, MMSE lower" if d < thr.delta_alg else "above delta_alg")
        rows.append(Row(NAME, f"Bayes-optimal AMP MSE, delta = {d} ({where})", float(traj[-1]), mean,
                        f"posterior-mean AMP, N = {N}, {seeds} seeds, {T} iterations (SE trajectory at t = {T})",
                        4 * se + fb * float(traj[-1]), se, note=f"SE fixed point {float(c.mse_amp[0]):.4g}; "
                        f"MMSE {float(c.mse_bayes[0]):.4g}"))
        bo_pts.append((d, mean, se))
    cm = bayes_optimal_curve([0.19], SIG, EPS, thresholds=False)
    fps = cm.fixed_points[0][np.isfinite(cm.fixed_points[0])]

    def dpot(E, d=0.19):  # central difference of f_RS (I by the I-MMSE quadrature)
        h = 1e-5 * E
        return (float(rs_potential(E + h, d, SIG, EPS)) - float(rs_potential(E - h, d, SIG, EPS))) / (2 * h)

    for E in fps:
        Es = brentq(dpot, E / 1.3, E * 1.3, xtol=1e-16, rtol=1e-12)
        rows.append(Row(NAME, f"stationary point of f_RS near E = {E:.4g} (delta = 0.19) vs SE fixed point", float(E),
                        float(Es), "Brent root of the central-difference derivative of the potential", 1e-6 * E))
    for snr in (2.0, 300.0):
        def integrand(y):
            p = (EPS * np.exp(-y * y / (2 * (1 + snr))) / np.sqrt(2 * np.pi * (1 + snr))
                 + (1 - EPS) * np.exp(-y * y / 2) / np.sqrt(2 * np.pi))
            return -2 * p * np.log(p)
        L = 14 * np.sqrt(1 + snr)
        hY = quad(integrand, 0, L, points=[1, 3, 6, 10], limit=500, epsabs=1e-13, epsrel=1e-12)[0]
        rows.append(Row(NAME, f"I(snr = {snr}) by I-MMSE vs entropy integral", float(bg_mutual_information(snr, EPS)),
                        hY - 0.5 * np.log(2 * np.pi * np.e), "h(Y) - h(Y|X) by adaptive quadrature", 1e-8))

    # spinodal: second method = bisection on delta of the largest SE fixed point (root scan of
    # mmse(snr(E)) - E on a grid of E), where AMP from x = 0 ends
    def amp_good(d):
        return float(bayes_optimal_curve([d], SIG, EPS, thresholds=False).mse_amp[0]) < 1e-3
    a, b = thr.delta_low, 1.5 * thr.delta_alg
    for _ in range(34):
        mid = 0.5 * (a + b)
        a, b = (a, mid) if amp_good(mid) else (mid, b)
    rows.append(Row(NAME, f"delta_alg (saddle-node of delta(snr)), eps = {EPS}, sigma = {SIG}", thr.delta_alg,
                    0.5 * (a + b), "bisection on delta of the largest SE fixed point (grid root scan in E)",
                    1e-6 * thr.delta_alg))
    dit = thr.delta_it
    c_it = bayes_optimal_curve([dit], SIG, EPS, thresholds=False)
    p_it = c_it.potential[0][c_it.stable[0]]
    rows.append(Row(NAME, f"f_RS(good) - f_RS(bad) at delta_IT = {dit:.5f}", 0.0, float(p_it[0] - p_it[-1]),
                    "potentials at the two stable fixed points from an independent root scan", 1e-8))

    _engine_rows(rows)

    # (7) figure 2: MSE vs delta
    dg = np.linspace(0.05, 0.9, 120)
    lo = lasso_optimal_mse(dg, SIG, EPS)
    bo = bayes_optimal_curve(dg, SIG, EPS)
    with ctx.figure("_mse") as fig:
        if fig is not None:
            _, ax = fig
            ax.plot(dg, lo.mse, "C0-", lw=2, label="optimally tuned LASSO (SE)")
            ax.plot(dg, bo.mse_amp, "C3-", lw=2, label="Bayes-optimal AMP (SE from x = 0)")
            ax.plot(dg, bo.mse_bayes, "k--", lw=1.2, label="MMSE (global min of f_RS)")
            for k in range(3):
                ax.plot(dg, np.where(bo.stable[:, k], np.nan, bo.fixed_points[:, k]), ":", color="0.5", lw=1)
            for v, ls, lab in ((thr.delta_low, ":", r"$\delta_{low}$"), (thr.delta_it, "--", r"$\delta_{IT}$"),
                               (thr.delta_alg, "-.", r"$\delta_{alg}$")):
                ax.axvline(v, color="0.4", ls=ls, lw=1, label=f"{lab} = {v:.4f}")
            for pts, c, lab in ((lasso_pts, "C0", "LASSO AMP"), (bo_pts, "C3", "BO AMP")):
                dd, mm, ss = map(np.asarray, zip(*pts))
                ax.errorbar(dd, mm, yerr=2 * ss, fmt="o", color=c, ms=5, capsize=2,
                            label=f"{lab}, N = {N} (± 2 SE)")
            ax.set_yscale("log")
            ax.set_xlabel(r"$\delta = n/N$")
            ax.set_ylabel("MSE per coordinate")
            ax.set_title(f"Bernoulli–Gaussian, eps = {EPS}, sigma = {SIG}", fontsize=9)
            ax.legend(fontsize=6.5)
    return rows


if __name__ == "__main__":
    raise SystemExit(main_for(run, __file__))
