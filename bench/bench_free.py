"""Density of the free sum semicircle(1) ⊞ Marchenko–Pastur(1/2) (rmtsym.spectra.free).

    python3 bench/bench_free.py [n_points]

Prints one table, everything measured in this run: the exact elimination (sympy resultant,
factor, discriminant and branch analysis: a one-time cost), the density on ``n_points`` (default
2001) points spanning the support with half a unit of margin on each side, and on 10^6 points,
each against a 40-digit mpmath reference (roots of the cubic
``gamma v m^3 + (gamma z + v) m^2 + (z + gamma - 1) m + 1``, derived by hand from
``m = m_MP(z + v m)``; the root with positive imaginary part, else density 0). Alternatives:
the numeric subordination path of rmtsym (CompiledSystem, continuation in Im z) and, if it is
installed (``pip install rmtool``, GPL: only called, never copied), rmtool's ``AplusB`` +
``Lmz2pdf`` on the same grid. Ratios are the alternative's time over rmtsym's.
"""

from __future__ import annotations

from _timing import best_of  # noqa: E402  (also puts the checkout on sys.path)
import os
import sys
import time
import warnings

import mpmath
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from rmtsym.spectra.classic import marchenko_pastur, semicircle  # noqa: E402
from rmtsym.spectra.free import free_sum  # noqa: E402




def reference(x, v=1, g=mpmath.mpf(1) / 2, dps=40):
    out = np.empty(x.size)
    with mpmath.workdps(dps):
        v = mpmath.mpf(v)
        for i, xi in enumerate(x):
            z = mpmath.mpf(float(xi))
            r = mpmath.polyroots([g * v, g * z + v, z + g - 1, 1], maxsteps=400, extraprec=200)
            out[i] = float(max(max(mpmath.im(q) for q in r), 0) / mpmath.pi)
    return out


def main(n: int = 2001) -> None:
    rows = []
    t0 = time.perf_counter()
    law = free_sum(semicircle(1), marchenko_pastur("1/2"))
    law.support()                       # exact edges and branch signatures
    t_build = time.perf_counter() - t0
    lo, hi = law.support()[0]
    x = np.linspace(lo - 0.5, hi + 0.5, n)
    ref = reference(x)

    law.density(x[:5])
    t_alg, f_alg = best_of(lambda: law.density(x), repeat=20)
    err_alg = float(np.max(np.abs(f_alg - ref)))
    rows.append(("rmtsym algebraic (exact cubic, branch rule)", n, t_alg, err_alg))

    big = np.linspace(lo - 0.5, hi + 0.5, 10**6)
    t_big, f_big = best_of(lambda: law.density(big), repeat=3)
    sub = np.arange(0, big.size, 997)
    err_big = float(np.max(np.abs(f_big[sub] - reference(big[sub]))))
    rows.append(("rmtsym algebraic, 10^6 points (err on 1004)", big.size, t_big, err_big))

    num = free_sum(semicircle(1), marchenko_pastur("1/2"), method="subordination")
    t_num, f_num = best_of(lambda: num.density(x), repeat=2)
    rows.append(("rmtsym subordination (CompiledSystem)", n, t_num, float(np.max(np.abs(f_num - ref)))))

    t_rmt = err_rmt = None
    try:
        import rmtool
        import sympy as sp

        def run_rmtool():
            L = rmtool.AplusB(rmtool.wignerpol(), rmtool.wishartpol(c=sp.Rational(1, 2)))
            return np.asarray(rmtool.Lmz2pdf(L, x).density, dtype=float)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_rmt, f_rmt = best_of(run_rmtool, repeat=3)
        err_rmt = float(np.max(np.abs(f_rmt - ref)))
        rows.append(("rmtool AplusB + Lmz2pdf (GPL, called only)", n, t_rmt, err_rmt))
    except ImportError:
        rows.append(("rmtool: not installed", n, float("nan"), float("nan")))

    print(f"free sum semicircle(1) ⊞ Marchenko–Pastur(1/2): support [{lo:.6f}, {hi:.6f}]")
    print(f"one-time exact elimination + branch analysis (sympy): {t_build * 1e3:.0f} ms")
    print(f"{'method':48s} {'points':>8s} {'time':>11s} {'max |err|':>10s} {'ratio':>7s}")
    for name, npts, t, e in rows:
        ratio = t / t_alg if npts == n and np.isfinite(t) else float("nan")
        print(f"{name:48s} {npts:8d} {t * 1e3:9.2f} ms {e:10.1e} {ratio:7.1f}")
    if t_rmt is not None:
        print(f"rmtool / rmtsym time on {n} points: {t_rmt / t_alg:.0f}x "
              f"(including rmtsym's one-time elimination: {t_rmt / (t_alg + t_build):.1f}x)")
    print(f"goals: {n} points <= 15 ms at <= 1e-12: "
          f"{'met' if t_alg <= 0.015 and err_alg <= 1e-12 else 'NOT met'}; "
          f"10^6 points < 1 s: {'met' if t_big < 1 else 'NOT met'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2001)
