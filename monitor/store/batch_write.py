"""The write path of one collected batch: one transaction, a few set-based statements.

:class:`BatchWriter` opens a transaction on the store's connection. The pipeline inserts the
batch's posts as one Arrow table: the primary key's ART index decides which posts are new, in
O(log n) per post, without scanning the stored posts (a plain insert when every post is new, else
``ON CONFLICT DO NOTHING RETURNING``). It then looks up the stored SHA-256 of the posts that were
already there (only those), evaluates what is new or revised, and adds revisions, hits,
quarantined items and the cursor. Leaving the ``with`` block commits; an exception rolls
everything back, so a batch and its cursor are stored together or not at all.

Posts are never updated: a post already stored keeps its first capture (the evidence) and a
changed payload goes to ``post_revisions``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Sequence

import duckdb
import pyarrow as pa

from monitor.models import Post
from monitor.models.hit import Hit

if TYPE_CHECKING:
    from monitor.store.duck import Store

# the posts table's columns as Arrow (the row-by-row reference path in duck.py builds whole rows)
POST_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("post_id", pa.string()),
        ("url", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("collected_at", pa.timestamp("us", tz="UTC")),
        ("source", pa.string()),
        ("kind", pa.string()),
        ("author_id", pa.string()),
        ("author_handle", pa.string()),
        ("author_name", pa.string()),
        ("author_bio", pa.string()),
        ("author_url", pa.string()),
        ("text", pa.string()),
        ("parent_post_id", pa.string()),
        ("parent_url", pa.string()),
        ("parent_text", pa.string()),
        ("parent_author", pa.string()),
        ("raw", pa.string()),
        ("raw_sha256", pa.string()),
    ]
)
# the columns the batch carries (collected_at and source are one value per batch: SQL parameters)
_IN_SCHEMA = pa.schema([f for f in POST_SCHEMA if f.name not in ("collected_at", "source")])
_INSERT_POSTS = (
    "INSERT INTO posts SELECT platform, post_id, url, created_at, ?::TIMESTAMPTZ, ?, kind, author_id, "
    "author_handle, author_name, author_bio, author_url, text, parent_post_id, parent_url, parent_text, "
    "parent_author, raw, raw_sha256 FROM _posts_in"
)
# the same, leaving stored posts alone and naming the inserted ones (about twice the cost per row)
_INSERT_NEW_POSTS = _INSERT_POSTS + " ON CONFLICT DO NOTHING RETURNING platform, post_id"
_KEY_SCHEMA = pa.schema([("platform", pa.string()), ("post_id", pa.string())])
_REV_SCHEMA = pa.schema(
    [("platform", pa.string()), ("post_id", pa.string()), ("raw", pa.string()), ("raw_sha256", pa.string())]
)
_Q_SCHEMA = pa.schema(
    [("id", pa.int64()), ("reason", pa.string()), ("payload", pa.string()), ("payload_sha256", pa.string())]
)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_payload(post: Post) -> str:
    """The evidence text stored for a post: the adapter's raw payload, else the post's own JSON."""
    if post.raw is not None:
        return post.raw
    return post.model_dump_json(exclude={"raw"})


def posts_table(posts: Sequence[Post], raws: Sequence[str], shas: Sequence[str]) -> pa.Table:
    """The batch's posts as an Arrow table (one list per column, no per-row dicts)."""
    parents = [p.parent for p in posts]
    authors = [p.author for p in posts]
    cols = [
        [p.platform for p in posts],
        [p.post_id for p in posts],
        [p.url for p in posts],
        [p.created_at for p in posts],  # aware datetimes: Arrow stores the UTC instant
        [p.kind for p in posts],
        [a.id for a in authors],
        [a.handle for a in authors],
        [a.name for a in authors],
        [a.bio for a in authors],
        [a.url for a in authors],
        [p.text for p in posts],
        [q.post_id if q else None for q in parents],
        [q.url if q else None for q in parents],
        [q.text if q else None for q in parents],
        [q.author.model_dump_json() if q and q.author else None for q in parents],
        list(raws),
        list(shas),
    ]
    return pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(cols, _IN_SCHEMA)], schema=_IN_SCHEMA)


class BatchWriter:
    """One batch's transaction (see the module docstring). Use only as a context manager."""

    def __init__(self, store: "Store", source: str, now: datetime | None = None) -> None:
        self.store = store
        self.con = store.con
        self.source = source
        self.now = now or datetime.now(timezone.utc)
        self._wrote = False
        # per source: did its last batch hold posts stored already (a re-run, an overlapping fetch)?
        self._overlap: dict[str, bool] = store.__dict__.setdefault("_batch_overlap", {})

    def __enter__(self) -> "BatchWriter":
        self.con.begin()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.con.commit()
        else:
            self.con.rollback()

    # -- posts -----------------------------------------------------------------------------
    def insert_posts(self, posts: Sequence[Post], raws: Sequence[str], shas: Sequence[str]
                     ) -> list[tuple[str, str]]:
        """Insert the posts not stored yet (a stored post is left untouched); returns the
        ``(platform, post_id)`` of the posts NOT inserted because they were already stored.
        ``posts`` must not repeat a ``(platform, post_id)``.

        Usually every post of a batch is new: the first write of a transaction then tries a plain
        insert, and the primary key refuses it whole if any post is stored already; the (still
        empty) transaction is then restarted and the conflict-aware insert runs instead, also for
        the source's next batch."""
        if not posts:
            return []
        tbl = posts_table(posts, raws, shas)
        self.con.register("_posts_in", tbl)
        try:
            if not self._wrote and not self._overlap.get(self.source):
                self._wrote = True
                try:
                    self.con.execute(_INSERT_POSTS, [self.now, self.source])
                    return []
                except duckdb.ConstraintException:
                    self.con.rollback()  # nothing else was written in this transaction
                    self.con.begin()
                    self.con.register("_posts_in", tbl)  # the rollback dropped the registration
            self._wrote = True
            inserted = self.con.execute(_INSERT_NEW_POSTS, [self.now, self.source]).fetchall()
        finally:
            self.con.unregister("_posts_in")
        self._overlap[self.source] = len(inserted) < len(posts)
        if len(inserted) == len(posts):
            return []
        got = set(inserted)
        return [k for k in ((p.platform, p.post_id) for p in posts) if k not in got]

    def _join_keys(self, sql: str, keys: Sequence[tuple[str, str]]) -> list[tuple]:
        tbl = pa.Table.from_arrays([pa.array([k[0] for k in keys], pa.string()),
                                    pa.array([k[1] for k in keys], pa.string())], schema=_KEY_SCHEMA)
        self.con.register("_keys_in", tbl)
        try:
            return self.con.execute(sql).fetchall()
        finally:
            self.con.unregister("_keys_in")

    def stored_hashes(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """``(platform, post_id) -> SHA-256 of the first capture`` of these stored posts. A hash
        join over the stored posts: used only for the posts a batch found already stored (a re-run
        or an overlapping fetch), never for new ones."""
        if not keys:
            return {}
        rows = self._join_keys("SELECT p.platform, p.post_id, p.raw_sha256 FROM posts p "
                               "JOIN _keys_in k ON p.platform = k.platform AND p.post_id = k.post_id", keys)
        return {(r[0], r[1]): r[2] for r in rows}

    def stored_identities(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple]:
        """``(platform, post_id) -> (url, author_id, author_handle)`` of these stored posts: to tell
        an edit of a stored post from another post that reuses its id (see the pipeline)."""
        if not keys:
            return {}
        rows = self._join_keys("SELECT p.platform, p.post_id, p.url, p.author_id, p.author_handle FROM posts p "
                               "JOIN _keys_in k ON p.platform = k.platform AND p.post_id = k.post_id", keys)
        return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}

    def revision_hashes(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
        """``(platform, post_id) -> SHA-256 of every stored revision`` of these posts."""
        if not keys:
            return {}
        out: dict[tuple[str, str], set[str]] = {}
        for platform, post_id, sha in self._join_keys(
                "SELECT r.platform, r.post_id, r.raw_sha256 FROM post_revisions r "
                "JOIN _keys_in k ON r.platform = k.platform AND r.post_id = k.post_id", keys):
            out.setdefault((platform, post_id), set()).add(sha)
        return out

    def add_revisions(self, posts: Sequence[Post], raws: Sequence[str], shas: Sequence[str]) -> None:
        """Keep changed payloads of stored posts (each (post, payload) once)."""
        if not posts:
            return
        self._wrote = True
        tbl = pa.Table.from_arrays(
            [pa.array([p.platform for p in posts], pa.string()), pa.array([p.post_id for p in posts], pa.string()),
             pa.array(list(raws), pa.string()), pa.array(list(shas), pa.string())], schema=_REV_SCHEMA)
        self.con.register("_rev_in", tbl)
        try:
            self.con.execute(
                "INSERT INTO post_revisions SELECT platform, post_id, ?::TIMESTAMPTZ, ?, raw, raw_sha256 "
                "FROM _rev_in ON CONFLICT DO NOTHING",
                [self.now, self.source],
            )
        finally:
            self.con.unregister("_rev_in")

    # -- the rest of the batch ---------------------------------------------------------------
    def add_hits(self, hits: Sequence[Hit]) -> int:
        """Insert hits (a post that already has a hit keeps it); returns how many were new."""
        if not hits:
            return 0
        self._wrote = True
        return self.store._insert_hits(hits, self.now)

    def add_quarantine(self, items: Sequence[tuple[str, str]]) -> None:
        """Quarantined inputs ``(payload, reason)``, ids in input order."""
        if not items:
            return
        self._wrote = True
        ids = sorted(r[0] for r in self.con.execute(
            "SELECT nextval('quarantine_seq') FROM range(?)", [len(items)]).fetchall())
        tbl = pa.Table.from_arrays(
            [pa.array(ids, pa.int64()), pa.array([r for _p, r in items], pa.string()),
             pa.array([p for p, _r in items], pa.string()),
             pa.array([sha256_text(p) for p, _r in items], pa.string())], schema=_Q_SCHEMA)
        self.con.register("_q_in", tbl)
        try:
            self.con.execute(
                "INSERT INTO quarantine SELECT id, ?::TIMESTAMPTZ, ?, reason, payload, payload_sha256 FROM _q_in",
                [self.now, self.source],
            )
        finally:
            self.con.unregister("_q_in")

    def set_cursor(self, cursor: dict) -> None:
        self._wrote = True
        self.store._write_cursor(self.source, cursor, self.now)
