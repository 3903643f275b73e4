"""Shared timing helper of the benchmarks (run them as scripts: ``python bench/bench_X.py``)."""

import os
import sys
import time

# the benchmarks run against the checkout's sources when rmtsym is not installed
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def best_of(fn, repeat: int = 5):
    """``(best wall time in seconds over repeat calls, the last result)``."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out
