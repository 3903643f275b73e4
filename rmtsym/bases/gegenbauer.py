"""Gegenbauer expansions on the sphere S^{d-1}(sqrt d): exact, arbitrary precision, float64.

Convention: ``docs/conventions.md``, "Sphere". ``x`` is uniform on the sphere of radius
``sqrt d`` and ``t = <x, e>`` for a unit vector ``e``; ``t`` has the density

    p_d(t) = Gamma(d/2) / (sqrt(pi d) Gamma((d-1)/2)) * (1 - t^2/d)^((d-3)/2)  on [-sqrt d, sqrt d].

``q_k^{(d)}`` are the orthonormal polynomials of ``p_d`` with positive leading coefficient,
``q_k^{(d)}(t) = sqrt(B(d,k)) P_k(t/sqrt d)`` with ``P_k`` the Gegenbauer polynomial
``C_k^{((d-2)/2)}`` normalised by ``P_k(1) = 1``. They satisfy the three-term recurrence

    t q_k = a_{k+1} q_{k+1} + a_k q_{k-1},   a_k^2 = d k (k+d-3) / ((2k+d-2)(2k+d-4)),

(``q_0 = 1``, ``q_1 = t``; ``a_k^2 -> k`` as ``d -> oo``: the Hermite recurrence). The
Gegenbauer coefficients are ``g_k(f; d) = E[f(t) q_k^{(d)}(t)]`` and ``g_k -> c_k`` (the
Hermite coefficients) as ``d -> oo``. Moments: ``E t^{2m} = d^m (2m-1)!! / prod_{j<m}(d+2j)``
(``u = t/sqrt d`` has ``u^2 ~ Beta(1/2, (d-1)/2)``).

Exact values (sympy, integer or symbolic ``d``) for polynomials and for piecewise polynomials
(``relu``, ``abs``, ``sign``, clipping; kinks only at 0 when ``d`` is symbolic); numeric
values by quadrature in the angle ``theta`` (``t = sqrt(d) sin theta``, weight
``cos(theta)^(d-2)``, smooth at the ends), split at the kinks of ``f``: float64 composite
Gauss-Legendre, or mpmath tanh-sinh at ``digits`` significant digits.

>>> import sympy as sp
>>> harmonic_dimension(3, 2), harmonic_dimension(10, 3)
(5, 210)
>>> gegenbauer_polynomial(2, 3)
sqrt(5)*t**2/2 - sqrt(5)/2
>>> d = sp.Symbol("d", positive=True)
>>> gegenbauer_coefficients(Z**2, d, 2).coefficients
(1, 0, sqrt(2)*sqrt(d - 1)/sqrt(d + 2))
>>> gegenbauer_limit(Z**2, 2)
(1, 0, sqrt(2))
"""

from __future__ import annotations

import math
import numbers
from typing import Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import check_int, ConvergenceError, NoClosedFormError, ParameterError
from .expansion import Expansion
from .functions import Z, breakpoints, canonical, free_parameters, to_mpmath, to_numpy

__all__ = [
    "harmonic_dimension",
    "sphere_projection_density",
    "sphere_projection_logpdf",
    "sphere_moment",
    "gegenbauer_polynomial",
    "gegenbauer_coefficients",
    "gegenbauer_limit",
    "kernel_eigenvalues",
]

_T = sp.Symbol("t", real=True)
_D_INF = sp.Symbol("d", positive=True)


# ---------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------

def _check_d(d, *, numeric: bool = False):
    """Return ``d`` as a Python int, or the positive sympy Symbol itself."""
    if isinstance(d, sp.Symbol):
        if numeric:
            raise ParameterError("d", d, "a concrete integer >= 3 for a numeric evaluation",
                                 "numeric quadrature needs a number; exact=True works for polynomials")
        if d.is_positive:
            return d
        raise ParameterError("d", d, "an integer >= 3 or a positive sympy Symbol",
                             "declare it as sympy.Symbol('d', positive=True)")
    if isinstance(d, bool):
        raise ParameterError("d", d, "an integer >= 3")
    if isinstance(d, sp.Basic):
        if not (d.is_Integer or (d.is_Float and d == int(d))):
            raise ParameterError("d", d, "an integer >= 3")
        d = int(d)
    elif isinstance(d, numbers.Integral):
        d = int(d)
    elif isinstance(d, numbers.Real) and float(d).is_integer():
        d = int(d)
    else:
        raise ParameterError("d", d, "an integer >= 3")
    if d < 3:
        raise ParameterError("d", d, "an integer >= 3")
    return d


def _check_int(value, name: str, lo: int = 0, hi: int | None = None) -> int:
    return check_int(value, name, lo, hi)


# ---------------------------------------------------------------------------------------
# dimensions, density, moments
# ---------------------------------------------------------------------------------------

def harmonic_dimension(d, k: int):
    """``B(d, k)``: dimension of degree-``k`` spherical harmonics in R^d (``docs/conventions.md``, Sphere).

    ``B(d, k) = (2k+d-2)/k * binom(k+d-3, k-1)`` for ``k >= 1`` and ``B(d, 0) = 1``; an exact
    ``int`` for integer ``d``, a factored polynomial in ``d`` for a positive sympy Symbol.

    >>> [harmonic_dimension(3, k) for k in range(4)], harmonic_dimension(sp.Symbol("d", positive=True), 2)
    ([1, 3, 5, 7], (d - 1)*(d + 2)/2)
    """
    d = _check_d(d)
    k = _check_int(k, "k")
    if k == 0:
        return 1 if isinstance(d, int) else sp.Integer(1)
    if isinstance(d, int):
        return (2 * k + d - 2) * math.comb(k + d - 3, k - 1) // k
    out = (2 * k + d - 2) * sp.Mul(*[d - 2 + j for j in range(1, k)]) / sp.factorial(k)
    return sp.factor(out)


def _log_norm(d: int) -> float:
    """log of Gamma(d/2) / (sqrt(pi) Gamma((d-1)/2)), the normaliser of u = t/sqrt d.

    In mpmath: the float64 difference of two log-gammas loses ~log10(d) digits.
    """
    with mpmath.workdps(30):
        v = mpmath.loggamma(mpmath.mpf(d) / 2) - mpmath.loggamma(mpmath.mpf(d - 1) / 2)
        return float(v - mpmath.log(mpmath.pi) / 2)


def sphere_projection_density(d, t: sp.Symbol = _T) -> sp.Expr:
    """Normalised density ``p_d(t)`` of ``t = <x, e>``, x uniform on S^{d-1}(sqrt d) (Sphere convention).

    The expression is valid on ``[-sqrt d, sqrt d]`` (zero outside). ``d`` an integer >= 3 or a
    positive Symbol. For numerics at large ``d`` use :func:`sphere_projection_logpdf`.

    >>> sphere_projection_density(3), sphere_projection_density(5)
    (sqrt(3)/6, 3*sqrt(5)*(1 - t**2/5)/20)
    """
    d = _check_d(d)
    norm = sp.gamma(sp.Rational(d, 2) if isinstance(d, int) else d / 2) / (
        sp.sqrt(sp.pi * d) * sp.gamma(sp.Rational(d - 1, 2) if isinstance(d, int) else (d - 1) / 2))
    expo = sp.Rational(d - 3, 2) if isinstance(d, int) else (d - 3) / 2
    return norm * (1 - t**2 / d) ** expo


def sphere_projection_logpdf(t, d: int) -> np.ndarray:
    """``log p_d(t)`` in float64, vectorised, ``-inf`` outside ``[-sqrt d, sqrt d]`` (Sphere convention).

    Stable for large ``d`` (log-gamma normaliser, ``log1p``).

    >>> float(np.exp(sphere_projection_logpdf(0.0, 3)) * 2 * np.sqrt(3))
    1.0
    """
    d = _check_d(d, numeric=True)
    t = np.asarray(t, dtype=float)
    u2 = t * t / d
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = _log_norm(d) - 0.5 * math.log(d) + 0.5 * (d - 3) * np.log1p(-np.minimum(u2, 1.0))
    lp = np.where(u2 <= 1.0, lp, -np.inf)
    if d == 3:
        lp = np.where(u2 <= 1.0, _log_norm(d) - 0.5 * math.log(d), -np.inf)
    return lp


def _moment(n: int, d):
    """E t^n exactly (int d: Rational; symbolic d: rational function)."""
    if n % 2:
        return sp.Integer(0)
    m = n // 2
    if isinstance(d, int):
        num = d**m * math.prod(range(1, 2 * m, 2))
        den = math.prod(d + 2 * j for j in range(m))
        return sp.Rational(num, den)
    return d**m * sp.Integer(math.prod(range(1, 2 * m, 2))) / sp.Mul(*[d + 2 * j for j in range(m)])


def sphere_moment(n: int, d):
    """``E t^n`` under ``p_d`` (Sphere convention): ``d^m (2m-1)!! / prod_{j<m} (d+2j)`` for ``n = 2m``, 0 if odd.

    >>> sphere_moment(4, 10), sphere_moment(4, sp.Symbol("d", positive=True))
    (5/2, 3*d/(d + 2))
    """
    return _moment(_check_int(n, "n"), _check_d(d))


# ---------------------------------------------------------------------------------------
# the orthonormal polynomials
# ---------------------------------------------------------------------------------------

def _field(d, params: Sequence[sp.Symbol] = ()):
    """Exact arithmetic domain: QQ, or the rational functions QQ(d, params); and d as an element."""
    gens = ([] if isinstance(d, int) else [d]) + [p for p in params if p != d]
    F = sp.QQ.frac_field(*gens) if gens else sp.QQ
    return F, F.from_sympy(sp.Integer(d) if isinstance(d, int) else d)


def _monic(K: int, F, dF):
    """Monic orthogonal polynomials p_0..p_K (ascending coefficient lists over F) and h_k = E p_k^2.

    p_{k+1} = t p_k - a_k^2 p_{k-1}, a_k^2 = d k (k+d-3) / ((2k+d-2)(2k+d-4)); h_k = prod_{j<=k} a_j^2.
    """
    one, zero = F.one, F.zero

    def a2(k):
        return dF * k * (dF + (k - 3)) / ((dF + (2 * k - 2)) * (dF + (2 * k - 4)))

    ps = [[one], [zero, one]]
    hs = [one, one]
    for k in range(1, K):
        nxt = [zero] + ps[k]
        ak2 = a2(k)
        for i, c in enumerate(ps[k - 1]):
            nxt[i] = nxt[i] - ak2 * c
        ps.append(nxt)
        hs.append(hs[k] * a2(k + 1))
    return ps[:K + 1], hs[:K + 1]


def _a_float(K: int, d: int) -> np.ndarray:
    k = np.arange(1, K + 2, dtype=float)
    return np.sqrt(d * k * (k + d - 3) / ((2 * k + d - 2) * (2 * k + d - 4)))


def gegenbauer_polynomial(k: int, d, t: sp.Symbol = _T) -> sp.Expr:
    """``q_k^{(d)}(t)``, orthonormal under ``p_d`` with positive leading coefficient (Sphere convention).

    ``q_k^{(d)}(t) = sqrt(B(d,k)) P_k(t/sqrt d)``, ``P_k`` the Gegenbauer polynomial with ``P_k(1) = 1``.
    For a symbolic ``d`` the coefficients are algebraic functions of ``d``.

    >>> gegenbauer_polynomial(1, 7), gegenbauer_polynomial(3, 3)
    (t, 5*sqrt(21)*t**3/18 - sqrt(21)*t/2)
    """
    k = _check_int(k, "k")
    d = _check_d(d)
    F, dF = _field(d)
    ps, hs = _monic(k, F, dF)
    if isinstance(d, int):
        return sp.expand(sum((F.to_sympy(c) * t**i for i, c in enumerate(ps[k])), sp.Integer(0))
                         / sp.sqrt(F.to_sympy(hs[k])))
    p = sum((sp.factor(F.to_sympy(c)) * t**i for i, c in enumerate(ps[k]) if c), sp.Integer(0))
    return p / sp.sqrt(sp.factor(F.to_sympy(hs[k])))


# ---------------------------------------------------------------------------------------
# exact coefficients
# ---------------------------------------------------------------------------------------

_LO, _HI = "lo", "hi"   # the ends -sqrt d, +sqrt d of the support
_G = sp.Dummy("G", positive=True)  # stands for gamma(d/2)/gamma(d/2 + 1/2) (symbolic d, kink at 0)


def _interval_moment_F(n: int, F, dF, lo, hi):
    """(A, B) in F with int_lo^hi t^n p_d(t) dt = A + B X, X = sqrt(d) Gamma(d/2) / (sqrt(pi) Gamma((d+1)/2)).

    Full interval: the moments; half intervals: for odd n = 2m+1,
    int_0^{sqrt d} t^n p_d = d^{n/2} m! Gamma(d/2) / (2 sqrt(pi) Gamma((d+n)/2)) = X d^m m! / (2 prod_{j<m} ((d+1)/2 + j)).
    """
    zero = F.zero
    if n % 2 == 0:
        m = n // 2
        M = dF**m * math.prod(range(1, 2 * m, 2))
        for j in range(m):
            M = M / (dF + 2 * j)
        if lo == _LO and hi == _HI:
            return M, zero
        return M / 2, zero
    if lo == _LO and hi == _HI:
        return zero, zero
    m = (n - 1) // 2
    B = dF**m * math.factorial(m) / 2
    for j in range(m):
        B = B / ((dF + 1) / 2 + j)
    return zero, (B if lo == 0 else -B)


def _trig_moment(n: int, d: int, s1, s2):
    """int over t in [s1 sqrt d, s2 sqrt d] of t^n p_d(t) dt, exactly, for integer d.

    With t = sqrt(d) sin(theta) the integrand is C d^{n/2} sin^n cos^{d-2}, C = Gamma(d/2) /
    (sqrt(pi) Gamma((d-1)/2)); the trigonometric monomial is expanded in a Fourier sum
    ((z - 1/z)/2i)^n ((z + 1/z)/2)^m, z = e^{i theta}, and integrated term by term.
    """
    m = d - 2
    a = [math.comb(n, i) * (-1) ** i for i in range(n + 1)]          # exponents n - 2i
    b = [math.comb(m, l) for l in range(m + 1)]                        # exponents m - 2l
    conv = np.convolve(np.array(a, dtype=object), np.array(b, dtype=object))  # exponent n+m-2r
    coef = {n + m - 2 * r: int(c) for r, c in enumerate(conv)}
    s_ = (sp.sympify(s1), sp.sympify(s2))
    th = [sp.asin(s) for s in s_]
    cs = [sp.sqrt(1 - s**2) for s in s_]

    def sin_j(j, i):  # sin(j theta_i) = sin(theta_i) U_{j-1}(cos theta_i)
        return sp.expand(s_[i] * sp.chebyshevu(j - 1, cs[i]))

    def cos_j(j, i):  # cos(j theta_i) = T_j(cos theta_i)
        return sp.expand(sp.chebyshevt(j, cs[i]))

    total = sp.Integer(0)
    if n % 2 == 0:
        sgn = (-1) ** (n // 2)
        for j, c in coef.items():
            if j < 0 or c == 0:
                continue
            if j == 0:
                total += c * (th[1] - th[0])
            else:
                total += 2 * c * (sin_j(j, 1) - sin_j(j, 0)) / j
    else:
        sgn = (-1) ** ((n - 1) // 2)
        for j, c in coef.items():
            if j <= 0 or c == 0:
                continue
            total += 2 * c * (cos_j(j, 0) - cos_j(j, 1)) / j
    norm = sp.gamma(sp.Rational(d, 2)) / (sp.sqrt(sp.pi) * sp.gamma(sp.Rational(d - 1, 2)))
    return sp.Integer(d) ** sp.Rational(n, 2) * norm * total / (sgn * sp.Integer(2) ** (n + m))


def _trig_interval(n: int, d, lo, hi):
    if not isinstance(d, int):
        raise NoClosedFormError("exact Gegenbauer coefficients with symbolic d need kinks only at z = 0")
    s1 = -1 if lo == _LO else lo / sp.sqrt(d)
    s2 = 1 if hi == _HI else hi / sp.sqrt(d)
    return _trig_moment(n, d, s1, s2)


def _sign_at(expr: sp.Expr, var: sp.Symbol, x) -> int:
    v = expr.subs(var, x)
    return 1 if v > 0 else 0


def _split(g: sp.Expr, var: sp.Symbol, d, lo, hi, strict: bool, kinks: set):
    """Resolve the Heaviside factors of ``g`` on (lo, hi), innermost first: [(poly expr, lo, hi)].

    ``lo``/``hi`` are exact points or the ends ``_LO``/``_HI``; kink locations found are added to
    ``kinks``. With ``strict`` an unsupported kink raises NoClosedFormError, otherwise the
    search stops there (the numeric path only needs the kinks it can locate).
    """
    inner = [h for h in g.atoms(sp.Heaviside) if not h.args[0].has(sp.Heaviside)]
    if not inner:
        return [(g, lo, hi)]
    sym = not isinstance(d, int)
    a = -sp.sqrt(d) if lo == _LO else lo
    b = sp.sqrt(d) if hi == _HI else hi
    roots = set()
    for h in inner:
        arg = h.args[0]
        try:
            poly = sp.Poly(arg, var)
            ok = not (poly.free_symbols - {var}) and poly.degree() >= 1
        except sp.PolynomialError:
            ok = False
        if not ok:
            if strict:
                raise NoClosedFormError(f"the kink argument {arg} is not a polynomial in {var} with numeric "
                                        "coefficients")
            return [(g, lo, hi)]
        for r in sp.real_roots(poly):
            if strict and isinstance(r, sp.CRootOf):
                raise NoClosedFormError(f"the kink {r.evalf(8)} of {arg} is not a closed-form number")
            if sym:
                inside = (lo == _LO or r > lo) and (hi == _HI or r < hi)
                if inside and r != 0:
                    if strict:
                        raise NoClosedFormError("with symbolic d, kinks are supported only at z = 0 "
                                                "(give an integer d)")
                    continue
                if inside:
                    roots.add(r)
            elif (lo == _LO or r > lo) and (hi == _HI or r < hi) and r > a and r < b:
                roots.add(r)
    kinks.update(roots)
    edges = [lo, *sorted(roots), hi]
    out = []
    for e0, e1 in zip(edges[:-1], edges[1:]):
        if sym:
            mid = sp.Rational(-1, 2) if e1 == 0 else sp.Rational(1, 2)
            if e0 == _LO and e1 == _HI:
                mid = sp.Integer(0)
        else:
            x0 = a if e0 == _LO else e0
            x1 = b if e1 == _HI else e1
            mid = (x0 + x1) / 2
        piece = g.xreplace({h: sp.Integer(_sign_at(h.args[0], var, mid)) for h in inner})
        out.extend(_split(piece, var, d, e0, e1, strict, kinks))
    return out


def _indicator(cond) -> sp.Expr:
    """Heaviside form of a one-variable condition (equal to it almost everywhere)."""
    if cond is sp.true:
        return sp.Integer(1)
    if cond is sp.false:
        return sp.Integer(0)
    if isinstance(cond, (sp.StrictLessThan, sp.LessThan)):
        return sp.Heaviside(cond.rhs - cond.lhs)
    if isinstance(cond, (sp.StrictGreaterThan, sp.GreaterThan)):
        return sp.Heaviside(cond.lhs - cond.rhs)
    if isinstance(cond, sp.And):
        return sp.Mul(*[_indicator(c) for c in cond.args])
    if isinstance(cond, sp.Not):
        return 1 - _indicator(cond.args[0])
    if isinstance(cond, sp.Or):
        return 1 - sp.Mul(*[1 - _indicator(c) for c in cond.args])
    raise NoClosedFormError(f"condition {cond} is not supported")


def _canonical_pw(f: sp.Expr) -> sp.Expr:
    """canonical(f) with Piecewise written as sums of Heaviside products."""
    def pw(*args):
        out, rest = sp.Integer(0), sp.Integer(1)
        for e, c in args:
            ind = _indicator(c)
            out += e * rest * ind
            rest = rest * (1 - ind)
        return out

    g = sp.sympify(f)
    if g.has(sp.Piecewise):
        g = g.replace(sp.Piecewise, lambda *pairs: pw(*[(p.args[0], p.args[1]) for p in pairs]))
    return canonical(g)


def _pieces(f: sp.Expr, var: sp.Symbol, d):
    """Split f into polynomial pieces on intervals of [-sqrt d, sqrt d]: [(ascending coeffs, lo, hi)].

    Raises NoClosedFormError when f is not piecewise polynomial with closed-form kinks.
    """
    if f.is_polynomial(var):
        return [(sp.Poly(f, var).all_coeffs()[::-1], _LO, _HI)]
    g = _canonical_pw(f)
    if g.has(sp.DiracDelta) or g.has(sp.Piecewise):
        raise NoClosedFormError(f"no exact Gegenbauer coefficients for {f}: DiracDelta/Piecewise unsupported")
    try:
        raw = _split(g, var, d, _LO, _HI, True, set())
    except NoClosedFormError as exc:
        raise NoClosedFormError(f"no exact Gegenbauer coefficients for {f}: {exc}") from None
    out = []
    for piece, lo, hi in raw:
        piece = sp.expand(piece)
        if not piece.is_polynomial(var):
            raise NoClosedFormError(
                f"no exact Gegenbauer coefficients for {f}: it is not piecewise polynomial in {var} "
                "(use exact=False, or digits=N for arbitrary precision)")
        out.append((sp.Poly(piece, var).all_coeffs()[::-1], lo, hi))
    return out


def _gamma_ratio(d):
    d = sp.sympify(d)
    return sp.gamma(d / 2) / sp.gamma(d / 2 + sp.Rational(1, 2))


def _exact_coefficients(f: sp.Expr, var: sp.Symbol, d, K: int, keep_g: bool = False) -> tuple:
    """Exact g_0..g_K; with ``keep_g`` (symbolic d) gamma(d/2)/gamma(d/2+1/2) is left as the Dummy _G."""
    pieces = _pieces(f, var, d)
    params = free_parameters(f, var)
    F, dF = _field(d, params)
    try:
        bF = [[F.from_sympy(b) for b in coeffs] for coeffs, _, _ in pieces]
    except (sp.polys.polyerrors.CoercionFailed, sp.polys.polyerrors.GeneratorsError, ValueError):
        F, dF = _field(d)
        bF = None
    ps, hs = _monic(K, F, dF)
    maxdeg = max(len(c) for c, _, _ in pieces) - 1 + K
    sym = not isinstance(d, int)
    X = sp.sqrt(d) * (_G if sym else _gamma_ratio(d)) / sp.sqrt(sp.pi)
    if sym and not keep_g:
        X = X.subs(_G, _gamma_ratio(d))
    # moments per piece: (A, B) in F, or a sympy value C for a general interval (integer d)
    mom = []
    for _, lo, hi in pieces:
        special = (lo in (_LO, 0) and hi in (_HI, 0))
        mom.append([(_interval_moment_F(n, F, dF, lo, hi) + (sp.Integer(0),)) if special
                    else (F.zero, F.zero, _trig_interval(n, d, lo, hi)) for n in range(maxdeg + 1)])
    tidy = sp.factor if (sym or params) else (lambda e: e)
    out = []
    for k in range(K + 1):
        A, Bx, C = F.zero, F.zero, sp.Integer(0)
        A_s, B_s = sp.Integer(0), sp.Integer(0)
        for pi_, (coeffs, _, _) in enumerate(pieces):
            for j, b in enumerate(coeffs):
                if b == 0:
                    continue
                SA, SB, SC = F.zero, F.zero, sp.Integer(0)
                for i, p in enumerate(ps[k]):
                    if p:
                        a_, b_, c_ = mom[pi_][i + j]
                        SA += p * a_
                        SB += p * b_
                        if c_ != 0:
                            SC += F.to_sympy(p) * c_
                if bF is not None:
                    A += bF[pi_][j] * SA
                    Bx += bF[pi_][j] * SB
                else:
                    A_s += b * F.to_sympy(SA)
                    B_s += b * F.to_sympy(SB)
                C += b * SC
        if bF is not None:
            A_s, B_s = tidy(F.to_sympy(A)), tidy(F.to_sympy(Bx))
        else:
            A_s, B_s = sp.factor(sp.together(A_s)), sp.factor(sp.together(B_s))
        num = A_s + B_s * X + C
        h = F.to_sympy(hs[k])
        if sym:
            val = sp.Integer(0) if num == 0 else num / sp.sqrt(sp.factor(h))
        else:
            val = num / sp.sqrt(h)
            val = sp.radsimp(sp.expand(val)) if (C != 0 or B_s != 0) else val
            if params:
                val = sp.factor(val)
        out.append(val)
    return tuple(out)


# ---------------------------------------------------------------------------------------
# numeric coefficients
# ---------------------------------------------------------------------------------------

def _theta_kinks(f: sp.Expr, d: int, high: bool = False) -> list:
    """Kinks of f inside (-sqrt d, sqrt d), as angles asin(t/sqrt d): floats, or mpf at mpmath.mp.dps.

    Kinks known in closed form (roots of Heaviside arguments, innermost first) are located at
    full precision; others come from :func:`breakpoints` (float64).
    """
    r = math.sqrt(d)
    exact: set = set()
    try:
        _split(_canonical_pw(f), Z, d, _LO, _HI, False, exact)
    except (TypeError, ValueError, NotImplementedError, NoClosedFormError):
        pass
    exact = {k for k in exact if k**2 < d}
    out = []
    for k in exact:
        if high:
            x = mpmath.mpf(str(sp.N(k, mpmath.mp.dps + 10)))
            out.append(mpmath.asin(x / mpmath.sqrt(d)))
        else:
            out.append(math.asin(float(k) / r))
    known = [float(k) for k in exact]
    for b in breakpoints(f):
        if -r < b < r and all(abs(b - k) > 1e-9 * max(1.0, abs(k)) for k in known):
            out.append(mpmath.asin(mpmath.mpf(b) / mpmath.sqrt(d)) if high else math.asin(b / r))
    return sorted(out)


def _logcos(th: np.ndarray) -> np.ndarray:
    """log(cos theta) accurate near 0 (log1p(-2 sin^2(theta/2)))."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log1p(-2.0 * np.sin(th / 2) ** 2)


def _log_abs_f(f: sp.Expr, fnum, t: np.ndarray) -> np.ndarray:
    """log|f(t)| in float64; points where f overflows are redone in mpmath (e.g. exp(z) at t = 900)."""
    with np.errstate(all="ignore"):
        v = np.abs(fnum(t))
        out = np.log(v)
    bad = np.nonzero(~np.isfinite(v))[0]
    if bad.size:
        fmp = to_mpmath(f)
        with mpmath.workdps(20):
            for i in bad:
                try:
                    x = abs(mpmath.mpc(fmp(mpmath.mpf(float(t[i])))))
                    out[i] = float(mpmath.log(x)) if mpmath.isfinite(x) and x > 0 else np.inf
                except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                    out[i] = np.inf
    return out


def _support(f: sp.Expr, fnum, d: int, K: int, log_drop: float) -> tuple[float, float]:
    """Angles [th_lo, th_hi] outside which |f| (1+|t|)^K p_d < exp(-log_drop) * max (float64 scan)."""
    std = 1.0 / math.sqrt(d - 1)
    grid = np.unique(np.concatenate([np.linspace(0, math.pi / 2, 2001),
                                     np.linspace(0, min(math.pi / 2, 60 * std), 2001)]))
    out = []
    lc = _log_norm(d)
    for sgn in (-1.0, 1.0):
        th = sgn * grid
        t = math.sqrt(d) * np.sin(th)
        lf = _log_abs_f(f, fnum, t)
        with np.errstate(all="ignore"):
            s = lc + (d - 2) * _logcos(th) + K * np.log1p(np.abs(t)) + lf
        s = np.where(np.isnan(s), -np.inf, s)
        out.append(s)
    smax = max(np.max(s) for s in out)
    if not np.isfinite(smax):
        if smax > 0:  # f is infinite somewhere: keep the whole range (the quadrature reports it)
            return -math.pi / 2, math.pi / 2
        return -1e-3, 1e-3  # f vanishes (numerically) everywhere
    ends = []
    for sgn, s in zip((-1.0, 1.0), out):
        big = np.nonzero(s >= smax - log_drop)[0]
        i = big[-1] + 1 if big.size else 1
        ends.append(sgn * (grid[i] if i < grid.size else math.pi / 2))
    return ends[0], ends[1]


def _panels(lo, hi, kinks: Sequence, width: float) -> list[tuple]:
    """Panels of width <= ``width`` covering [lo, hi], with the kinks as panel edges (float or mpf)."""
    edges = sorted({lo, hi, *[k for k in kinks if lo < k < hi]})
    out = []
    for a, b in zip(edges[:-1], edges[1:]):
        n = max(1, math.ceil(float(b - a) / width))
        pts = [a + (b - a) * i / n for i in range(n)] + [b]
        out.extend(zip(pts[:-1], pts[1:]))
    return out


def _qk_float(t: np.ndarray, K: int, d: int) -> np.ndarray:
    a = _a_float(K, d)
    Q = np.empty((K + 1, t.size))
    Q[0] = 1.0
    if K >= 1:
        Q[1] = t
    for k in range(1, K):
        Q[k + 1] = (t * Q[k] - a[k - 1] * Q[k - 1]) / a[k]
    return Q


def _numeric_float(f: sp.Expr, d: int, K: int):
    fnum = to_numpy(f)
    kinks = _theta_kinks(f, d)
    lo, hi = _support(f, fnum, d, K, log_drop=50.0)
    width = 1.0 / math.sqrt(d - 1)
    panels = _panels(lo, hi, kinks, width)
    lc = _log_norm(d)
    a = np.array([p[0] for p in panels])
    b = np.array([p[1] for p in panels])

    def rule(n):
        x, w = np.polynomial.legendre.leggauss(n)
        th = ((b - a)[:, None] * (x[None, :] + 1) / 2 + a[:, None]).ravel()
        ww = ((b - a)[:, None] / 2 * w[None, :]).ravel()
        t = math.sqrt(d) * np.sin(th)
        lw = lc + (d - 2) * _logcos(th)
        F = fnum(t)
        if not np.all(np.isfinite(F)):
            bad = t[~np.isfinite(F)][0]
            raise ParameterError("f", str(f), f"a function finite on [-sqrt d, sqrt d] = [-{math.sqrt(d):.4g}, "
                                 f"{math.sqrt(d):.4g}]", f"it is not finite at t = {bad:.6g}")
        wf = ww * np.exp(lw) * F
        Q = _qk_float(t, K, d)
        terms = Q * wf[None, :]
        return terms.sum(axis=1), np.abs(terms).sum(axis=1), float(np.sum(ww * np.exp(lw) * F * F))

    n = max(24, K + 8)
    prev, _, _ = rule(n)
    for _ in range(5):
        n *= 2
        cur, absum, norm2 = rule(n)
        diff = float(np.max(np.abs(cur - prev)))
        floor = float(np.max(absum)) * 8 * np.finfo(float).eps
        err = max(diff, floor)
        if diff <= 1e-14 * max(math.sqrt(max(norm2, 0.0)), 1e-300) or diff <= floor:
            break
        prev = cur
    scale = math.sqrt(max(norm2, 0.0))
    if err > 1e-8 * max(scale, 1e-300):
        raise ConvergenceError(f"float64 quadrature of the Gegenbauer coefficients of {f} at d = {d} did not "
                               f"converge (error estimate {err:.2e}); is f smooth between its kinks?")
    return tuple(float(v) for v in cur), err


def _float_norm(fnum, d: int, panels) -> float:
    """Rough float64 sqrt(E f(t)^2) over the panels (sets the absolute tolerance)."""
    x, w = np.polynomial.legendre.leggauss(32)
    a = np.array([p[0] for p in panels])
    b = np.array([p[1] for p in panels])
    th = ((b - a)[:, None] * (x[None, :] + 1) / 2 + a[:, None]).ravel()
    ww = ((b - a)[:, None] / 2 * w[None, :]).ravel()
    with np.errstate(all="ignore"):
        lw = _log_norm(d) + (d - 2) * _logcos(th)
        F = fnum(math.sqrt(d) * np.sin(th))
        v = np.nansum(ww * np.exp(lw) * F * F)
    return float(math.sqrt(v)) if np.isfinite(v) and v > 0 else 1.0


def _numeric_mpmath(f: sp.Expr, d: int, K: int, digits: int):
    fnum = to_numpy(f)
    target = digits + 5
    lo, hi = _support(f, fnum, d, K, log_drop=target * math.log(10) + 10)
    with mpmath.workdps(digits + 15):
        kinks = _theta_kinks(f, d, high=True)
        panels = _panels(mpmath.mpf(lo), mpmath.mpf(hi), kinks, 2.0 / math.sqrt(d - 1))
        fmp = to_mpmath(f)
        prec = mpmath.mp.prec
        ts = mpmath.calculus.quadrature.TanhSinh(mpmath.mp)
        sd = mpmath.sqrt(d)
        lc = mpmath.loggamma(mpmath.mpf(d) / 2) - mpmath.loggamma(mpmath.mpf(d - 1) / 2) - mpmath.log(mpmath.pi) / 2
        a = [mpmath.mpf(1)] + [mpmath.sqrt(mpmath.mpf(d * k * (k + d - 3)) / ((2 * k + d - 2) * (2 * k + d - 4)))
                               for k in range(1, K + 2)]
        # absolute tolerance per panel: 10^-(digits+5) sqrt(E f^2) / (number of panels)
        tol = mpmath.mpf(10) ** (-target) / len(panels)
        scale = mpmath.mpf(_float_norm(fnum, d, [(float(a), float(b)) for a, b in panels])) or mpmath.mpf(1)
        total = [mpmath.mpf(0)] * (K + 1)
        total_norm = mpmath.mpf(0)
        err_total = mpmath.mpf(0)

        def vec(theta):
            t = sd * mpmath.sin(theta)
            c = mpmath.cos(theta)
            if c <= 0:
                return [mpmath.mpf(0)] * (K + 2)
            wf = mpmath.exp(lc + (d - 2) * mpmath.log(c)) if d > 2 else mpmath.mpf(1)
            fv = fmp(t)
            if not mpmath.isfinite(fv):
                raise ParameterError("f", str(f), "a function finite on [-sqrt d, sqrt d]",
                                     f"it is not finite at t = {mpmath.nstr(t, 8)}")
            v = wf * fv
            q0, q1 = mpmath.mpf(1), t
            out = [v, v * t] if K >= 1 else [v]
            for k in range(1, K):
                q0, q1 = q1, (t * q1 - a[k] * q0) / a[k + 1]
                out.append(v * q1)
            out.append(v * fv)
            return out

        for pa, pb in panels:
            pa, pb = mpmath.mpf(pa), mpmath.mpf(pb)
            results = []
            S = None
            for level in range(1, 14):
                h = mpmath.ldexp(1, -level)
                nodes = ts.get_nodes(pa, pb, level, prec)
                acc = [mpmath.mpf(0)] * (K + 2)
                for x, w in nodes:
                    for i, v in enumerate(vec(x)):
                        acc[i] += w * v
                S = [acc[i] * h + (S[i] / 2 if S is not None else 0) for i in range(K + 2)]
                results.append(S)
                if level >= 3:
                    err = max(_ts_error(results, i, prec) for i in range(K + 2))
                    if err <= tol * scale:
                        break
            else:
                raise ConvergenceError(f"tanh-sinh quadrature of the Gegenbauer coefficients of {f} at d = {d} "
                                       f"did not reach {digits} digits (error estimate {mpmath.nstr(err, 3)})")
            for i in range(K + 1):
                total[i] += S[i]
            total_norm += S[K + 1]
            err_total += err
        norm = mpmath.sqrt(abs(total_norm))
        if err_total > mpmath.mpf(10) ** (-digits) * max(norm, mpmath.mpf(10) ** (-digits)):
            raise ConvergenceError(f"quadrature error {mpmath.nstr(err_total, 3)} exceeds the {digits}-digit target")
        vals = tuple(sp.Float(v, digits) for v in total)
        vmax = max((abs(v) for v in total), default=mpmath.mpf(0))
    # quadrature error + truncation of the tails + rounding to `digits` significant digits
    return vals, float(err_total + norm * mpmath.mpf(10) ** (-target) + vmax * mpmath.mpf(10) ** (-digits))


def _ts_error(results, i, prec):
    """mpmath's tanh-sinh error estimate, for component i of vector-valued results."""
    r1, r2, r3 = results[-1][i], results[-2][i], results[-3][i]
    if r1 == r2 == r3:
        return mpmath.mpf(0)
    try:
        D1 = mpmath.log(abs(r1 - r2), 10)
        D2 = mpmath.log(abs(r1 - r3), 10)
    except ValueError:
        return mpmath.mpf(2) ** (-prec)
    if D2 == 0 or not mpmath.isfinite(D1) or not mpmath.isfinite(D2):
        return abs(r1 - r2)
    D4 = min(0, max(D1**2 / D2, 2 * D1, -prec * 0.30103))
    return mpmath.mpf(10) ** int(D4)


# ---------------------------------------------------------------------------------------
# public entry points
# ---------------------------------------------------------------------------------------

def _prepare(f, var):
    f = sp.sympify(f)
    if var != Z:
        f = f.subs(var, Z)
    return f


def gegenbauer_coefficients(f, d, degree: int, *, exact: bool | None = None, digits: int | None = None,
                            var: sp.Symbol = Z) -> Expansion:
    """Gegenbauer coefficients ``g_0 .. g_degree`` of ``f`` on S^{d-1}(sqrt d) (``docs/conventions.md``, Sphere).

    ``g_k(f; d) = E[f(t) q_k^{(d)}(t)]``, ``t = <x, e>``. Returns an :class:`Expansion` with
    ``basis="gegenbauer"`` and ``dim=d``.

    * ``exact=True``: sympy closed forms, for ``d`` an integer or a positive Symbol (then
      algebraic functions of ``d``, with ``gamma(d/2)/gamma(d/2 + 1/2)`` for odd kinks):
      polynomials in ``z`` (free parameters allowed), and piecewise polynomials built from
      ``Max, Min, Abs, sign, Heaviside`` with rational kinks (only at 0 for symbolic ``d``).
      Anything else raises :class:`NoClosedFormError`.
    * ``exact=False``: numeric; ``digits=None`` float64 (composite Gauss-Legendre in the angle,
      resolution doubled until stable; ``error`` is the change at the last doubling), or
      ``digits=N`` (1..1000) mpmath tanh-sinh with ``N + 15`` working digits, values
      ``sympy.Float(v, N)``, absolute error about ``10^-N * sqrt(E f^2)``. Needs an integer
      ``d`` and no free parameters.
    * ``exact=None`` (default): exact when possible (a polynomial; or a piecewise polynomial
      with symbolic ``d``), numeric otherwise. With ``digits`` given, an exact result is
      returned evaluated to ``digits`` digits.

    >>> gegenbauer_coefficients(Z**3, 3, 3).coefficients
    (0, 9/5, 0, 6*sqrt(21)/35)
    >>> e = gegenbauer_coefficients(sp.tanh(Z), 10, 3)
    >>> e.method, round(e[1], 10), bool(e.error < 1e-12)
    ('gauss-legendre-theta', 0.6249780773, True)
    """
    degree = _check_int(degree, "degree")
    if digits is not None:
        digits = _check_int(digits, "digits", 1, 1000)
    if exact not in (None, True, False):
        raise ParameterError("exact", exact, "True, False or None")
    d = _check_d(d)
    f = _prepare(f, var)
    params = [p for p in free_parameters(f) if p != d]

    if exact is None:
        if f.is_polynomial(Z) or not isinstance(d, int):
            if params or not isinstance(d, int):
                digits = None  # symbolic input: an exact answer, there is nothing to evaluate
            try:
                vals = _exact_coefficients(f, Z, d, degree)
            except NoClosedFormError as exc:
                raise ParameterError("d", d, "a concrete integer >= 3 for a numeric evaluation", str(exc)) from None
            if digits is None:
                return Expansion("gegenbauer", vals, f, exact=True, dim=d, method="exact")
            vals = tuple(sp.Float(sp.N(v, digits + 5), digits) for v in vals)
            return Expansion("gegenbauer", vals, f, exact=False, digits=digits, error=0.0, dim=d,
                             method="exact-evaluated")
        exact = False
    if exact:
        vals = _exact_coefficients(f, Z, d, degree)
        return Expansion("gegenbauer", vals, f, exact=True, dim=d, method="exact")

    d = _check_d(d, numeric=True)
    if params:
        raise ParameterError("parameters", [str(p) for p in params], "numeric values for a numeric evaluation",
                             "substitute them, or use exact=True for a polynomial")
    if digits is None:
        vals, err = _numeric_float(f, d, degree)
        return Expansion("gegenbauer", vals, f, exact=False, digits=None, error=err, dim=d,
                         method="gauss-legendre-theta")
    vals, err = _numeric_mpmath(f, d, degree, digits)
    return Expansion("gegenbauer", vals, f, exact=False, digits=digits, error=err, dim=d,
                     method="mpmath-tanh-sinh")


def gegenbauer_limit(f, degree: int, *, var: sp.Symbol = Z) -> tuple:
    """``lim_{d -> oo} g_k(f; d)`` for ``k = 0..degree``, from the exact ``g_k`` with symbolic ``d`` (sympy limit).

    Equals the Hermite coefficients ``c_k = E[f(G) He_k(G)]/sqrt(k!)`` (Sphere and Gaussian
    conventions). Works for the functions :func:`gegenbauer_coefficients` handles exactly with
    symbolic ``d`` (polynomials, piecewise polynomials with a kink at 0).

    >>> gegenbauer_limit(sp.Max(0, Z), 2)
    (sqrt(2)/(2*sqrt(pi)), 1/2, 1/(2*sqrt(pi)))
    """
    d = _D_INF
    degree = _check_int(degree, "degree")
    f = _prepare(f, var)
    if any(s.name == "d" for s in f.free_symbols):
        raise ParameterError("f", str(f), "an expression without a symbol named d")
    # g_k = A(d) + B(d) G(d) with G = gamma(d/2)/gamma(d/2 + 1/2) (only for kinks at 0), where A and
    # B G are the coefficients of the even/odd-under-sign parts of f, hence bounded separately;
    # since G(d) sqrt(d/2) -> 1 the limit is that of A + B sqrt(2/d).
    vals = _exact_coefficients(f, Z, d, degree, keep_g=True)
    out = []
    for v in vals:
        v = sp.sympify(v).subs(_G, sp.sqrt(2 / d))
        lim = sp.limit(v, d, sp.oo)
        if lim.has(sp.Limit, d, sp.oo, -sp.oo, sp.zoo, sp.nan):
            raise NoClosedFormError(f"sympy could not take the limit d -> oo of {v}")
        out.append(sp.simplify(lim))
    return tuple(out)


def kernel_eigenvalues(f, d, degree: int, **kwargs) -> tuple:
    """Eigenvalues ``lambda_k = g_k / sqrt(B(d,k))``, ``k = 0..degree``, of the kernel ``f(<x,y>/sqrt d)``.

    Addition theorem (Funk-Hecke; Sphere convention): the integral operator
    ``(T h)(x) = E_y[f(<x,y>/sqrt d) h(y)]``, ``y`` uniform on S^{d-1}(sqrt d), has eigenvalue
    ``lambda_k = E[f(t) P_k(t/sqrt d)]`` on the ``B(d,k)``-dimensional space of degree-``k``
    harmonics. Keyword arguments go to :func:`gegenbauer_coefficients`; the values have its types.

    >>> kernel_eigenvalues(Z**2, sp.Symbol("d", positive=True), 2)
    (1, 0, 2/(d + 2))
    """
    e = gegenbauer_coefficients(f, d, degree, **kwargs)
    d = _check_d(d)
    out = []
    for k, g in enumerate(e.coefficients):
        B = harmonic_dimension(d, k)
        if e.exact:
            out.append(sp.simplify(g / sp.sqrt(B)) if not isinstance(d, int) else sp.radsimp(g / sp.sqrt(B)))
        elif e.digits is not None:
            out.append(sp.Float(g / sp.sqrt(sp.Integer(B)).evalf(e.digits + 5), e.digits))
        else:
            out.append(g / math.sqrt(B))
    return tuple(out)
