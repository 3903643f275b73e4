"""Monte Carlo ground truth for multi-class AMP (normalisation of :mod:`rmtsym.amp.multiclass`).

Data: class means ``mu_c ~ N(0, I_d)`` (columns of ``M``, drawn once per seed), labels with exact
class counts ``round(n rho_c)`` (largest remainder) in random order, ``x = mu_c/d + sqrt(Delta/d) z``.
AMP (REFERENCES.md paper 4; Çakmak, Lu & Opper 2024, arXiv:2402.08676), from ``W^0 = 0``,
``G^{-1} = 0``, ``V^0 = (Delta/lambda) I``::

    Omega = X W - G_old V;  G = g(Omega, Y; V) (cross-entropy prox, rows);
    A = alpha Delta mean_mu H (I + V H)^{-1};  W <- (X^T G + W A)(lambda I + A)^{-1};
    V <- Delta (lambda I + A)^{-1}.

At a fixed point ``lambda W = X^T G`` with ``g_mu = -grad l(y_mu, W^T x_mu)``: the ERM minimiser.
Independent solvers of the same ERM: scipy L-BFGS on the exact objective and gradient
(:func:`fit_multiclass_erm`), and scikit-learn ``LogisticRegression(C = 1/lambda,
fit_intercept=False)`` (:func:`fit_multiclass_sklearn`, K >= 3, multinomial).
The population test error of a given ``W`` is estimated by Monte Carlo of the exact K-dim law of
the scores, ``W^T x | c ~ N(W^T mu_c/d, (Delta/d) W^T W)`` (:func:`population_test_error`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from ..amp.multiclass import GaussianMixture, cross_entropy, empirical_rho_at, multiclass_prox, softmax
from ..amp.multiclass_stability import gain_denoiser
from ..errors import ParameterError, check_int

__all__ = ["MixtureSample", "MulticlassAMPRun", "sample_gaussian_mixture", "run_multiclass_amp", "run_gain_amp",
           "amp_rows",
           "fit_multiclass_erm", "fit_multiclass_sklearn", "erm_objective", "population_test_error",
           "training_error"]


@dataclass(frozen=True)
class MixtureSample:
    """``X`` (n, d), labels ``y`` (n,), means ``M`` (d, K), ``Sigma = M^T M / d`` and the model
    (with this realised ``Sigma``)."""

    X: np.ndarray
    y: np.ndarray
    M: np.ndarray
    Sigma: np.ndarray
    model: GaussianMixture

    @property
    def alpha(self) -> float:
        return self.X.shape[0] / self.X.shape[1]


def sample_gaussian_mixture(n: int, d: int, K: int = 3, Delta: float = 1.0, priors=None,
                            seed: int = 0) -> MixtureSample:
    """One draw of the mixture (module docstring).

    >>> s = sample_gaussian_mixture(6, 4, K=3, seed=1)
    >>> s.X.shape, np.bincount(s.y).tolist()
    ((6, 4), [2, 2, 2])
    """
    n, d = check_int(n, "n", 1), check_int(d, "d", 1)
    base = GaussianMixture(K=K, priors=priors, Delta=Delta)
    K = base.K
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((d, K))
    raw = n * base.priors
    counts = np.floor(raw).astype(int)
    counts[np.argsort(raw - counts)[::-1][: n - counts.sum()]] += 1
    y = rng.permutation(np.repeat(np.arange(K), counts))
    X = M[:, y].T / d + np.sqrt(base.Delta / d) * rng.standard_normal((n, d))
    Sigma = M.T @ M / d
    return MixtureSample(X=X, y=y, M=M, Sigma=Sigma,
                         model=GaussianMixture(K=K, Sigma=Sigma, priors=base.priors, Delta=base.Delta))


@dataclass(frozen=True)
class MulticlassAMPRun:
    """AMP on one data set. ``W`` last iterate (the ERM minimiser when ``converged``); ``V``;
    ``diffs[t] = ||W^{t+1} - W^t||_F / sqrt(d)``; ``M_o[t] = W^{t+1 T} M / d`` and
    ``Q[t] = W^{t+1 T} W^{t+1} / d`` per iteration (``M_o`` NaN if no means given);
    ``history`` (T+1, d, K) iterates from ``W^0 = 0`` if kept; ``rho_at`` the empirical
    ``alpha mean_mu T (x) T`` spectral radius at the last iterate; ``converged``, ``iterations``."""

    W: np.ndarray
    V: np.ndarray
    diffs: np.ndarray
    M_o: np.ndarray
    Q: np.ndarray
    history: np.ndarray | None
    rho_at: float
    converged: bool
    iterations: int


def run_multiclass_amp(X: np.ndarray, y, lam: float, Delta: float = 1.0, K: int | None = None, *,
                       M: np.ndarray | None = None, iters: int = 500, tol: float = 1e-10,
                       keep_history: bool = False, blowup: float = 1e8,
                       onsager: bool = True) -> MulticlassAMPRun:
    """Run multi-class AMP (module docstring) until ``||W^{t+1} - W^t||_F <= tol ||W^{t+1}||_F``.

    ``onsager=False`` drops the Onsager term ``- G_old V`` (a naive mean-field iteration with the
    same fixed points; a negative control, it need not converge).
    Stops early (``converged=False``) if ``||W||_F / sqrt(d)`` exceeds ``blowup``; a run with
    ``converged=False`` reports its last iterate, which is not the ERM minimiser.
    """
    y = np.asarray(y).astype(int)
    z = None

    def prox_rows(Om, V):  # warm-started from the previous prox
        nonlocal z
        r = multiclass_prox(Om, y, V, z0=z)
        z = r.z
        return r.g, r.J

    return amp_rows(X, y, prox_rows, lam, Delta, K, M=M, iters=iters, tol=tol, keep_history=keep_history,
                    blowup=blowup, onsager=onsager)


def run_gain_amp(X: np.ndarray, y, lam: float, gain: float, Delta: float = 1.0, K: int | None = None, *,
                 iters: int = 400, tol: float = 1e-10) -> MulticlassAMPRun:
    """The same AMP with the gain row function ``g = gain (e_y - softmax(omega))``, ``J = gain H``
    of :mod:`rmtsym.amp.multiclass_stability` (its fixed point is not an ERM)."""
    y = np.asarray(y).astype(int)
    return amp_rows(X, y, lambda Om, V: gain_denoiser(Om, y, gain), lam, Delta, K, iters=iters, tol=tol)


def amp_rows(X: np.ndarray, y, row, lam: float, Delta: float = 1.0, K: int | None = None, *,
             M: np.ndarray | None = None, iters: int = 500, tol: float = 1e-10, keep_history: bool = False,
             blowup: float = 1e8, onsager: bool = True) -> MulticlassAMPRun:
    """Multi-class AMP with any row function ``row(Omega, V) -> (G, J)`` (``G`` (n, K) rows of ``g``,
    ``J`` (n, K, K) their Onsager Jacobians ``-dg/domega``); the stopping rules of
    :func:`run_multiclass_amp`."""
    X = np.asarray(X, float)
    n, d = X.shape
    y = np.asarray(y).astype(int)
    K = int(y.max()) + 1 if K is None else check_int(K, "K", 2)
    if K < 2:
        raise ParameterError("K", K, "K >= 2 classes")
    lam, Delta = float(lam), float(Delta)
    if not (lam > 0 and np.isfinite(lam)):
        raise ParameterError("lam", lam, "ridge lambda > 0 (finite)")
    if not (Delta > 0 and np.isfinite(Delta)):
        raise ParameterError("Delta", Delta, "noise variance Delta > 0 (finite)")
    iters = check_int(iters, "iters", 1)
    alpha = n / d
    I = np.eye(K)
    W = np.zeros((d, K))
    G = np.zeros((n, K))
    V = Delta / lam * I
    hist = [W.copy()] if keep_history else None
    diffs, Mo, Qs = [], [], []
    conv = False
    t = 0
    for t in range(1, iters + 1):
        Om = X @ W - G @ V if onsager else X @ W
        G, J = row(Om, V)
        A = alpha * Delta * J.mean(0)
        A = 0.5 * (A + A.T)
        P = np.linalg.inv(lam * I + A)
        Wn = (X.T @ G + W @ A) @ P
        V = Delta * 0.5 * (P + P.T)
        dW = float(np.linalg.norm(Wn - W))
        W = Wn
        diffs.append(dW / np.sqrt(d))
        Qs.append(W.T @ W / d)
        Mo.append(W.T @ M / d if M is not None else np.full((K, K), np.nan))
        if keep_history:
            hist.append(W.copy())
        nW = float(np.linalg.norm(W))
        if not np.isfinite(nW) or nW / np.sqrt(d) > blowup:
            break
        if dW <= tol * nW:
            conv = True
            break
    # empirical AT radius at the last iterate: alpha mean_mu T (x) T, T = V J
    _, J = row(X @ W - G @ V, V)
    return MulticlassAMPRun(W=W, V=V, diffs=np.array(diffs), M_o=np.array(Mo), Q=np.array(Qs),
                            history=np.array(hist) if keep_history else None,
                            rho_at=empirical_rho_at(J, V, alpha), converged=conv, iterations=t)


def erm_objective(W: np.ndarray, X: np.ndarray, y, lam: float) -> tuple[float, np.ndarray]:
    """``sum_mu l(y_mu, W^T x_mu) + (lambda/2)||W||_F^2`` and its gradient ``X^T(P - Y) + lambda W``."""
    Z = X @ W
    Y = np.eye(W.shape[1])[np.asarray(y)]
    f = float(cross_entropy(y, Z).sum() + 0.5 * lam * np.sum(W * W))
    return f, X.T @ (softmax(Z) - Y) + lam * W


def fit_multiclass_erm(X: np.ndarray, y, lam: float, K: int | None = None, *, gtol: float = 1e-12,
                       maxiter: int = 20000) -> np.ndarray:
    """ERM minimiser by scipy L-BFGS on the exact objective (independent of AMP)."""
    X = np.asarray(X, float)
    y = np.asarray(y).astype(int)
    K = int(y.max()) + 1 if K is None else K
    d = X.shape[1]
    if not lam > 0:
        raise ParameterError("lam", lam, "ridge lambda > 0")

    def fg(w):
        f, g = erm_objective(w.reshape(d, K), X, y, lam)
        return f, g.ravel()

    res = minimize(fg, np.zeros(d * K), jac=True, method="L-BFGS-B",
                   options=dict(maxiter=maxiter, maxcor=30, gtol=gtol, ftol=1e-16))
    W = res.x.reshape(d, K)
    gnorm = float(np.abs(fg(res.x)[1]).max())
    if gnorm > 1e-6 * max(1.0, float(np.abs(W).max())):
        from ..errors import ConvergenceError
        raise ConvergenceError(f"L-BFGS stopped with gradient {gnorm:.2e}: {res.message}")
    return W


def fit_multiclass_sklearn(X: np.ndarray, y, lam: float, *, tol: float = 1e-12) -> np.ndarray:
    """scikit-learn ``LogisticRegression(C=1/lambda, fit_intercept=False)`` (lbfgs, multinomial for
    K >= 3) weights as a ``(d, K)`` matrix."""
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(y).astype(int)
    if y.max() + 1 < 3:
        raise ParameterError("K", int(y.max()) + 1, "K >= 3 for the multinomial scikit-learn fit")
    clf = LogisticRegression(C=1.0 / lam, fit_intercept=False, tol=tol, max_iter=100000)
    clf.fit(X, y)
    return clf.coef_.T.copy()


def training_error(W: np.ndarray, X: np.ndarray, y) -> float:
    """Fraction of training points with ``argmax W^T x != y``."""
    return float(np.mean(np.argmax(X @ W, axis=1) != np.asarray(y)))


def population_test_error(W: np.ndarray, M: np.ndarray, Delta: float, priors=None, *,
                          samples: int = 200_000, seed: int = 0) -> tuple[float, float]:
    """``(error, standard error)`` of ``argmax W^T x != c`` for fresh ``x`` of the mixture, by Monte Carlo
    of the exact score law ``N(W^T mu_c/d, (Delta/d) W^T W)``, ``samples`` per class."""
    d, K = W.shape
    pr = np.full(K, 1.0 / K) if priors is None else np.asarray(priors, float)
    rng = np.random.default_rng(seed)
    C = Delta / d * (W.T @ W)
    L = np.linalg.cholesky(C + 1e-14 * np.trace(C) * np.eye(K))
    m = W.T @ M / d  # column c = mean score of class c
    err, var = 0.0, 0.0
    for c in range(K):
        s = m[:, c] + rng.standard_normal((samples, K)) @ L.T
        e = np.argmax(s, 1) != c
        err += pr[c] * e.mean()
        var += pr[c] ** 2 * e.var() / samples
    return float(err), float(np.sqrt(var))
