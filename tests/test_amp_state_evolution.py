"""Separable AMP state evolution derived from a prior and a denoiser (rmtsym.amp.state_evolution).

Witnesses: the hand-derived LASSO closed form (rmtsym.amp.separable), scipy quadrature of the
defining expectations, direct Monte Carlo of the posterior mean, and AMP run on Gaussian
matrices (rmtsym.simulate.amp_separable) against the per-iteration SE prediction.
"""

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad
from scipy.optimize import brentq

from rmtsym.amp import separable as hand
from rmtsym.amp.denoisers import TAU, Y, from_expression, posterior_mean, soft_threshold
from rmtsym.amp.priors import (bernoulli_gaussian, density, discrete, gaussian, mixture, parse_prior,
                               rademacher)
from rmtsym.amp.state_evolution import BAYES_BG, LASSO_BG, SeparableSE
from rmtsym.errors import ParameterError, UnsafeExpressionError
from rmtsym.simulate.amp_separable import run_amp

SQ2PI = np.sqrt(2 * np.pi)


def _phi(x):
    return np.exp(-x * x / 2) / SQ2PI


# ---- 1. the symbolic LASSO SE equals the hand-derived closed form -------------------------------

def test_lasso_symbolic_equals_hand_closed_form():
    assert LASSO_BG.method == "closed form"
    v = np.geomspace(1e-4, 10, 25)[:, None, None]
    eps = np.array([0.01, 0.1, 0.5, 0.9])[None, :, None]
    alpha = np.array([0.3, 1.0, 1.5, 3.0])[None, None, :]
    for got, ref in (
        (LASSO_BG.mse(v, eps=eps, alpha=alpha), hand.lasso_denoiser_mse(v, eps, alpha)),
        (LASSO_BG.onsager(v, 0.37, eps=eps, alpha=alpha), hand.lasso_onsager(v, 0.37, eps, alpha)),
        (LASSO_BG.map(v, 0.37, 0.2, eps=eps, alpha=alpha), hand.lasso_se_map(v, 0.37, 0.2, eps, alpha)),
        (LASSO_BG.map_derivative(v, 0.37, 0.2, eps=eps, alpha=alpha),
         hand.lasso_se_map_derivative(v, 0.37, 0.2, eps, alpha)),
    ):
        assert got.shape == (25, 4, 4)
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_lasso_fixed_points_equal_hand_iteration():
    delta = np.linspace(0.1, 1, 40)
    for sigma in (0.1, 0.01):
        r = LASSO_BG.fixed_point(delta, sigma, eps=0.1, alpha=1.5)
        ref = hand.lasso_state_evolution(delta, sigma, 0.1, 1.5)
        assert r.converged.all() and ref.converged.all()
        # the hand iteration stops at a relative step 1e-12, i.e. an error ~ 1e-12 / (1 - F')
        np.testing.assert_allclose(r.tau2, ref.tau2, rtol=1e-9)
        np.testing.assert_allclose(r.mse, delta * (r.tau2 - sigma ** 2), rtol=1e-9)
        np.testing.assert_allclose(r.stability, ref.stability, rtol=1e-8)


def test_lasso_latex_and_graph():
    tex = LASSO_BG.latex()
    assert r"\Phi\left(" in tex and r"\phi\left(" in tex and r"\varepsilon" in tex
    assert "erf" not in tex
    import rmtsym
    from rmtsym.core.graph import get_derivation

    g = rmtsym.graph()
    for name in ("amp-se-lasso-bg", "amp-se-bayes-bg", "amp-prior-bg", "amp-denoiser-soft-threshold",
                 "amp-denoiser-bayes"):
        assert name in g and not g.nodes[name]["missing"], name
    assert g.has_edge("amp-prior-bg", "amp-se-lasso-bg")
    assert g.has_edge("gaussian-expectation", "amp-se-lasso-bg")
    assert g.has_edge("amp-prior-bg", "amp-denoiser-bayes")
    for name in ("amp-se-bayes-bg", "amp-prior-bg", "amp-denoiser-bayes"):
        assert "aligned" in get_derivation(name).latex()
    assert r"\int" in BAYES_BG.latex()  # quadrature: the expectation stays an integral


# ---- 2. symbolic / numeric expectations against scipy quad -------------------------------------

def _quad_mse_deriv(prior_parts, eta, deta, tau2, kinks=()):
    """E[(eta(X0 + tau Z) - X0)^2] and E eta' by nested scipy quad. prior_parts: list of
    (weight, 'point', m) or (weight, 'gauss', (m, v)) or (1, 'density', (p, lo, hi, pts))."""
    tau = np.sqrt(tau2)

    def cond(x, f):  # E_Z f(x + tau Z), split at the kinks of f
        lo, hi = x - 12 * tau, x + 12 * tau
        pts = sorted(k for k in kinks(tau) if lo < k < hi) if callable(kinks) else []
        edges = [lo, *pts, hi]
        g = lambda u: f(u, x) * _phi((u - x) / tau) / tau  # noqa: E731
        return sum(quad(g, a, b, epsabs=1e-14, epsrel=1e-12, limit=200)[0] for a, b in zip(edges[:-1], edges[1:]))

    err = lambda u, x: (eta(u, tau) - x) ** 2  # noqa: E731
    der = lambda u, x: deta(u, tau)  # noqa: E731
    m = dd = 0.0
    for w, kind, par in prior_parts:
        if kind == "point":
            m += w * cond(par, err)
            dd += w * cond(par, der)
        elif kind == "gauss":
            mu, v = par
            dens = lambda x: _phi((x - mu) / np.sqrt(v)) / np.sqrt(v)  # noqa: E731
            lo, hi = mu - 12 * np.sqrt(v), mu + 12 * np.sqrt(v)
            m += w * quad(lambda x: cond(x, err) * dens(x), lo, hi, epsabs=1e-13, epsrel=1e-11, limit=200)[0]
            dd += w * quad(lambda x: cond(x, der) * dens(x), lo, hi, epsabs=1e-13, epsrel=1e-11, limit=200)[0]
        else:
            p, lo, hi, pts = par
            for a, b in zip([lo, *pts], [*pts, hi]):
                m += quad(lambda x: cond(x, err) * p(x), a, b, epsabs=1e-13, epsrel=1e-11, limit=200)[0]
                dd += quad(lambda x: cond(x, der) * p(x), a, b, epsabs=1e-13, epsrel=1e-11, limit=200)[0]
    return m, dd


def _st(u, tau, a):
    return np.sign(u) * max(abs(u) - a * tau, 0.0)


CASES = {
    # name: (prior, denoiser, params, prior parts for quad, eta, eta', kinks, method, tolerance)
    "rademacher-soft": (rademacher(), soft_threshold(1.2), {},
                        [(0.5, "point", -1.0), (0.5, "point", 1.0)],
                        lambda u, t: _st(u, t, 1.2), lambda u, t: float(abs(u) > 1.2 * t),
                        lambda t: (-1.2 * t, 1.2 * t), "closed form", 1e-9),
    "mixture-soft": (mixture((0.5, gaussian(2)), (0.5, rademacher())), soft_threshold("alpha"), {"alpha": 0.8},
                     [(0.5, "gauss", (0.0, 2.0)), (0.25, "point", -1.0), (0.25, "point", 1.0)],
                     lambda u, t: _st(u, t, 0.8), lambda u, t: float(abs(u) > 0.8 * t),
                     lambda t: (-0.8 * t, 0.8 * t), "closed form", 1e-9),
    "gauss-user-linear": (gaussian(2, mean=0.5), from_expression("y/(1+tau**2)"), {},
                          [(1.0, "gauss", (0.5, 2.0))],
                          lambda u, t: u / (1 + t * t), lambda u, t: 1 / (1 + t * t), None, "closed form", 1e-9),
    "bg-user-tanh": (bernoulli_gaussian(0.2), from_expression("tanh(y)"), {},
                     [(0.8, "point", 0.0), (0.2, "gauss", (0.0, 1.0))],
                     lambda u, t: np.tanh(u), lambda u, t: 1 - np.tanh(u) ** 2, None, "quadrature", 1e-9),
    "bg-user-param": (bernoulli_gaussian("eps"), from_expression("y - a*tau*tanh(y/tau)"), {"eps": 0.3, "a": 0.7},
                      [(0.7, "point", 0.0), (0.3, "gauss", (0.0, 1.0))],
                      lambda u, t: u - 0.7 * t * np.tanh(u / t), lambda u, t: 1 - 0.7 / np.cosh(u / t) ** 2,
                      None, "quadrature", 1e-9),
    "laplace-soft": (density("exp(-abs(x))/2"), soft_threshold(1.0), {},
                     [(1.0, "density", (lambda x: np.exp(-abs(x)) / 2, -60, 60, [0.0]))],
                     lambda u, t: _st(u, t, 1.0), lambda u, t: float(abs(u) > t),
                     lambda t: (-t, t), "quadrature", 1e-8),
    "laplace-tanh": (density("exp(-abs(x))/2"), from_expression("tanh(y)"), {},
                     [(1.0, "density", (lambda x: np.exp(-abs(x)) / 2, -60, 60, [0.0]))],
                     lambda u, t: np.tanh(u), lambda u, t: 1 - np.tanh(u) ** 2, None, "quadrature", 1e-7),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_expectations_vs_quad(case):
    prior, den, params, parts, eta, deta, kinks, method, tol = CASES[case]
    se = SeparableSE(prior, den)
    assert se.method == method
    for tau2 in (0.05, 0.7):
        m, d = _quad_mse_deriv(parts, eta, deta, tau2, kinks)
        assert abs(float(se.mse(tau2, **params)) - m) < tol * max(1, m), (case, tau2)
        assert abs(float(se.onsager(tau2, 0.5, **params)) - d / 0.5) < tol, (case, tau2)


def test_bayes_bg_mse_vs_quad_small_and_large_tau():
    # quadrature path: sinh-graded Gauss-Legendre vs scipy quad on the posterior mean written out here
    eps = 0.1

    def pm(y, t2):
        a = (1 - eps) * np.exp(-y * y / (2 * t2)) / np.sqrt(t2)
        b = eps * np.exp(-y * y / (2 * (1 + t2))) / np.sqrt(1 + t2)
        return b / (a + b) * y / (1 + t2)

    for t2 in (1e-4, 1e-2, 1.0):
        t, s = np.sqrt(t2), np.sqrt(1 + t2)
        m0 = quad(lambda z: pm(t * z, t2) ** 2 * _phi(z), -12, 12, epsabs=1e-15, epsrel=1e-13, limit=500,
                  points=[-3, -1, 0, 1, 3])[0]
        m1 = quad(lambda z: (pm(s * z, t2) - z / s) ** 2 * _phi(z), -12, 12, epsabs=1e-15, epsrel=1e-13,
                  limit=500, points=[-0.1, -0.01, 0, 0.01, 0.1, 1])[0] + t2 / (1 + t2)
        ref = (1 - eps) * m0 + eps * m1
        assert abs(float(BAYES_BG.mse(t2, eps=eps)) - ref) < 1e-9 * ref, t2


def test_posterior_mean_formula_vs_integration():
    den = posterior_mean(bernoulli_gaussian("eps"))
    eps, tau = 0.15, 0.6
    for y in (-2.5, -0.3, 0.0, 0.4, 1.7, 6.0):
        # E[X0 | Y = y] = (int x p(x) N(y - x; tau^2) dx) / (int p(x) N(y - x; tau^2) dx), point mass at 0
        lik = lambda x: _phi((y - x) / tau) / tau  # noqa: E731
        num = eps * quad(lambda x: x * _phi(x) * lik(x), -15, 15, epsabs=1e-14, limit=200)[0]
        den_ = (1 - eps) * lik(0.0) + eps * quad(lambda x: _phi(x) * lik(x), -15, 15, epsabs=1e-14, limit=200)[0]
        assert abs(float(den.eta(y, tau, eps=eps)) - num / den_) < 1e-10
        # eta' = Var[X0 | y] / tau^2 against a central difference of eta
        h = 1e-5
        fd = (float(den.eta(y + h, tau, eps=eps)) - float(den.eta(y - h, tau, eps=eps))) / (2 * h)
        assert abs(float(den.eta_prime(y, tau, eps=eps)) - fd) < 1e-6
    # the symbolic expression agrees with the stable numeric one
    f = sp.lambdify([Y, TAU, sp.Symbol("eps", positive=True)], den.expr.rewrite(sp.exp), "numpy")
    assert abs(f(0.9, tau, eps) - float(den.eta(0.9, tau, eps=eps))) < 1e-13


def test_bayes_mmse_at_fixed_point_vs_monte_carlo():
    delta, sigma, eps = 0.5, 0.1, 0.1
    r = BAYES_BG.fixed_point(delta, sigma, eps=eps)
    assert r.converged and abs(r.stability) < 1
    tau2 = float(r.tau2)
    rng = np.random.default_rng(7)
    M = 400_000
    x0 = np.where(rng.random(M) < eps, rng.standard_normal(M), 0.0)
    y = x0 + np.sqrt(tau2) * rng.standard_normal(M)
    # the posterior mean written out independently (log-domain weights)
    la = np.log(1 - eps) - y * y / (2 * tau2) - 0.5 * np.log(tau2)
    lb = np.log(eps) - y * y / (2 * (1 + tau2)) - 0.5 * np.log(1 + tau2)
    pi1 = 1 / (1 + np.exp(la - lb))
    err = (pi1 * y / (1 + tau2) - x0) ** 2
    se = err.std() / np.sqrt(M)
    assert abs(err.mean() - float(r.mse)) < 4 * se, (err.mean(), float(r.mse), se)
    assert abs(float(r.mse) - delta * (tau2 - sigma ** 2)) < 1e-10


# ---- 3. state evolution against AMP on Gaussian matrices ----------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("model,params,delta,sigma", [
    (LASSO_BG, {"eps": 0.1, "alpha": 1.5}, 0.5, 0.1),
    (BAYES_BG, {"eps": 0.1}, 0.5, 0.1),
])
def test_state_evolution_vs_amp(model, params, delta, sigma, mc_scale):
    N = int(3000 * mc_scale)
    iters, seeds = 8, (0, 1, 2)
    runs = [run_amp(model, N, delta, sigma, iters, seed=s, **params) for s in seeds]
    mse = np.array([r.mse for r in runs])
    t2 = np.array([r.tau2 for r in runs])
    tr = model.trajectory(runs[0].n / N, sigma, iters, **params)
    # tolerance: 4 standard errors of the seed mean (the seed-to-seed spread is dominated by the
    # O(1/sqrt(eps N)) fluctuation of ||x0||^2 for the sparse prior), plus a finite-N allowance of
    # 5 % of the prediction for the O(1/N) bias of AMP at N = 3000 (Bayati & Montanari's limit is
    # N -> oo); the spread is estimated from 3 seeds, so a floor of 2 % of the value is added.
    for emp, pred in ((mse, tr.mse), (t2, tr.tau2)):
        se_mean = emp.std(axis=0, ddof=1) / np.sqrt(len(seeds))
        tol = 4 * np.maximum(se_mean, 0.02 * pred) + 0.05 * pred
        assert np.all(np.abs(emp.mean(axis=0) - pred) < tol), (emp.mean(axis=0), pred, tol)
    ons = np.array([r.onsager for r in runs]).mean(axis=0)
    assert np.all(np.abs(ons - tr.onsager) < 0.1 * tr.onsager + 0.01)


# ---- 4. fixed points: which one, and its stability ----------------------------------------------

def test_fixed_point_is_the_iterations_and_stability_sign():
    # Bayes-optimal BG, eps = 0.1, delta = 0.2, sigma = 0.01 has three fixed points:
    # ~2.5e-4 (good, stable), ~0.035 (unstable), ~0.149 (bad, stable) -- AMP from x^0 = 0 is stuck at the last
    kw = dict(eps=0.1)
    delta, sigma = 0.2, 0.01
    fast = BAYES_BG.fixed_point(delta, sigma, **kw)
    plain = BAYES_BG.fixed_point(delta, sigma, newton=False, **kw)
    assert fast.converged and plain.converged
    assert abs(float(fast.tau2) - float(plain.tau2)) < 1e-9 * float(plain.tau2)
    assert 0.1 < float(fast.tau2) < 0.2 and 0 < float(fast.stability) < 1
    g = lambda v: float(BAYES_BG.map(v, delta, sigma, **kw)) - v  # noqa: E731
    mid = brentq(g, 0.01, 0.1, xtol=1e-15)
    assert float(BAYES_BG.map_derivative(mid, delta, sigma, **kw)) > 1
    low = BAYES_BG.fixed_point(delta, sigma, tau2_init=0.5 * mid, **kw)
    assert float(low.tau2) < 1e-3 and 0 < float(low.stability) < 1
    # the sign of F' - 1 predicts the iteration: perturbations shrink at stable, grow at unstable points
    for v, stable in ((float(fast.tau2), True), (mid, False), (float(low.tau2), True)):
        for dv in (1e-4 * v, -1e-4 * v):
            u = v + dv
            for _ in range(5):
                u = float(BAYES_BG.map(u, delta, sigma, **kw))
            assert (abs(u - v) < abs(dv)) == stable, (v, dv, u)
    # noiseless LASSO above the phase transition: the fixed point is 0 and its slope is the limit
    # F'(0+) = [(1 - eps) 2 h(alpha) + eps (1 + alpha^2)] / delta, h(a) = (1 + a^2) Phi(-a) - a phi(a)
    # (small-tau expansion of the hand closed form, done by hand)
    from scipy.special import ndtr
    a, e = 1.5, 0.1
    h = (1 + a * a) * ndtr(-a) - a * _phi(a)
    r0 = LASSO_BG.fixed_point(np.array([0.5, 0.8]), 0.0, eps=e, alpha=a)
    assert np.all(r0.tau2 == 0) and r0.converged.all()
    np.testing.assert_allclose(r0.stability, ((1 - e) * 2 * h + e * (1 + a * a)) / np.array([0.5, 0.8]), rtol=1e-5)
    # LASSO: every fixed point on a delta grid is stable
    r = LASSO_BG.fixed_point(np.linspace(0.1, 1, 30), 0.05, eps=0.1, alpha=1.5)
    assert np.all(r.stability < 1) and np.all(r.stability > 0)


def test_broadcast_over_grids():
    d = np.linspace(0.2, 1, 5)[:, None]
    a = np.array([1.0, 1.5, 2.0])[None, :]
    r = LASSO_BG.fixed_point(d, 0.1, eps=0.1, alpha=a)
    assert r.tau2.shape == (5, 3) and r.last_iterates.shape == (3, 5, 3)
    for i in range(5):
        for j in range(3):
            one = hand.lasso_state_evolution(float(d[i, 0]), 0.1, 0.1, float(a[0, j]))
            assert abs(float(r.tau2[i, j]) - float(one.tau2)) < 1e-9 * float(one.tau2)


# ---- 5. bad input --------------------------------------------------------------------------------

def test_bad_model_parameters():
    with pytest.raises(ParameterError) as e:
        LASSO_BG.fixed_point(0.0, 0.1, eps=0.1, alpha=1.5)
    assert e.value.name == "delta"
    with pytest.raises(ParameterError) as e:
        LASSO_BG.fixed_point(0.5, -0.1, eps=0.1, alpha=1.5)
    assert e.value.name == "sigma"
    with pytest.raises(ParameterError) as e:
        LASSO_BG.mse(0.1, eps=1.5, alpha=1.5)
    assert e.value.name == "eps"
    with pytest.raises(ParameterError) as e:
        LASSO_BG.mse(0.1, eps=0.1)
    assert e.value.name == "alpha"
    with pytest.raises(ParameterError) as e:
        LASSO_BG.mse(0.1, eps=0.1, alpha=1.0, beta=2.0)
    assert e.value.name == "beta"
    with pytest.raises(ParameterError):
        run_amp(LASSO_BG, 100, -1.0, 0.1, 3, eps=0.1, alpha=1.5)


def test_bad_priors():
    with pytest.raises(ParameterError) as e:
        discrete([0, 1], [0.5, 0.6])
    assert e.value.name == "weights"
    with pytest.raises(ParameterError):
        discrete([0, 1], [-0.5, 1.5])
    with pytest.raises(ParameterError):
        bernoulli_gaussian(1.5)
    with pytest.raises(ParameterError):
        gaussian(-1)
    with pytest.raises(ParameterError) as e:
        density("1/(pi*(1+x**2))")  # Cauchy: no second moment
    assert e.value.name == "prior" and "second moment" in str(e.value)
    with pytest.raises(ParameterError):
        parse_prior("density: 1/(pi*(1+x**2))")
    with pytest.raises(ParameterError):
        density("exp(x)")  # not normalisable
    with pytest.raises(UnsafeExpressionError):
        parse_prior("density: __import__('os').system('true')")
    with pytest.raises(ParameterError):
        parse_prior("bg(eps=0.1, foo=2)")


@pytest.mark.parametrize("text", ["1/y", "y**2", "sign(y)", "exp(y)", "y*abs(y)"])
def test_non_lipschitz_denoisers(text):
    with pytest.raises(ParameterError) as e:
        from_expression(text)
    assert e.value.name == "denoiser"


def test_diverging_state_evolution_is_reported():
    # eta(y) = 2y: F(v) = sigma^2 + (E X0^2 + 4 v)/delta grows without bound when delta < 4
    se = SeparableSE(bernoulli_gaussian("eps"), from_expression("2*y"))
    r = se.fixed_point(np.array([0.5, 8.0]), 0.1, eps=0.1)
    assert not r.converged[0] and np.isnan(r.tau2[0]) and np.isnan(r.mse[0])
    assert np.all(np.diff(r.last_iterates[:, 0]) > 0) and r.last_iterates[-1, 0] > 1e6
    # delta = 8: F(v) = 0.01 + (0.1 + 4v)/8, fixed point v = (0.01 + 0.1/8)/(1 - 1/2)
    assert r.converged[1] and abs(r.tau2[1] - (0.01 + 0.1 / 8) / 0.5) < 1e-12
    # too few iterations: not converged, NaN, the last iterates kept
    r = BAYES_BG.fixed_point(0.3, 0.05, eps=0.1, max_iter=2, newton=False)
    assert not r.converged and np.isnan(r.tau2) and np.all(np.isfinite(r.last_iterates))


# ---- 6. priors and the command-line grammar ----------------------------------------------------

def test_priors_and_grammar():
    assert parse_prior("bg(eps=0.1)").second_moment == sp.Rational(1, 10)
    assert parse_prior("bg(eps=eps, var=2)").second_moment == 2 * sp.Symbol("eps", positive=True)
    assert parse_prior("gauss(var=2, mean=1)").second_moment == 3
    assert parse_prior("rademacher").second_moment == 1
    p = parse_prior("density: exp(-x**2/2) on (-oo, oo)")  # unnormalised Gaussian: normalised numerically
    assert abs(float(p.second_moment) - 1) < 1e-10
    p = parse_prior("density: 3*x**2/2 on (-1, 1)")
    assert abs(float(p.second_moment) - 0.6) < 1e-12
    x = parse_prior("bg(eps=0.3, var=4)").sample(200_000, 3)
    assert abs(np.mean(x == 0) - 0.7) < 4 * np.sqrt(0.21 / 200_000)
    assert abs(np.mean(x ** 2) - 1.2) < 4 * np.std(x ** 2) / np.sqrt(200_000)
    xs = density("exp(-abs(x))/2").sample(200_000, 4)
    assert abs(np.mean(xs ** 2) - 2) < 4 * np.std(xs ** 2) / np.sqrt(200_000) + 0.01  # + interpolation
    assert r"\delta_{0}" in bernoulli_gaussian("eps").latex()


def test_user_model_from_text_registered():
    from rmtsym.amp.denoisers import parse_denoiser
    from rmtsym.core.graph import get_derivation

    se = SeparableSE(parse_prior("gauss(var=2)"), parse_denoiser("expr: y/(1+tau**2)"), register=True)
    assert se.method == "closed form" and se.parameters == ()
    assert get_derivation(se.name) is se.derivation and se.name.startswith("amp-se-user-")
    # X ~ N(0, 2), eta(y) = y/(1 + t): E[(eta - X)^2] = 2 t^2/(1 + t)^2 + t/(1 + t)^2 with t = tau^2
    t = np.array([0.01, 0.3, 2.0])
    np.testing.assert_allclose(se.mse(t), 2 * t ** 2 / (1 + t) ** 2 + t / (1 + t) ** 2, rtol=1e-13)
    np.testing.assert_allclose(se.onsager(t, 0.5), 1 / (1 + t) / 0.5, rtol=1e-13)
    assert parse_denoiser("soft(alpha=1.5)").expr.has(sp.Heaviside)
    assert parse_denoiser("bayes", rademacher()).prior is not None
