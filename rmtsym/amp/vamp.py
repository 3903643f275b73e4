"""VAMP state evolution for a rotation-invariant design with a given singular-value law.

Model (Rangan, Schniter & Fletcher, 'Vector approximate message passing', arXiv:1610.03082):
``y = A x0 + w``, ``A = U S V^T`` (``n x N``) with ``V`` Haar, ``w ~ N(0, sigma^2 I_n)``,
``gamma_w = 1/sigma^2``; the eigenvalues of ``A^T A`` (``N x N``, zeros included) follow an rmtsym
:class:`~rmtsym.spectra.law.SpectralLaw` ``mu``. Prior ``x0_i ~ (1 - eps) delta_0 + eps N(0, 1)``
(Bernoulli–Gaussian); denoiser = its posterior mean (matched, Bayes-optimal VAMP).
For iid ``A_ij ~ N(0, 1/n)`` (the AMP normalisation, ``delta = n/N``) ``mu`` is
``marchenko_pastur(1/delta)`` (convention "Marchenko–Pastur": ``S = X X^T/N'`` with ratio
``p/N' = N/n``).

State evolution (matched case, Thm. 1 of arXiv:1610.03082), per iteration ``t``::

    E2 = E_lambda[1/(gamma_w lambda + gamma2)] = m(-gamma2/gamma_w)/gamma_w   (LMMSE MSE)
    gamma1 = 1/E2 - gamma2
    E1 = mmse(gamma1)                         (MSE of x1 = g1(r1), r1 = x0 + N(0, 1/gamma1))
    gamma2 <- 1/E1 - gamma1

with ``m`` the Stieltjes transform of ``mu`` (convention "Stieltjes transform") at a negative
real argument. VAMP starts at the LMMSE stage from ``r2 = 0``, ``gamma2 = 1/E[x0^2] = 1/eps``. The fixed point
equals the replica prediction; for iid Gaussian ``A`` it coincides with the Bayes-optimal AMP
fixed point ``tau^2 = sigma^2 + mmse(1/tau^2)/delta`` (:func:`amp_bayes_fixed_point`).

``mmse(gamma)`` is :func:`rmtsym.amp.phase.bg_mmse` (Gauss–Hermite on the zero component only,
which keeps the integrand smooth at every ``gamma``).

>>> from rmtsym.spectra.classic import marchenko_pastur
>>> se = vamp_state_evolution(marchenko_pastur(2), eps=0.1, sigma2=1e-3, iters=30)
>>> amp = amp_bayes_fixed_point(0.5, eps=0.1, sigma2=1e-3)
>>> bool(abs(se.mse[-1] - amp.mse) < 1e-6 * amp.mse)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import ParameterError
from .phase import bg_mmse as _phase_mmse
from .phase import posterior_mean_bg

__all__ = ["bg_posterior_mean", "bg_mmse", "VampSE", "vamp_state_evolution", "AmpBayesSE",
           "amp_bayes_fixed_point", "amp_bayes_trajectory", "AMP_VAMP_SE"]


def _check_prior(eps, sigma2=None):
    if not (0 < eps <= 1):
        raise ParameterError("eps", eps, "eps in (0, 1]")
    if sigma2 is not None and not (np.isfinite(sigma2) and sigma2 > 0):
        raise ParameterError("sigma2", sigma2, "noise variance sigma^2 > 0")


def bg_posterior_mean(r, gamma, eps):
    """``(E[x0 | r], d/dr E[x0 | r])`` for ``r = x0 + N(0, 1/gamma)``, Bernoulli–Gaussian prior:
    :func:`rmtsym.amp.phase.posterior_mean_bg` at ``tau^2 = 1/gamma`` (the Gaussian ``gamma/(1 + gamma)``
    shrinkage at ``eps = 1``)."""
    r = np.asarray(r, float)
    if eps == 1:
        k = gamma / (1.0 + gamma)
        return k * r, np.full(r.shape, k)
    return posterior_mean_bg(r, 1.0 / gamma, eps)


def bg_mmse(gamma, eps) -> np.ndarray:
    """``mmse(gamma) = E[(E[x0 | r] - x0)^2]`` for ``r = x0 + N(0, 1/gamma)`` (vectorised over ``gamma``):
    :func:`rmtsym.amp.phase.bg_mmse` at ``snr = gamma`` (200-node Gauss–Hermite on the zero component,
    relative error < 1e-8), and the Gaussian closed form ``1/(1 + gamma)`` at ``eps = 1``."""
    _check_prior(eps)
    gamma = np.asarray(gamma, float)
    if np.any(~(gamma > 0)):
        raise ParameterError("gamma", gamma, "precision > 0")
    if eps == 1:
        return 1.0 / (1.0 + gamma)
    return _phase_mmse(gamma, eps)


@dataclass(frozen=True)
class VampSE:
    """VAMP SE trajectory: ``mse[t]`` = predicted MSE of ``x1`` at iteration ``t``
    (``E1(gamma1[t])``), ``gamma1[t]``, ``gamma2[t]``, ``mse2[t]`` = LMMSE-stage MSE;
    ``converged`` when the relative change of ``mse`` fell below ``tol``."""

    mse: np.ndarray
    gamma1: np.ndarray
    gamma2: np.ndarray
    mse2: np.ndarray
    converged: bool


def vamp_state_evolution(law, eps: float, sigma2: float, iters: int = 50, *,
                         tol: float = 1e-9) -> VampSE:
    """Iterate the matched VAMP SE (module docstring) for ``iters`` iterations."""
    _check_prior(eps, sigma2)
    gw = 1.0 / sigma2
    g2 = 1.0 / eps                          # start at the LMMSE stage: r2 = 0, error -x0
    E1s, G1, G2, E2s = [], [], [], []
    conv = False
    for _ in range(int(iters)):
        E2 = float(np.real(law.stieltjes(np.array([-g2 / gw]))[0])) / gw
        g1 = 1.0 / E2 - g2
        E1 = float(bg_mmse(g1, eps))
        E1s.append(E1), G1.append(g1), G2.append(g2), E2s.append(E2)
        if len(E1s) > 1 and abs(E1s[-1] - E1s[-2]) <= tol * E1s[-1]:
            conv = True
        g2 = 1.0 / E1 - g1
        if not g2 > 0:
            raise ParameterError("gamma2", g2, "> 0 (denoiser must reduce the error)")
    return VampSE(mse=np.array(E1s), gamma1=np.array(G1), gamma2=np.array(G2), mse2=np.array(E2s),
                  converged=conv)


@dataclass(frozen=True)
class AmpBayesSE:
    """Bayes-optimal AMP fixed point: ``tau2``, ``mse = mmse(1/tau2)``, ``converged``."""

    tau2: float
    mse: float
    converged: bool


def amp_bayes_trajectory(delta: float, eps: float, sigma2: float, iters: int) -> np.ndarray:
    """SE of Bayes-optimal AMP from ``x^0 = 0``: predicted MSE ``mmse(1/tau_t^2)``, t = 0..iters-1,
    ``tau_0^2 = sigma^2 + eps/delta``, ``tau_{t+1}^2 = sigma^2 + mmse(1/tau_t^2)/delta``."""
    _check_prior(eps, sigma2)
    if not delta > 0:
        raise ParameterError("delta", delta, "delta = n/N > 0")
    t2 = sigma2 + eps / delta
    out = []
    for _ in range(int(iters)):
        m = float(bg_mmse(1.0 / t2, eps))
        out.append(m)
        t2 = sigma2 + m / delta
    return np.array(out)


def amp_bayes_fixed_point(delta: float, eps: float, sigma2: float, *, iters: int = 5000,
                          tol: float = 1e-10) -> AmpBayesSE:
    """Fixed point of ``tau^2 = sigma^2 + mmse(1/tau^2)/delta`` from ``tau^2 = sigma^2 + eps/delta``
    (the second method against the VAMP SE for iid Gaussian ``A``)."""
    _check_prior(eps, sigma2)
    if not delta > 0:
        raise ParameterError("delta", delta, "delta = n/N > 0")
    t2 = sigma2 + eps / delta
    for _ in range(iters):
        new = sigma2 + float(bg_mmse(1.0 / t2, eps)) / delta
        if abs(new - t2) <= tol * new:
            return AmpBayesSE(new, float(bg_mmse(1.0 / new, eps)), True)
        t2 = new
    return AmpBayesSE(float("nan"), float("nan"), False)


# ---- the derivation ------------------------------------------------------------------------
_g1, _g2, _gw = sp.symbols("gamma_1 gamma_2 gamma_w", positive=True)
_eps = sp.Symbol("epsilon", positive=True)
_mmse = sp.Function("mmse")
_m = sp.Function("m_mu")
AMP_VAMP_SE = register(Derivation(
    "amp-vamp-state-evolution",
    title="VAMP state evolution, rotation-invariant design (matched Bernoulli-Gaussian prior)",
    unknowns=[_g1, _g2],
    parameters=[_gw, _eps],
    equations=[sp.Eq(_g2, 1 / _mmse(_g1) - _g1),
               sp.Eq(_g1, _gw / _m(-_g2 / _gw) - _g2)],
    outputs={"mse": _mmse(_g1), "mse_lmmse": _m(-_g2 / _gw) / _gw},
    requires=["marchenko-pastur"],
    reference=("S. Rangan, P. Schniter, A. K. Fletcher, 'Vector approximate message passing', "
               "arXiv:1610.03082 (2017), Thm. 1 (matched case)"),
    assumptions=("y = A x0 + w, A = U S V^T, V Haar, eigenvalues of A^T A ~ mu with Stieltjes "
                 "transform m_mu(z) = int dmu(x)/(x - z); w ~ N(0, 1/gamma_w); "
                 "x0 ~ (1 - eps) delta_0 + eps N(0,1); mmse(gamma) of x0 from x0 + N(0, 1/gamma)"),
    symbols={_g1: r"\gamma_{1}", _g2: r"\gamma_{2}", _gw: r"\gamma_{w}", _eps: r"\varepsilon"},
))
