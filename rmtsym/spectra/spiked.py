"""Bulk spectrum and outliers of spiked random features after one large gradient step.

Model (Cui et al., arXiv:2402.04980, "sRF"; Dandi et al., arXiv:2410.18938, the spectrum).
A two-layer network ``f(x) = a0^T sigma(W0 x)/sqrt(p)`` (``W0`` of size ``p x d`` with unit-norm
Gaussian rows, ``a0 = 1/sqrt(p)``) takes one full-batch gradient step with learning rate
``eta~ p`` on ``n0 = alpha0 d`` samples of ``y = sigma_*(x_1)``, ``x ~ N(0, I_d)``. The new
weights are, to leading order, a rank-one spike plus a rescaled bulk, so the features are those
of the *spiked random-features* model

    phi(x) = sigma(W x + r kappa 1),   W = c^{1/2} W0,   kappa = <v, x>/sqrt(d) ~ N(0, 1),

with ``|v|^2 = d``. :func:`spiked_rf_parameters` gives ``(r, c, gamma)`` from the step.

Convention for ``c``: ``c`` is the *variance* of the bulk pre-activations (rows of ``W`` have
norm ``c^{1/2}``); paper 5's code calls ``c^{1/2}`` ``cW``.

Bulk deterministic equivalent (paper 1). Conditionally on ``kappa`` the features are
Gaussian-equivalent: ``phi ~ mu0(kappa) 1 + mu1(kappa) W Pi x + mu2(kappa) xi`` with

    mu0(k) = E sigma(r k + c^{1/2} g),  mu1(k) = E[sigma(r k + c^{1/2} g) g]/c^{1/2},
    mu2(k)^2 = E sigma(r k + c^{1/2} g)^2 - mu0(k)^2 - c mu1(k)^2        (g ~ N(0,1)),

so the conditional covariance is ``Sigma(k) = mu1(k)^2 Omega + mu2(k)^2 I``, ``Omega = W Pi W^T``,
``Pi = I - v v^T/d``. For the ``p x p`` matrix ``Phi^T Phi / n`` (``Phi`` is ``n x p``, one row
per sample) the resolvent is approximately ``Rbar(z) = (a Omega + b - z)^{-1}`` with

    a = E_k[mu1^2/(1 + delta(k))],   b = E_k[mu2^2/(1 + delta(k))],
    delta(k) = mu1(k)^2 delta1 + mu2(k)^2 delta2,
    delta1 = (1/n) tr Omega Rbar,   delta2 = (1/n) tr Rbar,

and ``m(z) = (1/p) tr Rbar(z)`` (docs/conventions.md, "Stieltjes transform":
``m(z) = int dmu(x)/(x - z)``). Writing ``psi = p/n`` and ``H`` for the spectral law of ``Omega``:
``delta2 = psi int dH(t)/(a t + b - z)``, ``delta1 = psi int t dH(t)/(a t + b - z)``.

Law of ``Omega`` (``omega="mp"``). The rows of ``W0`` are ``g_j/|g_j|`` with ``g_j ~ N(0, I_d)``,
so ``W0 W0^T`` has the limiting spectrum of ``X X^T/N`` with ``X`` of size ``p x N``, ``N = d``:
Marchenko–Pastur with ratio ``gamma_MP = p/d`` (docs/conventions.md, "Marchenko–Pastur"; the row
normalisation and the projection ``Pi`` are rank-one / O(1/sqrt d) effects). Hence
``H = law of c X X^T/d = c * MP(p/d)``, with an atom ``1 - d/p`` at 0 when ``p > d``. Its
Stieltjes transform is used in closed form (analytically continued off ``[0, inf)``); a finite-``d``
``Omega`` can be given instead by its eigenvalues.

Outliers (derived here; see :meth:`SpikedRFSpectrum.outliers`). The low-rank part of the
features is ``Phi ~ u 1^T + t beta^T + Psi`` with ``u_mu = mu0(kappa_mu)``,
``t_mu = kappa_mu mu1(kappa_mu)`` and ``beta = W v/sqrt(d)`` (``|beta|^2 ~ c p/d``; conditional
mean of ``phi`` given ``kappa`` to first order). Generalising Benaych-Georges & Nadakuditi to rows
whose covariance depends on ``kappa`` (the ``n x n`` resolvent is asymptotically diagonal with
entries ``1/(lambda (1 + delta(kappa_mu)))``), an eigenvalue ``lambda`` above the bulk is an
outlier iff

    det( I_2 + m(lambda) E_k[ U U^T / (1 + delta(k; lambda)) ] diag(p, c p/d) ) = 0,
    U(k) = (mu0(k), k mu1(k)),

so there are at most two outliers (none when ``mu0 = 0`` and no spike root, e.g. odd sigma at
``r = 0``). For large ``p`` the root along ``1`` expands as

    lambda_1 = p E[mu0^2] + E[v] + (p/n) E[mu0^2 v]/E[mu0^2] + (c p/d) E[k mu0 mu1]^2/E[mu0^2] + O(1/p),

``v = c mu1^2 + mu2^2``; the second root (along ``beta``) solves, once ``1`` is projected out,
``(c p/d) (-m(lambda)) Res(lambda) = 1`` with ``Res`` the ``1/(1+delta)``-weighted residual of
``t`` after regression on ``mu0``. Beyond Gaussian equivalence the top outlier gets the
first-order corrections ``(p/d) E[c2^2] + (c p/d) E[mu0 (k^2 - 1) dmu1]`` (degree-2 Hermite
correlations between neurons, ``c2(k) = c dmu1(k)/sqrt 2``, and the mean/variance shift of each
neuron's pre-activation along ``v``; ``dmu1 = d mu1/dm = E sigma''``). The top outlier
fluctuates with sd ``[p^2 Var(mu0^2)/n + 4 E[k mu0 mu1]^2 c p/d]^{1/2}`` (sample average of
``mu0(kappa)^2`` and the random overlap ``1.W v``), which dominates the O(1) terms.
Checked by simulation: tanh, r = 1.5 (one outlier; 20 replicates at p = 400: O(1) part 0.23 +- 0.08
vs 0.33 predicted once the realised average of ``mu0^2`` is removed); ReLU, r = 3, d = p/2 (80
replicates: 1.87 +- 0.35 vs 1.84); cos(2z), r = 0.3, c = 0.5, d = p/10, n = 8p (two outliers:
54.19 +- 0.20 vs 54.04, where Gaussian equivalence alone gives 51.1; second 1.95 +- 0.03 vs 1.91,
bulk edge 1.70).

Numbers checked (tests/test_spiked.py): paper 5's intermediate values for tanh/sin,
``alpha0 = 20``, ``eta~ = 3``; the REFERENCES point ``d = p = 800``, ``n = 1600``, tanh,
``r = 1.5``, ``c = 1``; the ``r = 0`` limit against the Pennington–Worah quartic and simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import numpy as np
import sympy as sp

from ..core.derivation import Derivation
from ..core.graph import register
from ..core.solve import ConvergenceReport, FIXED_POINT, NEWTON, FAILED
from ..errors import ParameterError

__all__ = [
    "SRFParameters",
    "spiked_rf_parameters",
    "ConditionalCoefficients",
    "conditional_coefficients",
    "SpikedRFSolution",
    "Outliers",
    "SpikedRFSpectrum",
    "spiked_rf_spectrum",
    "SPIKED_RF_BULK",
]

_L = 12.0  # half-width of the integration window in units of one standard deviation


# --------------------------------------------------------------------------------------------
# activations and Gaussian averages
# --------------------------------------------------------------------------------------------
def _as_expr(f, name: str):
    """A sympy expression in ``rmtsym.bases.functions.Z``, or None for a numpy callable."""
    from ..bases.functions import Z

    if isinstance(f, str):
        from ..bases.catalog import activation

        return activation(f).expr
    if hasattr(f, "expr") and isinstance(getattr(f, "expr"), sp.Basic):
        return f.expr
    if isinstance(f, sp.Basic):
        e = sp.sympify(f)
        free = e.free_symbols
        if free and free != {Z}:
            if len(free) == 1 and next(iter(free)).name == "z":
                e = e.subs(next(iter(free)), Z)
            else:
                raise ParameterError(name, str(f), "an expression in the single variable z",
                                     f"free symbols {sorted(map(str, free))}; substitute parameters first")
        return e
    if callable(f):
        return None
    raise ParameterError(name, f, "an activation name, a sympy expression in z, an Activation "
                                  "or a numpy callable")


def _as_numpy(f, name: str) -> tuple[Callable, list[float]]:
    """``(vectorised callable, kinks)`` for an activation given in any accepted form."""
    from ..bases.functions import breakpoints, to_numpy

    e = _as_expr(f, name)
    if e is None:
        return (lambda x: np.asarray(f(np.asarray(x, dtype=float)), dtype=float)), []
    return to_numpy(e), breakpoints(e)


def _derivative(f, name: str) -> tuple[Callable, list[float]]:
    from ..bases.functions import Z, breakpoints, to_numpy

    e = _as_expr(f, name)
    if e is None:
        raise ParameterError(name, f, "a sympy expression or catalog name (its derivative is needed)")
    de = sp.diff(e, Z)
    return to_numpy(de), sorted(set(breakpoints(de)) | set(breakpoints(e)))


def _check_order(order, name: str, lo: int = 8, hi: int = 400) -> int:
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or not lo <= order <= hi:
        raise ParameterError(name, order, f"an integer in [{lo}, {hi}]")
    return int(order)


def _gauss_hermite(order: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of ``E h(G)``, ``G ~ N(0,1)``, exact for polynomials of degree < 2 order."""
    x, w = np.polynomial.hermite_e.hermegauss(order)
    return x, w / w.sum()


def _inner_rule(shifts: np.ndarray, scale: float, kinks: list[float], order: int, rule: str = "panels"):
    """Nodes ``g`` (shape ``shifts.shape + (N,)``) and weights for ``E F(shift + scale G)``.

    ``rule="panels"``: composite Gauss–Legendre with the Gaussian density in the weights on
    ``[-12, 12]``, 12 equal panels plus a split at every kink ``(b_i - shift)/scale`` (per shift),
    ``max(order // 12, 8)`` nodes per panel (accurate to ~1e-13 for tanh(2z) at 192 nodes, where
    Gauss–Hermite needs > 250). ``rule="hermite"``: Gauss–Hermite with ``order`` nodes (smooth
    functions only; kinked functions still use the panels).
    """
    shifts = np.asarray(shifts, dtype=float)
    if rule == "hermite" and not kinks:
        g, w = _gauss_hermite(order)
        return np.broadcast_to(g, shifts.shape + g.shape), np.broadcast_to(w, shifts.shape + w.shape)
    npan = 12
    m = max(order // npan, 8)
    xg, wg = np.polynomial.legendre.leggauss(m)
    base = np.broadcast_to(np.linspace(-_L, _L, npan + 1), (shifts.size, npan + 1))
    if kinks and scale > 0:
        cuts = np.clip((np.asarray(kinks)[None, :] - shifts.reshape(-1, 1)) / scale, -_L, _L)
        edges = np.sort(np.concatenate([base, cuts], axis=1), axis=1)
    else:
        edges = base
    lo, hi = edges[:, :-1, None], edges[:, 1:, None]
    g = (lo + hi) / 2 + (hi - lo) / 2 * xg
    w = (hi - lo) / 2 * wg * np.exp(-g**2 / 2) / math.sqrt(2 * math.pi)
    return g.reshape(shifts.shape + (-1,)), w.reshape(shifts.shape + (-1,))


def _expect(fun: Callable, shifts, scale: float, kinks: list[float], order: int, powers=(0,),
            rule: str = "panels"):
    """``E[F(shift + scale G) G^j]`` for each shift and each ``j`` in ``powers`` (list of arrays)."""
    shifts = np.asarray(shifts, dtype=float)
    g, w = _inner_rule(shifts, scale, kinks, order, rule)
    F = fun(shifts[..., None] + scale * g)
    return [np.sum(w * F * g**j, axis=-1) for j in powers]


# --------------------------------------------------------------------------------------------
# sRF parameters from one gradient step (paper 5)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SRFParameters:
    """Parameters of the spiked random-features model after one gradient step.

    Unpacks as ``r, c, gamma = spiked_rf_parameters(...)``. ``c`` is the bulk variance
    (``c_sqrt = c^{1/2}``); ``rho = sqrt(1 - gamma^2)``. The intermediate Gaussian averages:
    ``mu1 = E[G sigma(G)]``, ``mu1_star = E[G sigma_*(G)]``, ``s2 = E[sigma_*(G)^2]`` (a second
    moment), ``hcheck2 = E[(sigma'(G) - mu1)^2]``.
    """

    r: float
    c: float
    gamma: float
    mu1: float
    mu1_star: float
    s2: float
    hcheck2: float
    learning_rate: float
    alpha0: float
    quad_order: int

    def __iter__(self):
        return iter((self.r, self.c, self.gamma))

    @property
    def c_sqrt(self) -> float:
        return math.sqrt(self.c)

    @property
    def rho(self) -> float:
        return math.sqrt(max(0.0, 1.0 - self.gamma**2))


def spiked_rf_parameters(activation, target, learning_rate: float, alpha0: float, *,
                         quad_order: int = 200) -> SRFParameters:
    """``(r, c, gamma)`` of the sRF model after one large gradient step (paper 5, "sRF parameters").

    ``activation`` (sigma) and ``target`` (sigma_*) are catalog names, sympy expressions in ``z``
    or :class:`~rmtsym.bases.catalog.Activation` objects (sigma must be symbolic: ``sigma'`` is
    needed). ``learning_rate`` is ``eta~`` (the step is ``W1 = W0 + eta~ p G^T``), ``alpha0 = n0/d``.
    Gaussian averages by Gauss–Hermite quadrature with ``quad_order`` nodes (at most 250; for a
    function with kinks, where Gauss–Hermite converges slowly, composite Gauss–Legendre with the
    Gaussian weight split at the kinks, ``quad_order`` nodes in all):

        r = eta~ mu1 (s2/alpha0 + mu1*^2)^{1/2},   c = 1 + eta~^2 s2 hcheck2/alpha0,
        gamma = mu1*/(s2/alpha0 + mu1*^2)^{1/2}.

    Derivation (checked against the gradient-step sampler in the tests): writing
    ``sigma'(w.x) = mu1 + (sigma'(w.x) - mu1)``, the step adds ``1 u^T`` with
    ``u = eta~ mu1 X^T y/n0`` (norm ``r``, overlap ``gamma`` with ``e_1``) plus a bulk whose rows
    have squared norm ``eta~^2 s2 hcheck2/alpha0``. Paper 5's ``theory.ipynb`` multiplies the bulk
    term by an extra ``mu1^2`` (``cW_th``); REFERENCES' transcription and our sampler agree with
    the formula above (for tanh/sin, alpha0 = 20, eta~ = 3: c^{1/2} = 1.00944).

    >>> r, c, g = spiked_rf_parameters("tanh", "sin", 3, 20)
    >>> round(r, 5), round(math.sqrt(c), 5), round(g, 5)
    (1.13406, 1.00944, 0.97185)
    """
    order = _check_order(quad_order, "quad_order", 8, 250)
    if not (isinstance(learning_rate, (int, float, np.floating, np.integer)) and math.isfinite(learning_rate)
            and learning_rate >= 0):
        raise ParameterError("learning_rate", learning_rate, "a finite number >= 0")
    if not (isinstance(alpha0, (int, float, np.floating, np.integer)) and alpha0 > 0 and math.isfinite(alpha0)):
        raise ParameterError("alpha0", alpha0, "a finite number > 0 (alpha0 = n0/d)")
    f, fk = _as_numpy(activation, "activation")
    df, dk = _derivative(activation, "activation")
    ft, tk = _as_numpy(target, "target")
    z0 = np.zeros(1)

    def E(fun, kinks, power=0):
        return float(_expect(fun, z0, 1.0, kinks, order, (power,), rule="hermite")[0][0])

    mu1 = E(f, fk, 1)
    mu1s = E(ft, tk, 1)
    s2 = E(lambda x: ft(x) ** 2, tk)
    e1, e2 = E(df, dk), E(lambda x: df(x) ** 2, dk)
    hcheck2 = float(e2 - 2 * mu1 * e1 + mu1**2)
    eta, a0 = float(learning_rate), float(alpha0)
    norm = math.sqrt(s2 / a0 + mu1s**2)
    r = eta * mu1 * norm
    c = 1.0 + eta**2 * s2 * hcheck2 / a0
    gamma = mu1s / norm if norm > 0 else 0.0
    return SRFParameters(r=r, c=c, gamma=gamma, mu1=mu1, mu1_star=mu1s, s2=s2, hcheck2=hcheck2,
                         learning_rate=eta, alpha0=a0, quad_order=order)


# --------------------------------------------------------------------------------------------
# conditional coefficients
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConditionalCoefficients:
    """``mu0(k), mu1(k), mu2(k)^2`` (and ``dmu1/dm = E sigma''``, ``v = Var``) at the nodes ``kappa``
    with Gaussian weights ``weights`` (``E_k h(k) ~ sum weights * h(kappa)``)."""

    kappa: np.ndarray
    weights: np.ndarray
    mu0: np.ndarray
    mu1: np.ndarray
    mu2sq: np.ndarray
    dmu1: np.ndarray
    r: float
    c: float

    @property
    def variance(self) -> np.ndarray:
        """``v(k) = Var sigma(r k + c^{1/2} G) = c mu1^2 + mu2^2``."""
        return self.c * self.mu1**2 + self.mu2sq

    def mean(self, values) -> np.ndarray:
        """``E_k[values(k)]`` by the quadrature (last axis of ``values`` runs over the nodes)."""
        return np.asarray(values) @ self.weights


def conditional_coefficients(activation, r: float, c: float, kappa=None, *, quad_order: int = 64,
                             inner_order: int = 192) -> ConditionalCoefficients:
    """Conditional Gaussian-equivalence coefficients of ``sigma(r kappa + c^{1/2} G)``.

    ``kappa`` defaults to the ``quad_order`` Gauss–Hermite nodes (with their weights); given
    explicitly, the weights are NaN. Inner averages over ``G``: composite Gauss–Legendre with the
    Gaussian weight on ``[-12, 12]`` (12 panels, split at the kinks of a kinked activation),
    ``inner_order`` nodes in all.

    >>> cc = conditional_coefficients("tanh", 0.0, 1.0)
    >>> round(float(cc.mu1[0]), 6), round(float(cc.mean(cc.mu0**2)), 12)
    (0.605706, 0.0)
    """
    r, c = _check_rc(r, c)
    fun, kinks = _as_numpy(activation, "activation")
    inner = _check_order(inner_order, "inner_order", 8, 2000)
    if kappa is None:
        k, wk = _gauss_hermite(_check_order(quad_order, "quad_order", 2, 250))
    else:
        k = np.atleast_1d(np.asarray(kappa, dtype=float))
        wk = np.full(k.shape, np.nan)
    s = math.sqrt(c)
    e0, e1, e2 = _expect(fun, r * k, s, kinks, inner, (0, 1, 2))
    sq = _expect(lambda x: fun(x) ** 2, r * k, s, kinks, inner, (0,))[0]
    mu0 = e0
    mu1 = e1 / s if s > 0 else np.zeros_like(e0)
    mu2sq = np.maximum(sq - mu0**2 - c * mu1**2, 0.0)
    dmu1 = (e2 - e0) / c if c > 0 else np.zeros_like(e0)
    if not (np.all(np.isfinite(mu0)) and np.all(np.isfinite(sq))):
        raise ParameterError("activation", str(activation), "a function with finite Gaussian moments",
                             "non-finite conditional moments")
    return ConditionalCoefficients(k, wk, mu0, mu1, mu2sq, dmu1, r, c)


def _check_rc(r, c) -> tuple[float, float]:
    try:
        r, c = float(r), float(c)
    except (TypeError, ValueError):
        raise ParameterError("r, c", (r, c), "real numbers") from None
    if not math.isfinite(r):
        raise ParameterError("r", r, "a finite real number")
    if not (math.isfinite(c) and c > 0):
        raise ParameterError("c", c, "a finite number > 0 (variance of the bulk pre-activations)")
    return r, c


# --------------------------------------------------------------------------------------------
# law of Omega: closed-form c*MP(p/d), or given eigenvalues
# --------------------------------------------------------------------------------------------
class _MPLaw:
    """``H = c * MP(gamma)``: law of ``c X X^T/N``, ``X`` of size ``p x N``, ``gamma = p/N``."""

    def __init__(self, c: float, gamma: float):
        self.c, self.gamma = c, gamma
        self.lm, self.lp = (1 - math.sqrt(gamma)) ** 2, (1 + math.sqrt(gamma)) ** 2
        self.mean = c
        self.top = c * self.lp

    def _m(self, w):
        """MP Stieltjes transform and derivative at complex ``w`` off ``[lm, lp]`` (and 0)."""
        g = self.gamma
        s = np.sqrt(w - self.lm) * np.sqrt(w - self.lp)  # cut exactly on [lm, lp]
        m = (1 - g - w + s) / (2 * g * w)
        dm = -(g * m**2 + m) / (2 * g * w * m - (1 - g - w))
        return m, dm

    def moments(self, a, b, z):
        """``int t^k dH/(a t + b - z)`` for k = 0, 1 and ``int t^k dH/(a t + b - z)^2`` for k = 0, 1, 2."""
        w = (z - b) / a
        m, dm = self._m(w / self.c)
        mH, dmH = m / self.c, dm / self.c**2
        I0 = mH / a
        I1 = (1 + w * mH) / a
        J0 = dmH / a**2
        J1 = (mH + w * dmH) / a**2
        J2 = (1 + 2 * w * mH + w**2 * dmH) / a**2
        return I0, I1, J0, J1, J2


class _DiscreteLaw:
    """``H = (1/p) sum_i delta_{t_i}`` for given eigenvalues ``t_i``."""

    def __init__(self, t: np.ndarray):
        self.t = np.sort(np.asarray(t, dtype=float))
        self.mean = float(self.t.mean())
        self.top = float(self.t[-1])

    def moments(self, a, b, z):
        out = [np.empty(np.shape(z), dtype=complex) for _ in range(5)]
        t = self.t[:, None]
        block = max(1, int(2_000_000 // max(self.t.size, 1)))  # bound the (p, block) temporaries
        for i in range(0, np.size(z), block):
            sl = slice(i, i + block)
            R = 1.0 / (a[sl][None, :] * t + (b[sl] - z[sl])[None, :])
            R2 = R * R
            for k, v in enumerate((R.mean(0), (t * R).mean(0), R2.mean(0), (t * R2).mean(0), (t * t * R2).mean(0))):
                out[k][sl] = v
        return tuple(out)


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SpikedRFSolution:
    """Solution of the two-scalar fixed point at each ``z`` (NaN where ``report.ok`` is False).

    ``m = (1/p) tr Rbar``, ``delta1 = (1/n) tr Omega Rbar``, ``delta2 = (1/n) tr Rbar``,
    ``a``, ``b`` as in the module docstring.
    """

    z: np.ndarray
    m: np.ndarray
    delta1: np.ndarray
    delta2: np.ndarray
    a: np.ndarray
    b: np.ndarray
    report: ConvergenceReport

    def __repr__(self) -> str:
        return f"SpikedRFSolution(shape={self.z.shape}, failed={self.report.n_failed})"


@dataclass(frozen=True)
class Outliers:
    """Outlier eigenvalues of ``Phi^T Phi / n`` predicted at finite ``p`` (largest first).

    ``count`` outliers at ``locations``; ``directions`` names each (``"mean (1)"`` or
    ``"spike (W v)"``). ``top_leading = p E[mu0^2]`` is the leading term of the largest,
    ``top_corrections`` its O(1) terms by name, ``top_sd`` the standard deviation of its
    fluctuations (sample average of ``mu0(kappa)^2`` and the random overlap ``1.W v``),
    ``bulk_edge`` the right edge of the bulk, ``notes`` what was approximated.
    """

    count: int
    locations: tuple[float, ...]
    directions: tuple[str, ...]
    top_leading: float
    top_corrections: dict = field(default_factory=dict)
    top_sd: float = float("nan")
    bulk_edge: float = float("nan")
    p: int = 0
    notes: tuple[str, ...] = ()

    @property
    def largest(self) -> float:
        return self.locations[0] if self.locations else float("nan")


# --------------------------------------------------------------------------------------------
# the spectrum
# --------------------------------------------------------------------------------------------
class SpikedRFSpectrum:
    """Limiting bulk spectrum of ``Phi^T Phi / n`` for spiked random features, and its outliers.

    Built by :func:`spiked_rf_spectrum`. Methods: :meth:`solve` (``m``, ``delta1``, ``delta2``,
    ``a``, ``b`` and a convergence report), :meth:`stieltjes`, :meth:`deltas`, :meth:`density`,
    :meth:`cdf` / :meth:`cdf_contour`, :meth:`support` / :meth:`intervals`, :meth:`atom`,
    :meth:`mass`, :meth:`outliers`. Values that did not converge are NaN; the report of the last
    call is in :attr:`last_report`.

    Notes. The average over ``kappa`` is a Gauss–Hermite sum, i.e. a finite mixture. Where the
    feature variance ``v(kappa)`` vanishes at large ``|kappa|`` (saturating activations, large
    ``r``) and ``p > n``, the continuous part of the law near 0 is then split into thin pieces, one
    per node: the density there is a quadrature artefact, and the distribution function there
    moves by ~2e-3 between ``quad_order`` 64 and 128 (:meth:`cdf_contour` computes it without
    resolving the real axis). Elsewhere the law converges fast in ``quad_order``.
    """

    def __init__(self, coeffs: ConditionalCoefficients, law, *, psi: float, d_over_p: float | None,
                 p: int | None, tol: float, max_iter: int, label: str):
        self.coefficients = coeffs
        self._law = law
        self.psi = psi
        self.n_over_p = 1.0 / psi
        self.d_over_p = d_over_p
        self.p = p
        self.tol = tol
        self.max_iter = max_iter
        self.label = label
        self.last_report: ConvergenceReport | None = None
        A, B = coeffs.mu1**2, coeffs.mu2sq
        self._A, self._B, self._w = A, B, coeffs.weights
        self._linear_free = bool(np.max(A) < 1e-300)
        # scale of the spectrum: mean eigenvalue of the bulk = E[mu1^2] E_H t + E[mu2^2]
        self.scale = float(self._w @ A * law.mean + self._w @ B)
        if not self.scale > 0:
            raise ParameterError("activation", "constant", "a non-constant activation",
                                 "the bulk is a point mass at 0")

    def __repr__(self) -> str:
        return (f"SpikedRFSpectrum({self.label}, r={self.coefficients.r:g}, c={self.coefficients.c:g}, "
                f"n/p={self.n_over_p:g}, omega={'MP(p/d = %g)' % (1 / self.d_over_p) if isinstance(self._law, _MPLaw) else 'eigenvalues'})")

    # ---- the fixed point --------------------------------------------------------------------
    def _ab(self, d1, d2):
        A, B, w = self._A[:, None], self._B[:, None], self._w[:, None]
        den = 1.0 + A * d1[None, :] + B * d2[None, :]
        inv = 1.0 / den
        inv2 = inv * inv
        a = np.sum(w * A * inv, 0)
        b = np.sum(w * B * inv, 0)
        da1 = -np.sum(w * A * A * inv2, 0)
        dab = -np.sum(w * A * B * inv2, 0)
        db2 = -np.sum(w * B * B * inv2, 0)
        return a, b, da1, dab, db2

    def _moments(self, a, b, z):
        if self._linear_free:
            R = 1.0 / (b - z)
            t1 = self._law.mean
            # second moment of H is only needed in J2 * da (da = 0 here)
            return R, t1 * R, R * R, t1 * R * R, np.zeros_like(R)
        return self._law.moments(a, b, z)

    def _residual(self, d1, d2, z):
        a, b, da1, dab, db2 = self._ab(d1, d2)
        I0, I1, J0, J1, J2 = self._moments(a, b, z)
        F1 = d1 - self.psi * I1
        F2 = d2 - self.psi * I0
        # d I1/da = -J2, d I1/db = -J1, d I0/da = -J1, d I0/db = -J0
        dI1_d1 = -J2 * da1 - J1 * dab
        dI1_d2 = -J2 * dab - J1 * db2
        dI0_d1 = -J1 * da1 - J0 * dab
        dI0_d2 = -J1 * dab - J0 * db2
        J11 = 1 - self.psi * dI1_d1
        J12 = -self.psi * dI1_d2
        J21 = -self.psi * dI0_d1
        J22 = 1 - self.psi * dI0_d2
        return F1, F2, (J11, J12, J21, J22), (a, b, I0)

    def _newton(self, d1, d2, z, iters):
        """Damped Newton (step halved while the residual grows); returns (d1, d2, res, it)."""
        res = np.full(z.shape, np.inf)
        it = np.zeros(z.shape, int)
        active = np.ones(z.shape, bool)
        for _ in range(iters):
            if not active.any():
                break
            idx = np.nonzero(active)[0]
            x1, x2, zz = d1[idx], d2[idx], z[idx]
            F1, F2, (J11, J12, J21, J22), _ = self._residual(x1, x2, zz)
            nrm = np.sqrt(np.abs(F1) ** 2 + np.abs(F2) ** 2)
            scl = 1.0 + np.abs(x1) + np.abs(x2)
            r = nrm / scl
            res[idx] = r
            done = r <= self.tol
            det = J11 * J22 - J12 * J21
            s1 = -(F1 * J22 - F2 * J12) / det
            s2 = -(J11 * F2 - J21 * F1) / det
            # backtracking: accept the largest step in 1, 1/2, 1/4, ... that lowers |F|
            step = np.ones(idx.size)
            best1, best2 = x1 + s1, x2 + s2
            with np.errstate(all="ignore"):
                for _bt in range(6):
                    G1, G2, _, _ = self._residual(best1, best2, zz)
                    ok = np.sqrt(np.abs(G1) ** 2 + np.abs(G2) ** 2) < nrm * (1 - 1e-4 * step) + 1e-300
                    ok |= done
                    if ok.all():
                        break
                    step = np.where(ok, step, step / 2)
                    best1 = np.where(ok, best1, x1 + step * s1)
                    best2 = np.where(ok, best2, x2 + step * s2)
            bad = ~np.isfinite(best1) | ~np.isfinite(best2)
            d1[idx] = np.where(done | bad, x1, best1)
            d2[idx] = np.where(done | bad, x2, best2)
            it[idx] += 1
            active[idx[done | bad]] = False
        F1, F2, _, _ = self._residual(d1, d2, z)
        with np.errstate(all="ignore"):
            res = np.sqrt(np.abs(F1) ** 2 + np.abs(F2) ** 2) / (1.0 + np.abs(d1) + np.abs(d2))
        return d1, d2, np.where(np.isfinite(res), res, np.inf), it

    def _fixed_point(self, d1, d2, z, iters, damping=0.5):
        for _ in range(iters):
            a, b, *_ = self._ab(d1, d2)
            I0, I1, *_ = self._moments(a, b, z)
            d1 = damping * d1 + (1 - damping) * self.psi * I1
            d2 = damping * d2 + (1 - damping) * self.psi * I0
        return d1, d2

    def _initial(self, z):
        return -self.psi * self._law.mean / z, -self.psi / z

    def _admissible(self, d1, d2, z):
        a, b, *_ = self._ab(d1, d2)
        m = self._moments(a, b, z)[0]
        eps = 1e-10
        ok = (d1.imag >= -eps * np.abs(d1)) & (d2.imag >= -eps * np.abs(d2)) & (m.imag >= -eps * np.abs(m)) \
            & (a.imag <= eps * np.abs(a) + 1e-300) & (b.imag <= eps * np.abs(b) + 1e-300)
        return ok, a, b, m

    def _predict(self, d1, d2, z_old, z_new):
        """Euler predictor ``delta + (d delta/dz) (z_new - z_old)`` (implicit-function theorem)."""
        F1, F2, (J11, J12, J21, J22), (a, b, _) = self._residual(d1, d2, z_old)
        _, _, J0, J1, _ = self._moments(a, b, z_old)
        g1, g2 = -self.psi * J1, -self.psi * J0  # dF/dz
        det = J11 * J22 - J12 * J21
        v1 = -(g1 * J22 - g2 * J12) / det
        v2 = -(J11 * g2 - J21 * g1) / det
        dz = z_new - z_old
        p1, p2 = d1 + v1 * dz, d2 + v2 * dz
        bad = ~np.isfinite(p1) | ~np.isfinite(p2)
        return np.where(bad, d1, p1), np.where(bad, d2, p2)

    def solve(self, z) -> SpikedRFSolution:
        """Solve the two-scalar fixed point at every complex ``z`` (``Im z > 0``).

        Method: Newton (analytic Jacobian, backtracking) continued in ``Im z`` from
        ``Re z + i max(10 scale, 1)`` down to ``z``: each stage divides ``Im z`` by up to 4, starts
        from an Euler predictor, and is accepted only if Newton converges to an admissible point
        (otherwise the step is shortened), so the branch ``Im m > 0`` is followed. Points that
        cannot be continued get a damped fixed-point iteration from ``-1/z`` and a Newton polish.
        A point is returned only if its relative residual is ``<= tol`` and the branch rule holds
        (``Im delta1, Im delta2, Im m >= -1e-10 |.|``, ``Im a, Im b <= 1e-10 |.|``); otherwise NaN,
        with the verdict in the report.
        """
        z = np.asarray(z, dtype=complex)
        shape = z.shape
        zf = z.ravel().copy()
        if zf.size and not np.all(zf.imag > 0):
            raise ParameterError("z", "values with Im z <= 0", "complex numbers with Im z > 0",
                                 "the bulk solution is defined in the upper half plane; use density(x) on the real line")
        n = zf.size
        x, y = zf.real, zf.imag
        y_top = max(10.0 * self.scale, 1.0)
        cur = np.maximum(y, y_top)
        iters = np.zeros(n, int)
        method = np.full(n, NEWTON)
        with np.errstate(all="ignore"):
            d1, d2 = self._initial(x + 1j * cur)
            d1, d2, res, it = self._newton(d1, d2, x + 1j * cur, self.max_iter)
            iters += it
            ok0, *_ = self._admissible(d1, d2, x + 1j * cur)
            dead = ~((res <= self.tol) & ok0)
            done = (cur <= y) & ~dead
            factor = np.full(n, 8.0)
            for _stage in range(400):
                act = np.nonzero(~done & ~dead)[0]
                if act.size == 0:
                    break
                yo = cur[act]
                yn = np.maximum(y[act], yo / factor[act])
                zo, zn = x[act] + 1j * yo, x[act] + 1j * yn
                p1, p2 = self._predict(d1[act], d2[act], zo, zn)
                n1, n2, r, it = self._newton(p1, p2, zn, 30)
                iters[act] += it
                adm, *_ = self._admissible(n1, n2, zn)
                good = (r <= self.tol) & adm
                ga, ba = act[good], act[~good]
                d1[ga], d2[ga], cur[ga] = n1[good], n2[good], yn[good]
                factor[ga] = np.minimum(32.0, factor[ga] * 2.0)
                done[ga] = cur[ga] <= y[ga]
                factor[ba] = np.sqrt(factor[ba])
                dead[ba[factor[ba] < 1.0 + 1e-4]] = True
            dead |= ~done
            d1, d2, res, it = self._newton(d1, d2, zf, self.max_iter)
            iters += it
            if dead.any():
                idx = np.nonzero(dead)[0]
                e1, e2 = self._initial(zf[idx])
                e1, e2 = self._fixed_point(e1, e2, zf[idx], 3000)
                e1, e2, r2, it2 = self._newton(e1, e2, zf[idx], self.max_iter)
                iters[idx] += 3000 + it2
                d1[idx], d2[idx], res[idx] = e1, e2, r2
                method[idx] = FIXED_POINT
            adm, a, b, m = self._admissible(d1, d2, zf)
        converged = res <= self.tol
        admissible = converged & adm
        method = np.where(converged, method, FAILED)
        report = ConvergenceReport(converged.reshape(shape), admissible.reshape(shape), iters.reshape(shape),
                                   res.reshape(shape), method.reshape(shape),
                                   rules=("Im delta >= 0", "Im m >= 0", "Im a, Im b <= 0"), name="spiked-rf-bulk")
        nan = np.nan + 0j

        def out(v):
            return np.where(admissible, v, nan).reshape(shape)

        self.last_report = report
        return SpikedRFSolution(z.reshape(shape), out(m), out(d1), out(d2), out(a), out(b), report)

    def deltas(self, z) -> tuple[np.ndarray, np.ndarray]:
        """The two scalars ``(delta1, delta2) = ((1/n) tr Omega Rbar, (1/n) tr Rbar)`` at ``z``
        (NaN where not converged)."""
        sol = self.solve(z)
        return sol.delta1, sol.delta2

    def stieltjes(self, z) -> np.ndarray:
        """``m(z) = int dmu(x)/(x - z)`` of the bulk law, vectorised over ``z`` (``Im z > 0``);
        NaN where the solver did not converge (see :attr:`last_report`)."""
        return self.solve(z).m

    def _eta(self, eta):
        return 1e-9 * self.scale if eta is None else float(eta)

    def density(self, x, *, eta: float | None = None) -> np.ndarray:
        """Bulk density ``Im m(x + i eta)/pi`` (``eta`` defaults to ``1e-9 * scale``); the atom at
        0 (mass :meth:`atom`) is not included."""
        x = np.asarray(x, dtype=float)
        m = self.stieltjes(x + 1j * self._eta(eta))
        return np.maximum(m.imag, 0.0) / np.pi

    @cached_property
    def _atom(self) -> float:
        eta = 1e-9 * self.scale
        m = self.stieltjes(np.array([1j * eta]))[0]
        mass = float((eta * m).imag)
        return mass if mass > 1e-6 else 0.0

    def atom(self) -> float:
        """Mass at 0 of the bulk law (``1 - n/p`` when ``p > n``; from ``eta Im m(i eta)``)."""
        return self._atom

    def _upper_bound(self) -> float:
        A, B = self._A, self._B
        vmax = float(np.max(A) * self._law.top + np.max(B))
        return max(vmax * (1 + math.sqrt(self.psi)) ** 2 * 1.5, 1e-12)

    def _support_density(self, x):
        """Density at ``eta = 1e-10 scale`` with the broadened atom at 0 removed (support tests)."""
        eta = 1e-10 * self.scale
        rho = self.density(x, eta=eta)
        if self.atom() > 0:
            rho = rho - self.atom() * eta / (np.pi * (x**2 + eta**2))
        return np.where(np.isfinite(rho), rho, 0.0)

    @cached_property
    def _support(self):
        hi = self._upper_bound()
        x = np.linspace(0.0, hi, 1501)
        rho = self._support_density(x)
        thr = 1e-7 * float(np.max(rho)) if np.max(rho) > 0 else np.inf
        inside = rho > thr
        pos = np.nonzero(inside)[0]
        if pos.size == 0:
            return (0.0, 0.0), ()
        splits = np.nonzero(np.diff(pos) > 1)[0]
        starts = np.r_[pos[0], pos[splits + 1]]
        ends = np.r_[pos[splits], pos[-1]]
        # brackets [outside, inside] for left edges and [inside, outside] for right edges
        lefts = [(x[s - 1], x[s]) if s > 0 else (0.0, 0.0) for s in starts]
        rights = [(x[e], x[e + 1]) if e + 1 < x.size else (x[e], x[e]) for e in ends]
        L = self._refine_edges(lefts, thr, left=True)
        R = self._refine_edges(rights, thr, left=False)
        ivs = tuple((float(a), float(b)) for a, b in zip(L, R))
        return (ivs[0][0], ivs[-1][1]), ivs

    def _refine_edges(self, brackets, thr, left, rounds=4, k=32):
        """Refine all edge brackets at once: ``rounds`` passes of a ``k``-point sub-grid."""
        br = np.array(brackets, dtype=float).reshape(-1, 2)
        for _ in range(rounds):
            width = br[:, 1] - br[:, 0]
            if np.all(width <= 1e-13 * self.scale):
                break
            sub = br[:, :1] + width[:, None] * np.linspace(0, 1, k)[None, :]
            ins = self._support_density(sub.ravel()).reshape(sub.shape) > thr
            new = br.copy()
            for i in range(br.shape[0]):
                if width[i] <= 0:
                    continue
                if left:  # first inside point
                    j = int(np.argmax(ins[i])) if ins[i].any() else k - 1
                    new[i] = (sub[i, max(j - 1, 0)], sub[i, j])
                else:  # last inside point
                    j = int(np.nonzero(ins[i])[0][-1]) if ins[i].any() else 0
                    new[i] = (sub[i, j], sub[i, min(j + 1, k - 1)])
            br = new
        return br.mean(axis=1)

    def support(self) -> tuple[float, float]:
        """``(left, right)`` edges of the bulk (atom at 0 excluded): where the density at
        ``eta = 1e-10 scale`` exceeds ``1e-7`` of its maximum, on a grid refined by sub-grids
        (accuracy ~1e-8 of the upper bound)."""
        return self._support[0]

    def intervals(self) -> tuple[tuple[float, float], ...]:
        """The intervals of positive density (several when the bulk splits)."""
        return self._support[1]

    @cached_property
    def _cdf_table(self):
        pieces_x, pieces_F = [], []
        total = 0.0
        for lo, hi in self.intervals():
            th = np.linspace(0.0, np.pi, 1601)
            x = lo + (hi - lo) * (1 - np.cos(th)) / 2
            jac = (hi - lo) * np.sin(th) / 2
            rho = self.density(x)
            rho = np.where(np.isfinite(rho), rho, 0.0)
            f = rho * jac
            F = np.concatenate([[0.0], np.cumsum((f[1:] + f[:-1]) / 2 * np.diff(th))])
            pieces_x.append(x)
            pieces_F.append(total + F)
            total += F[-1]
        if not pieces_x:
            return np.array([0.0]), np.array([0.0]), 0.0
        return np.concatenate(pieces_x), np.concatenate(pieces_F), total

    def mass(self) -> float:
        """Mass resolved by the density on the detected support intervals, plus the atom: 1 up
        to quadrature error when the support is resolved (see :meth:`cdf`)."""
        return float(self._cdf_table[2] + self.atom())

    def cdf_contour(self, x, *, nodes: int = 96) -> np.ndarray:
        """Distribution function by contour integration of ``m`` (no real-axis resolution needed).

        ``F(x) = -(1/pi) Im U``, ``U`` the integral of ``m(z) dz`` along the upper half of the
        rectangle ``[-s, x] x [-H, H]`` (up from ``x``, left along ``Im z = H``, down to ``-s``),
        using ``m(conj z) = conj m(z)``; the atom at 0 is removed from ``m`` and its mass added
        exactly (the law lives on ``[0, inf)``, so ``F = 0`` for ``x < 0``). The vertical parts use
        Gauss–Legendre in ``log y`` on ``[1e-10 scale, H]`` (the part below is bounded by
        ``1e-10 scale |m|``). Robust where the density is too thin or too fragmented to be
        resolved on the real axis; about ``3 nodes`` solver points per ``x``.
        """
        x = np.atleast_1d(np.asarray(x, dtype=float))
        hi = self._upper_bound()
        s_ = 0.1 * self.scale + 1e-3 * hi
        H = hi + s_
        w0 = self.atom()

        def mt(zz):  # m without the atom at 0 (whose part of F is added exactly)
            return self.stieltjes(zz) + w0 / zz

        u, wu = np.polynomial.legendre.leggauss(nodes)
        lo_y, hi_y = math.log(1e-10 * self.scale), math.log(H)
        ly = (lo_y + hi_y) / 2 + (hi_y - lo_y) / 2 * u
        yv = np.exp(ly)
        wy = (hi_y - lo_y) / 2 * wu * yv  # dy = y dlog y
        # vertical at x: int_0^H m(x + i y) i dy ; vertical at -s: -i int_0^H m(-s + i y) dy
        right = 1j * (mt(x[:, None] + 1j * yv[None, :]) @ wy)
        left = -1j * (mt(-s_ + 1j * yv) @ wy)
        # top: -int_{-s}^{x} m(t + i H) dt (Gauss–Legendre on each [-s, x])
        t = (x[:, None] - s_) / 2 + (x[:, None] + s_) / 2 * u[None, :]
        top = -((mt(t + 1j * H) * ((x[:, None] + s_) / 2) * wu[None, :]).sum(axis=1))
        F = -(right + top + left).imag / np.pi + w0 * (x >= 0)
        return np.where(x < 0, 0.0, np.clip(F, 0.0, 1.0))

    def cdf(self, x) -> np.ndarray:
        """Distribution function of the bulk law (atom at 0 included).

        At and above the lowest detected support interval: ``1 - int_x^edge rho``, the density
        integrated downward from the right edge (trapezoid rule in ``theta`` with
        ``x = lo + (hi - lo)(1 - cos theta)/2`` on each interval, which handles square-root edges),
        so mass the real-axis grid cannot resolve near 0 (see the class notes) is attributed
        below. Below that interval: :meth:`cdf_contour`.
        """
        x = np.asarray(x, dtype=float)
        xs, Fs, total = self._cdf_table
        F = 1.0 - (total - np.interp(x, xs, Fs, left=0.0, right=total))
        ivs = self.intervals()
        if ivs:
            below = x < ivs[0][0]
            if below.any():
                F = np.array(F, dtype=float, copy=True)
                F[below] = self.cdf_contour(x[below]) if np.any(x[below] >= 0) else 0.0
                F[below & (x < 0)] = 0.0
        return F

    # ---- outliers -----------------------------------------------------------------------------
    def _outlier_det(self, lam, p, beta2):
        """``det(I + m E[U U^T/(1+delta)] diag(p, beta2))`` at real ``lam`` above the bulk."""
        z = np.atleast_1d(np.asarray(lam, float)) + 1j * 1e-12 * self.scale
        sol = self.solve(z)
        cc = self.coefficients
        d1, d2, m = sol.delta1.real, sol.delta2.real, sol.m.real
        inv = 1.0 / (1.0 + np.outer(cc.mu1**2, d1) + np.outer(cc.mu2sq, d2))  # (K, nz)
        u, t = cc.mu0[:, None], (cc.kappa * cc.mu1)[:, None]
        w = cc.weights[:, None]
        Muu = np.sum(w * u * u * inv, 0)
        Mut = np.sum(w * u * t * inv, 0)
        Mtt = np.sum(w * t * t * inv, 0)
        det = (1 + m * Muu * p) * (1 + m * Mtt * beta2) - (m * Mut) ** 2 * p * beta2
        return det, m, (Muu, Mut, Mtt)

    def outliers(self, p: int | None = None) -> Outliers:
        """Outlier eigenvalues of ``Phi^T Phi/n`` at finite width ``p`` (``n = p n/p``, ``d = p d/p``).

        ``p`` defaults to the number of given eigenvalues of ``Omega``. Count and locations from
        the rank-two equation of the module docstring (roots above the bulk edge); the largest is
        then shifted by the first-order non-Gaussian corrections (degree-2 Hermite correlations
        and the mean/variance shift along ``v``). The spike direction needs ``d_over_p`` (for
        ``|W v|^2/d ~ c p/d``); without it only the mean outlier is computed (noted).
        """
        from scipy.optimize import brentq

        if p is None:
            p = self.p
        if p is None or isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1:
            raise ParameterError("p", p, "an integer >= 1 (the width; required when Omega is given by its law)")
        p = int(p)
        cc = self.coefficients
        notes = []
        c = cc.c
        if self.d_over_p is not None:
            beta2 = c / self.d_over_p
        else:
            beta2 = 0.0
            notes.append("d_over_p unknown: the spike (W v) direction is ignored")
        E = cc.mean
        Eu2 = float(E(cc.mu0**2))
        v = cc.variance
        edge = self.support()[1]
        lo = edge * (1 + 1e-6) + 1e-9 * self.scale
        hi = max(4.0 * (p * Eu2 + beta2 * float(E((cc.kappa * cc.mu1) ** 2)) + self.scale), 4 * lo) * (1 + self.psi) ** 2

        def f(lam):
            return float(self._outlier_det(lam, p, beta2)[0][0])

        # det -> 1 as lam -> inf; roots above the edge are sign changes on a log grid, refined
        grid = np.geomspace(lo, hi, 400)
        vals, _, _ = self._outlier_det(grid, p, beta2)
        roots = []
        for i in range(len(grid) - 1):
            a_, b_ = vals[i], vals[i + 1]
            if np.isfinite(a_) and np.isfinite(b_) and a_ * b_ < 0:
                roots.append(brentq(f, grid[i], grid[i + 1], xtol=1e-12 * grid[i + 1], rtol=1e-13))
        if not np.all(np.isfinite(vals)):
            notes.append(f"bulk solution failed at {int(np.sum(~np.isfinite(vals)))} of 400 points above the edge")
        roots = sorted(roots, reverse=True)
        # which direction: the mean one is the root nearest p E mu0^2
        dirs = []
        for lam in roots:
            dirs.append("mean (1)" if Eu2 > 0 and abs(lam - p * Eu2) < 0.5 * p * Eu2 else "spike (W v)")
        lead = p * Eu2
        corr = {}
        sd = float("nan")
        if roots and dirs[0] == "mean (1)":
            pd_ = 1.0 / self.d_over_p if self.d_over_p is not None else 0.0
            c2sq = c**2 * cc.dmu1**2 / 2
            corr = {
                "gaussian-equivalent root - p E[mu0^2]": roots[0] - lead,
                "degree-2 correlations (p/d) E[c2^2]": pd_ * float(E(c2sq)),
                "mean/variance shift (c p/d) E[mu0 (k^2-1) dmu1]": c * pd_ * float(E(cc.mu0 * (cc.kappa**2 - 1) * cc.dmu1)),
            }
            roots[0] = lead + sum(corr.values())
            var_s = p**2 * float(E(cc.mu0**4) - Eu2**2) / (p * self.n_over_p)
            var_w = 4 * float(E(cc.kappa * cc.mu0 * cc.mu1)) ** 2 * c * pd_
            sd = math.sqrt(max(var_s, 0) + var_w)
            notes.append("top outlier fluctuates with sd top_sd (sample average of mu0(kappa)^2 and 1.Wv)")
        if not roots:
            notes.append("no eigenvalue above the bulk edge is predicted")
        return Outliers(count=len(roots), locations=tuple(float(x) for x in roots), directions=tuple(dirs),
                        top_leading=lead, top_corrections=corr, top_sd=sd, bulk_edge=edge, p=p,
                        notes=tuple(notes))


def spiked_rf_spectrum(activation, r: float, c: float, *, n_over_p: float, d_over_p: float | None = None,
                       omega="mp", quad_order: int = 64, inner_order: int = 192, tol: float = 1e-12,
                       max_iter: int = 100) -> SpikedRFSpectrum:
    """Bulk spectrum (and outliers) of ``Phi^T Phi/n`` for the spiked RF model ``sigma(W x + r kappa 1)``.

    Parameters
    ----------
    activation : catalog name, sympy expression in ``z``, Activation, or numpy callable.
    r, c : spike strength and bulk variance (``W = c^{1/2} W0``; see :func:`spiked_rf_parameters`).
    n_over_p : ``n/p`` (samples per feature), ``psi = p/n``.
    d_over_p : ``d/p``; required for ``omega="mp"`` (then ``H = c MP(p/d)``) and for the spike outlier.
    omega : ``"mp"`` (the limiting law of ``Omega``) or the eigenvalues of a finite-``d``
        ``Omega = W Pi W^T`` (including the factor ``c``), e.g. from
        :func:`rmtsym.simulate.spiked.sample_spiked_rf`.
    quad_order : Gauss–Hermite order of the outer average over ``kappa`` (at most 250).
    inner_order : nodes of the inner average over ``G`` (composite Gauss–Legendre, see
        :func:`conditional_coefficients`).
    tol : relative residual accepted by the solver; ``max_iter`` Newton iterations per stage.

    >>> law = spiked_rf_spectrum("tanh", 1.5, 1.0, n_over_p=2, d_over_p=1)
    >>> complex(law.stieltjes(0.5 + 0.02j))            # REFERENCES paper 1: theory -2.011+1.409i
    (-2.009...+1.411...j)
    """
    r, c = _check_rc(r, c)
    if not (isinstance(n_over_p, (int, float, np.integer, np.floating)) and n_over_p > 0 and math.isfinite(n_over_p)):
        raise ParameterError("n_over_p", n_over_p, "a finite number > 0 (n/p)")
    if d_over_p is not None and not (isinstance(d_over_p, (int, float, np.integer, np.floating))
                                     and d_over_p > 0 and math.isfinite(d_over_p)):
        raise ParameterError("d_over_p", d_over_p, "a finite number > 0 (d/p) or None")
    if not (isinstance(tol, float) and 0 < tol < 1e-3):
        raise ParameterError("tol", tol, "a float in (0, 1e-3)")
    max_iter = _check_order(max_iter, "max_iter", 1, 10000)
    coeffs = conditional_coefficients(activation, r, c, quad_order=quad_order, inner_order=inner_order)
    p = None
    if isinstance(omega, str):
        if omega != "mp":
            raise ParameterError("omega", omega, "'mp' or an array of eigenvalues of Omega")
        if d_over_p is None:
            raise ParameterError("d_over_p", None, "a number > 0 when omega='mp' (Omega ~ c MP(p/d))")
        law = _MPLaw(c, 1.0 / float(d_over_p))
    else:
        t = np.asarray(omega, dtype=float).ravel()
        if t.size < 1 or not np.all(np.isfinite(t)) or np.min(t) < -1e-8 * max(1.0, float(np.max(np.abs(t)))):
            raise ParameterError("omega", f"array of {t.size} values", "finite eigenvalues >= 0 of Omega = W Pi W^T")
        law = _DiscreteLaw(np.maximum(t, 0.0))
        p = int(t.size)
    label = _label(activation)
    return SpikedRFSpectrum(coeffs, law, psi=1.0 / float(n_over_p),
                            d_over_p=None if d_over_p is None else float(d_over_p), p=p, tol=tol,
                            max_iter=max_iter, label=label)


def _label(f) -> str:
    if isinstance(f, str):
        return f
    if hasattr(f, "name") and isinstance(getattr(f, "name"), str):
        return f.name
    if isinstance(f, sp.Basic):
        return str(f)
    return getattr(f, "__name__", "callable")


# --------------------------------------------------------------------------------------------
# the derivation (LaTeX and graph node)
# --------------------------------------------------------------------------------------------
def _build_derivation() -> Derivation:
    k, t = sp.symbols("kappa t", real=True)
    z = sp.Symbol("z")
    d1, d2, a, b, m = sp.symbols("delta_1 delta_2 a b m")
    psi = sp.Symbol("psi", positive=True)
    mu1 = sp.Function("mu_1")(k)
    mu2 = sp.Function("mu_2")(k)
    rhoO = sp.Function("rho_Omega")(t)
    gauss = sp.Function("varphi")(k)  # standard Gaussian density, stated in the assumptions
    den = 1 + mu1**2 * d1 + mu2**2 * d2

    def E_k(e):
        return sp.Integral(e * gauss, (k, -sp.oo, sp.oo))

    def E_H(e):
        return sp.Integral(e * rhoO, (t, 0, sp.oo))

    eqs = [
        sp.Eq(a, E_k(mu1**2 / den)),
        sp.Eq(b, E_k(mu2**2 / den)),
        sp.Eq(d1, psi * E_H(t / (a * t + b - z))),
        sp.Eq(d2, psi * E_H(1 / (a * t + b - z))),
        sp.Eq(m, E_H(1 / (a * t + b - z))),
    ]
    return Derivation(
        "spiked-rf-bulk",
        title="Bulk deterministic equivalent of spiked random features (two-scalar fixed point)",
        unknowns=[a, b, d1, d2, m],
        parameters=[z, psi],
        equations=eqs,
        outputs={"density": sp.im(m) / sp.pi},
        branch=[sp.im(m) >= 0],
        requires=["hermite-expansion", "marchenko-pastur"],
        reference="Y. Dandi, L. Pesce, H. Cui, F. Krzakala, Y. M. Lu, B. Loureiro, A random matrix theory "
                  "perspective on the spectrum of learned features and asymptotic generalization "
                  "capabilities, arXiv:2410.18938 (2024); model of H. Cui et al., arXiv:2402.04980",
        assumptions="varphi(kappa) = exp(-kappa^2/2)/sqrt(2 pi); "
                    "features phi(x) = sigma(c^{1/2} W0 x + r kappa 1), kappa = <v,x>/sqrt(d) ~ N(0,1); "
                    "conditional coefficients mu0(kappa) = E sigma(r kappa + c^{1/2} g), "
                    "mu1(kappa) = E[sigma(r kappa + c^{1/2} g) g]/c^{1/2}, "
                    "mu2(kappa)^2 = E sigma^2 - mu0^2 - c mu1^2; Omega = W Pi W^T with spectral density "
                    "rho_Omega (limit: c MP(p/d)); psi = p/n; m(z) = (1/p) tr (a Omega + b - z)^{-1} is the "
                    "Stieltjes transform of Phi^T Phi/n, m(z) = int dmu(x)/(x - z); mu0 and the spike "
                    "only create outliers. Solved numerically by rmtsym.spectra.spiked.spiked_rf_spectrum "
                    "(compile() is not supported: the averages are integrals over unknown functions)",
        symbols={psi: r"\psi", d1: r"\delta_{1}", d2: r"\delta_{2}", k: r"\kappa"},
    )


SPIKED_RF_BULK = register(_build_derivation())
