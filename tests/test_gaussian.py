"""Exact Gaussian expectations E[f(Z)], Z ~ N(0,1) (rmtsym.bases.gaussian).

Expected values come from textbook closed forms (moments (n-1)!!, moment generating and
characteristic functions, Phi/phi formulas, the arcsine law) or from an independent
quadrature (scipy.integrate.quad / mpmath.quad), never from the code under test.
"""

import math
import time
import warnings

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import IntegrationWarning, quad
from scipy.special import erf as sc_erf

from rmtsym.bases.functions import Z
from rmtsym.bases.gaussian import expectation_times_polynomials, gaussian_expectation as E
from rmtsym.errors import NoClosedFormError, ParameterError

a = sp.Symbol("a", real=True)
b = sp.Symbol("b", real=True)
p = sp.Symbol("p", positive=True)


def phi(x):
    return sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)


def Phi(x):
    return (1 + sp.erf(x / sp.sqrt(2))) / 2


def zero(expr) -> bool:
    return sp.simplify(expr) == 0


def gauss_quad(fn, points=()):
    """E[fn(Z)] by scipy quad on [-12, 12] split at the given points (tails < 1e-30)."""
    edges = [-12.0, *sorted(points), 12.0]
    tot = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IntegrationWarning)  # roundoff warnings at 1e-14 targets
        for lo, hi in zip(edges[:-1], edges[1:]):
            tot += quad(lambda z: fn(z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi), lo, hi,
                        epsabs=1e-14, epsrel=1e-13, limit=200)[0]
    return tot


def double_factorial(n: int) -> int:
    return 1 if n <= 0 else n * double_factorial(n - 2)


# ---- moments, exponentials ---------------------------------------------------------------

@pytest.mark.parametrize("n", range(0, 13))
def test_moments_are_double_factorials(n):
    expected = 0 if n % 2 else double_factorial(n - 1)
    assert E(Z**n) == expected


def test_exponential_moment_generating_function():
    assert zero(E(sp.exp(a * Z)) - sp.exp(a**2 / 2))
    assert zero(E(Z**2 * sp.exp(a * Z)) - (1 + a**2) * sp.exp(a**2 / 2))
    # E exp(-p Z^2) = 1/sqrt(1 + 2p) for p > 0
    assert zero(E(sp.exp(-p * Z**2)) - 1 / sp.sqrt(1 + 2 * p))
    assert zero(E(sp.exp(Z**2 / 4)) - sp.sqrt(2))


def test_characteristic_function_through_sin_cos():
    # E[e^{itZ}] = e^{-t^2/2}; E[Z sin(tZ)] = t e^{-t^2/2}; E[Z^2 cos(tZ)] = (1 - t^2) e^{-t^2/2}
    assert zero(E(sp.cos(a * Z)) - sp.exp(-a**2 / 2))
    assert E(sp.sin(a * Z)) == 0
    assert zero(E(Z * sp.sin(a * Z)) - a * sp.exp(-a**2 / 2))
    assert zero(E(Z**2 * sp.cos(a * Z)) - (1 - a**2) * sp.exp(-a**2 / 2))
    assert E(Z * sp.sin(Z)) == sp.exp(-sp.Rational(1, 2))
    # sin^2 = (1 - cos 2z)/2
    assert zero(E(sp.sin(Z)**2) - (1 - sp.exp(-2)) / 2)
    # cosh: E cosh(aZ) = e^{a^2/2}
    assert zero(E(sp.cosh(a * Z)) - sp.exp(a**2 / 2))


def test_constant_and_parameters_only():
    assert E(sp.Integer(3)) == 3
    assert E(a**2 + 1) == a**2 + 1


def test_user_symbol_z_without_assumptions_is_the_variable():
    assert E(sp.Symbol("z") ** 2) == 1


# ---- Heaviside: incomplete moments --------------------------------------------------------

def test_relu_and_its_moments():
    assert zero(E(sp.Max(0, Z)) - 1 / sp.sqrt(2 * sp.pi))
    assert E(sp.Max(0, Z)**2) == sp.Rational(1, 2)
    assert zero(E(sp.Abs(Z)) - sp.sqrt(2 / sp.pi))
    assert E(sp.sign(Z)) == 0
    assert E(sp.Heaviside(Z)) == sp.Rational(1, 2)


def test_shifted_relu_symbolic_and_numeric():
    got = E(sp.Max(0, Z + b))
    assert zero(got - (b * Phi(b) + phi(b)))
    assert zero(E(Z * sp.Max(0, Z + b)) - Phi(b))
    f = sp.lambdify(b, got, "mpmath")
    for bv in (-2.5, -0.3, 0.0, 0.7, 3.0):
        ref = gauss_quad(lambda z: max(0.0, z + bv), [-bv])
        assert float(f(bv)) == pytest.approx(ref, abs=1e-12)


def test_heaviside_products_simplify():
    assert E(sp.Heaviside(Z)**3) == sp.Rational(1, 2)
    assert E(sp.Heaviside(Z) * sp.Heaviside(3 * Z)) == sp.Rational(1, 2)
    assert E(sp.Heaviside(Z) * sp.Heaviside(-Z)) == 0
    assert E(Z**2 * sp.Heaviside(Z - 1) * sp.Heaviside(1 - Z)) == 0
    # interval: P(1 < Z < 2) = Phi(2) - Phi(1)
    assert zero(E(sp.Heaviside(Z - 1) * sp.Heaviside(2 - Z)) - (Phi(2) - Phi(1)))
    # Min/Max of z with constants: E[clip(Z, -1, 1)] = 0, E[clip^2] from the formula
    clip = sp.Max(-1, sp.Min(1, Z))
    assert E(clip) == 0
    ref = gauss_quad(lambda z: min(1.0, max(-1.0, z)) ** 2, [-1, 1])
    assert float(E(clip**2)) == pytest.approx(ref, abs=1e-13)


def test_heaviside_with_positive_symbolic_slope_and_unknown_sign():
    assert E(sp.Heaviside(p * Z)) == sp.Rational(1, 2)
    assert zero(E(sp.Max(0, p * Z)) - p / sp.sqrt(2 * sp.pi))
    with pytest.raises(NoClosedFormError, match="sign"):
        E(sp.Heaviside(a * Z))


def test_tilted_heaviside_exact_and_complex_tilt():
    # E[e^Z 1{Z>0}] = e^{1/2} Phi(1)
    assert zero(E(sp.exp(Z) * sp.Heaviside(Z)) - sp.exp(sp.Rational(1, 2)) * Phi(1))
    for expr, fn in [(sp.sin(Z) * sp.Heaviside(Z), lambda z: math.sin(z) * (z > 0)),
                     (sp.cos(2 * Z) * sp.Max(0, Z - 1) * Z, lambda z: math.cos(2 * z) * max(0, z - 1) * z),
                     (Z**3 * sp.exp(Z / 3 - Z**2 / 4) * sp.Heaviside(Z + 1),
                      lambda z: z**3 * math.exp(z / 3 - z * z / 4) * (z > -1))]:
        val = complex(sp.N(E(expr), 20))
        assert abs(val.imag) < 1e-15
        assert val.real == pytest.approx(gauss_quad(fn, [-1, 0, 1]), abs=1e-12)


# ---- erf: Stein's lemma ---------------------------------------------------------------------

def test_erf_base_case_symbolic():
    assert zero(E(sp.erf(a * Z + b)) - sp.erf(b / sp.sqrt(1 + 2 * a**2)))
    assert E(sp.erf(Z)) == 0
    # E[Z erf(aZ)] = E[d/dz erf(aZ)] = 2a/sqrt(pi) / sqrt(1 + 2a^2)
    assert zero(E(Z * sp.erf(a * Z)) - 2 * a / sp.sqrt(sp.pi * (1 + 2 * a**2)))


@pytest.mark.parametrize("av, bv", [(1.0, 0.0), (0.5, 0.3), (2.0, -1.0), (-0.7, 0.4)])
def test_erf_times_powers_against_quad(av, bv):
    exprs = [Z**k * sp.erf(a * Z + b) for k in range(1, 5)]
    sub = {a: sp.nsimplify(av), b: sp.nsimplify(bv)}
    for k, expr in enumerate(exprs, start=1):
        got = float(sp.N(E(expr).subs(sub), 20))
        ref = gauss_quad(lambda z: z**k * float(sc_erf(av * z + bv)))
        assert got == pytest.approx(ref, abs=1e-12), k


def test_gelu_and_erf_squared():
    gelu = Z * Phi(Z)
    # E[Z Phi(Z)] = E[phi(Z)] = 1/(2 sqrt(pi)); E[Z^2 Phi(Z)] = 1/2
    assert zero(E(gelu) - 1 / (2 * sp.sqrt(sp.pi)))
    assert E(Z * gelu) == sp.Rational(1, 2)
    # arcsine law: E[erf(aZ)^2] = (2/pi) asin(2a^2/(1 + 2a^2))
    assert zero(E(sp.erf(Z)**2) - 2 / sp.pi * sp.asin(sp.Rational(2, 3)))
    for av in (0.3, 1.0, 2.5):
        got = float(E(sp.erf(sp.nsimplify(av) * Z)**2))
        assert got == pytest.approx(2 / math.pi * math.asin(2 * av**2 / (1 + 2 * av**2)), abs=1e-14)
    got = float(E(Z**2 * sp.erf(Z) * sp.erf(2 * Z)))
    assert got == pytest.approx(gauss_quad(lambda z: z * z * float(sc_erf(z) * sc_erf(2 * z))), abs=1e-12)


def test_erf_under_gaussian_tilt():
    expr = Z**2 * sp.exp(Z / 2 - Z**2 / 5) * sp.erf(2 * Z - 1)
    ref = gauss_quad(lambda z: z * z * math.exp(z / 2 - z * z / 5) * float(sc_erf(2 * z - 1)))
    assert float(E(expr)) == pytest.approx(ref, abs=1e-12)


# ---- Dirac deltas ------------------------------------------------------------------------------

def test_dirac_delta_by_evaluation():
    # E[g(Z) delta(2Z - 1)] = g(1/2) phi(1/2) / 2, for any smooth g (even without a closed form)
    assert zero(E(sp.tanh(Z) * sp.DiracDelta(2 * Z - 1)) - sp.tanh(sp.Rational(1, 2)) * phi(sp.Rational(1, 2)) / 2)
    # derivative: int g phi delta' = -(g phi)'(0); g = z -> -phi(0)
    assert zero(E(Z * sp.DiracDelta(Z, 1)) + phi(0))
    # d/dz sign(z) = 2 delta(z): E[2 delta(Z)] = 2 phi(0)
    assert zero(E(2 * sp.DiracDelta(Z)) - 2 * phi(0))


# ---- refusals -------------------------------------------------------------------------------

@pytest.mark.parametrize("expr, word", [
    (sp.tanh(Z), "tanh"),
    (1 / (1 + sp.exp(-Z)), "exp"),
    (sp.log(1 + sp.exp(Z)), "log"),
    (sp.erf(Z) * sp.Heaviside(Z), "Owen"),
    (sp.erf(Z) * sp.erf(Z + 1), "Owen"),
    (sp.exp(Z**3), "degree"),
    (sp.Heaviside(Z**2 - 1), "linear"),
])
def test_no_closed_form_is_refused_with_the_factor_named(expr, word):
    with pytest.raises(NoClosedFormError, match=word):
        E(expr)


def test_divergent_expectation_is_a_parameter_error():
    with pytest.raises(ParameterError, match="1/2"):
        E(sp.exp(Z**2))
    with pytest.raises(NoClosedFormError, match="decide"):
        E(sp.exp(-a * Z**2))  # sign of a unknown


# ---- property: polynomial times a shifted ReLU against mpmath quad -----------------------------

@settings(max_examples=25, deadline=None)
@given(coeffs=st.lists(st.integers(-4, 4), min_size=1, max_size=5),
       t=st.fractions(min_value=-2, max_value=2, max_denominator=7))
def test_polynomial_times_shifted_relu(coeffs, t):
    t = sp.Rational(t.numerator, t.denominator)
    poly = sum(c * Z**i for i, c in enumerate(coeffs))
    got = E(poly * sp.Max(0, Z - t))
    with mpmath.workdps(30):
        tm = mpmath.mpf(t.p) / t.q
        ref = mpmath.quad(lambda z: sum(c * z**i for i, c in enumerate(coeffs)) * (z - tm) * mpmath.npdf(z),
                          [tm, mpmath.inf])
    assert abs(complex(sp.N(got, 30)) - complex(ref)) < 1e-20


def test_batched_polynomials_and_speed():
    he = [sp.Integer(1), Z]
    for k in range(1, 20):
        he.append(sp.expand(Z * he[-1] - k * he[-2]))
    t0 = time.perf_counter()
    c = expectation_times_polynomials(sp.Max(0, Z), he, factors=[1 / sp.sqrt(sp.factorial(k)) for k in range(21)])
    elapsed = time.perf_counter() - t0
    assert elapsed < 5  # target < 2 s (bench/bench_hermite.py); loose here for slow CI machines
    assert zero(c[2] - 1 / (2 * sp.sqrt(sp.pi)))
    assert all(c[k] == 0 for k in range(3, 21, 2))
