"""Monte Carlo ground truth for separable AMP with any prior and denoiser.

Normalisation of :mod:`rmtsym.amp.state_evolution`: ``A`` is ``n x N`` with iid ``N(0, 1/n)``
entries, ``n = round(delta N)``; ``x0`` iid from the prior; ``w ~ N(0, sigma^2 I_n)``. AMP from
``x^0 = 0``, ``z^0 = y``::

    tau_t   = ||z^t|| / sqrt(n)
    x^{t+1} = eta(x^t + A^T z^t; tau_t)
    z^{t+1} = y - A x^{t+1} + (1/delta) z^t <eta'(x^t + A^T z^t; tau_t)>

(``delta`` the realised ``n/N``). State evolution predicts ``mse[t]`` as
:meth:`rmtsym.amp.state_evolution.SeparableSE.trajectory`.

>>> from rmtsym.amp.state_evolution import LASSO_BG
>>> r = run_amp(LASSO_BG, 200, 0.5, 0.1, 3, seed=0, eps=0.1, alpha=1.5)
>>> r.mse.shape
(3,)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError, check_int

__all__ = ["AMPRun", "run_amp", "amp_iterate"]


@dataclass(frozen=True)
class AMPRun:
    """``mse[t]`` = ``||x^{t+1} - x0||^2/N``; ``tau2[t]`` = ``||z^t||^2/n``; ``onsager[t]``
    = ``(1/delta) <eta'>`` at step t; ``x`` final estimate; ``x0`` the signal; ``n``, ``N``."""

    mse: np.ndarray
    tau2: np.ndarray
    onsager: np.ndarray
    x: np.ndarray
    x0: np.ndarray
    n: int
    N: int


def run_amp(model, N: int, delta: float, sigma: float, iters: int, seed: int = 0, **params) -> AMPRun:
    """Run AMP on one draw of ``(A, x0, w)``.

    ``model``: a :class:`~rmtsym.amp.state_evolution.SeparableSE` or a pair ``(prior, denoiser)``;
    ``params``: numeric (scalar) values of the model's parameters (e.g. ``eps=0.1, alpha=1.5``).
    """
    from ..amp.denoisers import Denoiser
    from ..amp.priors import Prior
    from ..amp.state_evolution import SeparableSE

    if isinstance(model, SeparableSE):
        prior, den = model.prior, model.denoiser
    elif isinstance(model, tuple) and len(model) == 2 and isinstance(model[0], Prior) \
            and isinstance(model[1], Denoiser):
        prior, den = model
    else:
        raise ParameterError("model", model, "a SeparableSE or a pair (Prior, Denoiser)")
    N = check_int(N, "N", 1)
    iters = check_int(iters, "iters", 1)
    d, s = float(delta), float(sigma)
    if not (np.isfinite(d) and d > 0):
        raise ParameterError("delta", delta, "delta = n/N > 0 (finite)")
    if not (np.isfinite(s) and s >= 0):
        raise ParameterError("sigma", sigma, "sigma >= 0 (finite)")
    for k, v in params.items():
        if np.ndim(v) != 0:
            raise ParameterError(k, v, "a scalar value")
    n = int(round(d * N))
    if n < 1:
        raise ParameterError("delta", delta, "delta * N >= 1")
    names = {p.name for p in den.params} | ({p.name for p in den.prior.parameters} if den.prior else set())
    dpars = {k: float(params[k]) for k in names if k in params}
    ppars = {p.name: float(params[p.name]) for p in prior.parameters if p.name in params}
    den.eta(0.0, 1.0, **dpars)  # checks the parameters early
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, N)) / np.sqrt(n)
    x0 = prior.sample(N, rng, **ppars)
    y = A @ x0 + s * rng.standard_normal(n)
    return amp_iterate(A, y, x0, lambda u, tau: den.eta(u, tau, **dpars),
                       lambda u, tau: den.eta_prime(u, tau, **dpars), iters)


def amp_iterate(A: np.ndarray, y: np.ndarray, x0: np.ndarray, eta, eta_prime, iters: int) -> AMPRun:
    """The AMP iteration of the module docstring on given ``(A, y)`` with ``eta(u, tau)`` and its
    derivative ``eta_prime(u, tau)`` (vectorised in ``u``; ``eta_prime=None``: ``eta`` returns the
    pair); ``x0`` only scores the MSE."""
    n, N = A.shape
    dd = n / N
    x = np.zeros(N)
    z = y.copy()
    mse, tau2, ons = np.empty(iters), np.empty(iters), np.empty(iters)
    for t in range(iters):
        t2 = float(z @ z) / n
        tau = np.sqrt(t2)
        u = x + A.T @ z
        if eta_prime is None:
            x, dx = eta(u, tau)
        else:
            x, dx = eta(u, tau), eta_prime(u, tau)
        b = float(np.mean(dx)) / dd
        z = y - A @ x + b * z
        mse[t] = float(np.mean((x - x0) ** 2))
        tau2[t] = t2
        ons[t] = b
    return AMPRun(mse=mse, tau2=tau2, onsager=ons, x=x, x0=x0, n=n, N=N)
