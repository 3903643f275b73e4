"""Rotation-invariant couplings: R-transform, replica-symmetric Ising fixed point, AT line.

Model (Çakmak, Lu & Opper 2022, arXiv:2202.08198; REFERENCES.md paper 9):
``p(s) ∝ exp(beta/2 s^T J s + h sum_i s_i)``, ``s_i = ±1``, ``J = O^T D O`` with ``O`` Haar and
the spectrum of ``J`` distributed as an rmtsym :class:`~rmtsym.spectra.law.SpectralLaw`.

Conventions ("Stieltjes transform" of ``docs/conventions.md``): ``m(z) = int dmu(x)/(x - z)``;
``G = -m`` (so ``G(l) = int dmu(x)/(l - x) ~ 1/l``); the R-transform is
``R(w) = G^{-1}(w) - 1/w`` (``R(w) = kappa_1 + kappa_2 w + ...``, free cumulants ``kappa_k``).
:func:`r_transform` inverts ``G`` numerically on the real axis outside the support
(``0 < w < G(edge+)``: to the right of the support; ``w < 0``: to its left), vectorised by
bisection in the bracket ``lo + 1/w <= l <= hi + 1/w`` followed by two Newton steps.
Closed forms: semicircle of variance ``v``: ``R(w) = v w``; law of ``a S + b`` with ``S``
Marchenko–Pastur of ratio ``c`` (unit variance): ``R(w) = a/(1 - a c w) + b``. The shifted
Wishart coupling ``J0 = X^T X/n - I`` (``X`` in R^{n x N}, ``c = N/n``) is ``a = 1, b = -1``.
Scaling: ``R_{beta J}(w) = beta R_J(beta w)``.

Replica-symmetric (RS) fixed point of the Ising model with coupling ``beta J`` (TAP/EC fixed point
``m_i = tanh(h + gamma_i)``, ``gamma = beta J m - R_{beta J}(chi) m``, ``chi = 1 - q``)::

    q = E tanh^2(h + sqrt(q R'_{beta J}(chi)) Z),   chi = 1 - q,   Z ~ N(0, 1)

and the de Almeida–Thouless (AT) stability condition ``R'_{beta J}(chi) E[(1 - m^2)^2] < 1``
(``m = tanh(h + sqrt(q R') Z)``). For the semicircle of variance 1 this is the SK result
``beta^2 E sech^4 = 1`` (``beta_AT = 1`` at ``h = 0``); at zero field for any law
``beta^2 R_J'(beta) = 1``, which for ``J0 = X^T X/n - I`` gives ``beta_c = 1/(sqrt c (1 + sqrt c))``.

Derivation of the field variance (EC with extrinsic Gaussian fields, VAMP-style): with
``A = (lam - beta J)^{-1}``, ``tr A/N = chi``, the extrinsic map ``h1 = (A/chi - I) h2`` multiplies
variances by ``kappa = E(a/chi - 1)^2 = chi^2 R'/(1 - chi^2 R')`` and ``h2 = m/chi - h1`` has variance
``q/chi^2 - v1`` (Stein), so ``v1 = kappa (q/chi^2 - v1)``, i.e. ``v1 = q R'(chi)``; the product of
the two maps' squared gains is ``< 1`` exactly when ``R' E g^2 < 1`` (AT). At zero field the AT
point is also the edge of the real domain of ``R``: ``beta chi = G_J(edge+)`` (tested for Wishart).

What was verified against the paper: only its abstract is publicly reachable here (the claim that
the non-convergence boundary of the random sequential algorithm coincides with the RS AT line);
the equations above are the reconstruction of REFERENCES.md paper 9, checked here by closed forms
(semicircle, Wishart) and by running the algorithms of :mod:`rmtsym.simulate.sequential`.

>>> from rmtsym.spectra.classic import semicircle
>>> float(np.round(r_transform(semicircle(2), 0.3), 8))       # v w
0.6
>>> rs = ising_rs(0.5, 0.0, semicircle_r(1.0))
>>> float(rs.q), float(np.round(rs.at, 6))                     # paramagnet, AT ratio beta^2
(0.0, 0.25)
>>> float(np.round(at_line(0.0, semicircle_r(1.0)), 6))
1.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp

from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import ParameterError

__all__ = ["RTransform", "r_transform", "r_transform_derivative", "law_r", "semicircle_r",
           "wishart_r", "IsingRS", "ising_rs", "at_ratio", "at_line", "wishart_zero_field_beta",
           "AMP_RSMP_AT_LINE"]

# Gaussian expectations: trapezoid rule on z in [-10, 10], spacing 0.01 (exponentially accurate
# for these analytic integrands while the sech^4 peak width 1/(beta sqrt(q R')) >> 0.01;
# Gauss-Hermite with 121 nodes was off by ~3e-4 in beta_AT at h = 2)
_GH_X = np.linspace(-10.0, 10.0, 2001)
_GH_W = np.exp(-0.5 * _GH_X ** 2)
_GH_W = _GH_W / _GH_W.sum()


# ------------------------------------------------------------------------------------------
# R-transform
# ------------------------------------------------------------------------------------------
def _g_and_dg(law, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m, dm = law._m_dm(lam.astype(np.complex128))
    return -np.real(m), -np.real(dm)


def _inverse_g(law, w) -> tuple[np.ndarray, np.ndarray]:
    """``(l, G'(l))`` with ``G(l) = w`` on the real axis outside the support; NaN where ``w``
    is outside the range of ``G`` there (``w >= G(hi+)`` or ``w <= G(lo-)``) or ``w = 0``."""
    w = np.asarray(w, dtype=float)
    lo, hi = law.hull()
    flat = w.reshape(-1)
    right = flat > 0
    a = np.where(right, np.maximum(hi, lo + 1.0 / np.where(flat == 0, 1, flat)), lo + 1.0 / np.where(flat == 0, -1, flat))
    b = np.where(right, hi + 1.0 / np.where(flat == 0, 1, flat), np.minimum(lo, hi + 1.0 / np.where(flat == 0, -1, flat)))
    a, b = np.minimum(a, b), np.maximum(a, b)
    # range check: G at the edge (finite for square-root edges, infinite at an atom)
    span = max(hi - lo, 1.0)
    edge = np.where(right, hi + 1e-13 * span, lo - 1e-13 * span)
    gedge, _ = _g_and_dg(law, edge)
    ok = np.isfinite(flat) & (flat != 0) & np.where(right, (flat < gedge) | ~np.isfinite(gedge),
                                                     (flat > gedge) | ~np.isfinite(gedge))
    ok &= np.where(right, np.abs(flat) > 0, True)
    for _ in range(64):                          # bisection: G is decreasing on each side
        c = 0.5 * (a + b)
        gc, _ = _g_and_dg(law, c)
        go_right = gc > flat                    # G(c) > w -> root to the right of c
        a = np.where(go_right, c, a)
        b = np.where(go_right, b, c)
    lam = 0.5 * (a + b)
    for _ in range(2):                            # Newton polish
        g, dg = _g_and_dg(law, lam)
        step = np.where(np.isfinite(dg) & (dg != 0), (g - flat) / dg, 0.0)
        new = lam - step
        lam = np.where((new > np.minimum(a, b) - 1e-9 * span) & (new < np.maximum(a, b) + 1e-9 * span), new, lam)
    g, dg = _g_and_dg(law, lam)
    lam = np.where(ok, lam, np.nan)
    dg = np.where(ok, dg, np.nan)
    return lam.reshape(w.shape), dg.reshape(w.shape)


def r_transform(law, w) -> np.ndarray:
    """``R(w) = G^{-1}(w) - 1/w`` of a :class:`~rmtsym.spectra.law.SpectralLaw` at real ``w``
    (vectorised; NaN outside the range where ``G`` is invertible on the real axis; ``R(0)`` is
    the mean)."""
    w = np.asarray(w, dtype=float)
    lam, _ = _inverse_g(law, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = lam - 1.0 / w
    return np.where(w == 0, float(law.moment(1)), out)


def r_transform_derivative(law, w) -> np.ndarray:
    """``R'(w) = 1/G'(G^{-1}(w)) + 1/w^2`` (NaN where :func:`r_transform` is NaN; at ``w = 0``
    the variance of the law)."""
    w = np.asarray(w, dtype=float)
    _, dg = _inverse_g(law, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1.0 / dg + 1.0 / (w * w)
    var = float(law.moment(2)) - float(law.moment(1)) ** 2
    return np.where(w == 0, var, out)


@dataclass(frozen=True)
class RTransform:
    """An R-transform ``r(w)`` with its derivative ``dr(w)`` (vectorised callables) and the
    upper end ``w_max`` of its real domain (``inf`` for entire ones); ``name`` for display."""

    r: Callable[[np.ndarray], np.ndarray]
    dr: Callable[[np.ndarray], np.ndarray]
    w_max: float
    name: str

    def scaled(self, beta):
        """``(R_{beta J}(w), R'_{beta J}(w))`` as callables of ``w`` for the coupling ``beta J``."""
        return (lambda w: beta * self.r(beta * np.asarray(w, float)),
                lambda w: beta * beta * self.dr(beta * np.asarray(w, float)))


def semicircle_r(variance: float = 1.0) -> RTransform:
    """Closed form ``R(w) = v w`` of the semicircle of variance ``v``."""
    v = float(variance)
    if not v > 0:
        raise ParameterError("variance", variance, "a number > 0")
    return RTransform(lambda w: v * np.asarray(w, float), lambda w: v + 0.0 * np.asarray(w, float),
                      np.inf, f"semicircle(v={v:g})")


def wishart_r(c: float, a: float = 1.0, b: float = -1.0) -> RTransform:
    """Closed form for the law of ``a S + b``, ``S`` Marchenko–Pastur of ratio ``c`` (unit
    variance): ``R(w) = a/(1 - a c w) + b``, ``R'(w) = a^2 c/(1 - a c w)^2`` (``w < 1/(a c)``).
    Default ``a = 1, b = -1``: ``J0 = X^T X/n - I`` with ``c = N/n``."""
    c, a, b = float(c), float(a), float(b)
    if not c > 0:
        raise ParameterError("c", c, "c = N/n > 0")
    if not a > 0:
        raise ParameterError("a", a, "a > 0")

    def r(w):
        w = np.asarray(w, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a * c * w < 1, a / (1 - a * c * w) + b, np.nan)

    def dr(w):
        w = np.asarray(w, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a * c * w < 1, a * a * c / (1 - a * c * w) ** 2, np.nan)

    return RTransform(r, dr, 1.0 / (a * c), f"wishart(c={c:g}, a={a:g}, b={b:g})")


def law_r(law, *, nodes: int = 96) -> RTransform:
    """The R-transform of a spectral law as an :class:`RTransform` for repeated evaluation.

    On ``[0, w_max]`` (``w_max = G(edge+)``, the right end of the real domain of the
    inversion) ``R`` and ``R'`` are Chebyshev interpolants through ``nodes`` exact values of
    :func:`r_transform` / :func:`r_transform_derivative` (``R`` is analytic there, so the
    interpolation is spectrally accurate); ``w < 0`` uses the exact inversion; ``w > w_max``
    gives NaN (as :func:`r_transform` does)."""
    lo, hi = law.hull()
    g_edge = -float(np.real(law.stieltjes(np.array([hi + 1e-13 * max(hi - lo, 1.0)]))[0]))
    w_max = g_edge if np.isfinite(g_edge) else 1.0 / max(hi - lo, 1e-12)
    k = np.arange(nodes)
    t = np.cos(np.pi * (k + 0.5) / nodes)                 # Chebyshev points of the first kind
    wk = 0.5 * w_max * (1 + t)
    cr = np.polynomial.chebyshev.chebfit(t, r_transform(law, wk), nodes - 1)
    cd = np.polynomial.chebyshev.chebfit(t, r_transform_derivative(law, wk), nodes - 1)

    def _eval(coef, exact):
        def f(w):
            w = np.asarray(w, float)
            inside = (w >= 0) & (w <= w_max)
            out = np.polynomial.chebyshev.chebval(2 * np.clip(w, 0, w_max) / w_max - 1, coef)
            neg = (w < 0) & np.isfinite(w)              # left of the support: exact inversion
            if np.any(neg):
                out = np.where(neg, exact(law, np.where(neg, w, -1.0)), out)
            return np.where(inside | neg, out, np.nan)  # beyond w_max: not invertible (NaN)
        return f

    return RTransform(_eval(cr, r_transform), _eval(cd, r_transform_derivative),
                      g_edge if np.isfinite(g_edge) else np.inf, law.name)


def wishart_zero_field_beta(c) -> np.ndarray:
    """Zero-field AT point ``beta_c = 1/(sqrt c (1 + sqrt c))`` of ``J0 = X^T X/n - I``
    (root of ``beta^2 R'(beta) = 1`` with ``R(w) = c w/(1 - c w)``)."""
    c = np.asarray(c, float)
    if np.any(~(c > 0)):
        raise ParameterError("c", c, "c = N/n > 0")
    return 1.0 / (np.sqrt(c) * (1.0 + np.sqrt(c)))


# ------------------------------------------------------------------------------------------
# replica-symmetric fixed point and AT condition
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IsingRS:
    """RS fixed point (arrays broadcast over ``beta``, ``h``): ``q``, ``chi = 1 - q``,
    ``field_var = q R'_{beta J}(chi)``, ``reaction = R_{beta J}(chi)`` (Onsager coefficient),
    ``at = R'_{beta J}(chi) E[(1 - m^2)^2]`` (stable when ``< 1``), ``converged`` mask."""

    q: np.ndarray
    chi: np.ndarray
    field_var: np.ndarray
    reaction: np.ndarray
    at: np.ndarray
    converged: np.ndarray


def _check_beta_h(beta, h):
    b, hh = np.broadcast_arrays(np.asarray(beta, float), np.asarray(h, float))
    if np.any(~(b > 0) | ~np.isfinite(b)):
        raise ParameterError("beta", beta, "beta > 0 (finite)")
    if np.any(~np.isfinite(hh)):
        raise ParameterError("h", h, "a finite field")
    return b.astype(float), np.abs(hh).astype(float)   # the RS equations are even in h


def _rs_map(q, b, h, rt: RTransform):
    chi = 1.0 - q
    dr = b * b * rt.dr(b * chi)
    s = np.sqrt(np.maximum(q * dr, 0.0))
    m = np.tanh(h[..., None] + s[..., None] * _GH_X)
    t2 = (m * m) @ _GH_W
    sech4 = ((1 - m * m) ** 2) @ _GH_W
    return t2, dr, sech4


def _root_bracketed(f, a, b, fa, fb, *, tol: float, iters: int = 100):
    """Vectorised root of ``f`` in brackets ``[a, b]`` with ``fa > 0 > fb`` (either order of
    ``a, b``): Illinois regula falsi, bisection wherever the secant step leaves the bracket.
    NaN values of ``f`` count as positive (the ``a`` side). Stops when the bracket or the last
    step is below ``tol`` (everywhere); returns the last iterate."""
    last = np.zeros(np.shape(a))
    prev = np.full(np.shape(a), np.inf)
    c = 0.5 * (a + b)
    for _ in range(iters):
        with np.errstate(divide="ignore", invalid="ignore"):
            c = b - fb * (b - a) / (fb - fa)
        mid = 0.5 * (a + b)
        lo_, hi_ = np.minimum(a, b), np.maximum(a, b)
        c = np.where(np.isfinite(c) & (c > lo_) & (c < hi_), c, mid)
        fc = f(c)
        nan = np.isnan(fc)
        pos = (fc > 0) | nan
        fc = np.where(nan, np.abs(fa), fc)
        # Illinois: when the same end is replaced twice in a row, halve the other end's value
        fb = np.where(pos & (last > 0), 0.5 * fb, fb)
        fa = np.where(~pos & (last < 0), 0.5 * fa, fa)
        a, fa = np.where(pos, c, a), np.where(pos, fc, fa)
        b, fb = np.where(pos, b, c), np.where(pos, fb, fc)
        last = np.where(pos, 1.0, -1.0)
        if np.all((np.abs(b - a) < tol) | (np.abs(c - prev) < tol)):
            break
        prev = c
    return c


def ising_rs(beta, h, rt: RTransform, *, tol: float = 1e-13) -> IsingRS:
    """RS fixed point of the Ising model with coupling ``beta J`` (module docstring), vectorised.

    ``q`` is the root of ``F(q) = E tanh^2(...) - q`` on ``(0, 1)`` (Illinois regula falsi): at ``h = 0`` the
    paramagnet ``q = 0`` is returned where ``F > 0`` has no root above ``q = 1e-10``, else the
    largest root. Where ``beta chi`` leaves the real domain of ``R`` (small ``q``) the search moves
    to larger ``q``; NaN (``converged`` False) where no root is found inside the domain.
    """
    if not isinstance(rt, RTransform):
        rt = law_r(rt)
    b, hh = _check_beta_h(beta, h)
    shape = b.shape
    b, hh = b.reshape(-1), hh.reshape(-1)
    lo = np.full(b.shape, 1e-10)
    hi = np.full(b.shape, 1.0 - 1e-15)
    F = lambda qq: _rs_map(qq, b, hh, rt)[0] - qq          # noqa: E731
    f_lo, f_hi = F(lo), F(hi)
    para = (hh == 0) & ~(f_lo > 0) & ~np.isnan(f_lo)
    f_lo = np.where(np.isnan(f_lo), 1.0, f_lo)
    q = _root_bracketed(F, lo, hi, f_lo, f_hi, tol=tol)
    q = np.where(para, 0.0, q)
    t2, dr, sech4 = _rs_map(q, b, hh, rt)
    chi = 1.0 - q
    conv = np.isfinite(dr) & np.isfinite(t2) & ((np.abs(t2 - q) < 1e-9) | para)
    nan = np.where(conv, 1.0, np.nan)
    reaction = b * rt.r(b * chi)
    return IsingRS(q=(q * nan).reshape(shape), chi=(chi * nan).reshape(shape),
                   field_var=(q * dr * nan).reshape(shape), reaction=(reaction * nan).reshape(shape),
                   at=(dr * sech4 * nan).reshape(shape), converged=conv.reshape(shape))


def at_ratio(beta, h, rt: RTransform) -> np.ndarray:
    """``R'_{beta J}(chi) E[(1 - m^2)^2]`` at the RS fixed point (AT stable when ``< 1``)."""
    return ising_rs(beta, h, rt).at


def at_line(h, rt: RTransform, *, beta_max: float | None = None, tol: float = 1e-10) -> np.ndarray:
    """``beta_AT(h)``: the smallest ``beta`` with AT ratio 1 (bracket grown from ``beta = 1``, then
    Illinois regula falsi, :func:`_root_bracketed`) on ``(0, beta_max]``
    (vectorised over ``h``; NaN where no crossing is found). ``beta_max`` defaults to the edge
    of the domain of ``R`` (``beta w_max = ...``) or 20."""
    if not isinstance(rt, RTransform):
        rt = law_r(rt)
    hh = np.abs(np.asarray(h, float))
    if np.any(~np.isfinite(hh)):
        raise ParameterError("h", h, "a finite field")
    shape = hh.shape
    hh = hh.reshape(-1)
    if beta_max is None:
        beta_max = 20.0 if not np.isfinite(rt.w_max) else min(20.0, np.sqrt(rt.w_max) * 4)
    lo = np.full(hh.shape, 1e-6)
    hi = np.full(hh.shape, float(beta_max))

    def ratio(bb):
        a = ising_rs(bb, hh, rt).at
        return np.where(np.isnan(a), np.inf, a)   # outside R's domain: unstable side

    # bracket: grow hi from min(1, beta_max) geometrically until the ratio exceeds 1 (a fixed large
    # hi would put the sech^4 peak below the quadrature resolution)
    hi = np.minimum(hi, 1.0)
    for _ in range(40):
        below = ~(ratio(hi) > 1) & (hi < beta_max)
        if not below.any():
            break
        lo = np.where(below, hi, lo)
        hi = np.where(below, np.minimum(hi * 1.25, beta_max), hi)
    r_hi = ratio(hi)
    bad = ~(r_hi > 1)
    r_lo = ratio(lo)
    # root of 1 - ratio: positive at lo (stable side), negative at hi
    g = lambda bb: 1.0 - ratio(bb)                        # noqa: E731
    root = _root_bracketed(g, lo, hi, 1.0 - r_lo, 1.0 - r_hi, tol=tol)
    lo = hi = root
    out = np.where(bad, np.nan, 0.5 * (lo + hi))
    return out.reshape(shape)


# ------------------------------------------------------------------------------------------
# the derivation (printable LaTeX)
# ------------------------------------------------------------------------------------------
_q = sp.Symbol("q", nonnegative=True)
_b = sp.Symbol("beta", positive=True)
_h = sp.Symbol("h", real=True)
_zz, _ww = sp.symbols("z w", real=True)
_RJ = sp.Function("R_J")
_chi = 1 - _q
_Rp = sp.Subs(sp.Derivative(_RJ(_ww), _ww), _ww, _b * _chi)     # R_J'(beta chi)
_dR = _b ** 2 * _Rp                                             # R'_{beta J}(chi)
_gauss = sp.exp(-_zz ** 2 / 2) / sp.sqrt(2 * sp.pi)
_mz = sp.tanh(_h + sp.sqrt(_q * _dR) * _zz)
_E = lambda f: sp.Integral(f * _gauss, (_zz, -sp.oo, sp.oo))    # noqa: E731

AMP_RSMP_AT_LINE = register(Derivation(
    "amp-rsmp-at-line",
    title="Ising model with rotation-invariant coupling: RS fixed point and AT line",
    unknowns=[_q], parameters=[_b, _h],
    equations=[sp.Eq(_q, _E(_mz ** 2))],
    outputs={"chi": _chi,
             "reaction": _b * _RJ(_b * _chi),
             "at": _dR * _E((1 - _mz ** 2) ** 2)},
    requires=["semicircle", "marchenko-pastur"],
    reference=("B. Çakmak, Y. M. Lu, M. Opper, 'Analysis of random sequential message passing "
               "algorithms for approximate inference', arXiv:2202.08198 (2022); Çakmak & Opper, "
               "arXiv:1901.08583; Parisi & Potters, J. Phys. A 28 (1995)"),
    assumptions=("p(s) ~ exp(beta/2 s^T J s + h sum s_i), s_i = +-1, J = O^T D O, O Haar; "
                 "R_J(w) = G^{-1}(w) - 1/w with G = -m, m(z) = int dmu(x)/(x - z); "
                 "R_{beta J}(w) = beta R_J(beta w); TAP/EC fixed point m = tanh(h + beta J m - "
                 "R_{beta J}(chi) m); AT stable when at < 1"),
    symbols={_b: r"\beta", _q: "q"},
))
