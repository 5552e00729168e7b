"""Smoke test of the load script: ``bench/load.py`` at a tiny scale against a real ``monitor serve``.

No timing is asserted (the machine is shared); the script must complete, report every figure,
answer no request with a 5xx, and leave every intake post stored exactly once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_load_script_small_run_reports_figures_and_stores_every_post_once(tmp_path):
    out_json = tmp_path / "load.json"
    env = {**os.environ, "MONITOR_LOAD_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "load.py"), "--stored", "2000", "--roster", "500", "--rate", "50",
         "--seconds", "3", "--watchers", "2", "--think", "0.2", "--single-seconds", "1",
         "--workdir", str(tmp_path / "run"), "--json", str(out_json)],
        capture_output=True, text=True, timeout=600, cwd=str(REPO), env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    for row in ("intake POST /api/v1/posts (50-200 posts)", "daily list GET / (all)", "hit page GET /hits/ID",
                "intake POST /api/v1/posts (1 post)", "server: peak RSS (VmHWM)", "load average"):
        assert row in out, f"{row!r} missing from:\n{out}"
    assert "every accepted post stored exactly once: yes" in out
    assert "targets: ingest >= 1,000 posts/s:" in out and "daily list p95 < 300 ms:" in out

    figs = json.loads(out_json.read_text())["this tree"]
    main = figs["main"]
    assert main["posts_sent"] == 150 and main["posts_accepted"] == 150 and main["new"] == 150
    assert figs["intake_stored"] == 150 and figs["exactly_once"] is True
    assert main["lists"] > 0 and main["list_p95_ms"] > 0
    for part in ("main", "single"):
        for kind, errors in figs[part]["errors"].items():
            assert not errors, (part, kind, errors)  # no 5xx, no 4xx, no connection errors
    assert figs["single"]["posts_accepted"] == figs["single"]["posts_sent"] == 50
    assert figs["server_exit"] == 0 and figs["server_errors_logged"] == 0
    assert figs["server_hwm_mb"] > 0
