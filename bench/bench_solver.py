"""Throughput of the compiled solver (rmtsym.core.solve) on the Marchenko–Pastur equation.

    python3 bench/bench_solver.py [n_points]

Prints one table (no pass/fail): the vectorised solver on 10^6 complex points (all cores and one
thread), the alternative a user has today -- a plain Python loop calling
``scipy.optimize.newton`` point by point with the same lambdified residual and derivative,
timed on a subsample and extrapolated per point (also with a 'math'-module lambdify, i.e.
plain-Python arithmetic without numpy's per-call overhead) -- their ratios, and ``solve_mp`` at 50 digits
per point. Everything is measured in this run.
"""

from __future__ import annotations

from _timing import best_of  # noqa: E402  (also puts the checkout on sys.path)
import os
import sys
import time
import warnings

import numpy as np
import scipy
import scipy.optimize
import sympy as sp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from rmtsym.core.solve import CompiledSystem  # noqa: E402


def mp_closed(z, g):
    """Root of gamma z m^2 - (1 - gamma - z) m + 1 with the larger imaginary part."""
    a, b = g * z, -(1 - g - z)
    d = np.sqrt(b * b - 4 * a + 0j)
    r1, r2 = (-b + d) / (2 * a), (-b - d) / (2 * a)
    return np.where(r1.imag >= r2.imag, r1, r2)




def main(n: int = 10**6) -> None:
    m, z, g = sp.symbols("m z gamma")
    residual = g * z * m**2 - (1 - g - z) * m + 1
    t0 = time.perf_counter()
    system = CompiledSystem([m], [z, g], [residual], {"density": sp.im(m) / sp.pi},
                            branch=[sp.im(m) > 0], guess={m: -1 / z},
                            fixed_point={m: 1 / (1 - g - z - g * z * m)}, name="marchenko-pastur")
    t_compile = time.perf_counter() - t0

    rng = np.random.default_rng(0)
    zz = rng.uniform(-1, 6, n) + 1j * rng.uniform(1e-3, 2, n)
    gg = rng.choice([0.3, 1.0, 2.5], n)
    params = {"z": zz, "gamma": gg}
    system.solve({"z": zz[:1000], "gamma": gg[:1000]})  # warm-up

    ncores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    t_all, sol = best_of(lambda: system.solve(params), repeat=3)
    t_one, _ = best_of(lambda: system.solve(params, workers=1), repeat=3)
    err = np.nanmax(np.abs(sol["m"] - mp_closed(zz, gg)))
    iters = sol.report.iterations.mean()

    # the alternative: a Python loop over points with scipy.optimize.newton
    k = min(2000, n)
    sub = rng.choice(n, k, replace=False)
    loop_fail = 0

    def loop(module):
        nonlocal loop_fail
        f = sp.lambdify([m, z, g], residual, module)
        fp = sp.lambdify([m, z, g], sp.diff(residual, m), module)
        out = np.empty(k, complex)
        loop_fail = 0
        for i, j in enumerate(sub):
            zj, gj = complex(zz[j]), float(gg[j])
            try:
                out[i] = scipy.optimize.newton(f, -1 / zj, fp, args=(zj, gj), tol=1e-12,
                                               maxiter=60)
            except RuntimeError:
                out[i] = np.nan
            if not out[i].imag > 0:  # wrong branch: what the compiled solver would retry
                loop_fail += 1
        return out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_loop, loop_out = best_of(lambda: loop("numpy"), repeat=2)
        t_math, _ = best_of(lambda: loop("math"), repeat=2)  # plain-Python arithmetic, no numpy
    per_loop, per_math = t_loop / k, t_math / k
    loop_err = np.nanmax(np.abs(loop_out - mp_closed(zz[sub], gg[sub])))

    # arbitrary precision, 50 digits, per point
    kmp = 50
    t_mp, smp = best_of(lambda: system.solve_mp({"z": zz[:kmp], "gamma": gg[:kmp]}, digits=50), repeat=1)

    rows = [
        ("construct + lambdify (sympy Jacobian, cse)", f"{t_compile:.3f} s", ""),
        (f"compiled Newton, {n:.0e} points, {ncores} threads", f"{t_all:.3f} s",
         f"{n / t_all:,.0f} points/s"),
        (f"compiled Newton, {n:.0e} points, 1 thread", f"{t_one:.3f} s",
         f"{n / t_one:,.0f} points/s"),
        ("  all ok / mean iterations / max |m - closed form|",
         f"{sol.report.all_ok} / {iters:.1f}", f"{err:.1e}"),
        (f"python loop, scipy.optimize.newton ({k} pts, extrapolated)",
         f"{per_loop * n:.1f} s", f"{1 / per_loop:,.0f} points/s"),
        ("  loop points on the wrong branch or failed / max error", f"{loop_fail} of {k}",
         f"{loop_err:.1e}"),
        ("python loop as above, 'math'-module lambdify", f"{per_math * n:.1f} s",
         f"{1 / per_math:,.0f} points/s"),
        ("speed-up compiled / python loop (numpy lambdify)", f"{per_loop * n / t_all:,.0f}x",
         ""),
        ("speed-up compiled / python loop ('math' lambdify)", f"{per_math * n / t_all:,.0f}x",
         ""),
        (f"solve_mp, 50 digits ({kmp} pts)", f"{t_mp / kmp * 1e3:.2f} ms/point",
         f"ok {kmp - smp.report.n_failed}/{kmp}"),
    ]
    print(f"rmtsym solver benchmark: Marchenko–Pastur m(z), nproc={ncores}, numpy "
          f"{np.__version__}, scipy {scipy.__version__}, sympy {sp.__version__}")
    w = max(len(r[0]) for r in rows)
    for a, b, c in rows:
        print(f"{a:<{w}}  {b:>18}  {c}")


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 10**6)
