"""Kernel ridge regression on the sphere in the polynomial regime ``n ~ kappa d^k`` (Hu & Lu 2022).

Normalisation (followed throughout; Hu & Lu, arXiv:2205.06798, effective model of
``REFERENCES.md`` paper 7):

* Data ``x`` uniform on S^{d-1}(sqrt d) (``docs/conventions.md``, Sphere), ``d >= 3``.
* Kernel ``K(x, x') = h(<x, x'>/d)`` -- ``h`` is a function of the *cosine*; equivalently
  ``h(<u, u'>)`` on the unit sphere -- expanded as ``h(s) = sum_l xi_l Q_l(s)`` with ``Q_l`` the
  Gegenbauer polynomial ``C_l^{((d-2)/2)}`` normalised by ``Q_l(1) = 1``, so ``K(x, x) = h(1) =
  sum_l xi_l``. The integral operator (uniform probability measure) has eigenvalue
  ``mu_l = xi_l / B(d, l)`` with multiplicity ``B(d, l)``.
  Conversions: ``xi_l = sqrt(B(d,l)) g_l`` where ``g_l = g_l(f; d)`` is the project's Gegenbauer
  coefficient (Sphere convention) of ``f(t) = h(t/sqrt d)``, and ``mu_l = g_l/sqrt(B(d,l))``
  (the eigenvalue of :func:`rmtsym.bases.gegenbauer.kernel_eigenvalues`). As ``d -> oo``,
  ``xi_l -> h^{(l)}(0)/l!``. See :func:`xi_from_g`, :func:`g_from_xi`.
* Predictor ``f_hat(x) = K(x, X) (K + lam I)^{-1} y``, ``K`` the *unnormalised* n x n kernel
  matrix, ``y_i = f*(x_i) + eps_i``, ``Var eps = noise`` (= sigma^2, a variance).
  The ridge of ``REFERENCES.md`` A4 (``(X^T X/n + lam_A4)^{-1}``) is ``lam_A4 = lam / n``;
  a ridge on ``K/n`` is ``lam / n`` too.
* Target energy per degree ``e_l = ||P_l f*||^2`` (squared L2 norm under the uniform measure).
  Note: REFERENCES' "target norms (0, 1, 1, .6)" are the norms ``||P_l f*||``: energies
  ``(0, 1, 1, .36)``; that is what reproduces its 0.8715.
* Risk: excess test risk ``R = E_x (f_hat(x) - f*(x))^2`` (add ``noise`` for the prediction
  error on a noisy test label).

Finite-d theory (:func:`krr_curve`, ``method="finite"``): the deterministic equivalent of ridge
regression (REFERENCES A4) with the kernel operator's spectrum, every degree ``l <= L`` kept with
its exact multiplicity ``B(d, l)``; degrees above ``L`` (the ``tail`` mass
``xi_tail = h(1) - sum_{l<=L} xi_l``) have ``mu_l << kappa`` and act as a ridge:

    (lam + xi_tail)/n = kappa (1 - df1/n),   df_j = sum_l B_l mu_l^j / (mu_l + kappa)^j,
    R = [sum_l e_l kappa^2/(mu_l + kappa)^2 + e_rest + noise df2/n] / (1 - df2/n),

``e_rest`` the target energy in degrees the kernel list does not cover. One equation for every
``n``, so the curve is continuous across the phases ``n ~ d^k``.

Asymptotic theory (``method="asymptotic"``, Hu & Lu's per-phase formula): for the degree ``k``
whose block is being learned (``B_{k-1} B_k <= n^2 < B_k B_{k+1}``, geometric midpoints),
``psi = n/B_k``, ``lam_eff = lam + sum_{l>k} xi_l``, ``lam_r = lam_eff/(xi_k psi)``,
``kappa: lam_r = kappa (1 - 1/(psi (1 + kappa)))``, ``df2/n = 1/(psi (1+kappa)^2)``, and
``R = ||P_{>k} f*||^2 + ||P_k f*||^2 kappa^2/(1+kappa)^2/(1 - df2/n)
+ (noise + ||P_{>k} f*||^2) (df2/n)/(1 - df2/n)``; degrees ``< k`` contribute 0.

Verified (tests/test_kernel_ridge.py): REFERENCES paper 7 check (0.8715), simulation
(:mod:`rmtsym.simulate.kernel_ridge`) at several ``n`` across two phases, agreement of the two
theories as ``d`` grows, limits ``lam -> oo`` and ``n -> 0``.

>>> c = krr_curve([.5, 1, 1, .5, .3], 30, [0, 1, 1, .36], 464, ridge=.05, noise=.1, method="asymptotic")
>>> round(float(c.risk), 4)
0.8715
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import sympy as sp

from ..bases.gegenbauer import gegenbauer_coefficients, harmonic_dimension
from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import ParameterError

__all__ = [
    "KernelSpectrum",
    "KRRCurve",
    "kernel_spectrum",
    "xi_from_g",
    "g_from_xi",
    "krr_curve",
    "phase_degree",
    "KERNEL_RIDGE_POLYNOMIAL",
    "KERNEL_RIDGE_PHASE",
]



# ---------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------

def _check_d(d) -> int:
    if isinstance(d, bool) or not isinstance(d, (numbers.Integral, sp.Integer)) or int(d) < 3:
        raise ParameterError("d", d, "an integer >= 3 (dimension of the ambient space)")
    return int(d)


def _nonneg_array(x, name: str) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(name, x, "a non-negative number or array") from None
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        bad = a[~(np.isfinite(a) & (a >= 0))].ravel()[0]
        raise ParameterError(name, float(bad), "finite values >= 0")
    return a


def _energies(target, name: str = "target") -> np.ndarray:
    """Target energies per degree: finite, non-negative, finite sum."""
    try:
        e = np.asarray(target, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ParameterError(name, target, "a sequence of energies ||P_l f*||^2, l = 0, 1, ...") from None
    if e.size == 0:
        raise ParameterError(name, target, "at least one energy ||P_0 f*||^2")
    if np.any(np.isnan(e)) or np.any(e < 0):
        raise ParameterError(name, target, "energies ||P_l f*||^2 >= 0")
    with np.errstate(over="ignore"):
        tot = float(np.sum(e))
    if not math.isfinite(tot):
        raise ParameterError(name, target, "energies with a finite sum ||f*||^2 < oo (target in L^2)",
                             "the given energies do not sum to a finite norm")
    return e


# ---------------------------------------------------------------------------------------
# kernel spectrum
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KernelSpectrum:
    """Spectrum of ``K(x,x') = h(<x,x'>/d)`` on S^{d-1}(sqrt d) (module docstring normalisation).

    ``xi[l]`` (``Q_l(1) = 1`` convention), ``l = 0..L``; ``tail = sum_{l>L} xi_l`` (>= 0);
    ``B[l] = B(d, l)``; ``mu = xi/B`` operator eigenvalues; ``g = xi/sqrt(B)`` the project's
    Gegenbauer coefficients of ``h(t/sqrt d)``.
    """

    d: int
    xi: np.ndarray
    tail: float = 0.0
    label: str = ""
    B: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        d = _check_d(self.d)
        xi = np.asarray(self.xi, dtype=float).ravel()
        if xi.size == 0 or not np.all(np.isfinite(xi)) or np.any(xi < 0):
            raise ParameterError("xi", self.xi, "finite Gegenbauer coefficients xi_l >= 0 (a positive "
                                 "semi-definite kernel)")
        if not (math.isfinite(self.tail) and self.tail >= 0):
            raise ParameterError("tail", self.tail, "a finite value >= 0 (sum of xi_l beyond the list)")
        object.__setattr__(self, "d", d)
        object.__setattr__(self, "xi", xi)
        object.__setattr__(self, "tail", float(self.tail))
        object.__setattr__(self, "B", np.array([float(harmonic_dimension(d, l)) for l in range(xi.size)]))

    @property
    def mu(self) -> np.ndarray:
        return self.xi / self.B

    @property
    def g(self) -> np.ndarray:
        return self.xi / np.sqrt(self.B)

    @property
    def h1(self) -> float:
        """``K(x, x) = h(1) = sum_l xi_l``."""
        return float(self.xi.sum() + self.tail)


def xi_from_g(g, d) -> np.ndarray:
    """``xi_l = sqrt(B(d,l)) g_l``: project Gegenbauer coefficients (Sphere convention, of ``h(t/sqrt d)``)
    to the ``Q_l(1) = 1`` coefficients of Hu & Lu / REFERENCES paper 7."""
    d = _check_d(d)
    g = np.asarray(g, dtype=float)
    return g * np.sqrt([float(harmonic_dimension(d, l)) for l in range(g.size)])


def g_from_xi(xi, d) -> np.ndarray:
    """Inverse of :func:`xi_from_g`: ``g_l = xi_l / sqrt(B(d,l))``."""
    d = _check_d(d)
    xi = np.asarray(xi, dtype=float)
    return xi / np.sqrt([float(harmonic_dimension(d, l)) for l in range(xi.size)])


def _kernel_expr(kernel) -> sp.Expr:
    from ..bases.catalog import activation
    from ..bases.functions import Z

    expr = activation(kernel).expr if isinstance(kernel, str) else sp.sympify(kernel)
    stray = expr.free_symbols - {Z}
    if stray:
        raise ParameterError("kernel", str(expr), "an expression in z only (substitute the parameters)")
    return expr


def kernel_spectrum(kernel, d, degree: int, *, asymptotic: bool = False) -> KernelSpectrum:
    """Spectrum of ``K(x,x') = h(<x,x'>/d)`` for ``h`` a catalog name, expression string or sympy
    expression in ``z`` (the cosine): ``xi_0..xi_degree`` and the tail ``h(1) - sum xi_l``.

    ``asymptotic=True``: the ``d -> oo`` values ``xi_l = h^{(l)}(0)/l!`` (Taylor coefficients).

    >>> s = kernel_spectrum("exp", 30, 3)
    >>> [round(float(v), 4) for v in s.xi], round(s.tail, 4)
    ([1.0168, 1.0157, 0.4905, 0.1532], 0.0421)
    """
    from ..bases.functions import Z

    d = _check_d(d)
    if isinstance(degree, bool) or not isinstance(degree, numbers.Integral) or degree < 0:
        raise ParameterError("degree", degree, "an integer >= 0")
    expr = _kernel_expr(kernel)
    h1 = float(expr.subs(Z, 1))
    if not math.isfinite(h1):
        raise ParameterError("kernel", str(expr), "a kernel finite at z = 1 (K(x, x) = h(1))")
    if asymptotic:
        ser = sp.series(expr, Z, 0, degree + 1).removeO()
        xi = np.array([float(ser.coeff(Z, l)) for l in range(degree + 1)])
    else:
        e = gegenbauer_coefficients(expr.subs(Z, Z / sp.sqrt(d)), d, degree, exact=False)
        xi = xi_from_g(np.array([float(v) for v in e.coefficients]), d)
    if np.any(xi < -1e-12 * max(1.0, abs(h1))):
        bad = int(np.argmax(xi < 0))
        raise ParameterError("kernel", str(expr), "a positive semi-definite kernel (xi_l >= 0)",
                             f"xi_{bad} = {xi[bad]:.3g} < 0 at d = {d}")
    xi = np.clip(xi, 0.0, None)
    tail = h1 - float(xi.sum())
    if tail < -1e-9 * max(1.0, abs(h1)):
        raise ParameterError("kernel", str(expr), "a positive semi-definite kernel (h(1) >= sum xi_l)")
    return KernelSpectrum(d, xi, max(tail, 0.0), label=str(expr))


# ---------------------------------------------------------------------------------------
# learning curves
# ---------------------------------------------------------------------------------------

@dataclass
class KRRCurve:
    """Arrays (broadcast shape of ``n`` and ``ridge``) of the kernel ridge learning curve.

    ``risk`` = excess test risk ``E (f_hat - f*)^2``; ``bias``, ``variance`` its parts;
    ``kappa`` effective regularisation (operator-eigenvalue units for ``finite``; Hu & Lu's
    ``kappa`` relative to ``mu_k`` for ``asymptotic``); ``df1``, ``df2``; ``phase`` the degree
    being learned (finite: the lowest degree with ``mu_l <= kappa``; asymptotic: :func:`phase_degree`); ``train_error`` = (lam_A4/kappa)^2 (R + noise) (finite method only);
    ``derivation`` the registered Derivation.
    """

    n: np.ndarray
    ridge: np.ndarray
    risk: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    kappa: np.ndarray
    df1: np.ndarray
    df2: np.ndarray
    phase: np.ndarray
    train_error: np.ndarray | None
    method: str
    spectrum: KernelSpectrum
    derivation: Derivation

    def as_dict(self) -> dict:
        return {"n": self.n, "ridge": self.ridge, "risk": self.risk, "bias": self.bias,
                "variance": self.variance, "kappa": self.kappa, "phase": self.phase}


def _as_spectrum(kernel, d, degree) -> KernelSpectrum:
    if isinstance(kernel, KernelSpectrum):
        if d is not None and _check_d(d) != kernel.d:
            raise ParameterError("d", d, f"the spectrum's dimension {kernel.d}")
        return kernel
    d = _check_d(d)
    if isinstance(kernel, (str, sp.Basic)):
        return kernel_spectrum(kernel, d, degree)
    return KernelSpectrum(d, kernel, 0.0)


def phase_degree(n, d, k_max: int) -> np.ndarray:
    """Degree ``k`` whose block is being learned at ``n``: ``B_{k-1} B_k <= n^2 < B_k B_{k+1}``
    (``k`` in ``0..k_max``; geometric midpoints of consecutive ``B(d, l)``)."""
    d = _check_d(d)
    B = np.array([float(harmonic_dimension(d, l)) for l in range(k_max + 2)])
    mids = np.sqrt(B[:-1] * B[1:])[:k_max]
    return np.searchsorted(mids, np.asarray(n, dtype=float), side="right")


def _solve_kappa(lam_eff, n, B, mu):
    """kappa > 0 with lam_eff/kappa + sum_l B_l mu_l/(mu_l + kappa) = n (vectorised; kappa = 0 when
    lam_eff = 0 and n >= rank). Log-bisection on the bracket [lam_eff/n, (lam_eff + sum xi)/n],
    then Newton polish."""
    xi_sum = float(np.sum(B * mu))
    rank = float(np.sum(B[mu > 0]))
    hi = (lam_eff + xi_sum) / n
    lo = np.where(lam_eff > 0, lam_eff / n, hi * 1e-300)
    lo = np.minimum(lo, hi)
    llo, lhi = np.log(np.maximum(lo, 1e-300)), np.log(np.maximum(hi, 1e-300))
    Bm = B[:, None]
    mm = mu[:, None]
    lam_f = lam_eff.ravel()
    n_f = n.ravel()
    llo, lhi = llo.ravel(), lhi.ravel()

    def F(k):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(lam_f > 0, lam_f / k, 0.0) + np.sum(Bm * mm / (mm + k), axis=0) - n_f

    for _ in range(64):
        mid = 0.5 * (llo + lhi)
        pos = F(np.exp(mid)) > 0  # F decreasing: root is above mid
        llo = np.where(pos, mid, llo)
        lhi = np.where(pos, lhi, mid)
    k = np.exp(0.5 * (llo + lhi))
    for _ in range(2):
        with np.errstate(divide="ignore", invalid="ignore"):
            dF = -np.where(lam_f > 0, lam_f / k**2, 0.0) - np.sum(Bm * mm / (mm + k) ** 2, axis=0)
            step = F(k) / dF
        knew = k - step
        k = np.where(np.isfinite(knew) & (knew > 0), knew, k)
    k = np.where((lam_f == 0) & (n_f >= rank), 0.0, k)
    return k.reshape(n.shape)


def krr_curve(kernel, d=None, target=(0.0,), n=100, ridge=1e-3, noise=0.0, *, method: str = "finite",
              degree: int | None = None, k_max: int | None = None) -> KRRCurve:
    """Learning curve of kernel ridge regression on the sphere (normalisation: module docstring).

    kernel : a :class:`KernelSpectrum`; or the coefficients ``xi_0..xi_L`` (``Q_l(1) = 1``
        convention; no tail); or ``h`` as a catalog name / expression in ``z`` (then ``degree``,
        default ``len(target) + 1``, sets how many ``xi_l`` are computed; the rest is the tail).
    d : dimension (>= 3). target : energies ``||P_l f*||^2``, l = 0, 1, ... (degrees beyond the
        kernel's list are not learnable and count fully). n, ridge : arrays, broadcast together.
    noise : label-noise variance sigma^2. method : "finite" (one deterministic equivalent with exact
        ``B(d, l)``; continuous in ``n``) or "asymptotic" (Hu & Lu's per-phase formula, with the
        phase of :func:`phase_degree` up to ``k_max``, default ``L``).

    Returns a :class:`KRRCurve`. ``risk`` is ``inf`` at the interpolation threshold with zero
    effective ridge.
    """
    e = _energies(target)
    if degree is None:
        degree = max(e.size + 1, 3)
    spec = _as_spectrum(kernel, d, degree)
    d = spec.d
    n_a = np.asarray(n, dtype=float)
    if not np.all(np.isfinite(n_a)) or np.any(n_a <= 0):
        raise ParameterError("n", n, "sample sizes > 0")
    lam_a = _nonneg_array(ridge, "ridge")
    noise = float(_nonneg_array(noise, "noise"))
    n_b, lam_b = np.broadcast_arrays(n_a, lam_a)
    L = spec.xi.size - 1
    e_ker = np.zeros(L + 1)
    e_ker[: min(e.size, L + 1)] = e[: L + 1]
    e_rest = float(e[L + 1:].sum())
    if method == "finite":
        B, mu = spec.B, spec.mu
        lam_eff = lam_b + spec.tail
        kap = _solve_kappa(lam_eff, n_b, B, mu)
        k = kap.ravel()[None, :]
        Bm, mm = B[:, None], mu[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(mm > 0, mm / (mm + k), 0.0)
            df1 = np.sum(Bm * r, axis=0).reshape(kap.shape)
            df2 = np.sum(Bm * r**2, axis=0).reshape(kap.shape)
            s2 = np.sum(e_ker[:, None] * (1 - r) ** 2, axis=0).reshape(kap.shape) + e_rest
            D = 1 - df2 / n_b
            bad = D <= 1e-14
            bias = np.where(bad, np.where(s2 > 0, np.inf, 0.0), s2 / D)
            var = np.where(bad, np.inf if noise > 0 else 0.0, noise * (df2 / n_b) / D)
            train = np.where(kap > 0, (lam_b / n_b / np.where(kap > 0, kap, 1)) ** 2 * (bias + var + noise), 0.0)
        # phase: the degree with mu_l closest to kappa from above
        phase = np.sum(mm > kap.ravel()[None, :], axis=0).reshape(kap.shape)
        phase = np.minimum(phase, L)
        return KRRCurve(n_b, lam_b, bias + var, bias, var, kap, df1, df2, phase, train, "finite", spec,
                        KERNEL_RIDGE_POLYNOMIAL)
    if method != "asymptotic":
        raise ParameterError("method", method, "'finite' or 'asymptotic'")
    kmax = L if k_max is None else int(k_max)
    if not 0 <= kmax <= L:
        raise ParameterError("k_max", k_max, f"an integer in [0, {L}] (the kernel list's degree)")
    ph = phase_degree(n_b, d, kmax)
    xi_ext = spec.xi
    Bk = np.array([float(harmonic_dimension(d, l)) for l in range(L + 1)])[ph]
    xik = xi_ext[ph]
    above = np.concatenate([np.cumsum(xi_ext[::-1])[::-1][1:], [0.0]])  # sum_{l>k} xi_l
    lam_eff = lam_b + above[ph] + spec.tail
    psi = n_b / Bk
    e_full = np.concatenate([e_ker, [e_rest]])
    e_above = np.concatenate([np.cumsum(e_full[::-1])[::-1][1:], [0.0]])[ph]
    ek = e_ker[ph]
    with np.errstate(divide="ignore", invalid="ignore"):
        lam_r = lam_eff / (xik * psi)
        # lam_r = kap (1 - 1/(psi (1+kap)))  <=>  psi kap^2 + (psi - 1 - psi lam_r) kap - psi lam_r = 0
        b = psi - 1 - psi * lam_r
        kap = (-b + np.sqrt(b * b + 4 * psi * psi * lam_r)) / (2 * psi)
        kap = np.where(xik > 0, kap, np.inf)
        q = np.where(np.isfinite(kap), 1 / (psi * (1 + kap) ** 2), 0.0)
        D = 1 - q
        bad = D <= 1e-14
        frac = np.where(np.isfinite(kap), kap**2 / (1 + kap) ** 2, 1.0)
        bias = np.where(bad, np.inf, e_above + ek * frac / D + e_above * q / D)
        var = np.where(bad, np.inf if noise > 0 else 0.0, noise * q / D)
    return KRRCurve(n_b, lam_b, bias + var, bias, var, kap, np.where(np.isfinite(kap), 1 / (1 + kap), 0) * n_b / psi,
                    q * n_b, ph, None, "asymptotic", spec, KERNEL_RIDGE_PHASE)


# ---------------------------------------------------------------------------------------
# derivations
# ---------------------------------------------------------------------------------------

_l = sp.Symbol("ell", integer=True, nonnegative=True)
_L = sp.Symbol("L", integer=True, positive=True)
_n, _lam, _s2, _kap, _tail = sp.symbols("n lambda sigma2 kappa xi_tail", positive=True)
_xi, _B, _e, _MU = sp.IndexedBase("xi"), sp.IndexedBase("B"), sp.IndexedBase("e"), sp.IndexedBase("mu")
_mu = _MU[_l]
_df1 = sp.Sum(_B[_l] * _mu / (_mu + _kap), (_l, 0, _L))
_df2 = sp.Sum(_B[_l] * _mu**2 / (_mu + _kap) ** 2, (_l, 0, _L))
_erest = sp.Symbol("e_rest", nonnegative=True)
_bias_num = sp.Sum(_e[_l] * _kap**2 / (_mu + _kap) ** 2, (_l, 0, _L)) + _erest

KERNEL_RIDGE_POLYNOMIAL = register(Derivation(
    "kernel-ridge-polynomial",
    title="Kernel ridge regression on the sphere, all polynomial phases n ~ d^k (finite-d deterministic equivalent)",
    unknowns=[_kap],
    parameters=[_n, _lam, _s2, _tail, _L, _erest, _l],
    equations=[sp.Eq((_lam + _tail) / _n, _kap * (1 - _df1 / _n))],
    outputs={
        "mu_ell": _xi[_l] / _B[_l],
        "df1": _df1,
        "df2": _df2,
        "bias": _bias_num / (1 - _df2 / _n),
        "variance": _s2 * (_df2 / _n) / (1 - _df2 / _n),
        "risk": (_bias_num + _s2 * _df2 / _n) / (1 - _df2 / _n),
    },
    requires=["gegenbauer-expansion", "ridge-deterministic-equivalent"],
    reference="D. Hu and Y. M. Lu, Sharp Asymptotics of Kernel Ridge Regression Beyond the Linear Regime, "
              "arXiv:2205.06798 (2022); ridge deterministic equivalent (REFERENCES A4) with the kernel "
              "operator's spectrum",
    assumptions="x uniform on S^{d-1}(sqrt d); K(x,x') = h(<x,x'>/d) = sum_l xi_l Q_l(<x,x'>/d), Q_l(1) = 1 "
                "(xi_l = sqrt(B(d,l)) g_l of h(t/sqrt d)); operator eigenvalue mu_l = xi_l/B(d,l) with "
                "multiplicity B(d,l); predictor K(x,X)(K + lambda I)^{-1} y with the unnormalised kernel "
                "matrix (A4 ridge = lambda/n); xi_tail = sum_{l>L} xi_l acts as extra ridge; "
                "e_l = ||P_l f*||^2, e_rest = energy in degrees > L; sigma2 = label-noise variance; "
                "risk = E (f_hat - f*)^2 (excess, no test noise)",
    symbols={_lam: r"\lambda", _s2: r"\sigma^{2}", _kap: r"\kappa", _tail: r"\xi_{>L}",
             _l: r"\ell", "mu_ell": r"\mu_{\ell}", _erest: r"e_{>L}", "df1": r"\mathrm{df}_1", "df2": r"\mathrm{df}_2",
             "bias": r"\mathcal{B}", "variance": r"\mathcal{V}", "risk": r"\mathcal{R}"},
))

_psi, _xik, _ek, _eab, _lamab = sp.symbols("psi xi_k e_k e_above xi_above", positive=True)
_kr = sp.Symbol("kappa_r", positive=True)
_q = 1 / (_psi * (1 + _kr) ** 2)
KERNEL_RIDGE_PHASE = register(Derivation(
    "kernel-ridge-polynomial-phase",
    title="Kernel ridge regression at n = psi B(d,k): Hu & Lu's per-phase asymptotic formula",
    unknowns=[_kr],
    parameters=[_psi, _xik, _lam, _lamab, _s2, _ek, _eab],
    equations=[sp.Eq((_lam + _lamab) / (_xik * _psi), _kr * (1 - 1 / (_psi * (1 + _kr))))],
    outputs={
        "df2_over_n": _q,
        "risk": _eab + _ek * _kr**2 / (1 + _kr) ** 2 / (1 - _q) + (_s2 + _eab) * _q / (1 - _q),
    },
    requires=["kernel-ridge-polynomial"],
    reference="D. Hu and Y. M. Lu, arXiv:2205.06798 (2022), effective model (REFERENCES paper 7)",
    assumptions="n = psi B(d,k), d -> oo; degrees < k learned exactly, degree k block by ridge with "
                "lambda_eff = lambda + sum_{l>k} xi_l; e_k = ||P_k f*||^2, e_above = ||P_{>k} f*||^2; "
                "normalisation as kernel-ridge-polynomial",
    symbols={_psi: r"\psi", _xik: r"\xi_k", _lam: r"\lambda", _lamab: r"\xi_{>k}", _s2: r"\sigma^{2}",
             _ek: r"\|P_k f^*\|^2", _eab: r"\|P_{>k} f^*\|^2", _kr: r"\kappa",
             "df2_over_n": r"\mathrm{df}_2/n", "risk": r"\mathcal{R}"},
))
