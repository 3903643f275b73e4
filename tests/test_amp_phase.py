"""LASSO phase transition (Donoho–Maleki–Montanari) and the Bayes-optimal Bernoulli–Gaussian curve:
closed forms against independent methods (direct maximisation of the SE slope with the separable
module's derivative, the Amelunxen–Lotz–McCoy–Tropp statistical dimension, adaptive quadrature,
scipy optimisers), limits from the literature, and AMP run on matrices."""

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad
from scipy.optimize import brentq, minimize_scalar
from scipy.special import ndtr

from rmtsym.amp.phase import (
    AMP_BAYES_BG_SE, AMP_LASSO_PHASE_TRANSITION, bayes_optimal_curve, bayes_se_iterate, bayes_se_map,
    bayes_se_trajectory, bayes_thresholds, bg_mmse, bg_mutual_information, l1_statistical_dimension,
    lasso_optimal_alpha, lasso_optimal_mse, lasso_phase_transition, lasso_phase_transition_eps,
    lasso_se_slope_at_zero, posterior_mean_bg, rs_potential,
)
from rmtsym.amp.separable import lasso_se_map_derivative, lasso_state_evolution
from rmtsym.errors import ParameterError
from rmtsym.simulate.amp import run_bayes_amp, run_lasso_amp

DELTAS = [0.05, 0.1, 0.25, 0.5, 0.75, 0.95]


def _phi(x):
    return np.exp(-x * x / 2) / np.sqrt(2 * np.pi)


def _h(a):
    return (1 + a * a) * ndtr(-a) - a * _phi(a)


# ---------------------------------------------------------------- LASSO phase transition
@pytest.mark.parametrize("delta", DELTAS)
def test_phase_transition_vs_slope_maximisation(delta):
    # second method: F'(0) from rmtsym.amp.separable's closed-form derivative (at tau^2 = 1e-18, where
    # the O(sqrt(tau^2)) correction is ~1e-9), eps* with F'(0) = 1 by Brent, maximised over alpha by scipy
    v = 1e-18

    def eps_star(alpha):
        if lasso_se_map_derivative(v, delta, 0.0, 1e-12, alpha) >= 1.0:
            return 0.0  # unstable even for eps -> 0 at this threshold
        return brentq(lambda e: lasso_se_map_derivative(v, delta, 0.0, e, alpha) - 1.0, 1e-12, 1.0,
                      xtol=1e-15)

    res = minimize_scalar(lambda a: -eps_star(a), bounds=(1e-3, 6.0), method="bounded",
                          options={"xatol": 1e-10})
    pt = lasso_phase_transition(delta)
    assert abs(-res.fun / delta - float(pt.rho)) < 1e-7
    assert abs(res.x - float(pt.alpha)) < 1e-3  # flat maximum: the optimiser finds alpha to ~sqrt(1e-9)
    assert abs(float(lasso_phase_transition_eps(delta)) - (-res.fun)) < 1e-7 * delta


@pytest.mark.parametrize("delta", DELTAS)
def test_phase_transition_vs_statistical_dimension(delta):
    # independent geometric route (Amelunxen, Lotz, McCoy & Tropp 2014): delta_c(eps) =
    # min_t eps(1+t^2) + (1-eps) sqrt(2/pi) int_t^oo (u-t)^2 e^{-u^2/2} du, the integral by quad
    def tail(t):
        return np.sqrt(2 / np.pi) * quad(lambda u: (u - t) ** 2 * np.exp(-u * u / 2), t, np.inf,
                                         epsabs=1e-14, epsrel=1e-13)[0]

    def dc(e):
        return minimize_scalar(lambda t: e * (1 + t * t) + (1 - e) * tail(t), bounds=(0, 10),
                               method="bounded", options={"xatol": 1e-10}).fun

    eps = brentq(lambda e: dc(e) - delta, 1e-9, 1 - 1e-9, xtol=1e-14)
    assert abs(eps / delta - float(lasso_phase_transition(delta).rho)) < 1e-8
    assert abs(float(l1_statistical_dimension(eps)) - delta) < 1e-9


def test_phase_transition_literature_limits():
    # Donoho & Tanner (JAMS 2009, "Counting faces ... radically lowers dimension"): the weak
    # threshold of the cross-polytope behaves as rho ~ 1 / (2 ln(1/delta)) as delta -> 0
    # (log-slow: the ratio is within 3% for delta <= 1e-4, within 1% at 1e-100); rho -> 1 as delta -> 1
    d = np.array([1e-4, 1e-8, 1e-30, 1e-100])
    ratio = lasso_phase_transition(d).rho * 2 * np.log(1 / d)
    assert np.all(np.abs(ratio - 1) < 0.035)
    assert abs(ratio[-1] - 1) < 0.01
    r1 = lasso_phase_transition([0.99, 0.9999, 1 - 1e-8]).rho  # 1 - rho ~ alpha sqrt(pi/2) -> 0
    assert np.all(np.diff(r1) > 0) and r1[-1] > 0.9998
    # parametric form equals the max over alpha of the closed form on a fine grid
    a = np.linspace(1e-3, 4, 400001)
    for delta in (0.1, 0.5):
        brute = np.max((1 - 2 * _h(a) / delta) / (1 + a * a - 2 * _h(a)))
        assert abs(brute - float(lasso_phase_transition(delta).rho)) < 1e-9


@pytest.mark.parametrize("delta", [0.1, 0.5, 0.9])
def test_slope_at_curve_is_one(delta):
    pt = lasso_phase_transition(delta)
    assert abs(float(lasso_se_slope_at_zero(delta, pt.eps, pt.alpha)) - 1) < 1e-12
    # the separable module's derivative at tau^2 -> 0 (correction O(sqrt(tau^2)) ~ 1e-8)
    assert abs(lasso_se_map_derivative(1e-16, delta, 0.0, float(pt.eps), float(pt.alpha)) - 1) < 1e-6
    # and the curve's alpha is the slope-minimising threshold at that eps
    assert abs(float(lasso_optimal_alpha(delta, pt.eps)) - float(pt.alpha)) < 1e-9


@pytest.mark.parametrize("delta", [0.25, 0.5])
def test_lasso_amp_succeeds_below_fails_above(delta):
    # N = 2000, noiseless, threshold = the curve's minimax alpha. SE: below (rho = 0.85 rho_SE) tau^2 -> 0
    # geometrically at rate F'(0) ~ 0.9, so after 200 iterations MSE ~ 1e-10 eps; above (1.15 rho_SE) SE
    # converges to a positive fixed point with MSE 2.8e-3 (delta = .25) / 6.9e-3 (.5), approached from
    # above. Stated levels: success MSE < 1e-6, failure MSE > 1e-4 (finite-N spread of the realised
    # sparsity moves the failure MSE by a factor ~3 between seeds; the levels leave two decades)
    pt = lasso_phase_transition(delta)
    below = run_lasso_amp(2000, delta, 0.0, 0.85 * float(pt.eps), float(pt.alpha), 200, seed=0)
    above = run_lasso_amp(2000, delta, 0.0, 1.15 * float(pt.eps), float(pt.alpha), 200, seed=0)
    se = lasso_state_evolution(delta, 0.0, 1.15 * float(pt.eps), float(pt.alpha), iters=200_000)
    assert bool(se.converged) and float(se.mse) > 1e-3
    assert below.mse[-1] < 1e-6
    assert above.mse[-1] > 1e-4


@pytest.mark.parametrize("delta,sigma,eps", [(0.5, 0.1, 0.1), (0.25, 0.05, 0.05), (0.8, 0.3, 0.2)])
def test_lasso_optimal_mse_vs_scipy(delta, sigma, eps):
    # second method: scipy bounded minimisation of the fixed-point MSE computed by iterating the
    # separable module's SE map (different solver, different code)
    f = lambda a: float(lasso_state_evolution(delta, sigma, eps, a, tol=1e-14).mse)  # noqa: E731
    res = minimize_scalar(f, bounds=(0.05, 5), method="bounded", options={"xatol": 1e-9})
    r = lasso_optimal_mse(delta, sigma, eps)
    assert bool(r.converged)
    assert abs(float(r.mse) - res.fun) < 1e-10 + 1e-8 * res.fun
    assert abs(float(r.alpha) - res.x) < 1e-3


def test_lasso_optimal_mse_noiseless_is_zero_exactly_below_curve():
    eps_star = float(lasso_phase_transition_eps(0.5))
    r = lasso_optimal_mse([0.5, 0.5], 0.0, [0.9 * eps_star, 1.1 * eps_star])
    assert r.mse[0] < 1e-14 and r.mse[1] > 1e-3


# ---------------------------------------------------------------- Bernoulli–Gaussian MMSE
def _mmse_quad(snr, eps):
    """Independent formula: eps - E[E[X|Y]^2], adaptive quadrature over y."""
    s2 = 1 / snr

    def p_and_mean(y):
        a = eps * np.exp(-y * y / (2 * (1 + s2))) / np.sqrt(2 * np.pi * (1 + s2))
        b = (1 - eps) * np.exp(-y * y / (2 * s2)) / np.sqrt(2 * np.pi * s2)
        return a + b, a / (a + b) * y / (1 + s2)

    def f(y):
        p, m = p_and_mean(y)
        return 2 * p * m * m

    L = 14 * np.sqrt(1 + s2)
    pts = [np.sqrt(s2) * k for k in (1, 3, 6, 10) if np.sqrt(s2) * k < L]
    return eps - quad(f, 0, L, points=pts, limit=500, epsabs=1e-15, epsrel=1e-13)[0]


@pytest.mark.parametrize("eps", [0.01, 0.1, 0.5])
def test_mmse_vs_quadrature(eps):
    # stated accuracy of the 200-node Gauss–Hermite rule: relative 1e-8 for snr <= 1e6
    for snr in (1e-3, 0.3, 1.0, 10.0, 100.0, 1e4, 1e6):
        q = _mmse_quad(snr, eps)
        assert abs(float(bg_mmse(snr, eps)) - q) < 1e-8 * q


def test_mmse_vs_monte_carlo(mc_scale):
    # posterior mean on 10^6 (x RMTSYM_MC_SCALE) samples; tolerance 4 standard errors of the mean
    rng = np.random.default_rng(3)
    M, eps = int(1_000_000 * mc_scale), 0.2
    for snr in (0.5, 5.0, 50.0):
        x0 = np.where(rng.random(M) < eps, rng.standard_normal(M), 0.0)
        u = x0 + rng.standard_normal(M) / np.sqrt(snr)
        eta, _ = posterior_mean_bg(u, 1 / snr, eps)
        sq = (eta - x0) ** 2
        se = sq.std(ddof=1) / np.sqrt(M)
        assert abs(sq.mean() - float(bg_mmse(snr, eps))) < 4 * se


def test_mmse_limits():
    for eps in (0.05, 0.3):
        assert float(bg_mmse(0.0, eps)) == pytest.approx(eps, abs=1e-15)
        # small snr: mmse = E X^2 - snr (E X^2)^2 + O(snr^2)
        assert (eps - float(bg_mmse(1e-6, eps))) / 1e-6 == pytest.approx(eps ** 2, rel=1e-4)
        # large snr: snr * mmse -> eps (support revealed); the correction decays like ~sqrt(log snr / snr)
        assert float(bg_mmse(1e12, eps)) * 1e12 == pytest.approx(eps, rel=1e-3)
        assert float(bg_mmse(1e8, eps)) * 1e8 == pytest.approx(eps, rel=2e-2)


def test_posterior_mean_derivative():
    u = np.linspace(-3, 3, 13)
    e, d = posterior_mean_bg(u, 0.3, 0.1)
    h = 1e-6
    num = (posterior_mean_bg(u + h, 0.3, 0.1)[0] - posterior_mean_bg(u - h, 0.3, 0.1)[0]) / (2 * h)
    assert np.allclose(d, num, atol=1e-8)


@pytest.mark.parametrize("eps", [0.05, 0.3])
def test_mutual_information_vs_entropy(eps):
    # independent: I = h(Y) - h(Y|X), Y = sqrt(snr) X + Z, h(Y) by quadrature of -p ln p
    for snr in (0.1, 2.0, 50.0, 3000.0):
        def integrand(y):
            p = (eps * np.exp(-y * y / (2 * (1 + snr))) / np.sqrt(2 * np.pi * (1 + snr))
                 + (1 - eps) * np.exp(-y * y / 2) / np.sqrt(2 * np.pi))
            return -2 * p * np.log(p)

        L = 14 * np.sqrt(1 + snr)
        hY = quad(integrand, 0, L, points=[1, 3, 6, 10], limit=500, epsabs=1e-13, epsrel=1e-12)[0]
        direct = hY - 0.5 * np.log(2 * np.pi * np.e)
        assert abs(float(bg_mutual_information(snr, eps)) - direct) < 1e-8


# ---------------------------------------------------------------- Bayes-optimal SE and potential
SIG, EPS = 0.01, 0.1


def test_potential_stationary_points_are_se_fixed_points():
    c = bayes_optimal_curve([0.12, 0.19, 0.3], SIG, EPS)
    assert list(c.n_fixed_points) == [1, 3, 1]
    for d, fps in zip(c.delta, c.fixed_points):
        for E in fps[np.isfinite(fps)]:
            assert abs(float(bayes_se_map(E, d, SIG, EPS)) - E) < 1e-12 * max(E, 1e-6)
            # numerical derivative of the potential vanishes there (central difference, step 1e-6 E)
            hE = 1e-6 * E
            dfdE = (float(rs_potential(E + hE, d, SIG, EPS)) - float(rs_potential(E - hE, d, SIG, EPS))) / (2 * hE)
            scale = (1 / (SIG ** 2 + E / d)) ** 2 * E / (2 * d)  # |f'| ~ snr^2 |E - mmse|/(2 delta)
            assert abs(dfdE) < 1e-5 * scale
    # away from the fixed points the derivative matches snr^2 (E - mmse(snr))/(2 delta) (I-MMSE)
    for E in (1e-4, 3e-3, 0.05):
        d = 0.19
        snr = 1 / (SIG ** 2 + E / d)
        hE = 1e-6 * E
        num = (float(rs_potential(E + hE, d, SIG, EPS)) - float(rs_potential(E - hE, d, SIG, EPS))) / (2 * hE)
        exact = snr ** 2 * (E - float(bg_mmse(snr, EPS))) / (2 * d)
        assert abs(num - exact) < 1e-5 * abs(exact)


def test_mmse_is_global_minimiser_of_potential():
    # second method: scipy bounded minimisation of f_RS over log E from several starts
    for d in (0.16, 0.19, 0.3):
        c = bayes_optimal_curve([d], SIG, EPS)
        best = min((minimize_scalar(lambda t: float(rs_potential(np.exp(t), d, SIG, EPS)),
                                    bounds=b, method="bounded", options={"xatol": 1e-10})
                    for b in ((np.log(1e-6), np.log(1e-3)), (np.log(1e-3), np.log(EPS)))),
                   key=lambda r: r.fun)
        assert abs(np.exp(best.x) - float(c.mse_bayes[0])) < 1e-6 * float(c.mse_bayes[0])


def test_iteration_reaches_largest_and_smallest_fixed_points():
    c = bayes_optimal_curve([0.19, 0.3], SIG, EPS)
    E_amp, conv, _ = bayes_se_iterate(c.delta, SIG, EPS)
    E_inf, conv2, _ = bayes_se_iterate(c.delta, SIG, EPS, E0=0.0)
    assert conv.all() and conv2.all()
    assert np.allclose(E_amp, c.mse_amp, rtol=1e-8)
    assert np.allclose(E_inf, np.nanmin(c.fixed_points, axis=1), rtol=1e-8)


def test_thresholds_consistent():
    t = bayes_thresholds(SIG, EPS)
    assert t.delta_low < t.delta_it < t.delta_alg
    # number of fixed points changes across each spinodal (independent root scan)
    c = bayes_optimal_curve([t.delta_low * 0.999, t.delta_low * 1.001, t.delta_alg * 0.999,
                             t.delta_alg * 1.001], SIG, EPS)
    assert list(c.n_fixed_points) == [1, 3, 3, 1]
    # the AMP MSE drops at delta_alg, the MMSE at delta_IT
    c2 = bayes_optimal_curve([t.delta_it * 0.999, t.delta_it * 1.001], SIG, EPS)
    assert c2.mse_bayes[0] > 100 * c2.mse_bayes[1]
    assert c.mse_amp[2] > 100 * c.mse_amp[3]
    # no first-order transition at large noise
    assert np.isnan(bayes_thresholds(0.3, 0.1).delta_alg)


@pytest.mark.slow
def test_bayes_amp_run_tracks_state_evolution(mc_scale):
    # N = 3000, delta = 0.5, sigma = 0.1, eps = 0.1 (single stable fixed point), 6 seeds. Per iteration:
    # |mean MSE - SE| < 4 SE_seeds + 12% of SE (finite-N allowance: the empirical tau_t^2 and the
    # realised sparsity bias the first iterations by up to ~10% at this N, measured 2-4 SE)
    T = 10
    seeds = max(6, int(round(6 * mc_scale)))  # RMTSYM_MC_SCALE > 1: more seeds, same derived tolerance
    runs = np.array([run_bayes_amp(3000, 0.5, 0.1, 0.1, T, seed=s).mse for s in range(seeds)])
    _, se_mse = bayes_se_trajectory(0.5, 0.1, 0.1, T)
    m, s = runs.mean(0), runs.std(0, ddof=1) / np.sqrt(runs.shape[0])
    assert np.all(np.abs(m - se_mse) < 4 * s + 0.12 * se_mse)


# ---------------------------------------------------------------- derivations and bad input
def test_derivations_latex_and_numbers():
    tex = AMP_LASSO_PHASE_TRANSITION.latex()
    assert r"\Phi\left(- \alpha\right)" in tex and AMP_LASSO_PHASE_TRANSITION.requires == ("amp-lasso-state-evolution",)
    a, d, e = sp.symbols("alpha delta epsilon", positive=True)
    out = AMP_LASSO_PHASE_TRANSITION.outputs
    pt = lasso_phase_transition(0.3)
    vals = {a: float(pt.alpha), d: 0.3, e: float(pt.eps)}
    assert abs(float(out["delta_parametric"].subs(vals)) - 0.3) < 1e-10
    assert abs(float(out["rho_parametric"].subs(vals)) - float(pt.rho)) < 1e-10
    assert abs(float(out["slope_at_zero"].subs(vals)) - 1) < 1e-10
    tex2 = AMP_BAYES_BG_SE.latex()
    assert "int" in tex2 and AMP_BAYES_BG_SE.name.startswith("amp-") and AMP_BAYES_BG_SE.requires == ("gaussian-expectation",)
    E = AMP_BAYES_BG_SE.unknowns[0]
    dl, sg, ep = AMP_BAYES_BG_SE.parameters
    rhs = AMP_BAYES_BG_SE.equations[0].rhs.subs({E: 0.01, dl: 0.3, sg: 0.1, ep: 0.1})
    (integral,) = rhs.atoms(sp.Integral)  # evaluate the printed integral by scipy quad
    (g,) = integral.variables
    pdf = {"phi": lambda x: np.exp(-x * x / 2) / np.sqrt(2 * np.pi)}  # the printed phi(g)
    val = quad(sp.lambdify(g, integral.function, [pdf, "numpy"]), -np.inf, np.inf, epsabs=1e-14)[0]
    assert abs(float(rhs.subs(integral, val)) - float(bayes_se_map(0.01, 0.3, 0.1, 0.1))) < 1e-9


def test_bad_input():
    with pytest.raises(ParameterError, match="delta"):
        lasso_phase_transition(0.0)
    with pytest.raises(ParameterError, match="delta"):
        lasso_phase_transition(1.5)
    with pytest.raises(ParameterError, match="eps"):
        bg_mmse(1.0, 1.2)
    with pytest.raises(ParameterError, match="snr"):
        bg_mmse(-1.0, 0.1)
    with pytest.raises(ParameterError, match="sigma"):
        bayes_optimal_curve([0.3], 0.0, 0.1)
    with pytest.raises(ParameterError, match="sigma"):
        lasso_optimal_mse(0.5, -0.1, 0.1)
    with pytest.raises(ParameterError, match="delta"):
        bayes_optimal_curve([-0.3], 0.1, 0.1)


def test_unconverged_is_nan_not_number():
    # alpha below alpha_min(delta): no finite fixed point -> NaN, not a number
    from rmtsym.amp.phase import lasso_fixed_point
    v, conv = lasso_fixed_point(0.2, 0.1, 0.1, 0.3)
    assert np.isnan(v) and not bool(conv)
    E, conv, k = bayes_se_iterate(0.2078, SIG, EPS, iters=5)
    assert not conv.any() and k == 5
