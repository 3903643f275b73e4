"""Non-separable multivariate AMP for multi-class ridge cross-entropy on a Gaussian mixture.

Model (Loureiro et al. 2021, arXiv:2106.03791; AMP and its convergence analysis: Çakmak, Lu &
Opper 2024, arXiv:2402.08676; equations as reconstructed and checked in REFERENCES.md paper 4).
``K >= 2`` classes with priors ``rho_c``; class means ``mu_c in R^d`` with O(1) entries, collected in
``M = [mu_1 .. mu_K]`` (``d x K``), overlap ``Sigma = M^T M / d`` (``K x K``); a sample of class ``c``
is ``x = mu_c / d + sqrt(Delta / d) z``, ``z ~ N(0, I_d)``; ``alpha = n/d``. The estimator is the ERM

    W* = argmin_W  sum_mu l(y_mu, W^T x_mu) + (lambda/2) ||W||_F^2,   W in R^{d x K},
    l(y, z) = -z_y + log sum_k exp(z_k)

(= scikit-learn ``LogisticRegression(C=1/lambda, fit_intercept=False)``, multinomial, K >= 3).

Proximal denoiser on K-dim rows with ``V`` symmetric positive definite::

    z = prox(omega) = argmin_z l(y, z) + (1/2) (z - omega)^T V^{-1} (z - omega),
    g = V^{-1}(z - omega) = e_y - softmax(z),   dg/domega = -H (I + V H)^{-1},
    H = diag(p) - p p^T,  p = softmax(z).

The prox is computed by a batched Newton iteration with Armijo backtracking over all rows at once
(REFERENCES.md: undamped Newton gives wrong proxes at large V). State evolution on ``M_o = W^T M / d`` (column
``c`` is ``m_c``), ``Q = W^T W / d`` and ``V``, with ``omega = m_c + (Delta Q)^{1/2} xi``,
``xi ~ N(0, I_K)``::

    mhat_c = alpha rho_c E[g | c],   Qhat = alpha Delta sum_c rho_c E[g g^T | c],
    Vhat = alpha Delta sum_c rho_c E[H (I + V H)^{-1} | c],   P = (lambda I + Vhat)^{-1},
    M_o <- P Mhat Sigma,   Q <- P (Mhat Sigma Mhat^T + Qhat) P,   V <- Delta P,

started from the AMP start ``M_o = Q = 0``, ``V = (Delta/lambda) I``. Test error
``1 - sum_c rho_c P[argmax(m_c + (Delta Q)^{1/2} xi) = c]``; training error likewise with
``argmax prox(omega)``. Convergence of AMP (multivariate AT condition): ``rho_AT`` = spectral radius
of ``alpha sum_c rho_c E[T (x) T | c]`` (``K^2 x K^2``), ``T = V H (I + V H)^{-1}`` at the fixed point;
AMP's iterate differences contract like ``sqrt(rho_AT)`` when that is the slow mode.

Expectations over ``xi`` (stated rule): Gauss–Hermite tensor product for ``K <= 3`` (40 nodes per
axis for K = 2, 12 for K = 3); the integrands g, g g^T, H(I+VH)^{-1} are analytic but sharpen as V
grows: measured relative error of (M_o, Q) against 24 nodes per axis, K = 3, alpha in {0.5, 2, 5}:
<= 2e-11 at lambda = 1, <= 6e-7 at lambda = 0.1 (test error <= 1.5e-8), ~1e-3 at lambda = 0.01
(raise ``n_nodes`` there). Scrambled Sobol quasi-Monte Carlo with fixed seed 0 and 2^13 points for
``K >= 4`` (measured error ~2e-6 on (M_o, Q) at K = 3, lambda = 1, against Gauss–Hermite).
The test error is an orthant probability of the (K-1) class-score differences, computed by scipy's multivariate normal CDF (Genz, abseps 1e-7);
the training error (an indicator of the prox) by two scrambled Sobol sets of 2^12 points each,
whose half-difference is reported as ``train_error_err``.

>>> model = GaussianMixture(K=3)
>>> se = multiclass_state_evolution(model, alpha=2.0, lam=1.0, n_nodes=6, train_qmc=256)
>>> bool(se.converged), round(float(se.test_error), 2), bool(se.rho_at < 1)
(True, 0.48, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.stats import multivariate_normal, norm, qmc

from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import ConvergenceError, ParameterError, check_array, check_int

__all__ = [
    "GaussianMixture",
    "ProxResult",
    "MulticlassSE",
    "cross_entropy",
    "softmax",
    "multiclass_prox",
    "gaussian_nodes",
    "multiclass_state_evolution",
    "argmax_error",
    "rho_at_bound",
    "empirical_rho_at",
    "AMP_MULTICLASS_SE",
]


# ---- model ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class GaussianMixture:
    """Gaussian mixture of the module docstring: ``K`` classes, means overlap ``Sigma = M^T M/d``
    (default ``I_K``, the limit of ``mu_c ~ N(0, I_d)``), ``priors`` (default balanced), noise
    variance ``Delta`` (default 1)."""

    K: int
    Sigma: np.ndarray | None = None
    priors: np.ndarray | None = None
    Delta: float = 1.0

    def __post_init__(self) -> None:
        K = check_int(self.K, "K", 2)
        object.__setattr__(self, "K", K)
        S = np.eye(K) if self.Sigma is None else np.array(self.Sigma, dtype=float)
        if S.shape != (K, K) or not np.all(np.isfinite(S)) or not np.allclose(S, S.T, atol=1e-12):
            raise ParameterError("Sigma", S.tolist() if S.size < 50 else S.shape,
                                 f"a finite symmetric {K} x {K} matrix M^T M / d")
        if np.linalg.eigvalsh(S).min() < -1e-10 * max(1.0, np.abs(S).max()):
            raise ParameterError("Sigma", S.tolist(), "a positive semi-definite overlap M^T M / d")
        pr = np.full(K, 1.0 / K) if self.priors is None else np.array(self.priors, dtype=float)
        if pr.shape != (K,) or np.any(~(pr > 0)) or abs(pr.sum() - 1.0) > 1e-10:
            raise ParameterError("priors", pr.tolist(), f"{K} positive class priors summing to 1")
        D = float(self.Delta)
        if not (np.isfinite(D) and D > 0):
            raise ParameterError("Delta", self.Delta, "noise variance Delta > 0 (finite)")
        S.setflags(write=False)
        pr.setflags(write=False)
        object.__setattr__(self, "Sigma", S)
        object.__setattr__(self, "priors", pr)
        object.__setattr__(self, "Delta", D)


# ---- loss and prox --------------------------------------------------------------------------
def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax over the last axis (stable)."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(y, z: np.ndarray) -> np.ndarray:
    """``l(y, z) = -z_y + logsumexp(z)`` over the last axis (``y`` integer labels)."""
    z = np.asarray(z, dtype=float)
    m = z.max(axis=-1)
    lse = m + np.log(np.exp(z - m[..., None]).sum(axis=-1))
    zy = np.take_along_axis(z, np.broadcast_to(np.asarray(y), z.shape[:-1])[..., None].astype(int), -1)[..., 0]
    return lse - zy


def _cholesky(A: np.ndarray) -> np.ndarray:
    """Batched Cholesky factor of SPD ``A`` stored component-major (K, K, N), vectorised over N."""
    K = A.shape[0]
    L = np.zeros_like(A)
    for j in range(K):
        s = A[j, j].copy()
        for k in range(j):
            s -= L[j, k] * L[j, k]
        L[j, j] = np.sqrt(s)
        for i in range(j + 1, K):
            s = A[i, j].copy()
            for k in range(j):
                s -= L[i, k] * L[j, k]
            L[i, j] = s / L[j, j]
    return L


def _cho_solve(L: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``L L^T x = b``; ``L`` (K, K, N), ``b`` (K, N) or (K, R, N) (component-major)."""
    K = L.shape[0]
    x = np.array(b, dtype=float, copy=True)
    ex = (lambda v: v) if b.ndim == 2 else (lambda v: v[None])
    for i in range(K):
        for k in range(i):
            x[i] -= ex(L[i, k]) * x[k]
        x[i] /= ex(L[i, i])
    for i in range(K - 1, -1, -1):
        for k in range(i + 1, K):
            x[i] -= ex(L[k, i]) * x[k]
        x[i] /= ex(L[i, i])
    return x


@dataclass(frozen=True)
class ProxResult:
    """``z`` = prox, ``g = e_y - softmax(z)``, ``J = H (I + V H)^{-1}`` (so ``dg/domega = -J``),
    ``newton_steps`` used (max over rows)."""

    z: np.ndarray
    g: np.ndarray
    J: np.ndarray
    newton_steps: int


def multiclass_prox(omega, y, V, *, z0=None, tol: float = 1e-12, max_steps: int = 200) -> ProxResult:
    """Proximal operator of the cross-entropy for all rows at once.

    ``omega`` (..., K); ``y`` integer labels broadcast to ``omega.shape[:-1]``; ``V`` (..., K, K)
    symmetric positive definite, broadcast likewise. Batched Newton on
    ``phi(z) = l(y, z) + (z - omega)^T V^{-1} (z - omega)/2`` (strongly convex) with Armijo
    backtracking; a row stops when its Newton step is below ``tol (1 + |z|)``. Raises
    :class:`ConvergenceError` if some row has not converged after ``max_steps``.

    >>> r = multiclass_prox(np.zeros((1, 3)), [0], np.eye(3))
    >>> np.round(r.z, 4)  # solves z_0 = 1 - softmax(z)_0, z_1 = z_2 = -z_0/2 (V = I)
    array([[ 0.4897, -0.2448, -0.2448]])
    """
    omega = np.asarray(omega, dtype=float)
    K = omega.shape[-1]
    V = np.asarray(V, dtype=float)
    if V.shape[-2:] != (K, K):
        raise ParameterError("V", V.shape, f"a (..., {K}, {K}) array")
    shape = np.broadcast_shapes(omega.shape[:-1], V.shape[:-2], np.shape(y))
    N = int(np.prod(shape))
    # component-major layout: (K, N) vectors and (K, K, N) matrices, so that every operation
    # below is on contiguous length-N arrays
    om = np.ascontiguousarray(np.broadcast_to(omega, shape + (K,)).reshape(N, K).T)
    yy = np.broadcast_to(np.asarray(y), shape).reshape(N).astype(int)
    if np.any((yy < 0) | (yy >= K)):
        raise ParameterError("y", "labels", f"integer labels in [0, {K - 1}]")
    Vu = V.reshape(-1, K, K)  # distinct V's; row n uses Vu[vidx[n]]
    vidx = np.broadcast_to(np.arange(Vu.shape[0]).reshape(V.shape[:-2]), shape).reshape(N)
    Viu = np.linalg.inv(Vu)
    vmax = 1.0 + np.abs(Vu).max((1, 2))
    Vi = np.ascontiguousarray(np.moveaxis(Viu[vidx], 0, -1))  # (K, K, N)
    vm = vmax[vidx]
    if z0 is None:
        z = om.copy()
    else:
        z = np.array(np.broadcast_to(np.asarray(z0, float), shape + (K,)).reshape(N, K).T, order="C", copy=True)
    ey = np.zeros((K, N))
    ey[yy, np.arange(N)] = 1.0

    def _soft(zz):
        mx = zz.max(0)
        e = np.exp(zz - mx)
        S = e.sum(0)
        return e / S, mx + np.log(S)

    def _quad(Via, r):
        return (Via * r[None]).sum(1)  # V^{-1} r, (K, m)

    def phi(zz, rows):
        r = zz - om[:, rows]
        _, lse = _soft(zz)
        return lse - zz[yy[rows], np.arange(len(rows))] + 0.5 * (r * _quad(Vi[:, :, rows], r)).sum(0)

    def _hess(p):
        H = -p[:, None] * p[None, :]
        for k in range(K):
            H[k, k] += p[k]
        return H

    active = np.arange(N)
    steps = 0
    for steps in range(1, max_steps + 1):
        za = z[:, active]
        p, lse = _soft(za)
        Via = Vi[:, :, active]
        r = za - om[:, active]
        grad = p - ey[:, active] + _quad(Via, r)
        # Newton step: (H + V^{-1}) s = -grad, SPD, by a batched Cholesky factorisation
        s = -_cho_solve(_cholesky(_hess(p) + Via), grad)
        dec = -(grad * s).sum(0)  # Newton decrement^2 (>= 0)
        t = np.ones(len(active))
        need = dec > 1e-8  # outside the quadratic regime: backtrack
        if np.any(need):
            f0 = lse - za[yy[active], np.arange(len(active))] + 0.5 * (r * _quad(Via, r)).sum(0)
            for _ in range(60):
                idx = np.nonzero(need)[0]
                if idx.size == 0:
                    break
                f1 = phi(za[:, idx] + t[idx] * s[:, idx], active[idx])
                ok = f1 <= f0[idx] - 0.25 * t[idx] * dec[idx]
                t[idx[~ok]] *= 0.5
                need[idx[ok]] = False
        z[:, active] = za + t * s
        # converged: a relative step below tol, or a Newton decrement at the rounding level
        # (at very large V the step cannot be resolved to tol relative; the objective is flat there)
        small = (np.abs(s).max(0) <= tol * (1.0 + np.abs(za).max(0))) | (
            dec <= 1e-28 * vm[active] * (1.0 + np.square(za).sum(0)))
        active = active[~small]
        if active.size == 0:
            break
    if active.size:
        raise ConvergenceError(f"prox: {active.size} of {N} rows not converged after {max_steps} Newton steps")
    p, _ = _soft(z)
    g = ey - p
    H = _hess(p)
    # J = H (I + V H)^{-1} = H (H + V^{-1})^{-1} V^{-1}
    X = _cho_solve(_cholesky(H + Vi), Vi)  # (K, K, N)
    J = (H[:, :, None] * X[None, :, :]).sum(1)
    J = 0.5 * (J + J.transpose(1, 0, 2))
    return ProxResult(z=z.T.reshape(shape + (K,)), g=g.T.reshape(shape + (K,)),
                      J=np.moveaxis(J, -1, 0).reshape(shape + (K, K)), newton_steps=steps)


# ---- Gaussian nodes ----------------------------------------------------------------------------
def gaussian_nodes(K: int, rule: str = "auto", n: int | None = None, seed: int = 0):
    """Nodes ``xi`` (P, K) and weights (P,) for ``E f(xi)``, ``xi ~ N(0, I_K)``.

    ``rule="gh"``: Gauss–Hermite tensor product with ``n`` nodes per axis (default 40 for K = 2,
    12 for K = 3, 8 otherwise); ``"qmc"``: scrambled Sobol with ``n`` points (default 2^13) mapped
    by the normal quantile, seed ``seed``, equal weights; ``"auto"``: gh for K <= 3, qmc otherwise.
    """
    K = check_int(K, "K", 1)
    if rule == "auto":
        rule = "gh" if K <= 3 else "qmc"
    if rule == "gh":
        n = n or {1: 60, 2: 40, 3: 12}.get(K, 8)
        x, w = np.polynomial.hermite_e.hermegauss(int(n))
        w = w / w.sum()
        grids = np.meshgrid(*([x] * K), indexing="ij")
        wg = np.meshgrid(*([w] * K), indexing="ij")
        return np.stack([g.ravel() for g in grids], -1), np.prod([g.ravel() for g in wg], axis=0)
    if rule == "qmc":
        n = int(n or 2 ** 13)
        u = qmc.Sobol(K, scramble=True, seed=seed).random(n)
        return norm.ppf(u), np.full(n, 1.0 / n)
    raise ParameterError("rule", rule, "'auto', 'gh' or 'qmc'")


def _sqrtm_psd(A: np.ndarray) -> np.ndarray:
    w, U = np.linalg.eigh(0.5 * (A + np.swapaxes(A, -1, -2)))
    return (U * np.sqrt(np.clip(w, 0.0, None))[..., None, :]) @ np.swapaxes(U, -1, -2)


# ---- errors ---------------------------------------------------------------------------------
def argmax_error(means: np.ndarray, cov: np.ndarray, priors: np.ndarray, *, abseps: float = 1e-7) -> np.ndarray:
    """``1 - sum_c rho_c P[argmax(s) = c]`` for scores ``s ~ N(means[..., :, c], cov)`` of class c.

    ``means`` (..., K, K) with column c the class-c mean score; ``cov`` (..., K, K). Each term is
    the orthant probability of the K - 1 differences ``s_c - s_j`` (scipy's multivariate normal CDF).

    >>> round(float(argmax_error(np.eye(2) * 10, np.eye(2), np.array([0.5, 0.5]))), 6)  # Phi(-10/sqrt 2)
    0.0
    """
    means = np.asarray(means, float)
    cov = np.asarray(cov, float)
    K = means.shape[-1]
    shape = np.broadcast_shapes(means.shape[:-2], cov.shape[:-2])
    Mf = np.broadcast_to(means, shape + (K, K)).reshape(-1, K, K)
    Cf = np.broadcast_to(cov, shape + (K, K)).reshape(-1, K, K)
    out = np.empty(len(Mf))
    for i in range(len(Mf)):
        if not (np.all(np.isfinite(Mf[i])) and np.all(np.isfinite(Cf[i]))):
            out[i] = np.nan
            continue
        acc = 0.0
        for c in range(K):
            D = np.delete(np.eye(K), c, axis=0)
            D = np.eye(K)[c][None, :] - D  # rows e_c - e_j
            m = D @ Mf[i][:, c]
            S = D @ Cf[i] @ D.T
            S = 0.5 * (S + S.T) + 1e-13 * (1.0 + np.trace(S)) * np.eye(K - 1)
            if K == 2:
                pc = float(norm.cdf(m[0] / np.sqrt(S[0, 0])))
            else:  # P[u > 0] = P[-u < 0]
                pc = float(multivariate_normal.cdf(np.zeros(K - 1), mean=-m, cov=S, allow_singular=True,
                                                   abseps=abseps, releps=abseps))
            acc += priors[c] * pc
        out[i] = 1.0 - acc
    return out.reshape(shape)


def empirical_rho_at(J: np.ndarray, V: np.ndarray, alpha: float) -> float:
    """``spr(alpha mean_mu T_mu (x) T_mu)``, ``T_mu = V J_mu``, from the per-row Onsager Jacobians ``J``
    (n, K, K) of a run (the finite-size counterpart of ``rho_at`` of the state evolution)."""
    K = V.shape[0]
    T = V @ J
    TT = np.einsum("nij,nkl->ikjl", T, T).reshape(K * K, K * K) / len(J)
    return float(alpha * np.abs(np.linalg.eigvals(TT)).max())


def rho_at_bound(Vhat: np.ndarray, lam) -> np.ndarray:
    """The bound ``rho_AT <= lmax(Vhat) / (lambda + lmax(Vhat)) < 1`` for ridge + convex loss."""
    lm = np.linalg.eigvalsh(Vhat)[..., -1]
    return lm / (np.asarray(lam) + lm)


# ---- state evolution ----------------------------------------------------------------------------
@dataclass(frozen=True)
class MulticlassSE:
    """Fixed point of the matrix state evolution, broadcast over the ``(alpha, lam)`` grid ``shape``.

    ``M`` = ``M_o`` (column c is ``m_c``), ``Q``, ``V`` and conjugates ``Mhat``, ``Qhat``, ``Vhat``:
    (shape..., K, K); ``test_error``, ``train_error`` (QMC, error estimate ``train_error_err``),
    ``rho_at`` (multivariate AT spectral radius) and its bound ``rho_at_bound``: shape. Where
    ``converged`` is false every answer is NaN and ``last_M``, ``last_Q``, ``last_V`` hold the last
    iterates; ``iterations`` per point; ``quadrature`` names the rule for E over xi.
    """

    alpha: np.ndarray
    lam: np.ndarray
    M: np.ndarray
    Q: np.ndarray
    V: np.ndarray
    Mhat: np.ndarray
    Qhat: np.ndarray
    Vhat: np.ndarray
    test_error: np.ndarray
    train_error: np.ndarray
    train_error_err: np.ndarray
    rho_at: np.ndarray
    rho_at_bound: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    last_M: np.ndarray
    last_Q: np.ndarray
    last_V: np.ndarray
    quadrature: str


def _check_grid(alpha, lam):
    a, l = (check_array(x, name, lambda v: (v > 0) & np.isfinite(v), f"{name} > 0 (finite)")
            for name, x in (("alpha", alpha), ("lam", lam)))
    return np.broadcast_arrays(a, l)


def _conjugates(model: GaussianMixture, alpha, M, Q, V, xi, w, z0=None):
    """One half-step: nodes, prox and (Mhat, Qhat, Vhat) for G grid points at once."""
    K, D, pr = model.K, model.Delta, model.priors
    S = _sqrtm_psd(D * Q)  # (G, K, K)
    om = np.swapaxes(M, -1, -2)[:, :, None, :] + np.einsum("gkl,pl->gpk", S, xi)[:, None]  # (G,C,P,K)
    y = np.arange(K)[None, :, None]
    r = multiclass_prox(om, y, V[:, None, None], z0=z0)
    wg = r.g * w[:, None]
    Eg = wg.sum(2)
    Egg = np.einsum("gcpk,gcpl->gckl", wg, r.g)
    EJ = np.einsum("gcpkl,p->gckl", r.J, w, optimize=True)
    a = alpha[:, None, None]
    Mhat = a * np.swapaxes(Eg * pr[None, :, None], -1, -2)  # column c = alpha rho_c E[g|c]
    Qhat = a * D * np.einsum("c,gckl->gkl", pr, Egg)
    Vhat = a * D * np.einsum("c,gckl->gkl", pr, EJ)
    return Mhat, Qhat, Vhat, r


def _se_map(model, alpha, lam, Mhat, Qhat, Vhat):
    K = model.K
    P = np.linalg.inv(lam[:, None, None] * np.eye(K) + Vhat)
    P = 0.5 * (P + np.swapaxes(P, -1, -2))
    Mn = P @ Mhat @ model.Sigma
    Qn = P @ (Mhat @ model.Sigma @ np.swapaxes(Mhat, -1, -2) + Qhat) @ P
    return Mn, 0.5 * (Qn + np.swapaxes(Qn, -1, -2)), model.Delta * P


def multiclass_state_evolution(model: GaussianMixture, alpha, lam, *, rule: str = "auto",
                               n_nodes: int | None = None, iters: int = 2000, tol: float = 1e-11,
                               train_qmc: int = 2 ** 12, raise_on_fail: bool = False) -> MulticlassSE:
    """Iterate the matrix state evolution to its fixed point on a broadcast ``(alpha, lam)`` grid.

    Start: the AMP start ``M_o = Q = 0``, ``V = (Delta/lambda) I``. A grid point has converged
    when the largest change of ``(M_o, Q, V)`` is below ``tol * max(1, max|.|)``. Unconverged
    points are NaN in every answer (last iterates kept), or :class:`ConvergenceError` if
    ``raise_on_fail``. See the module docstring for the quadrature rule and its accuracy.
    """
    if not isinstance(model, GaussianMixture):
        raise ParameterError("model", type(model).__name__, "a GaussianMixture")
    a, l = _check_grid(alpha, lam)
    shape = a.shape
    a, l = a.ravel(), l.ravel()
    G, K, D = a.size, model.K, model.Delta
    iters = check_int(iters, "iters", 1)
    xi, w = gaussian_nodes(K, rule, n_nodes)
    rname = ("gh" if K <= 3 else "qmc") if rule == "auto" else rule
    M = np.zeros((G, K, K))
    Q = np.zeros((G, K, K))
    V = (D / l)[:, None, None] * np.eye(K)
    conv = np.zeros(G, bool)
    its = np.zeros(G, int)
    hats = [np.full((G, K, K), np.nan) for _ in range(3)]
    zcache = None
    for t in range(1, iters + 1):
        act = np.nonzero(~conv)[0]
        if act.size == 0:
            break
        z0 = None if zcache is None or zcache.shape[0] != act.size else zcache
        Mh, Qh, Vh, r = _conjugates(model, a[act], M[act], Q[act], V[act], xi, w, z0=z0)
        Mn, Qn, Vn = _se_map(model, a[act], l[act], Mh, Qh, Vh)
        ch = np.maximum.reduce([np.abs(Mn - M[act]).max((1, 2)), np.abs(Qn - Q[act]).max((1, 2)),
                                np.abs(Vn - V[act]).max((1, 2))])
        sc = np.maximum.reduce([np.ones(act.size), np.abs(Mn).max((1, 2)), np.abs(Qn).max((1, 2)),
                                np.abs(Vn).max((1, 2))])
        M[act], Q[act], V[act] = Mn, Qn, Vn
        for h, v in zip(hats, (Mh, Qh, Vh)):
            h[act] = v
        its[act] = t
        done = ch <= tol * sc
        conv[act[done]] = True
        zcache = r.z[~done] if np.any(~done) and np.all(np.isfinite(r.z)) else None
    if raise_on_fail and not np.all(conv):
        raise ConvergenceError(f"multi-class state evolution: {np.count_nonzero(~conv)} of {G} points "
                               f"not converged after {iters} iterations")
    nanK = np.full((G, K, K), np.nan)
    Mf, Qf, Vf = (np.where(conv[:, None, None], X, nanK) for X in (M, Q, V))
    test = np.full(G, np.nan)
    train = np.full(G, np.nan)
    train_err = np.full(G, np.nan)
    rho = np.full(G, np.nan)
    bound = np.full(G, np.nan)
    ok = np.nonzero(conv)[0]
    if ok.size:
        test[ok] = argmax_error(M[ok], D * Q[ok], model.priors)
        # rho_AT from the fixed point's nodes
        Mh, Qh, Vh, r = _conjugates(model, a[ok], M[ok], Q[ok], V[ok], xi, w)
        T = np.einsum("gkl,gcplm->gcpkm", V[ok], r.J)
        TT = np.einsum("c,p,gcpij,gcpkl->gikjl", model.priors, w, T, T).reshape(ok.size, K * K, K * K)
        rho[ok] = a[ok] * np.abs(np.linalg.eigvals(TT)).max(-1)
        bound[ok] = rho_at_bound(Vh, l[ok])
        # training error by two scrambled Sobol sets
        ests = []
        for seed in (1, 2):
            xq, wq = gaussian_nodes(K, "qmc", train_qmc, seed=seed)
            S = _sqrtm_psd(D * Q[ok])
            om = np.swapaxes(M[ok], -1, -2)[:, :, None, :] + np.einsum("gkl,pl->gpk", S, xq)[:, None]
            rq = multiclass_prox(om, np.arange(K)[None, :, None], V[ok][:, None, None])
            wrong = (np.argmax(rq.z, -1) != np.arange(K)[None, :, None]).mean(-1)  # (G, C)
            ests.append(wrong @ model.priors)
        train[ok] = 0.5 * (ests[0] + ests[1])
        train_err[ok] = 0.5 * np.abs(ests[0] - ests[1])

    def rs(x, extra=()):
        return x.reshape(shape + extra)

    return MulticlassSE(
        alpha=rs(a), lam=rs(l), M=rs(Mf, (K, K)), Q=rs(Qf, (K, K)), V=rs(Vf, (K, K)),
        Mhat=rs(np.where(conv[:, None, None], hats[0], nanK), (K, K)),
        Qhat=rs(np.where(conv[:, None, None], hats[1], nanK), (K, K)),
        Vhat=rs(np.where(conv[:, None, None], hats[2], nanK), (K, K)),
        test_error=rs(test), train_error=rs(train), train_error_err=rs(train_err),
        rho_at=rs(rho), rho_at_bound=rs(bound), converged=rs(conv), iterations=rs(its),
        last_M=rs(M, (K, K)), last_Q=rs(Q, (K, K)), last_V=rs(V, (K, K)), quadrature=rname)


# ---- the derivation (printable LaTeX of the matrix SE) ---------------------------------------
_Ksym = sp.Symbol("K", integer=True, positive=True)
_Mo, _Q, _V = (sp.MatrixSymbol(n, _Ksym, _Ksym) for n in ("M_o", "Q", "V"))
_Mh, _Qh, _Vh, _Sig = (sp.MatrixSymbol(n, _Ksym, _Ksym) for n in ("Mhat", "Qhat", "Vhat", "Sigma"))
_lam, _Delta = sp.symbols("lambda Delta", positive=True)
_P = sp.Inverse(_lam * sp.Identity(_Ksym) + _Vh)

SE_LATEX = r"""\begin{aligned}
\omega_c &= m_c + (\Delta Q)^{1/2}\xi,\quad \xi\sim\mathcal N(0, I_K),\quad
 z = \operatorname{prox}(\omega) = \arg\min_z \ell(c, z) + \tfrac12 (z-\omega)^\top V^{-1}(z-\omega) \\
g &= V^{-1}(z-\omega) = e_c - \operatorname{softmax}(z),\quad H = \operatorname{diag}(p) - pp^\top \\
\hat m_c &= \alpha\rho_c\,\mathbb E[g\mid c],\quad
\hat Q = \alpha\Delta\sum_c\rho_c\,\mathbb E[gg^\top\mid c],\quad
\hat V = \alpha\Delta\sum_c\rho_c\,\mathbb E[H(I+VH)^{-1}\mid c] \\
P &= (\lambda I + \hat V)^{-1},\quad M_o = P\hat M\Sigma,\quad
Q = P(\hat M\Sigma\hat M^\top + \hat Q)P,\quad V = \Delta P \\
\varepsilon_{\mathrm{test}} &= 1 - \sum_c \rho_c\,\mathbb P[\arg\max(m_c + (\Delta Q)^{1/2}\xi) = c],\quad
\rho_{\mathrm{AT}} = \operatorname{spr}\Big(\alpha\sum_c\rho_c\,\mathbb E[T\otimes T\mid c]\Big),\ T = VH(I+VH)^{-1}
\end{aligned}"""

AMP_MULTICLASS_SE = register(Derivation(
    "amp-multiclass-state-evolution",
    unknowns=[_Mo, _Q, _V],
    parameters=[_Ksym, _lam, _Delta, _Mh, _Qh, _Vh, _Sig],
    equations=[sp.Eq(_Mo, _P * _Mh * _Sig), sp.Eq(_Q, _P * (_Mh * _Sig * _Mh.T + _Qh) * _P),
               sp.Eq(_V, _Delta * _P)],
    requires=["gaussian-expectation"],
    reference=("Çakmak, Lu & Opper, 'A convergence analysis of approximate message passing with "
               "non-separable functions and applications to multi-class classification', arXiv:2402.08676 "
               "(2024); Loureiro et al., 'Learning Gaussian mixtures with generalised linear models: precise "
               "asymptotics in high-dimensions', arXiv:2106.03791 (2021); REFERENCES.md paper 4 [RECON]"),
    assumptions=("x = mu_c/d + sqrt(Delta/d) z, Sigma = M^T M/d, alpha = n/d, ridge (lambda/2)||W||_F^2 on "
                 "the sum of cross-entropies; the conjugates Mhat (column c = alpha rho_c E[g|c]), "
                 "Qhat = alpha Delta sum_c rho_c E[g g^T|c], Vhat = alpha Delta sum_c rho_c E[H(I+VH)^{-1}|c] "
                 "are Gaussian expectations over omega = m_c + (Delta Q)^{1/2} xi of the cross-entropy prox "
                 "(full system: SE_LATEX)"),
    symbols={_Mh: r"\hat{M}", _Qh: r"\hat{Q}", _Vh: r"\hat{V}", _Mo: r"M_{o}"},
    title="Multi-class ridge cross-entropy: matrix state evolution (K x K)",
))
