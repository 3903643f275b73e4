"""In-context learning by linear attention: a 100-point theory curve vs one simulated point.

Prints both times and their ratio, measured in the same run (no pass/fail). Curve: ICL error vs
tau in [0.1, 5] (100 geometric points), alpha = 1, rho = 0.25, kappa = 2, ridgeless (Result 1) and
ridge lambda = 0.1 (bisection root per point); IDG error likewise. Simulation: the reduced
linear-attention model (:func:`rmtsym.simulate.icl.simulate_icl`) at tau = 2, kappa = 2, one
replicate, at d = 60 by default (``python bench/bench_icl.py D`` to change it). The issue asks for
d = 1000, which is not feasible: the least-squares problem has p = d(d+1) unknowns and n = tau d^2
rows, so time ~ tau d^6 and memory ~ 8 p^2 bytes (d = 1000: ~8 TB, ~10^8 s by the measured d^6
fit); the simulator's own cap is d = 120 (1.7 GB). The printed d^6 extrapolation is from this run.

    OPENBLAS_NUM_THREADS=1 python bench/bench_icl.py
"""

from _timing import best_of  # noqa: E402  (also puts the checkout on sys.path)
import os
import sys

import numpy as np

from rmtsym.models.icl import icl_error, idg_error  # noqa: E402
from rmtsym.simulate.icl import simulate_icl  # noqa: E402

A, R, K = 1.0, 0.25, 2.0


def main() -> None:
    d = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    tau = np.geomspace(0.1, 5, 100)
    t0, e0 = best_of(lambda: icl_error(tau, A, R, K))
    t1, e1 = best_of(lambda: icl_error(tau, A, R, K, ridge=0.1))
    t2, _ = best_of(lambda: idg_error(tau, A, R, K))
    ts, s = best_of(lambda: simulate_icl(2.0, A, R, K, d=d, reps=1, n_test=1000, seed=0), repeat=1)
    print(f"machine: {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    print(f"{'task':<62} {'seconds':>10}")
    print(f"{'100-point e_ICL(tau) curve, ridgeless (Result 1)':<62} {t0:>10.5f}")
    print(f"{'100-point e_ICL(tau) curve, ridge 0.1 (bisection per point)':<62} {t1:>10.5f}")
    print(f"{'100-point e_IDG(tau) curve, ridgeless':<62} {t2:>10.5f}")
    print(f"{f'one simulated point, d = {d} (n = {s.n}, p = {d * (d + 1)}), 1 rep':<62} {ts:>10.3f}")
    print(f"ratio simulated point / curve: {ts / t0:,.0f}x (ridgeless), {ts / t1:,.0f}x (ridge)")
    print(f"theory e_ICL(2, 1, .25, 2) = {float(icl_error(2.0, A, R, K)):.4f}; simulation at d = {d}: "
          f"{s.icl_mean:.4f} (one replicate, finite-d bias O(1/d) positive)")
    for D in (120, 1000):
        print(f"d^6 extrapolation of one simulated point to d = {D}: {ts * (D / d) ** 6:,.3g} s, "
              f"matrix {8 * (D * (D + 1)) ** 2 / 1e9:,.3g} GB")


if __name__ == "__main__":
    main()
