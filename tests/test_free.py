"""Tests of rmtsym.spectra.free: free sum, free product, affine images.

Witnesses, all computed here independently of the library:
* exact: SC ⊞ SC = SC(v1 + v2) as polynomials; moments from free cumulants summed with the
  moment–cumulant formula over explicitly enumerated non-crossing partitions; MP ⊠ MP moments
  from the S-transform S(w) = 1/((1 + c1 w)(1 + c2 w)) inverted as a sympy series;
* 40-digit mpmath roots of the SC ⊞ MP cubic derived by hand from m = m_MP(z + v m);
* the numeric subordination path (CompiledSystem) against the eliminated polynomial;
* Monte Carlo: complex (unitarily invariant) ensembles, whose moments have 1/n^2 corrections,
  so the tolerance is 5 standard errors of a few replicates.
"""

from __future__ import annotations

from itertools import combinations

import mpmath
import numpy as np
import pytest
import sympy as sp

from rmtsym.errors import ParameterError
from rmtsym.spectra.classic import marchenko_pastur, semicircle
from rmtsym.spectra.free import AffineLaw, affine, free_product, free_sum
from rmtsym.spectra.law import (M, Z, AlgebraicLaw, SubordinationLaw, atomic_law,
                                empirical_law)



# ---- independent combinatorics ---------------------------------------------------------------
def set_partitions(items):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in set_partitions(rest):
        for i in range(len(part)):
            yield part[:i] + [[first] + part[i]] + part[i + 1:]
        yield [[first]] + part


def non_crossing(part):
    for A, B in combinations(part, 2):
        for a1, a2 in combinations(sorted(A), 2):
            if any(a1 < b < a2 for b in B) and any(b < a1 or b > a2 for b in B):
                return False
    return True


def moments_from_cumulants_nc(kappa, K):
    """mu_n = sum over non-crossing partitions of {1..n} of prod_blocks kappa_|B|."""
    out = [sp.Integer(1)]
    for n in range(1, K + 1):
        tot = 0
        for p in set_partitions(list(range(n))):
            if non_crossing(p):
                tot += sp.Mul(*[kappa[len(b)] for b in p])
        out.append(sp.expand(tot))
    return out


def test_nc_enumeration_counts():
    counts = [sum(1 for p in set_partitions(list(range(n))) if non_crossing(p)) for n in range(1, 7)]
    assert counts == [1, 2, 5, 14, 42, 132]          # Catalan numbers


# ---- free sums ---------------------------------------------------------------------------------
def test_sum_of_semicircles_is_semicircle_exactly():
    law = free_sum(semicircle("1/3"), semicircle("5/2"))
    assert isinstance(law, AlgebraicLaw)
    target = sp.Poly(sp.Rational(17, 6) * M**2 + Z * M + 1, M, Z)
    got = law.poly
    assert sp.Poly(got.as_expr() * target.LC() - target.as_expr() * got.LC(), M, Z).is_zero
    assert law.support_exact() == [(-sp.sqrt(sp.Rational(34, 3)), sp.sqrt(sp.Rational(34, 3)))]


@pytest.fixture(scope="module")
def sc_mp():
    return free_sum(semicircle("1/2"), marchenko_pastur("1/3"))


def test_sc_plus_mp_against_40_digit_cubic(sc_mp):
    v, g = mpmath.mpf(1) / 2, mpmath.mpf(1) / 3
    # by hand: gamma (z + v m) m^2 - (1 - gamma - z - v m) m + 1 = 0
    #   <=> gamma v m^3 + (gamma z + v) m^2 + (z + gamma - 1) m + 1 = 0
    lo, hi = sc_mp.support()[0]
    xs = np.concatenate([np.linspace(lo - 0.4, hi + 0.4, 37), [lo + 1e-6, hi - 1e-6]])
    got = sc_mp.density(xs)
    with mpmath.workdps(40):
        ref = []
        for x in xs:
            zz = mpmath.mpf(float(x))
            roots = mpmath.polyroots([g * v, g * zz + v, zz + g - 1, 1], maxsteps=200,
                                     extraprec=200)
            ims = [mpmath.im(r) for r in roots]
            ref.append(float(max(max(ims), 0) / mpmath.pi))
    assert np.max(np.abs(got - np.array(ref))) < 1e-12
    # complex z: the physical root is the one with Im(-1/m) >= Im z, continued from -1/z
    zs = np.array([0.5 + 0.3j, 2.0 + 0.01j, -1 + 1j])
    mz = sc_mp.stieltjes(zs)
    with mpmath.workdps(40):
        for z0, m0 in zip(zs, mz):
            zz = mpmath.mpc(z0)
            roots = mpmath.polyroots([g * v, g * zz + v, zz + g - 1, 1], maxsteps=200,
                                     extraprec=200)
            best = min(roots, key=lambda r: abs(complex(r) - m0))
            assert abs(complex(best) - m0) < 1e-13
            assert mpmath.im(-1 / best) >= mpmath.im(zz)


def test_sum_moments_exact_from_free_cumulants(sc_mp):
    v, g = sp.Rational(1, 2), sp.Rational(1, 3)
    K = 7
    kappa = {k: g ** (k - 1) + (v if k == 2 else 0) for k in range(1, K + 1)}  # MP: g^(k-1)
    assert sc_mp.moments(K) == moments_from_cumulants_nc(kappa, K)


def test_sum_moments_against_simulation(sc_mp):
    """H = GUE(v) + complex Wishart(gamma): unitarily invariant, hence asymptotically free,
    with O(1/n^2) finite-size corrections to tr(H^k)/n."""
    rng = np.random.default_rng(2024)
    n, reps, v, g = 400, 6, 0.5, 1 / 3
    N = int(round(n / g))
    est = []
    for _ in range(reps):
        A = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))) / np.sqrt(2)
        G = (A + A.conj().T) / np.sqrt(2 * n) * np.sqrt(v)
        X = (rng.standard_normal((n, N)) + 1j * rng.standard_normal((n, N))) / np.sqrt(2)
        H = G + X @ X.conj().T / N
        H2 = H @ H
        est.append([np.trace(H).real / n, np.trace(H2).real / n,
                    np.sum(H2 * H.T).real / n, np.sum(H2 * H2.T).real / n])
    est = np.array(est)
    mean, se = est.mean(axis=0), est.std(axis=0, ddof=1) / np.sqrt(reps)
    exact = np.array([float(sc_mp.moment(k)) for k in range(1, 5)])
    assert np.all(np.abs(mean - exact) <= 5 * se + 1e-12), (mean, exact, se)


def test_sum_density_against_simulation_kolmogorov(sc_mp):
    rng = np.random.default_rng(5)
    n = 400
    N = 3 * n
    A = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))) / np.sqrt(2)
    X = (rng.standard_normal((n, N)) + 1j * rng.standard_normal((n, N))) / np.sqrt(2)
    H = (A + A.conj().T) / np.sqrt(2 * n) * np.sqrt(0.5) + X @ X.conj().T / N
    ev = np.sort(np.linalg.eigvalsh(H))
    F = sc_mp.cdf(ev)
    ks = max(np.max(np.arange(1, n + 1) / n - F), np.max(F - np.arange(n) / n))
    assert ks < 5 * np.log(n) / n


def test_subordination_with_empirical_law_matches_algebraic():
    """The same law two ways: empirical spectrum {-1, 1} (numeric subordination through
    CompiledSystem) and the exact two-atom law (resultant). The gap closes at a = sqrt(v):
    a cusp at 0 with density ~ |x|^(1/3)."""
    sc = semicircle(1)
    alg = free_sum(atomic_law([-1, 1]), sc)
    num = free_sum(empirical_law([-1.0, 1.0]), sc)
    assert isinstance(num, SubordinationLaw) and isinstance(alg, AlgebraicLaw)
    assert alg.degree[0] == 3 and 0 in alg.critical_points()
    x = np.linspace(-3.5, 3.5, 56)          # 0 (the cusp) excluded: see below
    assert np.max(np.abs(num.density(x) - alg.density(x))) < 1e-9
    assert num.last_report.all_ok
    # at the cusp itself the numeric path stops at Im z = 1e-13 scale: error ~ eta^(1/3)
    assert abs(float(num.density(0.0))) < 1e-4
    assert float(alg.density(0.0)) == 0.0
    r = alg.density(np.array([1e-6, -1e-6])) / alg.density(np.array([1e-9, -1e-9]))
    assert np.allclose(r, 10.0, rtol=0.02)
    lo, hi = alg.support()[0]
    ns = num.support()
    assert len(ns) == 1 and ns[0][0] == pytest.approx(lo, abs=1e-7) and \
        ns[0][1] == pytest.approx(hi, abs=1e-7)
    assert float(num.cdf(0.0)) == pytest.approx(0.5, abs=1e-7)
    assert float(num.moment(4)) == pytest.approx(float(alg.moment(4)), rel=1e-12)


def test_subordination_empirical_spectrum_plus_semicircle_vs_simulation():
    rng = np.random.default_rng(11)
    n = 200
    d = np.sort(rng.uniform(0, 2, n))                   # a fixed spectrum
    law = free_sum(empirical_law(d), semicircle(1))
    reps = []
    for _ in range(4):
        A = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))) / np.sqrt(2)
        H = np.diag(d) + (A + A.conj().T) / np.sqrt(2 * n)
        reps.append(np.linalg.eigvalsh(H))
    ev = np.sort(np.concatenate(reps))
    F = law.cdf(ev)
    m = ev.size
    ks = max(np.max(np.arange(1, m + 1) / m - F), np.max(F - np.arange(m) / m))
    assert ks < 5 * np.log(n) / n
    mom = np.mean(ev ** 2)
    assert mom == pytest.approx(float(law.moment(2)), abs=0.02)
    assert float(law.moment(2)) == pytest.approx(np.mean(d**2) + 1, rel=1e-12)


# ---- free products -----------------------------------------------------------------------------
def s_transform_moments(c1, c2, K):
    """Moments of MP(c1) ⊠ MP(c2) from S(w) = 1/((1 + c1 w)(1 + c2 w)): chi(w) = S(w) w/(1 + w)
    and psi = chi^{-1}, i.e. psi = u (1 + c1 psi)(1 + c2 psi)(1 + psi), iterated as a
    truncated power series in u (each pass fixes one more coefficient)."""
    u = sp.Symbol("u")
    psi = sp.Integer(0)
    for _ in range(K):
        psi = sp.expand(u * (1 + c1 * psi) * (1 + c2 * psi) * (1 + psi))
        psi = sum(psi.coeff(u, k) * u**k for k in range(1, K + 1))
    return [sp.Integer(1)] + [psi.coeff(u, k) for k in range(1, K + 1)]


@pytest.fixture(scope="module")
def mp_mp():
    return free_product(marchenko_pastur("1/2"), marchenko_pastur("1/4"))


def test_product_of_mp_moments_s_transform(mp_mp):
    c1, c2 = sp.Rational(1, 2), sp.Rational(1, 4)
    assert mp_mp.moments(5) == s_transform_moments(c1, c2, 5)
    assert mp_mp.moment(2) == 1 + c1 + c2


def test_product_of_mp_against_simulation(mp_mp):
    rng = np.random.default_rng(99)
    n, reps = 300, 6
    est = []
    for _ in range(reps):
        Ws = []
        for c in (0.5, 0.25):
            N = int(round(n / c))
            X = (rng.standard_normal((n, N)) + 1j * rng.standard_normal((n, N))) / np.sqrt(2)
            Ws.append(X @ X.conj().T / N)
        P = Ws[0] @ Ws[1]
        P2 = P @ P
        est.append([np.trace(P).real / n, np.trace(P2).real / n, np.sum(P2 * P.T).real / n,
                    np.sum(P2 * P2.T).real / n])
    est = np.array(est)
    mean, se = est.mean(axis=0), est.std(axis=0, ddof=1) / np.sqrt(reps)
    exact = np.array([float(mp_mp.moment(k)) for k in range(1, 5)])
    assert np.all(np.abs(mean - exact) <= 5 * se + 1e-12), (mean, exact, se)


def test_product_algebraic_matches_subordination_and_normalised(mp_mp):
    num = free_product(marchenko_pastur("1/2"), marchenko_pastur("1/4"), method="subordination")
    lo, hi = mp_mp.support()[0]
    x = np.linspace(lo - 0.2, hi + 0.2, 41)
    assert np.max(np.abs(num.density(x) - mp_mp.density(x))) < 1e-10
    assert float(mp_mp.cdf(hi)) == pytest.approx(1.0, abs=1e-9)
    assert mp_mp.atoms() == []
    # with atoms: MP(2) has mass 1/2 at 0, the product keeps max(1/2, 0)
    law = free_product(marchenko_pastur(2), marchenko_pastur("1/4"))
    assert law.atoms_exact() == [(0, sp.Rational(1, 2))]


def test_product_moments_with_a_mean_zero_law():
    law = free_product(semicircle(1), marchenko_pastur("1/2"))
    # mu_4 = sum over NC pairings pi of prod m_{K(pi)}(MP) = 2 * mu_2(MP) = 2 (1 + 1/2)
    assert law.moments(4) == [1, 0, 1, 0, 3]


# ---- affine maps ---------------------------------------------------------------------------------
def test_affine_algebraic_exact_and_negative_scale():
    mp = marchenko_pastur("1/2")
    law = affine(mp, -2, 1)
    assert isinstance(law, AlgebraicLaw)
    x = np.linspace(-8, 2, 301)
    ref = mp.density((x - 1) / -2) / 2
    assert np.max(np.abs(law.density(x) - ref)) < 1e-12
    assert law.moment(2) == sp.expand(4 * mp.moment(2) - 4 * mp.moment(1) + 1)
    lo, hi = law.support()[0]
    assert lo == pytest.approx(1 - 2 * (1 + np.sqrt(0.5)) ** 2)
    atom = affine(marchenko_pastur(2), 3, -1).atoms_exact()
    assert atom == [(-1, sp.Rational(1, 2))]


def test_affine_of_subordination_law():
    num = free_sum(empirical_law([-1.0, 1.0]), semicircle(1))
    law = affine(num, -0.5, 2)
    assert isinstance(law, AffineLaw)
    alg = affine(free_sum(atomic_law([-1, 1]), semicircle(1)), "-1/2", 2)
    x = np.linspace(0, 4, 22)               # the cusp at x = 2 excluded
    assert np.max(np.abs(law.density(x) - alg.density(x))) < 1e-9
    z = np.array([1 + 0.1j, 2.5 + 1j])
    assert np.max(np.abs(law.stieltjes(z) - alg.stieltjes(z))) < 1e-10
    assert law.moment(2) == pytest.approx(float(alg.moment(2)), rel=1e-12)


# ---- errors ----------------------------------------------------------------------------------------
def test_bad_input():
    sc = semicircle(1)
    with pytest.raises(ParameterError, match="a = 0"):
        affine(sc, 0)
    with pytest.raises(ParameterError, match=r"\[0, inf\)"):
        free_product(sc, sc)
    with pytest.raises(ParameterError, match="SpectralLaw"):
        free_sum(sc, 3.0)
    with pytest.raises(ParameterError, match="method"):
        free_sum(sc, sc, method="magic")
    with pytest.raises(ParameterError, match="method"):
        free_sum(sc, empirical_law([0.0, 1.0]), method="algebraic")
