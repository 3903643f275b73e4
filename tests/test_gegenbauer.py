"""Gegenbauer expansions on S^{d-1}(sqrt d) (docs/conventions.md, Sphere).

Expected values come from closed forms derived by hand (stated next to each test), from the
Beta-function moments of t = <x, e> computed here with sympy's gamma functions, from sympy's
own Gegenbauer/Legendre/Hermite polynomials, from scipy quadrature against the Gaussian, or
from a second numerical method; never from the code under test.
"""

from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from numpy.polynomial.hermite_e import hermeval
from scipy.integrate import quad

from rmtsym.bases.expansion import Expansion
from rmtsym.bases.functions import Z
from rmtsym.bases.gegenbauer import (
    gegenbauer_coefficients,
    gegenbauer_limit,
    gegenbauer_polynomial,
    harmonic_dimension,
    kernel_eigenvalues,
    sphere_moment,
    sphere_projection_density,
    sphere_projection_logpdf,
)
from rmtsym.errors import NoClosedFormError, ParameterError

D = sp.Symbol("d", positive=True)
T = sp.Symbol("t", real=True)
RELU = sp.Max(0, Z)
TANH = sp.tanh(Z)


# ---- independent witnesses ----------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def beta_moment(n: int, d):
    """E t^n from u = t/sqrt d, u^2 ~ Beta(1/2, (d-1)/2): d^{n/2} B((n+1)/2, (d-1)/2) / B(1/2, (d-1)/2)."""
    if n % 2:
        return sp.Integer(0)
    d = sp.sympify(d)
    h = sp.Rational(1, 2)
    val = d ** sp.Rational(n, 2) * sp.gamma(sp.Rational(n + 1, 2)) * sp.gamma(d / 2) / (
        sp.gamma(h) * sp.gamma((d - 1) / 2 + sp.Rational(n + 1, 2)))
    return sp.simplify(sp.gammasimp(val))


def expect_poly(expr, d, var=T):
    """E[expr(t)] for a polynomial expr, with the Beta moments."""
    poly = sp.Poly(sp.expand(expr), var)
    return sum(c * beta_moment(m[0], d) for m, c in poly.terms())


def gauss_moment(n: int) -> int:
    return 0 if n % 2 else math.prod(range(1, n, 2))


def hermite_coeff_poly(f, k: int):
    """c_k = E[f(G) He_k(G)]/sqrt(k!) for polynomial f, from sympy.hermite_prob and (n-1)!!."""
    poly = sp.Poly(sp.expand(f * sp.hermite_prob(k, Z)), Z)
    return sp.simplify(sum(c * gauss_moment(m[0]) for m, c in poly.terms()) / sp.sqrt(sp.factorial(k)))


def hermite_coeff_quad(fn, k: int) -> float:
    """c_k by scipy quad against the Gaussian density."""
    e = np.zeros(k + 1)
    e[k] = 1.0
    val = quad(lambda x: fn(x) * hermeval(x, e) * math.exp(-x * x / 2) / math.sqrt(2 * math.pi),
               -40, 40, points=[0.0], limit=400, epsabs=1e-14, epsrel=1e-13)[0]
    return val / math.sqrt(math.factorial(k))


# ---- B(d, k) -------------------------------------------------------------------------------

def test_harmonic_dimension_closed_forms():
    assert [harmonic_dimension(3, k) for k in range(13)] == [2 * k + 1 for k in range(13)]
    for d in range(3, 31):
        assert harmonic_dimension(d, 0) == 1
        assert harmonic_dimension(d, 1) == d
        assert harmonic_dimension(d, 2) == d * (d + 1) // 2 - 1
        for k in range(0, 9):
            b = harmonic_dimension(d, k)
            assert isinstance(b, int)
            # homogeneous polynomials of degree k minus |x|^2 times those of degree k-2
            assert b == math.comb(k + d - 1, d - 1) - (math.comb(k + d - 3, d - 1) if k >= 2 else 0)


def test_harmonic_dimension_sums_to_polynomials_on_sphere():
    # polynomials of degree <= K restricted to the sphere: binom(d+K-1, K) + binom(d+K-2, K-1)
    for d in range(3, 16):
        for K in range(0, 9):
            total = sum(harmonic_dimension(d, k) for k in range(K + 1))
            assert total == math.comb(d + K - 1, K) + (math.comb(d + K - 2, K - 1) if K >= 1 else 0)


def test_harmonic_dimension_symbolic():
    assert sp.expand(harmonic_dimension(D, 2) - (D * (D + 1) / 2 - 1)) == 0
    assert sp.expand(harmonic_dimension(D, 1) - D) == 0
    for k in range(7):
        for d in (3, 9, 20):
            assert harmonic_dimension(D, k).subs(D, d) == harmonic_dimension(d, k)


# ---- density and moments -------------------------------------------------------------------

@pytest.mark.parametrize("d", [3, 5, 7])
def test_density_normalised_and_moments(d):
    p = sphere_projection_density(d, T)
    r = sp.sqrt(d)
    assert sp.simplify(sp.integrate(p, (T, -r, r))) == 1
    for n in (2, 4, 6):
        direct = sp.simplify(sp.integrate(T**n * p, (T, -r, r)))
        assert sp.simplify(direct - sphere_moment(n, d)) == 0
        assert sp.simplify(direct - beta_moment(n, d)) == 0
    assert sphere_moment(2, d) == 1  # Var t = |x|^2 / d = 1


@pytest.mark.parametrize("d", [4, 6])
def test_density_even_d_mpmath(d):
    # even d: (1 - t^2/d)^{half-integer}; integrate in mpmath instead
    p = sp.lambdify(T, sphere_projection_density(d, T), "mpmath")
    r = mpmath.sqrt(d)
    with mpmath.workdps(30):
        for n in (0, 2, 4, 6):
            val = mpmath.quad(lambda x: x**n * p(x), [-r, 0, r])
            assert abs(val - mpmath.mpf(sp.N(beta_moment(n, d), 35))) < 1e-25
            assert abs(val - mpmath.mpf(sp.N(sphere_moment(n, d), 35))) < 1e-25


def test_moments_symbolic_d():
    for n in range(0, 13):
        assert sp.simplify(sphere_moment(n, D) - beta_moment(n, D)) == 0


def test_logpdf_stable_large_d():
    t = np.array([-2.0, 0.0, 0.7, 2.5])
    with mpmath.workdps(40):
        for d in (7, 1000, 10**6):
            ref = [float(mpmath.loggamma(mpmath.mpf(d) / 2) - mpmath.loggamma(mpmath.mpf(d - 1) / 2)
                         - mpmath.log(mpmath.pi * d) / 2 + (d - 3) * mpmath.log1p(-mpmath.mpf(x) ** 2 / d) / 2)
                   for x in t]
            np.testing.assert_allclose(sphere_projection_logpdf(t, d), ref, rtol=0, atol=1e-12)
    assert sphere_projection_logpdf(3.0, 5) == -np.inf  # outside [-sqrt 5, sqrt 5]
    # d -> oo: the standard normal log-density
    assert abs(sphere_projection_logpdf(1.0, 10**8) - (-0.5 - 0.5 * math.log(2 * math.pi))) < 1e-7


# ---- the polynomials -----------------------------------------------------------------------

@pytest.mark.parametrize("d", [3, 4, 5, 8, 13])
def test_polynomials_match_sympy_gegenbauer(d):
    lam = sp.Rational(d - 2, 2)
    u = T / sp.sqrt(d)
    for k in range(7):
        Pk = sp.gegenbauer(k, lam, u) / sp.gegenbauer(k, lam, 1)   # P_k(1) = 1
        expected = sp.sqrt(harmonic_dimension(d, k)) * Pk
        assert sp.expand(gegenbauer_polynomial(k, d, T) - expected) == 0
        # positive leading coefficient
        assert sp.Poly(gegenbauer_polynomial(k, d, T), T).LC() > 0


def test_d3_is_legendre():
    for k in range(7):
        expected = sp.sqrt(2 * k + 1) * sp.legendre(k, T / sp.sqrt(3))
        assert sp.expand(gegenbauer_polynomial(k, 3, T) - expected) == 0


@pytest.mark.parametrize("d", [5, 7])
def test_normalisation_P_k_squared_is_one_over_B(d):
    # E[P_k(u)^2] = 1/B(d,k), by direct integration of the density (polynomial for odd d)
    p = sphere_projection_density(d, T)
    lam = sp.Rational(d - 2, 2)
    for k in range(5):
        Pk = sp.gegenbauer(k, lam, T / sp.sqrt(d)) / sp.gegenbauer(k, lam, 1)
        val = sp.integrate(sp.expand(Pk**2 * p), (T, -sp.sqrt(d), sp.sqrt(d)))
        assert sp.simplify(val - sp.Rational(1, harmonic_dimension(d, k))) == 0


def test_orthonormal_symbolic_d():
    # q_k = LC_k * p_k with p_k monic: E[p_i p_j] must vanish (i != j) and LC_i^2 E[p_i^2] = 1
    # (arithmetic in the field QQ(d), moments from the Beta function)
    F = sp.QQ.frac_field(D)
    qs = [sp.Poly(gegenbauer_polynomial(k, D, T), T) for k in range(7)]
    lc2 = [sp.cancel(q.LC() ** 2) for q in qs]
    ps = [[F.from_sympy(sp.cancel(c)) for c in q.monic().all_coeffs()[::-1]] for q in qs]
    mom = [F.from_sympy(beta_moment(n, D)) for n in range(13)]
    for i in range(7):
        assert len(ps[i]) == i + 1 and ps[i][i] == F.one
        for j in range(i, 7):
            val = F.to_sympy(sum((a * b * mom[m + n] for m, a in enumerate(ps[i]) for n, b in enumerate(ps[j])),
                                 F.zero))
            if i == j:
                assert sp.cancel(lc2[i] * val) == 1, i
            else:
                assert val == 0, (i, j)
    # and at an integer d, by integrating the density
    p = sphere_projection_density(7, T)
    for i in range(5):
        for j in range(i, 5):
            val = sp.integrate(sp.expand(gegenbauer_polynomial(i, 7, T) * gegenbauer_polynomial(j, 7, T) * p),
                               (T, -sp.sqrt(7), sp.sqrt(7)))
            assert sp.simplify(val) == (1 if i == j else 0)


# ---- exact coefficients --------------------------------------------------------------------

def test_exact_hand_derived():
    # z^2 = 1 + sqrt(2(d-1)/(d+2)) q_2: E[t^2 (t^2 - 1)] = 3d/(d+2) - 1, |t^2 - 1|^2 = 2(d-1)/(d+2)
    e = gegenbauer_coefficients(Z**2, D, 3)
    assert isinstance(e, Expansion) and e.exact and e.basis == "gegenbauer" and e.dim == D
    assert e[0] == 1 and e[1] == 0 and e[3] == 0
    assert sp.simplify(e[2] - sp.sqrt(2 * (D - 1) / (D + 2))) == 0
    # d = 3 (Legendre): t^3 = 3 sqrt 3 u^3, u^3 = (3/5) P_1 + (2/5) P_3, g_k = alpha_k / sqrt(2k+1)
    e3 = gegenbauer_coefficients(Z**3, 3, 3)
    assert sp.simplify(e3[1] - sp.Rational(9, 5)) == 0
    assert sp.simplify(e3[3] - 3 * sp.sqrt(3) * sp.Rational(2, 5) / sp.sqrt(7)) == 0
    assert e3[0] == 0 and e3[2] == 0


def test_exact_relu_d3_hand_derived():
    # d = 3: t uniform on [-sqrt 3, sqrt 3]; g_0 = int_0^sqrt3 t/(2 sqrt3) = sqrt3/4;
    # g_2 = sqrt5/2 * int_0^sqrt3 (t^3 - t)/(2 sqrt3) = sqrt(15)/16; g_1 = E[t relu]= E t^2/2 = 1/2
    e = gegenbauer_coefficients(RELU, 3, 3, exact=True)
    assert sp.simplify(e[0] - sp.sqrt(3) / 4) == 0
    assert e[1] == sp.Rational(1, 2)
    assert sp.simplify(e[2] - sp.sqrt(15) / 16) == 0
    assert e[3] == 0   # relu = z/2 + |z|/2: odd part is linear


def test_exact_parseval_polynomial_symbolic():
    f = Z**5 - 2 * Z**2 + sp.Rational(1, 3)
    e = gegenbauer_coefficients(f, D, 6)
    assert e[6] == 0
    energy = sum(c**2 for c in e)
    assert sp.simplify(energy - expect_poly(f.subs(Z, T) ** 2, D)) == 0


def test_exact_with_parameters():
    a, b = sp.symbols("a b", real=True)
    e = gegenbauer_coefficients(a * Z**3 + b, D, 3)
    # E[t * t^3] = 3d/(d+2); g_1 = 3 a d/(d+2); g_0 = b
    assert sp.simplify(e[0] - b) == 0
    assert sp.simplify(e[1] - 3 * a * D / (D + 2)) == 0
    e5 = gegenbauer_coefficients(a * Z**3 + b, 5, 3)
    assert sp.simplify(e5[1] - e[1].subs(D, 5)) == 0
    assert sp.simplify(e5[3] - e[3].subs(D, 5)) == 0


def test_symbolic_relu_matches_integer_d():
    e = gegenbauer_coefficients(RELU, D, 4)           # exact=None with symbolic d: exact
    assert e.exact
    for d in (4, 5, 9):
        ed = gegenbauer_coefficients(RELU, d, 4, exact=True)
        for k in range(5):
            assert abs(complex(sp.N(e[k].subs(D, d) - ed[k], 30))) < 1e-25


@pytest.mark.parametrize("f", [Z**4 - 3 * Z + sp.Rational(1, 2), Z**7])
@pytest.mark.parametrize("d", [10, 50])
def test_exact_vs_mpmath_polynomial(f, d):
    ex = gegenbauer_coefficients(f, d, 8, exact=True)
    num = gegenbauer_coefficients(f, d, 8, exact=False, digits=30)
    scale = max(1.0, float(np.max(np.abs(ex.numpy()))))        # 30 digits relative to the largest g_k
    assert num.digits == 30 and not num.exact and num.error < 1e-28 * scale
    for a, b in zip(ex, num):
        assert abs(sp.N(a - b, 40)) < 1e-28 * scale


@pytest.mark.parametrize("d", [5, 6])
def test_exact_kinks_off_zero_vs_mpmath(d):
    clip = sp.Min(1, sp.Max(-1, Z))        # kinks at +-1: arcsine terms for even d
    ex = gegenbauer_coefficients(clip, d, 5, exact=True)
    num = gegenbauer_coefficients(clip, d, 5, digits=30)
    for a, b in zip(ex, num):
        assert abs(sp.N(a - b, 40)) < 1e-28
    # float64 too (kinks found and used as panel edges)
    f64 = gegenbauer_coefficients(clip, d, 5)
    assert np.max(np.abs(f64.numpy() - ex.numpy())) < 1e-13


def test_exact_value_evaluated_with_digits():
    e = gegenbauer_coefficients(Z**2, 10, 2, digits=25)
    assert e.method == "exact-evaluated" and e.digits == 25
    assert abs(e[2] - sp.sqrt(sp.Rational(2 * 9, 12))) < 1e-24


# ---- numeric paths -------------------------------------------------------------------------

@pytest.mark.parametrize("f", [TANH, RELU], ids=["tanh", "relu"])
@pytest.mark.parametrize("d", [10, 50])
def test_float64_vs_mpmath(f, d):
    fast = gegenbauer_coefficients(f, d, 10)
    slow = gegenbauer_coefficients(f, d, 10, digits=30)
    assert fast.method == "gauss-legendre-theta" and slow.method == "mpmath-tanh-sinh"
    assert fast.error < 1e-13
    assert np.max(np.abs(fast.numpy() - slow.numpy())) < 1e-13


def test_relu_float64_vs_exact_large_d():
    ex = gegenbauer_coefficients(RELU, 2000, 6, exact=True)
    assert np.max(np.abs(gegenbauer_coefficients(RELU, 2000, 6).numpy() - ex.numpy())) < 1e-13


def test_high_degree_float64_vs_mpmath():
    fast = gegenbauer_coefficients(TANH, 30, 30)
    slow = gegenbauer_coefficients(TANH, 30, 30, digits=16)
    assert np.max(np.abs(fast.numpy() - slow.numpy())) < 1e-12


def test_energy_parseval_numeric():
    # E tanh(t)^2 by scipy quad against the density; sum_k g_k^2 -> it (tanh's coefficients decay fast)
    d = 20
    ref = quad(lambda x: math.tanh(x) ** 2 * math.exp(sphere_projection_logpdf(x, d)), -math.sqrt(d), math.sqrt(d),
               epsabs=1e-14)[0]
    g = gegenbauer_coefficients(TANH, d, 41).numpy()
    assert abs(np.sum(g**2) - ref) < 1e-9


def test_hermite_limit_numeric_convergence():
    # g_k(d) - c_k = O(1/d): decreasing in d, and d |g_k - c_k| roughly constant
    cases = [(TANH, np.tanh, [1, 3, 5]), (RELU, lambda x: max(x, 0.0), [0, 2, 4])]
    for f, fn, ks in cases:
        c = {k: hermite_coeff_quad(fn, k) for k in ks}
        errs = {d: np.abs(gegenbauer_coefficients(f, d, 5).numpy()[ks] - [c[k] for k in ks])
                for d in (10, 100, 1000)}
        assert np.all(errs[100] < errs[10]) and np.all(errs[1000] < errs[100])
        assert np.all(errs[1000] < 3e-4)
        ratio = errs[100] / errs[1000]
        assert np.all((ratio > 5) & (ratio < 20))
    # relu closed forms c_0 = 1/sqrt(2 pi), c_1 = 1/2, c_2 = 1/(2 sqrt pi), at d = 10^4
    g = gegenbauer_coefficients(RELU, 10**4, 2).numpy()
    np.testing.assert_allclose(g, [1 / math.sqrt(2 * math.pi), 0.5, 1 / (2 * math.sqrt(math.pi))], atol=2e-5)


def test_symbolic_limit_polynomials_equal_hermite():
    a = sp.Symbol("a", real=True)
    for f in (Z**3 + 2 * Z, Z**4 - Z**2 + 1, a * Z**5 - Z):
        lim = gegenbauer_limit(f, 6)
        for k in range(7):
            assert sp.simplify(lim[k] - hermite_coeff_poly(f, k)) == 0, (f, k)


def test_symbolic_limit_relu():
    lim = gegenbauer_limit(RELU, 4)
    expected = [1 / sp.sqrt(2 * sp.pi), sp.Rational(1, 2), 1 / (2 * sp.sqrt(sp.pi)), 0]
    for k in range(4):
        assert sp.simplify(lim[k] - expected[k]) == 0
    assert abs(float(lim[4]) - hermite_coeff_quad(lambda x: max(x, 0.0), 4)) < 1e-10


def test_kernel_eigenvalues():
    # E_y[(<x,y>^2/d) y_1 y_2] = 2 x_1 x_2 E[y_1^2 y_2^2]/d = 2/(d+2) x_1 x_2 (E[y_1^2 y_2^2] = d/(d+2))
    lam = kernel_eigenvalues(Z**2, D, 2)
    assert sp.simplify(lam[2] - 2 / (D + 2)) == 0 and lam[0] == 1 and lam[1] == 0
    lam5 = kernel_eigenvalues(TANH, 5, 3)
    g5 = gegenbauer_coefficients(TANH, 5, 3).numpy()
    assert abs(lam5[3] - g5[3] / math.sqrt(30)) < 1e-15  # B(5,3) = 30


# ---- errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,name", [
    (dict(d=2, degree=3), "d"),
    (dict(d=2.5, degree=3), "d"),
    (dict(d=sp.Symbol("d"), degree=3), "d"),        # not declared positive
    (dict(d=10, degree=-1), "degree"),
    (dict(d=10, degree=2.0), "degree"),
    (dict(d=10, degree=3, digits=0), "digits"),
    (dict(d=10, degree=3, digits=1001), "digits"),
])
def test_bad_input(kwargs, name):
    with pytest.raises(ParameterError) as exc:
        gegenbauer_coefficients(TANH, **kwargs)
    assert exc.value.name == name


def test_bad_input_other_functions():
    for call, name in [(lambda: harmonic_dimension(2, 1), "d"), (lambda: harmonic_dimension(5, -1), "k"),
                       (lambda: gegenbauer_polynomial(-2, 5), "k"), (lambda: gegenbauer_polynomial(2, 1), "d"),
                       (lambda: sphere_projection_density(2.5), "d"), (lambda: sphere_moment(2, 2), "d")]:
        with pytest.raises(ParameterError) as exc:
            call()
        assert exc.value.name == name


def test_numeric_needs_concrete_d_and_parameters():
    with pytest.raises(ParameterError) as exc:
        gegenbauer_coefficients(TANH, D, 3)
    assert exc.value.name == "d"
    a = sp.Symbol("a")
    with pytest.raises(ParameterError) as exc:
        gegenbauer_coefficients(sp.tanh(a * Z), 10, 3)
    assert exc.value.name == "parameters" and "a" in str(exc.value)


def test_no_closed_form():
    with pytest.raises(NoClosedFormError, match="piecewise polynomial"):
        gegenbauer_coefficients(TANH, 10, 3, exact=True)
    with pytest.raises(NoClosedFormError, match="kinks"):
        gegenbauer_coefficients(sp.Max(0, Z - 1), D, 3, exact=True)
    with pytest.raises(ParameterError) as exc:        # exact=None: no closed form, and no numeric d
        gegenbauer_coefficients(sp.Max(0, Z - 1), D, 3)
    assert exc.value.name == "d" and "kinks" in str(exc.value)
