"""Monte Carlo ground truth for GLMs: data, GAMP (Bayes-optimal and ERM), normalisation of
:mod:`rmtsym.amp.glm` (``w* ~ N(0, I_d)``, rows ``x_mu ~ N(0, I_d/d)``, ``n = round(alpha d)``).

GAMP (Rangan arXiv:1010.5141, scalar-variance form), from ``w_hat = w0``, ``g = 0``::

    V     = c ||X||_F^2 / n                       (c = scalar variance of w_hat)
    omega = X w_hat - V g
    g     = g_out(y, omega, V),  A = -sum_mu d_omega g_out * ||X||_F^2 / (n d)
    b     = X^T g + A w_hat
    w_hat = f(b, A),  c = f'(b, A)

Bayes-optimal with prior ``N(0, 1)``: ``f = b/(1 + A)``, ``c = 1/(1 + A)``; ERM with penalty
``(lambda/2)||w||^2``: ``f = b/(lambda + A)``, ``c = 1/(lambda + A)`` and
``g = (prox_{V l(y,.)}(omega) - omega)/V``. Optional damping ``w_hat <- (1-eta) w_hat + eta f``
(same for ``c`` and ``g``).

Fixed point = ERM minimiser, exactly at finite size: at a fixed point of (damped) ERM-GAMP,
``p := omega + V g = prox_{V l}(omega)`` and ``omega = X w - V g`` give ``p = X w``; the prox
optimality condition ``(omega - p)/V in d l(y, p)`` reads ``-g_mu in d l(y_mu, x_mu.w)``; and
``w (lambda + A) = X^T g + A w`` gives ``lambda w = X^T g``. Hence
``0 in X^T d l(y, X w) + lambda w``: the first-order condition of the strictly convex objective
``sum_mu l(y_mu, x_mu.w) + (lambda/2)||w||^2``, whose unique minimiser ``w`` therefore is.
Nothing depends on ``A``, ``V`` or on ``d`` being large.

>>> D = sample_glm(200, 2.0, "sign", seed=0)
>>> r = run_gamp_erm(D.X, D.y, "square", 0.5, tol=1e-12)
>>> w = np.linalg.solve(D.X.T @ D.X + 0.5 * np.eye(200), D.X.T @ D.y)   # ridge in closed form
>>> bool(r.converged), bool(np.allclose(r.w, w, rtol=0, atol=1e-9))
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..amp.glm_channels import Channel, get_channel, get_loss
from ..errors import ParameterError, check_int

__all__ = ["GLMData", "sample_glm", "GAMPRun", "run_gamp_bayes", "run_gamp_erm", "overlaps"]


@dataclass(frozen=True)
class GLMData:
    """``X`` (n x d), labels ``y``, teacher ``w_star``, the ``channel``."""

    X: np.ndarray
    y: np.ndarray
    w_star: np.ndarray
    channel: Channel


def sample_glm(d: int, alpha: float, channel, *, delta: float = 0.0, beta: float = 1.0,
               seed: int = 0) -> GLMData:
    """One draw of the model (module docstring)."""
    d = check_int(d, "d", 1)
    if not (np.isfinite(alpha) and alpha > 0):
        raise ParameterError("alpha", alpha, "alpha = n/d > 0")
    ch = channel if isinstance(channel, Channel) else get_channel(channel, delta=delta, beta=beta)
    n = max(1, int(round(alpha * d)))
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(d)
    X = rng.standard_normal((n, d)) / np.sqrt(d)
    return GLMData(X, ch.sample(X @ w, rng), w, ch)


def overlaps(w: np.ndarray, w_star: np.ndarray) -> tuple[float, float]:
    """``(m, q) = (w.w*/d, w.w/d)``."""
    d = w.size
    return float(w @ w_star) / d, float(w @ w) / d


@dataclass(frozen=True)
class GAMPRun:
    """``m[t], q[t]`` overlaps after step ``t``; ``w`` last iterate; ``converged`` (ERM:
    relative change of ``w`` below ``tol``); ``iterations``; ``V``, ``A`` last scalars."""

    m: np.ndarray
    q: np.ndarray
    w: np.ndarray
    converged: bool
    iterations: int
    V: float
    A: float


def _gamp(X, y, w_star, gout, denoise, iters, w0, c0, damping, tol):
    n, d = X.shape
    fro = float(np.einsum("ij,ij->", X, X))
    w = np.zeros(d) if w0 is None else np.array(w0, dtype=float)
    c, g = float(c0), np.zeros(n)
    ms, qs = [], []
    conv, k, V, A = False, 0, np.nan, np.nan
    for k in range(1, int(iters) + 1):
        V = c * fro / n
        omega = X @ w - V * g
        gn, dg = gout(omega, V)
        g = gn if k == 1 else (1 - damping) * g + damping * gn
        A = -float(np.sum(dg)) * fro / (n * d)
        b = X.T @ g + A * w
        wn, cn = denoise(b, A)
        wn = (1 - damping) * w + damping * wn if k > 1 else wn
        c = (1 - damping) * c + damping * cn if k > 1 else cn
        change = np.linalg.norm(wn - w) / max(np.linalg.norm(wn), 1e-300)
        w = wn
        if w_star is not None:
            m_, q_ = overlaps(w, w_star)
            ms.append(m_)
            qs.append(q_)
        if tol is not None and change < tol:
            conv = True
            break
    return GAMPRun(np.array(ms), np.array(qs), w, conv, k, float(V), float(A))


def run_gamp_bayes(data: GLMData, iters: int, *, w0=None, c0: float = 1.0,
                   damping: float = 1.0) -> GAMPRun:
    """Bayes-optimal GAMP (prior ``N(0,1)``) for ``data`` from ``w0`` (default 0) with variance
    ``c0`` (``w0 = 0``: the prior variance 1; an informative start with overlap ``q0``: ``1 - q0``)."""
    iters = check_int(iters, "iters", 1)
    ch = data.channel
    return _gamp(data.X, data.y, data.w_star, lambda om, V: ch.g_out(data.y, om, V),
                 lambda b, A: (b / (1.0 + A), 1.0 / (1.0 + A)), iters, w0, c0, damping, None)


def run_gamp_erm(X: np.ndarray, y: np.ndarray, loss: str, lam: float, *, w_star=None,
                 iters: int = 2000, tol: float = 1e-12, damping: float = 1.0,
                 c0: float = 1.0) -> GAMPRun:
    """ERM-GAMP with ridge ``lam > 0`` and ``loss`` (logistic, square, hinge); stops when the
    relative change of ``w`` is below ``tol`` (its fixed point is the ERM minimiser, module docstring)."""
    lo = get_loss(loss)
    if not (np.isfinite(lam) and lam > 0):
        raise ParameterError("lam", lam, "ridge penalty lambda > 0 (finite)")
    if not 0 < damping <= 1:
        raise ParameterError("damping", damping, "damping in (0, 1]")
    iters = check_int(iters, "iters", 1)

    def gout(om, V):
        _, g, dg = lo.prox(y, om, V)
        return g, dg

    return _gamp(np.asarray(X, float), np.asarray(y, float), w_star, gout,
                 lambda b, A: (b / (lam + A), 1.0 / (lam + A)), iters, None, c0, damping, tol)
