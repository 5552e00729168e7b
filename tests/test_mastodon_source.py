"""Mastodon source against the local fake API: pagination, resumability, mapping, faults."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest

from monitor.collect.base import Batch
from monitor.collect.http import HttpClient, HttpOptions
from monitor.sources import SourceConfigError, make_source
from monitor.sources.mastodon import (
    MastodonError,
    MastodonOptions,
    MastodonSource,
    dump_raw,
    html_to_text,
    snowflake_minus,
    status_to_post,
)
from tests.fakes import FakeClock
from tests.fakes.mastodon_server import FakeMastodon, load_fixture

TAG = "pemilu2024"


# ------------------------------------------------------------------ helpers


_CLIENTS: list[HttpClient] = []


@pytest.fixture(autouse=True)
async def _close_clients():
    yield
    while _CLIENTS:
        await _CLIENTS.pop().aclose()


def make_source_for(fake: FakeMastodon, clock: FakeClock | None = None, **opts) -> MastodonSource:
    """A source on the fake server with an injected client (tiny backoff, recorded waits)."""
    clock = clock or FakeClock()
    options = MastodonOptions(
        base_url=fake.base_url,
        **{"hashtags": [TAG], "limit": 5, "max_pages_per_run": 3, **opts},
    )
    http = HttpClient(
        HttpOptions(timeout_s=2, max_retries=3, backoff_base_s=0.01, backoff_max_s=0.02, requests_per_second=1000),
        random=lambda: 0.5,
        **clock.kwargs(),
    )
    _CLIENTS.append(http)
    return MastodonSource("masto", options, http=http)


async def run(src: MastodonSource, cursor=None, *, stop_after: int | None = None) -> list[Batch]:
    """Consume fetch(); with ``stop_after`` simulate a crash after that many committed batches."""
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


def last_cursor(batches: list[Batch], default=None):
    return batches[-1].cursor if batches else default


def tag_requests(fake: FakeMastodon) -> list[dict]:
    return [r.query for r in fake.requests if r.path.startswith("/api/v1/timelines/tag/")]


def seed(fake: FakeMastodon, n: int, tag: str = TAG, account=None) -> list[dict]:
    account = account or fake.add_account("budi")
    return [fake.add_status(account, f"status {i} #{tag}", tags=[tag]) for i in range(n)]


# ------------------------------------------------------------------ pagination and cursor


async def test_first_run_walks_back_then_later_runs_only_fetch_new(mastodon_server):
    fake = mastodon_server
    st = seed(fake, 23)
    newest_first = [s["id"] for s in reversed(st)]
    src = make_source_for(fake)

    b1 = await run(src)
    assert ids(b1) == newest_first[:15]  # head page + 2 pages back = max_pages_per_run (3) x limit (5)
    assert [len(b.posts) for b in b1] == [5, 5, 5]
    assert tag_requests(fake) == [
        {"limit": "5"},
        {"limit": "5", "max_id": newest_first[4]},
        {"limit": "5", "max_id": newest_first[9]},
    ]
    cur = last_cursor(b1)
    assert cur["timelines"][f"tag:{TAG}"] == {"newest": newest_first[0], "backfill": None}
    # Cursors of earlier batches describe the walk in progress.
    assert b1[0].cursor["timelines"][f"tag:{TAG}"]["backfill"] == {"max_id": newest_first[4], "pages_left": 2}

    new = seed(fake, 7, account=fake.add_account("siti"))
    fake.requests.clear()
    b2 = await run(src, cur)
    assert sorted(ids(b2)) == sorted(s["id"] for s in new)
    assert tag_requests(fake) == [
        {"limit": "5", "min_id": newest_first[0]},
        {"limit": "5", "min_id": new[4]["id"]},
        {"limit": "5", "min_id": new[6]["id"]},
    ]
    cur2 = last_cursor(b2)
    assert cur2["timelines"][f"tag:{TAG}"]["newest"] == new[-1]["id"]

    fake.requests.clear()
    assert await run(src, cur2) == []  # nothing new: one request, no batch
    assert len(fake.requests) == 1
    await src.aclose()


async def test_forward_backlog_larger_than_budget_continues_next_run(mastodon_server):
    fake = mastodon_server
    seed(fake, 2)
    src = make_source_for(fake, max_pages_per_run=2)
    cur = last_cursor(await run(src))
    new = seed(fake, 18)
    got: list[str] = []
    for _ in range(3):
        batches = await run(src, cur)
        got += ids(batches)
        cur = last_cursor(batches, cur)
    assert sorted(got) == sorted(s["id"] for s in new)  # 10 + 8 + 0: no gap, no duplicate
    assert len(got) == len(set(got))


@pytest.mark.parametrize("crash_after", [1, 2, 3])
async def test_resume_after_crash_in_first_run_loses_nothing(crash_after):
    from tests.fakes.mastodon_server import start_fake_mastodon

    fake, server = await start_fake_mastodon()
    try:
        st = seed(fake, 30)
        src = make_source_for(fake, max_pages_per_run=4)
        expected_first = {s["id"] for s in st[-20:]}  # 4 pages of 5 from the head

        part = await run(src, stop_after=crash_after)
        cur = last_cursor(part)
        late = seed(fake, 6)  # arrives while the process is down
        delivered = ids(part)
        for _ in range(5):  # resume; an unfinished first-run walk may take one more run
            batches = await run(src, cur)
            if not batches:
                break
            delivered += ids(batches)
            cur = last_cursor(batches)
        else:
            pytest.fail("never caught up")
        assert expected_first <= set(delivered)
        assert {s["id"] for s in late} <= set(delivered)
        assert len(delivered) == len(set(delivered))  # this scenario even has no duplicates
        assert cur["timelines"][f"tag:{TAG}"]["backfill"] is None
    finally:
        await server.close()


@pytest.mark.parametrize("seed_no", range(12))
async def test_random_crashes_never_lose_a_status(seed_no):
    """Runs crash after a random number of committed batches while statuses keep arriving.
    Everything the first walk covers, and everything published after it, is delivered."""
    import random

    from tests.fakes.mastodon_server import start_fake_mastodon

    rnd = random.Random(seed_no)
    fake, server = await start_fake_mastodon()
    try:
        acc = fake.add_account("budi")
        for i in range(rnd.randint(0, 40)):
            fake.add_status(acc, f"awal {i}", tags=[TAG])
        pages = rnd.randint(1, 5)
        src = make_source_for(fake, max_pages_per_run=pages, limit=rnd.choice([2, 3, 5]))
        limit = src.options.limit
        expected: set[str] = set()
        delivered: list[str] = []
        cur = None
        for _ in range(8):  # crashing runs, statuses arriving in between
            if cur is None:  # a first run: its walk covers `pages` pages from the head
                head = sorted(fake.statuses, key=lambda i: (len(i), i), reverse=True)
                first_walk = set(head[: pages * limit])
            stop = rnd.randint(1 if cur is None else 0, 4)
            batches = await run(src, cur, stop_after=stop) if stop else []
            delivered += ids(batches)
            cur = last_cursor(batches, cur)
            added = {fake.add_status(acc, "baru", tags=[TAG])["id"] for _ in range(rnd.randint(0, 9))}
            if cur is not None:
                expected |= added  # published after the first walk started: must all arrive
        expected |= first_walk
        for _ in range(30):  # then complete runs until nothing is left
            batches = await run(src, cur)
            if not batches:
                break
            delivered += ids(batches)
            cur = last_cursor(batches, cur)
        assert expected <= set(delivered), f"lost: {sorted(expected - set(delivered))}"
        assert len(delivered) == len(set(delivered))
    finally:
        await server.close()


async def test_resume_in_the_middle_of_a_forward_run(mastodon_server):
    fake = mastodon_server
    seed(fake, 3)
    src = make_source_for(fake, max_pages_per_run=10)
    cur = last_cursor(await run(src))
    new = seed(fake, 17)
    part = await run(src, cur, stop_after=2)  # crash after 2 of 4 pages
    rest = await run(src, last_cursor(part))
    assert sorted(ids(part) + ids(rest)) == sorted(s["id"] for s in new)


async def test_crash_before_commit_redelivers_the_page(mastodon_server):
    """If a batch was yielded but never committed, resuming from the previous cursor re-reads it."""
    fake = mastodon_server
    seed(fake, 12)
    src = make_source_for(fake)
    full = await run(src)
    committed = full[:1]  # batch 2 got lost before commit
    again = await run(src, last_cursor(committed))
    assert set(ids(full[1:])) <= set(ids(again))


async def test_unknown_hashtag_is_empty_not_an_error(mastodon_server):
    src = make_source_for(mastodon_server, hashtags=["belumada"])
    assert await run(src) == []


async def test_late_remote_status_found_with_lookback(mastodon_server):
    fake = mastodon_server
    acc = fake.add_account("budi")
    st = seed(fake, 3, account=acc)
    src = make_source_for(fake, lookback_s=600)
    cur = last_cursor(await run(src))
    newest = st[-1]
    # A federated status published 2 minutes before `newest` arrives only now (id from its date).
    when = fake._t0 + timedelta(seconds=fake._tick) - timedelta(minutes=2)
    late = fake.add_status(acc, "terlambat", tags=[TAG], created_at=when)
    assert late["id"] < newest["id"] and len(late["id"]) == len(newest["id"])

    no_lookback = make_source_for(fake)
    assert ids(await run(no_lookback, cur)) == []  # a min_id cursor cannot see it
    got = await run(src, cur)
    assert late["id"] in ids(got)
    assert last_cursor(got)["timelines"][f"tag:{TAG}"]["newest"] == newest["id"]  # cursor unchanged
    assert snowflake_minus("abc", 10) is None and snowflake_minus("12", 10) is None


# ------------------------------------------------------------------ faults during a run


async def test_rate_limit_during_run_is_honoured(mastodon_server):
    fake = mastodon_server
    seed(fake, 12)
    clock = FakeClock()
    src = make_source_for(fake, clock)
    fake.rate_limit_next(1, retry_after=None, reset_in_s=30, path_prefix="/api/v1/timelines/")
    fake.fail_next(1, status=502)
    batches = await run(src)
    assert len(ids(batches)) == 12
    assert [r.status for r in fake.requests][:3] == [429, 502, 200]
    assert any(s == pytest.approx(30, abs=1.0) for s in clock.sleeps)


async def test_failing_timeline_is_reported_after_the_others_are_delivered(mastodon_server):
    fake = mastodon_server
    acc = fake.add_account("budi")
    seed(fake, 3, tag="rusak", account=acc)
    seed(fake, 3, account=acc)
    fake.fail_next(20, status=500, path_prefix="/api/v1/timelines/tag/rusak")
    src = make_source_for(fake, hashtags=["rusak", TAG])
    got: list[Batch] = []
    with pytest.raises(MastodonError, match="tag rusak"):
        async for b in src.fetch(None):
            got.append(b)
    assert len(ids(got)) == 3
    assert f"tag:{TAG}" in got[-1].cursor["timelines"] and "tag:rusak" not in got[-1].cursor["timelines"]


# ------------------------------------------------------------------ accounts


async def test_hashtag_and_account_timelines_with_lookup(mastodon_server):
    fake = mastodon_server
    budi = fake.add_account("budi", display_name="Budi Santoso")
    siti = fake.add_account("siti", "kota.example")
    tagged = fake.add_status(budi, "dukung paslon", tags=[TAG])
    own = [fake.add_status(siti, f"kegiatan {i}") for i in range(3)]
    src = make_source_for(fake, accounts=["@budi", "Siti@kota.example"])

    batches = await run(src)
    lookups = [r.query["acct"] for r in fake.requests if r.path == "/api/v1/accounts/lookup"]
    assert lookups == ["budi", "siti@kota.example"]
    got = ids(batches)
    assert tagged["id"] in got and all(s["id"] in got for s in own)
    tl = last_cursor(batches)["timelines"]
    assert tl[f"account:{siti['id']}"]["acct"] == "siti@kota.example"
    assert tl[f"account:{budi['id']}"]["acct"] == "budi"
    post = next(p for b in batches for p in b.posts if p.post_id == own[0]["id"])
    assert post.author.handle == "siti@kota.example" and post.author.id == siti["id"]
    budi_post = next(p for b in batches for p in b.posts if p.post_id == tagged["id"])
    assert budi_post.author.handle == f"budi@{fake.domain}"  # local acct + domain of the account URL
    assert budi_post.author.name == "Budi Santoso"

    # Next run: ids come from the cursor, no lookup; new statuses of the account arrive.
    fake.requests.clear()
    newer = fake.add_status(siti, "baru")
    b2 = await run(src, last_cursor(batches))
    assert ids(b2) == [newer["id"]]
    assert not any(r.path == "/api/v1/accounts/lookup" for r in fake.requests)


async def test_unknown_account_is_reported_but_others_go_on(mastodon_server):
    fake = mastodon_server
    seed(fake, 2)
    src = make_source_for(fake, accounts=["hantu@nowhere.example"])
    got: list[Batch] = []
    with pytest.raises(MastodonError, match="hantu@nowhere.example not found"):
        async for b in src.fetch(None):
            got.append(b)
    assert len(ids(got)) == 2


async def test_account_id_that_disappeared_is_looked_up_again(mastodon_server):
    fake = mastodon_server
    old = fake.add_account("budi")
    fake.add_status(old, "lama")
    src = make_source_for(fake, hashtags=[], accounts=["budi"])
    cur = last_cursor(await run(src))
    # The account is re-created (new id), e.g. after a migration back to this server.
    del fake.accounts[old["id"]]
    new = fake.add_account("budi")
    post = fake.add_status(new, "baru")
    b = await run(src, cur)
    assert ids(b) == [post["id"]]
    tl = last_cursor(b)["timelines"]
    assert tl[f"account:{new['id']}"]["acct"] == "budi" and "acct" not in tl[f"account:{old['id']}"]


# ------------------------------------------------------------------ kinds and parents


async def test_reblog_becomes_share_with_parent(mastodon_server):
    fake = mastodon_server
    caleg = fake.add_account("caleg", "partai.example", display_name="Caleg A")
    budi = fake.add_account("budi")
    orig = fake.add_status(caleg, "Pilih nomor 1!", tags=[TAG], publish=False)
    boost = fake.add_status(budi, reblog_of=orig)
    src = make_source_for(fake, hashtags=[], accounts=["budi"])
    (post,) = [p for b in await run(src) for p in b.posts]
    assert post.post_id == boost["id"] and post.kind == "share" and post.text == ""
    assert post.author.handle == f"budi@{fake.domain}"
    assert post.url == boost["uri"]  # a boost has no url, only its activity uri
    assert post.parent.post_id == orig["id"] and post.parent.url == orig["url"]
    assert post.parent.text == "Pilih nomor 1! #pemilu2024"
    assert post.parent.author.handle == "caleg@partai.example" and post.parent.author.name == "Caleg A"


async def test_reply_gets_parent_fetched_once_and_deleted_parent_kept_as_id(mastodon_server):
    fake = mastodon_server
    caleg = fake.add_account("caleg", "partai.example")
    budi = fake.add_account("budi")
    parent = fake.add_status(caleg, "Siapa dukung kami?")  # not in the hashtag timeline
    gone = fake.add_status(caleg, "dihapus", publish=False)  # a deleted parent
    r1 = fake.add_status(budi, "Saya dukung", tags=[TAG], in_reply_to=parent)
    r2 = fake.add_status(budi, "Saya juga", tags=[TAG], in_reply_to=parent)
    r3 = fake.add_status(budi, "balas yang hilang", tags=[TAG], in_reply_to=gone)
    r4 = fake.add_status(budi, "balasan di halaman", tags=[TAG], in_reply_to=r1)
    src = make_source_for(fake)
    posts = {p.post_id: p for b in await run(src) for p in b.posts}

    assert set(posts) == {r1["id"], r2["id"], r3["id"], r4["id"]}
    assert all(p.kind == "comment" for p in posts.values())
    p1 = posts[r1["id"]]
    assert p1.parent.post_id == parent["id"] and p1.parent.text == "Siapa dukung kami?"
    assert p1.parent.author.handle == "caleg@partai.example"
    assert posts[r2["id"]].parent.text == "Siapa dukung kami?"
    p3 = posts[r3["id"]]
    assert p3.parent.post_id == gone["id"] and p3.parent.text is None
    assert p3.parent.author.id == caleg["id"] and p3.parent.author.handle == "caleg@partai.example"
    assert posts[r4["id"]].parent.text.startswith("Saya dukung")  # parent found in the same page
    fetched = sorted(r.path for r in fake.requests if r.path.startswith("/api/v1/statuses/"))
    assert fetched == sorted([f"/api/v1/statuses/{parent['id']}", f"/api/v1/statuses/{gone['id']}"])


async def test_parent_fetch_failure_keeps_comment(mastodon_server):
    fake = mastodon_server
    budi = fake.add_account("budi")
    parent = fake.add_status(budi, "induk")
    reply = fake.add_status(budi, "anak", tags=[TAG], in_reply_to=parent)
    fake.fail_next(10, status=503, path_prefix="/api/v1/statuses/")
    src = make_source_for(fake)
    (post,) = [p for b in await run(src) for p in b.posts]
    assert post.post_id == reply["id"] and post.kind == "comment"
    assert post.parent.post_id == parent["id"] and post.parent.text is None


async def test_quote_kinds(mastodon_server):
    fake = mastodon_server
    budi = fake.add_account("budi")
    doc_quote = load_fixture("Quote__01.json")  # Quote entity from the docs, state "accepted"
    q1 = fake.add_status(budi, "lihat ini", tags=[TAG], quote=doc_quote)
    target = fake.add_status(fake.add_account("caleg"), "visi misi kami")
    q2 = fake.add_status(budi, "setuju", tags=[TAG], quote={"state": "accepted", "quoted_status_id": target["id"]})
    q3 = fake.add_status(budi, "menunggu", tags=[TAG], quote={"state": "pending", "quoted_status": None})
    src = make_source_for(fake)
    posts = {p.post_id: p for b in await run(src) for p in b.posts}

    p1 = posts[q1["id"]]
    assert p1.kind == "quote" and p1.text.startswith("lihat ini")
    assert p1.parent.post_id == "103270115826048975"
    assert p1.parent.text.startswith('"I lost my inheritance with one wrong digit on my sort code"')
    assert p1.parent.author.handle == "Gargron@mastodon.social"
    p2 = posts[q2["id"]]  # ShallowQuote: parent fetched
    assert p2.kind == "quote" and p2.parent.post_id == target["id"] and p2.parent.text == "visi misi kami"
    p3 = posts[q3["id"]]
    assert p3.kind == "quote" and p3.parent is not None and p3.parent.post_id is None


async def test_malformed_status_is_rejected_and_the_rest_lands(mastodon_server):
    fake = mastodon_server
    budi = fake.add_account("budi")
    good = [fake.add_status(budi, f"ok {i}", tags=[TAG]) for i in range(3)]
    # The abbreviated doc examples have no account, and one gets a bad date.
    partial = load_fixture("timelines__abbrev02.json")
    broken = copy.deepcopy(good[0])
    broken["id"] = str(int(good[0]["id"]) + 1)
    broken["created_at"] = "kemarin"
    for item in partial + [broken]:
        fake.put_raw(item, tags=[TAG])
    fake.put_raw({"id": str(int(good[-1]["id"]) + 1), "account": "not-an-object", "created_at": None}, tags=[TAG])
    src = make_source_for(fake, limit=40)
    (batch,) = [b for b in await run(src) if b.posts or b.rejected]
    assert sorted(p.post_id for p in batch.posts) == sorted(s["id"] for s in good)
    assert len(batch.rejected) == 4
    by_id = {json.loads(r.payload)["id"]: r for r in batch.rejected}
    assert by_id[partial[0]["id"]].payload == dump_raw(partial[0])
    assert "account" in by_id[partial[0]["id"]].reason
    assert "created_at" in by_id[broken["id"]].reason


# ------------------------------------------------------------------ mapping (fixtures, no server)


def test_status_fixture_maps_to_post():
    st = load_fixture("Status__01.json")
    post = status_to_post(st)
    assert post.platform == "mastodon" and post.post_id == "103270115826048975" and post.kind == "post"
    assert post.url == "https://mastodon.social/@Gargron/103270115826048975"
    assert post.created_at.isoformat() == "2019-12-08T03:48:33.901000+00:00"
    assert post.author.id == "1" and post.author.handle == "Gargron@mastodon.social"
    assert post.author.name == "Eugen" and post.author.url == "https://mastodon.social/@Gargron"
    assert post.author.bio.startswith("Developer of Mastodon")
    assert post.text == (
        '"I lost my inheritance with one wrong digit on my sort code"\n\n'
        "https://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code"
    )
    assert post.raw == json.dumps(st, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert post.parent is None


def test_remote_account_and_spoiler_and_poll():
    st = load_fixture("statuses__04.json")
    st["account"] = load_fixture("Account__01.json")
    st["account"]["display_name"] = ""
    st["spoiler_text"] = "politik"
    st["poll"] = {"options": [{"title": "Paslon 1", "votes_count": 3}, {"title": "Paslon 2", "votes_count": 1}]}
    post = status_to_post(st)
    assert post.author.handle == "noiob@awoo.space" and post.author.name == "noiob"
    assert "#awoo.space" in post.author.bio and "@dzuk" in post.author.bio
    assert post.text == "politik\n\nHello world\n\n- Paslon 1\n- Paslon 2"


def test_reply_payload_without_fetch_keeps_parent_id():
    st = load_fixture("statuses__04.json")
    st["in_reply_to_id"] = "108880209317577809"
    st["in_reply_to_account_id"] = "103641"
    post = status_to_post(st)
    assert post.kind == "comment"
    assert post.parent.post_id == "108880209317577809" and post.parent.author.id == "103641"


def test_doc_reblog_example_without_account_is_rejected():
    with pytest.raises(ValueError):
        status_to_post(load_fixture("statuses__abbrev04.json"))


def test_html_to_text():
    assert html_to_text("<p>a &amp; b</p><p>c<br>d<br/>e</p>") == "a & b\n\nc\nd\ne"
    tagged = load_fixture("timelines__abbrev02.json")[1]["content"]
    text = html_to_text(tagged)
    assert text.startswith("Caught on the hop. 😺\n\n#Qualitätskatzen #cats")
    assert "\n(photo: @kernpanik | license: CC BY-NC-SA 4.0)" in text
    assert html_to_text("") == "" and html_to_text(None) == ""


# ------------------------------------------------------------------ options, token


def test_options_validation():
    o = MastodonOptions(base_url="https://kota.social/", hashtags=["#Pemilu2024", "pemilu2024"], accounts=["@Budi"])
    assert o.base_url == "https://kota.social" and o.hashtags == ["pemilu2024"] and o.accounts == ["budi"]
    with pytest.raises(ValueError, match="at least one"):
        MastodonOptions(base_url="https://kota.social")
    with pytest.raises(ValueError):
        MastodonOptions(base_url="kota.social", hashtags=["x"])
    with pytest.raises(ValueError):
        MastodonOptions(base_url="https://kota.social", hashtags=["x"], limit=80)
    with pytest.raises(SourceConfigError, match="sources.m.token: unknown key"):
        make_source("m", "mastodon", {"base_url": "https://kota.social", "hashtags": ["x"], "token": "s3cret"})
    src = make_source(
        "m", "mastodon",
        {"base_url": "https://kota.social", "hashtags": ["x"], "http": {"requests_per_second": 0.5}},
    )
    assert isinstance(src, MastodonSource) and src.options.http.requests_per_second == 0.5


async def test_token_from_environment(mastodon_server, monkeypatch):
    fake = mastodon_server
    seed(fake, 2)
    fake.require_token = "rahasia"
    src = make_source_for(fake, token_env="MASTO_TOKEN")
    monkeypatch.delenv("MASTO_TOKEN", raising=False)
    with pytest.raises(MastodonError, match="environment variable MASTO_TOKEN is not set"):
        await run(src)
    monkeypatch.setenv("MASTO_TOKEN", "rahasia")
    assert len(ids(await run(src))) == 2
    assert fake.requests[-1].headers["Authorization"] == "Bearer rahasia"


async def test_source_owns_and_closes_its_http_client(mastodon_server):
    seed(mastodon_server, 1)
    src = MastodonSource(
        "m", {"base_url": mastodon_server.base_url, "hashtags": [TAG], "http": {"requests_per_second": 1000}}
    )
    assert len(ids(await run(src))) == 1
    assert src.http is not None
    await src.aclose()
    assert src.http is None
