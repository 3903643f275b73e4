"""Hermite coefficients c_k = E[f(Z) h_k(Z)], h_k = He_k/sqrt(k!) (rmtsym.bases.hermite).

Witnesses: closed forms (ReLU, sin, exp, polynomials, shifted ReLU, erf), independent
quadrature (scipy.integrate.quad in float64; mpmath.quad with mpmath's own Hermite
polynomials at 30+ digits), and Parseval identities whose right-hand side is computed from the
moments (n-1)!! by hand.
"""

import math
import time
import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import IntegrationWarning, quad
from scipy.special import erf as sc_erf

from rmtsym.bases.expansion import Expansion
from rmtsym.bases.functions import Z
from rmtsym.bases.hermite import gaussian_mean, hermite_coefficients, hermite_polynomial, hermite_series
from rmtsym.errors import ConvergenceError, NoClosedFormError, ParameterError

a = sp.Symbol("a", real=True)
b = sp.Symbol("b", real=True)


def zero(expr) -> bool:
    return sp.simplify(expr) == 0


def double_factorial(n: int) -> int:
    return 1 if n <= 0 else n * double_factorial(n - 2)


def moment_expectation(poly: sp.Expr) -> sp.Expr:
    """E[poly(Z)] from E Z^n = (n-1)!! (n even), 0 (n odd): independent of rmtsym."""
    P = sp.Poly(sp.expand(poly), Z)
    return sum(c * (double_factorial(m[0] - 1) if m[0] % 2 == 0 else 0) for m, c in P.terms())


def he(k: int, x):
    """Probabilists' He_k from mpmath's physicists' H_k: He_k(x) = 2^{-k/2} H_k(x/sqrt 2)."""
    return mpmath.hermite(k, x / mpmath.sqrt(2)) / mpmath.sqrt(2) ** k


def mp_coeff(fn, k: int, points=(), dps: int = 40):
    """c_k by mpmath.quad with mpmath's Hermite polynomials (independent of rmtsym)."""
    with mpmath.workdps(dps):
        g = lambda x: fn(x) * he(k, x) * mpmath.npdf(x) / mpmath.sqrt(mpmath.factorial(k))  # noqa: E731
        return mpmath.quad(g, [-mpmath.inf, *points, mpmath.inf])


def quad_coeff(fn, k: int, points=()):
    """c_k in float64 by scipy quad on [-14, 14] split at points (tails < 1e-40)."""
    edges = [-14.0, *sorted(points), 14.0]
    h = lambda z: float(he(k, mpmath.mpf(z))) / math.sqrt(math.factorial(k))  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IntegrationWarning)
        return sum(quad(lambda z: fn(z) * h(z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi), lo, hi,
                        epsabs=1e-14, epsrel=1e-13, limit=200)[0] for lo, hi in zip(edges[:-1], edges[1:]))


# ---- polynomials ------------------------------------------------------------------------------

@pytest.mark.parametrize("k", range(0, 9))
def test_hermite_polynomial_matches_sympy_and_is_orthonormal(k):
    hk = hermite_polynomial(k)
    assert zero(hk - sp.hermite_prob(k, Z) / sp.sqrt(sp.factorial(k)))
    for j in range(0, k + 1):
        assert moment_expectation(sp.expand(hk * hermite_polynomial(j))) == (1 if j == k else 0)


def test_hermite_polynomial_at_a_point_and_bad_k():
    assert hermite_polynomial(0) == 1 and hermite_polynomial(1) == Z
    x = sp.Symbol("x")
    assert zero(hermite_polynomial(2, x) - (x**2 - 1) / sp.sqrt(2))
    with pytest.raises(ParameterError, match="k"):
        hermite_polynomial(-1)


@pytest.mark.parametrize("k", [0, 1, 2, 5, 8])
def test_coefficients_of_He_k(k):
    c = hermite_coefficients(sp.hermite_prob(k, Z), k + 2)
    assert c.exact and c.method == "exact" and c.basis == "hermite"
    expected = [sp.sqrt(sp.factorial(k)) if j == k else 0 for j in range(k + 3)]
    assert all(zero(x - y) for x, y in zip(c, expected))


@settings(max_examples=20, deadline=None)
@given(st.lists(st.fractions(min_value=-5, max_value=5, max_denominator=6), min_size=1, max_size=7))
def test_polynomial_parseval_and_reconstruction(coeffs):
    poly = sum(sp.Rational(c.numerator, c.denominator) * Z**i for i, c in enumerate(coeffs))
    deg = len(coeffs) - 1
    c = hermite_coefficients(poly, deg)
    assert c.exact
    # exact Parseval: sum c_k^2 = E p^2 computed from the moments (n-1)!!
    assert sp.expand(sum(x**2 for x in c)) == moment_expectation(poly**2)
    # the finite Hermite series is p itself
    assert sp.expand(hermite_series(c) - poly) == 0


# ---- closed forms ---------------------------------------------------------------------------

def test_relu_closed_forms():
    c = hermite_coefficients(sp.Max(0, Z), 12)
    assert zero(c[0] - 1 / sp.sqrt(2 * sp.pi))
    assert c[1] == sp.Rational(1, 2)
    assert zero(c[2] - 1 / (2 * sp.sqrt(sp.pi)))
    assert all(c[k] == 0 for k in range(3, 13, 2))
    # even k >= 2: c_k = (-1)^(k/2 + 1) (k-3)!! / sqrt(2 pi k!)
    for k in range(2, 13, 2):
        closed = (-1) ** (k // 2 + 1) * double_factorial(k - 3) / sp.sqrt(2 * sp.pi * sp.factorial(k))
        assert zero(c[k] - closed), k


def test_sin_cos_exp_closed_forms():
    # E[e^{iaZ} He_k(Z)] = (ia)^k e^{-a^2/2};  E[e^{aZ} He_k(Z)] = a^k e^{a^2/2}
    s = hermite_coefficients(sp.sin(a * Z), 7)
    co = hermite_coefficients(sp.cos(a * Z), 7)
    ex = hermite_coefficients(sp.exp(a * Z), 7)
    for k in range(8):
        w = (sp.I * a) ** k * sp.exp(-a**2 / 2) / sp.sqrt(sp.factorial(k))  # a is real
        assert zero(s[k] - sp.im(w)), k
        assert zero(co[k] - sp.re(w)), k
        assert zero(ex[k] - a**k * sp.exp(a**2 / 2) / sp.sqrt(sp.factorial(k))), k
    assert hermite_coefficients(sp.sin(Z), 1)[1] == sp.exp(-sp.Rational(1, 2))
    assert all(s[k] == 0 for k in range(0, 8, 2)) and all(co[k] == 0 for k in range(1, 8, 2))


def test_shifted_relu_symbolic():
    c = hermite_coefficients(sp.Max(0, Z + b), 2)
    Phi = (1 + sp.erf(b / sp.sqrt(2))) / 2
    phi = sp.exp(-b**2 / 2) / sp.sqrt(2 * sp.pi)
    assert zero(c[0] - (b * Phi + phi))
    assert zero(c[1] - Phi)
    assert zero(c[2] - phi / sp.sqrt(2))  # E[relu(Z+b) He_2] = E[relu''] = phi(b)
    for bv in (-2.0, -0.5, 0.0, 1.25):
        for k in range(3):
            got = float(c[k].subs(b, sp.nsimplify(bv)))
            assert got == pytest.approx(quad_coeff(lambda z: max(0.0, z + bv), k, [-bv]), abs=1e-12)


def test_erf_affine_symbolic_and_numeric():
    c = hermite_coefficients(sp.erf(a * Z + b), 4)
    assert zero(c[0] - sp.erf(b / sp.sqrt(1 + 2 * a**2)))
    for av, bv in [(1.0, 0.0), (0.5, 0.5), (2.0, -0.75)]:
        sub = {a: sp.nsimplify(av), b: sp.nsimplify(bv)}
        for k in range(1, 5):
            got = float(sp.N(c[k].subs(sub), 20))
            assert got == pytest.approx(quad_coeff(lambda z: float(sc_erf(av * z + bv)), k), abs=1e-12), (av, bv, k)


def test_gelu_exact_against_mpmath_30_digits():
    gelu = Z * (1 + sp.erf(Z / sp.sqrt(2))) / 2
    c = hermite_coefficients(gelu, 6)
    assert c.exact
    for k in range(7):
        ref = mp_coeff(lambda x: x * mpmath.ncdf(x), k)
        assert abs(sp.N(c[k], 40) - sp.Float(ref, 40)) < 1e-30, k


# ---- exact vs numeric ------------------------------------------------------------------------

CASES = {
    "relu": sp.Max(0, Z),
    "abs": sp.Abs(Z),
    "sign": sp.sign(Z),
    "erf": sp.erf(Z),
    "sin": sp.sin(Z),
    "gelu": Z * (1 + sp.erf(Z / sp.sqrt(2))) / 2,
    "leaky": sp.Max(Z / 10, Z),
    "step-1/3": sp.Heaviside(Z - sp.Rational(1, 3)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_exact_agrees_with_mpmath_and_float64(name):
    f = CASES[name]
    K = 10
    ex = hermite_coefficients(f, K)
    mp = hermite_coefficients(f, K, exact=False, digits=30)
    fl = hermite_coefficients(f, K, exact=False)
    assert ex.exact and not mp.exact and not fl.exact
    assert mp.method == "mpmath-tanh-sinh" and mp.digits == 30 and mp.error < 1e-28
    assert fl.method == "gauss-legendre" and fl.digits is None and fl.error < 1e-12
    for k in range(K + 1):
        assert abs(sp.N(ex[k] - mp[k], 40)) < 1e-28, (name, k)
        assert isinstance(fl[k], float)
        assert abs(float(sp.N(ex[k], 20)) - fl[k]) < 1e-12, (name, k)


def test_float64_high_degree_relu():
    fl = hermite_coefficients(sp.Max(0, Z), 60, exact=False)
    for k in range(2, 61, 2):
        closed = (-1) ** (k // 2 + 1) * double_factorial(k - 3) / math.sqrt(2 * math.pi) \
            / math.exp(0.5 * math.lgamma(k + 1))
        assert fl[k] == pytest.approx(closed, abs=1e-13), k


# ---- tanh: no closed form ---------------------------------------------------------------------

def test_tanh_numeric_parseval_and_symmetry():
    K = 40
    c = hermite_coefficients(sp.tanh(Z), K)  # exact=None falls back to float64
    assert not c.exact and c.method == "gauss-legendre" and c.notes
    v = c.numpy()
    assert np.all(np.abs(v[0::2]) < 1e-14)  # tanh is odd
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IntegrationWarning)
        norm2 = quad(lambda z: math.tanh(z) ** 2 * math.exp(-z * z / 2) / math.sqrt(2 * math.pi), -40, 40,
                     epsabs=1e-15, limit=200)[0]
    # tail sum_{k>40} c_k^2: 1.06e-8 (from 200 coefficients); we allow 3e-8
    assert 0 <= norm2 - float(np.sum(v**2)) < 3e-8
    # E[Z tanh Z] = E[1 - tanh^2] (Stein): c_1 = 1 - E tanh^2
    assert v[1] == pytest.approx(1 - norm2, abs=1e-13)


def test_tanh_30_digits_against_mpmath_and_speed():
    t0 = time.perf_counter()
    c = hermite_coefficients(sp.tanh(Z), 20, digits=30)
    elapsed = time.perf_counter() - t0
    assert elapsed < 6  # target < 2 s (see bench/bench_hermite.py); loose for slow CI machines
    assert c.digits == 30 and c.method == "mpmath-tanh-sinh" and isinstance(c[3], sp.Float)
    for k in (1, 3, 7, 20):
        ref = mp_coeff(mpmath.tanh, k, [0])
        assert abs(sp.N(c[k], 40) - sp.Float(ref, 40)) < 1e-29, k


def test_undetected_kinks_are_reported_not_returned():
    # |sin z| has kinks at multiples of pi that the breakpoint finder cannot see
    with pytest.raises(ConvergenceError, match="digits"):
        hermite_coefficients(sp.Abs(sp.sin(Z)), 2, digits=30)
    fl = hermite_coefficients(sp.Abs(sp.sin(Z)), 2, exact=False)
    assert fl.error > 1e-10 and any("error" in n for n in fl.notes)
    assert abs(fl[0] - quad_coeff(lambda z: abs(math.sin(z)), 0, [k * math.pi for k in range(-4, 5)])) <= fl.error


# ---- gaussian_mean ------------------------------------------------------------------------------

def test_gaussian_mean_exact_and_numeric():
    assert gaussian_mean(sp.Max(0, Z) ** 2) == (sp.Rational(1, 2), True, 0.0)
    v, ex, err = gaussian_mean(sp.tanh(Z) ** 2, digits=30)
    assert not ex and err < 1e-29
    ref = mpmath.quad(lambda x: mpmath.tanh(x) ** 2 * mpmath.npdf(x), [-mpmath.inf, 0, mpmath.inf])
    assert abs(float(v) - float(ref)) < 1e-15
    v, ex, err = gaussian_mean(sp.Max(0, Z), exact=False)
    assert isinstance(v, float) and v == pytest.approx(1 / math.sqrt(2 * math.pi), abs=1e-14)
    with pytest.raises(NoClosedFormError, match="closed"):
        gaussian_mean(sp.tanh(Z), exact=True)
    with pytest.raises(ParameterError, match="b"):
        gaussian_mean(sp.tanh(Z + b))


# ---- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("degree", [-1, 2.5, True, "3", None])
def test_bad_degree(degree):
    with pytest.raises(ParameterError, match="degree"):
        hermite_coefficients(sp.Max(0, Z), degree)


@pytest.mark.parametrize("digits", [0, 5000, 2.5, True])
def test_bad_digits(digits):
    with pytest.raises(ParameterError, match="digits"):
        hermite_coefficients(sp.tanh(Z), 3, digits=digits)


def test_bad_functions_and_policies():
    with pytest.raises(ParameterError, match="f"):
        hermite_coefficients(sp.exp(Z**2), 3)
    with pytest.raises(ParameterError, match="sympy"):
        hermite_coefficients("relu", 3)
    with pytest.raises(NoClosedFormError, match="tanh.*closed-form.*exact=False or digits=N"):
        hermite_coefficients(sp.tanh(Z), 3, exact=True)
    with pytest.raises(ParameterError, match="substitute values for b"):
        hermite_coefficients(sp.Max(0, Z + b), 3, exact=False)
    with pytest.raises(ParameterError, match="b"):
        hermite_coefficients(sp.tanh(Z + b), 3)
    with pytest.raises(ParameterError, match="exact"):
        hermite_coefficients(Z, 3, exact="yes")


def test_expansion_fields_and_series():
    c = hermite_coefficients(Z**2, 3)
    assert isinstance(c, Expansion) and c.degree == 3 and c.error == 0 and c.function == Z**2
    assert np.allclose(c.numpy(), [1, 0, math.sqrt(2), 0])
    assert sp.expand(hermite_series(c)) == Z**2
    # floats in f: exact=None goes numeric, exact=True refuses
    c = hermite_coefficients(sp.Float(0.5) * Z, 1)
    assert not c.exact and c[1] == pytest.approx(0.5, abs=1e-15)
    with pytest.raises(NoClosedFormError, match="floating"):
        hermite_coefficients(sp.Float(0.5) * Z, 1, exact=True)
