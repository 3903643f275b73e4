"""Generalised cross-validation for kernel ridge regression (Craven & Wahba 1978; Wei, Hu &
Steinhardt 2022, arXiv:2203.06176; REFERENCES.md A4 and paper 11).

Normalisation: ``K`` is the Gram matrix divided by ``n`` (``K_ij = k(x_i, x_j)/n``), and the
predictor is ``f = K (K + lambda)^{-1} y`` on the training points (hat matrix
``S = K (K + lambda)^{-1}``). For the linear kernel ``K = X X^T / n`` this is exactly the ridge
estimator ``beta_hat = (X^T X/n + lambda)^{-1} X^T y/n`` of :mod:`rmtsym.models.ridge` with the
same ``lambda`` (papers with the unnormalised Gram matrix use ``n lambda``).

    GCV(lambda) = [n^{-1} ||y - S y||^2] / [1 - tr S / n]^2
                = [n^{-1} lambda^2 ||(K + lambda)^{-1} y||^2] / [lambda n^{-1} tr (K + lambda)^{-1}]^2,

averaged over the columns of a multi-output ``y``. One eigendecomposition ``K = U diag(k) U^T``
serves every ``lambda``. Deterministic-equivalent limit: ``GCV -> R + sigma^2``
(:func:`rmtsym.models.ridge.ridge_risk`, field ``prediction_risk``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError

__all__ = ["gcv", "gcv_direct", "GCVResult", "relu_nngp_kernel", "linear_kernel", "krr_predict"]


@dataclass(frozen=True)
class GCVResult:
    ridge: np.ndarray
    gcv: np.ndarray          # averaged over outputs
    train_error: np.ndarray  # n^{-1} ||y - S y||^2, averaged over outputs
    dof: np.ndarray          # tr S


def _check_kernel(K, y):
    K = np.asarray(K, dtype=float)
    if K.ndim != 2 or K.shape[0] != K.shape[1] or K.shape[0] < 2:
        raise ParameterError("K", f"shape {K.shape}", "a square n x n matrix with n >= 2")
    if not np.all(np.isfinite(K)):
        raise ParameterError("K", "non-finite entries", "a finite symmetric PSD matrix")
    scale = max(np.abs(K).max(), 1e-300)
    if np.abs(K - K.T).max() > 1e-10 * scale:
        raise ParameterError("K", "a non-symmetric matrix", "a symmetric positive semi-definite matrix",
                             f"max |K - K^T| = {np.abs(K - K.T).max():.3g}")
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != K.shape[0]:
        raise ParameterError("y", f"shape {np.shape(y)}", f"shape ({K.shape[0]},) or ({K.shape[0]}, outputs) to match K")
    if not np.all(np.isfinite(y)):
        raise ParameterError("y", "non-finite entries", "finite numbers")
    return (K + K.T) / 2, y


def gcv(K, y, ridges) -> GCVResult:
    """GCV of kernel ridge regression for every ridge in ``ridges`` (>= 0) from one
    eigendecomposition of ``K`` (normalisation in the module docstring). ``lambda = 0`` is the
    limit ``lambda -> 0+`` (finite when ``K`` is singular: ``n ||P_0 y||^2 / (dim ker K)^2``)."""
    K, Y = _check_kernel(K, y)
    lam = np.atleast_1d(np.asarray(ridges, dtype=float))
    if lam.ndim != 1 or np.any(~np.isfinite(lam)) or np.any(lam < 0):
        raise ParameterError("ridges", ridges, "numbers >= 0")
    n = K.shape[0]
    ev, U = np.linalg.eigh(K)
    tol = n * np.finfo(float).eps * max(abs(ev).max(), 1e-300) * 10
    if ev.min() < -max(tol, 1e-8 * ev.max()):
        raise ParameterError("K", f"a matrix with eigenvalue {ev.min():.3g}", "a symmetric positive semi-definite matrix")
    ev = np.where(ev < tol, 0.0, ev)
    z2 = ((U.T @ Y) ** 2).mean(1)                       # squared coefficients, averaged over outputs
    L = lam[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = L / (ev + L)                                # 1 - eigenvalues of S
        w = np.where((L == 0) & (ev == 0), 1.0, np.where(L == 0, 0.0, w))
        resid = (w**2) @ z2 / n
        den = w.sum(1) / n
        g = np.where(den > 0, resid / den**2, np.inf)
    return GCVResult(lam, g, resid, n - w.sum(1))


def gcv_direct(K, y, ridge: float) -> float:
    """GCV at one ridge by solving ``(K + lambda) a = y`` directly (reference implementation)."""
    K, Y = _check_kernel(K, y)
    n = K.shape[0]
    S = np.linalg.solve(K + ridge * np.eye(n), K)
    resid = Y - S.T @ Y
    return float((resid**2).sum(0).mean() / n / (1 - np.trace(S) / n) ** 2)


def linear_kernel(X, Z=None):
    """Unnormalised linear Gram matrix ``X Z^T`` (divide by ``n`` for :func:`gcv`)."""
    X = np.asarray(X, float)
    Z = X if Z is None else np.asarray(Z, float)
    return X @ Z.T


def relu_nngp_kernel(X, Z=None):
    """ReLU NNGP (arc-cosine, degree 1) kernel
    ``k(x, x') = (||x|| ||x'|| / d) K(rho)``, ``rho = <x, x'>/(||x|| ||x'||)``, with
    ``K = rmtsym.bases.catalog.activation("relu").dual_kernel`` (convention "Gaussian":
    ``K(rho) = E relu(u) relu(v) = (sqrt(1 - rho^2) + (pi - arccos rho) rho)/(2 pi)``). Equivalently
    ``k(x, x') = E_w relu(w^T x) relu(w^T x')``, ``w ~ N(0, I_d/d)``. Zero rows give 0."""
    from ..bases.catalog import activation

    X = np.asarray(X, float)
    Z = X if Z is None else np.asarray(Z, float)
    d = X.shape[1]
    nx, nz = np.linalg.norm(X, axis=1), np.linalg.norm(Z, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = (X @ Z.T) / np.outer(nx, nz)
    rho = np.clip(np.nan_to_num(rho), -1.0, 1.0)
    Kr = np.asarray(activation("relu").dual_kernel(rho), float)
    return np.outer(nx, nz) / d * Kr


def krr_predict(K_train, K_test_train, y, ridge: float):
    """Kernel ridge predictions on test points, with the same normalisation as :func:`gcv`:
    Gram matrices unnormalised on input; the fit is ``(K_train/n + lambda)^{-1} y / n``."""
    n = K_train.shape[0]
    a = np.linalg.solve(K_train / n + ridge * np.eye(n), np.asarray(y, float)) / n
    return K_test_train @ a
