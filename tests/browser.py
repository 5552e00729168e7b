"""Headless Chromium (Debian's package) driven by Playwright, against a real `monitor serve`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (see .ci/run)")
        pytest.skip("Debian chromium not installed (apt-get install chromium chromium-driver)")


def start_server(dir: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(dir / "config.toml"), "serve", "--port", "0",
         "--log-format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=dir)
    line = proc.stdout.readline().strip()
    if not line.startswith("listening http://"):
        proc.kill()
        raise AssertionError(f"server did not start: {line} {proc.stderr.read()[-2000:]}")
    return proc, line.split(" ", 1)[1]


@pytest.fixture
def served(demo_template, tmp_path):
    """A running `monitor serve` on a private copy of the demo database."""
    from tests.webutil import write_config

    src, facts = demo_template
    shutil.copy(src / "web.duckdb", tmp_path / "web.duckdb")
    # a private copy of the rule pack: the admin test edits rule files through the browser
    rules = tmp_path / "rules"
    shutil.copytree(Path(__file__).resolve().parents[1] / "rules", rules)
    write_config(tmp_path, rules=rules)
    proc, url = start_server(tmp_path)
    yield url, facts, tmp_path
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:  # pragma: no cover
        proc.kill()


@pytest.fixture
def browser():
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()
