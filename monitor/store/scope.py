"""What one user may see, as SQL: the office subtree, and for supervisors their roster subtree.

A :class:`Scope` is made once per request by the web layer (from the signed-in user) or once per
command by the CLI (from ``[office] code``) and handed to every store query that returns hits or
aggregates of hits. The queries call :meth:`Scope.hit_conditions` (or :func:`office_condition` for
another table) instead of writing the rules themselves, so the rules live here only:

* office: ``h.office_code`` must be the user's office or below it (``61`` sees ``61`` and
  ``61.71``; the national office ``ID``, or no office at all in a single-office instance, sees
  everything);
* supervisor (``atasan``): only hits of the people below them in the roster, and only once
  released (confirmed by a watcher, or alerted by the automatic policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.models.office import NATIONAL

# ASN below a supervisor (the same walk as StatsQueries.subtree_nips), as a sub-query with one parameter.
SUBTREE_SQL = """(
    WITH RECURSIVE below(nip) AS (
        SELECT nip FROM roster WHERE atasan_nip = ?
        UNION
        SELECT r2.nip FROM roster r2 JOIN below b ON r2.atasan_nip = b.nip
    ) SELECT nip FROM below)"""

# A hit is released to supervisors once a watcher confirmed it, or once the alert policy sent an
# alert about it (the automatic policy: a declared account above a score).
RELEASED = ("(h.status = 'dikonfirmasi' OR (h.status <> 'ditolak' AND EXISTS "
            "(SELECT 1 FROM alerts a WHERE a.hit_id = h.hit_id)))")


def office_condition(column: str, office: str | None) -> tuple[str | None, list[Any]]:
    """``(SQL condition, parameters)`` keeping rows whose ``column`` is in ``office``'s subtree;
    ``(None, [])`` when the office sees everything (``None`` or the national office)."""
    if office is None or office == NATIONAL:
        return None, []
    return f"({column} = ? OR starts_with({column}, ?))", [office, office + "."]


@dataclass(frozen=True)
class Scope:
    office: str | None = None
    """The user's office code; ``None`` (single-office instance) or ``ID`` see every office."""
    supervisor_nip: str | None = None
    """Set for supervisors (``atasan``): ``""`` when their account has no NIP (they see nothing)."""

    @property
    def everything(self) -> bool:
        return (self.office is None or self.office == NATIONAL) and self.supervisor_nip is None

    def office_conditions(self, column: str = "h.office_code") -> tuple[list[str], list[Any]]:
        cond, params = office_condition(column, self.office)
        return ([cond] if cond else []), params

    def hit_conditions(self, alias: str = "h") -> tuple[list[str], list[Any]]:
        """Conditions on the hits table (aliased ``alias``; the supervisor rule needs ``h``)."""
        conds, params = self.office_conditions(f"{alias}.office_code")
        if self.supervisor_nip is not None:
            conds.append(f"coalesce({alias}.confirmed_nip, {alias}.nip) IN {SUBTREE_SQL}")
            params.append(self.supervisor_nip)
            conds.append(RELEASED if alias == "h" else RELEASED.replace("h.", f"{alias}."))
        return conds, params

    def hit_where(self, alias: str = "h", *, prefix: str = " WHERE ") -> tuple[str, list[Any]]:
        """``hit_conditions`` joined as a clause (``""`` when unscoped); ``prefix=" AND "`` to extend one."""
        conds, params = self.hit_conditions(alias)
        return (prefix + " AND ".join(conds)) if conds else "", params


UNSCOPED = Scope()
