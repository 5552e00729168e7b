"""Retention (data minimisation, UU 27/2022) and legal hold: store queries, mixed into ``Store``.

What a run may remove, each rule off unless its cut-off is given:

* posts of authors who match nobody on the roster, collected before ``unmatched_before``, with
  their revisions. "Match nobody" is read strictly: the post never led to a hit, its author's
  account is neither declared on the roster nor linked to a NIP by a reviewer
  (``account_links``), and it is not the parent (the replied-to, shared or quoted post) of a
  post that has a hit -- the parent is part of that hit's evidence;
* quarantined inputs received before ``quarantine_before``;
* posts whose every hit was DISMISSED before ``dismissed_before`` and none is on legal hold, with
  those hits and the posts' revisions (a false match is not kept about a person forever).

Never removed: a post behind a hit that is new/under review or confirmed, or behind any hit on
legal hold. Each run is one transaction and leaves a row in ``retention_runs`` (cut-offs and
counts) and one row per removed item in ``retention_removed`` holding only SHA-256 hashes of the
ids and payloads (enough to answer "was this post deleted, and when", without keeping it).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable, Iterable


def _now() -> datetime:
    return datetime.now(timezone.utc)


class RetentionQueries:
    con: Any

    # -- legal hold ------------------------------------------------------------------------
    def set_legal_hold(self, hit_id: str, *, hold: bool, actor: str, reason: str) -> None:
        """Put a hit on legal hold (or lift it); audit-logged with the reason."""
        from monitor.store.errors import StoreError

        row = self.con.execute("SELECT coalesce(legal_hold, false) FROM hits WHERE hit_id = ?", [hit_id]).fetchone()
        if row is None:
            raise StoreError(f"hit {hit_id} not found")
        self.con.begin()
        try:
            if hold:
                self.con.execute("UPDATE hits SET legal_hold = true, legal_hold_by = ?, legal_hold_at = ?, "
                                 "legal_hold_reason = ? WHERE hit_id = ?", [actor, _now(), reason, hit_id])
            else:
                self.con.execute("UPDATE hits SET legal_hold = false, legal_hold_by = ?, legal_hold_at = ?, "
                                 "legal_hold_reason = ? WHERE hit_id = ?", [actor, _now(), reason, hit_id])
            self.audit(actor, "hit.legal_hold" if hold else "hit.legal_hold_cleared", hit_id,  # type: ignore[attr-defined]
                       {"reason": reason, "previous": bool(row[0])})
            self.con.commit()
        except Exception:
            self.con.rollback()
            raise

    def legal_holds(self) -> list[dict]:
        return self._dicts(  # type: ignore[attr-defined]
            "SELECT hit_id, platform, post_id, coalesce(confirmed_nip, nip) AS nip, status, legal_hold_by, "
            "legal_hold_at, legal_hold_reason FROM hits WHERE legal_hold ORDER BY legal_hold_at")

    # -- runs ------------------------------------------------------------------------------
    def purge(self, *, unmatched_before: datetime | None, quarantine_before: datetime | None, actor: str,
              dismissed_before: datetime | None = None,
              remove_files: Callable[[list[str]], None] | None = None,
              keep_authors: Iterable[tuple] | None = None) -> dict:
        """Apply the retention rules (module docstring) in one transaction; return the counts.

        The result has ``posts``, ``revisions`` and ``quarantine``; ``hits`` too when
        ``dismissed_before`` is given (and ``media``: captured media rows of those posts). The run
        is recorded in ``retention_runs`` / ``retention_removed`` and the audit log. After the commit,
        ``remove_files`` is called with the captured media files (paths relative to the media folder)
        that no remaining post refers to any more. ``keep_authors`` (required with
        ``unmatched_before``): raw ``(platform, author_id, author_handle, author_url)`` of authors who
        match someone on the roster (:func:`monitor.retention.roster_authors` decides; the store does
        not normalise account keys itself).
        """
        out = {"posts": 0, "revisions": 0, "quarantine": 0}
        if dismissed_before is not None:
            out["hits"] = 0
            out["media"] = 0
        orphans: list[str] = []
        same = "h.platform = p.platform AND h.post_id = p.post_id"
        doomed: list[str] = []
        params: list[Any] = []
        if unmatched_before is not None:
            if keep_authors is None:
                raise ValueError("keep_authors is required with unmatched_before (monitor.retention.roster_authors)")
            self._stage_roster_authors(list(keep_authors))
            doomed.append(
                f"(p.collected_at < ? AND NOT EXISTS (SELECT 1 FROM hits h WHERE {same}) "
                "AND NOT EXISTS (SELECT 1 FROM posts c JOIN hits h ON h.platform = c.platform AND h.post_id = c.post_id "
                "WHERE c.platform = p.platform AND c.parent_post_id = p.post_id) "
                "AND NOT EXISTS (SELECT 1 FROM _roster_authors a WHERE a.platform = p.platform "
                "AND a.author_id IS NOT DISTINCT FROM p.author_id AND a.author_handle IS NOT DISTINCT FROM p.author_handle "
                "AND a.author_url IS NOT DISTINCT FROM p.author_url))")
            params.append(unmatched_before)
        if dismissed_before is not None:
            doomed.append(
                f"(EXISTS (SELECT 1 FROM hits h WHERE {same}) AND NOT EXISTS (SELECT 1 FROM hits h WHERE {same} AND "
                "(h.status <> 'ditolak' OR coalesce(h.legal_hold, false) OR h.reviewed_at IS NULL "
                "OR h.reviewed_at >= ?)))")
            params.append(dismissed_before)
        self.con.begin()
        try:
            run_id = self.con.execute("SELECT nextval('retention_run_seq')").fetchone()[0]
            if doomed:
                self.con.execute("CREATE OR REPLACE TEMP TABLE _doomed AS SELECT p.platform, p.post_id, p.raw_sha256 "
                                 "FROM posts p WHERE " + " OR ".join(doomed), params)
                ins = "INSERT INTO retention_removed "
                key = "sha256(d.platform || ':' || d.post_id)"
                out["revisions"] = self.con.execute(
                    ins + f"SELECT ?, 'revision', r.platform, {key}, r.raw_sha256 FROM post_revisions r "
                    "JOIN _doomed d USING (platform, post_id)", [run_id]).fetchone()[0]
                self.con.execute("DELETE FROM post_revisions r WHERE EXISTS (SELECT 1 FROM _doomed d "
                                 "WHERE d.platform = r.platform AND d.post_id = r.post_id)")
                if dismissed_before is not None:
                    out["hits"] = self.con.execute(
                        ins + "SELECT ?, 'hit', h.platform, sha256(h.hit_id), h.payload_sha256 FROM hits h "
                        "JOIN _doomed d USING (platform, post_id)", [run_id]).fetchone()[0]
                    self.con.execute("DELETE FROM hits h WHERE EXISTS (SELECT 1 FROM _doomed d "
                                     "WHERE d.platform = h.platform AND d.post_id = h.post_id)")
                    out["media"], orphans = self._purge_evidence_rows(run_id)
                out["posts"] = self.con.execute(
                    ins + f"SELECT ?, 'post', d.platform, {key}, d.raw_sha256 FROM _doomed d", [run_id]).fetchone()[0]
                self.con.execute("DELETE FROM posts p WHERE EXISTS (SELECT 1 FROM _doomed d "
                                 "WHERE d.platform = p.platform AND d.post_id = p.post_id)")
                self.con.execute("DROP TABLE _doomed")
                self.con.execute("DROP TABLE IF EXISTS _roster_authors")
            if quarantine_before is not None:
                out["quarantine"] = self.con.execute(
                    "INSERT INTO retention_removed SELECT ?, 'quarantine', NULL, sha256(CAST(id AS VARCHAR)), "
                    "payload_sha256 FROM quarantine WHERE received_at < ?", [run_id, quarantine_before]).fetchone()[0]
                self.con.execute("DELETE FROM quarantine WHERE received_at < ?", [quarantine_before])
            cutoffs = {"unmatched_before": unmatched_before, "quarantine_before": quarantine_before,
                       "dismissed_before": dismissed_before}
            self.con.execute("INSERT INTO retention_runs VALUES (?, ?, ?, ?, ?)", [
                run_id, _now(), actor, json.dumps({k: v.isoformat() if v else None for k, v in cutoffs.items()}),
                json.dumps(out)])
            self.audit(actor, "retention.purge", None, {**out, **cutoffs, "run_id": run_id})  # type: ignore[attr-defined]
            self.con.commit()
        except Exception:
            self.con.rollback()
            raise
        if orphans and remove_files is not None:
            remove_files(orphans)
        return out

    def unhit_authors(self, before: datetime) -> list[tuple]:
        """Distinct raw ``(platform, author_id, author_handle, author_url)`` of posts collected before
        ``before`` that have no hit: the authors a retention run would ask about."""
        return self.con.execute(
            "SELECT DISTINCT p.platform, p.author_id, p.author_handle, p.author_url FROM posts p "
            "WHERE p.collected_at < ? AND NOT EXISTS (SELECT 1 FROM hits h WHERE h.platform = p.platform "
            "AND h.post_id = p.post_id)", [before]).fetchall()

    def known_accounts(self) -> tuple[list[tuple[str, str]], set[tuple[str, str]]]:
        """The roster's declared accounts as stored, and the reviewer-linked author keys."""
        declared = [(r[0], r[1]) for r in self.con.execute("SELECT platform, value FROM accounts").fetchall()]
        linked = {(r[0], r[1]) for r in self.con.execute("SELECT platform, account FROM account_links").fetchall()}
        return declared, linked

    def _stage_roster_authors(self, keep: list[tuple]) -> None:
        """Temp table ``_roster_authors`` holding the raw author columns a run must not delete."""
        import pyarrow as pa

        tbl = pa.table({name: pa.array([a[i] for a in keep], pa.string())
                        for i, name in enumerate(("platform", "author_id", "author_handle", "author_url"))})
        self.con.register("_roster_authors_arrow", tbl)
        try:
            self.con.execute("CREATE OR REPLACE TEMP TABLE _roster_authors AS SELECT * FROM _roster_authors_arrow")
        finally:
            self.con.unregister("_roster_authors_arrow")

    def _purge_evidence_rows(self, run_id: int) -> tuple[int, list[str]]:
        """Media and deletion-watch rows of the doomed posts (tables of the evidence migration, when present)."""
        tables = {r[0] for r in self.con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                                                 "AND table_name IN ('media', 'post_checks')").fetchall()}
        n, orphans = 0, []
        doomed = "EXISTS (SELECT 1 FROM _doomed d WHERE d.platform = {t}.platform AND d.post_id = {t}.post_id)"
        if "media" in tables:
            files = [r[0] for r in self.con.execute(
                f"SELECT DISTINCT file FROM media WHERE file IS NOT NULL AND {doomed.format(t='media')}").fetchall()]
            n = self.con.execute(
                "INSERT INTO retention_removed SELECT ?, 'media', platform, "
                "sha256(platform || ':' || post_id || ' ' || url), sha256 FROM media WHERE " + doomed.format(t="media"),
                [run_id]).fetchone()[0]
            self.con.execute("DELETE FROM media WHERE " + doomed.format(t="media"))
            still = {r[0] for r in self.con.execute("SELECT DISTINCT file FROM media WHERE file IS NOT NULL").fetchall()}
            orphans = sorted(f for f in files if f not in still)  # files are content-addressed, maybe shared
        if "post_checks" in tables:
            self.con.execute("DELETE FROM post_checks WHERE " + doomed.format(t="post_checks"))
        return int(n), orphans

    def retention_runs(self, limit: int = 50) -> list[dict]:
        rows = self._dicts("SELECT * FROM retention_runs ORDER BY run_id DESC LIMIT ?", [limit])  # type: ignore[attr-defined]
        for r in rows:
            r["cutoffs"], r["counts"] = json.loads(r["cutoffs"]), json.loads(r["counts"])
        return rows

    def retention_removed(self, run_id: int) -> list[dict]:
        return self._dicts("SELECT * FROM retention_removed WHERE run_id = ? ORDER BY kind, id_sha256",  # type: ignore[attr-defined]
                           [run_id])
