"""``monitor serve`` as a real process: scheduled runs, SIGTERM, restart, exactly-once storage."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from monitor.store import Store
from tests.fakes.mastodon_server import FakeMastodon
from tests.fakes.threaded import serve_in_thread
from tests.helpers import post_line

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def write_config(tmp_path, base_url):
    (tmp_path / "inbox").mkdir(exist_ok=True)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[store]
path = "serve.duckdb"
[rules]
paths = ["{REPO / 'rules'}"]
[service]
host = "127.0.0.1"
port = 0
grace_s = 10
[sources.masto]
type = "mastodon"
base_url = "{base_url}"
hashtags = ["pemilu2024"]
limit = 3
max_pages_per_run = 50
interval_s = 1
[sources.masto.http]
requests_per_second = 1000
backoff_base_s = 0.01
backoff_max_s = 0.05
[sources.inbox]
type = "jsonl"
path = "inbox"
interval_s = 1
""", encoding="utf-8")
    return cfg


def start(cfg):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(cfg), "serve", "--log-format", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cfg.parent)
    line = proc.stdout.readline().strip()
    assert line.startswith("listening http://"), (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, line.split(" ", 1)[1]


def health(url):
    with urllib.request.urlopen(url + "/healthz", timeout=5) as r:
        return json.loads(r.read())


def wait_runs(url, n, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        h = health(url)
        if all(s["runs"] >= n and not s["running"] for s in h["sources"].values()):
            return h
        time.sleep(0.1)
    raise AssertionError(f"sources did not reach {n} runs: {health(url)}")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-2000:]
    logs = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(entry["msg"] == "service stopped" for entry in logs)
    return logs


def test_serve_runs_on_schedule_and_restarts_without_loss_or_duplicates(tmp_path):
    fake = FakeMastodon()
    acc = fake.add_account("warga", display_name="Warga")
    served = []
    for i in range(7):
        served.append(fake.add_status(acc, f"Info pemilu {i}", tags=["pemilu2024"])["id"])
    inbox = tmp_path / "inbox"
    with serve_in_thread(fake.app) as base:
        cfg = write_config(tmp_path, base)
        (inbox / "a.jsonl").write_text("".join(post_line(f"a{i}", f"teks {i}") + "\n" for i in range(4)), encoding="utf-8")
        proc, url = start(cfg)
        try:
            h = wait_runs(url, 1)
            for i in range(5):  # new posts between scheduled runs
                served.append(fake.add_status(acc, f"Kabar baru {i}", tags=["pemilu2024"])["id"])
            h = wait_runs(url, h["sources"]["masto"]["runs"] + 1)
            assert h["sources"]["masto"]["last_error"] is None
        finally:
            logs = stop(proc)
        assert any(e["msg"] == "source run finished" and e.get("source") == "masto" for e in logs)

        # while it is down, more posts appear on both sources
        for i in range(4):
            served.append(fake.add_status(acc, f"Saat mati {i}", tags=["pemilu2024"])["id"])
        (inbox / "b.jsonl").write_text("".join(post_line(f"b{i}", f"teks {i}") + "\n" for i in range(3)), encoding="utf-8")
        proc, url = start(cfg)
        try:
            wait_runs(url, 2)
        finally:
            stop(proc)

    with Store(tmp_path / "serve.duckdb") as s:
        masto = [r[0] for r in s.con.execute("SELECT post_id FROM posts WHERE platform = 'mastodon'").fetchall()]
        jsonl = [r[0] for r in s.con.execute("SELECT post_id FROM posts WHERE platform = 'x'").fetchall()]
        assert sorted(masto) == sorted(served)  # every served post, exactly once
        assert sorted(jsonl) == sorted([f"a{i}" for i in range(4)] + [f"b{i}" for i in range(3)])
        assert s.get_cursor("masto") and s.get_cursor("inbox")
