"""Smoke test of the performance table: ``python bench/run.py --quick`` prints every row with numbers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

EXPECTED_ROWS = [
    "1 detection posts/s/core",
    "detection hits",
    "2 ingest posts/s (Pipeline.process)",
    "ingest idempotent re-run",
    "ingest duplicate batch posts/s",
    "3 identity q/s (roster 2k)",
    "3 identity q/s (roster 10k)",
    "build s (roster 10k)",
    "index MB (roster 10k)",
    "agreement (roster 10k)",
    "4 daily list ms (list_hits)",
    "5 scaling detection (10k)",
    "5 scaling ingest (10k)",
    "5 scaling identity us/query (10k)",
]
_NUMBER = re.compile(r"\d")


@pytest.mark.slow
def test_quick_bench_prints_full_table():
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "run.py"), "--quick"],
                          capture_output=True, text=True, timeout=300, cwd=str(REPO))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert out.startswith("machine: nproc "), out[:200]
    assert "duckdb " in out.splitlines()[0]
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) == 8:
            rows[cells[0]] = cells
    for name in EXPECTED_ROWS:
        assert name in rows, f"row {name!r} missing from:\n{out}"
        figure, _workload, ours, _naive, _ratio, _peak, _target, status = rows[name]
        assert _NUMBER.search(ours) or ours == "yes", f"row {name!r} has no number: {rows[name]}"
    for name in ("1 detection posts/s/core", "2 ingest posts/s (Pipeline.process)", "3 identity q/s (roster 10k)",
                 "4 daily list ms (list_hits)"):
        _f, _w, ours, naive, ratio, peak, _t, status = rows[name]
        assert _NUMBER.search(naive) and _NUMBER.search(ratio) and _NUMBER.search(peak), rows[name]
        assert status.startswith(("PASS", "MISS")), rows[name]
    assert rows["ingest idempotent re-run"][2] == "yes"
    assert rows["agreement (roster 10k)"][2].endswith("%")
    assert "total wall time" in out
