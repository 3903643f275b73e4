"""Monte Carlo of noise injection during training (ground truth for :mod:`rmtsym.models.noise_injection`).

Written independently of the theory's algebra: ``x ~ N(0, I_d)``, ``F`` with iid ``N(0, 1/d)``
entries, target ``y = beta^T x / sqrt d + noise * xi`` with ``beta`` uniformly random of norm
``sqrt(d * signal)``. For each number of copies ``L`` the readout minimises

    (1/(nL)) sum_{i,l} (y_i - w^T sigma(F(x_i + Delta g_il)))^2 + lambda ||w||^2

(copies are nested: the run with ``L`` copies uses the first ``L`` noise draws of the run with
the most copies, so differences between ``L`` have small variance). The *explicit weighted
ridge* minimises ``(1/n) ||y - Phibar w||^2 + a ||F^T w||^2 + (b + lambda) ||w||^2`` with
``Phibar_ik = sigma_{Delta ||f_k||}(f_k^T x_i)`` (Gauss–Hermite smoothing; closed form for ReLU)
and ``(a, b)`` from :func:`rmtsym.models.noise_injection.weighted_ridge_weights`. Every model of
one replicate sees the same ``F, beta, X, y`` and test set (common random numbers). The test
error is ``mean over n_test clean inputs of (y - w^T sigma(F x))^2`` (label noise included);
``mean ± SE`` over replicates (``SE = std(ddof=1)/sqrt(reps)``); replicate ``r`` uses seed ``seed + r``.

>>> r = simulate_noise_injection("tanh", d=20, p=30, n=40, ridge=1e-3, noise_level=0.5, copies=(1, 5),
...                              reps=2, n_test=200)
>>> sorted(r.values), r.values["weighted"].shape
(['L=1', 'L=5', 'weighted'], (2,))
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError
from .random_features import activation_callable

__all__ = ["NoiseSimResult", "simulate_noise_injection", "mc_feature_covariance"]


def _int(name, v, lo):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ParameterError(name, v, f"an integer >= {lo}")
    return int(v)


def _nonneg(name, v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ParameterError(name, v, "a finite number >= 0") from None
    if not math.isfinite(f) or f < 0:
        raise ParameterError(name, v, "a finite number >= 0")
    return f


@dataclass(frozen=True)
class NoiseSimResult:
    """Test error per replicate for each model (keys ``"L=1"``, ..., ``"weighted"``)."""

    values: dict
    d: int
    p: int
    n: int
    ridge: float
    delta: float
    copies: tuple
    a: float
    b: float
    train: dict = field(default_factory=dict)

    def mean(self, key) -> float:
        return float(np.mean(self.values[key]))

    def se(self, key) -> float:
        v = self.values[key]
        return float(np.std(v, ddof=1) / math.sqrt(v.size)) if v.size > 1 else float("nan")

    def diff(self, key1, key2) -> tuple[float, float]:
        """Paired difference ``key1 - key2``: (mean, SE) over replicates."""
        dv = self.values[key1] - self.values[key2]
        return float(dv.mean()), float(np.std(dv, ddof=1) / math.sqrt(dv.size)) if dv.size > 1 else float("nan")

    def __str__(self) -> str:
        return ", ".join(f"{k}: {self.mean(k):.4f} ± {self.se(k):.4f}" for k in self.values)


def _solve(G, h, reg):
    A = G + reg
    try:
        from scipy.linalg import cho_factor, cho_solve

        return cho_solve(cho_factor(A), h)
    except Exception:  # noqa: BLE001 -- fall back to least squares on a singular system
        return np.linalg.lstsq(A, h, rcond=None)[0]


def simulate_noise_injection(act, d: int, p: int, n: int, ridge: float, noise_level: float, *,
                             copies=(1, 2, 5, 10, 50), weighted: bool = True, signal: float = 1.0,
                             noise: float = 0.3, reps: int = 3, n_test: int = 2000, seed: int = 0,
                             weights: tuple[float, float] | None = None) -> NoiseSimResult:
    """Simulate noise injection with each ``L`` in ``copies`` and (``weighted``) the explicit
    weighted ridge (module docstring). ``weights = (a, b)`` overrides the theory's weights."""
    d, p, n = _int("d", d, 1), _int("p", p, 1), _int("n", n, 1)
    reps, n_test = _int("reps", reps, 1), _int("n_test", n_test, 2)
    lam = _nonneg("ridge", ridge)
    delta = _nonneg("noise_level", noise_level)
    signal, noise = _nonneg("signal", signal), _nonneg("noise", noise)
    Ls = tuple(sorted({_int("copies", L, 1) for L in np.atleast_1d(copies).tolist()}))
    if not Ls and not weighted:
        raise ParameterError("copies", copies, "at least one number of copies L >= 1 (or weighted=True)")
    if lam == 0:
        raise ParameterError("ridge", ridge, "a number lambda > 0 for the simulation")
    sigma = activation_callable(act)
    if weighted:
        from ..models.noise_injection import smoothed_activation, weighted_ridge_weights

        a, b = weighted_ridge_weights(act, delta) if weights is None else map(float, weights)
        smooth = smoothed_activation(act, 0.0)
    else:
        a = b = float("nan")
    keys = [f"L={L}" for L in Ls] + (["weighted"] if weighted else [])
    vals = {k: np.empty(reps) for k in keys}
    train = {k: np.empty(reps) for k in keys}
    for r in range(reps):
        rng = np.random.default_rng(seed + r)
        F = rng.standard_normal((p, d)) / math.sqrt(d)
        beta = rng.standard_normal(d)
        beta *= math.sqrt(d * signal) / max(np.linalg.norm(beta), 1e-300)
        X = rng.standard_normal((n, d))
        y = X @ beta / math.sqrt(d) + noise * rng.standard_normal(n)
        Xt = rng.standard_normal((n_test, d))
        yt = Xt @ beta / math.sqrt(d) + noise * rng.standard_normal(n_test)
        Pt = sigma(Xt @ F.T)
        reg = lam * np.eye(p)
        G = np.zeros((p, p))
        h = np.zeros(p)
        crng = np.random.default_rng([seed + r, 7])     # the copies' own stream (nested across L)
        for L in range(1, (Ls[-1] if Ls else 0) + 1):
            Phi = sigma((X + delta * crng.standard_normal((n, d))) @ F.T)
            G += Phi.T @ Phi
            h += Phi.T @ y
            if L in Ls:
                w = _solve(G / (n * L), h / (n * L), reg)
                vals[f"L={L}"][r] = np.mean((yt - Pt @ w) ** 2)
                train[f"L={L}"][r] = np.mean((y - sigma(X @ F.T) @ w) ** 2)
        if weighted:
            rk = np.linalg.norm(F, axis=1)
            Pb = smooth(X @ F.T, delta * rk[None, :])
            M = a * (F @ F.T) + (b + lam) * np.eye(p)
            w = _solve(Pb.T @ Pb / n, Pb.T @ y / n, M)
            vals["weighted"][r] = np.mean((yt - Pt @ w) ** 2)
            train["weighted"][r] = np.mean((y - Pb @ w) ** 2)
    return NoiseSimResult(vals, d, p, n, lam, delta, Ls, float(a), float(b), train)


def mc_feature_covariance(act, F, noise_level: float, *, n_inputs: int = 100, copies: int = 100,
                          seed: int = 0) -> np.ndarray:
    """Monte Carlo ``Cbar = E_x Cov_g[sigma(F(x + Delta g))]``: the unbiased (``1/(copies - 1)``)
    covariance over ``copies`` noise draws, averaged over ``n_inputs`` inputs ``x ~ N(0, I_d)``."""
    F = np.asarray(F, float)
    if F.ndim != 2:
        raise ParameterError("F", f"shape {F.shape}", "a (p, d) matrix")
    delta = _nonneg("noise_level", noise_level)
    n_inputs, copies = _int("n_inputs", n_inputs, 1), _int("copies", copies, 2)
    sigma = activation_callable(act)
    p, d = F.shape
    rng = np.random.default_rng(seed)
    C = np.zeros((p, p))
    for _ in range(n_inputs):
        x = rng.standard_normal(d)
        Phi = sigma((x[None, :] + delta * rng.standard_normal((copies, d))) @ F.T)
        Phi -= Phi.mean(axis=0)
        C += Phi.T @ Phi / (copies - 1)
    return C / n_inputs
