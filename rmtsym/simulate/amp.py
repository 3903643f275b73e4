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

import numpy as np

from ..amp.separable import _check, soft_threshold
from ..errors import ParameterError, check_int
from .amp_separable import AMPRun, amp_iterate

__all__ = ["LassoAMPRun", "run_lasso_amp", "run_bayes_amp"]


def _draw(N: int, delta: float, sigma: float, eps: float, seed: int):
    """One draw of ``(A, x0, y)`` (module docstring): Bernoulli-Gaussian ``x0``, ``n = round(delta N)``."""
    N = check_int(N, "N", 1)
    d, s, e, _ = (float(v) for v in _check(delta, sigma, eps, 1.0))
    n = int(round(d * N))
    if n < 1:
        raise ParameterError("delta", delta, "delta * N >= 1")
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, N)) / np.sqrt(n)
    x0 = np.where(rng.random(N) < e, rng.standard_normal(N), 0.0)
    return A, x0, A @ x0 + s * rng.standard_normal(n)


#: the run record of :func:`rmtsym.simulate.amp_separable.amp_iterate` (same fields)
LassoAMPRun = AMPRun


def run_lasso_amp(N: int, delta: float, sigma: float, eps: float, alpha: float, iters: int,
                  seed: int = 0) -> LassoAMPRun:
    """Run LASSO AMP on one draw of ``(A, x0, w)`` (see the module docstring)."""
    iters = check_int(iters, "iters", 1)
    a = float(_check(delta, sigma, eps, alpha)[3])
    A, x0, y = _draw(N, delta, sigma, eps, seed)
    return amp_iterate(A, y, x0, lambda u, tau: soft_threshold(u, a * tau),
                       lambda u, tau: (np.abs(u) > a * tau).astype(float), iters)


def run_bayes_amp(N: int, delta: float, sigma: float, eps: float, iters: int, seed: int = 0) -> AMPRun:
    """Bayes-optimal AMP (posterior mean of the Bernoulli-Gaussian prior at the empirical
    ``tau_t^2``) on one draw of ``(A, x0, w)``, same draw as :func:`run_lasso_amp` for the same
    seed; predicted by :func:`rmtsym.amp.phase.bayes_se_trajectory`."""
    from ..amp.phase import posterior_mean_bg

    iters = check_int(iters, "iters", 1)
    if not 0 < float(eps) < 1:
        raise ParameterError("eps", eps, "eps in (0, 1)")
    e = float(eps)
    A, x0, y = _draw(N, delta, sigma, eps, seed)
    return amp_iterate(A, y, x0, lambda u, tau: posterior_mean_bg(u, max(tau * tau, 1e-300), e), None, iters)
