"""Monte Carlo ground truth for Gaussian expectations (independent of the exact integrator).

Estimates ``E[g(Z)]`` (or ``E[g(u, v)]`` for correlated Gaussians) by plain sampling with a
fixed seed, returning the estimate and its standard error ``std/sqrt(n)``.

>>> import numpy as np
>>> mean, se = mc_gaussian_mean(lambda z: z**2, 200_000, seed=0)
>>> abs(mean - 1) < 4 * se
True
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import ParameterError

__all__ = ["mc_gaussian_mean", "mc_dual_kernel", "rng_from"]


def rng_from(seed) -> np.random.Generator:
    """A numpy Generator from an int seed, a Generator, or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ParameterError("n", n, "an integer >= 2")
    return int(n)


def _batched_mean(sample: Callable[[np.random.Generator, int], np.ndarray], n: int, rng, batch: int = 1 << 20):
    total = 0.0
    total2 = 0.0
    done = 0
    while done < n:
        m = min(batch, n - done)
        x = np.asarray(sample(rng, m), dtype=float)
        total += x.sum()
        total2 += (x * x).sum()
        done += m
    mean = total / n
    var = max(total2 / n - mean**2, 0.0) * n / (n - 1)
    return float(mean), float(np.sqrt(var / n))


def mc_gaussian_mean(g: Callable[[np.ndarray], np.ndarray], n: int, seed=0) -> tuple[float, float]:
    """``(estimate, standard error)`` of ``E[g(Z)]``, ``Z ~ N(0,1)``, from ``n`` samples."""
    n = _check_n(n)
    return _batched_mean(lambda rng, m: g(rng.standard_normal(m)), n, rng_from(seed))


def mc_dual_kernel(f: Callable[[np.ndarray], np.ndarray], rho: float, n: int, seed=0) -> tuple[float, float]:
    """``(estimate, standard error)`` of ``E[f(u) f(v)]`` with ``u, v`` standard Gaussians of
    correlation ``rho``."""
    n = _check_n(n)
    if not -1 <= rho <= 1:
        raise ParameterError("rho", rho, "a correlation in [-1, 1]")
    s = np.sqrt(1 - rho**2)

    def sample(rng, m):
        u = rng.standard_normal(m)
        v = rho * u + s * rng.standard_normal(m)
        return f(u) * f(v)

    return _batched_mean(sample, n, rng_from(seed))
