"""The store's core cases on both backends (the local DuckDB file and a DuckLake catalog in
PostgreSQL), and exactly-once ingest into one lake by several processes at once.

The lake fixtures (tests/lake.py) use ``MONITOR_LAKE_PG_DSN`` or start a private PostgreSQL; without
either the DuckLake cases are skipped with the reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from monitor.models import RosterEntry
from monitor.pipeline.ingest import Pipeline
from monitor.store import Store
from monitor.store.duck import sha256_text
from monitor.store.schema import LATEST, MIGRATIONS
from tests.helpers import make_post
from tests.lake_ingest_worker import post as worker_post
from tests.test_ingest_fast_path import TABLES, _batches, evaluator  # noqa: F401  (evaluator: fixture)

REPO = Path(__file__).resolve().parents[1]
DAY = (datetime(2024, 1, 21, tzinfo=timezone.utc), datetime(2024, 1, 22, tzinfo=timezone.utc))


def _open(kind: str, request, tmp_path: Path, cls: type[Store] = Store) -> Store:
    if kind == "duckdb":
        return cls(tmp_path / "t.duckdb")
    return cls("lake", lake=request.getfixturevalue("lake_settings"))


def _reopen(store: Store) -> Store:
    return Store(store.path) if store.lake is None else Store("lake", lake=store.lake)


@pytest.fixture(params=["duckdb", "ducklake"])
def store(request, tmp_path):
    s = _open(request.param, request, tmp_path)
    yield s
    s.close()


def test_migrations_applied_once_and_schema_version(store):
    assert store.schema_version() == LATEST
    with _reopen(store) as again:  # a second open applies nothing
        assert again.schema_version() == LATEST
        rows = again.con.execute("SELECT count(*), count(DISTINCT version) FROM schema_version").fetchone()
        assert rows == (len(MIGRATIONS), len(MIGRATIONS))
        assert again.count("posts") == 0


def test_redelivered_posts_are_stored_once_and_never_overwritten(store):
    store.commit_batch(source="t", posts=[make_post("1", "asli", raw="A")], cursor={"page": 1})
    store.commit_batch(source="t", posts=[make_post("1", "diubah", raw="B"), make_post("2", raw="C")],
                       cursor={"page": 2})
    store.commit_batch(source="t", posts=[make_post("1", "asli", raw="A")])  # re-delivered
    row = store.post("x", "1")
    assert row["text"] == "asli" and row["raw"] == "A" and row["raw_sha256"] == sha256_text("A")
    assert row["created_at"] == datetime(2024, 1, 21, 3, 0, tzinfo=timezone.utc)
    assert store.count("posts") == 2
    assert store.get_cursor("t") == {"page": 2}
    assert store.known_payloads("x", ["1", "2", "3"]) == {"1": sha256_text("A"), "2": sha256_text("C")}


def test_quarantine_ids_follow_input_order(store):
    store.commit_batch(source="s", posts=[], quarantined=[("{oops", "baris 3: JSON tidak valid"), ("{}", "kosong")])
    store.commit_batch(source="s", posts=[], quarantined=[("[", "baris 9")])
    q = store.quarantined()
    assert [(r["id"], r["payload"], r["reason"]) for r in q] == [
        (1, "{oops", "baris 3: JSON tidak valid"), (2, "{}", "kosong"), (3, "[", "baris 9")]
    assert q[0]["payload_sha256"] == sha256_text("{oops")


@pytest.mark.parametrize("kind", ["duckdb", "ducklake"])
def test_batch_and_cursor_commit_together_or_not_at_all(kind, request, tmp_path):
    class CrashingStore(Store):
        def _write_cursor(self, source, cursor, now):
            raise RuntimeError("power cut between posts and cursor")

    with _open(kind, request, tmp_path, CrashingStore) as s:
        with pytest.raises(RuntimeError):
            s.commit_batch(source="src", posts=[make_post("1"), make_post("2")],
                           quarantined=[("{bad", "invalid JSON")], cursor={"offset": 2})
        assert (s.count("posts"), s.count("quarantine"), s.get_cursor("src")) == (0, 0, None)
        s.commit_batch(source="src", posts=[make_post("1")], cursor=None)  # the connection is usable after it
        assert s.count("posts") == 1


def test_roster_import_and_audit(store):
    entries = [RosterEntry(nip="198501012010011001", nama="Budi Santoso", akun=[{"platform": "x", "value": "budi"}])]
    first = store.replace_roster(entries, file="a.csv", file_sha256="x", skipped=0, actor="t")
    second = store.replace_roster(entries, file="b.csv", file_sha256="y", skipped=0, actor="t")
    assert (first, second) == (1, 2) and store.roster_version() == 2
    assert [e.akun[0].value for e in store.roster_entries()] == ["budi"] and store.roster_count() == 1
    assert [a["action"] for a in store.audit_entries()] == ["roster.import", "roster.import"]
    store.set_meta("k", "1")
    store.set_meta("k", "2")
    store.record_ruleset("v1", ["a.yaml"], [])
    store.record_ruleset("v1", ["a.yaml"], [])
    assert store.get_meta("k") == "2"
    assert store.con.execute("SELECT count(*) FROM meta WHERE key = 'k'").fetchone()[0] == 1
    assert store.con.execute("SELECT count(*) FROM rulesets").fetchone()[0] == 1


def _ingest_and_review(store: Store, evaluator) -> list:  # noqa: F811
    results = [Pipeline(store, evaluator).process(src, batch, save_cursor=save) for src, batch, save in _batches()]
    hit_ids = [r["hit_id"] for r in store.list_hits(start=DAY[0], end=DAY[1])]
    store.review_hit(hit_ids[0], status="dikonfirmasi", reason="akun resmi yang dinyatakan", actor="pengawas1")
    store.review_hit(hit_ids[-1], status="ditolak", reason="bukan konten kampanye", actor="pengawas1")
    return results


def test_ingest_review_and_daily_list_match_the_local_file(request, tmp_path, evaluator):  # noqa: F811
    """The same batches (repeats, a re-run, edits, quarantine, hits, two platforms) and reviews on
    both backends leave the same rows in every table and the same daily list."""
    with Store(tmp_path / "local.duckdb") as local, _open("ducklake", request, tmp_path) as lake:
        want = _ingest_and_review(local, evaluator)
        got = _ingest_and_review(lake, evaluator)
        assert got == want
        assert sum(r.new for r in got) == 11 and sum(r.revised for r in got) == 4 and sum(r.hits for r in got) == 4
        for table, sql in TABLES.items():
            if table == "hits":
                sql = "SELECT * EXCLUDE (detected_at, reviewed_at) FROM hits ORDER BY hit_id"
            assert lake._dicts(sql) == local._dicts(sql), table
        keep = ("hit_id", "platform", "post_id", "nip", "nama", "score", "status", "reviewer", "review_reason",
                "rules", "explanation", "raw_sha256", "scored_revision")
        listed = [[{k: h[k] for k in keep} for h in s.list_hits(start=DAY[0], end=DAY[1])] for s in (local, lake)]
        assert listed[0] == listed[1] and len(listed[0]) == 4
        assert {h["status"] for h in listed[1]} == {"baru", "dikonfirmasi", "ditolak"}
        actions = [[(a["action"], a["object"]) for a in s.audit_entries()] for s in (local, lake)]
        assert actions[0] == actions[1]


def _run_workers(lake_settings, jobs: list[dict]) -> list[dict]:
    base = {"dsn": lake_settings.dsn, "lake_name": lake_settings.lake_name, "data_path": lake_settings.data_path}
    procs = [subprocess.Popen([sys.executable, "-m", "tests.lake_ingest_worker", json.dumps({**base, **job})],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for job in jobs]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=600)
        assert p.returncode == 0, stderr[-3000:]
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


@pytest.mark.slow
def test_offices_starting_together_apply_each_migration_once(lake_settings):
    _run_workers(lake_settings, [{"office": k, "batches": []} for k in range(3)])
    with Store("lake", lake=lake_settings) as s:
        versions = [r[0] for r in s.con.execute("SELECT version FROM schema_version ORDER BY version").fetchall()]
    assert versions == sorted(m[0] for m in MIGRATIONS)


@pytest.mark.slow
def test_three_offices_ingest_overlapping_batches_exactly_once(lake_settings):
    """Three processes write overlapping id ranges into one lake at the same time (each also
    re-delivers its first batch): every (platform, post_id) is stored once, every post is counted
    new by exactly one office, every partisan post has exactly one hit, no batch is lost."""
    with Store("lake", lake=lake_settings):
        pass  # the schema first: this test is about ingest (the one above is about migrations)
    jobs = [{"office": k, "batches": [[lo, lo + 40] for lo in range(k * 60, k * 60 + 200, 40)]} for k in range(3)]
    results = _run_workers(lake_settings, jobs)
    ids = sorted({i for job in jobs for lo, hi in job["batches"] for i in range(lo, hi)})
    with Store("lake", lake=lake_settings) as s:
        rows = s.con.execute("SELECT platform, post_id, count(*) FROM posts GROUP BY ALL").fetchall()
        assert all(n == 1 for _p, _i, n in rows)
        assert sorted((p, int(i)) for p, i, _n in rows) == sorted((worker_post(i).platform, i) for i in ids)
        hits = s.con.execute("SELECT hit_id, count(*) FROM hits GROUP BY ALL").fetchall()
        assert all(n == 1 for _h, n in hits) and len(hits) == len([i for i in ids if i % 7 == 0])
        cursors = {r[0]: json.loads(r[1]) for r in s.con.execute("SELECT source, cursor FROM cursors").fetchall()}
    assert sum(r["new"] for r in results) == len(ids)
    assert sum(r["hits"] for r in results) == len(hits)
    assert cursors == {f"office{k}": {"batch": len(jobs[k]["batches"])} for k in range(3)}
    print("commit conflicts retried:", sum(r["retries"] for r in results),
          "batches fetched again:", sum(r["refetched"] for r in results))


def test_a_commit_conflict_runs_the_transaction_again_then_gives_up(lake_settings):
    """Another office commits a write to the same table while this transaction is open: DuckLake
    refuses this commit ("Transaction conflict"), :meth:`Store.retrying` runs it again; a
    transaction that always loses fails with StoreConflictError and leaves nothing behind."""
    from monitor.store.lake import MAX_ATTEMPTS, StoreConflictError

    now = datetime.now(timezone.utc)
    with Store("lake", lake=lake_settings) as a, Store("lake", lake=lake_settings) as b:
        a.commit_batch(source="s1", posts=[], cursor={"n": 0})
        b.commit_batch(source="s2", posts=[], cursor={"n": 0})
        attempts: list[int] = []

        def write(conflicts: int):
            attempts.append(1)
            b.con.begin()
            try:
                b._write_cursor("s2", {"n": len(attempts)}, now)
                if len(attempts) <= conflicts:  # the other office commits meanwhile
                    a.commit_batch(source="s1", posts=[], cursor={"n": len(attempts)})
                b.con.commit()
            except BaseException:
                if b.con._in_tx:
                    b.con.rollback()
                raise

        b.retrying(lambda: write(1))
        assert len(attempts) == 2 and b.get_cursor("s2") == {"n": 2} and b.get_cursor("s1") == {"n": 1}
        attempts.clear()
        with pytest.raises(StoreConflictError):
            b.retrying(lambda: write(MAX_ATTEMPTS))
        assert len(attempts) == MAX_ATTEMPTS and b.get_cursor("s2") == {"n": 2}


def test_advisory_locks_are_held_until_the_outermost_block_ends(lake_dsn):
    from monitor.store.lake import AdvisoryLocks

    def free(k: int) -> bool:  # asked from another PostgreSQL session (another office)
        return other.con.execute(
            f"SELECT * FROM postgres_query('pg', 'SELECT pg_try_advisory_lock({k}) AS ok, "
            f"pg_advisory_unlock_all()::text AS u')").fetchone()[0]

    locks, other = AdvisoryLocks(lake_dsn), AdvisoryLocks(lake_dsn)
    try:
        with locks.hold([11]):
            assert not free(11) and free(12)
            with locks.hold([11, 12]):  # nested: adds 12
                assert not free(12)
            assert not free(12)  # still held: only the outermost block releases
        assert free(11) and free(12)
    finally:
        locks.close()
        other.close()


def test_a_duplicate_key_is_refused_as_locally(store):
    """DuckLake enforces no key: plain inserts into keyed tables are checked first, so what the
    primary key refuses on the file is refused on the lake too (and the transaction rolls back)."""
    import duckdb

    entries = [RosterEntry(nip="198501012010011001", nama="Budi Santoso", akun=[{"platform": "x", "value": "budi"}])]
    store.replace_roster(entries, file="a.csv", file_sha256="x", skipped=0, actor="t")
    bad = [RosterEntry(nip="198501012010011002", nama="Ani"), RosterEntry(nip="198501012010011002", nama="Ani lagi")]
    with pytest.raises(duckdb.ConstraintException):
        store.replace_roster(bad, file="b.csv", file_sha256="y", skipped=0, actor="t")
    assert [e.nama for e in store.roster_entries()] == ["Budi Santoso"] and store.roster_version() == 1
    store.add_user("ani", "pengawas", "scrypt$x")
    with pytest.raises(duckdb.ConstraintException):
        store.add_user("ani", "admin", "scrypt$y")
    assert [u["role"] for u in store.list_users()] == ["pengawas"]


def test_config_selects_the_lake_and_ingest_goes_into_it(lake_settings, tmp_path, monkeypatch):
    """``[store] backend = "ducklake"``: ``monitor ingest`` writes into the lake named by the config,
    connecting through the environment variable it names; re-ingesting stores nothing twice;
    ``--db FILE`` still selects a local file."""
    from click.testing import CliRunner

    from monitor.cli import cli
    from monitor.config import ConfigError, load_config
    from monitor.store.lake import LakeSettings
    from tests.helpers import post_line

    monkeypatch.setenv("OFFICE_LAKE_DSN", lake_settings.dsn)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[store]\nbackend = "ducklake"\ndata_path = "shared-lake"\nlake_name = "{lake_settings.lake_name}"\n'
                   f'pg_dsn_env = "OFFICE_LAKE_DSN"\n[rules]\npaths = ["{REPO / "rules"}"]\n', encoding="utf-8")
    posts = tmp_path / "posts.jsonl"
    posts.write_text("\n".join(post_line(str(i), f"kabar {i}") for i in range(5)) + "\n", encoding="utf-8")
    runner = CliRunner()
    for _ in range(2):
        res = runner.invoke(cli, ["--config", str(cfg), "ingest", str(posts)])
        assert res.exit_code == 0, res.output
    assert not (tmp_path / "data").exists()  # no local file was created
    settings = LakeSettings(data_path=str(tmp_path / "shared-lake"), lake_name=lake_settings.lake_name,
                            dsn=lake_settings.dsn)
    with Store("lake", lake=settings) as s:
        assert s.count("posts") == 5
    res = runner.invoke(cli, ["--config", str(cfg), "--db", str(tmp_path / "local.duckdb"), "ingest", str(posts)])
    assert res.exit_code == 0, res.output
    with Store(tmp_path / "local.duckdb") as s:
        assert s.count("posts") == 5
    cfg.write_text('[store]\nbackend = "ducklake"\nlake_name = "bad-name"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="lake_name"):
        load_config(cfg)


def test_lake_status_and_maintenance_keep_every_row(lake_settings, tmp_path, monkeypatch):
    """``monitor lake maintain`` merges the small files of many commits and expires old snapshots;
    every row stays; ``monitor lake status`` reports the catalog; on a local file both refuse."""
    from click.testing import CliRunner

    from monitor.cli import cli
    from monitor.store.lake_maint import lake_maintain, lake_status

    with Store("lake", lake=lake_settings) as s:
        for i in range(4):
            s.commit_batch(source="t", posts=[make_post(str(j)) for j in range(i * 50, i * 50 + 50)], cursor={"i": i})
        before = lake_status(s)
        assert before["tables"] and before["snapshots"] > 4 and before["schema_version"] == LATEST
        done = lake_maintain(s, keep_days=0, grace_s=0)
        assert done["merged_tables"] >= 1 and done["expired_snapshots"] >= before["snapshots"] - 1
        after = lake_status(s)
        assert after["snapshots"] < before["snapshots"]
        posts = next(t for t in after["tables"] if t["table"] == "posts")
        assert posts["files"] == 1
        assert s.count("posts") == 200 and s.get_cursor("t") == {"i": 3}
        assert s.audit_entries()[-1]["action"] == "lake.maintain"
    monkeypatch.setenv("MONITOR_LAKE_PG_DSN", lake_settings.dsn)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[store]\nbackend = "ducklake"\ndata_path = "{lake_settings.data_path}"\n'
                   f'lake_name = "{lake_settings.lake_name}"\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["--config", str(cfg), "--lang", "en", "lake", "status"])
    assert res.exit_code == 0, res.output
    assert f"Lake {lake_settings.lake_name}" in res.output and "posts" in res.output
    cfg.write_text('[store]\nbackend = "duckdb"\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["--config", str(cfg), "--lang", "en", "lake", "status"])
    assert res.exit_code == 2 and "not a DuckLake" in res.output
