"""Output channels and convex losses of generalised linear models (GLM), for GAMP and its SE.

Convention (:mod:`rmtsym.amp.glm`): ``z = w*.x`` with ``z ~ N(0, rho = 1)``; a channel gives
``P(y | z)``; the Bayes-optimal GAMP denoiser uses the partition function

    Z_out(y; omega, V) = int dz N(z; omega, V) P(y | z),   g_out = d_omega log Z_out,

(Rangan, arXiv:1010.5141; Aubin, Krzakala, Lu & Zdeborova, arXiv:2006.06560, eq. (7)).
The same ``Z_out`` with ``(omega, V) -> (mu, sigma^2)`` is the teacher's law of ``y`` given a
Gaussian estimate of ``z`` (used by the ERM state evolution).

Channels (``Delta`` noise variance, ``beta`` inverse temperature):

* ``sign``:     ``y = sign(z)``;             ``Z_out = Phi(y omega / sqrt(V))``
* ``probit``:   ``y = sign(z + sqrt(Delta) xi)``; ``Z_out = Phi(y omega / sqrt(V + Delta))``
* ``logistic``: ``P(y = +-1 | z) = sigmoid(beta y z)``; ``Z_out`` by Gauss-Hermite quadrature
* ``relu``:     ``y = max(z, 0) + sqrt(Delta) xi`` (regression, ``Delta > 0``); closed form
  ``Z_out = N(y; 0, Delta) Phi(-omega/sqrt V) + N(y; omega, V + Delta) Phi(c)``,
  ``c = (omega Delta + y V) / sqrt(V Delta (V + Delta))`` (product of two Gaussians).

Losses ``l(y, z)`` for ERM, through the proximal operator
``prox_{V l(y, .)}(omega) = argmin_p [l(y, p) + (p - omega)^2 / (2V)]`` and
``g_out = (prox - omega) / V``: ``square`` ``(y - z)^2/2``, ``logistic`` ``log(1 + e^{-yz})``
(prox by safeguarded vectorised Newton on ``u = y p``), ``hinge`` ``max(0, 1 - y z)``.

>>> ch = get_channel("probit", delta=0.25)
>>> round(float(ch.z_out(1.0, 0.3, 0.5)), 6)   # Phi(0.3 / sqrt(0.75))
0.635483
>>> lo = get_loss("logistic")
>>> p, g, dg = lo.prox(1.0, 0.2, 1.0)
>>> round(float(p - 1.0 * g * 1.0 - 0.2), 12)   # p = omega + V g
0.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_ndtr, ndtr

from ..errors import ParameterError

__all__ = ["Channel", "Loss", "get_channel", "get_loss", "CHANNELS", "LOSSES", "gh_nodes"]

CHANNELS = ("sign", "probit", "logistic", "relu")
LOSSES = ("logistic", "square", "hinge")
_LOG2PI_2 = 0.5 * np.log(2.0 * np.pi)


def gh_nodes(k: int):
    """Probabilists' Gauss-Hermite nodes and weights normalised to ``E f(Z) ~ sum w f(x)``."""
    x, w = np.polynomial.hermite_e.hermegauss(int(k))
    return x, w / np.sqrt(2.0 * np.pi)


def _mills(u):
    """``phi(u) / Phi(u)`` without overflow (log-space)."""
    return np.exp(-0.5 * u * u - _LOG2PI_2 - log_ndtr(u))


def _npdf(y, mean, var):
    return np.exp(-0.5 * (y - mean) ** 2 / var) / np.sqrt(2.0 * np.pi * var)


@dataclass(frozen=True)
class Channel:
    """A GLM output channel ``P(y | z)`` (see the module docstring)."""

    name: str
    delta: float = 0.0
    beta: float = 1.0
    n_quad: int = 64

    @property
    def discrete(self) -> bool:
        """Labels in ``{-1, +1}`` (all but ``relu``)."""
        return self.name != "relu"

    # ---- Z_out and its first two omega-derivatives ------------------------------------
    def z_derivs(self, y, omega, V):
        """``(Z_out, d_omega Z_out, d_omega^2 Z_out)`` at ``(y, omega, V)`` (broadcast)."""
        y, omega, V = (np.asarray(a, dtype=float) for a in (y, omega, V))
        if self.name in ("sign", "probit"):
            s = np.sqrt(V + self.delta)
            u = y * omega / s
            phi = np.exp(-0.5 * u * u) / np.sqrt(2 * np.pi)
            return ndtr(u), y * phi / s, -u * phi / (s * s)
        if self.name == "logistic":
            x, w = gh_nodes(self.n_quad)
            sV = np.sqrt(V)[..., None]
            a = (self.beta * y)[..., None]
            t = a * (omega[..., None] + sV * x)
            s1 = expit(t)
            d1 = s1 * (1 - s1)
            d2 = d1 * (1 - 2 * s1)
            return (np.sum(w * s1, -1), np.sum(w * a * d1, -1), np.sum(w * a * a * d2, -1))
        # relu: moments of (z - omega) on the two half-lines
        D = self.delta
        sV = np.sqrt(V)
        S = V + D
        # z < 0 piece: N(y; 0, D) int_{-oo}^0 N(z; omega, V) (z - omega)^k dz
        a0 = -omega / sV
        P0 = ndtr(a0)
        ph0 = np.exp(-0.5 * a0 * a0) / np.sqrt(2 * np.pi)
        m0 = (P0, -sV * ph0, V * (P0 - a0 * ph0))
        n0 = _npdf(y, 0.0, D)
        # z > 0 piece: N(y; omega, S) int_0^oo N(z; mp, vp) (z - omega)^k dz
        mp = (omega * D + y * V) / S
        vp = V * D / S
        svp = np.sqrt(vp)
        c = mp / svp
        P1 = ndtr(c)
        ph1 = np.exp(-0.5 * c * c) / np.sqrt(2 * np.pi)
        e1 = mp * P1 + svp * ph1             # int_0^oo z N
        e2 = (mp * mp + vp) * P1 + mp * svp * ph1   # int_0^oo z^2 N
        m1 = (P1, e1 - omega * P1, e2 - 2 * omega * e1 + omega * omega * P1)
        n1 = _npdf(y, omega, S)
        M = [n0 * a + n1 * b for a, b in zip(m0, m1)]
        return M[0], M[1] / V, (M[2] / V - M[0]) / V

    def z_out(self, y, omega, V):
        """``Z_out(y; omega, V)``."""
        return self.z_derivs(y, omega, V)[0]

    def g_out(self, y, omega, V):
        """``(g_out, d_omega g_out)`` of the Bayes-optimal GAMP (stable forms for sign/probit)."""
        y, omega, V = (np.asarray(a, dtype=float) for a in (y, omega, V))
        if self.name in ("sign", "probit"):
            s = np.sqrt(V + self.delta)
            u = y * omega / s
            r = _mills(u)
            return y * r / s, -(u * r + r * r) / (s * s)
        Z, Z1, Z2 = self.z_derivs(y, omega, V)
        Z = np.maximum(Z, 1e-300)
        g = Z1 / Z
        return g, Z2 / Z - g * g

    def sample(self, z, rng):
        """Labels ``y`` for pre-activations ``z``."""
        z = np.asarray(z, dtype=float)
        if self.name == "sign":
            return np.where(z >= 0, 1.0, -1.0)
        if self.name == "probit":
            return np.where(z + np.sqrt(self.delta) * rng.standard_normal(z.shape) >= 0, 1.0, -1.0)
        if self.name == "logistic":
            return np.where(rng.random(z.shape) < expit(self.beta * z), 1.0, -1.0)
        return np.maximum(z, 0.0) + np.sqrt(self.delta) * rng.standard_normal(z.shape)


def get_channel(name: str, delta: float = 0.0, beta: float = 1.0) -> Channel:
    """The channel called ``name`` (one of :data:`CHANNELS`), validated."""
    if not isinstance(name, str) or name.lower() not in CHANNELS:
        raise ParameterError("channel", name, "one of " + ", ".join(CHANNELS))
    name = name.lower()
    delta = float(delta)
    if not np.isfinite(delta) or delta < 0:
        raise ParameterError("delta", delta, "noise variance Delta >= 0 (finite)")
    if name == "relu" and not delta > 0:
        raise ParameterError("delta", delta, "Delta > 0 for the relu regression channel")
    if name == "logistic" and not (np.isfinite(beta) and beta > 0):
        raise ParameterError("beta", beta, "inverse temperature beta > 0 (finite)")
    return Channel(name, delta=delta, beta=float(beta))


# ---- losses and their proximal operators ------------------------------------------------
@dataclass(frozen=True)
class Loss:
    """A convex loss ``l(y, z)`` (see the module docstring)."""

    name: str

    def value(self, y, z):
        y, z = np.asarray(y, float), np.asarray(z, float)
        if self.name == "square":
            return 0.5 * (y - z) ** 2
        if self.name == "logistic":
            return np.logaddexp(0.0, -y * z)
        return np.maximum(0.0, 1.0 - y * z)

    def kinks(self, V):
        """Values of ``a = y omega`` where ``g_out`` has a kink or ``y prox`` changes sign (list)."""
        V = np.asarray(V, dtype=float)
        if self.name == "square":
            return [-V]
        if self.name == "logistic":
            return [-0.5 * V, 0.0 * V, -V]
        return [np.ones_like(V), 1.0 - V, -V]

    def grad(self, y, z):
        """``d l / d z`` (a subgradient for the hinge)."""
        y, z = np.asarray(y, float), np.asarray(z, float)
        if self.name == "square":
            return z - y
        if self.name == "logistic":
            return -y * expit(-y * z)
        return np.where(y * z < 1.0, -y, 0.0)

    def prox(self, y, omega, V, *, tol: float = 1e-14, iters: int = 100):
        """``(p, g_out, d_omega g_out)`` with ``p = prox_{V l(y,.)}(omega)``, ``g_out = (p - omega)/V``.

        Logistic: ``u = y p`` solves ``u = a + V sigmoid(-u)`` (``a = y omega``) in the bracket
        ``[a, a + V]``; Newton steps that leave the bracket are replaced by bisection.
        """
        y, omega, V = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (y, omega, V)))
        if self.name == "square":
            p = (omega + V * y) / (1.0 + V)
            return p, (y - omega) / (1.0 + V), -1.0 / (1.0 + V) + 0.0 * omega
        a = y * omega
        if self.name == "hinge":
            u = np.where(a >= 1.0, a, np.where(a >= 1.0 - V, 1.0, a + V))
            dg = np.where((a < 1.0) & (a >= 1.0 - V), -1.0 / V, 0.0)
            p = y * u
            return p, (p - omega) / V, dg
        lo, hi = a.copy(), a + V
        u = a + V * expit(-a)  # one fixed-point step: inside the bracket
        scale = tol * (1.0 + np.abs(a) + V)
        hprev = np.full(a.shape, np.inf)
        for _ in range(iters):
            s = expit(-u)
            h = u - a - V * s
            done = np.abs(h) <= scale
            if np.all(done):
                break
            lo = np.where(h < 0, u, lo)
            hi = np.where(h > 0, u, hi)
            slow = np.abs(h) > 0.5 * hprev  # residual did not halve: bisect (rtsafe-style)
            hprev = np.abs(h)
            un = u - h / (1.0 + V * s * (1.0 - s))
            bad = ~((un > lo) & (un < hi)) | slow
            u = np.where(done, u, np.where(bad, 0.5 * (lo + hi), un))
        s = expit(-u)
        d2 = s * (1.0 - s)
        p = y * u
        return p, y * s, -d2 / (1.0 + V * d2)


def get_loss(name: str) -> Loss:
    """The loss called ``name`` (one of :data:`LOSSES`)."""
    if not isinstance(name, str) or name.lower() not in LOSSES:
        raise ParameterError("loss", name, "one of " + ", ".join(LOSSES))
    return Loss(name.lower())
