"""Monte Carlo ground truth for LASSO AMP (normalisation of :mod:`rmtsym.amp.separable`).

``A`` is ``n x N`` with iid ``N(0, 1/n)`` entries, ``n = round(delta N)``; ``x0`` Bernoulli-Gaussian
``(1 - eps) delta_0 + eps N(0, 1)``; ``w ~ N(0, sigma^2 I_n)``. AMP from ``x^0 = 0``, ``z^{-1} = 0``::

    tau_t   = ||z^t|| / sqrt(n)
    x^{t+1} = eta(x^t + A^T z^t; alpha tau_t)
    z^{t+1} = y - A x^{t+1} + (1/delta) z^t <eta'(x^t + A^T z^t; alpha tau_t)>

with ``z^0 = y``. Returns per-iteration MSE ``||x^{t+1} - x0||^2 / N``, t = 0..iters-1, which state
evolution predicts as :func:`rmtsym.amp.separable.lasso_se_trajectory`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..amp.separable import _check, soft_threshold
from ..errors import ParameterError, check_int

__all__ = ["LassoAMPRun", "run_lasso_amp"]


@dataclass(frozen=True)
class LassoAMPRun:
    """``mse[t]`` = ``||x^{t+1} - x0||^2/N``; ``tau2[t]`` = ``||z^t||^2/n``; ``onsager[t]``
    = ``(1/delta) <eta'>`` at step t; ``x`` final estimate; ``x0`` the signal; ``n``, ``N``."""

    mse: np.ndarray
    tau2: np.ndarray
    onsager: np.ndarray
    x: np.ndarray
    x0: np.ndarray
    n: int
    N: int


def run_lasso_amp(N: int, delta: float, sigma: float, eps: float, alpha: float, iters: int,
                  seed: int = 0) -> LassoAMPRun:
    """Run LASSO AMP on one draw of ``(A, x0, w)`` (see the module docstring)."""
    N = check_int(N, "N", 1)
    iters = check_int(iters, "iters", 1)
    d, s, e, a = (float(v) for v in _check(delta, sigma, eps, alpha))
    n = int(round(d * N))
    if n < 1:
        raise ParameterError("delta", delta, "delta * N >= 1")
    dd = n / N  # the realised ratio
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, N)) / np.sqrt(n)
    x0 = np.where(rng.random(N) < e, rng.standard_normal(N), 0.0)
    y = A @ x0 + s * rng.standard_normal(n)
    x = np.zeros(N)
    z = y.copy()
    mse, tau2, ons = np.empty(iters), np.empty(iters), np.empty(iters)
    for t in range(iters):
        t2 = float(z @ z) / n
        theta = a * np.sqrt(t2)
        u = x + A.T @ z
        x = soft_threshold(u, theta)
        b = np.count_nonzero(np.abs(u) > theta) / N / dd
        z = y - A @ x + b * z
        mse[t] = float(np.mean((x - x0) ** 2))
        tau2[t] = t2
        ons[t] = b
    return LassoAMPRun(mse=mse, tau2=tau2, onsager=ons, x=x, x0=x0, n=n, N=N)
