"""Monte Carlo samplers: features after one large gradient step, and the spiked-RF model.

Ground truth for :mod:`rmtsym.spectra.spiked` (no theory is imported here).

``sample_one_step`` follows paper 5's ``Simulations.ipynb`` (Cui et al., arXiv:2402.04980)
step by step: ``x ~ N(0, I_d)``, ``y = sigma_*(x_1)``; ``W0`` with Gaussian rows normalised to unit
norm; ``a0 = 1/sqrt(p)``; ``f0(x) = a0^T sigma(W0 x)/sqrt(p)``; one full-batch gradient step of the
square loss on ``n0 = int(alpha0 d)`` samples,

    G = (1/n0) X0^T [ ((y - f0) a0^T / sqrt(p)) * sigma'(X0 W0^T) ]      (d x p),
    W1 = W0 + eta~ p G^T,

then features ``Phi = sigma(X W1^T)`` on ``n`` fresh samples and the eigenvalues of
``Phi^T Phi / n`` (``p x p``), ascending.

``sample_spiked_rf`` draws the equivalent spiked random-features model of paper 1 directly:
``phi(x) = sigma(c^{1/2} W0 x + r kappa 1)``, ``kappa = <v, x>/sqrt(d)``, ``|v|^2 = d``.
With ``r = 0`` it is the plain random-features (conjugate-kernel) model.

>>> s = sample_spiked_rf(50, 40, 80, activation="tanh", r=1.0, c=1.0, seed=1)
>>> s.eigenvalues.shape, bool(s.eigenvalues[-1] > 5 * s.eigenvalues[-2])
((40,), True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import sympy as sp

from ..errors import ParameterError
from .gaussian import rng_from

__all__ = ["OneStepSample", "SpikedRFSample", "sample_one_step", "sample_spiked_rf", "replicate"]


def _size(name: str, v, lo: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ParameterError(name, v, f"an integer >= {lo}")
    return int(v)


def _real(name: str, v, *, lo: float | None = None, strict: bool = False) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ParameterError(name, v, "a real number") from None
    if not np.isfinite(x) or (lo is not None and (x < lo or (strict and x == lo))):
        raise ParameterError(name, v, "a finite number" + (f" {'>' if strict else '>='} {lo}" if lo is not None else ""))
    return x


def _function(f, name: str, derivative: bool = False) -> Callable:
    """Numpy callable for an activation (name, sympy expression in z, Activation, or callable)."""
    from ..bases.functions import Z, to_numpy

    expr = None
    if isinstance(f, str):
        from ..bases.catalog import activation

        expr = activation(f).expr
    elif hasattr(f, "expr") and isinstance(getattr(f, "expr"), sp.Basic):
        expr = f.expr
    elif isinstance(f, sp.Basic):
        expr = sp.sympify(f)
        free = expr.free_symbols
        if free and free != {Z}:
            if len(free) == 1 and next(iter(free)).name == "z":
                expr = expr.subs(next(iter(free)), Z)
            else:
                raise ParameterError(name, str(f), "an expression in the single variable z")
    elif callable(f):
        if derivative:
            raise ParameterError(name, f, "a sympy expression or catalog name (sigma' is needed)",
                                 "or pass the derivative explicitly")
        return lambda x: np.asarray(f(x), dtype=float)
    else:
        raise ParameterError(name, f, "an activation name, sympy expression in z, Activation or callable")
    if derivative:
        expr = sp.diff(expr, Z)
    return to_numpy(expr)


def _eig(Phi: np.ndarray, n: int) -> np.ndarray:
    return np.linalg.eigvalsh(Phi.T @ Phi / n)


@dataclass(frozen=True, eq=False)
class OneStepSample:
    """Result of :func:`sample_one_step`.

    ``eigenvalues`` of ``Phi^T Phi/n`` (ascending); ``W0``, ``W1`` (``p x d``) when requested;
    ``features`` (``n x p``) when requested; ``spike``: the mean row ``u`` of ``W1 - W0`` (the
    rank-one part ``1 u^T``), and the measured sRF parameters ``measured = {r: |u|,
    gamma: u_1/|u|, c: mean squared row norm of W1 - 1 u^T}``.
    """

    eigenvalues: np.ndarray
    spike: np.ndarray
    measured: dict
    W0: np.ndarray | None = None
    W1: np.ndarray | None = None
    features: np.ndarray | None = None
    sizes: dict = field(default_factory=dict)


def sample_one_step(d: int, p: int, n: int, *, activation="tanh", target="tanh", learning_rate: float = 1.0,
                    alpha0: float = 0.5, seed=0, activation_derivative: Callable | None = None,
                    return_weights: bool = False, return_features: bool = False,
                    chunk: int = 4096) -> OneStepSample:
    """Features after one large gradient step, as in paper 5's ``Simulations.ipynb``.

    ``learning_rate`` is ``eta~`` (the notebook's ``lr_strength``; its ``eta = eta~ sqrt(p)`` times
    another ``sqrt(p)`` gives ``W1 = W0 + eta~ p G^T``); ``alpha0 = n0/d`` (``n0 = int(alpha0 d)``;
    ``n0 = 0`` leaves ``W1 = W0``). The gradient is accumulated over chunks of ``chunk`` samples.
    Random draws, in order: ``W0``, then the training set, then the fresh samples.
    """
    d, p, n = _size("d", d, 2), _size("p", p), _size("n", n)
    eta = _real("learning_rate", learning_rate, lo=0.0)
    a0_ = _real("alpha0", alpha0, lo=0.0)
    chunk = _size("chunk", chunk)
    sigma = _function(activation, "activation")
    dsigma = activation_derivative if activation_derivative is not None else _function(activation, "activation", True)
    target_f = _function(target, "target")
    rng = rng_from(seed)
    W0 = rng.standard_normal((p, d)) / np.sqrt(d)
    W0 /= np.linalg.norm(W0, axis=1, keepdims=True)
    a0 = np.ones(p) / np.sqrt(p)
    n0 = int(a0_ * d)
    if n0 > 0:
        G = np.zeros((d, p))
        done = 0
        while done < n0:
            m = min(chunk, n0 - done)
            X0 = rng.standard_normal((m, d))
            y = target_f(X0[:, 0])
            pre = X0 @ W0.T
            f0 = sigma(pre) @ a0 / np.sqrt(p)
            G += X0.T @ (np.outer(y - f0, a0) / np.sqrt(p) * dsigma(pre))
            done += m
        G /= n0
        W1 = W0 + eta * p * G.T
    else:
        W1 = W0.copy()
    X = rng.standard_normal((n, d))
    Phi = sigma(X @ W1.T)
    ev = _eig(Phi, n)
    u = (W1 - W0).mean(axis=0)
    nu = float(np.linalg.norm(u))
    bulk = W1 - np.outer(np.ones(p), u)
    measured = {"r": nu, "gamma": float(u[0] / nu) if nu > 0 else 0.0,
                "c": float(np.mean(np.sum(bulk**2, axis=1)))}
    return OneStepSample(eigenvalues=ev, spike=u, measured=measured,
                         W0=W0 if return_weights else None, W1=W1 if return_weights else None,
                         features=Phi if return_features else None,
                         sizes={"d": d, "p": p, "n": n, "n0": n0})


@dataclass(frozen=True, eq=False)
class SpikedRFSample:
    """Result of :func:`sample_spiked_rf`.

    ``eigenvalues`` of ``Phi^T Phi/n`` (ascending); ``kappa`` (``n``) the spike coordinates of the
    samples; ``v`` the spike (``|v|^2 = d``); ``omega_eigenvalues`` of ``Omega = W Pi W^T``
    (``W = c^{1/2} W0``, ``Pi = I - v v^T/d``) when requested; ``W0``, ``features`` when requested;
    ``ones_dot_beta = 1^T W v/sqrt(d)`` (the random overlap entering the top outlier).
    """

    eigenvalues: np.ndarray
    kappa: np.ndarray
    v: np.ndarray
    ones_dot_beta: float
    omega_eigenvalues: np.ndarray | None = None
    W0: np.ndarray | None = None
    features: np.ndarray | None = None
    sizes: dict = field(default_factory=dict)


def sample_spiked_rf(d: int, p: int, n: int, *, activation="tanh", r: float = 1.0, c: float = 1.0, seed=0,
                     return_omega: bool = False, return_weights: bool = False,
                     return_features: bool = False) -> SpikedRFSample:
    """The spiked random-features model ``phi(x) = sigma(c^{1/2} W0 x + r kappa 1)`` (paper 1).

    ``W0``: Gaussian rows normalised to unit norm (``p x d``); ``v``: uniform direction scaled to
    ``|v|^2 = d``; ``x ~ N(0, I_d)``, ``kappa = <v, x>/sqrt(d)``. ``r = 0`` gives plain random
    features. Random draws, in order: ``W0``, ``v``, the samples.
    """
    d, p, n = _size("d", d, 2), _size("p", p), _size("n", n)
    r = _real("r", r)
    c = _real("c", c, lo=0.0, strict=True)
    sigma = _function(activation, "activation")
    rng = rng_from(seed)
    W0 = rng.standard_normal((p, d))
    W0 /= np.linalg.norm(W0, axis=1, keepdims=True)
    v = rng.standard_normal(d)
    v *= np.sqrt(d) / np.linalg.norm(v)
    X = rng.standard_normal((n, d))
    kappa = X @ v / np.sqrt(d)
    Phi = sigma(np.sqrt(c) * (X @ W0.T) + r * kappa[:, None])
    ev = _eig(Phi, n)
    Wv = np.sqrt(c) * (W0 @ v) / np.sqrt(d)
    om = None
    if return_omega:
        W = np.sqrt(c) * W0
        WPi = W - np.outer(W @ v, v) / d
        om = np.linalg.eigvalsh(WPi @ WPi.T)
        om = np.maximum(om, 0.0)
    return SpikedRFSample(eigenvalues=ev, kappa=kappa, v=v, ones_dot_beta=float(Wv.sum()),
                          omega_eigenvalues=om, W0=W0 if return_weights else None,
                          features=Phi if return_features else None, sizes={"d": d, "p": p, "n": n})


def replicate(sampler: Callable, replicates: int, *, seed=0, **kwargs) -> np.ndarray:
    """Eigenvalues of ``replicates`` independent draws of ``sampler(..., seed=s)`` (one row each).

    Seeds are spawned from ``numpy.random.SeedSequence(seed)``.

    >>> ev = replicate(sample_spiked_rf, 2, seed=0, d=20, p=10, n=30, r=0.0)
    >>> ev.shape
    (2, 10)
    """
    R = _size("replicates", replicates)
    seqs = np.random.SeedSequence(seed).spawn(R)
    rows = [sampler(seed=np.random.default_rng(s), **kwargs).eigenvalues for s in seqs]
    return np.vstack(rows)
