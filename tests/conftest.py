"""Shared test settings.

Monte Carlo tests scale their sample sizes by RMTSYM_MC_SCALE (default 1: the small size CI
runs in a few seconds); tolerances are derived from standard errors, so they stay valid at
any scale. Run `RMTSYM_MC_SCALE=20 python -m pytest -m slow` for the large-size checks.
"""

import os

# one BLAS thread per process: tests that diagonalise many small matrices are slower, not
# faster, with threads competing for the machine's two cores (and results are reproducible)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402


@pytest.fixture
def mc_scale() -> float:
    return float(os.environ.get("RMTSYM_MC_SCALE", "1"))
