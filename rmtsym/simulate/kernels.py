"""Monte Carlo samplers of inner-product kernel matrices and conjugate kernels.

Ground truth for :mod:`rmtsym.spectra.kernels`, written independently of it (nothing here
uses an expansion or a spectral equation). Conventions (``docs/conventions.md``):

* Kernel matrix: ``K_ij = f(<x_i, x_j>/sqrt d)/sqrt n`` for ``i != j``, ``K_ii = 0``, with ``x_i``
  uniform on S^{d-1}(sqrt d) (``data="sphere"``) or ``x_i ~ N(0, I_d)`` (``data="gaussian"``).
* Conjugate kernel: ``W`` in R^{n1 x n0} and ``X`` in R^{n0 x m}`` iid N(0,1),
  ``Y = f(W X/sqrt n0)`` (entrywise), ``M = Y Y^T/m`` (size ``n1 x n1``).

``f`` is a sympy expression in the variable ``z`` (any symbol named ``z``) or a vectorised
numpy callable. Eigenvalues are returned in ascending order (``numpy.linalg.eigvalsh``).

>>> import sympy as sp
>>> ev = kernel_matrix_eigenvalues(sp.Symbol("z"), 50, 10, seed=1)
>>> ev.shape, bool(abs(ev.sum()) < 1e-10)
((50,), True)
>>> conjugate_kernel_eigenvalues(lambda u: np.tanh(u), 20, 30, 40, seed=0).shape
(30,)
"""

from __future__ import annotations

import math
import numbers
from typing import Callable

import numpy as np
import sympy as sp

from ..errors import check_int, ParameterError
from .gaussian import rng_from
from .sphere import sample_sphere

__all__ = ["kernel_matrix", "kernel_matrix_eigenvalues", "conjugate_kernel_matrix",
           "conjugate_kernel_eigenvalues"]

_MAX_N = 20_000


def _size(name: str, value, lo: int = 1, hi: int | None = None) -> int:
    return check_int(value, name, lo, hi)


def _callable(f) -> Callable[[np.ndarray], np.ndarray]:
    """A vectorised float callable from a sympy expression in ``z`` or a callable."""
    if isinstance(f, str):
        raise ParameterError("f", f, "a sympy expression in z or a numpy callable",
                             "parse strings with rmtsym.bases.parse.parse_expression first")
    if callable(f) and not isinstance(f, sp.Basic):
        return f
    if isinstance(f, (numbers.Number, np.number)):
        f = sp.sympify(f)
    if not isinstance(f, sp.Basic):
        raise ParameterError("f", f, "a sympy expression in z or a numpy callable")
    from ..bases.functions import Z, to_numpy

    expr = f.subs({s: Z for s in f.free_symbols if getattr(s, "name", None) == "z" and s != Z})
    others = sorted(str(s) for s in expr.free_symbols if s != Z)
    if others:
        raise ParameterError("f", str(f), "a function of z alone for a simulation",
                             f"substitute numeric values for {', '.join(others)}")
    return to_numpy(expr, Z)


def _apply(fn, u: np.ndarray) -> np.ndarray:
    out = np.asarray(fn(u), dtype=float)
    if out.shape != u.shape:
        out = np.broadcast_to(out, u.shape).copy()
    if not np.all(np.isfinite(out)):
        raise ParameterError("f", fn, "a function finite at the sampled arguments")
    return out


def kernel_matrix(f, n: int, d: int, *, data: str = "sphere", seed=0) -> np.ndarray:
    """The ``n x n`` inner-product kernel matrix ``K`` (Kernel matrix convention).

    ``K_ij = f(<x_i, x_j>/sqrt d)/sqrt n`` (``i != j``), ``K_ii = 0``; ``x_i`` uniform on
    S^{d-1}(sqrt d) (``data="sphere"``, :func:`rmtsym.simulate.sphere.sample_sphere`) or
    ``N(0, I_d)`` (``data="gaussian"``). ``seed``: an int, a numpy Generator or None.

    >>> K = kernel_matrix(lambda t: t, 4, 3, seed=0)
    >>> bool(np.allclose(K, K.T)), float(np.abs(np.diag(K)).max())
    (True, 0.0)
    """
    if data not in ("sphere", "gaussian"):
        raise ParameterError("data", data, "'sphere' or 'gaussian'")
    n = _size("n", n, 2, _MAX_N)
    d = _size("d", d, 1 if data == "gaussian" else 3)
    fn = _callable(f)
    rng = rng_from(seed)
    X = sample_sphere(n, d, rng) if data == "sphere" else rng.standard_normal((n, d))
    G = X @ X.T
    G /= math.sqrt(d)
    K = _apply(fn, G)
    K /= math.sqrt(n)
    np.fill_diagonal(K, 0.0)
    # f(G) is symmetric up to rounding of G: symmetrise exactly
    K = 0.5 * (K + K.T)
    return K


def kernel_matrix_eigenvalues(f, n: int, d: int, *, data: str = "sphere", seed=0) -> np.ndarray:
    """Eigenvalues (ascending) of the kernel matrix of :func:`kernel_matrix`.

    ``n`` up to 20000 (memory ``8 n^2`` bytes a few times; ``n = 4000`` takes seconds).
    """
    return np.linalg.eigvalsh(kernel_matrix(f, n, d, data=data, seed=seed))


def conjugate_kernel_matrix(f, n0: int, n1: int, m: int, *, seed=0) -> np.ndarray:
    """The conjugate kernel ``M = Y Y^T/m``, ``Y = f(W X/sqrt n0)``, size ``n1 x n1``.

    ``W`` (``n1 x n0``) and ``X`` (``n0 x m``) have iid N(0,1) entries (Pennington–Worah).
    Ratios of the limit law: ``phi = n0/m``, ``psi = n0/n1``.
    """
    n0 = _size("n0", n0, 1)
    n1 = _size("n1", n1, 1, _MAX_N)
    m = _size("m", m, 1)
    if n0 * m > 200_000_000 or n1 * m > 200_000_000:
        raise ParameterError("m", m, "a size with n0*m and n1*m <= 2e8 (memory)")
    fn = _callable(f)
    rng = rng_from(seed)
    W = rng.standard_normal((n1, n0))
    X = rng.standard_normal((n0, m))
    Y = _apply(fn, (W @ X) / math.sqrt(n0))
    return (Y @ Y.T) / m


def conjugate_kernel_eigenvalues(f, n0: int, n1: int, m: int, *, seed=0) -> np.ndarray:
    """Eigenvalues (ascending) of the conjugate kernel of :func:`conjugate_kernel_matrix`."""
    return np.linalg.eigvalsh(conjugate_kernel_matrix(f, n0, n1, m, seed=seed))
