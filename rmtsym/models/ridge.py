"""Ridge regression: deterministic equivalent of the learning curve (REFERENCES.md A4).

Normalisation (followed throughout, also in the Derivation's ``assumptions``)
------------------------------------------------------------------------------
Data ``x = Sigma^{1/2} z`` with ``z ~ N(0, I_p)``; target ``y = x^T beta + eps``, ``Var eps = sigma^2``
(``noise`` is ``sigma``, not ``sigma^2``). Ridge estimator on ``n`` samples (rows of ``X``)

    beta_hat = (X^T X / n + lambda)^{-1} X^T y / n            ("ridge" is this lambda).

Papers that minimise ``||y - X b||^2 + lambda' ||b||^2`` use ``lambda' = n lambda``.

Deterministic equivalent: the effective ridge ``kappa`` solves ``lambda = kappa (1 - df1/n)``,
``df_k = tr Sigma^k (Sigma + kappa)^{-k}``;

    bias     = kappa^2 beta^T Sigma (Sigma + kappa)^{-2} beta / (1 - df2/n)
    variance = sigma^2 (df2/n) / (1 - df2/n)
    risk     = bias + variance          (excess risk E_x (x^T (beta_hat - beta))^2)
    prediction_risk = risk + sigma^2    (also the limit of GCV)
    train_error = (lambda/kappa)^2 (risk + sigma^2) = (1 - df1/n)^2 (risk + sigma^2).

Ridgeless limit ``lambda -> 0+``: ``kappa = 0`` when ``rank Sigma < n`` (risk
``sigma^2 r/(n - r)``), ``kappa > 0`` with ``df1 = n`` when ``rank Sigma > n``; at ``n = rank Sigma``
the risk is ``inf`` (reported as such).

The covariance is given in its eigenbasis by a :class:`Spectrum`: eigenvalues with multiplicities
and the target energy ``beta_i^2`` carried by each; build one from eigenvalues
(:func:`spectrum_from_eigenvalues`), a spectral law with ``.density`` (:func:`spectrum_from_law`),
or a power law (:func:`power_law_spectrum`).

>>> s = power_law_spectrum(800, a=1.2, b=2.5)          # REFERENCES A4: tr Sigma = p, ||beta|| = 1
>>> c = ridge_risk(s, n=400, ridge=0.1, noise=0.2 ** 0.5)
>>> round(float(c.kappa), 4), round(float(c.risk), 4), round(float(c.prediction_risk), 4)
(0.3643, 0.1138, 0.3138)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import ParameterError

__all__ = ["Spectrum", "RidgeCurve", "spectrum_from_eigenvalues", "spectrum_from_law", "power_law_spectrum",
           "ridge_risk", "effective_ridge", "scaling_exponent", "RIDGE_DE"]

# ------------------------------------------------------------------------------------------
# the derivation
# ------------------------------------------------------------------------------------------
_kap, _lam, _n, _p, _sig = sp.symbols("kappa lambda n p sigma", positive=True)
_s, _b = sp.IndexedBase("s"), sp.IndexedBase("beta")
_i = sp.Symbol("i", integer=True, positive=True)


def _df(k):
    return sp.Sum(_s[_i] ** k / (_s[_i] + _kap) ** k, (_i, 1, _p))


_d1, _d2, _R = sp.symbols("df1 df2 R", positive=True)
_bias_num = _kap**2 * sp.Sum(_s[_i] * _b[_i] ** 2 / (_s[_i] + _kap) ** 2, (_i, 1, _p))
_den = (_n - _d2) / _n
_risk = (_n * _bias_num + _sig**2 * _d2) / (_n - _d2)

RIDGE_DE = register(Derivation(
    "ridge-deterministic-equivalent",
    unknowns=[_kap, _d1, _d2, _R], parameters=[_lam, _n, _p, _sig],
    equations=[sp.Eq(_lam, _kap * (_n - _d1) / _n), sp.Eq(_d1, _df(1)), sp.Eq(_d2, _df(2)), sp.Eq(_R, _risk)],
    outputs={"bias": _n * _bias_num / (_n - _d2), "variance": _sig**2 * _d2 / (_n - _d2),
             "train_error": (_lam / _kap) ** 2 * (_R + _sig**2), "GCV": _R + _sig**2},
    requires=["marchenko-pastur"],
    reference="Dobriban & Wager, Ann. Stat. 46 (2018), arXiv:1507.03003; Hastie, Montanari, Rosset & "
              "Tibshirani, Ann. Stat. 50 (2022), arXiv:1903.08560; Bach, SIMODS (2024), arXiv:2303.01372 "
              "(REFERENCES.md A4)",
    assumptions="x = Sigma^{1/2} z, y = x^T beta + eps, Var eps = sigma^2; beta_hat = (X^T X/n + lambda)^{-1} "
                "X^T y/n; s_i eigenvalues of Sigma, beta_i coefficients of beta in its eigenbasis; R is the "
                "excess risk E (x^T(beta_hat - beta))^2; R + sigma^2 is the prediction risk and the limit of "
                "GCV; proportional limit n, p -> oo",
    branch=[_kap > 0],
    symbols={_kap: r"\kappa", _lam: r"\lambda", _sig: r"\sigma", _d1: r"\mathrm{df}_1",
             _d2: r"\mathrm{df}_2", _R: r"\mathcal{R}", "bias": r"\mathrm{B}", "variance": r"\mathrm{V}",
             "train_error": r"\mathcal{E}_{\mathrm{train}}",
             "GCV": r"\mathrm{GCV}_{\infty}"},
    title="Ridge regression: effective ridge, degrees of freedom, bias, variance, risk",
))


# ------------------------------------------------------------------------------------------
# spectra
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spectrum:
    """A covariance in its eigenbasis: eigenvalue ``eig[j]`` with multiplicity ``mult[j]`` and
    target energy ``beta2[j]`` (sum of ``beta_i^2`` over those eigendirections).
    ``p = mult.sum()``; ``rank`` = number of positive eigenvalues."""

    eig: np.ndarray
    mult: np.ndarray
    beta2: np.ndarray
    label: str = ""

    @property
    def p(self) -> float:
        return float(self.mult.sum())

    @property
    def rank(self) -> float:
        return float(self.mult[self.eig > 0].sum())

    @property
    def signal(self) -> float:
        """``beta^T Sigma beta`` (variance of the noiseless target)."""
        return float(np.sum(self.eig * self.beta2))


def _check_array(name, v, *, positive=False):
    a = np.asarray(v, dtype=float)
    if not np.all(np.isfinite(a)) or np.any(a < 0) or (positive and np.any(a <= 0)):
        raise ParameterError(name, v if a.size < 8 else f"array with min {np.nanmin(a):.3g}",
                             "finite numbers " + ("> 0" if positive else ">= 0"))
    return a


def spectrum_from_eigenvalues(eigenvalues, target) -> Spectrum:
    """Covariance eigenvalues ``s_i`` (length ``p``) and target coefficients ``beta_i`` in the same
    eigenbasis (array of length ``p``; a scalar ``r2`` means an isotropic target of energy
    ``||beta||^2 = r2`` spread evenly)."""
    s = _check_array("eigenvalues", np.ravel(eigenvalues))
    if s.size == 0:
        raise ParameterError("eigenvalues", eigenvalues, "a non-empty array")
    t = np.asarray(target, dtype=float)
    if t.ndim == 0:
        b2 = np.full(s.size, float(_check_array("target", t)) / s.size)
    else:
        if t.shape != s.shape:
            raise ParameterError("target", f"shape {t.shape}", f"shape {s.shape} (one coefficient per eigenvalue)")
        if not np.all(np.isfinite(t)):
            raise ParameterError("target", "non-finite coefficients", "finite numbers")
        b2 = t**2
    return Spectrum(s, np.ones_like(s), b2, f"eigenvalues (p={s.size})")


def spectrum_from_law(law, p, target_energy=1.0, *, nodes: int = 400) -> Spectrum:
    """A spectral law (``.support()``, ``.atoms()``, ``.density``; e.g.
    ``rmtsym.spectra.classic.marchenko_pastur(0.5)``) as the eigenvalue distribution of a
    ``p``-dimensional covariance, with an isotropic target of energy ``||beta||^2 = target_energy``.

    The density is integrated by Gauss–Legendre quadrature (``nodes`` per support interval) in the
    variable ``theta``, ``x = a + (b - a)(1 - cos theta)/2``, which removes square-root edges."""
    if not (np.isfinite(p) and p > 0):
        raise ParameterError("p", p, "a number > 0")
    te = float(_check_array("target_energy", target_energy))
    xs, ws = [], []
    t, w = np.polynomial.legendre.leggauss(int(nodes))
    th, wt = (t + 1) * np.pi / 2, w * np.pi / 2
    for a, b in law.support():
        a, b = float(a), float(b)
        x = a + (b - a) * (1 - np.cos(th)) / 2
        jac = (b - a) / 2 * np.sin(th)
        xs.append(x)
        ws.append(wt * jac * np.asarray(law.density(x), dtype=float))
    for loc, mass in law.atoms():
        xs.append(np.array([float(loc)]))
        ws.append(np.array([float(mass)]))
    x, wts = np.concatenate(xs), np.concatenate(ws)
    if np.any(x < -1e-12):
        raise ParameterError("law", getattr(law, "name", law), "a law on [0, oo) (a covariance spectrum)")
    x = np.maximum(x, 0.0)
    wts = wts / wts.sum()
    return Spectrum(x, p * wts, te * wts, f"{getattr(law, 'name', 'law')} (p={p})")


def power_law_spectrum(p: int, a: float, b: float, *, target_norm: float = 1.0) -> Spectrum:
    """Eigenvalues ``s_i = c i^{-a}`` (``i = 1..p``) with ``c`` such that ``tr Sigma = p`` (mean
    eigenvalue 1; ``a = 0`` is ``Sigma = I``), target coefficients ``beta_i = c' i^{-b}`` in the
    eigenbasis with ``||beta|| = target_norm``. ``2b > 1`` is required so that the target energy
    ``sum_i i^{-2b}`` stays finite as ``p -> oo``."""
    if not (float(p) == int(p) and p >= 1):
        raise ParameterError("p", p, "an integer >= 1")
    if not (np.isfinite(a) and a >= 0):
        raise ParameterError("a", a, "a number >= 0")
    if not (np.isfinite(b) and 2 * b > 1):
        raise ParameterError("b", b, "a number > 1/2", "target energy sum_i i^(-2b) must be finite as p -> oo")
    i = np.arange(1, int(p) + 1, dtype=float)
    s = i ** (-float(a))
    s *= p / s.sum()
    b2 = i ** (-2.0 * b)
    b2 *= float(target_norm) ** 2 / b2.sum()
    return Spectrum(s, np.ones_like(s), b2, f"power law p={int(p)}, a={a}, b={b}")


def _as_spectrum(spectrum, target, p) -> Spectrum:
    if isinstance(spectrum, Spectrum):
        return spectrum
    if hasattr(spectrum, "density") and hasattr(spectrum, "support"):
        if p is None:
            raise ParameterError("p", None, "the dimension p when the spectrum is a law")
        return spectrum_from_law(spectrum, p, 1.0 if target is None else target)
    return spectrum_from_eigenvalues(spectrum, 1.0 if target is None else target)


# ------------------------------------------------------------------------------------------
# the solver
# ------------------------------------------------------------------------------------------
def _dfs(s, m, kap):
    """df1, df2 for kappa of shape S (s > 0, m of shape (q,)); returns arrays of shape S."""
    r = s / (s + kap[..., None])
    return r @ m, (r * r) @ m


def effective_ridge(spectrum: Spectrum, n, ridge, *, tol: float = 1e-13, maxiter: int = 200):
    """``kappa`` solving ``ridge = kappa (1 - df1(kappa)/n)`` on the broadcast grid of ``n`` and
    ``ridge`` (vectorised Newton). ``f(kappa) = kappa (1 - df1/n)`` is convex with ``f(0) = 0``, so
    Newton from ``kappa_0 = ridge + tr Sigma/n`` (where ``f >= ridge``) decreases monotonically to
    the positive root (or to ``0`` when ``ridge = 0`` and ``rank Sigma <= n``).
    Returns ``(kappa, converged)``."""
    n, lam = np.broadcast_arrays(np.asarray(n, float), np.asarray(ridge, float))
    pos = spectrum.eig > 0
    s, m = spectrum.eig[pos], spectrum.mult[pos]
    tr = float(np.sum(s * m))
    kap = lam + tr / n
    ok = np.zeros(kap.shape, bool)
    # ridge = 0 and rank <= n: kappa = 0 exactly (the Newton iteration only converges linearly)
    zero = (lam == 0) & (spectrum.rank <= n)
    kap = np.where(zero, 0.0, kap)
    ok |= zero
    idx = np.flatnonzero(~ok.ravel())
    kf, nf, lf = kap.ravel().copy(), n.ravel(), lam.ravel()
    for _ in range(maxiter):
        if idx.size == 0:
            break
        k, nn, ll = kf[idx], nf[idx], lf[idx]
        d1, d2 = _dfs(s, m, k)
        f = k * (1 - d1 / nn) - ll
        fp = 1 - d2 / nn
        step = f / np.where(fp > 0, fp, np.nan)
        new = np.where(np.isfinite(step), k - step, k / 2)
        new = np.maximum(new, k * 1e-3)          # stay positive (monotone from the right anyway)
        # monotone decrease: a step that does not decrease kappa means rounding level is reached
        done = (np.abs(new - k) <= tol * new) | (new >= k)
        new = np.minimum(new, k)
        kf[idx] = new
        ok_flat = ok.ravel()
        ok_flat[idx[done]] = True
        ok = ok_flat.reshape(ok.shape)
        idx = idx[~done]
    return kf.reshape(kap.shape), ok


@dataclass(frozen=True)
class RidgeCurve:
    """Arrays on the broadcast grid of ``(n, ridge, noise)``. ``risk`` is the excess risk,
    ``prediction_risk = risk + noise^2`` (the GCV limit). ``converged`` flags each point; a
    non-converged point holds ``nan``. ``inf`` marks the interpolation peak."""

    n: np.ndarray
    ridge: np.ndarray
    noise: np.ndarray
    kappa: np.ndarray
    df1: np.ndarray
    df2: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    risk: np.ndarray
    prediction_risk: np.ndarray
    train_error: np.ndarray
    converged: np.ndarray
    derivation: str = "ridge-deterministic-equivalent"

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("n", "ridge", "noise", "kappa", "df1", "df2", "bias",
                                                "variance", "risk", "prediction_risk", "train_error")}


def ridge_risk(spectrum, target=None, n=None, ridge=0.0, noise=0.0, *, p=None) -> RidgeCurve:
    """Deterministic-equivalent learning curve of ridge regression (module docstring for the
    normalisation) on the broadcast grid of ``n`` (samples), ``ridge`` (lambda >= 0) and ``noise``
    (sigma >= 0).

    ``spectrum``: a :class:`Spectrum` (``target`` ignored), an array of eigenvalues (``target``:
    coefficients of ``beta`` in the eigenbasis, or a scalar ``||beta||^2``, default 1), or a spectral
    law with ``.density`` (then ``p`` is required, ``target`` is ``||beta||^2``).
    """
    spec = _as_spectrum(spectrum, target, p)
    if n is None:
        raise ParameterError("n", None, "sample sizes > 0")
    n_, lam, sig = (np.asarray(v, dtype=float) for v in (n, ridge, noise))
    if np.any(~np.isfinite(n_)) or np.any(n_ <= 0):
        raise ParameterError("n", n, "sample sizes > 0")
    if np.any(~np.isfinite(lam)) or np.any(lam < 0):
        raise ParameterError("ridge", ridge, "a number >= 0")
    if np.any(~np.isfinite(sig)) or np.any(sig < 0):
        raise ParameterError("noise", noise, "a number >= 0 (the noise standard deviation sigma)")
    n_, lam, sig = np.broadcast_arrays(n_, lam, sig)
    kap, ok = effective_ridge(spec, n_, lam)
    pos = spec.eig > 0                          # null directions of Sigma add nothing below
    s, m, b2 = spec.eig[pos], spec.mult[pos], spec.beta2[pos]
    r = s / (s + kap[..., None])                 # kappa = 0 gives r = 1: df1 = df2 = rank
    d1, d2 = r @ m, (r * r) @ m
    with np.errstate(divide="ignore", invalid="ignore"):
        bnum = kap**2 * (((r / s) ** 2) @ (s * b2))
        one_m = 1 - d2 / n_
        peak = one_m <= 1e-12
        bias = np.where(peak, np.where(bnum > 0, np.inf, 0.0), bnum / one_m)
        var = np.where(peak, np.where(sig > 0, np.inf, 0.0), sig**2 * (d2 / n_) / one_m)
        risk = bias + var
        pred = risk + sig**2
        shrink = 1 - d1 / n_                       # = lambda / kappa
        shrink = np.where(np.abs(shrink) < 1e-10, 0.0, shrink)
        train = np.where(np.isinf(pred) & (shrink <= 1e-12), 0.0, shrink**2 * pred)
    nanify = ~ok
    arrs = [np.where(nanify, np.nan, a) for a in (kap, d1, d2, bias, var, risk, pred, train)]
    return RidgeCurve(n_, lam, sig, *arrs, converged=ok)


# ------------------------------------------------------------------------------------------
# scaling laws
# ------------------------------------------------------------------------------------------
def scaling_exponent(a: float, b: float) -> float:
    """Exponent ``e`` of ``R(n) ~ n^{-e}`` for the power law ``s_i ~ i^{-a}``, ``beta_i ~ i^{-b}``,
    noiseless (``sigma = 0``), ridgeless (``lambda -> 0``), ``1 << n << p``.

    Standard analysis (source/capacity conditions; e.g. Spigler, Geiger & Wyart 2020, Cui, Loureiro,
    Krzakala & Zdeborova 2021, Bordelon, Canatar & Pehlevan 2020): ``df1(kappa) = n`` gives
    ``kappa ~ n^{-a}``; the bias ``kappa^2 sum_i s_i beta_i^2/(s_i + kappa)^2`` splits into the tail
    ``sum_{i > n} i^{-(a + 2b)} ~ n^{1 - a - 2b}`` and the head ``kappa^2 sum_{i < n} i^{a - 2b}``,
    which is ``~ n^{1 - a - 2b}`` when ``a - 2b > -1`` and ``~ n^{-2a}`` otherwise. Hence
    ``e = min(a + 2b - 1, 2a)`` (logarithmic corrections at equality); ``1/(1 - df2/n)`` tends to a
    constant."""
    if not (np.isfinite(a) and a > 1):
        raise ParameterError("a", a, "a number > 1 (trace-class power law)")
    if not (np.isfinite(b) and 2 * b > 1):
        raise ParameterError("b", b, "a number > 1/2", "target energy sum_i i^(-2b) must be finite")
    return float(min(a + 2 * b - 1, 2 * a))
