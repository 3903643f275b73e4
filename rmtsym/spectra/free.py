"""Free additive and multiplicative convolution, and affine images, of spectral laws.

Convention "Stieltjes transform" (``docs/conventions.md``): ``m(z) = int dmu(x)/(x - z)``.

Free sum ``A ⊞ B`` (law of ``A + O B O^T`` for Haar ``O``, large size). Subordination: there are
analytic ``omega_A, omega_B`` with ``Im omega >= Im z`` such that

    m(z) = m_A(omega_A) = m_B(omega_B),    omega_A + omega_B = z - 1/m(z).

Free product ``A ⊠ B`` (law of ``B^{1/2} A B^{1/2}``; ``B`` supported on ``[0, inf)``). With
``h(z) = 1 + z m(z) = int x/(x - z) dmu`` (so ``psi(1/z) = -h(z)`` for the moment series
``psi(u) = sum_k mu_k u^k``), the S-transform rule ``S_{A⊠B} = S_A S_B`` is equivalent to

    h(z) = h_A(zeta_A) = h_B(zeta_B),    zeta_A zeta_B = z (h - 1)/h,

i.e. ``zeta_A m_A(zeta_A) = zeta_B m_B(zeta_B) = z m(z)`` and
``zeta_A zeta_B (1 + z m) = z^2 m``.

For two algebraic laws the subordination equations are eliminated with resultants, so the result
is an :class:`~rmtsym.spectra.law.AlgebraicLaw` with an exact polynomial (its irreducible
factor that vanishes at the numeric subordination solution at two test points). Otherwise the
result is a :class:`~rmtsym.spectra.law.SubordinationLaw` whose one-unknown system is compiled by
:class:`~rmtsym.core.solve.CompiledSystem` (unknown ``omega_A``, resp. ``zeta_A``; damped
fixed-point fallback ``omega_A <- z + h_B(z + h_A(omega_A))`` with ``h = -1/m - id``, resp. the
Belinschi–Bercovici map). Atoms of the numeric results follow the exact rules of
Bercovici–Voiculescu (sum: ``a + b`` with mass ``p + q - 1 > 0``) and Belinschi (product: mass
``max(p_0, q_0)`` at 0, ``ab`` with ``p + q - 1 > 0``); moments come from free cumulants (sum)
and the S-transform series (product), exact when the ingredients' moments are.

>>> from rmtsym.spectra.classic import semicircle, marchenko_pastur
>>> free_sum(semicircle(1), semicircle(2)).equation()
Eq(3*m**2 + m*z + 1, 0)
>>> law = free_product(marchenko_pastur("1/2"), marchenko_pastur("1/3"))
>>> law.moments(3)
[1, 1, 11/6, 157/36]
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import sympy as sp

from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import ParameterError
from .law import (M, Z, AlgebraicLaw, EmpiricalLaw, SpectralLaw, SubordinationLaw,
                  _check_k, _fmt, _short_name, exact_number, law_function)

__all__ = ["free_sum", "free_product", "affine", "AffineLaw", "FREE_ADDITIVE",
           "FREE_MULTIPLICATIVE", "free_cumulants", "moments_from_free_cumulants"]

_w, _wA, _wB, _zA, _zB = sp.symbols("omega omega_A omega_B zeta_A zeta_B")
_mA, _mB = sp.Function("m_A"), sp.Function("m_B")

FREE_ADDITIVE = register(Derivation(
    "free-additive-convolution",
    title="Free additive convolution by subordination",
    unknowns=[M, _wA, _wB], parameters=[Z],
    equations=[sp.Eq(M, _mA(_wA)), sp.Eq(M, _mB(_wB)), sp.Eq(_wA + _wB, Z - 1 / M)],
    branch=[sp.im(_wA) >= sp.im(Z), sp.im(_wB) >= sp.im(Z)],
    reference="D. Voiculescu, Addition of certain non-commuting random variables, J. Funct. Anal. "
              "66 (1986); S. Belinschi and H. Bercovici, A new approach to subordination results "
              "in free probability, J. Anal. Math. 101 (2007)",
    assumptions="A, B free (e.g. A + O B O^T, O Haar); m(z) = int dmu(x)/(x - z)",
))

FREE_MULTIPLICATIVE = register(Derivation(
    "free-multiplicative-convolution",
    title="Free multiplicative convolution by subordination (S-transform rule)",
    unknowns=[M, _zA, _zB], parameters=[Z],
    equations=[sp.Eq(_zA * _mA(_zA), Z * M), sp.Eq(_zB * _mB(_zB), Z * M),
               sp.Eq(_zA * _zB * (1 + Z * M), Z**2 * M)],
    reference="D. Voiculescu, Multiplication of certain non-commuting random variables, J. Operator "
              "Theory 18 (1987); S. Belinschi and H. Bercovici (2007)",
    assumptions="law of B^{1/2} A B^{1/2}, A and B free, B >= 0; S_{AB} = S_A S_B with "
                "S(w) = chi(w) (1 + w)/w, chi the inverse of psi(u) = sum_k mu_k u^k; "
                "h(z) = 1 + z m(z) satisfies psi(1/z) = -h(z)",
))


# ------------------------------------------------------------------------------------------
# moment series (exact with sympy numbers, or floats)
# ------------------------------------------------------------------------------------------
def _mul(a: list, b: list, K: int) -> list:
    out = [0] * (K + 1)
    for i, ai in enumerate(a[:K + 1]):
        if ai == 0:
            continue
        for j, bj in enumerate(b[:K + 1 - i]):
            out[i + j] += ai * bj
    return out


def _compose(f: list, g: list, K: int) -> list:
    """``f(g(z))`` truncated at order K; ``g(0) = 0``."""
    out = [0] * (K + 1)
    for c in reversed(f[:K + 1]):
        out = _mul(out, g, K)
        out[0] += c
    return out


def _recip(f: list, K: int) -> list:
    out = [0] * (K + 1)
    out[0] = 1 / f[0] if not isinstance(f[0], sp.Basic) else sp.Integer(1) / f[0]
    for n in range(1, K + 1):
        s = sum(f[k] * out[n - k] for k in range(1, min(n, len(f) - 1) + 1))
        out[n] = -s * out[0]
    return out


def _inverse(f: list, K: int) -> list:
    """Compositional inverse of ``f`` (``f(0) = 0``, ``f'(0) != 0``)."""
    f1 = f[1]
    inv1 = sp.Integer(1) / f1 if isinstance(f1, sp.Basic) else 1 / f1
    g = [0, inv1] + [0] * (K - 1)
    for _ in range(K):
        fg = _compose(f, g, K)
        fg[1] -= 1
        g = [gi - fi * inv1 for gi, fi in zip(g, fg)]
    return g


def free_cumulants(moments: Sequence) -> list:
    """Free cumulants ``[kappa_0 = 1, kappa_1, ...]`` from moments ``[1, mu_1, ...]`` via
    ``M(z) = C(z M(z))`` (``M = sum mu_k z^k``, ``C = 1 + sum kappa_k z^k``).

    >>> free_cumulants([1, 0, 1, 0, 2, 0, 5])   # semicircle: kappa_2 = 1 only
    [1, 0, 1, 0, 0, 0, 0]
    """
    mom = list(moments)
    K = len(mom) - 1
    kap = [mom[0]] + [0] * K
    for n in range(1, K + 1):
        # mu_n = sum_{s=1}^n kappa_s [z^{n-s}] M^s
        acc = 0
        P = [1] + [0] * K
        for s in range(1, n):
            P = _mul(P, mom, K)
            acc += kap[s] * P[n - s]
        kap[n] = mom[n] - acc
    return kap


def moments_from_free_cumulants(kappas: Sequence) -> list:
    """Inverse of :func:`free_cumulants`.

    >>> moments_from_free_cumulants([1, 1, 1, 1, 1])        # Marchenko–Pastur, ratio 1
    [1, 1, 2, 5, 14]
    """
    kap = list(kappas)
    K = len(kap) - 1
    mom = [kap[0]] + [0] * K
    for n in range(1, K + 1):
        acc = kap[n]
        P = [1] + [0] * K
        for s in range(1, n):
            P = _mul(P, mom[:n] + [0] * (K + 1 - n), K)
            acc += kap[s] * P[n - s]
        mom[n] = acc
    return mom


def _sum_moments(ma: list, mb: list) -> list:
    ka, kb = free_cumulants(ma), free_cumulants(mb)
    return moments_from_free_cumulants([1] + [a + b for a, b in zip(ka[1:], kb[1:])])


def _product_moments(ma: list, mb: list) -> list:
    """Moments of ``A ⊠ B`` from ``psi_AB(z) = psi_A(z / S_B(psi_AB(z)))`` (needs
    ``mu_1(B) != 0``)."""
    K = len(ma) - 1
    psib = [0] + list(mb[1:])
    chib = _inverse(psib, K + 1)
    # S_B(w) = chi_B(w) (1 + w)/w
    q = chib[1:] + [0]
    Sb = _mul(q, [1, 1], K)
    psia = [0] + list(ma[1:])
    psi = [0] * (K + 1)
    for _ in range(K + 1):
        inner = _recip(_compose(Sb, psi, K), K)
        u = [0] + inner[:K]
        psi = _compose(psia, u, K)
    return [sp.Integer(1) if isinstance(ma[1], sp.Basic) else 1.0] + psi[1:]


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------
def _check_law(x: Any, name: str) -> SpectralLaw:
    if not isinstance(x, SpectralLaw):
        raise ParameterError(name, type(x).__name__, "a SpectralLaw (e.g. semicircle(1))")
    return x


def _is_positive(law: SpectralLaw) -> bool:
    if isinstance(law, AlgebraicLaw):
        pts = [a for iv in law.support_exact() for a in iv] + [a for a, _ in law.atoms_exact()]
        return all(sp.N(p, 30) >= 0 for p in pts)
    return law.hull()[0] >= 0


class _MomentSeries:
    """Moments of a convolution computed from the ingredients' moments on demand."""

    def __init__(self, A, B, rule):
        self.A, self.B, self.rule = A, B, rule
        self.cache: list = []

    def __call__(self, k: int):
        if k >= len(self.cache):
            K = max(k, 2 * len(self.cache), 6)
            self.cache = self.rule(self.A.moments(K), self.B.moments(K))
        return self.cache[k]


def _sum_atoms(A: SpectralLaw, B: SpectralLaw) -> list:
    out = []
    for a, p in A.atoms():
        for b, q in B.atoms():
            if p + q > 1 + 1e-15:
                out.append((a + b, p + q - 1))
    return out


def _product_atoms(A: SpectralLaw, B: SpectralLaw) -> list:
    pa = dict(A.atoms())
    pb = dict(B.atoms())
    out = []
    z0 = max(pa.get(0.0, 0.0), pb.get(0.0, 0.0))
    if z0 > 0:
        out.append((0.0, z0))
    for a, p in pa.items():
        for b, q in pb.items():
            if a != 0 and b != 0 and p + q > 1 + 1e-15:
                out.append((a * b, p + q - 1))
    return out


def _fmt_pair(A: SpectralLaw, B: SpectralLaw) -> str:
    return f"{A.name},{B.name}"


# ------------------------------------------------------------------------------------------
# numeric subordination systems
# ------------------------------------------------------------------------------------------
def _sum_subordination(A: SpectralLaw, B: SpectralLaw, *, do_register: bool = True) -> SubordinationLaw:
    fA, fB = law_function(A, "m_A"), law_function(B, "m_B")
    mA = fA(_wA)
    wB = Z - 1 / mA - _wA
    hA = -1 / mA - _wA
    zB = Z + hA
    fixed = Z - 1 / fB(zB) - zB
    muB = B.moment(1)
    muB = sp.nsimplify(muB) if isinstance(muB, sp.Basic) else sp.Float(muB)
    d = Derivation(
        _short_name(f"free-sum-subordination[{_fmt_pair(A, B)}]"),
        title="free additive convolution (numeric subordination)",
        unknowns=[_wA], parameters=[Z],
        equations=[sp.Eq(fB(wB), mA)],
        outputs={"m": mA, "density": sp.im(mA) / sp.pi, "omega_B": wB},
        branch=[sp.im(_wA) >= sp.im(Z), sp.im(mA) >= 0],
        guess={_wA: Z - muB}, fixed_point={_wA: fixed},
        requires=(A.name, B.name, FREE_ADDITIVE.name),
        reference=FREE_ADDITIVE.reference,
        assumptions="m(z) = m_A(omega_A) = m_B(omega_B), omega_B = z - 1/m - omega_A; "
                    "Im omega_A >= Im z")
    if do_register:
        register(d)
    lo_a, hi_a = A.hull()
    lo_b, hi_b = B.hull()
    return SubordinationLaw(d, hull=(lo_a + lo_b, hi_a + hi_b), atoms=_sum_atoms(A, B),
                            moment=_MomentSeries(A, B, _sum_moments))


def _product_subordination(A: SpectralLaw, B: SpectralLaw, *, do_register: bool = True) -> SubordinationLaw:
    """``B`` must be supported on ``[0, inf)``. The unknown is ``zeta_B``: ``h_B`` has no zero
    off ``[0, inf)``, which keeps Newton away from the degenerate solution ``zeta_A = inf``."""
    fA, fB = law_function(A, "m_A"), law_function(B, "m_B")
    hB = _zB * fB(_zB)                        # = h - 1 = z m
    zA = Z * fB(_zB) / (1 + hB)              # zeta_A = z (h - 1)/(h zeta_B)
    m_out = hB / Z
    hA = zA * fA(zA)
    fixed = Z * fA(zA) / (1 + hA)
    mu = [sp.nsimplify(v) if isinstance(v, sp.Basic) else sp.Float(v)
          for v in (A.moment(1), A.moment(2), B.moment(1))]
    zA0 = Z / mu[2]
    d = Derivation(
        _short_name(f"free-product-subordination[{_fmt_pair(A, B)}]"),
        title="free multiplicative convolution (numeric subordination)",
        unknowns=[_zB], parameters=[Z],
        equations=[sp.Eq(hA, hB)],
        outputs={"m": m_out, "density": sp.im(m_out) / sp.pi, "zeta_A": zA},
        branch=[sp.im(m_out) >= 0],
        guess={_zB: Z * (zA0 + mu[0]) / (mu[0] * zA0 + mu[1])}, fixed_point={_zB: fixed},
        requires=(A.name, B.name, FREE_MULTIPLICATIVE.name),
        reference=FREE_MULTIPLICATIVE.reference,
        assumptions="zeta_A m_A(zeta_A) = zeta_B m_B(zeta_B) = z m, "
                    "zeta_A = z m_B(zeta_B)/(1 + zeta_B m_B(zeta_B)); B >= 0")
    if do_register:
        register(d)
    la, ha = A.hull()
    lb, hb = B.hull()
    prods = [la * lb, la * hb, ha * lb, ha * hb]
    return SubordinationLaw(d, hull=(min(prods), max(prods)), atoms=_product_atoms(A, B),
                            moment=_MomentSeries(A, B, _product_moments))


# ------------------------------------------------------------------------------------------
# exact elimination
# ------------------------------------------------------------------------------------------
def _resultant(p, q, var, gens) -> sp.Expr:
    """Resultant in ``var`` after removing monomial contents and common factors (which would
    make it vanish identically and are never the physical branch)."""
    P = sp.Poly(p, var, *gens)
    Q = sp.Poly(q, var, *gens)
    P = P.terms_gcd()[1]
    Q = Q.terms_gcd()[1]
    g = P.gcd(Q)
    if g.degree(var) > 0:
        P = P.exquo(g)
        Q = Q.exquo(g)
    return sp.Poly(P.as_expr(), var).resultant(sp.Poly(Q.as_expr(), var))


def _eliminate_sum(A: AlgebraicLaw, B: AlgebraicLaw) -> sp.Expr:
    pa = A.poly.as_expr().subs(Z, _w)
    eB = B.poly.degree(Z)
    pb = sp.expand(B.poly.as_expr().subs(Z, Z - 1 / M - _w) * M**eB)
    return _resultant(pa, pb, _w, (M, Z))


def _eliminate_product(A: AlgebraicLaw, B: AlgebraicLaw) -> sp.Expr:
    h = sp.Symbol("h")
    dA, eA = A.poly.degree(M), A.poly.degree(Z)
    dB, eB = B.poly.degree(M), B.poly.degree(Z)
    qa = sp.expand(A.poly.as_expr().subs({M: (h - 1) / _zA, Z: _zA}) * _zA**dA)
    qb = sp.expand(B.poly.as_expr().subs({M: h * _zA / Z, Z: Z * (h - 1) / (h * _zA)},
                                         simultaneous=True) * Z**dB * (h * _zA)**eB)
    res = _resultant(qa, qb, _zA, (h, Z))
    return sp.expand(sp.sympify(res).subs(h, 1 + Z * M))


def _pick_factor(R, numeric: SubordinationLaw, what: str) -> sp.Expr:
    R = sp.sympify(R.as_expr() if isinstance(R, sp.Poly) else R)
    _, facs = sp.factor_list(R, M, Z)
    cands = [f for f, _ in facs if sp.Poly(f, M, Z).degree(M) >= 1]
    if not cands:
        raise RuntimeError(f"{what}: the resultant has no factor in m")
    lo, hi = numeric.hull()
    c, s = 0.5 * (lo + hi), 0.5 * (hi - lo) + 1.0
    zt = np.array([c + 0.37 * s + 0.61j * s, c - 0.23 * s + 0.29j * s])
    mt = numeric.stieltjes(zt)
    if not np.all(np.isfinite(mt)):
        raise RuntimeError(f"{what}: the numeric subordination path failed at the test points")
    scores = []
    for f in cands:
        p = sp.Poly(f, M, Z)
        val = np.zeros(2, complex)
        mag = np.zeros(2)
        for (i, j), a in p.terms():
            t = complex(sp.N(a, 20)) * mt**i * zt**j
            val += t
            mag += np.abs(t)
        scores.append(float(np.max(np.abs(val) / mag)))
    best = int(np.argmin(scores))
    if scores[best] > 1e-7:
        raise RuntimeError(f"{what}: no factor of the resultant vanishes at the subordination "
                           f"solution (best relative residual {scores[best]:.1e})")
    return cands[best]


def _check_moments(law: AlgebraicLaw, rule, A, B, what: str, K: int = 3) -> None:
    ref = rule(A.moments(K), B.moments(K))
    got = law.moments(K)
    for k in range(K + 1):
        if sp.simplify(sp.sympify(got[k]) - sp.sympify(ref[k])) != 0:
            raise RuntimeError(f"{what}: moment {k} of the eliminated polynomial is {got[k]}, "
                               f"free probability gives {ref[k]}")


# ------------------------------------------------------------------------------------------
# public constructors
# ------------------------------------------------------------------------------------------
_METHODS = ("auto", "algebraic", "subordination")


def _method(method: str, A, B, max_degree: int = 64) -> str:
    if method not in _METHODS:
        raise ParameterError("method", method, f"one of {_METHODS}")
    both = isinstance(A, AlgebraicLaw) and isinstance(B, AlgebraicLaw)
    if method == "algebraic" and not both:
        raise ParameterError("method", method, "'subordination' or 'auto' unless both laws are "
                             "algebraic")
    if method == "auto":
        if not both:
            return "subordination"
        (da, ea), (db, eb) = A.degree, B.degree
        return "algebraic" if (da + ea) * (db + eb) <= max_degree else "subordination"
    return method


_CONVOLUTIONS = {
    # kind: (elimination, moment rule, generic derivation, title, assumptions)
    "sum": (_eliminate_sum, _sum_moments, FREE_ADDITIVE, "free additive convolution",
            "resultant elimination of m = m_A(omega_A) = m_B(omega_B), omega_A + omega_B = z - 1/m; "
            "physical factor checked against the subordination solution"),
    "product": (_eliminate_product, _product_moments, FREE_MULTIPLICATIVE, "free multiplicative convolution",
                "resultant elimination of zeta_A m_A(zeta_A) = zeta_B m_B(zeta_B) = z m, "
                "zeta_A zeta_B (1 + z m) = z^2 m; physical factor checked against the subordination solution"),
}


def _algebraic_convolution(kind: str, A: AlgebraicLaw, B: AlgebraicLaw) -> AlgebraicLaw:
    """Exact free sum/product of two algebraic laws: eliminate the subordination equations by
    resultants, pick the physical factor against the numeric subordination solution, and check
    the first moments against the free-cumulant / S-transform rule."""
    eliminate, rule, derivation, title, assumptions = _CONVOLUTIONS[kind]
    subordinate = _sum_subordination if kind == "sum" else _product_subordination
    what = f"free {kind} of {A.name} and {B.name}"
    P = _pick_factor(eliminate(A, B), subordinate(A, B, do_register=False), what)
    law = AlgebraicLaw(P, name=_short_name(f"free-{kind}[{_fmt_pair(A, B)}]"), title=title,
                       requires=(A.name, B.name, derivation.name), reference=derivation.reference,
                       assumptions=assumptions, moment_fallback=_MomentSeries(A, B, rule))
    _check_moments(law, rule, A, B, what)
    return law


def free_sum(A: SpectralLaw, B: SpectralLaw, *, method: str = "auto") -> SpectralLaw:
    """The free additive convolution ``A ⊞ B`` (law of ``A + O B O^T``, ``O`` Haar).

    ``method``: ``"algebraic"`` (resultant elimination, exact polynomial; default when both
    laws are algebraic and small), ``"subordination"`` (compiled numeric system), ``"auto"``.

    >>> from rmtsym.spectra.classic import semicircle, marchenko_pastur
    >>> law = free_sum(semicircle("1/2"), marchenko_pastur("1/2"))
    >>> law.equation()
    Eq(m**3 + 2*m**2*z + 2*m**2 + 4*m*z - 2*m + 4, 0)
    >>> law.moments(3)                 # free cumulants (1, 1, 1/4) add up
    [1, 1, 2, 17/4]
    """
    A, B = _check_law(A, "A"), _check_law(B, "B")
    meth = _method(method, A, B)
    if meth == "subordination":
        return _sum_subordination(A, B)
    return _algebraic_convolution("sum", A, B)


def free_product(A: SpectralLaw, B: SpectralLaw, *, method: str = "auto") -> SpectralLaw:
    """The free multiplicative convolution ``A ⊠ B`` (law of ``B^{1/2} A B^{1/2}``); at least
    one of the laws must be supported on ``[0, inf)`` (if only ``A`` is, the roles swap, which
    leaves the law unchanged). Rule: ``S_{A⊠B} = S_A S_B`` through the subordination equations
    of the module docstring.

    >>> from rmtsym.spectra.classic import semicircle, marchenko_pastur
    >>> free_product(semicircle(1), marchenko_pastur(2)).moments(4)   # 2 pairings x mu_2(MP) = 3
    [1, 0, 1, 0, 6]
    >>> free_product(semicircle(1), semicircle(1))
    Traceback (most recent call last):
    ...
    rmtsym.errors.ParameterError: A, B = 'semicircle[v=1], semicircle[v=1]' is invalid: expected at least one law supported on [0, inf)
    """
    A, B = _check_law(A, "A"), _check_law(B, "B")
    if not _is_positive(B):
        if not _is_positive(A):
            raise ParameterError("A, B", f"{A.name}, {B.name}",
                                 "at least one law supported on [0, inf)")
        A, B = B, A
    meth = _method(method, A, B)
    if meth == "subordination":
        return _product_subordination(A, B)
    return _algebraic_convolution("product", A, B)


class AffineLaw(SpectralLaw):
    """The law of ``a X + b`` for a non-algebraic ``X``:
    ``m(z) = m_X((z - b)/a)/a`` (with ``m_X(conj w) = conj m_X(w)`` when ``a < 0``)."""

    def __init__(self, law: SpectralLaw, a: float, b: float, name: str):
        self.base, self.a, self.b = law, float(a), float(b)
        fX = law_function(law, "m_X")
        ea, eb = sp.nsimplify(a), sp.nsimplify(b)
        self.derivation = register(Derivation(
            name, title="affine image of a spectral law", unknowns=[M], parameters=[Z],
            equations=[sp.Eq(M, fX((Z - eb) / ea) / ea)], requires=(law.name,),
            outputs={"density": sp.im(M) / sp.pi},
            assumptions=f"law of a X + b with a = {a}, b = {b}"))

    def _boundary(self, x):
        mx = self.base._boundary((np.asarray(x, float) - self.b) / self.a)
        return (mx if self.a > 0 else np.conj(mx)) / self.a

    def _interior(self, z):
        w = (z - self.b) / self.a
        if self.a > 0:
            return self.base._interior(w) / self.a
        return np.conj(self.base._interior(np.conj(w))) / self.a

    def _map(self, t):
        return self.a * t + self.b

    def support(self):
        return sorted((min(self._map(lo), self._map(hi)), max(self._map(lo), self._map(hi)))
                      for lo, hi in self.base.support())

    def atoms(self):
        return sorted((self._map(t), w) for t, w in self.base.atoms())

    def hull(self):
        lo, hi = self.base.hull()
        return (min(self._map(lo), self._map(hi)), max(self._map(lo), self._map(hi)))

    def moment(self, k: int):
        k = _check_k(k)
        mom = self.base.moments(k)
        from math import comb
        return sum(comb(k, j) * self.a**j * self.b**(k - j) * float(mom[j]) for j in range(k + 1))


def affine(law: SpectralLaw, a, b=0) -> SpectralLaw:
    """The law of ``a X + b`` (``a != 0``) for ``X ~ law``.

    Algebraic laws stay algebraic and exact: ``P_new(m, z) = P(a m, (z - b)/a)`` (cleared of
    denominators); empirical laws map their eigenvalues; others are wrapped (:class:`AffineLaw`).

    >>> from rmtsym.spectra.classic import semicircle
    >>> affine(semicircle(1), 2, 1).equation()          # semicircle of variance 4 around 1
    Eq(4*m**2 + m*z - m + 1, 0)
    >>> affine(semicircle(1), 0)
    Traceback (most recent call last):
    ...
    rmtsym.errors.ParameterError: a = 0 is invalid: expected a real number != 0
    """
    law = _check_law(law, "law")
    ea = exact_number(a, "a")
    if ea == 0:
        raise ParameterError("a", a, "a real number != 0")
    eb = exact_number(b, "b")
    name = _short_name(f"affine[{law.name},a={_fmt(ea)},b={_fmt(eb)}]")
    if isinstance(law, AlgebraicLaw):
        e = law.poly.degree(Z)
        P = sp.expand(law.poly.as_expr().subs({M: ea * M, Z: (Z - eb) / ea}, simultaneous=True)
                      * ea**e)
        return AlgebraicLaw(P, name=name, title="affine image of a spectral law",
                            requires=(law.name,),
                            assumptions=f"law of a X + b with a = {ea}, b = {eb}; "
                                        "m(z) = m_X((z - b)/a)/a")
    if isinstance(law, EmpiricalLaw):
        return EmpiricalLaw(float(ea) * law.eigenvalues + float(eb), name=name)
    return AffineLaw(law, float(ea), float(eb), name)
