"""The alert queue (SQL only): which hits alert whom, deliveries per channel, digests, acks.

Ids are stable (a hash of what identifies the message), and every insert ignores conflicts, so
planning the same alert twice, or again after a restart, never makes a second one.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from typing import Any, Sequence

from monitor.store.scope import UNSCOPED, Scope


def _now() -> datetime:
    return datetime.now(timezone.utc)


def alert_id_for(hit_id: str, recipient_nip: str, level: int) -> str:
    return "A" + hashlib.sha256(f"{hit_id}:{recipient_nip}:{level}".encode()).hexdigest()[:14]


def digest_id_for(recipient_nip: str, local_date: date) -> str:
    return "D" + hashlib.sha256(f"{recipient_nip}:{local_date.isoformat()}".encode()).hexdigest()[:14]


class AlertQueries:
    """Mixin of :class:`monitor.store.Store`."""

    con: Any

    # -- planning --------------------------------------------------------------------------
    def alert_candidates(self, *, trigger: str, auto_min_score: float) -> list[dict]:
        """Hits that should alert the person's direct supervisor and have no level-1 alert yet.

        Released: confirmed by a watcher (with a single person), or with ``confirmed_or_auto``
        also unreviewed hits whose identity is a declared account at or above ``auto_min_score``.
        Dismissed hits never alert; ambiguous unconfirmed hits never alert (no single person).
        """
        auto = (" OR (h.status = 'baru' AND h.identity_method = 'declared_account' AND NOT h.ambiguous "
                "AND h.nip IS NOT NULL AND h.score >= ?)") if trigger == "confirmed_or_auto" else ""
        params: list[Any] = [auto_min_score] if auto else []
        return self._dicts(  # type: ignore[attr-defined]
            f"""
            SELECT h.hit_id, coalesce(h.confirmed_nip, h.nip) AS nip, r.atasan_nip AS recipient_nip, h.score
            FROM hits h JOIN roster r ON r.nip = coalesce(h.confirmed_nip, h.nip)
            JOIN roster s ON s.nip = r.atasan_nip
            WHERE ((h.status = 'dikonfirmasi' AND coalesce(h.confirmed_nip, h.nip) IS NOT NULL){auto})
              AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.hit_id = h.hit_id AND a.level = 1)
            ORDER BY h.hit_id
            """,
            params,
        )

    def escalation_candidates(self, *, created_before: datetime, max_level: int) -> list[dict]:
        """Alerts nobody acknowledged for long enough after they were DELIVERED (held alerts,
        e.g. in quiet hours, do not age), whose recipient has a superior."""
        return self._dicts(  # type: ignore[attr-defined]
            """
            SELECT a.hit_id, a.level + 1 AS level, s.nip AS recipient_nip, h.score
            FROM alerts a
            JOIN hits h ON h.hit_id = a.hit_id
            JOIN roster r ON r.nip = a.recipient_nip
            JOIN roster s ON s.nip = r.atasan_nip
            WHERE a.level < ? AND h.status <> 'ditolak'
              AND (SELECT min(d.sent_at) FROM alert_deliveries d
                   WHERE d.status = 'sent' AND d.message_id IN (a.alert_id, a.digest_id)) < ?
              AND NOT EXISTS (SELECT 1 FROM alerts x WHERE x.hit_id = a.hit_id AND x.acked_at IS NOT NULL)
              AND NOT EXISTS (SELECT 1 FROM alerts y WHERE y.hit_id = a.hit_id AND y.level = a.level + 1)
              AND a.level = (SELECT max(level) FROM alerts z WHERE z.hit_id = a.hit_id)
            ORDER BY a.hit_id
            """,
            [max_level, created_before],
        )

    def insert_alerts(self, rows: Sequence[dict]) -> int:
        """Insert planned alerts (``hit_id, recipient_nip, level, kind, due_at``); returns how many are new."""
        n = 0
        for r in rows:
            aid = alert_id_for(r["hit_id"], r["recipient_nip"], r["level"])
            res = self.con.execute(
                "INSERT INTO alerts (alert_id, hit_id, recipient_nip, level, kind, created_at, due_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING alert_id",
                [aid, r["hit_id"], r["recipient_nip"], r["level"], r["kind"], r.get("created_at") or _now(), r["due_at"]],
            ).fetchall()
            n += len(res)
        return n

    # -- messages and deliveries -----------------------------------------------------------
    def due_urgent_alerts(self, now: datetime) -> list[dict]:
        """Urgent alerts whose time has come and that have no delivery rows yet."""
        return self._dicts(  # type: ignore[attr-defined]
            "SELECT a.* FROM alerts a WHERE a.kind = 'urgent' AND a.due_at <= ? AND NOT EXISTS "
            "(SELECT 1 FROM alert_deliveries d WHERE d.message_id = a.alert_id) ORDER BY a.created_at, a.alert_id",
            [now],
        )

    def open_digest_alerts(self, now: datetime) -> list[dict]:
        """Digest alerts due and not yet put in a digest."""
        return self._dicts(  # type: ignore[attr-defined]
            "SELECT * FROM alerts WHERE kind = 'digest' AND digest_id IS NULL AND due_at <= ? "
            "ORDER BY recipient_nip, created_at, alert_id",
            [now],
        )

    def create_digest(self, recipient_nip: str, local_date: date, alert_ids: Sequence[str]) -> str:
        did = digest_id_for(recipient_nip, local_date)
        self.con.execute("INSERT INTO alert_digests VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                         [did, recipient_nip, local_date, _now()])
        for aid in alert_ids:
            self.con.execute("UPDATE alerts SET digest_id = ? WHERE alert_id = ? AND digest_id IS NULL", [did, aid])
        return did

    def digest_alerts(self, digest_id: str) -> list[dict]:
        return self._dicts("SELECT * FROM alerts WHERE digest_id = ? ORDER BY created_at, alert_id", [digest_id])  # type: ignore[attr-defined]

    def add_deliveries(self, message_id: str, kind: str, recipient_nip: str, channels: Sequence[str],
                       when: datetime) -> None:
        for ch in channels:
            self.con.execute(
                "INSERT INTO alert_deliveries (delivery_id, message_id, message_kind, channel, recipient_nip, status, "
                "attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [f"{message_id}:{ch}", message_id, kind, ch, recipient_nip, when, _now()],
            )

    def pending_deliveries(self, now: datetime, limit: int = 200) -> list[dict]:
        return self._dicts(  # type: ignore[attr-defined]
            "SELECT * FROM alert_deliveries WHERE status = 'pending' AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, delivery_id LIMIT ?",
            [now, limit],
        )

    def update_delivery(self, delivery_id: str, *, status: str, attempts: int, next_attempt_at: datetime,
                        last_error: str | None, sent_at: datetime | None) -> None:
        self.con.execute(
            "UPDATE alert_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, sent_at = ? "
            "WHERE delivery_id = ?",
            [status, attempts, next_attempt_at, last_error, sent_at, delivery_id],
        )

    def deliveries(self, *, status: str | None = None, message_id: str | None = None) -> list[dict]:
        sql, params = "SELECT * FROM alert_deliveries WHERE 1=1", []
        if status:
            sql += " AND status = ?"
            params.append(status)
        if message_id:
            sql += " AND message_id = ?"
            params.append(message_id)
        return self._dicts(sql + " ORDER BY created_at, delivery_id", params)  # type: ignore[attr-defined]

    # -- people and acknowledgement --------------------------------------------------------
    def roster_person(self, nip: str) -> dict | None:
        rows = self._dicts("SELECT * FROM roster WHERE nip = ?", [nip])  # type: ignore[attr-defined]
        return rows[0] if rows else None

    def get_alert(self, alert_id: str) -> dict | None:
        rows = self._dicts("SELECT * FROM alerts WHERE alert_id = ?", [alert_id])  # type: ignore[attr-defined]
        return rows[0] if rows else None

    def alerts_for(self, *, recipient_nip: str | None = None, hit_id: str | None = None) -> list[dict]:
        sql, params = "SELECT * FROM alerts WHERE 1=1", []
        if recipient_nip:
            sql += " AND recipient_nip = ?"
            params.append(recipient_nip)
        if hit_id:
            sql += " AND hit_id = ?"
            params.append(hit_id)
        return self._dicts(sql + " ORDER BY created_at DESC, alert_id", params)  # type: ignore[attr-defined]

    def ack_alert(self, alert_id: str, *, by: str, follow_up: str, note: str) -> None:
        """Acknowledge with the follow-up taken; this stops escalation of the hit."""
        self.con.execute(
            "UPDATE alerts SET acked_at = ?, acked_by = ?, follow_up = ?, ack_note = ? WHERE alert_id = ?",
            [_now(), by, follow_up, note, alert_id],
        )
        self.audit(by, "alert.ack", alert_id, {"follow_up": follow_up, "note": note})  # type: ignore[attr-defined]

    def alert_overview(self, *, recipient_nip: str | None = None, limit: int = 200,
                       scope: Scope = UNSCOPED) -> list[dict]:
        """Alerts (newest first) with the person concerned and their deliveries' states; only
        alerts about hits of the ``scope``'s office subtree."""
        sql = """
            SELECT a.*, h.behaviour, h.platform, h.score, h.status AS hit_status,
                   coalesce(h.confirmed_nip, h.nip) AS subject_nip, r.nama AS subject_nama,
                   rc.nama AS recipient_nama,
                   (SELECT count(*) FROM alert_deliveries d WHERE d.message_id IN (a.alert_id, a.digest_id)
                      AND d.status = 'sent') AS sent,
                   (SELECT count(*) FROM alert_deliveries d WHERE d.message_id IN (a.alert_id, a.digest_id)
                      AND d.status = 'failed') AS failed,
                   (SELECT count(*) FROM alert_deliveries d WHERE d.message_id IN (a.alert_id, a.digest_id)
                      AND d.status = 'pending') AS pending
            FROM alerts a JOIN hits h ON h.hit_id = a.hit_id
            LEFT JOIN roster r ON r.nip = coalesce(h.confirmed_nip, h.nip)
            LEFT JOIN roster rc ON rc.nip = a.recipient_nip
        """
        conds, params = scope.office_conditions("h.office_code")
        if recipient_nip is not None:
            conds.append("a.recipient_nip = ?")
            params.append(recipient_nip)
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        sql += " ORDER BY a.created_at DESC, a.alert_id LIMIT ?"
        params.append(limit)
        return self._dicts(sql, params)  # type: ignore[attr-defined]
