"""LASSO phase transition and the Bayes-optimal MSE curve of separable AMP (issue 6, item 1).

Normalisation of :mod:`rmtsym.amp.separable`: ``y = A x0 + w``, ``A`` is ``n x N`` with iid
``N(0, 1/n)`` entries, ``delta = n/N``, ``w ~ N(0, sigma^2 I_n)``, ``x0_i ~ (1 - eps) delta_0 + eps N(0,1)``.
Sparsity conventions: ``eps = k/N`` (this package) and ``rho = k/n = eps/delta`` (Donoho–Tanner,
Donoho, Maleki & Montanari, PNAS 106 (2009) 18914, arXiv:0907.3574). ``Phi``/``phi`` are the
standard normal cdf/density and ``h(a) = (1 + a^2) Phi(-a) - a phi(a)``.

**LASSO phase transition (noiseless).** The SE map ``F(v) = (1/delta) E[(eta(X0 + sqrt(v) Z;
alpha sqrt(v)) - X0)^2]`` of soft thresholding has ``F(0) = 0`` and, for any prior with
``P(X0 = 0) = 1 - eps`` and no mass near 0 besides the atom (in particular Bernoulli–Gaussian),
``F'(0) = (1/delta) [(1 - eps) 2 h(alpha) + eps (1 + alpha^2)]`` (zero entries: ``2 v h(alpha)``;
a nonzero entry sees ``eta - X0 = sqrt(v) (Z - alpha sign X0)`` as ``v -> 0``). ``tau^2 = 0`` is
stable iff ``F'(0) < 1``. The best threshold gives the curve::

    rho_SE(delta) = max_alpha [1 - (2/delta) h(alpha)] / [1 + alpha^2 - 2 h(alpha)]

and the stationarity condition of the max (derived by hand: with ``g = phi - alpha Phi(-alpha)``,
``h' = -2 g`` and ``4 alpha h + 4 g (1 + alpha^2) = 4 phi``) gives the parametric form::

    delta(alpha) = 2 phi(alpha) / (alpha + 2 g(alpha)),
    rho(alpha)   = g(alpha)/phi(alpha) = 1 - alpha Phi(-alpha)/phi(alpha).

``delta(alpha)`` decreases from 1 (alpha = 0) to 0, so :func:`lasso_phase_transition` inverts it by
bisection. In the ``eps = k/N`` convention, ``delta_PT(eps) = min_alpha [eps (1 + alpha^2) + (1 - eps) 2 h(alpha)]``:
the statistical dimension of the l1 descent cone (Amelunxen, Lotz, McCoy & Tropp 2014,
arXiv:1303.6672), :func:`l1_statistical_dimension`, an independent geometric route to the same curve.

**Bayes-optimal AMP (Bernoulli–Gaussian prior).** Scalar channel ``Y = X0 + Z/sqrt(snr)``. With
``u = snr`` and ``g ~ N(0,1)`` (derived by hand from ``E Var(X0|Y)``; only the zero component is
integrated, which keeps the integrand smooth at every snr)::

    mmse(u) = eps/(1 + u) + (1 - eps) u/(1 + u)^2 E[g^2 pi_u(g)],
    pi_u(g) = 1 / (1 + ((1 - eps)/eps) sqrt(1 + u) exp(-g^2 u / (2 (1 + u)))),

evaluated by 200-node Gauss–Hermite quadrature (relative error < 1e-8 for ``eps >= 0.01``,
``snr <= 1e6``, against adaptive quadrature in the tests). State evolution on the MSE ``E``::

    E_{t+1} = mmse(1/tau_t^2),  tau_t^2 = sigma^2 + E_t/delta,  E_0 = eps  (AMP from x = 0).

The map is increasing in ``E``, so AMP from ``E_0 = eps`` converges to the largest fixed point and
an informed start ``E_0 = 0`` to the smallest. Replica-symmetric potential (Krzakala et al. 2012,
arXiv:1109.4424; Barbier et al. 2016, arXiv:1607.02335)::

    f_RS(E) = I(snr(E)) + (delta/2) [ln(1 + E/(delta sigma^2)) - E/(delta sigma^2 + E)],
    snr(E)  = 1/(sigma^2 + E/delta),

with ``I(snr) = (1/2) int_0^snr mmse(s) ds`` (I-MMSE, nats).
``df_RS/dE = snr(E)^2 (E - mmse(snr(E)))/(2 delta)`` (derived by hand), so its stationary points are the SE fixed points; the MMSE is its global minimiser. Thresholds at
fixed ``(eps, sigma)``: ``delta_low < delta_IT < delta_alg`` (the good fixed point appears; it
becomes the global minimum; the bad one disappears and AMP becomes optimal). Every fixed point is
``E = mmse(snr)`` with ``delta = delta(snr) := mmse(snr) / (1/snr - sigma^2)``, an explicit curve: the
fixed points at any ``delta`` are its crossings (grid in ``log snr`` shared by all deltas, with the
extrema inserted, then Illinois false position), stable where ``delta(snr)`` increases; the
spinodals are its local extrema and ``delta_IT`` a root of the potential difference.

Optimally tuned LASSO: ``min_alpha tau*^2(alpha)`` is the fixed point of the tuned map
``F*(v) = sigma^2 + min_alpha E[(eta - X0)^2]/delta`` (envelope theorem), solved by safeguarded Newton
with the inner ``alpha*(v)`` from the closed-form ``d/dalpha``.

>>> r = lasso_phase_transition([0.1, 0.5])
>>> [round(float(x), 4) for x in r.rho]
[0.1894, 0.3857]
>>> round(float(bg_mmse(1.0, 0.1)), 6)
0.085542
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
from numpy.polynomial.hermite_e import hermegauss
from scipy.optimize import brentq
from scipy.special import erfcx, expit, ndtr

from ..bases.functions import Phi, phi
from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import ConvergenceError, ParameterError, check_array, check_int
from .separable import _h, _phi, lasso_denoiser_mse, lasso_denoiser_mse_derivative

__all__ = [
    "LassoPhaseTransition", "lasso_phase_transition", "lasso_phase_transition_eps",
    "lasso_optimal_alpha", "lasso_se_slope_at_zero", "l1_statistical_dimension",
    "LassoOptimalMSE", "lasso_optimal_mse", "lasso_fixed_point",
    "bg_mmse", "bg_mutual_information", "bayes_se_map", "bayes_se_iterate", "bayes_se_trajectory",
    "rs_potential", "BayesThresholds", "bayes_thresholds", "BayesOptimalCurve", "bayes_optimal_curve",
    "posterior_mean_bg",
    "AMP_LASSO_PHASE_TRANSITION", "AMP_BAYES_BG_SE",
]

_SQRT2PI = np.sqrt(2.0 * np.pi)


def _mills(a):
    """``Phi(-a)/phi(a)`` without cancellation or overflow (``a >= 0``)."""
    return np.sqrt(np.pi / 2.0) * erfcx(a / np.sqrt(2.0))


def _delta(x):
    return check_array(x, "delta", lambda d: (d > 0) & np.isfinite(d), "delta = n/N > 0 (finite)")


def _eps(x, open_=False):
    if open_:
        return check_array(x, "eps", lambda e: (e > 0) & (e < 1), "eps in (0, 1)")
    return check_array(x, "eps", lambda e: (e >= 0) & (e <= 1), "eps in [0, 1]")


def _sigma(x, positive=False):
    if positive:
        return check_array(x, "sigma", lambda s: (s > 0) & np.isfinite(s),
                    "sigma > 0 (the Bayes-optimal curve is for noisy measurements)")
    return check_array(x, "sigma", lambda s: (s >= 0) & np.isfinite(s), "sigma >= 0 (finite)")


# =========================================================================================
# LASSO: phase transition (noiseless) and optimally tuned MSE (noisy)
# =========================================================================================
@dataclass(frozen=True)
class LassoPhaseTransition:
    """The DMM / Donoho–Tanner curve at ``delta``: ``rho = k/n``, ``eps = k/N = rho delta`` and
    the minimax threshold ``alpha`` (the maximiser in the closed form)."""

    delta: np.ndarray
    rho: np.ndarray
    eps: np.ndarray
    alpha: np.ndarray


def _pt_delta_of_alpha(a):
    # delta(alpha) = 2 phi / (alpha + 2 (phi - alpha Phi(-alpha))) = 2 / (alpha/phi + 2 (1 - alpha R))
    R = _mills(a)
    with np.errstate(over="ignore"):
        return 2.0 / (a / _phi(a) + 2.0 * (1.0 - a * R))


def lasso_phase_transition(delta) -> LassoPhaseTransition:
    """Noiseless LASSO/AMP phase transition ``rho_SE(delta)`` (``rho = k/n``), vectorised.

    Inverts the parametric form ``delta(alpha) = 2 phi/(alpha + 2(phi - alpha Phi(-alpha)))`` by
    bisection on ``alpha`` (monotone), then ``rho = 1 - alpha Phi(-alpha)/phi(alpha)``.

    >>> r = lasso_phase_transition(0.25)
    >>> round(float(r.rho), 5), round(float(r.alpha), 4)
    (0.26738, 1.2922)
    """
    d = _delta(delta)
    check_array(d, "delta", lambda x: x <= 1, "0 < delta <= 1 (undersampling; rho_SE = 1 at delta = 1)")
    lo = np.zeros(d.shape)
    hi = np.full(d.shape, 40.0)  # delta(40) ~ 1e-347: below any float delta > 0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        above = _pt_delta_of_alpha(mid) > d  # delta(alpha) decreasing: root is to the right
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    a = 0.5 * (lo + hi)
    rho = 1.0 - a * _mills(a)
    return LassoPhaseTransition(delta=d, rho=rho, eps=rho * d, alpha=a)


def lasso_phase_transition_eps(delta) -> np.ndarray:
    """The same curve in the ``eps = k/N`` convention: ``eps_SE(delta) = delta rho_SE(delta)``."""
    return lasso_phase_transition(delta).eps


def lasso_se_slope_at_zero(delta, eps, alpha) -> np.ndarray:
    """``F'(0) = (1/delta) [(1 - eps) 2 h(alpha) + eps (1 + alpha^2)]`` of the noiseless LASSO SE."""
    d, e = _delta(delta), _eps(eps)
    a = check_array(alpha, "alpha", lambda x: (x >= 0) & np.isfinite(x), "alpha >= 0 (finite)")
    return ((1.0 - e) * 2.0 * _h(a) + e * (1.0 + a * a)) / d


def lasso_optimal_alpha(delta, eps) -> np.ndarray:
    """Threshold ``alpha`` minimising the noiseless SE slope ``F'(0)`` at sparsity ``eps = k/N``
    (the minimax threshold of DMM for this ``eps``; it does not depend on ``delta``, which is
    checked only). Solves ``eps alpha = 2 (1 - eps)(phi(alpha) - alpha Phi(-alpha))`` by bisection.

    >>> round(float(lasso_optimal_alpha(0.5, lasso_phase_transition_eps(0.5))), 4)
    0.8769
    """
    d, e = np.broadcast_arrays(_delta(delta), _eps(eps, open_=True))
    lo, hi = np.zeros(d.shape), np.full(d.shape, 40.0)
    for _ in range(80):  # d/dalpha [eps(1+a^2) + (1-eps) 2h(a)] = 2 eps a - 4 (1-eps) g(a): increasing
        mid = 0.5 * (lo + hi)
        g = _phi(mid) * (1.0 - mid * _mills(mid))
        pos = 2.0 * e * mid - 4.0 * (1.0 - e) * g > 0
        lo, hi = np.where(pos, lo, mid), np.where(pos, mid, hi)
    return 0.5 * (lo + hi)


def l1_statistical_dimension(eps) -> np.ndarray:
    """Statistical dimension / N of the l1 descent cone at a ``k = eps N``-sparse point
    (Amelunxen–Lotz–McCoy–Tropp): ``min_t [eps (1 + t^2) + (1 - eps) 2 h(t)]``. Basis pursuit
    succeeds with high probability iff ``delta > l1_statistical_dimension(eps)``.

    >>> round(float(l1_statistical_dimension(0.19289)), 4)
    0.5
    """
    e = _eps(eps, open_=True)
    a = lasso_optimal_alpha(1.0, e)
    return e * (1.0 + a * a) + (1.0 - e) * 2.0 * _h(a)


def lasso_fixed_point(delta, sigma, eps, alpha, *, tol: float = 1e-13, iters: int = 200):
    """The fixed point ``tau*^2`` of the LASSO SE map, vectorised, by safeguarded Newton on
    ``G(v) = F(v) - v`` in the bracket ``[0, v_hi]`` (``G(0) = sigma^2 >= 0``, ``G(v_hi) < 0``).

    Returns ``(tau2, converged)``; ``tau2`` is NaN where there is no finite fixed point
    (``2 h(alpha) >= delta``: the slope at infinity is ``>= 1``) or where it did not converge.
    With ``sigma = 0`` below the phase transition the fixed point is ``0``; above it, the positive one.
    """
    d, s, e, a = np.broadcast_arrays(_delta(delta), _sigma(sigma), _eps(eps),
                                     check_array(alpha, "alpha", lambda x: (x > 0) & np.isfinite(x), "alpha > 0"))
    s2 = s * s
    F = lambda v: s2 + lasso_denoiser_mse(v, e, a) / d  # noqa: E731
    finite = 2.0 * _h(a) < d
    hi = np.where(finite, s2 + np.maximum(e, 1e-3) / d + 1.0, np.nan)
    for _ in range(200):  # grow the bracket until G(hi) < 0
        need = finite & ~(F(hi) - hi < 0)
        if not np.any(need):
            break
        hi = np.where(need, 2.0 * hi, hi)
    finite &= F(hi) - hi < 0
    lo = np.zeros(d.shape)
    v = np.where(finite, hi, np.nan)
    conv = np.zeros(d.shape, bool)
    for _ in range(int(iters)):
        G = F(v) - v
        pos = G > 0
        lo = np.where(finite & pos, v, lo)
        hi = np.where(finite & ~pos, v, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = G / (lasso_denoiser_mse_derivative(v, e, a) / d - 1.0)
            vn = v - step
        bad = ~((vn > lo) & (vn < hi))
        vn = np.where(bad, 0.5 * (lo + hi), vn)
        done = finite & ((np.abs(vn - v) <= tol * np.maximum(v, 1e-300)) | (hi - lo <= tol * np.maximum(hi, 1e-300))
                         | (hi <= 1e-250))
        v = np.where(conv, v, vn)
        conv |= done
        if np.all(conv | ~finite):
            break
    v = np.where(hi <= 1e-250, 0.0, v)
    return np.where(conv, v, np.nan), conv


@dataclass(frozen=True)
class LassoOptimalMSE:
    """Optimally tuned LASSO / AMP at ``(delta, sigma, eps)``: ``mse`` = per-coordinate MSE
    ``delta (tau*^2 - sigma^2)`` at the best threshold ``alpha`` (``theta = alpha tau*``); ``tau2``
    the fixed point; ``converged`` mask (NaN where False)."""

    delta: np.ndarray
    sigma: np.ndarray
    eps: np.ndarray
    alpha: np.ndarray
    mse: np.ndarray
    tau2: np.ndarray
    converged: np.ndarray


def _lasso_dmse_dalpha(v, e, a):
    """``d/dalpha E[(eta(X0 + sqrt(v) Z; alpha sqrt(v)) - X0)^2]`` in closed form."""
    s2 = 1.0 + v
    r = np.sqrt(v / s2)
    beta = a * r
    g = lambda x: _phi(x) - x * ndtr(-x)  # noqa: E731  (h' = -2 g)
    return (1.0 - e) * (-4.0 * v * g(a)) + e * r * (4.0 * _phi(beta) - 4.0 * s2 * g(beta))


def _best_alpha(v, e, iters: int = 64):
    """Threshold minimising the denoiser risk at noise level ``v`` (bisection on the sign of the
    alpha-derivative, negative at 0 and positive at large alpha)."""
    lo, hi = np.zeros(np.shape(v)), np.full(np.shape(v), 30.0)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        up = _lasso_dmse_dalpha(v, e, mid) > 0
        lo, hi = np.where(up, lo, mid), np.where(up, mid, hi)
    return 0.5 * (lo + hi)


def lasso_optimal_mse(delta, sigma, eps, *, tol: float = 1e-13, iters: int = 100) -> LassoOptimalMSE:
    """MSE of the optimally tuned LASSO (AMP soft threshold at ``alpha tau``), vectorised.

    Minimising the fixed point ``tau*^2(alpha)`` over ``alpha`` is the same as finding the fixed point of
    the tuned map ``F*(v) = sigma^2 + min_alpha E[(eta - X0)^2]/delta`` (at the optimum ``dF/dalpha = 0``, and
    ``F* <= F``); ``F* <= sigma^2 + eps/delta`` gives the bracket. Safeguarded Newton on ``F*(v) - v`` with
    ``F*'(v) = dF/dv`` at ``alpha*(v)`` (envelope theorem); the inner ``alpha*(v)`` by bisection on the
    closed-form ``dF/dalpha``. Checked against scipy's bounded minimisation over ``alpha`` in the tests.

    >>> r = lasso_optimal_mse(0.5, 0.1, 0.1)
    >>> round(float(r.mse), 5), round(float(r.alpha), 3)
    (0.00673, 1.237)
    """
    d, s, e = np.broadcast_arrays(_delta(delta), _sigma(sigma), _eps(eps))
    d, s, e = (np.array(x, dtype=float) for x in (d, s, e))
    s2 = s * s
    lo = np.zeros(d.shape)
    hi = s2 + e / d + 1e-300  # F*(v) <= sigma^2 + eps/delta (alpha -> oo: eta = 0)
    v = hi.copy()
    conv = np.zeros(d.shape, bool)
    for _ in range(int(iters)):
        a = _best_alpha(v, e)
        G = s2 + lasso_denoiser_mse(v, e, a) / d - v
        pos = G > 0
        lo, hi = np.where(pos, v, lo), np.where(pos, hi, v)
        with np.errstate(divide="ignore", invalid="ignore"):
            vn = v - G / (lasso_denoiser_mse_derivative(v, e, a) / d - 1.0)
        vn = np.where((vn > lo) & (vn < hi), vn, 0.5 * (lo + hi))
        done = (np.abs(vn - v) <= tol * np.maximum(v, 1e-300)) | (hi <= 1e-250)
        v = np.where(conv, v, vn)
        conv |= done
        if np.all(conv):
            break
    # noiseless below the phase transition: tau^2 = 0 is the (stable) fixed point
    ec = np.clip(e, 1e-300, 1 - 1e-16)
    exact0 = (s2 == 0) & ((e == 0) | ((e < 1) & (l1_statistical_dimension(ec) < d)))
    v = np.where(exact0 | (hi <= 1e-250), 0.0, v)
    conv |= exact0
    a = np.where(exact0, lasso_optimal_alpha(np.ones(d.shape), ec), _best_alpha(v, e))
    mse = np.where(conv, d * (v - s2), np.nan)
    return LassoOptimalMSE(delta=d, sigma=s, eps=e, alpha=a, mse=mse, tau2=np.where(conv, v, np.nan),
                           converged=conv)


# =========================================================================================
# Bayes-optimal AMP for the Bernoulli–Gaussian prior
# =========================================================================================
_GH_N = 200
_g, _w = hermegauss(_GH_N)
_GH_G = _g[_g > 0]
_GH_W = 2.0 * _w[_g > 0] / _SQRT2PI  # E f(g) = sum W f(G) for even f


def bg_mmse(snr, eps) -> np.ndarray:
    """MMSE of ``X0 ~ (1 - eps) delta_0 + eps N(0,1)`` from ``Y = X0 + Z/sqrt(snr)``, vectorised.

    ``snr = 0`` gives ``eps``; ``snr * mmse -> eps`` as ``snr -> oo`` (support known asymptotically).

    >>> round(float(bg_mmse(0.0, 0.2)), 6), round(float(bg_mmse(1e8, 0.2) * 1e8), 2)
    (0.2, 0.2)
    """
    u = check_array(snr, "snr", lambda x: (x >= 0) & ~np.isnan(x), "snr >= 0")
    return _mmse(u, _eps(eps, open_=True))


def _mmse(u, e):
    """:func:`bg_mmse` without input checks (inner loops)."""
    u, e = np.broadcast_arrays(np.asarray(u, dtype=float), np.asarray(e, dtype=float))
    U, Ee = u[..., None], e[..., None]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        lnc = np.log((1.0 - Ee) / Ee) + 0.5 * np.log1p(U)
        pi = expit(_GH_G ** 2 * U / (2.0 * (1.0 + U)) - lnc)
        q = np.sum(_GH_W * _GH_G ** 2 * pi, axis=-1)
        out = e / (1.0 + u) + (1.0 - e) * u / (1.0 + u) ** 2 * q
    return np.where(np.isinf(u), 0.0, out)


_GL_X, _GL_W = np.polynomial.legendre.leggauss(40)
_GL_X0, _GL_W0 = np.polynomial.legendre.leggauss(12)


def bg_mutual_information(snr, eps) -> np.ndarray:
    """``I(X0; X0 + Z/sqrt(snr)) = (1/2) int_0^snr mmse(s) ds`` (nats), I-MMSE relation.

    Gauss–Legendre: 12 nodes on ``[0, min(snr, 1)]`` and 40 nodes in ``log s`` on ``[1, snr]``
    (absolute error ~1e-12 against the entropy integral for ``eps`` in [0.01, 0.5], ``snr <= 1e6``).

    >>> round(float(bg_mutual_information(1.0, 0.999999)), 5)  # ~ Gaussian: ln(2)/2
    0.34657
    """
    u = check_array(snr, "snr", lambda x: (x >= 0) & np.isfinite(x), "snr >= 0 (finite)")
    e = _eps(eps, open_=True)
    u, e = np.broadcast_arrays(u, e)
    u0 = np.minimum(u, 1.0)
    x0 = 0.5 * (_GL_X0 + 1.0)
    part0 = 0.5 * u0 * np.sum(_GL_W0 * bg_mmse(u0[..., None] * x0, e[..., None]), axis=-1)
    lu = np.log(np.maximum(u, 1.0))
    w = 0.5 * (_GL_X + 1.0) * lu[..., None]
    s = np.exp(w)
    part1 = 0.5 * lu * np.sum(_GL_W * bg_mmse(s, e[..., None]) * s, axis=-1)
    return 0.5 * (part0 + part1)


def bayes_se_map(E, delta, sigma, eps) -> np.ndarray:
    """One SE step of Bayes-optimal AMP on the MSE: ``E -> mmse(1/(sigma^2 + E/delta))``."""
    E = check_array(E, "E", lambda x: (x >= 0) & np.isfinite(x), "E >= 0")
    return _se_map(E, _delta(delta), _sigma(sigma), _eps(eps, open_=True))


def _se_map(E, d, s, e):
    with np.errstate(divide="ignore"):
        return _mmse(1.0 / (s * s + E / d), e)


def bayes_se_iterate(delta, sigma, eps, E0=None, *, iters: int = 10_000, tol: float = 1e-12):
    """Iterate the Bayes-optimal SE to a fixed point, vectorised. ``E0`` defaults to ``eps``
    (AMP from ``x = 0``); ``E0 = 0`` is the informed start. Returns ``(E, converged, iterations)``;
    ``E`` is the last iterate, to be trusted only where ``converged`` (relative change < tol)."""
    d, s, e = np.broadcast_arrays(_delta(delta), _sigma(sigma, positive=True), _eps(eps, open_=True))
    E = np.array(np.broadcast_to(e if E0 is None else np.asarray(E0, float), d.shape), dtype=float)
    conv = np.zeros(d.shape, bool)
    k = 0
    for k in range(1, int(iters) + 1):
        En = _se_map(E, d, s, e)
        done = np.abs(En - E) <= tol * np.maximum(En, 1e-300)
        E = np.where(conv, E, En)
        conv |= done
        if np.all(conv):
            break
    return E, conv, k


def bayes_se_trajectory(delta: float, sigma: float, eps: float, iters: int) -> tuple[np.ndarray, np.ndarray]:
    """SE prediction of Bayes-optimal AMP from ``x^0 = 0``: ``(tau2[t], mse[t])``, t = 0..iters-1,
    ``tau2[0] = sigma^2 + eps/delta``, ``mse[t] = mmse(1/tau2[t])`` (MSE of ``x^{t+1}``)."""
    d, s, e = float(_delta(delta)), float(_sigma(sigma)), float(_eps(eps, open_=True))
    v = s * s + e / d
    taus, mses = [], []
    for _ in range(check_int(iters, "iters", 1)):
        m = float(bg_mmse(1.0 / v, e))
        taus.append(v)
        mses.append(m)
        v = s * s + m / d
    return np.array(taus), np.array(mses)


def rs_potential(E, delta, sigma, eps) -> np.ndarray:
    """Replica-symmetric potential ``f_RS(E)`` (nats per coordinate of ``x0``; see module doc)."""
    E = check_array(E, "E", lambda x: (x >= 0) & np.isfinite(x), "E >= 0")
    d, s = _delta(delta), _sigma(sigma, positive=True)
    ds2 = d * s * s
    snr = 1.0 / (s * s + E / d)
    return bg_mutual_information(snr, eps) + 0.5 * d * (np.log1p(E / ds2) - E / (ds2 + E))


def _delta_of_snr(snr, sigma, eps):
    """Fixed-point curve parametrised by the effective snr: ``E = mmse(snr)`` is an SE fixed point
    at ``delta = mmse(snr) / (1/snr - sigma^2)`` (``0 < snr < 1/sigma^2``)."""
    return _mmse(snr, eps) / (1.0 / snr - sigma * sigma)


@dataclass(frozen=True)
class BayesThresholds:
    """Thresholds in ``delta`` at fixed ``(eps, sigma)``: ``delta_low`` (the low-MSE fixed point
    appears), ``delta_it`` (it becomes the global minimum of ``f_RS``: information-theoretic),
    ``delta_alg`` (the high-MSE fixed point disappears: AMP becomes Bayes-optimal; spinodal).
    All NaN when the fixed point is unique for every ``delta`` (no first-order transition)."""

    eps: float
    sigma: float
    delta_low: float
    delta_it: float
    delta_alg: float
    E_low: float
    E_alg: float


def _se_root(dlt, Ea, Eb, sigma, eps):
    """The SE fixed point in ``[Ea, Eb]`` (a bracket with one sign change of ``mmse(snr(E)) - E``)."""
    f = lambda lE: float(_se_map(np.exp(lE), dlt, sigma, eps)) - np.exp(lE)  # noqa: E731
    return float(np.exp(brentq(f, np.log(Ea), np.log(Eb), xtol=1e-14, rtol=1e-14)))


def bayes_thresholds(sigma: float, eps: float, *, n_grid: int = 400) -> BayesThresholds:
    """``delta_low < delta_it < delta_alg`` of Bayes-optimal AMP for the Bernoulli–Gaussian prior.

    The spinodals are the local extrema of the fixed-point curve ``delta(snr) = mmse(snr)/(1/snr -
    sigma^2)`` (grid of ``n_grid`` log-spaced ``snr`` in ``(1e-6, 1/sigma^2)``, refined by five
    zooming 64-point grids: relative accuracy ~1e-7 in snr, ~1e-14 in delta); ``delta_it`` is the
    root in ``(delta_low, delta_alg)`` of ``f_RS(E_good) - f_RS(E_bad)``
    (Brent, fixed points by Brent on each branch).

    >>> t = bayes_thresholds(0.01, 0.1)
    >>> round(t.delta_low, 4), round(t.delta_it, 4), round(t.delta_alg, 4)
    (0.1475, 0.1765, 0.2078)
    """
    s, e = float(_sigma(sigma, positive=True)), float(_eps(eps, open_=True))
    Elo = float(bg_mmse(1.0 / (s * s), e))
    lg, dg = _delta_snr_grid(s, e, 1e-6, n_grid)
    dd = np.diff(dg)
    mx = np.nonzero((dd[:-1] > 0) & (dd[1:] < 0))[0] + 1  # local maxima of delta(snr): delta_alg
    mn = np.nonzero((dd[:-1] < 0) & (dd[1:] > 0))[0] + 1  # local minima: delta_low
    nan = float("nan")
    if mx.size == 0 or mn.size == 0:
        return BayesThresholds(e, s, nan, nan, nan, nan, nan)
    i, j = int(mx[0]), int(mn[-1])
    E2, d_alg = float(_mmse(np.exp(lg[i]), e)), float(dg[i])
    E1, d_low = float(_mmse(np.exp(lg[j]), e)), float(dg[j])

    def gap(dlt):
        Eg_ = _se_root(dlt, Elo * (1 + 1e-12), E1, s, e)  # good branch (small E)
        Eb_ = _se_root(dlt, E2, e, s, e)  # bad branch (large E)
        return float(rs_potential(Eg_, dlt, s, e) - rs_potential(Eb_, dlt, s, e))

    d_it = brentq(gap, d_low * (1 + 1e-7), d_alg * (1 - 1e-7), xtol=1e-13, rtol=1e-12)
    return BayesThresholds(e, s, d_low, float(d_it), d_alg, E1, E2)


@dataclass(frozen=True)
class BayesOptimalCurve:
    """Bayes-optimal AMP on a ``delta`` grid at fixed ``(eps, sigma)``.

    ``mse_amp``: MSE of AMP from ``x = 0`` (largest SE fixed point); ``mse_bayes``: the MMSE (the
    fixed point of least ``f_RS``); ``fixed_points``: ``(len(delta), 3)`` sorted, NaN-padded;
    ``stable`` mask (slope of the SE map < 1, read off the sign change); ``potential`` at each;
    ``n_fixed_points``; ``thresholds`` (:class:`BayesThresholds`, None if not asked)."""

    delta: np.ndarray
    sigma: float
    eps: float
    mse_amp: np.ndarray
    mse_bayes: np.ndarray
    fixed_points: np.ndarray
    stable: np.ndarray
    potential: np.ndarray
    n_fixed_points: np.ndarray
    thresholds: BayesThresholds


def _delta_snr_grid(s, e, snr_lo, n_grid):
    """``delta(snr)`` on a log grid of ``snr`` in ``(snr_lo, 1/sigma^2)`` with its local extrema
    (the spinodals, refined by zooming grids) inserted, so that two fixed points merging inside
    a grid cell are still seen as two sign changes."""
    lg = np.linspace(np.log(snr_lo), np.log(1.0 / (s * s)) - 1e-9, int(n_grid))
    Dg = _delta_of_snr(np.exp(lg), s, e)
    dd = np.diff(Dg)
    ext = np.nonzero(np.sign(dd[:-1]) != np.sign(dd[1:]))[0] + 1
    extra = []
    for i in ext:
        sign = -1.0 if dd[i - 1] > 0 else 1.0  # local max / min
        la, lb = lg[i - 1], lg[i + 1]
        for _ in range(5):
            x = np.linspace(la, lb, 64)
            k = int(np.argmin(sign * _delta_of_snr(np.exp(x), s, e)))
            la, lb = x[max(k - 1, 0)], x[min(k + 1, 63)]
        extra.append(0.5 * (la + lb))
    if extra:
        lg = np.sort(np.concatenate([lg, extra]))
        Dg = _delta_of_snr(np.exp(lg), s, e)
    return lg, Dg


def _fixed_points(d, s, e, n_grid=400):
    """All SE fixed points for a 1-d ``delta`` array. Fixed points are the ``E = mmse(snr)`` with
    ``delta(snr) = delta``: ``delta(snr)`` is computed once on a log grid of ``snr`` in
    ``(snr_lo, 1/sigma^2)`` (shared by all deltas), each crossing refined by vectorised Illinois
    false position in ``log snr``. Stable (slope of the SE map < 1) where ``delta(snr)`` increases."""
    lg, Dg = _delta_snr_grid(s, e, min(1e-6, 0.01 * float(d.min()) / e), n_grid)
    diff = Dg[None, :] - d[:, None]
    rows, cols = np.nonzero(np.sign(diff[:, :-1]) != np.sign(diff[:, 1:]))
    tgt = d[rows]
    a, b = lg[cols], lg[cols + 1]
    fa, fb = diff[rows, cols], diff[rows, cols + 1]
    c = b
    for _ in range(60):
        with np.errstate(divide="ignore", invalid="ignore"):
            c = b - fb * (b - a) / (fb - fa)
        c = np.where(np.isfinite(c), c, 0.5 * (a + b))
        fc = _delta_of_snr(np.exp(c), s, e) - tgt
        flip = np.sign(fc) != np.sign(fb)
        a, fa = np.where(flip, b, a), np.where(flip, fb, 0.5 * fa)  # Illinois: halve the stale end
        b, fb = c, fc
        if np.all((np.abs(b - a) <= 1e-14 * np.maximum(1.0, np.abs(b))) | (fc == 0)):
            break
    roots = _mmse(np.exp(c), e)
    stable = Dg[cols + 1] > Dg[cols]
    n = np.bincount(rows, minlength=d.size)
    if np.any(n > 3):
        raise ConvergenceError(f"more than 3 fixed points found at delta = {d[n > 3]}")
    fp = np.full((d.size, 3), np.nan)
    st = np.zeros((d.size, 3), bool)
    order = np.lexsort((roots, rows))  # by delta, then E ascending
    pos = np.zeros(d.size, int)
    for i in order:
        r = rows[i]
        fp[r, pos[r]], st[r, pos[r]] = roots[i], stable[i]
        pos[r] += 1
    return fp, st, n


def bayes_optimal_curve(delta, sigma: float, eps: float, *, n_grid: int = 400,
                        thresholds: bool = True) -> BayesOptimalCurve:
    """Bayes-optimal AMP MSE and MMSE vs ``delta`` for the Bernoulli–Gaussian prior.

    >>> c = bayes_optimal_curve([0.2, 0.4], 0.01, 0.1)
    >>> [round(float(x), 5) for x in c.mse_amp], [int(k) for k in c.n_fixed_points]
    ([0.03019, 2e-05], [3, 1])
    >>> round(float(c.mse_bayes[0]) * 1e5, 2)  # delta_IT < 0.2: the MMSE is the low fixed point
    2.97
    """
    d = np.atleast_1d(_delta(delta)).astype(float)
    s, e = float(_sigma(sigma, positive=True)), float(_eps(eps, open_=True))
    fp, st, n = _fixed_points(d, s, e, n_grid)
    D = np.broadcast_to(d[:, None], fp.shape)
    fin = np.isfinite(fp)
    pot = np.full(fp.shape, np.nan)
    pot[fin] = rs_potential(fp[fin], D[fin], s, e)
    amp = np.nanmax(np.where(st, fp, np.nan), axis=1)
    pstable = np.where(st, pot, np.inf)
    k = np.argmin(pstable, axis=1)
    bayes = fp[np.arange(d.size), k]
    return BayesOptimalCurve(delta=d, sigma=s, eps=e, mse_amp=amp, mse_bayes=bayes, fixed_points=fp,
                             stable=st, potential=pot, n_fixed_points=n,
                             thresholds=bayes_thresholds(s, e) if thresholds else None)


# ---- Bayes-optimal AMP itself (posterior-mean denoiser) ------------------------------------
def posterior_mean_bg(u, tau2, eps):
    """Posterior mean ``E[X0 | X0 + tau Z = u]`` and its derivative in ``u`` (Bernoulli–Gaussian).

    ``eta = pi u/(1 + tau^2)``, ``eta' = Var(X0 | u)/tau^2``, ``pi = P(X0 != 0 | u)``.
    """
    u = np.asarray(u, dtype=float)
    t2 = float(tau2)
    lnc = np.log((1.0 - eps) / eps) + 0.5 * np.log((1.0 + t2) / t2)
    pi = expit(u * u / (2.0 * t2 * (1.0 + t2)) - lnc)
    eta = pi * u / (1.0 + t2)
    deta = (pi + pi * (1.0 - pi) * u * u / (t2 * (1.0 + t2))) / (1.0 + t2)
    return eta, deta


# =========================================================================================
# Derivations
# =========================================================================================
_al, _dl, _ep = sp.symbols("alpha delta epsilon", positive=True)
_Phi = Phi
_phis = phi
_hs = (1 + _al ** 2) * _Phi(-_al) - _al * _phis(_al)

AMP_LASSO_PHASE_TRANSITION = register(Derivation(
    "amp-lasso-phase-transition",
    parameters=[_al, _dl, _ep],
    outputs={
        "slope_at_zero": ((1 - _ep) * 2 * _hs + _ep * (1 + _al ** 2)) / _dl,
        "rho_of_alpha_delta": (1 - 2 * _hs / _dl) / (1 + _al ** 2 - 2 * _hs),
        "delta_parametric": 2 * _phis(_al) / (_al + 2 * (_phis(_al) - _al * _Phi(-_al))),
        "rho_parametric": 1 - _al * _Phi(-_al) / _phis(_al),
        "l1_statistical_dimension": _ep * (1 + _al ** 2) + (1 - _ep) * 2 * _hs,
    },
    requires=["amp-lasso-state-evolution"],
    reference=("Donoho, Maleki & Montanari, PNAS 106 (2009) 18914, arXiv:0907.3574 (rho_SE); "
               "Donoho & Tanner, JAMS 22 (2009) (weak threshold of the cross-polytope); "
               "Amelunxen, Lotz, McCoy & Tropp, Inf. Inference 3 (2014), arXiv:1303.6672"),
    assumptions=("noiseless (sigma = 0); rho = k/n = eps/delta; stability F'(0) < 1 of tau^2 = 0 in the LASSO SE, "
                 "maximised over the threshold alpha; prior with P(X0 = 0) = 1 - eps and no mass near 0 otherwise; "
                 "parametric form from the stationarity of the max"),
    symbols={_ep: r"\varepsilon", "slope_at_zero": r"F'(0)", "rho_of_alpha_delta": r"\rho(\alpha;\delta)",
             "delta_parametric": r"\delta_{\mathrm{PT}}(\alpha)", "rho_parametric": r"\rho_{\mathrm{PT}}(\alpha)",
             "l1_statistical_dimension": r"\delta_{\ell_1}(\varepsilon)"},
    title="LASSO / AMP phase transition (Donoho–Maleki–Montanari = Donoho–Tanner weak threshold)",
))

_E = sp.Symbol("E", nonnegative=True)
_sg = sp.Symbol("sigma", positive=True)
_gg, _ss = sp.symbols("g s", real=True)


def _mmse_sym(u):
    pi = 1 / (1 + (1 - _ep) / _ep * sp.sqrt(1 + u) * sp.exp(-_gg ** 2 * u / (2 * (1 + u))))
    return (_ep / (1 + u) + (1 - _ep) * u / (1 + u) ** 2
            * sp.Integral(_gg ** 2 * _phis(_gg) * pi, (_gg, -sp.oo, sp.oo)))


_SNR_E = 1 / (_sg ** 2 + _E / _dl)
_MMSE_F = sp.Function("mmse")  # in the potential: the same mmse as in the equation (printed once)
AMP_BAYES_BG_SE = register(Derivation(
    "amp-bayes-bg-state-evolution",
    unknowns=[_E],
    parameters=[_dl, _sg, _ep],
    equations=[sp.Eq(_E, _mmse_sym(_SNR_E))],
    outputs={
        "snr": _SNR_E,
        "potential": (sp.Integral(_MMSE_F(_ss), (_ss, 0, _SNR_E)) / 2
                      + _dl / 2 * (sp.log(1 + _E / (_dl * _sg ** 2)) - _E / (_dl * _sg ** 2 + _E))),
        "potential_derivative": _SNR_E ** 2 * (_E - _MMSE_F(_SNR_E)) / (2 * _dl),
    },
    requires=["gaussian-expectation"],
    reference=("Krzakala, Mezard, Sausset, Sun & Zdeborova, PRX 2 (2012), arXiv:1109.4424; "
               "Barbier, Dia, Macris & Krzakala, NeurIPS 2016, arXiv:1607.02335; "
               "Guo, Shamai & Verdu (I-MMSE), IEEE Trans. IT 51 (2005)"),
    assumptions=("y = A x0 + w, A_ij iid N(0, 1/n), delta = n/N, w ~ N(0, sigma^2), sigma > 0; "
                 "x0 ~ (1 - eps) delta_0 + eps N(0,1) known to the algorithm; posterior-mean denoiser; "
                 "E = MSE of x^{t+1}; mmse by E Var(X0|Y) over the zero component; I in nats"),
    guess={_E: _ep},
    symbols={_ep: r"\varepsilon", "potential": r"f_{\mathrm{RS}}(E)", "potential_derivative": r"f_{\mathrm{RS}}'(E)",
             "snr": r"\mathrm{snr}(E)"},
    title="Bayes-optimal AMP state evolution and replica potential (Bernoulli–Gaussian prior)",
))
