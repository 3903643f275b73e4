"""`rmtsym tour --quick` end to end: every derivation file runs, writes its outputs, and passes."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_tour_quick(tmp_path):
    out = tmp_path / "tour"
    r = subprocess.run([sys.executable, "-m", "rmtsym", "tour", "--quick", "-o", str(out)], cwd=ROOT,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert not summary["errors"]
    rows = summary["rows"]
    assert rows and all(row["status"] == "ok" for row in rows)
    from rmtsym.tour import derivation_modules

    for name in derivation_modules():
        assert (out / f"{name}.tex").exists(), name
        assert list(out.glob(f"{name}*.png")), name  # one figure or more; matplotlib is in the test extra
        assert any(row["result"] for row in rows)
    assert (out / "summary.md").read_text().count("| ok |") == len(rows)
