"""The activation catalog: constants, dual kernels (closed form vs series vs Monte Carlo), errors."""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st
from scipy.integrate import quad

from rmtsym.bases.catalog import CATALOG, RHO, activation
from rmtsym.bases.functions import Z, to_numpy
from rmtsym.errors import ParameterError
from rmtsym.simulate.gaussian import mc_dual_kernel


def gauss_quad(fn):
    """E[fn(Z)] by scipy quad (an independent method)."""
    # |z| > 40 carries less than exp(-800 + 2*40*a) of the mass for the growths used here
    return quad(lambda z: fn(z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi), -40, 40, points=[0.0],
                epsabs=1e-13, epsrel=1e-13, limit=400)[0]


def test_relu_constants_are_exact_closed_forms():
    relu = activation("relu")
    assert sp.simplify(relu.mu0 - 1 / sp.sqrt(2 * sp.pi)) == 0
    assert relu.mu1 == sp.Rational(1, 2)
    assert sp.simplify(relu.norm2 - sp.Rational(1, 2)) == 0
    assert sp.simplify(relu.mu_star**2 - (sp.Rational(1, 4) - 1 / (2 * sp.pi))) == 0
    assert sp.simplify(relu.hermite(2) - 1 / (2 * sp.sqrt(sp.pi))) == 0


def test_symbolic_parameter_kept():
    erf = activation("erf", a="a")
    a = sp.Symbol("a", real=True)
    # E[Z erf(aZ)] = E[d/dz erf(aZ)] = 2a/sqrt(pi) E[exp(-a^2 Z^2)] = 2a/sqrt(pi (1 + 2a^2))
    expected = 2 * a / sp.sqrt(sp.pi * (1 + 2 * a**2))
    for val in (0.3, 1.0, 2.5):
        assert float(erf.mu1.subs(a, val)) == pytest.approx(float(expected.subs(a, val)), rel=1e-13)


@pytest.mark.parametrize("name, params", [
    ("relu", {}), ("leaky_relu", {"a": 0.2}), ("abs", {}), ("sign", {}), ("step", {}),
    ("erf", {"a": 1}), ("erf", {"a": 0.5}), ("sin", {"a": 1.3}), ("cos", {"a": 0.7}), ("exp", {"a": 0.4}),
])
def test_closed_form_dual_kernel_matches_series_and_monte_carlo(name, params):
    act = activation(name, **params)
    assert act.dual_closed_form is not None
    f = to_numpy(act.expr)
    for i, r in enumerate((-0.7, 0.2, 0.8)):
        closed = float(act.dual_kernel(r))
        series, bound = act.dual_kernel(r, degree=120, return_error=True)
        assert abs(series - closed) <= bound + 1e-10, (r, series, closed, bound)
        m, se = mc_dual_kernel(f, r, 200_000, seed=17 + i)
        assert abs(m - closed) < 4 * se + 1e-12  # 4 standard errors
    # norm2 (rho = 1) against scipy quad
    assert float(act.norm2) == pytest.approx(gauss_quad(lambda z: float(f(np.array([z]))[0]) ** 2), rel=1e-9)


@pytest.mark.parametrize("name", ["tanh", "gelu", "sigmoid", "softplus", "silu"])
def test_series_dual_kernel_against_monte_carlo_and_norm(name):
    act = activation(name)
    assert act.dual_closed_form is None
    f = to_numpy(act.expr)
    ref = gauss_quad(lambda z: float(f(np.array([z]))[0]) ** 2)
    assert float(act.norm2) == pytest.approx(ref, rel=1e-10)
    for i, r in enumerate((-0.5, 0.6)):
        val, bound = act.dual_kernel(r, return_error=True)
        assert bound < 1e-8
        m, se = mc_dual_kernel(f, r, 200_000, seed=31 + i)
        assert abs(m - val) < 4 * se + bound


def test_arcsine_kernel_formula_for_sign():
    # E[sign(u) sign(v)] = (2/pi) asin(rho): Sheppard's formula
    act = activation("sign")
    for r in (-0.9, 0.0, 0.35):
        assert float(act.dual_kernel(r)) == pytest.approx(2 / math.pi * math.asin(r), abs=1e-15)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=5))
def test_polynomial_dual_kernel_at_one_is_the_second_moment(coeffs):
    act = activation("polynomial", coeffs=tuple(coeffs))
    p2 = sp.Poly(sp.expand(act.expr**2), Z)
    moment = sum(c * (sp.factorial2(n - 1) if n % 2 == 0 else 0) for (n,), c in p2.terms())
    assert sp.simplify(act.dual_closed_form.subs(RHO, 1) - moment) == 0


def test_expression_activations():
    act = activation("tanh(2*z) + 0.1*z**2")
    assert act.expr == sp.tanh(2 * Z) + Z**2 / 10 and not act.is_exact
    act = activation("z**3 - 3*z")  # = sqrt(6) h_3
    assert act.is_exact and sp.simplify(act.hermite(3) - sp.sqrt(6)) == 0


def test_bad_input_names_the_parameter():
    with pytest.raises(ParameterError, match="relu") as info:
        activation("nosuch")
    assert "catalog" in str(info.value)
    with pytest.raises(ParameterError, match="b"):
        activation("relu", b=1)
    with pytest.raises(ParameterError, match="E f"):
        activation("exp(z**2)")
    with pytest.raises(ParameterError, match="rho"):
        activation("relu").dual_kernel(1.5)
    assert set(CATALOG) >= {"relu", "leaky_relu", "abs", "sign", "step", "tanh", "erf", "sigmoid",
                            "softplus", "gelu", "silu", "sin", "cos", "exp", "polynomial", "hermite"}
