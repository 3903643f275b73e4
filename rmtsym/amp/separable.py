"""Separable AMP for LASSO: state evolution in closed form (first slice of issue 6, item 1).

Model: ``y = A x0 + w`` with ``A`` an ``n x N`` matrix of iid ``N(0, 1/n)`` entries,
``delta = n/N``, ``w ~ N(0, sigma^2 I_n)``, prior ``x0_i ~ (1 - eps) delta_0 + eps N(0, 1)``.
Denoiser: soft threshold ``eta(u; theta) = sign(u) (|u| - theta)_+`` with ``theta = alpha tau``
(LASSO AMP, Donoho, Maleki & Montanari 2009).

State evolution (SE) map on ``v = tau^2``::

    F(v) = sigma^2 + (1/delta) E[(eta(X0 + tau Z; alpha tau) - X0)^2],  Z ~ N(0, 1).

Closed form (derived by hand, checked against quadrature and Monte Carlo in the tests).
With ``s^2 = 1 + tau^2`` and ``beta = alpha tau / s``, and
``h(a) = (1 + a^2) Phi(-a) - a phi(a)``::

    E[(eta - X0)^2 | X0 = 0]      = 2 tau^2 h(alpha)
    E[(eta - X0)^2 | X0 ~ N(0,1)] = 2 s^2 h(beta) - 4 Phi(-beta) + 1

(the second uses ``U = X0 + tau Z ~ N(0, s^2)``, ``E[X0 | U] = U/s^2`` and Stein's lemma
``E[eta(W; b) W] = 2 Phi(-b)``). The Onsager coefficient is
``(1/delta) E eta'(X0 + tau Z) = (1/delta) [(1 - eps) 2 Phi(-alpha) + eps 2 Phi(-beta)]``.
The MSE at a fixed point is ``delta (tau*^2 - sigma^2)``; the stability derivative is
``F'(tau*^2)`` (the fixed point is stable when ``|F'| < 1``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.special import ndtr

from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import ParameterError, check_array

__all__ = [
    "LassoSE",
    "lasso_state_evolution",
    "lasso_se_trajectory",
    "lasso_se_map",
    "lasso_se_map_derivative",
    "lasso_denoiser_mse",
    "lasso_denoiser_mse_derivative",
    "lasso_onsager",
    "soft_threshold",
    "AMP_LASSO_SE",
]

_SQRT2PI = np.sqrt(2.0 * np.pi)


def _phi(x):
    return np.exp(-0.5 * np.square(x)) / _SQRT2PI


def _h(a):
    return (1.0 + a * a) * ndtr(-a) - a * _phi(a)


def soft_threshold(u, theta):
    """``sign(u) (|u| - theta)_+`` (elementwise)."""
    u = np.asarray(u, dtype=float)
    return np.sign(u) * np.maximum(np.abs(u) - theta, 0.0)


def _check(delta, sigma, eps, alpha):
    d = check_array(delta, "delta", lambda x: (x > 0) & np.isfinite(x), "delta = n/N > 0 (finite)")
    s = check_array(sigma, "sigma", lambda x: (x >= 0) & np.isfinite(x), "sigma >= 0 (finite)")
    e = check_array(eps, "eps", lambda x: (x >= 0) & (x <= 1), "eps in [0, 1]")
    a = check_array(alpha, "alpha", lambda x: (x > 0) & np.isfinite(x), "alpha > 0 (finite)")
    return np.broadcast_arrays(d, s, e, a)


def lasso_denoiser_mse(tau2, eps, alpha):
    """``E[(eta(X0 + tau Z; alpha tau) - X0)^2]`` in closed form (Bernoulli-Gaussian prior)."""
    tau2 = np.asarray(tau2, dtype=float)
    s2 = 1.0 + tau2
    beta = alpha * np.sqrt(tau2 / s2)
    m0 = 2.0 * tau2 * _h(alpha)
    m1 = 2.0 * s2 * _h(beta) - 4.0 * ndtr(-beta) + 1.0
    return (1.0 - eps) * m0 + eps * m1


def lasso_onsager(tau2, delta, eps, alpha):
    """Onsager coefficient ``(1/delta) E eta'(X0 + tau Z; alpha tau)`` in closed form."""
    tau2 = np.asarray(tau2, dtype=float)
    beta = alpha * np.sqrt(tau2 / (1.0 + tau2))
    return 2.0 * ((1.0 - eps) * ndtr(-alpha) + eps * ndtr(-beta)) / delta


def lasso_se_map(tau2, delta, sigma, eps, alpha):
    """The SE map ``F(tau^2) = sigma^2 + (1/delta) E[(eta - X0)^2]``."""
    return np.square(sigma) + lasso_denoiser_mse(tau2, eps, alpha) / delta


def lasso_denoiser_mse_derivative(tau2, eps, alpha):
    """``d/d(tau^2) E[(eta - X0)^2]`` in closed form (for ``tau^2 > 0``; finite as ``tau^2 -> 0``)."""
    v = np.maximum(np.asarray(tau2, dtype=float), 1e-300)
    s2 = 1.0 + v
    beta = alpha * np.sqrt(v / s2)
    dbeta = alpha / (2.0 * np.sqrt(v) * s2 ** 1.5)
    # 2 s2 h'(beta) + 4 phi(beta) = 4 s2 beta Phi(-beta) - 4 v phi(beta), with h'(b) = 2 b Phi(-b) - 2 phi(b):
    # written so that its product with dbeta ~ v^{-1/2} stays finite (no cancellation) as v -> 0
    dm1 = 2.0 * _h(beta) + (4.0 * s2 * beta * ndtr(-beta) - 4.0 * v * _phi(beta)) * dbeta
    return (1.0 - eps) * 2.0 * _h(alpha) + eps * dm1


def lasso_se_map_derivative(tau2, delta, sigma, eps, alpha):
    """``dF/d(tau^2)`` in closed form (for ``tau^2 > 0``)."""
    return lasso_denoiser_mse_derivative(tau2, eps, alpha) / delta


@dataclass(frozen=True)
class LassoSE:
    """Fixed point of LASSO state evolution (arrays broadcast over the inputs).

    ``tau2`` fixed point ``tau*^2``; ``tau`` its root; ``mse`` = ``E[(eta - X0)^2]`` per
    coordinate at the fixed point; ``onsager`` = ``(1/delta) E eta'``; ``stability`` =
    ``F'(tau*^2)`` (stable when ``< 1``); ``converged`` boolean mask; ``iterations`` used.
    Where ``converged`` is False every output is NaN and ``last_tau2`` holds the last iterate
    (``inf`` when the iteration diverged: no finite fixed point, e.g. a threshold below the
    minimax one at small ``delta``).
    """

    tau2: np.ndarray
    tau: np.ndarray
    mse: np.ndarray
    onsager: np.ndarray
    stability: np.ndarray
    converged: np.ndarray
    iterations: int
    last_tau2: np.ndarray | None = None


def lasso_state_evolution(delta, sigma, eps, alpha, *, tau0=None, iters: int = 100_000,
                          tol: float = 1e-12) -> LassoSE:
    """Iterate ``tau^2 <- F(tau^2)`` to its fixed point, vectorised over broadcast grids.

    ``tau0`` defaults to the AMP start ``x^0 = 0``: ``tau0^2 = sigma^2 + eps/delta``.
    Convergence: relative change ``< tol`` (absolute below ``tol`` when ``tau^2 ~ 0``).
    Near the phase transition convergence is slow (``F' -> 1``); ``converged`` says where.
    """
    d, s, e, a = _check(delta, sigma, eps, alpha)
    if tau0 is None:
        v = s * s + e / d
    else:
        t0 = np.asarray(tau0, dtype=float)
        if np.any(~(t0 >= 0)):
            raise ParameterError("tau0", tau0, "tau0 >= 0")
        v = np.broadcast_to(t0 * t0, d.shape).astype(float)
    v = np.array(v, dtype=float)
    converged = np.zeros(d.shape, dtype=bool)
    diverged = np.zeros(d.shape, dtype=bool)
    k = 0
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, int(iters) + 1):
            vn = lasso_se_map(v, d, s, e, a)
            blown = ~np.isfinite(vn) | (vn > 1e150)
            done = ~blown & (np.abs(vn - v) <= tol * np.maximum(np.abs(vn), 1e-12))
            active = ~(converged | diverged)
            v = np.where(active, np.where(blown, np.inf, vn), v)
            diverged = diverged | (active & blown)
            converged = converged | (active & done)
            if np.all(converged | diverged):
                break
    last = v.copy()
    vv = np.where(converged, v, np.nan)
    return LassoSE(
        tau2=vv, tau=np.sqrt(vv), mse=lasso_denoiser_mse(vv, e, a),
        onsager=lasso_onsager(vv, d, e, a),
        stability=lasso_se_map_derivative(vv, d, s, e, a),
        converged=converged, iterations=k, last_tau2=last,
    )


def lasso_se_trajectory(delta, sigma, eps, alpha, iters: int):
    """SE prediction of AMP started at ``x^0 = 0``: arrays ``(tau2[t], mse[t])``, t = 0..iters-1,
    where ``mse[t]`` is the predicted per-coordinate MSE of ``x^{t+1} = eta(x^t + A^T z^t; alpha tau_t)``."""
    d, s, e, a = _check(delta, sigma, eps, alpha)
    v = s * s + e / d
    taus, mses = [], []
    for _ in range(int(iters)):
        m = lasso_denoiser_mse(v, e, a)
        taus.append(v)
        mses.append(m)
        v = s * s + m / d
    return np.array(taus), np.array(mses)


# ---- the derivation (printable LaTeX of the SE map) --------------------------------------
_tau2 = sp.Symbol("tau2", nonnegative=True)
_d, _s, _e, _a = sp.symbols("delta sigma epsilon alpha", positive=True)


def _Phi(x):
    return (1 + sp.erf(x / sp.sqrt(2))) / 2


def _phis(x):
    return sp.exp(-x ** 2 / 2) / sp.sqrt(2 * sp.pi)


def _hs(x):
    return (1 + x ** 2) * _Phi(-x) - x * _phis(x)


_beta = _a * sp.sqrt(_tau2 / (1 + _tau2))
_MSE_EXPR = ((1 - _e) * 2 * _tau2 * _hs(_a)
             + _e * (2 * (1 + _tau2) * _hs(_beta) - 4 * _Phi(-_beta) + 1))
_ONSAGER_EXPR = 2 * ((1 - _e) * _Phi(-_a) + _e * _Phi(-_beta)) / _d

AMP_LASSO_SE = register(Derivation(
    "amp-lasso-state-evolution",
    unknowns=[_tau2],
    parameters=[_d, _s, _e, _a],
    equations=[sp.Eq(_tau2, _s ** 2 + _MSE_EXPR / _d)],
    outputs={"mse": _MSE_EXPR, "onsager": _ONSAGER_EXPR},
    requires=["gaussian-expectation"],
    reference=("Donoho, Maleki & Montanari, 'Message-passing algorithms for compressed sensing', "
               "PNAS 106 (2009), arXiv:0907.3574; Bayati & Montanari, IEEE Trans. IT 57 (2011)"),
    assumptions=("y = A x0 + w, A_ij iid N(0, 1/n), delta = n/N, w ~ N(0, sigma^2); "
                 "x0 ~ (1 - eps) delta_0 + eps N(0,1); soft threshold at alpha tau; "
                 "tau^2 = sigma^2 + (1/delta) E[(eta(X0 + tau Z; alpha tau) - X0)^2]"),
    guess={_tau2: _s ** 2 + _e / _d},
    symbols={_tau2: r"\tau^{2}", _e: r"\varepsilon"},
    title="LASSO AMP state evolution (Bernoulli-Gaussian prior, soft threshold)",
))
