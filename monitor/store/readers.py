"""Read-only views of the store that run beside the writer (DuckDB MVCC).

The service writes through one connection under one writer lock. A caller that only reads (a web
page) can instead use a second connection to the same database, a cursor of the store's
connection: DuckDB gives it a snapshot of committed data, so it neither waits for a batch being
written nor delays it. Each read runs in one read transaction that is rolled back at the end: the
queries of one read see one snapshot, and a read can never write.

Cursors are pooled per store connection. DuckDB closes a connection's cursors with it, so a store
that was closed and reopened (the storage probe) gets fresh ones and nothing keeps the old database
open. A store that is not a local DuckDB connection (the DuckLake backend) is read under the lock.
"""

from __future__ import annotations

import copy
import threading
from typing import Any, Callable

import duckdb

MAX_IDLE = 8  # pooled cursors (at least the number of threads that read at once)


class ReadPool:
    def __init__(self, current_store: Callable[[], Any], lock: Any) -> None:
        self.current_store = current_store  # the store in use now (it may be replaced by a reopen)
        self.lock = lock  # the writer lock, for stores that cannot be read beside the writer
        self._mu = threading.Lock()
        self._con: Any = None  # the connection the idle cursors belong to
        self._idle: list[Any] = []

    def _checkout(self) -> tuple[Any, Any]:
        store = self.current_store()
        con = store.con
        if not isinstance(con, duckdb.DuckDBPyConnection):
            return store, None
        with self._mu:
            if self._con is not con:  # the first read, or the store was reopened
                self._con, self._idle = con, []
            if self._idle:
                return store, self._idle.pop()
        return store, con.cursor()

    def _checkin(self, store: Any, cur: Any) -> None:
        with self._mu:
            if self._con is store.con and self.current_store() is store and len(self._idle) < MAX_IDLE:
                self._idle.append(cur)
                return
        cur.close()

    def run(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """``fn(store, *args, **kw)`` on a read-only view of the store (its own connection and snapshot)."""
        store, cur = self._checkout()
        if cur is None:
            with self.lock:
                return fn(store, *args, **kw)
        view = copy.copy(store)
        view.con = cur
        try:
            cur.begin()
            try:
                result = fn(view, *args, **kw)
            finally:
                cur.rollback()
        except BaseException:
            cur.close()  # never reuse a cursor in an unknown state
            raise
        self._checkin(store, cur)
        return result
