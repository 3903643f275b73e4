"""Rotation-invariant designs: state evolution / AT line against the runs they predict.

Prints seconds and ratios measured in this run (no pass/fail):
* VAMP SE, 20 iterations (Marchenko–Pastur law, Stieltjes transform at negative argument), vs one
  VAMP run of 20 iterations at N = 2000 on an iid design (SVD included), vs the same run with the
  SVD precomputed;
* AT line beta_AT(h) at 100 fields (closed-form R, semicircle and Wishart) and with the numeric
  R-transform of the spectral law (Chebyshev table), vs one random sequential EC run (N = 500,
  300 sweeps budget) and one random sequential BP run (N = 500) at h = 0, beta = 0.9.

    OPENBLAS_NUM_THREADS=1 python bench/bench_amp_rotation.py
"""

from _timing import best_of  # noqa: E402  (also puts the checkout on sys.path)
import os

import numpy as np

from rmtsym.amp.rotation import at_line, ising_rs, law_r, semicircle_r, wishart_r  # noqa: E402
from rmtsym.amp.vamp import vamp_state_evolution  # noqa: E402
from rmtsym.simulate.sequential import goe, run_sequential_bp, run_sequential_ec  # noqa: E402
from rmtsym.simulate.vamp import iid_design, run_vamp  # noqa: E402
from rmtsym.spectra.classic import marchenko_pastur  # noqa: E402
from rmtsym.spectra.free import affine  # noqa: E402


def main() -> None:
    eps, s2 = 0.1, 1e-3
    mp = marchenko_pastur(2)
    t_se, se = best_of(lambda: vamp_state_evolution(mp, eps, s2, iters=20), repeat=3)
    t_design, D = best_of(lambda: iid_design(2000, 1000, seed=0), repeat=1)
    t_run, run = best_of(lambda: run_vamp(D, eps, s2, iters=20, seed=1), repeat=3)
    hs = np.linspace(0, 2, 100)
    t_at_sc, _ = best_of(lambda: at_line(hs, semicircle_r(1.0)), repeat=3)
    t_at_wi, _ = best_of(lambda: at_line(hs, wishart_r(1.0)), repeat=3)
    law = affine(marchenko_pastur(1), 1, -1)
    t_tab, rt = best_of(lambda: law_r(law), repeat=1)
    t_at_law, _ = best_of(lambda: at_line(hs, rt), repeat=1)
    J = goe(500, seed=1)
    rs = ising_rs(0.9 * 1.5648565, 0.5, semicircle_r(1.0))
    t_ec, ec = best_of(lambda: run_sequential_ec(J, 0.9 * 1.5648565, 0.5, float(rs.chi), sweeps=300, seed=2),
                       repeat=1)
    t_bp, bp = best_of(lambda: run_sequential_bp(J, 0.9, 0.0, sweeps=600, seed=2), repeat=1)
    print(f"machine: {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    print(f"{'task':<70} {'seconds':>10}")
    print(f"{'VAMP SE, 20 iterations (MP law)':<70} {t_se:>10.4f}")
    print(f"{'iid design N = 2000, n = 1000 + its SVD (eigh of A A^T)':<70} {t_design:>10.3f}")
    print(f"{'VAMP run, 20 iterations, SVD precomputed':<70} {t_run:>10.4f}")
    print(f"{'AT line, 100 fields, semicircle (closed-form R)':<70} {t_at_sc:>10.4f}")
    print(f"{'AT line, 100 fields, Wishart c = 1 (closed-form R)':<70} {t_at_wi:>10.4f}")
    print(f"{'R-transform table of the spectral law (96 Chebyshev nodes)':<70} {t_tab:>10.4f}")
    print(f"{'AT line, 100 fields, Wishart c = 1 (numeric R of the law)':<70} {t_at_law:>10.4f}")
    print(f"{f'random sequential EC, N = 500, h = 0.5, 0.9 beta_AT ({ec.sweeps} sweeps)':<70} {t_ec:>10.3f}")
    print(f"{f'random sequential BP, N = 500, h = 0, beta = 0.9 ({bp.sweeps} sweeps)':<70} {t_bp:>10.3f}")
    print(f"ratio VAMP run (with SVD) / SE: {(t_run + t_design) / t_se:,.0f}x; without SVD: {t_run / t_se:,.1f}x")
    print(f"ratio 100-point AT line / one EC run: {t_at_sc / t_ec:,.1f}x (closed form), "
          f"{(t_at_law + t_tab) / t_ec:,.1f}x (numeric R); 100-point AT line / one BP run: {t_at_sc / t_bp:,.1f}x")
    print(f"VAMP SE final MSE {se.mse[-1]:.4g}; run {run.mse[-1]:.4g}")


if __name__ == "__main__":
    main()
