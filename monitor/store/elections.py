"""The election and stage suggested for each hit, and the reviewer's classification (SQL only)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Sequence

from monitor.models.hit import Hit

_COLS = ("election_id, stage, reason, fitting, local_date, penetapan, classified_at, "
         "confirmed_election_id, confirmed_stage, confirmed_by, confirmed_at")


class ElectionQueries:
    """Mixin of :class:`monitor.store.Store` (uses its ``con``, ``_dicts`` and ``audit``)."""

    con: Any

    def _insert_hit_elections(self, hits: Sequence[Hit], now: datetime) -> None:
        """Record each new hit's suggestion once (a hit that already has one keeps it)."""
        for h in hits:
            s = h.election
            if s is None:
                continue
            self.con.execute(
                "INSERT INTO hit_elections (hit_id, election_id, stage, reason, fitting, local_date, penetapan, "
                "classified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [h.hit_id, s.election_id, s.stage, s.reason, json.dumps(s.fitting), s.local_date, s.penetapan, now],
            )

    def hit_election(self, hit_id: str) -> dict | None:
        """The stored suggestion and the reviewer's classification of one hit, or ``None``."""
        rows = self._dicts(f"SELECT {_COLS} FROM hit_elections WHERE hit_id = ?", [hit_id])  # type: ignore[attr-defined]
        if not rows:
            return None
        row = rows[0]
        row["fitting"] = json.loads(row["fitting"]) if isinstance(row["fitting"], str) else row["fitting"]
        return row

    def confirm_hit_election(self, hit_id: str, *, election_id: str | None, stage: str | None, actor: str,
                             suggestion: dict | None = None) -> None:
        """Record the reviewer's classification ('' or None: not determinable); audit-logged.

        A hit without a stored suggestion (made before elections were configured) gets its row from
        ``suggestion`` (computed now) so the reviewer's decision has a place."""
        now = datetime.now(timezone.utc)
        eid, st = election_id or "", stage or ""
        self.con.begin()
        try:
            if self.con.execute("SELECT 1 FROM hit_elections WHERE hit_id = ?", [hit_id]).fetchone() is None:
                s = suggestion or {"reason": "no_elections"}
                self.con.execute(
                    "INSERT INTO hit_elections (hit_id, election_id, stage, reason, fitting, local_date, penetapan, "
                    "classified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [hit_id, s.get("election_id"), s.get("stage"), s["reason"], json.dumps(s.get("fitting") or []),
                     s.get("local_date"), s.get("penetapan"), now])
            before = self.hit_election(hit_id)
            self.con.execute(
                "UPDATE hit_elections SET confirmed_election_id = ?, confirmed_stage = ?, confirmed_by = ?, "
                "confirmed_at = ? WHERE hit_id = ?", [eid, st, actor, now, hit_id])
            unknown = "tidak dapat ditentukan"
            self.audit(actor, "hit.classify", hit_id, {  # type: ignore[attr-defined]
                "election_id": eid, "stage": st, "nip": None,  # nip/reason: read by the review history
                "reason": f"pemilihan: {eid or unknown}; tahapan: {st.replace('_', ' ') or unknown}",
                "suggested": {"election_id": before["election_id"], "stage": before["stage"]} if before else None,
                "previous": {"election_id": before["confirmed_election_id"], "stage": before["confirmed_stage"]}
                if before and before["confirmed_by"] else None,
            })
            self.con.commit()
        except Exception:
            self.con.rollback()
            raise
