"""`rmtsym spectrum ...` in a subprocess: laws, simulation overlays, errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "rmtsym", "spectrum", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env=env)


def test_mp_with_atom_json():
    r = run("mp", "--ratio", "2", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    lo, hi = out["support"][0]
    assert lo == pytest.approx((1 - 2**0.5) ** 2) and hi == pytest.approx((1 + 2**0.5) ** 2)
    assert out["atoms"] == [[0.0, 0.5]]
    assert out["moments"][:3] == [1.0, 3.0, 11.0]  # Narayana: 1, 1 + r, 1 + 3r + r^2 at r = 2


def test_free_sum_simulation_agrees(tmp_path):
    png = tmp_path / "fs.png"
    r = run("free-sum", "mp:0.5", "sc:1", "--simulate", "--n", "400", "--reps", "4", "--json", "--plot", str(png))
    assert r.returncode == 0, r.stderr
    sim = json.loads(r.stdout)["simulation"]
    # Stieltjes discrepancy within 4 standard errors plus the O(1/(n eta)) finite-size bias, eta = 0.1
    assert all(d <= 4 * s + 1 / (400 * 0.1) for d, s in zip(sim["discrepancy"], sim["se"]))
    assert sim["ks"] < 0.02
    assert png.stat().st_size > 10_000


def test_kernel_finite_size_matches_simulation(tmp_path):
    png = tmp_path / "k.png"
    r = run("kernel", "--f", "relu", "--ell", "2", "--kappa", "0.5", "--dim", "30", "--simulate", "--reps", "3",
            "--json", "--plot", str(png))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    sim = out["simulation"]
    assert all(d <= 4 * s + 1 / (450 * 0.1) for d, s in zip(sim["discrepancy"], sim["se"])), sim
    assert any("degree 0" in o for o in out["outliers"])
    assert png.exists()


def test_ck_outlier_reported():
    r = run("ck", "--f", "relu", "--phi", "0.5", "--psi", "1")
    assert r.returncode == 0, r.stderr
    assert "one eigenvalue near" in r.stdout and "support" in r.stdout


@pytest.mark.parametrize("args, word", [
    (("mp", "--ratio", "-1"), "ratio"),
    (("mp", "--ratio", "__import__('os')"), "ratio"),
    (("sc", "--variance", "-2"), "variance"),
    (("free-sum", "mp:0.5", "foo:1"), "law"),
    (("kernel", "--f", "relu", "--ell", "0", "--kappa", "1"), "ell"),
    (("kernel", "--f", "relu", "--ell", "2", "--kappa", "-1"), "kappa"),
])
def test_bad_input(args, word):
    r = run(*args)
    assert r.returncode == 2 and word in r.stderr.strip().splitlines()[-1] and "Traceback" not in r.stderr
