"""Random sequential message passing for the Ising model with a rotation-invariant coupling.

Model and conventions of :mod:`rmtsym.amp.rotation` (Çakmak, Lu & Opper 2022,
arXiv:2202.08198): ``p(s) ∝ exp(beta/2 s^T J s + h sum_i s_i)``, ``s_i = ±1``. One *sweep* updates
every site once, in a fresh uniformly random order (random sequential schedule).

Two algorithms, both with the memory / Onsager structure that plain (Gauss–Seidel) TAP lacks:

* :func:`run_sequential_ec` — random sequential expectation consistent (EC / adaptive TAP)
  message passing, valid for any rotation-invariant ``J``. Gaussian stage
  ``A = (lam I - beta J)^{-1}`` with ``(1/N) tr A = chi``; per visited site ``i``::

      h1_i = (A h2)_i / chi - h2_i            (extrinsic field from the Gaussian stage)
      m_i  = tanh(h + h1_i)                  (single-site posterior mean)
      h2_i = m_i / chi - h1_i                (extrinsic field sent back)

  Fixed points are the TAP/EC equations ``m = tanh(h + beta J m - R(chi) m)`` with
  ``R(chi) = lam - 1/chi = R_{beta J}(chi)``. Both extrinsic maps have zero divergence, so the
  linearised sweep is ``d(dh2)/dt = (M - I) dh2`` with ``M = (G/chi - I)(A/chi - I)``,
  ``G = diag(1 - m_i^2)``; for Haar ``O`` the eigenvalues of ``M`` fill a disc of squared radius
  ``(E g^2 - chi^2) R'/(1 - chi^2 R')``, which is ``< 1`` exactly when ``R' E g^2 < 1`` (the AT
  condition). At ``h = 0`` the paramagnet has ``g = 1`` identically and ``M = 0``: EC converges
  there for every ``beta`` (degenerate case; use the BP dynamics below). Finite size (semicircle,
  h = 0.5, 300 sweeps, 3-4 couplings each): at N = 500 the boundary spreads over about
  [0.95, 1.2] beta_AT; at N = 1000 all runs converge at 0.95 and none at 1.1 beta_AT (2 of 3
  converge at 1.05), and ``|q_run - q_RS| <= 0.012`` (0.04 at N = 500).
* :func:`run_sequential_bp` — random sequential dense belief propagation (cavity messages
  ``m_{i->j}``), small-coupling form ``m_{i->j} = tanh(h + sum_{k != j} beta J_ik m_{k->i})``
  (O(N) per site). Its cavity messages carry the Onsager memory; for Wigner (semicircle)
  couplings at ``h = 0`` its linearisation is the non-backtracking operator of ``beta J``, with
  eigenvalues of modulus ``beta`` (Ihara–Bass): the AT point ``beta = 1``, checked by runs.
  In a field it was NOT found to follow the AT line (at N = 500, h = 0.5 it still converged at
  1.1 beta_AT, to a fixed point with q above the RS value): use EC there. For other
  rotation-invariant ``J`` BP has the SK Onsager term, not ``R(chi)``, and is the wrong algorithm
  (derived, not run: for ``J0 = X^T X/n - I``, c = 1, its linearised zero-field instability is
  at beta = (3 - sqrt 5)/2 = 0.38, not at the AT point 0.5).

Convergence criterion (both): ``changes[t]`` = max over sites (EC: ``|dm_i|``; BP: all messages
``|dm_{i->j}|``) during sweep ``t``; converged when ``changes[t] < tol`` (default 1e-8) within
``sweeps`` sweeps; :attr:`SequentialRun.decaying` tells a slow but decaying run (the
geometric fit of the last third of the sweeps has rate < 1) from a non-decaying one.

>>> J = goe(200, seed=1)
>>> run = run_sequential_bp(J, 0.5, 0.0, sweeps=200, seed=2)
>>> bool(run.converged), float(np.round(np.max(np.abs(run.m)), 6))
(True, 0.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError, check_int

__all__ = ["SequentialRun", "ec_sweeps", "goe", "shifted_wishart", "haar_orthogonal", "rotation_invariant",
           "ec_gaussian_stage", "run_sequential_ec", "run_sequential_bp"]


@dataclass(frozen=True)
class SequentialRun:
    """``changes[t]``: max change during sweep ``t``; ``converged``; ``sweeps`` done; ``m``
    final magnetisations; ``h1`` final single-site fields (EC: ``h1``; BP: full local fields
    minus ``h``); ``decay_rate``: geometric rate of ``changes`` over the last third of sweeps."""

    changes: np.ndarray
    converged: bool
    sweeps: int
    m: np.ndarray
    h1: np.ndarray
    decay_rate: float

    @property
    def decaying(self) -> bool:
        return self.converged or self.decay_rate < 0.999


def _rate(ch: np.ndarray) -> float:
    k = max(len(ch) // 3, 2)
    tail = np.log(np.maximum(ch[-k:], 1e-300))
    if len(tail) < 2:
        return float("nan")
    slope = np.polyfit(np.arange(len(tail)), tail, 1)[0]
    return float(np.exp(slope))


def goe(N: int, variance: float = 1.0, seed: int = 0) -> np.ndarray:
    """GOE matrix with semicircle limit of variance ``v`` (off-diagonal entries ``N(0, v/N)``)."""
    N = check_int(N, "N", 2)
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((N, N))
    return (G + G.T) * np.sqrt(float(variance) / (2 * N))


def shifted_wishart(N: int, c: float, seed: int = 0) -> np.ndarray:
    """``J0 = X^T X/n - I`` with ``X in R^{n x N}`` iid N(0, 1), ``n = round(N/c)`` (``c = N/n``)."""
    N = check_int(N, "N", 2)
    if not c > 0:
        raise ParameterError("c", c, "c = N/n > 0")
    n = max(int(round(N / c)), 1)
    X = np.random.default_rng(seed).standard_normal((n, N))
    return X.T @ X / n - np.eye(N)


def haar_orthogonal(N: int, rng: np.random.Generator) -> np.ndarray:
    """Haar orthogonal ``N x N`` matrix (QR of a Gaussian matrix with the sign fix of Mezzadri)."""
    Q, R = np.linalg.qr(rng.standard_normal((N, N)))
    return Q * np.sign(np.diag(R))


def rotation_invariant(eigenvalues, seed: int = 0) -> np.ndarray:
    """``O^T diag(d) O`` with ``O`` Haar."""
    d = np.asarray(eigenvalues, float)
    O = haar_orthogonal(d.size, np.random.default_rng(seed))
    return (O.T * d) @ O


def ec_gaussian_stage(J: np.ndarray, beta: float, chi: float) -> tuple[np.ndarray, float]:
    """``(A, lam)`` with ``A = (lam I - beta J)^{-1}``, ``lam > beta lambda_max`` solving
    ``(1/N) tr A = chi`` (bisection on the eigenvalues). For a finite matrix a solution always
    exists (``G_N`` has a pole at the top eigenvalue); where the limit law has none
    (``chi >= G(edge)``, e.g. zero field beyond AT) ``lam`` hugs the top eigenvalue."""
    if not 0 < chi:
        raise ParameterError("chi", chi, "chi > 0")
    d, O = np.linalg.eigh(np.asarray(J, float))
    d = beta * d
    top = d[-1]

    def g(lam):
        return float(np.mean(1.0 / (lam - d)))

    lo, hi = top + 1e-12 * (1 + abs(top)), top + 1.0 / chi + (top - d[0])
    if g(lo) <= chi:
        raise ParameterError("chi", chi, f"chi < G(edge) = {g(lo):.6g}",
                             "no EC Gaussian stage: beyond the zero-field AT point")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if g(mid) > chi:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-15 * (1 + abs(mid)):
            break
    lam = 0.5 * (lo + hi)
    A = (O / (lam - d)) @ O.T
    return A, lam


def _check_common(beta, h, sweeps, tol):
    if not (np.isfinite(beta) and beta > 0):
        raise ParameterError("beta", beta, "beta > 0")
    if not np.isfinite(h):
        raise ParameterError("h", h, "a finite field")
    sweeps = check_int(sweeps, "sweeps", 1)
    if not tol > 0:
        raise ParameterError("tol", tol, "tol > 0")
    return float(beta), float(h), sweeps, float(tol)


def run_sequential_ec(J: np.ndarray, beta: float, h: float, chi: float, *, sweeps: int = 400,
                      tol: float = 1e-8, init_scale: float = 0.5, seed: int = 0,
                      gaussian_stage: tuple[np.ndarray, float] | None = None) -> SequentialRun:
    """Random sequential EC message passing (module docstring) with fixed variance ``chi``
    (the RS ``chi = 1 - q`` of :func:`rmtsym.amp.rotation.ising_rs`). Start: ``h2 ~ N(0,
    init_scale^2)``. ``gaussian_stage=(A, lam)`` reuses :func:`ec_gaussian_stage`."""
    beta, h, sweeps, tol = _check_common(beta, h, sweeps, tol)
    J = np.asarray(J, float)
    N = J.shape[0]
    A, lam = gaussian_stage if gaussian_stage is not None else ec_gaussian_stage(J, beta, chi)
    rng = np.random.default_rng(seed)
    tanh = math.tanh

    def ising(f, i):
        m = tanh(h + f)
        return m, 1.0 - m * m

    m, _, h1, ch, converged = ec_sweeps(A, chi, ising, init_scale * rng.standard_normal(N), rng, sweeps, tol)
    return SequentialRun(changes=ch, converged=converged, sweeps=len(ch), m=m, h1=h1, decay_rate=_rate(ch))


def ec_sweeps(A: np.ndarray, chi: float, moments, h2: np.ndarray, rng: np.random.Generator, sweeps: int,
              tol: float):
    """The random sequential EC sweeps of the module docstring for any single-site law:
    ``moments(f, i) -> (m_i, g_i)`` (mean and variance of site ``i`` at extrinsic field ``f``),
    Gaussian stage ``A`` with ``(1/N) tr A = chi``, start ``h2``. Returns ``(m, g, h1, changes,
    converged)`` (``changes[t]`` = max ``|dm_i|`` in sweep ``t``; converged when ``< tol``)."""
    N = h2.size
    h2 = np.array(h2, dtype=float)
    h1 = A @ h2 / chi - h2
    m, g = np.empty(N), np.empty(N)
    for i in range(N):
        m[i], g[i] = moments(h1[i], i)
    ichi = 1.0 / chi
    changes = []
    converged = False
    for _ in range(sweeps):
        big = 0.0
        for i in rng.permutation(N).tolist():
            f = float(A[i] @ h2) * ichi - h2[i]
            mi, gi = moments(f, i)
            d = abs(mi - m[i])
            if d > big:
                big = d
            m[i] = mi
            g[i] = gi
            h1[i] = f
            h2[i] = mi * ichi - f
        changes.append(big)
        if big < tol:
            converged = True
            break
    return m, g, h1, np.asarray(changes), converged


def run_sequential_bp(J: np.ndarray, beta: float, h: float, *, sweeps: int = 400, tol: float = 1e-8,
                      init_scale: float = 0.5, seed: int = 0) -> SequentialRun:
    """Random sequential dense BP (module docstring). Messages start at
    ``m_{i->j} = tanh(u_i)``, ``u_i ~ N(0, init_scale^2)``; the diagonal of ``J`` is ignored
    (``s_i^2 = 1``)."""
    beta, h, sweeps, tol = _check_common(beta, h, sweeps, tol)
    J = np.array(J, float)
    N = J.shape[0]
    np.fill_diagonal(J, 0.0)
    bJ = beta * J
    rng = np.random.default_rng(seed)
    u0 = np.tanh(init_scale * rng.standard_normal(N))
    M = np.repeat(u0[:, None], N, axis=1)          # M[i, j] = m_{i -> j}
    np.fill_diagonal(M, 0.0)
    H = np.zeros(N)
    changes = []
    converged = False
    for _ in range(sweeps):
        big = 0.0
        for i in rng.permutation(N).tolist():
            inc = M[:, i]                          # m_{k -> i}
            row = bJ[i]
            Hi = h + float(row @ inc)
            new = np.tanh(Hi - row * inc)           # m_{i -> j}: remove j's own message
            new[i] = 0.0
            d = float(np.max(np.abs(new - M[i])))
            if d > big:
                big = d
            M[i] = new
            H[i] = Hi
        changes.append(big)
        if big < tol:
            converged = True
            break
    for i in range(N):
        H[i] = h + float(bJ[i] @ M[:, i])
    ch = np.asarray(changes)
    return SequentialRun(changes=ch, converged=converged, sweeps=len(ch), m=np.tanh(H), h1=H - h,
                         decay_rate=_rate(ch))
