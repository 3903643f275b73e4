"""Theory-vs-simulation comparison (rmtsym.simulate.compare) against laws known in closed form.

The test laws are defined here (semicircle and Marchenko–Pastur closed forms), independent of the
package's law classes. Tolerance rules are stated at each assertion.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rmtsym.errors import ParameterError
from rmtsym.simulate.compare import Comparison, compare, histogram, kolmogorov_distance
from rmtsym.simulate.ensembles import wigner_eigenvalues


class Semicircle:
    """Semicircle of variance v (docs/conventions.md): v m^2 + z m + 1 = 0, support [-2 sqrt v, 2 sqrt v]."""

    def __init__(self, v=1.0):
        self.v = v
        self.R = 2 * math.sqrt(v)

    def stieltjes(self, z):
        z = np.asarray(z, complex)
        s = np.sqrt(z - self.R) * np.sqrt(z + self.R)  # cut on [-R, R], s ~ z at infinity
        return (-z + s) / (2 * self.v)

    def cdf(self, x):
        t = np.clip(np.asarray(x, float) / self.R, -1, 1)
        return 0.5 + (t * np.sqrt(1 - t * t) + np.arcsin(t)) / np.pi

    def density(self, x):
        x = np.asarray(x, float)
        return np.sqrt(np.maximum(self.R**2 - x * x, 0)) / (2 * np.pi * self.v)


class SemicircleDensityOnly:
    """Same law without .cdf: compare() must integrate the density."""

    def __init__(self, v=1.0):
        self._s = Semicircle(v)
        self.stieltjes = self._s.stieltjes
        self.density = self._s.density


def _semicircle_iid(n, rng, v=1.0):
    """iid semicircle samples: the abscissa of a uniform point in the disk of radius 2 sqrt v."""
    r = 2 * math.sqrt(v) * np.sqrt(rng.random(n))
    return r * np.cos(2 * np.pi * rng.random(n))


def test_closed_forms_of_the_test_law():
    # the test law itself: cdf is the integral of the density, m ~ -1/z, Im m > 0
    law = Semicircle(1.3)
    x = np.linspace(-3, 3, 200001)
    F = np.concatenate([[0], np.cumsum((law.density(x[1:]) + law.density(x[:-1])) / 2 * np.diff(x))])
    assert np.max(np.abs(F - law.cdf(x))) < 1e-6
    z = np.array([0.3 + 0.1j, -2 + 1e-3j, 50 + 50j])
    m = law.stieltjes(z)
    assert np.all(m.imag > 0) and abs(m[-1] * z[-1] + 1) < 1e-3
    assert np.allclose(law.v * m**2 + z * m + 1, 0, atol=1e-12)


def test_kolmogorov_distance_exact_small_cases():
    # one point at 0.5 against U(0,1): sup |F_emp - x| = 1/2 (just below and at the jump)
    assert kolmogorov_distance(np.array([0.5]), np.array([0.5]))[0] == pytest.approx(0.5)
    # three points at the quartiles' midpoints of U(0,1) -> 1/6
    xs = np.array([1 / 6, 1 / 2, 5 / 6])
    assert kolmogorov_distance(xs, xs)[0] == pytest.approx(1 / 6)
    # ties: two equal points at 0.3 against U(0,1): F_emp jumps 0 -> 1 at 0.3, distance 0.7
    xs = np.array([0.3, 0.3])
    assert kolmogorov_distance(xs, xs)[0] == pytest.approx(0.7)


def test_goe_eigenvalues_small_ks_and_large_against_wrong_law():
    # GOE of size 2000 (semicircle of variance 1). Rigidity of eigenvalues gives a Kolmogorov
    # distance O(log n / n); bound 5 log(n)/n = 0.019 (typical value 0.002).
    n = 2000
    ev = wigner_eigenvalues(n, seed=1)
    c = compare(Semicircle(1.0), ev)
    assert isinstance(c, Comparison) and c.cdf_method == "law.cdf" and c.n_eigenvalues == n
    assert c.ks < 5 * math.log(n) / n, c.summary()
    # the same without .cdf (density integrated numerically) agrees to 1e-4 (8-node Gauss–Legendre
    # per gap between eigenvalues, square-root edges)
    c2 = compare(SemicircleDensityOnly(1.0), ev)
    assert c2.cdf_method == "integrated density" and abs(c2.ks - c.ks) < 1e-4
    assert any("integrated" in note for note in c2.notes)
    # wrong law (variance 1.5): the true distance between the laws minus the 5 log(n)/n slack
    xs = np.linspace(-3, 3, 100001)
    true_gap = float(np.max(np.abs(Semicircle(1.0).cdf(xs) - Semicircle(1.5).cdf(xs))))
    bad = compare(Semicircle(1.5), ev)
    assert bad.ks > true_gap - 5 * math.log(n) / n and bad.ks > 0.04, bad.summary()
    # one spectrum: no standard error, said so
    assert np.all(np.isnan(c.se)) and not c.within(4)
    assert "single spectrum" in c.summary() or "no SE" in c.summary()


def test_iid_samples_ks_within_dkw_bound():
    # iid samples: P(KS > eps) <= 2 exp(-2 n eps^2) (Dvoretzky–Kiefer–Wolfowitz, Massart);
    # eps for probability 1e-6 (fixed seed, so the test is deterministic anyway).
    n = 4000
    rng = np.random.default_rng(2)
    x = _semicircle_iid(n, rng)
    eps = math.sqrt(math.log(2 / 1e-6) / (2 * n))
    assert compare(Semicircle(1.0), x).ks < eps
    # against a wrong law the distance is at least the laws' distance minus eps
    xs = np.linspace(-3, 3, 100001)
    gap = float(np.max(np.abs(Semicircle(1.0).cdf(xs) - Semicircle(2.0).cdf(xs))))
    assert compare(Semicircle(2.0), x).ks > gap - eps > 0.05


def test_stieltjes_discrepancy_within_4_se_with_replicates():
    # 16 GOE replicates of size 400: |m_emp - m| within 4 SE (SE from the spread of replicates);
    # the finite-size bias of E m_emp at Im z = 0.1 is O(1/(n Im z)^2) ~ 6e-4, below one SE (~3e-3).
    R, n = 16, 400
    ev = np.vstack([wigner_eigenvalues(n, seed=100 + s) for s in range(R)])
    c = compare(Semicircle(1.0), ev)
    assert c.replicates == R and c.z.shape == (5,)
    assert np.allclose(c.z.imag, 0.1)
    assert np.all(np.isfinite(c.se)) and np.all(c.se > 0)
    assert c.within(4), c.summary()
    # explicit z, and the flat array split into replicates gives the same numbers
    z = np.array([-1.5 + 0.2j, 0.0 + 0.05j, 1.0 + 0.5j])
    c1 = compare(Semicircle(1.0), ev, z=z)
    c2 = compare(Semicircle(1.0), ev.ravel(), z=z, replicates=R)
    assert np.allclose(c1.m_empirical, c2.m_empirical) and np.allclose(c1.se, c2.se)
    assert c1.within(4), c1.summary()
    # a wrong law is many SE away
    bad = compare(Semicircle(1.2), ev, z=z)
    assert np.max(bad.z_scores) > 10
    assert "SE" in c1.summary() and "KS" in c1.summary()


def test_compare_bad_input():
    law = Semicircle()
    with pytest.raises(ParameterError, match="z"):
        compare(law, [0.0, 1.0], z=[0.5 - 0.1j])
    with pytest.raises(ParameterError, match="eigenvalues"):
        compare(law, [0.0, np.nan])
    with pytest.raises(ParameterError, match="eigenvalues"):
        compare(law, np.zeros((2, 2, 2)))
    with pytest.raises(ParameterError, match="replicates"):
        compare(law, np.zeros(5), replicates=2)

    class NoCdf:
        def stieltjes(self, z):
            return -1 / np.asarray(z)

    with pytest.raises(ParameterError, match="law"):
        compare(NoCdf(), [0.0, 1.0])


def test_histogram_normalised():
    rng = np.random.default_rng(0)
    x = _semicircle_iid(20000, rng)
    centers, dens = histogram(x, 40)
    width = centers[1] - centers[0]
    assert abs(dens.sum() * width - 1) < 1e-12
    # matches the semicircle density within 5 binomial standard errors per bin (+ curvature)
    expected = Semicircle().density(centers)
    se = np.sqrt(np.maximum(expected * width, 1e-12) / 20000) / width
    assert np.all(np.abs(dens - expected) <= 5 * se + 0.02)
