"""``monitor backup`` / ``monitor restore``: every table of the catalogue round-trips, same rows and hashes."""

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import duckdb
import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.store import Store
from monitor.store.backup import table_fingerprints, table_names
from tests.helpers import make_post, post_line
from tests.test_serve_process import REPO, health, start, stop, wait_runs
from tests.webutil import build_demo_db


def fingerprints(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return table_fingerprints(con)
    finally:
        con.close()


def run(*args):
    res = CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False)
    return res


def populate(tmp_path):
    """The demo database plus a row in the tables the demo leaves empty."""
    build_demo_db(tmp_path)
    db = tmp_path / "web.duckdb"
    now = datetime.now(timezone.utc)
    with Store(db) as s:
        hits = s.con.execute("SELECT hit_id, nip FROM hits WHERE nip IS NOT NULL AND NOT ambiguous "
                             "AND identity_method <> 'declared_account' ORDER BY hit_id LIMIT 3").fetchall()
        s.review_hit(hits[0][0], status="dikonfirmasi", reason="jelas", actor="pengawas1", nip=hits[0][1])
        s.review_hit(hits[1][0], status="ditolak", reason="bukan orangnya", actor="pengawas1")
        s.set_legal_hold(hits[0][0], hold=True, actor="admin1", reason="perkara 12/2024")
        s.commit_batch(source="t", posts=[make_post("bk1", "halo")], quarantined=[("{bad", "invalid JSON")],
                       cursor={"since": "x'y\"z"})
        s.commit_batch(source="t", posts=[], revisions=[make_post("bk1", "halo lagi", raw="R2")])
        s.create_session("sid", "admin1", "csrf", now + timedelta(hours=1))
        s.add_rule_version("a.yaml", "rules: []\n", "0" * 64, "admin1", "kosong")
        s.purge(unmatched_before=now - timedelta(days=3650), quarantine_before=None, actor="retention",
                keep_authors=[])
        s.con.execute("INSERT INTO alerts (alert_id, hit_id, recipient_nip, level, kind, created_at, due_at) "
                      "VALUES ('A1', ?, '196001011990031001', 1, 'urgent', ?, ?)", [hits[0][0], now, now])
        s.con.execute("INSERT INTO alert_digests VALUES ('D1', '196001011990031001', current_date, ?)", [now])
        s.con.execute("INSERT INTO alert_deliveries (delivery_id, message_id, message_kind, channel, recipient_nip, "
                      "status, next_attempt_at, created_at) VALUES ('A1:email', 'A1', 'alert', 'email', "
                      "'196001011990031001', 'sent', ?, ?)", [now, now])
        # a table no code knows about yet is covered too: tables come from the catalogue
        s.con.execute("CREATE TABLE zz_future (id INTEGER, note VARCHAR, seen TIMESTAMPTZ)")
        s.con.execute("INSERT INTO zz_future VALUES (1, 'teks ''kutip'' \"ganda\" ✌', ?)", [now])
    return db


def test_backup_and_restore_round_trip_every_table(tmp_path):
    db = populate(tmp_path)
    before = fingerprints(db)
    empty = sorted(n for n, fp in before.items() if fp["rows"] == 0)
    assert {"posts", "hits", "roster", "accounts", "audit_log", "users", "sessions", "alerts", "quarantine",
            "post_revisions", "account_links", "retention_runs", "zz_future"}.isdisjoint(empty), empty

    res = run("--db", db, "--lang", "en", "backup", tmp_path / "bk")
    assert res.exit_code == 0, res.output
    assert f"{len(before)} tables" in res.output
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    assert manifest["tables"] == before

    # the folder may be moved before it is restored
    (tmp_path / "bk").rename(tmp_path / "moved")
    target = tmp_path / "restored" / "new.duckdb"
    res = run("--db", target, "--lang", "en", "restore", tmp_path / "moved")
    assert res.exit_code == 0, res.output
    after = fingerprints(target)
    assert set(after) == set(before)
    for name in before:
        assert after[name] == before[name], name
    with Store(target) as s:  # opens cleanly; the migration version came along
        assert s.schema_version() == manifest["schema_version"] > 0
        assert s.con.execute("SELECT nextval('audit_seq')").fetchone()[0] > before["audit_log"]["rows"]


def test_restore_refuses_a_database_with_data_unless_forced(tmp_path):
    db = tmp_path / "a.duckdb"
    with Store(db) as s:
        s.commit_batch(source="t", posts=[make_post("1", "satu")])
    assert run("--db", db, "backup", tmp_path / "bk").exit_code == 0
    assert run("--db", db, "backup", tmp_path / "bk").exit_code == 1  # never into an existing backup

    other = tmp_path / "b.duckdb"
    with Store(other) as s:
        s.commit_batch(source="t", posts=[make_post("2", "dua"), make_post("3", "tiga")])
    res = run("--db", other, "--lang", "en", "restore", tmp_path / "bk")
    assert res.exit_code == 1 and "already holds data" in res.output
    assert Store(other).count("posts") == 2

    res = run("--db", other, "--lang", "en", "restore", "--force", tmp_path / "bk")
    assert res.exit_code == 0, res.output
    kept = list(tmp_path.glob("b.duckdb.replaced-*"))
    assert len(kept) == 1 and "kept as" in res.output  # the replaced file is renamed, not deleted
    with Store(other) as s:
        assert [r[0] for r in s.con.execute("SELECT post_id FROM posts").fetchall()] == ["1"]
    with Store(kept[0]) as s:
        assert s.count("posts") == 2

    # an empty (migrated, row-less) file is a fine target without --force
    empty = tmp_path / "c.duckdb"
    Store(empty).close()
    assert run("--db", empty, "restore", tmp_path / "bk").exit_code == 0


def test_a_tampered_backup_is_refused(tmp_path):
    db = tmp_path / "a.duckdb"
    with Store(db) as s:
        s.commit_batch(source="t", posts=[make_post("1", "satu")])
    assert run("--db", db, "backup", tmp_path / "bk").exit_code == 0
    m = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    m["tables"]["posts"]["rows"] = 2
    (tmp_path / "bk" / "manifest.json").write_text(json.dumps(m))
    res = run("--db", tmp_path / "r.duckdb", "--lang", "en", "restore", tmp_path / "bk")
    assert res.exit_code == 1 and "posts" in res.output
    assert not (tmp_path / "r.duckdb").exists()


@pytest.mark.slow
def test_backup_while_the_service_runs_is_taken_by_the_service(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[store]
path = "serve.duckdb"
[rules]
paths = ["{REPO / 'rules'}"]
[service]
host = "127.0.0.1"
port = 0
[sources.inbox]
type = "jsonl"
path = "inbox"
interval_s = 1
""", encoding="utf-8")
    (inbox / "a.jsonl").write_text("".join(post_line(f"a{i}", f"teks {i}") + "\n" for i in range(50)),
                                   encoding="utf-8")
    proc, url = start(cfg)
    try:
        wait_runs(url, 1)
        assert (tmp_path / "serve.duckdb.control.json").stat().st_mode & 0o077 == 0  # owner-only
        (inbox / "b.jsonl").write_text("".join(post_line(f"b{i}", f"teks {i}") + "\n" for i in range(50)),
                                       encoding="utf-8")
        out = subprocess.run([sys.executable, "-m", "monitor", "--config", str(cfg), "--lang", "en", "backup",
                              str(tmp_path / "bk")], capture_output=True, text=True, cwd=tmp_path, timeout=120)
        assert out.returncode == 0, out.stderr
        assert "by the running service" in out.stdout
        # a wrong token is refused
        import urllib.error
        import urllib.request
        req = urllib.request.Request(url + "/api/v1/control/backup", data=b'{"dest": "/tmp/x"}', method="POST",
                                     headers={"Authorization": "Bearer wrong"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=5)
        assert err.value.code == 403
        # b.jsonl was written before the backup: a run that starts after it has certainly read it
        runs = health(url)["sources"]["inbox"]["runs"]
        wait_runs(url, runs + 2)
    finally:
        stop(proc)
    assert not (tmp_path / "serve.duckdb.control.json").exists()
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    assert manifest["tables"]["posts"]["rows"] in (50, 100)  # a whole batch or none, never half
    res = run("--db", tmp_path / "copy.duckdb", "restore", tmp_path / "bk")
    assert res.exit_code == 0, res.output
    assert fingerprints(tmp_path / "copy.duckdb") == manifest["tables"]
    with Store(tmp_path / "serve.duckdb") as s:
        assert s.count("posts") == 100
        assert [e["action"] for e in s.audit_entries(str(tmp_path / "bk"))] == ["backup.export"]
    assert set(table_names(duckdb.connect(str(tmp_path / "copy.duckdb"), read_only=True))) == set(manifest["tables"])
