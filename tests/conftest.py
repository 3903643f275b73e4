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


def _openblas():
    """(get, set) of the OpenBLAS thread count bundled with numpy, or None."""
    import ctypes
    import glob

    import numpy as np

    for path in glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*")):
        lib = ctypes.CDLL(path)
        for get, set_ in (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                          ("openblas_get_num_threads", "openblas_set_num_threads")):
            if hasattr(lib, get) and hasattr(lib, set_):
                return getattr(lib, get), getattr(lib, set_)
    return None


@pytest.fixture(autouse=True, scope="session")
def _single_thread_blas():
    """One BLAS thread even if numpy was imported before the environment variable was set."""
    fns = _openblas()
    if fns is None:
        yield
        return
    get, set_ = fns
    old = get()
    set_(1)
    yield
    set_(old)
