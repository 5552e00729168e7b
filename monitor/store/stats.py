"""Dashboard aggregates, roster search, one ASN's view and supervisor subtrees (SQL only)."""

from __future__ import annotations

from typing import Any


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
