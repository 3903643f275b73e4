"""Random sequential EC message passing for the Gaussian latent variable model of
:mod:`rmtsym.amp.latent` (Çakmak, Lu & Opper 2022, arXiv:2202.08198), with a general single-site
factor (:class:`~rmtsym.amp.latent.MixtureSite`, :class:`~rmtsym.amp.latent.IsingSite`).

Student posterior ``p(x|y) ∝ exp(beta/2 x^T J x) prod_i psi(x_i; y_i)``; Gaussian stage
``A = (lam I - beta J)^{-1}`` with ``(1/N) tr A = chi`` (:func:`rmtsym.simulate.sequential.
ec_gaussian_stage`, ``lam = R_{beta J}(chi) + 1/chi``). One sweep visits every site once in a fresh
uniformly random order; at site ``i``::

    h1_i = (A h2)_i / chi - h2_i                 (extrinsic field from the Gaussian stage)
    m_i, g_i = moments of psi(x; y_i) exp(h1_i x + R x^2/2),   R = lam - 1/chi
    h2_i = m_i / chi - h1_i                      (extrinsic field sent back)

with ``chi`` fixed (the RS value of :func:`rmtsym.amp.latent.latent_rs`); at a fixed point
``mean g_i -> chi`` as ``N -> infinity``. Convergence criterion as in
:mod:`rmtsym.simulate.sequential`: ``changes[t] = max_i |dm_i|`` during sweep ``t``; converged
when ``< tol`` within ``sweeps``; ``decay_rate`` is the geometric rate of the last third.

>>> from rmtsym.amp.latent import MixtureSite, Teacher
>>> from rmtsym.simulate.sequential import goe
>>> x, y = Teacher().sample(100, seed=1)
>>> run = run_latent_ec(goe(100, seed=1), 0.3, y, MixtureSite(0.5, 0.2, 1.0), 0.3, sweeps=200)
>>> bool(run.converged)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..amp.latent import IsingSite, MixtureSite
from ..errors import ParameterError, check_int
from .sequential import SequentialRun, _rate, ec_gaussian_stage, ec_sweeps

__all__ = ["LatentRun", "run_latent_ec"]


@dataclass(frozen=True)
class LatentRun(SequentialRun):
    """A :class:`~rmtsym.simulate.sequential.SequentialRun` (``changes`` max ``|dm_i|`` per sweep,
    ``converged``, ``sweeps``, final ``m``, ``h1``, ``decay_rate``) with the final site variances
    ``g`` and the ``reaction`` ``R = lam - 1/chi`` used."""

    g: np.ndarray = None
    reaction: float = float("nan")


def _scalar_site(site, y: np.ndarray, r: float):
    """Fast scalar ``(m, g)`` of site ``i`` at field ``f`` (same formulas as ``site.moments``)."""
    if isinstance(site, IsingSite):
        h = float(site.h)

        def f_ising(f, i):
            m = math.tanh(h + f)
            return m, 1.0 - m * m
        return f_ising
    s, eps, a = (float(p) for p in site.params())
    P = a + 1.0 / (s * s) - r
    if not P > 0:
        raise ParameterError("chi", r, "a + 1/s^2 - R(chi) > 0 (normalisable site law)")
    c = math.atanh(1 - 2 * eps) if eps > 0 else math.inf
    bP = (np.asarray(y, float) / (s * s * P)).tolist()
    iP = 1.0 / P
    tanh = math.tanh

    def f_mix(f, i):
        bi = bP[i]
        t = tanh(c + f * bi) if c != math.inf else 1.0
        return (f * iP + bi * t), iP + bi * bi * (1.0 - t * t)
    return f_mix


def run_latent_ec(J: np.ndarray, beta: float, y, site, chi: float, *, sweeps: int = 400,
                  tol: float = 1e-8, init_scale: float = 0.5, seed: int = 0,
                  gaussian_stage: tuple[np.ndarray, float] | None = None) -> LatentRun:
    """Random sequential EC message passing (module docstring). ``y``: observations (length
    ``N``; ignored by :class:`IsingSite`); ``chi``: fixed variance (RS value). Start:
    ``h2 ~ N(0, init_scale^2)``. ``gaussian_stage=(A, lam)`` reuses :func:`ec_gaussian_stage`."""
    if not isinstance(site, (MixtureSite, IsingSite)):
        raise ParameterError("site", site, "a MixtureSite or IsingSite")
    if not (np.isfinite(beta) and beta > 0):
        raise ParameterError("beta", beta, "beta > 0")
    if not (np.isfinite(chi) and chi > 0):
        raise ParameterError("chi", chi, "chi > 0")
    sweeps = check_int(sweeps, "sweeps", 1)
    if not tol > 0:
        raise ParameterError("tol", tol, "tol > 0")
    J = np.asarray(J, float)
    N = J.shape[0]
    if J.ndim != 2 or J.shape[1] != N or not np.allclose(J, J.T):
        raise ParameterError("J", J.shape, "a symmetric N x N matrix")
    y = np.zeros(N) if isinstance(site, IsingSite) else np.asarray(y, float)
    if y.shape != (N,) or not np.all(np.isfinite(y)):
        raise ParameterError("y", np.shape(y), f"{N} finite observations")
    A, lam = gaussian_stage if gaussian_stage is not None else ec_gaussian_stage(J, beta, chi)
    r = lam - 1.0 / chi
    moments = _scalar_site(site, y, r)
    rng = np.random.default_rng(seed)
    m, g, h1, ch, converged = ec_sweeps(A, chi, moments, init_scale * rng.standard_normal(N), rng, sweeps, tol)
    return LatentRun(changes=ch, converged=converged, sweeps=len(ch), m=m, g=g, h1=h1, decay_rate=_rate(ch),
                     reaction=float(r))
