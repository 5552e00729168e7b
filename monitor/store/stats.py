"""Dashboard aggregates, roster search, one ASN's view and supervisor subtrees (SQL only)."""

from __future__ import annotations

from typing import Any

from monitor.store.scope import UNSCOPED, Scope, office_condition


def _roster_visible(scope: Scope, alias: str = "r") -> tuple[str, list[Any]]:
    """`` AND ...`` keeping roster rows of the scope's office subtree, and rows whose office the
    roster does not give (the roster is national reference data; a row naming another office is
    that office's)."""
    cond, params = office_condition(f"{alias}.office_code", scope.office)
    return (f" AND ({alias}.office_code IS NULL OR {cond})", params) if cond else ("", [])


class StatsQueries:
    """Mixin of :class:`monitor.store.Store` (uses its ``con`` and ``_dicts``)."""

    con: Any

    def subtree_nips(self, nip: str) -> list[str]:
        """Every ASN below ``nip`` in the roster (direct and further down), not ``nip`` itself."""
        rows = self.con.execute(
            """
            WITH RECURSIVE below(nip) AS (
                SELECT nip FROM roster WHERE atasan_nip = ?
                UNION
                SELECT r.nip FROM roster r JOIN below b ON r.atasan_nip = b.nip
            )
            SELECT nip FROM below ORDER BY nip
            """,
            [nip],
        ).fetchall()
        return [r[0] for r in rows]

    def supervisor_chain(self, nip: str) -> list[dict]:
        """The ASN's superiors, nearest first (stops at a missing link; the roster has no cycles)."""
        chain: list[dict] = []
        seen = {nip}
        current = nip
        while True:
            row = self.con.execute(
                "SELECT s.nip, s.nama, s.jabatan, s.unit_kerja, s.instansi FROM roster r "
                "JOIN roster s ON s.nip = r.atasan_nip WHERE r.nip = ?", [current]).fetchone()
            if row is None or row[0] in seen:
                return chain
            chain.append(dict(zip(("nip", "nama", "jabatan", "unit_kerja", "instansi"), row)))
            seen.add(row[0])
            current = row[0]

    # -- dashboard -------------------------------------------------------------------------
    def dashboard_stats(self, *, start: Any, end: Any, tz: str, now: Any, scope: Scope = UNSCOPED) -> dict:
        """Hit aggregates for posts created in ``[start, end)`` (UTC), days in the office zone ``tz``,
        plus the review backlog over ALL hits (``baru`` older than 3 and 7 days before ``now``);
        every figure only over the hits ``scope`` may see."""
        seen, seen_p = scope.hit_where(prefix=" AND ")
        period = "h.post_created_at >= ? AND h.post_created_at < ?" + seen
        p = [start, end, *seen_p]
        out: dict[str, Any] = {}
        out["total"] = int(self.con.execute(f"SELECT count(*) FROM hits h WHERE {period}", p).fetchone()[0])
        out["per_day"] = [
            (r[0], int(r[1])) for r in self.con.execute(
                f"SELECT CAST(timezone(?, h.post_created_at) AS DATE) AS d, count(*) FROM hits h "
                f"WHERE {period} GROUP BY d ORDER BY d", [tz, *p]).fetchall()]
        out["per_instansi"] = [
            (r[0], int(r[1])) for r in self.con.execute(
                "SELECT coalesce(r.instansi, '') AS k, count(*) AS n FROM hits h "
                "LEFT JOIN roster r ON r.nip = coalesce(h.confirmed_nip, h.nip) "
                f"WHERE {period} GROUP BY k ORDER BY n DESC, k", p).fetchall()]
        out["per_behaviour"] = [
            (r[0], int(r[1])) for r in self.con.execute(
                f"SELECT h.behaviour AS k, count(*) AS n FROM hits h WHERE {period} GROUP BY k ORDER BY n DESC, k",
                p).fetchall()]
        out["per_target"] = [
            (r[0], int(r[1])) for r in self.con.execute(
                "SELECT k, count(*) AS n FROM (SELECT unnest(json_extract_string(h.targets, '$[*]')) AS k "
                f"FROM hits h WHERE {period}) GROUP BY k ORDER BY n DESC, k", p).fetchall()]
        status = {"baru": 0, "dikonfirmasi": 0, "ditolak": 0}
        for r in self.con.execute(f"SELECT h.status, count(*) FROM hits h WHERE {period} GROUP BY 1", p).fetchall():
            status[r[0]] = int(r[1])
        out["status"] = status
        row = self.con.execute(
            "SELECT count(*) FILTER (WHERE h.detected_at < ? - INTERVAL 3 DAY), "
            "count(*) FILTER (WHERE h.detected_at < ? - INTERVAL 7 DAY), count(*) FROM hits h "
            "WHERE h.status = 'baru'" + seen,
            [now, now, *seen_p]).fetchone()
        out["backlog"] = {"older_3": int(row[0]), "older_7": int(row[1]), "open": int(row[2])}
        oldest = self._dicts(
            "SELECT h.hit_id, h.detected_at, h.post_created_at FROM hits h WHERE h.status = 'baru'" + seen
            + " ORDER BY h.detected_at, h.post_created_at, h.hit_id LIMIT 1", seen_p)
        out["oldest_open"] = oldest[0] if oldest else None
        return out

    def latest_hit_post_time(self, scope: Scope = UNSCOPED) -> Any:
        where, params = scope.hit_where()
        return self.con.execute("SELECT max(h.post_created_at) FROM hits h" + where, params).fetchone()[0]

    # -- roster search ---------------------------------------------------------------------
    def roster_names(self) -> list[tuple[str, str]]:
        """``(nip, nama)`` of every roster row (the web layer matches normalised names on them)."""
        return [(r[0], r[1]) for r in self.con.execute("SELECT nip, nama FROM roster ORDER BY nip").fetchall()]

    def search_roster(self, q: str = "", *, also_nips: Any = (), limit: int = 50, offset: int = 0,
                      scope: Scope = UNSCOPED) -> tuple[int, list[dict]]:
        """Roster rows whose NIP starts with ``q`` or whose name contains it (case-insensitive), plus
        ``also_nips``; with each ASN's number of hits (those ``scope`` may see). Only rows of the
        scope's office subtree or without an office. Returns ``(total, page)``."""
        q = (q or "").strip()
        where, params = " WHERE true", []
        if q:
            digits = q.replace(" ", "")
            where = " WHERE (starts_with(r.nip, ?) OR r.nama ILIKE ? ESCAPE '\\'"
            like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params = [digits, like]
            extra = sorted(set(also_nips))
            if extra:
                where += " OR list_contains(?, r.nip)"
                params.append(extra)
            where += ")"
        visible, visible_p = _roster_visible(scope)
        where += visible
        params += visible_p
        seen, seen_p = scope.hit_where(prefix=" AND ")
        total = int(self.con.execute("SELECT count(*) FROM roster r" + where, params).fetchone()[0])
        rows = self._dicts(
            "SELECT r.nip, r.nama, r.jabatan, r.unit_kerja, r.instansi, "
            "(SELECT count(*) FROM hits h WHERE coalesce(h.confirmed_nip, h.nip) = r.nip" + seen + ") AS hits "
            "FROM roster r" + where + " ORDER BY r.nama, r.nip LIMIT ? OFFSET ?",
            [*seen_p, *params, int(limit), int(offset)])
        return total, rows

    # -- one ASN ---------------------------------------------------------------------------
    def roster_person(self, nip: str, scope: Scope = UNSCOPED) -> dict | None:
        """One roster row (None when unknown, or when the roster gives it an office outside ``scope``)."""
        visible, visible_p = _roster_visible(scope)
        rows = self._dicts(
            "SELECT r.nip, r.nama, r.jabatan, r.unit_kerja, r.instansi, r.atasan_nip, r.email, r.telegram, "
            "r.office_code FROM roster r WHERE r.nip = ?" + visible, [nip, *visible_p])
        return rows[0] if rows else None

    def person_accounts(self, nip: str) -> list[dict]:
        return self._dicts("SELECT platform, value FROM accounts WHERE nip = ? ORDER BY platform, value", [nip])

    def direct_subordinates(self, nip: str) -> list[dict]:
        return self._dicts(
            "SELECT nip, nama, jabatan, unit_kerja FROM roster WHERE atasan_nip = ? ORDER BY nama, nip", [nip])

    def person_hits(self, nip: str, limit: int = 500, scope: Scope = UNSCOPED) -> list[dict]:
        """Hits attributed to ``nip`` (detected or confirmed) and ambiguous hits naming it as a candidate
        (``as_candidate`` true); only those ``scope`` may see."""
        seen, seen_p = scope.hit_where(prefix=" AND ")
        return self._dicts(
            """
            SELECT h.hit_id, h.post_created_at AS created_at, h.platform, h.behaviour, h.score, h.status,
                   h.ambiguous, coalesce(h.confirmed_nip, h.nip) AS nip,
                   NOT (coalesce(h.nip = ?, false) OR coalesce(h.confirmed_nip = ?, false)) AS as_candidate
            FROM hits h
            WHERE (h.nip = ? OR h.confirmed_nip = ?
               OR (h.ambiguous AND list_contains(json_extract_string(h.candidates, '$[*].nip'), ?)))
            """ + seen + """
            ORDER BY h.post_created_at DESC, h.hit_id
            LIMIT ?
            """,
            [nip, nip, nip, nip, nip, *seen_p, int(limit)])
