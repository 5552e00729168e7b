"""Plans alerts from hits, escalates, builds digests and delivers through the channels.

State lives in the store (``alerts``, ``alert_digests``, ``alert_deliveries``), so a restart
picks up exactly where the queue was: an alert is planned once (stable ids), a delivery that was
recorded as sent is never sent again. The narrow window between a channel accepting a message and
the ``sent`` mark being written means delivery is at-least-once; every message carries its stable
id (email ``Message-ID``, webhook ``X-Monitor-Alert-Id``) so a receiver can drop a repeat.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable
from zoneinfo import ZoneInfo

from monitor.alerting.channels.base import Channel
from monitor.alerting.message import AlertMessage, DeliveryError, Recipient
from monitor.alerting.policy import backoff, release_time
from monitor.alerting.render import render
from monitor.config import AlertsConfig

log = logging.getLogger("monitor.alerts")

Db = Callable[..., Awaitable[Any]]  # await db(fn, *args) runs fn(store, *args) under the writer lock


class Dispatcher:
    def __init__(self, db: Db, config: AlertsConfig, *, tz: ZoneInfo, office_name: str,
                 channels: dict[str, Channel], lang: str = "id",
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.db, self.cfg, self.tz, self.office_name = db, config, tz, office_name
        self.channels, self.lang, self.clock = channels, lang, clock

    # -- planning --------------------------------------------------------------------------
    async def plan(self) -> int:
        """New level-1 alerts for released hits, and escalations of unacknowledged ones."""
        now = self.clock()
        due = release_time(now, self.cfg.quiet_hours, self.tz)
        cands = await self.db(lambda s: s.alert_candidates(trigger=self.cfg.trigger,
                                                            auto_min_score=self.cfg.auto_min_score))
        rows = [{**c, "level": 1, "kind": self._kind(c["score"]), "due_at": due, "created_at": now} for c in cands]
        before = now - timedelta(hours=self.cfg.escalate_after_h)
        esc = await self.db(lambda s: s.escalation_candidates(created_before=before, max_level=self.cfg.max_level))
        # escalations are urgent: the first supervisor did not react
        rows += [{**e, "kind": "urgent", "due_at": due, "created_at": now} for e in esc]
        if not rows:
            return 0
        n = await self.db(lambda s: s.insert_alerts(rows))
        if n:
            log.info("alerts planned", extra={"new": n, "escalations": len(esc)})
        return n

    def _kind(self, score: float) -> str:
        return "urgent" if score >= self.cfg.urgent_min_score else "digest"

    # -- queueing --------------------------------------------------------------------------
    def _channel_names(self, person: dict) -> list[str]:
        rec = _recipient(person)
        return [name for name, ch in self.channels.items() if ch.accepts(rec)]

    async def queue_due(self) -> int:
        """Delivery rows for urgent alerts whose time has come."""
        now = self.clock()
        alerts = await self.db(lambda s: s.due_urgent_alerts(now))
        n = 0
        for a in alerts:
            person = await self.db(lambda s, nip=a["recipient_nip"]: s.roster_person(nip))
            names = self._channel_names(person or {"nip": a["recipient_nip"]})
            await self.db(lambda s, a=a, names=names: s.add_deliveries(a["alert_id"], "alert", a["recipient_nip"], names, now))
            n += len(names)
        return n

    async def build_digests(self) -> int:
        """Group due digest alerts per supervisor into one message for the local day."""
        now = self.clock()
        alerts = await self.db(lambda s: s.open_digest_alerts(now))
        by_rec: dict[str, list[str]] = defaultdict(list)
        for a in alerts:
            by_rec[a["recipient_nip"]].append(a["alert_id"])
        day = now.astimezone(self.tz).date()
        for nip, ids in by_rec.items():
            person = await self.db(lambda s, nip=nip: s.roster_person(nip))
            names = self._channel_names(person or {"nip": nip})

            def make(s, nip=nip, ids=ids, names=names):
                did = s.create_digest(nip, day, ids)
                s.add_deliveries(did, "digest", nip, names, now)

            await self.db(make)
        return len(by_rec)

    # -- delivery --------------------------------------------------------------------------
    async def deliver(self) -> dict[str, int]:
        now = self.clock()
        if release_time(now, self.cfg.quiet_hours, self.tz) > now:
            return {"sent": 0, "failed": 0, "retry": 0, "held": 1}
        pending = await self.db(lambda s: s.pending_deliveries(now))
        out = {"sent": 0, "failed": 0, "retry": 0, "held": 0}
        for d in pending:
            channel = self.channels.get(d["channel"])
            attempts = d["attempts"] + 1
            try:
                if channel is None:
                    raise DeliveryError(f"channel '{d['channel']}' is no longer configured", permanent=True)
                message = await self._message(d)
                await channel.send(message)
            except DeliveryError as exc:
                final = exc.permanent or attempts >= self.cfg.max_attempts
                wait = backoff(attempts, self.cfg.retry_base_s, self.cfg.retry_cap_s, exc.retry_after)
                status = "failed" if final else "pending"
                await self.db(lambda s, d=d: s.update_delivery(
                    d["delivery_id"], status=status, attempts=attempts,
                    next_attempt_at=now + timedelta(seconds=wait), last_error=str(exc), sent_at=None))
                out["failed" if final else "retry"] += 1
                log.log(logging.ERROR if final else logging.WARNING, "alert delivery failed",
                        extra={"delivery": d["delivery_id"], "attempts": attempts, "final": final, "error": str(exc)})
                continue
            except Exception as exc:  # a bug or an unexpected library error: retry later, never lose
                wait = backoff(attempts, self.cfg.retry_base_s, self.cfg.retry_cap_s)
                final = attempts >= self.cfg.max_attempts
                await self.db(lambda s, d=d: s.update_delivery(
                    d["delivery_id"], status="failed" if final else "pending", attempts=attempts,
                    next_attempt_at=now + timedelta(seconds=wait), last_error=f"{type(exc).__name__}: {exc}",
                    sent_at=None))
                log.exception("alert delivery error", extra={"delivery": d["delivery_id"]})
                out["failed" if final else "retry"] += 1
                continue
            await self.db(lambda s, d=d: s.update_delivery(
                d["delivery_id"], status="sent", attempts=attempts, next_attempt_at=now, last_error=None,
                sent_at=self.clock()))
            out["sent"] += 1
        return out

    async def run(self, *, digests: bool = False) -> dict[str, int]:
        """One pass: plan, (digests), queue, deliver."""
        planned = await self.plan()
        built = await self.build_digests() if digests else 0
        queued = await self.queue_due()
        res = await self.deliver()
        return {"planned": planned, "digests": built, "queued": queued, **res}

    # -- messages --------------------------------------------------------------------------
    async def _message(self, d: dict) -> AlertMessage:
        person = await self.db(lambda s: s.roster_person(d["recipient_nip"])) or {"nip": d["recipient_nip"]}
        rec = _recipient(person)
        if d["message_kind"] == "digest":
            alerts = await self.db(lambda s: s.digest_alerts(d["message_id"]))
            level = max((a["level"] for a in alerts), default=1)
            kind = "digest"
        else:
            a = await self.db(lambda s: s.get_alert(d["message_id"]))
            alerts, level, kind = [a], a["level"], "alert"
        hits = []
        for a in alerts:
            h = await self.db(lambda s, a=a: s.get_hit(a["hit_id"]))
            if h is None:
                continue
            hits.append({
                "hit_id": h["hit_id"], "nama": h.get("nama"), "nip": h.get("nip"), "jabatan": h.get("jabatan"),
                "unit_kerja": h.get("unit_kerja"), "instansi": h.get("instansi"), "behaviour": h["behaviour"],
                "platform": h["platform"], "score": h["score"],
                "created_local": _local(h["created_at"], self.tz),
                "link": f"{self.cfg.base_url.rstrip('/')}/hits/{h['hit_id']}",
            })
        first = alerts[0]["alert_id"] if alerts else d["message_id"]
        ack_link = f"{self.cfg.base_url.rstrip('/')}/alerts/{first}" if kind == "alert" else \
            f"{self.cfg.base_url.rstrip('/')}/alerts"
        ctx = {"recipient": rec, "level": level, "hits": hits, "office_name": self.office_name,
               "ack_link": ack_link, "lang": self.lang, "link": hits[0]["link"] if hits else ack_link}
        r = render(kind, ctx, self.lang, template_dir=self.cfg.template_dir)
        payload = {"alert_id": d["message_id"], "kind": kind, "level": level, "recipient_nip": rec.nip,
                   "hit_ids": [h["hit_id"] for h in hits], "links": [h["link"] for h in hits], "ack_link": ack_link}
        return AlertMessage(alert_id=d["message_id"], kind=kind, recipient=rec, subject=r.subject, text=r.text,
                            html=r.html, telegram=r.telegram, link=ctx["link"], payload=payload)


def _recipient(person: dict) -> Recipient:
    return Recipient(nip=person.get("nip", ""), nama=person.get("nama") or "", email=person.get("email"),
                     telegram=person.get("telegram"), jabatan=person.get("jabatan"), instansi=person.get("instansi"))


def _local(value: Any, tz: ZoneInfo) -> str:
    if isinstance(value, datetime):
        v = value.astimezone(tz)
        return f"{v.strftime('%Y-%m-%d %H:%M')} {v.tzname()}"
    return str(value)
