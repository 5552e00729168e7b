"""Official-output queries (SQL only): confirmed findings of a period, the monthly summary per agency."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.store.scope import UNSCOPED, Scope


class ReportQueries:
    """Mixin of :class:`monitor.store.Store` (uses its ``con``, ``_dicts`` and ``_HIT_SELECT``)."""

    con: Any

    def findings(self, start: datetime, end: datetime, scope: Scope = UNSCOPED) -> list[dict]:
        """Confirmed hits reviewed in ``[start, end)`` with their post, person and captured media
        (only hits ``scope`` may see)."""
        seen, seen_p = scope.hit_where(prefix=" AND ")
        sql = (self._HIT_SELECT  # type: ignore[attr-defined]
               + " WHERE h.status = 'dikonfirmasi' AND h.reviewed_at >= ? AND h.reviewed_at < ?" + seen
               + " ORDER BY h.reviewed_at, h.hit_id")
        rows = [self._decode_hit(r) for r in self._dicts(sql, [start, end, *seen_p])]  # type: ignore[attr-defined]
        for r in rows:
            r["post"] = self.post_details(r["platform"], r["post_id"])  # type: ignore[attr-defined]
            r["media"] = [m for m in self.media_of(r["platform"], r["post_id"])  # type: ignore[attr-defined]
                          if m["status"] == "captured"]
        return rows

    def monthly_summary(self, start: datetime, end: datetime, scope: Scope = UNSCOPED) -> list[dict]:
        """Per agency (the person's ``instansi``; '(tidak diketahui)' when unknown): hits whose post
        was made in ``[start, end)`` by status, distinct people, confirmed hits per behaviour and
        deleted posts (only hits ``scope`` may see)."""
        seen, seen_p = scope.hit_where(prefix=" AND ")
        return self._dicts(  # type: ignore[attr-defined]
            """
            SELECT coalesce(r.instansi, '(tidak diketahui)') AS instansi,
                   count(*) AS hits,
                   count(*) FILTER (WHERE h.status = 'dikonfirmasi') AS dikonfirmasi,
                   count(*) FILTER (WHERE h.status = 'ditolak') AS ditolak,
                   count(*) FILTER (WHERE h.status = 'baru') AS baru,
                   count(DISTINCT coalesce(h.confirmed_nip, h.nip)) FILTER (WHERE h.status = 'dikonfirmasi') AS asn,
                   count(*) FILTER (WHERE h.status = 'dikonfirmasi' AND h.behaviour = 'post') AS post,
                   count(*) FILTER (WHERE h.status = 'dikonfirmasi' AND h.behaviour = 'comment') AS comment,
                   count(*) FILTER (WHERE h.status = 'dikonfirmasi' AND h.behaviour IN ('share', 'forward'))
                       AS share,
                   count(*) FILTER (WHERE h.status = 'dikonfirmasi' AND h.behaviour = 'quote') AS quote,
                   count(*) FILTER (WHERE c.state = 'deleted') AS deleted_posts
            FROM hits h
            LEFT JOIN roster r ON r.nip = coalesce(h.confirmed_nip, h.nip)
            LEFT JOIN post_checks c ON c.platform = h.platform AND c.post_id = h.post_id
            WHERE h.post_created_at >= ? AND h.post_created_at < ?""" + seen + """
            GROUP BY 1 ORDER BY dikonfirmasi DESC, hits DESC, instansi
            """, [start, end, *seen_p])
