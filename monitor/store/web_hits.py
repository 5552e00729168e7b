"""Filtered, sorted, paginated hit lists, bulk review and export rows for the web application (SQL only)."""

from __future__ import annotations

from typing import Any

from monitor.store.scope import RELEASED, SUBTREE_SQL as _SUBTREE, UNSCOPED, Scope

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

__all__ = ["RELEASED", "WEB_SORTS", "WebHitQueries", "filter_scope"]


def filter_scope(f: dict) -> Scope:
    """The :class:`~monitor.store.scope.Scope` of a filter dict: ``f["scope"]``, or a supervisor
    scope from the older ``scope_nip`` key; unscoped when neither is given."""
    scope = f.get("scope")
    if scope is not None:
        return scope
    if f.get("scope_nip") is not None:
        return Scope(supervisor_nip=f["scope_nip"])
    return UNSCOPED


class WebHitQueries:
    """Mixin of :class:`monitor.store.Store` (uses its ``con`` and ``_dicts``)."""

    con: Any

    @staticmethod
    def _web_where(f: dict, *, with_status: bool = True) -> tuple[str, list[Any]]:
        """``WHERE`` clause for the list filters (keys: start, end, instansi, unit_kerja, platform,
        behaviour, target, score_min, score_max, status, and ``scope``: what the user may see, see
        :func:`filter_scope`). Values are always parameters."""
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
        scope_conds, scope_params = filter_scope(f).hit_conditions()  # office subtree, supervisor subtree
        conds += scope_conds
        params += scope_params
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

    def web_filter_options(self, scope: Scope | str | None = None) -> dict[str, list[str]]:
        """Distinct values for the filter drop-downs (over all hits the user may see); ``scope``
        is a :class:`Scope` (a string: a supervisor's NIP, as before scopes existed)."""
        if not isinstance(scope, Scope):
            scope = Scope(supervisor_nip=scope) if scope is not None else UNSCOPED
        where, params = self._web_where({"scope": scope})
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

    def hit_in_scope(self, hit_id: str, scope: Scope) -> bool:
        """May a user with ``scope`` see this hit (office subtree, and for a supervisor their
        released roster subtree)?"""
        where, params = scope.hit_where(prefix=" AND ")
        row = self.con.execute("SELECT count(*) FROM hits h WHERE h.hit_id = ?" + where,
                               [hit_id, *params]).fetchone()
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

    # -- the web pages' fast paths -------------------------------------------------------------------
    # The posts table's key (platform, post_id) is compound, and DuckDB only looks up single-column
    # indexes: a join of a few hits to their posts scans every stored post's key (about 20 ms per
    # million posts). A hit's ``post_created_at`` is its post's ``created_at`` (except for a hit on a
    # revision whose payload changed the time), and the posts' zone maps on ``created_at`` skip the
    # row groups outside a time window. So these methods join within the window, check that every hit
    # found its post there, and otherwise fall back to the plain queries: the result is always the
    # same as ``web_list_hits`` + ``web_status_counts`` and ``get_hit``.

    def web_list_page(self, filters: dict, *, sort: str = "score", limit: int | None = 50,
                      offset: int = 0) -> tuple[list[dict], int, dict[str, int]]:
        """``(page rows, total, counts per status)`` of the daily list, as ``web_list_hits`` and
        ``web_status_counts`` return them, in two queries that read only the posts of the list's
        time window (``filters`` start/end) when every listed hit's post lies in it."""
        start, end = filters.get("start"), filters.get("end")
        if start is not None and end is not None:
            where, params = self._web_where(filters, with_status=False)
            found = self.con.execute(
                "SELECT h.status, count(*), count(p.post_id) FROM hits h "
                "LEFT JOIN roster r ON r.nip = coalesce(h.confirmed_nip, h.nip) "
                "LEFT JOIN posts p ON p.platform = h.platform AND p.post_id = h.post_id "
                "AND p.created_at >= ? AND p.created_at < ?" + where + " GROUP BY 1", [start, end, *params]
            ).fetchall()
            if all(n == with_post for _, n, with_post in found):
                counts = {"baru": 0, "dikonfirmasi": 0, "ditolak": 0}
                counts.update({r[0]: int(r[1]) for r in found})
                status = filters.get("status")
                total = counts.get(status, 0) if status else sum(counts.values())
                where, params = self._web_where(filters)
                sql = (self._HIT_SELECT + where  # type: ignore[attr-defined]
                       + " AND p.created_at >= ? AND p.created_at < ? ORDER BY " + WEB_SORTS.get(sort, WEB_SORTS["score"]))
                params = [*params, start, end]
                if limit is not None:
                    sql += " LIMIT ? OFFSET ?"
                    params += [int(limit), int(offset)]
                rows = [self._decode_hit(r) for r in self._dicts(sql, params)]  # type: ignore[attr-defined]
                return rows, total, counts
        rows, total = self.web_list_hits(filters, sort=sort, limit=limit, offset=offset)
        return rows, total, self.web_status_counts(filters)

    def web_get_hit(self, hit_id: str) -> dict | None:
        """``get_hit`` reading only the posts created at the hit's post time (else the plain lookup)."""
        row = self.con.execute("SELECT post_created_at FROM hits WHERE hit_id = ?", [hit_id]).fetchone()
        if row is None:
            return None
        rows = self._dicts(self._HIT_SELECT + " WHERE h.hit_id = ? AND p.created_at = ?",  # type: ignore[attr-defined]
                           [hit_id, row[0]])
        if rows:
            return self._decode_hit(rows[0])  # type: ignore[attr-defined]
        return self.get_hit(hit_id)  # type: ignore[attr-defined]

    def web_post_details(self, platform: str, post_id: str, created_at: Any = None) -> dict | None:
        """``post_details``, first within the posts created at ``created_at`` (the hit's post time)."""
        if created_at is not None:
            rows = self._dicts(  # type: ignore[attr-defined]
                "SELECT platform, post_id, url, kind, created_at, collected_at, source, author_id, author_handle, "
                "author_name, author_bio, author_url, parent_url, parent_author, raw_sha256 "
                "FROM posts WHERE created_at = ? AND platform = ? AND post_id = ?",
                [created_at, platform, post_id],
            )
            if rows:
                return rows[0]
        return self.post_details(platform, post_id)
