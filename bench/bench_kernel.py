"""Kernel-matrix law: time to the density on 2000 points vs simulating one matrix at n = 4000.

Prints both times and their ratio, measured in the same run (no pass/fail). The law is the
finite-size one (exact Gegenbauer coefficients at d, n = B(d, 2)-scale); the simulation builds
K_ij = f(<x_i, x_j>/sqrt d)/sqrt n on the sphere and diagonalises it.

    python bench/bench_kernel.py
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from rmtsym.bases.catalog import activation
from rmtsym.simulate.kernels import kernel_matrix_eigenvalues
from rmtsym.spectra.kernels import kernel_matrix


def main() -> None:
    f = activation("relu").expr
    d, n = 63, 4000
    t0 = time.perf_counter()
    law = kernel_matrix(f, d=d, n=n)
    t_build = time.perf_counter() - t0
    lo, hi = law.hull()
    x = np.linspace(lo, hi, 2000)
    t0 = time.perf_counter()
    dens = law.density(x)
    t_dens = time.perf_counter() - t0
    t0 = time.perf_counter()
    ev = kernel_matrix_eigenvalues(f, n, d, seed=0)
    t_sim = time.perf_counter() - t0
    print(f"machine: {os.cpu_count()} cores; relu kernel, d = {d}, n = {n}")
    print(f"{'task':<46} {'seconds':>10}")
    print(f"{'build the law (sympy, once)':<46} {t_build:>10.3f}")
    print(f"{'density on 2000 points':<46} {t_dens:>10.4f}")
    print(f"{'simulate + diagonalise one matrix (n = 4000)':<46} {t_sim:>10.3f}")
    print(f"ratio simulation / density: {t_sim / t_dens:,.0f}x;  simulation / (build + density): "
          f"{t_sim / (t_build + t_dens):,.1f}x")
    inside = (ev > lo) & (ev < hi)
    print(f"(sanity: {inside.mean():.3f} of the simulated eigenvalues lie in the law's hull; "
          f"density finite on {np.isfinite(dens).mean():.3f} of the grid)")


if __name__ == "__main__":
    main()
