"""Disk full and a read-only database: the service stops writing, says so, loses nothing, resumes.

The faults are real: a full disk is the service process's file-size limit lowered from outside
(``prlimit``; a write past it fails with EFBIG exactly where ENOSPC would), a read-only database is
the file's mode (the service runs without CAP_DAC_OVERRIDE when the tests run as root, so the mode
binds it as it binds any service account). DuckDB, the service and its sources are the real ones.
"""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import duckdb
import pytest

from monitor.store import Store
from monitor.store.errors import StorageUnavailable, StoreError, storage_fault
from tests.fakes.mastodon_server import FakeMastodon
from tests.fakes.threaded import serve_in_thread
from tests.helpers import post_line

REPO = Path(__file__).resolve().parents[1]
TOKEN = "rahasia-penyimpanan"


# -- classification (unit level, real DuckDB errors) -------------------------------------------

def test_storage_errors_are_recognised_and_other_errors_are_not(tmp_path):
    db = str(tmp_path / "x.duckdb")
    wal_full = duckdb.TransactionException(
        f'TransactionContext Error: Failed to commit: Could not write file "{db}.wal": No space left on device')
    f = storage_fault(wal_full, db)
    assert f is not None and f.kind == "disk_full" and not f.needs_reopen and "No space left" in str(f)
    too_large = duckdb.IOException(f'IO Error: Could not write file "{db}": File too large')
    assert storage_fault(too_large, db).kind == "disk_full"
    denied = duckdb.TransactionException(f'Failed to commit: Cannot open file "{db}.wal": Permission denied')
    assert storage_fault(denied, db).kind == "read_only"
    fatal = duckdb.FatalException("FATAL Error: Failed: database has been invalidated because of a previous fatal "
                                  "error. Original error: Could not write file: No space left on device")
    f = storage_fault(fatal, db)
    assert f.needs_reopen and f.kind == "disk_full"
    # an OS error, also when it is the cause of another exception
    try:
        try:
            raise OSError(30, "Read-only file system", db + ".wal")
        except OSError as exc:
            raise RuntimeError("write failed") from exc
    except RuntimeError as exc:
        assert storage_fault(exc, db).kind == "read_only"
    # not the database: an export destination, a constraint, a plain bug
    other = duckdb.IOException('IO Error: Cannot open file "/srv/backup/posts.parquet": Permission denied')
    assert storage_fault(other, db) is None
    assert storage_fault(duckdb.ConstraintException("Duplicate key"), db) is None
    assert storage_fault(ValueError("No space left on device"), db) is None


_REAL_FAULTS = r"""
import json, resource, sys, duckdb
path = sys.argv[1]
con = duckdb.connect(path)
con.execute("CREATE TABLE t (i INTEGER PRIMARY KEY, s VARCHAR)")
con.execute("CHECKPOINT")
con.execute("INSERT INTO t VALUES (-1, 'committed before the disk filled up')")  # in the log, not the file
resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))  # no file may grow any more
out = []
for sql in ("INSERT INTO t SELECT i, repeat('x', 50) FROM range(1000) r(i)", "CHECKPOINT", "SELECT count(*) FROM t"):
    try:
        con.execute(sql)
        out.append(None)
    except duckdb.Error as e:
        out.append([type(e).__name__, str(e)])
print(json.dumps(out))
"""


def test_real_duckdb_write_failures_are_classified(tmp_path):
    """The messages DuckDB really gives when a file may not grow: a failed commit leaves the connection
    usable, a failed checkpoint invalidates the database; the failed transaction is not stored."""
    db = str(tmp_path / "real.duckdb")
    res = subprocess.run([sys.executable, "-c", _REAL_FAULTS, db], capture_output=True, text=True, timeout=60)
    commit, checkpoint, read = json.loads(res.stdout)
    assert commit[0] == "TransactionException" and "File too large" in commit[1]
    f = storage_fault(getattr(duckdb, commit[0])(commit[1]), db)
    assert f is not None and f.kind == "disk_full" and not f.needs_reopen
    assert checkpoint[0] == "FatalException"
    f = storage_fault(getattr(duckdb, checkpoint[0])(checkpoint[1]), db)
    assert f is not None and f.kind == "disk_full" and f.needs_reopen
    assert "invalidated" in read[1] and storage_fault(getattr(duckdb, read[0])(read[1]), db).needs_reopen
    with Store(db) as s:  # opens cleanly (the log is replayed): the committed row is there, the failed insert is not
        assert s.con.execute("SELECT i FROM t").fetchall() == [(-1,)]


def test_a_closed_connection_needs_a_reopen(tmp_path):
    s = Store(tmp_path / "c.duckdb")
    s.close()
    with pytest.raises(duckdb.Error) as info:
        s.probe_write()
    f = storage_fault(info.value, s.path)
    assert isinstance(f, StorageUnavailable) and f.needs_reopen


def test_opening_a_read_only_file_is_a_storage_fault(tmp_path):
    path = tmp_path / "ro.duckdb"
    Store(path).close()
    os.chmod(path, 0o444)
    try:
        with open(path, "r+b"):
            pytest.skip("this process ignores file modes (root with CAP_DAC_OVERRIDE)")
    except PermissionError:
        pass
    try:
        with pytest.raises(StoreError) as info:
            Store(path)
        f = storage_fault(info.value, str(path))
        assert f is not None and f.kind == "read_only"
    finally:
        os.chmod(path, 0o644)


# -- the service in-process: a database DuckDB invalidated is reopened ---------------------------

async def test_an_invalidated_database_is_reopened_by_the_probe(tmp_path, aiohttp_client, monkeypatch):
    """A failed checkpoint is fatal in DuckDB: the database refuses every query until reopened.
    DuckDB's own checkpoint-abort switch produces that exact state without filling a disk."""
    from monitor.config import load_config
    from monitor.service.http import make_app
    from monitor.service.runtime import Service

    monkeypatch.setenv("FAULT_TEST_TOKEN", TOKEN)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[store]
path = "inv.duckdb"
[rules]
paths = ["{REPO / 'rules'}"]
[sources.pusher]
type = "webhook"
token_env = "FAULT_TEST_TOKEN"
""", encoding="utf-8")
    svc = Service(load_config(cfg))
    client = await aiohttp_client(make_app(svc))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    svc.start()
    try:
        assert (await client.post("/api/v1/posts", data=post_line("i1", "halo"), headers=auth)).status == 200
        assert svc.scheduler.get_job("storage:probe") is None  # probed only while the fault lasts

        def checkpoint_fails(store):
            store.con.execute("SET debug_checkpoint_abort = 'before_header'")
            store.con.execute("CHECKPOINT")

        with pytest.raises(StorageUnavailable):
            await svc.db(checkpoint_fails)
        r = await client.get("/healthz")
        h = await r.json()
        assert r.status == 503 and h["storage"]["kind"] == "invalidated"
        assert svc.scheduler.get_job("storage:probe") is not None
        r = await client.post("/api/v1/posts", data=post_line("i2", "halo"), headers=auth)
        assert r.status == 503 and r.headers["Retry-After"] == "15"
        with pytest.raises(StorageUnavailable):  # reads fail too until the store is reopened
            await svc.db(lambda s: s.count("posts"))

        assert svc.probe_storage()  # reopens (replaying the log) and commits a small write
        assert (await client.get("/healthz")).status == 200
        assert svc.scheduler.get_job("storage:probe") is None
        assert await svc.db(lambda s: s.count("posts")) == 1
        r = await client.post("/api/v1/posts", data=post_line("i2", "halo"), headers=auth)
        assert r.status == 200 and (await r.json())["new"] == 1
        r = await client.post("/api/v1/posts", data=post_line("i1", "halo"), headers=auth)
        assert (await r.json())["duplicate"] == 1
    finally:
        await svc.stop()
    with Store(tmp_path / "inv.duckdb") as s:
        assert sorted(r[0] for r in s.con.execute("SELECT post_id FROM posts").fetchall()) == ["i1", "i2"]


# -- the service as a process ------------------------------------------------------------------

def write_config(tmp_path: Path, base_url: str) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[store]
path = "faults.duckdb"
[rules]
paths = ["{REPO / 'rules'}"]
[service]
host = "127.0.0.1"
port = 0
grace_s = 10
storage_probe_s = 0.5
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
[sources.pusher]
type = "webhook"
token_env = "FAULT_TEST_TOKEN"
max_items = 100
""", encoding="utf-8")
    return cfg


def _env() -> dict:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "FAULT_TEST_TOKEN": TOKEN}


def import_roster(cfg: Path) -> None:
    subprocess.run([sys.executable, "-m", "monitor", "--config", str(cfg), "roster", "import",
                    str(REPO / "tests" / "data" / "roster_small.csv"), "--by", "test"],
                   check=True, capture_output=True, env=_env(), cwd=cfg.parent)


def without_dac_override() -> list[str]:
    """A command prefix under which file modes bind the service even when the tests run as root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): file modes would not bind the service")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]


def start(cfg: Path, prefix: list[str] = ()):
    cmd = [*prefix, sys.executable, "-m", "monitor", "--config", str(cfg), "serve", "--log-format", "json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
                            cwd=cfg.parent)
    line = proc.stdout.readline().strip()
    assert line.startswith("listening http://"), (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, line.split(" ", 1)[1]


def stop(proc) -> list[dict]:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-3000:]
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def get_health(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def wait_health(url: str, pred, what: str, timeout: float = 60) -> tuple[int, dict]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        code, h = get_health(url)
        if pred(code, h):
            return code, h
        time.sleep(0.1)
    raise AssertionError(f"{what}: {get_health(url)}")


def push(url: str, ids: list[str]) -> tuple[int, dict, dict]:
    body = json.dumps([json.loads(post_line(i, f"Coblos 02! #PrabowoGibran {i}", handle="budi_s")) for i in ids])
    req = urllib.request.Request(url + "/api/v1/posts", data=body.encode(), method="POST",
                                 headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def collected(h: dict, source: str = "masto") -> int:
    return h["sources"][source]["posts_collected"]


def idle(h: dict) -> bool:
    return all(not s["running"] for s in h["sources"].values())


def check_database(path: Path, served_masto: list[str], pushed: list[str]) -> None:
    """Opens cleanly; every served post exactly once; hits all point at stored posts; cursor saved."""
    with Store(path) as s:
        con = s.con
        masto = [r[0] for r in con.execute("SELECT post_id FROM posts WHERE platform = 'mastodon'").fetchall()]
        x = [r[0] for r in con.execute("SELECT post_id FROM posts WHERE platform = 'x'").fetchall()]
        assert sorted(masto) == sorted(served_masto)
        assert sorted(x) == sorted(pushed)
        orphans = con.execute("SELECT count(*) FROM hits h ANTI JOIN posts p USING (platform, post_id)").fetchone()[0]
        assert orphans == 0
        assert s.count("hits") >= len(pushed)  # every pushed post is partisan from a declared account
        assert s.get_cursor("masto")
        con.execute("CHECKPOINT")


def one_line_each(logs: list[dict], *, faults: int = 1, recoveries: int = 1) -> None:
    """One ERROR line per fault and one WARNING line per recovery, however long the fault lasted."""
    down = [e for e in logs if e["msg"].startswith("storage unavailable")]
    up = [e for e in logs if e["msg"].startswith("storage available again")]
    assert len(down) == faults and all(e["level"] == "error" for e in down), down
    assert len(up) == recoveries and all(e["level"] == "warning" for e in up), up


@pytest.mark.slow
def test_disk_full_stops_writing_and_resumes_without_loss(tmp_path):
    fake = FakeMastodon()
    warga = fake.add_account("warga", display_name="Warga")
    served = [fake.add_status(warga, f"Info pemilu {i}", tags=["pemilu2024"])["id"] for i in range(5)]
    pushed: list[str] = []
    with serve_in_thread(fake.app) as base:
        cfg = write_config(tmp_path, base)
        import_roster(cfg)
        proc, url = start(cfg)
        soft, hard = resource.prlimit(proc.pid, resource.RLIMIT_FSIZE)
        try:
            wait_health(url, lambda c, h: collected(h) == 5 and idle(h), "first run")
            code, _, out = push(url, ["w1", "w2"])
            assert code == 200 and out["new"] == 2
            pushed += ["w1", "w2"]

            # the disk fills up: no write to any file of the service may grow it any more
            resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (0, hard))
            served += [fake.add_status(warga, f"Saat penuh {i}", tags=["pemilu2024"])["id"] for i in range(4)]
            code, headers, out = push(url, ["w3", "w4"])
            assert code == 503 and out["error"] == "storage_unavailable" and headers["Retry-After"] == "1"
            code, h = wait_health(url, lambda c, h: c == 503, "healthz reports the fault")
            assert h["status"] == "storage_unavailable"
            assert h["storage"]["kind"] == "disk_full" and "File too large" in h["storage"]["reason"]
            # the probe keeps failing while the disk is full; the intake keeps refusing
            wait_health(url, lambda c, h: h["storage"]["probes"] >= 3, "probes")
            code, _, out = push(url, ["w3", "w4"])
            assert code == 503 and "nothing of this request was stored" in out["message"]
            assert get_health(url)[0] == 503

            # space is back
            resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (soft, hard))
            wait_health(url, lambda c, h: c == 200 and h["status"] == "ok", "recovery")
            code, _, out = push(url, ["w3", "w4"])  # the sender sends again
            assert code == 200 and out["new"] == 2
            pushed += ["w3", "w4"]
            served += [fake.add_status(warga, f"Sesudah {i}", tags=["pemilu2024"])["id"] for i in range(3)]
            wait_health(url, lambda c, h: collected(h) == len(served) and idle(h), "collection resumed")

            # full again, and the service is stopped before space comes back: it still exits cleanly
            # (the write-ahead log it could not fold into the file is replayed at the next open)
            resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (0, hard))
            assert push(url, ["w5"])[0] == 503
            wait_health(url, lambda c, h: c == 503, "second fault")
        finally:
            logs = stop(proc)
    one_line_each(logs, faults=2, recoveries=1)
    check_database(tmp_path / "faults.duckdb", served, pushed)


@pytest.mark.slow
def test_read_only_database_file_starts_degraded_and_resumes_when_writable(tmp_path):
    prefix = without_dac_override()
    fake = FakeMastodon()
    warga = fake.add_account("warga", display_name="Warga")
    served = [fake.add_status(warga, f"Info pemilu {i}", tags=["pemilu2024"])["id"] for i in range(4)]
    db = tmp_path / "faults.duckdb"
    with serve_in_thread(fake.app) as base:
        cfg = write_config(tmp_path, base)
        import_roster(cfg)
        proc, url = start(cfg, prefix)
        try:
            wait_health(url, lambda c, h: collected(h) == 4 and idle(h), "first run")
            assert push(url, ["r1"])[0] == 200
        finally:
            stop(proc)
        pushed = ["r1"]

        os.chmod(db, 0o444)  # e.g. restored from a backup with the wrong mode
        served += [fake.add_status(warga, f"Saat baca saja {i}", tags=["pemilu2024"])["id"] for i in range(3)]
        proc, url = start(cfg, prefix)
        try:
            code, h = get_health(url)
            assert code == 503 and h["status"] == "storage_unavailable" and h["storage"]["kind"] == "read_only"
            assert "Permission denied" in h["storage"]["reason"]
            code, headers, out = push(url, ["r2"])
            assert code == 503 and out["error"] == "storage_unavailable" and "Retry-After" in headers
            wait_health(url, lambda c, h: h["storage"]["probes"] >= 3, "probes")
            assert collected(get_health(url)[1]) == 0  # runs skipped: nothing fetched, cursor kept

            os.chmod(db, 0o644)
            wait_health(url, lambda c, h: c == 200 and h["status"] == "ok", "recovery")
            assert push(url, ["r2"])[0] == 200
            pushed.append("r2")
            wait_health(url, lambda c, h: collected(h) == 3 and idle(h), "collection resumed")
        finally:
            os.chmod(db, 0o644)
            logs = stop(proc)
    one_line_each(logs)
    check_database(db, served, pushed)
