"""LASSO AMP state evolution: closed form vs quadrature / Monte Carlo, fixed points, and the
actual AMP iteration at finite N against its SE prediction."""

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad

from rmtsym.amp.separable import (
    AMP_LASSO_SE, lasso_denoiser_mse, lasso_onsager, lasso_se_map, lasso_se_map_derivative,
    lasso_se_trajectory, lasso_state_evolution, soft_threshold,
)
from rmtsym.errors import ParameterError
from rmtsym.simulate.amp import run_lasso_amp

POINTS = [(0.3, 0.1, 1.5), (1.0, 0.5, 0.7), (0.05, 0.9, 2.5)]  # (tau2, eps, alpha)


def _phi(x):
    return np.exp(-x * x / 2) / np.sqrt(2 * np.pi)


def _quad_mse_onsager(tau2, eps, alpha):
    tau = np.sqrt(tau2)
    th = alpha * tau

    def cond(x, f):  # E over Z of f(x + tau Z) given X0 = x, split at the kinks
        g = lambda u: f(u, x) * _phi((u - x) / tau) / tau
        lo, hi = x - 14 * tau, x + 14 * tau
        pts = sorted(p for p in (-th, th) if lo < p < hi)
        edges = [lo, *pts, hi]
        return sum(quad(g, a, b, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
                   for a, b in zip(edges[:-1], edges[1:]))

    err = lambda u, x: (soft_threshold(u, th) - x) ** 2
    deriv = lambda u, x: float(abs(u) > th)
    m0 = cond(0.0, err)
    d0 = cond(0.0, deriv)
    m1 = quad(lambda x: cond(x, err) * _phi(x), -12, 12, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
    d1 = quad(lambda x: cond(x, deriv) * _phi(x), -12, 12, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
    return (1 - eps) * m0 + eps * m1, (1 - eps) * d0 + eps * d1


@pytest.mark.parametrize("tau2,eps,alpha", POINTS)
def test_closed_form_vs_quad(tau2, eps, alpha):
    m, e_deriv = _quad_mse_onsager(tau2, eps, alpha)
    assert abs(lasso_denoiser_mse(tau2, eps, alpha) - m) < 1e-8
    assert abs(lasso_onsager(tau2, 0.5, eps, alpha) - e_deriv / 0.5) < 1e-8


@pytest.mark.parametrize("tau2,eps,alpha", POINTS)
def test_closed_form_vs_monte_carlo(tau2, eps, alpha):
    rng = np.random.default_rng(1)
    M = 1_000_000
    x0 = np.where(rng.random(M) < eps, rng.standard_normal(M), 0.0)
    u = x0 + np.sqrt(tau2) * rng.standard_normal(M)
    th = alpha * np.sqrt(tau2)
    sq = (soft_threshold(u, th) - x0) ** 2
    dr = (np.abs(u) > th).astype(float)
    for sample, exact in ((sq, lasso_denoiser_mse(tau2, eps, alpha)),
                          (dr, lasso_onsager(tau2, 1.0, eps, alpha))):
        se = sample.std(ddof=1) / np.sqrt(M)
        assert abs(sample.mean() - exact) < 4 * se


def test_sympy_derivation_matches_numeric():
    d, s, e, a = AMP_LASSO_SE.parameters
    (t2,) = AMP_LASSO_SE.unknowns
    vals = {t2: 0.37, d: 0.6, s: 0.2, e: 0.15, a: 1.3}
    rhs = AMP_LASSO_SE.equations[0].rhs
    assert abs(float(rhs.subs(vals)) - lasso_se_map(0.37, 0.6, 0.2, 0.15, 1.3)) < 1e-12
    assert abs(float(AMP_LASSO_SE.outputs["onsager"].subs(vals))
               - lasso_onsager(0.37, 0.6, 0.15, 1.3)) < 1e-12
    assert "tau" in AMP_LASSO_SE.latex()
    assert AMP_LASSO_SE.name == "amp-lasso-state-evolution"


def test_zero_component_against_gaussian_expectation():
    # E[eta(tau Z; alpha tau)^2] exactly, by the package's symbolic Gaussian integrator
    from rmtsym.bases.functions import Z
    from rmtsym.bases.gaussian import gaussian_expectation
    al = sp.Rational(13, 10)
    expr = sp.Max(Z - al, 0) ** 2 + sp.Max(-Z - al, 0) ** 2  # tau = 1
    exact = float(gaussian_expectation(expr))
    assert abs(exact - lasso_denoiser_mse(1.0, 0.0, 1.3)) < 1e-12


@pytest.mark.parametrize("tau2", [0.01, 0.3, 2.0])
def test_derivative_vs_finite_difference(tau2):
    args = (0.5, 0.1, 0.2, 1.4)
    h = 1e-6 * tau2
    fd = (lasso_se_map(tau2 + h, *args) - lasso_se_map(tau2 - h, *args)) / (2 * h)
    assert abs(lasso_se_map_derivative(tau2, *args) - fd) < 1e-6


def test_fixed_point_vectorised():
    delta = np.array([0.3, 0.5, 0.8])[:, None]
    alpha = np.array([1.0, 1.5, 2.0])
    r = lasso_state_evolution(delta, 0.1, 0.1, alpha)
    assert r.tau2.shape == (3, 3) and r.converged.all()
    np.testing.assert_allclose(lasso_se_map(r.tau2, delta, 0.1, 0.1, alpha), r.tau2, rtol=1e-10)
    np.testing.assert_allclose(r.mse, delta * (r.tau2 - 0.01), rtol=1e-8)
    assert np.all(r.stability < 1) and np.all(r.stability > 0)
    # scalar call agrees with the grid entry
    r1 = lasso_state_evolution(0.5, 0.1, 0.1, 1.5)
    assert abs(float(r1.tau2) - r.tau2[1, 1]) < 1e-12


def test_noiseless_success_region_goes_to_zero():
    # delta = 0.5, eps = 0.1 is inside the DMM success region for alpha = 1.5
    r = lasso_state_evolution(0.5, 0.0, 0.1, 1.5)
    assert r.converged and r.tau2 < 1e-12
    assert r.stability < 1  # F'(0) < 1: tau = 0 stable


def test_amp_matches_state_evolution():
    # tolerance: 5% relative (finite-N bias) + 4 standard errors over 3 seeds
    T, args = 12, (0.5, 0.1, 0.1, 1.5)
    _, pred = lasso_se_trajectory(*args, T)
    runs = np.array([run_lasso_amp(4000, *args, iters=T, seed=s).mse for s in range(3)])
    mean, sem = runs.mean(0), runs.std(0, ddof=1) / np.sqrt(3)
    assert np.all(np.abs(mean - pred) <= 0.05 * pred + 4 * sem), (mean, pred, sem)
    # and the fixed point
    fp = lasso_state_evolution(*args)
    assert abs(mean[-1] - fp.mse) <= 0.05 * fp.mse + 4 * sem[-1]


@pytest.mark.parametrize("kw,name", [
    (dict(delta=0.0), "delta"), (dict(delta=-1.0), "delta"),
    (dict(eps=1.5), "eps"), (dict(eps=-0.1), "eps"),
    (dict(alpha=0.0), "alpha"), (dict(sigma=-0.1), "sigma"),
])
def test_bad_input(kw, name):
    args = dict(delta=0.5, sigma=0.1, eps=0.1, alpha=1.5) | kw
    with pytest.raises(ParameterError) as ei:
        lasso_state_evolution(**args)
    assert ei.value.name == name and name in str(ei.value)
    with pytest.raises(ParameterError) as ei:
        run_lasso_amp(200, iters=2, seed=0, **args)
    assert ei.value.name == name
    with pytest.raises(ParameterError, match="delta"):
        lasso_state_evolution(np.array([0.5, -0.2]), 0.1, 0.1, 1.5)


def test_divergent_state_evolution_is_nan_not_a_number():
    # For large tau the SE map grows like (2 h(alpha)/delta) tau^2 (the signal is negligible), so
    # the iteration from tau0 diverges iff 2 h(alpha) > delta; h(0.5) = 0.2096 -> threshold delta 0.419.
    a = 0.5
    h = (1 + a * a) * 0.5 * (1 + __import__("math").erf(-a / np.sqrt(2))) - a * _phi(a)
    assert abs(2 * h - 0.4193) < 1e-3
    r = lasso_state_evolution(np.array([0.3, 0.5]), 0.1, 0.1, a)
    assert r.converged.tolist() == [False, True]
    assert np.isnan(r.tau2[0]) and np.isnan(r.mse[0]) and r.last_tau2[0] == np.inf
    assert np.isfinite(r.mse[1]) and r.stability[1] < 1
