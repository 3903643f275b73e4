"""Monte Carlo of random-feature ridge regression (ground truth for :mod:`rmtsym.models.random_features`).

Written independently of the theory: data ``x`` uniform on S^{d-1}(sqrt d) (``docs/conventions.md``,
Sphere; or ``N(0, I_d)`` with ``data="gaussian"``), weights ``theta_j`` on the same sphere,
features ``F = sigma(X Theta^T / sqrt d)`` (n x N), readout minimising

    (1/n) ||y - F a||^2 + (N lambda / d) ||a||^2         (Mei–Montanari normalisation)

(at ``lambda = 0`` the minimum-norm least-squares solution). Target
``y = sum_k F_k q_k^{(d)}(<w_k, x>) + eps`` with independent uniformly random unit vectors
``w_k`` (so ``||P_k f*|| = F_k`` exactly on the sphere; ``q_1(t) = t`` is the linear part
``<beta, x>``, ``||beta|| = F_1``), ``eps ~ N(0, noise)``. On Gaussian data the degree-k parts
are ``F_k h_k(<w_k, x>)`` (Hermite). The reported risk is the excess test error
``mean over a fresh test set of (f*(x) - f_hat(x))^2`` (noise excluded), per replicate;
``mean ± SE`` over replicates (SE = std(ddof=1)/sqrt(reps)).

>>> r = simulate_rf("relu", d=20, N=40, n=30, ridge=0.1, reps=2, n_test=200, seed=1)
>>> r.values.shape, bool(r.mean > 0)
((2,), True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import sympy as sp
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.special import eval_hermitenorm

from ..errors import ParameterError
from .sphere import gegenbauer_q, sample_sphere

__all__ = ["RFSimResult", "simulate_rf", "activation_callable"]


@dataclass(frozen=True)
class RFSimResult:
    """Excess test risk per replicate, its mean and standard error, and the sizes used."""

    values: np.ndarray
    mean: float
    se: float
    d: int
    N: int
    n: int
    ridge: float
    train_error: np.ndarray

    def __str__(self) -> str:
        return f"{self.mean:.4f} ± {self.se:.4f} (d={self.d}, N={self.N}, n={self.n}, {self.values.size} reps)"


def activation_callable(act) -> Callable[[np.ndarray], np.ndarray]:
    """A vectorised numpy function from a catalog name, expression string, Activation, sympy
    expression in ``z`` or a callable (used as is)."""
    if callable(act) and not isinstance(act, sp.Basic) and not hasattr(act, "expr"):
        return act
    from ..bases.catalog import activation
    from ..bases.functions import Z, free_parameters, to_numpy

    expr = act.expr if hasattr(act, "expr") else activation(act).expr
    if free_parameters(expr, Z):
        raise ParameterError("act", str(expr), "an activation without free parameters")
    f = to_numpy(expr, Z)
    return lambda t: np.asarray(f(t), dtype=float) * np.ones_like(t)


def _int(name, v, lo):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ParameterError(name, v, f"an integer >= {lo}")
    return int(v)


def _target_part(k: int, t: np.ndarray, d: int, data: str) -> np.ndarray:
    if data == "sphere":
        return gegenbauer_q(k, d, t)
    return eval_hermitenorm(k, t) / math.sqrt(math.factorial(k))


def simulate_rf(act, d: int, N: int, n: int, ridge: float, *, f1: float = 1.0, fstar: float = 0.0,
                noise: float = 0.0, target: Mapping[int, float] | None = None, reps: int = 3,
                n_test: int = 2000, seed: int = 0, data: str = "sphere") -> RFSimResult:
    """Simulate random-feature ridge regression ``reps`` times (module docstring).

    ``target``: ``{degree k: ||P_k f*||}``; default ``{1: f1, 2: fstar}`` (a degree-2 nonlinear
    part of norm F_*). ``ridge`` in the Mei–Montanari normalisation. Replicate ``r`` uses seed
    ``seed + r``.
    """
    d = _int("d", d, 3)
    N = _int("N", N, 1)
    n = _int("n", n, 1)
    reps = _int("reps", reps, 1)
    n_test = _int("n_test", n_test, 2)
    lam = float(ridge)
    if not math.isfinite(lam) or lam < 0:
        raise ParameterError("ridge", ridge, "a finite number >= 0")
    if not math.isfinite(float(noise)) or noise < 0:
        raise ParameterError("noise", noise, "a variance >= 0")
    if data not in ("sphere", "gaussian"):
        raise ParameterError("data", data, "'sphere' or 'gaussian'")
    tgt = {1: float(f1), 2: float(fstar)} if target is None else {int(k): float(v) for k, v in dict(target).items()}
    if any(k < 0 or not math.isfinite(v) for k, v in tgt.items()):
        raise ParameterError("target", target, "{degree >= 0: finite norm}")
    sigma = activation_callable(act)
    vals, trains = [], []
    for r in range(reps):
        rng = np.random.default_rng(seed + r)

        def draw(m):
            if data == "sphere":
                return sample_sphere(m, d, rng)
            return rng.standard_normal((m, d))

        X, Xt = draw(n), draw(n_test)
        Theta = sample_sphere(N, d, rng)
        W = {k: (lambda g: g / np.linalg.norm(g))(rng.standard_normal(d)) for k in tgt}

        def fstar_of(Xm):
            out = np.zeros(Xm.shape[0])
            for k, amp in tgt.items():
                if amp:
                    out += amp * _target_part(k, Xm @ W[k], d, data)
            return out

        y = fstar_of(X) + math.sqrt(noise) * rng.standard_normal(n)
        F = sigma(X @ Theta.T / math.sqrt(d))
        Ft = sigma(Xt @ Theta.T / math.sqrt(d))
        pen = n * N * lam / d  # (1/n)||y - Fa||^2 + (N lam/d)||a||^2  ->  (F^T F + pen I) a = F^T y
        if pen == 0:
            a = np.linalg.lstsq(F, y, rcond=None)[0]
        else:
            try:
                if N <= n:
                    a = cho_solve(cho_factor(F.T @ F + pen * np.eye(N)), F.T @ y)
                else:
                    a = F.T @ cho_solve(cho_factor(F @ F.T + pen * np.eye(n)), y)
            except LinAlgError:  # pragma: no cover - numerically singular
                a = np.linalg.lstsq(F.T @ F + pen * np.eye(N), F.T @ y, rcond=None)[0]
        vals.append(float(np.mean((fstar_of(Xt) - Ft @ a) ** 2)))
        trains.append(float(np.mean((y - F @ a) ** 2)))
    v = np.asarray(vals)
    se = float(v.std(ddof=1) / math.sqrt(reps)) if reps > 1 else float("nan")
    return RFSimResult(v, float(v.mean()), se, d, N, n, lam, np.asarray(trains))
