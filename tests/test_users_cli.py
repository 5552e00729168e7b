"""``monitor users`` and ``monitor demo --serve``."""

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.store import Store
from monitor.web.auth import verify_password

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


def run(db, *args, input=None):
    return CliRunner().invoke(cli, ["--config", str(REPO / "config.toml"), "--db", str(db), *args], input=input)


def test_users_add_list_passwd_set_remove(tmp_path):
    db = tmp_path / "u.duckdb"
    assert run(db, "roster", "import", str(DATA / "roster_small.csv")).exit_code == 0
    assert run(db, "users", "add", "siti", "--role", "pengawas", input="kata-sandi-siti\n").exit_code == 0
    res = run(db, "users", "add", "kadis", "--role", "atasan", input="kata-sandi-kadis\n")
    assert res.exit_code != 0 and "--nip is required" in res.output
    assert run(db, "users", "add", "kadis", "--role", "atasan", "--nip", "197001012000011001",
               input="kata-sandi-kadis\n").exit_code == 0
    bad = run(db, "users", "add", "x", "--role", "atasan", "--nip", "199901012020011999", input="kata-sandi-xxx\n")
    assert bad.exit_code != 0 and "not in the roster" in bad.output
    assert run(db, "users", "add", "pendek", "--role", "admin", input="short\n").exit_code != 0
    out = run(db, "users", "list").output
    assert "siti\tpengawas" in out and "kadis\tatasan\t197001012000011001" in out
    assert run(db, "users", "passwd", "siti", input="sandi-baru-siti\n").exit_code == 0
    assert run(db, "users", "set", "siti", "--disable").exit_code == 0
    with Store(db) as s:
        u = s.get_user("siti")
        assert verify_password("sandi-baru-siti", u["password_hash"]) and u["disabled"]
        assert any(e["action"] == "user.update" for e in s.audit_entries("siti"))
    assert run(db, "users", "remove", "siti").exit_code == 0
    assert "siti" not in run(db, "users", "list").output


@pytest.mark.slow
def test_demo_serve_prints_address_and_sign_ins(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(REPO / "config.toml"), "demo",
                             "--serve", "--port", "0"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("listening http://"):
                break
        text = "".join(lines)
        assert "demo-pengawas-2024" in text and "demo-admin-2024" in text and "demo-atasan-2024" in text
        url = lines[-1].split(" ", 1)[1].strip()
        with urllib.request.urlopen(url + "/login", timeout=10) as r:
            assert r.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
