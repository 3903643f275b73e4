"""Tests of rmtsym.spectra.law and the classic constructors (Marchenko–Pastur, semicircle).

Witnesses: closed-form densities, edges, atoms and moments (Narayana polynomials, Catalan
numbers) written out here; scipy quadrature of the density; the numeric subordination path
(CompiledSystem) for the branch choice of a degree-4 law through its cusps; and simulation
(Kolmogorov distance of a GUE spectrum).
"""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad

from rmtsym.core.graph import get_derivation, lineage
from rmtsym.errors import ParameterError
from rmtsym.spectra.classic import MARCHENKO_PASTUR, SEMICIRCLE, marchenko_pastur, semicircle
from rmtsym.spectra.free import free_product, free_sum
from rmtsym.spectra.law import (M, Z, AlgebraicLaw, EmpiricalLaw, algebraic_law, atomic_law,
                                empirical_law, exact_number)



# ---- independent closed forms ------------------------------------------------------------
def mp_density(x, g, s2=1.0):
    lm, lp = s2 * (1 - np.sqrt(g)) ** 2, s2 * (1 + np.sqrt(g)) ** 2
    with np.errstate(all="ignore"):
        f = np.sqrt(np.maximum((lp - x) * (x - lm), 0)) / (2 * np.pi * g * s2 * x)
    return np.where((x > lm) & (x < lp), f, 0.0)


def sc_density(x, v):
    return np.sqrt(np.maximum(4 * v - x * x, 0)) / (2 * np.pi * v)


def narayana_moment(k, g):
    """k-th moment of MP(ratio g): sum_j N(k, j) g^(j-1), N(k,j) = C(k,j) C(k,j-1)/k."""
    if k == 0:
        return sp.Integer(1)
    return sp.expand(sum(sp.Rational(comb(k, j) * comb(k, j - 1), k) * g ** (j - 1)
                         for j in range(1, k + 1)))


def upper_root(A, B, C):
    d = np.sqrt(B * B - 4 * A * C + 0j)
    r1, r2 = (-B + d) / (2 * A), (-B - d) / (2 * A)
    return np.where(r1.imag >= r2.imag, r1, r2)


# ---- Marchenko–Pastur ----------------------------------------------------------------------
@pytest.mark.parametrize("g", ["1/4", "1", "3/2", "4"])
def test_mp_density_edges_atoms(g):
    gv = float(sp.Rational(g))
    law = marchenko_pastur(g)
    x = np.linspace(-0.5, (1 + np.sqrt(gv)) ** 2 + 0.5, 1201)
    x = x[x != 0]
    assert np.max(np.abs(law.density(x) - mp_density(x, gv))) < 1e-12
    edges = law.support()
    assert len(edges) == 1
    assert edges[0][0] == pytest.approx((1 - np.sqrt(gv)) ** 2, abs=1e-14)
    assert edges[0][1] == pytest.approx((1 + np.sqrt(gv)) ** 2, rel=1e-14)
    lo, hi = law.support_exact()[0]
    assert sp.simplify(hi - (1 + sp.sqrt(sp.Rational(g))) ** 2) == 0
    atoms = law.atoms_exact()
    if gv > 1:
        assert atoms == [(0, 1 - 1 / sp.Rational(g))]
    else:
        assert atoms == []
    mass = sum(w for _, w in law.atoms())
    tot, _ = quad(lambda t: float(law.density(t)), *edges[0], limit=200)
    assert tot == pytest.approx(1 - mass, abs=1e-8)
    # cdf: atoms included, matches quadrature
    mid = 0.5 * sum(edges[0])
    part, _ = quad(lambda t: float(law.density(t)), edges[0][0], mid, limit=200)
    assert float(law.cdf(mid)) == pytest.approx(part + mass, abs=1e-8)
    assert float(law.cdf(edges[0][1] + 1)) == pytest.approx(1.0, abs=1e-10)
    assert float(law.cdf(-1e-12)) == 0.0
    assert float(law.cdf(0.0)) == pytest.approx(mass, abs=1e-12)


def test_mp_moments_narayana_and_variance():
    for g in (sp.Rational(1, 3), sp.Integer(2)):
        law = marchenko_pastur(g)
        assert law.moments(7) == [narayana_moment(k, g) for k in range(8)]
    s2 = sp.Rational(5, 2)
    law = marchenko_pastur(sp.Rational(1, 2), variance=s2)
    assert [law.moment(k) for k in range(6)] == [narayana_moment(k, sp.Rational(1, 2)) * s2**k
                                                 for k in range(6)]
    x = np.linspace(0.01, 8, 500)
    assert np.max(np.abs(law.density(x) - mp_density(x, 0.5, 2.5))) < 1e-12


def test_mp_stieltjes_complex_and_boundary():
    law = marchenko_pastur("1/2")
    z = np.array([[0.3 + 1e-3j, 2 + 0.5j], [-1 + 2j, 7 + 1e-9j]])
    ref = upper_root(0.5 * z, -(1 - 0.5 - z), 1.0)
    assert np.max(np.abs(law.stieltjes(z) - ref)) < 1e-13
    assert law.stieltjes(z).shape == (2, 2)
    # lower half plane by symmetry; real axis = boundary value with Im >= 0
    assert np.allclose(law.stieltjes(np.conj(z)), np.conj(ref), atol=1e-13)
    x = np.array([-1.0, 0.5, 1.0, 4.0])
    b = law.stieltjes(x)
    zx = x + 1e-12j
    assert np.all(b.imag >= 0) and b[0].imag == 0 and b[3].imag == 0
    assert np.max(np.abs(b - upper_root(0.5 * zx, -(0.5 - zx), 1.0))) < 1e-9


def test_mp_ratio_one_hard_edge():
    law = marchenko_pastur(1)
    assert law.support() == [(0.0, 4.0)] and law.atoms() == []
    x = np.array([1e-8, 1e-4, 0.5, 3.99])
    assert np.allclose(law.density(x), mp_density(x, 1.0), rtol=1e-10, atol=0)
    assert float(law.cdf(4.0)) == pytest.approx(1.0, abs=1e-9)
    assert float(law.cdf(1.0)) == pytest.approx(quad(lambda t: float(law.density(t)), 0, 1,
                                                     limit=200)[0], abs=1e-8)


# ---- semicircle ------------------------------------------------------------------------------
@pytest.mark.parametrize("v", ["1/4", "1", "3"])
def test_semicircle_density_edges_moments(v):
    vv = float(sp.Rational(v))
    law = semicircle(v)
    r = 2 * np.sqrt(vv)
    x = np.linspace(-r - 1, r + 1, 1001)
    assert np.max(np.abs(law.density(x) - sc_density(x, vv))) < 1e-12
    assert law.density(np.array([-r, r])).tolist() == [0.0, 0.0]
    lo, hi = law.support_exact()[0]
    assert sp.simplify(hi - 2 * sp.sqrt(sp.Rational(v))) == 0 and sp.simplify(lo + hi) == 0
    assert law.atoms() == []
    tot, _ = quad(lambda t: float(law.density(t)), -r, r)
    assert tot == pytest.approx(1.0, abs=1e-10)
    cat = [sp.catalan(k) for k in range(5)]
    assert law.moments(8) == [cat[k // 2] * sp.Rational(v) ** (k // 2) if k % 2 == 0 else 0
                              for k in range(9)]


def test_semicircle_zero_variance_is_delta():
    law = semicircle(0)
    assert law.atoms() == [(0.0, 1.0)] and law.support() == []
    assert law.cdf([-1e-9, 0.0]).tolist() == [0.0, 1.0]
    assert law.moments(3) == [1, 0, 0, 0]


def test_cdf_against_quadrature_and_monotone():
    law = free_sum(semicircle("1/2"), marchenko_pastur("1/2"))
    lo, hi = law.support()[0]
    xs = np.linspace(lo, hi, 7)[1:-1]
    got = law.cdf(xs)
    ref = [quad(lambda t: float(law.density(t)), lo, t, limit=200)[0] for t in xs]
    assert np.max(np.abs(got - ref)) < 1e-9
    fine = law.cdf(np.linspace(lo - 1, hi + 1, 2001))
    assert np.all(np.diff(fine) >= -1e-12) and fine[0] == 0 and fine[-1] == pytest.approx(1, abs=1e-9)


# ---- degree-4 law through two cusps ------------------------------------------------------------
@pytest.fixture(scope="module")
def cusp_law():
    """(27/80) d_{-1} + (13/40) d_0 + (27/80) d_1  ⊞  SC(5/14): the gaps close exactly, with
    cusps at +-4/7 (chosen by hand: m_mu''(1/2) = 0 and v = 1/m_mu'(1/2); z(1/2) = 4/7)."""
    return free_sum(atomic_law([-1, 0, 1], ["27/80", "13/40", "27/80"]), semicircle("5/14"))


def test_cusp_law_degree_and_exact_cusps(cusp_law):
    assert cusp_law.degree[0] == 4
    crit = cusp_law.critical_points()
    assert sp.Rational(4, 7) in crit and -sp.Rational(4, 7) in crit
    assert len(cusp_law.support()) == 1           # the gaps are closed
    assert cusp_law.density(np.array([4 / 7, -4 / 7])).tolist() == [0.0, 0.0]


def test_cusp_law_density_continuous_nonnegative_normalised(cusp_law):
    x = np.linspace(-2.2, 2.2, 40001)
    f = cusp_law.density(x)
    assert np.all(np.isfinite(f)) and np.all(f >= 0)
    h = x[1] - x[0]
    assert np.max(np.abs(np.diff(f))) < 2 * h ** (1 / 3)   # Hölder-1/3 at the cusps, smooth elsewhere
    lo, hi = cusp_law.support()[0]
    tot, _ = quad(lambda t: float(cusp_law.density(t)), lo, hi, points=[-4 / 7, 0, 4 / 7],
                  limit=400)
    assert tot == pytest.approx(1.0, abs=1e-8)
    assert float(cusp_law.cdf(hi)) == pytest.approx(1.0, abs=1e-7)
    # cusp exponent 1/3: f(c + t) ~ t^(1/3)
    c = 4 / 7
    r = cusp_law.density(np.array([c + 1e-6, c - 1e-6])) / cusp_law.density(
        np.array([c + 1e-9, c - 1e-9]))
    assert np.allclose(r, 10.0, rtol=0.02)


def test_cusp_law_matches_subordination_path(cusp_law):
    sub = free_sum(atomic_law([-1, 0, 1], ["27/80", "13/40", "27/80"]), semicircle("5/14"),
                   method="subordination")
    x = np.concatenate([np.linspace(-2, 2, 81), 4 / 7 + np.array([-1e-3, -1e-5, 1e-5, 1e-3])])
    a, b = cusp_law.density(x), sub.density(x)
    assert sub.last_report is not None
    assert np.max(np.abs(a - b)) < 1e-9
    z = x + 0.05j
    assert np.max(np.abs(cusp_law.stieltjes(z) - sub.stieltjes(z))) < 1e-10


def test_two_upper_roots_track_intervals():
    """SC ⊠ MP(2) has degree 4 and intervals with two roots in the upper half plane."""
    law = free_product(semicircle(1), marchenko_pastur(2))
    assert law.degree[0] == 4
    assert 2 in set(law._info.kind.tolist())        # the tracked signature is exercised
    sub = free_product(semicircle(1), marchenko_pastur(2), method="subordination")
    x = np.linspace(-4, 4, 121)
    x = x[x != 0]
    assert np.max(np.abs(law.density(x) - sub.density(x))) < 1e-9
    assert law.atoms() == [(0.0, 0.5)]
    lo, hi = law.support()[0]
    tot = sum(quad(lambda t: float(law.density(t)), a, b, limit=300)[0]
              for a, b in ((lo, 0), (0, hi)))
    assert tot == pytest.approx(0.5, abs=1e-7)


# ---- simulation witness ----------------------------------------------------------------------
def test_semicircle_kolmogorov_distance_to_gue():
    rng = np.random.default_rng(7)
    n, v = 400, 2.0
    A = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))) / np.sqrt(2)
    H = (A + A.conj().T) / np.sqrt(2 * n) * np.sqrt(v)
    ev = np.sort(np.linalg.eigvalsh(H))
    law = semicircle(2)
    F = law.cdf(ev)
    ks = max(np.max(np.arange(1, n + 1) / n - F), np.max(F - np.arange(n) / n))
    assert ks < 5 * np.log(n) / n           # eigenvalue rigidity: O(log n / n)


# ---- other constructors and the registry ---------------------------------------------------------
def test_atomic_and_empirical_laws():
    law = atomic_law(["-1/2", 2], ["1/3", "2/3"])
    assert law.atoms_exact() == [(-sp.Rational(1, 2), sp.Rational(1, 3)), (2, sp.Rational(2, 3))]
    assert law.support() == [] and law.moment(2) == sp.Rational(1, 12) + sp.Rational(8, 3)
    z = np.array([0.3 + 0.2j, 5.0])
    ref = (1 / 3) / (-0.5 - z) + (2 / 3) / (2 - z)
    assert np.allclose(law.stieltjes(z), ref, atol=1e-14)
    emp = empirical_law([-0.5, 2, 2])
    assert np.allclose(emp.stieltjes(z), ref, atol=1e-14)
    assert emp.atoms() == [(-0.5, 1 / 3), (2.0, 2 / 3)]
    assert emp.cdf([-1, -0.5, 1.9, 2]).tolist() == [0.0, 1 / 3, 1 / 3, 1.0]
    assert isinstance(emp, EmpiricalLaw)
    assert empirical_law([2, -0.5, 2]).name == emp.name       # deterministic names


def test_algebraic_law_from_user_polynomial_and_latex():
    w = sp.Symbol("w")
    law = algebraic_law(w**2 + Z * w + 1, m=w, name="test-user-semicircle")
    assert law.equation() == sp.Eq(M**2 + M * Z + 1, 0)
    assert "m^{2}" in law.latex() and "test-user-semicircle" in law.latex()
    assert get_derivation("test-user-semicircle") is law.derivation


def test_derivations_registered_with_requirements():
    assert get_derivation("marchenko-pastur") is MARCHENKO_PASTUR
    assert get_derivation("semicircle") is SEMICIRCLE
    law = free_sum(semicircle(1), marchenko_pastur("1/2"))
    d = get_derivation(law.name)
    assert set(d.requires) == {"semicircle[v=1]", "marchenko-pastur[gamma=1/2]",
                               "free-additive-convolution"}
    assert {"semicircle", "marchenko-pastur"} <= set(lineage(law.name))
    again = free_sum(semicircle(1), marchenko_pastur("1/2"))
    assert again.name == law.name


def test_bad_input():
    with pytest.raises(ParameterError, match="ratio"):
        marchenko_pastur(0)
    with pytest.raises(ParameterError, match="ratio"):
        marchenko_pastur(-1.5)
    with pytest.raises(ParameterError, match="variance"):
        marchenko_pastur(0.5, variance=-1)
    with pytest.raises(ParameterError, match="variance.*>= 0"):
        semicircle(-0.1)
    with pytest.raises(ParameterError, match="ratio"):
        marchenko_pastur(float("inf"))
    with pytest.raises(ParameterError, match="weights"):
        atomic_law([0, 1], [0.5, 0.6])
    with pytest.raises(ParameterError, match="polynomial"):
        AlgebraicLaw(M**2 + Z * M + 2, name="not-a-law")      # m ~ -1/(2z): mass 1/2
    with pytest.raises(ParameterError, match="eigenvalues"):
        empirical_law([1.0, np.nan])
    with pytest.raises(ParameterError, match="k"):
        semicircle(1).moment(-1)
    assert exact_number(0.1, "x") == sp.Rational(1, 10)
