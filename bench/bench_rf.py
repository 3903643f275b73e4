"""Random-feature ridge: a 1000-point learning curve vs one simulated point at d = 200.

Prints both times, their ratio and the accuracy reached, measured in the same run (no
pass/fail). Curve: centred ReLU, psi2 = 1.5, psi1/psi2 in [0.1, 10] (geometric), lambda = 1e-3,
F1 = 1, tau^2 = 0.25, by the scalar reduction (default) and by the compiled complex Newton
solver of the registered derivation. Simulation: d = 200, (psi1, psi2, lambda) = (2, 1.5, .05)
(N = 400, n = 300), 2000 test points, one replicate; "accuracy" is theory - simulation in units
of the simulation's standard error (from 4 replicates), and the cost of a simulated curve at 1%
standard error.

    OPENBLAS_NUM_THREADS=1 python bench/bench_rf.py
"""

from _timing import best_of  # noqa: E402  (also puts the checkout on sys.path)
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from rmtsym.models.random_features import rf_risk  # noqa: E402
from rmtsym.simulate.random_features import simulate_rf  # noqa: E402

ACT = "relu(z) - 1/sqrt(2*pi)"




def main() -> None:
    psi2 = 1.5
    psi1 = np.geomspace(0.1, 10, 1000) * psi2
    rf_risk(ACT, psi1, psi2, 1e-3, f1=1, noise=0.25, method="newton")  # compile once
    t_red, c = best_of(lambda: rf_risk((0.5, 0.30140514), psi1, psi2, 1e-3, f1=1, noise=0.25))
    t_new, cn = best_of(lambda: rf_risk((0.5, 0.30140514), psi1, psi2, 1e-3, f1=1, noise=0.25, method="newton"))
    t_sim, s1 = best_of(lambda: simulate_rf(ACT, 200, 400, 300, 0.05, f1=1, noise=0.25, reps=1, seed=0), repeat=3)
    s4 = simulate_rf(ACT, 200, 400, 300, 0.05, f1=1, noise=0.25, reps=4, seed=10)
    th = float(rf_risk(ACT, 2, 1.5, 0.05, f1=1, noise=0.25).risk)
    print(f"machine: {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    print(f"{'task':<58} {'seconds':>10}")
    print(f"{'1000-point curve, scalar reduction (default)':<58} {t_red:>10.4f}")
    print(f"{'1000-point curve, compiled complex Newton (derivation)':<58} {t_new:>10.4f}")
    print(f"{'one simulated point, d = 200 (N = 400, n = 300), 1 rep':<58} {t_sim:>10.4f}")
    print(f"ratio simulated point / curve: {t_sim / t_red:,.0f}x (reduction), {t_sim / t_new:,.0f}x (Newton); "
          f"goal: curve < 0.1 s and > 1000x")
    print(f"methods agree to {np.nanmax(np.abs(cn.risk / c.risk - 1)):.1e} (relative); "
          f"theory {th:.4f} vs simulation {s4.mean:.4f} ± {s4.se:.4f} (4 reps) "
          f"= {(th - s4.mean) / s4.se:+.1f} SE")
    sd1 = s4.se * np.sqrt(s4.values.size)  # spread of one replicate
    reps_1pc = int(np.ceil((sd1 / (0.01 * th)) ** 2))
    print(f"one replicate has SD {sd1:.3f}; a 1% standard error needs ~{reps_1pc} replicates per point: "
          f"{reps_1pc * t_sim:.2f} s per point, {1000 * reps_1pc * t_sim / 60:.0f} min for the 1000-point curve "
          f"= {reps_1pc * t_sim * 1000 / t_red:,.0f}x the theory curve (and finite-d bias remains)")


if __name__ == "__main__":
    main()
