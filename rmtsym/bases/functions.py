"""One-variable functions as sympy expressions: canonical form, kinks, numeric callables.

Every expansion in :mod:`rmtsym.bases` starts from a sympy expression in one real variable
(by convention the symbol ``z`` = :data:`Z`). This module brings such an expression to the
canonical form the exact Gaussian integrator understands (piecewise-linear pieces written
with ``Heaviside``, the Gaussian distribution function written with ``erf``), lists its kinks
(where numeric quadrature must split the line), compiles it for numpy or mpmath, and checks
that it is square-integrable under the weight that is used.

Conventions: ``normal_cdf(u) = Phi(u) = (1 + erf(u/sqrt 2))/2``, ``normal_pdf(u) = phi(u)``,
``Heaviside(0) = 1/2`` (irrelevant under any continuous law).

>>> import sympy as sp
>>> canonical(sp.Max(0, Z))
z*Heaviside(z)
>>> breakpoints(sp.Abs(Z - 1) + sp.Max(0, 2*Z + 1))
[-0.5, 1.0]
"""

from __future__ import annotations

from typing import Callable, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import ParameterError

__all__ = [
    "Z",
    "normal_cdf",
    "normal_pdf",
    "Phi",
    "phi",
    "canonical",
    "breakpoints",
    "free_parameters",
    "to_numpy",
    "to_mpmath",
    "check_square_integrable",
]

#: The canonical real variable of one-variable functions (activations, kernels' profiles).
Z = sp.Symbol("z", real=True)


def normal_cdf(u: sp.Expr) -> sp.Expr:
    """Gaussian distribution function Phi(u) written with erf (the canonical form)."""
    return (1 + sp.erf(u / sp.sqrt(2))) / 2


def normal_pdf(u: sp.Expr) -> sp.Expr:
    """Gaussian density phi(u) = exp(-u^2/2)/sqrt(2 pi)."""
    return sp.exp(-u**2 / 2) / sp.sqrt(2 * sp.pi)


class Phi(sp.Function):
    """Gaussian distribution function kept as one symbol for display (``\\Phi``):
    ``rewrite(sp.erf)`` gives :func:`normal_cdf`; ``evalf`` and ``diff`` work.

    >>> Phi(sp.Integer(0)).evalf(5)
    0.50000
    >>> print(sp.latex(Phi(Z)))
    \\Phi\\left(z\\right)
    """

    nargs = 1

    def fdiff(self, argindex=1):
        return phi(self.args[0])

    def _eval_rewrite_as_erf(self, x, **kwargs):
        return normal_cdf(x)

    def _eval_evalf(self, prec):
        return self.rewrite(sp.erf)._eval_evalf(prec)

    def _latex(self, printer, exp=None):
        s = r"\Phi\left(" + printer._print(self.args[0]) + r"\right)"
        return s if exp is None else s + "^{" + printer._print(exp) + "}"


class phi(sp.Function):  # noqa: N801 (the field's name)
    """Gaussian density kept as one symbol for display (``\\phi``): ``rewrite(sp.exp)`` gives
    :func:`normal_pdf`; ``evalf`` and ``diff`` work."""

    nargs = 1

    def fdiff(self, argindex=1):
        return -self.args[0] * phi(self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return normal_pdf(x)

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _latex(self, printer, exp=None):
        s = r"\phi\left(" + printer._print(self.args[0]) + r"\right)"
        return s if exp is None else s + "^{" + printer._print(exp) + "}"


def _max2(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    return b + (a - b) * sp.Heaviside(a - b)


def canonical(expr: sp.Expr) -> sp.Expr:
    """Rewrite ``Max, Min, Abs, sign, erfc`` in terms of ``Heaviside`` and ``erf``.

    The result is equal to ``expr`` almost everywhere (it may differ on a set of measure
    zero, e.g. ``sign(0)``), which is all that matters under a continuous law.

    >>> canonical(sp.sign(Z)), canonical(sp.Abs(Z))
    (2*Heaviside(z) - 1, z*(2*Heaviside(z) - 1))
    """
    expr = sp.sympify(expr)

    def rw(e: sp.Expr) -> sp.Expr:
        if e.is_Atom:
            return e
        args = [rw(a) for a in e.args]
        if isinstance(e, sp.Max):
            out = args[0]
            for a in args[1:]:
                out = _max2(a, out) if out.is_number else _max2(out, a)
            return out
        if isinstance(e, sp.Min):
            out = args[0]
            for a in args[1:]:
                out = out + a - _max2(out, a)
            return out
        if isinstance(e, sp.Abs):
            return args[0] * (2 * sp.Heaviside(args[0]) - 1)
        if isinstance(e, sp.sign):
            return 2 * sp.Heaviside(args[0]) - 1
        if isinstance(e, sp.erfc):
            return 1 - sp.erf(args[0])
        if isinstance(e, sp.Heaviside):
            return sp.Heaviside(args[0])
        return e.func(*args)

    return rw(expr)


_KINK_FUNCS = (sp.Heaviside, sp.DiracDelta, sp.Abs, sp.Max, sp.Min, sp.sign)


def free_parameters(expr: sp.Expr, var: sp.Symbol = Z) -> list[sp.Symbol]:
    """Free symbols of ``expr`` other than ``var``, sorted by name."""
    return sorted((s for s in sp.sympify(expr).free_symbols if s != var), key=lambda s: s.name)


def _branches(e: sp.Expr) -> list[sp.Expr]:
    """The expressions a nested Max/Min can take (its leaves); ``[e]`` for anything else."""
    if isinstance(e, (sp.Max, sp.Min)):
        return [br for a in e.args for br in _branches(a)]
    return [e]


def breakpoints(expr: sp.Expr, var: sp.Symbol = Z) -> list[float]:
    """Real points where ``expr`` has a kink or jump (arguments of Heaviside, Abs, Max, ...).

    Only zeros of arguments that are polynomial in ``var`` are found; the expression must
    have no free parameters other than ``var``.
    """
    expr = sp.sympify(expr)
    pts: set[float] = set()
    args: list[sp.Expr] = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Heaviside, sp.DiracDelta, sp.Abs, sp.sign)):
            args.append(node.args[0])
        elif isinstance(node, (sp.Max, sp.Min)):
            # nested Max/Min (e.g. clip = Min(1, Max(-1, z))): compare every branch of every argument
            a = [br for arg in node.args for br in _branches(arg)]
            args.extend(x - y for i, x in enumerate(a) for y in a[i + 1:])
        elif isinstance(node, sp.Piecewise):
            for _, cond in node.args:
                if isinstance(cond, sp.core.relational.Relational):
                    args.append(cond.lhs - cond.rhs)
    for a in args:
        if var not in a.free_symbols:
            continue
        try:
            poly = sp.Poly(a, var)
        except sp.PolynomialError:
            continue
        if poly.free_symbols - {var}:
            continue
        for r in poly.nroots():
            if abs(sp.im(r)) < 1e-14:
                pts.add(float(sp.re(r)))
    return sorted(pts)


def to_numpy(expr: sp.Expr, var: sp.Symbol = Z, params: Sequence[sp.Symbol] = ()) -> Callable:
    """Vectorised float/complex callable ``f(x, *params)`` (scipy for erf and friends)."""
    fn = sp.lambdify([var, *params], canonical(expr), modules=["scipy", "numpy"])

    def f(x, *p):
        x = np.asarray(x, dtype=float)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.broadcast_to(fn(x, *p), x.shape) * np.ones_like(x)

    return f


def _mp_heaviside(x, h0=0.5):
    return mpmath.mpf(1) if x > 0 else (mpmath.mpf(0) if x < 0 else mpmath.mpf(h0))


def to_mpmath(expr: sp.Expr, var: sp.Symbol = Z, params: Sequence[sp.Symbol] = ()) -> Callable:
    """Callable ``f(x, *params)`` evaluated in mpmath at the working precision ``mpmath.mp.dps``."""
    return sp.lambdify([var, *params], canonical(expr), modules=[{"Heaviside": _mp_heaviside}, "mpmath"])


def check_square_integrable(expr: sp.Expr, var: sp.Symbol = Z, *, log_weight: Callable | None = None,
                            name: str = "f") -> None:
    """Raise :class:`ParameterError` if ``expr`` is clearly not square-integrable under N(0,1).

    Rule: ``g(z) = log|f(z)|^2 - z^2/2`` must go to ``-inf`` on both sides; it is evaluated at
    ``|z| = 20, 40, 80`` in mpmath (no overflow) and must decrease by at least 10 between the
    last two points and be below -50 at ``|z| = 80``. Catches ``exp(z**2/4)``, ``exp(z**3)``.
    Functions with free parameters are checked with the parameters set to 1/2.
    """
    expr = sp.sympify(expr)
    subs = {s: sp.Rational(1, 2) for s in free_parameters(expr, var)}
    f = to_mpmath(expr.subs(subs), var)
    lw = log_weight or (lambda t: -t * t / 2)
    with mpmath.workdps(30):
        for sgn in (1, -1):
            vals = []
            for t in (20, 40, 80):
                best = -mpmath.inf
                for off in (0, 0.37, 0.71):  # several points, so that a zero of f is no accident
                    x = mpmath.mpf(sgn * (t + off))
                    try:
                        a = abs(mpmath.mpc(f(x)))
                    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                        raise ParameterError(name, str(expr), "a function finite on the real line",
                                             f"it cannot be evaluated at z = {sgn * t}") from None
                    if a != 0:
                        best = max(best, 2 * mpmath.log(a) + lw(x))
                vals.append(best)
            if vals[2] > -50 or (vals[1] > -mpmath.inf and vals[2] > vals[1] - 10):
                raise ParameterError(
                    name, str(expr), "a function with E f(Z)^2 < infinity under Z ~ N(0,1)",
                    f"|f(z)|^2 exp(-z^2/2) does not decay as z -> {'+' if sgn > 0 else '-'}inf")
