"""Gaussian latent variable model (rmtsym.amp.latent): AT line / RS fixed point against the runs
they predict.

Prints seconds and ratios measured in this run (no pass/fail):
* RS fixed point at 100 couplings beta (one vectorised call) vs a loop of 100 scalar calls;
* AT line beta_AT(eps) at 30 values of eps (vectorised) vs a loop of 30 scalar calls;
* one random sequential EC run (N = 1000, Gaussian stage included) at 0.8 beta_AT (converges)
  and at 1.2 beta_AT (300 sweeps, does not converge).

    OPENBLAS_NUM_THREADS=1 python bench/bench_amp_latent.py
"""

from _timing import best_of  # noqa: E402  (also puts the checkout on sys.path)
import os

import numpy as np

from rmtsym.amp.latent import MixtureSite, Teacher, latent_at_line, latent_rs  # noqa: E402
from rmtsym.amp.rotation import semicircle_r  # noqa: E402
from rmtsym.simulate.latent import run_latent_ec  # noqa: E402
from rmtsym.simulate.sequential import goe  # noqa: E402


def main() -> None:
    rt, T = semicircle_r(1.0), Teacher()
    site = MixtureSite(0.3, 0.2, 3.0)
    bs = np.linspace(0.1, 1.4, 100)
    t_rs, _ = best_of(lambda: latent_rs(bs, rt, site, T), repeat=3)
    t_rs_loop, _ = best_of(lambda: [latent_rs(b, rt, site, T) for b in bs], repeat=1)
    es = np.linspace(0.05, 0.45, 30)
    t_at, _ = best_of(lambda: latent_at_line(rt, MixtureSite(0.3, es, 3.0), T), repeat=2)
    t_at_loop, _ = best_of(lambda: [latent_at_line(rt, MixtureSite(0.3, e, 3.0), T) for e in es], repeat=1)
    bat = float(latent_at_line(rt, site, T))
    J = goe(1000, seed=1)
    _, y = T.sample(1000, seed=2)
    runs = {}
    for f in (0.8, 1.2):
        rs = latent_rs(f * bat, rt, site, T)
        runs[f] = best_of(lambda: run_latent_ec(J, f * bat, y, site, float(rs.chi), sweeps=300, seed=3), repeat=1)
    print(f"machine: {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    print(f"{'task':<72} {'seconds':>10}")
    print(f"{'RS fixed point, 100 betas, one vectorised call':<72} {t_rs:>10.4f}")
    print(f"{'RS fixed point, 100 betas, loop of scalar calls':<72} {t_rs_loop:>10.4f}")
    print(f"{'AT line, 30 eps, one vectorised call':<72} {t_at:>10.4f}")
    print(f"{'AT line, 30 eps, loop of scalar calls':<72} {t_at_loop:>10.4f}")
    for f, (t, r) in runs.items():
        print(f"{f'EC run N = 1000 at {f:g} beta_AT ({r.sweeps} sweeps, converged={r.converged})':<72} {t:>10.4f}")
    print(f"ratio loop/vectorised: RS {t_rs_loop / t_rs:.1f}x, AT line {t_at_loop / t_at:.1f}x; "
          f"one non-converging EC run / AT line at 30 eps: {runs[1.2][0] / t_at:.1f}x")


if __name__ == "__main__":
    main()
