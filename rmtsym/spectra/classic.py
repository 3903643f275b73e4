"""Classic spectral laws as derivations: Marchenko–Pastur and the semicircle.

Conventions (``docs/conventions.md``): Stieltjes transform ``m(z) = int dmu(x)/(x - z)``,
``Im m > 0`` when ``Im z > 0``, density ``Im m(x + i0)/pi``. Marchenko–Pastur: X in R^{p x N}
with iid unit-variance entries, ``S = X X^T/N``, ratio ``gamma = p/N``. Semicircle of variance
``v``: support ``[-2 sqrt v, 2 sqrt v]``.

>>> sol = MARCHENKO_PASTUR.compile().solve({"z": 1 + 0.5j, "gamma": 0.5})
>>> bool(sol.report.all_ok)
True
"""

from __future__ import annotations

import sympy as sp

from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import ParameterError

__all__ = ["MARCHENKO_PASTUR", "SEMICIRCLE", "marchenko_pastur", "semicircle"]

m = sp.Symbol("m")
z = sp.Symbol("z")
gamma = sp.Symbol("gamma", positive=True)
v = sp.Symbol("v", positive=True)

MARCHENKO_PASTUR = register(Derivation(
    "marchenko-pastur",
    title="Marchenko–Pastur law (Stieltjes transform)",
    unknowns=[m], parameters=[z, gamma],
    equations=[sp.Eq(gamma * z * m**2 - (1 - gamma - z) * m + 1, 0)],
    outputs={"density": sp.im(m) / sp.pi},
    branch=[sp.im(m) >= 0],
    guess={m: -1 / z},
    fixed_point={m: 1 / (1 - gamma - z - gamma * z * m)},
    reference="V. A. Marchenko and L. A. Pastur, Distribution of eigenvalues for some sets of random matrices, "
              "Mat. Sb. 72 (1967)",
    assumptions="X in R^{p x N} iid unit variance, S = X X^T / N, gamma = p/N; m(z) = int dmu(x)/(x - z), "
                "Im m > 0 for Im z > 0; atom 1 - 1/gamma at 0 when gamma > 1",
    symbols={gamma: r"\gamma"},
))

SEMICIRCLE = register(Derivation(
    "semicircle",
    title="Wigner semicircle law of variance v (Stieltjes transform)",
    unknowns=[m], parameters=[z, v],
    equations=[sp.Eq(v * m**2 + z * m + 1, 0)],
    outputs={"density": sp.im(m) / sp.pi},
    branch=[sp.im(m) >= 0],
    guess={m: -1 / z},
    fixed_point={m: -1 / (z + v * m)},
    reference="E. P. Wigner, Characteristic vectors of bordered matrices with infinite dimensions, "
              "Ann. Math. 62 (1955)",
    assumptions="semicircle of variance v, support [-2 sqrt v, 2 sqrt v]; m(z) = int dmu(x)/(x - z)",
))


# ------------------------------------------------------------------------------------------
# the laws themselves (rmtsym.spectra.law.AlgebraicLaw), with exact parameters
# ------------------------------------------------------------------------------------------
def marchenko_pastur(ratio, variance=1):
    """Marchenko–Pastur law of ratio ``gamma = p/N`` and entry variance ``sigma^2``: the
    spectrum of ``S = X X^T / N``, ``X in R^{p x N}`` iid with variance ``sigma^2``
    (convention "Marchenko–Pastur"; ``sigma^2 = 1`` there).

    ``gamma sigma^2 z m^2 - (sigma^2 - gamma sigma^2 - z) m + 1 = 0``; support
    ``sigma^2 (1 -+ sqrt(gamma))^2``; atom ``1 - 1/gamma`` at 0 when ``gamma > 1``.
    Parameters are read exactly (floats through their shortest decimal, ``0.1 = 1/10``).

    >>> law = marchenko_pastur("1/2")
    >>> law.support_exact()
    [(3/2 - sqrt(2), sqrt(2) + 3/2)]
    >>> law.moments(3)                 # Narayana polynomials in gamma
    [1, 1, 3/2, 11/4]
    >>> marchenko_pastur(0)
    Traceback (most recent call last):
    ...
    rmtsym.errors.ParameterError: ratio = 0 is invalid: expected a number > 0
    """
    from .law import M, Z, AlgebraicLaw, _fmt, exact_number

    g = exact_number(ratio, "ratio")
    if not g > 0:
        raise ParameterError("ratio", ratio, "a number > 0")
    s2 = exact_number(variance, "variance")
    if s2 < 0:
        raise ParameterError("variance", variance, "a number >= 0")
    P = g * s2 * Z * M**2 - (s2 - g * s2 - Z) * M + 1
    name = f"marchenko-pastur[gamma={_fmt(g)}" + ("" if s2 == 1 else f",sigma2={_fmt(s2)}") + "]"
    return AlgebraicLaw(P, name=name, title="Marchenko–Pastur law",
                        requires=("marchenko-pastur",),
                        reference=MARCHENKO_PASTUR.reference,
                        assumptions=f"gamma = p/N = {g}, entry variance sigma^2 = {s2}; "
                                    "S = X X^T / N; m(z) = int dmu(x)/(x - z)")


def semicircle(variance=1):
    """Semicircle law of variance ``v`` (convention "Semicircle"): ``v m^2 + z m + 1 = 0``,
    support ``[-2 sqrt v, 2 sqrt v]``, moments ``Catalan(k) v^k``; ``v = 0`` is ``delta_0``.

    >>> law = semicircle(2)
    >>> law.support_exact()
    [(-2*sqrt(2), 2*sqrt(2))]
    >>> law.moment(6)                  # Catalan(3) * 2^3
    40
    >>> semicircle(-1)
    Traceback (most recent call last):
    ...
    rmtsym.errors.ParameterError: variance = -1 is invalid: expected a number >= 0
    """
    from .law import M, Z, AlgebraicLaw, _fmt, exact_number

    v = exact_number(variance, "variance")
    if v < 0:
        raise ParameterError("variance", variance, "a number >= 0")
    return AlgebraicLaw(v * M**2 + Z * M + 1, name=f"semicircle[v={_fmt(v)}]",
                        title="semicircle law", requires=("semicircle",),
                        reference=SEMICIRCLE.reference,
                        assumptions=f"semicircle of variance v = {v}; support [-2 sqrt v, 2 sqrt v]")
