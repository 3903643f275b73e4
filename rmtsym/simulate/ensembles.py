"""Samplers of classic random-matrix ensembles and empirical Stieltjes transforms.

Conventions (``docs/conventions.md``): Marchenko–Pastur ``S = X X^T/N`` with ``X`` of size
``p x N`` iid N(0,1) and ``gamma = p/N``; Wigner matrices normalised to a semicircle of
variance ``v``; Stieltjes transform ``m(z) = mean_i 1/(lambda_i - z)``.

>>> ev = wishart_eigenvalues(200, 400, seed=1)
>>> ev.shape, bool(abs(ev.mean() - 1) < 0.05)
((200,), True)
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .gaussian import rng_from

__all__ = ["wishart_eigenvalues", "wigner_eigenvalues", "wishart_matrix", "wigner_matrix",
           "free_sum_eigenvalues", "free_product_eigenvalues", "empirical_stieltjes"]


def _pos_int(name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ParameterError(name, v, "an integer >= 1")
    return int(v)


def wishart_matrix(p: int, N: int, variance: float = 1.0, seed=0) -> np.ndarray:
    """``variance * X X^T / N`` with ``X`` p x N iid N(0,1) (Marchenko–Pastur, ratio p/N)."""
    p, N = _pos_int("p", p), _pos_int("N", N)
    if not variance > 0:
        raise ParameterError("variance", variance, "a number > 0")
    X = rng_from(seed).standard_normal((p, N))
    return variance * (X @ X.T) / N


def wigner_matrix(n: int, variance: float = 1.0, seed=0) -> np.ndarray:
    """A GOE matrix scaled to a semicircle of variance ``variance`` (rotation invariant)."""
    n = _pos_int("n", n)
    if not variance >= 0:
        raise ParameterError("variance", variance, "a number >= 0")
    A = rng_from(seed).standard_normal((n, n))
    return (A + A.T) / np.sqrt(2 * n) * np.sqrt(variance)


def _haar(n: int, rng) -> np.ndarray:
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    return Q * np.sign(np.diag(R))


def free_sum_eigenvalues(A: np.ndarray, B: np.ndarray, seed=0) -> np.ndarray:
    """Eigenvalues of ``A + O B O^T`` with ``O`` Haar orthogonal: asymptotically free."""
    O = _haar(A.shape[0], rng_from(seed))
    return np.linalg.eigvalsh(A + O @ B @ O.T)


def free_product_eigenvalues(A: np.ndarray, B: np.ndarray, seed=0) -> np.ndarray:
    """Eigenvalues of ``A^{1/2} O B O^T A^{1/2}`` (``A`` positive semi-definite), ``O`` Haar."""
    w, V = np.linalg.eigh(A)
    if w.min() < -1e-10 * max(1.0, abs(w).max()):
        raise ParameterError("A", "matrix", "a positive semi-definite matrix")
    half = (V * np.sqrt(np.clip(w, 0, None))) @ V.T
    O = _haar(A.shape[0], rng_from(seed))
    return np.linalg.eigvalsh(half @ (O @ B @ O.T) @ half)


def wishart_eigenvalues(p: int, N: int, seed=0) -> np.ndarray:
    """Eigenvalues of ``X X^T / N``, ``X`` p x N with iid N(0,1) entries (ratio p/N)."""
    p, N = _pos_int("p", p), _pos_int("N", N)
    X = rng_from(seed).standard_normal((p, N))
    return np.linalg.eigvalsh(X @ X.T / N)


def wigner_eigenvalues(n: int, variance: float = 1.0, seed=0) -> np.ndarray:
    """Eigenvalues of a GOE matrix scaled to a semicircle of variance ``variance``."""
    n = _pos_int("n", n)
    if not variance > 0:
        raise ParameterError("variance", variance, "a number > 0")
    A = rng_from(seed).standard_normal((n, n))
    H = (A + A.T) / np.sqrt(2 * n) * np.sqrt(variance)
    return np.linalg.eigvalsh(H)


def empirical_stieltjes(eigenvalues, z) -> tuple[np.ndarray, np.ndarray]:
    """``(m, standard error)`` of the empirical Stieltjes transform at ``z``.

    ``eigenvalues`` is one spectrum (1-d) or several independent replicates (2-d, one per
    row). With replicates the standard error is the spread of the per-replicate transforms
    over sqrt(replicates); with one spectrum it is NaN (eigenvalues are not independent).
    """
    ev = np.atleast_2d(np.asarray(eigenvalues, dtype=float))
    z = np.asarray(z, dtype=complex)
    per = np.mean(1.0 / (ev[:, :, None] - z.reshape(-1)[None, None, :]), axis=1).reshape((ev.shape[0],) + z.shape)
    m = per.mean(axis=0)
    if ev.shape[0] < 2:
        return m, np.full(z.shape, np.nan)
    se = (per.real.std(axis=0, ddof=1) + 1j * per.imag.std(axis=0, ddof=1)) / np.sqrt(ev.shape[0])
    return m, se
