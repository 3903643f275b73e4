"""Separable AMP state evolution: 100 fixed points vs one AMP run vs a plain scipy.quad loop.

Prints times and ratios measured in the same run (no pass/fail). Models: LASSO (soft threshold at
alpha tau, alpha = 1.5, Bernoulli-Gaussian prior eps = 0.1; closed form derived by
rmtsym.amp.state_evolution) and Bayes-optimal AMP (posterior mean of the same prior; quadrature),
sigma = 0.1, delta = 100 points in [0.1, 1]. Alternatives:

* one AMP run (rmtsym.simulate.amp_separable.run_amp) at N = 2000, delta = 0.5, 30 iterations;
* the SE a user writes with scipy: per delta, the iteration tau^2 <- F(tau^2) (relative step
  1e-10) with F from scipy.integrate.quad on the one-dimensional Gaussian integrals of each mixture
  component (the same reduction as the engine, so this is the favourable case for quad); timed on 10
  of the 100 deltas and scaled by 10 (stated in the output).

    OPENBLAS_NUM_THREADS=1 python bench/bench_amp_se.py
"""

from _timing import best_of  # noqa: E402  (also puts the checkout on sys.path)
import os
import time

import numpy as np
from scipy.integrate import quad

from rmtsym.amp.separable import lasso_state_evolution  # noqa: E402
from rmtsym.amp.state_evolution import BAYES_BG, LASSO_BG  # noqa: E402
from rmtsym.simulate.amp_separable import run_amp  # noqa: E402

EPS, ALPHA, SIGMA = 0.1, 1.5, 0.1
DELTA = np.linspace(0.1, 1.0, 100)
SQ2PI = np.sqrt(2 * np.pi)


def _phi(z):
    return np.exp(-z * z / 2) / SQ2PI


def _soft(u, th):
    return np.sign(u) * max(abs(u) - th, 0.0)


def _pm(y, t2):
    la = np.log(1 - EPS) - y * y / (2 * t2) - 0.5 * np.log(t2)
    lb = np.log(EPS) - y * y / (2 * (1 + t2)) - 0.5 * np.log(1 + t2)
    return y / (1 + t2) / (1 + np.exp(la - lb))


def _quad_mse(t2, kind):
    t, s = np.sqrt(t2), np.sqrt(1 + t2)
    if kind == "lasso":
        th = ALPHA * t
        e0 = quad(lambda z: _soft(t * z, th) ** 2 * _phi(z), -12, 12, points=[-ALPHA, ALPHA], limit=200)[0]
        e1 = quad(lambda z: (_soft(s * z, th) - z / s) ** 2 * _phi(z), -12, 12, points=[-th / s, th / s],
                  limit=200)[0]
    else:
        e0 = quad(lambda z: _pm(t * z, t2) ** 2 * _phi(z), -12, 12, limit=200)[0]
        e1 = quad(lambda z: (_pm(s * z, t2) - z / s) ** 2 * _phi(z), -12, 12, limit=200)[0]
    return (1 - EPS) * e0 + EPS * (e1 + t2 / (1 + t2))


def _quad_fixed_point(delta, kind, tol=1e-10, max_iter=20_000):
    v = SIGMA ** 2 + EPS / delta
    for _ in range(max_iter):
        vn = SIGMA ** 2 + _quad_mse(v, kind) / delta
        if abs(vn - v) <= tol * vn:
            return vn
        v = vn
    return np.nan


def main() -> None:
    print(f"machine: {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    t_l, r_l = best_of(lambda: LASSO_BG.fixed_point(DELTA, SIGMA, eps=EPS, alpha=ALPHA))
    t_h, r_h = best_of(lambda: lasso_state_evolution(DELTA, SIGMA, EPS, ALPHA))
    t_b, r_b = best_of(lambda: BAYES_BG.fixed_point(DELTA, SIGMA, eps=EPS), repeat=3)
    t_al, _ = best_of(lambda: run_amp(LASSO_BG, 2000, 0.5, SIGMA, 30, seed=0, eps=EPS, alpha=ALPHA), repeat=2)
    t_ab, _ = best_of(lambda: run_amp(BAYES_BG, 2000, 0.5, SIGMA, 30, seed=0, eps=EPS), repeat=2)
    sub = DELTA[::10]
    t0 = time.perf_counter()
    q_l = np.array([_quad_fixed_point(d, "lasso") for d in sub])
    t_ql = (time.perf_counter() - t0) * 10
    t0 = time.perf_counter()
    q_b = np.array([_quad_fixed_point(d, "bayes") for d in sub])
    t_qb = (time.perf_counter() - t0) * 10
    assert r_l.converged.all() and r_b.converged.all()
    print(f"{'task (100 deltas in [0.1, 1], sigma = 0.1, eps = 0.1)':<66} {'seconds':>10}")
    print(f"{'LASSO SE, 100 fixed points, symbolic engine (closed form)':<66} {t_l:>10.4f}")
    print(f"{'LASSO SE, 100 fixed points, hand closed form (plain iteration)':<66} {t_h:>10.4f}")
    print(f"{'Bayes-optimal SE, 100 fixed points, engine (quadrature)':<66} {t_b:>10.4f}")
    print(f"{'one LASSO AMP run, N = 2000, delta = 0.5, 30 iterations':<66} {t_al:>10.4f}")
    print(f"{'one Bayes AMP run, N = 2000, delta = 0.5, 30 iterations':<66} {t_ab:>10.4f}")
    print(f"{'LASSO SE, scipy.quad loop (10 deltas x 10)':<66} {t_ql:>10.3f}")
    print(f"{'Bayes SE, scipy.quad loop (10 deltas x 10)':<66} {t_qb:>10.3f}")
    print(f"per fixed point: LASSO {t_l / 100 * 1e3:.3f} ms, Bayes {t_b / 100 * 1e3:.3f} ms")
    print(f"ratios: AMP run / 100 fixed points: LASSO {t_al / t_l:,.1f}x, Bayes {t_ab / t_b:,.1f}x")
    print(f"        quad loop / engine:         LASSO {t_ql / t_l:,.0f}x, Bayes {t_qb / t_b:,.0f}x")
    print(f"        engine / hand closed form (LASSO): {t_l / t_h:.2f}x")
    print(f"agreement: |engine - hand| max rel {np.nanmax(np.abs(r_l.tau2 - r_h.tau2) / r_h.tau2):.1e}; "
          f"|engine - quad loop| max rel LASSO {np.nanmax(np.abs(r_l.tau2[::10] - q_l) / q_l):.1e}, "
          f"Bayes {np.nanmax(np.abs(r_b.tau2[::10] - q_b) / q_b):.1e} (quad loop tol 1e-10)")


if __name__ == "__main__":
    main()
