"""Random-feature ridge regression: proportional regime (Mei & Montanari) and the critical
polynomial regime n ≍ p ≍ d^ell (Hu, Lu & Misiakiewicz 2024).

Model and normalisation (Mei & Montanari 2019/2022, "The generalization error of random features
regression", arXiv:1908.05355; REFERENCES.md A3). Inputs ``x`` and weights ``theta_j`` uniform on
S^{d-1}(sqrt d) (``docs/conventions.md``, Sphere); predictor
``f_hat(x) = sum_{j<=N} a_j sigma(<theta_j, x>/sqrt d)``; the readout minimises

    (1/n) sum_i (y_i - f_hat(x_i))^2 + (N lambda / d) ||a||^2            ("mei-montanari")

Other normalisations convert through :func:`convert_ridge`. Ratios ``psi1 = N/d``,
``psi2 = n/d``; activation constants ``mu_1``, ``mu_*`` (``docs/conventions.md``, Gaussian; the
derivation "activation-constants"), ``zeta = mu_1/mu_*``, ``lambda_bar = lambda/mu_*^2``. Target
``y = <beta, x> + f_NL(x) + eps`` with ``F1 = ||beta||``, ``F*^2 = E f_NL^2`` (no linear part),
``tau^2 = Var eps``. The *excess* risk ``E (f - f_hat)^2`` (without ``tau^2``) is

    R = F1^2 B + (tau^2 + F*^2) V + F*^2,   B = E1/E0,  V = E2/E0,

with ``E0, E1, E2`` polynomials in ``chi = nu1 nu2`` and ``(nu1, nu2)`` the solution of the
fixed point of :data:`RF_RIDGE` with ``Im nu > 0``. ``mu_0`` does not enter.

Evaluation (two independent methods, compared in the tests):

* ``method="reduced"`` (default): with ``xi = i s``, ``s = sqrt(psi1 psi2 lambda_bar)``, the
  solution is ``nu1 = i a``, ``nu2 = i b`` with ``a, b > 0``; writing ``c = a b = -chi`` and
  ``h(c) = c + zeta^2 c/(1 + zeta^2 c)`` the system reduces to the scalar equation
  ``(psi1 - h(c)) (psi2 - h(c)) = c psi1 psi2 lambda_bar``, which has exactly one root in
  ``[0, c_*]``, ``h(c_*) = min(psi1, psi2)``; it is bracketed and solved by vectorised
  bisection + Newton. At ``lambda = 0`` the root is ``c_*`` in closed form (the ridgeless limit
  of Mei & Montanari, Theorem 3); at ``lambda = 0, psi1 = psi2`` ``E0 = 0`` and the risk is
  ``inf`` (the interpolation peak of the double descent).
* ``method="newton"``: the registered :class:`~rmtsym.core.derivation.Derivation` compiled by
  :class:`~rmtsym.core.solve.CompiledSystem` (complex Newton on ``(nu1, nu2)``, branch
  ``Im nu > 0``; points that fail are NaN with a report). Needs ``lambda > 0``.

Infinite ratios are the limits of the formula (the polynomials are affine in psi1 and in psi2):
``psi1 = inf`` is kernel ridge regression with the limiting kernel (checked against the closed
form of ridge regression with the linear-plus-isotropic kernel, :func:`kernel_ridge_limit`);
``psi2 = inf`` is the random-feature approximation error (checked against the
Marchenko–Pastur closed form, :func:`approximation_error_limit`).

What was verified (tests/test_random_features.py, derivations/rf_double_descent.py): the A3 numbers
(B .4894, V .5079, R .6164) by both methods; the two methods agree to ~1e-14 on grids down to
lambda = 1e-9; simulation at d = 60..200 (e.g. A3 point at d = 200: .598 ± .011 vs .6164); the
``psi1 = inf`` limit equals the linear-plus-isotropic kernel ridge closed form to 1e-10; the
``psi2 = inf`` limit equals the approximation-error closed form, itself checked against the
eigenvalues of ``W^T W`` at d = 1000 and a population Monte Carlo at d = 100; ``lambda -> inf``
gives ``F1^2 + F*^2``.

Polynomial regime (:func:`rf_risk_polynomial`; REFERENCES.md paper 3, [RECON✓] for the critical
case ``n ≍ p ≍ d^ell``, integer ``ell``): degrees ``< ell`` are learned exactly, degree ``ell``
follows the proportional formula with ``psi1 = p/B(d, ell)``, ``psi2 = n/B(d, ell)``,
``zeta = mu_ell/mu_{>ell}``, ``lambda_bar = lambda/mu_{>ell}^2`` (ridge penalty
``(p lambda/B(d, ell)) ||a||^2``), ``F1 = ||P_ell f*||`` and noise ``tau^2 + ||P_{>ell} f*||^2``;
``mu_k`` are Gegenbauer coefficients ``g_k(sigma; d)`` (or Hermite ``c_k`` as d -> inf). Its
limits ``n << p`` (``psi1 = inf``: kernel ridge regression) and ``p << n`` (``psi2 = inf``: the
random-feature approximation error) are the infinite-ratio limits above. Verified: the
paper-3 check number 1.465 (theory); simulation at d = 30 within the stated 5-15% finite-d bias
(test), at d = 55: 1.473 ± .062 (4 reps) vs 1.465 (REFERENCES: 1.437 ± .036).

General exponents ``p ≍ d^kappa1``, ``n ≍ d^kappa2`` (:func:`rf_risk_polynomial_general`): a
dispatch onto the critical formula and its two limits (kernel regime n << p, approximation
regime p << n) and a pure projection ``sum_{k > kappa} ||P_k f*||^2`` at non-integer
``min(kappa1, kappa2)``; our composition of the paper's abstract-level statements, checked against
the limits, :func:`rmtsym.models.kernel_ridge.krr_curve` and small simulations (its docstring).
NOT implemented: ``kappa1 = kappa2`` non-integer (the n = p peak at a non-integer level); the
paper's own general formulas were not available to check.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import sympy as sp

from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import ParameterError

__all__ = [
    "RF_RIDGE", "RF_RIDGE_POLYNOMIAL", "RFCurve", "activation_constants", "rf_bias_variance",
    "rf_risk", "rf_risk_polynomial", "convert_ridge", "RIDGE_CONVENTIONS", "ridgeless_chi",
    "kernel_ridge_limit", "approximation_error_limit", "rf_risk_polynomial_general", "harmonic_level",
]

REFERENCE = ("S. Mei and A. Montanari, The generalization error of random features regression: precise "
             "asymptotics and the double descent curve, CPAM 75 (2022), arXiv:1908.05355")
REFERENCE_POLY = ("H. Hu, Y. M. Lu and T. Misiakiewicz, Asymptotics of random feature regression beyond the "
                  "linear scaling regime, arXiv:2403.08160 (2024)")


# ------------------------------------------------------------------------------------------
# the derivation
# ------------------------------------------------------------------------------------------
nu1, nu2 = sp.symbols("nu1 nu2")
psi1, psi2 = sp.symbols("psi1 psi2", positive=True)
lam_bar = sp.Symbol("lambda_bar", nonnegative=True)
zeta = sp.Symbol("zeta", nonnegative=True)
F1, Fs, tau = sp.symbols("F1 F_star tau", nonnegative=True)
chi = sp.Symbol("chi")

_xi = sp.I * sp.sqrt(psi1 * psi2 * lam_bar)
_E0 = (-chi**5 * zeta**6 + 3 * chi**4 * zeta**4 + (psi1 * psi2 - psi1 - psi2 + 1) * chi**3 * zeta**6
       - 2 * chi**3 * zeta**4 - 3 * chi**3 * zeta**2 + (psi1 + psi2 - 3 * psi1 * psi2 + 1) * chi**2 * zeta**4
       + 2 * chi**2 * zeta**2 + chi**2 + 3 * psi1 * psi2 * chi * zeta**2 - psi1 * psi2)
_E1 = psi2 * chi**3 * zeta**4 - psi2 * chi**2 * zeta**2 + psi1 * psi2 * chi * zeta**2 - psi1 * psi2
_E2 = (chi**5 * zeta**6 - 3 * chi**4 * zeta**4 + (psi1 - 1) * chi**3 * zeta**6 + 2 * chi**3 * zeta**4
       + 3 * chi**3 * zeta**2 - (psi1 + 1) * chi**2 * zeta**4 - 2 * chi**2 * zeta**2 - chi**2)

E0s, E1s, E2s = sp.symbols("E0 E1 E2")
xi = sp.Symbol("xi")
_nu1_rhs = psi1 / (-xi - nu2 - zeta**2 * nu2 / (1 - zeta**2 * nu1 * nu2))
_nu2_rhs = psi2 / (-xi - nu1 - zeta**2 * nu1 / (1 - zeta**2 * nu1 * nu2))
_s = sp.sqrt(psi1 * psi2 * lam_bar)
_g1 = sp.I * psi1 / (_s + psi2 + 1)
_g2 = sp.I * psi2 / (_s + psi1 + 1)

RF_RIDGE = register(Derivation(
    "random-features-ridge",
    title="Random-features ridge regression, proportional regime (Mei & Montanari)",
    unknowns=[xi, nu1, nu2, chi, E0s, E1s, E2s],
    parameters=[psi1, psi2, lam_bar, zeta, F1, Fs, tau],
    equations=[sp.Eq(xi, _xi), sp.Eq(nu1, _nu1_rhs), sp.Eq(nu2, _nu2_rhs), sp.Eq(chi, nu1 * nu2),
               sp.Eq(E0s, _E0), sp.Eq(E1s, _E1), sp.Eq(E2s, _E2)],
    outputs={"B": E1s / E0s, "V": E2s / E0s, "R": F1**2 * E1s / E0s + (tau**2 + Fs**2) * E2s / E0s + Fs**2},
    branch=[sp.im(nu1) > 0, sp.im(nu2) > 0],
    guess={xi: _xi, nu1: _g1, nu2: _g2, chi: _g1 * _g2, E0s: _E0.subs(chi, _g1 * _g2), E1s: _E1.subs(chi, _g1 * _g2),
           E2s: _E2.subs(chi, _g1 * _g2)},
    requires=["activation-constants"],
    reference=REFERENCE,
    assumptions=("x, theta_j uniform on S^{d-1}(sqrt d); f_hat(x) = sum_{j<=N} a_j sigma(<theta_j,x>/sqrt d); "
                 "objective (1/n) sum_i (y_i - f_hat(x_i))^2 + (N lambda/d) ||a||^2; psi1 = N/d, psi2 = n/d, "
                 "zeta = mu_1/mu_*, lambda_bar = lambda/mu_*^2, xi = i sqrt(psi1 psi2 lambda_bar); "
                 "y = <beta,x> + f_NL + eps, F1 = ||beta||, F_*^2 = E f_NL^2, tau^2 = Var eps; "
                 "R = excess risk E(f - f_hat)^2 (without tau^2); E_k written in chi = nu1 nu2"),
    symbols={xi: r"\xi", nu1: r"\nu_1", nu2: r"\nu_2", psi1: r"\psi_1", psi2: r"\psi_2", lam_bar: r"\bar\lambda",
             F1: "F_1", Fs: "F_*", chi: r"\chi", E0s: "E_0", E1s: "E_1", E2s: "E_2",
             "B": r"\mathcal{B}", "V": r"\mathcal{V}", "R": r"\mathcal{R}"},
))

ell_s, B_ell, p_s, n_s, lam_s = sp.symbols("ell B_ell p n lambda", positive=True)
mu_l, mu_gt, Fl, Fgt, Bsym, Vsym = sp.symbols("mu_ell mu_gt F_ell F_gt B V", nonnegative=True)
RF_RIDGE_POLYNOMIAL = register(Derivation(
    "random-features-ridge-polynomial",
    title="Random-features ridge regression at n ≍ p ≍ d^ell (Hu, Lu & Misiakiewicz), critical case",
    parameters=[p_s, n_s, B_ell, lam_s, mu_l, mu_gt, Fl, Fgt, tau, Bsym, Vsym],
    outputs={"psi1": p_s / B_ell, "psi2": n_s / B_ell, "zeta": mu_l / mu_gt, "lambda_bar": lam_s / mu_gt**2,
             "F1": Fl, "tau_eff2": tau**2 + Fgt**2,
             "R": Fgt**2 + Fl**2 * Bsym + (tau**2 + Fgt**2) * Vsym},
    requires=["random-features-ridge", "gegenbauer-expansion"],
    reference=REFERENCE_POLY + "; reduction as in REFERENCES.md paper 3 [RECON✓]",
    assumptions=("integer ell, p/B(d,ell) -> psi1, n/B(d,ell) -> psi2; penalty (p lambda/B(d,ell)) ||a||^2; "
                 "mu_k = Gegenbauer coefficients of sigma, mu_gt^2 = sum_{k>ell} mu_k^2; F_ell = ||P_ell f*||, "
                 "F_gt^2 = ||P_{>ell} f*||^2; degrees < ell learned exactly; B, V of random-features-ridge at "
                 "(psi1, psi2, lambda_bar, zeta); non-integer exponents and kappa1 != kappa2 not covered"),
    symbols={mu_l: r"\mu_\ell", mu_gt: r"\mu_{>\ell}", Fl: r"\|P_\ell f_*\|", Fgt: r"\|P_{>\ell} f_*\|",
             B_ell: r"B(d,\ell)", lam_s: r"\lambda", "psi1": r"\psi_1", "psi2": r"\psi_2",
             "lambda_bar": r"\bar\lambda", "tau_eff2": r"\tau_{\rm eff}^2", "R": r"\mathcal{R}", "F1": "F_1"},
))


def _affine_parts(E):
    """``E = e00 + psi1 e10 + psi2 e01 + psi1 psi2 e11`` -> numpy functions of (chi, zeta)."""
    P = sp.Poly(sp.expand(E), psi1, psi2)
    out = {}
    for key in ((0, 0), (1, 0), (0, 1), (1, 1)):
        out[key] = sp.lambdify((chi, zeta), P.coeff_monomial(psi1**key[0] * psi2**key[1]), "numpy")
    if any(sum(m) and max(m) > 1 for m in P.monoms()):  # pragma: no cover - structural guard
        raise AssertionError("E polynomials must be affine in psi1 and in psi2")
    return out


_PARTS = [_affine_parts(e) for e in (_E0, _E1, _E2)]


def _eval_poly(k, c_chi, z, p1, p2):
    """E_k at (chi, zeta, psi1, psi2); an infinite psi gives E_k / psi (same ratios)."""
    f = _PARTS[k]
    e00, e10, e01, e11 = (np.asarray(f[key](c_chi, z) * np.ones_like(c_chi)) for key in
                          ((0, 0), (1, 0), (0, 1), (1, 1)))
    i1, i2 = np.isinf(p1), np.isinf(p2)
    q1 = np.where(i1, 0.0, p1)
    q2 = np.where(i2, 0.0, p2)
    full = e00 + q1 * e10 + q2 * e01 + q1 * q2 * e11
    only1 = e10 + q2 * e11        # psi1 = inf: E / psi1
    only2 = e01 + q1 * e11        # psi2 = inf: E / psi2
    return np.where(i1, only1, np.where(i2, only2, full))


# ------------------------------------------------------------------------------------------
# inputs
# ------------------------------------------------------------------------------------------
def _arr(name, value, *, lo=0.0, strict=False, allow_inf=False):
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(name, value, "a number or an array of numbers") from None
    bad = np.isnan(a) | (np.isinf(a) & (not allow_inf)) | ((a <= lo) if strict else (a < lo))
    if np.any(bad):
        rng = f"{'>' if strict else '>='} {lo:g}" + (" (inf allowed)" if allow_inf else ", finite")
        raise ParameterError(name, value if a.ndim == 0 else a[bad].ravel()[0].item(), f"a real number {rng}")
    return a


def activation_constants(act) -> tuple[float, float]:
    """``(mu_1, mu_*)`` as floats from a catalog name, an expression string, an
    :class:`~rmtsym.bases.catalog.Activation` or a pair ``(mu_1, mu_*)``."""
    if isinstance(act, (tuple, list)) and len(act) == 2:
        mu1, mus = float(act[0]), float(act[1])
    else:
        from ..bases.catalog import Activation, activation

        a = act if isinstance(act, Activation) else activation(act)
        if a.parameters:
            raise ParameterError("act", a.name, "an activation without free parameters")
        mu1, mus = float(sp.N(a.mu1)), float(sp.N(a.mu_star))
    if not math.isfinite(mu1) or not math.isfinite(mus) or mus < 0:
        raise ParameterError("act", act, "finite activation constants with mu_* >= 0")
    if mus == 0:
        raise ParameterError("mu_star", mus, "mu_* > 0 (a purely linear activation is outside the "
                             "Mei–Montanari formula: it is plain ridge on N linear features)")
    return mu1, mus


# ------------------------------------------------------------------------------------------
# the scalar reduction
# ------------------------------------------------------------------------------------------
def ridgeless_chi(psi, zeta_):
    """``chi`` at ``lambda = 0``: ``-c_*`` with ``h(c_*) = psi``, ``psi = min(psi1, psi2)``:
    ``chi = -[(psi zeta^2 - zeta^2 - 1) + sqrt((psi zeta^2 - zeta^2 - 1)^2 + 4 zeta^2 psi)]/(2 zeta^2)``
    (Mei & Montanari, ridgeless theorem); ``-psi`` when ``zeta = 0``."""
    psi = np.asarray(psi, float)
    z2 = np.asarray(zeta_, float) ** 2
    b = 1.0 + z2 - psi * z2
    with np.errstate(divide="ignore", invalid="ignore"):
        # numerically stable root of z2 c^2 + b c - psi = 0
        root = 2 * psi / (b + np.sqrt(b * b + 4 * z2 * psi))
    return -np.where(np.isinf(psi), np.inf, root)


def _h(c, z2):
    return c + z2 * c / (1.0 + z2 * c)


def _solve_c(p1, p2, lb, z2):
    """Root ``c in [0, c_*]`` of ``g(c) = (psi1 - h)(psi2 - h) - c psi1 psi2 lambda_bar``,
    divided by any infinite psi; decreasing in c, so bisection is safe."""
    i1, i2 = np.isinf(p1), np.isinf(p2)
    q1 = np.where(i1, 1.0, p1)
    q2 = np.where(i2, 1.0, p2)
    w1 = np.where(i1, 0.0, 1.0)  # weight of h in the first factor after division
    w2 = np.where(i2, 0.0, 1.0)
    cstar = -ridgeless_chi(np.minimum(p1, p2), np.sqrt(z2))

    def g(c):
        h = _h(c, z2)
        return (q1 - w1 * h) * (q2 - w2 * h) - c * q1 * q2 * lb

    def dg(c):
        h = _h(c, z2)
        dh = 1.0 + z2 / (1.0 + z2 * c) ** 2
        return -w1 * dh * (q2 - w2 * h) - w2 * dh * (q1 - w1 * h) - q1 * q2 * lb

    lo = np.zeros_like(cstar)
    hi = cstar.copy()
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        pos = g(mid) > 0
        lo = np.where(pos, mid, lo)
        hi = np.where(pos, hi, mid)
    c = 0.5 * (lo + hi)
    for _ in range(4):  # Newton polish inside the bracket
        with np.errstate(divide="ignore", invalid="ignore"):
            cn = c - g(c) / dg(c)
        c = np.where(np.isfinite(cn) & (cn >= lo) & (cn <= hi), cn, c)
    return np.where(lb == 0, cstar, c)


@functools.lru_cache(maxsize=1)
def _core_system():
    """The (nu1, nu2) equations of :data:`RF_RIDGE` with xi substituted, compiled once
    (complex Newton, branch Im nu > 0); E0, E1, E2 are then evaluated from chi = nu1 nu2."""
    from ..core.solve import CompiledSystem

    eqs = [e.subs(xi, _xi) for e in RF_RIDGE.residuals[1:3]]
    return CompiledSystem([nu1, nu2], [psi1, psi2, lam_bar, zeta], eqs, {"chi": nu1 * nu2},
                          branch=list(RF_RIDGE.branch), guess={nu1: _g1, nu2: _g2}, name=RF_RIDGE.name)


def rf_bias_variance(psi1, psi2, lambda_bar, zeta, *, method: str = "reduced", return_report: bool = False):
    """``(chi, B, V)`` on the broadcast grid of ``psi1, psi2`` (> 0, inf allowed),
    ``lambda_bar`` (>= 0) and ``zeta`` (>= 0). ``B = V = inf`` at ``lambda_bar = 0`` and
    ``psi1 = psi2`` (the interpolation peak). ``method``: "reduced" or "newton" (module doc);
    with "newton" and ``return_report`` the solver's :class:`ConvergenceReport` is appended
    (failed points are NaN)."""
    p1 = _arr("psi1", psi1, strict=True, allow_inf=True)
    p2 = _arr("psi2", psi2, strict=True, allow_inf=True)
    lb = _arr("lambda_bar", lambda_bar)
    z = _arr("zeta", zeta)
    p1, p2, lb, z = np.broadcast_arrays(p1, p2, lb, z)
    report = None
    if np.any(np.isinf(p1) & np.isinf(p2)):
        raise ParameterError("psi1", "inf", "at most one of psi1, psi2 infinite")
    if method == "reduced":
        c = _solve_c(p1, p2, lb, z * z)
        ch = -c
    elif method == "newton":
        if np.any(lb == 0) or np.any(np.isinf(p1) | np.isinf(p2)):
            raise ParameterError("lambda_bar", "0 or inf ratio", "lambda > 0 and finite ratios for method='newton'",
                                 "use method='reduced' for the ridgeless and infinite-ratio limits")
        # starting point near the ridgeless solution (a b = c_*, the larger of a, b ~ |psi1 - psi2|/s);
        # the derivation's default guess (large |xi|) is tried next
        s = np.sqrt(p1 * p2 * lb)
        cs = -ridgeless_chi(np.minimum(p1, p2), z)
        big = np.abs(p1 - p2) / s + np.sqrt(cs)
        u1 = np.where(p1 >= p2, big, cs / big)
        u2 = np.where(p1 >= p2, cs / big, big)
        sol = _core_system().solve({"psi1": p1, "psi2": p2, "lambda_bar": lb, "zeta": z},
                                   guess=[{nu1: 1j * u1, nu2: 1j * u2}])
        report = sol.report
        ch = np.real(sol["chi"])
    else:
        raise ParameterError("method", method, "'reduced' or 'newton'")
    E0, E1, E2 = (_eval_poly(k, ch, z, p1, p2) for k in range(3))
    peak = (lb == 0) & (p1 == p2)
    with np.errstate(divide="ignore", invalid="ignore"):
        B = np.where(peak, np.inf, E1 / E0)
        V = np.where(peak, np.inf, E2 / E0)
    if report is not None and return_report:
        return ch, B, V, report
    return ch, B, V


# ------------------------------------------------------------------------------------------
# results
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RFCurve:
    """Deterministic-equivalent risk of random-feature ridge regression on a parameter grid.

    ``risk`` is the excess risk ``E(f - f_hat)^2`` (test error minus ``noise``); ``bias`` and
    ``variance`` are ``B`` and ``V``; ``inf`` at the ridgeless interpolation peak, NaN only where
    the solver (method "newton") failed."""

    psi1: np.ndarray
    psi2: np.ndarray
    ridge: np.ndarray
    risk: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    chi: np.ndarray
    params: dict = field(default_factory=dict)
    derivation: Derivation = RF_RIDGE

    @property
    def test_error(self) -> np.ndarray:
        """``risk + noise`` (the expected squared error on a fresh noisy sample)."""
        return self.risk + self.params.get("noise", 0.0)


def _combine(B, V, f1sq, tail, noise):
    """``f1sq B + (noise + tail) V + tail`` with 0 * inf = 0."""
    with np.errstate(invalid="ignore"):
        tb = np.where(f1sq == 0, 0.0, f1sq * B)
        tv = np.where(noise + tail == 0, 0.0, (noise + tail) * V)
    return tb + tv + tail


def rf_risk(act: Any = "relu", psi1=2.0, psi2=1.0, ridge=1e-3, *, f1: float = 1.0, fstar: float = 0.0,
            noise: float = 0.0, method: str = "reduced") -> RFCurve:
    """Excess risk of random-feature ridge regression (Mei & Montanari; module docstring).

    ``act``: catalog name, expression in ``z``, Activation, or ``(mu_1, mu_*)``. ``psi1``,
    ``psi2`` (> 0, ``inf`` for the limits), ``ridge`` = ``lambda`` (>= 0) in the
    "mei-montanari" normalisation: broadcast together. ``f1 = ||beta||``, ``fstar = F_*``,
    ``noise = tau^2`` (a variance).

    >>> r = rf_risk("relu(z) - 1/sqrt(2*pi)", 2, 1.5, 0.05, f1=1, noise=0.25)
    >>> round(float(r.bias), 4), round(float(r.variance), 4), round(float(r.risk), 4)
    (0.4894, 0.5079, 0.6164)
    """
    mu1, mus = activation_constants(act)
    lam = _arr("ridge", ridge)
    for name, v in (("f1", f1), ("fstar", fstar), ("noise", noise)):
        _arr(name, v)
    ch, B, V = rf_bias_variance(psi1, psi2, lam / mus**2, mu1 / mus, method=method)
    p1, p2, lam = np.broadcast_arrays(np.asarray(psi1, float), np.asarray(psi2, float), lam)
    risk = _combine(B, V, float(f1) ** 2, float(fstar) ** 2, float(noise))
    return RFCurve(p1, p2, lam, risk, B, V, ch,
                   dict(mu1=mu1, mu_star=mus, f1=float(f1), fstar=float(fstar), noise=float(noise), method=method))


# ------------------------------------------------------------------------------------------
# ridge normalisations
# ------------------------------------------------------------------------------------------
#: name -> (objective, lambda_mm as a function of (value, psi1, psi2, d))
RIDGE_CONVENTIONS = {
    "mei-montanari": ("(1/n)||y - F a||^2 + (N lambda/d)||a||^2", lambda v, p1, p2, d: v),
    "mean-squared": ("(1/n)||y - F a||^2 + lambda ||a||^2", lambda v, p1, p2, d: v / p1),
    "sum-of-squares": ("||y - F a||^2 + lambda ||a||^2", lambda v, p1, p2, d: v / (p1 * p2 * d)),
    "scaled-features": ("(1/n)||y - F a/sqrt(N)||^2 + lambda ||a||^2", lambda v, p1, p2, d: v * d),
}


def convert_ridge(value, frm: str, to: str, *, psi1, psi2=None, d=None):
    """Convert a ridge between the normalisations of :data:`RIDGE_CONVENTIONS` (F = the n x N
    feature matrix ``sigma(X Theta^T/sqrt d)``; "scaled-features" has ``f_hat = F a/sqrt N``).

    >>> convert_ridge(0.1, "mei-montanari", "mean-squared", psi1=2.0)
    0.2
    >>> round(convert_ridge(0.1, "mei-montanari", "sum-of-squares", psi1=2.0, psi2=1.5, d=100), 10)
    30.0
    """
    for k in (frm, to):
        if k not in RIDGE_CONVENTIONS:
            raise ParameterError("normalisation", k, "one of " + ", ".join(RIDGE_CONVENTIONS))
    p1 = float(_arr("psi1", psi1, strict=True))
    if "sum-of-squares" in (frm, to) and (psi2 is None or d is None):
        raise ParameterError("d", d, "psi2 and d (sum-of-squares depends on n = psi2 d)")
    if "scaled-features" in (frm, to) and d is None:
        raise ParameterError("d", d, "the dimension d (scaled-features: lambda_mm = d lambda)")
    p2 = float(_arr("psi2", psi2, strict=True)) if psi2 is not None else 1.0
    dd = float(_arr("d", d, strict=True)) if d is not None else 1.0
    v = _arr("value", value)
    mm = RIDGE_CONVENTIONS[frm][1](v, p1, p2, dd)
    fwd = RIDGE_CONVENTIONS[to][1](1.0, p1, p2, dd)  # lambda_mm per unit of the target convention
    out = mm / fwd
    return float(out) if np.ndim(out) == 0 else out


# ------------------------------------------------------------------------------------------
# independent closed forms for the two limits
# ------------------------------------------------------------------------------------------
def kernel_ridge_limit(psi2, ridge, mu1, mu_star, *, f1=1.0, fstar=0.0, noise=0.0):
    """``psi1 -> inf``: kernel ridge regression with the limiting random-feature kernel
    ``K = mu_1^2 X X^T/d + mu_*^2 I`` (rank-one ``mu_0`` part dropped) and kernel ridge
    ``psi2 lambda`` (from ``N lambda/d`` after the push-through identity). Prediction
    ``x^T beta_hat``, ``beta_hat = (X^T X/n + gamma)^{-1} X^T y/n``,
    ``gamma = (mu_*^2 + psi2 lambda)/(mu_1^2 psi2)``: isotropic ridge regression with
    ``d/n = 1/psi2`` and noise ``tau^2 + F_*^2`` (REFERENCES.md A4 with Sigma = I, closed form).
    Returns the excess risk."""
    p2 = np.asarray(psi2, float)
    lam = np.asarray(ridge, float)
    if mu1 == 0:
        return np.broadcast_to(f1**2 + fstar**2 + 0.0 * p2 * lam, np.broadcast(p2, lam).shape).copy()
    g = (mu_star**2 + p2 * lam) / (mu1**2 * p2)
    r = 1.0 / p2  # d/n
    # kappa (1 - r/(1+kappa)) = g  <=>  kappa^2 + (1 - r - g) kappa - g = 0
    b = 1.0 - r - g
    kappa = (-b + np.sqrt(b * b + 4 * g)) / 2
    df2 = r / (1 + kappa) ** 2
    ex = (kappa**2 * f1**2 / (1 + kappa) ** 2 + (noise + fstar**2) * df2) / (1 - df2)
    return ex + fstar**2


def approximation_error_limit(psi1, ridge, mu1, mu_star, *, f1=1.0, fstar=0.0):
    """``psi2 -> inf``: test error of the population ridge readout
    ``a = argmin E(f(x) - a^T sigma(Theta x/sqrt d))^2 + psi1 lambda ||a||^2`` (the random-feature
    approximation error at ridge lambda). With the population Gram ``mu_1^2 W W^T + mu_*^2 I``,
    ``W = Theta/sqrt d``, each eigenvalue ``s`` of ``M = W^T W`` contributes
    ``(t^2 + t0 s)/(s + t)^2``, ``t0 = mu_*^2/mu_1^2``, ``t = (mu_*^2 + psi1 lambda)/mu_1^2``, so
    the error is ``F_*^2 + F1^2 [(t^2 - t0 t) m_M'(-t) + t0 m_M(-t)]`` with ``m_M`` the Stieltjes
    transform of ``M = psi1 * MP(gamma = 1/psi1)`` (closed form and its derivative)."""
    p1 = np.asarray(psi1, float)
    lam = np.asarray(ridge, float)
    if mu1 == 0:
        return np.broadcast_to(f1**2 + fstar**2 + 0.0 * p1 * lam, np.broadcast(p1, lam).shape).copy()
    t0 = mu_star**2 / mu1**2
    t = (mu_star**2 + p1 * lam) / mu1**2
    gam = 1.0 / p1
    zz = -t / p1  # m_M(-t) = m_S(-t/psi1)/psi1, m_M'(-t) = m_S'(-t/psi1)/psi1^2
    disc = np.sqrt((zz - 1 - gam) ** 2 - 4 * gam)
    mS = (1 - gam - zz - disc) / (2 * gam * zz)  # root decaying like -1/z, positive on z < 0
    dmS = -(gam * mS**2 + mS) / (2 * gam * zz * mS - (1 - gam - zz))
    m, dm = mS / p1, dmS / p1**2
    return f1**2 * ((t * t - t0 * t) * dm + t0 * m) + fstar**2


# ------------------------------------------------------------------------------------------
# polynomial regime
# ------------------------------------------------------------------------------------------
def _polynomial_mu(mu, ell, d):
    """``(mu_ell, mu_{>ell})`` from a coefficient sequence or an activation (Gegenbauer at d)."""
    if isinstance(mu, (list, tuple, np.ndarray)):
        m = np.asarray(mu, float)
        if m.ndim != 1 or m.size <= ell or not np.all(np.isfinite(m)):
            raise ParameterError("mu", mu, f"a finite sequence mu_0..mu_K with K > ell = {ell}")
        return float(m[ell]), float(np.sqrt(np.sum(m[ell + 1:] ** 2)))
    from ..bases.catalog import Activation, activation
    from ..bases.gegenbauer import gegenbauer_coefficients

    a = mu if isinstance(mu, Activation) else activation(mu)
    if d is None:
        raise ParameterError("d", d, "an integer >= 3 when mu is an activation (Gegenbauer coefficients at d)")
    g = gegenbauer_coefficients(a.expr, int(d), ell, exact=False).numpy()
    norm2 = float(gegenbauer_coefficients(a.expr**2, int(d), 0, exact=False).numpy()[0])
    tail = max(norm2 - float(np.sum(g**2)), 0.0)
    return float(g[ell]), math.sqrt(tail)


def rf_risk_polynomial(mu, target, *, ell: int, ridge, noise: float = 0.0, d=None, p=None, n=None,
                       psi1=None, psi2=None, method: str = "reduced") -> RFCurve:
    """Excess risk at ``n ≍ p ≍ d^ell`` (critical case; module docstring, REFERENCES.md paper 3).

    ``mu``: Gegenbauer (or Hermite) coefficients ``mu_0..mu_K`` (the tail beyond K is taken as
    0), or an activation (then ``d`` is required and ``g_k(sigma; d)`` are computed, with
    ``mu_{>ell}^2 = E sigma(t)^2 - sum_{k<=ell} g_k^2``). ``target``: norms ``||P_k f*||``,
    ``k = 0, 1, ...``. Give either ``psi1, psi2`` (= p/B(d,ell), n/B(d,ell); inf allowed for
    the limits n << p and p << n) or ``p, n, d``. ``ridge`` = ``lambda`` with penalty
    ``(p lambda/B(d,ell)) ||a||^2``; ``noise = tau^2``.

    >>> r = rf_risk_polynomial([0, 0, 1, .5, .3], [0, 0, 1, .5], ell=2, ridge=0.02, noise=0.1,
    ...                        psi1=0.6, psi2=1.5)
    >>> round(float(r.risk), 3)
    1.465
    """
    if isinstance(ell, bool) or not isinstance(ell, (int, np.integer)) or ell < 1:
        raise ParameterError("ell", ell, "an integer >= 1")
    ell = int(ell)
    tgt = np.asarray(target, float)
    if tgt.ndim != 1 or not np.all(np.isfinite(tgt)) or np.any(tgt < 0):
        raise ParameterError("target", target, "finite norms ||P_k f*|| >= 0, k = 0, 1, ...")
    _arr("noise", noise)
    if psi1 is None or psi2 is None:
        if p is None or n is None or d is None:
            raise ParameterError("psi1", psi1, "psi1 and psi2, or p, n and d")
        from ..bases.gegenbauer import harmonic_dimension

        Bl = float(harmonic_dimension(int(d), ell))
        psi1 = _arr("p", p, strict=True) / Bl
        psi2 = _arr("n", n, strict=True) / Bl
    mul, mugt = _polynomial_mu(mu, ell, d)
    if mugt <= 0:
        raise ParameterError("mu", mu, "a nonzero component of degree > ell (mu_{>ell} > 0)")
    Fl = float(tgt[ell]) if tgt.size > ell else 0.0
    tail = float(np.sum(tgt[ell + 1:] ** 2))
    lam = _arr("ridge", ridge)
    ch, B, V = rf_bias_variance(psi1, psi2, lam / mugt**2, abs(mul) / mugt, method=method)
    p1, p2, lam = np.broadcast_arrays(np.asarray(psi1, float), np.asarray(psi2, float), lam)
    risk = _combine(B, V, Fl**2, tail, float(noise))
    return RFCurve(p1, p2, lam, risk, B, V, ch,
                   dict(ell=ell, mu_ell=mul, mu_gt=mugt, f_ell=Fl, tail=tail, noise=float(noise), method=method),
                   derivation=RF_RIDGE_POLYNOMIAL)


# ------------------------------------------------------------------------------------------
# polynomial regime, general exponents
# ------------------------------------------------------------------------------------------
def harmonic_level(m, d, *, window: float = 3.0) -> float:
    """Degree level of a size ``m`` (number of features or samples) at dimension ``d``: the integer
    ``k >= 1`` when ``m`` is within a factor ``window`` of ``B(d, k)`` (``m ≍ d^k``), otherwise
    ``k + 0.5`` for ``B(d, k) < m < B(d, k+1)`` ("strictly between": a non-integer exponent in
    ``(k, k+1)``). When windows overlap (small ``d``) the nearest level in log scale wins. This is
    a finite-d *label* for the asymptotic picture ``m/d^kappa -> theta``, not a theorem."""
    from ..bases.gegenbauer import harmonic_dimension

    mm = float(_arr("m", m, strict=True))
    if window < 1:
        raise ParameterError("window", window, "a factor >= 1")
    k = 1
    B = [1.0, float(harmonic_dimension(int(d), 1))]
    while B[-1] < mm * window and k < 50:
        k += 1
        B.append(float(harmonic_dimension(int(d), k)))
    lg = np.log(np.asarray(B))
    j = int(np.argmin(np.abs(lg - math.log(mm))))
    if j >= 1 and abs(lg[j] - math.log(mm)) <= math.log(window):
        return float(j)
    lo = int(np.searchsorted(lg, math.log(mm), side="right")) - 1  # B_lo < m < B_{lo+1}
    return lo + 0.5


def _kappa(name, v):
    return float(_arr(name, v, strict=True))


def rf_risk_polynomial_general(act_or_mu, target_norms, *, p, n, d, ridge, noise: float = 0.0,
                               kappa1=None, kappa2=None, window: float = 3.0,
                               method: str = "reduced") -> RFCurve:
    """Random-feature ridge regression for general polynomial scalings ``p ≍ d^kappa1``,
    ``n ≍ d^kappa2`` (integer or not), dispatched by the asymptotic picture of REFERENCES.md
    paper 3 (Hu, Lu & Misiakiewicz 2024).

    ``act_or_mu``, ``target_norms`` (``||P_k f*||``), ``noise = tau^2``, ``method``: as in
    :func:`rf_risk_polynomial`. ``p, n, d``: the actual sizes (scalars). ``kappa1``, ``kappa2``:
    the exponents of the asymptotic picture; by default the labels of :func:`harmonic_level`
    (integer ``k`` when the size is within a factor ``window`` of ``B(d, k)``, else ``k + 0.5``).
    ``ridge = lambda`` (array allowed), penalty ``(p lambda/B(d, ell)) ||a||^2`` with ``ell`` the
    block level below (as in :func:`rf_risk_polynomial`; for ``ell = 1`` this is the
    Mei–Montanari ``(N lambda/d)``). Returns an :class:`RFCurve`; ``params["regime"]`` is one of

    * ``"critical"`` — ``kappa1 = kappa2 = ell`` integer: :func:`rf_risk_polynomial` with
      ``psi1 = p/B(d,ell)``, ``psi2 = n/B(d,ell)`` (the [RECON✓] formula of REFERENCES).
    * ``"kernel"`` — ``kappa2 < kappa1``, ``kappa2 = ell`` integer (n << p): kernel ridge regression
      with the dual kernel ``h(s) = sum_k mu_k^2 Q_k(s)`` at sample size n, i.e. degrees < ell
      learned, degree ell by the ``psi1 = inf`` limit of the critical formula with
      ``psi2 = n/B(d,ell)`` (= :func:`kernel_ridge_limit`; KRR ridge ``n lambda/B(d,ell)`` in the
      normalisation of :func:`rmtsym.models.kernel_ridge.krr_curve`), degrees > ell unlearned and
      acting as noise.
    * ``"approximation"`` — ``kappa1 < kappa2``, ``kappa1 = ell`` integer (p << n): the
      random-feature approximation error with p features: degrees < ell learned, degree ell by
      the ``psi2 = inf`` limit with ``psi1 = p/B(d,ell)`` (= :func:`approximation_error_limit`),
      degrees > ell unlearned; the label noise does not enter.
    * ``"projection"`` — ``kappa = min(kappa1, kappa2)`` non-integer and ``kappa1 != kappa2``:
      degrees ``< kappa`` learned, degrees ``> kappa`` unlearned, no block at the level, no
      variance: ``R = sum_{k > kappa} ||P_k f*||^2`` for any fixed ``lambda >= 0`` (here
      ``ell = ceil(kappa)``, so the penalty vanishes relative to the learned eigenvalues).

    Not covered (ParameterError): ``kappa1 = kappa2`` non-integer (the interpolation peak
    n = p at a non-integer level; its variance term was not derived or checked).

    Provenance. From REFERENCES.md paper 3 (abstract-level, [SEEN]): the scalings, "n = o(p):
    RFRR = KRR", "p = o(n): RF approximation error", "double descent at n = p", "degrees <= ell - 1
    (possibly ell) learned"; and the [RECON✓] critical-case reduction. The dispatch is *our*
    composition of these statements: the kernel and approximation regimes are taken to be the
    ``psi1 -> inf`` / ``psi2 -> inf`` limits of the critical formula at the smaller size's level
    (an interchange of limits we did not prove), and the projection regime is the
    "learned below / unlearned above" picture (consistent with the known RF/KRR results of
    Ghorbani-Mei-Misiakiewicz-Montanari and Mei-Misiakiewicz-Montanari, quoted from memory, not
    from REFERENCES). The paper's own formulas for kappa1 != kappa2 were not available.
    Verified (tests/test_random_features.py): equality with the critical formula at
    kappa1 = kappa2 = ell; the kernel regime equals the critical formula at psi1 = 1e8 and the
    independent :func:`krr_curve` (asymptotic, xi = mu^2) at the same level; the approximation
    regime equals the critical formula at psi2 = 1e9; one sphere simulation per non-critical
    regime (numbers in the tests).

    >>> r = rf_risk_polynomial_general([0, 1, .5, .3], [0, 1, .5], p=625, n=38, d=25, ridge=0.05, noise=0.1)
    >>> r.params["regime"], r.params["ell"]
    ('kernel', 1)
    """
    tgt = np.asarray(target_norms, float)
    if tgt.ndim != 1 or not np.all(np.isfinite(tgt)) or np.any(tgt < 0):
        raise ParameterError("target", target_norms, "finite norms ||P_k f*|| >= 0, k = 0, 1, ...")
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 3:
        raise ParameterError("d", d, "an integer >= 3")
    for name, v in (("p", p), ("n", n)):
        if np.ndim(v) != 0:
            raise ParameterError(name, v, "a scalar size (the regime depends on it)")
        _arr(name, v, strict=True)
    _arr("noise", noise)
    lam = _arr("ridge", ridge)
    k1 = harmonic_level(p, d, window=window) if kappa1 is None else _kappa("kappa1", kappa1)
    k2 = harmonic_level(n, d, window=window) if kappa2 is None else _kappa("kappa2", kappa2)
    kap = min(k1, k2)
    is_int = float(kap).is_integer()
    from ..bases.gegenbauer import harmonic_dimension

    if k1 == k2 and not is_int:
        raise ParameterError("kappa1", k1, "kappa1 != kappa2 or an integer common level "
                             "(n ≍ p at a non-integer level is not covered)")
    ell = int(math.ceil(kap))
    common = dict(kappa1=k1, kappa2=k2, p=float(p), n=float(n), d=int(d))
    if is_int:
        Bl = float(harmonic_dimension(int(d), ell))
        ps1 = float(p) / Bl if k1 == ell else np.inf
        ps2 = float(n) / Bl if k2 == ell else np.inf
        r = rf_risk_polynomial(act_or_mu, tgt, ell=ell, ridge=lam, noise=noise, d=d, psi1=ps1, psi2=ps2,
                               method=method)
        regime = "critical" if k1 == k2 else ("kernel" if k2 < k1 else "approximation")
        return RFCurve(r.psi1, r.psi2, r.ridge, r.risk, r.bias, r.variance, r.chi,
                       {**r.params, **common, "regime": regime}, derivation=RF_RIDGE_POLYNOMIAL)
    # projection: degrees < kap learned, > kap unlearned (kap non-integer)
    if isinstance(act_or_mu, (list, tuple, np.ndarray)):
        m = np.asarray(act_or_mu, float)
        if m.ndim != 1 or not np.all(np.isfinite(m)):
            raise ParameterError("mu", act_or_mu, "a finite sequence mu_0..mu_K")
    else:
        from ..bases.catalog import Activation, activation

        if not isinstance(act_or_mu, Activation):
            activation(act_or_mu)  # validate the name/expression
    tail = float(np.sum(tgt[ell:] ** 2))
    shape = lam.shape
    z = np.zeros(shape)
    return RFCurve(np.full(shape, float(p)), np.full(shape, float(n)), lam, z + tail, z, z, np.full(shape, np.nan),
                   {**common, "regime": "projection", "ell": ell, "tail": tail, "noise": float(noise)},
                   derivation=RF_RIDGE_POLYNOMIAL)
