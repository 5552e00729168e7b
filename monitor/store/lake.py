"""The DuckLake backend: a DuckDB in-memory connection with a DuckLake catalog in PostgreSQL.

Every office's process opens its own in-memory DuckDB, loads the ``postgres`` and ``ducklake``
extensions from their PyPI packages (``duckdb-extension-*``, never a download), ATTACHes the lake
(metadata in PostgreSQL schema ``lake_name``, Parquet files under ``data_path``) and ``USE``s it, so
the store's SQL runs against the lake. :class:`LakeConnection` stands in for the DuckDB connection
and translates each statement once (:mod:`monitor.store.lake_sql`).

Connection settings come from the environment, never from ``config.toml``: the variable named by
``[store] pg_dsn_env`` (default ``MONITOR_LAKE_PG_DSN``) holds a libpq connection string
(``host=... port=... dbname=... user=...``); when it is unset or empty, libpq's own variables
(``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGPASSWORD``, ``PGDATABASE``, ``PGSSLMODE``) apply. A password
is best given as ``PGPASSWORD`` (or a ``~/.pgpass`` file) rather than inside the string.

Cross-process coordination uses PostgreSQL advisory locks held by a second, private in-memory
DuckDB (:class:`AdvisoryLocks`): migrations take one lake-wide lock, ingest takes one lock per
platform of the batch, so two offices never decide "new" for the same ``(platform, post_id)`` at the
same time. A lock is held by a PostgreSQL session: it goes when the process dies.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import random
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TypeVar

import duckdb

from monitor.store.errors import StoreError
from monitor.store.lake_sql import (
    Plan, check_identifier, duplicate_key_sql, is_ddl, split_statements, table_keys, translate_ddl, translate_dml,
)

DEFAULT_DSN_ENV = "MONITOR_LAKE_PG_DSN"
MAX_ATTEMPTS = 8
"""Attempts of a write that meets DuckLake commit conflicts (then the batch fails and is fetched again)."""

T = TypeVar("T")
log = logging.getLogger(__name__)


class StoreConflictError(StoreError):
    """A DuckLake commit lost against a concurrent writer, after every retry."""


def is_conflict(exc: BaseException) -> bool:
    """A DuckLake commit conflict ("Transaction conflict - ..."): retrying the transaction can succeed."""
    return isinstance(exc, duckdb.TransactionException) and "Transaction conflict" in str(exc)


def retry_conflicts(fn: Callable[[], T], *, attempts: int = MAX_ATTEMPTS, base_s: float = 0.05,
                    on_retry: Callable[[int, BaseException], None] | None = None) -> T:
    """Run ``fn`` (one whole transaction) again after a commit conflict, with jittered exponential
    backoff; after ``attempts`` conflicts raise :class:`StoreConflictError`."""
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as exc:
            if not is_conflict(exc):
                raise
            if attempt == attempts:
                raise StoreConflictError(f"DuckLake commit conflict, {attempts} attempts: {exc}") from exc
            log.info("DuckLake commit conflict (attempt %d of %d), retrying: %s", attempt, attempts,
                     str(exc).splitlines()[-1][:200])
            if on_retry is not None:
                on_retry(attempt, exc)
            time.sleep(min(2.0, base_s * 2 ** (attempt - 1)) * (0.5 + random.random()))
    raise AssertionError("unreachable")


# -- settings and extensions -------------------------------------------------------------------
@dataclass(frozen=True)
class LakeSettings:
    data_path: str
    lake_name: str = "monitor"
    dsn: str = ""

    @classmethod
    def from_env(cls, *, data_path: str | Path, lake_name: str = "monitor",
                 dsn_env: str = DEFAULT_DSN_ENV) -> "LakeSettings":
        return cls(data_path=str(data_path), lake_name=check_identifier(lake_name, "lake_name"),
                   dsn=os.environ.get(dsn_env, ""))

    @property
    def label(self) -> str:
        return f"ducklake:{self.lake_name}"


def extension_path(name: str) -> str:
    """The ``.duckdb_extension`` file inside the ``duckdb-extension-<name>`` package."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or spec.origin is None:
        raise StoreError(f"the DuckLake backend needs the package duckdb-extension-{name} "
                         f"(pip install 'asn-neutrality-monitor[lake]')")
    folder = Path(spec.origin).parent / "extensions"
    found = sorted(folder.glob(f"v{duckdb.__version__}/**/{name}.duckdb_extension")) or sorted(
        folder.glob(f"**/{name}.duckdb_extension"))
    if not found:
        raise StoreError(f"no {name}.duckdb_extension in {folder} for duckdb {duckdb.__version__}")
    return str(found[0])


def load_extensions(con: duckdb.DuckDBPyConnection, names: Sequence[str] = ("postgres", "ducklake")) -> None:
    for n in names:
        con.execute(f"INSTALL '{extension_path(n)}'")
        con.execute(f"LOAD {n}")


def _quote(s: str) -> str:
    return s.replace("'", "''")


def lock_key(*parts: str) -> int:
    """A signed 64-bit advisory lock key for ``parts``."""
    return int.from_bytes(hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest(), "big", signed=True)


# -- advisory locks ----------------------------------------------------------------------------
class AdvisoryLocks:
    """PostgreSQL advisory transaction locks, held by a private in-memory DuckDB's PostgreSQL session.

    ``hold(keys)`` blocks until every key is granted (keys are taken in sorted order, so two holders
    cannot deadlock) and releases them when the outermost block ends; a nested ``hold`` adds its keys.
    """

    def __init__(self, dsn: str) -> None:
        self.con = duckdb.connect()
        load_extensions(self.con, ("postgres",))
        self.con.execute(f"ATTACH '{_quote(dsn)}' AS pg (TYPE postgres)")
        self._mutex = threading.RLock()
        self._depth = 0
        self._held: set[int] = set()  # taken in this PostgreSQL transaction (a nested hold adds to them)

    @contextmanager
    def hold(self, keys: Sequence[int]) -> Iterator[None]:
        with self._mutex:
            wanted = sorted(set(int(k) for k in keys) - self._held)
            outer = not self._depth
            if outer and not wanted:
                yield
                return
            if outer:
                self.con.begin()
            try:
                if wanted:
                    calls = ", ".join(f"pg_advisory_xact_lock({k})::text AS l{i}" for i, k in enumerate(wanted))
                    self.con.execute(f"SELECT * FROM postgres_query('pg', 'SELECT {calls}')").fetchall()
                    self._held.update(wanted)
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
            finally:
                if outer:
                    self._held.clear()
                    self.con.rollback()  # ends the PostgreSQL transaction: the locks go

    def close(self) -> None:
        self.con.close()


# -- the connection stand-in -------------------------------------------------------------------
class _Rows:
    """A result computed in Python (emulated ``RETURNING``)."""

    def __init__(self, names: list[str], rows: list[tuple]) -> None:
        self.description = [(n, None, None, None, None, None, None) for n in names]
        self._rows = rows

    def fetchone(self) -> tuple | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[tuple]:
        rows, self._rows = self._rows, []
        return rows


class LakeConnection:
    """What :class:`~monitor.store.duck.Store` uses of a DuckDB connection (``execute``, ``begin``,
    ``commit``, ``rollback``, ``register``, fetching), running each statement as the lake needs it.
    Plans are cached per SQL text; a DDL statement clears the cache (column lists may change)."""

    ALIAS = "lake"
    PG_ALIAS = "lake_pg"

    def __init__(self, settings: LakeSettings, migrations: Sequence[tuple[int, str, str]]) -> None:
        self.settings = settings
        self.schema = settings.lake_name
        self.check_keys = True
        """Plain inserts into a keyed table are checked for duplicate keys (see :meth:`unchecked`)."""
        if "://" in settings.data_path:  # object storage (s3://...): credentials through a DuckDB secret
            data_path = settings.data_path.rstrip("/") + "/"
        else:
            Path(settings.data_path).mkdir(parents=True, exist_ok=True)
            data_path = str(Path(settings.data_path).resolve()) + os.sep
        try:
            self.locks = AdvisoryLocks(settings.dsn)
        except duckdb.Error as exc:
            raise StoreError(f"cannot connect to the DuckLake catalog database of {settings.label}: {exc}") from exc
        self.con = duckdb.connect()
        try:
            load_extensions(self.con)
            self.con.execute("SET TimeZone = 'UTC'")
            dsn = _quote(settings.dsn)
            data = _quote(data_path)
            self.con.execute(f"ATTACH '{dsn}' AS {self.PG_ALIAS} (TYPE postgres)")
            # the first ATTACH creates the catalog's tables: two offices doing it at once collide
            with self.lock_migrations():
                self.con.execute(f"CALL postgres_execute('{self.PG_ALIAS}', "
                                 f"'CREATE SCHEMA IF NOT EXISTS \"{self.schema}\"')")
                self.con.execute(f"ATTACH 'ducklake:postgres:{dsn}' AS {self.ALIAS} "
                                 f"(DATA_PATH '{data}', METADATA_SCHEMA '{self.schema}')")
            self.con.execute(f"USE {self.ALIAS}")
        except duckdb.Error as exc:
            self.con.close()
            self.locks.close()
            raise StoreError(f"cannot open the DuckLake catalog {settings.label}: {exc}") from exc
        self.keys = table_keys(sql for _v, _d, sql in migrations)
        self._plans: dict[str, list[Plan | str]] = {}
        self._columns: dict[str, list[str]] = {}
        self._in_tx = False
        self._result: Any = None

    # -- transactions ----------------------------------------------------------------------
    def begin(self) -> None:
        self.con.begin()
        self._in_tx = True

    def commit(self) -> None:
        self._in_tx = False
        try:
            self.con.commit()
        except duckdb.Error:
            self._reset()
            raise

    def rollback(self) -> None:
        self._in_tx = False
        try:
            self.con.rollback()
        except duckdb.TransactionException as exc:
            # a failed commit (e.g. a DuckLake conflict) already ended the transaction: the caller's
            # rollback must not hide that error behind "no transaction is active"
            if "no transaction is active" not in str(exc):
                raise

    def _reset(self) -> None:
        # DuckLake can leave the connection in an aborted transaction after a failed autocommit
        # statement or commit ("Current transaction is aborted (please ROLLBACK)")
        try:
            self.con.rollback()
        except duckdb.Error:
            pass

    def register(self, name: str, obj: Any) -> None:
        self.con.register(name, obj)

    def unregister(self, name: str) -> None:
        self.con.unregister(name)

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            self.locks.close()

    # -- statements ------------------------------------------------------------------------
    def columns(self, table: str) -> list[str]:
        if table not in self._columns:
            rows = self.con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = 'main' "
                "AND table_name = ? ORDER BY column_index", [self.ALIAS, table]).fetchall()
            if not rows:
                raise StoreError(f"table {table} not found in {self.settings.label}")
            self._columns[table] = [r[0] for r in rows]
        return self._columns[table]

    def _plan(self, sql: str) -> list[Plan | str]:
        plans = self._plans.get(sql)
        if plans is not None:
            return plans
        stmts = split_statements(sql)
        plans = []
        for stmt in stmts:
            if is_ddl(stmt):
                t = translate_ddl(stmt, pg_schema=self.schema)
                self.keys.update(t.keys)
                if t.pg:
                    plans.append(Plan("pg", t.pg, ddl=True))
                if t.lake:
                    plans.append(Plan("sql", t.lake, ddl=True))
            else:
                plans.append(translate_dml(stmt, keys=self.keys, columns=self.columns,
                                           pg_alias=self.PG_ALIAS, pg_schema=self.schema))
        if len(stmts) == 1 and not any(p.ddl for p in plans if isinstance(p, Plan)):
            self._plans[sql] = plans
        return plans

    def execute(self, sql: str, params: Sequence[Any] | dict | None = None) -> "LakeConnection":
        try:
            plans = self._plan(sql)
            self._result = None
            if len(plans) > 1 and params:
                raise StoreError("parameters with a multi-statement script")
            for p in plans:
                self._run(p, params)
        except Exception:
            if not self._in_tx:
                self._reset()
            raise
        if any(p.ddl for p in plans):
            self._plans.clear()
            self._columns.clear()
        return self

    def _run(self, p: Plan, params: Sequence[Any] | dict | None) -> None:
        if p.kind == "pg":
            self.con.execute(f"CALL postgres_execute('{self.PG_ALIAS}', '{_quote(p.sql)}')")
        elif p.kind == "sql":
            self._result = self.con.execute(p.sql, params or [])
        elif p.kind == "seq_range":
            n = int((params or [0])[0])  # type: ignore[index]
            self._result = self.con.execute(p.sql.format(n=max(n, 0)) if n > 0 else "SELECT 1 WHERE false")
        elif p.kind == "returning":
            rows = self.con.execute(p.select, params or []).to_arrow_table()  # type: ignore[arg-type]  # a table: a reader would deadlock the insert
            self.con.register("_lake_rows", rows)
            try:
                self.con.execute(p.sql)
                cur = self.con.execute(f"SELECT {p.returning} FROM _lake_rows")
                self._result = _Rows([d[0] for d in cur.description], cur.fetchall())
            finally:
                self.con.unregister("_lake_rows")
        elif p.kind == "checked":
            rows = self.con.execute(p.select, params or []).to_arrow_table()  # type: ignore[arg-type]  # a table: a reader would deadlock the insert
            self.con.register("_lake_rows", rows)
            try:
                if self.check_keys:
                    dup = self.con.execute(duplicate_key_sql(p.table, p.key)).fetchone()
                    if dup is not None:
                        shown = ", ".join(f"{k}: {v}" for k, v in zip(p.key, dup))
                        raise duckdb.ConstraintException(
                            f'Constraint Error: Duplicate key "{shown}" violates primary key constraint '
                            f"(table {p.table}; checked before the insert: DuckLake enforces no key)")
                self._result = self.con.execute(p.sql)
            finally:
                self.con.unregister("_lake_rows")
        elif p.kind == "delete_returning":
            cur = self.con.execute(p.select, params or [])  # type: ignore[arg-type]
            rows = _Rows([d[0] for d in cur.description], cur.fetchall())
            self.con.execute(p.sql, params or [])
            self._result = rows
        else:
            raise StoreError(f"unknown plan {p.kind}")

    @contextmanager
    def unchecked(self) -> Iterator[None]:
        """Plain inserts inside skip the key check: the caller decided what is new already (the
        batch writer, by its own join under the ingest lock)."""
        before, self.check_keys = self.check_keys, False
        try:
            yield
        finally:
            self.check_keys = before

    # -- results ---------------------------------------------------------------------------
    @property
    def description(self) -> Any:
        return self._result.description

    def fetchone(self) -> Any:
        return self._result.fetchone()

    def fetchall(self) -> Any:
        return self._result.fetchall()

    def fetchmany(self, size: int = 1) -> Any:
        return self._result.fetchmany(size)

    def arrow(self) -> Any:
        return self._result.arrow()

    # -- coordination ----------------------------------------------------------------------
    def lock_migrations(self):  # noqa: ANN201
        """The lake-wide lock of catalog creation and migrations."""
        return self.locks.hold([lock_key(self.schema, "migrate")])

    def lock_platforms(self, platforms: Sequence[str]):  # noqa: ANN201
        return self.locks.hold([lock_key(self.schema, "ingest", p) for p in platforms])

