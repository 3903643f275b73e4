"""Noise injection during training and its many-copies equivalent, a weighted ridge
(Dhifallah & Lu 2021, arXiv:2102.07379; REFERENCES.md paper 10, the [RECON✓] derivation).

Model and normalisation (followed throughout, also in the Derivation's ``assumptions``)
---------------------------------------------------------------------------------------
Inputs ``x ~ N(0, I_d)``; first layer ``F in R^{p x d}`` with iid ``N(0, 1/d)`` entries (rows
``f_k``, ``||f_k|| ~ 1``); features ``sigma(F x)``. Each training input is replaced by ``L``
noisy copies ``x_i + Delta g_il`` (``g_il ~ N(0, I_d)``) and the readout minimises

    (1/(nL)) sum_{i,l} (y_i - w^T sigma(F(x_i + Delta g_il)))^2 + lambda ||w||^2.

The test error is on *clean* inputs: ``E (y - w^T sigma(F x))^2`` (it includes the label noise).
This is the paper's model as reconstructed in REFERENCES.md; the paper's own constants may be
normalised differently (``noise_level`` here is the standard deviation ``Delta`` of the injected
noise in the input space, not its variance).

1. Exact split (:func:`split_objective`): for every ``i``,
   ``(1/L) sum_l (y_i - w^T phi_il)^2 = (y_i - w^T phihat_i)^2 + w^T Chat_i w`` with ``phihat_i``
   the mean and ``Chat_i`` the (1/L-normalised) covariance of the ``L`` copies' features.
2. ``L -> oo``: the objective becomes ``(1/n) ||y - Phibar w||^2 + w^T Cbar w + lambda ||w||^2`` with
   smoothed features ``Phibar_ik = sigma_{Delta r_k}(f_k^T x_i)``, ``sigma_delta(u) = E sigma(u + delta z)``,
   ``r_k = ||f_k||``, and ``Cbar = E_x Cov_g[sigma(F(x + Delta g))]``.
3. Gaussian equivalence ``Cbar ~ a F F^T + b I`` (:func:`weighted_ridge_weights`), with
   ``s^2 = 1 + Delta^2``, ``nu_1 = E sigma'(s z)`` (the linear Hermite coefficient of ``sigma_Delta``):

       a = Delta^2 nu_1^2,     b = E sigma(s z)^2 - E sigma_Delta(z)^2 - a,

   ``E sigma_Delta(z)^2 = sum_m c_m(sigma(s .))^2 s^{-2m}`` (the dual kernel of ``sigma(s .)`` at
   ``rho = 1/s^2``: the Hermite coefficients of the smoothed activation are
   ``c_m(sigma_Delta) = s^{-m} c_m(sigma(s .))``, convention "Gaussian" of docs/conventions.md).
   Positively 1-homogeneous activations with a closed-form dual kernel ``K`` (ReLU, leaky ReLU)
   are exact: ``a = Delta^2 mu_1^2``, ``b = s^2 (K(1) - K(1/s^2)) - a`` (ReLU: ``a = Delta^2/4``,
   arc-cosine ``K``). Otherwise the coefficients are computed numerically by the bases.
   So noise injection with ``L -> oo`` is the weighted ridge
   ``(1/n)||y - Phibar w||^2 + a ||F^T w||^2 + (b + lambda) ||w||^2`` on the smoothed features.
4. Test error of the weighted ridge (:func:`weighted_ridge_risk`; REFERENCES.md paper 10 item 6):
   with ``M = a F F^T + (b + lambda) I`` the estimator is
   ``w = (Phibar^T Phibar/n + M)^{-1} Phibar^T y / n``; whitening ``v = M^{1/2} w`` turns it into
   ordinary ridge with ridge 1 on features of covariance ``Sigma~ = M^{-1/2} Sigma_train M^{-1/2}``,
   evaluated under covariate shift on the clean test covariance ``A = M^{-1/2} Sigma_test M^{-1/2}``.
   Gaussian equivalence gives ``Sigma_train = nu_1^2 FF^T + nu_*^2 I`` and
   ``Sigma_test = mu_1^2 FF^T + mu_*^2 I``: everything is a function of ``FF^T``, whose
   eigenvalues are either the realised ones (``spectrum="realised"``, semi-analytic) or the
   Marchenko–Pastur law of ratio ``p/d`` (the asymptotic theory). The effective ridge ``kappa``
   solves ``1 = kappa (1 - df1/n)`` (:func:`rmtsym.models.ridge.effective_ridge`), and

       E_test = E y^2 - u^T A u + (vbar - u)^T A (vbar - u)
                + (sigma_eff^2 + kappa^2 theta^T Sigma~ (Sigma~ + kappa)^{-2} theta)
                  * tr[A Sigma~ (Sigma~ + kappa)^{-2}] / n / (1 - df2/n),

   ``theta`` the population least-squares vector of the whitened training problem,
   ``sigma_eff^2 = E y^2 - theta^T Sigma~ theta`` its residual, ``vbar = Sigma~(Sigma~ + kappa)^{-1} theta``
   and ``u`` the clean-test optimum. The mean feature (``nu_0``, ``mu_0``) is dropped: with
   centred labels it is a single direction the training data pins to ``O(1/n)``.
   Target ``y = beta^T x / sqrt d + noise * xi`` with ``||beta||^2 = d * signal`` isotropic.

5. Finite ``L`` (:func:`noise_injection_risk`; REFERENCES item 5, derivation in its docstring):
   ``E Chat = (1 - 1/L) Cbar``. With ``phi_il = phibar_i + xi_il``, ``xi ~ N(0, C)``, the Gram is a
   labelled population (the copy means, ``n`` samples of covariance ``Sbar + C/L``) plus an
   unlabelled one (the ``n(L - 1)`` within-copy contrasts of covariance ``C``, weight ``1/(nL)``).
   Their two-population deterministic equivalent
   ``Qbar = (S1/(1 + delta1) + ((L - 1)/(L + delta2)) C + lambda)^{-1}`` gives the effective penalty
   ``((L - 1)/(L + delta2)) C``; the test error follows by leave-one-out (a 2 x 2 linear system for
   the two populations' residual variances). ``L = 1`` is ridge on noisy inputs (no penalty),
   ``L -> oo`` reproduces item 4 (to 1e-13), the ``lambda -> 0`` peak sits at ``p = nL``.

What was verified (tests/test_noise_injection.py, derivations/noise_injection.py): the
REFERENCES numbers at ``Delta = 0.5`` (tanh ``a = 0.079799, b = 0.019483``; ReLU ``a = 1/16,
b = (pi - 6 + 8 arccos(4/5))/(16 pi) = 0.045550``), the ReLU closed form against the numeric
Hermite path (1e-11) and ``E sigma_Delta^2`` against a 2-d Gauss–Hermite quadrature; the exact
split to 6e-16; ``C ~ aFF^T + bI`` at ``d = p = 200``: 3.4% (tanh), 4.6% (ReLU) relative Frobenius
error (REFERENCES 3.7%, 5%); at ``Delta = 0`` the risk formula equals Mei–Montanari's
(``lambda_MM = lambda d/p``) to 1e-13; at the REFERENCES item-4 setting (``d = 200, p = 300,
n = 400, lambda = 1e-3, Delta = 0.5``, 6 reps) theory 0.3785 vs simulated weighted ridge
0.385 ± 0.010 (tanh), 0.6395 vs 0.648 ± 0.011 (ReLU); noise injection with ``L = 50`` exceeds the
weighted ridge by 0.004 (~1%, paired SE 0.0003-0.003), decaying like ``1/L`` (finite-L theory:
0.0036 tanh, 0.0048 ReLU). Finite-L theory against simulate_noise_injection at ``d = 200, p = 300,
n = 400``, 12 reps, ``L = 1, 2, 5, 10``: tanh 0.9886/0.5230/0.4207/0.3978 vs 0.991 ± 0.050,
0.538 ± 0.013, 0.429 ± 0.011, 0.405 ± 0.009; ReLU 1.5576/0.8337/0.6956/0.6651 vs 1.510 ± 0.054,
0.821 ± 0.021, 0.702 ± 0.016, 0.672 ± 0.013 (all within 1.3 SE; paired differences to the weighted
ridge within 1.3 SE); at ``Delta = 0`` every ``L`` equals Mei–Montanari to 4e-14.

>>> a, b = weighted_ridge_weights("relu", 0.5)
>>> round(a, 5), round(b, 5)
(0.0625, 0.04555)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import ParameterError
from .ridge import Spectrum, effective_ridge

__all__ = ["NoiseInjectionConstants", "noise_injection_constants", "weighted_ridge_weights",
           "smoothed_activation", "split_objective", "weighted_ridge_risk", "WeightedRidgeRisk",
           "noise_injection_risk", "NoiseInjectionRisk", "NOISE_INJECTION"]

REFERENCE = ("O. Dhifallah and Y. M. Lu, On the inherent regularization effects of noise injection during "
             "training, ICML 2021, arXiv:2102.07379 (REFERENCES.md paper 10, reconstructed derivation)")

# ------------------------------------------------------------------------------------------
# the derivation
# ------------------------------------------------------------------------------------------
_D, _lam, _nu1, _E2, _Es2 = sp.symbols("Delta lambda nu_1 E_2 E_2Delta", nonnegative=True)
_QF, _Qw = sp.symbols("Q_F Q_w", nonnegative=True)
_a, _b = _D**2 * _nu1**2, _E2 - _Es2 - _D**2 * _nu1**2

NOISE_INJECTION = register(Derivation(
    "noise-injection-weighted-ridge",
    parameters=[_D, _lam, _nu1, _E2, _Es2, _QF, _Qw],
    outputs={"s2": 1 + _D**2, "a": _a, "b": _b, "penalty": _a * _QF + (_b + _lam) * _Qw},
    requires=["ridge-deterministic-equivalent", "dual-kernel"],
    reference=REFERENCE,
    assumptions="x ~ N(0, I_d), F in R^{p x d} iid N(0, 1/d), features sigma(F x); L noisy copies x_i + Delta g_il; "
                "objective (1/(nL)) sum_{i,l} (y_i - w^T sigma(F(x_i + Delta g_il)))^2 + lambda ||w||^2; clean test "
                "error. Exact split (1/L) sum_l (y - w^T phi_l)^2 = (y - w^T phihat)^2 + w^T Chat w; as L -> oo the "
                "objective is (1/n)||y - Phibar w||^2 + penalty with smoothed features Phibar_ik = "
                "sigma_Delta(f_k^T x_i), sigma_Delta(u) = E sigma(u + Delta z), and Gaussian-equivalent covariance "
                "Cbar ~ a F F^T + b I. nu_1 = E sigma'(s z), E_2 = E sigma(s z)^2, E_2Delta = E sigma_Delta(z)^2 = "
                "sum_m c_m(sigma(s .))^2 s^(-2m) (dual kernel of sigma(s .) at rho = 1/s^2), s^2 = 1 + Delta^2; "
                "Q_F = ||F^T w||^2, Q_w = ||w||^2. Test error of the weighted ridge: whitening by "
                "M = a F F^T + (b + lambda) I, then the ridge deterministic equivalent (ridge 1) under covariate "
                "shift (smoothed train features, clean test features), Marchenko-Pastur law of FF^T (ratio p/d).",
    symbols={_D: r"\Delta", _lam: r"\lambda", _nu1: r"\nu_1", _E2: r"\mathbb{E}\,\sigma(sz)^2",
             _Es2: r"\mathbb{E}\,\sigma_\Delta(z)^2", _QF: r"\|F^\top w\|^2", _Qw: r"\|w\|^2",
             "s2": "s^2", "a": "a", "b": "b",
             "penalty": r"w^\top(\bar C_{\mathrm{GE}}+\lambda I)w"},
    title="Noise injection with many copies = weighted ridge a||F^T w||^2 + (b + lambda)||w||^2 on smoothed features",
))

#: the exact split and the smoothed activation, for LaTeX output (not part of the Derivation's algebra)
SPLIT_LATEX = (r"\frac1L\sum_{l=1}^L\big(y_i-w^\top\phi_{il}\big)^2=\big(y_i-w^\top\hat\phi_i\big)^2"
               r"+w^\top\hat C_i w,\quad \hat\phi_i=\frac1L\sum_l\phi_{il},\ "
               r"\hat C_i=\frac1L\sum_l(\phi_{il}-\hat\phi_i)(\phi_{il}-\hat\phi_i)^\top"
               "\n"
               r"\sigma_\Delta(u)=\mathbb{E}\,\sigma(u+\Delta z),\quad c_m(\sigma_\Delta)=s^{-m}c_m\big(\sigma(s\,\cdot)\big),"
               r"\quad \bar C\approx aFF^\top+bI")


# ------------------------------------------------------------------------------------------
# weights
# ------------------------------------------------------------------------------------------
def _check_delta(noise_level) -> float:
    try:
        v = float(noise_level)
    except (TypeError, ValueError):
        raise ParameterError("noise_level", noise_level, "a number Delta >= 0 (noise standard deviation)") from None
    if not math.isfinite(v) or v < 0:
        raise ParameterError("noise_level", noise_level, "a finite number Delta >= 0 (noise standard deviation)")
    return v


def _as_activation(act):
    from ..bases.catalog import Activation, activation

    if isinstance(act, Activation):
        return act
    if isinstance(act, (str, sp.Basic)):
        return activation(act)
    raise ParameterError("activation", act, "a catalog name, an expression in z or an Activation")


@dataclass(frozen=True)
class NoiseInjectionConstants:
    """Constants of the noise-injection equivalence at one ``Delta`` (module docstring).

    ``a, b``: weights of the penalty; ``nu0, nu1, nu_star2``: Hermite constants of the smoothed
    activation ``sigma_Delta`` (``nu_star2 = E sigma_Delta^2 - nu0^2 - nu1^2``); ``mu0, mu1,
    mu_star2``: those of the clean activation; ``e2 = E sigma(s z)^2``, ``e2_smooth =
    E sigma_Delta(z)^2``; ``exact``: closed forms used (``a_expr, b_expr`` sympy, else None);
    ``error``: bound on the truncation/quadrature error of ``b``."""

    delta: float
    a: float
    b: float
    nu0: float
    nu1: float
    nu_star2: float
    mu0: float
    mu1: float
    mu_star2: float
    e2: float
    e2_smooth: float
    exact: bool
    error: float
    a_expr: sp.Expr | None = None
    b_expr: sp.Expr | None = None


def _homogeneous(expr) -> bool:
    """sigma(c z) == c sigma(z) for c > 0 (checked numerically at fixed points and scales)."""
    from ..bases.functions import Z, to_numpy

    try:
        f = to_numpy(expr, Z)
        t = np.linspace(-3.1, 2.9, 17)
        return all(np.allclose(np.asarray(f(c * t), float), c * np.asarray(f(t), float), rtol=1e-12, atol=1e-12)
                   for c in (0.37, 2.3))
    except Exception:  # noqa: BLE001 -- anything unevaluable is simply "not homogeneous"
        return False


def _exact_delta(delta: float) -> sp.Expr:
    return sp.Rational(repr(delta)) if delta != int(delta) else sp.Integer(int(delta))


@lru_cache(maxsize=256)
def _constants(name: str, expr_str: str, delta: float, degree: int) -> NoiseInjectionConstants:
    from ..bases.catalog import RHO
    from ..bases.functions import Z
    from ..bases.hermite import gaussian_mean, hermite_coefficients

    act = _as_activation(name) if name else _as_activation(sp.sympify(expr_str, locals={"z": Z}))
    expr = act.expr
    D = _exact_delta(delta)
    s2 = 1 + D**2
    s = sp.sqrt(s2)
    mu0, mu1 = float(sp.N(act.mu0)), float(sp.N(act.mu1))
    mu_star2 = float(sp.N(act.mu_star)) ** 2
    dual = act.dual_closed_form
    if dual is not None and not act.parameters and _homogeneous(expr):
        # sigma(s z) = s sigma(z): nu_m = s^{1-m} s^{-m}... c_m(sigma(s.)) = s c_m, E sigma(s z)^2 = s^2 K(1),
        # E sigma_Delta^2 = s^2 K(1/s^2), nu_1 = c_1(sigma(s.))/s = mu_1
        a_e = sp.nsimplify(D**2 * act.mu1**2)
        K1, Ks = dual.subs(RHO, 1), dual.subs(RHO, 1 / s2)
        b_e = sp.simplify(s2 * (K1 - Ks) - a_e)
        e2, es2 = float(sp.N(s2 * K1)), float(sp.N(s2 * Ks))
        nu0, nu1 = float(sp.N(s * act.mu0)), mu1
        return NoiseInjectionConstants(delta, float(sp.N(a_e)), float(sp.N(b_e)), nu0, nu1, es2 - nu0**2 - nu1**2,
                                       mu0, mu1, mu_star2, e2, es2, True, 0.0, a_e, b_e)
    if act.parameters:
        raise ParameterError("activation", act.name, "an activation without free parameters")
    if delta == 0:          # no smoothing: sigma_Delta = sigma, a = b = 0 exactly
        e2 = mu0**2 + mu1**2 + mu_star2
        return NoiseInjectionConstants(0.0, 0.0, 0.0, mu0, mu1, mu_star2, mu0, mu1, mu_star2, e2, e2, True, 0.0,
                                       sp.Integer(0), sp.Integer(0))
    sc = expr.subs(Z, s * Z)
    c = hermite_coefficients(sc, degree, exact=False)
    cm = np.asarray([float(v) for v in c.coefficients])
    e2, _ex, err2 = gaussian_mean(sc**2, exact=False)
    e2 = float(e2)
    w = float(s2) ** (-np.arange(degree + 1.0))
    es2 = float(np.sum(cm**2 * w))
    tail = max(e2 - float(np.sum(cm**2)), 0.0) * float(s2) ** (-(degree + 1.0))
    nu = cm * np.sqrt(w)                        # c_m(sigma_Delta) = s^{-m} c_m(sigma(s .))
    nu0, nu1 = float(nu[0]), float(nu[1])
    a = delta**2 * nu1**2
    b = e2 - es2 - a
    error = tail + float(err2) + (degree + 2) * float(c.error or 0.0)
    return NoiseInjectionConstants(delta, a, b, nu0, nu1, es2 - nu0**2 - nu1**2, mu0, mu1, mu_star2, e2, es2,
                                   False, error)


def noise_injection_constants(activation, noise_level, *, degree: int = 60) -> NoiseInjectionConstants:
    """All constants of the equivalence (:class:`NoiseInjectionConstants`) for ``activation``
    (catalog name, expression in ``z`` or :class:`~rmtsym.bases.catalog.Activation`) and noise
    standard deviation ``noise_level = Delta >= 0``. ``degree``: Hermite truncation of the numeric
    path (the tail is bounded by ``s^{-2(K+1)}`` times the remaining energy, reported in ``error``)."""
    delta = _check_delta(noise_level)
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or not 2 <= degree <= 200:
        raise ParameterError("degree", degree, "an integer in [2, 200]")
    act = _as_activation(activation)
    from ..bases.catalog import CATALOG

    name = act.name if act.name in CATALOG else ""
    return _constants(name, sp.srepr(act.expr) if not name else "", delta, int(degree))


def weighted_ridge_weights(activation, noise_level) -> tuple[float, float]:
    """``(a, b)`` of the many-copies equivalent penalty ``a ||F^T w||^2 + (b + lambda) ||w||^2``
    (module docstring, item 3). ``Delta = 0`` gives ``(0, 0)``.

    >>> [round(v, 5) for v in weighted_ridge_weights("tanh", 0.5)]
    [0.0798, 0.01948]
    >>> weighted_ridge_weights("relu", -1)
    Traceback (most recent call last):
    ...
    rmtsym.errors.ParameterError: noise_level = -1 is invalid: expected a finite number Delta >= 0 (noise standard deviation)
    """
    c = noise_injection_constants(activation, noise_level)
    return c.a, c.b


def smoothed_activation(activation, width, *, nodes: int = 80):
    """A vectorised ``sigma_delta(u) = E sigma(u + delta z)`` (``width = delta >= 0``, scalar or
    array broadcasting with ``u``) by Gauss–Hermite quadrature with ``nodes`` nodes (closed form
    for ReLU: ``u Phi(u/delta) + delta phi(u/delta)``)."""
    from scipy.special import ndtr

    from ..simulate.random_features import activation_callable

    act = _as_activation(activation) if not callable(activation) or hasattr(activation, "expr") else None
    if act is not None and act.name == "relu":
        def relu_s(u, dl=width):
            u, dl = np.broadcast_arrays(np.asarray(u, float), np.asarray(dl, float))
            with np.errstate(divide="ignore", invalid="ignore"):
                t = u / dl
                v = u * ndtr(t) + dl * np.exp(-t**2 / 2) / math.sqrt(2 * math.pi)
            return np.where(dl > 0, v, np.maximum(u, 0))
        return relu_s
    f = activation_callable(act if act is not None else activation)
    z, wq = np.polynomial.hermite_e.hermegauss(int(nodes))
    wq = wq / wq.sum()

    def sm(u, dl=width):
        u = np.asarray(u, float)
        dl = np.asarray(dl, float)
        return np.tensordot(f(u[..., None] + dl[..., None] * z), wq, axes=([-1], [0]))
    return sm


# ------------------------------------------------------------------------------------------
# the exact split
# ------------------------------------------------------------------------------------------
def split_objective(y, copies, w):
    """Both sides of the exact split for each input: ``copies`` has shape ``(n, L, p)`` (features of
    the ``L`` noisy copies), ``y`` shape ``(n,)``, ``w`` shape ``(p,)``. Returns
    ``(lhs, rhs)`` with ``lhs_i = (1/L) sum_l (y_i - w^T phi_il)^2`` and
    ``rhs_i = (y_i - w^T phihat_i)^2 + w^T Chat_i w`` (``Chat_i`` normalised by ``1/L``)."""
    Phi = np.asarray(copies, float)
    y, w = np.asarray(y, float), np.asarray(w, float)
    if Phi.ndim != 3 or y.shape != Phi.shape[:1] or w.shape != Phi.shape[2:]:
        raise ParameterError("copies", f"shape {Phi.shape}", "(n, L, p) with y of shape (n,) and w of shape (p,)")
    lhs = np.mean((y[:, None] - Phi @ w) ** 2, axis=1)
    mean = Phi.mean(axis=1)
    dev = Phi - mean[:, None, :]
    Chat = np.einsum("nlp,nlq->npq", dev, dev) / Phi.shape[1]
    rhs = (y - mean @ w) ** 2 + np.einsum("p,npq,q->n", w, Chat, w)
    return lhs, rhs


# ------------------------------------------------------------------------------------------
# test error of the weighted ridge (L -> oo)
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WeightedRidgeRisk:
    """Clean test error of the ``L -> oo`` model (weighted ridge) on a grid of ``noise_level``.
    ``test_error`` includes the label noise; ``kappa`` is the effective ridge of the whitened
    problem; ``method`` is ``"marchenko-pastur"`` (asymptotic) or ``"realised"``
    (semi-analytic over the eigenvalues of a given ``F F^T``)."""

    delta: np.ndarray
    a: np.ndarray
    b: np.ndarray
    kappa: np.ndarray
    test_error: np.ndarray
    converged: np.ndarray
    method: str
    derivation: str = "noise-injection-weighted-ridge"


def _check_problem(p, n, d, ridge, signal, noise) -> tuple[int, int, int, float]:
    """Validated ``(p, n, d, lambda)`` of a noise-injection problem (errors name the parameter)."""
    for nm, v in (("p", p), ("n", n), ("d", d)):
        if isinstance(v, bool) or not float(v) == int(v) or int(v) < 1:
            raise ParameterError(nm, v, "an integer >= 1")
    lam = float(ridge)
    if not math.isfinite(lam) or lam < 0:
        raise ParameterError("ridge", ridge, "a finite number lambda >= 0")
    for nm, v in (("signal", signal), ("noise", noise)):
        if not math.isfinite(float(v)) or float(v) < 0:
            raise ParameterError(nm, v, "a finite number >= 0")
    return int(p), int(n), int(d), lam


def _ff_spectrum(p, d, F=None, nodes=400):
    if F is not None:
        F = np.asarray(F, float)
        if F.shape != (p, d):
            raise ParameterError("F", f"shape {F.shape}", f"shape (p, d) = ({p}, {d})")
        t = np.linalg.eigvalsh(F @ F.T)
        return np.maximum(t, 0.0), np.ones(p)
    from ..spectra.classic import marchenko_pastur
    from .ridge import spectrum_from_law

    sp_ = spectrum_from_law(marchenko_pastur(sp.Rational(int(p), int(d))), p, 1.0, nodes=nodes)
    return sp_.eig, sp_.mult


def weighted_ridge_risk(activation, noise_level, *, p, n, d, ridge, signal: float = 1.0, noise: float = 0.3,
                        F=None) -> WeightedRidgeRisk:
    """Clean test error ``E (y - w^T sigma(F x))^2`` of the weighted ridge (noise injection with
    ``L -> oo``) by the whitened covariate-shift deterministic equivalent (module docstring, item 4),
    vectorised over ``noise_level`` (``Delta``, scalar or array).

    Target ``y = beta^T x/sqrt d + noise xi`` with ``||beta||^2/d = signal`` (``E y^2 = signal +
    noise^2``). ``F`` given: semi-analytic over its realised ``F F^T`` eigenvalues; otherwise the
    Marchenko–Pastur law of ratio ``p/d`` (asymptotic). ``ridge`` is ``lambda`` of the module's
    objective. ``Delta = 0`` is plain random-feature ridge on Gaussian data."""
    deltas = np.atleast_1d(np.asarray(noise_level, float))
    for v in deltas.ravel():
        _check_delta(v)
    p, n, d, lam = _check_problem(p, n, d, ridge, signal, noise)
    t, mult = _ff_spectrum(p, d, F)
    ey2 = float(signal) + float(noise) ** 2
    g2 = float(signal) * t * mult / d             # E (g_k^2) summed over each eigenvalue class
    out = {k: np.full(deltas.shape, np.nan) for k in ("a", "b", "kappa", "err")}
    ok = np.zeros(deltas.shape, bool)
    act = _as_activation(activation)                # resolve once (the constants are cached per Delta)
    for j, dl in np.ndenumerate(deltas):
        c = noise_injection_constants(act, float(dl))
        m = c.a * t + c.b + lam
        if np.any(m <= 0):
            raise ParameterError("ridge", ridge, "lambda > 0 when b + lambda = 0 (Delta = 0)")
        tr_ = np.maximum(c.nu1**2 * t + max(c.nu_star2, 0.0), 1e-300)   # train covariance (FF^T basis)
        te_ = c.mu1**2 * t + max(c.mu_star2, 0.0)                          # clean test covariance
        St, A = tr_ / m, te_ / m
        spec = Spectrum(St, mult, np.zeros_like(St))
        kap, conv = effective_ridge(spec, np.array(float(n)), np.array(1.0))
        kap = float(kap)
        # per-class sums of squared coordinates; theta_k^2 = nu1^2 g_k^2 / (m St^2), u_k^2 = mu1^2 g_k^2/(m A^2)
        th2 = c.nu1**2 * g2 / (m * St**2)
        with np.errstate(divide="ignore", invalid="ignore"):
            u2 = np.where(A > 0, c.mu1**2 * g2 / (m * A**2), 0.0)
            thu = np.where(A > 0, c.nu1 * c.mu1 * g2 / (m * St * A), 0.0)       # theta_k u_k
        sig_eff = ey2 - np.sum(St * th2)
        r = St / (St + kap)
        vbar2, vbu = r**2 * th2, r * thu
        err_mean = ey2 - np.sum(A * u2) + np.sum(A * (vbar2 - 2 * vbu + u2))
        df2 = np.sum(mult * r**2)
        btr = kap**2 * np.sum(St * th2 / (St + kap) ** 2)
        fluct = (sig_eff + btr) * np.sum(mult * A * St / (St + kap) ** 2) / n / (1 - df2 / n)
        out["a"][j], out["b"][j], out["kappa"][j] = c.a, c.b, kap
        out["err"][j] = err_mean + fluct if (conv and df2 < n) else np.nan
        ok[j] = bool(conv) and df2 < n
    shape = np.shape(noise_level)
    rs = (lambda v: v.reshape(shape)) if shape else (lambda v: v.reshape(()))
    return WeightedRidgeRisk(np.asarray(noise_level, float), rs(out["a"]), rs(out["b"]), rs(out["kappa"]),
                             rs(out["err"]), rs(ok), "realised" if F is not None else "marchenko-pastur")


# ------------------------------------------------------------------------------------------
# finite L: two-population deterministic equivalent
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NoiseInjectionRisk:
    """Clean test error of noise injection with ``L`` copies on the broadcast grid of
    ``noise_level`` and ``copies`` (:func:`noise_injection_risk`). ``delta1, delta2`` solve the
    two-population fixed point; ``penalty_factor = (L - 1)/(L + delta2)`` multiplies ``C``;
    ``test_error`` includes the label noise (``nan`` where not converged or beyond the peak)."""

    delta: np.ndarray
    copies: np.ndarray
    delta1: np.ndarray
    delta2: np.ndarray
    penalty_factor: np.ndarray
    test_error: np.ndarray
    converged: np.ndarray
    method: str
    derivation: str = "noise-injection-weighted-ridge"


def _two_pop_fixed_point(s1, cc, mult, n, L, lam, tol=1e-12, maxiter=500):
    """``(e1, e2, q, ok)`` with ``e1 = 1/(1 + delta1)``, ``e2 = (L - 1)/(L + delta2)``,
    ``q = 1/(e1 s1 + e2 c + lambda)``, ``delta1 = tr(S1 Q)/n``, ``delta2 = tr(C Q)/n``."""
    from scipy.optimize import root

    inf = not math.isfinite(L)

    def es(x):
        d1, d2 = np.exp(x)
        e1 = 1 / (1 + d1)
        e2 = 1.0 if inf else (L - 1) / (L + d2)
        return e1, e2

    def F(x):
        e1, e2 = es(x)
        q = 1 / (e1 * s1 + e2 * cc + lam)
        return [np.log(np.sum(mult * s1 * q) / n) - x[0], np.log(max(np.sum(mult * cc * q) / n, 1e-300)) - x[1]]

    # start: the mean-field guess at lambda + tr/n
    q0 = 1 / (s1 + cc + lam + 1e-3)
    x0 = np.log([max(np.sum(mult * s1 * q0) / n, 1e-8), max(np.sum(mult * cc * q0) / n, 1e-8)])
    best = None
    for x in (x0, x0 + 2.0, x0 - 2.0, np.array([3.0, 3.0]), np.array([-3.0, -3.0])):
        sol = root(F, x, method="hybr", tol=tol)
        r = np.max(np.abs(F(sol.x)))
        if best is None or r < best[1]:
            best = (sol.x, r)
        if r < 1e-9:
            break
    e1, e2 = es(best[0])
    return e1, e2, 1 / (e1 * s1 + e2 * cc + lam), bool(best[1] < 1e-8)


def noise_injection_risk(activation, noise_level, copies, p, n, d, ridge, signal: float = 1.0,
                         noise: float = 0.3, *, F=None) -> NoiseInjectionRisk:
    """Clean test error of noise injection with ``L = copies`` noisy copies per input (finite-L
    theory; ``copies = inf`` is the weighted ridge of :func:`weighted_ridge_risk`), vectorised over
    the broadcast grid of ``noise_level`` (``Delta``) and ``copies``.

    Derivation (Gaussian equivalence; every matrix is a function of ``FF^T``):

    1. Write ``phi_il = phibar_i + xi_il`` with ``phibar_i = E_g phi`` (smoothed features, covariance
       ``Sbar = nu_1^2 FF^T + nu_*^2 I``, carrying all the correlation with ``y``) and the within-copy
       noise ``xi_il`` iid ``N(0, C)``, ``C = a FF^T + b I`` (its ``x``-dependence averaged out).
    2. The training Gram ``(1/(nL)) sum_{il} phi_il phi_il^T`` splits exactly into the mean-feature
       part ``(1/n) sum_i phihat_i phihat_i^T`` (``phihat_i = phibar_i + mean_l xi_il``, covariance
       ``S1 = Sbar + C/L``, label ``y_i``) and the within-copy part ``L Chat_i / n``: for Gaussian
       ``xi`` the ``L - 1`` orthogonal contrasts of the copies are iid ``N(0, C)`` independent of
       ``phihat_i``, so it is ``(1/(nL)) sum of n(L - 1) outer products zeta zeta^T``, a second
       population with weight ``1/(nL)`` per sample and label 0. ``h = (1/n) sum_i phihat_i y_i``.
    3. Two-population deterministic equivalent of ``Q = (Gram + lambda)^{-1}``:
       ``Qbar = (S1/(1 + delta1) + ((L - 1)/(L + delta2)) C + lambda)^{-1}``,
       ``delta1 = tr(S1 Qbar)/n``, ``delta2 = tr(C Qbar)/n`` (per-sample effective weights
       ``alpha_1 = 1/(n(1 + delta1))``, ``alpha_2 = 1/(n(L + delta2))``). ``L -> oo``: the factor
       tends to 1 and the second population becomes the deterministic penalty ``C``.
    4. Mean estimator ``wbar = Qbar S1 theta1/(1 + delta1)`` (``theta1 = S1^{-1} E phihat y``, population
       2 has ``theta2 = 0``). Leave-one-out: each sample of population ``g`` adds ``alpha_g Q x r``
       with residual variance ``R_g`` (the error on population ``g``), so with
       ``K_g(A) = N_g alpha_g^2 tr(S_g Qbar A Qbar)`` (``N_1 alpha_1^2 = (1 + delta1)^{-2}/n``,
       ``N_2 alpha_2^2 = (L - 1)/(n (L + delta2)^2)``):
       ``R_h = sigma_h^2 + (wbar - theta_h)^T S_h (wbar - theta_h) + sum_g K_g(S_h) R_g`` (a 2 x 2
       linear system; ``sigma_2 = 0``) and
       ``E_test = E y^2 - u^T T u + (wbar - u)^T T (wbar - u) + sum_g K_g(T) R_g``,
       ``T = mu_1^2 FF^T + mu_*^2 I`` the clean test covariance, ``u`` its optimum.
       One population (``L = 1``: no second population) is the ordinary ridge deterministic
       equivalent on noisy inputs (no penalty); ``L -> oo`` is :func:`weighted_ridge_risk`. With
       ``lambda -> 0`` the Gram has ``nL`` samples in all: the interpolation peak is at ``p = nL``.

    Parameters as in :func:`weighted_ridge_risk` (``copies``: ``L >= 1``, integer or ``inf``).

    >>> r = noise_injection_risk("relu", 0.5, [1, 2, 10, float("inf")], p=300, n=400, d=200, ridge=1e-3)
    >>> [round(float(v), 4) for v in r.test_error]
    [1.5576, 0.8337, 0.6651, 0.6395]
    """
    deltas = np.asarray(noise_level, float)
    Ls = np.asarray(copies, float)
    for v in deltas.ravel():
        _check_delta(v)
    for v in Ls.ravel():
        if not (v >= 1 and (v == math.inf or v == int(v))):
            raise ParameterError("copies", v, "an integer L >= 1 or inf")
    p, n, d, lam = _check_problem(p, n, d, ridge, signal, noise)
    t, mult = _ff_spectrum(p, d, F)
    ey2 = float(signal) + float(noise) ** 2
    g2 = float(signal) * t * mult / d
    DL, LL = np.broadcast_arrays(deltas, Ls)
    out = {k: np.full(DL.shape, np.nan) for k in ("d1", "d2", "e2", "err")}
    ok = np.zeros(DL.shape, bool)
    act = _as_activation(activation)                # resolve once (the constants are cached per Delta)
    for j, dl in np.ndenumerate(DL):
        L = float(LL[j])
        c = noise_injection_constants(act, float(dl))
        cc = c.a * t + c.b
        inv_l = 0.0 if not math.isfinite(L) else 1 / L
        s1 = c.nu1**2 * t + max(c.nu_star2, 0.0) + cc * inv_l
        T = c.mu1**2 * t + max(c.mu_star2, 0.0)
        if lam == 0 and np.any(s1 + cc <= 0):
            raise ParameterError("ridge", ridge, "lambda > 0 for a degenerate feature covariance")
        e1, e2, q, conv = _two_pop_fixed_point(s1, cc, mult, n, L, lam)
        k1 = e1**2 / n
        k2 = 0.0 if (L == 1 or not math.isfinite(L)) else e2**2 / (n * (L - 1))
        wq = q * c.nu1 * e1                                   # wbar_k / c_k (c_k: coefficient of F beta/sqrt d)
        r1 = ey2 + np.sum(g2 * (s1 * wq**2 - 2 * c.nu1 * wq))   # sigma_1^2 + (wbar - theta1)^T S1 (...)
        r2 = np.sum(g2 * cc * wq**2)                          # (wbar - 0)^T C (wbar - 0)
        S = (s1, cc)
        kk = (k1, k2)
        M = np.array([[kk[g] * np.sum(mult * S[g] * S[h] * q**2) for g in range(2)] for h in range(2)])
        A = np.eye(2) - M
        R = np.linalg.solve(A, [r1, r2])
        err_mean = ey2 + np.sum(g2 * (T * wq**2 - 2 * c.mu1 * wq))
        fl = sum(kk[g] * R[g] * np.sum(mult * S[g] * T * q**2) for g in range(2))
        good = conv and np.linalg.det(A) > 0 and np.all(R >= 0) and max(abs(np.linalg.eigvals(M))) < 1
        out["d1"][j], out["d2"][j] = 1 / e1 - 1, (np.inf if not math.isfinite(L) else
                                                 ((L - 1) / e2 - L if L > 1 else np.nan))
        out["e2"][j] = e2 if L > 1 else 0.0
        out["err"][j] = err_mean + fl if good else np.nan
        ok[j] = good
    return NoiseInjectionRisk(DL.copy(), LL.copy(), out["d1"], out["d2"], out["e2"], out["err"], ok,
                              "realised" if F is not None else "marchenko-pastur")
