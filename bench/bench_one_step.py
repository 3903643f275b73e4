"""One large gradient step + ridge readout: a 100-point theory curve vs one simulated point at d = 1000.

Prints both times and their ratio, measured in the same run (no pass/fail). Setting: tanh
activation, target sin, learning rate 3, alpha0 = 20, ridge 0.1 (the module's doctest setting);
curve: MSE vs alpha in [0.2, 5] (100 geometric points) by :func:`rmtsym.models.one_step.one_step_error`
in the d -> oo limit (``d=None``) and with the authors' finite-d objects at d = 1000. Simulation:
:func:`rmtsym.models.one_step.simulate_one_step_error` at d = p = 1000, alpha = 1, one replicate
(the one-step gradient on n0 = 20000 samples, then ridge on n = 1000 samples).

    OPENBLAS_NUM_THREADS=1 python bench/bench_one_step.py
"""

from _timing import best_of  # noqa: E402  (also puts the checkout on sys.path)
import os

import numpy as np

from rmtsym.models.one_step import one_step_error, simulate_one_step_error  # noqa: E402

ARGS = ("tanh", "sin", 3.0, 20.0)
LAM, D = 0.1, 1000


def main() -> None:
    alpha = np.geomspace(0.2, 5, 100)
    one_step_error(*ARGS, alpha[:2], LAM)  # warm caches (quadrature nodes)
    t_inf, c = best_of(lambda: one_step_error(*ARGS, alpha, LAM), repeat=3)
    t_fd, cf = best_of(lambda: one_step_error(*ARGS, alpha, LAM, d=D), repeat=2)
    t_sim, s = best_of(lambda: simulate_one_step_error(*ARGS, 1.0, LAM, d=D, reps=1, seed=0), repeat=1)
    th = float(one_step_error(*ARGS, 1.0, LAM).mse[0])
    thd = float(one_step_error(*ARGS, 1.0, LAM, d=D).mse[0])
    print(f"machine: {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    print(f"{'task':<62} {'seconds':>10}")
    print(f"{'100-point MSE(alpha) curve, d -> oo':<62} {t_inf:>10.4f}")
    print(f"{f'100-point MSE(alpha) curve, finite-d objects d = {D}':<62} {t_fd:>10.4f}")
    print(f"{f'one simulated point, d = p = {D}, alpha = 1, 1 rep':<62} {t_sim:>10.4f}")
    print(f"ratio simulated point / curve: {t_sim / t_inf:,.1f}x (d -> oo), {t_sim / t_fd:,.1f}x (finite d); "
          f"goal: curve < 5 s")
    print(f"converged: {int(np.sum(c.converged))}/100 (d -> oo), {int(np.sum(cf.converged))}/100 (d = {D}); "
          f"MSE at alpha = 1: theory {th:.4f} (d -> oo), {thd:.4f} (d = {D}), simulation {s.mean[0]:.4f} (1 rep)")


if __name__ == "__main__":
    main()
