"""GCV: one eigendecomposition vs direct solves, multi-output, limit R + sigma^2 (A4), validation, CLI."""

import numpy as np
import pytest

from rmtsym.errors import ParameterError
from rmtsym.models.gcv import gcv, gcv_direct, relu_nngp_kernel
from rmtsym.models.ridge import power_law_spectrum, ridge_risk


def _data(n=300, p=600, seed=0, noise=0.5):
    spec = power_law_spectrum(p, 1.2, 1.0)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * np.sqrt(spec.eig)
    y = X @ np.sqrt(spec.beta2) + noise * rng.standard_normal(n)
    return spec, X, y


def test_eigendecomposition_matches_direct_solves():
    _, X, y = _data(n=120, p=80)
    K = X @ X.T / 120
    lam = np.geomspace(1e-3, 10, 7)
    r = gcv(K, y, lam)
    np.testing.assert_allclose(r.gcv, [gcv_direct(K, y, l) for l in lam], rtol=1e-8)
    Y = np.stack([y, -2 * y + 1, np.sin(y)], 1)     # multi-output: average over columns
    r3 = gcv(K, Y, lam)
    np.testing.assert_allclose(r3.gcv, np.mean([gcv(K, Y[:, j], lam).gcv for j in range(3)], 0), rtol=1e-12)
    np.testing.assert_allclose(r3.gcv, [gcv_direct(K, Y, l) for l in lam], rtol=1e-8)


def test_ridge_zero_limit():
    _, X, y = _data(n=50, p=20)
    K = X @ X.T / 50                                # rank 20 < 50: singular
    g0 = gcv(K, y, [0.0]).gcv[0]
    assert np.isfinite(g0)
    assert abs(gcv(K, y, [1e-9]).gcv[0] - g0) < 1e-5 * g0


def test_limit_is_risk_plus_noise(mc_scale):
    # GCV -> R + sigma^2 (A4); mean over replicates, tolerance 4 SE + 3% finite-size bias
    lam = np.array([1e-2, 0.1, 1.0])
    vals = []
    for seed in range(int(8 * mc_scale)):
        spec, X, y = _data(seed=seed)
        vals.append(gcv(X @ X.T / X.shape[0], y, lam).gcv)
    vals = np.array(vals)
    m, se = vals.mean(0), vals.std(0, ddof=1) / np.sqrt(len(vals))
    th = ridge_risk(spec, n=300, ridge=lam, noise=0.5).prediction_risk
    assert np.all(np.abs(m - th) <= 4 * se + 0.03 * th)


def test_relu_nngp_kernel():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 5))
    K = relu_nngp_kernel(X)
    np.testing.assert_allclose(np.diag(K), (X**2).sum(1) / 5 / 2)     # E relu(u)^2 = 1/2
    assert np.linalg.eigvalsh(K).min() > -1e-10
    # Monte Carlo: E_w relu(w.x) relu(w.x'), w ~ N(0, I/d)
    W = rng.standard_normal((200000, 5)) / np.sqrt(5)
    F = np.maximum(X[:3] @ W.T, 0)
    mc = F @ F.T / W.shape[0]
    np.testing.assert_allclose(mc, K[:3, :3], rtol=0.03, atol=0.01)


def test_bad_input():
    K = np.eye(4)
    with pytest.raises(ParameterError, match="K"):
        gcv(np.array([[1.0, 2.0], [0.0, 1.0]]), [1, 2], [0.1])          # not symmetric
    with pytest.raises(ParameterError, match="K"):
        gcv(np.array([[1.0, 2.0], [2.0, 1.0]]), [1, 2], [0.1])          # not PSD
    with pytest.raises(ParameterError, match="K"):
        gcv(np.ones((3, 4)), [1, 2, 3], [0.1])
    with pytest.raises(ParameterError, match="y"):
        gcv(K, np.ones(5), [0.1])
    with pytest.raises(ParameterError, match="ridges"):
        gcv(K, np.ones(4), [-0.1])


def test_cli(tmp_path, capsys):
    import json

    from rmtsym.cli import main

    _, X, y = _data(n=60, p=30)
    f = tmp_path / "d.npz"
    np.savez(f, X=X, y=y)
    assert main(["gcv", str(f), "--ridge", "1e-3:1:5:log", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose(out["gcv"], gcv(X @ X.T / 60, y, np.geomspace(1e-3, 1, 5)).gcv, rtol=1e-10)
    assert main(["gcv", str(f), "--kernel", "relu-nngp", "--ridge", "0.1"]) == 0
    capsys.readouterr()
    assert main(["curve", "ridge", "--p", "100", "--n", "50:150:3", "--ridge", "0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["risk"][1] is None                 # n = p: inf, printed as null in JSON
    assert main(["curve", "ridge", "--noise", "-1"]) == 2
