"""GAMP state evolution for generalised linear models: Bayes-optimal and convex ERM (issue 6, item 2).

Model (Aubin, Krzakala, Lu & Zdeborova 2020, arXiv:2006.06560; Rangan GAMP arXiv:1010.5141):
teacher ``w* ~ N(0, I_d)`` (``rho = E w*^2 = 1``), inputs ``x_mu ~ N(0, I_d / d)``,
``n = alpha d`` samples, labels ``y_mu ~ P(y | z_mu)``, ``z_mu = w*.x_mu`` (channels in
:mod:`rmtsym.amp.glm_channels`: sign, probit, logistic, relu). Overlaps of an estimator ``w``:
``m = w.w*/d``, ``q = w.w/d``; ``(z, omega = w.x)`` is jointly Gaussian with covariance
``[[1, m], [m, q]]``.

Bayes-optimal (prior ``N(0, 1)``; Nishimori ``m = q``, ``V = 1 - q``)::

    q_hat = alpha E_{xi} sum_y Z_out(y; omega, V) g_out(y; omega, V)^2,  omega = sqrt(q) xi
    q     = q_hat / (1 + q_hat)

For sign/probit ``sum_y Z g^2 = phi(t)^2 / ((V + Delta) Phi(t) Phi(-t))``, ``t = omega/sqrt(V + Delta)``,
integrated by Gauss-Legendre in the variable ``u`` with ``t = u sqrt(q/(q + V + Delta))``, whose
weight is ``~|u| e^{-u^2/2}`` uniformly in ``q`` (accurate up to ``q -> 1``, i.e. large alpha).
Estimator: the posterior mean ``w_hat`` (GAMP's fixed point); the label predictor
``sign(w_hat.x)`` is the Bayes classifier for these sign-symmetric channels. ``eg`` =
``P(sign(w_hat.x) != sign(z)) = arccos(sqrt q)/pi``; ``label_error`` = ``P(y != sign(w_hat.x))``
(equal to ``eg`` for the sign channel). ReLU: ``eg`` = ``E Var[relu(z) | omega]``, the MSE of
the Bayes prediction of the noiseless output.

ERM ``min_w sum_mu l(y_mu, w.x_mu) + (lambda/2)||w||^2`` (losses logistic, square, hinge),
with ``g_out = (prox_{V l(y,.)}(omega) - omega)/V``, ``mu = (m/q) omega``, ``sigma^2 = 1 - m^2/q``
(the teacher's ``z`` given ``omega``), derived by Gaussian integration by parts::

    m_hat = alpha E_xi sum_y d_mu Z_out(y; mu, sigma^2) g_out(y, omega, V)
    q_hat = alpha E_xi sum_y Z_out(y; mu, sigma^2) g_out(y, omega, V)^2
    V_hat = -alpha E_xi sum_y Z_out(y; mu, sigma^2) d_omega g_out(y, omega, V)
    m = m_hat/(lambda + V_hat),  q = (m_hat^2 + q_hat)/(lambda + V_hat)^2,  V = 1/(lambda + V_hat)

(``m_hat = alpha E[d_z E_{y|z} g_out]``: ``E[g (z - mu)] = sigma^2 E d_mu``). ``eg`` =
``arccos(m/sqrt q)/pi`` (disagreement with ``sign(z)``), ``label_error`` = ``P(y != sign(w.x))``,
``train_loss`` = ``E l(y, prox)`` per sample (penalty excluded), ``train_error`` =
``P(y prox < 0)``. Vectorised over broadcast ``alpha``/``lambda`` grids; the damped iteration
reports a ``converged`` mask and NaN elsewhere (last iterates in ``last``).

>>> r = bayes_glm_se("sign", [1.0, 2.0])
>>> [round(float(e), 4) for e in r.eg]
[0.2544, 0.1745]
>>> s = erm_glm_se("sign", "logistic", 2.0, 0.5)
>>> bool(s.converged), round(float(s.eg), 3)
(True, 0.196)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from scipy.special import log_ndtr, ndtr

from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import ParameterError, check_array
from .glm_channels import Channel, get_channel, get_loss, gh_nodes

__all__ = ["GLMBayesSE", "GLMErmSE", "bayes_glm_se", "bayes_glm_se_trajectory", "bayes_qhat",
           "erm_glm_se", "erm_hat_map", "AMP_GLM_CHANNELS", "AMP_GLM_PROX", "AMP_GLM_BAYES_SE",
           "AMP_GLM_ERM_SE", "AMP_GLM_ERM_SQUARE"]

_GL_U, _GL_W = np.polynomial.legendre.leggauss(200)
_GL_U, _GL_W = 12.0 * _GL_U, 12.0 * _GL_W            # u in [-12, 12]
_HL_U, _HL_W = np.polynomial.legendre.leggauss(120)
_HL_U, _HL_W = 6.0 * (_HL_U + 1.0), 6.0 * _HL_W        # xi in [0, 12]
_PHI_HL = np.exp(-0.5 * _HL_U ** 2) / np.sqrt(2 * np.pi)


def _grid(names_values):
    arrs = []
    for name, v in names_values:
        if name in ("lam", "q0"):
            arrs.append(check_array(v, name, lambda a: np.isfinite(a) & (a >= 0), f"{name} >= 0 (finite)"))
        else:
            arrs.append(check_array(v, name, lambda a: np.isfinite(a) & (a > 0), f"{name} > 0 (finite)"))
    return [np.array(a) for a in np.broadcast_arrays(*arrs)]


def _channel(channel, delta, beta) -> Channel:
    return channel if isinstance(channel, Channel) else get_channel(channel, delta=delta, beta=beta)


# ---- Bayes-optimal -------------------------------------------------------------------------
def bayes_qhat(channel, q, alpha, *, delta: float = 0.0, beta: float = 1.0, n_y: int = 300):
    """``q_hat(q) = alpha E[g_out^2]`` at ``V = 1 - q`` (broadcast over ``q``, ``alpha``)."""
    ch = _channel(channel, delta, beta)
    q = np.clip(np.asarray(q, dtype=float), 0.0, 1.0)
    alpha = np.asarray(alpha, dtype=float)
    V = 1.0 - q
    if ch.name in ("sign", "probit"):
        s2 = np.maximum(V + ch.delta, 1e-300)[..., None]
        qq = q[..., None]
        c = np.sqrt(s2 / (qq + s2))
        t = _GL_U * np.sqrt(qq / (qq + s2))
        F = np.exp(-t * t - np.log(2 * np.pi) - log_ndtr(t) - log_ndtr(-t))
        integ = np.sum(_GL_W * c * np.exp(-0.5 * (_GL_U * c) ** 2) / np.sqrt(2 * np.pi) * F, -1)
        return alpha * integ / s2[..., 0]
    x, w = gh_nodes(80)
    om = np.sqrt(q)[..., None] * x
    Vb = np.maximum(V, 1e-300)[..., None]
    if ch.discrete:
        tot = 0.0
        for y in (1.0, -1.0):
            Z, Z1, _ = ch.z_derivs(y, om, Vb)
            tot = tot + Z1 * Z1 / np.maximum(Z, 1e-300)
        return alpha * np.sum(w * tot, -1)
    # relu: integrate over y on [min(0, omega) - 10 sqrt(S), max(0, omega) + 10 sqrt(S)]
    S = np.sqrt(Vb + ch.delta)[..., None]
    lo, hi = np.minimum(om, 0.0)[..., None] - 10 * S, np.maximum(om, 0.0)[..., None] + 10 * S
    u, wu = np.polynomial.legendre.leggauss(n_y)
    ys = 0.5 * (hi + lo) + 0.5 * (hi - lo) * u
    Z, Z1, _ = ch.z_derivs(ys, om[..., None], Vb[..., None])
    inner = np.sum(0.5 * (hi - lo) * wu * Z1 * Z1 / np.maximum(Z, 1e-300), -1)
    return alpha * np.sum(w * inner, -1)


def _bayes_errors(ch: Channel, q):
    q = np.asarray(q, dtype=float)
    V = np.maximum(1.0 - q, 0.0)
    if not ch.discrete:
        x, w = gh_nodes(80)
        om = np.sqrt(q)[..., None] * x
        sV = np.sqrt(V)[..., None]
        a = om / np.maximum(sV, 1e-300)
        P, ph = ndtr(a), np.exp(-0.5 * a * a) / np.sqrt(2 * np.pi)
        m1 = om * P + sV * ph
        m2 = (om * om + sV * sV) * P + om * sV * ph
        return np.sum(w * (m2 - m1 * m1), -1), np.full(q.shape, np.nan)
    eg = np.arccos(np.sqrt(np.clip(q, 0.0, 1.0))) / np.pi
    if ch.name in ("sign", "probit"):  # (z + sqrt(Delta) xi, omega) Gaussian, correlation m/sqrt(q(1+Delta))
        return eg, np.arccos(np.sqrt(np.clip(q, 0.0, 1.0) / (1.0 + ch.delta))) / np.pi
    Z = ch.z_out(-1.0, np.sqrt(q)[..., None] * _HL_U, V[..., None])
    return eg, 2.0 * np.sum(_HL_W * _PHI_HL * Z, -1)


@dataclass(frozen=True)
class GLMBayesSE:
    """Bayes-optimal SE fixed point: ``q`` (= ``m``), ``q_hat``, ``eg``, ``label_error`` (NaN
    for relu), ``converged`` mask, ``iterations``, ``last`` (last iterate of ``q``)."""

    q: np.ndarray
    q_hat: np.ndarray
    eg: np.ndarray
    label_error: np.ndarray
    converged: np.ndarray
    iterations: int
    last: np.ndarray


def bayes_glm_se(channel, alpha, *, delta: float = 0.0, beta: float = 1.0, q0=0.0,
                 iters: int = 10_000, tol: float = 1e-11, damping: float = 1.0) -> GLMBayesSE:
    """Iterate ``q <- q_hat(q)/(1 + q_hat(q))`` from ``q0`` (GAMP from ``w = 0`` is ``q0 = 0``)."""
    ch = _channel(channel, delta, beta)
    alpha, q0 = _grid([("alpha", alpha), ("q0", q0)])
    if np.any(q0 >= 1):
        raise ParameterError("q0", float(q0.max()), "q0 in [0, 1)")
    if not 0 < damping <= 1:
        raise ParameterError("damping", damping, "damping in (0, 1]")
    q = q0.copy()
    conv = np.zeros(q.shape, bool)
    k = 0
    for k in range(1, int(iters) + 1):
        qh = bayes_qhat(ch, q, alpha)
        qn = (1 - damping) * q + damping * qh / (1.0 + qh)
        done = np.abs(qn - q) <= tol * np.maximum(qn, 1e-12)
        q = np.where(conv, q, qn)
        conv |= done
        if conv.all():
            break
    eg, le = _bayes_errors(ch, q)
    nan = np.where(conv, 1.0, np.nan)
    return GLMBayesSE(q * nan, bayes_qhat(ch, q, alpha) * nan, eg * nan, le * nan, conv, k, q)


def bayes_glm_se_trajectory(channel, alpha: float, iters: int, *, delta: float = 0.0,
                            beta: float = 1.0, q0: float = 0.0) -> np.ndarray:
    """SE prediction of GAMP from ``w_hat^0`` with overlap ``q0`` (``w = 0``: ``q0 = 0``):
    ``q[t]`` = predicted ``m = q`` after GAMP step ``t + 1``, ``t = 0..iters-1``."""
    ch = _channel(channel, delta, beta)
    (alpha,) = _grid([("alpha", alpha)])
    q, out = float(q0), []
    for _ in range(int(iters)):
        qh = float(bayes_qhat(ch, q, alpha))
        q = qh / (1.0 + qh)
        out.append(q)
    return np.array(out)


# ---- ERM -----------------------------------------------------------------------------------
def erm_hat_map(channel, loss, m, q, V, alpha, *, delta: float = 0.0, beta: float = 1.0,
                n_quad: int = 24, extras: bool = True):
    """``(m_hat, q_hat, V_hat, train_loss, train_error, label_error)`` at ``(m, q, V)`` (broadcast;
    the last three are None unless ``extras``)."""
    ch, lo = _channel(channel, delta, beta), get_loss(loss)
    if not ch.discrete:
        raise ParameterError("channel", ch.name, "a classification channel (sign, probit, logistic) for ERM")
    m, q, V, alpha = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (m, q, V, alpha)))
    sq = np.sqrt(np.maximum(q, 1e-300))[..., None]
    x, w = _panels(np.concatenate([np.zeros_like(sq)] + [s_ * a / sq for a in lo.kinks(V[..., None])
                                                        for s_ in (1.0, -1.0)], -1), n_quad)
    om = sq * x
    mu = (m[..., None] / sq) * x
    s2 = np.maximum(1.0 - m * m / np.maximum(q, 1e-300), 1e-12)[..., None]
    Vb = V[..., None]
    mh = qh = vh = tl = 0.0
    for y in (1.0, -1.0):
        Z0, dZ0, _ = ch.z_derivs(y, mu, s2)
        p, g, dg = lo.prox(y, om, Vb)
        mh = mh + dZ0 * g
        qh = qh + Z0 * g * g
        vh = vh - Z0 * dg
        tl = tl + Z0 * lo.value(y, p)
    E = lambda f: np.sum(w * f, -1)  # noqa: E731
    if not extras:
        return alpha * E(mh), alpha * E(qh), alpha * E(vh), None, None, None
    # P(y p < 0) and P(y omega < 0): y p = 0 at y omega = a* = V l'(+1, 0) (from p = omega - V l'(y, p));
    # by the y -> -y, xi -> -xi symmetry both are 2 int_{xi0}^oo phi(xi) Z_out(-1; mu, sigma^2) dxi
    sqs = np.sqrt(np.maximum(q, 1e-300))
    te = _tail(ch, -V * float(lo.grad(1.0, 0.0)) / sqs, m / sqs, s2[..., 0])
    if ch.name in ("sign", "probit"):
        le = np.arccos(np.clip(m / np.sqrt(np.maximum(q, 1e-300) * (1.0 + ch.delta)), -1, 1)) / np.pi
    else:
        le = _tail(ch, 0.0 * m, m / sqs, s2[..., 0])
    return alpha * E(mh), alpha * E(qh), alpha * E(vh), E(tl), te, le


_PL_U, _PL_W = np.polynomial.legendre.leggauss(40)


def _panels(breaks, n_per: int = 40, L: float = 11.0):
    """Composite Gauss-Legendre nodes ``x`` and weights ``w`` (times ``phi(x)``) on ``[-L, L]`` split
    at ``breaks`` (last axis; kinks of the integrand in ``xi``), so that ``E f(Z) ~ sum w f(x)``."""
    b = np.sort(np.clip(breaks, -L, L), -1)
    edges = np.concatenate([np.full(b.shape[:-1] + (1,), -L), b, np.full(b.shape[:-1] + (1,), L)], -1)
    u, wu = (_PL_U, _PL_W) if n_per == 40 else np.polynomial.legendre.leggauss(n_per)
    a, c = edges[..., :-1, None], edges[..., 1:, None]
    x = (0.5 * (a + c) + 0.5 * (c - a) * u).reshape(b.shape[:-1] + (-1,))
    w = (0.5 * (c - a) * wu).reshape(x.shape) * np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)
    return x, w


def _tail(ch: Channel, xi0, slope, s2):
    """``2 int_{xi0}^oo phi(xi) Z_out(-1; slope xi, s2) dxi`` (Gauss-Legendre on [xi0, xi0 + 12])."""
    xi0, slope, s2 = (np.asarray(a, dtype=float)[..., None] for a in (xi0, slope, s2))
    xi = xi0 + _HL_U
    phi = np.exp(-0.5 * xi * xi) / np.sqrt(2 * np.pi)
    return 2.0 * np.sum(_HL_W * phi * ch.z_out(-1.0, slope * xi, s2), -1)


@dataclass(frozen=True)
class GLMErmSE:
    """ERM SE fixed point (arrays over the broadcast ``alpha``/``lam`` grid): overlaps ``m, q, V``,
    conjugates ``m_hat, q_hat, V_hat``, ``eg``, ``label_error``, ``train_loss``, ``train_error``;
    NaN where ``converged`` is False; ``last`` holds the last iterates ``(m, q, V)``."""

    m: np.ndarray
    q: np.ndarray
    V: np.ndarray
    m_hat: np.ndarray
    q_hat: np.ndarray
    V_hat: np.ndarray
    eg: np.ndarray
    label_error: np.ndarray
    train_loss: np.ndarray
    train_error: np.ndarray
    converged: np.ndarray
    iterations: int
    last: dict = field(default_factory=dict)


def erm_glm_se(channel, loss, alpha, lam, *, delta: float = 0.0, beta: float = 1.0,
               iters: int = 2000, tol: float = 1e-10, damping: float = 0.7,
               n_quad: int = 24) -> GLMErmSE:
    """Damped fixed-point iteration of the ERM state evolution (module docstring), vectorised.

    Convergence: max relative change of ``(m, q, V)`` below ``tol``. ``lam >= 0``.
    """
    ch = _channel(channel, delta, beta)
    get_loss(loss)
    alpha, lam = _grid([("alpha", alpha), ("lam", lam)])
    if not 0 < damping <= 1:
        raise ParameterError("damping", damping, "damping in (0, 1]")
    shape = alpha.shape
    alpha, lam = alpha.ravel(), lam.ravel()
    m, q, V = np.full(alpha.shape, 0.3), np.full(alpha.shape, 0.5), np.ones(alpha.shape)
    conv = np.zeros(alpha.shape, bool)
    act = np.ones(alpha.shape, bool)  # still iterating (not converged, still finite)
    k = 0
    for k in range(1, int(iters) + 1):
        i = np.nonzero(act)
        mh, qh, vh, *_ = erm_hat_map(ch, loss, m[i], q[i], V[i], alpha[i], n_quad=n_quad, extras=False)
        den = lam[i] + vh
        old = (m[i], q[i], V[i])
        new = [(1 - damping) * o + damping * nv
               for o, nv in zip(old, (mh / den, (mh * mh + qh) / (den * den), 1.0 / den))]
        rel = np.max([np.abs(a - b) / np.maximum(np.abs(a), 1e-12) for a, b in zip(new, old)], axis=0)
        m[i], q[i], V[i] = new
        done = rel <= tol
        conv[i] = done
        act[i] = ~done & np.isfinite(rel) & (q[i] < 1e12)
        if not act.any():
            break
    mh, qh, vh, tl, te, le = erm_hat_map(ch, loss, m, q, V, alpha, n_quad=n_quad)
    eg = np.arccos(np.clip(m / np.sqrt(q), -1.0, 1.0)) / np.pi
    nan = np.where(conv, 1.0, np.nan)
    r = lambda a: (a * nan).reshape(shape)  # noqa: E731
    return GLMErmSE(r(m), r(q), r(V), r(mh), r(qh), r(vh), r(eg), r(le), r(tl), r(te),
                    conv.reshape(shape), k, {"m": m.reshape(shape), "q": q.reshape(shape),
                                             "V": V.reshape(shape)})


# ---- derivations (printable LaTeX) --------------------------------------------------------
_y, _om = sp.symbols("y omega", real=True)
_V, _D, _b = sp.symbols("V Delta beta", positive=True)
_zz, _xi = sp.symbols("z xi", real=True)
_al, _lam = sp.symbols("alpha lambda", positive=True)
_q, _m, _Vs, _mh, _qh, _Vh = sp.symbols("q m V_s mhat qhat Vhat", real=True)


def _Phi(x):
    return (1 + sp.erf(x / sp.sqrt(2))) / 2


def _npdf(x, var):
    return sp.exp(-x ** 2 / (2 * var)) / sp.sqrt(2 * sp.pi * var)


_Z_PROBIT = _Phi(_y * _om / sp.sqrt(_V + _D))
_Z_RELU = (_npdf(_y, _D) * _Phi(-_om / sp.sqrt(_V)) + _npdf(_y - _om, _V + _D)
           * _Phi((_om * _D + _y * _V) / sp.sqrt(_V * _D * (_V + _D))))
AMP_GLM_CHANNELS = register(Derivation(
    "amp-glm-output-channels",
    parameters=[_y, _om, _V, _D, _b],
    outputs={"Z_sign": _Phi(_y * _om / sp.sqrt(_V)), "Z_probit": _Z_PROBIT,
             "g_probit": sp.diff(sp.log(_Z_PROBIT), _om),
             "Z_logistic": sp.Integral(_npdf(_zz - _om, _V) / (1 + sp.exp(-_b * _y * _zz)), (_zz, -sp.oo, sp.oo)),
             "Z_relu": _Z_RELU},
    requires=["gaussian-expectation"],
    reference="Rangan, GAMP, arXiv:1010.5141; Aubin, Krzakala, Lu & Zdeborova, arXiv:2006.06560",
    assumptions="Z_out(y; omega, V) = int dz N(z; omega, V) P(y|z); g_out = d_omega log Z_out; "
                "probit y = sign(z + sqrt(Delta) xi), relu y = max(z, 0) + sqrt(Delta) xi",
    symbols={"Z_sign": r"Z_{\mathrm{out}}^{\mathrm{sign}}", "Z_probit": r"Z_{\mathrm{out}}^{\mathrm{probit}}",
             "g_probit": r"g_{\mathrm{out}}^{\mathrm{probit}}", "Z_logistic": r"Z_{\mathrm{out}}^{\mathrm{logistic}}",
             "Z_relu": r"Z_{\mathrm{out}}^{\mathrm{ReLU}}"},
    title="GLM output channels: partition functions Z_out and g_out",
))

_p = sp.Symbol("p", real=True)
AMP_GLM_PROX = register(Derivation(
    "amp-glm-losses-prox",
    parameters=[_y, _om, _V, _p],
    outputs={"prox_square": (_om + _V * _y) / (1 + _V),
             "prox_hinge": sp.Piecewise((_om, _y * _om >= 1), (_y, _y * _om >= 1 - _V), (_om + _V * _y, True)),
             "logistic_prox_equation": _p - _om - _V * _y / (1 + sp.exp(_y * _p)),
             "g_out": (_p - _om) / _V},
    requires=[],
    reference="Aubin, Krzakala, Lu & Zdeborova, arXiv:2006.06560 (ERM GAMP via proximal operators)",
    assumptions="prox_{V l(y,.)}(omega) = argmin_p l(y,p) + (p-omega)^2/(2V); y in {-1,+1} for hinge; "
                "logistic prox p is the root of the stated equation",
    symbols={"prox_square": r"\mathrm{prox}^{\mathrm{sq}}", "prox_hinge": r"\mathrm{prox}^{\mathrm{hinge}}",
             "logistic_prox_equation": r"0", "g_out": r"g_{\mathrm{out}}"},
    title="Proximal operators of the ERM losses",
))

_t = sp.sqrt(_q) * _xi / sp.sqrt(1 - _q + _D)
_phi_t = sp.exp(-_t ** 2 / 2) / sp.sqrt(2 * sp.pi)
_DXI = sp.exp(-_xi ** 2 / 2) / sp.sqrt(2 * sp.pi)
AMP_GLM_BAYES_SE = register(Derivation(
    "amp-glm-bayes-se",
    unknowns=[_q, _qh],
    parameters=[_al, _D],
    equations=[sp.Eq(_q, _qh / (1 + _qh)),
               sp.Eq(_qh, _al / (1 - _q + _D) * sp.Integral(
                   _DXI * _phi_t ** 2 / (_Phi(_t) * _Phi(-_t)), (_xi, -sp.oo, sp.oo)))],
    outputs={"eg": sp.acos(sp.sqrt(_q)) / sp.pi},
    requires=["amp-glm-output-channels"],
    reference="Barbier, Krzakala, Macris, Miolane & Zdeborova, PNAS 116 (2019), arXiv:1708.03395; "
              "Aubin et al. arXiv:2006.06560",
    assumptions="w* ~ N(0, I_d), x ~ N(0, I_d/d), n = alpha d; probit channel (sign at Delta = 0); "
                "Gaussian prior, Nishimori m = q; eg = P(sign(w_hat.x) != sign(w*.x)), w_hat posterior mean",
    guess={_q: sp.Rational(1, 2), _qh: 1},
    symbols={_qh: r"\hat q", "eg": r"\varepsilon_g"},
    title="Bayes-optimal GAMP state evolution, probit/sign perceptron with Gaussian prior",
))

_gF, _dgF, _ZF, _dZF = (sp.Function(n) for n in ("g_out", "dg_out", "Z_out", "dmuZ_out"))
_omx = sp.sqrt(_q) * _xi
_mux = _m / sp.sqrt(_q) * _xi
_s2 = 1 - _m ** 2 / _q


def _E(f):
    return sp.Integral(_DXI * (f(1) + f(-1)), (_xi, -sp.oo, sp.oo))


AMP_GLM_ERM_SE = register(Derivation(
    "amp-glm-erm-se",
    unknowns=[_m, _q, _Vs, _mh, _qh, _Vh],
    parameters=[_al, _lam],
    equations=[sp.Eq(_m, _mh / (_lam + _Vh)), sp.Eq(_q, (_mh ** 2 + _qh) / (_lam + _Vh) ** 2),
               sp.Eq(_Vs, 1 / (_lam + _Vh)),
               sp.Eq(_mh, _al * _E(lambda y: _dZF(y, _mux, _s2) * _gF(y, _omx, _Vs))),
               sp.Eq(_qh, _al * _E(lambda y: _ZF(y, _mux, _s2) * _gF(y, _omx, _Vs) ** 2)),
               sp.Eq(_Vh, -_al * _E(lambda y: _ZF(y, _mux, _s2) * _dgF(y, _omx, _Vs)))],
    outputs={"eg": sp.acos(_m / sp.sqrt(_q)) / sp.pi},
    requires=["amp-glm-output-channels", "amp-glm-losses-prox"],
    reference="Aubin, Krzakala, Lu & Zdeborova, 'Generalization error in high-dimensional perceptrons', "
              "NeurIPS 2020, arXiv:2006.06560; re-derived (Gaussian integration by parts for mhat)",
    assumptions="min_w sum_mu l(y_mu, w.x_mu) + lambda/2 ||w||^2; w* ~ N(0, I_d), x ~ N(0, I_d/d); "
                "g_out = (prox_{V l}(omega) - omega)/V; Z_out(y; mu, sigma^2) the teacher channel, "
                "mu = (m/q) omega, sigma^2 = 1 - m^2/q; eg = arccos(m/sqrt q)/pi",
    guess={_m: sp.Rational(3, 10), _q: sp.Rational(1, 2), _Vs: 1, _mh: 1, _qh: 1, _Vh: 1},
    symbols={_Vs: "V", _mh: r"\hat m", _qh: r"\hat q", _Vh: r"\hat V", "eg": r"\varepsilon_g"},
    title="ERM state evolution (ridge penalty, convex loss via prox)",
))

# square loss on sign labels: all expectations in closed form (E y omega = m sqrt(2/pi))
_c = sp.sqrt(2 / sp.pi)
AMP_GLM_ERM_SQUARE = register(Derivation(
    "amp-glm-erm-se-square-sign",
    unknowns=[_m, _q, _Vs],
    parameters=[_al, _lam],
    equations=[sp.Eq(_m, (_al * _c / (1 + _Vs)) / (_lam + _al / (1 + _Vs))),
               sp.Eq(_q, ((_al * _c / (1 + _Vs)) ** 2 + _al * (1 - 2 * _c * _m + _q) / (1 + _Vs) ** 2)
                     / (_lam + _al / (1 + _Vs)) ** 2),
               sp.Eq(_Vs, 1 / (_lam + _al / (1 + _Vs)))],
    outputs={"eg": sp.acos(_m / sp.sqrt(_q)) / sp.pi},
    requires=["amp-glm-erm-se"],
    reference="special case of amp-glm-erm-se (Aubin et al. arXiv:2006.06560), expectations by hand",
    assumptions="square loss (y - z)^2/2, sign teacher: mhat = alpha sqrt(2/pi)/(1+V), "
                "qhat = alpha (1 - 2 sqrt(2/pi) m + q)/(1+V)^2, Vhat = alpha/(1+V)",
    guess={_m: sp.Rational(1, 2), _q: sp.Rational(1, 2), _Vs: 1},
    symbols={_Vs: "V", "eg": r"\varepsilon_g"},
    title="ERM state evolution, ridge regression on sign labels (closed form)",
))
