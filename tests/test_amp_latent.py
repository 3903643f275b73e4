"""Gaussian latent variable model with rotation-invariant coupling (rmtsym.amp.latent): Ising
special case, single-site moments, RS fixed point against runs of random sequential EC, and the
convergence boundary against the AT line (arXiv:2202.08198)."""

import numpy as np
import pytest
from scipy import integrate

from rmtsym.amp.latent import (AMP_LATENT_AT_LINE, IsingSite, MixtureSite, Teacher, latent_at_line,
                               latent_rs)
from rmtsym.amp.rotation import at_line, ising_rs, law_r, semicircle_r, wishart_r
from rmtsym.core.graph import get_derivation
from rmtsym.errors import ConvergenceError, ParameterError
from rmtsym.simulate.latent import run_latent_ec
from rmtsym.simulate.sequential import goe, shifted_wishart
from rmtsym.spectra.classic import marchenko_pastur
from rmtsym.spectra.free import affine

SITE_SC = MixtureSite(s=0.3, eps=0.2, a=3.0)      # prior precision 3 - beta J: proper for beta < 1.5
SITE_WI = MixtureSite(s=0.3, eps=0.2, a=4.0)      # J0 = X^T X/n - I (c = 1): proper for beta < 4/3
TEACHER = Teacher(v_star=1.0, sigma_star=0.5, eps_star=0.1)


# ---- Ising special case: the general solver reproduces rmtsym.amp.rotation ----------------
def test_ising_special_case_equals_ising_rs():
    beta = np.array([0.4, 0.9, 1.3, 0.7])[:, None]
    h = np.array([0.3, 1.0])[None, :]
    for rt in (semicircle_r(1.0), wishart_r(1.0)):
        ref = ising_rs(np.minimum(beta, 0.45) if rt.w_max < 2 else beta, h, rt)
        got = latent_rs(np.minimum(beta, 0.45) if rt.w_max < 2 else beta, rt, IsingSite(h))
        assert np.allclose(got.q, ref.q, atol=1e-8)
        assert np.allclose(got.chi, ref.chi, atol=1e-8)          # chi = E(1 - m^2) = 1 - q
        assert np.allclose(got.at, ref.at, atol=1e-7)
    # and its AT line (h = 0.5): the closed-form-checked rotation.at_line
    assert abs(float(latent_at_line(semicircle_r(1.0), IsingSite(0.5)))
               - float(at_line(0.5, semicircle_r(1.0)))) < 1e-5


# ---- single-site moments against quadrature -------------------------------------------------
@pytest.mark.parametrize("gamma,y,r", [(0.3, 1.2, 0.5), (-1.0, 0.4, -0.7), (0.0, -2.0, 1.0)])
def test_mixture_moments_against_quad(gamma, y, r):
    s, eps, a = 0.4, 0.25, 2.0
    lik = lambda x: ((1 - eps) * np.exp(-(y - x) ** 2 / (2 * s * s))                          # noqa: E731
                     + eps * np.exp(-(y + x) ** 2 / (2 * s * s)))
    w = lambda x: lik(x) * np.exp(-a * x * x / 2 + gamma * x + r * x * x / 2)                 # noqa: E731
    Z = integrate.quad(w, -30, 30, epsabs=0, epsrel=1e-12, limit=200)[0]
    m1 = integrate.quad(lambda x: x * w(x), -30, 30, epsabs=0, epsrel=1e-12, limit=200)[0] / Z
    m2 = integrate.quad(lambda x: x * x * w(x), -30, 30, epsabs=0, epsrel=1e-12, limit=200)[0] / Z
    m, g = MixtureSite(s, eps, a).moments(gamma, y, r)
    assert abs(float(m) - m1) < 1e-9 and abs(float(g) - (m2 - m1 ** 2)) < 1e-9


def test_rs_equations_against_scipy_quadrature():
    """The RS (q, chi) satisfy their equations when the double Gaussian integral is done by
    scipy (independent of the Gauss-Hermite rule inside latent_rs)."""
    rt = semicircle_r(1.0)
    b = 0.9
    rs = latent_rs(b, rt, SITE_SC, TEACHER)
    q, chi = float(rs.q), float(rs.chi)
    R, dR = b * float(rt.r(b * chi)), b * b * float(rt.dr(b * chi))
    sd, sy = np.sqrt(q * dR), TEACHER.y_std
    phi = lambda t: np.exp(-t * t / 2) / np.sqrt(2 * np.pi)                            # noqa: E731

    def E(k):
        return integrate.dblquad(lambda z, u: (SITE_SC.moments(sd * z, sy * u, R)[0] ** 2 if k == 0
                                               else SITE_SC.moments(sd * z, sy * u, R)[1]) * phi(z) * phi(u),
                                 -9, 9, -9, 9, epsabs=1e-11)[0]
    assert abs(E(0) - q) < 1e-9
    assert abs(E(1) - chi) < 1e-9


# ---- RS fixed point against runs (converging side) ------------------------------------------
def test_rs_fixed_point_against_runs(mc_scale):
    N = int(1000 * min(mc_scale, 2))
    rt = semicircle_r(1.0)
    J = goe(N, seed=1)
    bat = float(latent_at_line(rt, SITE_SC, TEACHER))
    for f, seed in ((0.45, 2), (0.8, 4)):
        b = f * bat
        x, y = TEACHER.sample(N, seed=seed)
        rs = latent_rs(b, rt, SITE_SC, TEACHER, y=y)   # RS conditioned on this sample of y
        run = run_latent_ec(J, b, y, SITE_SC, float(rs.chi), sweeps=300, seed=3)
        assert run.converged
        # sites ~ iid given the RS picture: standard errors of the site averages; finite-N
        # allowance 0.02 (coupling-realisation fluctuations of EC at N = 1000: |dq| <= 0.026 over
        # 8 other (coupling, data) seeds, mean -0.007)
        for val, th in ((run.m ** 2, rs.q), (run.g, rs.chi), (x * run.m, rs.rho)):
            se = np.std(val) / np.sqrt(N)
            assert abs(np.mean(val) - float(th)) < 4 * se + 0.02, (f, np.mean(val), float(th), se)
        # Onsager coefficient of the finite Gaussian stage vs R_{beta J}(chi) of the limit law
        assert abs(run.reaction - float(rs.reaction)) < 0.03


# ---- convergence boundary = AT line, two couplings -------------------------------------------
@pytest.mark.parametrize("coupling", ["semicircle", "wishart"])
def test_runs_converge_below_and_not_above_at_line(coupling):
    N = 500
    if coupling == "semicircle":
        J, rt, site = goe(N, seed=1), semicircle_r(1.0), SITE_SC
    else:
        J, rt, site = shifted_wishart(N, 1.0, seed=1), wishart_r(1.0), SITE_WI
    bat = float(latent_at_line(rt, site, TEACHER))
    x, y = TEACHER.sample(N, seed=2)
    for f, expect in ((0.85, True), (1.2, False)):
        rs = latent_rs(f * bat, rt, site, TEACHER)
        assert (float(rs.at) < 1) == expect               # the RS side of the AT line
        run = run_latent_ec(J, f * bat, y, site, float(rs.chi), sweeps=300, seed=3)
        if expect:
            assert run.converged and run.changes[-1] < 1e-8
        else:                                   # non-decaying: changes O(1) after the budget
            assert not run.converged and np.min(run.changes[-20:]) > 1e-3


def test_at_line_through_numeric_law_r():
    """At the closed-form (wishart_r) AT point the AT ratio computed with the numeric R-transform
    of the spectral law (law_r: inversion of its Stieltjes transform) is 1."""
    site = MixtureSite(0.3, np.array([0.1, 0.3]), 4.0)
    bat = latent_at_line(wishart_r(1.0), site, TEACHER, beta_hi=1.3, grid=14, tol=1e-9)
    assert np.all(np.isfinite(bat))
    law = law_r(affine(marchenko_pastur(1.0), 1, -1))
    assert np.allclose(latent_rs(bat, law, site, TEACHER).at, 1.0, atol=1e-6)


# ---- derivation and bad input ----------------------------------------------------------------
def test_derivation_latex():
    d = get_derivation("amp-latent-at-line")
    assert d is AMP_LATENT_AT_LINE and "amp-rsmp-at-line" in d.requires
    tex = d.latex()
    assert r"\chi" in tex and "tanh" in tex


def test_bad_input():
    with pytest.raises(ParameterError, match="s"):
        MixtureSite(s=0.0)
    with pytest.raises(ParameterError, match="eps"):
        MixtureSite(eps=1.0)
    with pytest.raises(ParameterError, match="v_star"):
        Teacher(v_star=-1.0)
    with pytest.raises(ParameterError, match="beta"):
        latent_rs(-0.5, semicircle_r(1.0), SITE_SC)
    with pytest.raises(ParameterError, match="y"):
        latent_rs(0.5, semicircle_r(1.0), SITE_SC, y=[np.nan])
    with pytest.raises(ParameterError, match="site"):
        latent_rs(0.5, semicircle_r(1.0), "probit")
    J = goe(20, seed=0)
    with pytest.raises(ParameterError, match="y"):
        run_latent_ec(J, 0.5, np.ones(19), SITE_SC, 0.5)
    with pytest.raises(ParameterError, match="chi"):
        run_latent_ec(J, 0.5, np.ones(20), SITE_SC, -0.5)
    # a site law that is not normalisable (a + 1/s^2 - R <= 0) gives NaN, not a number
    rs = latent_rs(0.5, semicircle_r(1.0), MixtureSite(s=0.3, eps=0.2, a=0.0), TEACHER)
    assert rs.converged and np.isfinite(rs.q)
    rs = latent_rs(30.0, semicircle_r(1.0), MixtureSite(s=3.0, eps=0.2, a=0.0), TEACHER)
    assert not rs.converged and np.isnan(rs.q)
    with pytest.raises(ConvergenceError, match="last iterates"):
        latent_rs(30.0, semicircle_r(1.0), MixtureSite(s=3.0, eps=0.2, a=0.0), TEACHER, raise_on_fail=True)
