"""Theory-versus-simulation comparison of a spectral law with sampled eigenvalues.

:func:`compare` reports two distances between a law and one or several sampled spectra:

* the Kolmogorov distance ``sup_x |F_emp(x) - F_law(x)|``, with ``F_emp`` the empirical
  distribution of all eigenvalues pooled over replicates;
* the Stieltjes-transform discrepancy ``|m_emp(z) - m_law(z)|`` at a few points ``z``
  (docs/conventions.md, "Stieltjes transform": ``m(z) = int dmu(x)/(x - z)``), with the standard
  error of ``m_emp`` estimated from the spread of independent replicates.

A law needs ``.stieltjes(z)`` and either ``.cdf(x)`` or ``.density(x)``. Without ``.cdf`` the
distribution function is the density integrated numerically: from ``law.support()[0]`` when the
law has ``support()``, else from ``x_(1) - 5%`` of the eigenvalues' range, to each sorted
eigenvalue, by 8-node Gauss–Legendre on every gap between consecutive eigenvalues. Atoms and mass
below the starting point are then invisible (noted in ``Comparison.notes``).

>>> import numpy as np
>>> class Semicircle:                       # variance 1, closed forms
...     def stieltjes(self, z):
...         z = np.asarray(z, complex); s = np.sqrt(z - 2) * np.sqrt(z + 2)
...         return (-z + s) / 2
...     def cdf(self, x):
...         x = np.clip(np.asarray(x, float), -2, 2)
...         return 0.5 + (x * np.sqrt(4 - x**2) / 2 + 2 * np.arcsin(x / 2)) / (2 * np.pi)
>>> from rmtsym.simulate.ensembles import wigner_eigenvalues
>>> c = compare(Semicircle(), wigner_eigenvalues(400, seed=1))
>>> bool(c.ks < 0.02)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError

__all__ = ["Comparison", "compare", "histogram", "kolmogorov_distance"]


@dataclass(frozen=True, eq=False)
class Comparison:
    """Result of :func:`compare`.

    ``ks``: Kolmogorov distance, attained at ``ks_location``; ``n_eigenvalues`` pooled over
    ``replicates``; ``z``, ``m_empirical`` (mean over replicates), ``m_law``, ``discrepancy =
    |m_empirical - m_law|`` and ``se`` (standard error of ``m_empirical`` as a complex number:
    ``sqrt(se_re^2 + se_im^2)``; NaN for a single spectrum); ``cdf_method`` is ``"law.cdf"`` or
    ``"integrated density"``; ``notes`` explain NaNs and approximations.
    """

    ks: float
    ks_location: float
    n_eigenvalues: int
    replicates: int
    z: np.ndarray
    m_empirical: np.ndarray
    m_law: np.ndarray
    discrepancy: np.ndarray
    se: np.ndarray
    cdf_method: str
    notes: tuple[str, ...] = ()

    @property
    def z_scores(self) -> np.ndarray:
        """``discrepancy / se`` (NaN without replicates)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.discrepancy / self.se

    def within(self, k: float = 4.0) -> bool:
        """True if every Stieltjes discrepancy is at most ``k`` standard errors (False if no SE)."""
        s = self.z_scores
        return bool(np.all(np.isfinite(s)) and np.all(s <= k))

    def summary(self) -> str:
        """One line: KS distance, and the worst Stieltjes discrepancy with its SE."""
        i = int(np.nanargmax(self.discrepancy)) if np.any(np.isfinite(self.discrepancy)) else 0
        zi = complex(self.z.ravel()[i]) if self.z.size else complex("nan")
        di = float(self.discrepancy.ravel()[i]) if self.z.size else float("nan")
        se = float(self.se.ravel()[i]) if self.z.size else float("nan")
        se_txt = f" (SE {se:.2g}, {di / se:.1f} SE)" if np.isfinite(se) and se > 0 else " (no SE: single spectrum)"
        return (f"KS = {self.ks:.4f} at x = {self.ks_location:.4g} [{self.cdf_method}, "
                f"{self.n_eigenvalues} eigenvalues, {self.replicates} replicate(s)]; "
                f"max |m_emp - m_law| = {di:.3g} at z = {zi.real:.4g}{zi.imag:+.3g}i{se_txt}")


def _spectra(eigenvalues, replicates) -> np.ndarray:
    ev = np.asarray(eigenvalues, dtype=float)
    if ev.ndim not in (1, 2) or ev.size == 0:
        raise ParameterError("eigenvalues", f"array of shape {ev.shape}",
                             "a non-empty 1-d spectrum or a 2-d array (one replicate per row)")
    if not np.all(np.isfinite(ev)):
        raise ParameterError("eigenvalues", "non-finite values", "finite numbers")
    if replicates is not None:
        if isinstance(replicates, bool) or not isinstance(replicates, (int, np.integer)) or replicates < 1:
            raise ParameterError("replicates", replicates, "None or an integer >= 1")
        flat = ev.ravel()
        if flat.size % int(replicates):
            raise ParameterError("replicates", replicates,
                                 f"a divisor of the number of eigenvalues ({flat.size})")
        return flat.reshape(int(replicates), -1)
    return np.atleast_2d(ev)


def kolmogorov_distance(F_at_sorted: np.ndarray, sorted_values: np.ndarray,
                        F_left: np.ndarray | None = None) -> tuple[float, float]:
    """``(sup |F_emp - F|, location)`` from ``F`` at the sorted sample (jumps of ``F_emp`` checked
    on both sides; ties handled by using the last index of each tied value). ``F_left`` is the
    law's left limit ``F(x-)`` at the sample (default ``F``: a law without atoms there)."""
    x = np.asarray(sorted_values, float)
    F = np.asarray(F_at_sorted, float)
    FL = F if F_left is None else np.asarray(F_left, float)
    N = x.size
    hi_idx = np.searchsorted(x, x, side="right")  # F_emp(x) after the jump
    lo_idx = np.searchsorted(x, x, side="left")   # F_emp(x-) before the jump
    up = hi_idx / N - F
    down = FL - lo_idx / N
    d = np.maximum(up, down)
    i = int(np.argmax(d))
    return float(d[i]), float(x[i])


def _cdf_from_density(law, x: np.ndarray, notes: list) -> np.ndarray:
    """``int_{start}^{x_i} density`` at the sorted points ``x``."""
    rng = x[-1] - x[0]
    start = x[0] - 0.05 * rng - 1e-12
    if hasattr(law, "support"):
        try:
            lo = float(law.support()[0])
            if np.isfinite(lo):
                start = min(start, lo)
        except Exception:  # a support() that needs arguments: fall back, noted
            notes.append("law.support() unusable; integration starts 5% below the smallest eigenvalue")
    u, w = np.polynomial.legendre.leggauss(8)
    edges = np.concatenate([[start], x])
    a, b = edges[:-1], edges[1:]
    nodes = (a + b)[:, None] / 2 + (b - a)[:, None] / 2 * u[None, :]
    rho = np.asarray(law.density(nodes.ravel()), dtype=float).reshape(nodes.shape)
    if not np.all(np.isfinite(rho)):
        notes.append(f"density NaN at {int(np.sum(~np.isfinite(rho)))} quadrature nodes (treated as 0)")
        rho = np.where(np.isfinite(rho), rho, 0.0)
    pieces = ((b - a) / 2) * (rho @ w)
    F = np.cumsum(pieces)
    notes.append(f"F_law = density integrated from {start:.4g} (atoms and mass below are not seen); "
                 f"integrated mass up to the largest eigenvalue {F[-1]:.4f}")
    return F


def compare(law, eigenvalues, *, z=None, replicates=None) -> Comparison:
    """Compare a spectral ``law`` with sampled ``eigenvalues``.

    ``eigenvalues``: one spectrum (1-d) or replicates (2-d, one per row); with ``replicates=R``
    a 1-d array is split into ``R`` equal consecutive spectra. ``z``: points of the upper half
    plane; by default ``x_q + 0.1 i`` at the quantiles ``q = 0.1, 0.3, 0.5, 0.7, 0.9`` of the pooled
    eigenvalues. See the module docstring for the definitions.
    """
    ev = _spectra(eigenvalues, replicates)
    R, n = ev.shape
    notes: list[str] = []
    # A law's atoms are exact points; a computed eigenvalue at an atom carries round-off of
    # relative size ~ n * eps. Snap those within 1e-8 x (spectral scale) onto the atom.
    atoms = law.atoms() if hasattr(law, "atoms") else []
    if atoms:
        scale = max(1.0, float(np.max(np.abs(ev))))
        ev = ev.copy()
        for a, _w in atoms:
            near = np.abs(ev - a) <= 1e-8 * scale
            ev[near] = a
        notes.append("eigenvalues within 1e-8 x scale of an atom were set to the atom")
    pooled = np.sort(ev.ravel())
    # Kolmogorov distance
    if hasattr(law, "cdf"):
        F = np.asarray(law.cdf(pooled), dtype=float)
        method = "law.cdf"
    elif hasattr(law, "density"):
        F = _cdf_from_density(law, pooled, notes)
        method = "integrated density"
    else:
        raise ParameterError("law", type(law).__name__, "an object with .cdf(x) or .density(x) and .stieltjes(z)")
    F_left = F.copy()
    for a, w in atoms:  # left limit at an atom: without its mass
        F_left[pooled == a] -= w
    if not np.all(np.isfinite(F)):
        notes.append("F_law is NaN at some eigenvalues; KS computed on the finite ones")
        keep = np.isfinite(F)
        ks, loc = kolmogorov_distance(F[keep], pooled[keep], F_left[keep]) if keep.any() \
            else (float("nan"), float("nan"))
    else:
        ks, loc = kolmogorov_distance(F, pooled, F_left)
    # Stieltjes transform
    if z is None:
        zz = np.quantile(pooled, [0.1, 0.3, 0.5, 0.7, 0.9]) + 0.1j
    else:
        zz = np.atleast_1d(np.asarray(z, dtype=complex))
        if not np.all(zz.imag > 0):
            raise ParameterError("z", z, "complex numbers with Im z > 0")
    per = np.mean(1.0 / (ev[:, :, None] - zz.ravel()[None, None, :]), axis=1)  # (R, nz)
    m_emp = per.mean(axis=0).reshape(zz.shape)
    m_law = np.asarray(law.stieltjes(zz), dtype=complex).reshape(zz.shape)
    if np.any(~np.isfinite(m_law)):
        notes.append("law.stieltjes returned NaN at some z (not converged)")
    if R >= 2:
        se = np.sqrt(per.real.var(axis=0, ddof=1) + per.imag.var(axis=0, ddof=1)) / np.sqrt(R)
        se = se.reshape(zz.shape)
    else:
        se = np.full(zz.shape, np.nan)
        notes.append("single spectrum: no standard error (eigenvalues of one matrix are not independent); "
                     "pass replicates as a 2-d array")
    return Comparison(ks=ks, ks_location=loc, n_eigenvalues=int(pooled.size), replicates=int(R), z=zz,
                      m_empirical=m_emp, m_law=m_law, discrepancy=np.abs(m_emp - m_law), se=se,
                      cdf_method=method, notes=tuple(notes))


def histogram(eigenvalues, bins=50, *, range=None) -> tuple[np.ndarray, np.ndarray]:
    """``(centers, density)`` of the pooled eigenvalues (``numpy.histogram(density=True)``).

    >>> c, h = histogram([0.0, 1.0, 1.0, 2.0], bins=2)
    >>> c.tolist(), h.tolist()
    ([0.5, 1.5], [0.25, 0.75])
    """
    ev = np.asarray(eigenvalues, dtype=float).ravel()
    if ev.size == 0 or not np.all(np.isfinite(ev)):
        raise ParameterError("eigenvalues", "empty or non-finite", "finite numbers")
    h, edges = np.histogram(ev, bins=bins, range=range, density=True)
    return (edges[:-1] + edges[1:]) / 2, h
