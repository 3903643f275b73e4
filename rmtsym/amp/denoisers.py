"""Separable denoisers ``eta(y; tau, params)`` of AMP, as sympy expressions (issue 6, item 1).

The variable is :data:`Y` (``y``, real) and the effective noise level :data:`TAU` (``tau``,
positive): AMP applies ``eta`` to ``y = X0 + tau Z``. Parameters are positive symbols named
by the user (``alpha``...). Each :class:`Denoiser` carries its derivative ``d eta / d y``
(the Onsager term) and numpy callables for both.

* :func:`soft_threshold` — ``sign(y)(|y| - alpha tau)_+`` (LASSO AMP, threshold ``theta = alpha tau``);
* :func:`posterior_mean` — Bayes-optimal ``E[X0 | X0 + tau Z = y]`` of a mixture prior, with
  ``eta' = Var[X0 | y] / tau^2``;
* :func:`from_expression` — a user's expression or text (safe parser; ``y``, ``tau``,
  one-letter or Greek-name parameters, e.g. ``"y/(1+tau**2)"``, ``"tanh(a*y)"``).

Every denoiser is checked to be Lipschitz in ``y`` (state evolution needs it): ``|eta'|`` must be
finite and ``<= 1e4`` on a grid of ``y`` (``|y|`` from ``1e-6`` to ``1e6`` and a fine grid on
``[-20, 20]``) at ``tau in {0.3, 1, 3}`` and parameters set to ``1/2`` (or the given
``check_values``); otherwise ParameterError("denoiser", ...).

Reference: Donoho, Maleki & Montanari, PNAS 106 (2009), arXiv:0907.3574; Bayati & Montanari,
IEEE Trans. IT 57 (2011), arXiv:1001.3448.

>>> d = soft_threshold()
>>> d.expr
(-alpha*tau + y)*Heaviside(-alpha*tau + y) + (alpha*tau + y)*Heaviside(-alpha*tau - y)
>>> float(d.eta(3.0, 1.0, alpha=1.5))
1.5
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import sympy as sp
from scipy.special import ndtr

from ..bases.functions import Phi, phi
from ..errors import ParameterError
from .priors import Prior, _values, as_expr, latex_names, param_symbol, short_hash

__all__ = ["Y", "TAU", "Phi", "phi", "Denoiser", "soft_threshold", "posterior_mean", "from_expression",
           "parse_denoiser", "parse_user_expression", "NUMPY_MODULES"]

Y = sp.Symbol("y", real=True)
TAU = sp.Symbol("tau", positive=True)
_SQRT2PI = float(np.sqrt(2 * np.pi))


def _npdf(x):
    return np.exp(-0.5 * np.square(x)) / _SQRT2PI


#: lambdify modules understanding :class:`Phi`, :class:`phi` and ``Heaviside`` (H(0) = 1/2).
NUMPY_MODULES = [{"Phi": ndtr, "phi": _npdf, "Heaviside": lambda x, h0=0.5: np.heaviside(x, 0.5)},
                 "scipy", "numpy"]


def to_exp(expr: sp.Expr) -> sp.Expr:
    """Rewrite :class:`Phi`/:class:`phi` with ``erf``/``exp`` (for the Gaussian integrator)."""
    return expr.replace(lambda e: isinstance(e, Phi), lambda e: (1 + sp.erf(e.args[0] / sp.sqrt(2))) / 2
                        ).replace(lambda e: isinstance(e, phi),
                                  lambda e: sp.exp(-e.args[0] ** 2 / 2) / sp.sqrt(2 * sp.pi))


def lambdify(args, expr) -> Callable:
    """``sympy.lambdify`` with :data:`NUMPY_MODULES` (Max/Abs etc. through ``Heaviside``)."""
    from ..bases.functions import canonical

    return sp.lambdify(list(args), canonical(expr), modules=NUMPY_MODULES)


@dataclass(frozen=True, eq=False)
class Denoiser:
    """``eta(y; tau, params)``: ``expr`` and ``derivative`` (sympy, in :data:`Y`, :data:`TAU` and
    ``params``), ``params`` (tuple of positive symbols), ``name``, ``slug``; ``prior`` is set for
    a posterior mean (the prior it is Bayes-optimal for)."""

    expr: sp.Expr
    derivative: sp.Expr
    params: tuple = ()
    name: str = ""
    slug: str = ""
    prior: Prior | None = None
    _eta: Callable | None = field(default=None, repr=False)
    _deta: Callable | None = field(default=None, repr=False)

    def __post_init__(self):
        if self._eta is None:
            object.__setattr__(self, "_eta", lambdify([Y, TAU, *self.params], self.expr))
        if self._deta is None:
            object.__setattr__(self, "_deta", lambdify([Y, TAU, *self.params], self.derivative))

    def _call(self, fn, y, tau, params):
        vals = _values(params, self.params, f"the denoiser {self.name}")
        y = np.asarray(y, dtype=float)
        tau = np.asarray(tau, dtype=float)
        with np.errstate(all="ignore"):
            out = np.asarray(fn(y, tau, *vals), dtype=float)
        shape = np.broadcast_shapes(y.shape, tau.shape, *(v.shape for v in vals))
        return np.broadcast_to(out, shape).copy() if out.shape != shape else out

    def eta(self, y, tau, **params) -> np.ndarray:
        """``eta(y; tau, params)`` (numpy, broadcast)."""
        return self._call(self._eta, y, tau, params)

    def eta_prime(self, y, tau, **params) -> np.ndarray:
        """``d eta / d y`` (numpy, broadcast)."""
        return self._call(self._deta, y, tau, params)

    def latex(self) -> str:
        """``\\eta(y; \\tau) = ...`` in LaTeX."""
        names = latex_names(self.params)
        return (r"\eta(y; \tau) = " + sp.latex(self.expr, symbol_names=names)
                + r",\quad \eta'(y; \tau) = " + sp.latex(self.derivative, symbol_names=names))


# ---- Lipschitz check ---------------------------------------------------------------------------

_GRID = np.concatenate([np.linspace(-20, 20, 4001), np.logspace(-6, 6, 61), -np.logspace(-6, 6, 61)])
LIPSCHITZ_MAX = 1e4


def _drop_deltas(d: sp.Expr, expr: sp.Expr, params: dict) -> sp.Expr:
    """Remove ``DiracDelta`` terms of ``d = eta'``; they must vanish (a jump of ``eta`` is not Lipschitz)."""
    if not d.has(sp.DiracDelta):
        return d
    terms = sp.Add.make_args(sp.expand(d))
    keep = []
    for t in terms:
        deltas = [f for f in t.atoms(sp.DiracDelta) if f.has(Y)]
        if not deltas:
            keep.append(t)
            continue
        f = deltas[0]
        root = sp.solve(f.args[0], Y)
        coeff = t.subs(f, 1)
        ok = False
        if len(root) == 1:
            c = coeff.subs(Y, root[0]).subs({TAU: sp.Rational(7, 10), **params})
            c = sp.simplify(c.replace(lambda e: isinstance(e, sp.Heaviside), lambda e: sp.Heaviside(e.args[0], sp.S.Half)))
            ok = c == 0
        if not ok:
            raise ParameterError("denoiser", str(expr), "a Lipschitz function of y",
                                 f"it jumps where {f.args[0]} = 0")
    return sp.Add(*keep)


def check_lipschitz(den: Denoiser, check_values: Mapping[str, float] | None = None) -> None:
    """Raise ParameterError("denoiser", ...) unless ``|eta'| <= 1e4`` (finite) on the grid of the
    module docstring at ``tau in {0.3, 1, 3}``."""
    vals = {s.name: 0.5 for s in den.params}
    vals.update(check_values or {})
    if den.prior is not None:
        vals.update({s.name: 0.3 for s in den.prior.parameters if s.name not in (check_values or {})})
    for tau in (0.3, 1.0, 3.0):
        e = den.eta(_GRID, tau, **vals)
        d = den.eta_prime(_GRID, tau, **vals)
        bad = ~np.isfinite(e) | ~np.isfinite(d) | (np.abs(d) > LIPSCHITZ_MAX)
        if np.any(bad):
            i = int(np.argmax(bad))
            raise ParameterError("denoiser", str(den.expr), "a Lipschitz function of y (|eta'| bounded)",
                                 f"eta'(y={_GRID[i]:.3g}; tau={tau}) = {d[i]:.3g} at parameters {vals}")


def _positive_params(expr: sp.Expr, params) -> tuple[sp.Expr, tuple]:
    """Replace every free symbol but y, tau by the positive symbol of that name; check ``params``."""
    free = {s for s in expr.free_symbols if s.name not in ("y", "tau")}
    stray = {s for s in expr.free_symbols if s.name in ("y", "tau") and s not in (Y, TAU)}
    subs = {s: (Y if s.name == "y" else TAU) for s in stray}
    subs.update({s: param_symbol(s.name) for s in free})
    expr = expr.xreplace(subs)
    syms = tuple(sorted({param_symbol(s.name) for s in free}, key=lambda s: s.name))
    if params is not None:
        names = [p.name if isinstance(p, sp.Symbol) else str(p) for p in params]
        extra = sorted(s.name for s in syms if s.name not in names)
        if extra:
            raise ParameterError("params", list(names), f"a list naming every parameter (missing {extra})")
        syms = tuple(sorted((param_symbol(n) for n in names), key=lambda s: s.name))
    return expr, syms


# ---- user text -----------------------------------------------------------------------------------

_GREEK = ("tau", "alpha", "beta", "gamma", "lam", "lamda", "theta", "kappa", "mu", "nu", "rho", "omega",
          "xi", "zeta", "eps", "epsilon", "lambda_")


def parse_user_expression(text: str, var: sp.Symbol = Y) -> sp.Expr:
    """Safe-parse ``text`` in ``var``, also accepting the names ``tau`` and Greek parameter names
    (``alpha``, ``theta``...) that the one-letter grammar of :mod:`rmtsym.bases.parse` lacks.

    >>> parse_user_expression("y/(1 + tau**2) + alpha")
    alpha + y/(tau**2 + 1)
    """
    from ..bases.parse import _PARAMS, parse_expression

    if not isinstance(text, str):
        raise ParameterError("expression", text, "a string")
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_]*", text))
    used = {w for w in words if len(w) == 1}
    free = [c for c in sorted(_PARAMS) if c not in used and c != var.name]
    back = {}
    for w in sorted(words & set(_GREEK)):
        if not free:
            break
        c = free.pop()
        text = re.sub(rf"\b{w}\b", c, text)
        back[sp.Symbol(c, real=True)] = TAU if w == "tau" else sp.Symbol(w, real=True)
    e = parse_expression(text, var)
    return e.xreplace(back) if back else e


# ---- constructors --------------------------------------------------------------------------------

def soft_threshold(alpha="alpha") -> Denoiser:
    """``eta(y) = sign(y) (|y| - alpha tau)_+``; ``alpha`` a number or a parameter name/symbol.

    >>> soft_threshold(1.5).derivative
    Heaviside(-3*tau/2 - y) + Heaviside(-3*tau/2 + y)
    """
    a = as_expr(alpha, "alpha")
    if a.is_number and not a > 0:
        raise ParameterError("alpha", float(a), "alpha > 0")
    th = a * TAU
    expr = (Y - th) * sp.Heaviside(Y - th) + (Y + th) * sp.Heaviside(-Y - th)
    deriv = sp.Heaviside(Y - th) + sp.Heaviside(-Y - th)
    slug = "soft-threshold" if a == param_symbol("alpha") else f"soft-threshold-{short_hash(str(a))}"
    syms = tuple(sorted(a.free_symbols, key=lambda s: s.name))

    def deta(y, tau, *p):
        t = (float(a) if a.is_number else p[0]) * tau
        return (np.abs(y) > t).astype(float)

    simple = a.is_number or syms == (param_symbol("alpha"),)
    return Denoiser(expr, deriv, syms, name="soft threshold", slug=slug,
                    _eta=(lambda y, tau, *p: np.sign(y) * np.maximum(
                        np.abs(y) - (float(a) if a.is_number else p[0]) * tau, 0.0)) if simple else None,
                    _deta=deta if simple else None)


def _normal(y, m, s2):
    s = sp.sqrt(s2)
    return phi((y - m) / s) / s


def posterior_mean(prior: Prior) -> Denoiser:
    """Bayes-optimal denoiser ``E[X0 | X0 + tau Z = y]`` of a mixture prior (symbolic).

    With ``s_k^2 = v_k + tau^2``, ``pi_k(y) ∝ w_k phi((y - m_k)/s_k)/s_k``::

        eta(y)  = sum_k pi_k(y) (m_k + v_k (y - m_k)/s_k^2),
        eta'(y) = Var[X0 | y] / tau^2 = sum_k pi_k (v_k tau^2/s_k^2 + (m_k + ... - eta)^2) / tau^2.

    Numerics use log-sum-exp (no 0/0 for large ``|y|``).

    >>> from rmtsym.amp.priors import rademacher
    >>> d = posterior_mean(rademacher())
    >>> round(float(d.eta(0.3, 1.0)), 10) == round(float(np.tanh(0.3)), 10)
    True
    """
    if not isinstance(prior, Prior) or not prior.is_mixture:
        raise ParameterError("prior", getattr(prior, "name", prior), "a mixture prior (point masses and Gaussians)",
                             "the posterior mean of a density prior is not implemented")
    comps = prior.components
    dens = [c.weight * _normal(Y, c.mean, c.var + TAU ** 2) for c in comps]
    pmean = [c.mean + c.var / (c.var + TAU ** 2) * (Y - c.mean) for c in comps]
    pvar = [c.var * TAU ** 2 / (c.var + TAU ** 2) for c in comps]
    den = sp.Add(*dens)
    expr = sp.Add(*[d * m for d, m in zip(dens, pmean)]) / den
    deriv = (sp.Add(*[d * (v + m ** 2) for d, v, m in zip(dens, pvar, pmean)]) / den - expr ** 2) / TAU ** 2
    syms = prior.parameters

    def stats(y, tau, *p, need_var=True):
        pars = {s.name: v for s, v in zip(syms, p)}
        num = prior.numeric_components(check=False, **pars)
        y = np.asarray(y, dtype=float)
        t2 = np.square(tau)
        logs, pms, pvs = [], [], []
        with np.errstate(divide="ignore", invalid="ignore"):
            for w, m, v in num:
                s2 = v + t2
                logs.append(np.log(w) - 0.5 * np.square(y - m) / s2 - 0.5 * np.log(s2))
                pms.append(m + v / s2 * (y - m) if np.any(v != 0) else m + 0.0 * y)
                pvs.append(v * t2 / s2)
            top = logs[0]
            for L in logs[1:]:
                top = np.maximum(top, L)
            P = [np.exp(L - top) for L in logs]
            tot = P[0]
            mean = P[0] * pms[0]
            for Pk, Mk in zip(P[1:], pms[1:]):
                tot = tot + Pk
                mean = mean + Pk * Mk
            mean = mean / tot
            if not need_var:
                return mean, None
            var = 0.0
            for Pk, Mk, Vk in zip(P, pms, pvs):
                var = var + Pk * (Vk + np.square(Mk - mean))
            var = var / tot
        return mean, var / t2

    slug = "bayes" if prior.slug == "bg" else f"bayes-{prior.slug}"
    return Denoiser(expr, deriv, syms, name=f"posterior mean ({prior.name})", slug=slug, prior=prior,
                    _eta=lambda y, tau, *p: stats(y, tau, *p, need_var=False)[0],
                    _deta=lambda y, tau, *p: stats(y, tau, *p)[1])


def from_expression(expr_or_text, params: Sequence | None = None, *, name: str = "",
                    check_values: Mapping[str, float] | None = None) -> Denoiser:
    """A user denoiser from a sympy expression or text in ``y`` and ``tau``.

    ``params``: parameter names (default: every free symbol but ``y``, ``tau``); all are made
    positive symbols. Raises ParameterError("denoiser", ...) if it is not Lipschitz in ``y``.

    >>> from_expression("tanh(a*y)").params
    (a,)
    >>> try:
    ...     from_expression("1/y")
    ... except ParameterError as err:
    ...     print(err.name, "|", err.expected)
    denoiser | a Lipschitz function of y (|eta'| bounded)
    """
    if isinstance(expr_or_text, str):
        text = expr_or_text
        expr = parse_user_expression(expr_or_text, Y)
    else:
        expr = sp.sympify(expr_or_text)
        text = str(expr)
    expr, syms = _positive_params(expr, params)
    if Y not in expr.free_symbols:
        raise ParameterError("denoiser", text, "an expression in y (and tau, parameters)")
    cv = {s.name: sp.Rational(1, 2) for s in syms}
    cv.update({k: sp.nsimplify(v) for k, v in (check_values or {}).items()})
    deriv = _drop_deltas(sp.diff(expr, Y), expr, {param_symbol(k): v for k, v in cv.items()})
    den = Denoiser(expr, deriv, syms, name=name or text, slug="user-" + short_hash(str(expr)))
    check_lipschitz(den, {k: float(v) for k, v in cv.items()})
    return den


def parse_denoiser(text: str, prior: Prior | None = None) -> Denoiser:
    """Command-line grammar: ``soft`` | ``soft(alpha=1.5)`` | ``bayes`` (posterior mean of ``prior``)
    | ``expr: <text in y, tau>``.

    >>> parse_denoiser("soft").slug
    'soft-threshold'
    """
    if not isinstance(text, str):
        raise ParameterError("denoiser", text, "a denoiser description")
    t = text.strip()
    if t.startswith("expr"):
        body = t[4:].lstrip()
        if not body.startswith(":"):
            raise ParameterError("denoiser", text, "'expr: <expression in y, tau>'")
        return from_expression(body[1:].strip())
    m = re.fullmatch(r"(soft|soft_threshold|lasso)\s*(?:\(\s*(?:alpha\s*=\s*)?([^()]*)\))?", t)
    if m:
        return soft_threshold(m.group(2).strip() if m.group(2) else "alpha")
    if t in ("bayes", "posterior_mean", "mmse"):
        if prior is None:
            raise ParameterError("denoiser", text, "a prior for the posterior mean")
        return posterior_mean(prior)
    raise ParameterError("denoiser", text, "soft[(alpha=..)], bayes, or 'expr: <expression in y, tau>'")
