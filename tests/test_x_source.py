"""X source against the local fake X API v2: pagination, resumability, mapping, faults."""

from __future__ import annotations

import copy
import json
import random
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from monitor.collect.base import Batch, SourceContext
from monitor.collect.http import HttpClient, HttpOptions
from monitor.sources.mastodon import dump_raw
from monitor.sources.x import (
    EXPANSIONS,
    TWEET_FIELDS,
    USER_FIELDS,
    Lookup,
    XError,
    XOptions,
    XSource,
    build_queries,
    tweet_to_post,
)
from tests.fakes import FakeClock
from tests.fakes.x_server import SEARCH, FakeX, load_fixture, start_fake_x, x_server  # noqa: F401  (fixture)

QUERY = "#pemilu2024"
KEY = f"search:{QUERY}"
TOKEN_ENV = "X_TEST_BEARER_TOKEN"


# ------------------------------------------------------------------ helpers


_CLIENTS: list[HttpClient] = []


@pytest.fixture(autouse=True)
async def _close_clients():
    yield
    while _CLIENTS:
        await _CLIENTS.pop().aclose()


@pytest.fixture(autouse=True)
def _bearer(monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, "test-bearer-token")


def make_source_for(fake: FakeX, clock: FakeClock | None = None, context: SourceContext | None = None, **opts) -> XSource:
    """A source on the fake server with an injected client (tiny backoff, recorded waits)."""
    clock = clock or FakeClock()
    options = XOptions(
        base_url=fake.base_url,
        token_env=TOKEN_ENV,
        **{"queries": [QUERY], "max_results": 10, "max_pages_per_run": 10, "initial_pages": 3, **opts},
    )
    http = HttpClient(
        HttpOptions(timeout_s=2, max_retries=3, backoff_base_s=0.01, backoff_max_s=0.02, requests_per_second=1000),
        random=lambda: 0.5,
        **clock.kwargs(),
    )
    _CLIENTS.append(http)
    return XSource("x", options, http=http, context=context)


async def run(src: XSource, cursor=None, *, stop_after: int | None = None) -> list[Batch]:
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


async def run_until_error(src: XSource, cursor=None) -> tuple[list[Batch], XError]:
    got: list[Batch] = []
    with pytest.raises(XError) as info:
        async for b in src.fetch(copy.deepcopy(cursor)):
            got.append(b)
    return got, info.value


def ids(batches: list[Batch]) -> list[str]:
    return [p.post_id for b in batches for p in b.posts]


def last_cursor(batches: list[Batch], default=None):
    return batches[-1].cursor if batches else default


def search_requests(fake: FakeX) -> list[dict]:
    return [r.query for r in fake.requests if r.path == SEARCH]


def seed(fake: FakeX, n: int, text: str = "dukung paslon #pemilu2024", user=None) -> list[dict]:
    user = user or fake.add_user("budi_s")
    return [fake.add_tweet(user, f"{text} {i}") for i in range(n)]


COMMON = {"max_results": "10", "tweet.fields": TWEET_FIELDS, "expansions": EXPANSIONS, "user.fields": USER_FIELDS}


# ------------------------------------------------------------------ pagination and cursor


async def test_first_run_pages_then_later_runs_only_fetch_new(x_server):
    fake = x_server
    st = seed(fake, 23)
    newest_first = [t["id"] for t in reversed(st)]
    src = make_source_for(fake)

    b1 = await run(src)
    assert ids(b1) == newest_first
    assert [len(b.posts) for b in b1] == [10, 10, 3]
    reqs = search_requests(fake)
    assert reqs[0] == {"query": QUERY, **COMMON}
    assert reqs[1] == {"query": QUERY, **COMMON, "next_token": reqs[1]["next_token"]}
    assert len(reqs) == 3 and reqs[2]["next_token"] != reqs[1]["next_token"]
    # Earlier batches carry the walk in progress; the last one the finished feed.
    assert b1[0].cursor["feeds"][KEY] == {
        "since_id": None,
        "walk": {"since_id": None, "top": newest_first[0], "next_token": reqs[1]["next_token"],
                 "oldest": newest_first[9], "pages_left": 2},
    }
    cur = last_cursor(b1)
    assert cur["feeds"][KEY] == {"since_id": newest_first[0], "walk": None}

    new = seed(fake, 7, user=fake.add_user("siti"))
    fake.requests.clear()
    b2 = await run(src, cur)
    assert ids(b2) == [t["id"] for t in reversed(new)]
    assert search_requests(fake) == [{"query": QUERY, **COMMON, "since_id": newest_first[0]}]
    cur2 = last_cursor(b2)
    assert cur2["feeds"][KEY] == {"since_id": new[-1]["id"], "walk": None}

    fake.requests.clear()
    assert await run(src, cur2) == []  # nothing new: one request, no batch
    assert len(fake.requests) == 1
    await src.aclose()


async def test_first_run_depth_is_limited_to_initial_pages(x_server):
    fake = x_server
    st = seed(fake, 35)
    src = make_source_for(fake, initial_pages=2)
    b = await run(src)
    assert ids(b) == [t["id"] for t in reversed(st)][:20]  # older history is not collected
    assert last_cursor(b)["feeds"][KEY] == {"since_id": st[-1]["id"], "walk": None}
    assert len(search_requests(fake)) == 2


async def test_later_backlog_larger_than_budget_continues_next_run(x_server):
    fake = x_server
    seed(fake, 2)
    src = make_source_for(fake, max_pages_per_run=2)
    cur = last_cursor(await run(src))
    new = seed(fake, 45)
    got: list[str] = []
    for i in range(4):
        batches = await run(src, cur)
        got += ids(batches)
        cur = last_cursor(batches, cur)
        if i == 0:
            assert cur["feeds"][KEY]["walk"] is not None  # 20 of 45: the walk goes on next run
            late = seed(fake, 3, text="telat #pemilu2024")  # arrive while the walk is unfinished
    assert sorted(got) == sorted(t["id"] for t in new + late)
    assert len(got) == len(set(got))
    assert cur["feeds"][KEY] == {"since_id": late[-1]["id"], "walk": None}


@pytest.mark.parametrize("crash_after", [1, 2, 3, 4])
async def test_resume_after_crash_with_fresh_instance_loses_and_duplicates_nothing(x_server, crash_after):
    fake = x_server
    seed(fake, 3)
    cur = last_cursor(await run(make_source_for(fake)))
    new = seed(fake, 40)
    part = await run(make_source_for(fake), cur, stop_after=crash_after)
    delivered = ids(part)
    cur = last_cursor(part)
    late = seed(fake, 4, text="baru #pemilu2024")  # published while the process was down
    for _ in range(5):
        batches = await run(make_source_for(fake), cur)  # a new process: fresh source and client
        if not batches:
            break
        delivered += ids(batches)
        cur = last_cursor(batches)
    assert sorted(delivered) == sorted(t["id"] for t in new + late)  # nothing lost, nothing twice


@pytest.mark.parametrize("seed_no", range(6))
async def test_random_crashes_never_lose_a_post(seed_no):
    """Runs crash after a random number of committed batches while posts keep arriving."""
    rnd = random.Random(seed_no)
    fake, server = await start_fake_x()
    try:
        user = fake.add_user("budi_s")
        for i in range(rnd.randint(0, 30)):
            fake.add_tweet(user, f"awal {i} #pemilu2024")
        pages = rnd.randint(1, 4)
        opts = {"initial_pages": pages, "max_pages_per_run": rnd.randint(1, 4), "max_results": 10}
        expected: set[str] = set()
        delivered: list[str] = []
        cur = None
        first_walk: set[str] = set()
        for _ in range(6):
            if cur is None:  # a first run covers `pages` pages from the head
                first_walk = set([k for k in fake.newest_ids()][: pages * 10])
            stop = rnd.randint(1 if cur is None else 0, 4)
            batches = await run(make_source_for(fake, **opts), cur, stop_after=stop) if stop else []
            delivered += ids(batches)
            cur = last_cursor(batches, cur)
            added = {fake.add_tweet(user, "baru #pemilu2024")["id"] for _ in range(rnd.randint(0, 25))}
            if cur is not None:
                expected |= added
        expected |= first_walk
        for _ in range(40):
            batches = await run(make_source_for(fake, **opts), cur)
            if not batches:
                break
            delivered += ids(batches)
            cur = last_cursor(batches, cur)
        assert expected <= set(delivered), f"lost: {sorted(expected - set(delivered))}"
        assert len(delivered) == len(set(delivered))
    finally:
        await server.close()


async def test_server_error_mid_walk_then_resume_from_last_committed_batch(x_server):
    fake = x_server
    seed(fake, 3)
    cur = last_cursor(await run(make_source_for(fake)))
    new = seed(fake, 35)
    fake.fail_next(10, status=503, path_prefix=SEARCH, after=1)  # page 1 fine, then 503 (4 attempts)
    got, err = await run_until_error(make_source_for(fake), cur)
    assert len(got) == 1 and len(ids(got)) == 10
    assert f"query '{QUERY}'" in str(err) and "503" in str(err)
    assert [r.status for r in fake.requests[-5:]] == [200, 503, 503, 503, 503]
    committed = last_cursor(got)
    token = committed["feeds"][KEY]["walk"]["next_token"]

    fake.faults.clear()
    fake.requests.clear()
    rest = await run(make_source_for(fake), committed)
    assert search_requests(fake)[0]["next_token"] == token  # continues the interrupted walk
    assert search_requests(fake)[0]["since_id"] == cur["feeds"][KEY]["since_id"]
    assert sorted(ids(got) + ids(rest)) == sorted(t["id"] for t in new)  # no loss, no duplicate
    assert last_cursor(rest)["feeds"][KEY] == {"since_id": new[-1]["id"], "walk": None}


@pytest.mark.parametrize("pages", [10, 1])
async def test_refused_pagination_token_continues_below_the_oldest_delivered(x_server, pages):
    fake = x_server
    seed(fake, 3)
    cur = last_cursor(await run(make_source_for(fake)))
    new = seed(fake, 30)
    part = await run(make_source_for(fake), cur, stop_after=1)
    oldest = last_cursor(part)["feeds"][KEY]["walk"]["oldest"]
    fake.expire_tokens()
    fake.requests.clear()
    rest = await run(make_source_for(fake, max_pages_per_run=pages), last_cursor(part))
    reqs = search_requests(fake)
    assert [r.status for r in fake.requests][:2] == [400, 200]
    assert "next_token" in reqs[0] and reqs[1]["until_id"] == oldest and "next_token" not in reqs[1]
    assert reqs[1]["since_id"] == cur["feeds"][KEY]["since_id"]
    delivered = ids(part) + ids(rest)
    cur = last_cursor(rest)
    while batches := await run(make_source_for(fake, max_pages_per_run=pages), cur):  # a refusal costs no page
        delivered += ids(batches)
        cur = last_cursor(batches)
    assert sorted(delivered) == sorted(t["id"] for t in new)


async def test_positions_older_than_the_7_day_search_window_are_not_sent(x_server):
    fake = x_server
    user = fake.add_user("budi_s")
    now = datetime.now(timezone.utc)
    old = fake.add_tweet(user, "sepi #pemilu2024", created_at=now - timedelta(days=8))
    older = fake.add_tweet(user, "lebih lama", created_at=now - timedelta(days=9))
    new = seed(fake, 3, user=user)
    # A quiet query: its since_id aged out of the window; X would refuse it with 400.
    quiet = {"v": 1, "feeds": {KEY: {"since_id": old["id"], "walk": None}}, "handles": {}}
    b = await run(make_source_for(fake), quiet)
    assert "since_id" not in search_requests(fake)[0] and [r.status for r in fake.requests] == [200]
    assert ids(b) == [t["id"] for t in reversed(new)]
    assert last_cursor(b)["feeds"][KEY] == {"since_id": new[-1]["id"], "walk": None}
    # An interrupted walk whose rest (below `oldest`, token refused) has left the window ends.
    stale_walk = {"since_id": older["id"], "top": old["id"], "next_token": None, "oldest": old["id"], "pages_left": None}
    fake.requests.clear()
    b = await run(make_source_for(fake), {"v": 1, "feeds": {KEY: {"since_id": None, "walk": stale_walk}}})
    assert b[0].posts == [] and b[0].cursor["feeds"][KEY] == {"since_id": old["id"], "walk": None}
    assert ids(b[1:]) == [t["id"] for t in reversed(new)]
    assert [r.status for r in fake.requests] == [200]


async def test_trailing_empty_page_ends_the_walk(x_server):
    fake = x_server
    fake.trailing_empty_page = True  # X may hand out a next_token that leads to nothing
    st = seed(fake, 10)
    b = await run(make_source_for(fake))
    assert [len(x.posts) for x in b] == [10, 0]
    assert last_cursor(b)["feeds"][KEY] == {"since_id": st[-1]["id"], "walk": None}


async def test_no_match_is_no_batch(x_server):
    seed(x_server, 3, text="tidak relevan")
    assert await run(make_source_for(x_server)) == []
    assert len(x_server.requests) == 1


# ------------------------------------------------------------------ rate limits and faults


async def test_429_waits_until_x_rate_limit_reset(x_server):
    fake = x_server
    seed(fake, 25)
    clock = FakeClock()
    src = make_source_for(fake, clock)
    fake.rate_limit_next(1, reset_in_s=30, path_prefix=SEARCH, after=1)
    fake.fail_next(1, status=502, after=1)
    batches = await run(src)
    assert len(ids(batches)) == 25
    assert [r.status for r in fake.requests] == [200, 429, 502, 200, 200]
    assert any(s == pytest.approx(30, abs=1.5) for s in clock.sleeps)
    assert sum(clock.sleeps) < 31 + 1  # one wait for the reset, plus a tiny backoff for the 502


async def test_exhausted_quota_on_success_delays_the_next_request(x_server):
    fake = x_server
    seed(fake, 15)
    clock = FakeClock()
    fake.exhaust_quota_next(1, reset_in_s=7)
    batches = await run(make_source_for(fake, clock))
    assert len(ids(batches)) == 15
    assert [r.status for r in fake.requests] == [200, 200]  # never ran into a 429
    assert len(clock.sleeps) == 1 and clock.sleeps[0] == pytest.approx(7, abs=1.5)


async def test_truncated_and_slow_responses_are_retried(x_server):
    fake = x_server
    seed(fake, 12)
    fake.truncate_next(1, mode="cut")
    fake.truncate_next(1, mode="disconnect", after=1)
    fake.slow_next(1, delay_s=0.5, after=2)
    src = make_source_for(fake)
    src.http.options = src.http.options.model_copy(update={"timeout_s": 0.2})
    batches = await run(src)
    assert len(ids(batches)) == 12
    statuses = [r.status for r in fake.requests]  # cut, cut off, too slow (still running), page 1, page 2
    assert len(statuses) == 5 and statuses[:2] == statuses[3:] == [200, 200]


async def test_failing_query_is_reported_after_the_others_are_delivered(x_server):
    fake = x_server
    seed(fake, 3)
    seed(fake, 2, text="rusak sekali")
    fake.fail_next(20, status=500, query={"query": '"rusak"'})
    src = make_source_for(fake, queries=['"rusak"', QUERY])
    got, err = await run_until_error(src)
    assert len(ids(got)) == 3
    assert "1 problem in this run (2 feeds)" in str(err) and "rusak" in str(err)
    assert KEY in got[-1].cursor["feeds"] and 'search:"rusak"' not in got[-1].cursor["feeds"]


# ------------------------------------------------------------------ kinds and parents


@pytest.mark.parametrize("naming", ["tweets", "posts"])
async def test_share_quote_comment_with_parent_text(naming):
    fake, server = await start_fake_x(FakeX(naming=naming))
    try:
        caleg = fake.add_user("caleg_a", "Caleg A", description="Calon legislatif Dapil 1")
        budi = fake.add_user("budi_s", "Budi Santoso", description="ASN Dinas Pendidikan")
        orig = fake.add_tweet(caleg, "Pilih nomor 2! #pemilu2024")
        gone = fake.add_tweet(caleg, "dihapus #pemilu2024", publish=False)
        rt = fake.add_tweet(budi, retweet_of=orig)
        qt = fake.add_tweet(budi, "setuju &amp; siap #pemilu2024", quote_of=orig)
        rp = fake.add_tweet(budi, "siap dukung #pemilu2024", reply_to=orig)
        rp_gone = fake.add_tweet(budi, "balas yang hilang #pemilu2024", reply_to=gone)
        rt_gone = fake.add_tweet(budi, retweet_of=gone)
        plain = fake.add_tweet(budi, "rapat dinas #pemilu2024")
        posts = {p.post_id: p for b in await run(make_source_for(fake)) for p in b.posts}
    finally:
        await server.close()

    assert set(posts) == {orig["id"], rt["id"], qt["id"], rp["id"], rp_gone["id"], rt_gone["id"], plain["id"]}
    assert posts[plain["id"]].kind == "post" and posts[plain["id"]].parent is None
    assert posts[orig["id"]].author.name == "Caleg A"

    share = posts[rt["id"]]
    assert share.kind == "share" and share.text == "RT @caleg_a: Pilih nomor 2! #pemilu2024"
    assert share.url == f"https://x.com/budi_s/status/{rt['id']}"
    assert share.author.id == budi["id"] and share.author.handle == "budi_s"
    assert share.author.name == "Budi Santoso" and share.author.bio == "ASN Dinas Pendidikan"
    assert share.parent.post_id == orig["id"] and share.parent.text == "Pilih nomor 2! #pemilu2024"
    assert share.parent.url == f"https://x.com/caleg_a/status/{orig['id']}"
    assert share.parent.author.handle == "caleg_a" and share.parent.author.bio == "Calon legislatif Dapil 1"

    quote = posts[qt["id"]]
    assert quote.kind == "quote"
    assert quote.text == f"setuju & siap #pemilu2024 https://x.com/caleg_a/status/{orig['id']}"  # t.co expanded
    assert quote.parent.post_id == orig["id"] and quote.parent.text == "Pilih nomor 2! #pemilu2024"

    comment = posts[rp["id"]]
    assert comment.kind == "comment" and comment.text == "@caleg_a siap dukung #pemilu2024"
    assert comment.parent.text == "Pilih nomor 2! #pemilu2024" and comment.parent.author.name == "Caleg A"

    orphan = posts[rp_gone["id"]]  # parent deleted: kept, with the parent's id (and author id) only
    assert orphan.kind == "comment" and orphan.parent.post_id == gone["id"] and orphan.parent.text is None
    assert orphan.parent.author.id == caleg["id"]
    lost_share = posts[rt_gone["id"]]
    assert lost_share.kind == "share" and lost_share.parent.post_id == gone["id"] and lost_share.parent.text is None
    assert json.loads(share.raw)["id"] == rt["id"]
    assert share.raw == json.dumps(json.loads(share.raw), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def test_official_reply_example_maps_to_comment_with_parent():
    doc = load_fixture("fundamentals__data-dictionary__reference__08.json")
    post = tweet_to_post(doc["data"][0], Lookup.from_response(doc))
    assert post.platform == "x" and post.post_id == "1307025659294674945" and post.kind == "comment"
    assert post.url == "https://x.com/TwitterDev/status/1307025659294674945"
    assert post.created_at.isoformat() == "2020-09-18T18:36:15+00:00"
    assert post.author.id == "2244994945" and post.author.handle == "TwitterDev" and post.author.name == "Twitter Dev"
    assert post.author.bio.startswith("The voice of the #TwitterDev team")
    assert post.text == (
        "Here’s an article that highlights the updates in the new Tweet payload v2 "
        "https://dev.to/twitterdev/understanding-the-new-tweet-payload-in-the-twitter-api-v2-1fg5"
    )
    assert post.parent.post_id == "1304102743196356610"
    assert post.parent.text.startswith("The new #TwitterAPI includes some improvements to the Tweet payload.")
    assert post.parent.text.endswith("https://x.com/TwitterDev/status/1304102743196356610/video/1")
    assert post.parent.author.handle == "TwitterDev"
    assert post.raw == dump_raw(doc["data"][0])


@pytest.mark.parametrize("naming", ["tweets", "posts"])
def test_official_retweet_example_maps_to_share_and_its_quote(naming):
    doc = load_fixture("fundamentals__data-dictionary__reference__12.json")
    if naming == "posts":  # the newer spec's words for the same thing
        for t in doc["data"] + doc["includes"]["tweets"]:
            t["referenced_posts"] = t.pop("referenced_tweets")
        doc["includes"]["posts"] = doc["includes"].pop("tweets")
    post = tweet_to_post(doc["data"][0], Lookup.from_response(doc))
    assert post.kind == "share" and post.post_id == "1225470895902412800"
    assert post.text.startswith("RT @AureliaSpecker: 📣 If you enjoyed the London commute tutorial")
    assert post.parent.post_id == "1224709550214873090"
    assert post.parent.author.handle == "AureliaSpecker" and post.parent.author.name == "Aurelia Specker"
    assert post.parent.text.startswith("📣 If you enjoyed the London commute tutorial I wrote in November last year")
    assert "https://bit.ly/2OrnrCC" in post.parent.text
    assert post.parent.text.endswith("https://x.com/AureliaSpecker/status/1195000047089389573")

    quoted = (doc["includes"].get("tweets") or doc["includes"]["posts"])[0]
    q = tweet_to_post(quoted, Lookup.from_response(doc))
    assert q.kind == "quote" and q.parent.post_id == "1195000047089389573" and q.parent.text is None
    assert q.parent.url == "https://x.com/i/web/status/1195000047089389573"


def test_official_conversation_example_replies_without_includes():
    doc = load_fixture("fundamentals__conversation-id__02.json")
    lk = Lookup.from_response(doc)
    posts = [tweet_to_post(t, lk) for t in doc["data"]]
    assert all(p.kind == "comment" for p in posts)
    first, second, _ = posts
    assert first.parent.post_id == "1234567892" and first.parent.text == "@user1 That's interesting!"  # same page
    assert second.parent.post_id == "1234567890" and second.parent.text is None
    assert second.parent.author.id == "1111111111"  # from in_reply_to_user_id
    assert second.author.id == "2222222222" and second.author.handle is None
    assert second.url == "https://x.com/i/web/status/1234567892"


def test_official_search_examples():
    doc = load_fixture("posts__search__quickstart__recent-search__02.json")
    post = tweet_to_post(doc["data"][0], Lookup.from_response(doc))
    assert post.kind == "post" and post.author.handle == "pythondev" and post.author.name is None
    assert post.url == "https://x.com/pythondev/status/1234567890123456789"
    bare = load_fixture("posts__search__quickstart__recent-search__01.json")["data"][0]
    with pytest.raises(ValueError, match="author_id"):
        tweet_to_post(bare)


async def test_malformed_items_are_rejected_and_the_rest_lands(x_server):
    fake = x_server
    user = fake.add_user("budi_s")
    good = [fake.add_tweet(user, f"ok {i} #pemilu2024") for i in range(3)]
    base = int(good[0]["id"])
    bare = load_fixture("posts__search__quickstart__recent-search__01.json")["data"][0]  # no author, no date
    bad_date = dict(copy.deepcopy(good[1]), id=str(base + 1), created_at="kemarin")
    bad_id = dict(copy.deepcopy(good[1]), id="abc")
    fake.put_raw(bare, sort_id=base + 2)
    fake.put_raw(bad_date, sort_id=base + 1)
    fake.put_raw(bad_id, sort_id=base + 3)
    fake.put_raw("bukan objek", sort_id=base + 4)
    (batch,) = await run(make_source_for(fake))
    assert sorted(p.post_id for p in batch.posts) == sorted(t["id"] for t in good)
    assert len(batch.rejected) == 4
    reasons = {r.payload: r.reason for r in batch.rejected}
    assert "author_id" in reasons[dump_raw(bare)]
    assert "created_at" in reasons[dump_raw(bad_date)]
    assert "'id'" in reasons[dump_raw(bad_id)]
    assert "JSON object" in reasons[dump_raw("bukan objek")]
    assert batch.cursor["feeds"][KEY]["since_id"] == good[-1]["id"]


# ------------------------------------------------------------------ derived queries


def test_build_queries_quotes_splits_and_dedupes():
    qs, skipped = build_queries(["#Pemilu2024", "coblos nomor 2", "#pemilu2024", 'kata "aneh"', "  "])
    assert qs == ['#Pemilu2024 OR "coblos nomor 2" OR "kata aneh"'] and skipped == []
    assert build_queries(["#a", "b c"], suffix="lang:in")[0] == ['(#a OR "b c") lang:in']
    assert build_queries(["#a"], suffix="lang:in")[0] == ["#a lang:in"]
    terms = [f"#tagar_kampanye_{i:03d}" for i in range(120)] + ["x " * 300]
    qs, skipped = build_queries(terms, 512, "lang:in")
    assert len(qs) > 1 and all(len(q) <= 512 for q in qs) and skipped == ["x " * 300]
    joined = " ".join(qs)
    assert all(joined.count(f"#tagar_kampanye_{i:03d} ") + joined.count(f"#tagar_kampanye_{i:03d})") == 1 for i in range(120))


async def test_derived_queries_follow_the_rules_and_inherit_the_position(x_server):
    fake = x_server
    user = fake.add_user("budi_s")
    terms = ["#Coblos02", "menang satu putaran"]
    ctx = SourceContext(search_terms=lambda: list(terms))
    a = fake.add_tweet(user, "ayo #Coblos02")
    b = fake.add_tweet(user, "kita menang satu putaran")
    fake.add_tweet(user, "tidak relevan")
    fake.add_tweet(user, "ayo #coblos02 tapi bahasa lain", lang="en")
    src = make_source_for(fake, context=ctx, queries=[], derive_queries=True, derived_query_suffix="lang:in")
    b1 = await run(src)
    q1 = '(#Coblos02 OR "menang satu putaran") lang:in'
    assert [r["query"] for r in search_requests(fake)] == [q1]
    assert sorted(ids(b1)) == sorted([a["id"], b["id"]])
    cur = last_cursor(b1)
    assert cur["feeds"] == {f"search:{q1}": {"since_id": b["id"], "walk": None, "derived": True}}

    # The rules change: the query changes, and starts where the old one was.
    terms.append("#PilihNomor2")
    c = fake.add_tweet(user, "besok #PilihNomor2")
    d = fake.add_tweet(user, "ayo #coblos02 lagi")
    fake.requests.clear()
    b2 = await run(src, cur)
    q2 = '(#Coblos02 OR "menang satu putaran" OR #PilihNomor2) lang:in'
    assert search_requests(fake)[0]["query"] == q2 and search_requests(fake)[0]["since_id"] == b["id"]
    assert sorted(ids(b2)) == sorted([c["id"], d["id"]])  # nothing old again, nothing new lost
    assert list(last_cursor(b2)["feeds"]) == [f"search:{q2}"]

    # No terms at all this run (e.g. every rule disabled): the derived feed is kept for later.
    terms.clear()
    e = fake.add_tweet(user, "lain kali #pemilu2024")
    src3 = make_source_for(fake, context=ctx, queries=[QUERY], derive_queries=True, derived_query_suffix="lang:in")
    b3 = await run(src3, last_cursor(b2))
    assert ids(b3) == [e["id"]]
    assert last_cursor(b3)["feeds"][f"search:{q2}"] == last_cursor(b2)["feeds"][f"search:{q2}"]


async def test_explicit_and_derived_query_are_one_feed(x_server):
    fake = x_server
    seed(fake, 2)
    ctx = SourceContext(search_terms=lambda: ["#pemilu2024"])
    b = await run(make_source_for(fake, context=ctx, derive_queries=True))
    assert [r["query"] for r in search_requests(fake)] == [QUERY]
    assert last_cursor(b)["feeds"][KEY].get("derived") is None


# ------------------------------------------------------------------ users


async def test_user_timelines_resolve_handles_once_and_page_with_pagination_token(x_server):
    fake = x_server
    budi = fake.add_user("Budi_S")
    siti = fake.add_user("siti")
    caleg = fake.add_user("caleg_x")
    b_posts = [fake.add_tweet(budi, f"kegiatan {i}") for i in range(13)]
    s_post = fake.add_tweet(siti, "rapat")
    c_post = fake.add_tweet(caleg, "kampanye")
    ctx = SourceContext(declared_accounts=lambda p: ["caleg_x", "budi_s"] if p == "x" else [])
    src = make_source_for(fake, context=ctx, queries=[], users=["@BUDI_S", siti["id"]], declared_accounts=True)
    batches = await run(src)

    lookups = [r.query for r in fake.requests if r.path == "/2/users/by"]
    assert lookups == [{"usernames": "budi_s,caleg_x", "user.fields": USER_FIELDS}]
    assert sorted(ids(batches)) == sorted([t["id"] for t in b_posts] + [s_post["id"], c_post["id"]])
    tl = [r.query for r in fake.requests if r.path == f"/2/users/{budi['id']}/tweets"]
    assert len(tl) == 2 and "pagination_token" in tl[1] and "next_token" not in tl[1]
    assert tl[0] == COMMON
    cur = last_cursor(batches)
    assert cur["handles"] == {"budi_s": budi["id"], "caleg_x": caleg["id"]}
    assert set(cur["feeds"]) == {f"user:{budi['id']}", f"user:{siti['id']}", f"user:{caleg['id']}"}
    assert cur["feeds"][f"user:{budi['id']}"] == {"since_id": b_posts[-1]["id"], "walk": None}
    post = next(p for b in batches for p in b.posts if p.post_id == s_post["id"])
    assert post.author.handle == "siti" and post.url == f"https://x.com/siti/status/{s_post['id']}"

    fake.requests.clear()
    newer = fake.add_tweet(budi, "baru")
    b2 = await run(src, cur)
    assert ids(b2) == [newer["id"]]
    assert not any(r.path == "/2/users/by" for r in fake.requests)  # ids come from the cursor
    assert all(r.query.get("since_id") for r in fake.requests)


async def test_resolved_handles_are_remembered_even_without_posts(x_server):
    fake = x_server
    quiet = fake.add_user("pendiam")
    src = make_source_for(fake, queries=[], users=["pendiam"])
    b = await run(src)
    assert ids(b) == [] and last_cursor(b)["handles"] == {"pendiam": quiet["id"]}


async def test_unknown_invalid_and_protected_users_are_reported_after_the_others(x_server):
    fake = x_server
    ok = fake.add_user("budi_s")
    locked = fake.add_user("terkunci")
    fake.protected_users.add(locked["id"])
    mine = fake.add_tweet(ok, "halo")
    fake.add_tweet(locked, "rahasia")
    ctx = SourceContext(declared_accounts=lambda p: ["budi.s", "hantu"])
    src = make_source_for(
        fake, context=ctx, queries=[], users=["budi_s", "terkunci", "999"], declared_accounts=True
    )
    got, err = await run_until_error(src)
    assert ids(got) == [mine["id"]]
    msg = str(err)
    assert "'budi.s' is not an X handle" in msg
    assert "user @hantu: Not Found Error" in msg
    assert "user @terkunci" in msg and "Authorization Error" in msg
    assert "user 999 (id 999): Not Found Error" in msg
    assert last_cursor(got)["handles"] == {"budi_s": ok["id"], "terkunci": locked["id"]}


async def test_cached_handle_of_a_deleted_user_is_looked_up_again(x_server):
    fake = x_server
    old = fake.add_user("budi_s")
    fake.add_tweet(old, "lama")
    src = make_source_for(fake, queries=[], users=["budi_s"])
    cur = last_cursor(await run(src))
    del fake.users[old["id"]]  # the account is gone; the handle is taken by a new account
    new = fake.add_user("budi_s")
    post = fake.add_tweet(new, "baru")
    got, err = await run_until_error(src, cur)
    assert f"user @budi_s (id {old['id']}): Not Found Error" in str(err)
    assert "budi_s" not in last_cursor(got)["handles"]
    b = await run(src, last_cursor(got))
    assert ids(b) == [post["id"]] and last_cursor(b)["handles"] == {"budi_s": new["id"]}


# ------------------------------------------------------------------ token, options, lifecycle


async def test_bearer_token_from_environment(x_server, monkeypatch):
    fake = x_server
    seed(fake, 2)
    monkeypatch.delenv(TOKEN_ENV)
    with pytest.raises(XError, match=f"environment variable {TOKEN_ENV} is not set"):
        await run(make_source_for(fake))
    assert fake.requests == []

    monkeypatch.setenv(TOKEN_ENV, "salah")
    fake.add_user("budi_lain")
    src = make_source_for(fake, users=["budi_lain"])
    with pytest.raises(XError, match="HTTP 401"):
        await run(src)
    assert len(fake.requests) == 1  # stopped at once, the users were not even tried
    assert fake.requests[0].status == 401

    monkeypatch.setenv(TOKEN_ENV, "test-bearer-token")
    fake.requests.clear()
    assert len(ids(await run(make_source_for(fake)))) == 2
    assert fake.requests[0].headers["Authorization"] == "Bearer test-bearer-token"
    assert all("test-bearer-token" not in json.dumps(r.query) for r in fake.requests)


def test_options_validation():
    o = XOptions(token_env="X_TOKEN", queries=["  #a   OR b ", "#a OR b"], users=["@Budi_S", "2244994945"])
    assert o.base_url == "https://api.x.com" and o.queries == ["#a OR b"] and o.users == ["budi_s", "2244994945"]
    with pytest.raises(ValidationError, match="at least one"):
        XOptions(token_env="X_TOKEN")
    with pytest.raises(ValidationError, match="token_env"):
        XOptions(queries=["a"])
    with pytest.raises(ValidationError, match="token"):
        XOptions(token_env="X_TOKEN", queries=["a"], token="s3cret")  # never a secret in the config
    with pytest.raises(ValidationError):
        XOptions(token_env="X_TOKEN", queries=["a"], base_url="api.x.com")
    with pytest.raises(ValidationError):
        XOptions(token_env="X_TOKEN", users=["budi.s"])
    with pytest.raises(ValidationError):
        XOptions(token_env="X_TOKEN", queries=["a"], max_results=5)
    with pytest.raises(ValidationError, match="max_query_length"):
        XOptions(token_env="X_TOKEN", queries=["a" * 600])
    src = XSource("x", {"token_env": "X_TOKEN", "queries": ["a"], "http": {"requests_per_second": 0.5}})
    assert src.options.http.requests_per_second == 0.5 and src.type_name == "x"


async def test_source_owns_and_closes_its_http_client(x_server):
    seed(x_server, 1)
    src = XSource(
        "x",
        {"base_url": x_server.base_url, "token_env": TOKEN_ENV, "queries": [QUERY], "http": {"requests_per_second": 1000}},
    )
    assert len(ids(await run(src))) == 1
    assert isinstance(src.http, HttpClient)
    await src.aclose()
    assert src.http is None
