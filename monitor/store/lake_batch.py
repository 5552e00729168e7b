"""The batch write path on a DuckLake catalog: exactly once without a primary key.

DuckLake enforces no key, and two transactions appending to one table both commit, so the
local path (the primary key decides what is new) cannot be used. Per batch instead:

1. take a PostgreSQL advisory lock per platform of the batch (:meth:`LakeConnection.lock_platforms`):
   no other office decides "new" for these ``(platform, post_id)`` until this batch commits;
2. begin the lake transaction only then, so its snapshot holds every batch committed before;
3. look the batch's keys up in the stored posts (one join) and insert only the others;
4. revisions, hits, quarantine and the cursor in the same transaction; commit; release the lock.

A commit can still lose against another office's write to the same table (an update of
``cursors``, a review updating ``hits``): DuckLake raises "Transaction conflict"; the caller
(:meth:`Store.retrying`) runs the whole batch again, and after the last attempt the batch fails
without a trace and is fetched again from the previous cursor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

import pyarrow as pa

from monitor.models import Post
from monitor.models.hit import Hit
from monitor.store.batch_write import _INSERT_POSTS, BatchWriter, posts_table
from monitor.store.lake import retry_conflicts

if TYPE_CHECKING:
    from monitor.store.duck import BatchResult, Store

_STORED_KEYS = ("SELECT p.platform, p.post_id FROM posts p JOIN (SELECT DISTINCT platform, post_id FROM _posts_in) k "
                "ON p.platform = k.platform AND p.post_id = k.post_id")


class LakeBatchWriter(BatchWriter):
    """:class:`BatchWriter` for the lake: the transaction begins at the first write, under the lock
    of the batch's platforms (see the module docstring)."""

    def __init__(self, store: "Store", source: str, now: Any = None) -> None:
        super().__init__(store, source, now)
        self._lock: Any = None
        self._begun = False

    def __enter__(self) -> "LakeBatchWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self._begun:
                if exc_type is None:
                    self.con.commit()
                else:
                    self.con.rollback()
        finally:
            if self._lock is not None:
                self._lock.__exit__(None, None, None)
                self._lock = None

    def _ensure(self, platforms: Sequence[str] = ()) -> None:
        if self._begun:
            return
        self._lock = self.con.lock_platforms(sorted(set(platforms)))
        self._lock.__enter__()
        self.con.begin()
        self._begun = True

    def insert_posts(self, posts: Sequence[Post], raws: Sequence[str], shas: Sequence[str]
                     ) -> list[tuple[str, str]]:
        self._ensure([p.platform for p in posts])
        if not posts:
            return []
        tbl = posts_table(posts, raws, shas)
        self.con.register("_posts_in", tbl)
        try:
            stored = set(self.con.execute(_STORED_KEYS).fetchall())
            if stored:
                keep = pa.array([(p.platform, p.post_id) not in stored for p in posts])
                tbl = tbl.filter(keep)
                self.con.unregister("_posts_in")
                self.con.register("_posts_in", tbl)
            if tbl.num_rows:
                with self.con.unchecked():  # just looked up, under the lock
                    self.con.execute(_INSERT_POSTS, [self.now, self.source])
        finally:
            self.con.unregister("_posts_in")
        return [k for k in ((p.platform, p.post_id) for p in posts) if k in stored]

    def stored_hashes(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        self._ensure()
        return super().stored_hashes(keys)

    def stored_identities(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple]:
        self._ensure()
        return super().stored_identities(keys)

    def revision_hashes(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
        self._ensure()
        return super().revision_hashes(keys)

    def add_revisions(self, posts: Sequence[Post], raws: Sequence[str], shas: Sequence[str]) -> None:
        self._ensure([p.platform for p in posts])
        super().add_revisions(posts, raws, shas)

    def add_hits(self, hits: Sequence[Hit]) -> int:
        self._ensure()
        return super().add_hits(hits)

    def add_quarantine(self, items: Sequence[tuple[str, str]]) -> None:
        self._ensure()
        super().add_quarantine(items)

    def set_cursor(self, cursor: dict) -> None:
        self._ensure()
        super().set_cursor(cursor)


def lake_commit_batch(store: "Store", once: Callable[..., "BatchResult"], kw: dict) -> "BatchResult":
    """:meth:`Store.commit_batch` on the lake: under the lock of the batch's platforms, retried on
    commit conflicts (the posts given are inserted only if not stored: an anti-join, not a key)."""
    platforms = sorted({p.platform for p in kw.get("posts", ())} | {p.platform for p in kw.get("revisions", ())})

    def attempt() -> "BatchResult":
        with store.con.lock_platforms(platforms):
            return once(**kw)

    return retry_conflicts(attempt)
