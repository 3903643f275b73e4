"""Monte Carlo on S^{d-1}(sqrt d) against the Gegenbauer theory (docs/conventions.md, Sphere).

Tolerance rule: a Monte Carlo mean is compared with its theoretical value within 4 standard
errors (SE = sample std / sqrt(n)). Under the null each comparison fails with probability
6e-5, so a test with ~10 comparisons fails by chance with probability < 1e-3; seeds are fixed,
so the outcome is deterministic. Sample sizes scale with RMTSYM_MC_SCALE (conftest.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from rmtsym.bases.functions import Z
from rmtsym.bases.gegenbauer import (
    gegenbauer_coefficients,
    gegenbauer_polynomial,
    harmonic_dimension,
    kernel_eigenvalues,
)
from rmtsym.errors import ParameterError
from rmtsym.simulate.sphere import gegenbauer_q, mc_gegenbauer, sample_projection, sample_sphere

T = sp.Symbol("t", real=True)


def within(est, se, value, n_se=4.0):
    return np.all(np.abs(np.asarray(est) - np.asarray(value)) <= n_se * np.asarray(se))


def test_sample_sphere_shape_norm_seed():
    x = sample_sphere(1000, 7, rng=3)
    assert x.shape == (1000, 7)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), math.sqrt(7), rtol=1e-13)
    assert np.array_equal(x, sample_sphere(1000, 7, rng=np.random.default_rng(3)))
    assert not np.array_equal(x, sample_sphere(1000, 7, rng=4))


def test_sample_sphere_isotropic(mc_scale):
    # E[x x^T] = I (|x|^2 = d, by symmetry each coordinate has E x_i^2 = 1, E x_i x_j = 0)
    n = int(100_000 * mc_scale)
    x = sample_sphere(n, 6, rng=11)
    for v, target in [(x[:, 0] ** 2, 1.0), (x[:, 4] ** 2, 1.0), (x[:, 1] * x[:, 2], 0.0), (x[:, 3], 0.0)]:
        assert within(v.mean(), v.std(ddof=1) / math.sqrt(n), target)


@pytest.mark.parametrize("d", [3, 7, 50])
def test_projection_moments(d, mc_scale):
    # E t^2 = 1, E t^4 = 3d/(d+2) (u^2 ~ Beta(1/2, (d-1)/2)); both samplers
    n = int(100_000 * mc_scale)
    for t in (sample_projection(n, d, rng=5), sample_sphere(n, d, rng=6)[:, 0]):
        assert np.all(np.abs(t) <= math.sqrt(d) + 1e-12)
        for v, target in [(t**2, 1.0), (t**4, 3 * d / (d + 2))]:
            assert within(v.mean(), v.std(ddof=1) / math.sqrt(n), target)


@pytest.mark.parametrize("d", [3, 5, 10, 100])
def test_scipy_q_matches_theory_polynomials(d):
    t = np.linspace(-math.sqrt(d), math.sqrt(d), 41)
    for k in range(9):
        q = sp.lambdify(T, gegenbauer_polynomial(k, d, T), "numpy")
        ref = np.asarray(q(t), dtype=float) * np.ones_like(t)
        np.testing.assert_allclose(gegenbauer_q(k, d, t), ref, rtol=1e-9, atol=1e-9)
    # P_k(1) = 1 normalisation: q_k(sqrt d) = sqrt(B(d, k))
    for k in range(9):
        assert abs(float(gegenbauer_q(k, d, math.sqrt(d))) - math.sqrt(harmonic_dimension(d, k))) < 1e-9 * math.sqrt(
            harmonic_dimension(d, k))


@pytest.mark.parametrize("f", [sp.tanh(Z), sp.Max(0, Z)], ids=["tanh", "relu"])
def test_mc_gegenbauer_vs_numeric(f, mc_scale):
    d = 10
    n = int(200_000 * mc_scale)
    est, se = mc_gegenbauer(f, d, range(5), n, seed=2024)
    g = gegenbauer_coefficients(f, d, 4).numpy()
    assert np.all(se > 0) and np.all(se < 0.01)
    assert within(est, se, g), (est, g, se)


def test_mc_gegenbauer_callable_scalar_k(mc_scale):
    n = int(100_000 * mc_scale)
    est, se = mc_gegenbauer(np.tanh, 10, 3, n, seed=7)
    assert isinstance(est, float) and isinstance(se, float)
    assert within(est, se, gegenbauer_coefficients(sp.tanh(Z), 10, 3).numpy()[3])
    # same seed, same numbers
    assert (est, se) == mc_gegenbauer(np.tanh, 10, 3, n, seed=7)


def test_addition_theorem_mc(mc_scale):
    # E_x[q_k(<x,e1>) q_k(<x,e2>)] = P_k(<e1,e2>) = q_k(sqrt(d) rho) / sqrt(B(d,k))
    d, rho = 5, 0.3
    n = int(200_000 * mc_scale)
    e1 = np.zeros(d)
    e1[0] = 1.0
    e2 = np.zeros(d)
    e2[0], e2[1] = rho, math.sqrt(1 - rho**2)
    x = sample_sphere(n, d, rng=99)
    for k in range(5):
        v = gegenbauer_q(k, d, x @ e1) * gegenbauer_q(k, d, x @ e2)
        Pk = float(gegenbauer_polynomial(k, d, T).subs(T, math.sqrt(d) * rho)) / math.sqrt(harmonic_dimension(d, k))
        assert within(v.mean(), v.std(ddof=1) / math.sqrt(n), Pk), k


def test_funk_hecke_kernel_eigenvalues_mc(mc_scale):
    # E_y[f(<x,y>/sqrt d) q_k(<y,e>)] = lambda_k q_k(<x,e>) for the zonal harmonic q_k(<., e>)
    d = 5
    n = int(200_000 * mc_scale)
    lam = kernel_eigenvalues(sp.tanh(Z), d, 3)
    e = np.zeros(d)
    e[0] = 1.0
    x = np.array([0.9, 1.2, -0.4, 0.5, 0.0])
    x *= math.sqrt(d) / np.linalg.norm(x)
    y = sample_sphere(n, d, rng=31)
    ker = np.tanh(y @ x / math.sqrt(d))
    for k in range(4):
        v = ker * gegenbauer_q(k, d, y @ e)
        target = lam[k] * float(gegenbauer_q(k, d, x @ e))
        assert within(v.mean(), v.std(ddof=1) / math.sqrt(n), target), k


def test_bad_input():
    cases = [(lambda: sample_sphere(0, 5), "n"), (lambda: sample_sphere(10, 1), "d"),
             (lambda: sample_sphere(10, 2.5), "d"), (lambda: sample_sphere(10, 5, rng="x"), "rng"),
             (lambda: sample_projection(-1, 5), "n"),
             (lambda: mc_gegenbauer(Z, 2, 1, 100, 0), "d"), (lambda: mc_gegenbauer(Z, 5, -1, 100, 0), "k"),
             (lambda: mc_gegenbauer(Z, 5, 1, 1, 0), "n_samples"),
             (lambda: mc_gegenbauer(sp.Symbol("a") * Z, 5, 1, 100, 0), "parameters")]
    for call, name in cases:
        with pytest.raises(ParameterError) as exc:
            call()
        assert exc.value.name == name
