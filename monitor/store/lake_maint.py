"""Health and upkeep of a DuckLake store: what ``monitor lake status`` shows and ``lake maintain`` does.

Every small commit of every office leaves a snapshot and small files (or rows inlined in the
catalog). Upkeep, each step a DuckLake function:

1. ``ducklake_flush_inlined_data``: rows inlined in the PostgreSQL catalog go to Parquet files;
2. ``ducklake_merge_adjacent_files``: small files of a table are merged;
3. ``ducklake_expire_snapshots(older_than)``: snapshots older than ``keep_days`` go, so time travel
   reaches back that far and no further. Retention (``[retention]``) deletes rows in a new snapshot;
   the deleted data stays readable in older snapshots until they expire, so ``keep_days`` bounds how
   long removed personal data survives;
4. ``ducklake_cleanup_old_files``: files no remaining snapshot needs are deleted once they have been
   unneeded for ``grace_s`` (default one hour: a query still reading an expired snapshot finishes;
   files expired by this run go on the next run).

A step can lose a commit conflict against an office writing at the same time: it is run again
(:meth:`Store.retrying`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from monitor.store.errors import StoreError

if TYPE_CHECKING:
    from monitor.store.duck import Store


def _lake(store: "Store") -> str:
    if getattr(store, "lake", None) is None:
        raise StoreError(f"{store.path} is a local DuckDB file, not a DuckLake store ([store] backend)")
    return store.con.ALIAS


def lake_status(store: "Store") -> dict[str, Any]:
    """Catalog health: snapshots (count, oldest, latest), files per table, schema version."""
    lake = _lake(store)
    con = store.con
    snap = con.execute(f"SELECT count(*), min(snapshot_time), max(snapshot_time), max(snapshot_id) "
                       f"FROM ducklake_snapshots('{lake}')").fetchone()
    tables = store._dicts(f"SELECT table_name AS \"table\", file_count AS files, file_size_bytes AS bytes, "
                          f"delete_file_count AS delete_files FROM ducklake_table_info('{lake}') ORDER BY table_name")
    return {
        "lake": store.lake.lake_name,  # type: ignore[union-attr]
        "data_path": store.lake.data_path,  # type: ignore[union-attr]
        "schema_version": store.schema_version(),
        "snapshots": int(snap[0]), "oldest_snapshot": snap[1], "latest_snapshot": snap[2], "snapshot_id": snap[3],
        "files": sum(int(t["files"] or 0) for t in tables),
        "bytes": sum(int(t["bytes"] or 0) for t in tables),
        "tables": tables,
    }


def lake_maintain(store: "Store", *, keep_days: float = 7.0, grace_s: float = 3600.0,
                  actor: str = "lake") -> dict[str, int]:
    """Flush inlined rows, merge small files, expire snapshots older than ``keep_days`` and delete
    the files they alone needed (module docstring). Returns what each step did; audit-logged."""
    lake = _lake(store)
    if keep_days < 0 or grace_s < 0:
        raise StoreError("keep_days and grace_s must not be negative")
    cutoff = datetime.now(timezone.utc) - timedelta(days=keep_days)

    def step(sql: str, params: list | None = None) -> int:
        return store.retrying(lambda: len(store.con.execute(sql, params or []).fetchall()))

    out = {
        "flushed_tables": step(f"CALL ducklake_flush_inlined_data('{lake}')"),
        "merged_tables": step(f"CALL ducklake_merge_adjacent_files('{lake}')"),
        "expired_snapshots": step(f"CALL ducklake_expire_snapshots('{lake}', older_than => ?::TIMESTAMPTZ)", [cutoff]),
        "deleted_files": step(f"CALL ducklake_cleanup_old_files('{lake}', older_than => ?::TIMESTAMPTZ)",
                              [datetime.now(timezone.utc) - timedelta(seconds=grace_s)]),
    }
    store.audit(actor, "lake.maintain", store.lake.lake_name, {**out, "keep_days": keep_days})  # type: ignore[union-attr]
    return out
