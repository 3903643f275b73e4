"""Compiled numeric solvers for systems of sympy equations (``residual = 0``).

A :class:`CompiledSystem` is built once from plain sympy objects (unknowns, parameters, residuals,
named outputs, a branch rule, a default guess, an optional fixed-point map). Its residuals and
their sympy Jacobian are lambdified with numpy (common subexpressions eliminated), and
:meth:`CompiledSystem.solve` runs a vectorised, damped Newton iteration over every point of a
parameter grid at once. Every point ends with a verdict in a :class:`ConvergenceReport`; a point
that did not converge, or converged to a solution that violates the branch rule, is returned as
NaN -- never as a plausible number.

Per point the solver tries, in order: Newton from each guess (the caller's guesses, then the
default guess expression), then -- if a fixed-point map is known -- a damped fixed-point iteration
followed by a Newton polish. :meth:`CompiledSystem.continuation` walks one parameter along a
straight line with warm starts; :meth:`CompiledSystem.solve_mp` solves at any number of digits
with :func:`mpmath.findroot`.

Conventions: Stieltjes transform ``m(z) = int dmu(x)/(x - z)``, ``Im m > 0`` for ``Im z > 0``
(DESIGN.md, "Conventions").

Semicircle of variance 1, ``m^2 + z m + 1 = 0``:

>>> import numpy as np, sympy as sp
>>> m, z = sp.symbols("m z")
>>> sc = CompiledSystem([m], [z], [m**2 + z*m + 1], {"density": sp.im(m)/sp.pi},
...                     branch=[sp.im(m) > 0], guess={m: -1/z}, name="semicircle")
>>> sol = sc.solve({"z": np.array([0.5, -1.0]) + 1e-9j})
>>> sol["density"]                        # sqrt(4 - x^2)/(2 pi)
array([0.3082..., 0.2756...])
>>> sol.report.all_ok
True
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import mpmath
import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from ..errors import ConvergenceError, ParameterError

__all__ = ["CompiledSystem", "ConvergenceReport", "Solution", "METHODS"]

#: Method codes stored in :attr:`ConvergenceReport.method` (index into this tuple).
METHODS = ("failed", "newton", "newton-retry", "fixed-point", "mpmath")
FAILED, NEWTON, RETRY, FIXED_POINT, MPMATH = range(5)

# Functions that are not complex-differentiable in their argument.
_NON_HOLOMORPHIC = (sp.conjugate, sp.re, sp.im, sp.Abs, sp.arg, sp.sign, sp.Heaviside, sp.Max,
                    sp.Min, sp.floor, sp.ceiling, sp.frac, sp.Piecewise)


# ------------------------------------------------------------------------------------------
# result types
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ConvergenceReport:
    """Per-point verdict of a solve; every array has the batch shape.

    converged : the residual test passed (``max_i |F_i| <= tol * max(1, S_i)``, see
        :meth:`CompiledSystem.solve`).
    admissible : the branch rule holds at the returned solution (False where not converged).
    iterations : Newton plus fixed-point iterations spent on the point (all attempts).
    residual : relative residual ``max_i |F_i| / max(1, S_i)`` at the last iterate.
    method : index into :data:`METHODS` of the attempt that produced the result.

    >>> r = ConvergenceReport(np.array([True, False]), np.array([True, False]),
    ...                       np.array([5, 60]), np.array([1e-16, 1e-2]), np.array([1, 0]))
    >>> r.ok, r.n_failed, r.all_ok
    (array([ True, False]), 1, False)
    >>> print(r.summary())
    system: 1 of 2 points did not converge (max residual 1.0e-02)
    """

    converged: np.ndarray
    admissible: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray
    method: np.ndarray
    rules: tuple[str, ...] = ()
    name: str = "system"

    @property
    def ok(self) -> np.ndarray:
        """``converged & admissible``: the points whose values are returned."""
        return np.asarray(self.converged) & np.asarray(self.admissible)

    @property
    def n_failed(self) -> int:
        """Number of points returned as NaN."""
        ok = self.ok
        return int(ok.size - np.count_nonzero(ok))

    @property
    def all_ok(self) -> bool:
        return self.n_failed == 0

    def method_names(self) -> np.ndarray:
        """:attr:`method` as strings (``'newton'``, ``'fixed-point'``, ...)."""
        return np.asarray(METHODS, dtype=object)[np.asarray(self.method, dtype=int)]

    def summary(self) -> str:
        """One line per failure class, or one line saying that all points are fine."""
        conv = np.asarray(self.converged, bool)
        adm = np.asarray(self.admissible, bool)
        res = np.asarray(self.residual, float)
        total = conv.size
        lines = []
        nc = ~conv
        finite = np.isfinite(res)
        k = int(np.count_nonzero(nc & finite))
        if k:
            lines.append(f"{self.name}: {k} of {total} points did not converge "
                         f"(max residual {np.max(res[nc & finite]):.1e})")
        k = int(np.count_nonzero(nc & ~finite))
        if k:
            lines.append(f"{self.name}: {k} of {total} points did not converge "
                         "(non-finite residual: overflow, NaN or a singular Jacobian)")
        k = int(np.count_nonzero(conv & ~adm))
        if k:
            rule = " and ".join(self.rules) or "branch rule"
            lines.append(f"{self.name}: {k} of {total} points converged only to an "
                         f"inadmissible solution (violates {rule})")
        if lines:
            return "\n".join(lines)
        codes, counts = np.unique(np.asarray(self.method, int), return_counts=True)
        how = ", ".join(f"{METHODS[c]}: {n}" for c, n in zip(codes, counts))
        return f"{self.name}: all {total} points converged and admissible ({how})"


@dataclass(frozen=True, eq=False)
class Solution:
    """Values of the unknowns and outputs (NaN where ``report.ok`` is False) and the report.

    Index by name (or sympy symbol): ``sol["m"]``, ``sol["density"]``.
    """

    unknowns: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]
    report: ConvergenceReport

    def __getitem__(self, name: str | sp.Basic) -> np.ndarray:
        key = str(name)
        if key in self.unknowns:
            return self.unknowns[key]
        if key in self.outputs:
            return self.outputs[key]
        raise KeyError(f"{key!r} is neither an unknown nor an output; "
                       f"available: {list(self.unknowns) + list(self.outputs)}")

    def keys(self) -> list[str]:
        return list(self.unknowns) + list(self.outputs)

    @property
    def shape(self) -> tuple[int, ...]:
        return np.shape(self.report.converged)

    def __repr__(self) -> str:
        return (f"Solution(shape={self.shape}, unknowns={list(self.unknowns)}, "
                f"outputs={list(self.outputs)}, failed={self.report.n_failed})")


# ------------------------------------------------------------------------------------------
# helpers on plain data
# ------------------------------------------------------------------------------------------
def _as_residual(r: Any) -> sp.Expr:
    r = sp.sympify(r)
    if isinstance(r, sp.Equality):
        return r.lhs - r.rhs
    if isinstance(r, (sp.core.relational.Relational, sp.logic.boolalg.Boolean)):
        raise ParameterError("residuals", str(r), "expressions equal to zero or sympy.Eq")
    return r


def _take(P: list, idx) -> list:
    """Subset of a list of parameter values (0-d values are shared by all points)."""
    return [p if np.ndim(p) == 0 else p[idx] for p in P]


def _sqnorm(F: np.ndarray) -> np.ndarray:
    if np.iscomplexobj(F):
        return (F.real ** 2 + F.imag ** 2).sum(axis=0)
    return (F * F).sum(axis=0)


def _newton_step(J: np.ndarray, F: np.ndarray) -> np.ndarray:
    """Solve ``J du = -F`` for stacked systems: ``J`` is (n, n, m), ``F`` is (n, m).

    A singular or non-finite system gives a non-finite step (never an exception)."""
    n = F.shape[0]
    if n == 1:
        return -F / J[0]
    if n == 2:
        det = J[0, 0] * J[1, 1] - J[0, 1] * J[1, 0]
        return np.stack([-(F[0] * J[1, 1] - F[1] * J[0, 1]) / det,
                         -(J[0, 0] * F[1] - J[1, 0] * F[0]) / det])
    A = np.moveaxis(J, -1, 0)
    b = -F.T[..., None]
    try:
        return np.linalg.solve(A, b)[..., 0].T
    except np.linalg.LinAlgError:
        out = np.full(F.shape[::-1], np.nan, dtype=np.result_type(A, b))
        for k in range(A.shape[0]):
            try:
                out[k] = np.linalg.solve(A[k], b[k])[:, 0]
            except np.linalg.LinAlgError:
                pass
        return out.T


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _numeric_array(name: str, value: Any) -> np.ndarray:
    try:
        a = np.asarray(value)
        if a.dtype.kind in "biuf":
            return a.astype(np.float64)
        if a.dtype.kind == "c":
            return a.astype(np.complex128)
        if a.dtype.kind == "O":
            try:
                return np.asarray(value, dtype=np.float64)
            except TypeError:
                return np.asarray(value, dtype=np.complex128)
    except (TypeError, ValueError):
        pass
    raise ParameterError(name, value, "a number or an array of numbers")


def _to_mp(name: str, x: Any):
    """A number (Python, numpy, string, sympy) as an mpmath number at the working precision."""
    if isinstance(x, (mpmath.mpf, mpmath.mpc)):
        return +x
    if isinstance(x, sp.Basic):
        if not x.is_number:
            raise ParameterError(name, x, "a number")
        return x._to_mpmath(mpmath.mp.prec + 10)
    if isinstance(x, np.generic):
        x = x.item()
    try:
        return mpmath.mpmathify(x)
    except (TypeError, ValueError):
        raise ParameterError(name, x, "a number (int, float, complex, string or sympy number)")


def _mp_nan(is_complex: bool):
    return mpmath.mpc(mpmath.nan, mpmath.nan) if is_complex else mpmath.mpf("nan")


# ------------------------------------------------------------------------------------------
# the compiled system
# ------------------------------------------------------------------------------------------
class CompiledSystem:
    """A system ``F(u; p) = 0`` of sympy residuals compiled into vectorised solvers.

    Parameters
    ----------
    unknowns, parameters : sympy symbols (``Indexed`` and applied functions also work).
    residuals : one expression per unknown, meaning ``expr = 0`` (``sympy.Eq`` allowed).
    outputs : named expressions of unknowns and parameters, evaluated at the solution.
    branch : relationals (``>``, ``>=``, ``<``, ``<=``) that select the admissible solution,
        e.g. ``[sympy.im(m) > 0]``; checked as a signed margin with a relative slack.
    guess : default initial guess of each unknown as an expression of the parameters.
    fixed_point : map ``u <- G(u, p)`` (one entry per unknown; missing entries are the
        identity) used by the damped fixed-point fallback.
    complex : whether the unknowns are complex. ``None``: decided at each solve -- complex if a
        parameter value or guess is complex or a residual contains ``I``.
    name : used in reports and error messages.

    Complex unknowns: Newton uses the sympy derivative ``dF/du``, which is the correct
    linearisation only when the residuals are holomorphic in the unknowns. A residual that
    applies a non-holomorphic function (``conjugate``, ``re``, ``im``, ``Abs``, ``arg``,
    ``sign``, ``Heaviside``, ``Max``, ``Min``, ``Piecewise``, ...) to an unknown is therefore
    refused for complex unknowns (at construction when ``complex=True``); with
    ``complex=None`` such a system is solved over the reals only. Branch rules and outputs may
    use any function.
    """

    def __init__(self, unknowns: Sequence[sp.Basic], parameters: Sequence[sp.Basic],
                 residuals: Sequence[sp.Expr], outputs: Mapping[str, sp.Expr] | None = None, *,
                 branch: Sequence[sp.core.relational.Relational] = (),
                 guess: Mapping[sp.Basic | str, sp.Expr] | None = None,
                 fixed_point: Mapping[sp.Basic | str, sp.Expr] | None = None,
                 complex: bool | None = None, name: str = "system"):
        self.name = str(name)
        self.unknowns = tuple(unknowns)
        self.parameters = tuple(parameters)
        self.residuals = tuple(_as_residual(r) for r in residuals)
        self.outputs = {str(k): sp.sympify(v) for k, v in dict(outputs or {}).items()}
        n = len(self.unknowns)
        if n == 0:
            raise ParameterError("unknowns", [], "at least one unknown")
        if len(self.residuals) != n:
            raise ParameterError("residuals", len(self.residuals),
                                 f"one residual per unknown ({n})", f"system {self.name!r}")
        for label, syms in (("unknowns", self.unknowns), ("parameters", self.parameters)):
            for s in syms:
                if not isinstance(s, sp.Basic) or not (s.is_Symbol or isinstance(
                        s, (sp.Indexed, sp.core.function.AppliedUndef))):
                    raise ParameterError(label, s, "sympy symbols")
        names = [str(s) for s in self.unknowns + self.parameters]
        dup = sorted({x for x in names if names.count(x) > 1})
        if dup:
            raise ParameterError("unknowns", dup, "distinct names for unknowns and parameters")
        clash = sorted(set(self.outputs) & set(names[:n]))
        if clash:
            raise ParameterError("outputs", clash, "output names distinct from the unknowns")
        self._unames = names[:n]
        self._pnames = names[n:]

        # placeholders: plain dummies first (for the holomorphy check)
        pd = [sp.Dummy(str(p)) for p in self.parameters]
        ud = [sp.Dummy(str(u)) for u in self.unknowns]
        res = self._subs(self.residuals, ud, pd, "residuals")
        bad = [a for r in res for a in r.atoms(*_NON_HOLOMORPHIC) if a.free_symbols & set(ud)]
        self._has_I = any(r.has(sp.I) for r in res)
        if bad:
            why = (f"{sp.sstr(bad[0].xreplace({d: u for d, u in zip(ud, self.unknowns)}))} is not "
                   "holomorphic in the unknowns, so complex Newton with the sympy derivative "
                   "would be wrong; solve over the reals (complex=False) or rewrite it")
            if complex or self._has_I:
                raise ParameterError("residuals", [str(r) for r in self.residuals],
                                     "holomorphic functions of complex unknowns", why)
            self._real_reason = why
            complex = False
        else:
            self._real_reason = ""
        if complex is None and all(getattr(u, "is_real", None) for u in self.unknowns):
            complex = False
            self._real_reason = "its unknowns are declared real"
        self.complex = complex
        if complex is False:
            ud = [sp.Dummy(str(u), real=True) for u in self.unknowns]
            res = self._subs(self.residuals, ud, pd, "residuals")
        self._ud, self._pd = ud, pd
        args = ud + pd

        jac = sp.Matrix(res).jacobian(ud)
        if jac.has(sp.Derivative):
            raise ParameterError("residuals", [str(r) for r in self.residuals],
                                 "expressions with an explicit derivative in the unknowns")
        scale = [sp.Add(*[sp.Abs(t) for t in sp.Add.make_args(r)]) for r in res]
        self._jacobian = jac
        self._f = sp.lambdify(args, list(res), "numpy", cse=True)
        self._fj = sp.lambdify(args, list(res) + list(jac), "numpy", cse=True)
        self._fs = sp.lambdify(args, scale, "numpy", cse=True)
        self._res_d, self._jac_d, self._scale_d = res, jac, scale

        outs = self._subs(list(self.outputs.values()), ud, pd, "outputs")
        self._out_d = outs
        self._fout = sp.lambdify(args, outs, "numpy", cse=True) if outs else None

        # branch rules -> margins (>= 0 when admissible) and magnitudes for the slack
        rules, margins, mags = [], [], []
        for b in branch:
            b = sp.sympify(b)
            if b is sp.true:
                continue
            if b is sp.false:
                raise ParameterError("branch", str(b), "a satisfiable inequality",
                                     f"system {self.name!r}: the rule simplified to False")
            if not isinstance(b, (sp.StrictGreaterThan, sp.GreaterThan, sp.StrictLessThan,
                                  sp.LessThan)):
                raise ParameterError("branch", str(b), "inequalities (>, >=, <, <=)")
            rules.append(str(b))
            bl, br = self._subs([b.lhs, b.rhs], ud, pd, "branch")
            margins.append(bl - br if b.rel_op in (">", ">=") else br - bl)
            mags.append(sp.Abs(bl) + sp.Abs(br))
        self.branch = tuple(sp.sympify(b) for b in branch if sp.sympify(b) is not sp.true)
        self._rules = tuple(rules)
        self._margin_d = margins + mags
        self._fmargin = sp.lambdify(args, margins + mags, "numpy", cse=True) if margins else None

        # default guess (expressions of the parameters) and fixed-point map
        self.guess = self._by_unknown(guess, "guess")
        g = [self.guess.get(u) for u in self.unknowns]
        self._guess_d = None
        self._fguess = None
        if any(e is not None for e in g):
            gd = self._subs([sp.nan if e is None else e for e in g], [], pd, "guess",
                            extra={u: d for u, d in zip(self.unknowns, ud)})
            if any(e.free_symbols & set(ud) for e in gd):
                raise ParameterError("guess", {str(k): str(v) for k, v in self.guess.items()},
                                     "expressions of the parameters only")
            self._guess_d = gd
            self._fguess = sp.lambdify(pd, gd, "numpy")
        self.fixed_point = self._by_unknown(fixed_point, "fixed_point")
        self._fp_d = None
        self._ffp = None
        if self.fixed_point:
            fp = [self.fixed_point.get(u, u) for u in self.unknowns]
            self._fp_d = self._subs(fp, ud, pd, "fixed_point")
            self._ffp = sp.lambdify(args, self._fp_d, "numpy", cse=True)
        self._mp_cache: dict | None = None
        self._guess_cache: dict = {}

    # ---- construction helpers ---------------------------------------------------------
    def _subs(self, exprs, ud, pd, label, extra=None) -> list[sp.Expr]:
        rep = dict(zip(self.unknowns, ud)) if ud else {}
        rep.update(zip(self.parameters, pd))
        allowed = set(ud) | set(pd)
        out = []
        for e in exprs:
            e = sp.sympify(e)
            d = e.xreplace(rep)
            if extra:
                d = d.xreplace(extra)
                allowed |= set(extra.values())
            stray = d.free_symbols - allowed
            if stray:
                raise ParameterError(label, str(e), "expressions in the declared unknowns and "
                                     "parameters", f"undeclared symbol(s) "
                                     f"{sorted(map(str, stray))} in system {self.name!r}")
            out.append(d)
        return out

    def _by_unknown(self, mapping, label) -> dict:
        if not mapping:
            return {}
        byname = dict(zip(self._unames, self.unknowns))
        out = {}
        for k, v in dict(mapping).items():
            u = k if k in self.unknowns else byname.get(str(k))
            if u is None:
                raise ParameterError(label, str(k), f"keys among the unknowns {self._unames}")
            out[u] = sp.sympify(v)
        return out

    def __repr__(self) -> str:
        return (f"CompiledSystem({self.name!r}, unknowns={self._unames}, "
                f"parameters={self._pnames}, outputs={list(self.outputs)})")

    # ---- parameters and guesses ---------------------------------------------------------
    def _parse_params(self, params) -> tuple[list[np.ndarray], tuple[int, ...]]:
        if not isinstance(params, Mapping):
            raise ParameterError("params", params, "a mapping from parameter names to values")
        index = {p: i for i, p in enumerate(self._pnames)}
        vals: list = [None] * len(self._pnames)
        for key, v in params.items():
            nm = str(key)
            if nm not in index:
                raise ParameterError(nm, v, f"one of the parameters {self._pnames} of "
                                     f"system {self.name!r}", "unknown parameter name")
            vals[index[nm]] = _numeric_array(nm, v)
        for nm, v in zip(self._pnames, vals):
            if v is None:
                raise ParameterError(nm, "missing", "a value (number or array)",
                                     f"system {self.name!r} needs {self._pnames}")
        try:
            shape = np.broadcast_shapes(*[v.shape for v in vals]) if vals else ()
        except ValueError:
            raise ParameterError("params", {k: v.shape for k, v in zip(self._pnames, vals)},
                                 "shapes that broadcast together")
        return vals, shape

    def _is_complex(self, vals, guess) -> bool:
        if self.complex is not None:
            if self.complex is False:
                for nm, v in zip(self._pnames, vals):
                    if v.dtype.kind == "c":
                        raise ParameterError(nm, "complex values", "real values",
                                             f"system {self.name!r} is solved over the reals: "
                                             f"{self._real_reason or 'complex=False'}")
            return self.complex
        if self._has_I or any(v.dtype.kind == "c" for v in vals):
            return True

        def cplx(g):
            if isinstance(g, Solution):
                return any(np.iscomplexobj(a) for a in g.unknowns.values())
            if isinstance(g, Mapping):
                return any(cplx(v) for v in g.values())
            if isinstance(g, (list, tuple)):
                return any(cplx(v) for v in g)
            if isinstance(g, sp.Basic):
                return g.has(sp.I)
            return np.iscomplexobj(np.asarray(g))

        return guess is not None and cplx(guess)

    def _guess_specs(self, guess, shape, dtype) -> list[Callable]:
        """Guesses as functions ``(flat point indices, parameter subset) -> (n, k) array``."""
        n = len(self.unknowns)
        items = [] if guess is None else list(guess) if isinstance(guess, (list, tuple)) \
            else [guess]
        specs = []

        def from_values(vals):  # list of n arrays/scalars/expressions-of-parameters
            cols = []
            for j, v in enumerate(vals):
                if isinstance(v, sp.Basic) and not v.is_number:
                    fn = self._guess_cache.get(v)
                    if fn is None:
                        e, = self._subs([v], [], self._pd, "guess")
                        fn = self._guess_cache[v] = sp.lambdify(self._pd, e, "numpy")
                    cols.append(("expr", fn))
                    continue
                if isinstance(v, sp.Basic):
                    v = complex(v)
                a = _numeric_array("guess", v)
                if a.dtype.kind == "c" and np.dtype(dtype).kind == "f":
                    if np.any(a.imag != 0):
                        raise ParameterError("guess", "complex values", "real values",
                                             f"system {self.name!r} is solved over the reals")
                    a = a.real
                try:
                    if np.broadcast_shapes(a.shape, shape) != shape:
                        raise ValueError
                except ValueError:
                    raise ParameterError("guess", a.shape, f"shape broadcastable to {shape}")
                if a.size == 1:
                    cols.append(("const", a.reshape(-1)[0]))
                else:
                    cols.append(("array", np.broadcast_to(a, shape).reshape(-1)))

            def spec(idx, P, cols=cols):
                out = np.empty((n, idx.size), dtype=dtype)
                for j, (kind, c) in enumerate(cols):
                    if kind == "const":
                        out[j] = c
                    elif kind == "array":
                        out[j] = c[idx]
                    else:
                        out[j] = c(*P)
                return out
            return spec

        for g in items:
            if isinstance(g, Solution):
                specs.append(from_values([np.asarray(g.unknowns[u]) for u in self._unames]))
            elif isinstance(g, Mapping):
                byname = dict(zip(self._unames, range(n)))
                vals: list = [None] * n
                for k, v in g.items():
                    j = byname.get(str(k))
                    if j is None:
                        raise ParameterError("guess", str(k), f"keys among the unknowns "
                                             f"{self._unames}")
                    vals[j] = v
                for j in range(n):
                    if vals[j] is None:
                        d = self.guess.get(self.unknowns[j])
                        vals[j] = d if d is not None else self._generic(dtype)
                specs.append(from_values(vals))
            else:
                a = g if isinstance(g, sp.Basic) else np.asarray(g)
                if n == 1:
                    specs.append(from_values([a]))
                elif isinstance(a, np.ndarray) and a.ndim >= 1 and a.shape[0] == n:
                    specs.append(from_values(list(a)))
                else:
                    raise ParameterError("guess", getattr(a, "shape", a),
                                         f"an array with leading axis of length {n}, a mapping "
                                         "or a list of guesses")
        if self._fguess is not None:
            specs.append(from_values([self.guess.get(u, self._generic(dtype))
                                      for u in self.unknowns]))
        specs.append(from_values([self._generic(dtype)] * n))  # last resort: 1 or 1j
        return specs

    @staticmethod
    def _generic(dtype):
        return 1j if np.dtype(dtype).kind == "c" else 1.0

    # ---- numerics on flat blocks --------------------------------------------------------
    def _eval(self, f, u, P, dtype, rows) -> np.ndarray:
        vals = f(*u, *P)
        out = np.empty((rows, u.shape[1]), dtype=dtype)
        for i, v in enumerate(vals):
            out[i] = v
        return out

    def _eval_fj(self, u, P):
        n, m = u.shape
        out = self._eval(self._fj, u, P, np.result_type(u.dtype, *[np.asarray(p).dtype
                                                                     for p in P]), n + n * n)
        return out[:n], out[n:].reshape(n, n, m)

    def _relres(self, u, P) -> np.ndarray:
        """``max_i |F_i| / max(1, S_i)``; S_i = sum of |additive terms| of residual i."""
        F = np.abs(self._eval(self._f, u, P, np.complex128, len(self.unknowns)))
        S = np.abs(self._eval(self._fs, u, P, np.float64, len(self.unknowns)).real)
        r = (F / np.maximum(1.0, S)).max(axis=0)
        r[~np.isfinite(F).all(axis=0)] = np.inf
        return r

    def _newton(self, u, P, tol, maxiter):
        """Damped Newton on a block; returns (u, converged, iterations)."""
        n, m = u.shape
        out = u.copy()
        conv = np.zeros(m, bool)
        iters = np.zeros(m, np.int32)
        act = np.arange(m)
        F, J = self._eval_fj(u, P)
        xtol = max(np.sqrt(tol), 1e-15)
        for k in range(maxiter + 1):
            du = _newton_step(J, F)
            f0 = _sqnorm(F)
            dn = _sqnorm(du)  # |du|_2^2 <= xtol^2 (1 + |u|_2^2): cheap form of the step test
            small = dn <= xtol * xtol * (1.0 + _sqnorm(u))
            zero = f0 == 0  # an exact root, even where J is singular
            ok = zero.copy()
            cand = np.flatnonzero(small & ~zero)
            if cand.size:
                Pc = _take(P, cand)
                uc = u[:, cand]
                S = np.maximum(1.0, np.abs(self._eval(self._fs, uc, Pc, np.float64, n).real))
                rel = (np.abs(F[:, cand]) / S).max(axis=0)
                c = rel <= tol
                ok[cand] = c
                if c.any():  # free polish: take the last (tiny) step, keep it if not worse
                    ci, Pci = cand[c], _take(Pc, c)
                    up = uc[:, c] + du[:, ci]
                    Fp = self._eval(self._f, up, Pci, F.dtype, n)
                    Sp = np.abs(self._eval(self._fs, up, Pci, np.float64, n).real)
                    better = (np.abs(Fp) / np.maximum(1.0, Sp)).max(axis=0) <= rel[c]
                    u[:, ci[better]] = up[:, better]
            stop = ok | ~(np.isfinite(f0) & np.isfinite(dn))
            if k == maxiter:
                stop[:] = True
            if stop.any():
                out[:, act[stop]] = u[:, stop]
                conv[act[stop]] = ok[stop]
                keep = np.flatnonzero(~stop)
                if keep.size == 0:
                    break
                act, u, F, J, du = act[keep], u[:, keep], F[:, keep], J[..., keep], du[:, keep]
                f0, P = f0[keep], _take(P, keep)
            iters[act] += 1
            # backtracking on |F|: accept |F(u + l du)| <= (1 - 1e-4 l) |F(u)|
            ut = u + du
            Ft, Jt = self._eval_fj(ut, P)
            bad = ~(_sqnorm(Ft) <= (1 - 1e-4) ** 2 * f0)
            lam = 1.0
            for _ in range(12):
                b = np.flatnonzero(bad)
                if b.size == 0:
                    break
                lam *= 0.5
                ub = u[:, b] + lam * du[:, b]
                Fb, Jb = self._eval_fj(ub, _take(P, b))
                ut[:, b], Ft[:, b], Jt[..., b] = ub, Fb, Jb
                bad[b[_sqnorm(Fb) <= (1 - 1e-4 * lam) ** 2 * f0[b]]] = False
            if bad.any():  # no descent along the Newton direction: stop, not converged
                out[:, act[bad]] = u[:, bad]
                keep = np.flatnonzero(~bad)
                if keep.size == 0:
                    break
                act, ut, Ft, Jt = act[keep], ut[:, keep], Ft[:, keep], Jt[..., keep]
                P = _take(P, keep)
            u, F, J = ut, Ft, Jt
        return out, conv, iters

    def _fixed_point(self, u, P, damping, tol, maxiter):
        """Damped iteration ``u <- (1 - d) u + d G(u)``; returns (u, iterations)."""
        n, m = u.shape
        out = u.copy()
        iters = np.zeros(m, np.int32)
        act = np.arange(m)
        xtol = max(np.sqrt(tol), 1e-15)
        for _ in range(maxiter):
            g = self._eval(self._ffp, u, P, u.dtype, n)
            un = (1 - damping) * u + damping * g
            iters[act] += 1
            delta = np.abs(un - u).max(axis=0)
            u = un
            stop = ~(delta > xtol * (1.0 + np.abs(u).max(axis=0)))  # small or non-finite
            if stop.any():
                out[:, act[stop]] = u[:, stop]
                keep = np.flatnonzero(~stop)
                act, u, P = act[keep], u[:, keep], _take(P, keep)
                if keep.size == 0:
                    break
        out[:, act] = u
        return out, iters

    def _admissible(self, u, P, slack) -> np.ndarray:
        if self._fmargin is None:
            return np.ones(u.shape[1], bool)
        k = len(self._rules)
        vals = self._eval(self._fmargin, u, P, np.complex128, 2 * k)
        margin, mag = vals[:k], np.abs(vals[k:])
        tol = slack * (1.0 + mag + np.abs(u).max(axis=0))
        return ((margin.real >= -tol) & (np.abs(margin.imag) <= tol)).all(axis=0)

    def _solve_block(self, P, gidx, specs, dtype, cfg) -> dict:
        n, m = len(self.unknowns), gidx.size
        U = np.full((n, m), np.nan, dtype=dtype)
        rank = np.zeros(m, np.int8)  # 1 not converged, 2 converged inadmissible, 3 ok
        conv, adm = np.zeros(m, bool), np.zeros(m, bool)
        iters = np.zeros(m, np.int32)
        meth = np.zeros(m, np.int8)

        def attempt(u0, sub, code):
            Ps = _take(P, sub)
            u, c, it = self._newton(u0, Ps, cfg["tol"], cfg["maxiter"])
            a = np.zeros(sub.size, bool)
            ci = np.flatnonzero(c)
            if ci.size:
                a[ci] = self._admissible(u[:, ci], _take(Ps, ci), cfg["branch_slack"])
            r = np.where(c & a, 3, np.where(c, 2, 1)).astype(np.int8)
            better = r > rank[sub]
            s = sub[better]
            U[:, s], rank[s], conv[s], adm[s] = u[:, better], r[better], c[better], a[better]
            meth[s] = np.where(c[better], code, FAILED)
            iters[sub] += it
            return sub[r < 3]

        todo = np.arange(m)
        with np.errstate(all="ignore"):
            for gi, spec in enumerate(specs):
                if todo.size == 0:
                    break
                todo = attempt(spec(gidx[todo], _take(P, todo)), todo, NEWTON if gi == 0 else RETRY)
            if todo.size and cfg["fallback"] and self._ffp is not None:
                u0 = np.full((n, todo.size), np.nan, dtype=dtype)
                for spec in specs:  # start from the first finite guess
                    miss = np.flatnonzero(~np.isfinite(u0).all(axis=0))
                    if miss.size == 0:
                        break
                    u0[:, miss] = spec(gidx[todo[miss]], _take(P, todo[miss]))
                Ps = _take(P, todo)
                u1, it = self._fixed_point(u0, Ps, cfg["damping"], cfg["tol"], cfg["fp_maxiter"])
                iters[todo] += it
                todo = attempt(u1, todo, FIXED_POINT)
            res = self._relres(U, P)
            ok = rank == 3
            U[:, ~ok] = np.nan
            outs = []
            if self._fout is not None:
                vals = self._fout(*U, *P)
                for v in vals:
                    a = np.array(np.broadcast_to(v, (m,)))
                    if a.dtype.kind not in "fc":
                        a = a.astype(np.float64)
                    a[~ok] = np.nan
                    outs.append(a)
        return dict(U=U, conv=conv, adm=adm, iters=iters, meth=meth, res=res, outs=outs)

    # ---- public API ---------------------------------------------------------------------
    def solve(self, params: Mapping[str | sp.Basic, ArrayLike], guess: Any = None, *,
              tol: float = 1e-12, maxiter: int = 60, damping: float = 0.5,
              fallback: bool = True, fp_maxiter: int = 5000, raise_on_failure: bool = False,
              branch_slack: float = 1e-10, workers: int | None = None,
              chunk: int = 1 << 16) -> Solution:
        """Solve at every point of the broadcast parameter grid.

        params : ``{name or symbol: array-like}``; all are broadcast together to the batch
            shape of every result array.
        guess : one guess or a list of guesses, tried in order before the default guess
            expression and the generic start (1 if real, 1j if complex). A guess is a
            mapping ``{unknown: array or expression of the parameters}``, a previous
            :class:`Solution`, or an array (for ``n >= 2`` unknowns: leading axis of length
            ``n``). A ``list``/``tuple`` always means several guesses.
        tol : a point has converged when, for every residual ``F_i``,
            ``|F_i| <= tol * max(1, S_i)`` with ``S_i`` the sum of the absolute values of the
            additive terms of ``F_i`` (so the test is absolute for O(1) terms and relative
            to the size of what cancels otherwise), and the next Newton step is small:
            ``|du|^2 <= tol (1 + |u|^2)`` (Euclidean norms over the unknowns). An exact zero
            of the residual is converged even where the Jacobian is singular.
        maxiter : Newton iterations per attempt (each with up to 12 step halvings).
        damping, fp_maxiter, fallback : the fixed-point fallback ``u <- (1-d) u + d G(u)``,
            run on the points that are not ok after all guesses, then polished by Newton.
        branch_slack : a rule ``lhs > rhs`` holds when ``lhs - rhs >= -slack (1 + |lhs| +
            |rhs| + |u|)`` (so ``Im m = -1e-17`` on the real axis counts as ``Im m > 0``).
        raise_on_failure : raise :class:`~rmtsym.errors.ConvergenceError` (message:
            ``report.summary()``) if any point is not ok.
        workers, chunk : points are solved in blocks of ``chunk`` on ``workers`` threads
            (default: the available cores).

        >>> import sympy as sp
        >>> x, p = sp.symbols("x p")
        >>> s = CompiledSystem([x], [p], [x**2 - p], branch=[x > 0], guess={x: p})
        >>> s.solve({"p": [4.0, 2.0, -1.0]})["x"]
        array([2. , 1.41421356, nan])
        >>> print(s.solve({"p": [4.0, -1.0]}).report.summary())
        system: 1 of 2 points did not converge (max residual 1.0e+00)
        """
        vals, shape = self._parse_params(params)
        cplx = self._is_complex(vals, guess)
        dtype = np.complex128 if cplx else np.float64
        N = int(np.prod(shape, dtype=np.int64))
        # a parameter with one value stays a scalar (shared by all points, no copy)
        P = [v.reshape(-1)[0] if v.size == 1 else np.broadcast_to(v, shape).reshape(-1)
             for v in vals]
        specs = self._guess_specs(guess, shape, dtype)
        cfg = dict(tol=tol, maxiter=maxiter, damping=damping, fallback=fallback,
                   fp_maxiter=fp_maxiter, branch_slack=branch_slack)
        chunk = max(int(chunk), 1)
        blocks = [slice(a, min(a + chunk, N)) for a in range(0, N, chunk)] or [slice(0, 0)]

        def run(sl):
            return self._solve_block(_take(P, sl), np.arange(sl.start, sl.stop), specs, dtype, cfg)

        nw = min(workers or _workers(), len(blocks))
        if nw > 1:
            with ThreadPoolExecutor(nw) as ex:
                parts = list(ex.map(run, blocks))
        else:
            parts = [run(b) for b in blocks]

        def cat(key):
            return np.concatenate([p[key] for p in parts], axis=-1)

        U = cat("U")
        unknowns = {nm: U[j].reshape(shape) for j, nm in enumerate(self._unames)}
        outputs = {nm: np.concatenate([p["outs"][j] for p in parts]).reshape(shape)
                   for j, nm in enumerate(self.outputs)}
        report = ConvergenceReport(cat("conv").reshape(shape), cat("adm").reshape(shape),
                                   cat("iters").reshape(shape), cat("res").reshape(shape),
                                   cat("meth").reshape(shape), self._rules, self.name)
        if raise_on_failure and not report.all_ok:
            raise ConvergenceError(report.summary())
        return Solution(unknowns, outputs, report)

    def continuation(self, params: Mapping[str | sp.Basic, ArrayLike], along: str | sp.Basic,
                     start: ArrayLike, steps: int = 20, guess: Any = None, **kw) -> Solution:
        """Walk parameter ``along`` linearly from ``start`` to its value in ``params`` in
        ``steps`` steps, warm-starting each step from the previous solution (points that
        failed at a step keep their last good value as warm start). The first step uses
        ``guess`` and the default guess; ``kw`` go to :meth:`solve`. The report is the last
        step's, with iterations summed over the path.

        Stieltjes transforms: start at ``z + 10j`` (where ``-1/z`` is accurate) and walk down
        to the real axis.

        >>> import sympy as sp
        >>> m, z = sp.symbols("m z")
        >>> sc = CompiledSystem([m], [z], [m**2 + z*m + 1], branch=[sp.im(m) > 0],
        ...                     guess={m: -1/z})
        >>> x = np.array([-1.0, 0.0, 1.5])
        >>> sol = sc.continuation({"z": x + 1e-6j}, "z", start=x + 10j)
        >>> np.round(sol["m"].imag, 6)                 # sqrt(4 - x^2)/2
        array([0.866025, 1.      , 0.661438])
        """
        nm = str(along)
        if nm not in self._pnames:
            raise ParameterError("along", nm, f"one of the parameters {self._pnames}")
        if int(steps) < 1:
            raise ParameterError("steps", steps, "an integer >= 1")
        params = {str(k): v for k, v in params.items()}
        if nm not in params:
            raise ParameterError(nm, "missing", "a target value for the continuation")
        raise_on_failure = kw.pop("raise_on_failure", False)
        target = _numeric_array(nm, params[nm])
        start = _numeric_array("start", start)
        warm = None
        total = None
        sol = None
        for k in range(int(steps) + 1):
            t = k / int(steps)
            params[nm] = target if k == steps else start + (target - start) * t
            user = [] if guess is None else list(guess) if isinstance(guess, (list, tuple)) \
                else [guess]
            g = guess if warm is None else [dict(zip(self._unames, warm))] + user
            sol = self.solve(params, g, **kw)
            total = sol.report.iterations if total is None else total + sol.report.iterations
            ok = sol.report.ok
            cur = np.stack([np.asarray(sol.unknowns[u]) for u in self._unames])
            if warm is None:
                warm = cur
            else:
                warm = np.where(ok, cur, np.broadcast_to(warm, cur.shape))
        r = sol.report
        report = ConvergenceReport(r.converged, r.admissible, total, r.residual, r.method,
                                   r.rules, r.name)
        if raise_on_failure and not report.all_ok:
            raise ConvergenceError(report.summary())
        return Solution(sol.unknowns, sol.outputs, report)

    # ---- arbitrary precision ------------------------------------------------------------
    def _mp_functions(self):
        if self._mp_cache is None:
            args = self._ud + self._pd
            c = dict(
                f=sp.lambdify(args, list(self._res_d), "mpmath", cse=True),
                j=sp.lambdify(args, list(self._jac_d), "mpmath", cse=True),
                s=sp.lambdify(args, list(self._scale_d), "mpmath", cse=True),
                out=sp.lambdify(args, list(self._out_d), "mpmath", cse=True)
                if self._out_d else None,
                margin=sp.lambdify(args, self._margin_d, "mpmath") if self._margin_d else None,
                guess=sp.lambdify(self._pd, self._guess_d, "mpmath")
                if self._guess_d is not None else None)
            self._mp_cache = c
        return self._mp_cache

    def solve_mp(self, params: Mapping[str | sp.Basic, Any], guess: Any = None, *,
                 digits: int = 50, tol: float | None = None, maxiter: int = 50,
                 branch_slack: float | None = None,
                 raise_on_failure: bool = False) -> Solution:
        """Solve point by point with :func:`mpmath.findroot` (Newton with the sympy Jacobian)
        at ``digits`` significant digits.

        Parameters may be numbers, strings (``"0.3"``, read at full precision), sympy numbers
        or (small) arrays of those. Starting points, in order: ``guess`` (as in :meth:`solve`;
        a list means several), else the float64 solution; then the default guess expression.
        Converged: ``|F_i| <= tol max(1, S_i)`` with ``tol = 10**(3 - digits)`` by default;
        the branch slack defaults to ``10**(6 - digits)``. Values are mpmath numbers in
        object arrays (NaN where not ok).

        >>> import sympy as sp
        >>> x, p = sp.symbols("x p")
        >>> s = CompiledSystem([x], [p], [x**2 - p], branch=[x > 0], guess={x: p})
        >>> v = s.solve_mp({"p": 2}, digits=40)["x"].item()
        >>> mpmath.nstr(v, 40)
        '1.414213562373095048801688724209698078570'
        """
        digits = int(digits)
        if digits < 5:
            raise ParameterError("digits", digits, "an integer >= 5")
        with mpmath.workdps(digits):  # mpf: 10**-400 does not underflow
            tol_mp = mpmath.mpf(10) ** (3 - digits) if tol is None else mpmath.mpf(tol)
            slack = (mpmath.mpf(10) ** (6 - digits) if branch_slack is None
                     else mpmath.mpf(branch_slack))
        fns = self._mp_functions()
        n = len(self.unknowns)
        if not isinstance(params, Mapping):
            raise ParameterError("params", params, "a mapping from parameter names to values")
        index = {p: i for i, p in enumerate(self._pnames)}
        raw: list = [None] * len(self._pnames)
        for key, v in params.items():
            if str(key) not in index:
                raise ParameterError(str(key), v, f"one of the parameters {self._pnames} of "
                                     f"system {self.name!r}", "unknown parameter name")
            a = np.empty((), dtype=object)
            a[()] = v
            raw[index[str(key)]] = a if np.ndim(v) == 0 and not isinstance(v, np.ndarray) \
                else np.asarray(v, dtype=object)
        for nm, v in zip(self._pnames, raw):
            if v is None:
                raise ParameterError(nm, "missing", "a value", f"system {self.name!r} needs "
                                     f"{self._pnames}")
        try:
            shape = np.broadcast_shapes(*[v.shape for v in raw]) if raw else ()
        except ValueError:
            raise ParameterError("params", [v.shape for v in raw], "shapes that broadcast")
        raw = [np.broadcast_to(v, shape) for v in raw]

        with mpmath.workdps(digits):
            P = [np.empty(shape, dtype=object) for _ in raw]
            for nm, q, r in zip(self._pnames, P, raw):
                for idx in np.ndindex(shape):
                    q[idx] = _to_mp(nm, r[idx])
        cplx = (self.complex if self.complex is not None else
                self._has_I or any(isinstance(x, mpmath.mpc) for q in P for x in q.flat)
                or (guess is not None and self._is_complex([], guess)))
        if self.complex is False and any(isinstance(x, mpmath.mpc) for q in P for x in q.flat):
            raise ParameterError("params", "complex values", "real values",
                                 f"system {self.name!r} is solved over the reals")

        # float64 starting points
        starts: list = []
        if guess is not None:
            items = list(guess) if isinstance(guess, (list, tuple)) else [guess]
            for g in items:
                if isinstance(g, Mapping) and any(isinstance(v, sp.Basic) and not v.is_number
                                                  for v in g.values()):
                    byname = {str(k): v for k, v in g.items()}
                    gen = self._generic(np.complex128 if cplx else np.float64)
                    exprs = [sp.sympify(byname.get(u, self.guess.get(d, gen)))
                             for u, d in zip(self._unames, self.unknowns)]
                    starts.append(("sym", sp.lambdify(self._pd, self._subs(
                        exprs, [], self._pd, "guess"), "mpmath")))
                else:
                    starts.append(("array", self._float_guess(g, shape)))
        else:
            fparams = {nm: np.vectorize(lambda x: complex(x) if isinstance(x, mpmath.mpc)
                                        else float(x), otypes=[complex if cplx else float])(q)
                       for nm, q in zip(self._pnames, P)}
            try:
                fs = self.solve(fparams)
                starts.append(("array", np.stack([np.asarray(fs.unknowns[u])
                                                  for u in self._unames])))
            except (ParameterError, ValueError, OverflowError):
                pass
        starts += [("default", None), ("generic", None)]

        f, jf, sf = fns["f"], fns["j"], fns["s"]
        U = np.empty((n,) + shape, dtype=object)
        outs = {k: np.empty(shape, dtype=object) for k in self.outputs}
        conv = np.zeros(shape, bool)
        adm = np.zeros(shape, bool)
        iters = np.zeros(shape, np.int32)
        res = np.full(shape, np.inf)
        meth = np.zeros(shape, np.int8)
        with mpmath.workdps(digits):
            nan = _mp_nan(cplx)
            for idx in np.ndindex(shape):
                pv = [q[idx] for q in P]
                best = None  # (rank, x, rel, conv, adm)
                for kind, val in starts:
                    x0 = self._mp_start(kind, val, idx, pv, cplx, n)
                    if x0 is None:
                        continue
                    calls = [0]

                    def jac(*x):
                        calls[0] += 1
                        flat = list(jf(*x, *pv))
                        return mpmath.matrix([flat[i * n:(i + 1) * n] for i in range(n)])
                    try:
                        x = mpmath.findroot(lambda *x: list(f(*x, *pv)), x0, solver="mdnewton",
                                            J=jac, maxsteps=maxiter, verify=False)
                        x = [x[i] for i in range(n)]
                    except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                        iters[idx] += calls[0]
                        continue
                    iters[idx] += calls[0]
                    if not cplx:
                        if any(isinstance(v, mpmath.mpc) and abs(v.imag) > tol_mp * (1 + abs(v))
                               for v in x):
                            rank = (1, x, np.inf, False, False)
                            best = rank if best is None else best
                            continue
                        x = [mpmath.re(v) for v in x]
                    else:
                        x = [mpmath.mpc(v) for v in x]
                    F = f(*x, *pv)
                    S = sf(*x, *pv)
                    rel = max(abs(Fi) / max(1, abs(Si)) for Fi, Si in zip(F, S))
                    c = bool(rel <= tol_mp)
                    rel = float(rel)
                    a = c and self._mp_admissible(fns["margin"], x, pv, slack)
                    cand = (3 if a else 2 if c else 1, x, rel, c, a)
                    if best is None or cand[0] > best[0]:
                        best = cand
                    if a:
                        break
                if best is None:
                    best = (0, [nan] * n, np.inf, False, False)
                rank, x, rel, c, a = best
                conv[idx], adm[idx], res[idx] = c, a, rel
                meth[idx] = MPMATH if c else FAILED
                ok = rank == 3
                for j in range(n):
                    U[(j,) + idx] = x[j] if ok else nan
                if self._out_d:
                    ov = fns["out"](*x, *pv) if ok else [nan] * len(self.outputs)
                    for k, v in zip(self.outputs, ov):
                        outs[k][idx] = v if ok else _mp_nan(False)
        report = ConvergenceReport(conv, adm, iters, res, meth, self._rules, self.name)
        if raise_on_failure and not report.all_ok:
            raise ConvergenceError(report.summary())
        return Solution({nm: U[j, ...] for j, nm in enumerate(self._unames)}, outs, report)

    def _float_guess(self, g, shape):
        """A non-symbolic guess as an (n, *shape) object array."""
        n = len(self.unknowns)
        if isinstance(g, Solution):
            cols = [g.unknowns[u] for u in self._unames]
        elif isinstance(g, Mapping):
            byname = {str(k): v for k, v in g.items()}
            cols = [byname.get(u, np.nan) for u in self._unames]
        elif n == 1:
            cols = [g]
        else:
            cols = list(g)
        out = np.empty((n,) + shape, dtype=object)
        for j, c in enumerate(cols):
            out[j] = np.broadcast_to(np.asarray(c, dtype=object), shape)
        return out

    def _mp_start(self, kind, val, idx, pv, cplx, n):
        conv = (lambda v: mpmath.mpc(v)) if cplx else (lambda v: mpmath.mpf(v))
        try:
            if kind == "array":
                x0 = [_to_mp("guess", val[(j,) + idx]) for j in range(n)]
            elif kind == "sym":
                x0 = [_to_mp("guess", v) for v in val(*pv)]
            else:
                g = self._mp_functions()["guess"]
                gen = mpmath.mpc(0, 1) if cplx else mpmath.mpf(1)
                if kind == "default" and g is None:
                    return None
                x0 = list(g(*pv)) if kind == "default" else [gen] * n
                x0 = [gen if (isinstance(v, (mpmath.mpf, mpmath.mpc)) and mpmath.isnan(v))
                      else v for v in x0]
            if not cplx and any(isinstance(v, mpmath.mpc) for v in x0):
                return None
            x0 = [conv(v) for v in x0]
            if not all(mpmath.isfinite(v) for v in x0):
                return None
            return x0
        except (TypeError, ValueError, ZeroDivisionError, ParameterError):
            return None

    def _mp_admissible(self, fmargin, x, pv, slack) -> bool:
        if fmargin is None:
            return True
        k = len(self._rules)
        vals = fmargin(*x, *pv)
        xn = max(abs(v) for v in x)
        for mrg, mag in zip(vals[:k], vals[k:]):
            t = slack * (1 + abs(mag) + xn)
            if mpmath.re(mrg) < -t or abs(mpmath.im(mrg)) > t:
                return False
        return True
