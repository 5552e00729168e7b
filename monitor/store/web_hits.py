"""Filtered, sorted, paginated hit lists, bulk review and export rows for the web application (SQL only)."""

from __future__ import annotations

from typing import Any

# Sort keys the web layer may ask for; anything else falls back to "score".
WEB_SORTS: dict[str, str] = {
    "score": "h.score DESC, h.post_created_at, h.hit_id",
    "time": "h.post_created_at DESC, h.hit_id",
    "instansi": "r.instansi NULLS LAST, h.score DESC, h.hit_id",
    # the learned ranker's probability of confirmation; unranked hits (no model yet, or newer than the
    # last ranking) follow in score order
    "rank": "h.rank_score DESC NULLS LAST, h.score DESC, h.post_created_at, h.hit_id",
}

_TARGETS = "from_json(h.targets, '[\"VARCHAR\"]')"

# ASN below a supervisor (the same walk as StatsQueries.subtree_nips), as a sub-query with one parameter.
_SUBTREE = """(
    WITH RECURSIVE below(nip) AS (
        SELECT nip FROM roster WHERE atasan_nip = ?
        UNION
        SELECT r2.nip FROM roster r2 JOIN below b ON r2.atasan_nip = b.nip
    ) SELECT nip FROM below)"""


# A hit is released to supervisors once a watcher confirmed it, or once the alert policy sent an
# alert about it (the automatic policy: a declared account above a score).
RELEASED = ("(h.status = 'dikonfirmasi' OR (h.status <> 'ditolak' AND EXISTS "
            "(SELECT 1 FROM alerts a WHERE a.hit_id = h.hit_id)))")


class WebHitQueries:
    """Mixin of :class:`monitor.store.Store` (uses its ``con`` and ``_dicts``)."""

    con: Any

    @staticmethod
    def _web_where(f: dict, *, with_status: bool = True) -> tuple[str, list[Any]]:
        """``WHERE`` clause for the list filters (keys: start, end, instansi, unit_kerja, platform,
        behaviour, target, score_min, score_max, status, scope_nip). Values are always parameters."""
        conds: list[str] = []
        params: list[Any] = []
        if f.get("start") is not None:
            conds.append("h.post_created_at >= ?")
            params.append(f["start"])
        if f.get("end") is not None:
            conds.append("h.post_created_at < ?")
            params.append(f["end"])
        for key, col in (("instansi", "r.instansi"), ("unit_kerja", "r.unit_kerja"),
                         ("platform", "h.platform"), ("behaviour", "h.behaviour")):
            if f.get(key):
                conds.append(f"{col} = ?")
                params.append(f[key])
        if f.get("target"):
            conds.append(f"list_contains({_TARGETS}, ?)")
            params.append(f["target"])
        if f.get("score_min") is not None:
            conds.append("h.score >= ?")
            params.append(float(f["score_min"]))
        if f.get("score_max") is not None:
            conds.append("h.score <= ?")
            params.append(float(f["score_max"]))
        if with_status and f.get("status"):
            conds.append("h.status = ?")
            params.append(f["status"])
        if f.get("scope_nip") is not None:
            # a supervisor: only released hits of the people below them
            conds.append(f"coalesce(h.confirmed_nip, h.nip) IN {_SUBTREE}")
            params.append(f["scope_nip"])
            conds.append(RELEASED)
        return (" WHERE " + " AND ".join(conds)) if conds else "", params

    def web_list_hits(self, filters: dict, *, sort: str = "score", limit: int | None = 50,
                      offset: int = 0) -> tuple[list[dict], int]:
        """One page of hits matching ``filters`` and the total number of matches."""
        where, params = self._web_where(filters)
        order = WEB_SORTS.get(sort, WEB_SORTS["score"])
        total = self.con.execute(
            "SELECT count(*) FROM hits h JOIN posts p USING (platform, post_id) "
            "LEFT JOIN roster r ON r.nip = coalesce(h.confirmed_nip, h.nip)" + where, params
        ).fetchone()[0]
        sql = self._HIT_SELECT + where + " ORDER BY " + order  # type: ignore[attr-defined]
        page_params = list(params)
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            page_params += [int(limit), int(offset)]
        rows = [self._decode_hit(r) for r in self._dicts(sql, page_params)]  # type: ignore[attr-defined]
        return rows, int(total)

    def web_status_counts(self, filters: dict) -> dict[str, int]:
        """Hits per status with the current filters (the status filter itself ignored)."""
        where, params = self._web_where(filters, with_status=False)
        rows = self.con.execute(
            "SELECT h.status, count(*) FROM hits h JOIN posts p USING (platform, post_id) "
            "LEFT JOIN roster r ON r.nip = coalesce(h.confirmed_nip, h.nip)" + where + " GROUP BY 1", params
        ).fetchall()
        out = {"baru": 0, "dikonfirmasi": 0, "ditolak": 0}
        out.update({r[0]: int(r[1]) for r in rows})
        return out

    def web_filter_options(self, scope_nip: str | None = None) -> dict[str, list[str]]:
        """Distinct values for the filter drop-downs (over all hits the user may see)."""
        where, params = self._web_where({"scope_nip": scope_nip})
        base = ("FROM hits h LEFT JOIN roster r ON r.nip = coalesce(h.confirmed_nip, h.nip)" + where)
        out: dict[str, list[str]] = {}
        for key, expr in (("instansi", "r.instansi"), ("unit_kerja", "r.unit_kerja"),
                          ("platform", "h.platform"), ("behaviour", "h.behaviour"),
                          ("target", f"unnest({_TARGETS})")):
            rows = self.con.execute(f"SELECT DISTINCT v FROM (SELECT {expr} AS v {base}) WHERE v IS NOT NULL "
                                    "ORDER BY v", params).fetchall()
            out[key] = [r[0] for r in rows]
        return out

    def hit_in_subtree(self, hit_id: str, supervisor_nip: str) -> bool:
        """Is the hit's person (confirmed, else detected) below ``supervisor_nip`` in the roster?"""
        row = self.con.execute(
            f"SELECT count(*) FROM hits h WHERE h.hit_id = ? AND coalesce(h.confirmed_nip, h.nip) IN {_SUBTREE}",
            [hit_id, supervisor_nip],
        ).fetchone()
        return bool(row[0])

    def hit_visible_to_supervisor(self, hit_id: str, supervisor_nip: str) -> bool:
        """Below the supervisor in the roster AND released by the alert policy."""
        row = self.con.execute(
            f"SELECT count(*) FROM hits h WHERE h.hit_id = ? AND coalesce(h.confirmed_nip, h.nip) IN {_SUBTREE} "
            f"AND {RELEASED}",
            [hit_id, supervisor_nip],
        ).fetchone()
        return bool(row[0])

    def post_details(self, platform: str, post_id: str) -> dict | None:
        """Author and collection fields of a post for the hit page (not the raw payload)."""
        rows = self._dicts(  # type: ignore[attr-defined]
            "SELECT platform, post_id, url, kind, created_at, collected_at, source, author_id, author_handle, "
            "author_name, author_bio, author_url, parent_url, parent_author, raw_sha256 "
            "FROM posts WHERE platform = ? AND post_id = ?",
            [platform, post_id],
        )
        return rows[0] if rows else None
