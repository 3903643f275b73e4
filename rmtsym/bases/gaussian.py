"""Exact Gaussian expectations ``E[f(Z)]``, ``Z ~ N(0,1)``, by rules (no ``sympy.integrate``).

Convention: docs/conventions.md, "Gaussian". The expression is brought to canonical form
(:func:`rmtsym.bases.functions.canonical`: ``Max, Min, Abs, sign, erfc`` become ``Heaviside``
and ``erf``), ``sin, cos, sinh, cosh`` are written with ``exp``, and the expansion is split
into terms ``c * z^n * exp(alpha z^2 + beta z) * K(z)`` where the kernel ``K`` is

* 1: completing the square gives the moments of ``N(mu, s^2)``;
* a product of ``Heaviside(a z + b)`` (an interval): incomplete moments,
  ``T_n = mu T_{n-1} + s^2 ((n-1) T_{n-2} + t^{n-1} p(t))``;
* one ``erf(a z + b)``, or two with ``a_i mu + b_i = 0``: Stein's lemma
  ``E[(W - mu) g(W)] = s^2 E[g'(W)]``, with base cases ``E erf(aW + b) =
  erf((a mu + b)/sqrt(1 + 2 a^2 s^2))`` and the arcsine law for two centred erf;
* a ``DiracDelta(a z + b)`` (or a derivative) times anything smooth: evaluation.

Anything else (``tanh``, sigmoid, ``log``, ``erf * Heaviside``, ``erf(z) erf(z + 1)``...)
raises :class:`~rmtsym.errors.NoClosedFormError` naming the factor. Symbols other than the
variable are real parameters and stay symbolic; the sign of a symbolic slope inside a
``Heaviside`` must be known from the symbol's assumptions (``positive=True``).

>>> import sympy as sp
>>> from rmtsym.bases.functions import Z
>>> gaussian_expectation(sp.Max(0, Z))
sqrt(2)/(2*sqrt(pi))
>>> gaussian_expectation(Z * sp.sin(Z))
exp(-1/2)
>>> a = sp.Symbol("a", real=True)
>>> gaussian_expectation(sp.erf(a * Z + 1))
erf(1/sqrt(2*a**2 + 1))
"""

from __future__ import annotations

from typing import Iterable

import sympy as sp

from ..errors import NoClosedFormError, ParameterError
from .functions import Z, canonical

__all__ = ["gaussian_expectation", "expectation_times_polynomials", "tidy"]

_CACHE_MAX = 4096
_moment_cache: dict = {}


# --------------------------------------------------------------------------------------------
# decomposition into (coefficient, power of z, kernel)
# --------------------------------------------------------------------------------------------

class _Kernel(tuple):
    """``(alpha, beta, erfs, lo, hi)``: ``exp(alpha z^2 + beta z) * prod erf(a z + b) * 1{lo < z < hi}``.

    ``erfs`` is a sorted tuple of ``(a, b)``; ``lo``/``hi`` are None when unbounded.
    """

    __slots__ = ()

    def __new__(cls, alpha, beta, erfs=(), lo=None, hi=None):
        return tuple.__new__(cls, (alpha, beta, tuple(erfs), lo, hi))

    alpha = property(lambda s: s[0])
    beta = property(lambda s: s[1])
    erfs = property(lambda s: s[2])
    lo = property(lambda s: s[3])
    hi = property(lambda s: s[4])


class _Decomposition:
    """``expr = sum_kernel poly_kernel(z) * kernel(z) + sum_delta terms``."""

    def __init__(self):
        self.groups: dict[_Kernel, dict[int, sp.Expr]] = {}
        self.deltas: list[tuple[sp.Expr, sp.Expr, sp.Expr, int]] = []  # (rest, a, b, order)

    def add(self, kernel: _Kernel, n: int, coeff: sp.Expr) -> None:
        poly = self.groups.setdefault(kernel, {})
        poly[n] = poly.get(n, 0) + coeff

    def max_power(self) -> int:
        return max((max(p) for p in self.groups.values() if p), default=0)


def _fail(what: str, why: str = "") -> NoClosedFormError:
    msg = f"E[{what}] under Z ~ N(0,1) has no closed form known to rmtsym"
    if why:
        msg += f" ({why})"
    return NoClosedFormError(msg)


def _linear(arg: sp.Expr, var: sp.Symbol, what: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    p = arg.as_poly(var)
    if p is None or p.degree() != 1:
        raise _fail(str(what), f"its argument is not linear in {var}")
    a, b = p.coeff_monomial(var), p.coeff_monomial(1)
    return sp.expand(a), sp.expand(b)


def _is_real_slope(a: sp.Expr) -> bool:
    return not a.has(sp.I) and a.is_real is not False


def _sign(a: sp.Expr, what: sp.Expr, var: sp.Symbol) -> int:
    if a.is_positive:
        return 1
    if a.is_negative:
        return -1
    raise _fail(str(what), f"the sign of the coefficient {a} of {var} is unknown; "
                           "declare the symbol positive=True or substitute a number")


def _split_nested(e: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """``F(.. Heaviside(u) ..) -> H(u) F(.. 1 ..) + H(-u) F(.. 0 ..)`` for functions of piecewise arguments.

    Brings e.g. ``Max(-1, Min(1, z))`` (nested Heaviside) or ``exp(Max(0, z))`` to sums of
    products with linear Heaviside arguments (equal almost everywhere).
    """
    for _ in range(64):
        target = None
        for node in sp.preorder_traversal(e):
            if isinstance(node, sp.Function) and node.has(var):
                inner = [h for arg in node.args for h in sp.preorder_traversal(arg)
                         if isinstance(h, sp.Heaviside) and h.has(var) and not h.args[0].has(sp.Heaviside)]
                if inner:
                    target = (node, inner[0])
                    break
        if target is None:
            return e
        node, h = target
        u = h.args[0]
        e = e.xreplace({node: sp.Heaviside(u) * node.xreplace({h: sp.S.One})
                        + sp.Heaviside(-u) * node.xreplace({h: sp.S.Zero})})
    raise _fail(str(e), "too deeply nested piecewise arguments")


def _prepare(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    e = _split_nested(canonical(expr), var)
    if e.has(sp.Piecewise):
        e = e.replace(lambda x: isinstance(x, sp.Piecewise), lambda x: x.rewrite(sp.Heaviside))
        if e.has(sp.Piecewise):
            raise _fail(str(expr), "Piecewise that cannot be written with Heaviside")
    trig = (sp.sin, sp.cos, sp.sinh, sp.cosh)

    def rw(x: sp.Expr) -> sp.Expr:  # sin/cos/sinh/cosh -> exp, except inside other functions
        if isinstance(x, trig) and x.has(var):
            return x.rewrite(sp.exp)
        if isinstance(x, (sp.Add, sp.Mul, sp.Pow)) and x.has(var):
            return x.func(*[rw(a) for a in x.args])
        return x

    return sp.expand(rw(e))


def _interval(hs: list, var: sp.Symbol):
    """Intersect half-lines ``a z + b > 0``; return (lo, hi) or None for an empty set."""
    lows, highs = [], []
    for (a, b, what) in hs:
        if not _is_real_slope(a) or b.has(sp.I):
            raise _fail(str(what), "complex argument inside Heaviside")
        (lows if _sign(a, what, var) > 0 else highs).append((-b / a, what))

    def pick(bounds, larger):
        best = None
        for t, what in bounds:
            if best is None:
                best = t
                continue
            d = sp.expand(t - best)
            if d.is_zero or (d.is_negative if larger else d.is_positive):
                continue
            if d.is_positive if larger else d.is_negative:
                best = t
                continue
            raise _fail(str(what), f"cannot order the thresholds {t} and {best}")
        return best

    lo, hi = pick(lows, True), pick(highs, False)
    if lo is not None and hi is not None:
        d = sp.expand(hi - lo)
        if d.is_nonpositive:
            return None
        if not d.is_positive:
            raise _fail(f"1{{{lo} < {var} < {hi}}}", "the interval may be empty for some parameters")
    return lo, hi


def _decompose(expr: sp.Expr, var: sp.Symbol) -> _Decomposition:
    out = _Decomposition()
    e = _prepare(sp.sympify(expr), var)
    for term in sp.Add.make_args(e):
        if not term.has(var):
            out.add(_Kernel(sp.S.Zero, sp.S.Zero), 0, term)
            continue
        factors = list(sp.Mul.make_args(term))
        deltas = [f for f in factors if f.has(var) and isinstance(f, sp.DiracDelta)]
        if any(isinstance(f, sp.Pow) and isinstance(f.base, sp.DiracDelta) and f.has(var)
               for f in factors) or len(deltas) > 1:
            raise _fail(str(term), "a product of Dirac deltas")
        if deltas:
            d = deltas[0]
            rest = sp.Mul(*[f for f in factors if f is not d])
            a, b = _linear(d.args[0], var, d)
            order = int(d.args[1]) if len(d.args) > 1 else 0
            out.deltas.append((rest, a, b, order))
            continue
        coeff, n = sp.S.One, 0
        alpha = beta = gamma = sp.S.Zero
        erfs, hs = [], []
        work = factors
        while work:
            f = work.pop()
            if not f.has(var):
                coeff *= f
            elif f == var:
                n += 1
            elif isinstance(f, sp.exp):
                p = f.args[0].as_poly(var)
                if p is None or p.degree() > 2:
                    raise _fail(str(f), "the exponent is not a polynomial of degree <= 2")
                alpha += p.coeff_monomial(var**2)
                beta += p.coeff_monomial(var)
                gamma += p.coeff_monomial(1)
            elif isinstance(f, sp.Pow):
                base, ex = f.args
                if base == var and ex.is_Integer and ex >= 0:
                    n += int(ex)
                elif not ex.has(var) and ex.is_Integer and ex > 0 and isinstance(base, (sp.Heaviside, sp.erf)):
                    work.extend([base] * (1 if isinstance(base, sp.Heaviside) else int(ex)))
                elif not ex.has(var) and isinstance(base, sp.exp) and ex.is_Rational and not base.has(sp.I):
                    work.append(sp.exp(ex * base.args[0], evaluate=False))
                elif not base.has(var) and base.is_positive:
                    work.append(sp.exp(sp.expand(ex * sp.log(base)), evaluate=False))
                else:
                    raise _fail(str(f))
            elif isinstance(f, sp.Heaviside):
                a, b = _linear(f.args[0], var, f)
                hs.append((a, b, f))
            elif isinstance(f, sp.erf):
                a, b = _linear(f.args[0], var, f)
                if not _is_real_slope(a):
                    raise _fail(str(f), "complex slope inside erf")
                erfs.append((a, b))
            else:
                raise _fail(str(f))
        coeff *= sp.exp(gamma)
        iv = _interval(hs, var) if hs else (None, None)
        if iv is None:  # empty set, e.g. Heaviside(z) * Heaviside(-z)
            continue
        erfs.sort(key=sp.default_sort_key)
        out.add(_Kernel(sp.expand(alpha), sp.expand(beta), erfs, *iv), n, coeff)
    return out


# --------------------------------------------------------------------------------------------
# moments of a kernel
# --------------------------------------------------------------------------------------------

def _ex(e: sp.Expr) -> sp.Expr:
    """Expand products and positive integer powers of sums, but not denominators or ``exp`` arguments."""
    e = sp.sympify(e)
    e = e.replace(lambda x: x.is_Pow and x.base.is_Add and x.exp.is_Integer and x.exp > 1,
                  lambda x: sp.expand_multinomial(x, deep=False))
    return sp.expand(e, power_exp=False, multinomial=False, power_base=False, log=False)


def _sqrt(x: sp.Expr) -> sp.Expr:
    """``sqrt`` of a rational function with its content pulled out (``sqrt(6a^2/5 + 1) -> sqrt(30a^2 + 25)/5``)."""
    x = sp.factor_terms(sp.together(x))
    return sp.sqrt(x)


def _nice(x: sp.Expr) -> sp.Expr:
    return sp.factor(sp.together(x)) if x.free_symbols else x


def _kernel_moments(k: _Kernel, jmax: int) -> list[sp.Expr]:
    """``[E_Z[z^j * kernel(z)] for j in 0..jmax]`` (memoised)."""
    hit = _moment_cache.get(k)
    if hit is not None and len(hit) > jmax:
        return hit
    if len(_moment_cache) > _CACHE_MAX:
        _moment_cache.clear()
    res = _compute_moments(k, jmax)
    _moment_cache[k] = res
    return res


def _compute_moments(k: _Kernel, jmax: int) -> list[sp.Expr]:
    alpha, beta = k.alpha, k.beta
    d = _ex(1 - 2 * alpha)
    if d.is_number:
        if not sp.re(d).is_positive:
            raise ParameterError("f", str(sp.exp(alpha * Z**2 + beta * Z)), "a function integrable under N(0,1)",
                                 "the coefficient of z**2 in an exponent must be < 1/2")
    elif not d.is_positive:
        raise _fail(str(sp.exp(alpha * Z**2 + beta * Z)), f"cannot decide whether {alpha} < 1/2; declare the symbols' signs")
    if (k.erfs or k.lo is not None or k.hi is not None) and (alpha.has(sp.I) or alpha.is_real is False):
        raise _fail(f"{sp.exp(alpha * Z**2 + beta * Z)} * Heaviside/erf", "complex quadratic exponent")
    s2 = 1 / d
    mu = _ex(beta * s2)
    scale = sp.exp(_ex(beta**2 * s2 / 2)) / _sqrt(d)
    if k.erfs and (k.lo is not None or k.hi is not None):
        raise _fail("erf(...) * Heaviside(...)", "an Owen's T function")
    if k.erfs:
        w = _erf_moments(k, mu, s2, scale, jmax)
    elif k.lo is None and k.hi is None:
        w = [sp.S.One, mu]
        for j in range(2, jmax + 1):
            w.append(_ex(mu * w[-1] + (j - 1) * s2 * w[-2]))
    else:
        w = [sp.S.Zero] * (jmax + 1)
        if k.lo is not None:
            w = [x + y for x, y in zip(w, _tail_moments(k.lo, mu, s2, jmax, upper=False))]
        if k.hi is not None:
            w = [x + y for x, y in zip(w, _tail_moments(k.hi, mu, s2, jmax, upper=True))]
        if k.lo is not None and k.hi is not None:  # T(lo) + L(hi) = E + (T(lo) - T(hi))
            w = [_ex(x - y) for x, y in zip(w, _full_moments(mu, s2, jmax))]
    return [_ex(scale * x) for x in w[: jmax + 1]]


def _full_moments(mu, s2, jmax):
    w = [sp.S.One, mu]
    for j in range(2, jmax + 1):
        w.append(_ex(mu * w[-1] + (j - 1) * s2 * w[-2]))
    return w[: jmax + 1]


def _tail_moments(t, mu, s2, jmax, *, upper: bool):
    """``E[W^j 1{W > t}]`` (or ``1{W < t}`` when ``upper``), ``W ~ N(mu, s2)``."""
    x = (t - mu) / _sqrt(2 * s2)
    dens = sp.exp(-_ex(x**2)) / (sp.sqrt(2 * sp.pi) * _sqrt(s2))
    sgn = -1 if upper else 1
    out = [_ex((1 - sgn * sp.erf(_ex(x))) / 2)]
    for j in range(1, jmax + 1):
        prev2 = out[-2] if j >= 2 else 0
        out.append(_ex(mu * out[-1] + s2 * ((j - 1) * prev2 + sgn * t ** (j - 1) * dens)))
    return out


def _erf_moments(k: _Kernel, mu, s2, scale, jmax):
    """``E[W^j prod erf(a_i W + b_i)]``, ``W ~ N(mu, s2)``, by Stein's lemma."""
    erfs = k.erfs
    centres = [_ex(a * mu + b) for a, b in erfs]
    if len(erfs) == 1:
        (a, _), c = erfs[0], centres[0]
        base = sp.erf(_nice(c / _sqrt(1 + 2 * a**2 * s2)))
    elif len(erfs) == 2 and all(c.is_zero for c in centres):
        (a1, _), (a2, _) = erfs
        base = 2 / sp.pi * sp.asin(_nice(2 * a1 * a2 * s2 / (_sqrt(1 + 2 * a1**2 * s2) * _sqrt(1 + 2 * a2**2 * s2))))
    else:
        what = " * ".join(str(sp.erf(a * Z + b)) for a, b in erfs)
        raise _fail(what, "a product of erf with shifted arguments is an Owen's T function"
                    if len(erfs) == 2 else "a product of three or more erf")
    # derivative terms: d/dw erf(a w + b) = 2a/sqrt(pi) exp(-(a w + b)^2)
    derivs = []
    if jmax >= 1:
        for i, (a, b) in enumerate(erfs):
            others = erfs[:i] + erfs[i + 1:]
            kd = _Kernel(_ex(k.alpha - a**2), _ex(k.beta - 2 * a * b), others)
            m = _kernel_moments(kd, jmax - 1)
            fac = 2 * a / sp.sqrt(sp.pi) * sp.exp(-b**2) / scale
            derivs.append([fac * x for x in m])
    w = [base]
    for j in range(1, jmax + 1):
        g = sum(dv[j - 1] for dv in derivs)
        prev2 = w[-2] if j >= 2 else 0
        w.append(_ex(mu * w[-1] + s2 * ((j - 1) * prev2 + g)))
    return w


# --------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------

def _delta_term(rest: sp.Expr, a: sp.Expr, b: sp.Expr, order: int, var: sp.Symbol) -> sp.Expr:
    """``E[rest(Z) * delta^{(order)}(a Z + b)] = (-1)^order / (|a| a^order) (rest*phi)^{(order)}(z0)``."""
    what = sp.DiracDelta(a * var + b, order) if order else sp.DiracDelta(a * var + b)
    if not _is_real_slope(a):
        raise _fail(str(what), "complex argument")
    sgn = _sign(a, what, var)
    z0 = -b / a
    for node in list(sp.preorder_traversal(rest)):
        if isinstance(node, sp.Heaviside) and node.has(var):
            v = sp.expand(node.args[0].subs(var, z0))
            if v.is_positive:
                rest = rest.subs(node, 1)
            elif v.is_negative:
                rest = rest.subs(node, 0)
            else:
                raise _fail(f"{node} * {what}", "the step is located at the delta")
        elif isinstance(node, sp.DiracDelta) and node.has(var):
            raise _fail(f"{node} * {what}", "a product of Dirac deltas")
    F = rest * sp.exp(-var**2 / 2) / sp.sqrt(2 * sp.pi)
    if order:
        F = sp.diff(F, var, order)
    return _ex((-1) ** order * F.subs(var, z0) / (sgn * a) / a**order)


def _evaluate(dec: _Decomposition, poly_mul: dict[int, sp.Expr] | None, var: sp.Symbol) -> sp.Expr:
    """``E[(sum_n poly_mul[n] z^n) * expr]`` for a decomposed ``expr`` (poly_mul None means 1)."""
    pm = poly_mul or {0: sp.S.One}
    dm = max(pm)
    total = []
    for kernel, poly in dec.groups.items():
        mom = _kernel_moments(kernel, max(poly) + dm)
        # sum_{n, m} poly[n] * pm[m] * mom[n + m]
        for n, c in poly.items():
            if c == 0:
                continue
            s = sp.Add(*[pm[m] * mom[n + m] for m in pm])
            total.append(c * s)
    for rest, a, b, order in dec.deltas:
        q = sp.Add(*[c * var**m for m, c in pm.items()])
        total.append(_delta_term(rest * q, a, b, order, var))
    return sp.Add(*total)


def _is_imaginary_multiple(x: sp.Expr) -> bool:
    q = sp.expand(x / sp.I)
    return not q.has(sp.I) and q.is_real is not False


def tidy(expr: sp.Expr) -> sp.Expr:
    """Cheap normal form of an exact expectation.

    Expanded; ``erf(i x)`` written as ``i erfi(x)`` so that ``I`` cancels. A result with
    parameters is grouped by its transcendental factors (the exponentials of a term merged
    into one, ``exp(-b^2) exp(c) -> exp(c - b^2)``; ``exp``/``erf`` arguments factored) and
    each group's coefficient is factored.
    """
    e = _ex(expr)
    if e.has(sp.I):
        e = e.replace(lambda x: isinstance(x, sp.erf) and _is_imaginary_multiple(x.args[0]),
                      lambda x: sp.I * sp.erfi(_ex(x.args[0] / sp.I)))
        e = _ex(e)
    if not e.free_symbols:
        return e
    groups: dict[sp.Expr, list[sp.Expr]] = {}
    for t in sp.Add.make_args(e):
        exps, key, coeff = [], [], []
        for f in sp.Mul.make_args(t):
            if isinstance(f, sp.exp):
                exps.append(f.args[0])
            elif f.is_Pow and isinstance(f.base, sp.exp) and f.exp.is_Integer:
                exps.append(f.exp * f.base.args[0])
            elif isinstance(f, (sp.erf, sp.erfi, sp.asin)) and f.free_symbols:
                key.append(f.func(_nice(f.args[0])))
            else:
                coeff.append(f)
        arg = sp.Add(*exps)
        if arg.free_symbols:
            key.append(sp.exp(_nice(arg)))
        else:
            coeff.append(sp.exp(arg))
        groups.setdefault(sp.Mul(*key), []).append(sp.Mul(*coeff))
    out = []
    for k, cs in groups.items():
        c = sp.Add(*cs)
        if sp.count_ops(c) < 400:
            c = sp.factor(c)
        out.append(c * k)
    return sp.Add(*out)


def _same_variable(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """Identify a user's ``Symbol('z')`` (other assumptions) with the variable ``var``."""
    same = [s for s in expr.free_symbols if s != var and getattr(s, "name", None) == var.name]
    return expr.subs({s: var for s in same}) if same else expr


def gaussian_expectation(expr: sp.Expr, var: sp.Symbol = Z) -> sp.Expr:
    """Exact ``E[expr(Z)]`` for ``Z ~ N(0,1)`` (docs/conventions.md, "Gaussian").

    Other free symbols are real parameters and stay symbolic. Raises
    :class:`~rmtsym.errors.NoClosedFormError` naming the factor without a closed form
    (e.g. ``tanh``), and :class:`~rmtsym.errors.ParameterError` for a divergent
    expectation (``exp(z**2)``).

    >>> import sympy as sp
    >>> b = sp.Symbol("b", real=True)
    >>> gaussian_expectation(sp.Max(0, Z + b))
    b*erf(sqrt(2)*b/2)/2 + b/2 + sqrt(2)*exp(-b**2/2)/(2*sqrt(pi))
    >>> gaussian_expectation(sp.erf(Z)**2)
    2*asin(2/3)/pi
    >>> gaussian_expectation(sp.tanh(Z))
    Traceback (most recent call last):
    ...
    rmtsym.errors.NoClosedFormError: E[tanh(z)] under Z ~ N(0,1) has no closed form known to rmtsym
    """
    expr = _same_variable(sp.sympify(expr), var)
    if var not in expr.free_symbols:
        return expr
    return tidy(_evaluate(_decompose(expr, var), None, var))


def expectation_times_polynomials(expr: sp.Expr, polys: Iterable, var: sp.Symbol = Z,
                                  factors: Iterable[sp.Expr] | None = None) -> list[sp.Expr]:
    """``[factor_i * E[expr(Z) * p_i(Z)] for p_i in polys]``, decomposing ``expr`` once.

    Each ``p_i`` is a polynomial in ``var`` (sympy expression) or a dict ``{power: coefficient}``;
    ``factors`` (default all 1) multiply the results before they are tidied. Used for Hermite
    coefficients, where ``p_i = He_i`` and ``factor_i = 1/sqrt(i!)``.

    >>> expectation_times_polynomials(sp.Abs(Z), [1, Z**2 - 1])
    [sqrt(2)/sqrt(pi), sqrt(2)/sqrt(pi)]
    """
    dec = _decompose(_same_variable(sp.sympify(expr), var), var)
    polys = list(polys)
    factors = [sp.S.One] * len(polys) if factors is None else list(factors)
    out = []
    for p, fac in zip(polys, factors):
        if isinstance(p, dict):
            pm = {int(m): sp.sympify(c) for m, c in p.items() if c != 0}
        else:
            P = sp.Poly(sp.sympify(p), var)
            pm = {m[0]: c for m, c in P.terms()}
        if not pm:
            out.append(sp.S.Zero)
            continue
        out.append(tidy(fac * _evaluate(dec, pm, var)))
    return out
