"""In-context learning of linear regression by linear attention (Lu, Letey, Zavatone-Veth, Maiti &
Pehlevan 2024/2025; REFERENCES.md paper 2).

Model (the authors' reduced linear attention). Tokens ``x_i ~ N(0, I_d/d)``, ``i <= l + 1``,
context length ``l = alpha d``; labels ``y_i = <w, x_i> + eps_i``, ``eps ~ N(0, rho)`` (``rho`` is a
variance); ``n = tau d^2`` pretraining sequences whose task vectors ``w`` are drawn from a fixed
pool of ``k = kappa d`` vectors ``N(0, I_d)``. The prediction is ``y_hat = <Gamma, H_Z>_F`` with
``H_Z = x_{l+1} [(d/l) sum_i y_i x_i^T, (1/l) sum_i y_i^2]`` and ``Gamma`` in ``R^{d x (d+1)}``
minimising ``sum_mu (y^mu_{l+1} - <Gamma, H^mu>)^2 + (n/d) lambda ||Gamma||_F^2``. The ICL error is the
test error ``E (y_{l+1} - y_hat)^2`` (label noise included) on fresh tasks ``w ~ N(0, I_d)``; the
IDG error the same on tasks from the training pool. Limit ``d -> oo`` with ``tau, alpha, kappa``
fixed.

Theory. ``M_kappa(x) = int dmu(s)/(s + x)`` for ``mu`` the Marchenko–Pastur law of
``(1/k) sum_j w_j w_j^T`` (ratio ``d/k = 1/kappa``, unit variance): the positive root of
``(x/kappa) M^2 + (x + 1 - 1/kappa) M - 1 = 0`` (the MP equation of REFERENCES A1 at ``z = -x``,
``gamma = 1/kappa``), i.e. ``M = 2/[(x+1-1/kappa) + sqrt((x+1-1/kappa)^2 + 4x/kappa)]``; at
``kappa = oo`` the law is the point mass at 1 and ``M(x) = 1/(1+x)``.

* :func:`icl_error` with ``ridge = 0``: "Result 1" (verified against the authors' public code
  ``Pehlevan-Group/icl-asymptotic``, ``Linear/common.py`` ``e_ICL_theory``, by REFERENCES.md's two
  reference values 1.66331 and 0.97099); infinite at ``tau = 1``.
* :func:`icl_error` with ``ridge > 0``: the authors' ``ridge_icl`` formula
  (``Pehlevan-Group/incontext-asymptotics-experiments``, ``theory_runs/common.py``), with the scalar
  ``eps`` found by a vectorised bracketed bisection instead of the authors' unchecked ``fsolve``:
  ``f(eps) = 1 - tau + tau lambda/eps - eps M(eps + x)`` is ``> 0`` at ``eps = lambda`` (because
  ``eps M(eps + x) < 1``) and ``< 0`` at ``eps = 2(tau lambda + x + 1)/tau + lambda`` (Jensen:
  ``M(y) >= 1/(y + 1)``), so the bracket always holds. Verified: the REFERENCES value 1.586071, and
  ``lambda -> 0`` reproduces Result 1 on both sides of ``tau = 1`` (tests).
* :func:`idg_error` with ``ridge = 0``: the authors' ``ridgeless_idg`` (REFERENCES value 1.303638);
  with ``ridge > 0``: derived here by the ridge deterministic equivalent (see its docstring), checked
  by ``lambda -> 0``, by reproducing the ridge ICL formula in the same framework, and by simulation.

>>> round(float(icl_error(0.5, 0.5, 0.1, 0.5)), 5), round(float(icl_error(10, 1, 0.25, 2)), 5)
(1.66331, 0.97099)
>>> round(float(icl_error(0.5, 0.5, 0.1, 0.5, ridge=0.1)), 6)
1.586071
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import ParameterError

__all__ = ["M_kappa", "M_kappa_prime", "icl_error", "idg_error", "icl_error_kappa_inf", "ridge_eps",
           "icl_kappa_transition", "ICL_LINEAR_ATTENTION"]

REFERENCE = ("Y. M. Lu, M. I. Letey, J. A. Zavatone-Veth, A. Maiti and C. Pehlevan, Asymptotic theory of "
             "in-context learning by linear attention, arXiv:2405.11751; PNAS 122(28):e2502599122 (2025) "
             "(Result 1 as in the authors' public code Pehlevan-Group/icl-asymptotic, Linear/common.py)")


# ------------------------------------------------------------------------------------------
# the derivation (Result 1, ridgeless)
# ------------------------------------------------------------------------------------------
_tau, _alpha, _kappa = sp.symbols("tau alpha kappa", positive=True)
_rho = sp.Symbol("rho", nonnegative=True)
_m, _q = sp.symbols("m q", positive=True)   # m = M_kappa(x*), q = M_{kappa/tau}(x*)
_x = (1 + _rho) / _alpha
_mu = _x * _q
_kstar = 1 / (1 - _kappa * (_m / (_kappa + _m)) ** 2)
_E_LT = (_tau * (1 + _x) / (1 - _tau) * (1 - _tau * (1 - _mu) ** 2 - _mu * (_x - _rho) / _x)
         - 2 * _tau * (1 - _mu) + _rho + 1)
_E_GT = ((_kstar - 1 / (_tau - 1)) * (1 + _x) * (_x * _m) ** 2 + (3 - 2 * _tau) / (_tau - 1) * _m * _x ** 2
         + ((1 + _rho) * _m / (_tau - 1) + 1) * _x + _rho * _m / (_tau - 1) + _rho)

ICL_LINEAR_ATTENTION = register(Derivation(
    "icl-linear-attention",
    unknowns=[_m, _q],
    parameters=[_tau, _alpha, _rho, _kappa],
    equations=[sp.Eq((_x / _kappa) * _m ** 2 + (_x + 1 - 1 / _kappa) * _m, 1),
               sp.Eq((_x * _tau / _kappa) * _q ** 2 + (_x + 1 - _tau / _kappa) * _q, 1)],
    outputs={"x_star": _x, "mu_star": _mu, "e_icl_tau_lt_1": _E_LT, "e_icl_tau_gt_1": _E_GT},
    requires=["marchenko-pastur"],
    reference=REFERENCE,
    assumptions="x_i ~ N(0, I_d/d), l = alpha d context tokens, y = <w,x> + N(0, rho), n = tau d^2 sequences, "
                "tasks from a pool of k = kappa d vectors N(0, I_d); reduced linear attention y_hat = <Gamma, H_Z>, "
                "least squares with (n/d) lambda ||Gamma||_F^2, lambda -> 0+; ICL error on fresh tasks w ~ N(0, I_d), "
                "label noise included. m = M_kappa(x*), q = M_{kappa/tau}(x*) with M_kappa(x) = int dmu_MP(s)/(s+x), "
                "mu_MP the Marchenko-Pastur law at ratio 1/kappa (positive roots); x* = (1+rho)/alpha, "
                "mu* = x* q. The error diverges at tau = 1.",
    branch=[_m > 0, _q > 0],
    guess={_m: 1 / (1 + _x), _q: 1 / (1 + _x)},
    symbols={_tau: r"\tau", _alpha: r"\alpha", _rho: r"\rho", _kappa: r"\kappa", _m: r"m^*",
             _q: r"M_{\kappa/\tau}(x^*)", "x_star": "x^*", "mu_star": r"\mu^*",
             "e_icl_tau_lt_1": r"e_{\mathrm{ICL}}\,(\tau<1)", "e_icl_tau_gt_1": r"e_{\mathrm{ICL}}\,(\tau>1)"},
    title="In-context learning by linear attention: ridgeless ICL error (Result 1)",
))


# ------------------------------------------------------------------------------------------
# input checks
# ------------------------------------------------------------------------------------------
def _arr(name, v, *, lo=0.0, strict=True, allow_inf=False):
    try:
        a = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(name, v, "a number or an array of numbers") from None
    bad = np.isnan(a) | (a < lo) | ((a == lo) if strict else False)
    if not allow_inf:
        bad |= np.isinf(a)
    if np.any(bad):
        rng = f"> {lo:g}" if strict else f">= {lo:g}"
        shown = float(a[bad].ravel()[0])
        raise ParameterError(name, shown, f"{'finite ' if not allow_inf else ''}number(s) {rng}"
                             + (" (inf allowed)" if allow_inf else ""))
    return a


# ------------------------------------------------------------------------------------------
# M_kappa
# ------------------------------------------------------------------------------------------
def M_kappa(x, kappa):
    """``M_kappa(x) = int dmu(s)/(s + x)``, ``mu`` = Marchenko–Pastur law of ``(1/k) W W^T``
    (``W`` in ``R^{d x k}`` iid ``N(0,1)``, ratio ``d/k = 1/kappa``), for ``x > 0``; ``kappa = inf``
    gives ``1/(1 + x)``. Evaluated as the positive root of ``(x/kappa) M^2 + (x+1-1/kappa) M = 1``
    without cancellation.

    >>> float(M_kappa(1.0, np.inf)), round(float(M_kappa(1.0, 1e12)), 9)
    (0.5, 0.5)
    """
    x = np.asarray(x, float)
    g = 1.0 / np.asarray(kappa, float)                        # 0 at kappa = inf
    a = x + 1.0 - g
    c = 4.0 * x * g
    r = np.sqrt(a * a + c)
    with np.errstate(divide="ignore", invalid="ignore"):
        alt = 2.0 * (r - a) / c                               # = 2/(a + r), stable for a < 0
    return np.where(a >= 0, 2.0 / (a + r), alt)


def M_kappa_prime(x, kappa):
    """``d M_kappa / dx = -(1/2) M^2 (1 + (x + 1 + 1/kappa)/sqrt((x+1-1/kappa)^2 + 4x/kappa))``."""
    x = np.asarray(x, float)
    g = 1.0 / np.asarray(kappa, float)
    M = M_kappa(x, kappa)
    return -0.5 * M * M * (1.0 + (x + 1.0 + g) / np.sqrt((x + 1.0 - g) ** 2 + 4.0 * x * g))


# ------------------------------------------------------------------------------------------
# ICL error
# ------------------------------------------------------------------------------------------
def _ridgeless(tau, alpha, rho, kappa):
    x = (1.0 + rho) / alpha
    m = M_kappa(x, kappa)
    mu = x * M_kappa(x, kappa / tau)
    with np.errstate(divide="ignore", invalid="ignore"):
        lt = (tau * (1 + x) / (1 - tau) * (1 - tau * (1 - mu) ** 2 - mu * (x - rho) / x)
              - 2 * tau * (1 - mu) + rho + 1)
        r = np.where(np.isinf(kappa), 0.0, kappa * (m / (kappa + m)) ** 2)
        r = np.where(np.isinf(kappa), 0.0, r)
        kstar = 1.0 / (1.0 - r)
        t1 = tau - 1
        gt = ((kstar - 1 / t1) * (1 + x) * (x * m) ** 2 + (3 - 2 * tau) / t1 * m * x ** 2
              + ((1 + rho) * m / t1 + 1) * x + rho * m / t1 + rho)
    return np.where(tau < 1, lt, np.where(tau > 1, gt, np.inf))


def ridge_eps(tau, alpha, rho, kappa, ridge, *, iters: int = 200):
    """The positive root ``eps`` of ``1 - tau + tau lambda/eps - eps M_kappa(eps + x) = 0``,
    ``x = (1+rho)/alpha``, by vectorised bisection on ``log eps`` in the bracket
    ``[lambda, 2(tau lambda + x + 1)/tau + lambda]`` (module docstring), to relative width 1e-15."""
    tau, alpha, rho, kappa, lam = np.broadcast_arrays(*(np.asarray(v, float) for v in (tau, alpha, rho, kappa, ridge)))
    x = (1.0 + rho) / alpha

    def f(e):
        return 1.0 - tau + tau * lam / e - e * M_kappa(e + x, kappa)

    lo = np.log(lam)
    hi = np.log(2.0 * (tau * lam + x + 1.0) / tau + lam)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        pos = f(np.exp(mid)) > 0
        lo = np.where(pos, mid, lo)
        hi = np.where(pos, hi, mid)
        if np.all(hi - lo < 1e-15):
            break
    return np.exp(0.5 * (lo + hi))


def _ridge(tau, alpha, rho, kappa, lam):
    x = (1.0 + rho) / alpha
    eps = ridge_eps(tau, alpha, rho, kappa, lam)
    nu = x + eps
    S = M_kappa(nu, kappa)
    Sp = M_kappa_prime(nu, kappa)
    ce = (rho + nu - nu ** 2 * S - eps * (1 - 2 * nu * S - nu ** 2 * Sp)) / (1 - 2 * eps * S - eps ** 2 * Sp - tau)
    return (x + 1) * (1 - 2 * nu * S - nu ** 2 * Sp - ce * (S + eps * Sp)) - 2 * (1 - nu * S) + 1 + rho


def _inputs(tau, alpha, rho, kappa):
    return (_arr("tau", tau), _arr("alpha", alpha), _arr("rho", rho, strict=False),
            _arr("kappa", kappa, allow_inf=True))


def _by_ridge(ridgeless, with_ridge, tau, alpha, rho, kappa, ridge):
    """Validate and broadcast the inputs, then evaluate ``ridgeless`` where ``ridge == 0`` and
    ``with_ridge`` elsewhere (a scalar for scalar inputs)."""
    tau, alpha, rho, kappa = _inputs(tau, alpha, rho, kappa)
    lam = _arr("ridge", ridge, strict=False)
    tau, alpha, rho, kappa, lam = np.broadcast_arrays(tau, alpha, rho, kappa, lam)
    out = np.empty(tau.shape)
    z = lam == 0
    if np.any(z):
        out[z] = ridgeless(tau[z], alpha[z], rho[z], kappa[z])
    if np.any(~z):
        p = ~z
        out[p] = with_ridge(tau[p], alpha[p], rho[p], kappa[p], lam[p])
    return out[()] if out.ndim == 0 else out


def icl_error(tau, alpha, rho, kappa, ridge=0.0):
    """Asymptotic ICL error (fresh tasks, label noise included) of the linear-attention model
    (module docstring), vectorised over broadcast arrays.

    ``tau = n/d^2 > 0``, ``alpha = l/d > 0``, ``rho >= 0`` the label-noise variance, ``kappa = k/d > 0``
    (``inf`` allowed: infinitely many tasks), ``ridge = lambda >= 0`` of the ``(n/d) lambda ||Gamma||^2``
    penalty. ``ridge = 0``: Result 1, ``inf`` at ``tau = 1``. ``ridge > 0``: finite everywhere.
    """
    return _by_ridge(_ridgeless, _ridge, tau, alpha, rho, kappa, ridge)


def icl_error_kappa_inf(tau, alpha, rho):
    """Closed form at ``kappa = inf`` for ``tau > 1`` (the authors' ``testridgeless.py``):
    ``tau/(tau-1) (rho + x(1 - x m))``, ``m = 1/(1+x)``, ``x = (1+rho)/alpha``; ``nan`` for ``tau <= 1``."""
    tau, alpha, rho = _arr("tau", tau), _arr("alpha", alpha), _arr("rho", rho, strict=False)
    x = (1 + rho) / alpha
    with np.errstate(divide="ignore", invalid="ignore"):
        e = tau / (tau - 1) * (rho + x * (1 - x / (1 + x)))
    return np.where(tau > 1, e, np.nan)


def _ridgeless_idg(tau, alpha, rho, kappa):
    X = (1.0 + rho) / alpha
    m = M_kappa(X, kappa)
    mu = X * M_kappa(X, kappa / tau)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        eps = (1 - tau) * X / (tau * mu)
        inner = np.where(np.isinf(kappa), 0.0, kappa / (1 + kappa * eps / (1 - tau)) ** 2)
        c = 1.0 / (1.0 - inner)
        lt = tau * ((X + eps) ** 2 / eps + (rho + X - 2 * X * (1 - tau) * (X / eps + 1)) / (1 - tau - c * (1 - tau) ** 2))
        ge = tau * (rho + X * (1 - X * m)) / (tau - 1)
    return np.where(tau < 1, lt, np.where(tau > 1, ge, np.inf))


def _ridge_idg(tau, alpha, rho, kappa, lam):
    x = (1.0 + rho) / alpha
    eps = ridge_eps(tau, alpha, rho, kappa, lam)
    nu = x + eps
    S = M_kappa(nu, kappa)
    Sp = M_kappa_prime(nu, kappa)
    return tau * (rho + x + (eps ** 2 - x ** 2) * S + eps * nu ** 2 * Sp) / (tau - 1 + 2 * eps * S + eps ** 2 * Sp)


def idg_error(tau, alpha, rho, kappa, ridge=0.0):
    """Asymptotic in-distribution error (test tasks drawn from the training pool, label noise
    included), vectorised over broadcast arrays; arguments as :func:`icl_error`.

    ``ridge = 0``: the authors' ``ridgeless_idg`` (REFERENCES.md paper 2, value 1.303638); ``inf`` at
    ``tau = 1``.

    ``ridge = lambda > 0`` (derived here; not in the authors' code). The IDG test distribution *is*
    the training distribution, so the error is the training-distribution risk of a ridge regression
    on the features ``x h^T``, whose deterministic equivalent has feature covariance
    ``I/d (x) C``, ``C = Sigma_pool + x I`` (``Sigma_pool = (1/k) sum_j w_j w_j^T``, spectrum MP at
    ratio ``1/kappa``), target ``Gamma_* = Sigma_pool C^{-1}``, effective noise
    ``sigma^2 = rho + x(1 - x M_kappa(x))`` and effective ridge ``eps`` (:func:`ridge_eps`; its equation
    is exactly ``lambda = eps(1 - df_1/n)`` of REFERENCES A4 with ``n = tau d^2``). A4 then gives
    ``e = tau (sigma^2 + B)/(tau - D_2)``, ``D_2 = (1/d) tr C^2 (C+eps)^{-2}``,
    ``B = eps^2 (1/d) tr Sigma_pool^2 C^{-1} (C+eps)^{-2}``, which simplifies to (``nu = x + eps``,
    ``S = M_kappa(nu)``, ``S' = M_kappa'(nu)``)

        e_IDG = tau [rho + x + (eps^2 - x^2) S + eps nu^2 S'] / (tau - 1 + 2 eps S + eps^2 S').

    Checks (tests): the same equivalent with the fresh-task test metric reproduces the authors'
    ridge ``e_ICL`` to machine precision; ``lambda -> 0`` reproduces ``ridgeless_idg`` on both
    sides of ``tau = 1``; simulation extrapolated in ``1/d``. Simulation (alpha = 1, rho = 0.25,
    lambda = 0.1, 20 reps; a + b/d + c/d^2 weighted fit over d = 20..60/80): (tau, kappa) = (2, 3):
    1.324 +- 0.033 vs 1.3228 (ICL same fit 1.449 +- 0.032 vs 1.4492); (0.5, 0.5), d = 20..80:
    1.325 +- 0.031 vs 1.2906 (d = 80: 1.322 +- 0.007; ICL at d = 80 is 0.032 above its theory too).
    """
    return _by_ridge(_ridgeless_idg, _ridge_idg, tau, alpha, rho, kappa, ridge)


def icl_kappa_transition(tau, alpha, rho, ridge=0.0, *, kappa_range=(1e-3, 1e3), grid: int = 2001,
                         h: float = 1e-3) -> float:
    """The task-diversity transition (memorising the pool -> in-context learning): the ``kappa`` of
    maximal curvature of the ICL error as a function of ``log kappa``, i.e. the global maximiser of
    ``d^2 e_ICL / d(log kappa)^2`` over ``kappa_range`` (the knee where the fast fall of the error with
    task diversity stops). Located on a geometric ``grid`` and refined by bounded Brent in the
    neighbouring cells; the second derivative is a central difference with step ``h`` in ``log kappa``.

    Theory: ``e_ICL`` depends on ``kappa`` only through ``M_kappa(x*)`` (``tau > 1``) or
    ``M_{kappa/tau}(x*)`` (``tau < 1``), ``x* = (1+rho)/alpha``; as ``x* -> 0`` the MP law acquires an
    atom at 0 for ratio > 1, so the knee becomes a corner at ``kappa = 1`` (``tau > 1``; the authors'
    "transition in error at kappa = 1") or ``kappa = tau`` (``tau < 1``). At finite ``x*`` it is
    smooth and the located knee lies above it (e.g. 1.49 at ``(tau, alpha, rho) = (2, 1, 0.25)``).
    With weak transitions (small ``alpha``, ``tau < 1``) another, smaller-kappa knee can be the global
    maximiser: inspect the curve.

    >>> round(icl_kappa_transition(2.0, 1e4, 0.0), 3), round(icl_kappa_transition(0.5, 1e4, 0.0), 3)
    (1.0, 0.5)
    """
    from scipy.optimize import minimize_scalar

    for name, v, strict in (("tau", tau, True), ("alpha", alpha, True), ("rho", rho, False), ("ridge", ridge, False)):
        a = _arr(name, v, strict=strict)
        if a.ndim:
            raise ParameterError(name, v, "a scalar")
    if float(ridge) == 0 and float(tau) == 1:
        raise ParameterError("tau", tau, "!= 1 with ridge = 0 (the ridgeless error is infinite at tau = 1)")
    lo, hi = kappa_range
    if not 0 < lo < hi < np.inf:
        raise ParameterError("kappa_range", kappa_range, "0 < lo < hi < inf")

    def d2(L):
        L = np.asarray(L, float)
        e = icl_error(tau, alpha, rho, np.exp(np.stack([L - h, L, L + h])), ridge)
        return (e[0] - 2 * e[1] + e[2]) / (h * h)

    L = np.linspace(np.log(lo), np.log(hi), int(grid))
    i = int(np.argmax(d2(L)))
    a, b = L[max(i - 1, 0)], L[min(i + 1, L.size - 1)]
    r = minimize_scalar(lambda t: -float(d2(t)), bounds=(a, b), method="bounded", options={"xatol": 1e-9})
    best = r.x if -r.fun >= d2(L[i]) else L[i]
    return float(np.exp(best))
