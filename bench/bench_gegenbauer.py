"""Benchmark: Gegenbauer coefficients g_0..g_10 of tanh on S^{d-1}(sqrt d).

Compares rmtsym (float64, 30-digit mpmath, exact symbolic-d polynomial) with what a user has
today: scipy.integrate.quad per coefficient (scipy's Gegenbauer polynomials and the density),
and Monte Carlo at n = 10^6 (standard error ~1e-3). Run: ``python bench/bench_gegenbauer.py``.
"""

from __future__ import annotations

import math
import time
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np
import sympy as sp
from scipy.integrate import quad

from rmtsym.bases.functions import Z
from rmtsym.bases.gegenbauer import gegenbauer_coefficients
from rmtsym.simulate.sphere import gegenbauer_q, mc_gegenbauer


def best(fn, repeat=3):
    out, t = None, math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        t = min(t, time.perf_counter() - t0)
    return out, t


def scipy_quad(d: int, K: int) -> np.ndarray:
    c = math.gamma(d / 2) / (math.sqrt(math.pi * d) * math.gamma((d - 1) / 2))
    r = math.sqrt(d)
    return np.array([quad(lambda t: math.tanh(t) * float(gegenbauer_q(k, d, t)) * c * (1 - t * t / d) ** ((d - 3) / 2),
                          -r, r, epsabs=1e-13, epsrel=1e-13, limit=200)[0] for k in range(K + 1)])


def main() -> None:
    d, K = 10, 10
    f = sp.tanh(Z)
    fast, t64 = best(lambda: gegenbauer_coefficients(f, d, K))
    hi, t30 = best(lambda: gegenbauer_coefficients(f, d, K, digits=30), repeat=1)
    ref, tq = best(lambda: scipy_quad(d, K))
    (mc, se), tmc = best(lambda: mc_gegenbauer(f, d, range(K + 1), 10**6, seed=0), repeat=1)
    poly = f.series(Z, 0, 12).removeO()
    dsym = sp.Symbol("d", positive=True)
    _, tex = best(lambda: gegenbauer_coefficients(poly, dsym, K), repeat=1)
    print(f"g_0..g_{K} of tanh at d = {d}")
    print(f"  rmtsym float64          {t64 * 1e3:8.2f} ms   error est {fast.error:.1e}   "
          f"max |diff vs 30 digits| {np.max(np.abs(fast.numpy() - hi.numpy())):.1e}")
    print(f"  rmtsym 30 digits        {t30 * 1e3:8.2f} ms   error est {hi.error:.1e}")
    print(f"  scipy quad per k        {tq * 1e3:8.2f} ms   max |diff| {np.max(np.abs(ref - hi.numpy())):.1e}"
          f"   ratio {tq / t64:.0f}x slower")
    print(f"  Monte Carlo n = 1e6     {tmc * 1e3:8.2f} ms   max SE {np.max(se):.1e}   ratio {tmc / t64:.0f}x slower")
    print(f"  exact, degree-11 Taylor polynomial of tanh, symbolic d: {tex * 1e3:8.2f} ms")


if __name__ == "__main__":
    main()
