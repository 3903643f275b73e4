"""Limiting spectra of inner-product kernel matrices and of the conjugate kernel.

Conventions (``docs/conventions.md``): Stieltjes transform ``m(z) = int dmu(x)/(x - z)``
(``Im m > 0`` for ``Im z > 0``); Marchenko–Pastur ``MP(gamma)`` is the law of ``X X^T/N``,
``X`` of size ``p x N``, ``gamma = p/N``; semicircle ``SC(v)`` of variance ``v``; Hermite
coefficients ``c_k = E[f(G) h_k(G)]`` (Gaussian); Gegenbauer coefficients ``g_k(f; d)`` and
``B(d,k)`` (Sphere). Both results are returned as small frozen dataclasses holding the
defining polynomial ``P(m, z)`` (sympy; exact when the inputs are), the parameters, LaTeX,
and a reference numeric solver ``stieltjes(z)``.

1. Inner-product kernel matrix (Kernel matrix convention): ``K_ij = f(<x_i,x_j>/sqrt d)/sqrt n``
   (``i != j``), ``K_ii = 0``, ``n/d^ell -> kappa`` (Lu & Yau 2022, arXiv:2205.06308; Dubova,
   Lu, McKenna & Yau 2023, arXiv:2310.18280). :func:`kernel_matrix_equation`.

   The degree-``k`` part of ``f`` is ``g_k q_k``; by the addition theorem its matrix (with
   diagonal) is ``g_k/sqrt(n B_k) Y_k Y_k^T`` with ``Y_k`` the ``n x B_k`` matrix of orthonormal
   degree-``k`` harmonics, ``B_k = B(d,k)``, rows of squared norm exactly ``B_k``. Hence it is
   ``a_k (W - 1)`` after the diagonal is removed, with ``W = Y_k Y_k^T/B_k``: the MP law of ratio
   ``phi_k = n/B_k`` (``p = n`` rows, ``N = B_k`` columns: the project's MP convention; checked
   by simulation) and ``a_k = g_k/sqrt(phi_k)``. Degree ``ell`` (``phi = kappa ell!``) gives the
   MP part, degrees ``> ell`` (``phi_k -> 0``) add a semicircle of variance ``sum_{k>ell} c_k^2``,
   degrees ``< ell`` (``phi_k -> oo``) are spikes. The law is
   ``a (W_phi - 1) [+ s] ⊞ SC(v)``, i.e. ``z = s - 1/m - v m - a^2 phi m / (1 + a phi m)``
   (R-transform of ``a (W_phi - 1)``: ``a^2 phi w/(1 - a phi w)``). At finite size the same
   construction with the exact ``g_k(f; d)`` and ``phi_k = n/B(d,k)`` for every degree (model
   ``"free"``) describes the whole spectrum, outlier clusters included; the spike equation of
   each low degree ``k`` against the rest gives the outlier locations (:class:`KernelOutlier`).

2. Conjugate kernel (Pennington & Worah 2017; Benigni & Péché 2021; REFERENCES A2):
   ``M = Y Y^T/m``, ``Y = f(W X/sqrt n0)``. :func:`conjugate_kernel_equation`; the mean
   ``mu_0 = E f(G)`` adds one outlier located by a rectangular spike equation (:class:`CKOutlier`).

What was checked by simulation (rmtsym.simulate.kernels; tests/test_kernels.py; m(z) at
``Im z = 0.1``, several replicates):

* MP convention: for ``f = z`` the spectrum has exactly ``n - d`` eigenvalues at ``-a``,
  ``a = sqrt(d/n)``: the atom ``1 - 1/phi`` of MP(``phi = n/d``) (the ratio ``d/n`` would have none).
* ``ell = 1``, d = 400, n = 800, ``f = h1 + .7 h2 + .5 h3``: the d = oo law is within 0.021 of
  the simulation (SE 0.003); the gap is a finite-size bias ~ 17/n (0.034, 0.021, 0.008 at
  n = 400, 800, 1600, same n/d); Gaussian data ~ 30/n.
* ``ell = 2``, d = 40, n = 1600 (ReLU, ``tanh + z^2/2``, ``h1 + h2 + h3/2``): the d = oo law misses
  by up to 0.6 (~40%); ``"shift"`` matches the bulk (outliers removed) to 1-5% (worse when the
  degree-1 cluster touches the bulk); ``"free"`` matches the whole spectrum to < 0.01.
  Outliers (ReLU): degree 0 at 16.073 (theory) vs 16.074 +- .018; the 40 degree-1 eigenvalues:
  mean 3.102 vs 3.101, range (2.20, 4.17) vs (2.22, 4.08).
* ``ell = 1.5`` (d = 100, n = 1000): see :func:`kernel_matrix_equation`.
* Limitation: components of degree ``k >= 3`` with ``B(d,k) >> n`` reach the semicircle slowly
  (a Wigner matrix with entries ``h_4(G)``, ``E h_4^4 ~ 10^3``, is ~10% off the semicircle at
  n = 1000; a pure ``q_4`` kernel at d = 100, n = 1000 is off by the same amount).
* Conjugate kernel: ``tanh(2x)`` at (600, 900, 1200) and centred ReLU within 2-4 SE (<= 0.016);
  the mean outlier within 1 SE in four settings (e.g. ReLU, (300, 300, 600): 48.34 vs 48.28 +- .075,
  the bare ``n1 mu_0^2 = 47.75``).

>>> from rmtsym.bases.hermite import hermite_polynomial as h
>>> spec = kernel_matrix_equation(h(1) + h(2) / 2, 1, 2)
>>> spec.phi, spec.a, spec.v
(2, sqrt(2)/2, 1/4)
>>> spec.polynomial
sqrt(2)*m**3/4 + m**2*(sqrt(2)*z + 5/4) + m*(z + sqrt(2)) + 1
>>> complex(spec.stieltjes(0.5j))  # = damped fixed point of m = m_mu(z + v m) with the MP formula
(-0.24329970395...+0.77982803000...j)
"""

from __future__ import annotations

import re

import math
import numbers
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import sympy as sp

from ..errors import ParameterError

__all__ = [
    "M",
    "ZZ",
    "KernelOutlier",
    "KernelLawSpec",
    "CKOutlier",
    "CKLawSpec",
    "kernel_matrix_equation",
    "conjugate_kernel_equation",
    "stieltjes_from_polynomial",
]

#: The unknown ``m`` and the spectral variable ``z`` of every polynomial ``P(m, z)`` here.
M = sp.Symbol("m")
ZZ = sp.Symbol("z")


# ---------------------------------------------------------------------------------------
# a reference numeric solver: roots of P(., z), followed from large |z|
# ---------------------------------------------------------------------------------------

def _coefficient_functions(P: sp.Expr) -> list[Callable]:
    """Numpy callables ``p_j(z)`` with ``P = sum_j p_j(z) m^j`` (highest degree first)."""
    poly = sp.Poly(sp.expand(P), M)
    out = []
    for c in poly.all_coeffs():
        fn = sp.lambdify(ZZ, sp.sympify(c), modules="numpy")
        out.append(fn)
    return out


def _roots_batch(coeffs: np.ndarray) -> np.ndarray:
    """Roots of many polynomials at once; ``coeffs`` is ``(K, D+1)`` highest degree first."""
    K, D1 = coeffs.shape
    D = D1 - 1
    if D == 1:
        return (-coeffs[:, 1] / coeffs[:, 0])[:, None]
    lead = coeffs[:, 0]
    ok = np.abs(lead) > 1e-300 * np.max(np.abs(coeffs), axis=1)
    out = np.full((K, D), np.nan + 0j)
    if np.any(ok):
        c = coeffs[ok] / lead[ok, None]
        comp = np.zeros((c.shape[0], D, D), dtype=complex)
        comp[:, 0, :] = -c[:, 1:]
        comp[:, np.arange(1, D), np.arange(D - 1)] = 1.0
        out[ok] = np.linalg.eigvals(comp)
    for i in np.flatnonzero(~ok):
        r = np.roots(coeffs[i])
        out[i, : len(r)] = r
    return out


def stieltjes_from_polynomial(P: sp.Expr | None, z, *, scale: float = 1.0, steps: int = 240,
                              coefficient_functions: Sequence[Callable] | None = None) -> np.ndarray:
    """The Stieltjes transform defined by ``P(m, z) = 0`` (Stieltjes transform convention).

    Reference implementation: for each ``z`` the root of ``P(., z')`` is followed along the
    vertical path ``z' = Re z + i y``, ``y`` from ``Im z + 10 (scale + |z|)`` down to ``Im z``
    (``steps`` geometric steps), starting from the root nearest ``-1/z'`` (``m ~ -1/z`` at large
    ``|z|``): Newton from the previous point, falling back to all roots (companion matrices) and
    the nearest one when Newton does not converge or jumps; at the end all roots are computed and
    the one the path arrived at is kept. Points with ``Im z < 0`` use ``m(conj z) = conj m(z)``.
    A point whose end root has ``Im m < 0`` (beyond a slack of ``1e-8 |m|``) or is not finite is
    returned as NaN (never a plausible wrong number). Vectorised over ``z``. ``P`` may be None
    when ``coefficient_functions`` (numpy callables ``p_j(z)``, highest power of ``m`` first) are given.

    >>> v = sp.Rational(1, 1)
    >>> complex(stieltjes_from_polynomial(v * M**2 + ZZ * M + 1, 1j))  # semicircle: (-z + sqrt(z^2-4))/2
    (...0.618033988749...j)
    """
    z = np.asarray(z, dtype=complex)
    shape = z.shape
    zf = z.reshape(-1)
    flip = zf.imag < 0
    zf = np.where(flip, np.conj(zf), zf)
    fns = list(coefficient_functions) if coefficient_functions is not None else _coefficient_functions(P)
    y_top = 10.0 * (float(scale) + np.abs(zf)) + 1.0
    fr = np.concatenate([np.geomspace(1.0, 1e-13, steps), [0.0]])

    def coeffs_at(zz):
        return np.stack([np.broadcast_to(np.asarray(fn(zz), dtype=complex), zz.shape) for fn in fns], axis=1)

    def nearest(co, target):
        r = _roots_batch(co)
        idx = np.nanargmin(np.abs(np.where(np.isfinite(r), r, np.inf) - target[:, None]), axis=1)
        return r[np.arange(len(target)), idx]

    zz = zf.real + 1j * (zf.imag + y_top * fr[0])
    cur = nearest(coeffs_at(zz), -1.0 / zz)
    dco = None
    for t in fr[1:]:
        zz = zf.real + 1j * (zf.imag + y_top * t)
        co = coeffs_at(zz)
        deg = co.shape[1] - 1
        dco = co[:, :-1] * np.arange(deg, 0, -1)[None, :]
        # Newton from the previous root (the path is short; checked below), eigenvalues as fallback
        mm = cur.copy()
        for _ in range(8):
            p = np.zeros_like(mm)
            dp = np.zeros_like(mm)
            for j in range(deg + 1):
                p = p * mm + co[:, j]
            for j in range(deg):
                dp = dp * mm + dco[:, j]
            with np.errstate(all="ignore"):
                step = p / dp
            mm = mm - step
        tol = 1e-9 * np.maximum(np.abs(mm), 1e-300)
        bad = ~np.isfinite(mm) | (np.abs(step) > tol) | (np.abs(mm - cur) > 0.25 * np.abs(cur) + 1e-300)
        if np.any(bad):
            mm[bad] = nearest(co[bad], cur[bad])
        cur = mm
    # the end point: all roots, keep the one the path arrived at
    cur = nearest(coeffs_at(zf), cur)
    bad = ~np.isfinite(cur) | (cur.imag < -1e-8 * np.maximum(np.abs(cur), 1.0))
    cur = np.where(bad, np.nan + 0j, cur)
    cur = np.where(flip, np.conj(cur), cur)
    return cur.reshape(shape)


# ---------------------------------------------------------------------------------------
# input handling
# ---------------------------------------------------------------------------------------

def _function(f) -> sp.Expr:
    from ..bases.functions import Z

    if isinstance(f, str):
        from ..bases.catalog import activation

        f = activation(f).expr
    elif hasattr(f, "expr") and isinstance(getattr(f, "expr"), sp.Basic):
        f = f.expr
    if isinstance(f, (numbers.Number, np.number)):
        f = sp.sympify(f)
    if not isinstance(f, sp.Basic):
        raise ParameterError("f", f, "a sympy expression in z, an Activation or a catalog name",
                             "the theory needs the expansion of f; numeric callables are for the samplers")
    f = f.subs({s: Z for s in f.free_symbols if getattr(s, "name", None) == "z" and s != Z})
    others = sorted(str(s) for s in f.free_symbols if s != Z)
    if others:
        raise ParameterError("f", str(f), "a function of z alone", f"substitute values for {', '.join(others)}")
    return f


def _positive(name: str, value, *, integer: bool = False, lo: float = 0.0, strict: bool = True):
    bad = isinstance(value, bool) or not isinstance(value, (numbers.Real, sp.Basic))
    if not bad and isinstance(value, sp.Basic):
        bad = not (value.is_number and value.is_real)
    if not bad:
        fv = float(value)
        bad = not math.isfinite(fv) or (fv <= lo if strict else fv < lo)
        if integer and not bad:
            bad = fv != int(fv)
    if bad:
        what = "an integer" if integer else "a number"
        raise ParameterError(name, value, f"{what} {'>' if strict else '>='} {lo:g}")
    if isinstance(value, float):
        return sp.Float(value) if not value.is_integer() else sp.Integer(int(value))
    return value if isinstance(value, sp.Basic) else sp.sympify(value)


def _nice(x):
    x = sp.sympify(x)
    if x.has(sp.Float):
        return sp.Float(complex(sp.N(x, 17)).real)
    return sp.radsimp(sp.simplify(x)) if not x.free_symbols else sp.simplify(x)


def _num(x) -> float:
    return float(sp.N(x, 17))


def _is_zero(x, scale=1.0) -> bool:
    x = sp.sympify(x)
    if x.has(sp.Float) or not x.is_number:
        return abs(_num(x)) <= 1e-12 * max(1.0, scale)
    return bool(sp.simplify(x) == 0)


# ---------------------------------------------------------------------------------------
# kernel matrices
# ---------------------------------------------------------------------------------------

class _FreeSum:
    """Numeric law ``s + sum_i a_i (W_{phi_i} - 1) ⊞ SC(v)`` through its explicit inverse.

    ``z(m) = s - 1/m - v m - sum_i g_i^2 m/(1 + b_i m)`` with ``g_i^2 = a_i^2 phi_i`` and
    ``b_i = a_i phi_i = g_i sqrt(phi_i)`` (R-transform of ``a (W_phi - 1)``: ``a^2 phi w/(1 - a phi w)``;
    ``m = -G``). Polynomial form ``P(m, z) = z A(m) + B(m)`` with
    ``A = m prod_j (1 + b_j m)`` and
    ``B = (1 - s m + v m^2) prod_j (1 + b_j m) + sum_i g_i^2 m^2 prod_{j != i} (1 + b_j m)``.
    """

    def __init__(self, g: Sequence[float], phi: Sequence[float], v: float, s: float):
        self.g = np.asarray(g, dtype=float)
        self.phi = np.asarray(phi, dtype=float)
        self.b = self.g * np.sqrt(self.phi)
        self.v, self.s = float(v), float(s)
        P = np.polynomial.polynomial
        prod = np.array([1.0])
        for b in self.b:
            prod = P.polymul(prod, [1.0, b])
        A = P.polymul([0.0, 1.0], prod)
        Bp = P.polymul([1.0, -self.s, self.v], prod)
        for i, gi in enumerate(self.g):
            q = np.array([0.0, 0.0, gi * gi])
            for j, b in enumerate(self.b):
                if j != i:
                    q = P.polymul(q, [1.0, b])
            Bp = P.polyadd(Bp, q)
        D = max(len(A), len(Bp))
        A = np.pad(A, (0, D - len(A)))[::-1]
        Bp = np.pad(Bp, (0, D - len(Bp)))[::-1]
        lead = int(np.argmax((np.abs(A) + np.abs(Bp)) > 0))
        self.A, self.B = A[lead:], Bp[lead:]
        self.fns = [(lambda zz, a=a, bb=bb: a * zz + bb) for a, bb in zip(self.A, self.B)]
        # bounds the support: a (W_phi - 1) lies in [-|a|, |g| (2 + sqrt phi)], SC(v) in [-2 sqrt v, 2 sqrt v]
        self.scale = 2.0 * math.sqrt(float(np.sum(self.g**2)) + self.v) + abs(self.s) \
            + float(np.max(np.abs(self.b), initial=0.0)) + 1.0

    def z_of_m(self, m):
        m = np.asarray(m)
        out = self.s - 1.0 / m - self.v * m
        for g, b in zip(self.g, self.b):
            out = out - g * g * m / (1.0 + b * m)
        return out

    def dz(self, m):
        m = np.asarray(m)
        out = 1.0 / (m * m) - self.v
        for g, b in zip(self.g, self.b):
            out = out - g * g / (1.0 + b * m) ** 2
        return out

    def stieltjes(self, z):
        return stieltjes_from_polynomial(None, z, scale=self.scale, coefficient_functions=self.fns)

    def spike(self, theta: float):
        """``lambda = z(-1/theta)``: the solution of ``m(lambda) = -1/theta`` if it exists, else None."""
        if theta == 0 or not math.isfinite(theta):
            return None
        ms = -1.0 / theta
        with np.errstate(all="ignore"):
            lam = float(self.z_of_m(ms))
            if not (math.isfinite(lam) and float(self.dz(ms)) > 0):
                return None
        mm = complex(self.stieltjes(np.array([lam + 0j]))[0])
        if not (np.isfinite(mm) and abs(mm.imag) <= 1e-6 * max(1.0, abs(mm))
                and abs(mm.real - ms) <= 1e-6 * max(1.0, abs(ms))):
            return None
        return lam


def _free_sum_polynomial(gs, phis, v, s) -> sp.Expr:
    """Sympy ``P(m, z)`` of ``s + sum_i a_i (W_{phi_i} - 1) ⊞ SC(v)`` (see :class:`_FreeSum`)."""
    bs = [g * sp.sqrt(p) for g, p in zip(gs, phis)]
    prod = sp.Integer(1)
    for b in bs:
        prod *= 1 + b * M
    P = ((ZZ - s) * M + 1 + v * M**2) * prod
    for i, g in enumerate(gs):
        q = g**2 * M**2
        for j, b in enumerate(bs):
            if j != i:
                q *= 1 + b * M
        P += q
    return sp.collect(sp.expand(P), M)


@dataclass(frozen=True)
class KernelOutlier:
    """The eigenvalues produced by the degree-``k`` component of ``f`` for ``k < ell``.

    The component is ``theta U U^T - g_k sqrt(B_k/n) I`` with ``U = Y_k/sqrt n`` (``n x B_k``,
    ``Y_k`` the orthonormal degree-``k`` harmonics at the data, ``U^T U ≈ I``),
    ``theta = g_k sqrt(n/B_k)``, ``B_k = B(d,k)``: ``multiplicity = B_k`` eigenvalues near
    ``theta``. ``location`` solves the spike equation ``m_H(lambda) = -1/theta`` where ``H`` is
    the rest of ``K`` (every other degree ``j`` as ``g_j/sqrt(phi_j) (W_{phi_j} - 1)``,
    ``phi_j = n/B_j``, the tail beyond ``degree_max`` as a semicircle, and the diagonal
    ``-g_k sqrt(B_k/n)`` of the component itself); in closed form
    ``lambda = -g_k sqrt(B_k/n) + theta + v/theta + sum_{j != k} g_j^2/(theta - g_j sqrt(phi_j))``.
    ``interval``: the same with ``theta`` replaced by ``theta (1 ± sqrt(B_k/n))^2``, the edges of
    the spread of ``U^T U`` (``MP(B_k/n)``); a point for ``k = 0`` (``U^T U = 1``). ``scale``: the
    ``d -> oo`` order ``c_k sqrt(kappa k!) d^((ell-k)/2)`` (sympy, in ``d``), or ``theta`` at finite size.
    ``location``/``interval`` are None without ``d`` or below the BBP threshold (see ``notes``).
    Derived for sphere data.
    """

    degree: int
    coefficient: object
    multiplicity: object
    theta: object
    location: float | None
    interval: tuple | None
    scale: sp.Expr
    notes: str = ""


@dataclass(frozen=True)
class KernelLawSpec:
    """Limiting (or finite-size) spectral law of an inner-product kernel matrix.

    Model ``"limit"`` (``d = oo``) and ``"shift"`` (finite size): the bulk law is
    ``a (W_phi - 1) + s ⊞ SC(v)`` with ``W_phi ~ MP(phi)`` (Marchenko–Pastur convention, ratio
    ``phi = n/B(d, ell)``, i.e. ``kappa ell!``). Its Stieltjes transform solves
    ``m(z) = m_mu(z + v m(z))``, equivalently the explicit inverse
    ``z = s - 1/m - v m - a^2 phi m/(1 + a phi m)``, i.e. ``P(m, z) = 0`` with

        P = (1 + a phi m) ((z - s) m + 1 + v m^2) + a^2 phi m^2.

    Model ``"free"`` (finite size): the whole spectrum (bulk and outlier clusters) as the free
    sum ``sum_k g_k/sqrt(phi_k) (W_{phi_k} - 1) ⊞ SC(v)`` over the degrees ``k <= degree_max``
    (``phi_k = n/B(d,k)``), ``v`` the energy beyond; ``z = -1/m - v m - sum_k g_k^2 m/(1 + g_k
    sqrt(phi_k) m)``. ``components`` lists the ``(k, g_k, phi_k)`` of the MP terms.

    Attributes: ``polynomial`` (sympy, in :data:`M` and :data:`ZZ`), ``ell``, ``kappa``
    (None at finite size), ``phi``, ``a``, ``v``, ``shift`` (``s``), ``d``, ``n``, ``data``,
    ``basis`` (``"hermite"`` or ``"gegenbauer"``), ``coefficients`` (``c_k`` or ``g_k(f; d)``,
    ``k = 0..degree_max``), ``energy`` (``E f^2`` under the data's law), ``exact``, ``model``,
    ``components``, ``latex_equation``, ``latex_polynomial``, ``outliers`` (one
    :class:`KernelOutlier` per degree ``k < ell``), ``notes``, ``reference``.
    """

    polynomial: sp.Expr
    ell: object
    kappa: object
    phi: object
    a: object
    v: object
    shift: object
    d: int | None
    n: int | None
    data: str
    basis: str
    coefficients: tuple
    energy: object
    exact: bool
    model: str
    components: tuple
    latex_equation: str
    latex_polynomial: str
    outliers: tuple = ()
    notes: tuple = ()
    reference: str = ("Y. M. Lu and H.-T. Yau, An equivalence principle for the spectrum of random inner-product "
                      "kernel matrices with polynomial scalings, arXiv:2205.06308; S. Dubova, Y. M. Lu, "
                      "B. McKenna and H.-T. Yau, Universality for the global spectrum of random inner-product "
                      "kernel matrices in the polynomial regime, arXiv:2310.18280")
    _law: object = field(default=None, repr=False, compare=False)
    _fns: list = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        law = _FreeSum([_num(g) for _, g, _ in self.components], [_num(p) for _, _, p in self.components],
                       _num(self.v), _num(self.shift))
        object.__setattr__(self, "_law", law)
        object.__setattr__(self, "_fns", _coefficient_functions(self.polynomial))

    @property
    def second_moment(self):
        """``int x^2 dmu = sum_components g_k^2 + v + s^2`` (sympy; ``a^2 phi + v + s^2`` =
        ``sum_{k >= ell} c_k^2`` for the ``d = oo`` law)."""
        return _nice(sum(g**2 for _, g, _ in self.components) + self.v + self.shift**2)

    def z_of_m(self, m):
        """Explicit inverse ``z(m)`` of the Stieltjes transform (numpy, vectorised)."""
        return self._law.z_of_m(m)

    def stieltjes(self, z) -> np.ndarray:
        """``m(z)`` (numpy, vectorised; NaN where the branch check fails).

        Reference solver :func:`stieltjes_from_polynomial` on ``polynomial`` (root of ``P(., z)``
        followed from ``m ~ -1/z`` at large ``|z|``).
        """
        return stieltjes_from_polynomial(self.polynomial, z, scale=self._law.scale, coefficient_functions=self._fns)

    def density(self, x) -> np.ndarray:
        """Density ``Im m(x + i0)/pi`` at real ``x``."""
        x = np.asarray(x, dtype=float)
        return np.maximum(self.stieltjes(x + 0j).imag, 0.0) / math.pi

    def moment(self, k: int) -> float:
        """``int x^k dmu`` by a contour integral of ``m`` around the support (float)."""
        return _moment(self, int(k), 2.0 * self._law.scale + 2.0)


def _latex_equation(phi, a, v, s, model: str, components=()) -> str:
    if model == "free":
        body = (r"z = -\frac{1}{m} - v\,m - \sum_{k} \frac{g_k^{2}\, m}{1 + g_k\sqrt{\varphi_k}\, m}"
                r"\quad(\text{free sum of } g_k\varphi_k^{-1/2}(W_{\varphi_k} - 1),"
                r"\ W_{\varphi_k}\sim\mathrm{MP}(\varphi_k),"
                r"\ \text{and } \mathrm{SC}(v))")
        vals = [rf"(g_{{{k}}}, \varphi_{{{k}}}) = \bigl({sp.latex(g)}, {sp.latex(p)}\bigr)" for k, g, p in components]
        vals.append(rf"v = {sp.latex(v)}")
        return body + r",\qquad " + r",\ ".join(vals)
    if _is_zero(a):
        parts = [r"v\,m(z)^{2} + (z - s)\,m(z) + 1 = 0\quad(\text{semicircle } \mathrm{SC}(v)"
                 + (r" \text{ shifted by } s" if not _is_zero(s) else "") + ")"]
    else:
        law = r"\mu = \operatorname{law}\bigl(a\,(W_{\varphi} - 1)" + (r" + s" if not _is_zero(s) else "") + r"\bigr)"
        parts = [r"m(z) = m_{\mu}\bigl(z + v\,m(z)\bigr)", law + r",\ W_{\varphi} \sim \mathrm{MP}(\varphi)",
                 r"z = " + (r"s " if not _is_zero(s) else "")
                 + r"- \frac{1}{m} - v\,m - \frac{a^{2}\varphi\, m}{1 + a\varphi\, m}"]
    vals = [rf"\varphi = {sp.latex(phi)}", rf"a = {sp.latex(a)}", rf"v = {sp.latex(v)}"]
    if not _is_zero(s):
        vals.append(rf"s = {sp.latex(s)}")
    return r",\quad ".join(parts) + r",\qquad " + r",\ ".join(vals)


def _hermite_data(f: sp.Expr, K: int, exact):
    from ..bases.hermite import gaussian_mean, hermite_coefficients

    e = hermite_coefficients(f, K, exact=exact)
    if e.exact:
        coeffs = tuple(sp.sympify(c) for c in e.coefficients)
        en, ex, _ = gaussian_mean(sp.expand(f**2) if f.is_polynomial() else f**2, exact=exact)
        en = sp.sympify(en) if ex else sp.Float(float(en))
    else:
        coeffs = tuple(sp.Float(float(np.real(c))) for c in e.coefficients)
        en = sp.Float(float(gaussian_mean(f**2, exact=False)[0]))
    return coeffs, en, e.exact


def _gegenbauer_data(f: sp.Expr, d: int, K: int, exact):
    from ..bases.gegenbauer import gegenbauer_coefficients

    e = gegenbauer_coefficients(f, d, K, exact=exact)
    if e.exact:
        coeffs = tuple(sp.sympify(c) for c in e.coefficients)
        f2 = sp.expand(f**2) if f.is_polynomial() else f**2
        try:
            en = sp.sympify(gegenbauer_coefficients(f2, d, 0, exact=True).coefficients[0])
        except Exception:  # no closed form for f^2: numeric energy
            en = sp.Float(float(gegenbauer_coefficients(f2, d, 0, exact=False).numpy()[0]))
    else:
        coeffs = tuple(sp.Float(float(np.real(c))) for c in e.coefficients)
        en = sp.Float(float(gegenbauer_coefficients(f**2, d, 0, exact=False).numpy()[0]))
    return coeffs, en, e.exact


def _nearest_degree(d: int, n: int) -> int:
    """The degree ``k >= 1`` whose ``B(d,k)`` is nearest ``n`` on a log scale."""
    from ..bases.gegenbauer import harmonic_dimension

    best, best_k, k = None, 1, 1
    while True:
        B = harmonic_dimension(d, k)
        gap = abs(math.log(n / B))
        if best is None or gap < best:
            best, best_k = gap, k
        if B > n:
            return best_k
        k += 1


def _degree_max(degree_max, ell: int) -> int:
    if degree_max is None:
        return int(ell) + 4
    K = int(_positive("degree_max", degree_max, integer=True, lo=0, strict=False))
    if K < ell:
        raise ParameterError("degree_max", degree_max, f"an integer >= ell = {ell}")
    return K


_D_SYM = sp.Symbol("d", positive=True)


def kernel_matrix_equation(f, ell=None, kappa=None, *, d: int | None = None, n: int | None = None,
                           degree_max: int | None = None, data: str = "sphere", model: str = "shift",
                           exact: bool | None = None) -> KernelLawSpec:
    """Spectral law of the inner-product kernel matrix ``K`` (Kernel matrix convention).

    ``K_ij = f(<x_i, x_j>/sqrt d)/sqrt n`` (``i != j``), ``K_ii = 0``, ``x_i`` uniform on
    S^{d-1}(sqrt d) or N(0, I_d). ``f``: a sympy expression in ``z``, an Activation or a catalog
    name. Two modes:

    * **d = oo** (``kernel_matrix_equation(f, ell, kappa)``; Lu & Yau 2022 for integer ``ell``):
      ``n/d^ell -> kappa``. Hermite coefficients ``c_k``; ``phi = kappa ell!``,
      ``a = c_ell/sqrt(phi)``, ``v = sum_{k > ell} c_k^2 = E f(G)^2 - sum_{k <= ell} c_k^2``
      (Parseval: no truncation), ``s = 0``; the law is ``a (W_phi - 1) ⊞ SC(v)`` for sphere and
      Gaussian data alike. Non-integer ``ell`` (Dubova et al. 2023): the MP part vanishes and
      the law is ``SC(v)``, ``v = sum_{k > ell} c_k^2``. ``d`` may be given (``n = kappa d^ell``)
      to get outlier multiplicities and locations.
    * **finite size** (``kernel_matrix_equation(f, d=..., n=...)``, sphere data): exact
      Gegenbauer coefficients ``g_k = g_k(f; d)`` and ``B_k = B(d,k)``; ``ell`` is the degree
      whose ``B(d, ell)`` is nearest ``n`` on a log scale (or the ``ell`` given);
      ``phi = n/B(d, ell)``, ``a = g_ell/sqrt(phi)``, ``v = E f(t)^2 - sum_{k<=ell} g_k^2`` and the
      bulk shift ``s = -sum_{k < ell} g_k sqrt(B_k/n)`` (the diagonal ``g_k sqrt(B_k/n)`` of each
      low-degree component, removed by ``K_ii = 0``) (``model="shift"``, default). With
      ``model="free"`` every degree ``k <= degree_max`` is its own MP term ``g_k/sqrt(phi_k)
      (W_{phi_k} - 1)``, ``phi_k = n/B_k`` (low degrees included: their outlier clusters and the
      shift come out of the law) and ``v`` is the energy beyond ``degree_max``; this describes the
      whole spectrum and is the more accurate finite-size law.

    Verified by simulation (numbers in the module docstring): ``ell = 1`` (d = 400, n = 800),
    ``ell = 2`` (d = 40, n = 1600: the d = oo law misses m(z) by up to 40%, ``"shift"`` by 1-5%,
    ``"free"`` by < 1%). Non-integer ``ell = 1.5`` at d = 100, n = 1000: the pure semicircle
    ``SC(v)`` misses by up to 0.39 (``|z|``, ~25%), while the finite-size law (``ell = 2``,
    ``phi = 0.198``) and ``"free"`` are within 0.005 (``|z|``; ``"free"`` within 0.01 for
    ``tanh + z^2/2``, whose degree-1 cluster merges with the bulk and spoils ``"shift"``). The
    finite-size law tends to ``SC(v)`` as ``phi -> 0`` with an error ~ ``sqrt(phi) ~ d^(-1/4)``
    (0.39, 0.22, 0.12 at d = 10^2, 10^3, 10^4 with n = d^1.5): the non-integer statement is
    verified in this indirect sense only, and holds only slowly in ``d``.

    If ``c_ell = 0`` (no component at degree ``ell``) the MP part vanishes: the law returned is
    the semicircle ``SC(v)`` (shifted by ``s``), with a note; no error. If ``f`` has no component
    at any degree ``>= ell`` the bulk is a point mass and a ParameterError is raised.

    Outliers (:class:`KernelOutlier`, one per degree ``k < ell``; needs ``d``): ``B(d,k)``
    eigenvalues near ``theta_k = g_k sqrt(n/B(d,k))`` (``~ c_k sqrt(kappa k!) d^{(ell-k)/2}``),
    located by a spike equation (sphere data; Gaussian data has further outliers from the norm
    fluctuations when ``ell >= 2``).

    ``degree_max`` (default ``ell + 4``): degrees held in ``coefficients`` (and the MP terms of
    ``model="free"``); ``v`` of the other models does not depend on it. ``exact``: passed to
    the expansions (None: exact when possible).

    >>> from rmtsym.bases.functions import Z
    >>> s = kernel_matrix_equation(Z**2, d=10, n=60)
    >>> s.ell, s.phi, s.shift, s.v, s.a
    (2, 10/9, -sqrt(15)/30, 0, 3*sqrt(15)/10)
    >>> s.polynomial
    m**2*(sqrt(15)*z/3 + 5/3) + m*(z + 11*sqrt(15)/30) + 1
    """
    from ..bases.gegenbauer import harmonic_dimension

    if data not in ("sphere", "gaussian"):
        raise ParameterError("data", data, "'sphere' or 'gaussian'")
    if exact not in (None, True, False):
        raise ParameterError("exact", exact, "True, False or None")
    if model not in ("shift", "free"):
        raise ParameterError("model", model, "'shift' or 'free'")
    fexpr = _function(f)
    notes: list[str] = []
    finite = kappa is None and (d is not None or n is not None)
    if finite:
        if d is None or n is None:
            raise ParameterError("n" if n is None else "d", None,
                                 "both d and n for the finite-size law (or ell and kappa for d = oo)")
        if data != "sphere":
            raise ParameterError("data", data, "'sphere' in the finite-size mode",
                                 "the diagonal shift and the Gegenbauer coefficients are derived for sphere data; "
                                 "use kernel_matrix_equation(f, ell, kappa, data='gaussian') for the d = oo law")
        d = int(_positive("d", d, integer=True, lo=3, strict=False))
        n = int(_positive("n", n, integer=True, lo=2, strict=False))
        ell = _nearest_degree(d, n) if ell is None else int(_positive("ell", ell, integer=True, lo=1, strict=False))
        K = _degree_max(degree_max, ell)
        coeffs, energy, ex = _gegenbauer_data(fexpr, d, K, exact)
        Bs = [harmonic_dimension(d, k) for k in range(K + 1)]
        phis = [sp.Rational(n, B) for B in Bs]
        phi = phis[ell]
        a = _nice(coeffs[ell] / sp.sqrt(phi))
        kappa_out, basis, ell_int, L = None, "gegenbauer", True, ell - 1
        n_eff = float(n)
        notes.append(f"finite size: ell = {ell} (B(d, ell) = {Bs[ell]}, n = {n}), exact Gegenbauer coefficients "
                     f"at d = {d}")
        if model == "shift":
            v = _nice(energy - sum(coeffs[k] ** 2 for k in range(ell + 1)))
            s = _nice(-sum(coeffs[k] * sp.sqrt(sp.Rational(Bs[k], n)) for k in range(ell)))
            notes.append("bulk shift s = -sum_(k<ell) g_k sqrt(B(d,k)/n) from K_ii = 0")
        else:
            v = _nice(energy - sum(c**2 for c in coeffs))
            s = sp.Integer(0)
    else:
        if model != "shift":
            raise ParameterError("model", model, "'shift' in the d = oo mode ('free' needs d and n)")
        if ell is None or kappa is None:
            raise ParameterError("ell" if ell is None else "kappa", None,
                                 "ell and kappa for the d = oo law (or d and n for the finite-size law)")
        if n is not None:
            raise ParameterError("n", n, "None in the d = oo mode (n = kappa d^ell is implied)")
        ell = _positive("ell", ell)
        kappa_out = _positive("kappa", kappa)
        ell_int = bool(float(ell).is_integer())
        if ell_int:
            ell = int(ell)
        L = ell - 1 if ell_int else int(math.floor(float(ell)))
        if d is not None:
            d = int(_positive("d", d, integer=True, lo=3 if data == "sphere" else 1, strict=False))
        K = _degree_max(degree_max, L + 1)
        coeffs, energy, ex = _hermite_data(fexpr, K, exact)
        if ell_int:
            phi = _nice(kappa_out * sp.factorial(ell))
            a = _nice(coeffs[ell] / sp.sqrt(phi))
            v = _nice(energy - sum(coeffs[k] ** 2 for k in range(ell + 1)))
        else:
            phi, a = sp.Integer(0), sp.Integer(0)
            v = _nice(energy - sum(coeffs[k] ** 2 for k in range(L + 1)))
            notes.append(f"non-integer ell = {ell}: n/B(d,k) -> 0 for k > ell and -> oo for k < ell, so no MP "
                         f"part; the law is the semicircle SC(v), v = sum_(k>ell) c_k^2 (slow in d: prefer the "
                         f"finite-size law)")
        s = sp.Integer(0)
        basis = "hermite"
        n_eff = None if d is None else _num(kappa_out) * float(d) ** float(ell)
    escale = max(1.0, abs(_num(energy)))
    if _num(v) < 0:
        if _num(v) > -1e-10 * escale:
            v = sp.Float(0.0) if v.has(sp.Float) else sp.Integer(0)
        else:
            raise ParameterError("f", str(fexpr), "a square-integrable function (E f^2 >= sum of c_k^2)",
                                 f"Parseval failed: v = {v}")
    if model == "free":
        comps = tuple((k, coeffs[k], phis[k]) for k in range(K + 1) if not _is_zero(coeffs[k], escale))
        if not comps and _is_zero(v, escale):
            raise ParameterError("f", str(fexpr), "a non-zero function")
    else:
        if ell_int and _is_zero(a, escale):
            a = sp.Integer(0)
            notes.append(f"the coefficient of degree ell = {ell} vanishes: no MP part, the law is the semicircle "
                         f"SC(v)" + (" shifted by s" if not _is_zero(s) else ""))
        if _is_zero(a, escale) and _is_zero(v, escale):
            raise ParameterError("f", str(fexpr), f"a function with a component at some degree >= ell = {ell}",
                                 "all of f is in degrees < ell: low rank, the bulk is a point mass")
        comps = () if _is_zero(a, escale) else ((ell, _nice(a * sp.sqrt(phi)), phi),)
    P = _free_sum_polynomial([g for _, g, _ in comps], [p for _, _, p in comps], v, s)
    exact_out = bool(ex) and not any(sp.sympify(x).has(sp.Float) for x in (phi, a, v, s, energy))
    spec = KernelLawSpec(P, ell, kappa_out, phi, a, v, s, d, n if finite else None, data, basis, tuple(coeffs),
                         energy, exact_out, "free" if model == "free" else ("shift" if finite else "limit"), comps,
                         _latex_equation(phi, a, v, s, model, comps), sp.latex(P) + " = 0", (), tuple(notes))
    outs = _kernel_outliers(coeffs, energy, ell, L, d=d, n_eff=n_eff, kappa=kappa_out, finite=finite)
    import dataclasses

    return dataclasses.replace(spec, outliers=tuple(outs))


def _kernel_outliers(coeffs, energy, ell, L: int, *, d, n_eff, kappa, finite: bool) -> list:
    from ..bases.gegenbauer import harmonic_dimension

    out = []
    K = len(coeffs) - 1
    g = [_num(c) for c in coeffs]
    escale = max(1.0, abs(_num(energy)))
    v_rest = max(_num(energy) - sum(x * x for x in g), 0.0)
    for k in range(L + 1):
        gk = coeffs[k]
        if d is None:
            scale_expr = _nice(gk * sp.sqrt(kappa * sp.factorial(k))) * _D_SYM ** (sp.sympify(ell - k) / 2)
            mult = _D_SYM**k / sp.factorial(k)
        else:
            mult = harmonic_dimension(d, k)
            scale_expr = _nice(gk * sp.sqrt(sp.Integer(int(n_eff)) / mult)) if finite else \
                _nice(gk * sp.sqrt(kappa * sp.factorial(k))) * _D_SYM ** (sp.sympify(ell - k) / 2)
        if _is_zero(gk, escale):
            out.append(KernelOutlier(k, gk, mult, 0, None, None, sp.Integer(0), "zero coefficient: no outlier"))
            continue
        if d is None:
            out.append(KernelOutlier(k, gk, mult, scale_expr, None, None, scale_expr,
                                     "d = oo: multiplicity ~ d^k/k!, theta ~ c_k sqrt(kappa k!) d^((ell-k)/2); "
                                     "pass d for locations"))
            continue
        Bk = mult
        theta = g[k] * math.sqrt(n_eff / Bk)
        others = [j for j in range(K + 1) if j != k and g[j] != 0]
        law = _FreeSum([g[j] for j in others], [n_eff / harmonic_dimension(d, j) for j in others], v_rest,
                       -g[k] * math.sqrt(Bk / n_eff))
        loc = law.spike(theta)
        if k == 0:
            ends = [loc, loc]
        else:
            r = math.sqrt(Bk / n_eff)
            ends = [law.spike(theta * (1 - r) ** 2) if r < 1 else None, law.spike(theta * (1 + r) ** 2)]
        interval = None if any(e is None for e in ends) else tuple(sorted(ends))
        note = "" if loc is not None else "below the BBP threshold: no separated outlier"
        out.append(KernelOutlier(k, gk, Bk, theta, loc, interval, scale_expr, note))
    return out


# ---------------------------------------------------------------------------------------
# conjugate kernel
# ---------------------------------------------------------------------------------------

def _moment(spec, k: int, radius: float, points: int = 256) -> float:
    """``int x^k dmu = -mean_theta[z^{k+1} m(z)]`` on the circle ``|z| = radius`` (trapezoid rule)."""
    th = (np.arange(points) + 0.5) * (2 * np.pi / points)
    zc = radius * np.exp(1j * th)
    mz = spec.stieltjes(zc)
    if not np.all(np.isfinite(mz)):
        raise ArithmeticError("the Stieltjes solver failed on the contour")
    return float(np.real(-np.mean(zc ** (k + 1) * mz)))


def _ck_polynomial(phi, psi, eta, zeta) -> sp.Expr:
    """The Pennington–Worah quartic in rmtsym's ``m = -G``, with the factor ``z^2`` removed."""
    m, z = M, ZZ
    P = (eta * zeta * phi**2 * z**2 * m**4 - zeta**2 * phi**2 * z**2 * m**4 + zeta * phi * psi * z**2 * m**3
         + 2 * eta * zeta * phi**2 * z * m**3 - 2 * eta * zeta * phi * psi * z * m**3
         - 2 * zeta**2 * phi**2 * z * m**3 + 2 * zeta**2 * phi * psi * z * m**3
         + eta * zeta * phi**2 * m**2 - eta * phi * psi**2 * z * m**2 - 2 * eta * zeta * phi * psi * m**2
         + eta * zeta * psi**2 * m**2 - zeta**2 * phi**2 * m**2 + 2 * zeta * phi * psi * z * m**2
         + 2 * zeta**2 * phi * psi * m**2 - zeta * psi**2 * z * m**2 - zeta**2 * psi**2 * m**2
         - eta * phi * psi**2 * m + eta * psi**3 * m + zeta * phi * psi * m - psi**3 * z * m - zeta * psi**2 * m
         - psi**3)
    return sp.collect(sp.expand(P), [m, z])


@dataclass(frozen=True)
class CKOutlier:
    """Outlier of the conjugate kernel created by the mean ``mu_0 = E f(G) != 0``.

    ``Y = mu 1_m^T + Y_c`` with ``mu_i = E f(|w_i| G/sqrt n0)`` and ``Y_c`` centred given ``W``: a
    rank-one "signal plus noise" matrix. With ``u = mu/|mu|``, ``v = 1_m/sqrt m`` and
    ``theta^2 = |mu|^2`` the outlier ``lambda`` of ``M = Y Y^T/m`` solves (Benaych-Georges &
    Nadakuditi 2012, rectangular spike; cross term neglected)

        theta^2 lambda G_1(lambda) G_2(lambda) = 1,
        G_1 = g/(1 - sigma g),  G_2 = (n1/m) g + (1 - n1/m)/lambda,  g = -m_bulk(lambda),

    with ``E theta^2 = n1 mu_0^2 + (c_2^2 + sqrt(6) mu_0 c_4)/psi`` (row-norm fluctuations of
    ``W``) and ``sigma = c_2^2/psi`` (the population covariance of ``Y_c``'s columns has an extra
    ``c_2^2 n1/n0`` along ``1``: the Hadamard square ``(W W^T/n0)^{o2}`` has mean ``1/n0`` off the
    diagonal). Large-``n1`` expansion: ``lambda ≈ theta^2 + eta (1 + n1/m) + sigma``
    (``approximation``). Fluctuations of ``lambda`` are O(1) (``2 theta u^T Y_c v/sqrt m``).
    """

    n1: int
    theta2: float
    location: float | None
    approximation: float
    notes: str = ""


@dataclass(frozen=True)
class CKLawSpec:
    """Limiting spectrum of the conjugate kernel ``M = Y Y^T/m``, ``Y = f(W X/sqrt n0)``.

    ``W`` (``n1 x n0``), ``X`` (``n0 x m``) iid N(0,1); ``phi = n0/m``, ``psi = n0/n1``;
    ``eta = E f_c(G)^2``, ``zeta = (E f'(G))^2 = c_1^2`` for ``f_c = f - mu_0`` (the bulk of a
    non-centred ``f`` is that of ``f_c``; ``mu_0`` adds the outlier of :meth:`outlier`).
    Pennington & Worah (2017) quartic with ``t = 1/(z psi)``, ``P_phi = 1 + (P-1) phi``,
    ``P_psi = 1 + (P-1) psi``, ``A = P_phi P_psi``:

        (P - 1 - (eta - zeta) t A)(1 - zeta t A) - zeta t A = 0,   G(z) = psi P/z + (1 - psi)/z,

    where ``G(z) = int dmu/(z - x)`` (their convention, ``Im G < 0``); rmtsym's ``m = -G``, so
    ``P = (1 - psi - z m)/psi``. ``polynomial`` is the quartic in ``m`` after that substitution,
    multiplied by ``z^2 psi^2`` and with the factor ``z^2`` removed (degree 4 in ``m``, 2 in ``z``).
    Same spectrum as the linear model ``sqrt(zeta) W X/sqrt n0 + sqrt(eta - zeta) Z``.
    """

    polynomial: sp.Expr
    phi: object
    psi: object
    eta: object
    zeta: object
    mu0: object
    c2: object
    c4: object
    exact: bool
    latex_equation: str
    latex_polynomial: str
    notes: tuple = ()
    reference: str = ("J. Pennington and P. Worah, Nonlinear random matrix theory for deep learning, NeurIPS 2017; "
                      "L. Benigni and S. Péché, Eigenvalue distribution of some nonlinear models of random "
                      "matrices, EJP 2021")
    _fns: list = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_fns", _coefficient_functions(self.polynomial))

    def _scale(self) -> float:
        # bounds the support: the linear equivalent's top eigenvalue is below
        # eta (1 + sqrt(n1/n0))^2 (1 + sqrt(n1/m))^2
        e, p, q = _num(self.eta), _num(self.phi), _num(self.psi)
        return e * (1 + math.sqrt(1 / q)) ** 2 * (1 + math.sqrt(p / q)) ** 2 + 1.0

    def stieltjes(self, z) -> np.ndarray:
        """``m(z) = -G(z)`` of the bulk (numpy, vectorised; NaN where the branch check fails)."""
        return stieltjes_from_polynomial(self.polynomial, z, scale=self._scale(), coefficient_functions=self._fns)

    def density(self, x) -> np.ndarray:
        """Density ``Im m(x + i0)/pi`` of the bulk at real ``x``."""
        x = np.asarray(x, dtype=float)
        return np.maximum(self.stieltjes(x + 0j).imag, 0.0) / math.pi

    def moment(self, k: int) -> float:
        """``int x^k dmu`` of the bulk by a contour integral of ``m`` (float)."""
        return _moment(self, int(k), 2.0 * self._scale() + 2.0)

    def right_edge(self) -> float:
        """Right edge of the bulk's support (numerically: where ``Im m(x + i0)`` vanishes)."""
        return _right_edge(self)

    def outlier(self, n1: int) -> CKOutlier:
        """The outlier created by ``mu_0 != 0`` for a network width ``n1`` (see :class:`CKOutlier`)."""
        n1 = int(_positive("n1", n1, integer=True, lo=1, strict=False))
        mu0, c2, c4 = _num(self.mu0), _num(self.c2), _num(self.c4)
        phi, psi, eta = _num(self.phi), _num(self.psi), _num(self.eta)
        if mu0 == 0:
            raise ParameterError("f", "E f(G) = 0", "a function with mu_0 = E f(G) != 0 for a mean outlier")
        r = phi / psi  # n1/m
        sigma = c2**2 / psi
        theta2 = n1 * mu0**2 + (c2**2 + math.sqrt(6) * mu0 * c4) / psi
        approx = theta2 + eta * (1 + r) + sigma

        def F(lam):
            lam = np.asarray(lam, dtype=float)
            g = -np.real(self.stieltjes(lam + 0j))
            G1 = g / (1 - sigma * g)
            G2 = r * g + (1 - r) / lam
            return theta2 * lam * G1 * G2 - 1.0

        edge = self.right_edge()
        lo = edge * (1 + 1e-9) + 1e-12
        hi = max(2 * approx, 2 * edge + 1)
        loc = _sign_change(F, lo, hi)
        if loc is None:
            return CKOutlier(n1, theta2, None, approx, "below the BBP threshold: no separated outlier")
        return CKOutlier(n1, theta2, float(loc), approx)


def _sign_change(F, lo: float, hi: float, points: int = 200, rounds: int = 5):
    """The largest root of a vectorised ``F`` on ``[lo, hi]`` by nested grids (None if no sign change)."""
    for _ in range(rounds):
        xs = np.linspace(lo, hi, points)
        with np.errstate(all="ignore"):
            fx = F(xs)
        ok = np.isfinite(fx)
        sgn = np.sign(np.where(ok, fx, np.nan))
        ch = np.flatnonzero(ok[:-1] & ok[1:] & (sgn[:-1] * sgn[1:] <= 0))
        if ch.size == 0:
            return None
        i = ch[-1]
        lo, hi = xs[i], xs[i + 1]
    return 0.5 * (lo + hi)


def _right_edge(spec) -> float:
    """Right edge of the support: the largest x with ``Im m(x + i0) > 0`` (nested grids)."""
    top = 2.0 * spec._scale() + 2.0

    def inside(x):
        return np.where(np.nan_to_num(spec.stieltjes(np.asarray(x) + 0j).imag) > 1e-9, 1.0, -1.0)

    xs = np.linspace(-top, top, 2001)
    ins = np.flatnonzero(inside(xs) > 0)
    if ins.size == 0:
        raise ArithmeticError("empty support")
    i = ins[-1]
    x = _sign_change(inside, xs[i], xs[min(i + 1, len(xs) - 1)], points=256, rounds=3)
    return float(xs[i] if x is None else x)


def conjugate_kernel_equation(f, phi, psi, *, exact: bool | None = None) -> CKLawSpec:
    """Limiting spectrum of the conjugate kernel (Pennington & Worah 2017; REFERENCES A2).

    ``M = Y Y^T/m``, ``Y = f(W X/sqrt n0)``, ``W in R^{n1 x n0}``, ``X in R^{n0 x m}`` iid N(0,1);
    ``phi = n0/m``, ``psi = n0/n1``. ``f``: a sympy expression in ``z``, an Activation or a
    catalog name. The quartic assumes ``E f(G) = 0``: for ``mu_0 = E f(G) != 0`` the bulk is that
    of ``f - mu_0`` (``eta = E f^2 - mu_0^2``) and ``mu_0`` creates one outlier of order
    ``n1 mu_0^2`` (:meth:`CKLawSpec.outlier`). Returns a :class:`CKLawSpec` whose
    ``polynomial`` is in rmtsym's sign convention (``m = -G``). Verified by simulation
    (tests/test_kernels.py): tanh(2z) at REFERENCES A2's table point and centred ReLU.

    >>> spec = conjugate_kernel_equation("linear", 1, 1)
    >>> spec.eta, spec.zeta, spec.mu0
    (1, 1, 0)
    """
    from ..bases.hermite import gaussian_mean, hermite_coefficients

    if exact not in (None, True, False):
        raise ParameterError("exact", exact, "True, False or None")
    fexpr = _function(f)
    phi = _positive("phi", phi)
    psi = _positive("psi", psi)
    e = hermite_coefficients(fexpr, 4, exact=exact)
    if e.exact:
        c = [sp.sympify(x) for x in e.coefficients]
        en, ex2, _ = gaussian_mean(sp.expand(fexpr**2) if fexpr.is_polynomial() else fexpr**2, exact=exact)
        en = sp.sympify(en) if ex2 else sp.Float(float(en))
    else:
        c = [sp.Float(float(np.real(x))) for x in e.coefficients]
        en = sp.Float(float(gaussian_mean(fexpr**2, exact=False)[0]))
    mu0, c1, c2, c4 = c[0], c[1], c[2], c[4]
    eta = _nice(en - mu0**2)
    zeta = _nice(c1**2)
    notes = []
    if not _is_zero(mu0):
        notes.append("E f(G) = mu_0 != 0: the bulk is that of f - mu_0; mu_0 adds one outlier (see .outlier(n1))")
    if _num(eta) <= 0:
        raise ParameterError("f", str(fexpr), "a non-constant function (Var f(G) > 0)")
    if _num(eta) - _num(zeta) < -1e-12 * _num(eta):
        raise ParameterError("f", str(fexpr), "a function with E f_c^2 >= (E f')^2", "Parseval failed")
    if _is_zero(eta - zeta, _num(eta)):
        notes.append("eta = zeta: f is linear (the law is the product of two MP laws)")
    P = _ck_polynomial(phi, psi, eta, zeta)
    exact_out = bool(e.exact) and not any(sp.sympify(x).has(sp.Float) for x in (phi, psi, eta, zeta))
    latex_eq = (r"\Bigl(P - 1 - (\eta - \zeta)\, t A\Bigr)\bigl(1 - \zeta t A\bigr) - \zeta t A = 0,\quad "
                r"t = \frac{1}{z\psi},\ A = \bigl(1 + (P - 1)\varphi\bigr)\bigl(1 + (P - 1)\psi\bigr),\quad "
                r"m(z) = -\frac{\psi P + 1 - \psi}{z},\qquad "
                + rf"\varphi = {sp.latex(phi)},\ \psi = {sp.latex(psi)},"
                + rf"\ \eta = {sp.latex(eta)},\ \zeta = {sp.latex(zeta)}")
    return CKLawSpec(P, phi, psi, eta, zeta, mu0, c2, c4, exact_out, latex_eq, sp.latex(P) + " = 0", tuple(notes))


# ---- law objects (the interface of rmtsym.spectra.law) ------------------------------------
def _as_law(spec, name: str, title: str, requires, reference: str, assumptions: str):
    from .law import algebraic_law

    P = sp.expand(spec.polynomial)
    coeffs = sp.Poly(P, sp.Symbol("m"), sp.Symbol("z")).coeffs()
    if not spec.exact or not all(c.is_algebraic for c in coeffs):
        # the law engine's exact algebra needs algebraic coefficients: transcendental ones
        # (pi, exp(-1/2), ...) and floats become rationals at 17 significant digits
        P = sp.nsimplify(sp.N(P, 17), rational=True)
    name = re.sub(r"\s+", "", name)
    law = algebraic_law(P, name=name, title=title, requires=requires, reference=reference,
                        assumptions=assumptions, m=sp.Symbol("m"), z=sp.Symbol("z"))
    law.spec = spec
    law.outliers = list(getattr(spec, "outliers", []) or [])
    return law


def kernel_matrix(f, ell=None, kappa=None, *, d: int | None = None, n: int | None = None,
                  data: str = "sphere", model: str = "shift", degree_max: int | None = None):
    """The limiting spectral law of an inner-product kernel matrix, as an
    :class:`~rmtsym.spectra.law.AlgebraicLaw` (support, atoms, exact moments, density, cdf).

    Same arguments as :func:`kernel_matrix_equation` (``(f, ell, kappa)`` for ``d = oo``,
    ``(f, d=, n=)`` for the finite-size law with exact Gegenbauer coefficients). The
    equation's data stay available as ``law.spec`` and the low-degree outliers as
    ``law.outliers``. Floating-point coefficients are turned into rationals (``nsimplify``)
    so that the law's algebra is exact for the polynomial it is given.

    >>> from rmtsym.bases.hermite import hermite_polynomial as h
    >>> law = kernel_matrix(h(1) + h(2) / 2, 1, 2)
    >>> law.moment(2)       # a^2 phi + v = c_1^2 + c_2^2
    5/4
    """
    spec = kernel_matrix_equation(f, ell, kappa, d=d, n=n, data=data, model=model, degree_max=degree_max)
    where = f"d={d},n={n}" if d is not None else f"ell={sp.nsimplify(spec.ell)},kappa={sp.nsimplify(spec.kappa)}"
    return _as_law(spec, f"kernel-matrix[{_function(f)}; {where}; {model}]",
                   "inner-product kernel matrix spectrum",
                   ["hermite-expansion" if d is None else "gegenbauer-expansion", "marchenko-pastur",
                    "semicircle", "free-additive-convolution"],
                   "Y. M. Lu and H.-T. Yau, arXiv:2205.06308 (2022); S. Dubova, Y. M. Lu, B. McKenna and "
                   "H.-T. Yau, arXiv:2310.18280 (2023)",
                   "K_ij = f(<x_i,x_j>/sqrt d)/sqrt n (i != j), K_ii = 0, x_i uniform on S^{d-1}(sqrt d); "
                   "law a (W_phi - 1) [+ s] (+) SC(v), phi = n/B(d, ell)")


def conjugate_kernel(f, phi, psi, *, exact: bool | None = None):
    """The limiting spectral law of the conjugate kernel ``Y Y^T/m``, ``Y = f(W X/sqrt n0)``, as
    an :class:`~rmtsym.spectra.law.AlgebraicLaw` (bulk of ``f - mu_0``); ``law.spec.outlier(n1)``
    locates the outlier created by ``mu_0 != 0``. Arguments as :func:`conjugate_kernel_equation`.
    """
    spec = conjugate_kernel_equation(f, phi, psi, exact=exact)
    return _as_law(spec, f"conjugate-kernel[{_function(f)}; phi={phi}, psi={psi}]",
                   "conjugate kernel spectrum", ["hermite-expansion", "marchenko-pastur"],
                   "J. Pennington and P. Worah, NeurIPS (2017); L. Benigni and S. Péché, EJP (2021)",
                   "W n1 x n0, X n0 x m iid N(0,1), M = Y Y^T/m, Y = f(W X/sqrt n0); phi = n0/m, "
                   "psi = n0/n1; eta = E f(G)^2, zeta = (E f'(G))^2 of f - mu_0")
