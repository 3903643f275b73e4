"""Speed of Hermite coefficients c_k = E[f(Z) h_k(Z)] (rmtsym.bases.hermite), measured in one run.

    python3 bench/bench_hermite.py [K]

Prints one table (no pass/fail), each row against the alternative a user has today:

* exact ReLU c_0..c_K (rule-based; best of 3 with the moment cache cleared, and the first call) vs ``sympy.integrate`` coefficient by coefficient
  (timed on c_0..c_4 and extrapolated per coefficient);
* tanh at 30 digits, c_0..c_K from one set of f values, vs ``mpmath.quad`` per coefficient with
  ``mpmath.hermite`` (timed on a few coefficients, per coefficient);
* the float64 Gauss-Legendre path vs ``scipy.integrate.quad`` per coefficient, for tanh and ReLU,
  with the largest deviation between the two.
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings

import mpmath
import numpy as np
import sympy as sp
from scipy.integrate import IntegrationWarning, quad

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from rmtsym.bases import gaussian  # noqa: E402
from rmtsym.bases.functions import Z  # noqa: E402
from rmtsym.bases.hermite import hermite_coefficients  # noqa: E402


def timed(fn, repeat: int = 1):
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def he_float(k: int, x: float) -> float:
    """Orthonormal h_k(x) by the three-term recurrence (float)."""
    prev, cur = 0.0, 1.0
    for j in range(1, k + 1):
        prev, cur = cur, (x * cur - math.sqrt(j - 1) * prev) / math.sqrt(j)
    return cur


def scipy_coeff(fn, k: int, points=()) -> float:
    edges = [-np.inf, *points, np.inf]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IntegrationWarning)
        return sum(quad(lambda z: fn(z) * he_float(k, z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi),
                        lo, hi, limit=200)[0] for lo, hi in zip(edges[:-1], edges[1:]))


def main(K: int = 20) -> None:
    rows = []

    # 1. exact ReLU
    def exact_relu():
        gaussian._moment_cache.clear()
        return hermite_coefficients(sp.Max(0, Z), K)

    t_cold, _ = timed(exact_relu, 1)  # first call of the process: sympy's caches cold too
    t_exact, _ = timed(exact_relu, 3)
    z = sp.Symbol("z", real=True)
    t0 = time.perf_counter()
    ksym = 5
    for k in range(ksym):
        sp.integrate(z * sp.hermite_prob(k, z) * sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi), (z, 0, sp.oo))
    t_sym = (time.perf_counter() - t0) / ksym
    rows.append((f"relu exact c_0..c_{K}", t_exact, "sympy.integrate", t_sym * (K + 1),
                 f"first call {t_cold:.3f} s; sympy {t_sym * 1e3:.0f} ms/coeff (k<{ksym}, grows with k)"))

    # 2. tanh at 30 digits
    t_mp, c_mp = timed(lambda: hermite_coefficients(sp.tanh(Z), K, digits=30))
    ks = [1, K // 2 + (K // 2 + 1) % 2, K - (1 - K % 2)]
    t0 = time.perf_counter()
    with mpmath.workdps(40):
        for k in ks:
            mpmath.quad(lambda x: mpmath.tanh(x) * mpmath.hermite(k, x / mpmath.sqrt(2)) / mpmath.sqrt(2) ** k
                        * mpmath.npdf(x) / mpmath.sqrt(mpmath.factorial(k)), [-mpmath.inf, 0, mpmath.inf])
    t_naive = (time.perf_counter() - t0) / len(ks)
    rows.append((f"tanh 30 digits c_0..c_{K}", t_mp, "mpmath.quad per coeff", t_naive * (K + 1),
                 f"error bound {c_mp.error:.0e}"))

    # 3. float64 vs scipy quad per coefficient
    for name, f, fn, pts in [("tanh", sp.tanh(Z), math.tanh, ()), ("relu", sp.Max(0, Z), lambda x: max(0.0, x), (0.0,))]:
        hermite_coefficients(f, K, exact=False)  # warm the lambdify caches
        t_fl, c_fl = timed(lambda f=f: hermite_coefficients(f, K, exact=False), 5)
        t0 = time.perf_counter()
        ref = [scipy_coeff(fn, k, pts) for k in range(K + 1)]
        t_q = time.perf_counter() - t0
        dev = float(np.max(np.abs(c_fl.numpy() - np.array(ref))))
        rows.append((f"{name} float64 c_0..c_{K}", t_fl, "scipy quad per coeff", t_q,
                     f"max |diff| {dev:.1e}, error bound {c_fl.error:.0e}"))

    print(f"# Hermite coefficients, K = {K} (c_0..c_K); times in seconds, measured in this run")
    print(f"{'task':<26} {'rmtsym':>9}  {'alternative':<22} {'alt.':>9} {'ratio':>8}  notes")
    for task, t, alt, ta, note in rows:
        print(f"{task:<26} {t:>9.4f}  {alt:<22} {ta:>9.4f} {ta / t:>7.1f}x  {note}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
