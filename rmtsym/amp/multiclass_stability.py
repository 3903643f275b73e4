"""Convergence criterion of non-separable multi-class AMP on both sides: a gain family of denoisers.

Why a new family. For the proximal (ERM) denoiser of :mod:`rmtsym.amp.multiclass` (ridge + convex
loss) ``rho_AT <= lmax(Vhat)/(lambda + lmax(Vhat)) < 1`` always, so that AMP can only be shown to
converge. To check the criterion of Çakmak, Lu & Opper 2024 (arXiv:2402.08676) on both sides we keep
the *same* AMP machinery (K-dim rows, K x K Onsager matrices, linear ridge-type W-update, data model
and normalisation of :mod:`rmtsym.amp.multiclass`) and replace the proximal row function by an
explicit (non-proximal) non-separable family with a gain ``gamma > 0``::

    g_gamma(omega; y) = gamma (e_y - softmax(omega)),   J = -dg/domega = gamma H(omega),
    H = diag(p) - p p^T,  p = softmax(omega).

(``g_gamma`` is ``-gamma`` times the cross-entropy gradient taken at ``omega`` itself rather than at
the prox.) AMP, from ``W^0 = 0``, ``G^{-1} = 0``, ``V^0 = (Delta/lambda) I``::

    Omega = X W - G_old V;  G = g_gamma(Omega, Y);  A = alpha Delta mean_mu J_mu;
    W <- (X^T G + W A)(lambda I + A)^{-1};  V <- Delta (lambda I + A)^{-1}.

Its fixed points solve ``lambda W = X^T g_gamma(X W - G V)`` (not an ERM). State evolution: that of
:mod:`rmtsym.amp.multiclass` with ``g_gamma`` for the prox output and ``gamma H`` for
``H(I + VH)^{-1}``; ``g`` is bounded (``|g| <= sqrt(2) gamma``) and ``Vhat = alpha Delta gamma E[H]``
is PSD, so the SE map is well defined for every gain.

Convergence criterion (derivation). Let two AMP trajectories (or consecutive iterates near a fixed
point) differ by ``dOmega`` with row covariance ``C = E[domega domega^T]`` (K x K). The W-update is
linear with derivative ``P = (lambda I + A)^{-1}`` and its Onsager term ``- G_old V``, ``V = Delta P``,
removes the memory, so (SE for the pair) the rows of ``dU = X^T (J dOmega)`` have covariance
``alpha Delta E[J C J]``, those of ``dW = dU P`` have ``P (alpha Delta E[J C J]) P``, and the next
``dOmega = X dW`` has ``C' = Delta P (alpha Delta E[J C J]) P = alpha E[(V J) C (V J)^T]``,
i.e. ``vec C' = alpha E[T (x) T] vec C`` with ``T = V J``.
Hence ``rho_AT = spr(alpha sum_c rho_c E[T (x) T | c])`` (``K^2 x K^2``) at the fixed point, and
``||W^{t+1} - W^t||`` decays like ``rho_AT^{t/2}`` when ``rho_AT < 1`` (and when this AT mode is
slower than the SE's own overlap dynamics), while for ``rho_AT > 1`` the fixed point, although it
exists in the state evolution, is unstable: AMP iterates do not converge (their differences stay
O(1), bounded because ``g`` is). For the prox denoiser the same formula gives ``T = V H(I+VH)^{-1}``
(:mod:`rmtsym.amp.multiclass`). ``rho_AT(gamma)`` grows from ``0`` (small gain:
``rho_AT = alpha t^2``, ``t = Delta gamma / (K lambda + alpha Delta gamma)`` for balanced classes,
since then ``p = 1/K``, ``H = Pi/K``) and crosses 1 at a critical gain ``gamma_c``
(:func:`critical_gain`); e.g. ``gamma_c = 15.80`` at K = 3, alpha = 2 and ``13.31`` at alpha = 0.5
(lambda = Delta = 1, Sigma = I, balanced); the SE fixed point exists on both sides.

Finite size (measured, alpha = 2): the median over seeds of the contraction rate tends to
sqrt(rho_AT) as d grows (0.6 gamma_c: 0.80 at d = 400, 0.786 at d = 3200 vs 0.782; 0.8 gamma_c:
0.935 at d = 400, 0.899 at d = 3200 vs 0.895); below gamma_c a minority of finite-d runs converge
more slowly (an isolated slower mode) or fall into a 2-cycle (1 of 16 at d = 400, 0.6 gamma_c).

How principled: the family is synthetic (chosen so that the fixed point exists for every gain while
its AT radius crosses 1); the criterion, the Onsager matrices and the state evolution are those of
the paper's general non-separable AMP as reconstructed in REFERENCES.md paper 4; the paper's own
text and examples were not consulted for this module.

Quadrature. ``g`` and ``H`` depend on ``omega`` only through its projection on ``1^perp``
(softmax is shift invariant), so expectations over ``omega = m_c + (Delta Q)^{1/2} xi`` are
``(K-1)``-dimensional: a tensor trapezoid rule in standardised coordinates, spacing ``step``
(default 0.1), extent ±7.5 (K = 2, 3 only). Gauss–Hermite is not accurate here: at the gains of
interest ``Delta Q ~ 10-30`` while softmax varies on scale 1 (measured: 80 GH nodes per axis still
off by 2% in rho_AT at gamma = 17); the trapezoid rule at step 0.2 / 0.1 / 0.05 agrees to 5e-3 / 1e-5
in rho_AT (alpha = 0.5, gamma <= 20).

>>> from rmtsym.amp.multiclass import GaussianMixture
>>> se = gain_state_evolution(GaussianMixture(K=3), alpha=0.5, lam=1.0, gain=0.01)
>>> t = 0.01 / (3 + 0.5 * 0.01)  # small-gain closed form
>>> bool(se.converged), round(float(se.rho_at / (0.5 * t ** 2)), 3)
(True, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.optimize import brentq

from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import ConvergenceError, ParameterError, check_int
from .multiclass import GaussianMixture, softmax

__all__ = ["gain_denoiser", "projected_nodes", "GainSE", "gain_state_evolution", "critical_gain",
           "contraction_rate",
           "AMP_MULTICLASS_GAIN_STABILITY"]


def _check_pos(name: str, x) -> float:
    x = float(x)
    if not (np.isfinite(x) and x > 0):
        raise ParameterError(name, x, f"{name} > 0 (finite)")
    return x


def gain_denoiser(omega, y, gain: float) -> tuple[np.ndarray, np.ndarray]:
    """``g = gain (e_y - softmax(omega))`` and ``J = -dg/domega = gain H`` over the last axis.

    >>> g, J = gain_denoiser(np.zeros((1, 2)), [0], 2.0)
    >>> g.round(3).tolist(), J[0].round(3).tolist()
    ([[1.0, -1.0]], [[0.5, -0.5], [-0.5, 0.5]])
    """
    gain = _check_pos("gain", gain)
    omega = np.asarray(omega, float)
    K = omega.shape[-1]
    p = softmax(omega)
    ey = np.eye(K)[np.broadcast_to(np.asarray(y).astype(int), omega.shape[:-1])]
    H = p[..., :, None] * np.eye(K) - p[..., :, None] * p[..., None, :]
    return gain * (ey - p), gain * H


def projected_nodes(K: int, step: float = 0.1, extent: float = 7.5):
    """Basis ``B`` (K, K-1) of ``1^perp``, trapezoid nodes ``xi`` (P, K-1) and weights (P,) for
    ``E f(xi)``, ``xi ~ N(0, I_{K-1})`` (uniform grid of spacing ``step`` on ``[-extent, extent]``)."""
    K = check_int(K, "K", 2)
    if K > 3:
        raise ParameterError("K", K, "K = 2 or 3 (the (K-1)-dim trapezoid grid grows like step^{1-K})")
    step = _check_pos("step", step)
    x = np.arange(-extent, extent + step / 2, step)
    w = np.exp(-x ** 2 / 2)
    w /= w.sum()
    grids = np.meshgrid(*([x] * (K - 1)), indexing="ij")
    wg = np.meshgrid(*([w] * (K - 1)), indexing="ij")
    B = np.linalg.qr(np.vstack([np.ones(K), np.eye(K)[: K - 1]]).T)[0][:, 1:]
    return B, np.stack([g.ravel() for g in grids], -1), np.prod([g.ravel() for g in wg], axis=0)


def _sqrtm_psd(A):
    e, U = np.linalg.eigh(0.5 * (A + A.T))
    return (U * np.sqrt(np.clip(e, 0.0, None))) @ U.T


@dataclass(frozen=True)
class GainSE:
    """State-evolution fixed points over the ``gain`` array: ``M`` (column c = m_c), ``Q``, ``V``,
    ``Vhat`` (..., K, K); ``rho_at`` the multivariate AT radius; ``converged``, ``iterations``.
    Unconverged points are NaN (``last_Q`` keeps the last iterate)."""

    gain: np.ndarray
    M: np.ndarray
    Q: np.ndarray
    V: np.ndarray
    Vhat: np.ndarray
    rho_at: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    last_Q: np.ndarray


def _se_one(model, alpha, lam, gain, B, xi, w, iters, tol, start=None):
    K, D, pr = model.K, model.Delta, model.priors
    M, Q, V = start if start is not None else (np.zeros((K, K)), np.zeros((K, K)), D / lam * np.eye(K))
    y = np.broadcast_to(np.arange(K)[:, None], (K, len(w)))
    conv = False
    t = 0
    for t in range(1, iters + 1):
        S = _sqrtm_psd(B.T @ (D * Q) @ B)
        om = ((M.T @ B)[:, None, :] + (xi @ S.T)[None]) @ B.T  # (C, P, K), only 1^perp part matters
        g, J = gain_denoiser(om, y, gain)
        Mh = alpha * np.einsum("cpk,p->kc", g, w) * pr[None]
        Qh = alpha * D * np.einsum("c,p,cpk,cpl->kl", pr, w, g, g)
        Vh = alpha * D * np.einsum("c,p,cpkl->kl", pr, w, J)
        P = np.linalg.inv(lam * np.eye(K) + Vh)
        P = 0.5 * (P + P.T)
        Mn, Qn, Vn = P @ Mh @ model.Sigma, P @ (Mh @ model.Sigma @ Mh.T + Qh) @ P, D * P
        ch = max(np.abs(Mn - M).max(), np.abs(Qn - Q).max(), np.abs(Vn - V).max())
        M, Q, V = Mn, 0.5 * (Qn + Qn.T), Vn
        if ch <= tol * max(1.0, np.abs(Q).max()):
            conv = True
            break
    T = np.einsum("kl,cplm->cpkm", V, J)
    TT = np.einsum("c,p,cpij,cpkl->ikjl", pr, w, T, T).reshape(K * K, K * K)
    rho = alpha * float(np.abs(np.linalg.eigvals(TT)).max())
    return M, Q, V, Vh, rho, conv, t


def gain_state_evolution(model: GaussianMixture, alpha: float, lam: float, gain, *, step: float = 0.1,
                         iters: int = 3000, tol: float = 1e-11, raise_on_fail: bool = False) -> GainSE:
    """Fixed points of the gain-family state evolution (module docstring) for each ``gain``.

    Start: the AMP start ``M = Q = 0``, ``V = (Delta/lambda) I``; converged when the largest change
    of ``(M, Q, V)`` is below ``tol max(1, max|Q|)``. Points are solved in turn (the SE is a
    K x K fixed point; the cost is the quadrature), each from the AMP start.
    """
    if not isinstance(model, GaussianMixture):
        raise ParameterError("model", type(model).__name__, "a GaussianMixture")
    alpha, lam = _check_pos("alpha", alpha), _check_pos("lam", lam)
    gains = np.asarray(gain, float)
    for x in gains.ravel():
        _check_pos("gain", x)
    iters = check_int(iters, "iters", 1)
    K = model.K
    B, xi, w = projected_nodes(K, step)
    out = {k: [] for k in ("M", "Q", "V", "Vh", "rho", "conv", "it", "lastQ")}
    for gm in gains.ravel():
        M, Q, V, Vh, rho, conv, t = _se_one(model, alpha, lam, gm, B, xi, w, iters, tol)
        if not conv and raise_on_fail:
            raise ConvergenceError(f"gain SE not converged at gain={gm} after {iters} iterations")
        nan = np.full((K, K), np.nan)
        for k, v in (("M", M), ("Q", Q), ("V", V), ("Vh", Vh)):
            out[k].append(v if conv else nan)
        out["rho"].append(rho if conv else np.nan)
        out["conv"].append(conv)
        out["it"].append(t)
        out["lastQ"].append(Q)
    sh = gains.shape
    r = lambda k, extra=(): np.array(out[k]).reshape(sh + extra)
    return GainSE(gain=gains, M=r("M", (K, K)), Q=r("Q", (K, K)), V=r("V", (K, K)), Vhat=r("Vh", (K, K)),
                  rho_at=r("rho"), converged=r("conv"), iterations=r("it"), last_Q=r("lastQ", (K, K)))


def critical_gain(model: GaussianMixture, alpha: float, lam: float, bracket=(1.0, 50.0), *,
                  step: float = 0.1, xtol: float = 1e-3) -> float:
    """The gain where ``rho_AT = 1`` (brentq on ``rho_AT(gain) - 1`` inside ``bracket``); raises
    :class:`ParameterError` if ``rho_AT - 1`` does not change sign on the bracket."""
    def f(gm):
        se = gain_state_evolution(model, alpha, lam, gm, step=step, raise_on_fail=True)
        return float(se.rho_at) - 1.0

    lo, hi = float(bracket[0]), float(bracket[1])
    flo, fhi = f(lo), f(hi)
    if flo * fhi > 0:
        raise ParameterError("bracket", (lo, hi), f"a gain interval where rho_AT - 1 changes sign "
                             f"(got {flo + 1:.3g}, {fhi + 1:.3g})")
    return float(brentq(f, lo, hi, xtol=xtol))


def contraction_rate(diffs: np.ndarray, hi: float = 1e-2, lo: float = 1e-8) -> float:
    """Geometric rate of ``diffs`` by least squares on ``log diffs`` over the window where
    ``lo <= diffs/diffs[0] <= hi`` (after the first entry below ``hi``); NaN if fewer than 5 points.

    >>> round(contraction_rate(0.9 ** np.arange(300.0)), 6)
    0.9
    """
    r = np.asarray(diffs, float) / diffs[0]
    below = np.nonzero(r <= hi)[0]
    if below.size == 0:
        return float("nan")
    idx = np.arange(below[0], len(r))
    idx = idx[(r[idx] >= lo) & (r[idx] > 0)]
    if idx.size < 5:
        return float("nan")
    return float(np.exp(np.polyfit(idx, np.log(r[idx]), 1)[0]))


# ---- derivation -------------------------------------------------------------------------------
_Ksym = sp.Symbol("K", integer=True, positive=True)
_V, _J, _T, _Vh = (sp.MatrixSymbol(n, _Ksym, _Ksym) for n in ("V", "J", "T", "Vhat"))
_lam, _Delta, _gain = sp.symbols("lambda Delta gamma", positive=True)
_rho, _alpha = sp.symbols("rho_AT alpha", positive=True)
_spr = sp.Function("spr")
_TT = sp.MatrixSymbol("TT", _Ksym ** 2, _Ksym ** 2)  # E[T (x) T], K^2 x K^2

AMP_MULTICLASS_GAIN_STABILITY = register(Derivation(
    "amp-multiclass-gain-stability",
    unknowns=[_V, _T, _rho],
    parameters=[_Ksym, _J, _Vh, _TT, _lam, _Delta, _gain, _alpha],
    equations=[sp.Eq(_V, _Delta * sp.Inverse(_lam * sp.Identity(_Ksym) + _Vh)),
               sp.Eq(_T, _V * _J),
               sp.Eq(_rho, _alpha * _spr(_TT))],
    requires=["amp-multiclass-state-evolution"],
    reference=("Çakmak, Lu & Opper, 'A convergence analysis of approximate message passing with "
               "non-separable functions and applications to multi-class classification', arXiv:2402.08676 "
               "(2024): contraction of AMP iterate differences by spr(alpha E[T (x) T]); gain family and "
               "the pair-SE derivation of rho_AT: this module's docstring"),
    assumptions=("x = mu_c/d + sqrt(Delta/d) z, alpha = n/d, ridge-type linear W-update with Onsager "
                 "V = Delta (lambda I + Vhat)^{-1}; row function g = gamma (e_y - softmax(omega)), "
                 "J = -dg/domega = gamma H, Vhat = alpha Delta E[J]; E over the SE fixed point law of omega; "
                 "||W^{t+1} - W^t|| ~ rho_AT^{t/2} if rho_AT < 1 and AT is the slow mode, no convergence "
                 "if rho_AT > 1"),
    symbols={_TT: r"\mathbb{E}[T \otimes T]", _Vh: r"\hat{V}", _rho: r"\rho_{\mathrm{AT}}", _gain: r"\gamma"},
    title="Multi-class AMP convergence criterion (multivariate AT radius), gain family of denoisers",
))
