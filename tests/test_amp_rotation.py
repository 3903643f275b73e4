"""R-transform, RS fixed point / AT line of the Ising model with rotation-invariant coupling, and
the random sequential message-passing runs that check the convergence boundary (arXiv:2202.08198)."""

import numpy as np
import pytest
from scipy import integrate, optimize

from rmtsym.amp.rotation import (AMP_RSMP_AT_LINE, at_line, ising_rs, law_r, r_transform,
                                 r_transform_derivative, semicircle_r, wishart_r,
                                 wishart_zero_field_beta)
from rmtsym.core.graph import get_derivation
from rmtsym.errors import ParameterError
from rmtsym.simulate.sequential import (ec_gaussian_stage, goe, run_sequential_bp, run_sequential_ec,
                                        shifted_wishart)
from rmtsym.spectra.classic import marchenko_pastur, semicircle
from rmtsym.spectra.free import affine


# ---- R-transform: numeric inversion against closed forms ---------------------------------
def test_r_transform_semicircle_closed_form():
    w = np.array([-0.6, -0.1, 0.05, 0.3, 0.65])
    law = semicircle(2)                       # R(w) = 2 w, G(edge) = 1/sqrt 2
    assert np.allclose(r_transform(law, w), 2 * w, atol=1e-10)
    assert np.allclose(r_transform_derivative(law, w), 2.0, atol=1e-7)
    assert float(r_transform(law, 0.0)) == 0.0
    assert np.isnan(r_transform(law, 0.8))    # beyond G(edge): not invertible on the real axis


@pytest.mark.parametrize("c", [0.5, 1.0, 2.0])
def test_r_transform_shifted_wishart_closed_form(c):
    law = affine(marchenko_pastur(c), 1, -1)  # X^T X/n - I, c = N/n
    rt = wishart_r(c)
    w = np.array([-1.5, -0.3, 0.02, 0.15, 0.9 * float(wishart_zero_field_beta(c))])
    assert np.allclose(r_transform(law, w), rt.r(w), atol=1e-9)
    assert np.allclose(r_transform_derivative(law, w), rt.dr(w), rtol=1e-7)
    # R(0) = mean = 0, R'(0) = variance = c (free cumulants of the shifted MP law)
    assert abs(float(r_transform(law, 0.0))) < 1e-12
    assert abs(float(r_transform_derivative(law, 0.0)) - c) < 1e-12
    # the edge of the real domain of R is G(edge+) = 1/(sqrt c (1 + sqrt c)) (zero-field AT point)
    assert abs(law_r(law).w_max - float(wishart_zero_field_beta(c))) < 1e-5


# ---- RS fixed point and AT line -----------------------------------------------------------
def _quad_E(f):
    return integrate.quad(lambda z: f(z) * np.exp(-z * z / 2) / np.sqrt(2 * np.pi), -12, 12,
                          epsabs=1e-13, epsrel=1e-12, limit=200)[0]


def _at_line_scipy(h, dr_scaled, b0=1.2):
    """Independent method: solve (RS, AT) for (q, beta) with scipy quad + fsolve from (0.4, b0)."""
    def eqs(x):
        q, b = x
        s = np.sqrt(q * dr_scaled(b, 1 - q))
        return [_quad_E(lambda z: np.tanh(h + s * z) ** 2) - q,
                dr_scaled(b, 1 - q) * _quad_E(lambda z: (1 - np.tanh(h + s * z) ** 2) ** 2) - 1]
    return optimize.fsolve(eqs, [0.4, b0], xtol=1e-12)


def test_at_line_semicircle_closed_form_and_scipy():
    assert abs(float(at_line(0.0, semicircle_r(1.0))) - 1.0) < 1e-6     # SK: beta_AT(0) = 1
    q, b = _at_line_scipy(0.5, lambda b, chi: b * b)
    ours = float(at_line(0.5, semicircle_r(1.0)))
    assert abs(ours - b) < 1e-7
    assert abs(float(ising_rs(ours, 0.5, semicircle_r(1.0)).q) - q) < 1e-7
    # larger field (sharp sech^4 peak): scipy again
    assert abs(float(at_line(2.0, semicircle_r(1.0))) - _at_line_scipy(2.0, lambda b, chi: b * b, 2.4)[1]) < 1e-6
    # small-field asymptotics of the SK AT line: T_AT = 1 - (3/4)^(1/3) h^(2/3) + O(h^(4/3))
    h = 1e-3
    t_asym = 1 - 0.75 ** (1 / 3) * h ** (2 / 3)
    assert abs(1 / float(at_line(h, semicircle_r(1.0))) - t_asym) < 3 * h ** (4 / 3)
    # variance scaling: semicircle of variance v is sqrt(v) x unit semicircle
    assert abs(float(at_line(0.5, semicircle_r(4.0))) - ours / 2) < 1e-7


@pytest.mark.parametrize("c", [0.25, 1.0, 2.0])
def test_wishart_zero_field_and_field_at(c):
    rt = wishart_r(c)
    assert abs(float(at_line(0.0, rt)) - 1 / (np.sqrt(c) * (1 + np.sqrt(c)))) < 1e-6
    # in a field: against scipy with R'_{beta J}(chi) = beta^2 c/(1 - c beta chi)^2
    q, b = _at_line_scipy(1.0, lambda b, chi: b * b * c / (1 - c * b * chi) ** 2,
                          b0=1.5 * float(wishart_zero_field_beta(c)))
    assert abs(float(at_line(1.0, rt)) - b) < 1e-6
    # numeric R-transform of the law gives the same AT point (beta chi inside R's real domain)
    law = affine(marchenko_pastur(c), 1, -1)
    assert abs(float(ising_rs(b, 1.0, law_r(law)).at) - 1.0) < 1e-6


def test_rs_fixed_point_against_quadrature():
    beta, h = np.array([0.7, 1.3, 2.0]), 0.3
    rs = ising_rs(beta, h, semicircle_r(1.0))
    for b, q in zip(beta, rs.q):
        qq = optimize.brentq(lambda x: _quad_E(lambda z: np.tanh(h + b * np.sqrt(x) * z) ** 2) - x,
                             1e-6, 1 - 1e-9, xtol=1e-14)
        assert abs(q - qq) < 1e-8
    assert np.all(rs.converged)


def test_derivation_registered_and_latex():
    d = get_derivation("amp-rsmp-at-line")
    assert d is AMP_RSMP_AT_LINE
    tex = d.latex()
    assert "\\tanh" in tex and "R_{J}" in tex and "arXiv:2202.08198" in tex


def test_bad_input():
    with pytest.raises(ParameterError, match="beta"):
        ising_rs(-1.0, 0.0, semicircle_r())
    with pytest.raises(ParameterError, match="c"):
        wishart_r(0.0)
    with pytest.raises(ParameterError, match="variance"):
        semicircle_r(-1)
    with pytest.raises(ParameterError, match="chi"):
        ec_gaussian_stage(goe(50, seed=0), 0.5, 0.0)
    with pytest.raises(ParameterError, match="sweeps"):
        run_sequential_bp(goe(10), 0.5, 0.0, sweeps=0)


# ---- simulation: the convergence boundary is the AT line ----------------------------------
def _verdict(run, big=1e-3):
    """1 converged (max change < 1e-8), 0 not converged (max change after the last sweep > big)."""
    if run.converged:
        return 1
    return 0 if run.changes[-1] > big else -1


@pytest.mark.slow
def test_bp_zero_field_boundary_semicircle(mc_scale):
    # h = 0, GOE coupling: AT point beta = 1. N = 400 at default scale (REFERENCES checked N = 1000).
    # Below: geometric decay at rate ~beta per sweep, 0.95 needs ~200 sweeps to 1e-8; above: the
    # messages keep moving by O(1) (not a tolerance question: changes ~0.7-1.3 after 150 sweeps).
    N = int(400 * np.sqrt(mc_scale))
    J = goe(N, seed=3)
    for f, want in ((0.8, 1), (0.9, 1), (0.95, 1), (1.05, 0), (1.1, 0), (1.2, 0)):
        run = run_sequential_bp(J, f, 0.0, sweeps=600 if want else 150, seed=4)
        assert _verdict(run) == want, (f, run.changes[-3:])


@pytest.mark.slow
@pytest.mark.parametrize("coupling", ["semicircle", "wishart"])
def test_ec_field_boundary(coupling, mc_scale):
    # h > 0: random sequential EC converges at 0.9 beta_AT(h) and does not at 1.2 beta_AT(h).
    # At N = 500 the finite-N boundary spreads by ~10% over couplings (semicircle h = 0.5:
    # one of 4 couplings converged at 1.1, one failed at 0.95), hence the 0.9 / 1.2 margins.
    # Fields chosen so that beta chi stays away from the spectral edge (finite-N edge effects:
    # closer to it the finite-N boundary smears; e.g. Wishart c = 1, h = 0.5 still converged
    # at 1.1 beta_AT at N = 500).
    N = int(500 * np.sqrt(mc_scale))
    if coupling == "semicircle":
        J, rt, h = goe(N, seed=1), semicircle_r(1.0), 0.5
    else:
        J, rt, h = shifted_wishart(N, 1.0, seed=1), wishart_r(1.0), 2.0
    bat = float(at_line(h, rt))
    for f, want in ((0.9, 1), (1.2, 0)):
        b = f * bat
        rs = ising_rs(b, h, rt)
        run = run_sequential_ec(J, b, h, float(rs.chi), sweeps=300, seed=2)
        assert _verdict(run) == want, (f, run.changes[-3:])
        if want:
            # the converged fixed point against the RS prediction: q = mean m^2 fluctuates by
            # O(N^-1/2) x susceptibility (measured |q_run - q_RS| <= 0.04 over 4 couplings at
            # N = 500 and beta <= 1.2 beta_AT; 0.005-0.02 at 0.9 beta_AT): allowance 0.05
            assert abs(np.mean(run.m ** 2) - float(rs.q)) < 0.05
