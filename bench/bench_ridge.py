"""Ridge deterministic equivalent and GCV: timings and ratios, all measured in one run.

    python3 bench/bench_ridge.py

(1) A 1000-point learning curve R(n) (power law, p = 200 and p = 800) from rmtsym.models.ridge
    against ONE Monte Carlo point at d = p = 200 (n = 400, 10 replicates), and the accuracy the
    Monte Carlo point reaches (its SE) vs the theory.
(2) GCV for 100 ridges from one eigendecomposition (rmtsym.models.gcv.gcv) against 100 separate
    linear solves (gcv_direct), n = 1000.
"""

from __future__ import annotations

from _timing import best_of  # noqa: E402  (also puts the checkout on sys.path)
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from rmtsym.models.gcv import gcv, gcv_direct  # noqa: E402
from rmtsym.models.ridge import power_law_spectrum, ridge_risk  # noqa: E402
from rmtsym.simulate.ridge import simulate_ridge  # noqa: E402




def main() -> int:
    print("# (1) learning curve vs Monte Carlo")
    for p in (200, 800):
        spec = power_law_spectrum(p, 1.5, 1.0)
        n = np.linspace(50, 2000, 1000)
        for lam in (1e-3, 0.0):
            t, c = best_of(lambda: ridge_risk(spec, n=n, ridge=lam, noise=0.1), repeat=5)
            print(f"1000-point curve p={p} lambda={lam:g}: {t * 1e3:.1f} ms (converged {c.converged.mean():.0%})")
    spec = power_law_spectrum(200, 1.5, 1.0)
    t_mc, sim = best_of(lambda: simulate_ridge(spec.eig, np.sqrt(spec.beta2), 400, 1e-3, 0.1, reps=10), repeat=1)
    t_th, c = best_of(lambda: ridge_risk(spec, n=np.linspace(50, 2000, 1000), ridge=1e-3, noise=0.1), repeat=5)
    th = float(ridge_risk(spec, n=400, ridge=1e-3, noise=0.1).risk)
    print(f"one MC point d=200 n=400 (10 reps): {t_mc * 1e3:.1f} ms; risk {sim.risk:.5f} ± {sim.risk_se:.5f} "
          f"vs theory {th:.5f}")
    print(f"ratio (one MC point / 1000-point curve): {t_mc / t_th:.0f}x")

    print("# (2) GCV: 100 ridges, n = 1000")
    rng = np.random.default_rng(0)
    n, d = 1000, 400
    X = rng.standard_normal((n, d))
    y = X[:, 0] + 0.5 * rng.standard_normal(n)
    K = X @ X.T / n
    lams = np.geomspace(1e-4, 10, 100)
    t_eig, r = best_of(lambda: gcv(K, y, lams), repeat=3)
    t_dir, dirv = best_of(lambda: [gcv_direct(K, y, l) for l in lams], repeat=1)
    err = np.max(np.abs(r.gcv - np.array(dirv)) / np.array(dirv))
    print(f"one eigendecomposition: {t_eig * 1e3:.1f} ms; 100 solves: {t_dir * 1e3:.1f} ms; "
          f"ratio {t_dir / t_eig:.1f}x; max rel diff {err:.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
