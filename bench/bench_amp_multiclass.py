"""Multi-class AMP: a 20-point state-evolution curve vs one AMP run and one ERM fit at d = 1000.

Prints seconds and ratios measured in the same run (no pass/fail). Setting: K = 3 Gaussian mixture,
Delta = 1, mu_c ~ N(0, I_d), balanced, lambda = 1 (REFERENCES.md paper 4). Curve: SE fixed point,
test error, training error (QMC) and rho_AT at 20 values of alpha in [0.5, 5] (one vectorised call,
Gauss–Hermite 12^3 nodes). Simulation: one data set at d = 1000, n = 2000 (``python
bench/bench_amp_multiclass.py D`` to change d): AMP to relative step 1e-10, scipy L-BFGS (gtol 1e-12)
and scikit-learn LogisticRegression (tol 1e-12) on the same objective.

    OPENBLAS_NUM_THREADS=1 python bench/bench_amp_multiclass.py
"""

from _timing import best_of  # noqa: E402  (also puts the checkout on sys.path)
import os
import sys
import time

import numpy as np

from rmtsym.amp.multiclass import GaussianMixture, multiclass_state_evolution  # noqa: E402
from rmtsym.simulate.multiclass import (fit_multiclass_erm, fit_multiclass_sklearn,  # noqa: E402
                                        run_multiclass_amp, sample_gaussian_mixture)


def cpu_of(fn) -> float:
    """CPU seconds of one call (the machine is shared: wall time is also printed)."""
    t = time.process_time()
    fn()
    return time.process_time() - t


def main() -> None:
    d = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    model = GaussianMixture(K=3)
    alphas = np.linspace(0.5, 5.0, 20)
    t_curve, se = best_of(lambda: multiclass_state_evolution(model, alphas, 1.0), repeat=1)
    t_one, _ = best_of(lambda: multiclass_state_evolution(model, 2.0, 1.0), repeat=2)
    s = sample_gaussian_mixture(2 * d, d, K=3, seed=0)
    t_amp, amp = best_of(lambda: run_multiclass_amp(s.X, s.y, 1.0, M=s.M), repeat=3)
    t_lb, W_lb = best_of(lambda: fit_multiclass_erm(s.X, s.y, 1.0), repeat=2)
    t_sk, W_sk = best_of(lambda: fit_multiclass_sklearn(s.X, s.y, 1.0), repeat=2)
    rel = lambda A, B: np.linalg.norm(A - B) / np.linalg.norm(B)
    cpu = {"curve": cpu_of(lambda: multiclass_state_evolution(model, alphas, 1.0)),
           "one": cpu_of(lambda: multiclass_state_evolution(model, 2.0, 1.0)),
           "amp": cpu_of(lambda: run_multiclass_amp(s.X, s.y, 1.0, M=s.M)),
           "lbfgs": cpu_of(lambda: fit_multiclass_erm(s.X, s.y, 1.0)),
           "sk": cpu_of(lambda: fit_multiclass_sklearn(s.X, s.y, 1.0))}
    print(f"machine: {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    print(f"{'task':<64} {'wall s':>9} {'CPU s':>9}")
    print(f"{'SE curve, 20 alphas in [0.5, 5], lambda = 1 (one vectorised call)':<64} {t_curve:>9.3f} {cpu['curve']:>9.3f}")
    print(f"{'SE, one point alpha = 2':<64} {t_one:>9.3f} {cpu['one']:>9.3f}")
    print(f"{f'AMP run d = {d}, n = {2 * d} ({amp.iterations} iterations)':<64} {t_amp:>9.3f} {cpu['amp']:>9.3f}")
    print(f"{f'scipy L-BFGS ERM, d = {d}':<64} {t_lb:>9.3f} {cpu['lbfgs']:>9.3f}")
    print(f"{f'scikit-learn LogisticRegression, d = {d}':<64} {t_sk:>9.3f} {cpu['sk']:>9.3f}")
    print(f"CPU ratios: AMP run / SE point = {cpu['amp'] / cpu['one']:.2f}; sklearn / SE point = "
          f"{cpu['sk'] / cpu['one']:.2f}; SE curve / AMP run = {cpu['curve'] / cpu['amp']:.2f}; "
          f"SE curve / (20 x sklearn fits) = {cpu['curve'] / (20 * cpu['sk']):.2f}")
    print(f"wall ratios: AMP run / SE point = {t_amp / t_one:.2f}; L-BFGS / SE point = {t_lb / t_one:.2f}; "
          f"sklearn / SE point = {t_sk / t_one:.2f}; SE curve / AMP run = {t_curve / t_amp:.2f}; "
          f"sklearn / AMP = {t_sk / t_amp:.2f}; L-BFGS / AMP = {t_lb / t_amp:.2f}")
    print(f"SE converged at {int(se.converged.sum())}/20 alphas (max {int(se.iterations.max())} iterations); "
          f"rho_AT in [{np.nanmin(se.rho_at):.3f}, {np.nanmax(se.rho_at):.3f}]")
    print(f"agreement: ||W_AMP - W_sklearn||/||W_sklearn|| = {rel(amp.W, W_sk):.2e}, "
          f"||W_AMP - W_LBFGS||/||W_LBFGS|| = {rel(amp.W, W_lb):.2e}")


if __name__ == "__main__":
    main()
