"""Consistent backups of the DuckDB store and their restore.

A backup is a folder written by DuckDB's ``EXPORT DATABASE`` (one Parquet file per table, plus
``schema.sql`` and ``load.sql`` with sequences at their current values) and a ``manifest.json``
holding, for every table of the catalogue, its row count and a content hash. The export runs in one
transaction of the connection that owns the file; the service takes it under its writer lock, so
no batch is half in a backup. The folder is written under a temporary name and renamed when
complete: a folder with a manifest is a whole backup.

Restore builds a NEW database file from a backup (next to the target, then renamed into place),
checks every table's count and hash against the manifest, and never overwrites a database that
holds rows unless forced; even then the old file is kept, renamed, not deleted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from monitor.store.errors import StoreError, parse_lock_error
from monitor.store.schema import LATEST

FORMAT = "monitor-backup/1"
MANIFEST = "manifest.json"


class BackupError(StoreError):
    pass


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every base table of the database, from DuckDB's catalogue (new tables are covered unasked)."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT temporary ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def table_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """``table -> {"rows": n, "sha256": h}``; the hash is over every row's full text, order-independent."""
    con.execute("SET TimeZone = 'UTC'")
    out: dict[str, dict[str, Any]] = {}
    for name in table_names(con):
        n, h = con.execute(
            f"SELECT count(*), coalesce(sha256(string_agg(h, ',' ORDER BY h)), '') "
            f"FROM (SELECT md5(CAST(_r AS VARCHAR)) AS h FROM {_q(name)} AS _r)"
        ).fetchone()
        out[name] = {"rows": int(n), "sha256": h}
    return out


def _schema_version(con: duckdb.DuckDBPyConnection) -> int:
    if "schema_version" not in table_names(con):
        return 0
    return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0])


def export_database(con: duckdb.DuckDBPyConnection, dest: Path | str) -> dict:
    """Write a backup of the database behind ``con`` into the new folder ``dest``; return the manifest.

    The caller must hold the writer's turn (the service's lock) so nothing commits meanwhile;
    counts, hashes and the export are read in one transaction in any case.
    """
    dest = Path(dest).absolute()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"backup destination {dest} exists and is not an empty folder")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    con.execute("SET TimeZone = 'UTC'")
    con.begin()
    try:
        tables = table_fingerprints(con)
        version = _schema_version(con)
        lit = str(tmp).replace("'", "''")
        con.execute(f"EXPORT DATABASE '{lit}' (FORMAT parquet)")
        con.commit()
    except Exception:
        con.rollback()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(timezone.utc).isoformat(),
        "schema_version": version,
        "duckdb_version": duckdb.__version__,
        "exported_to": str(tmp),
        "tables": tables,
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    if dest.exists():
        dest.rmdir()
    os.replace(tmp, dest)
    return manifest


def read_manifest(src: Path | str) -> dict:
    path = Path(src) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{src} is not a complete backup: {MANIFEST} is missing") from exc
    except ValueError as exc:
        raise BackupError(f"{path}: not valid JSON ({exc})") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}")
    return manifest


_COPY_RE = re.compile(r"FROM '((?:[^']|'')*)'")


def _load_sql(src: Path, manifest: dict) -> str:
    """``load.sql`` with the Parquet paths pointing into ``src`` (the folder may have moved)."""
    text = (src / "load.sql").read_text(encoding="utf-8")

    def repl(m: re.Match) -> str:
        name = Path(m.group(1).replace("''", "'")).name
        if "/" in name or "\\" in name or name.startswith("."):
            raise BackupError(f"{src}/load.sql: unexpected file name {name!r}")
        return "FROM '" + str((src / name).absolute()).replace("'", "''") + "'"

    return _COPY_RE.sub(repl, text)


def _holds_rows(path: Path) -> bool:
    """True when an existing database file has a row in any table (a migrated, empty file does not)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        locked = parse_lock_error(str(path), str(exc))
        if locked:
            raise locked from exc
        raise BackupError(f"cannot open {path}: {exc}") from exc
    try:
        return any(fp["rows"] for name, fp in table_fingerprints(con).items() if name != "schema_version")
    finally:
        con.close()


def restore_database(src: Path | str, db_path: Path | str, *, force: bool = False) -> dict:
    """Build ``db_path`` from the backup in ``src``; verify every table; return a summary.

    Refuses when ``db_path`` holds rows unless ``force``; a forced restore renames the old file
    (and its WAL) to ``<name>.replaced-<UTC time>`` instead of deleting it.
    """
    src = Path(src).absolute()
    db_path = Path(db_path).absolute()
    manifest = read_manifest(src)
    if int(manifest.get("schema_version") or 0) > LATEST:
        raise BackupError(
            f"backup has schema version {manifest['schema_version']}, newer than this program ({LATEST})")
    replaced = None
    if db_path.exists() and db_path.stat().st_size > 0 and _holds_rows(db_path):
        if not force:
            raise BackupError(f"database {db_path} already holds data; restore into a new file or use --force")
        replaced = db_path.with_name(f"{db_path.name}.replaced-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f".{db_path.name}.restoring-{os.getpid()}")
    for p in (tmp, Path(str(tmp) + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.begin()
        con.execute((src / "schema.sql").read_text(encoding="utf-8"))
        con.execute(_load_sql(src, manifest))
        con.commit()
        got = table_fingerprints(con)
        want = manifest["tables"]
        bad = sorted(n for n in set(got) | set(want) if got.get(n) != want.get(n))
        if bad:
            raise BackupError("restored tables differ from the backup's manifest: " + ", ".join(bad))
        version = _schema_version(con)
        con.execute("CHECKPOINT")
    except duckdb.Error as exc:
        con.close()
        tmp.unlink(missing_ok=True)
        raise BackupError(f"restore from {src} failed: {exc}") from exc
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    if replaced is not None:
        os.replace(db_path, replaced)
        wal = Path(str(db_path) + ".wal")
        if wal.exists():
            os.replace(wal, Path(str(replaced) + ".wal"))
    else:  # an existing file without rows (or none): its WAL must not be replayed onto the restored file
        Path(str(db_path) + ".wal").unlink(missing_ok=True)
    os.replace(tmp, db_path)
    Path(str(tmp) + ".wal").unlink(missing_ok=True)
    return {"tables": len(got), "rows": sum(fp["rows"] for fp in got.values()), "schema_version": version,
            "replaced": str(replaced) if replaced else None}
