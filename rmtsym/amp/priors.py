"""Priors of the signal ``x0`` for separable AMP (issue 6, item 1).

Two kinds (convention in :mod:`rmtsym.amp.state_evolution`):

* **exact** — a finite mixture of point masses ``delta_m`` and Gaussians ``N(m, v)`` with
  sympy-exact weights, means and variances (symbols allowed, e.g. ``eps``; every parameter
  symbol is ``positive=True``). The state evolution of such a prior is a sum of
  one-dimensional Gaussian expectations, done in closed form where possible.
* **density** — a density expression in ``x`` (sympy, or text through the safe parser) on a
  support interval, normalised numerically; numbers only (no free parameters).

Text grammar of :func:`parse_prior` (for the command line; nothing is ever sympified)::

    bg(eps=0.1[, var=1][, mean=0])     Bernoulli-Gaussian (1 - eps) delta_0 + eps N(mean, var)
    gauss(var=2[, mean=0])             N(mean, var)
    rademacher                         (delta_{-1} + delta_{+1}) / 2
    discrete(points=[-1,0,1], weights=[0.25,0.5,0.25])
    density: exp(-abs(x))/2 [on (-oo, oo)]    a density in x (safe-parser grammar; interval optional)

Values are decimal numbers (exact rationals) or a parameter name (``eps=eps`` keeps it symbolic).
Bad input raises :class:`rmtsym.errors.ParameterError`: negative weights or variances, weights
not summing to 1, a density that is not normalisable or has no finite second moment.

Reference: Donoho, Maleki & Montanari, PNAS 106 (2009), arXiv:0907.3574 (Bernoulli-Gaussian
prior of LASSO AMP).

>>> p = bernoulli_gaussian("eps")
>>> p.second_moment
eps
>>> parse_prior("bg(eps=0.1)").second_moment
1/10
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Sequence

import numpy as np
import sympy as sp

from ..errors import ParameterError

__all__ = ["Component", "Prior", "X", "bernoulli_gaussian", "gaussian", "rademacher", "discrete",
           "mixture", "density", "parse_prior", "param_symbol", "as_expr", "latex_names", "short_hash"]

#: The variable of density priors.
X = sp.Symbol("x", real=True)


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,19}")
_LATEX_NAMES = {"eps": r"\varepsilon", "epsilon": r"\varepsilon", "rho": r"\rho"}


def param_symbol(name: str) -> sp.Symbol:
    """The canonical (positive) sympy symbol of a model parameter called ``name``.

    >>> param_symbol("eps").is_positive
    True
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name in ("x", "y", "z", "tau", "tau2",
                                                                          "delta", "sigma"):
        raise ParameterError("parameter", name, "a name of letters/digits/_ starting with a letter "
                             "(not x, y, z, tau, tau2, delta, sigma)")
    return sp.Symbol(name, positive=True)


def short_hash(text: str) -> str:
    """Six hex digits identifying ``text`` (suffix of derivation names of user models)."""
    import hashlib

    return hashlib.sha1(text.encode()).hexdigest()[:6]


def latex_names(symbols) -> dict:
    """LaTeX names of parameter symbols (``eps`` -> ``\\varepsilon``)."""
    return {s: _LATEX_NAMES[s.name] for s in symbols if s.name in _LATEX_NAMES}


def as_expr(value, what: str) -> sp.Expr:
    """A number (exact), a parameter name, or a sympy expression whose symbols become positive."""
    if isinstance(value, sp.Basic):
        e = value
    elif isinstance(value, bool):
        raise ParameterError(what, value, "a number, a parameter name or a sympy expression")
    elif isinstance(value, (int, np.integer)):
        e = sp.Integer(int(value))
    elif isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            raise ParameterError(what, value, "a finite number")
        e = sp.Rational(repr(float(value)))
    elif isinstance(value, str):
        v = value.strip()
        try:
            e = sp.Rational(v) if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?(/\d+)?", v) else None
        except (TypeError, ValueError):
            e = None
        if e is None:
            e = param_symbol(v)
    else:
        raise ParameterError(what, value, "a number, a parameter name or a sympy expression")
    e = sp.sympify(e)
    subs = {s: param_symbol(s.name) for s in e.free_symbols if not s.is_positive}
    return e.xreplace(subs) if subs else e


@dataclass(frozen=True)
class Component:
    """One mixture component: ``weight * delta_mean`` (``var == 0``) or ``weight * N(mean, var)``."""

    weight: sp.Expr
    mean: sp.Expr
    var: sp.Expr

    @property
    def is_point(self) -> bool:
        return self.var == 0


def _sorted_symbols(exprs) -> tuple:
    out = set()
    for e in exprs:
        out |= sp.sympify(e).free_symbols
    return tuple(sorted(out, key=lambda s: s.name))


def _values(params: dict, symbols, who: str) -> list:
    vals = []
    for s in symbols:
        if s.name not in params:
            raise ParameterError(s.name, None, f"a value for the parameter {s.name} of {who}")
        v = np.asarray(params[s.name], dtype=float)
        if np.any(~np.isfinite(v)) or np.any(v <= 0):
            bad = v[~(np.isfinite(v) & (v > 0))].ravel()[0] if v.ndim else float(v)
            raise ParameterError(s.name, float(bad), f"{s.name} > 0 (finite)")
        vals.append(v)
    return vals


@dataclass(frozen=True, eq=False)
class Prior:
    """Law of one coordinate of ``x0``: a mixture (``components``) or a ``density`` in :data:`X`.

    Attributes: ``components`` (tuple of :class:`Component`, empty for a density prior),
    ``density_expr`` (normalised sympy density, None for a mixture), ``support`` (pair of
    sympy numbers), ``name`` (human name), ``slug`` (for derivation names). Density priors
    also carry the quadrature rule ``nodes``/``node_weights`` (the normalised prior
    discretised: ``E f(X0) ~ sum node_weights * f(nodes)``) and its relative accuracy
    ``quadrature_error`` (second moment with the rule vs a rule with twice the panels).
    """

    components: tuple = ()
    density_expr: sp.Expr | None = None
    support: tuple = (-sp.oo, sp.oo)
    name: str = ""
    slug: str = ""
    nodes: np.ndarray | None = field(default=None, repr=False)
    node_weights: np.ndarray | None = field(default=None, repr=False)
    quadrature_error: float = 0.0

    @property
    def is_mixture(self) -> bool:
        return self.density_expr is None

    @property
    def parameters(self) -> tuple:
        """Free parameter symbols (sorted by name)."""
        return _sorted_symbols([x for c in self.components for x in (c.weight, c.mean, c.var)])

    @property
    def second_moment(self) -> sp.Expr:
        """``E[X0^2]`` (exact sympy expression; a Float for density priors)."""
        if self.is_mixture:
            return sp.factor(sp.Add(*[c.weight * (c.mean ** 2 + c.var) for c in self.components]))
        return sp.Float(float(np.sum(self.node_weights * self.nodes ** 2)), 15)

    @cached_property
    def _m2_fn(self):
        return sp.lambdify(list(self.parameters), self.second_moment, "numpy")

    def second_moment_value(self, **params) -> np.ndarray:
        """``E[X0^2]`` as numbers, broadcast over parameter arrays."""
        if not self.is_mixture:
            return np.asarray(float(np.sum(self.node_weights * self.nodes ** 2)))
        return np.asarray(self._m2_fn(*_values(params, self.parameters, "the prior")), dtype=float)

    @cached_property
    def _component_fns(self) -> list:
        syms = list(self.parameters)
        return [tuple(sp.lambdify(syms, e, "numpy") for e in (c.weight, c.mean, c.var))
                for c in self.components]

    def numeric_components(self, *, check: bool = True, **params) -> list:
        """``[(weight, mean, var)]`` as broadcastable float arrays (checked unless ``check=False``)."""
        if check:
            self.check_values(**params)
        vals = _values(params, self.parameters, "the prior") if check else \
            [np.asarray(params[s.name], dtype=float) for s in self.parameters]
        return [tuple(np.asarray(f(*vals), dtype=float) for f in fns) for fns in self._component_fns]

    def check_values(self, **params) -> None:
        """Raise ParameterError if numeric parameter values make a weight leave ``[0, 1]`` or a
        variance negative."""
        if not self.is_mixture:
            return
        syms = self.parameters
        vals = _values(params, syms, "the prior")
        for c, fns in zip(self.components, self._component_fns):
            for e, fn, lo, hi, what in ((c.weight, fns[0], 0.0, 1.0, "a weight in [0, 1]"),
                                        (c.var, fns[2], 0.0, np.inf, "a variance >= 0")):
                if e.is_number:
                    continue
                x = np.asarray(fn(*vals), dtype=float)
                bad = ~((x >= lo) & (x <= hi))
                if np.any(bad):
                    names = ", ".join(sorted(s.name for s in e.free_symbols))
                    val = {s.name: float(np.broadcast_to(np.asarray(params[s.name], dtype=float),
                                                         bad.shape)[bad].ravel()[0])
                           for s in e.free_symbols}
                    raise ParameterError(names, val, f"values making {e} {what}")

    def sample(self, n: int, rng: np.random.Generator | int | None = None, **params) -> np.ndarray:
        """``n`` iid draws (parameters as scalars).

        >>> bool(np.all(rademacher().sample(5, 0) ** 2 == 1))
        True
        """
        rng = np.random.default_rng(rng)
        if not self.is_mixture:
            cdf = np.cumsum(self.node_weights)
            cdf = cdf / cdf[-1]
            return np.interp(rng.random(n), cdf, self.nodes)
        comps = self.numeric_components(**params)
        w = np.array([float(np.asarray(c[0]).reshape(-1)[0]) for c in comps])
        if any(np.asarray(x).size != 1 for c in comps for x in c):
            raise ParameterError("params", params, "scalar parameter values for sampling")
        k = rng.choice(len(comps), size=n, p=w / w.sum())
        means = np.array([float(c[1]) for c in comps])[k]
        sds = np.sqrt(np.array([float(c[2]) for c in comps]))[k]
        return means + sds * rng.standard_normal(n)

    def latex(self) -> str:
        """The law in LaTeX, e.g. ``(1 - \\varepsilon) \\delta_{0} + \\varepsilon \\mathcal{N}(0, 1)``."""
        names = latex_names(self.parameters)
        lx = lambda e: sp.latex(e, symbol_names=names)  # noqa: E731
        if not self.is_mixture:
            lo, hi = self.support
            return f"p(x) = {sp.latex(self.density_expr)},\\quad x \\in ({lx(lo)}, {lx(hi)})"
        terms = []
        for c in self.components:
            w = c.weight
            wl = "" if w == 1 else (f"\\left({lx(w)}\\right)" if isinstance(w, sp.Add) else lx(w)) + " "
            law = (f"\\delta_{{{lx(c.mean)}}}" if c.is_point
                   else f"\\mathcal{{N}}\\left({lx(c.mean)}, {lx(c.var)}\\right)")
            terms.append(wl + law)
        return " + ".join(terms)


def _mixture_prior(comps: list, name: str, slug: str) -> Prior:
    comps = [Component(as_expr(w, "weight"), as_expr(m, "mean"), as_expr(v, "var")) for w, m, v in comps]
    for c in comps:
        if c.weight.is_negative or (c.weight.is_number and not (0 <= c.weight <= 1)):
            raise ParameterError("weights", str(c.weight), "weights in [0, 1]")
        if c.var.is_negative:
            raise ParameterError("var", str(c.var), "a variance >= 0")
        for e in (c.weight, c.mean, c.var):
            if e.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
                raise ParameterError("prior", str(e), "finite weights, means and variances",
                                     "a mixture with infinite variance has no finite second moment")
    total = sp.simplify(sp.Add(*[c.weight for c in comps]) - 1)
    if total != 0:
        raise ParameterError("weights", [str(c.weight) for c in comps], "weights summing to 1")
    # merge components with equal (mean, var)
    merged: dict = {}
    for c in comps:
        key = (c.mean, c.var)
        merged[key] = merged.get(key, 0) + c.weight
    comps = tuple(Component(sp.factor(w), m, v) for (m, v), w in merged.items() if w != 0)
    return Prior(components=comps, name=name, slug=slug)


def _rehash(p: Prior) -> Prior:
    from dataclasses import replace

    return replace(p, slug=f"{p.slug}-{short_hash(p.latex())}")


def bernoulli_gaussian(eps="eps", var=1, mean=0) -> Prior:
    """``(1 - eps) delta_0 + eps N(mean, var)``; ``eps`` a number or a parameter name/symbol.

    >>> bernoulli_gaussian(0.1).latex()
    '\\\\frac{9}{10} \\\\delta_{0} + \\\\frac{1}{10} \\\\mathcal{N}\\\\left(0, 1\\\\right)'
    """
    e = as_expr(eps, "eps")
    if e.is_number and not (0 <= e <= 1):
        raise ParameterError("eps", float(e), "eps in [0, 1]")
    v = as_expr(var, "var")
    if v.is_number and not v > 0:
        raise ParameterError("var", float(v), "var > 0")
    p = _mixture_prior([(1 - e, 0, 0), (e, mean, v)], "Bernoulli-Gaussian", "bg")
    return p if (e == param_symbol("eps") and v == 1 and as_expr(mean, "mean") == 0) else _rehash(p)


def gaussian(var=1, mean=0) -> Prior:
    """``N(mean, var)``."""
    v = as_expr(var, "var")
    if v.is_number and not v > 0:
        raise ParameterError("var", float(v), "var > 0")
    p = _mixture_prior([(1, mean, v)], "Gaussian", "gauss")
    return p if (v == 1 and as_expr(mean, "mean") == 0) else _rehash(p)


def rademacher() -> Prior:
    """``(delta_{-1} + delta_{+1}) / 2``."""
    return _mixture_prior([(sp.Rational(1, 2), -1, 0), (sp.Rational(1, 2), 1, 0)], "Rademacher",
                          "rademacher")


def discrete(points: Sequence, weights: Sequence) -> Prior:
    """``sum_i weights[i] delta_{points[i]}`` (weights >= 0 summing to 1)."""
    points, weights = list(points), list(weights)
    if len(points) != len(weights) or not points:
        raise ParameterError("weights", weights, "one weight per point (at least one point)")
    return _rehash(_mixture_prior([(w, p, 0) for p, w in zip(points, weights)], "discrete", "discrete"))


def mixture(*parts) -> Prior:
    """Mixture of mixture priors: ``mixture((w1, prior1), (w2, prior2), ...)``.

    >>> mixture((0.5, gaussian(2)), (0.5, rademacher())).second_moment
    3/2
    """
    comps = []
    for part in parts:
        if not (isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], Prior)):
            raise ParameterError("parts", part, "pairs (weight, Prior)")
        w, p = as_expr(part[0], "weight"), part[1]
        if not p.is_mixture:
            raise ParameterError("parts", p.name, "mixture priors (a density prior cannot be mixed)")
        comps += [(w * c.weight, c.mean, c.var) for c in p.components]
    return _rehash(_mixture_prior(comps, "mixture", "mixture"))


# ---- density priors ------------------------------------------------------------------------------

def _gl_rule(a: float, b: float, panels: int, order: int = 8):
    """Composite Gauss–Legendre nodes/weights on ``[a, b]``."""
    t, w = np.polynomial.legendre.leggauss(order)
    edges = np.linspace(a, b, panels + 1)
    h = np.diff(edges)[:, None]
    x = (edges[:-1, None] + edges[1:, None]) / 2 + h / 2 * t[None, :]
    return x.ravel(), (h / 2 * w[None, :]).ravel()


def _piece_rule(a, b, panels: int):
    """Nodes/weights of ``int_a^b`` for ``a, b`` finite or infinite (map ``x = a + u/(1-u)``)."""
    if np.isfinite(a) and np.isfinite(b):
        return _gl_rule(a, b, panels)
    u, w = _gl_rule(0.0, 1.0, panels)
    jac = 1.0 / (1.0 - u) ** 2
    if np.isfinite(a):
        return a + u / (1.0 - u), w * jac
    if np.isfinite(b):
        return b - u / (1.0 - u), w * jac
    raise AssertionError


def _density_rule(f, lo, hi, cuts, panels: int):
    ends = [lo, *[c for c in cuts if lo < c < hi], hi]
    if not np.isfinite(lo) and not np.isfinite(hi) and len(ends) == 2:
        ends = [lo, 0.0, hi]
    xs, ws = [], []
    for a, b in zip(ends[:-1], ends[1:]):
        x, w = _piece_rule(a, b, panels)
        xs.append(x)
        ws.append(w)
    x, w = np.concatenate(xs), np.concatenate(ws)
    with np.errstate(all="ignore"):
        p = np.asarray(f(x), dtype=float)
    return x, w, p


def density(expr_or_text, support=(-sp.oo, sp.oo), *, panels: int = 64) -> Prior:
    """A density prior: sympy expression or text in ``x`` on ``support``, normalised numerically.

    The expression must be numeric apart from ``x`` (no free parameters), nonnegative, normalisable
    and have a finite second moment (tail test ``x^3 p(x) -> 0`` and agreement of the second moment
    between ``panels`` and ``2 panels`` Gauss–Legendre panels to ``1e-6``).

    >>> round(float(density("exp(-abs(x))/2").second_moment), 8)
    2.0
    >>> density("1/(pi*(1+x**2))")
    Traceback (most recent call last):
    ...
    rmtsym.errors.ParameterError: prior = '1/(pi*(x**2 + 1))' is invalid: expected a density with finite second moment (x**3 p(x) does not go to 0 as |x| -> oo)
    """
    from ..bases.functions import breakpoints, to_numpy
    from ..bases.parse import parse_expression

    expr = parse_expression(expr_or_text, X) if isinstance(expr_or_text, str) else sp.sympify(expr_or_text)
    same = {s: X for s in expr.free_symbols if s.name == "x" and s != X}
    expr = expr.xreplace(same) if same else expr
    stray = expr.free_symbols - {X}
    if stray:
        raise ParameterError("prior", str(expr), "a density in x with numeric coefficients",
                             f"free parameter(s) {sorted(map(str, stray))}; density priors are numeric")
    try:
        lo, hi = (sp.sympify(s) for s in support)
        flo, fhi = float(lo), float(hi)
    except (TypeError, ValueError):
        raise ParameterError("support", support, "a pair (lo, hi) of numbers or +-oo") from None
    if not flo < fhi:
        raise ParameterError("support", support, "lo < hi")
    f = to_numpy(expr, X)
    # tail test for a finite second moment
    for sgn, end in ((1, fhi), (-1, flo)):
        if np.isfinite(end):
            continue
        t = np.array([1e4, 1e8]) * sgn
        with np.errstate(all="ignore"):
            g = np.abs(t) ** 3 * np.abs(np.asarray(f(t), dtype=float))
        if not np.all(np.isfinite(g)) or not (g[1] < 1e-3 and g[1] <= g[0]):
            raise ParameterError("prior", str(expr), "a density with finite second moment",
                                 "x**3 p(x) does not go to 0 as |x| -> oo")
    cuts = breakpoints(expr, X)
    x, w, p = _density_rule(f, flo, fhi, cuts, panels)
    x2, w2, p2 = _density_rule(f, flo, fhi, cuts, 2 * panels)
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(p2))):
        raise ParameterError("prior", str(expr), "a density finite on its support")
    if np.any(p < 0) or np.any(p2 < 0):
        raise ParameterError("prior", str(expr), "a nonnegative density")
    Zn, Zn2 = float(np.sum(w * p)), float(np.sum(w2 * p2))
    if not (Zn > 0 and np.isfinite(Zn)):
        raise ParameterError("prior", str(expr), "a normalisable density (0 < integral < oo)")
    m2, m2b = float(np.sum(w * p * x * x)) / Zn, float(np.sum(w2 * p2 * x2 * x2)) / Zn2
    err = abs(m2 - m2b) / max(m2b, 1e-300)
    if not (np.isfinite(m2) and np.isfinite(m2b)) or err > 1e-6 or abs(Zn - Zn2) > 1e-6 * Zn2:
        raise ParameterError("prior", str(expr), "a density with finite second moment",
                             f"the quadrature of E X0^2 does not settle ({m2:.6g} vs {m2b:.6g})")
    keep = w2 * p2 > 0
    nexpr = expr / sp.nsimplify(Zn2, rational=False) if abs(Zn2 - 1) > 1e-12 else expr
    order = np.argsort(x2[keep])
    return Prior(density_expr=nexpr, support=(lo, hi), name="density",
                 slug="density-" + short_hash(f"{nexpr}|{lo}|{hi}"),
                 nodes=x2[keep][order], node_weights=(w2 * p2)[keep][order] / Zn2, quadrature_error=err)


# ---- the command-line grammar ---------------------------------------------------------------------

_CALL = re.compile(r"\s*([a-z_]+)\s*(?:\((.*)\))?\s*$", re.S)


def _kwargs(body: str, allowed: dict) -> dict:
    out = {}
    if body is None or not body.strip():
        return out
    # split on commas not inside [...]
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    positional = list(allowed)
    for i, part in enumerate(parts):
        if "=" in part:
            k, v = (s.strip() for s in part.split("=", 1))
        else:
            if i >= len(positional):
                raise ParameterError("prior", body, f"arguments {', '.join(allowed)}")
            k, v = positional[i], part.strip()
        if k not in allowed:
            raise ParameterError("prior", k, f"one of the arguments {', '.join(allowed)}")
        if allowed[k] == "list":
            if not (v.startswith("[") and v.endswith("]")):
                raise ParameterError(k, v, "a list [a, b, ...]")
            out[k] = [as_expr(s.strip(), k) for s in v[1:-1].split(",") if s.strip()]
        else:
            out[k] = as_expr(v, k)
    return out


def parse_prior(text: str) -> Prior:
    """Parse the command-line grammar of the module docstring.

    >>> parse_prior("gauss(var=2)").second_moment
    2
    >>> parse_prior("discrete(points=[-1, 1], weights=[0.5, 0.5])").second_moment
    1
    """
    if not isinstance(text, str) or len(text) > 2000:
        raise ParameterError("prior", text, "a prior description (string, < 2000 characters)")
    t = text.strip()
    if t.startswith("density"):
        body = t[len("density"):].lstrip()
        if not body.startswith(":"):
            raise ParameterError("prior", text, "'density: <expression in x> [on (lo, hi)]'")
        body = body[1:]
        support = (-sp.oo, sp.oo)
        m = re.search(r"\bon\s*\(([^()]*),([^()]*)\)\s*$", body)
        if m:
            def end(s):
                s = s.strip()
                if s in ("oo", "+oo", "inf", "+inf"):
                    return sp.oo
                if s in ("-oo", "-inf"):
                    return -sp.oo
                e = as_expr(s, "support")
                if not e.is_number:
                    raise ParameterError("support", s, "a number or +-oo")
                return e
            support = (end(m.group(1)), end(m.group(2)))
            body = body[:m.start()]
        return density(body.strip(), support)
    m = _CALL.match(t)
    if not m:
        raise ParameterError("prior", text, "bg(eps=..), gauss(var=..), rademacher, discrete(points=[..], "
                             "weights=[..]) or 'density: <expression in x>'")
    kind, body = m.group(1), m.group(2)
    if kind in ("bg", "bernoulli_gaussian"):
        return bernoulli_gaussian(**_kwargs(body, {"eps": 1, "var": 1, "mean": 1}))
    if kind in ("gauss", "gaussian"):
        return gaussian(**_kwargs(body, {"var": 1, "mean": 1}))
    if kind == "rademacher":
        if body and body.strip():
            raise ParameterError("prior", text, "rademacher without arguments")
        return rademacher()
    if kind == "discrete":
        kw = _kwargs(body, {"points": "list", "weights": "list"})
        if set(kw) != {"points", "weights"}:
            raise ParameterError("prior", text, "discrete(points=[...], weights=[...])")
        return discrete(kw["points"], kw["weights"])
    raise ParameterError("prior", kind, "one of bg, gauss, rademacher, discrete, density")
