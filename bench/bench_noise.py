"""Noise injection: theory curves over 100 noise levels vs one simulated point at d = 200.

Prints the times, their ratio and the accuracy reached, measured in the same run (no pass/fail).
Curves: ReLU, Delta in [0, 1.5] (100 values), (p, n, d) = (300, 400, 200), lambda = 1e-3, by the
L -> oo weighted-ridge theory (weighted_ridge_risk) and by the finite-L theory
(noise_injection_risk, L = 5 and L = oo; the latter reproduces weighted_ridge_risk). Simulation:
simulate_noise_injection at Delta = 0.5, d = 200, p = 300, n = 400, copies L = 5 plus the explicit
weighted ridge, 2000 test points, one replicate; "accuracy" is theory - simulation in units of the
simulation's standard error (4 replicates).

    OPENBLAS_NUM_THREADS=1 python bench/bench_noise.py
"""

from _timing import best_of  # noqa: E402  (also puts the checkout on sys.path)
import os

import numpy as np

from rmtsym.models.noise_injection import noise_injection_constants, noise_injection_risk, weighted_ridge_risk
from rmtsym.simulate.noise_injection import simulate_noise_injection

ACT = "relu"
D, P, N, LAM = 200, 300, 400, 1e-3


def main() -> None:
    deltas = np.linspace(0, 1.5, 100)
    for dl in deltas:                      # constants are cached: time the curves, not the first quadrature
        noise_injection_constants(ACT, float(dl))
    t_w, w = best_of(lambda: weighted_ridge_risk(ACT, deltas, p=P, n=N, d=D, ridge=LAM), repeat=3)
    t_l, fl = best_of(lambda: noise_injection_risk(ACT, deltas, 5, P, N, D, LAM), repeat=3)
    t_inf, fi = best_of(lambda: noise_injection_risk(ACT, deltas, np.inf, P, N, D, LAM), repeat=3)
    t_sim, _ = best_of(lambda: simulate_noise_injection(ACT, D, P, N, LAM, 0.5, copies=(5,), reps=1, seed=0),
                       repeat=2)
    s4 = simulate_noise_injection(ACT, D, P, N, LAM, 0.5, copies=(5,), reps=4, seed=10)
    th = noise_injection_risk(ACT, 0.5, [5, np.inf], P, N, D, LAM).test_error
    print(f"machine: {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    print(f"{'task':<62} {'seconds':>10}")
    print(f"{'100-point curve, L -> oo, weighted_ridge_risk':<62} {t_w:>10.4f}")
    print(f"{'100-point curve, L = 5, noise_injection_risk (finite L)':<62} {t_l:>10.4f}")
    print(f"{'100-point curve, L = oo, noise_injection_risk':<62} {t_inf:>10.4f}")
    print(f"{'one simulated point, d = 200 (L = 5 + weighted ridge), 1 rep':<62} {t_sim:>10.4f}")
    print(f"ratio simulated point / curve: {t_sim / t_w:,.1f}x (L -> oo), {t_sim / t_l:,.1f}x (L = 5); "
          f"per point: {100 * t_sim / t_w:,.0f}x, {100 * t_sim / t_l:,.0f}x")
    print(f"noise_injection_risk(L = oo) vs weighted_ridge_risk: max rel. diff "
          f"{np.nanmax(np.abs(fi.test_error / w.test_error - 1)):.1e}")
    for key, t in (("L=5", th[0]), ("weighted", th[1])):
        m, se = s4.mean(key), s4.se(key)
        print(f"Delta = 0.5, {key:<8}: theory {t:.4f} vs simulation {m:.4f} ± {se:.4f} (4 reps) "
              f"= {(t - m) / se:+.1f} SE")
    dm, dse = s4.diff("L=5", "weighted")
    print(f"paired L=5 - weighted: theory {th[0] - th[1]:.4f} vs simulation {dm:.4f} ± {dse:.4f} "
          f"= {(th[0] - th[1] - dm) / dse:+.1f} SE")


if __name__ == "__main__":
    main()
