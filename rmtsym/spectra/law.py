"""Spectral laws known through their Stieltjes transform.

Convention ("Stieltjes transform" in ``docs/conventions.md``): ``m(z) = int dmu(x)/(x - z)``,
``Im m > 0`` when ``Im z > 0``, density ``Im m(x + i0)/pi``.

One interface, :class:`SpectralLaw`, three kinds of law behind it:

* :class:`AlgebraicLaw` -- ``P(m, z) = 0`` for a polynomial ``P`` kept exactly in sympy
  (rational or algebraic coefficients when the inputs are exact). Support edges are real roots
  of the discriminant of ``P`` in ``m``, computed exactly and filtered to the true edges;
  atoms and moments are exact.
* :class:`SubordinationLaw` -- a fixed-point / subordination system (a registered
  :class:`~rmtsym.core.derivation.Derivation`) compiled by
  :class:`~rmtsym.core.solve.CompiledSystem`, for laws that are not algebraic (a free sum with
  a law given by eigenvalues, for instance); built by :mod:`rmtsym.spectra.free`.
* :class:`EmpiricalLaw` -- the spectrum of a matrix, ``m(z) = mean_i 1/(lambda_i - z)``.

Branch rule of algebraic laws (how the physical root of ``P(., z)`` is chosen)
-------------------------------------------------------------------------------
*Definition.* For ``Im z > 0`` the physical root is the analytic continuation, along the
vertical segment from ``x + iY`` (``Y`` = 8 x the radius of the support and beyond) down to
``z``, of the root closest to ``-1/z - mu_1/z^2 - mu_2/z^3`` at the top (``mu_k`` the exact
moments); on the real axis it is the limit ``m(x + i0)`` of that continuation.

*Implementation (vectorised, no loop over points).* For ``Im z > 0`` the roots of ``P(., z)``
that satisfy the Nevanlinna inequality ``Im(-1/m) >= Im z`` are computed for all points at once;
where exactly one root qualifies it is taken, elsewhere the continuation above is carried out
literally (nearest root to the first-order Taylor prediction, geometric steps in ``Im z``).
On the real axis the line is cut at the exact *critical points* (real roots of the
discriminant of ``P`` in ``m`` and of its leading coefficient). Between two critical points the
roots of ``P(., x)`` are simple and analytic, so the physical root keeps one *signature*: either
"the k-th of the (exactly counted, Sturm) real roots" or "the unique root with ``Im m > 0``" or,
for degree >= 4 when two roots lie in the upper half plane, "the upper root continuous along
``x`` with a reference table" (nearest to the table value, which was built by continuation from
the sample point). The signature of each interval is fixed once, at an exact rational sample
point, by the vertical continuation above; support edges are the critical points where the
signature changes between real and non-real, so cusps and non-physical collisions inside the
support are crossed without a jump. Roots come from closed forms (degree <= 3, real arithmetic
on the real axis) or batched companion eigenvalues (degree >= 4), followed by a guarded Newton
polish. Real roots are returned with ``Im m = 0`` exactly (density 0 outside the support);
``Im m >= 0`` holds at every returned point. At an atom the boundary value is infinite:
:meth:`SpectralLaw.stieltjes` returns NaN there and :meth:`SpectralLaw.density` the density of
the absolutely continuous part.

>>> from rmtsym.spectra.classic import marchenko_pastur
>>> mp = marchenko_pastur(2)
>>> mp.equation()
Eq(2*m**2*z + m*z + m + 1, 0)
>>> mp.atoms()
[(0.0, 0.5)]
>>> [round(e, 6) for e in mp.support()[0]]        # (1 -+ sqrt 2)^2
[0.171573, 5.828427]
>>> mp.moment(3)                                  # Narayana: 1 + 3 r + r^2
11
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any, Callable, Sequence

import numpy as np
import scipy.fft
import sympy as sp
from numpy.polynomial import chebyshev as _cheb
from numpy.typing import ArrayLike
from sympy.core.function import UndefinedFunction

from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import NoClosedFormError, ParameterError

__all__ = ["SpectralLaw", "AlgebraicLaw", "SubordinationLaw", "EmpiricalLaw",
           "algebraic_law", "atomic_law", "empirical_law", "exact_number", "law_function",
           "M", "Z"]

#: The symbols of every law polynomial ``P(m, z)``.
M = sp.Symbol("m")
Z = sp.Symbol("z")

_EPS = np.finfo(float).eps


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# ------------------------------------------------------------------------------------------
# small helpers
# ------------------------------------------------------------------------------------------
def exact_number(value: Any, name: str) -> sp.Expr:
    """``value`` as an exact real sympy number.

    Floats are read through their shortest decimal representation (``0.1`` is ``1/10``, as
    in the parser convention "User expressions"); strings such as ``"1/3"`` or ``"0.25"`` are
    exact; sympy numbers (``sqrt(2)``) are kept.

    >>> exact_number(0.1, "ratio"), exact_number("2/3", "ratio"), exact_number(3, "a")
    (1/10, 2/3, 3)
    >>> exact_number(float("nan"), "ratio")
    Traceback (most recent call last):
    ...
    rmtsym.errors.ParameterError: ratio = nan is invalid: expected a finite real number
    """
    expected = "a finite real number"
    if isinstance(value, bool):
        raise ParameterError(name, value, expected)
    if isinstance(value, sp.Basic):
        v = sp.sympify(value)
        if not v.is_number or v.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or v.is_real is False:
            raise ParameterError(name, value, expected)
        if v.is_Float:
            return sp.Rational(repr(float(v)))
        if abs(complex(sp.N(v, 30)).imag) > 0:
            raise ParameterError(name, value, expected)
        return v
    if isinstance(value, (int, np.integer)):
        return sp.Integer(int(value))
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if not math.isfinite(f):
            raise ParameterError(name, value, expected)
        return sp.Rational(repr(f))
    if isinstance(value, str):
        try:
            return sp.Rational(value.strip())
        except (TypeError, ValueError):
            raise ParameterError(name, value, expected, "strings must be decimals or fractions")
    raise ParameterError(name, value, expected)


def _fmt(v: sp.Expr) -> str:
    """Compact text of an exact number for derivation names (no spaces)."""
    return str(v).replace(" ", "")


def _short_name(name: str, limit: int = 160) -> str:
    """Names longer than ``limit`` keep their head and a hash of the rest (deterministic)."""
    if len(name) <= limit:
        return name
    h = hashlib.sha1(name.encode()).hexdigest()[:12]
    return f"{name[:limit - 14]}~{h}"


def _as_complex(z: ArrayLike) -> np.ndarray:
    a = np.asarray(z)
    if a.dtype.kind not in "biufc":
        try:
            a = a.astype(np.complex128)
        except (TypeError, ValueError):
            raise ParameterError("z", z, "numbers or an array of numbers")
    return a.astype(np.complex128)


def _as_real(x: ArrayLike, name: str = "x") -> np.ndarray:
    a = np.asarray(x)
    if a.dtype.kind == "c":
        if np.any(a.imag != 0):
            raise ParameterError(name, "complex values", "real numbers")
        a = a.real
    try:
        return a.astype(np.float64)
    except (TypeError, ValueError):
        raise ParameterError(name, x, "real numbers or an array of real numbers")


# ------------------------------------------------------------------------------------------
# vectorised polynomial roots (coefficient arrays C[k] = coefficient of m^k, shape (d+1, N))
# ------------------------------------------------------------------------------------------
def _eval_coeffs(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``C[k, i] = sum_j A[k, j] x_i^j`` by Horner in ``x``."""
    d1, e1 = A.shape
    dtype = np.result_type(A.dtype, x.dtype)
    C = np.empty((d1, x.size), dtype=dtype)
    C[:] = A[:, e1 - 1][:, None]
    for j in range(e1 - 2, -1, -1):
        C *= x
        C += A[:, j][:, None]
    return C


def _horner(C: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``P(r)`` and ``P'(r)`` for the batch of polynomials ``C`` (one root per column)."""
    d = C.shape[0] - 1
    p = C[d] + 0 * r
    dp = np.zeros_like(p)
    for k in range(d - 1, -1, -1):
        dp = dp * r + p
        p = p * r + C[k]
    return p, dp


def _horner_p(C: np.ndarray, r: np.ndarray) -> np.ndarray:
    d = C.shape[0] - 1
    p = C[d] * r + C[d - 1]
    for k in range(d - 2, -1, -1):
        p = p * r + C[k]
    return p


def _quadratic(C: np.ndarray) -> np.ndarray:
    a, b, c = C[2], C[1], C[0]
    if np.iscomplexobj(C):
        s = np.sqrt(b * b - 4 * a * c)
        s = np.where((b.conjugate() * s).real >= 0, s, -s)
        q = -(b + s) / 2
        with np.errstate(all="ignore"):
            r1 = q / a
            r2 = np.where(q != 0, c / q, 0.0)
        return np.stack([r1, r2], axis=1)
    disc = b * b - 4 * a * c
    out = np.empty((a.size, 2), np.complex128)
    with np.errstate(all="ignore"):
        pos = disc >= 0
        s = np.sqrt(np.abs(disc))
        q = -(b + np.copysign(s, b)) / 2
        r1 = q / a
        r2 = np.where(q != 0, c / q, 0.0)
        re = -b / (2 * a)
        im = s / (2 * np.abs(a))
    out[:, 0] = np.where(pos, r1, re + 1j * im)
    out[:, 1] = np.where(pos, r2, re - 1j * im)
    return out


def _cubic_real(C: np.ndarray) -> np.ndarray:
    """Roots of real cubics: real roots are exactly real, complex ones exact conjugates
    (trigonometric form for three real roots, Cardano with real cube roots otherwise)."""
    n = C.shape[1]
    out = np.empty((n, 3), np.complex128)
    with np.errstate(all="ignore"):
        inv = 1.0 / C[3]
        a3 = C[2] * inv / 3
        b = C[1] * inv
        c = C[0] * inv
        Q = a3 * a3 - b / 3
        R = a3 * (a3 * a3 - b / 2) + c / 2
        D = R * R - Q * Q * Q
        three = D < 0
        it = np.flatnonzero(three)
        if it.size:
            sq = np.sqrt(Q[it])
            th = np.arccos(np.clip(R[it] / (sq * sq * sq), -1, 1)) / 3
            sh = a3[it]
            out[it, 0] = -2 * sq * np.cos(th) - sh
            out[it, 1] = -2 * sq * np.cos(th + 2 * np.pi / 3) - sh
            out[it, 2] = -2 * sq * np.cos(th - 2 * np.pi / 3) - sh
        io = np.flatnonzero(~three)
        if io.size:
            R1 = R[io]
            A = -np.copysign(np.cbrt(np.abs(R1) + np.sqrt(D[io])), R1)
            B = np.where(A != 0, Q[io] / A, 0.0)
            sh = a3[io]
            re = -(A + B) / 2 - sh
            im = np.abs((np.sqrt(3) / 2) * (A - B))
            o = out[io]
            o.real[:, 0], o.imag[:, 0] = (A + B) - sh, 0.0
            o.real[:, 1], o.imag[:, 1] = re, im
            o.real[:, 2], o.imag[:, 2] = re, -im
            out[io] = o
    return out


def _cubic_complex(C: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        a = C[2] / C[3]
        b = C[1] / C[3]
        c = C[0] / C[3]
        p = b - a * a / 3
        q = 2 * a * a * a / 27 - a * b / 3 + c
        s = np.sqrt(q * q / 4 + p * p * p / 27)
        u1, u2 = -q / 2 + s, -q / 2 - s
        u3 = np.where(np.abs(u1) >= np.abs(u2), u1, u2)
        u = u3 ** (1 / 3)
        v = np.where(u != 0, -p / (3 * u), 0.0)
        w = np.exp(2j * np.pi / 3)
        out = np.stack([u + v, w * u + v / w, u / w + w * v], axis=1) - (a / 3)[:, None]
    return out


def _companion(C: np.ndarray) -> np.ndarray:
    d = C.shape[0] - 1
    n = C.shape[1]
    out = np.empty((n, d), np.complex128)
    with np.errstate(all="ignore"):
        mon = (C[:d] / C[d]).T
    ok = np.isfinite(mon).all(axis=1)
    out[~ok] = np.nan
    if ok.any():
        mat = np.zeros((int(ok.sum()), d, d), dtype=C.dtype)
        mat[:, np.arange(1, d), np.arange(d - 1)] = 1
        mat[:, :, d - 1] = -mon[ok]
        out[ok] = np.linalg.eigvals(mat)
    return out


def _roots(C: np.ndarray) -> np.ndarray:
    """All roots of each column polynomial, shape (N, d). Real input: real roots exactly real."""
    d = C.shape[0] - 1
    if d == 1:
        with np.errstate(all="ignore"):
            return (-C[0] / C[1]).astype(np.complex128)[:, None]
    if d == 2:
        return _quadratic(C)
    if d == 3:
        r = _cubic_real(C) if not np.iscomplexobj(C) else _cubic_complex(C)
        if np.iscomplexobj(C):  # polish every root once (complex Cardano loses digits)
            for _ in range(2):
                p, dp = _horner_cols(C, r)
                with np.errstate(all="ignore"):
                    step = p / dp
                step = np.where(np.isfinite(step) & (np.abs(step) < 0.1 * (1 + np.abs(r))),
                                step, 0)
                r = r - step
        return r
    return _companion(C)


def _horner_cols(C: np.ndarray, R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P and P' at every root column of ``R`` (N, d)."""
    d = C.shape[0] - 1
    p = np.broadcast_to(C[d][:, None], R.shape).astype(np.result_type(C, R))
    dp = np.zeros_like(p)
    for k in range(d - 1, -1, -1):
        dp = dp * R + p
        p = p * R + C[k][:, None]
    return p, dp


def _polish(C: np.ndarray, r: np.ndarray, gap: np.ndarray, real: np.ndarray | None = None,
            iters: int = 2) -> np.ndarray:
    """Guarded Newton on the selected root: a step is taken only if it is finite and smaller
    than a quarter of the distance ``gap`` to the nearest other root, and does not increase
    ``|P|``. Where ``real`` is true the iteration runs in real arithmetic."""
    r = r.copy()
    with np.errstate(all="ignore"):
        for _ in range(iters):
            p, dp = _horner(C, r)
            step = p / dp
            if real is not None:
                step = np.where(real, step.real, step)
            cand = r - step
            pn = _horner_p(C, cand)
            ok = (np.isfinite(step) & (_abs2(step) <= 0.0625 * gap * gap)
                  & (_abs2(pn) <= _abs2(p)))
            r = np.where(ok, cand, r)
    return r


# ------------------------------------------------------------------------------------------
# numeric functions of a law as sympy functions (for compiled subordination systems)
# ------------------------------------------------------------------------------------------
class _Memo(threading.local):
    """The last few ``(argument, (m, m'))`` pairs (per thread): a compiled residual, its
    Jacobian, scale and branch margins all call the law at the same points."""

    def __init__(self):
        self.items: list = []

    def get(self, arr: np.ndarray):
        for key, val in self.items:
            if key.shape == arr.shape and np.array_equal(key, arr):
                return val
        return None

    def put(self, arr: np.ndarray, val) -> None:
        self.items.insert(0, (arr.copy(), val))
        del self.items[4:]


def law_function(law: "SpectralLaw", label: str) -> UndefinedFunction:
    """A sympy function ``label(w)`` whose numeric value is ``law.stieltjes(w)`` (vectorised;
    ``lambdify`` uses it) and whose derivative is the implemented function ``d<label>(w)``.

    Used to write subordination systems that :class:`~rmtsym.core.solve.CompiledSystem`
    compiles. The pair ``(m, m')`` is computed once per argument array.

    >>> from rmtsym.spectra.classic import semicircle
    >>> f = law_function(semicircle(1), "m_A")
    >>> w = sp.Symbol("w")
    >>> sp.diff(f(w), w)
    dm_A(w)
    >>> complex(sp.lambdify(w, f(w))(2j)).imag   # (sqrt 8 - 2)/2
    0.41421356...
    """
    memo = _Memo()

    def both(w):
        arr = np.asarray(w)
        hit = memo.get(arr)
        if hit is not None:
            return hit
        shape = arr.shape
        flat = _as_complex(arr).reshape(-1)
        m, dm = law._m_dm(flat)
        res = (m.reshape(shape), dm.reshape(shape))
        if shape == ():
            res = (complex(res[0]), complex(res[1]))
        memo.put(arr, res)
        return res

    def value(w):
        return both(w)[0]

    def deriv(w):
        return both(w)[1]

    dfun = UndefinedFunction("d" + label, _imp_=staticmethod(deriv))

    def fdiff(self, argindex=1):
        return dfun(self.args[0])

    return UndefinedFunction(label, _imp_=staticmethod(value), fdiff=fdiff)


# ------------------------------------------------------------------------------------------
# the interface
# ------------------------------------------------------------------------------------------
class SpectralLaw:
    """A probability law on the real line known through its Stieltjes transform.

    Convention "Stieltjes transform": ``m(z) = int dmu(x)/(x - z)``, ``Im m > 0`` for
    ``Im z > 0``, density ``Im m(x + i0)/pi``. Subclasses implement ``_boundary`` (real
    points), ``_interior`` (``Im z > 0``), :meth:`atoms`, :meth:`support`, :meth:`moment`
    and carry a registered :attr:`derivation`.
    """

    derivation: Derivation

    # ---- identity -------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The registry name of :attr:`derivation` (unique and deterministic)."""
        return self.derivation.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def equation(self):
        """The defining equation(s) as sympy ``Eq`` (one, or a tuple for systems)."""
        eqs = self.derivation.equations
        return eqs[0] if len(eqs) == 1 else tuple(eqs)

    def latex(self, *, header: bool = True) -> str:
        """Paper-ready LaTeX of :attr:`derivation`."""
        return self.derivation.latex(header=header)

    # ---- evaluation -------------------------------------------------------------------------
    def stieltjes(self, z: ArrayLike) -> np.ndarray:
        """``m(z)`` at every point of ``z`` (any shape), vectorised.

        ``Im z > 0``: the transform itself. Real ``z`` (real dtype or zero imaginary part):
        the boundary value ``m(x + i0)`` (NaN at an atom, where it is infinite).
        ``Im z < 0``: ``conj(m(conj z))``.
        """
        a = _as_complex(z)
        flat = a.reshape(-1)
        out = np.empty(flat.shape, np.complex128)
        up = flat.imag > 0
        lo = flat.imag < 0
        re = ~(up | lo)
        if re.any():
            out[re] = self._boundary(flat.real[re])
        if up.any():
            out[up] = self._interior(flat[up])
        if lo.any():
            out[lo] = np.conj(self._interior(np.conj(flat[lo])))
        return out.reshape(a.shape)

    def density(self, x: ArrayLike) -> np.ndarray:
        """Density of the absolutely continuous part, ``Im m(x + i0)/pi`` (atoms excluded;
        see :meth:`atoms`), vectorised over real ``x``."""
        xa = _as_real(x)
        flat = xa.reshape(-1)
        m = self._boundary(flat)
        f = np.maximum(m.imag, 0.0) / np.pi
        f = np.where(np.isnan(m.imag), np.nan, f)
        for loc, _w in self.atoms():
            hit = flat == loc
            if hit.any():
                f[hit] = self._density_at_atom(loc)
        return f.reshape(xa.shape)

    def _density_at_atom(self, a: float) -> float:
        for lo, hi in self.support():
            if lo < a < hi:
                h = 1e-7 * (1 + abs(a))
                v = self._boundary(np.array([a - h, a + h]))
                return float(np.mean(np.maximum(v.imag, 0))) / np.pi
        return 0.0

    def cdf(self, x: ArrayLike) -> np.ndarray:
        """``mu((-inf, x])``, atoms included (right-continuous), vectorised over real ``x``.

        The absolutely continuous part is integrated once per support piece with a
        Chebyshev rule in a doubly cosine-stretched variable (smooth through square-root,
        inverse-square-root and cusp endpoints); later calls only evaluate the series.
        """
        xa = _as_real(x)
        flat = xa.reshape(-1)
        out = np.zeros(flat.shape)
        for (lo, hi), coef, mass in self._cdf_tables:
            out += np.where(flat >= hi, mass, 0.0)
            inside = (flat > lo) & (flat < hi)
            if inside.any():
                out[inside] += _cheb.chebval(2 * _unstretch(flat[inside], lo, hi) - 1, coef) * 0.5
        for loc, w in self.atoms():
            out += np.where(flat >= loc, w, 0.0)
        return out.reshape(xa.shape)

    @cached_property
    def _cdf_tables(self):
        tables = []
        n = 256
        k = np.arange(n)
        s = np.cos(np.pi * (k + 0.5) / (2 * n)) ** 2    # (1 + Chebyshev point)/2, accurately
        for lo, hi in self._pieces():
            xs, dxds = _stretch(s, lo, hi)
            g = self.density(xs) * dxds
            g = np.where(np.isfinite(g), g, 0.0)
            c = scipy.fft.dct(g, type=2) / n
            c[0] /= 2
            ci = _cheb.chebint(c, lbnd=-1)
            mass = float(_cheb.chebval(1.0, ci)) * 0.5
            tables.append(((lo, hi), ci, mass))
        return tables

    def _pieces(self) -> list[tuple[float, float]]:
        """Integration pieces of the absolutely continuous part (support, split at interior
        singular points)."""
        return list(self.support())

    def moments(self, kmax: int) -> list:
        """``[moment(0), ..., moment(kmax)]``."""
        return [self.moment(k) for k in range(int(kmax) + 1)]

    # ---- to be provided ---------------------------------------------------------------------
    def support(self) -> list[tuple[float, float]]:
        """Support of the absolutely continuous part as disjoint closed intervals
        ``[(a, b), ...]`` in increasing order (atoms are listed by :meth:`atoms`)."""
        raise NotImplementedError

    def atoms(self) -> list[tuple[float, float]]:
        """Point masses ``[(location, mass), ...]`` in increasing location."""
        raise NotImplementedError

    def moment(self, k: int):
        """``int x^k dmu(x)``."""
        raise NotImplementedError

    def _boundary(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _interior(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # ---- helpers shared by the subordination machinery -------------------------------------
    def hull(self) -> tuple[float, float]:
        """Smallest interval containing the support and the atoms."""
        pts = [p for iv in self.support() for p in iv] + [a for a, _ in self.atoms()]
        if not pts:
            return (0.0, 0.0)
        return (float(min(pts)), float(max(pts)))

    @property
    def _scale(self) -> float:
        lo, hi = self.hull()
        return max(abs(lo), abs(hi)) + (hi - lo) + 1.0

    def _m_dm(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(m(w), m'(w))`` at complex ``w``; generic central differences."""
        m = self.stieltjes(w)
        h = 1e-6 * (1 + np.abs(w))
        dm = (self.stieltjes(w + h) - self.stieltjes(w - h)) / (2 * h)
        return m, dm

    def _mean(self) -> float:
        return float(self.moment(1))


def _stretch(s: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """``x = lo + (hi - lo) phi(phi(s))``, ``phi(s) = sin^2(pi s/2)``, and ``dx/ds``; computed
    from the nearer end so that nodes next to an edge stay distinct from it."""
    L = hi - lo
    u = np.sin(np.pi * s / 2) ** 2
    ub = np.cos(np.pi * s / 2) ** 2
    y = np.sin(np.pi * u / 2) ** 2
    yb = np.sin(np.pi * ub / 2) ** 2            # 1 - y
    x = np.where(u <= 0.5, lo + L * y, hi - L * yb)
    dxds = L * (np.pi / 2) * np.sin(np.pi * np.minimum(u, ub)) * (np.pi / 2) * np.sin(np.pi * s)
    return x, dxds


def _unstretch(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Inverse of :func:`_stretch` (accurate near both ends)."""
    L = hi - lo
    y = np.clip((x - lo) / L, 0, 1)
    yb = np.clip((hi - x) / L, 0, 1)
    u = np.where(y <= 0.5, 2 / np.pi * np.arcsin(np.sqrt(y)), 1 - 2 / np.pi * np.arcsin(np.sqrt(yb)))
    ub = 1 - u
    return np.where(u <= 0.5, 2 / np.pi * np.arcsin(np.sqrt(u)), 1 - 2 / np.pi * np.arcsin(np.sqrt(ub)))


def _check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise ParameterError("k", k, "an integer >= 0")
    return int(k)


# ------------------------------------------------------------------------------------------
# algebraic laws
# ------------------------------------------------------------------------------------------
_REAL, _UPPER, _TRACK = 0, 1, 2


@dataclass
class _Analysis:
    crit_exact: list            # sorted exact real critical points
    crit: np.ndarray            # their float values
    kind: np.ndarray            # per interval (len(crit) + 1)
    nreal: np.ndarray
    rank: np.ndarray
    tables: dict                # interval -> (nodes, values) for _TRACK intervals
    support_exact: list
    atoms_exact: list
    limits: np.ndarray          # per critical point: physical value just left / right
    scale: float
    deg: np.ndarray = field(default_factory=lambda: np.zeros(0, int))


class AlgebraicLaw(SpectralLaw):
    """A law whose Stieltjes transform solves ``P(m, z) = 0``, ``P`` an exact polynomial.

    Parameters
    ----------
    polynomial : sympy expression (or ``Eq``) in the symbols :data:`M` (``m``) and
        :data:`Z` (``z``). It is made primitive with a positive leading coefficient.
    name, title, requires, reference, assumptions : of the registered :attr:`derivation`.
    moment_fallback : optional ``k -> moment`` used when the branch at infinity is not simple.

    The branch rule is stated in the module docstring.

    >>> law = algebraic_law(sp.Symbol("m")**2 + sp.Symbol("z")*sp.Symbol("m") + 1, name="sc-demo")
    >>> law.support_exact()
    [(-2, 2)]
    >>> float(law.density(0.0)) * np.pi
    1.0
    >>> law.moments(6)
    [1, 0, 1, 0, 2, 0, 5]
    """

    def __init__(self, polynomial, *, name: str, title: str = "", requires: Sequence[str] = (),
                 reference: str = "", assumptions: str = "",
                 moment_fallback: Callable[[int], Any] | None = None,
                 symbols: dict | None = None):
        expr = sp.sympify(polynomial)
        if isinstance(expr, sp.Equality):
            expr = expr.lhs - expr.rhs
        stray = expr.free_symbols - {M, Z}
        if stray:
            raise ParameterError("polynomial", str(expr), "a polynomial in m and z only",
                                 f"other symbols: {sorted(map(str, stray))}")
        try:
            poly = sp.Poly(sp.expand(expr), M, Z)
        except sp.PolynomialError:
            raise ParameterError("polynomial", str(expr), "a polynomial in m and z")
        if poly.degree(M) < 1:
            raise ParameterError("polynomial", str(expr), "a polynomial of degree >= 1 in m")
        self.poly = _normalise(poly)
        self._moment_fallback = moment_fallback
        q1 = self._Q_at_infinity()
        if q1 != 0:
            raise ParameterError("polynomial", str(self.poly.as_expr()),
                                 "a polynomial with a root m ~ -1/z as z -> infinity "
                                 "(a probability law)")
        P = self.poly.as_expr()
        self.derivation = register(Derivation(
            name, title=title or f"algebraic spectral law {name}",
            unknowns=[M], parameters=[Z], equations=[sp.Eq(P, 0)],
            outputs={"density": sp.im(M) / sp.pi}, requires=tuple(requires),
            branch=[sp.im(M) >= 0], guess={M: -1 / Z}, reference=reference,
            assumptions=assumptions or "m(z) = int dmu(x)/(x - z), Im m > 0 for Im z > 0; "
                                       "branch rule of rmtsym.spectra.law",
            symbols=symbols or {}))
        d = self.poly.degree(M)
        e = self.poly.degree(Z)
        A = np.zeros((d + 1, e + 1))
        for (i, j), c in self.poly.terms():
            A[i, j] = float(sp.N(c, 20))
        self._A = A
        Az = np.zeros((d + 1, max(e, 1)))
        for j in range(1, e + 1):
            Az[:, j - 1] = j * A[:, j]
        self._Az = Az
        self._d = d

    # ---- exact parts ----------------------------------------------------------------------
    def equation(self) -> sp.Equality:
        """``Eq(P(m, z), 0)``."""
        return sp.Eq(self.poly.as_expr(), 0)

    @property
    def degree(self) -> tuple[int, int]:
        """``(degree in m, degree in z)`` of ``P``."""
        return self.poly.degree(M), self.poly.degree(Z)

    def _field(self):
        dom = self.poly.get_domain()
        return dom.get_field() if dom.is_Ring else dom

    def _Q_terms(self):
        """Terms of ``Q(s, u) = u^D P(-u s, 1/u)`` as ``{(i, p): coeff}`` (field elements)."""
        K = self._field()
        terms = self.poly.terms()
        D = max(j - i for (i, j), _ in terms)
        Q: dict = {}
        for (i, j), c in terms:
            key = (i, i - j + D)
            Q[key] = Q.get(key, K.zero) + K.from_sympy(c) * (-1) ** i
        return K, Q

    def _Q_at_infinity(self):
        K, Q = self._Q_terms()
        return sum((c for (i, p), c in Q.items() if p == 0), K.zero)

    @cached_property
    def _moment_cache(self) -> list:
        return [sp.Integer(1)]

    def moment(self, k: int) -> sp.Expr:
        """Exact ``k``-th moment, from the large-``z`` expansion ``m = -sum_k mu_k z^{-k-1}``
        solved order by order in ``P(m, z) = 0``.

        >>> from rmtsym.spectra.classic import semicircle
        >>> semicircle(sp.Rational(1, 3)).moment(4)    # Catalan(2) v^2
        2/9
        """
        k = _check_k(k)
        cache = self._moment_cache
        if k < len(cache):
            return cache[k]
        K, Q = self._Q_terms()
        qs = sum((c * i for (i, p), c in Q.items() if p == 0), K.zero)
        if qs == K.zero:
            if self._moment_fallback is not None:
                return self._moment_fallback(k)
            raise NoClosedFormError(f"{self.name}: the branch m ~ -1/z at infinity is not "
                                    "simple; no order-by-order expansion")
        S = [K.from_sympy(sp.sympify(v)) for v in cache]
        while len(S) <= k:
            n = len(S)
            # coefficient of u^n in Q(S(u), u) with S truncated at order n-1
            coeff = K.zero
            powers = [[K.one] + [K.zero] * n]
            maxi = max(i for i, _ in Q)
            for _ in range(maxi):
                prev = powers[-1]
                new = [K.zero] * (n + 1)
                for a, pa in enumerate(prev):
                    if pa == K.zero:
                        continue
                    for b in range(0, n + 1 - a):
                        if b < len(S):
                            new[a + b] += pa * S[b]
                powers.append(new)
            for (i, p), c in Q.items():
                if p <= n:
                    coeff += c * powers[i][n - p]
            S.append(-coeff / qs)
            cache.append(sp.nsimplify(K.to_sympy(S[-1])) if not K.is_QQ else K.to_sympy(S[-1]))
        return cache[k]

    # ---- analysis of the real line ----------------------------------------------------------
    @cached_property
    def _info(self) -> _Analysis:
        return _analyse(self)

    def support_exact(self) -> list[tuple[sp.Expr, sp.Expr]]:
        """Support intervals with exact (sympy) edges: real roots of the discriminant of ``P``
        in ``m`` where the physical root changes between real and non-real."""
        return list(self._info.support_exact)

    def critical_points(self) -> list[sp.Expr]:
        """Exact real roots of ``disc_m(P) * lc_m(P)`` (edges, cusps, atoms, and collisions of
        non-physical roots)."""
        return list(self._info.crit_exact)

    def support(self) -> list[tuple[float, float]]:
        return [(float(sp.N(a, 20)), float(sp.N(b, 20))) for a, b in self._info.support_exact]

    def atoms_exact(self) -> list[tuple[sp.Expr, sp.Expr]]:
        """Atoms with exact location and mass (lowest Puiseux coefficient of ``m`` at a real
        root of the leading coefficient, confirmed on the physical branch)."""
        return list(self._info.atoms_exact)

    def atoms(self) -> list[tuple[float, float]]:
        return [(float(sp.N(a, 20)), float(sp.N(w, 20))) for a, w in self._info.atoms_exact]

    def _pieces(self) -> list[tuple[float, float]]:
        info = self._info
        out = []
        for lo, hi in self.support():
            inner = [c for c in info.crit if lo < c < hi]
            pts = [lo] + inner + [hi]
            out += [(a, b) for a, b in zip(pts[:-1], pts[1:]) if b > a]
        return out

    def hull(self) -> tuple[float, float]:
        pts = [p for iv in self.support() for p in iv] + [a for a, _ in self.atoms()]
        return (min(pts), max(pts)) if pts else (0.0, 0.0)

    @property
    def _scale(self) -> float:
        return self._info.scale

    # ---- numerics ---------------------------------------------------------------------------
    def _coeffs(self, x: np.ndarray) -> np.ndarray:
        return _eval_coeffs(self._A, x)

    def _dm(self, m: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Implicit derivative ``m'(z) = -P_z / P_m``."""
        C = self._coeffs(z)
        _, pm = _horner(C, m)
        Cz = _eval_coeffs(self._Az, z)
        pz, _ = _horner(Cz, m)
        with np.errstate(all="ignore"):
            return -pz / pm

    def _m_dm(self, w):
        m = self.stieltjes(w)
        return m, self._dm(m, w)

    def _series_guess(self, z: np.ndarray) -> np.ndarray:
        mu = [float(sp.N(self.moment(k), 20)) for k in range(3)]
        return -1 / z - mu[1] / z**2 - mu[2] / z**3

    def _track(self, z: np.ndarray) -> np.ndarray:
        """The branch rule literally: continuation from ``x + iY`` down to ``z`` (``Im z >= 0``)
        along the vertical, nearest root to the first-order Taylor prediction."""
        x, y = z.real, np.maximum(z.imag, 0.0)
        scale = self._scale
        Y0 = np.maximum(8 * scale, 2 * y)
        crit = self._info.crit
        if crit.size:
            dc = np.min(np.abs(x[:, None] - crit[None, :]), axis=1)
            low = np.clip(1e-6 * dc, 1e-300, 1e-13 * scale)
        else:
            low = np.full(x.shape, 1e-13 * scale)
        floor = np.where(y > 0, y, low)
        q = 0.7
        K = int(np.ceil(np.log(Y0.max() / floor.min()) / np.log(1 / q))) + 1
        zc = x + 1j * Y0
        R = _roots(self._coeffs(zc))
        pred = self._series_guess(zc)
        cur = R[np.arange(R.shape[0]), np.argmin(_chordal(R, pred[:, None]), axis=1)]
        for k in range(1, K + 2):
            h = np.maximum(Y0 * q**k, floor) if k <= K else np.where(y > 0, y, 0.0)
            zn = x + 1j * h
            with np.errstate(all="ignore"):
                d = self._dm(cur, zc)
                pred = cur + np.where(np.isfinite(d), d, 0) * (zn - zc)
            R = _roots(self._coeffs(zn))
            cur = R[np.arange(R.shape[0]), np.argmin(_chordal(R, pred[:, None]), axis=1)]
            zc = zn
        return cur

    def _interior(self, z: np.ndarray) -> np.ndarray:
        C = self._coeffs(z)
        R = _roots(C)
        with np.errstate(all="ignore"):
            F = -1 / R
            tol = 1e-9 * np.abs(z)[:, None] + 1e-12
            cand = (R.imag > 0) & (F.imag >= z.imag[:, None] * (1 - 1e-9) - tol)
        cnt = cand.sum(axis=1)
        pick = np.argmax(cand, axis=1)
        out = R[np.arange(R.shape[0]), pick]
        amb = np.flatnonzero(cnt != 1)
        if amb.size:
            # just above the axis: the root nearest (chordally) to the boundary value
            near = amb[z.imag[amb] <= 1e-7 * self._scale]
            if near.size:
                b = self._boundary(z.real[near])
                d = _chordal(R[near], b[:, None])
                out[near] = R[near, np.argmin(d, axis=1)]
                srt = np.sort(d, axis=1)
                ok = np.isfinite(b) & ((srt[:, 1] > 4 * srt[:, 0]) if R.shape[1] > 1 else True)
                amb = np.concatenate([near[~ok], amb[z.imag[amb] > 1e-7 * self._scale]])
            if amb.size:
                out[amb] = self._track(z[amb])
        gap = _gap(R, out)
        return _polish(C, out, gap)

    def _boundary(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float64).reshape(-1)
        self._info  # analysis first (not inside the threads)
        chunk = 1 << 15
        if x.size <= 2 * chunk:
            return self._boundary_block(x)
        blocks = [x[a:a + chunk] for a in range(0, x.size, chunk)]
        workers = min(_workers(), len(blocks))
        if workers > 1:
            with ThreadPoolExecutor(workers) as ex:
                parts = list(ex.map(self._boundary_block, blocks))
        else:
            parts = [self._boundary_block(b) for b in blocks]
        return np.concatenate(parts)

    def _boundary_block(self, x: np.ndarray) -> np.ndarray:
        info = self._info
        out = np.full(x.shape, np.nan + 0j)
        crit = info.crit
        n = x.size
        if n == 0:
            return out
        j = np.searchsorted(crit, x)  # interval index: crit[j-1] < x <= crit[j]
        if crit.size:
            dl = np.abs(x - crit[np.clip(j - 1, 0, crit.size - 1)])
            dr = np.abs(x - crit[np.clip(j, 0, crit.size - 1)])
            dn = np.minimum(dl, dr)
            cnear = np.where(dl <= dr, np.clip(j - 1, 0, crit.size - 1), np.clip(j, 0, crit.size - 1))
            near = dn <= 4 * _EPS * np.abs(crit[cnear])
            j = np.where(x == crit[np.clip(j, 0, crit.size - 1)], j + 1, j)  # x == c: right side
        else:
            near = np.zeros(n, bool)
            cnear = np.zeros(n, int)
        reg = np.flatnonzero(~near & np.isfinite(x))
        if reg.size:
            xr = x[reg]
            jr = j[reg]
            C = self._coeffs(xr)
            R = _roots(C)
            kind = info.kind[jr]
            val = np.full(xr.size, np.nan + 0j)
            realroot = np.zeros(xr.size, bool)
            bad = np.zeros(xr.size, bool)
            nimag = (R.imag != 0).sum(axis=1)
            expect = info.deg[jr] - info.nreal[jr]
            bad |= nimag != expect
            # real signature: the rank-th of the real roots
            sel = (kind == _REAL) & ~bad
            if sel.any():
                Rs = R[sel]
                key = np.where(Rs.imag == 0, Rs.real, np.inf)
                order = np.argsort(key, axis=1)
                pick = order[np.arange(Rs.shape[0]), info.rank[jr[sel]]]
                val[sel] = Rs.real[np.arange(Rs.shape[0]), pick]
                realroot[sel] = True
            sel = (kind == _UPPER) & ~bad
            if sel.any():
                Rs = R[sel]
                pick = np.argmax(Rs.imag, axis=1)
                val[sel] = Rs[np.arange(Rs.shape[0]), pick]
            sel = np.flatnonzero((kind == _TRACK) & ~bad)
            if sel.size:
                val[sel], amb = self._pick_tracked(xr[sel], jr[sel], R[sel])
                if amb.any():
                    val[sel[amb]] = self._track(xr[sel[amb]] + 0j)
            gap = _gap(R, val)
            val = _polish(C, val, gap, realroot, iters=1)
            val = np.where(realroot, val.real + 0j, val)
            out[reg] = val
            near[reg[bad]] = True
        idx = np.flatnonzero(near & np.isfinite(x))
        if idx.size:
            out[idx] = self._near_critical(x[idx], cnear[idx])
        return out

    def _pick_tracked(self, x, jr, R):
        info = self._info
        pred = np.empty(x.size, np.complex128)
        for jj in np.unique(jr):
            nodes, vals = info.tables[int(jj)]
            s = jr == jj
            F = -1 / vals
            pred[s] = -1 / (np.interp(x[s], nodes, F.real) + 1j * np.interp(x[s], nodes, F.imag))
        d = np.where(R.imag > 0, _chordal(R, pred[:, None]), np.inf)
        o = np.argsort(d, axis=1)
        i = np.arange(x.size)
        d1 = d[i, o[:, 0]]
        d2 = d[i, o[:, 1]] if R.shape[1] > 1 else np.full(x.size, np.inf)
        return R[i, o[:, 0]], ~(d1 < 0.5 * d2)

    def _near_critical(self, x, ci) -> np.ndarray:
        """Points at (or within rounding of) a critical point: the cluster of roots nearest to
        the physical one-sided limit there."""
        info = self._info
        out = np.full(x.size, np.nan + 0j)
        atom_locs = np.array([float(sp.N(a, 20)) for a, _ in info.atoms_exact])
        for t, (xv, c) in enumerate(zip(x, ci)):
            if atom_locs.size and np.min(np.abs(atom_locs - info.crit[c])) == 0 and \
                    abs(xv - info.crit[c]) <= 4 * _EPS * max(1.0, abs(xv)):
                continue  # an atom: m(x + i0) is infinite
            left, right = info.limits[c]
            p = left if xv < info.crit[c] else right if xv > info.crit[c] else 0.5 * (left + right)
            coeffs = self._coeffs(np.array([xv]))[:, 0][::-1]
            nz = np.flatnonzero(np.abs(coeffs) > 1e-14 * np.abs(coeffs).max())
            if nz.size == 0 or not np.isfinite(p):
                continue
            roots = np.roots(coeffs[nz[0]:])
            if roots.size == 0:
                continue
            i0 = np.argmin(np.abs(roots - p))
            r0 = roots[i0]
            cl = roots[np.abs(roots - r0) <= 1e-5 * (1 + abs(r0))]
            mean = cl.mean()
            if cl.size >= 2 or abs(mean.imag) <= 1e-12 * (1 + abs(mean)):
                out[t] = mean.real + 0j
            else:
                out[t] = mean if mean.imag > 0 else mean.real + 0j
        return out


def _chordal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Chordal distance on the Riemann sphere (a root running to infinity at an atom stays
    close to its own continuation, not to a bounded neighbour)."""
    with np.errstate(all="ignore"):
        d = np.abs(a - b) / (np.sqrt(1 + _abs2(a)) * np.sqrt(1 + _abs2(b)))
    return np.where(np.isfinite(d), d, np.where(np.isinf(a) & np.isinf(b), 0.0, 2.0))


def _abs2(a: np.ndarray) -> np.ndarray:
    return a.real * a.real + a.imag * a.imag


def _gap(R: np.ndarray, val: np.ndarray) -> np.ndarray:
    """Distance from ``val`` to the nearest root of ``R`` other than the one it equals."""
    if R.shape[1] == 1:
        return np.full(val.shape, np.inf)
    d = _abs2(R - val[:, None])
    d[~np.isfinite(d)] = np.inf
    return np.sqrt(np.partition(d, 1, axis=1)[:, 1])


def _normalise(poly: sp.Poly) -> sp.Poly:
    """Primitive, squarefree in nothing else, positive leading coefficient (lex in m, z)."""
    dom = poly.get_domain()
    if dom.is_ZZ or dom.is_QQ:
        _, poly = poly.clear_denoms()
        poly = poly.primitive()[1]
    else:
        poly = poly.monic()
    lc = poly.LC()
    if sp.sympify(lc).is_negative or (sp.N(lc) < 0):
        poly = -poly
    return poly


def _exact_real_roots(f: sp.Poly) -> list:
    """Exact real roots of a univariate polynomial (radicals up to degree 2, CRootOf beyond);
    for non-rational coefficients, 30-digit Floats."""
    f = f.sqf_part() if f.degree() > 0 else f
    out = []
    if f.degree() <= 0:
        return out
    dom = f.get_domain()
    if dom.is_ZZ or dom.is_QQ:
        for fac, _ in f.factor_list()[1]:
            out += fac.real_roots(multiple=True)
    else:
        for r in f.nroots(n=30, maxsteps=200):
            if abs(sp.im(r)) < sp.Float("1e-25"):
                out.append(sp.re(r))
    uniq: dict = {}
    for r in out:
        uniq[sp.N(r, 25)] = r
    return [uniq[k] for k in sorted(uniq)]


def _rational_inside(a, b) -> sp.Rational:
    """An exact rational strictly between exact reals ``a < b`` (either may be None)."""
    if a is None and b is None:
        return sp.Integer(0)
    if a is None:
        fb = sp.floor(sp.N(b, 30))
        return sp.Integer(fb) - 1 - abs(sp.Integer(fb)) // 2
    if b is None:
        ca = sp.ceiling(sp.N(a, 30))
        return sp.Integer(ca) + 1 + abs(sp.Integer(ca)) // 2
    mid = sp.N((a + b) / 2, 40)
    return sp.Rational(str(mid))


def _analyse(law: AlgebraicLaw) -> _Analysis:
    P = law.poly
    d = P.degree(M)
    lc = sp.Poly(P.as_expr().coeff(M, d), Z)
    disc = sp.Poly(sp.discriminant(P.as_expr(), M), Z) if d >= 2 else sp.Poly(1, Z)
    prod = (disc * lc) if lc.degree() > 0 else disc
    crit_exact = _exact_real_roots(prod) if prod.degree() > 0 else []
    crit = np.array([float(sp.N(c, 25)) for c in crit_exact])
    scale = (float(np.max(np.abs(crit))) if crit.size else 0.0) + 1.0
    if crit.size > 1:
        scale += float(crit[-1] - crit[0])
    nint = crit.size + 1
    bounds = [None] + list(crit_exact) + [None]
    samples = [_rational_inside(bounds[i], bounds[i + 1]) for i in range(nint)]
    sf = np.array([float(s) for s in samples])
    # exact counts of real roots and degree at the samples
    nreal = np.zeros(nint, int)
    deg = np.zeros(nint, int)
    exact_count = P.get_domain().is_ZZ or P.get_domain().is_QQ
    for i, s in enumerate(samples):
        ps = sp.Poly(P.as_expr().subs(Z, s), M)
        deg[i] = ps.degree()
        nreal[i] = ps.count_roots() if exact_count else -1

    # provisional (so that _track and the series guess can use the scale)
    law.__dict__["_info"] = _Analysis(crit_exact, crit, np.zeros(nint, int), nreal,
                                      np.zeros(nint, int), {}, [], [], np.zeros((0, 2)), scale,
                                      deg)
    phys = law._track(sf + 0j)
    C = law._coeffs(sf)
    R = _roots(C)
    kind = np.zeros(nint, int)
    rank = np.zeros(nint, int)
    for i in range(nint):
        r = R[i]
        if nreal[i] < 0:  # inexact domain: classify by size of the imaginary part
            nreal[i] = int(np.sum(np.abs(r.imag) <= 1e-9 * (1 + np.abs(r))))
        ip = int(np.nanargmin(np.abs(r - phys[i])))
        if r[ip].imag == 0 or abs(r[ip].imag) <= 1e-9 * (1 + abs(r[ip])):
            reals = np.sort(r[r.imag == 0].real) if np.sum(r.imag == 0) == nreal[i] else \
                np.sort(r[np.argsort(np.abs(r.imag))[:nreal[i]]].real)
            kind[i] = _REAL
            rank[i] = int(np.argmin(np.abs(reals - r[ip].real)))
        else:
            nup = (deg[i] - nreal[i]) // 2
            kind[i] = _UPPER if nup == 1 else _TRACK
    info = _Analysis(crit_exact, crit, kind, nreal, rank, {}, [], [], np.zeros((crit.size, 2), complex),
                     scale, deg)
    law.__dict__["_info"] = info
    # reference tables for intervals with several upper roots
    for i in np.flatnonzero(kind == _TRACK):
        lo, hi = (crit[i - 1] if i > 0 else sf[i] - scale), (crit[i] if i < crit.size else sf[i] + scale)
        nn = 129
        nodes = lo + (hi - lo) * (1 - np.cos(np.pi * (np.arange(nn) + 0.5) / nn)) / 2
        allx = np.sort(np.append(nodes, sf[i]))
        Rn = _roots(law._coeffs(allx))
        start = int(np.searchsorted(allx, sf[i]))
        vals = np.full(allx.size, np.nan + 0j)
        vals[start] = phys[i]
        for rng in (range(start + 1, allx.size), range(start - 1, -1, -1)):
            prev = phys[i]
            for t in rng:
                r = Rn[t]
                cand = np.where(r.imag > 0, _chordal(r, prev), np.inf)
                prev = r[int(np.argmin(cand))]
                vals[t] = prev
        info.tables[int(i)] = (allx, vals)
    # one-sided physical limits at each critical point (predictors for _near_critical)
    if crit.size:
        h = 1e-9 * np.maximum(1.0, np.abs(crit))
        left = law._boundary(crit - h)
        right = law._boundary(crit + h)
        info.limits = np.stack([left, right], axis=1)
    # support: runs of non-real intervals
    sup = []
    i = 0
    while i < nint:
        if kind[i] != _REAL:
            j = i
            while j + 1 < nint and kind[j + 1] != _REAL:
                j += 1
            if i == 0 or j == nint - 1:
                raise ParameterError("polynomial", str(P.as_expr()),
                                     "a law with compact support (the physical root is non-real "
                                     "on an unbounded interval)")
            sup.append((crit_exact[i - 1], crit_exact[j]))
            i = j + 1
        else:
            i += 1
    info.support_exact = sup
    info.atoms_exact = _atoms(law, lc)
    return info


def _atoms(law: AlgebraicLaw, lc: sp.Poly) -> list:
    """Atoms at real roots ``a`` of the leading coefficient: ``m ~ w/(a - z)``, with ``w`` a
    nonzero root of the lowest-order coefficient of ``t^d P(W/t, a - t)``, confirmed by the
    physical branch (``w ~ eta Im m(a + i eta)``)."""
    out = []
    if lc.degree() <= 0:
        return out
    t, W = sp.symbols("t W")
    scale = law._scale
    for a in _exact_real_roots(lc):
        expr = sp.expand(law.poly.as_expr().subs({M: W / t, Z: a - t}) * t ** law._d)
        pe = sp.Poly(expr, t)
        low = None
        for (k,), c in sorted(pe.terms()):
            c = sp.expand(c)
            if c != 0:
                low = c
                break
        if low is None:
            continue
        cands = []
        for r in sp.Poly(low, W).all_roots() if sp.Poly(low, W).get_domain().is_QQ or \
                sp.Poly(low, W).get_domain().is_ZZ else sp.roots(sp.Poly(low, W), multiple=True):
            rv = complex(sp.N(r, 20))
            if abs(rv.imag) < 1e-14 and 0 < rv.real <= 1 + 1e-14:
                cands.append(r)
        if not cands:
            continue
        af = float(sp.N(a, 20))
        eta = 1e-10 * scale
        mval = law._track(np.array([af + 1j * eta]))[0]
        wnum = eta * mval.imag
        best = min(cands, key=lambda r: abs(float(sp.N(r, 20)) - wnum))
        if abs(float(sp.N(best, 20)) - wnum) < 1e-3:
            out.append((a, sp.nsimplify(best) if best.is_Rational else best))
    return out


# ------------------------------------------------------------------------------------------
# empirical laws
# ------------------------------------------------------------------------------------------
class EmpiricalLaw(SpectralLaw):
    """The spectral law of a finite matrix: ``m(z) = mean_i 1/(lambda_i - z)`` (purely
    atomic: :meth:`density` is 0, :meth:`atoms` lists the distinct eigenvalues).

    >>> law = empirical_law([0.0, 1.0, 1.0, 3.0])
    >>> law.atoms()
    [(0.0, 0.25), (1.0, 0.5), (3.0, 0.25)]
    >>> complex(law.stieltjes(2.0))        # (-1/2 - 1 - 1 + 1)/4
    (-0.375+0j)
    >>> float(law.cdf(1.0)), law.moment(2)
    (0.75, 2.75)
    """

    def __init__(self, eigenvalues: ArrayLike, *, name: str | None = None):
        ev = _as_real(eigenvalues, "eigenvalues").reshape(-1)
        if ev.size == 0 or not np.all(np.isfinite(ev)):
            raise ParameterError("eigenvalues", eigenvalues, "a non-empty array of finite reals")
        self.eigenvalues = np.sort(ev)
        h = hashlib.sha1(np.ascontiguousarray(self.eigenvalues).tobytes()).hexdigest()[:12]
        lam = sp.IndexedBase("lambda")
        i = sp.Symbol("i", integer=True)
        n = ev.size
        self.derivation = register(Derivation(
            name or f"empirical[n={n},sha1={h}]",
            title=f"empirical spectral law of {n} eigenvalues",
            unknowns=[M], parameters=[Z],
            equations=[sp.Eq(M, sp.Sum(1 / (lam[i] - Z), (i, 1, n)) / n)],
            outputs={"density": sp.im(M) / sp.pi},
            assumptions="m(z) = (1/n) sum_i 1/(lambda_i - z); eigenvalues given numerically",
            symbols={lam: r"\lambda"}))
        vals, counts = np.unique(self.eigenvalues, return_counts=True)
        self._atoms = [(float(v), float(c) / n) for v, c in zip(vals, counts)]
        self._cum = np.cumsum(counts) / n
        self._vals = vals

    def _sum(self, z: np.ndarray, power: int = 1) -> np.ndarray:
        ev = self.eigenvalues
        out = np.empty(z.shape, np.complex128)
        step = max(1, int(4e6 // ev.size))
        with np.errstate(all="ignore"):
            for a in range(0, z.size, step):
                zz = z[a:a + step]
                out[a:a + step] = np.mean(1.0 / (ev[None, :] - zz[:, None]) ** power, axis=1)
        return out

    def _interior(self, z):
        return self._sum(z)

    def _boundary(self, x):
        x = np.asarray(x, np.float64)
        out = self._sum(x + 0j).real + 0j
        hit = np.isin(x, self._vals)
        out[hit] = np.nan
        return out

    def _m_dm(self, w):
        w = np.asarray(w, np.complex128)
        return self.stieltjes(w), self._sum(w, 2)

    def density(self, x):
        xa = _as_real(x)
        return np.zeros(xa.shape)

    def cdf(self, x):
        xa = _as_real(x)
        idx = np.searchsorted(self._vals, xa, side="right")
        return np.where(idx > 0, self._cum[np.maximum(idx - 1, 0)], 0.0)

    def support(self):
        return []

    def atoms(self):
        return list(self._atoms)

    def hull(self):
        return (float(self.eigenvalues[0]), float(self.eigenvalues[-1]))

    def moment(self, k: int) -> float:
        k = _check_k(k)
        return float(np.mean(self.eigenvalues ** k))


# ------------------------------------------------------------------------------------------
# subordination laws
# ------------------------------------------------------------------------------------------
class SubordinationLaw(SpectralLaw):
    """A law given by a compiled fixed-point / subordination system in one parameter ``z``.

    Parameters
    ----------
    derivation : registered :class:`~rmtsym.core.derivation.Derivation` whose only parameter
        is ``z`` and which has an output ``"m"`` (the Stieltjes transform). It is compiled by
        :class:`~rmtsym.core.solve.CompiledSystem`.
    hull : an interval ``(lo, hi)`` known to contain the support.
    atoms : exact-rule atoms ``[(location, mass)]``.
    moment : ``k -> k-th moment``.

    Evaluation: vectorised continuation in ``Im z`` from ``x + 4i*scale`` down to the target
    (geometric steps, each a warm-started :meth:`CompiledSystem.solve`); on the real axis the
    last step solves at ``Im z = 0`` exactly and, where that Newton step does not converge
    (at an edge), keeps the value at ``Im z = 1e-13 scale``. The per-point verdicts of the
    last evaluation are in :attr:`last_report`; a point with no admissible solution is NaN.
    Support: sign changes of ``Im m`` on a grid of the hull refined by bisection (numeric).
    """

    def __init__(self, derivation: Derivation, *, hull: tuple[float, float],
                 atoms: Sequence[tuple[float, float]] = (),
                 moment: Callable[[int], Any] | None = None, grid: int = 401):
        if "m" not in derivation.outputs:
            raise ParameterError("derivation", derivation.name, "a derivation with output 'm'")
        self.derivation = derivation
        self.system = derivation.compile()
        self._hull = (float(hull[0]), float(hull[1]))
        self._atoms = sorted((float(a), float(w)) for a, w in atoms)
        self._moment = moment
        self._grid = int(grid)
        self.last_report = None

    def hull(self):
        return self._hull

    def atoms(self):
        return list(self._atoms)

    def moment(self, k: int):
        k = _check_k(k)
        if self._moment is None:
            raise NoClosedFormError(f"{self.name}: no moment rule")
        return self._moment(k)

    def _solve(self, z: np.ndarray, keep_top: bool = True, unknowns: bool = False):
        sysm = self.system
        unk = sysm._unames
        z = z.astype(np.complex128)
        x, y = z.real, np.maximum(z.imag, 0.0)
        scale = self._scale
        Y0 = 4 * scale
        eta = 1e-13 * scale
        floor = np.where(y > 0, y, eta)
        q = 0.15
        K = max(0, int(np.ceil(np.log(Y0 / floor.min()) / np.log(1 / q))))
        warm = None
        mval = np.full(z.shape, np.nan + 0j)
        ok_any = np.zeros(z.shape, bool)
        prev_h = None
        report = None
        for k in range(K + 1):
            h = np.maximum(Y0 * q ** k, floor)
            act = np.ones(z.shape, bool) if prev_h is None else (h != prev_h)
            prev_h = h
            if not act.any():
                continue
            ia = np.flatnonzero(act)
            guess = None if warm is None else [{u: warm[j][ia] for j, u in enumerate(unk)}]
            sol = sysm.solve({"z": x[ia] + 1j * h[ia]}, guess)
            ok = sol.report.ok
            cur = [np.asarray(sol.unknowns[u]) for u in unk]
            if warm is None:
                warm = [np.where(ok, c, np.nan + 0j) for c in cur]
            else:
                for j in range(len(unk)):
                    warm[j][ia] = np.where(ok, cur[j], warm[j][ia])
            mval[ia] = np.where(ok, sol.outputs["m"], mval[ia] if keep_top else np.nan)
            ok_any[ia] = np.where(ok, True, ok_any[ia] & keep_top)
            report = sol.report
        real = np.flatnonzero(y == 0)
        if real.size:
            guess = [{u: warm[j][real] for j, u in enumerate(unk)}]
            sol = sysm.solve({"z": x[real] + 0j}, guess)
            ok = sol.report.ok
            mval[real] = np.where(ok, sol.outputs["m"], mval[real])
            report = sol.report
        mval[~ok_any] = np.nan
        self.last_report = report
        if unknowns:
            return mval, warm
        return mval

    def _interior(self, z):
        return self._solve(z)

    def _boundary(self, x):
        x = np.asarray(x, np.float64)
        m = self._solve(x + 0j)
        m = np.where(m.imag < 0, m.real + 0j, m)
        for a, _w in self._atoms:
            m[x == a] = np.nan
        return m

    def _ac_imag(self, x: np.ndarray, warm=None):
        """``Im m`` at ``x + i eta`` minus the atoms' share (for support detection), and the
        unknowns; with ``warm`` (unknowns at nearby points) one warm-started solve is tried
        first and the full continuation only where it fails."""
        eta = 1e-15 * self._scale
        z = x + 1j * eta
        unk = self.system._unames
        m = None
        if warm is not None:
            sol = self.system.solve({"z": z}, [{u: warm[j] for j, u in enumerate(unk)}])
            ok = sol.report.ok
            m = np.where(ok, sol.outputs["m"], np.nan)
            U = [np.asarray(sol.unknowns[u]) for u in unk]
            bad = np.flatnonzero(~ok)
            if bad.size:
                mb, Ub = self._solve(z[bad], unknowns=True)
                m[bad] = mb
                for j in range(len(unk)):
                    U[j][bad] = Ub[j]
        else:
            m, U = self._solve(z, unknowns=True)
        for a, w in self._atoms:
            m = m - w / (a - z)
        return m.imag, U

    @cached_property
    def _support(self) -> list[tuple[float, float]]:
        lo, hi = self._hull
        pad = 0.02 * (hi - lo) + 1e-6 * self._scale
        xs = np.linspace(lo - pad, hi + pad, self._grid)
        im, U = self._ac_imag(xs)
        self._grid_values = (xs, im, U)
        # outside, Im m(x + i eta) ~ eta/sqrt(dist); inside, Im m ~ sqrt(dist): with this
        # threshold both misplace an edge by ~1e-14 (relative)
        thr = 1e-7 * max(1e-300, float(np.nanmax(np.abs(im)))) if np.isfinite(im).any() else 0
        inside = np.nan_to_num(im, nan=0.0) > thr
        if not inside.any():
            return []
        edges_in = np.flatnonzero(np.diff(inside.astype(int)) != 0)
        # each transition between xs[i] and xs[i+1] refined by 16-section (vectorised, a
        # full continuation per round: warm starts near an edge can change root)
        a = xs[edges_in].copy()
        b = xs[edges_in + 1].copy()
        ins_a = inside[edges_in]
        k = 15
        frac = np.arange(1, k + 1) / (k + 1)
        for _ in range(7):
            pts = a[:, None] + (b - a)[:, None] * frac[None, :]
            im_p, _ = self._ac_imag(pts.reshape(-1))
            p_in = (np.nan_to_num(im_p, nan=0.0) > thr).reshape(pts.shape)
            same = p_in == ins_a[:, None]
            # last point still on a's side (points are ordered from a to b)
            cnt = np.where(same.all(axis=1), k, np.argmin(same, axis=1))
            grid = np.concatenate([a[:, None], pts, b[:, None]], axis=1)
            idx = np.arange(a.size)
            a, b = grid[idx, cnt], grid[idx, cnt + 1]
        pts = 0.5 * (a + b)
        out = []
        start = xs[0] if inside[0] else None
        for e, p in zip(ins_a, pts):
            if not e:  # entering the support
                start = p
            else:
                out.append((float(start), float(p)))
                start = None
        if start is not None:
            out.append((float(start), float(xs[-1])))
        return out

    def support(self):
        return list(self._support)

    def _pieces(self) -> list[tuple[float, float]]:
        """Support intervals split at interior near-zeros of the density (cusps), located by
        golden-section search from the grid's local minima below 1% of the maximum."""
        sup = self.support()
        xs, im, U = self._grid_values
        im = np.nan_to_num(im, nan=0.0)
        top = float(np.max(im)) if im.size else 0.0
        inner = np.array([any(lo < t < hi for lo, hi in sup) for t in xs[1:-1]], bool)
        loc = np.flatnonzero((im[1:-1] <= im[:-2]) & (im[1:-1] <= im[2:]) &
                             (im[1:-1] < 1e-2 * top) & inner) + 1
        cuts = []
        if loc.size:
            a, b = xs[loc - 1].copy(), xs[loc + 1].copy()
            k = 15
            frac = np.arange(k + 2) / (k + 1)
            for _ in range(6):  # 8-fold shrink per round around the smallest sample
                pts = a[:, None] + (b - a)[:, None] * frac[None, :]
                f, _ = self._ac_imag(pts.reshape(-1))
                f = np.nan_to_num(f, nan=np.inf).reshape(pts.shape)
                j = np.clip(np.argmin(f, axis=1), 1, k)
                idx = np.arange(a.size)
                a, b = pts[idx, j - 1], pts[idx, j + 1]
            cuts = sorted(0.5 * (a + b))
        out = []
        for lo, hi in sup:
            pts = [lo] + [c for c in cuts if lo < c < hi] + [hi]
            out += [(p, q) for p, q in zip(pts[:-1], pts[1:]) if q > p]
        return out


# ------------------------------------------------------------------------------------------
# constructors
# ------------------------------------------------------------------------------------------
def algebraic_law(polynomial, *, name: str, m: sp.Symbol | None = None,
                  z: sp.Symbol | None = None, **kw) -> AlgebraicLaw:
    """An :class:`AlgebraicLaw` from a polynomial in ``m`` and ``z`` (other symbol names may be
    given with ``m=`` and ``z=``). ``name`` must be unique in the registry.

    >>> law = algebraic_law("m**2 + z*m + 1", name="semicircle-demo")
    >>> law.support()
    [(-2.0, 2.0)]
    """
    expr = sp.sympify(polynomial) if not isinstance(polynomial, str) else sp.parse_expr(
        polynomial, local_dict={"m": M, "z": Z}, evaluate=True)
    if m is not None or z is not None:
        expr = expr.subs({s: t for s, t in ((m, M), (z, Z)) if s is not None}, simultaneous=True)
    return AlgebraicLaw(expr, name=name, **kw)


def atomic_law(locations: Sequence, weights: Sequence | None = None) -> AlgebraicLaw:
    """The discrete law ``sum_i w_i delta_{a_i}`` as an exact algebraic law
    ``m prod_i (a_i - z) = sum_i w_i prod_{j != i} (a_j - z)``.

    Locations and weights are read exactly (:func:`exact_number`); weights default to equal,
    must be positive and sum to 1.

    >>> law = atomic_law([-1, 1])
    >>> law.equation()
    Eq(m*z**2 - m + z, 0)
    >>> law.atoms_exact()
    [(-1, 1/2), (1, 1/2)]
    """
    locs = [exact_number(a, "locations") for a in locations]
    if not locs:
        raise ParameterError("locations", locations, "at least one location")
    if weights is None:
        ws = [sp.Rational(1, len(locs))] * len(locs)
    else:
        ws = [exact_number(w, "weights") for w in weights]
    if len(ws) != len(locs):
        raise ParameterError("weights", weights, f"{len(locs)} weights (one per location)")
    if any(not (w > 0) for w in ws) or sp.simplify(sum(ws) - 1) != 0:
        raise ParameterError("weights", weights, "positive numbers summing to 1")
    merged: dict = {}
    for a, w in zip(locs, ws):
        merged[a] = merged.get(a, 0) + w
    locs = sorted(merged, key=lambda a: float(sp.N(a)))
    ws = [merged[a] for a in locs]
    prod = sp.Mul(*[(a - Z) for a in locs])
    rhs = sp.Add(*[w * sp.Mul(*[(b - Z) for b in locs if b != a]) for a, w in zip(locs, ws)])
    P = sp.expand(M * prod - rhs)
    name = "atomic[" + ",".join(f"{_fmt(a)}:{_fmt(w)}" for a, w in zip(locs, ws)) + "]"
    return AlgebraicLaw(P, name=_short_name(name), title="discrete law",
                        assumptions="sum_i w_i delta_{a_i}; m(z) = sum_i w_i/(a_i - z)")


def empirical_law(eigenvalues: ArrayLike, *, name: str | None = None) -> EmpiricalLaw:
    """The law of a spectrum: ``m(z) = mean_i 1/(lambda_i - z)`` (see :class:`EmpiricalLaw`)."""
    return EmpiricalLaw(eigenvalues, name=name)
