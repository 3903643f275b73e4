"""Monte Carlo ground truth for ridge regression (normalisation of :mod:`rmtsym.models.ridge`).

Gaussian data in the eigenbasis of ``Sigma`` (no loss of generality): ``x_j = sqrt(s_j) z_j``,
``y = x^T beta + eps``, ``eps ~ N(0, sigma^2)``; ``beta_hat = (X^T X/n + lambda)^{-1} X^T y/n``
(computed through the ``n x n`` dual system when ``p > n``, so ``lambda = 0`` is the minimum-norm
interpolator). The test risk is the excess risk on a fresh point, computed exactly as its
expectation ``(beta_hat - beta)^T Sigma (beta_hat - beta)`` (or, with ``n_test``, estimated on
``n_test`` fresh samples). Replicates use seeds ``seed, seed + 1, ...``; returns mean ± SE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError

__all__ = ["RidgeSimulation", "simulate_ridge", "fit_ridge"]


@dataclass(frozen=True)
class RidgeSimulation:
    """Means and standard errors over ``reps`` replicates."""

    risk: float
    risk_se: float
    train_error: float
    train_error_se: float
    gcv: float
    gcv_se: float
    reps: int


def fit_ridge(X, y, ridge):
    """``(beta_hat, trace of the hat matrix)`` for ``beta_hat = (X^T X/n + ridge)^{-1} X^T y/n``."""
    n, p = X.shape
    if p <= n:
        A = X.T @ X / n + ridge * np.eye(p)
        bh = np.linalg.solve(A, X.T @ y / n)
        tr = np.trace(np.linalg.solve(A, X.T @ X / n))
    else:
        G = X @ X.T / n + ridge * np.eye(n)
        a = np.linalg.solve(G, y / n)
        bh = X.T @ a
        tr = np.trace(np.linalg.solve(G, X @ X.T / n))
    return bh, tr


def simulate_ridge(eigenvalues, beta, n: int, ridge: float, noise: float, *, reps: int = 10, seed: int = 0,
                   n_test: int | None = None) -> RidgeSimulation:
    """Simulate ridge regression ``reps`` times; ``eigenvalues`` of ``Sigma`` and the coefficients
    ``beta`` in its eigenbasis (e.g. ``spec.eig`` and ``sqrt(spec.beta2)`` of a power-law
    :class:`~rmtsym.models.ridge.Spectrum`). Also returns the training error and GCV
    ``(||y - X beta_hat||^2/n) / (1 - tr S/n)^2``."""
    s = np.asarray(eigenvalues, float)
    b = np.asarray(beta, float)
    if s.ndim != 1 or b.shape != s.shape:
        raise ParameterError("beta", f"shape {b.shape}", f"shape {s.shape} (one coefficient per eigenvalue)")
    if np.any(s < 0):
        raise ParameterError("eigenvalues", "negative entries", "numbers >= 0")
    if not (int(n) == n and n >= 1):
        raise ParameterError("n", n, "an integer >= 1")
    if not ridge >= 0:
        raise ParameterError("ridge", ridge, "a number >= 0")
    if not noise >= 0:
        raise ParameterError("noise", noise, "a number >= 0")
    if not (int(reps) == reps and reps >= 2):
        raise ParameterError("reps", reps, "an integer >= 2")
    n, p = int(n), s.size
    if ridge == 0 and n == p:
        raise ParameterError("n", n, f"n != p = {p} when ridge = 0 (the interpolation peak: infinite risk)")
    sq = np.sqrt(s)
    out = []
    for r in range(int(reps)):
        rng = np.random.default_rng(seed + r)
        X = rng.standard_normal((n, p)) * sq
        y = X @ b + noise * rng.standard_normal(n)
        bh, tr = fit_ridge(X, y, ridge)
        d = bh - b
        if n_test is None:
            risk = float(np.sum(s * d * d))
        else:
            Xt = rng.standard_normal((int(n_test), p)) * sq
            risk = float(np.mean((Xt @ d) ** 2))
        train = float(np.mean((y - X @ bh) ** 2))
        den = 1 - tr / n
        gcv = train / den**2 if den > 1e-9 else np.nan     # undefined for an interpolator
        out.append((risk, train, gcv))
    a = np.array(out)
    m, se = a.mean(0), a.std(0, ddof=1) / np.sqrt(len(a))
    return RidgeSimulation(*(float(v) for v in (m[0], se[0], m[1], se[1], m[2], se[2])), int(reps))
