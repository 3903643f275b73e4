"""Monte Carlo on the sphere S^{d-1}(sqrt d): samplers and Gegenbauer-coefficient estimates.

Ground truth for :mod:`rmtsym.bases.gegenbauer`, written independently of it: the polynomials
come from :func:`scipy.special.eval_gegenbauer` normalised here, not from the theory code.
Convention: ``docs/conventions.md``, "Sphere" (``x`` uniform on the sphere of radius ``sqrt d``,
``t = <x, e>``, ``q_k^{(d)}(t) = sqrt(B(d,k)) P_k(t/sqrt d)`` with ``P_k(1) = 1``).

>>> x = sample_sphere(3, 5, rng=0)
>>> x.shape, np.allclose((x**2).sum(axis=1), 5)
((3, 5), True)
"""

from __future__ import annotations

import math
import numbers
from typing import Callable, Sequence

import numpy as np
import sympy as sp
from scipy.special import eval_gegenbauer

from ..errors import ParameterError

__all__ = ["sample_sphere", "sample_projection", "gegenbauer_q", "mc_gegenbauer"]


def _int(value, name: str, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, sp.Integer)) or int(value) < lo:
        raise ParameterError(name, value, f"an integer >= {lo}")
    return int(value)


def _rng(rng) -> np.random.Generator:
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise ParameterError("rng", rng, "None, an integer seed or a numpy Generator")


def sample_sphere(n: int, d: int, rng=None) -> np.ndarray:
    """``n`` points uniform on S^{d-1}(sqrt d) (radius ``sqrt d``), as an ``(n, d)`` array (Sphere convention).

    Normalised standard Gaussian vectors. ``rng``: None, an integer seed or a ``numpy`` Generator.

    >>> x = sample_sphere(2, 3, rng=1)
    >>> np.linalg.norm(x, axis=1).round(6), bool(np.all(x == sample_sphere(2, 3, rng=1)))
    (array([1.732051, 1.732051]), True)
    """
    n = _int(n, "n", 1)
    d = _int(d, "d", 2)
    g = _rng(rng).standard_normal((n, d))
    return g * (math.sqrt(d) / np.linalg.norm(g, axis=1, keepdims=True))


def sample_projection(n: int, d: int, rng=None) -> np.ndarray:
    """``n`` samples of ``t = x_1``, x uniform on S^{d-1}(sqrt d), without forming ``x``.

    ``x = sqrt(d) g / |g|`` with ``g ~ N(0, I_d)`` and ``|g|^2 = g_1^2 + chi^2_{d-1}``, so
    ``t = sqrt(d) g_1 / sqrt(g_1^2 + chi^2_{d-1})`` has exactly the law of the first coordinate;
    memory O(n) for any ``d``.
    """
    n = _int(n, "n", 1)
    d = _int(d, "d", 2)
    gen = _rng(rng)
    g1 = gen.standard_normal(n)
    rest = gen.chisquare(d - 1, n)
    return math.sqrt(d) * g1 / np.sqrt(g1 * g1 + rest)


def _harmonic_dim(d: int, k: int) -> int:
    """Dimension of degree-k harmonics: homogeneous polynomials of degree k minus those of degree k-2."""
    return math.comb(k + d - 1, d - 1) - (math.comb(k + d - 3, d - 1) if k >= 2 else 0)


def gegenbauer_q(k: int, d: int, t) -> np.ndarray:
    """``q_k^{(d)}(t) = sqrt(B(d,k)) C_k^{(d-2)/2}(t/sqrt d) / C_k^{(d-2)/2}(1)`` (scipy Gegenbauer), float64.

    >>> float(gegenbauer_q(2, 3, np.sqrt(3.0)))  # sqrt(5) P_2(1)
    2.23606797749979
    """
    k = _int(k, "k", 0)
    d = _int(d, "d", 3)
    lam = (d - 2) / 2
    u = np.asarray(t, dtype=float) / math.sqrt(d)
    return math.sqrt(_harmonic_dim(d, k)) * eval_gegenbauer(k, lam, u) / eval_gegenbauer(k, lam, 1.0)


def _as_callable(f) -> Callable:
    if callable(f) and not isinstance(f, sp.Basic):
        return f
    from ..bases.functions import Z, free_parameters, to_numpy

    expr = sp.sympify(f)
    params = free_parameters(expr, Z)
    if params:
        raise ParameterError("parameters", [str(p) for p in params], "numeric values for a simulation")
    return to_numpy(expr, Z)


def mc_gegenbauer(f, d: int, k: int | Sequence[int], n_samples: int, seed=None, *,
                  batch: int = 1_000_000):
    """Monte Carlo estimate of ``g_k(f; d) = E[f(t) q_k^{(d)}(t)]`` and its standard error (Sphere convention).

    ``f``: a sympy expression in ``z`` or a vectorised callable. ``t`` is the first coordinate of
    ``x`` uniform on S^{d-1}(sqrt d) (:func:`sample_projection`). ``k`` an integer (returns two
    floats) or a sequence (returns two arrays; the same samples for all degrees). The standard
    error is ``std(f q_k, ddof=1) / sqrt(n_samples)``.

    >>> est, se = mc_gegenbauer(sp.Symbol("z", real=True), 10, 1, 20000, seed=0)
    >>> bool(abs(est - 1) < 4 * se)
    True
    """
    d = _int(d, "d", 3)
    n = _int(n_samples, "n_samples", 2)
    scalar = isinstance(k, (numbers.Integral, sp.Integer)) and not isinstance(k, bool)
    ks = [_int(k, "k", 0)] if scalar else [_int(j, "k", 0) for j in k]
    fn = _as_callable(f)
    gen = _rng(seed)
    s1 = np.zeros(len(ks))
    s2 = np.zeros(len(ks))
    done = 0
    while done < n:
        m = min(batch, n - done)
        t = sample_projection(m, d, gen)
        ft = np.asarray(fn(t), dtype=float) * np.ones_like(t)
        for i, j in enumerate(ks):
            v = ft * gegenbauer_q(j, d, t)
            s1[i] += v.sum()
            s2[i] += (v * v).sum()
        done += m
    mean = s1 / n
    var = np.maximum(s2 - n * mean**2, 0.0) / (n - 1)
    se = np.sqrt(var / n)
    return (float(mean[0]), float(se[0])) if scalar else (mean, se)
