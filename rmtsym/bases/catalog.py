"""The activation catalog: named activations as sympy expressions, with their Gaussian constants.

``activation(name, **params)`` returns an :class:`Activation` with the constants every
random-feature and kernel analysis needs, in the convention of ``docs/conventions.md``
(Gaussian): ``Z ~ N(0,1)``, ``h_k = He_k/sqrt(k!)``, ``c_k = E[f(Z) h_k(Z)]``,
``mu_0 = c_0``, ``mu_1 = c_1``, ``mu_*^2 = E f(Z)^2 - mu_0^2 - mu_1^2``, and the dual kernel
``K(rho) = E[f(u) f(v)]`` for standard Gaussians ``u, v`` with correlation ``rho``, which
equals ``sum_k c_k^2 rho^k``.

Closed-form dual kernels: arc-cosine for ReLU (Cho & Saul 2009), arcsin for erf and sign
(Williams 1997), and elementary ones for sin, cos, exp and polynomials. Otherwise the
Hermite series is summed with a stated truncation bound
``|tail| <= |rho|^{K+1} (E f^2 - sum_{k<=K} c_k^2)``.

>>> relu = activation("relu")
>>> relu.mu0, relu.mu1, relu.mu_star
(sqrt(2)/(2*sqrt(pi)), 1/2, sqrt(-2 + pi)/(2*sqrt(pi)))
>>> float(relu.dual_kernel(0.0)) == float(relu.mu0**2)
True
>>> activation("leaky_relu", a=0.1).expr
z/10 + 9*Max(0, z)/10
>>> activation("tanh(2*z) + 0.1*z**2").name
'tanh(2*z) + 0.1*z**2'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Mapping

import numpy as np
import sympy as sp

from ..errors import NoClosedFormError, ParameterError
from .functions import Z, free_parameters, normal_cdf

__all__ = ["CATALOG", "CatalogEntry", "Activation", "activation"]

RHO = sp.Symbol("rho", real=True)


def _relu_dual(rho):
    return (sp.sqrt(1 - rho**2) + (sp.pi - sp.acos(rho)) * rho) / (2 * sp.pi)


@dataclass(frozen=True)
class CatalogEntry:
    """A named activation: ``build(**params)`` gives the sympy expression in ``z``;
    ``dual(rho, **params)`` the closed-form dual kernel, when one is known."""

    name: str
    build: Callable[..., sp.Expr]
    defaults: Mapping[str, object] = field(default_factory=dict)
    description: str = ""
    dual: Callable[..., sp.Expr] | None = None


def _entry(name, build, defaults=None, description="", dual=None):
    return name, CatalogEntry(name, build, dict(defaults or {}), description, dual)


CATALOG: dict[str, CatalogEntry] = dict([
    _entry("relu", lambda: sp.Max(0, Z), {}, "max(0, z)", lambda r: _relu_dual(r)),
    _entry("leaky_relu", lambda a: a * Z + (1 - a) * sp.Max(0, Z), {"a": sp.Rational(1, 100)},
           "a z + (1 - a) max(0, z)",
           lambda r, a: a**2 * r + a * (1 - a) * r + (1 - a) ** 2 * _relu_dual(r)),
    _entry("abs", lambda: sp.Abs(Z), {}, "|z|",
           lambda r: 2 / sp.pi * (sp.sqrt(1 - r**2) + r * sp.asin(r))),
    _entry("sign", lambda: sp.sign(Z), {}, "sign(z)", lambda r: 2 / sp.pi * sp.asin(r)),
    _entry("step", lambda: sp.Heaviside(Z), {}, "1{z > 0}",
           lambda r: sp.Rational(1, 4) + sp.asin(r) / (2 * sp.pi)),
    _entry("linear", lambda: Z, {}, "z", lambda r: r),
    _entry("tanh", lambda a: sp.tanh(a * Z), {"a": 1}, "tanh(a z)"),
    _entry("erf", lambda a: sp.erf(a * Z), {"a": 1}, "erf(a z)",
           lambda r, a: 2 / sp.pi * sp.asin(2 * a**2 * r / (1 + 2 * a**2))),
    _entry("sigmoid", lambda a: 1 / (1 + sp.exp(-a * Z)), {"a": 1}, "1/(1 + exp(-a z))"),
    _entry("softplus", lambda: sp.log(1 + sp.exp(Z)), {}, "log(1 + exp(z))"),
    _entry("gelu", lambda: Z * normal_cdf(Z), {}, "z Phi(z)"),
    _entry("silu", lambda: Z / (1 + sp.exp(-Z)), {}, "z/(1 + exp(-z))"),
    _entry("sin", lambda a: sp.sin(a * Z), {"a": 1}, "sin(a z)",
           lambda r, a: sp.exp(-a**2) * sp.sinh(a**2 * r)),
    _entry("cos", lambda a: sp.cos(a * Z), {"a": 1}, "cos(a z)",
           lambda r, a: sp.exp(-a**2) * sp.cosh(a**2 * r)),
    _entry("exp", lambda a: sp.exp(a * Z), {"a": 1}, "exp(a z)",
           lambda r, a: sp.exp(a**2 * (1 + r))),
    _entry("polynomial", lambda coeffs: sum(sp.sympify(c) * Z**i for i, c in enumerate(coeffs)),
           {"coeffs": (0, 1)}, "sum_i coeffs[i] z^i"),
    _entry("hermite", lambda k: _hermite_poly(k), {"k": 2}, "h_k(z) = He_k(z)/sqrt(k!)"),
])


def _hermite_poly(k):
    from .hermite import hermite_polynomial

    if isinstance(k, bool) or not isinstance(k, (int, sp.Integer)) or int(k) < 0:
        raise ParameterError("k", k, "an integer >= 0")
    return hermite_polynomial(int(k), Z)


def _param_value(name: str, value):
    if isinstance(value, str):
        if not value.isidentifier():
            raise ParameterError(name, value, "a number or a parameter name")
        return sp.Symbol(value, real=True)
    if isinstance(value, (list, tuple)):
        return tuple(sp.nsimplify(v, rational=True) if isinstance(v, float) else sp.sympify(v) for v in value)
    if isinstance(value, float):
        return sp.nsimplify(value, rational=True)
    if isinstance(value, (int, sp.Basic)):
        return sp.sympify(value)
    raise ParameterError(name, value, "a number, a sympy expression or a parameter name")


class Activation:
    """An activation ``f(z)`` with its Hermite constants and dual kernel.

    Values are exact sympy expressions where a closed form exists, otherwise sympy
    Floats at ``digits`` (default 30) significant digits. See the module docstring for the
    conventions.
    """

    def __init__(self, name: str, expr: sp.Expr, *, dual: sp.Expr | None = None,
                 description: str = "", digits: int = 30):
        self.name = name
        self.expr = sp.sympify(expr)
        self.description = description
        self.digits = digits
        self._dual = dual
        from .functions import check_square_integrable

        check_square_integrable(self.expr, name="f")

    def __repr__(self) -> str:
        return f"Activation({self.name!r}, {self.expr})"

    @property
    def parameters(self) -> list[sp.Symbol]:
        """Free symbols other than ``z`` (kept symbolic in exact results)."""
        return free_parameters(self.expr)

    # ---- Hermite ----------------------------------------------------------------------
    def hermite_coefficients(self, degree: int, *, exact: bool | None = None, digits: int | None = None):
        """``c_0..c_degree`` as an :class:`~rmtsym.bases.expansion.Expansion`."""
        from .hermite import hermite_coefficients

        key = (degree, exact, digits)
        cache = self.__dict__.setdefault("_hcache", {})
        if key not in cache:
            cache[key] = hermite_coefficients(self.expr, degree, exact=exact, digits=digits)
        return cache[key]

    def _coeffs(self, degree: int):
        try:
            return self.hermite_coefficients(degree, exact=True)
        except NoClosedFormError:
            return self.hermite_coefficients(degree, exact=False, digits=self.digits)

    def hermite(self, k: int, *, exact: bool | None = None, digits: int | None = None):
        """The coefficient ``c_k = E[f(Z) h_k(Z)]``."""
        if exact is None and digits is None:
            return self._coeffs(k)[k]
        return self.hermite_coefficients(k, exact=exact, digits=digits)[k]

    @cached_property
    def mu0(self):
        """``mu_0 = c_0 = E f(Z)``."""
        return self._coeffs(1)[0]

    @cached_property
    def mu1(self):
        """``mu_1 = c_1 = E[Z f(Z)]``."""
        return self._coeffs(1)[1]

    @cached_property
    def norm2(self):
        """``E f(Z)^2`` (exact through the closed-form dual kernel at rho = 1 where known)."""
        if self._dual is not None:
            return sp.simplify(self._dual.subs(RHO, 1))
        from .hermite import gaussian_mean

        value, _exact, _err = gaussian_mean(self.expr**2, digits=None if self.parameters else self.digits)
        return value

    @cached_property
    def mu_star(self):
        """``mu_* = sqrt(E f^2 - mu_0^2 - mu_1^2)``."""
        v = self.norm2 - self.mu0**2 - self.mu1**2
        if isinstance(v, sp.Float) or (v.is_number and not self.is_exact):
            return sp.sqrt(sp.Max(v, 0)).evalf(self.digits)
        return sp.sqrt(sp.simplify(v))

    @cached_property
    def is_exact(self) -> bool:
        """True when the Hermite coefficients have closed forms."""
        try:
            self.hermite_coefficients(1, exact=True)
            return True
        except NoClosedFormError:
            return False

    # ---- dual kernel ------------------------------------------------------------------
    @property
    def dual_closed_form(self) -> sp.Expr | None:
        """Closed form of ``E[f(u) f(v)]`` in ``rho`` (symbol :data:`RHO`), or None."""
        return self._dual

    def dual_kernel(self, rho, *, degree: int | None = None, return_error: bool = False):
        """``K(rho) = E[f(u) f(v)]``, ``u, v`` standard Gaussians with correlation ``rho``.

        ``rho`` may be a sympy expression (closed form returned symbolically) or an array
        in [-1, 1]. Without a closed form, the Hermite series to ``degree`` (default 60) is
        summed; with ``return_error`` the truncation bound
        ``|rho|^{K+1} (E f^2 - sum_{k<=K} c_k^2)`` is returned too (0 for closed forms).
        """
        if isinstance(rho, sp.Basic) and not rho.is_number:
            if self._dual is None:
                raise NoClosedFormError(f"no closed-form dual kernel for {self.name}; pass numeric rho")
            return self._dual.subs(RHO, rho)
        r = np.asarray(rho, dtype=float)
        if np.any(np.abs(r) > 1):
            raise ParameterError("rho", rho, "correlations in [-1, 1]")
        if self._dual is not None and degree is None:
            if self.parameters:
                raise ParameterError("parameters", [str(p) for p in self.parameters],
                                     "numeric values for numeric evaluation")
            fn = sp.lambdify(RHO, self._dual, "numpy")
            val = np.asarray(fn(r), dtype=float) * np.ones_like(r)
            return (val, np.zeros_like(r)) if return_error else val
        K = 60 if degree is None else degree
        c = self.hermite_coefficients(K, exact=False).numpy() if not self.is_exact or K > 30 \
            else self._coeffs(K).numpy()
        c2 = c**2
        powers = r[..., None] ** np.arange(K + 1)
        val = powers @ c2
        tail = max(float(sp.N(self.norm2)) - float(c2.sum()), 0.0)
        err = np.abs(r) ** (K + 1) * tail
        return (val, err) if return_error else val

    # ---- sphere -----------------------------------------------------------------------
    def gegenbauer_coefficients(self, d: int, degree: int, **kw):
        """``g_k(f; d)`` on S^{d-1}(sqrt d), see :func:`rmtsym.bases.gegenbauer.gegenbauer_coefficients`."""
        from .gegenbauer import gegenbauer_coefficients

        return gegenbauer_coefficients(self.expr, d, degree, **kw)

    def latex(self) -> str:
        """``\\sigma(z) = ...`` for the activation."""
        return f"\\sigma(z) = {sp.latex(self.expr)}"


def activation(name: str | sp.Expr, **params) -> Activation:
    """An :class:`Activation` from the catalog by name, or from an expression.

    ``name`` is a catalog key (``sorted(CATALOG)``), a sympy expression in ``z``, or a string
    parsed by :func:`rmtsym.bases.parse.parse_expression` (never evaluated as Python).
    ``params`` set the catalog entry's parameters (``leaky_relu(a=0.1)``, ``erf(a=2)``); a
    string value makes the parameter symbolic (``activation("erf", a="a")``).
    """
    if isinstance(name, sp.Basic):
        if params:
            raise ParameterError("params", params, "no parameters with an expression (put them in it)")
        return Activation(str(name), name)
    if not isinstance(name, str):
        raise ParameterError("name", name, "a catalog name or an expression string")
    key = name.strip()
    if key in CATALOG:
        entry = CATALOG[key]
        unknown = set(params) - set(entry.defaults)
        if unknown:
            raise ParameterError(sorted(unknown)[0], params[sorted(unknown)[0]],
                                 f"a parameter of {key}: {sorted(entry.defaults) or 'none'}")
        vals = {k: _param_value(k, params.get(k, v)) for k, v in entry.defaults.items()}
        expr = entry.build(**vals)
        dual = entry.dual(RHO, **vals) if entry.dual is not None else None
        if key in ("polynomial", "hermite"):
            dual = None  # exact finite Hermite series below
        label = key if not params else f"{key}({', '.join(f'{k}={v}' for k, v in params.items())})"
        act = Activation(label, expr, dual=dual, description=entry.description)
        if key in ("polynomial", "hermite"):
            act._dual = _polynomial_dual(act)
        return act
    from .parse import parse_expression

    if params:
        raise ParameterError("params", params, "no parameters with an expression string")
    if key.isidentifier() and key not in ("z",):
        raise ParameterError("name", key, "an activation of the catalog (" + ", ".join(sorted(CATALOG))
                             + ") or an expression in z")
    expr = parse_expression(key)
    if Z not in expr.free_symbols:
        raise ParameterError("name", key, "an expression in the variable z")
    act = Activation(key, expr)
    if expr.is_polynomial(Z):
        act._dual = _polynomial_dual(act)
    return act


def _polynomial_dual(act: Activation) -> sp.Expr:
    deg = max(sp.Poly(act.expr, Z).degree(), 0)
    c = act.hermite_coefficients(deg, exact=True)
    return sp.expand(sum(ck**2 * RHO**k for k, ck in enumerate(c)))
