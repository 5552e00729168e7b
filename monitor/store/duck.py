"""The DuckDB store: posts (evidence, never rewritten), roster, hits, cursors, quarantine, audit.

One process owns the file read-write (DuckDB's rule). Writes of one collected batch (its posts,
revisions, quarantined items, hits and the source cursor) happen in ONE transaction, so a crash
leaves either all of a batch or none of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence, TypeVar

import duckdb
import pyarrow as pa

from monitor.models import Post, RosterEntry
from monitor.models.hit import Hit
from monitor.store.alerts import AlertQueries
from monitor.store.elections import ElectionQueries
from monitor.store.errors import StoreError, parse_lock_error
from monitor.store.evidence import EvidenceQueries
from monitor.store.reports import ReportQueries
from monitor.store.identity_memory import IdentityMemoryQueries
from monitor.store.offices import OfficeQueries
from monitor.store.scope import UNSCOPED, Scope
from monitor.store.ranking import RankerQueries
from monitor.store.retention import RetentionQueries
from monitor.store.rule_history import RuleHistory
from monitor.store.stats import StatsQueries
from monitor.store.users import UserStore
from monitor.store.web_hits import WebHitQueries
from monitor.store.schema import LATEST, MIGRATIONS
from monitor.store.batch_write import POST_SCHEMA as _POST_SCHEMA
from monitor.store.batch_write import BatchWriter, canonical_payload, sha256_text  # noqa: F401  (re-exported)


if TYPE_CHECKING:
    from monitor.store.lake import LakeSettings

_T = TypeVar("_T")

WAL_CHECKPOINT_THRESHOLD = "128MB"
"""DuckDB checkpoints (folds the write-ahead log into the file) when the log reaches this size
(DuckDB's default is 16 MB); the log is replayed on the next open after a crash."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)


@dataclass
class BatchResult:
    new: int = 0
    duplicate: int = 0
    revised: int = 0
    quarantined: int = 0
    hits: int = 0

    def add(self, other: "BatchResult") -> None:
        for f in ("new", "duplicate", "revised", "quarantined", "hits"):
            setattr(self, f, getattr(self, f) + getattr(other, f))


class Store(UserStore, WebHitQueries, StatsQueries, RuleHistory, AlertQueries, IdentityMemoryQueries, RankerQueries,
            EvidenceQueries, ElectionQueries, RetentionQueries, ReportQueries, OfficeQueries):
    """Owner of the DuckDB file. Use as a context manager or call :meth:`close`.

    Query groups for the web application live in mixins (``users``, ``web_hits``, ``stats``,
    ``rule_history``, ``alerts``, ``identity_memory``) so this file stays about ingestion, roster and review.
    """

    def __init__(self, path: Path | str, *, read_only: bool = False, lake: "LakeSettings | None" = None) -> None:
        self.path = str(path)
        self._roster_version: int | None = None
        self._memory_version: int | None = None
        self.lake = lake
        if lake is not None:  # a DuckLake catalog instead of the file (monitor/store/lake.py)
            from monitor.store.lake import LakeConnection

            self.path = lake.label
            self.con = LakeConnection(lake, MIGRATIONS)  # type: ignore[assignment]
            if not read_only:
                self.migrate()
            return
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            locked = parse_lock_error(self.path, str(exc))
            if locked:
                raise locked from exc
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        self.con.execute("SET TimeZone = 'UTC'")
        if not read_only:
            # fewer automatic checkpoints while ingesting: each one recompresses the table's last,
            # partly filled row group (measured: about half of a small batch's commit time at 16 MB)
            self.con.execute(f"SET checkpoint_threshold = '{WAL_CHECKPOINT_THRESHOLD}'")
            self.migrate()

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
            "description VARCHAR, applied_at TIMESTAMPTZ)"
        )
        row = self.con.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def migrate(self) -> None:
        if self.lake is not None:  # offices starting together: one applies, the others see it applied
            with self.con.lock_migrations():
                return self._migrate()
        self._migrate()

    def retrying(self, fn: Callable[[], _T]) -> _T:
        """Run one whole write transaction; on the lake again after a commit conflict (bounded, then
        :class:`~monitor.store.lake.StoreConflictError`). Locally: once."""
        if self.lake is None:
            return fn()
        from monitor.store.lake import retry_conflicts

        return retry_conflicts(fn)

    def _migrate(self) -> None:
        current = self.schema_version()
        if current > LATEST:
            raise StoreError(
                f"database {self.path} has schema version {current}, newer than this program ({LATEST})"
            )
        applied = {r[0] for r in self.con.execute("SELECT version FROM schema_version").fetchall()}
        for version, description, sql in MIGRATIONS:
            # a version missing below the latest applied one (numbers reserved in advance by parallel
            # work and merged later) is applied too; such migrations are written to be idempotent
            if version in applied:
                continue
            self.con.begin()
            try:
                self.con.execute(sql)
                self.con.execute(
                    "INSERT INTO schema_version VALUES (?, ?, ?)", [version, description, _now()]
                )
                self.con.commit()
            except Exception:
                self.con.rollback()
                raise

    # -- audit -----------------------------------------------------------------------------
    def audit(self, actor: str, action: str, obj: str | None, detail: dict | None = None) -> None:
        self.con.execute(
            "INSERT INTO audit_log VALUES (nextval('audit_seq'), ?, ?, ?, ?, ?)",
            [_now(), actor, action, obj, _dumps(detail or {})],
        )

    def audit_entries(self, obj: str | None = None) -> list[dict]:
        sql = "SELECT id, at_utc, actor, action, object, detail FROM audit_log"
        params: list[Any] = []
        if obj is not None:
            sql += " WHERE object = ?"
            params.append(obj)
        return self._dicts(sql + " ORDER BY id", params)

    # -- roster ----------------------------------------------------------------------------
    def replace_roster(
        self, entries: Sequence[RosterEntry], *, file: str, file_sha256: str, skipped: int, actor: str
    ) -> int:
        """Atomically replace the roster and declared accounts. The old roster stays on failure."""
        self.con.begin()
        try:
            import_id = self.con.execute("SELECT nextval('roster_import_seq')").fetchone()[0]
            self.con.execute("DELETE FROM accounts")
            self.con.execute("DELETE FROM roster")
            roster_tbl = pa.table(
                {
                    "nip": [e.nip for e in entries],
                    "nama": [e.nama for e in entries],
                    "jabatan": [e.jabatan for e in entries],
                    "unit_kerja": [e.unit_kerja for e in entries],
                    "instansi": [e.instansi for e in entries],
                    "atasan_nip": [e.atasan_nip for e in entries],
                    "email": [e.email for e in entries],
                    "telegram": [e.telegram for e in entries],
                    "import_id": pa.array([import_id] * len(entries), pa.int32()),
                    "office_code": pa.array([e.office_code for e in entries], pa.string()),
                }
            )
            self.con.register("_roster_in", roster_tbl)
            self.con.execute("INSERT INTO roster BY NAME SELECT * FROM _roster_in")
            self.con.unregister("_roster_in")
            acc = [(a.platform, a.value, e.nip) for e in entries for a in e.akun]
            acc_tbl = pa.table(
                {
                    "platform": [a[0] for a in acc],
                    "value": [a[1] for a in acc],
                    "nip": [a[2] for a in acc],
                },
                schema=pa.schema([("platform", pa.string()), ("value", pa.string()), ("nip", pa.string())]),
            )
            self.con.register("_acc_in", acc_tbl)
            self.con.execute("INSERT INTO accounts SELECT * FROM _acc_in")
            self.con.unregister("_acc_in")
            self.con.execute(
                "INSERT INTO roster_imports VALUES (?, ?, ?, ?, ?, ?, ?)",
                [import_id, _now(), file, file_sha256, len(entries), skipped, actor],
            )
            self.audit(actor, "roster.import", file, {"rows": len(entries), "skipped": skipped, "sha256": file_sha256})
            self.con.commit()
        except Exception:
            self.con.rollback()
            raise
        finally:
            self._roster_version = None
        return int(import_id)

    def roster_entries(self) -> list[RosterEntry]:
        rows = self._dicts("SELECT * FROM roster ORDER BY nip")
        accounts: dict[str, list[dict]] = {}
        for a in self._dicts("SELECT platform, value, nip FROM accounts ORDER BY platform, value"):
            accounts.setdefault(a["nip"], []).append({"platform": a["platform"], "value": a["value"]})
        out = []
        for r in rows:
            r.pop("import_id", None)
            out.append(RosterEntry.model_validate({**r, "akun": accounts.get(r["nip"], [])}))
        return out

    def roster_version(self) -> int:
        """Id of the latest roster import. Cached: only this process can write the file (on a
        shared lake another office may import: read every time)."""
        if self._roster_version is None or self.lake is not None:
            row = self.con.execute("SELECT max(import_id) FROM roster_imports").fetchone()
            self._roster_version = int(row[0] or 0)
        return self._roster_version

    def declared_accounts(self, platform: str) -> list[str]:
        """Declared accounts (normalised handles or ids) of roster members on one platform."""
        rows = self.con.execute("SELECT value FROM accounts WHERE platform = ? ORDER BY value", [platform]).fetchall()
        return [r[0] for r in rows]

    def roster_count(self) -> int:
        return int(self.con.execute("SELECT count(*) FROM roster").fetchone()[0])

    # -- rule sets -------------------------------------------------------------------------
    def record_ruleset(self, version: str, files: list[str], rules: list[dict]) -> None:
        self.con.execute(
            "INSERT INTO rulesets VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [version, _now(), _dumps(files), _dumps(rules)],
        )

    # -- ingestion -------------------------------------------------------------------------
    def get_cursor(self, source: str) -> dict | None:
        row = self.con.execute("SELECT cursor FROM cursors WHERE source = ?", [source]).fetchone()
        return json.loads(row[0]) if row else None

    def batch_writer(self, source: str) -> BatchWriter:
        """The transaction of one collected batch (the pipeline's write path, see ``batch_write``)."""
        if self.lake is not None:
            from monitor.store.lake_batch import LakeBatchWriter

            return LakeBatchWriter(self, source, _now())
        return BatchWriter(self, source, _now())

    def known_payloads(self, platform: str, post_ids: Iterable[str]) -> dict[str, str]:
        """``post_id -> raw_sha256`` of the given posts already stored."""
        ids = list(set(post_ids))
        if not ids:
            return {}
        tbl = pa.table({"post_id": pa.array(ids, pa.string())})
        self.con.register("_ids", tbl)
        try:
            rows = self.con.execute(
                "SELECT p.post_id, p.raw_sha256 FROM posts p JOIN _ids USING (post_id) WHERE p.platform = ?",
                [platform],
            ).fetchall()
        finally:
            self.con.unregister("_ids")
        return {r[0]: r[1] for r in rows}

    def commit_batch(
        self,
        *,
        source: str,
        posts: Sequence[Post],
        revisions: Sequence[Post] = (),
        hits: Sequence[Hit] = (),
        quarantined: Sequence[tuple[str, str]] = (),
        cursor: dict | None = None,
        duplicates: int = 0,
        hashes: Sequence[str] | None = None,
        revision_hashes: Sequence[str] | None = None,
    ) -> BatchResult:
        """Write one batch atomically: new posts, revisions, hits, quarantine, then the cursor.

        ``posts`` must already be filtered to posts not yet stored (see :meth:`known_payloads`);
        the insert still ignores conflicts so a mistake cannot overwrite evidence. ``hashes`` /
        ``revision_hashes`` are the payloads' SHA-256 when the caller already computed them.
        """
        kw = dict(source=source, posts=posts, revisions=revisions, hits=hits, quarantined=quarantined, cursor=cursor,
                  duplicates=duplicates, hashes=hashes, revision_hashes=revision_hashes)
        if self.lake is not None:
            from monitor.store.lake_batch import lake_commit_batch

            return lake_commit_batch(self, self._commit_batch_once, kw)
        return self._commit_batch_once(**kw)

    def _commit_batch_once(self, *, source: str, posts: Sequence[Post], revisions: Sequence[Post], hits: Sequence[Hit],
                           quarantined: Sequence[tuple[str, str]], cursor: dict | None, duplicates: int,
                           hashes: Sequence[str] | None, revision_hashes: Sequence[str] | None) -> BatchResult:
        now = _now()
        self.con.begin()
        try:
            if posts:
                self._insert_posts(posts, source, now, hashes)
            for i, p in enumerate(revisions):
                raw = canonical_payload(p)
                sha = revision_hashes[i] if revision_hashes is not None else sha256_text(raw)
                self.con.execute(
                    "INSERT INTO post_revisions VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [p.platform, p.post_id, now, source, raw, sha],
                )
            for payload, reason in quarantined:
                self.con.execute(
                    "INSERT INTO quarantine VALUES (nextval('quarantine_seq'), ?, ?, ?, ?, ?)",
                    [now, source, reason, payload, sha256_text(payload)],
                )
            if hits:
                self._insert_hits(hits, now)
            if cursor is not None:
                self._write_cursor(source, cursor, now)
            self.con.commit()
        except Exception:
            self.con.rollback()
            raise
        return BatchResult(
            new=len(posts), duplicate=duplicates, revised=len(revisions), quarantined=len(quarantined), hits=len(hits)
        )

    def _write_cursor(self, source: str, cursor: dict, now: datetime) -> None:
        # an UPDATE, else an INSERT: measured about half the cost of INSERT ... ON CONFLICT DO UPDATE
        params = [_dumps(cursor), now, source]
        if not self.con.execute("UPDATE cursors SET cursor = ?, updated_at = ? WHERE source = ?", params).fetchone()[0]:
            self.con.execute("INSERT INTO cursors (cursor, updated_at, source) VALUES (?, ?, ?)", params)

    def _insert_posts(self, posts: Sequence[Post], source: str, now: datetime,
                      hashes: Sequence[str] | None = None) -> None:
        raws = [canonical_payload(p) for p in posts]
        shas = list(hashes) if hashes is not None else [sha256_text(r) for r in raws]
        cols: dict[str, list] = {f.name: [] for f in _POST_SCHEMA}
        for p, raw, sha in zip(posts, raws, shas):
            a, par = p.author, p.parent
            cols["platform"].append(p.platform)
            cols["post_id"].append(p.post_id)
            cols["url"].append(p.url)
            cols["created_at"].append(p.created_at.astimezone(timezone.utc))
            cols["collected_at"].append(now)
            cols["source"].append(source)
            cols["kind"].append(p.kind)
            cols["author_id"].append(a.id)
            cols["author_handle"].append(a.handle)
            cols["author_name"].append(a.name)
            cols["author_bio"].append(a.bio)
            cols["author_url"].append(a.url)
            cols["text"].append(p.text)
            cols["parent_post_id"].append(par.post_id if par else None)
            cols["parent_url"].append(par.url if par else None)
            cols["parent_text"].append(par.text if par else None)
            cols["parent_author"].append(
                par.author.model_dump_json() if par and par.author else None
            )
            cols["raw"].append(raw)
            cols["raw_sha256"].append(sha)
        tbl = pa.table(cols, schema=_POST_SCHEMA)
        self.con.register("_posts_in", tbl)
        try:
            self.con.execute(
                "INSERT INTO posts SELECT * FROM _posts_in ON CONFLICT DO NOTHING"
            )
        finally:
            self.con.unregister("_posts_in")

    def _insert_hits(self, hits: Sequence[Hit], now: datetime) -> int:
        rows = []
        for h in hits:
            rows.append(
                {
                    "hit_id": h.hit_id,
                    "platform": h.platform,
                    "post_id": h.post_id,
                    "post_created_at": h.post_created_at.astimezone(timezone.utc),
                    "detected_at": now,
                    "nip": h.nip,
                    "candidates": _dumps([c.model_dump() for c in h.identity.candidates]),
                    "identity_method": h.identity.method,
                    "ambiguous": h.identity.ambiguous,
                    "behaviour": h.behaviour,
                    "score": h.score,
                    "identity_score": h.identity_score,
                    "content_score": h.content_score,
                    "rules": _dumps([r.model_dump() for r in h.rules]),
                    "terms": _dumps(sorted({t for r in h.rules if r.category == "partisan" for t in r.terms})),
                    "targets": _dumps(sorted({r.target for r in h.rules if r.target and r.category == "partisan"})),
                    "steps": _dumps([s.model_dump() for s in h.steps]),
                    "explanation": h.explanation,
                    "ruleset_version": h.ruleset_version,
                    "status": h.status,
                    "payload_sha256": h.payload_sha256,
                    "author_keys": _dumps([list(k) for k in h.author_keys]),
                    "office_code": h.office_code,
                    "collector_office": h.collector_office,
                }
            )
        tbl = pa.Table.from_pylist(rows)
        self.con.register("_hits_in", tbl)
        try:
            inserted = self.con.execute(
                "INSERT INTO hits (hit_id, platform, post_id, post_created_at, detected_at, nip, candidates, "
                "identity_method, ambiguous, behaviour, score, identity_score, content_score, rules, terms, "
                "targets, steps, explanation, ruleset_version, status, payload_sha256, author_keys, office_code, "
                "collector_office) "
                "SELECT hit_id, platform, post_id, post_created_at, detected_at, nip, candidates, "
                "identity_method, ambiguous, behaviour, score, identity_score, content_score, rules, terms, "
                "targets, steps, explanation, ruleset_version, status, payload_sha256, author_keys, "
                "office_code::VARCHAR, collector_office::VARCHAR FROM _hits_in "
                "ON CONFLICT DO NOTHING"
            ).fetchone()[0]
        finally:
            self.con.unregister("_hits_in")
        self._insert_hit_elections(hits, now)
        return int(inserted)

    # -- hits ------------------------------------------------------------------------------
    _HIT_SELECT = """
        SELECT h.hit_id, h.platform, h.post_id, p.url, h.post_created_at AS created_at, h.detected_at,
               coalesce(h.confirmed_nip, h.nip) AS nip, r.nama, r.jabatan, r.instansi, r.unit_kerja,
               r.atasan_nip, h.behaviour, h.score, h.identity_score, h.content_score, h.identity_method,
               h.ambiguous, h.rules, h.terms, h.targets, h.candidates, h.steps, h.explanation,
               h.ruleset_version, h.status, h.reviewer, h.review_reason, h.reviewed_at,
               p.author_handle, p.author_name, p.kind, p.text, p.parent_text, p.parent_url, p.raw_sha256,
               coalesce(h.payload_sha256, p.raw_sha256) AS payload_sha256,
               coalesce(h.payload_sha256, p.raw_sha256) <> p.raw_sha256 AS scored_revision,
               h.office_code, h.collector_office,
               (SELECT c.state FROM post_checks c WHERE c.platform = h.platform AND c.post_id = h.post_id)
                   AS post_state,
               (SELECT c.noticed_at FROM post_checks c WHERE c.platform = h.platform AND c.post_id = h.post_id)
                   AS post_state_noticed_at
        FROM hits h
        JOIN posts p USING (platform, post_id)
        LEFT JOIN roster r ON r.nip = coalesce(h.confirmed_nip, h.nip)
    """

    def list_hits(
        self,
        *,
        start: datetime,
        end: datetime,
        min_score: float = 0.0,
        statuses: Sequence[str] | None = None,
        by: str = "created",
        scope: Scope = UNSCOPED,
    ) -> list[dict]:
        """Hits whose post was created (``by='created'``) or detected in ``[start, end)`` (only
        those ``scope`` may see: ``monitor hits`` passes the instance's office)."""
        col = "h.post_created_at" if by == "created" else "h.detected_at"
        seen, seen_p = scope.hit_where(prefix=" AND ")
        sql = self._HIT_SELECT + f" WHERE {col} >= ? AND {col} < ? AND h.score >= ?" + seen
        params: list[Any] = [start, end, min_score, *seen_p]
        if statuses:
            sql += " AND h.status IN (" + ",".join("?" * len(statuses)) + ")"
            params.extend(statuses)
        sql += " ORDER BY h.score DESC, h.post_created_at, h.hit_id"
        return [self._decode_hit(r) for r in self._dicts(sql, params)]

    def get_hit(self, hit_id: str) -> dict | None:
        rows = self._dicts(self._HIT_SELECT + " WHERE h.hit_id = ?", [hit_id])
        return self._decode_hit(rows[0]) if rows else None

    @staticmethod
    def _decode_hit(row: dict) -> dict:
        for k in ("rules", "terms", "targets", "candidates", "steps"):
            if isinstance(row.get(k), str):
                row[k] = json.loads(row[k])
        return row

    def review_hit(self, hit_id: str, *, status: str, reason: str, actor: str, nip: str | None = None) -> dict:
        """Record a watcher's decision; the previous state goes into the audit log.

        In the same transaction the identity memory learns from the decision (rules in
        :mod:`monitor.identity.memory`): confirming a name-matched hit with a NIP links the post
        author's account keys to that NIP; dismissing a name-matched hit for a reason that is not
        content-only (:func:`~monitor.identity.memory.is_identity_dismissal`) rejects every
        candidate NIP for those keys; reopening leaves the memory as it is.
        """
        before = self.get_hit(hit_id)
        if before is None:
            raise StoreError(f"hit {hit_id} not found")
        self.con.begin()
        try:
            self.con.execute(
                "UPDATE hits SET status = ?, reviewer = ?, review_reason = ?, reviewed_at = ?, "
                "confirmed_nip = ? WHERE hit_id = ?",
                [status, actor, reason, _now(), nip, hit_id],
            )
            self.reassign_hit_office(hit_id)  # the person chosen decides the responsible office
            learned = self._learn_from_review(before, status=status, reason=reason, actor=actor, nip=nip)
            detail = {"reason": reason, "nip": nip, "previous_status": before["status"]}
            if learned:
                detail["identity_memory"] = learned
            self.audit(actor, f"hit.{status}", hit_id, detail)
            self.con.commit()
        except Exception:
            self.con.rollback()
            raise
        finally:
            self._memory_version = None
        return self.get_hit(hit_id)  # type: ignore[return-value]

    # -- retention: see monitor/store/retention.py (RetentionQueries.purge) --------------------

    # -- metadata --------------------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        self.con.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value]
        )

    def probe_write(self) -> None:
        """A small committed write (the service's storage probe): raises if the file cannot be written."""
        self.set_meta("storage_probe", _now().isoformat())

    def get_meta(self, key: str) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def status_counts(self, *, start: datetime, end: datetime, by: str = "created",
                      scope: Scope = UNSCOPED) -> dict[str, int]:
        col = "h.post_created_at" if by == "created" else "h.detected_at"
        seen, seen_p = scope.hit_where(prefix=" AND ")
        rows = self.con.execute(
            f"SELECT h.status, count(*) FROM hits h WHERE {col} >= ? AND {col} < ?{seen} GROUP BY h.status",
            [start, end, *seen_p]
        ).fetchall()
        out = {"baru": 0, "dikonfirmasi": 0, "ditolak": 0}
        out.update({r[0]: int(r[1]) for r in rows})
        return out

    def latest_post_time(self) -> datetime | None:
        return self.con.execute("SELECT max(created_at) FROM posts").fetchone()[0]

    # -- misc ------------------------------------------------------------------------------
    def count(self, table: str) -> int:
        if table not in {"posts", "hits", "roster", "accounts", "quarantine", "post_revisions", "audit_log", "cursors"}:
            raise ValueError(table)
        return int(self.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def quarantined(self) -> list[dict]:
        return self._dicts("SELECT * FROM quarantine ORDER BY id")

    def post(self, platform: str, post_id: str) -> dict | None:
        rows = self._dicts("SELECT * FROM posts WHERE platform = ? AND post_id = ?", [platform, post_id])
        return rows[0] if rows else None

    def _dicts(self, sql: str, params: Sequence[Any] | None = None) -> list[dict]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
