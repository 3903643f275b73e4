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

__all__ = ["MARCHENKO_PASTUR", "SEMICIRCLE"]

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
