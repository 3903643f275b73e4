"""Kernel ridge regression on the sphere, n ~ d^k (rmtsym.models.kernel_ridge; Hu & Lu 2022).

Witnesses: REFERENCES paper 7 check number (closed form of the per-phase formula); our own
simulation (rmtsym.simulate.kernel_ridge) at several n across two phases, tolerance 4 SE plus a
stated finite-size bias; the asymptotic and finite-d theories converging as d grows (rate 1/d);
limits; a second root finder; bad input.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize
import sympy as sp
from scipy.special import eval_gegenbauer

from rmtsym.bases.functions import Z
from rmtsym.bases.gegenbauer import harmonic_dimension, kernel_eigenvalues
from rmtsym.errors import ParameterError
from rmtsym.models.kernel_ridge import (KERNEL_RIDGE_POLYNOMIAL, KernelSpectrum, g_from_xi, kernel_spectrum,
                                        krr_curve, phase_degree, xi_from_g)
from rmtsym.simulate.kernel_ridge import kernel_function, simulate_krr

XI = [0.5, 1, 1, 0.5, 0.3]
E = [0, 1, 1, 0.36]  # REFERENCES' "target norms (0, 1, 1, .6)" are norms: energies (0, 1, 1, .36)
REL_BIAS = 0.03  # stated finite-size bias of the finite-d deterministic equivalent at d = 30 (3% of R)


def test_reference_paper7_theory():
    c = krr_curve(XI, 30, E, 464, ridge=0.05, noise=0.1, method="asymptotic")
    assert int(c.phase) == 2 and harmonic_dimension(30, 2) == 464
    assert abs(float(c.risk) - 0.8715) < 5e-5
    # by hand (REFERENCES paper 7): lam_eff = .85, psi = 1, kappa^2/(1+kappa) = .85
    k = (0.85 + math.sqrt(0.85**2 + 4 * 0.85)) / 2
    q = 1 / (1 + k) ** 2
    assert abs(float(c.risk) - (0.36 + k**2 / (1 + k) ** 2 / (1 - q) + 0.46 * q / (1 - q))) < 1e-12


def test_reference_paper7_simulation():
    fin = float(krr_curve(XI, 30, E, 464, ridge=0.05, noise=0.1).risk)
    asy = float(krr_curve(XI, 30, E, 464, ridge=0.05, noise=0.1, method="asymptotic").risk)
    s = simulate_krr(XI, 30, E, 464, 0.05, 0.1, reps=12, n_test=600, seed=1)
    assert abs(s.mean - fin) <= 4 * s.se + REL_BIAS * fin
    # the asymptotic formula's finite-size bias at d = 30 is the finite-d correction |fin - asy|
    assert abs(s.mean - asy) <= 4 * s.se + abs(fin - asy)
    # and REFERENCES' own simulation, 0.872 +- 0.052
    assert abs(fin - 0.872) <= 4 * 0.052


@pytest.mark.parametrize("n", [15, 60, 200, 900])  # phase 1 (n ~ d) and phase 2 (n ~ d^2)
def test_theory_vs_simulation_two_phases(n):
    c = krr_curve(XI, 30, E, n, ridge=0.05, noise=0.1)
    s = simulate_krr(XI, 30, E, n, 0.05, 0.1, reps=16 if n <= 200 else 6, n_test=500, seed=2)
    R = float(c.risk)
    assert abs(s.mean - R) <= 4 * s.se + REL_BIAS * R, (n, R, s.mean, s.se)


def test_simulation_expression_kernel_small_ridge():
    # kernel from an expression, near-interpolating ridge, d = 12, n across the degree-2 block
    spec = kernel_spectrum("exp(z/2)", 12, 4)
    for n in (40, 150):
        R = float(krr_curve(spec, None, [0.2, 1, 0.5], n, ridge=1e-3, noise=0.05).risk)
        s = simulate_krr("exp(z/2)", 12, [0.2, 1, 0.5], n, 1e-3, 0.05, reps=6, n_test=500, seed=3)
        assert abs(s.mean - R) <= 4 * s.se + 0.05 * R, (n, R, s.mean, s.se)


def test_asymptotic_and_finite_agree_as_d_grows():
    for k in (1, 2):
        diffs = []
        for d in (30, 100, 300, 1000):
            n = np.array([0.5, 1, 2]) * harmonic_dimension(d, k)
            f = krr_curve(XI, d, E, n, ridge=0.05, noise=0.1).risk
            a = krr_curve(XI, d, E, n, ridge=0.05, noise=0.1, method="asymptotic").risk
            diffs.append(np.abs(f - a).max())
            assert d * diffs[-1] < 7  # O(1/d)
        assert all(x > y for x, y in zip(diffs, diffs[1:]))
        assert diffs[-1] < 0.01


def test_curve_is_continuous_and_vectorised():
    n = np.geomspace(1, 30**3, 1000)
    c = krr_curve(XI, 30, E, n, ridge=0.05, noise=0.1)
    assert c.risk.shape == (1000,) and np.all(np.isfinite(c.risk))
    assert np.max(np.abs(np.diff(c.risk))) < 0.05  # no jump between phases
    assert list(np.unique(c.phase)) == [0, 1, 2, 3, 4]
    # grid over (n, ridge)
    g = krr_curve(XI, 30, E, n[:, None], ridge=np.geomspace(1e-4, 1, 7)[None, :], noise=0.1)
    assert g.risk.shape == (1000, 7)
    assert np.allclose(g.risk[:, 5], krr_curve(XI, 30, E, n, ridge=np.geomspace(1e-4, 1, 7)[5], noise=0.1).risk)


def test_kappa_against_brentq():
    spec = KernelSpectrum(30, XI, 0.0)
    for n, lam in ((10.0, 0.05), (464.0, 0.05), (3000.0, 1e-3), (50.0, 0.0)):
        c = krr_curve(spec, None, E, n, ridge=lam, noise=0.1)

        def F(k):
            return lam / k + np.sum(spec.B * spec.mu / (spec.mu + k)) - n

        k = scipy.optimize.brentq(F, 1e-14, 10.0, xtol=1e-300, rtol=1e-14)
        assert abs(float(c.kappa) - k) <= 1e-10 * k


def test_limits():
    tot = sum(E)
    # lam -> oo: nothing is learned (the asymptotic formula assumes lam << 1 for the degrees < k)
    assert abs(float(krr_curve(XI, 30, E, 464, ridge=1e9, noise=0.1).risk) - tot) < 1e-6
    for m in ("finite", "asymptotic"):
        assert abs(float(krr_curve(XI, 30, E, 1e-6, ridge=0.05, noise=0.1, method=m).risk) - tot) < 1e-4
    # zero effective ridge at the interpolation threshold: infinite, not a large number
    xi = [1.0, 1.0]  # rank 1 + 30 = 31
    assert math.isinf(float(krr_curve(xi, 30, [0, 1], 31, ridge=0.0, noise=0.1).risk))
    # n >> rank, no ridge: the classical formula sigma^2 p/(n - p)
    assert abs(float(krr_curve(xi, 30, [0, 1], 62, ridge=0.0, noise=0.1).risk) - 0.1 * 31 / 31) < 1e-9


def test_kernel_spectrum_conventions():
    d = 30
    s = kernel_spectrum("exp", d, 6)
    assert abs(s.h1 - math.e) < 1e-9 and s.tail >= 0
    ev = kernel_eigenvalues(sp.exp(Z / sp.sqrt(d)), d, 6, exact=False)
    assert np.allclose(s.mu, ev, rtol=1e-10)
    assert np.allclose(g_from_xi(s.xi, d), s.g) and np.allclose(xi_from_g(s.g, d), s.xi)
    a = kernel_spectrum("exp", d, 4, asymptotic=True)
    assert np.allclose(a.xi, [1 / math.factorial(k) for k in range(5)])
    # REFERENCES: t^2 = 1/d + (1 - 1/d) Q_2(t)
    q = kernel_spectrum("z**2", d, 3)
    assert np.allclose(q.xi, [1 / d, 0, 1 - 1 / d, 0], atol=1e-12)
    # the simulator's kernel (recurrence) against scipy's Gegenbauer polynomials
    t = np.linspace(-1, 1, 11)
    ref = sum(c * eval_gegenbauer(l, (d - 2) / 2, t) / eval_gegenbauer(l, (d - 2) / 2, 1.0) for l, c in enumerate(XI))
    assert np.allclose(kernel_function(XI, d)(t), ref, atol=1e-13)


def test_phase_degree():
    assert list(phase_degree([1, 5, 30, 100, 464, 2000, 5000], 30, 3)) == [0, 0, 1, 1, 2, 3, 3]


def test_derivation_registered():
    import rmtsym

    g = rmtsym.graph()
    assert "kernel-ridge-polynomial" in g
    assert set(KERNEL_RIDGE_POLYNOMIAL.requires) == {"gegenbauer-expansion", "ridge-deterministic-equivalent"}
    tex = KERNEL_RIDGE_POLYNOMIAL.latex()
    assert r"\kappa" in tex and r"{B}_{\ell}" in tex and "arXiv:2205.06798" in tex


def test_bad_input():
    with pytest.raises(ParameterError, match="ridge"):
        krr_curve(XI, 30, E, 100, ridge=-1)
    with pytest.raises(ParameterError, match="noise"):
        krr_curve(XI, 30, E, 100, ridge=0.1, noise=-0.1)
    with pytest.raises(ParameterError, match="target"):
        krr_curve(XI, 30, [1, np.inf], 100, ridge=0.1)
    with pytest.raises(ParameterError, match="target"):
        krr_curve(XI, 30, [1e308, 1e308], 100, ridge=0.1)  # the sum is not finite
    with pytest.raises(ParameterError, match="target"):
        krr_curve(XI, 30, [1, -1], 100, ridge=0.1)
    with pytest.raises(ParameterError, match="d = 2"):
        krr_curve(XI, 2, E, 100, ridge=0.1)
    with pytest.raises(ParameterError, match="n"):
        krr_curve(XI, 30, E, 0, ridge=0.1)
    with pytest.raises(ParameterError, match="xi"):
        krr_curve([1, -1], 30, E, 10, ridge=0.1)
    with pytest.raises(ParameterError, match="method"):
        krr_curve(XI, 30, E, 10, ridge=0.1, method="exact")
    with pytest.raises(ParameterError, match="kernel"):
        kernel_spectrum("-z**2", 30, 3)  # not positive semi-definite
    with pytest.raises(ParameterError, match="ridge"):
        simulate_krr(XI, 30, E, 10, -1.0)


def test_cli_json():
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-m", "rmtsym", "curve", "krr", "--xi", "0.5,1,1,0.5,0.3", "--dim", "30",
                        "--k-max", "3", "--n", "464", "--ridge", "0.05", "--noise", "0.1",
                        "--target-norms", "0,1,1,0.6", "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert abs(out["risk_asymptotic"][0] - 0.8715) < 1e-4
    bad = subprocess.run([sys.executable, "-m", "rmtsym", "curve", "krr", "--noise", "-1"], capture_output=True,
                         text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "noise" in bad.stderr
