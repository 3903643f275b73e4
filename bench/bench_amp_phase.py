"""LASSO phase transition and Bayes-optimal curve: 100-delta theory curves vs one AMP run.

Prints seconds and ratios measured in the same run (no pass/fail):
- rho_SE(delta) on 100 deltas (closed form, bisection in the parametric threshold);
- the same 100 points by the naive route (scipy bounded maximisation of the closed form per delta);
- optimally tuned LASSO MSE on 100 deltas (fixed points by safeguarded Newton + golden section in alpha);
- the Bayes-optimal curve on 100 deltas (all SE fixed points, potentials, thresholds);
- the Bayes-optimal AMP fixed point on 100 deltas by plain iteration of the SE map (scalar loop with
  scipy quad for mmse: the "plain quadrature loop" a user would write);
- one LASSO AMP run and one Bayes-optimal AMP run at N = 2000, delta = 0.5, 100 iterations.

    OPENBLAS_NUM_THREADS=1 python bench/bench_amp_phase.py
"""

from _timing import best_of  # noqa: E402  (also puts the checkout on sys.path)
import os

import numpy as np
from scipy.integrate import quad
from scipy.optimize import minimize_scalar
from scipy.special import ndtr

from rmtsym.amp.phase import (bayes_optimal_curve, bayes_se_iterate, lasso_optimal_mse,  # noqa: E402
                              lasso_phase_transition)
from rmtsym.simulate.amp import run_bayes_amp, run_lasso_amp  # noqa: E402

EPS, SIG = 0.1, 0.01


def _h(a):
    return (1 + a * a) * ndtr(-a) - a * np.exp(-a * a / 2) / np.sqrt(2 * np.pi)


def naive_pt(deltas):
    return [-minimize_scalar(lambda a: -(1 - 2 * _h(a) / d) / (1 + a * a - 2 * _h(a)), bounds=(0, 10),
                             method="bounded", options={"xatol": 1e-10}).fun for d in deltas]


def quad_mmse(snr, eps):
    s2 = 1 / snr

    def f(y):
        a = eps * np.exp(-y * y / (2 * (1 + s2))) / np.sqrt(2 * np.pi * (1 + s2))
        b = (1 - eps) * np.exp(-y * y / (2 * s2)) / np.sqrt(2 * np.pi * s2)
        return 2 * (a + b) * (a / (a + b) * y / (1 + s2)) ** 2

    return eps - quad(f, 0, 14 * np.sqrt(1 + s2), limit=200)[0]


def quad_loop(deltas, iters=60):
    out = []
    for d in deltas:
        E = EPS
        for _ in range(iters):
            E = quad_mmse(1 / (SIG ** 2 + E / d), EPS)
        out.append(E)
    return out


def main() -> None:
    d = np.linspace(0.05, 0.95, 100)
    d_bo = np.linspace(0.25, 0.95, 100)  # above delta_alg, where 60 iterations converge
    t_pt, pt = best_of(lambda: lasso_phase_transition(d), repeat=20)
    t_naive, nv = best_of(lambda: naive_pt(d), repeat=2)
    t_lmse, _ = best_of(lambda: lasso_optimal_mse(d, SIG, EPS), repeat=3)
    t_bo, bo = best_of(lambda: bayes_optimal_curve(d, SIG, EPS), repeat=3)
    t_bo_fp, bo2 = best_of(lambda: bayes_optimal_curve(d_bo, SIG, EPS, thresholds=False), repeat=3)
    t_it, (E_it, conv, k) = best_of(lambda: bayes_se_iterate(d_bo, SIG, EPS, iters=60), repeat=3)
    t_ql, ql = best_of(lambda: quad_loop(d_bo[:10]), repeat=1)
    t_ql *= 10  # extrapolated from 10 of the 100 deltas
    t_lamp, _ = best_of(lambda: run_lasso_amp(2000, 0.5, SIG, EPS, 1.15, 100, seed=0), repeat=2)
    t_bamp, _ = best_of(lambda: run_bayes_amp(2000, 0.5, SIG, EPS, 100, seed=0), repeat=2)
    print(f"machine: {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    print(f"{'task':<72} {'seconds':>10}")
    rows = [
        ("rho_SE(delta), 100 deltas (parametric closed form, vectorised bisection)", t_pt),
        ("rho_SE(delta), 100 deltas, naive scipy bounded max per delta", t_naive),
        ("optimally tuned LASSO MSE, 100 deltas", t_lmse),
        ("Bayes-optimal curve, 100 deltas (all fixed points + potential + thresholds)", t_bo),
        ("Bayes-optimal AMP fixed points, 100 deltas (root scan, no thresholds)", t_bo_fp),
        ("Bayes-optimal SE iterated 60 steps, 100 deltas (vectorised)", t_it),
        ("plain loop: 60 SE steps x 100 deltas with scipy quad mmse (x10 of 10)", t_ql),
        ("one LASSO AMP run, N = 2000, delta = 0.5, 100 iterations", t_lamp),
        ("one Bayes-optimal AMP run, N = 2000, delta = 0.5, 100 iterations", t_bamp),
    ]
    for name, t in rows:
        print(f"{name:<72} {t:>10.5f}")
    print(f"max |closed form - naive| = {np.max(np.abs(pt.rho - np.array(nv))):.2e}; "
          f"max rel |root scan - 60 iterations| = {np.max(np.abs(bo2.mse_amp - E_it) / bo2.mse_amp):.2e} "
          f"({int(conv.sum())}/100 iterations converged)")
    print(f"ratio LASSO AMP run / rho_SE curve: {t_lamp / t_pt:,.0f}x; / naive curve: {t_lamp / t_naive:,.2f}x")
    print(f"ratio naive / closed-form rho_SE curve: {t_naive / t_pt:,.0f}x")
    print(f"ratio LASSO AMP run / optimal-MSE curve: {t_lamp / t_lmse:,.1f}x")
    print(f"ratio BO AMP run / BO curve: {t_bamp / t_bo:,.1f}x; / BO fixed points: {t_bamp / t_bo_fp:,.1f}x")
    print(f"ratio plain quad loop / BO fixed points: {t_ql / t_bo_fp:,.0f}x")


if __name__ == "__main__":
    main()
