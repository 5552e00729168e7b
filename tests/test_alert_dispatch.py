"""The alert queue end to end: routing up the chain, escalation, digest, quiet hours, retries,
restarts; against a real SMTP server (aiosmtpd), a fake Telegram Bot API and a webhook receiver."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from monitor.alerting.channels import make_channel
from monitor.alerting.dispatcher import Dispatcher
from monitor.cli.roster import import_roster
from monitor.config import AlertsConfig, ScoringConfig
from monitor.i18n import t
from monitor.models import Candidate, IdentityResult, RuleMatch
from monitor.scoring import Scorer
from monitor.store import Store
from tests.fakes.smtp_server import smtp_server  # noqa: F401  (fixture)
from tests.fakes.telegram_bot_server import TOKEN, telegram_bot_server  # noqa: F401  (fixture)
from tests.fakes.webhook_receiver import SECRET, webhook_receiver  # noqa: F401  (fixture)
from tests.helpers import make_post
from zoneinfo import ZoneInfo

DATA = Path(__file__).resolve().parent / "data"
WIB = ZoneInfo("Asia/Pontianak")
SEKDA, KADIS, KABID, DEDI, EKA = ("196501011990011001", "197001012000011002", "197501012005011003",
                                  "198501012010011004", "199001012015012005")


@pytest.fixture(autouse=True)
def _secrets(monkeypatch):
    monkeypatch.setenv("T_TG_TOKEN", TOKEN)
    monkeypatch.setenv("T_HOOK_SECRET", SECRET)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "a.duckdb")
    ok, lines = import_roster(s, DATA / "roster_chain.csv", skip_invalid=False, actor="t",
                              lang_t=lambda k, **kw: t(k, "en", **kw))
    assert ok, lines
    yield s
    s.close()


def add_hit(store, post_id, nip, score=0.9, confirm=True):
    post = make_post(post_id, "coblos 02", handle="x" + post_id)
    hit = Scorer(ScoringConfig()).score(
        post, [RuleMatch(rule_id="r", title="R", category="partisan", weight=score, terms=("coblos",))],
        IdentityResult(method="declared_account", candidates=[Candidate(nip=nip, nama="?", confidence=1.0)]),
        ruleset_version="v")
    store.commit_batch(source="t", posts=[post], hits=[hit])
    if confirm:
        store.review_hit(hit.hit_id, status="dikonfirmasi", reason="cek", actor="pengawas1", nip=nip)
    return hit.hit_id


class Clock:
    def __init__(self, local: str):
        self.now = datetime.fromisoformat(local).replace(tzinfo=WIB).astimezone(timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, **kw):
        self.now += timedelta(**kw)


def dispatcher(store, clock, channels, **cfg):
    async def db(fn, *args, **kw):
        return fn(store, *args, **kw)

    conf = AlertsConfig(**{"enabled": True, "quiet_hours": None, "escalate_after_h": 1, "urgent_min_score": 0.0,
                           "retry_base_s": 1, "retry_cap_s": 5, **cfg})
    return Dispatcher(db, conf, tz=WIB, office_name="Bawaslu Kota Pontianak", channels=channels, clock=clock)


def email(smtp):
    return {"surel": make_channel("surel", "email", {"host": smtp.host, "port": smtp.port, "security": "none",
                                                     "from_addr": "monitor@contoh.go.id.invalid"})}


def rcpts(smtp):
    return [r for m in smtp.received for r in m.rcpt_tos]


async def test_routes_to_the_direct_supervisor_only(store, smtp_server):
    add_hit(store, "1", DEDI)
    d = dispatcher(store, Clock("2024-01-22T10:00"), email(smtp_server))
    res = await d.run()
    assert res["sent"] == 1
    assert rcpts(smtp_server) == ["kabid@contoh.go.id.invalid"]
    body = smtp_server.received[0].message.get_body(("plain",)).get_content()
    assert DEDI in body and "coblos 02" not in body  # minimum data: no post text, a link instead
    assert "/hits/" in body


async def test_escalates_up_the_chain_until_acknowledged(store, smtp_server):
    hit_id = add_hit(store, "1", DEDI)
    clock = Clock("2024-01-22T10:00")
    d = dispatcher(store, clock, email(smtp_server), max_level=3)
    await d.run()
    clock.advance(hours=2)
    await d.run()
    clock.advance(hours=2)
    await d.run()
    clock.advance(hours=2)
    await d.run()  # max level reached: nobody above level 3
    assert rcpts(smtp_server) == ["kabid@contoh.go.id.invalid", "kadis@contoh.go.id.invalid",
                                  "sekda@contoh.go.id.invalid"]
    levels = sorted(a["level"] for a in store.alerts_for(hit_id=hit_id))
    assert levels == [1, 2, 3]


async def test_acknowledgement_stops_escalation(store, smtp_server):
    hit_id = add_hit(store, "1", DEDI)
    clock = Clock("2024-01-22T10:00")
    d = dispatcher(store, clock, email(smtp_server))
    await d.run()
    first = store.alerts_for(hit_id=hit_id)[0]
    store.ack_alert(first["alert_id"], by="kabid", follow_up="pembinaan", note="dipanggil")
    clock.advance(hours=5)
    await d.run()
    assert rcpts(smtp_server) == ["kabid@contoh.go.id.invalid"]
    assert store.audit_entries(first["alert_id"])[-1]["action"] == "alert.ack"


async def test_no_duplicate_after_a_restart_mid_delivery(store, smtp_server, telegram_bot_server):
    add_hit(store, "1", DEDI)
    channels = {**email(smtp_server),
                "tg": make_channel("tg", "telegram", {"base_url": telegram_bot_server.base_url, "token_env": "T_TG_TOKEN"})}
    clock = Clock("2024-01-22T10:00")
    telegram_bot_server.rate_limit_next(1, retry_after=3)
    first = dispatcher(store, clock, channels)
    res = await first.run()
    assert res["sent"] == 1 and res["retry"] == 1  # e-mail out, Telegram asked us to wait 3 s
    pending = store.deliveries(status="pending")
    assert len(pending) == 1 and pending[0]["channel"] == "tg" and "retry" in pending[0]["last_error"].lower()
    # "restart": a new dispatcher over the same database, before and after the wait
    again = dispatcher(store, clock, channels)
    assert (await again.run())["sent"] == 0
    clock.advance(seconds=4)
    assert (await again.run())["sent"] == 1
    assert (await dispatcher(store, clock, channels).run())["sent"] == 0
    assert len(smtp_server.received) == 1 and len(telegram_bot_server.sent) == 1
    assert telegram_bot_server.sent[0]["chat_id"] in ("9003", 9003)


async def test_digest_groups_what_is_not_urgent(store, smtp_server):
    add_hit(store, "1", DEDI, score=0.6)
    add_hit(store, "2", EKA, score=0.65)
    clock = Clock("2024-01-22T10:00")
    d = dispatcher(store, clock, email(smtp_server), urgent_min_score=0.8)
    assert (await d.run())["sent"] == 0  # nothing urgent
    res = await d.run(digests=True)
    assert res["digests"] == 1 and res["sent"] == 1
    body = smtp_server.received[0].message.get_body(("plain",)).get_content()
    assert DEDI in body and EKA in body
    assert (await d.run(digests=True))["sent"] == 0  # never twice


async def test_quiet_hours_hold_alerts_until_morning(store, smtp_server):
    add_hit(store, "1", DEDI)
    clock = Clock("2024-01-22T22:30")
    d = dispatcher(store, clock, email(smtp_server), quiet_hours="21:00-06:00")
    await d.run()
    assert smtp_server.received == []
    clock.advance(hours=7)  # 05:30 WIB: still quiet
    await d.run()
    assert smtp_server.received == []
    clock.advance(minutes=45)  # 06:15 WIB
    assert (await d.run())["sent"] == 1
    # a held alert does not age: no escalation for the hours it waited in quiet time
    assert rcpts(smtp_server) == ["kabid@contoh.go.id.invalid"]


async def test_a_failing_channel_does_not_block_the_others(store, smtp_server, telegram_bot_server, webhook_receiver):
    add_hit(store, "1", DEDI)
    telegram_bot_server.unknown_chats.add("9003")
    channels = {**email(smtp_server),
                "tg": make_channel("tg", "telegram", {"base_url": telegram_bot_server.base_url, "token_env": "T_TG_TOKEN"}),
                "hook": make_channel("hook", "webhook", {"url": webhook_receiver.url, "secret_env": "T_HOOK_SECRET"})}
    res = await dispatcher(store, Clock("2024-01-22T10:00"), channels).run()
    assert res["sent"] == 2 and res["failed"] == 1
    failed = store.deliveries(status="failed")
    assert [f["channel"] for f in failed] == ["tg"] and "chat not found" in failed[0]["last_error"]
    assert len(webhook_receiver.received) == 1 and len(smtp_server.received) == 1


async def test_dismissed_and_unconfirmed_hits_do_not_alert(store, smtp_server):
    add_hit(store, "1", DEDI, confirm=False)
    hid = add_hit(store, "2", EKA)
    store.review_hit(hid, status="ditolak", reason="salah", actor="p")
    assert (await dispatcher(store, Clock("2024-01-22T10:00"), email(smtp_server)).run())["sent"] == 0
    # with the automatic policy, a declared-account hit above the score alerts without review
    d = dispatcher(store, Clock("2024-01-22T10:00"), email(smtp_server), trigger="confirmed_or_auto", auto_min_score=0.85)
    res = await d.run()
    assert res["sent"] == 1, (res, store.deliveries(), store.alerts_for())
