"""The `rmtsym` command, run in a subprocess like a user would."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args, cwd=ROOT):
    # the checkout's sources, whatever the working directory
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "rmtsym", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)


def test_help_on_every_verb():
    top = run("--help")
    assert top.returncode == 0
    for verb in ("hermite", "gegenbauer", "catalog", "graph", "latex", "tour"):
        assert verb in top.stdout
        r = run(verb, "--help")
        assert r.returncode == 0 and "usage: rmtsym " + verb in r.stdout


def test_hermite_relu_json_matches_closed_forms():
    r = run("hermite", "relu", "--degree", "8", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    c = [row["value"] for row in out["coefficients"]]
    assert out["exact"] is True and len(c) == 9
    assert c[0] == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-15)
    assert c[1] == pytest.approx(0.5, rel=1e-15)
    assert c[2] == pytest.approx(1 / (2 * math.sqrt(math.pi)), rel=1e-15)
    assert all(abs(v) < 1e-30 for v in c[3::2])


def test_hermite_digits_gives_30_digits():
    r = run("hermite", "tanh", "--degree", "3", "--digits", "30", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["exact"] is False and out["digits"] == 30
    dec = out["coefficients"][1]["decimal"]
    assert len(dec.replace("0.", "", 1).lstrip("0")) >= 30
    # E[Z tanh(Z)] = E[tanh'(Z)] (Stein), independently by scipy quad
    from scipy.integrate import quad
    ref = quad(lambda z: (1 - math.tanh(z) ** 2) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi), -40, 40,
               epsabs=1e-14)[0]
    assert float(dec) == pytest.approx(ref, abs=1e-12)


def test_hermite_user_expression_and_latex():
    r = run("hermite", "tanh(2*z) + 0.1*z**2", "--degree", "6")
    assert r.returncode == 0, r.stderr
    assert "tanh(2*z)" in r.stdout and len(r.stdout.strip().splitlines()) == 2 + 7
    r = run("hermite", "relu(z + b)", "--degree", "1", "--latex")
    assert r.returncode == 0, r.stderr
    assert r"\begin{aligned}" in r.stdout and "b" in r.stdout and "erf" in r.stdout


def test_gegenbauer_verb():
    r = run("gegenbauer", "tanh", "--dim", "10", "--degree", "6", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["dim"] == 10 and len(out["coefficients"]) == 7
    assert all(abs(row["value"]) < 1e-12 for row in out["coefficients"][0::2])  # tanh is odd


def test_graph_latex_and_dot(tmp_path):
    r = run("graph")
    assert r.returncode == 0 and "hermite-expansion" in r.stdout and "dual-kernel-relu" in r.stdout
    dot = tmp_path / "g.dot"
    r = run("graph", "--dot", str(dot))
    assert r.returncode == 0 and dot.read_text().startswith("digraph")
    r = run("graph", "--json")
    names = {n["name"] for n in json.loads(r.stdout)["nodes"]}
    assert {"hermite-expansion", "marchenko-pastur"} <= names
    tex = tmp_path / "mp.tex"
    r = run("latex", "marchenko-pastur", "-o", str(tex))
    assert r.returncode == 0 and r"\gamma" in tex.read_text()
    r = run("latex", "dual-kernel-relu", "--document")
    assert r.returncode == 0 and r"\documentclass" in r.stdout


def test_catalog_verb():
    r = run("catalog", "--json")
    assert r.returncode == 0, r.stderr
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["relu"]["mu1"] == pytest.approx(0.5)
    assert rows["relu"]["mu_star"] == pytest.approx(math.sqrt(0.25 - 1 / (2 * math.pi)))


@pytest.mark.parametrize("args, word", [
    (("hermite", "__import__('os').system('true')"), "refused"),
    (("hermite", "nosuchactivation"), "catalog"),
    (("hermite", "exp(z**2)"), "f"),
    (("hermite", "relu", "--degree", "-1"), "degree"),
    (("hermite", "relu", "--degree", "2.5"), "degree"),
    (("hermite", "relu", "--digits", "0"), "digits"),
    (("hermite", "tanh", "--exact"), "closed"),
    (("gegenbauer", "tanh", "--dim", "2"), "dim"),
    (("latex", "no-such-result"), "registered"),
])
def test_bad_input_is_one_line_and_exit_2(args, word, tmp_path):
    r = run(*args, cwd=tmp_path) if args[0] != "latex" else run(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert lines and word in lines[-1]
    assert "Traceback" not in r.stderr
    assert not any(tmp_path.iterdir())  # nothing executed, nothing written


def test_malicious_expression_is_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    r = run("hermite", f"__import__('os').system('touch {marker}')", cwd=tmp_path)
    assert r.returncode == 2 and not marker.exists()
