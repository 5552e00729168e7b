import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone

import pytest

from monitor.models import RosterEntry
from monitor.store import Store, StoreLockedError
from monitor.store.duck import canonical_payload, sha256_text
from monitor.store.schema import LATEST
from tests.helpers import make_post


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "t.duckdb")
    yield s
    s.close()


def test_migrations_are_versioned_and_reopen_cleanly(tmp_path):
    path = tmp_path / "m.duckdb"
    with Store(path) as s:
        assert s.schema_version() == LATEST
    with Store(path) as s:  # second open applies nothing new
        assert s.schema_version() == LATEST
        assert s.count("posts") == 0


def test_posts_keep_raw_payload_and_hash(store):
    p = make_post("1", "halo", raw='{"id":"1","text":"halo"}')
    store.commit_batch(source="t", posts=[p])
    row = store.post("x", "1")
    assert row["raw"] == '{"id":"1","text":"halo"}'
    assert row["raw_sha256"] == sha256_text('{"id":"1","text":"halo"}')
    assert row["created_at"] == datetime(2024, 1, 21, 3, 0, tzinfo=timezone.utc)


def test_insert_never_overwrites_a_stored_post(store):
    store.commit_batch(source="t", posts=[make_post("1", "asli", raw="A")])
    store.commit_batch(source="t", posts=[make_post("1", "diubah", raw="B")])
    assert store.post("x", "1")["text"] == "asli"
    assert store.count("posts") == 1


def test_known_payloads(store):
    p = make_post("1", raw="A")
    store.commit_batch(source="t", posts=[p])
    assert store.known_payloads("x", ["1", "2"]) == {"1": sha256_text("A")}
    assert store.known_payloads("mastodon", ["1"]) == {}


def test_batch_is_atomic_with_its_cursor(tmp_path):
    class CrashingStore(Store):
        def _write_cursor(self, source, cursor, now):
            raise RuntimeError("power cut between posts and cursor")

    with CrashingStore(tmp_path / "c.duckdb") as s:
        with pytest.raises(RuntimeError):
            s.commit_batch(source="src", posts=[make_post("1"), make_post("2")],
                           quarantined=[("{bad", "invalid JSON")], cursor={"offset": 2})
        assert s.count("posts") == 0
        assert s.count("quarantine") == 0
        assert s.get_cursor("src") is None


def test_cursor_roundtrip(store):
    store.commit_batch(source="src", posts=[], cursor={"files": {"a": {"offset": 10}}})
    assert store.get_cursor("src") == {"files": {"a": {"offset": 10}}}
    store.commit_batch(source="src", posts=[], cursor={"files": {"a": {"offset": 20}}})
    assert store.get_cursor("src") == {"files": {"a": {"offset": 20}}}


def test_quarantine_keeps_payload_and_reason(store):
    store.commit_batch(source="s", posts=[], quarantined=[("{oops", "line 3: invalid JSON")])
    q = store.quarantined()
    assert q[0]["payload"] == "{oops" and q[0]["reason"] == "line 3: invalid JSON"
    assert q[0]["payload_sha256"] == sha256_text("{oops")


def test_canonical_payload_without_raw_is_the_post_json():
    p = make_post("9", "teks")
    assert '"post_id":"9"' in canonical_payload(p)


def _entry(nip, nama, atasan=None):
    return RosterEntry(nip=nip, nama=nama, atasan_nip=atasan, akun=[{"platform": "x", "value": nama.split()[0].lower()}])


def test_roster_replace_is_atomic(store):
    store.replace_roster([_entry("198501012010011001", "Budi Santoso")], file="a.csv", file_sha256="x", skipped=0, actor="t")
    v1 = store.roster_version()
    bad = [_entry("198501012010011002", "Ani"), _entry("198501012010011002", "Ani lagi")]  # duplicate key
    with pytest.raises(Exception):
        store.replace_roster(bad, file="b.csv", file_sha256="y", skipped=0, actor="t")
    entries = store.roster_entries()
    assert [e.nama for e in entries] == ["Budi Santoso"]
    assert entries[0].akun[0].value == "budi"
    assert store.roster_version() == v1


def test_second_process_gets_a_clear_lock_error(tmp_path):
    path = tmp_path / "locked.duckdb"
    Store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(path)!r})
            print("ready", flush=True)
            time.sleep(30)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLockedError) as e:
            Store(path)
        assert e.value.pid == holder.pid
        assert str(holder.pid) in str(e.value)
    finally:
        holder.kill()
        holder.wait()
