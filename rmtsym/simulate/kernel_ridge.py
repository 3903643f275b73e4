"""Monte Carlo of kernel ridge regression on the sphere S^{d-1}(sqrt d) (ground truth for
:mod:`rmtsym.models.kernel_ridge`; same normalisation, written independently of it).

Per replicate: ``n`` training points and ``n_test`` fresh test points uniform on S^{d-1}(sqrt d)
(:func:`rmtsym.simulate.sphere.sample_sphere`); target ``f*(x) = sum_l sqrt(e_l) q_l(<x, v_l>)``
with ``v_l`` random unit vectors (a unit-norm zonal harmonic per degree; by O(d)-invariance and
Schur's lemma the expected risk depends on ``f*`` only through the energies ``e_l``);
labels ``y = f*(x) + sqrt(noise) eps``; kernel matrix ``K_ij = h(<x_i, x_j>/d)`` (unnormalised);
``f_hat = K(., X)(K + ridge I)^{-1} y``; excess risk ``mean_test (f_hat - f*)^2``.
Replicates give the mean and its standard error (std/sqrt(reps)).

``h`` is given as the coefficients ``xi_l`` (``Q_l(1) = 1``; evaluated by the
Gegenbauer three-term recurrence, checked against :func:`scipy.special.eval_gegenbauer` in the tests), a numpy callable of the cosine, or a catalog name /
expression in ``z``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import scipy.linalg
import sympy as sp

from ..errors import ParameterError
from .sphere import gegenbauer_q, sample_sphere

__all__ = ["KRRSimulation", "kernel_function", "simulate_krr", "simulate_krr_curve"]


@dataclass
class KRRSimulation:
    """``mean`` excess risk over ``reps`` replicates, ``se`` its standard error, ``values`` per replicate."""

    n: int
    mean: float
    se: float
    values: np.ndarray
    seconds: float


def kernel_function(kernel, d: int) -> Callable[[np.ndarray], np.ndarray]:
    """``h`` as a vectorised function of the cosine ``s = <x,x'>/d``."""
    if callable(kernel) and not isinstance(kernel, sp.Basic):
        return kernel
    if isinstance(kernel, (str, sp.Basic)):
        from ..bases.catalog import activation
        from ..bases.functions import Z, to_numpy

        expr = activation(kernel).expr if isinstance(kernel, str) else kernel
        if expr.free_symbols - {Z}:
            raise ParameterError("kernel", str(expr), "an expression in z only")
        return to_numpy(expr)
    xi = np.asarray(kernel, dtype=float).ravel()
    if xi.size == 0 or not np.all(np.isfinite(xi)):
        raise ParameterError("kernel", kernel, "coefficients xi_l, a callable, or an expression in z")

    def h(s):
        # P_l = C_l^{((d-2)/2)} / C_l^{((d-2)/2)}(1): (l + d - 2) P_{l+1} = (2l + d - 2) s P_l - l P_{l-1}
        s = np.clip(s, -1.0, 1.0)
        p_prev, p = np.ones_like(s, dtype=float), s.astype(float, copy=True)
        out = xi[0] * p_prev
        for l in range(1, xi.size):
            if xi[l] != 0:
                out += xi[l] * p
            p_prev, p = p, ((2 * l + d - 2) * s * p - l * p_prev) / (l + d - 2)
        return out

    return h


def _check(d, n, reps, n_test, ridge, noise, target):
    for name, v, lo in (("d", d, 3), ("n", n, 1), ("reps", reps, 2), ("n_test", n_test, 1)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < lo:
            raise ParameterError(name, v, f"an integer >= {lo}")
    if not (math.isfinite(ridge) and ridge >= 0):
        raise ParameterError("ridge", ridge, "a finite value >= 0")
    if not (math.isfinite(noise) and noise >= 0):
        raise ParameterError("noise", noise, "a finite variance >= 0")
    e = np.asarray(target, dtype=float).ravel()
    if e.size == 0 or not np.all(np.isfinite(e)) or np.any(e < 0):
        raise ParameterError("target", target, "finite energies ||P_l f*||^2 >= 0")
    return e


def simulate_krr(kernel, d: int, target: Sequence[float], n: int, ridge: float, noise: float = 0.0, *,
                 reps: int = 5, n_test: int = 1000, seed: int = 0) -> KRRSimulation:
    """Excess test risk of kernel ridge regression, mean ± SE over ``reps`` seeded replicates
    (replicate ``r`` uses seed ``(seed, n, r)``)."""
    import time

    e = _check(d, n, reps, n_test, float(ridge), float(noise), target)
    h = kernel_function(kernel, d)
    t0 = time.perf_counter()
    vals = np.empty(reps)
    for r in range(reps):
        rng = np.random.default_rng([seed, n, r])
        X = sample_sphere(n, d, rng)
        Xt = sample_sphere(n_test, d, rng)
        V = rng.standard_normal((e.size, d))
        V /= np.linalg.norm(V, axis=1, keepdims=True)
        P, Pt = X @ V.T, Xt @ V.T
        f = np.zeros(n)
        ft = np.zeros(n_test)
        for l, el in enumerate(e):
            if el > 0:
                f += math.sqrt(el) * gegenbauer_q(l, d, P[:, l])
                ft += math.sqrt(el) * gegenbauer_q(l, d, Pt[:, l])
        y = f + math.sqrt(noise) * rng.standard_normal(n)
        K = h(X @ X.T / d)
        K[np.diag_indices(n)] += ridge
        try:
            a = scipy.linalg.solve(K, y, assume_a="pos", check_finite=False)
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
            a = np.linalg.lstsq(K, y, rcond=None)[0]
        pred = h(Xt @ X.T / d) @ a
        vals[r] = np.mean((pred - ft) ** 2)
    return KRRSimulation(int(n), float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(reps)), vals,
                         time.perf_counter() - t0)


def simulate_krr_curve(kernel, d: int, target, ns: Sequence[int], ridge: float, noise: float = 0.0, *,
                       reps: int = 5, n_test: int = 1000, seed: int = 0) -> dict:
    """:func:`simulate_krr` at each ``n`` in ``ns``: ``{"x": ns, "mean": [...], "se": [...]}``."""
    out = {"x": [], "mean": [], "se": []}
    for n in ns:
        s = simulate_krr(kernel, d, target, int(round(n)), ridge, noise, reps=reps, n_test=n_test, seed=seed)
        out["x"].append(s.n)
        out["mean"].append(s.mean)
        out["se"].append(s.se)
    return out
