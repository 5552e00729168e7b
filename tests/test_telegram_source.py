"""Telegram source against the local fake Bot API: offsets, crash safety, mapping, faults, secrets."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import random
import time

import pytest

from monitor.collect.base import Batch
from monitor.collect.http import HttpClient, HttpOptions
from monitor.config import ConfigError
from monitor.sources.mastodon import dump_raw
from monitor.sources.telegram import (
    ALLOWED_UPDATES_PARAM,
    TelegramError,
    TelegramOptions,
    TelegramSource,
    update_to_post,
)
from tests.fakes import FakeClock
from tests.fakes.telegram_server import TOKEN, FakeTelegram, start_fake_telegram
from tests.fakes.telegram_server import telegram_server  # noqa: F401  (fixture)

ENV = "TG_TEST_TOKEN"
BOT_ID = TOKEN.split(":")[0]


# ------------------------------------------------------------------ helpers


_CLIENTS: list[HttpClient] = []


@pytest.fixture(autouse=True)
async def _env_and_clients(monkeypatch):
    monkeypatch.setenv(ENV, TOKEN)
    yield
    while _CLIENTS:
        await _CLIENTS.pop().aclose()


def make_source_for(
    fake: FakeTelegram, clock: FakeClock | None = None, *, timeout_s: float = 2.0, **opts
) -> TelegramSource:
    """A source on the fake server with an injected client (tiny backoff, recorded waits)."""
    clock = clock or FakeClock()
    options = TelegramOptions(base_url=fake.base_url, token_env=ENV, **{"limit": 100, "poll_timeout_s": 0, **opts})
    http = HttpClient(
        HttpOptions(
            timeout_s=timeout_s, max_retries=3, backoff_base_s=0.01, backoff_max_s=0.02, requests_per_second=1000
        ),
        random=lambda: 0.5,
        **clock.kwargs(),
    )
    _CLIENTS.append(http)
    return TelegramSource("tg", options, http=http)


async def run(src: TelegramSource, cursor=None, *, stop_after: int | None = None) -> list[Batch]:
    """Consume fetch() to the end (like the runner); ``stop_after`` stops consuming early."""
    out: list[Batch] = []
    gen = src.fetch(copy.deepcopy(cursor))
    try:
        async for b in gen:
            json.dumps(b.cursor)  # the cursor is stored as JSON
            out.append(b)
            if stop_after is not None and len(out) >= stop_after:
                break
    finally:
        await gen.aclose()
    return out


def ids(batches: list[Batch]) -> list[str]:
    return [p.post_id for b in batches for p in b.posts]


def offsets(fake: FakeTelegram) -> list[str | None]:
    return [q.get("offset") for q in fake.polls()]


def group_with(fake: FakeTelegram, n: int, username: str | None = "asn_pemkot") -> tuple[dict, list[dict]]:
    grp = fake.group("Grup ASN Pemkot", username)
    budi = fake.user("Budi", "Santoso", "budi_s")
    return grp, [fake.send(grp, f"pesan {i}", sender=budi) for i in range(n)]


# ------------------------------------------------------------------ offsets and pages


async def test_full_run_one_page_per_run_then_drained(telegram_server):
    fake = telegram_server
    first = fake.next_update_id
    grp, msgs = group_with(fake, 250)
    src = make_source_for(fake)

    cur = None
    got: list[str] = []
    for expected in (100, 100, 50):
        batches = await run(src, cur)
        assert [len(b.posts) for b in batches] == [expected]  # one page per run (the safe default)
        got += ids(batches)
        cur = batches[-1].cursor
    assert got == [f"{grp['id']}:{m['message_id']}" for m in msgs]
    assert cur == {"v": 1, "bot": BOT_ID, "offset": first + 250, "received_at": cur["received_at"]}
    assert abs(cur["received_at"] - time.time()) < 60
    assert await run(src, cur) == []  # nothing new: no batch, cursor unchanged

    polls = fake.polls()
    assert polls[0] == {"limit": "100", "timeout": "0", "allowed_updates": ALLOWED_UPDATES_PARAM}
    allowed = json.loads(polls[0]["allowed_updates"])
    assert allowed == ["message", "edited_message", "channel_post", "edited_channel_post"]
    assert offsets(fake) == [None, str(first + 100), str(first + 200), str(first + 250)]
    assert fake.pending_ids() == []  # the last request confirmed the committed updates
    assert "/bot" + TOKEN + "/getUpdates" == fake.requests[0].path
    await src.aclose()


async def test_more_pages_per_run_long_poll_only_first(telegram_server):
    fake = telegram_server
    first = fake.next_update_id
    group_with(fake, 250)
    src = make_source_for(fake, max_pages_per_run=5, poll_timeout_s=1)
    batches = await run(src)
    assert [len(b.posts) for b in batches] == [100, 100, 50]
    assert [b.cursor["offset"] for b in batches] == [first + 100, first + 200, first + 250]
    assert [q["timeout"] for q in fake.polls()] == ["1", "0", "0"]  # pending updates answer at once
    assert offsets(fake) == [None, str(first + 100), str(first + 200)]


async def test_long_poll_returns_an_update_that_arrives_while_waiting(telegram_server):
    fake = telegram_server
    grp = fake.group("Grup", "grup_x")
    src = make_source_for(fake, poll_timeout_s=2, timeout_s=4)

    async def later():
        await asyncio.sleep(0.05)
        fake.send(grp, "baru masuk", sender=fake.user("Siti"))

    t0 = time.monotonic()
    task = asyncio.create_task(later())
    batches = await run(src)
    await task
    assert [p.text for b in batches for p in b.posts] == ["baru masuk"]
    assert fake.polls()[0]["timeout"] == "2" and time.monotonic() - t0 < 1.5


# ------------------------------------------------------------------ crash safety


async def test_crash_between_yield_and_commit_loses_nothing(telegram_server):
    """The generator finished (like under the runner, which queues batches) but the batch was
    never committed: the next run, from the last committed cursor, gets the same updates."""
    fake = telegram_server
    grp, msgs = group_with(fake, 25)
    src = make_source_for(fake, limit=10)
    committed = (await run(src))[0].cursor  # batch 1 committed

    lost = await run(src, committed)  # batch 2 yielded, generator done... and the process dies
    assert len(lost[0].posts) == 10
    assert len(fake.pending_ids()) == 15  # nothing of batch 2 was confirmed to Telegram

    fresh = make_source_for(fake, limit=10)  # restart: a new source from the committed cursor
    again = await run(fresh, committed)
    assert ids(again) == ids(lost)
    assert offsets(fake)[-1] == offsets(fake)[-2] == str(committed["offset"])  # never beyond the commit


@pytest.mark.parametrize("seed_no", range(8))
async def test_random_crashes_with_default_never_lose_or_duplicate(seed_no):
    rnd = random.Random(seed_no)
    fake, server = await start_fake_telegram()
    try:
        chats = [fake.group(f"Grup {i}", f"grup_{i}") for i in range(2)] + [fake.channel("Kanal", "kanal_x")]
        user = fake.user("Budi", "Santoso", "budi_s")
        sent: list[str] = []
        committed: list[str] = []
        cur = None

        def publish(n: int) -> None:
            for _ in range(n):
                chat = rnd.choice(chats)
                m = fake.send(chat, "isi", sender=user)
                sent.append(f"{chat['id']}:{m['message_id']}")

        publish(rnd.randint(0, 30))
        limit = rnd.choice([3, 5, 10])
        for _ in range(10):
            batches = await run(make_source_for(fake, limit=limit), cur)  # a fresh process each run
            if rnd.random() < 0.4:
                pass  # crash after the generator ran, before the writer committed
            else:
                committed.extend(ids(batches))
                cur = batches[-1].cursor if batches else cur
            publish(rnd.randint(0, 8))
        for _ in range(40):
            batches = await run(make_source_for(fake, limit=limit), cur)
            if not batches:
                break
            committed.extend(ids(batches))
            cur = batches[-1].cursor
        assert committed == sent  # every update, in order, exactly once in committed batches
    finally:
        await server.close()


async def test_more_pages_per_run_can_lose_a_queued_batch(telegram_server):
    """Documents the trade-off of max_pages_per_run > 1: asking for page 2 confirms page 1 to
    Telegram while page 1 may still wait in the runner's queue; a crash then loses it."""
    fake = telegram_server
    group_with(fake, 30)
    src = make_source_for(fake, limit=10, max_pages_per_run=3)
    gen = src.fetch(None)
    page1 = await gen.__anext__()
    page2 = await gen.__anext__()  # the generator resumed and requested page 2
    await gen.aclose()  # ...and the process dies before anything was committed
    again = await run(make_source_for(fake, limit=10), None)
    assert not set(ids([page1])) & set(ids(again))  # page 1 is gone for good
    assert set(ids([page2])) <= set(ids(again))  # page 2 was not confirmed yet


async def test_server_error_mid_run_then_resume_from_committed_cursor(telegram_server):
    fake = telegram_server
    grp, msgs = group_with(fake, 25)
    src = make_source_for(fake, limit=10, max_pages_per_run=5)
    fake.fail_next(1, status=502)  # transient: retried by the HTTP client
    gen = src.fetch(None)
    b1 = await gen.__anext__()
    committed = b1.cursor
    fake.fail_next(4, status=500)  # the next page fails beyond the retries (1 + max_retries 3)
    with pytest.raises(TelegramError, match="HTTP 500"):
        await gen.__anext__()
    await gen.aclose()
    assert [r.status for r in fake.requests][:2] == [502, 200]

    rest = await run(make_source_for(fake, limit=10, max_pages_per_run=5), committed)
    delivered = ids([b1]) + ids(rest)
    assert delivered == [f"{grp['id']}:{m['message_id']}" for m in msgs]  # none lost, none twice


async def test_timeout_and_truncated_json_are_retried(telegram_server):
    fake = telegram_server
    group_with(fake, 3)
    fake.slow_next(1, delay_s=0.3)
    fake.truncate_next(1)
    src = make_source_for(fake, timeout_s=0.15)
    batches = await run(src)
    assert len(ids(batches)) == 3
    assert len(fake.polls()) == 3  # slow (timed out), cut JSON, then a good answer


async def test_stale_cursor_after_a_silent_week_asks_without_offset(telegram_server):
    """After a week without updates Telegram restarts update_id at a random (here lower) number;
    asking with the old offset would silently confirm the new updates."""
    fake = telegram_server
    grp, _ = group_with(fake, 3)
    src = make_source_for(fake)
    cur = (await run(src))[0].cursor
    cur["received_at"] -= 8 * 86400  # committed 8 days ago
    fake.expire_all()
    fake.restart_ids(12_345)
    new = [fake.send(grp, f"setelah sepi {i}") for i in range(3)]
    batches = await run(make_source_for(fake), cur)
    assert ids(batches) == [f"{grp['id']}:{m['message_id']}" for m in new]
    assert "offset" not in fake.polls()[-1]
    assert batches[-1].cursor["offset"] == 12_348

    # A cursor written for another bot is not used either.
    other = dict(batches[-1].cursor, bot="999", received_at=int(time.time()))
    fake.send(grp, "lagi")
    await run(make_source_for(fake), other)
    assert "offset" not in fake.polls()[-1]


# ------------------------------------------------------------------ rate limits and refusals


@pytest.mark.parametrize("header", [False, True])
async def test_flood_control_waits_retry_after_once(telegram_server, header):
    fake = telegram_server
    group_with(fake, 2)
    clock = FakeClock()
    fake.rate_limit_next(1, retry_after=5, header=header)
    batches = await run(make_source_for(fake, clock))
    assert len(ids(batches)) == 2
    assert [r.status for r in fake.requests] == [429, 200]
    assert [s for s in clock.sleeps if s >= 1] == [pytest.approx(5.0)]  # body (and header): one wait


async def test_flood_control_that_does_not_end_is_an_error(telegram_server):
    fake = telegram_server
    group_with(fake, 2)
    clock = FakeClock()
    fake.rate_limit_next(10, retry_after=3, header=False)
    with pytest.raises(TelegramError, match="rate limited.*after 4 attempts"):
        await run(make_source_for(fake, clock))
    assert [s for s in clock.sleeps if s >= 1] == [pytest.approx(3.0)] * 3
    assert len(fake.pending_ids()) == 2


async def test_conflicts_are_explained(telegram_server):
    fake = telegram_server
    group_with(fake, 1)
    fake.webhook_url = "https://example.invalid/hook"
    with pytest.raises(TelegramError, match="webhook is set.*deleteWebhook") as e1:
        await run(make_source_for(fake))
    fake.webhook_url = ""
    fake.conflict_next(1)
    with pytest.raises(TelegramError, match="another program is reading updates") as e2:
        await run(make_source_for(fake))
    for e in (e1, e2):
        assert "409" in str(e.value) and TOKEN not in str(e.value)


async def test_wrong_token_and_missing_token(telegram_server, monkeypatch):
    fake = telegram_server
    wrong = "7012345678:AAHwrong-token-0000000000000000000"
    monkeypatch.setenv(ENV, wrong)
    with pytest.raises(TelegramError, match=f"rejected the bot token.*{ENV}") as exc:
        await run(make_source_for(fake))
    assert wrong not in str(exc.value) and "Unauthorized" in str(exc.value)
    monkeypatch.setenv(ENV, "not a token")
    with pytest.raises(TelegramError, match="does not hold a bot token") as exc:
        await run(make_source_for(fake))
    assert "not a token" not in str(exc.value)
    monkeypatch.delenv(ENV)
    with pytest.raises(ConfigError, match=f"environment variable {ENV} is not set"):
        await run(make_source_for(fake))
    assert len(fake.requests) == 1


async def test_token_never_in_errors_or_logs(telegram_server, caplog):
    fake = telegram_server
    group_with(fake, 1)
    fake.fail_next(10, status=500)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TelegramError) as exc:
        await run(make_source_for(fake))
    assert TOKEN not in str(exc.value) and "/bot***/getUpdates" in str(exc.value)
    retries = [r for r in caplog.records if r.name == "monitor.collect.http"]
    assert len(retries) == 3 and all("/bot***/getUpdates" in r.getMessage() for r in retries)
    ours = [r.getMessage() for r in caplog.records if r.name != "aiohttp.access"]  # that one is the fake Telegram
    assert ours and not any(TOKEN.split(":")[1] in m for m in ours)


# ------------------------------------------------------------------ chats allow-list


async def test_chats_allow_list_skips_but_acknowledges_others(telegram_server):
    fake = telegram_server
    grp, _ = group_with(fake, 2, username="ASN_Pemkot")
    kanal = fake.channel("Kanal Resmi")  # no username: listed by id
    other = fake.group("Grup Lain", "grup_lain")
    fake.send(kanal, "dari kanal")
    fake.send(other, "tidak dipantau")
    src = make_source_for(fake, chats=["@asn_pemkot", kanal["id"]])
    (batch,) = await run(src)
    assert sorted(p.post_id for p in batch.posts) == sorted([f"{grp['id']}:1", f"{grp['id']}:2", f"{kanal['id']}:1"])
    first_cursor = batch.cursor

    fake.send(other, "masih tidak dipantau")
    (only_skipped,) = await run(src, first_cursor)
    assert only_skipped.posts == [] and only_skipped.rejected == []  # empty batch: the ack gets committed
    assert only_skipped.cursor["offset"] == first_cursor["offset"] + 1
    assert await run(src, only_skipped.cursor) == []
    assert fake.pending_ids() == []


# ------------------------------------------------------------------ mapping


async def test_every_kind_with_parents(telegram_server):
    fake = telegram_server
    fake.push({"my_chat_member": {"chat": {"id": -1, "type": "supergroup", "title": "x"}, "date": 1707800000}})
    kanal = fake.channel("Relawan 02 Kalbar", "relawan02_kalbar")
    grp = fake.group("Grup ASN Pemkot", "asn_pemkot")
    tertutup = fake.group("Diskusi Tertutup")  # no username: no public link
    forum = fake.group("Forum Guru", "forum_guru", forum=True)
    budi = fake.user("Budi", "Santoso", "budi_s")
    siti = fake.user("Siti", "Aminah")

    p_channel = fake.send(kanal, "Mari menangkan nomor urut 2 pada 14 Februari!")
    fw_channel = fake.forward(grp, fake.origin_channel(p_channel, signature="Admin"), p_channel["text"], sender=budi)
    fw_user = fake.forward(grp, fake.origin_user(siti), "Pilih 02 ya", sender=budi)
    fw_hidden = fake.forward(grp, fake.origin_hidden_user("Pak RT"), "Sebarkan ke 10 grup!", sender=budi)
    fw_chat = fake.forward(grp, fake.origin_chat(tertutup), "Info dari grup", sender=budi)
    plain = fake.send(grp, "Besok apel pagi jam 7", sender=budi)
    reply = fake.send(grp, "Setuju, 02!", sender=siti, reply_to=fw_channel)
    reply_quote = fake.send(
        grp, "Jam 7 tepat?", sender=siti, reply_to=plain, quote={"text": "jam 7", "position": 16, "is_manual": True}
    )
    ext = fake.send(
        grp,
        "Mantap, saya dukung",
        sender=budi,
        external_reply={"origin": fake.origin_channel(p_channel), "chat": kanal, "message_id": p_channel["message_id"]},
        quote={"text": "menangkan nomor urut 2", "position": 5, "is_manual": True},
    )
    photo = fake.send(tertutup, None, caption="Foto kampanye", sender=budi)
    edited = fake.edit(plain, "Besok apel pagi jam 8")
    topic_root = fake.send(
        forum, None, sender=budi, extra={"forum_topic_created": {"name": "Pemilu", "icon_color": 7322096}}
    )
    in_topic = fake.send(
        forum, "di topik", sender=siti, reply_to=topic_root,
        extra={"message_thread_id": topic_root["message_id"], "is_topic_message": True},
    )
    joined = fake.send(grp, None, sender=budi, extra={"new_chat_members": [siti]})
    poll = fake.send(
        grp, None, sender=budi,
        extra={"poll": {"id": "5", "question": "Pilih siapa?", "options": [
            {"text": "01", "voter_count": 0}, {"text": "02", "voter_count": 3}], "total_voter_count": 3,
            "is_closed": False, "is_anonymous": True, "type": "regular", "allows_multiple_answers": False}},
    )
    anon_admin = fake.send(
        grp, "Pengumuman",
        sender={"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"},
        sender_chat=grp,
    )
    story_reply = fake.send(grp, "keren", sender=budi, extra={"reply_to_story": {"chat": kanal, "id": 3}})

    (batch,) = await run(make_source_for(fake))
    assert batch.rejected == []
    posts: dict[str, list] = {}
    for p in batch.posts:
        posts.setdefault(p.post_id, []).append(p)

    def one(chat, msg):
        (p,) = posts.pop(f"{chat['id']}:{msg['message_id']}")
        return p

    p = one(kanal, p_channel)
    assert p.kind == "post" and p.url == "https://t.me/relawan02_kalbar/1" and p.parent is None
    assert p.author.id == str(kanal["id"]) and p.author.handle == "relawan02_kalbar"
    assert p.author.name == "Relawan 02 Kalbar"
    assert p.created_at.timestamp() == p_channel["date"] and p.created_at.utcoffset().total_seconds() == 0

    p = one(grp, fw_channel)
    assert p.kind == "forward" and p.text == "" and p.author.handle == "budi_s" and p.author.name == "Budi Santoso"
    assert p.parent.post_id == f"{kanal['id']}:1" and p.parent.url == "https://t.me/relawan02_kalbar/1"
    assert p.parent.text == "Mari menangkan nomor urut 2 pada 14 Februari!"
    assert p.parent.author.handle == "relawan02_kalbar"

    p = one(grp, fw_user)
    assert p.kind == "forward" and p.parent.text == "Pilih 02 ya" and p.parent.post_id is None
    assert p.parent.author.id == str(siti["id"]) and p.parent.author.name == "Siti Aminah"
    assert p.parent.author.handle is None
    p = one(grp, fw_hidden)
    assert p.kind == "forward" and p.parent.text == "Sebarkan ke 10 grup!" and p.parent.author is None
    p = one(grp, fw_chat)
    assert p.kind == "forward" and p.parent.author.id == str(tertutup["id"])
    assert p.parent.author.name == "Diskusi Tertutup"

    p = one(grp, reply)
    assert p.kind == "comment" and p.text == "Setuju, 02!" and p.author.id == str(siti["id"]) and p.author.url is None
    assert p.parent.post_id == f"{grp['id']}:{fw_channel['message_id']}"
    assert p.parent.text == "Mari menangkan nomor urut 2 pada 14 Februari!" and p.parent.author.handle == "budi_s"
    p = one(grp, reply_quote)
    assert p.kind == "comment" and p.parent.text == "Besok apel pagi jam 7"  # the whole parent, not only the quote

    p = one(grp, ext)
    assert p.kind == "quote" and p.text == "Mantap, saya dukung"
    assert p.parent.post_id == f"{kanal['id']}:1" and p.parent.text == "menangkan nomor urut 2"
    assert p.parent.author.handle == "relawan02_kalbar"

    p = one(tertutup, photo)
    assert p.kind == "post" and p.text == "Foto kampanye" and p.url is None

    original, revision = posts.pop(f"{grp['id']}:{plain['message_id']}")
    assert (original.text, revision.text) == ("Besok apel pagi jam 7", "Besok apel pagi jam 8")
    assert original.raw != revision.raw
    assert json.loads(revision.raw)["edited_message"]["edit_date"] == edited["edit_date"]
    assert revision.created_at == original.created_at

    p = one(forum, in_topic)
    assert p.kind == "post" and p.parent is None  # the topic's root is not a parent
    p = one(grp, poll)
    assert p.text == "Pilih siapa?\n- 01\n- 02"
    p = one(grp, anon_admin)
    assert p.author.id == str(grp["id"]) and p.author.name == "Grup ASN Pemkot"
    p = one(grp, story_reply)
    assert p.kind == "comment" and p.parent.url == "https://t.me/relawan02_kalbar/s/3"

    assert posts == {}  # my_chat_member, the topic root and the join message were skipped
    assert f"{grp['id']}:{joined['message_id']}" not in [p.post_id for p in batch.posts]
    assert batch.cursor["offset"] == fake.next_update_id
    assert all(p.platform == "telegram" and p.raw.startswith('{"') for p in batch.posts)


async def test_malformed_updates_are_rejected_and_the_rest_lands(telegram_server):
    fake = telegram_server
    grp = fake.group("Grup", "grup_x")
    budi = fake.user("Budi", "Santoso", "budi_s")
    good = [fake.send(grp, f"ok {i}", sender=budi) for i in range(3)]
    bad_date = fake.send(grp, "tanggal rusak", sender=budi, enqueue=False)
    bad_date["date"] = "kemarin"
    no_chat = fake.send(grp, "tanpa chat", sender=budi, enqueue=False)
    del no_chat["chat"]
    nobody = fake.send(grp, "tanpa pengirim", sender={"is_bot": False, "first_name": "X"}, enqueue=False)
    u_date = fake.push({"message": bad_date})
    u_chat = fake.push({"message": no_chat})
    u_nobody = fake.push({"message": nobody})
    u_str = fake.push({"channel_post": "bukan objek"})
    u_noid = fake.push({"message": good[0]}, assign_id=False)
    fake.push("rusak", assign_id=False)
    last = fake.send(grp, "terakhir", sender=budi)

    (batch,) = await run(make_source_for(fake))
    assert [p.text for p in batch.posts] == ["ok 0", "ok 1", "ok 2", "terakhir"]
    reasons = {r.payload: r.reason for r in batch.rejected}
    assert len(reasons) == 6
    assert "date" in reasons[dump_raw(u_date)]
    assert "chat" in reasons[dump_raw(u_chat)]
    assert "author" in reasons[dump_raw(u_nobody)]
    assert "not an object" in reasons[dump_raw(u_str)]
    assert "update_id" in reasons[dump_raw(u_noid)] and "update_id" in reasons[dump_raw("rusak")]
    assert batch.cursor["offset"] == fake.next_update_id  # past every update with an id
    assert last["message_id"] == 7


def test_mapping_without_server():
    upd = {
        "update_id": 10,
        "channel_post": {
            "message_id": 4, "sender_chat": {"id": -1001, "title": "K", "username": "kanal", "type": "channel"},
            "chat": {"id": -1001, "title": "K", "username": "kanal", "type": "channel"}, "date": 1707800000,
            "text": "halo",
        },
    }
    post = update_to_post(upd)
    assert post.post_id == "-1001:4" and post.url == "https://t.me/kanal/4" and post.raw == dump_raw(upd)
    assert post.raw == json.dumps(upd, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert update_to_post({"update_id": 11, "callback_query": {"id": "1"}}) is None
    with pytest.raises(ValueError):
        update_to_post(["bukan", "objek"])


# ------------------------------------------------------------------ options and lifecycle


def test_options_validation():
    o = TelegramOptions(token_env="TG")
    assert (o.base_url, o.limit, o.poll_timeout_s, o.max_pages_per_run, o.chats) == (
        "https://api.telegram.org", 100, 10, 1, [])
    o = TelegramOptions(
        token_env="TG", base_url="http://127.0.0.1:8081/", chats=["@ASN_Pemkot", -1001234567890, "asn_pemkot"]
    )
    assert o.base_url == "http://127.0.0.1:8081" and o.chats == ["asn_pemkot", "-1001234567890"]
    for bad in (
        {"token_env": "TG", "token": "123:abc"},  # secrets never in the config
        {},
        {"token_env": "TG", "limit": 101},
        {"token_env": "TG", "poll_timeout_s": 30},  # not below http.timeout_s (30)
        {"token_env": "TG", "chats": ["https://t.me/asn_pemkot"]},
        {"token_env": "TG", "base_url": "api.telegram.org"},
        {"token_env": "TG-TOKEN"},
    ):
        with pytest.raises(ValueError):
            TelegramOptions.model_validate(bad)
    ok = TelegramOptions.model_validate({"token_env": "TG", "poll_timeout_s": 30, "http": {"timeout_s": 40}})
    assert ok.http.timeout_s == 40 and TelegramSource.type_name == "telegram"
    assert TelegramSource.options_model is TelegramOptions


async def test_source_owns_and_closes_its_http_client(telegram_server):
    group_with(telegram_server, 1)
    src = TelegramSource(
        "tg", {"base_url": telegram_server.base_url, "token_env": ENV, "poll_timeout_s": 0,
               "http": {"requests_per_second": 1000}}
    )
    assert len(ids(await run(src))) == 1
    assert src.http is not None
    await src.aclose()
    assert src.http is None
