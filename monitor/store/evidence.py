"""Evidence queries (SQL only): what an evidence package holds, captured media, deletion watch."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

# hits whose post is watched and whose media are captured: everything not dismissed
WATCHED_STATUSES = ("baru", "dikonfirmasi")
MAX_MEDIA_ATTEMPTS = 3


def _now() -> datetime:
    return datetime.now(timezone.utc)


class EvidenceQueries:
    """Mixin of :class:`monitor.store.Store` (uses its ``con`` and ``_dicts``)."""

    con: Any

    # -- evidence package ------------------------------------------------------------------
    def evidence_rows(self, hit_id: str) -> dict | None:
        """The hit, its post row (raw payload as stored), the stored parent, revisions and media."""
        hit = self.get_hit(hit_id)  # type: ignore[attr-defined]
        if hit is None:
            return None
        post = self.post(hit["platform"], hit["post_id"])  # type: ignore[attr-defined]
        parent = None
        if post and post.get("parent_post_id"):
            parent = self.post(hit["platform"], post["parent_post_id"])  # type: ignore[attr-defined]
        revisions = self._dicts(  # type: ignore[attr-defined]
            "SELECT seen_at, source, raw, raw_sha256 FROM post_revisions WHERE platform = ? AND post_id = ? "
            "ORDER BY seen_at, raw_sha256", [hit["platform"], hit["post_id"]])
        return {"hit": hit, "post": post, "parent": parent, "revisions": revisions,
                "media": self.media_of(hit["platform"], hit["post_id"]),
                "check": self.post_check(hit["platform"], hit["post_id"])}

    # -- media -----------------------------------------------------------------------------
    def media_of(self, platform: str, post_id: str) -> list[dict]:
        return self._dicts(  # type: ignore[attr-defined]
            "SELECT * FROM media WHERE platform = ? AND post_id = ? ORDER BY url", [platform, post_id])

    def media_candidates(self, limit: int = 200) -> list[dict]:
        """Posts behind hits not dismissed whose media are not settled yet, with their raw payload
        and the media URLs already done (captured, or failed too often), oldest detection first."""
        rows = self._dicts(  # type: ignore[attr-defined]
            "SELECT p.platform, p.post_id, p.raw, min(h.detected_at) AS first_hit "
            "FROM posts p JOIN hits h USING (platform, post_id) "
            "WHERE h.status IN (?, ?) AND NOT EXISTS (SELECT 1 FROM media_scans m "
            "WHERE m.platform = p.platform AND m.post_id = p.post_id) "
            "GROUP BY p.platform, p.post_id, p.raw ORDER BY first_hit, p.platform, p.post_id LIMIT ?",
            [*WATCHED_STATUSES, int(limit)])
        for r in rows:
            done = self.con.execute(
                "SELECT url FROM media WHERE platform = ? AND post_id = ? AND (status = 'captured' OR attempts >= ?)",
                [r["platform"], r["post_id"], MAX_MEDIA_ATTEMPTS]).fetchall()
            r["done"] = {d[0] for d in done}
        return rows

    def record_media(self, *, platform: str, post_id: str, url: str, kind: str, sha256: str | None = None,
                     size: int | None = None, content_type: str | None = None, file: str | None = None,
                     error: str | None = None, give_up: bool = False) -> None:
        """Record a capture (or a failed attempt). A captured row is never replaced. ``give_up``: a
        failure not worth retrying (e.g. a URL refused by the SSRF guard): counted as the last attempt."""
        status = "captured" if error is None else "failed"
        floor = MAX_MEDIA_ATTEMPTS if give_up and error is not None else 1
        self.con.execute(
            "INSERT INTO media VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, post_id, url) "
            "DO UPDATE SET status = excluded.status, attempts = greatest(media.attempts + 1, excluded.attempts), "
            "sha256 = excluded.sha256, "
            "size = excluded.size, content_type = excluded.content_type, file = excluded.file, "
            "captured_at = excluded.captured_at, error = excluded.error WHERE media.status <> 'captured'",
            [platform, post_id, url, kind, status, floor, sha256, size, content_type, file, _now(), error])

    def settle_media(self, platform: str, post_id: str, links: int) -> None:
        """Every media link of the post is captured or given up: do not scan it again."""
        self.con.execute("INSERT INTO media_scans VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                         [platform, post_id, _now(), links])

    def drop_orphan_media(self, actor: str = "media") -> list[str]:
        """Forget media of posts that are no longer stored (removed by retention); returns the files
        no remaining row refers to, for the caller to delete. Audit-logged."""
        orphan = "NOT EXISTS (SELECT 1 FROM posts p WHERE p.platform = m.platform AND p.post_id = m.post_id)"
        self.con.begin()
        try:
            rows = self.con.execute(f"SELECT DISTINCT file FROM media m WHERE {orphan} AND file IS NOT NULL").fetchall()
            n = self.con.execute(f"DELETE FROM media m WHERE {orphan}").fetchone()[0]
            self.con.execute("DELETE FROM media_scans m WHERE " + orphan)
            self.con.execute("DELETE FROM post_checks m WHERE " + orphan)
            files = [r[0] for r in rows]
            still = {r[0] for r in self.con.execute("SELECT DISTINCT file FROM media WHERE file IS NOT NULL").fetchall()}
            files = [f for f in files if f not in still]
            if n:
                self.audit(actor, "media.purge", None, {"rows": int(n), "files": files})  # type: ignore[attr-defined]
            self.con.commit()
        except Exception:
            self.con.rollback()
            raise
        return files

    # -- deletion watch --------------------------------------------------------------------
    def watch_targets(self) -> list[dict]:
        """Posts behind open or confirmed hits that are not yet known to be deleted."""
        return self._dicts(  # type: ignore[attr-defined]
            "SELECT DISTINCT p.platform, p.post_id, p.source, p.text FROM posts p "
            "JOIN hits h USING (platform, post_id) "
            "LEFT JOIN post_checks c USING (platform, post_id) "
            "WHERE h.status IN (?, ?) AND coalesce(c.state, 'present') <> 'deleted' "
            "ORDER BY p.platform, p.post_id", list(WATCHED_STATUSES))

    def post_check(self, platform: str, post_id: str) -> dict | None:
        rows = self._dicts(  # type: ignore[attr-defined]
            "SELECT * FROM post_checks WHERE platform = ? AND post_id = ?", [platform, post_id])
        return rows[0] if rows else None

    def record_check(self, platform: str, post_id: str, state: str, *, detail: str | None = None,
                     revision: tuple[str, str, str] | None = None, actor: str = "watch") -> None:
        """Record one re-check. ``noticed_at`` is set the first time a post is seen deleted or edited
        and kept afterwards; the stored post is never touched (an edited version is added to
        ``post_revisions`` when ``revision=(source, raw, sha256)`` is given). Audit-logged on change."""
        now = _now()
        before = self.post_check(platform, post_id)
        changed = state != "present" and (before is None or before["state"] != state)
        self.con.begin()
        try:
            if before is None:
                self.con.execute("INSERT INTO post_checks VALUES (?, ?, ?, ?, ?, 1, ?)",
                                 [platform, post_id, state, now, now if changed else None, detail])
            else:
                # once deleted or edited, a post stays marked (a later 'present' does not erase it)
                keep = before["state"] != "present" and state == "present"
                self.con.execute(
                    "UPDATE post_checks SET state = ?, checked_at = ?, noticed_at = ?, checks = checks + 1, "
                    "detail = ? WHERE platform = ? AND post_id = ?",
                    [before["state"] if keep else state, now, now if changed else before["noticed_at"],
                     detail if not keep else before["detail"], platform, post_id])
            if revision is not None:
                source, raw, sha = revision
                self.con.execute("INSERT INTO post_revisions VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                                 [platform, post_id, now, source, raw, sha])
            if changed:
                self.audit(actor, f"post.{state}", f"{platform}:{post_id}", {"detail": detail})  # type: ignore[attr-defined]
            self.con.commit()
        except Exception:
            self.con.rollback()
            raise
