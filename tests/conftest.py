"""Shared test settings.

Monte Carlo tests scale their sample sizes by RMTSYM_MC_SCALE (default 1: the small size CI
runs in a few seconds); tolerances are derived from standard errors, so they stay valid at
any scale. Run `RMTSYM_MC_SCALE=20 python -m pytest -m slow` for the large-size checks.
"""

import os

import pytest


@pytest.fixture
def mc_scale() -> float:
    return float(os.environ.get("RMTSYM_MC_SCALE", "1"))
