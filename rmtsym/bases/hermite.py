"""Hermite expansions under the Gaussian measure: exact, arbitrary precision, float64.

Convention (docs/conventions.md, "Gaussian"): ``Z ~ N(0,1)``, orthonormal Hermite polynomials
``h_k = He_k/sqrt(k!)`` (probabilists' ``He_k``), coefficients ``c_k(f) = E[f(Z) h_k(Z)]``, so
``f = sum_k c_k h_k`` and ``E f(Z)^2 = sum_k c_k^2``.

Three ways to get ``c_0 .. c_K`` (:func:`hermite_coefficients`):

* exact (sympy), by the rules of :mod:`rmtsym.bases.gaussian` (polynomials, ``exp`` of
  quadratics, ``sin``/``cos``, ReLU-like kinks, ``erf``, GELU, ``Dirac`` deltas); parameters
  stay symbolic;
* ``digits=N``: mpmath tanh-sinh quadrature at ``N + 10`` working digits on the line split at
  the kinks of ``f``, all degrees from one set of ``f`` values, with an error estimate;
* float64: composite Gauss-Legendre panels on ``[-L, L]`` split at the kinks, vectorised over
  all degrees, the error estimated against a coarser rule.

>>> from rmtsym.bases.functions import Z
>>> import sympy as sp
>>> hermite_coefficients(sp.Max(0, Z), 4).coefficients
(sqrt(2)/(2*sqrt(pi)), 1/2, 1/(2*sqrt(pi)), 0, -sqrt(3)/(12*sqrt(pi)))
>>> e = hermite_coefficients(sp.tanh(Z), 3, digits=20)
>>> e.exact, e.method, e[1]
(False, 'mpmath-tanh-sinh', 0.60570550960215882558)
>>> hermite_coefficients(sp.tanh(Z), 3).numpy().round(6)
array([ 0.      ,  0.605706,  0.      , -0.148437])
"""

from __future__ import annotations

import math
import numbers
from typing import Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import ConvergenceError, NoClosedFormError, ParameterError
from .expansion import Expansion
from .functions import Z, breakpoints, canonical, check_square_integrable, free_parameters, to_mpmath, to_numpy
from .gaussian import expectation_times_polynomials, gaussian_expectation

__all__ = ["hermite_polynomial", "hermite_coefficients", "hermite_series", "gaussian_mean"]

_MAX_DIGITS = 1000
_SQRT_2PI = math.sqrt(2 * math.pi)


# --------------------------------------------------------------------------------------------
# polynomials
# --------------------------------------------------------------------------------------------

def _he_coefficients(k: int) -> list[dict[int, int]]:
    """Integer coefficients ``{power: c}`` of ``He_0 .. He_k`` (``He_{j+1} = x He_j - j He_{j-1}``)."""
    out = [{0: 1}]
    if k >= 1:
        out.append({1: 1})
    for j in range(1, k):
        nxt: dict[int, int] = {}
        for p, c in out[j].items():
            nxt[p + 1] = nxt.get(p + 1, 0) + c
        for p, c in out[j - 1].items():
            nxt[p] = nxt.get(p, 0) - j * c
        out.append({p: c for p, c in nxt.items() if c})
    return out


def _check_degree(degree, name: str = "degree") -> int:
    if isinstance(degree, bool) or not isinstance(degree, (numbers.Integral, sp.Integer)) or int(degree) < 0:
        raise ParameterError(name, degree, "an integer >= 0")
    return int(degree)


def hermite_polynomial(k: int, x: sp.Expr = Z) -> sp.Expr:
    """Orthonormal Hermite polynomial ``h_k(x) = He_k(x)/sqrt(k!)`` (docs/conventions.md, "Gaussian").

    >>> hermite_polynomial(3)
    sqrt(6)*(z**3 - 3*z)/6
    >>> sp.expand(hermite_polynomial(2, 2))
    3*sqrt(2)/2
    """
    k = _check_degree(k, "k")
    he = _he_coefficients(k)[k]
    poly = sp.Add(*[c * sp.sympify(x) ** p for p, c in sorted(he.items(), reverse=True)])
    return poly / sp.sqrt(sp.factorial(k)) if k > 1 else poly


def hermite_series(coefficients: Sequence | Expansion, x: sp.Expr = Z) -> sp.Expr:
    """``sum_k c_k h_k(x)`` for coefficients ``c_0, c_1, ...`` (a sequence or an :class:`Expansion`).

    >>> hermite_series([0, 0, 1])
    sqrt(2)*(z**2 - 1)/2
    """
    return sp.Add(*[sp.sympify(c) * hermite_polynomial(k, x) for k, c in enumerate(coefficients) if c != 0])


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------

def _check_function(f, var: sp.Symbol) -> sp.Expr:
    if isinstance(f, str):
        raise ParameterError("f", f, "a sympy expression",
                             "parse strings with rmtsym.bases.parse.parse_expression first")
    if isinstance(f, (numbers.Number, np.number)):
        f = sp.sympify(f)
    if not isinstance(f, sp.Basic):
        raise ParameterError("f", f, "a sympy expression in z")
    # a user's Symbol('z') without assumptions is the same variable
    same = [s for s in f.free_symbols if s != var and getattr(s, "name", None) == var.name]
    if same:
        f = f.subs({s: var for s in same})
    return f


def _check_digits(digits) -> int | None:
    if digits is None:
        return None
    if isinstance(digits, bool) or not isinstance(digits, (numbers.Integral, sp.Integer)) \
            or not 1 <= int(digits) <= _MAX_DIGITS:
        raise ParameterError("digits", digits, f"an integer in 1..{_MAX_DIGITS} (or None for float64)")
    return int(digits)


def _check_exact(exact) -> bool | None:
    if exact is not None and not isinstance(exact, bool):
        raise ParameterError("exact", exact, "True, False or None")
    return exact


def _numeric_ready(f: sp.Expr, var: sp.Symbol, why: str = "") -> None:
    params = free_parameters(f, var)
    if params:
        names = ", ".join(str(p) for p in params)
        hint = (why + "; " if why else "") + f"numeric evaluation needs values: substitute values for {names} first"
        raise ParameterError("f", str(f), f"a function of {var} alone (free parameters: {names})", hint)


# --------------------------------------------------------------------------------------------
# arbitrary precision (mpmath)
# --------------------------------------------------------------------------------------------

def _mp_breakpoints(f: sp.Expr, var: sp.Symbol, dps: int) -> list:
    """Real kinks of ``f`` as mpf at ``dps`` digits (exact roots of the Heaviside arguments)."""
    g = canonical(f)
    args = []
    for node in sp.preorder_traversal(g):
        if isinstance(node, (sp.Heaviside, sp.DiracDelta, sp.Abs, sp.sign)):
            args.append(node.args[0])
        elif isinstance(node, sp.Piecewise):
            for _, cond in node.args:
                if isinstance(cond, sp.core.relational.Relational):
                    args.append(cond.lhs - cond.rhs)
    pts = set()
    for a in args:
        if var not in a.free_symbols:
            continue
        poly = a.as_poly(var)
        if poly is None or poly.free_symbols - {var}:
            continue
        if poly.degree() == 1:
            root = -poly.coeff_monomial(1) / poly.coeff_monomial(var)
            pts.add(mpmath.mpf(sp.Float(root, dps + 5)))
            continue
        for r in poly.nroots(n=dps + 5):
            if abs(sp.im(r)) < sp.Float(10) ** (-dps):
                pts.add(mpmath.mpf(sp.Float(sp.re(r), dps + 5)))
    return sorted(pts)


class _NodeCache:
    """``x -> [f(x) phi(x) h_k(x) for k = 0..K]`` memoised on the mpf node (three-term recurrence)."""

    def __init__(self, fm, K: int):
        self.fm, self.K = fm, K
        self.sq = [mpmath.sqrt(k) for k in range(K + 2)]
        self.c0 = 1 / mpmath.sqrt(2 * mpmath.pi)
        self.cache: dict = {}

    def __call__(self, x):
        v = self.cache.get(x)
        if v is None:
            fx = self.fm(x)
            if isinstance(fx, (int, float, complex)):
                fx = mpmath.mpmathify(fx)
            w = fx * mpmath.exp(-x * x / 2) * self.c0
            v = [w]
            prev, cur = 0, w
            sq = self.sq
            for k in range(1, self.K + 1):
                prev, cur = cur, (x * cur - sq[k - 1] * prev) / sq[k]
                v.append(cur)
            self.cache[x] = v
        return v


def _mp_evaluable(f: sp.Expr, var: sp.Symbol):
    fm = to_mpmath(f, var)
    try:
        v = fm(mpmath.mpf("0.3183098861837907"))
        mpmath.mpmathify(v)
    except Exception as exc:  # noqa: BLE001 - report any evaluation failure as bad input
        raise ParameterError("f", str(f), "a function mpmath can evaluate on the real line",
                             f"evaluation failed: {exc}") from None
    return fm


def _mp_integrals(f: sp.Expr, K: int, digits: int, var: sp.Symbol):
    """Values ``E[f h_k]`` (mpf/mpc) and absolute error estimates, k = 0..K, at ``digits`` digits."""
    with mpmath.workdps(digits + 10):
        fm = _mp_evaluable(f, var)
        nodes = _NodeCache(fm, K)
        pts = [mpmath.ninf, *_mp_breakpoints(f, var, digits + 10), mpmath.inf]
        vals, errs = [], []
        for k in range(K + 1):
            v, e = mpmath.quad(lambda x, k=k: nodes(x)[k], pts, error=True)
            vals.append(v)
            errs.append(e)
        # round-off floor: |integrand| integrates to at most sqrt(E f^2) (Cauchy-Schwarz)
        def f2phi(x):
            w = nodes(x)[0]  # f(x) phi(x)
            return abs(w) ** 2 / (mpmath.exp(-x * x / 2) * nodes.c0) if w != 0 else mpmath.mpf(0)

        norm2 = mpmath.quad(f2phi, pts)
        floor = mpmath.mpf(10) ** (-(digits + 8)) * max(1, mpmath.sqrt(abs(norm2)))
        errs = [max(e, floor) for e in errs]
    return vals, errs


def _mp_check(vals, errs, digits: int, f: sp.Expr) -> float:
    tol = mpmath.mpf(10) ** (-digits)
    for k, (v, e) in enumerate(zip(vals, errs)):
        if e > tol * max(1, abs(v)):
            raise ConvergenceError(
                f"quadrature of E[f(Z) h_{k}(Z)] for f = {f} did not reach {digits} digits "
                f"(error estimate {mpmath.nstr(e, 3)}); f may have an undetected kink or singularity")
    # the values are returned rounded to `digits` significant digits
    return float(max(e + abs(v) * tol for v, e in zip(vals, errs)))


def _to_float(v, digits: int) -> sp.Expr:
    if isinstance(v, mpmath.mpc) and v.imag != 0:
        return sp.Float(v.real, digits) + sp.I * sp.Float(v.imag, digits)
    return sp.Float(mpmath.re(v), digits)


# --------------------------------------------------------------------------------------------
# float64 (composite Gauss-Legendre)
# --------------------------------------------------------------------------------------------

_GL_FINE, _GL_COARSE = 24, 16


def _np_function(f: sp.Expr, var: sp.Symbol):
    fn = to_numpy(f, var)

    def g(x):
        with np.errstate(all="ignore"):
            y = np.asarray(fn(x))
        if not np.all(np.isfinite(y)):
            bad = x[~np.isfinite(y)][0]
            raise ParameterError("f", str(f), "a function finite on the real line",
                                 f"it is not finite at z = {bad:.6g}")
        if np.iscomplexobj(y) and np.all(y.imag == 0):
            y = y.real
        return y

    return g


def _half_width(g, K: int) -> float:
    """``L`` with ``|f(z)| exp(-z^2/4)`` (a bound of ``|f h_k phi|`` by Cramer's inequality) < 1e-18 beyond."""
    L = 12.0 + math.sqrt(4.0 * K)
    for _ in range(12):
        with np.errstate(all="ignore"):
            t = np.array([-L, L, -1.2 * L, 1.2 * L])
            tail = np.abs(g(t)) * np.exp(-t * t / 4)
        if np.all(tail < 1e-18):
            return L
        L *= 1.5
    raise ConvergenceError(f"the Gaussian tail of f does not decay fast enough for the float64 rule (|z| up to {L:.0f})")


def _gl_panels(edges: np.ndarray, n: int):
    t, w = np.polynomial.legendre.leggauss(n)
    a, b = edges[:-1, None], edges[1:, None]
    x = ((a + b) / 2 + (b - a) / 2 * t).ravel()
    ww = ((b - a) / 2 * w).ravel()
    return x, ww


def _project(x: np.ndarray, w: np.ndarray, fx: np.ndarray, K: int):
    """``sum_i w_i f(x_i) phi(x_i) h_k(x_i)`` for k = 0..K and the matching sums of absolute values."""
    v = w * fx * np.exp(-x * x / 2) / _SQRT_2PI
    out = np.empty(K + 1, dtype=v.dtype)
    absum = np.empty(K + 1)
    prev, cur = np.zeros_like(v), v
    out[0], absum[0] = cur.sum(), np.abs(cur).sum()
    for k in range(1, K + 1):
        prev, cur = cur, (x * cur - math.sqrt(k - 1) * prev) / math.sqrt(k)
        out[k], absum[k] = cur.sum(), np.abs(cur).sum()
    return out, absum


def _float_integrals(f: sp.Expr, K: int, var: sp.Symbol, tol: float = 1e-13):
    """float64 ``E[f h_k]``, k = 0..K, and an absolute error estimate (max over k)."""
    g = _np_function(f, var)
    L = _half_width(g, K)
    kinks = [p for p in breakpoints(f, var) if -L < p < L]
    width = min(1.0, 3.0 / math.sqrt(K + 1))
    for _ in range(5):
        grid = np.linspace(-L, L, int(math.ceil(2 * L / width)) + 1)
        edges = np.unique(np.concatenate([grid, kinks]))
        xf, wf = _gl_panels(edges, _GL_FINE)
        xc, wc = _gl_panels(edges, _GL_COARSE)
        cf, absum = _project(xf, wf, g(xf), K)
        cc, _ = _project(xc, wc, g(xc), K)
        err = float(np.max(np.abs(cf - cc) + 4e-16 * absum))
        scale = max(1.0, float(np.max(np.abs(cf))))
        if err <= tol * scale:
            return cf, err
        width /= 2
    if err > 1e-6 * scale:
        raise ConvergenceError(f"float64 quadrature of the Hermite coefficients of {f} did not converge "
                               f"(error estimate {err:.1e}); f may have an undetected kink or singularity; "
                               "try digits=N")
    return cf, err


def _py(v):
    return complex(v) if np.iscomplexobj(v) and v.imag != 0 else float(np.real(v))


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------

def hermite_coefficients(f: sp.Expr, degree: int, *, exact: bool | None = None, digits: int | None = None,
                         var: sp.Symbol = Z) -> Expansion:
    """Hermite coefficients ``c_k = E[f(Z) h_k(Z)]``, ``k = 0..degree`` (docs/conventions.md, "Gaussian").

    Parameters
    ----------
    f : sympy expression in ``var`` (default ``z``); other symbols are real parameters.
    degree : highest degree ``K >= 0``.
    exact : ``True`` exact closed forms or :class:`~rmtsym.errors.NoClosedFormError`; ``False``
        numeric; ``None`` (default) exact when every ``c_k`` has a closed form, else numeric.
    digits : numeric precision: ``N`` (1..1000) significant digits through mpmath (values are
        ``sympy.Float(., N)``), or ``None`` for the fast float64 rule (values are Python floats).
        ``digits`` does not turn exact results off: pass ``exact=False`` for numbers only.

    Returns an :class:`~rmtsym.bases.expansion.Expansion` with ``basis="hermite"``; numeric
    results carry ``error`` (an estimate of the absolute error of each coefficient) and
    ``method`` (``"mpmath-tanh-sinh"`` or ``"gauss-legendre"``). Numeric results need ``f``
    free of parameters (:class:`~rmtsym.errors.ParameterError` otherwise); a quadrature that
    misses its target raises :class:`~rmtsym.errors.ConvergenceError`.

    >>> b = sp.Symbol("b", real=True)
    >>> hermite_coefficients(sp.Max(0, Z + b), 1)[1]
    erf(sqrt(2)*b/2)/2 + 1/2
    >>> hermite_coefficients(Z**3, 3).coefficients
    (0, 3, 0, sqrt(6))
    >>> hermite_coefficients(sp.tanh(Z), 2, exact=True)
    Traceback (most recent call last):
    ...
    rmtsym.errors.NoClosedFormError: tanh(z) has no closed-form Hermite coefficients (E[tanh(z)] under Z ~ N(0,1) has no closed form known to rmtsym); call with exact=False or digits=N
    """
    K = _check_degree(degree)
    exact = _check_exact(exact)
    digits = _check_digits(digits)
    f = _check_function(f, var)
    check_square_integrable(f, var, name="f")
    notes: list[str] = []
    if exact is not False:
        why = None
        if f.has(sp.Float):
            why = "f contains floating-point numbers; write exact rationals (sp.Rational) for exact coefficients"
        else:
            try:
                he = _he_coefficients(K)
                facs = [1 / sp.sqrt(sp.factorial(k)) for k in range(K + 1)]
                coeffs = expectation_times_polynomials(f, he, var, factors=facs)
                return Expansion("hermite", tuple(coeffs), f, exact=True, method="exact")
            except NoClosedFormError as exc:
                why = str(exc)
        if exact:
            raise NoClosedFormError(f"{f} has no closed-form Hermite coefficients ({why}); "
                                    "call with exact=False or digits=N")
        notes.append(f"no closed form ({why}); computed numerically")
        _numeric_ready(f, var, f"no closed form: {why}")
    _numeric_ready(f, var)
    if digits is not None:
        vals, errs = _mp_integrals(f, K, digits, var)
        err = _mp_check(vals, errs, digits, f)
        coeffs = tuple(_to_float(v, digits) for v in vals)
        return Expansion("hermite", coeffs, f, exact=False, digits=digits, error=err,
                         method="mpmath-tanh-sinh", notes=tuple(notes))
    vals, err = _float_integrals(f, K, var)
    if err > 1e-10 * max(1.0, float(np.max(np.abs(vals)))):
        notes.append(f"float64 rule reached only an error of {err:.1e} (a singularity?); digits=N is more accurate")
    return Expansion("hermite", tuple(_py(v) for v in vals), f, exact=False, digits=None, error=err,
                     method="gauss-legendre", notes=tuple(notes))


def gaussian_mean(f: sp.Expr, *, exact: bool | None = None, digits: int | None = None,
                  var: sp.Symbol = Z) -> tuple[sp.Expr, bool, float]:
    """``E[f(Z)]``, ``Z ~ N(0,1)``, as ``(value, is_exact, error_estimate)``.

    Same policy as :func:`hermite_coefficients`: exact (sympy) when possible unless
    ``exact=False``; numeric values are ``sympy.Float`` at ``digits`` digits, or a Python float
    (``digits=None``).

    >>> gaussian_mean(sp.Max(0, Z)**2)
    (1/2, True, 0.0)
    >>> v, ex, err = gaussian_mean(sp.tanh(Z)**2, digits=25)
    >>> v, ex, err < 1e-25
    (0.3942944903978411744164598, False, True)
    """
    exact = _check_exact(exact)
    digits = _check_digits(digits)
    f = _check_function(f, var)
    # E|f| < infinity: log|f| - z^2/2 -> -infinity
    check_square_integrable(f, var, log_weight=lambda t: -t * t, name="f")
    why = ""
    if exact is not False:
        if f.has(sp.Float):
            why = "f contains floating-point numbers"
        else:
            try:
                return gaussian_expectation(f, var), True, 0.0
            except NoClosedFormError as exc:
                why = str(exc)
        if exact:
            raise NoClosedFormError(f"E[{f}] has no closed form ({why}); call with exact=False or digits=N")
    _numeric_ready(f, var, f"no closed form: {why}" if why else "")
    if digits is not None:
        with mpmath.workdps(digits + 10):
            fm = _mp_evaluable(f, var)
            pts = [mpmath.ninf, *_mp_breakpoints(f, var, digits + 10), mpmath.inf]
            v, e = mpmath.quad(lambda x: fm(x) * mpmath.npdf(x), pts, error=True)
            e = max(e, mpmath.mpf(10) ** (-(digits + 8)) * max(1, abs(v)))
        err = _mp_check([v], [e], digits, f)
        return _to_float(v, digits), False, err
    vals, err = _float_integrals(f, 0, var)
    return _py(vals[0]), False, err
