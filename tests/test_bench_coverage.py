from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "coverage.py"


@pytest.mark.slow
def test_coverage_benchmark_small_sizes(tmp_path: Path):
    source = str(Path(__file__).resolve().parents[1] / "src")
    environment = {**os.environ, "PYTHONPATH": source + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, str(BENCH), "--sizes", "600,1500", "--queries", "400", "--dims", "64",
         "--peer-timeout", "300", "--results", str(tmp_path)],
        capture_output=True, text=True, env=environment, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "synthetic-1500" in done.stdout
    rows = json.loads((tmp_path / "coverage.json").read_text())["rows"]
    assert [row["n_train"] for row in rows] == [600, 1500]
    for row in rows:
        ours, peer = row["dataerrors"], row["cleanlab"]
        assert ours["finished"]
        assert peer["finished"]
        assert 0.5 < ours["auroc"] <= 1.0
        assert abs(ours["auroc"] - peer["auroc"]) < 0.05
        assert ours["peak_rss_bytes"] > 0
