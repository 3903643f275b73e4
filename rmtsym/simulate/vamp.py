"""VAMP (and Bayes-optimal AMP, for contrast) on a real rotation-invariant design.

Normalisation of :mod:`rmtsym.amp.vamp`: ``y = A x0 + w``, ``A`` is ``n x N``, ``w ~ N(0, sigma^2)``,
``x0`` Bernoulli–Gaussian. Designs: :func:`iid_design` (``A_ij ~ N(0, 1/n)``) and
:func:`geometric_design` (``A = S V^T``, ``V`` Haar from QR, ``n = N``, singular values geometric
with condition number ``kappa``, scaled so ``tr(A^T A)/N = 1``). VAMP (Rangan, Schniter & Fletcher,
arXiv:1610.03082, Alg. 1, LMMSE through the SVD) from ``r2 = 0``, ``gamma2 = 1/eps``; records the
MSE of ``x1`` per iteration (predicted by :func:`rmtsym.amp.vamp.vamp_state_evolution`).

>>> A = iid_design(200, 100, seed=0)
>>> run = run_vamp(A, eps=0.1, sigma2=1e-3, iters=5, seed=1)
>>> run.mse.shape
(5,)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..amp.vamp import _check_prior, bg_posterior_mean
from ..errors import ParameterError, check_int
from .amp_separable import amp_iterate

__all__ = ["Design", "iid_design", "geometric_design", "VampRun", "run_vamp", "run_amp_bayes"]


@dataclass(frozen=True)
class Design:
    """``A`` (``n x N``) with its thin SVD ``A = U diag(s) Vt``."""

    A: np.ndarray
    U: np.ndarray
    s: np.ndarray
    Vt: np.ndarray

    @property
    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of ``A^T A`` (``N`` of them, zeros included)."""
        N = self.A.shape[1]
        return np.concatenate([self.s ** 2, np.zeros(N - self.s.size)])


def iid_design(N: int, n: int, seed: int = 0) -> Design:
    """``A_ij ~ N(0, 1/n)`` with its SVD (through ``eigh(A A^T)``, ``n <= N``)."""
    N, n = check_int(N, "N", 1), check_int(n, "n", 1)
    if n > N:
        raise ParameterError("n", n, f"n <= N = {N}")
    A = np.random.default_rng(seed).standard_normal((n, N)) / np.sqrt(n)
    ev, U = np.linalg.eigh(A @ A.T)
    s = np.sqrt(np.maximum(ev, 0.0))
    Vt = (U.T @ A) / s[:, None]
    return Design(A, U, s, Vt)


def geometric_design(N: int, kappa: float = 100.0, seed: int = 0) -> Design:
    """Square ``A = diag(s) V^T``, ``V`` Haar (QR with sign fix), ``s_i = kappa^{-i/(N-1)}``
    rescaled so that ``mean(s^2) = 1``."""
    N = check_int(N, "N", 2)
    if not kappa >= 1:
        raise ParameterError("kappa", kappa, "condition number >= 1")
    s = float(kappa) ** (-np.arange(N) / (N - 1))
    s = s / np.sqrt(np.mean(s * s))
    Q, R = np.linalg.qr(np.random.default_rng(seed).standard_normal((N, N)))
    V = Q * np.sign(np.diag(R))
    Vt = V.T
    return Design(s[:, None] * Vt, np.eye(N), s, Vt)


@dataclass(frozen=True)
class VampRun:
    """``mse[t]`` = ``||x - x0||^2/N`` after iteration ``t`` (NaN/inf once the run blew up)."""

    mse: np.ndarray
    x: np.ndarray
    x0: np.ndarray


def _problem(design: Design, eps: float, sigma2: float, seed: int):
    n, N = design.A.shape
    rng = np.random.default_rng(seed)
    x0 = np.where(rng.random(N) < eps, rng.standard_normal(N), 0.0)
    y = design.A @ x0 + np.sqrt(sigma2) * rng.standard_normal(n)
    return x0, y


def run_vamp(design: Design, eps: float, sigma2: float, iters: int = 15, seed: int = 0,
             *, gamma_min: float = 1e-11) -> VampRun:
    """Bayes-optimal VAMP (module docstring) on one draw of ``(x0, w)`` with the given design."""
    _check_prior(eps, sigma2)
    iters = check_int(iters, "iters", 1)
    if isinstance(design, np.ndarray):
        raise ParameterError("design", "ndarray", "a Design (iid_design / geometric_design)")
    x0, y = _problem(design, eps, sigma2, seed)
    n, N = design.A.shape
    U, s, Vt = design.U, design.s, design.Vt
    gw = 1.0 / sigma2
    uty = s * (U.T @ y)                  # S U^T y
    r2 = np.zeros(N)
    g2 = 1.0 / eps
    mse = np.empty(iters)
    x1 = r2
    for t in range(iters):
        # LMMSE: (gw A^T A + g2 I)^{-1} (gw A^T y + g2 r2) through the SVD
        vr = Vt @ r2
        dinv = 1.0 / (gw * s * s + g2)
        x2 = r2 + Vt.T @ (dinv * (gw * uty + g2 * vr) - vr)
        a2 = g2 * (float(np.sum(dinv)) + (N - s.size) / g2) / N
        eta2 = g2 / a2
        g1 = max(eta2 - g2, gamma_min)
        r1 = (eta2 * x2 - g2 * r2) / g1
        # denoiser
        x1, d1 = bg_posterior_mean(r1, g1, eps)
        mse[t] = float(np.mean((x1 - x0) ** 2))
        a1 = float(np.mean(d1))
        eta1 = g1 / a1
        g2 = max(eta1 - g1, gamma_min)
        r2 = (eta1 * x1 - g1 * r1) / g2
    return VampRun(mse=mse, x=x1, x0=x0)


def run_amp_bayes(design: Design, eps: float, sigma2: float, iters: int = 15, seed: int = 0) -> VampRun:
    """Bayes-optimal AMP (iid-Gaussian Onsager term ``(1/delta) <eta'>``, ``tau_t^2 = ||z||^2/n``)
    on the same draw as :func:`run_vamp` with the same seed; diverges on ill-conditioned designs."""
    _check_prior(eps, sigma2)
    iters = check_int(iters, "iters", 1)
    x0, y = _problem(design, eps, sigma2, seed)
    with np.errstate(all="ignore"):
        run = amp_iterate(design.A, y, x0, lambda u, tau: bg_posterior_mean(u, 1.0 / (tau * tau), eps), None, iters)
    mse = run.mse.copy()
    blown = np.flatnonzero(~np.isfinite(mse))
    if blown.size:  # a run that blew up stays blown up (no NaN arithmetic past that point)
        mse[blown[0]:] = np.inf
    return VampRun(mse=mse, x=run.x, x0=x0)
