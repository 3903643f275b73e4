"""Benchmark: a 1000-point kernel ridge learning curve (theory) against one Monte Carlo point.

d = 200, kernel h = exp (cosine), target energies (0, 1, 1, .6), noise .1, ridge 1e-3. The Monte
Carlo point is at n = 3000 (the largest default simulated size; n ~ d^2 = 40000 is out of reach
for a dense solve on this machine), 5 replicates with 1000 test points each, as the CLI runs it.
Prints the times, the ratio, and the accuracy reached (theory vs simulation, in SE).

    OPENBLAS_NUM_THREADS=1 python bench/bench_krr.py [--d 200] [--n-sim 3000] [--reps 5]
"""

from __future__ import annotations

from _timing import best_of  # noqa: E402  (also puts the checkout on sys.path)
import argparse
import time

import numpy as np

from rmtsym.models.kernel_ridge import kernel_spectrum, krr_curve
from rmtsym.simulate.kernel_ridge import simulate_krr




def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=200)
    ap.add_argument("--n-sim", type=int, default=3000)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    target, noise, ridge = [0, 1, 1, 0.6], 0.1, 1e-3

    t_spec, spec = best_of(lambda: kernel_spectrum("exp", a.d, 4), repeat=1)
    n = np.geomspace(1, float(a.d) ** 3, 1000)
    t_fin, _ = best_of(lambda: krr_curve(spec, None, target, n, ridge, noise))
    t_asy, _ = best_of(lambda: krr_curve(spec, None, target, n, ridge, noise, method="asymptotic"))
    grid = best_of(lambda: krr_curve(spec, None, target, n[:, None], np.geomspace(1e-4, 1, 100)[None, :], noise),
                   repeat=1)[0]

    sim = simulate_krr("exp", a.d, target, a.n_sim, ridge, noise, reps=a.reps, n_test=1000, seed=0)
    R = float(krr_curve(spec, None, target, a.n_sim, ridge, noise).risk)
    Ra = float(krr_curve(spec, None, target, a.n_sim, ridge, noise, method="asymptotic").risk)

    print(f"d = {a.d}, kernel exp, target energies {target}, noise {noise}, ridge {ridge}")
    print(f"kernel spectrum (Gegenbauer coefficients xi_0..xi_4, once):  {t_spec * 1e3:8.1f} ms")
    print(f"1000-point curve, finite-d deterministic equivalent:       {t_fin * 1e3:8.2f} ms")
    print(f"1000-point curve, per-phase asymptotic formula:            {t_asy * 1e3:8.2f} ms")
    print(f"1000 n x 100 ridges grid, finite-d:                        {grid * 1e3:8.1f} ms")
    print(f"one Monte Carlo point, n = {a.n_sim}, {a.reps} reps:                  {sim.seconds:8.2f} s")
    print(f"ratio (MC point / 1000-point curve):                       {sim.seconds / t_fin:8.0f}x")
    print(f"ratio including the kernel spectrum:                       {sim.seconds / (t_fin + t_spec):8.0f}x")
    print(f"accuracy at n = {a.n_sim}: theory {R:.4f} (asymptotic {Ra:.4f}) vs simulation "
          f"{sim.mean:.4f} ± {sim.se:.4f}  ({abs(R - sim.mean) / sim.se:.1f} SE)")


if __name__ == "__main__":
    main()
