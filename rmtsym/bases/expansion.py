"""The result type shared by every orthogonal expansion (Hermite, Gegenbauer).

An :class:`Expansion` is a tuple of coefficients with the facts a user must know to trust
them: the basis and its normalisation, whether the values are exact (sympy) or numeric,
the precision and an error bound for numeric values, the function expanded and, for the
sphere, the dimension. Conventions: ../shared/DESIGN.md, "Conventions" (orthonormal bases).

>>> import sympy as sp
>>> e = Expansion("hermite", (sp.Integer(0), sp.Integer(1)), sp.Symbol("z"), exact=True)
>>> e[1], len(e), e.numpy()
(1, 2, array([0., 1.]))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import sympy as sp

__all__ = ["Expansion"]


@dataclass(frozen=True)
class Expansion:
    """Coefficients ``c_0 .. c_K`` of a function in an orthonormal basis.

    Attributes
    ----------
    basis : ``"hermite"`` (h_k = He_k/sqrt(k!), Z ~ N(0,1)) or ``"gegenbauer"``
        (q_k^{(d)} orthonormal for t = <x, e>, x uniform on S^{d-1}(sqrt d)).
    coefficients : sympy expressions; exact values, or ``sympy.Float`` at ``digits``
        significant digits, or plain float64 values (``digits is None`` and not exact).
    function : the sympy expression expanded (in the variable ``z``).
    exact : True when every coefficient is an exact closed form.
    digits : decimal digits of numeric coefficients (None for exact or float64).
    error : an upper estimate of the absolute error of each numeric coefficient
        (0 for exact values).
    dim : the dimension d for the Gegenbauer basis (None for Hermite).
    method : how the values were obtained ("exact", "mpmath-quad", "gauss-legendre", ...).
    """

    basis: str
    coefficients: tuple
    function: sp.Expr
    exact: bool
    digits: int | None = None
    error: float = 0.0
    dim: object = None
    method: str = "exact"
    notes: tuple[str, ...] = field(default=())

    def __getitem__(self, k):
        return self.coefficients[k]

    def __len__(self) -> int:
        return len(self.coefficients)

    def __iter__(self) -> Iterator:
        return iter(self.coefficients)

    @property
    def degree(self) -> int:
        """Highest degree K held."""
        return len(self.coefficients) - 1

    def numpy(self) -> np.ndarray:
        """Coefficients as a float64 array (complex if any coefficient is complex)."""
        vals = [complex(sp.N(c, 17)) if not isinstance(c, (float, int)) else c for c in self.coefficients]
        arr = np.array(vals, dtype=complex)
        return arr.real.copy() if np.all(arr.imag == 0) else arr

    def sympy(self) -> tuple:
        """Coefficients as sympy numbers/expressions."""
        return tuple(sp.sympify(c) for c in self.coefficients)

    def energy(self) -> object:
        """Partial Parseval sum ``sum_k c_k^2`` over the degrees held (<= E f^2)."""
        if self.exact:
            return sp.simplify(sum(sp.sympify(c) ** 2 for c in self.coefficients))
        return float(np.sum(np.abs(self.numpy()) ** 2))

    def latex(self, symbol: str = "c") -> str:
        """LaTeX of the coefficient table as an ``aligned`` block."""
        rows = [f"{symbol}_{{{k}}} &= {sp.latex(sp.sympify(c))}" for k, c in enumerate(self.coefficients)]
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"
