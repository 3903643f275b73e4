"""Noise injection and its weighted-ridge limit (rmtsym.models.noise_injection; REFERENCES.md paper 10).

Witnesses: the REFERENCES numbers for (a, b) at Delta = 0.5; the closed-form ReLU path against the
numeric Hermite path and against an independent 2-d Gauss–Hermite quadrature of E sigma_Delta^2;
the exact split to machine precision; C ~ aFF^T + bI against a Monte Carlo covariance; the
theory at Delta = 0 against the Mei–Montanari random-feature formula (a second method); the
weighted-ridge theory and noise injection with L = 50 against simulation (tolerances: 4 SE plus a
stated bias). Sizes scale with RMTSYM_MC_SCALE for the slow test (tests/conftest.py).
"""

import os

import numpy as np
import pytest

from rmtsym.errors import ParameterError
from rmtsym.models.noise_injection import (NOISE_INJECTION, noise_injection_constants, noise_injection_risk,
                                           smoothed_activation, split_objective, weighted_ridge_risk,
                                           weighted_ridge_weights)
from rmtsym.simulate.noise_injection import mc_feature_covariance, simulate_noise_injection

SCALE = float(os.environ.get("RMTSYM_MC_SCALE", "1"))


# ---- weights ---------------------------------------------------------------------------------
@pytest.mark.parametrize("act, a_ref, b_ref, tol_a", [("tanh", 0.07980, 0.01948, 5e-6), ("relu", 0.0625, 0.04555, 1e-12)])
def test_reference_weights(act, a_ref, b_ref, tol_a):
    a, b = weighted_ridge_weights(act, 0.5)
    assert abs(a - a_ref) < tol_a           # REFERENCES gives 4-5 digits
    assert abs(b - b_ref) < 5e-6


def test_relu_closed_form_and_numeric_path_agree():
    c = noise_injection_constants("relu", 0.5)
    assert c.exact and c.a_expr == sp_rational(1, 16)
    num = noise_injection_constants("relu(z)", 0.5)        # expression: no closed-form dual -> numeric Hermite
    assert not num.exact
    assert abs(num.a - c.a) < 1e-12 and abs(num.b - c.b) < max(1e-9, 10 * num.error)
    for dl in (0.1, 1.0, 2.0):                                # a = Delta^2/4 for ReLU
        assert abs(weighted_ridge_weights("relu", dl)[0] - dl**2 / 4) < 1e-14


def sp_rational(p, q):
    import sympy as sp

    return sp.Rational(p, q)


def _quad_es2(f, delta, k=120):
    """E_z [ (E_g f(z + delta g))^2 ] by a 2-d Gauss–Hermite rule (independent of the bases)."""
    z, w = np.polynomial.hermite_e.hermegauss(k)
    w = w / w.sum()
    inner = f(z[:, None] + delta * z[None, :]) @ w
    return float(w @ inner**2), float(w @ f(np.sqrt(1 + delta**2) * z) ** 2)


def test_b_against_independent_quadrature():
    for dl in (0.3, 0.5, 1.0):
        c = noise_injection_constants("tanh", dl)
        es2, e2 = _quad_es2(np.tanh, dl)
        # 120-node Gauss–Hermite on tanh (poles at distance pi/(2s) from the real axis): ~1e-9 accurate
        assert abs(c.e2_smooth - es2) < 1e-8 and abs(c.e2 - e2) < 1e-8
        assert abs(c.b - (e2 - es2 - c.a)) < 2e-8
        # nu_1 = E sigma'(s z)
        z, w = np.polynomial.hermite_e.hermegauss(120)
        assert abs(c.nu1 - (w / w.sum()) @ (1 / np.cosh(np.sqrt(1 + dl**2) * z) ** 2)) < 1e-8


def test_smoothed_activation():
    u = np.linspace(-2, 2, 9)
    relu = smoothed_activation("relu", 0.5)(u)
    gh = smoothed_activation("relu(z)", 0.5, nodes=200)(u)    # quadrature path on the same function
    assert np.max(np.abs(relu - gh)) < 2e-3                   # GH on a kink: O(nodes^-1) accuracy
    assert np.allclose(smoothed_activation("relu", 0.0)(u), np.maximum(u, 0))


def test_delta_zero_and_bad_input():
    assert weighted_ridge_weights("tanh", 0) == (0.0, 0.0)
    with pytest.raises(ParameterError, match="noise_level"):
        weighted_ridge_weights("tanh", -0.1)
    with pytest.raises(ParameterError, match="noise_level"):
        weighted_ridge_weights("tanh", float("nan"))
    with pytest.raises(ParameterError, match="copies"):
        simulate_noise_injection("tanh", 10, 10, 10, 1e-3, 0.5, copies=(0,), reps=1)
    with pytest.raises(ParameterError, match="noise_level"):
        simulate_noise_injection("tanh", 10, 10, 10, 1e-3, -1.0, reps=1)
    with pytest.raises(ParameterError, match="ridge"):
        weighted_ridge_risk("tanh", 0.5, p=30, n=40, d=20, ridge=-1)
    with pytest.raises(ParameterError, match="p"):
        weighted_ridge_risk("tanh", 0.5, p=0, n=40, d=20, ridge=1e-3)
    with pytest.raises(ParameterError, match="copies"):
        split_objective(np.zeros(3), np.zeros((3, 2)), np.zeros(2))


# ---- exact split -----------------------------------------------------------------------------
def test_exact_split_machine_precision():
    rng = np.random.default_rng(0)
    n, L, d, p = 7, 5, 6, 9
    F = rng.standard_normal((p, d)) / np.sqrt(d)
    x = rng.standard_normal((n, 1, d)) + 0.5 * rng.standard_normal((n, L, d))
    Phi = np.tanh(x @ F.T)
    y, w = rng.standard_normal(n), rng.standard_normal(p)
    lhs, rhs = split_objective(y, Phi, w)
    assert np.max(np.abs(lhs - rhs)) < 1e-13 * np.max(lhs)


# ---- Gaussian-equivalent covariance ------------------------------------------------------------
@pytest.mark.parametrize("act, tol", [("tanh", 0.05), ("relu", 0.065)])
def test_covariance_gaussian_equivalence(act, tol):
    """Relative Frobenius error of aFF^T + bI against the population Cbar at d = p = 200, estimated
    without the Monte Carlo noise bias by the cross product of two independent estimates:
    ||Cbar - M||^2 ~ <C1 - M, C2 - M>. REFERENCES: 3.7% (tanh), 5% (ReLU); measured 3.4%, 4.6%.
    Tolerance 5% / 6.5% (the estimator's own spread at this size is about 0.5%)."""
    d = 200
    F = np.random.default_rng(1).standard_normal((d, d)) / np.sqrt(d)
    C1 = mc_feature_covariance(act, F, 0.5, n_inputs=200, copies=100, seed=2)
    C2 = mc_feature_covariance(act, F, 0.5, n_inputs=200, copies=100, seed=3)
    a, b = weighted_ridge_weights(act, 0.5)
    M = a * F @ F.T + b * np.eye(d)
    rel = np.sqrt(max(np.sum((C1 - M) * (C2 - M)), 0.0) / np.sum(C1 * C2))
    assert rel < tol
    # the diagonal: a ||f_k||^2 + b against the Monte Carlo variances (mean over k)
    assert abs(np.mean(np.diag(C1 + C2) / 2) - np.mean(np.diag(M))) < 0.03 * np.mean(np.diag(M))


# ---- theory ------------------------------------------------------------------------------------
@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_delta_zero_equals_mei_montanari(act):
    """Delta = 0: the whitened covariate-shift formula (MP quadrature) is plain random-feature ridge;
    Mei–Montanari's fixed point with lambda_MM = lambda d/p must agree (second method)."""
    from rmtsym.models.random_features import rf_risk

    for p, n, d, lam in ((300, 400, 200, 1e-3), (600, 200, 200, 1e-2)):
        ours = float(weighted_ridge_risk(act, 0.0, p=p, n=n, d=d, ridge=lam, noise=0.3).test_error)
        mm = float(rf_risk(act, p / d, n / d, lam * d / p, f1=1.0, noise=0.09).risk) + 0.09
        assert abs(ours - mm) < 1e-6 * mm


def test_theory_vectorised_and_realised_spectrum():
    r = weighted_ridge_risk("relu", np.array([0.0, 0.5, 1.0]), p=300, n=400, d=200, ridge=1e-3)
    assert r.test_error.shape == (3,) and np.all(r.converged)
    assert r.test_error[1] < r.test_error[0]                  # noise injection regularises here
    F = np.random.default_rng(0).standard_normal((300, 200)) / np.sqrt(200)
    rr = weighted_ridge_risk("relu", 0.5, p=300, n=400, d=200, ridge=1e-3, F=F)
    assert rr.method == "realised" and abs(float(rr.test_error) - r.test_error[1]) < 0.01 * r.test_error[1]


def test_derivation_registered():
    from rmtsym.core.graph import get_derivation

    assert get_derivation("noise-injection-weighted-ridge") is NOISE_INJECTION
    assert set(NOISE_INJECTION.requires) == {"ridge-deterministic-equivalent", "dual-kernel"}
    tex = NOISE_INJECTION.latex()
    assert r"\Delta^{2} \nu_1^{2}" in tex and r"\|F^\top w\|^2" in tex


# ---- simulation --------------------------------------------------------------------------------
def _check_sim(act, d, p, n, reps, seed=0):
    r = simulate_noise_injection(act, d, p, n, 1e-3, 0.5, copies=(1, 10, 50), reps=reps, seed=seed, n_test=2000)
    th = float(weighted_ridge_risk(act, 0.5, p=p, n=n, d=d, ridge=1e-3).test_error)
    w, se = r.mean("weighted"), r.se("weighted")
    # theory (asymptotic) vs simulated weighted ridge: 4 SE + finite-size bias 8% at d = 60, 3% at d >= 200
    bias = (0.03 if d >= 200 else 0.08) * th
    assert abs(th - w) < 4 * se + bias, (th, w, se)
    # L = 50 vs weighted ridge, paired: 4 SE + finite-L allowance 3% (the gap decays like 1/L: ~1% at d = 200,
    # ~2% at d = 60)
    dm, dse = r.diff("L=50", "weighted")
    assert abs(dm) < 4 * dse + 0.03 * w, (dm, dse)
    # noise injection approaches from above: L = 1 > L = 10 > L = 50 (paired)
    for k1, k2 in (("L=1", "L=10"), ("L=10", "L=50")):
        dm, dse = r.diff(k1, k2)
        assert dm > -2 * dse
    return r


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_simulation_small(act):
    _check_sim(act, d=60, p=90, n=120, reps=4)


@pytest.mark.slow
@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_simulation_reference_setting(act):
    """REFERENCES item 4 setting: d = 200, p = 300, n = 400, lambda = 1e-3, Delta = 0.5 (scaled by
    RMTSYM_MC_SCALE in size, at most x2)."""
    k = min(max(SCALE, 1.0), 2.0)
    _check_sim(act, d=int(200 * k), p=int(300 * k), n=int(400 * k), reps=4)


# ---- finite L -----------------------------------------------------------------------------------
@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_finite_L_limits(act):
    """L -> oo is the weighted ridge (same quadrature: to rounding); Delta = 0 is plain random-feature
    ridge for every L (Mei–Montanari, a second method); the penalty factor (L-1)/(L+delta2) is 0 at
    L = 1 and increases to 1; the error decreases with L here."""
    from rmtsym.models.random_features import rf_risk

    dl = np.array([0.0, 0.5, 1.0])
    w = weighted_ridge_risk(act, dl, p=300, n=400, d=200, ridge=1e-3).test_error
    r = noise_injection_risk(act, dl[:, None], [1, 2, 5, 50, 1e6, np.inf], 300, 400, 200, 1e-3)
    assert r.test_error.shape == (3, 6) and np.all(r.converged)
    assert np.allclose(r.test_error[:, -1], w, rtol=1e-10, atol=0)
    assert np.allclose(r.test_error[:, -2], w, rtol=1e-4, atol=0)
    mm = float(rf_risk(act, 1.5, 2.0, 1e-3 * 200 / 300, f1=1.0, noise=0.09).risk) + 0.09
    assert np.allclose(r.test_error[0], mm, rtol=1e-10, atol=0)
    f = r.penalty_factor[1]
    assert f[0] == 0 and np.all(np.diff(f) > 0) and f[-1] == 1
    assert np.all(np.diff(r.test_error[1:], axis=1) < 0)


def test_finite_L_peak_at_nL():
    """lambda -> 0: the interpolation peak of the finite-L theory sits at p = nL."""
    ps = np.arange(40, 420, 20)
    for L in (1, 2, 3):
        e = [float(noise_injection_risk("tanh", 0.5, L, p, 100, 100, 1e-6).test_error) for p in ps]
        assert ps[int(np.nanargmax(e))] == 100 * L


def test_finite_L_bad_input():
    for bad in (0, 1.5, -1):
        with pytest.raises(ParameterError, match="copies"):
            noise_injection_risk("relu", 0.5, bad, 30, 40, 20, 1e-3)
    with pytest.raises(ParameterError, match="noise_level"):
        noise_injection_risk("relu", -0.5, 2, 30, 40, 20, 1e-3)


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_finite_L_against_simulation(act):
    """L = 1 (no penalty: ridge on noisy inputs), 2, 5, 10 against simulate_noise_injection at
    d = 100, p = 150, n = 200, 6 reps: 4 SE + 8% finite-size allowance on the error, and on the paired
    difference to the simulated weighted ridge 4 SE + 3% (measured at d = 200, 12 reps: all within
    1.3 SE)."""
    d, p, n = 100, 150, 200
    Ls = (1, 2, 5, 10)
    r = simulate_noise_injection(act, d, p, n, 1e-3, 0.5, copies=Ls, reps=6, seed=0, n_test=2000)
    th = noise_injection_risk(act, 0.5, [*Ls, np.inf], p, n, d, 1e-3).test_error
    w = r.mean("weighted")
    for i, L in enumerate(Ls):
        k = f"L={L}"
        assert abs(th[i] - r.mean(k)) < 4 * r.se(k) + 0.08 * th[i], (L, th[i], r.mean(k), r.se(k))
        dm, dse = r.diff(k, "weighted")
        assert abs(th[i] - th[-1] - dm) < 4 * dse + 0.03 * w, (L, th[i] - th[-1], dm, dse)


# ---- CLI ---------------------------------------------------------------------------------------
def test_cli_curve_noise(capsys, tmp_path):
    import json

    from rmtsym.cli import main

    assert main(["curve", "noise", "--act", "relu", "--delta", "0:1:3", "--p", "45", "--n", "60", "--d", "30",
                 "--copies", "1,5", "--simulate", "--reps", "2", "--sim-points", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["derivation"] == "noise-injection-weighted-ridge" and len(out["test_error"]) == 3
    assert out["a"][1] == pytest.approx(0.0625) and set(out["simulation_noise_injection"]) == {"L=1", "L=5"}
    th = weighted_ridge_risk("relu", 0.5, p=45, n=60, d=30, ridge=1e-3)
    assert out["test_error"][1] == pytest.approx(float(th.test_error), rel=1e-12)
    png = tmp_path / "n.png"
    assert main(["curve", "noise", "--delta", "0:1:3", "--p", "30", "--n", "40", "--d", "20", "--copies", "2",
                 "--simulate", "--reps", "2", "--sim-points", "2", "--plot", str(png)]) == 0
    assert png.exists() and "simulation noise injection L=2" in capsys.readouterr().out
    for bad, name in ((["--delta", "-1"], "delta"), (["--ridge", "0"], "ridge"), (["--p", "0"], "p =")):
        assert main(["curve", "noise", *bad]) == 2
        assert name in capsys.readouterr().err
