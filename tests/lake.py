"""A PostgreSQL for the DuckLake tests, and a fresh lake per test.

``MONITOR_LAKE_PG_DSN`` set (``.ci/run`` starts a private cluster and exports it): that server is
used. Otherwise, when PostgreSQL's server binaries are installed (Debian: ``/usr/lib/postgresql/N/bin``),
each pytest process (each xdist worker) starts its own throwaway cluster on a free loopback port,
as the ``postgres`` user when running as root, and stops it at the end. Without either the lake
tests are skipped with the reason (CI always has PostgreSQL).

Each test gets its own lake: a new PostgreSQL schema (the catalog and sequences) and a data folder
under the test's ``tmp_path``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from monitor.store.lake import DEFAULT_DSN_ENV, LakeSettings


def _bindir() -> Path | None:
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(d, "initdb")) and os.path.exists(os.path.join(d, "pg_ctl")):
            return Path(d)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_PREFIX = "monitor-pg-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PrivateCluster:
    """``initdb`` + ``pg_ctl start`` in a temporary folder, trust authentication, loopback only.
    The folder names the pytest process that owns it (``owner.pid``): a cluster left behind by a
    killed run is stopped by the next run."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.reap_stale(bindir)
        self.base = Path(tempfile.mkdtemp(prefix=_PREFIX))
        (self.base / "owner.pid").write_text(str(os.getpid()))
        self.port = _free_port()
        self.as_user = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.as_user = "postgres"
            pw = pwd.getpwnam(self.as_user)
            os.chown(self.base, pw.pw_uid, pw.pw_gid)

    @classmethod
    def reap_stale(cls, bindir: Path) -> None:
        for owner in Path(tempfile.gettempdir()).glob(_PREFIX + "*/owner.pid"):
            try:
                pid = int(owner.read_text().strip())
            except (OSError, ValueError):
                continue
            if pid != os.getpid() and not _alive(pid):
                stale = cls.__new__(cls)
                stale.bindir, stale.base = bindir, owner.parent
                stale.as_user = "postgres" if os.geteuid() == 0 else None
                stale.stop()

    def _run(self, *args: str) -> None:
        cmd = [str(a) for a in args]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> str:
        data = self.base / "data"
        self._run(self.bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        opts = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(self.bindir / "pg_ctl", "-D", data, "-l", self.base / "log", "-o", opts, "-w", "start")
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def stop(self) -> None:
        try:
            self._run(self.bindir / "pg_ctl", "-D", self.base / "data", "-m", "immediate", "-w", "stop")
        except (subprocess.SubprocessError, OSError):
            pass
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def lake_dsn():
    """A libpq connection string of a PostgreSQL the lake tests may create schemas in."""
    dsn = os.environ.get(DEFAULT_DSN_ENV)
    if dsn:
        yield dsn
        return
    bindir = _bindir()
    if bindir is None:
        pytest.skip(f"DuckLake tests need PostgreSQL: set {DEFAULT_DSN_ENV} or install the server "
                    "(apt-get install postgresql); .ci/run does both")
    cluster = PrivateCluster(bindir)
    try:
        dsn = cluster.start()
    except (subprocess.SubprocessError, OSError) as exc:
        cluster.stop()
        pytest.skip(f"could not start a private PostgreSQL from {bindir}: {exc}")
    try:
        yield dsn
    finally:
        cluster.stop()


@pytest.fixture
def lake_settings(lake_dsn, tmp_path) -> LakeSettings:
    """A fresh, empty lake: its own PostgreSQL schema and data folder."""
    return LakeSettings(data_path=str(tmp_path / "lake-data"), lake_name="t_" + uuid.uuid4().hex[:16], dsn=lake_dsn)
