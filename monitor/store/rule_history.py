"""Rule file version history and the stored posts a backtest re-scores (SQL only)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from monitor.store.scope import UNSCOPED, Scope

_POST_COLUMNS = (
    "platform, post_id, url, created_at, kind, author_id, author_handle, author_name, author_bio, "
    "author_url, text, parent_post_id, parent_url, parent_text, parent_author"
)


class RuleHistory:
    """Mixin of :class:`monitor.store.Store` (uses its ``con`` and ``_dicts``)."""

    con: Any

    # -- hit counts ------------------------------------------------------------------------
    def rule_hit_counts(self, scope: Scope = UNSCOPED) -> dict[str, int]:
        """Number of hits (those ``scope`` may see) each rule id took part in (``hits.rules`` is a
        JSON array of matches)."""
        where, params = scope.hit_where()
        rows = self.con.execute(
            """
            SELECT rid, count(DISTINCT hit_id) FROM (
                SELECT h.hit_id, unnest(json_extract_string(h.rules, '$[*].rule_id')) AS rid FROM hits h"""
            + where + """
            ) WHERE rid IS NOT NULL GROUP BY rid
            """, params
        ).fetchall()
        return {r[0]: int(r[1]) for r in rows}

    # -- versions --------------------------------------------------------------------------
    def add_rule_version(self, file: str, content: str, sha256: str, author: str, message: str | None) -> int:
        row = self.con.execute(
            "INSERT INTO rule_file_versions VALUES (nextval('rule_version_seq'), ?, ?, ?, ?, ?, ?) RETURNING id",
            [file, content, sha256, author, datetime.now(timezone.utc), message],
        ).fetchone()
        return int(row[0])

    def rule_versions(self, file: str) -> list[dict]:
        """Every stored version of one rule file, oldest first."""
        return self._dicts(  # type: ignore[attr-defined]
            "SELECT id, file, content, sha256, author, saved_at, message FROM rule_file_versions "
            "WHERE file = ? ORDER BY id",
            [file],
        )

    def latest_rule_version(self, file: str) -> dict | None:
        rows = self._dicts(  # type: ignore[attr-defined]
            "SELECT id, file, content, sha256, author, saved_at, message FROM rule_file_versions "
            "WHERE file = ? ORDER BY id DESC LIMIT 1",
            [file],
        )
        return rows[0] if rows else None

    def rule_version(self, version_id: int) -> dict | None:
        rows = self._dicts(  # type: ignore[attr-defined]
            "SELECT id, file, content, sha256, author, saved_at, message FROM rule_file_versions WHERE id = ?",
            [version_id],
        )
        return rows[0] if rows else None

    # -- backtest input --------------------------------------------------------------------
    def posts_since(self, since: datetime, limit: int = 50_000) -> list[dict]:
        """Stored posts created at or after ``since`` (newest first), with the columns a Post needs."""
        return self._dicts(  # type: ignore[attr-defined]
            f"SELECT {_POST_COLUMNS} FROM posts WHERE created_at >= ? ORDER BY created_at DESC LIMIT ?",
            [since, int(limit)],
        )
