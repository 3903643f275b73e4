"""Generalisation of ridge readout after one large gradient step (Cui et al., arXiv:2402.04980).

Model (REFERENCES.md paper 5; :mod:`rmtsym.spectra.spiked` for the sRF parameters). A two-layer
network with first-layer weights ``W0`` (``p x d``, unit-norm Gaussian rows), ``p = d``, takes one
full-batch gradient step with learning rate ``eta~ p`` on ``n0 = alpha0 d`` samples of
``y = sigma_*(x_1)``; the readout is then fitted by ridge on ``n = alpha d`` fresh samples,

    w = argmin ||y - sigma(X W1^T) w/sqrt(p)||^2 + lambda ||w||^2       (a sum, not a mean),

and the test error is ``E (y - sigma(W1 x).w/sqrt(p))^2``. The features are those of the spiked
random-features model ``sigma(c^{1/2} W0 x + r kappa 1)`` with ``(r, c, gamma)`` from
:func:`rmtsym.spectra.spiked.spiked_rf_parameters` and conditional coefficients
``mu0(k), mu1(k), mu2(k)^2`` from :func:`rmtsym.spectra.spiked.conditional_coefficients`.

Fixed point (paper 5, "Result 3.3", transcribed in REFERENCES.md). With ``V(k) = mu1^2 V1 + mu2^2 V2``,
``w(k) = 1/(1 + V(k))``, ``c_hat(k) = mu0 m + mu1 k theta``, ``h, h1, hh`` the target averages at
``gamma k + rho z`` and ``E(k) = c_hat^2 + hh - 2 c_hat h - 2 mu1 psi h1 + mu1^2 q1 + mu2^2 q2``:

    Vh_a = alpha E_k[mu_a^2 w],  qh_a = alpha E_k[mu_a^2 E w^2],  thh = alpha E_k[k mu1 (h - c_hat) w],
    psih = alpha E_k[h1 mu1 w],   m = E_k[mu0 (h - mu1 k theta) w] / E_k[mu0^2 w],
    S = lambda + Vh1 D + Vh2,  N = qh1 D + qh2 + thh^2 F + psih^2 H,
    q1 = <D N/S^2>, q2 = <N/S^2>, V1 = <D/S>, V2 = <1/S>, theta = thh <F/S>, psi = psih <H/S>,

and the test MSE is ``E_k[E(k)]``. ``D`` are the eigenvalues of ``Omega = W Pi W^T``, ``F, H`` the
squared projections of ``W v``, ``W zeta`` on its eigenvectors (finite-d objects, sampled as in the
authors' notebook), ``<.>`` the mean over the ``p`` eigenvalues.

Solution (exact reformulation, not the authors' damped 7-variable iteration). ``(V1, V2)`` close on
themselves: a 2-d fixed point solved by vectorised Newton in ``log V`` (from a few plain iterations,
with a damped-iteration fallback). Given ``V``, the equations for ``(theta, m)`` are linear (2x2), ``psi`` is
explicit, and ``(q1, q2)`` solve the linear system ``(I - alpha P M) q = alpha P e0 + b``; the
solution is accepted only where the spectral radius of ``alpha P M`` is < 1 (the authors'
iteration converges to it) and every residual of the original system is below ``tol``. Other
points are NaN with a report.

Asymptotic version (``d=None``, derived here). As ``d -> inf``: ``D ~ c MP(1)`` (law of ``Omega``);
``Omega = B - b b^T`` with ``B = W W^T``, ``b = W v/sqrt(d)`` (``v`` independent of ``W``), so by
Sherman–Morrison ``<F/(D + z)> = beta/(1 - beta)``, ``beta(z) = <D/(D + z)>`` (``p = d``; ``F``
concentrates near the small eigenvalues, it is *not* a generic direction); ``W zeta = W Pi zeta``
with ``zeta`` generic in the range of ``Pi``, so ``<H g(D)> -> <D g(D)>``. All averages are then
closed-form MP moments (:mod:`rmtsym.spectra.spiked`).

Untrained limit: ``learning_rate = 0`` (or ``alpha0 = 0``) gives ``r = 0``, ``c = 1`` and the
random-features ridge error; checked against :func:`rmtsym.models.random_features.rf_risk` with
``psi1 = 1``, ``psi2 = alpha``, ``lambda_MM = lambda/alpha``, ``F1 = mu1*``,
``F*^2 = E sigma_*^2 - mu1*^2 - (E sigma_*)^2`` (tests/test_one_step.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import ParameterError
from ..spectra.spiked import (_as_numpy, _expect, _MPLaw, conditional_coefficients,
                              spiked_rf_parameters)

__all__ = ["OneStepCurve", "one_step_error", "finite_d_objects", "simulate_one_step_error", "OneStepSimulation",
           "ONE_STEP_GENERALISATION"]


# --------------------------------------------------------------------------------------------
# finite-d objects (authors' notebook, np.random.seed(seed): W0, then v, then zeta)
# --------------------------------------------------------------------------------------------
def finite_d_objects(d: int, c: float, seed: int = 58):
    """``(D, F, H)`` of paper 5 for ``p = d``: eigenvalues of ``Omega = W Pi W^T`` and
    ``F_i = (U^T W v)_i^2``, ``H_i = (U^T W zeta)_i^2`` with ``W = c^{1/2} W0``.

    Draws as the authors' ``theory.ipynb`` with the legacy generator ``RandomState(seed)``:
    ``W0`` (``p x d``, rows normalised), ``v`` (``|v|^2 = d``), ``zeta = Pi g`` (``|zeta|^2 = d``).
    """
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 4:
        raise ParameterError("d", d, "an integer >= 4 (p = d), or None for the d -> inf limit")
    d = p = int(d)
    rs = np.random.RandomState(seed)
    W0 = rs.randn(p, d) / np.sqrt(d)
    W0 /= np.linalg.norm(W0, axis=1, keepdims=True)
    v = rs.randn(d)
    v *= np.sqrt(d) / np.linalg.norm(v)
    g = rs.randn(d)
    zeta = g - v * (v @ g) / d
    zeta *= np.sqrt(d) / np.linalg.norm(zeta)
    W = math.sqrt(c) * W0
    Wv = W @ v
    Omega = W @ W.T - np.outer(Wv, Wv) / d
    D, U = np.linalg.eigh(Omega)
    F = (U.T @ Wv) ** 2
    H = (U.T @ (W @ zeta)) ** 2
    return np.maximum(D, 0.0), F, H


class _Averages:
    """``<F^i H^j D^k / S^l>`` for the needed combinations, vectorised over ``S``-parameters."""

    def __init__(self, D=None, F=None, H=None, c=None):
        self.finite = D is not None
        if self.finite:
            self.D, self.F, self.H = D, F, H
            block = max(1, int(4_000_000 // D.size))
            self.block = block
        else:
            self.law = _MPLaw(c, 1.0)
            self.c = c

    def V(self, Vh1, Vh2, lam):
        """``<D/S>, <1/S>, <D^2/S^2>, <D/S^2>, <1/S^2>``."""
        if self.finite:
            out = [np.empty(Vh1.shape) for _ in range(5)]
            D = self.D[None, :]
            for i in range(0, Vh1.size, self.block):
                sl = slice(i, i + self.block)
                R = 1.0 / (lam + Vh1[sl, None] * D + Vh2[sl, None])
                R2 = R * R
                out[0][sl], out[1][sl] = (D * R).mean(1), R.mean(1)
                out[2][sl], out[3][sl], out[4][sl] = (D * D * R2).mean(1), (D * R2).mean(1), R2.mean(1)
            return out
        # closed form: int t^k dH/(a t + b)^j at z = 0 with a = Vh1, b = lam + Vh2
        a, b = Vh1, lam + Vh2
        ok = a > 1e-300
        I0, I1, J0, J1, J2 = self.law.moments(np.where(ok, a, 1.0), b, np.zeros(b.shape, complex))
        I0, I1, J0, J1, J2 = (np.real(x) for x in (I0, I1, J0, J1, J2))
        cc = self.c
        # a -> 0: S = b
        I0 = np.where(ok, I0, 1 / b); I1 = np.where(ok, I1, cc / b)
        J0 = np.where(ok, J0, 1 / b**2); J1 = np.where(ok, J1, cc / b**2); J2 = np.where(ok, J2, 2 * cc**2 / b**2)
        return [I1, I0, J2, J1, J0]

    def spikes(self, Vh1, Vh2, lam):
        """``<F/S>, <H/S>, <D F/S^2>, <D H/S^2>, <F/S^2>, <H/S^2>``."""
        if self.finite:
            out = [np.empty(Vh1.shape) for _ in range(6)]
            D, F, H = self.D[None, :], self.F[None, :], self.H[None, :]
            for i in range(0, Vh1.size, self.block):
                sl = slice(i, i + self.block)
                R = 1.0 / (lam + Vh1[sl, None] * D + Vh2[sl, None])
                R2 = R * R
                FR2, HR2 = F * R2, H * R2
                out[0][sl], out[1][sl] = (F * R).mean(1), (H * R).mean(1)
                out[2][sl], out[3][sl] = (D * FR2).mean(1), (D * HR2).mean(1)
                out[4][sl], out[5][sl] = FR2.mean(1), HR2.mean(1)
            return out
        # F: Omega = B - b b^T with B = W W^T, b = W v/sqrt(d) generic w.r.t. B; Sherman-Morrison gives
        # <F/(D + z)> = G(z) = beta/(1 - beta), beta(z) = <D/(D + z)> (p = d), z = (lam + Vh2)/Vh1.
        V1, V2, DD, D1, D0 = self.V(Vh1, Vh2, lam)
        zz = (lam + Vh2) / Vh1
        _, I1, _, J1, _ = (np.real(x) for x in self.law.moments(np.ones_like(zz), zz, np.zeros(zz.shape, complex)))
        G, dG = I1 / (1 - I1), -J1 / (1 - I1) ** 2
        return [G / Vh1, V1, (G + zz * dG) / Vh1**2, DD, -dG / Vh1**2, D1]


@dataclass(frozen=True, eq=False)
class OneStepCurve:
    """Result of :func:`one_step_error`: ``mse`` (NaN where not converged, see ``report``), the
    order parameters per ``alpha`` and the sRF parameters used."""

    alpha: np.ndarray
    mse: np.ndarray
    order: dict
    srf: object
    converged: np.ndarray
    report: list
    params: dict = field(default_factory=dict)
    derivation: Derivation | None = None


def _num(name, v, *, lo, strict, hi=math.inf):
    try:
        x = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(name, v, "a real number") from None
    if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x < lo) or (strict and np.any(x == lo)) or np.any(x > hi):
        raise ParameterError(name, v, f"finite number(s) {'>' if strict else '>='} {lo}")
    return x


def one_step_error(activation, target, learning_rate, alpha0, alpha, ridge, *, d=None, seed: int = 58,
                   quad_order: int = 80, inner_order: int = 192, tol: float = 1e-8,
                   max_iter: int = 200) -> OneStepCurve:
    """Test MSE of ridge readout after one gradient step (paper 5), vectorised over ``alpha``.

    ``activation`` sigma, ``target`` sigma_* (catalog names or expressions in ``z``);
    ``learning_rate`` eta~ >= 0; ``alpha0 = n0/d >= 0``; ``alpha = n/d > 0`` (scalar or array);
    ``ridge`` lambda > 0 (the readout objective is a sum, see module doc). ``d``: finite-d objects
    ``D, F, H`` drawn with ``RandomState(seed)`` as in the authors' notebook (``p = d``); ``None``:
    the ``d -> inf`` limit (``D ~ c MP(1)``). Outer ``kappa`` average: ``quad_order``-node
    Gauss–Hermite; inner averages: ``inner_order`` composite Gauss–Legendre nodes.

    >>> c = one_step_error("tanh", "sin", 3, 20, [0.2, 1.0], 0.1)
    >>> bool(np.all(c.converged)), bool(c.mse[1] < c.mse[0] < 0.06)
    (True, True)
    """
    eta = float(_num("learning_rate", learning_rate, lo=0.0, strict=False))
    a0 = float(_num("alpha0", alpha0, lo=0.0, strict=False))
    alph = np.atleast_1d(_num("alpha", alpha, lo=0.0, strict=True)).astype(float).ravel()
    lam = float(_num("ridge", ridge, lo=0.0, strict=True))
    if not (isinstance(tol, float) and 0 < tol < 1e-2):
        raise ParameterError("tol", tol, "a float in (0, 1e-2)")
    if eta > 0 and a0 > 0:
        srf = spiked_rf_parameters(activation, target, eta, a0, quad_order=min(max(quad_order, 8), 250))
        if abs(srf.mu1) < 1e-10:
            raise ParameterError("activation", str(activation),
                                 "an activation with a non-zero first Hermite coefficient mu1 = E[G sigma(G)]",
                                 f"mu1 = {srf.mu1:.3g}: the gradient step learns no spike (r = 0), "
                                 "the features stay random features; use learning_rate = 0 for that model")
        r, c, gamma = srf.r, srf.c, srf.gamma
    else:
        srf = spiked_rf_parameters(activation, target, 0.0, max(a0, 1.0), quad_order=min(max(quad_order, 8), 250))
        r, c, gamma = 0.0, 1.0, 0.0  # no step: the target direction is independent of the spike
    rho = math.sqrt(max(0.0, 1.0 - gamma**2))
    cc = conditional_coefficients(activation, r, c, quad_order=quad_order, inner_order=inner_order)
    k, wk = cc.kappa, cc.weights
    mu0, m1s, m2s = cc.mu0, cc.mu1**2, cc.mu2sq
    mu1 = cc.mu1
    ft, tk = _as_numpy(target, "target")
    h, h1 = _expect(ft, gamma * k, rho, tk, inner_order, (0, 1))
    hh = _expect(lambda x: ft(x) ** 2, gamma * k, rho, tk, inner_order, (0,))[0]
    if d is None:
        avg = _Averages(c=c)
    else:
        avg = _Averages(*finite_d_objects(d, c, seed))

    A = alph[:, None]
    E = lambda x: x @ wk  # noqa: E731  (E_k over the last axis)

    def vhat(V1, V2):
        w = 1.0 / (1.0 + m1s[None, :] * V1[:, None] + m2s[None, :] * V2[:, None])
        return alph * E(m1s * w), alph * E(m2s * w), w

    # ---- (V1, V2): a few plain iterations, then Newton, damped-iteration fallback
    n = alph.size
    V1, V2 = np.ones(n), np.ones(n)
    for _ in range(5):
        Vh1, Vh2, _w = vhat(V1, V2)
        V1, V2 = avg.V(Vh1, Vh2, lam)[:2]
    conv = np.zeros(n, bool)
    for it in range(max_iter):
        Vh1, Vh2, w = vhat(V1, V2)
        t1, t2, tDD, tD1, tD0 = avg.V(Vh1, Vh2, lam)
        R1, R2 = t1 - V1, t2 - V2
        res = np.maximum(np.abs(R1) / (1 + np.abs(V1)), np.abs(R2) / (1 + np.abs(V2)))
        conv = res < 0.01 * tol
        if np.all(conv):
            break
        w2 = w * w
        a11, a12, a22 = -alph * E(m1s * m1s * w2), -alph * E(m1s * m2s * w2), -alph * E(m2s * m2s * w2)
        # d(t)/d(Vh) = -[[DD, D1], [D1, D0]]; J = dt/dVh . dVh/dV - I
        j11 = -(tDD * a11 + tD1 * a12) - 1
        j12 = -(tDD * a12 + tD1 * a22)
        j21 = -(tD1 * a11 + tD0 * a12)
        j22 = -(tD1 * a12 + tD0 * a22) - 1
        # Newton on log V (V spans many decades as lambda -> 0): R = log t(V) - log V
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            L11, L12 = (j11 + 1) * V1 / t1 - 1, j12 * V2 / t1
            L21, L22 = j21 * V1 / t2, (j22 + 1) * V2 / t2 - 1
            g1, g2 = np.log(t1 / V1), np.log(t2 / V2)
            det = L11 * L22 - L12 * L21
            du1 = np.clip(-(L22 * g1 - L12 * g2) / det, -2.0, 2.0)
            du2 = np.clip(-(-L21 * g1 + L11 * g2) / det, -2.0, 2.0)
            nV1, nV2 = V1 * np.exp(du1), V2 * np.exp(du2)
        bad = ~np.isfinite(nV1) | ~np.isfinite(nV2) | (nV1 <= 0) | (nV2 <= 0) | (it > max_iter // 2)
        nV1 = np.where(bad, 0.5 * (V1 + t1), nV1)  # damped iteration where Newton misbehaves
        nV2 = np.where(bad, 0.5 * (V2 + t2), nV2)
        V1, V2 = np.where(conv, V1, nV1), np.where(conv, V2, nV2)

    # ---- the linear part: (theta, m), psi, (q1, q2)
    Vh1, Vh2, w = vhat(V1, V2)
    fF, fH, DF2, DH2, F2, H2 = avg.spikes(Vh1, Vh2, lam)
    _, _, PDD, PD1, PD0 = avg.V(Vh1, Vh2, lam)
    Ah, A0, A1 = E(k * mu1 * h * w), E(k * mu1 * mu0 * w), E(k * k * m1s * w)
    Bh, B0 = E(mu0 * h * w), E(mu0 * mu0 * w)
    has_m = B0 > 1e-13 * np.maximum(E(w), 1e-300)
    B0s = np.where(has_m, B0, 1.0)
    num = alph * fF * (Ah - np.where(has_m, A0 * Bh / B0s, 0.0))
    den = 1 + alph * fF * (A1 - np.where(has_m, A0**2 / B0s, 0.0))
    theta = num / den
    m = np.where(has_m, (Bh - theta * A0) / B0s, 0.0)
    thh = alph * (Ah - A0 * m - A1 * theta)
    psih = alph * E(h1 * mu1 * w)
    psi = psih * fH
    chat = mu0[None, :] * m[:, None] + (mu1 * k)[None, :] * theta[:, None]
    e0 = chat**2 + hh - 2 * chat * h - 2 * mu1 * psi[:, None] * h1
    w2 = w * w
    M11, M12, M22 = E(m1s * m1s * w2), E(m1s * m2s * w2), E(m2s * m2s * w2)
    E01, E02 = E(m1s * e0 * w2), E(m2s * e0 * w2)
    b1 = thh**2 * DF2 + psih**2 * DH2
    b2 = thh**2 * F2 + psih**2 * H2
    # T = alpha P M, P = [[PDD, PD1], [PD1, PD0]]
    T11, T12 = alph * (PDD * M11 + PD1 * M12), alph * (PDD * M12 + PD1 * M22)
    T21, T22 = alph * (PD1 * M11 + PD0 * M12), alph * (PD1 * M12 + PD0 * M22)
    r1 = alph * (PDD * E01 + PD1 * E02) + b1
    r2 = alph * (PD1 * E01 + PD0 * E02) + b2
    L11, L12, L21, L22 = 1 - T11, -T12, -T21, 1 - T22
    detL = L11 * L22 - L12 * L21
    q1 = (L22 * r1 - L12 * r2) / detL
    q2 = (-L21 * r1 + L11 * r2) / detL
    tr, dt = T11 + T22, T11 * T22 - T12 * T21
    spec = np.abs(tr) / 2 + np.sqrt(np.maximum(tr**2 / 4 - dt, 0.0))
    mse = E(e0) + E(m1s) * q1 + E(m2s) * q2

    # ---- residuals of the original system
    ok = conv & (spec < 1) & (q1 >= 0) & (q2 >= 0) & np.isfinite(mse)
    report = []
    for i in np.flatnonzero(~ok):
        why = ("(V1, V2) fixed point not converged" if not conv[i] else
               f"unstable solution (spectral radius of alpha P M = {spec[i]:.3g} >= 1)" if spec[i] >= 1 else
               "negative q (no admissible solution)")
        report.append({"alpha": float(alph[i]), "reason": why})
    mse = np.where(ok, mse, np.nan)
    order = {"q1": q1, "q2": q2, "V1": V1, "V2": V2, "theta": theta, "psi": psi, "m": m,
             "qhat1": alph * (E01 + M11 * q1 + M12 * q2), "qhat2": alph * (E02 + M12 * q1 + M22 * q2),
             "Vhat1": Vh1, "Vhat2": Vh2, "thetahat": thh, "psihat": psih}
    return OneStepCurve(alpha=alph, mse=mse, order=order, srf=srf, converged=ok, report=report,
                        params={"activation": str(activation), "target": str(target), "learning_rate": eta,
                                "alpha0": a0, "ridge": lam, "d": d, "seed": seed, "r": r, "c": c,
                                "gamma": gamma, "quad_order": quad_order, "inner_order": inner_order, "tol": tol},
                        derivation=ONE_STEP_GENERALISATION)


# --------------------------------------------------------------------------------------------
# simulation: the real network (one GD step by rmtsym.simulate.spiked.sample_one_step), then ridge
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OneStepSimulation:
    """Monte Carlo test MSE per ``alpha``: ``mean``, standard error ``se`` over ``reps`` replicates."""

    alpha: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    values: np.ndarray
    params: dict = field(default_factory=dict)


def simulate_one_step_error(activation, target, learning_rate, alpha0, alpha, ridge, *, d: int = 400,
                            reps: int = 3, n_test: int = 4000, seed: int = 0) -> OneStepSimulation:
    """Test MSE of the trained network: one full-batch GD step (``sample_one_step``, as the authors'
    ``Simulations.ipynb``, ``p = d``), then ``w = argmin ||y - sigma(X W1^T) w/sqrt p||^2 + lambda ||w||^2``
    on ``n = round(alpha d)`` fresh samples; the error ``mean (y - sigma(X W1^T) w/sqrt p)^2`` on
    ``n_test`` further samples. Independent of the theory (no fixed point, no Gaussian equivalence).
    """
    from ..simulate.spiked import _function, sample_one_step

    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 4:
        raise ParameterError("d", d, "an integer >= 4")
    if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)) or reps < 1:
        raise ParameterError("reps", reps, "an integer >= 1")
    eta = float(_num("learning_rate", learning_rate, lo=0.0, strict=False))
    a0 = float(_num("alpha0", alpha0, lo=0.0, strict=False))
    alph = np.atleast_1d(_num("alpha", alpha, lo=0.0, strict=True)).astype(float).ravel()
    lam = float(_num("ridge", ridge, lo=0.0, strict=True))
    sigma, tgt = _function(activation, "activation"), _function(target, "target")
    p = int(d)
    vals = np.empty((alph.size, reps))
    seqs = np.random.SeedSequence(seed).spawn(reps)
    for j, sq in enumerate(seqs):
        s_step, s_data = sq.spawn(2)
        W1 = sample_one_step(d, p, 1, activation=activation, target=target, learning_rate=eta, alpha0=a0,
                             seed=np.random.default_rng(s_step), return_weights=True).W1
        rng = np.random.default_rng(s_data)
        Xt = rng.standard_normal((n_test, d))
        Pt, yt = sigma(Xt @ W1.T) / math.sqrt(p), tgt(Xt[:, 0])
        for i, a in enumerate(alph):
            n = max(1, int(round(a * d)))
            X = rng.standard_normal((n, d))
            P, y = sigma(X @ W1.T) / math.sqrt(p), tgt(X[:, 0])
            w = np.linalg.solve(P.T @ P + lam * np.eye(p), P.T @ y)
            vals[i, j] = np.mean((yt - Pt @ w) ** 2)
    se = vals.std(axis=1, ddof=1) / math.sqrt(reps) if reps > 1 else np.full(alph.size, np.nan)
    return OneStepSimulation(alpha=alph, mean=vals.mean(axis=1), se=se, values=vals,
                             params={"d": d, "p": p, "reps": reps, "n_test": n_test, "seed": seed})


# --------------------------------------------------------------------------------------------
# the derivation
# --------------------------------------------------------------------------------------------
def _build_derivation() -> Derivation:
    k = sp.Symbol("kappa", real=True)
    al, lam = sp.symbols("alpha lambda", positive=True)
    q1, q2, V1, V2, th, ps, m = sp.symbols("q_1 q_2 V_1 V_2 theta psi m")
    qh1, qh2, Vh1, Vh2, thh, psh = sp.symbols("qhat_1 qhat_2 Vhat_1 Vhat_2 thetahat psihat")
    mse = sp.Symbol("epsilon_g")
    mu0, mu1, mu2 = (sp.Function(f"mu_{i}")(k) for i in range(3))
    h, h1, hh = sp.Function("h")(k), sp.Function("h_1")(k), sp.Function("h_2")(k)
    phi = sp.Function("varphi")(k)
    Dv, Fv, Hv = sp.symbols("D F H", nonnegative=True)
    avg = sp.Function("Avg")

    def Ek(e):
        return sp.Integral(e * phi, (k, -sp.oo, sp.oo))

    Vk = mu1**2 * V1 + mu2**2 * V2
    ch = mu0 * m + mu1 * k * th
    Ek_ = ch**2 + hh - 2 * ch * h - 2 * mu1 * ps * h1 + mu1**2 * q1 + mu2**2 * q2
    S = lam + Vh1 * Dv + Vh2
    N = qh1 * Dv + qh2 + thh**2 * Fv + psh**2 * Hv
    eqs = [
        sp.Eq(qh1, al * Ek(mu1**2 * Ek_ / (1 + Vk) ** 2)),
        sp.Eq(qh2, al * Ek(mu2**2 * Ek_ / (1 + Vk) ** 2)),
        sp.Eq(Vh1, al * Ek(mu1**2 / (1 + Vk))),
        sp.Eq(Vh2, al * Ek(mu2**2 / (1 + Vk))),
        sp.Eq(thh, al * Ek(k * mu1 * (h - ch) / (1 + Vk))),
        sp.Eq(psh, al * Ek(h1 * mu1 / (1 + Vk))),
        sp.Eq(m, Ek(mu0 * (h - mu1 * k * th) / (1 + Vk)) / Ek(mu0**2 / (1 + Vk))),
        sp.Eq(q1, avg(Dv * N / S**2)),
        sp.Eq(q2, avg(N / S**2)),
        sp.Eq(V1, avg(Dv / S)),
        sp.Eq(V2, avg(1 / S)),
        sp.Eq(th, thh * avg(Fv / S)),
        sp.Eq(ps, psh * avg(Hv / S)),
        sp.Eq(mse, Ek(Ek_)),
    ]
    return Derivation(
        "one-step-generalisation",
        title="Test error of ridge readout after one large gradient step (spiked random features)",
        unknowns=[q1, q2, V1, V2, th, ps, m, qh1, qh2, Vh1, Vh2, thh, psh, mse],
        parameters=[al, lam, Dv, Fv, Hv],
        equations=eqs,
        outputs={"mse": mse},
        requires=["spiked-rf-bulk", "hermite-expansion"],
        reference="H. Cui, L. Pesce, Y. Dandi, F. Krzakala, Y. M. Lu, L. Zdeborova, B. Loureiro, Asymptotics of "
                  "feature learning in two-layer networks after one gradient-step, arXiv:2402.04980 (ICML 2024), "
                  "Result 3.3",
        assumptions="varphi(kappa) standard Gaussian density; mu_0, mu_1, mu_2 conditional Hermite coefficients of "
                    "sigma(r kappa + c^{1/2} z); h(k) = E sigma_*(gamma k + rho z), h_1(k) = E[z sigma_*(gamma k + "
                    "rho z)], h_2(k) = E sigma_*(gamma k + rho z)^2, rho = sqrt(1 - gamma^2); Avg = mean over the p "
                    "eigenvalues D of Omega = W Pi W^T with F, H the squared projections of W v, W zeta on its "
                    "eigenvectors (d -> inf: D ~ c MP(1), Avg(F g(D)) = c Avg(g(D)), Avg(H g(D)) = Avg(D g(D))); "
                    "alpha = n/d, p = d, readout objective ||y - Phi w/sqrt p||^2 + lambda ||w||^2. Solved by "
                    "rmtsym.models.one_step.one_step_error (compile() is not supported)",
        symbols=\
                {qh1: r"\hat q_{1}", qh2: r"\hat q_{2}", Vh1: r"\hat V_{1}", Vh2: r"\hat V_{2}",
                 thh: r"\hat\theta", psh: r"\hat\psi", k: r"\kappa", mse: r"\varepsilon_{g}"},
    )


ONE_STEP_GENERALISATION = register(_build_derivation())
