"""The instance's office and the office columns of users, roster and hits (SQL only).

``office_code`` columns hold region codes (:mod:`monitor.models.office`). A row with no office
(``NULL``) was written before offices existed, or by a single-office instance without
``[office] code``: :meth:`OfficeQueries.adopt_office` gives such users and hits the instance's
office when one is configured (roster rows keep ``NULL``: the roster simply does not say).
"""

from __future__ import annotations

from typing import Any, Iterable

# tables whose unassigned rows belong to the instance's office, and their office columns
_ADOPTED = (("users", ("office_code",)), ("hits", ("office_code", "collector_office")))


class OfficeQueries:
    """Mixin of :class:`monitor.store.Store`."""

    con: Any
    office_code: str | None = None
    """This instance's office (``[office] code``), set by :meth:`adopt_office`; ``None``: one office."""

    def adopt_office(self, code: str | None, *, write: bool = True) -> dict[str, int]:
        """Remember the instance's office and give it every user and hit that has none yet
        (idempotent; a plain ``UPDATE`` per table, only when such rows exist). Returns the number
        of rows adopted per table. ``write=False`` (a read-only or unwritable database) only
        remembers the office; the rows are adopted at the next writable open."""
        self.office_code = code
        adopted: dict[str, int] = {}
        if code is None or not write:
            return adopted
        for table, columns in _ADOPTED:
            for column in columns:
                n = self.con.execute(f"SELECT count(*) FROM {table} WHERE {column} IS NULL").fetchone()[0]
                if n:
                    self.con.execute(f"UPDATE {table} SET {column} = ? WHERE {column} IS NULL", [code])
                    adopted[f"{table}.{column}"] = int(n)
        if adopted:
            self.audit("system", "office.adopt", code, adopted)  # type: ignore[attr-defined]
        return adopted

    def roster_offices(self, nips: Iterable[str]) -> dict[str, str]:
        """``nip -> office code`` for the given roster NIPs whose roster row names an office."""
        wanted = sorted({n for n in nips if n})
        if not wanted:
            return {}
        rows = self.con.execute(
            "SELECT nip, office_code FROM roster WHERE list_contains(?, nip) AND office_code IS NOT NULL",
            [wanted]).fetchall()
        return {r[0]: r[1] for r in rows}

    def hit_office(self, hit_id: str) -> str | None:
        row = self.con.execute("SELECT office_code FROM hits WHERE hit_id = ?", [hit_id]).fetchone()
        return row[0] if row else None

    def reassign_hit_office(self, hit_id: str) -> None:
        """After a review (which may choose the person of an ambiguous hit): the hit belongs to its
        person's roster office, else (no person, or the roster names no office) to the office that
        collected it."""
        self.con.execute(
            "UPDATE hits SET office_code = coalesce((SELECT r.office_code FROM roster r "
            "WHERE r.nip = coalesce(hits.confirmed_nip, hits.nip)), collector_office, office_code) "
            "WHERE hit_id = ?", [hit_id])
