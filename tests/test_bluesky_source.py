"""Bluesky source against the local fake AppView: pagination, resumability, mapping, faults."""

from __future__ import annotations

import copy
import json
import random
from datetime import date, datetime, timedelta, timezone

import pytest

from monitor.collect.base import Batch, SourceContext
from monitor.collect.http import HttpClient, HttpOptions
from monitor.sources.bluesky import (
    BlueskyError,
    BlueskyOptions,
    BlueskySource,
    dump_raw,
    feed_item_to_post,
    item_key_time,
    load_cursor,
    normalize_actor,
)
from tests.fakes import FakeClock
from tests.fakes.bluesky_server import (  # noqa: F401  (fixture)
    FakeBluesky,
    bluesky_server,
    iso,
    load_fixture,
    start_fake_bluesky,
)

ACTOR = "budi.bsky.social"
QUERY = "#pemilu2024"

# ------------------------------------------------------------------ helpers

_CLIENTS: list[HttpClient] = []


@pytest.fixture(autouse=True)
async def _close_clients():
    yield
    while _CLIENTS:
        await _CLIENTS.pop().aclose()


def make_source_for(
    fake: FakeBluesky,
    clock: FakeClock | None = None,
    *,
    context: SourceContext | None = None,
    timeout_s: float = 2,
    **opts,
) -> BlueskySource:
    """A source on the fake server with an injected client (tiny backoff, recorded waits)."""
    clock = clock or FakeClock()
    options = BlueskyOptions(
        base_url=fake.base_url,
        **{"actors": [ACTOR], "limit": 5, "max_pages_per_run": 3, "overlap_s": 0, **opts},
    )
    http = HttpClient(
        HttpOptions(
            timeout_s=timeout_s, max_retries=3, backoff_base_s=0.01, backoff_max_s=0.02, requests_per_second=1000
        ),
        random=lambda: 0.5,
        **clock.kwargs(),
    )
    _CLIENTS.append(http)
    return BlueskySource("bsky", options, http=http, context=context)


async def run(src: BlueskySource, cursor=None, *, stop_after: int | None = None) -> list[Batch]:
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


async def run_until_error(src: BlueskySource, cursor=None) -> tuple[list[Batch], BlueskyError | None]:
    out: list[Batch] = []
    try:
        async for b in src.fetch(copy.deepcopy(cursor)):
            out.append(b)
    except BlueskyError as exc:
        return out, exc
    return out, None


def ids(batches: list[Batch]) -> list[str]:
    return [p.post_id for b in batches for p in b.posts]


def posts_by_id(batches: list[Batch]) -> dict:
    return {p.post_id: p for b in batches for p in b.posts}


def last_cursor(batches: list[Batch], default=None):
    return batches[-1].cursor if batches else default


def feed_queries(fake: FakeBluesky, path: str = "/xrpc/app.bsky.feed.getAuthorFeed") -> list[dict]:
    return [r.query for r in fake.requests if r.path == path]


def seed(fake: FakeBluesky, n: int, author=None, text: str = "kegiatan") -> list[dict]:
    author = author or fake.profiles.get(fake.handles.get(ACTOR, "")) or fake.add_profile(ACTOR, display_name="Budi")
    return [fake.add_post(author, f"{text} {i} {QUERY}") for i in range(n)]


def uris(posts: list[dict]) -> list[str]:
    return [p["uri"] for p in posts]


# ------------------------------------------------------------------ pagination and cursor


async def test_first_run_walks_back_then_later_runs_read_down_to_the_mark(bluesky_server):
    fake = bluesky_server
    st = seed(fake, 23)
    newest_first = list(reversed(uris(st)))
    src = make_source_for(fake)

    b1 = await run(src)
    assert ids(b1) == newest_first[:15]  # head page + 2 older pages = max_pages_per_run (3) x limit (5)
    assert [len(b.posts) for b in b1] == [5, 5, 5]
    q = feed_queries(fake)
    assert q[0] == {"actor": ACTOR, "filter": "posts_with_replies", "limit": "5"}
    assert "cursor" in q[1] and "cursor" in q[2] and len(q) == 3
    feed = last_cursor(b1)["feeds"][f"actor:{ACTOR}"]
    assert feed["walk"] is None and feed["newest"]["id"] == newest_first[0]
    walk = b1[0].cursor["feeds"][f"actor:{ACTOR}"]["walk"]  # the walk in progress after page 1
    assert walk["pages_left"] == 2 and walk["stop"] is None and walk["top"]["id"] == newest_first[0]
    assert b1[0].cursor["feeds"][f"actor:{ACTOR}"]["newest"] is None

    new = seed(fake, 7, text="baru")
    fake.requests.clear()
    b2 = await run(src, last_cursor(b1))
    assert ids(b2) == list(reversed(uris(new)))  # exactly the new ones: older items are not repeated
    assert len(feed_queries(fake)) == 2  # head page, then one page reaching the mark
    assert last_cursor(b2)["feeds"][f"actor:{ACTOR}"] == {
        "newest": {"t": new[-1]["record"]["createdAt"].replace("Z", "000Z"), "id": new[-1]["uri"]},  # sortAt
        "walk": None,
    }

    fake.requests.clear()
    assert await run(src, last_cursor(b2)) == []  # nothing new: one request, no batch
    assert len(fake.requests) == 1
    await src.aclose()


async def test_backlog_larger_than_budget_continues_next_run(bluesky_server):
    fake = bluesky_server
    seed(fake, 2)
    src = make_source_for(fake, max_pages_per_run=2)
    cur = last_cursor(await run(src))
    new = seed(fake, 18, text="baru")
    got: list[str] = []
    for _ in range(4):
        batches = await run(src, cur)
        got += ids(batches)
        cur = last_cursor(batches, cur)
    assert sorted(got) == sorted(uris(new))  # 10, then 8: no gap, no duplicate
    assert len(got) == len(set(got))
    assert cur["feeds"][f"actor:{ACTOR}"]["walk"] is None


@pytest.mark.parametrize("crash_after", [1, 2, 3])
async def test_resume_after_crash_in_first_run_loses_nothing(crash_after):
    fake, server = await start_fake_bluesky()
    try:
        st = seed(fake, 30)
        src = make_source_for(fake, max_pages_per_run=4)
        expected_first = set(uris(st[-20:]))  # 4 pages of 5 from the head

        part = await run(src, stop_after=crash_after)
        cur = last_cursor(part)
        late = seed(fake, 6, text="baru")  # arrives while the process is down
        delivered = ids(part)
        for _ in range(5):
            batches = await run(src, cur)
            if not batches:
                break
            delivered += ids(batches)
            cur = last_cursor(batches)
        else:
            pytest.fail("never caught up")
        assert expected_first <= set(delivered)
        assert set(uris(late)) <= set(delivered)
        assert len(delivered) == len(set(delivered))
        assert cur["feeds"][f"actor:{ACTOR}"]["walk"] is None
    finally:
        await server.close()


@pytest.mark.parametrize("seed_no", range(10))
async def test_random_crashes_never_lose_a_post(seed_no):
    """Runs crash after a random number of committed batches while posts and reposts keep
    arriving, on an author feed and a search (disjoint items). Nothing published after a feed's
    first walk started is lost, the author feed's first walk covers exactly its pages, and no
    feed has a hole: every item newer than the oldest one delivered is delivered. (The search
    cursor is an offset: posts arriving while a first-run walk is interrupted shift it, so that
    walk re-reads a few items and reaches less far back -- it never skips one.)"""
    rnd = random.Random(seed_no)
    fake, server = await start_fake_bluesky()
    try:
        budi = fake.add_profile(ACTOR)
        other = fake.add_profile("siti.bsky.social")
        actor_key, search_key = f"actor:{ACTOR}", "search:#pemilu2024"

        def publish(n: int) -> dict[str, set[str]]:
            out: dict[str, set[str]] = {actor_key: set(), search_key: set()}
            for _ in range(n):
                r = rnd.random()
                if r < 0.3:  # a post found by the search, reposted by budi
                    target = fake.add_post(other, f"ajakan {QUERY}")
                    reason = fake.repost(budi, target)
                    out[actor_key].add(f"repost:{reason['by']['did']}:{target['uri']}")
                    out[search_key].add(target["uri"])
                elif r < 0.5:
                    out[search_key].add(fake.add_post(other, f"lain {QUERY}")["uri"])
                else:
                    out[actor_key].add(fake.add_post(budi, "kegiatan")["uri"])
            return out

        def ordered(key: str) -> list[str]:
            """The feed's items, newest first, as the fake serves them now."""
            if key == actor_key:
                feed = [e.build() for e in fake._sorted(fake.entries) if e.actor == budi["did"]]
                return [item_key_time(it)[0] for it in feed if it]
            return [e.uri for e in fake._sorted(fake.entries) if e.uri and QUERY in (e.search_text or "")]

        publish(rnd.randint(0, 30))
        pages = rnd.randint(1, 4)
        limit = rnd.choice([2, 3, 5])
        overlap = rnd.choice([0, 0, 3, 60])
        fake.refuse_search_cursor = rnd.random() < 0.3  # search pages with `until` instead
        src = make_source_for(fake, queries=[QUERY], max_pages_per_run=pages, limit=limit, overlap_s=overlap)
        expected: set[str] = set()
        delivered: list[str] = []
        first_walk: set[str] = set()
        cur = None

        async def one_run(stop: int | None) -> bool:
            nonlocal cur, first_walk
            head = ordered(actor_key)[: pages * limit]
            started = actor_key in ((cur or {}).get("feeds") or {})
            before = (set(delivered), copy.deepcopy(cur))
            batches = await run(src, cur, stop_after=stop)
            delivered.extend(ids(batches))
            cur = last_cursor(batches, cur)
            if not started and cur is not None and actor_key in cur["feeds"]:
                first_walk = set(head)  # the first walk of the author feed began in this run
            return set(ids(batches)) - before[0] or cur != before[1]  # progress (not only the overlap)

        for _ in range(6):
            stop = rnd.randint(1 if cur is None else 0, 4)
            if stop:
                await one_run(stop)
            for key, added in publish(rnd.randint(0, 8)).items():
                if cur is not None and key in cur["feeds"]:
                    expected |= added
        for _ in range(40):
            if not await one_run(None):
                break
        else:
            pytest.fail("never caught up")
        got = set(delivered)
        assert expected <= got, f"lost: {sorted(expected - got)}"
        assert first_walk <= got, f"first walk incomplete: {sorted(first_walk - got)}"
        for key in (actor_key, search_key):
            items = ordered(key)
            seen_at = [i for i, x in enumerate(items) if x in got]
            hole = [x for x in items[: max(seen_at, default=-1) + 1] if x not in got]
            assert not hole, f"{key}: hole {hole}"
        if overlap == 0:  # the author feed cursor is a keyset: nothing is read twice
            shares = [i for i in delivered if i.startswith("repost:")]
            assert len(shares) == len(set(shares))
    finally:
        await server.close()


async def test_crash_before_commit_redelivers_the_page(bluesky_server):
    fake = bluesky_server
    seed(fake, 12)
    src = make_source_for(fake)
    full = await run(src)
    committed = full[:1]  # batch 2 was lost before its commit
    again = await run(make_source_for(fake), last_cursor(committed))
    assert set(ids(full[1:])) <= set(ids(again))


async def test_server_error_mid_run_then_resume_from_last_committed_cursor(bluesky_server):
    fake = bluesky_server
    st = seed(fake, 14)
    siti = fake.add_profile("siti.bsky.social")
    other = [fake.add_post(siti, f"lain {i}") for i in range(3)]
    src = make_source_for(fake, actors=[ACTOR, "siti.bsky.social"], max_pages_per_run=10)
    committed: list[Batch] = []
    with pytest.raises(BlueskyError, match=rf"actor {ACTOR}: .*HTTP 502"):
        async for b in src.fetch(None):
            committed.append(b)
            if len(committed) == 1:  # the server breaks down after the first page
                fake.fail_next(4, status=502, path_prefix="/xrpc/app.bsky.feed.getAuthorFeed")
    assert ids(committed[:1]) == list(reversed(uris(st)))[:5]
    assert set(uris(other)) <= set(ids(committed))  # the other feed went on
    cur = last_cursor(committed)
    assert cur["feeds"][f"actor:{ACTOR}"]["walk"]["cursor"]  # the walk position was kept

    late = seed(fake, 2, text="baru")
    resumed = await run(make_source_for(fake, actors=[ACTOR, "siti.bsky.social"], max_pages_per_run=10), cur)
    mine = [i for i in ids(committed) + ids(resumed) if i not in uris(other)]
    assert sorted(mine) == sorted(uris(st) + uris(late))
    assert len(mine) == len(set(mine))  # neither lost nor duplicated


async def test_refused_page_in_a_catch_up_walk_reports_the_gap_and_does_not_get_stuck(bluesky_server):
    fake = bluesky_server
    seed(fake, 3)
    src = make_source_for(fake)
    cur = last_cursor(await run(src))
    new = seed(fake, 12, text="baru")
    batches: list[Batch] = []
    with pytest.raises(BlueskyError, match="may be missing"):
        async for b in src.fetch(copy.deepcopy(cur)):
            batches.append(b)
            if len(batches) == 1:
                fake.fail_next(1, status=400, path_prefix="/xrpc/app.bsky.feed.getAuthorFeed")
    assert ids(batches) == list(reversed(uris(new)))[:5]
    cur = last_cursor(batches)
    assert cur["feeds"][f"actor:{ACTOR}"]["walk"] is None  # given up: the next run starts at the head
    newer = seed(fake, 1, text="lagi")
    assert ids(await run(src, cur)) == uris(newer)


async def test_truncated_json_dropped_connection_and_timeout_are_retried(bluesky_server):
    fake = bluesky_server
    st = seed(fake, 6)
    fake.truncate_next(1, mode="cut")
    fake.truncate_next(1, mode="disconnect")
    fake.slow_next(1, delay_s=0.6)
    src = make_source_for(fake, timeout_s=0.3)
    assert sorted(ids(await run(src))) == sorted(uris(st))
    assert len(fake.requests) == 3 + 3  # 3 failed attempts, then 3 pages (5 posts, 1 post, empty)


# ------------------------------------------------------------------ rate limits


async def test_rate_limit_429_with_retry_after_is_honoured(bluesky_server):
    """What current atproto xrpc-server sends: RateLimit-* headers plus Retry-After."""
    fake = bluesky_server
    seed(fake, 7)
    clock = FakeClock()
    src = make_source_for(fake, clock)
    fake.rate_limit_next(1, reset_in_s=30, retry_after=True)
    fake.fail_next(1, status=503)
    batches = await run(src)
    assert len(ids(batches)) == 7
    assert [r.status for r in fake.requests][:3] == [429, 503, 200]
    assert fake.requests[0].status == 429
    assert any(s == pytest.approx(30, abs=1.0) for s in clock.sleeps)


async def test_rate_limit_429_with_only_ratelimit_headers_waits_until_reset(bluesky_server):
    """What older atproto servers send: RateLimit-* (reset in Unix seconds), no Retry-After."""
    fake = bluesky_server
    seed(fake, 3)
    clock = FakeClock()
    src = make_source_for(fake, clock)
    fake.rate_limit_next(1, reset_in_s=30, retry_after=False)
    assert len(ids(await run(src))) == 3
    assert [r.status for r in fake.requests][:2] == [429, 200]
    assert any(s == pytest.approx(30, abs=2.0) for s in clock.sleeps)


async def test_exhausted_quota_on_a_success_pauses_before_the_next_request(bluesky_server):
    fake = bluesky_server
    seed(fake, 8)
    clock = FakeClock()
    src = make_source_for(fake, clock)
    fake.exhaust_quota_next(1, reset_in_s=20)
    assert len(ids(await run(src))) == 8
    assert [r.status for r in fake.requests] == [200, 200, 200]  # never ran into a 429
    assert any(s == pytest.approx(20, abs=2.0) for s in clock.sleeps)


# ------------------------------------------------------------------ feeds that fail


async def test_unknown_actor_fails_that_feed_and_the_others_go_on(bluesky_server):
    fake = bluesky_server
    st = seed(fake, 3)
    src = make_source_for(fake, actors=["hantu.bsky.social", ACTOR])
    got, err = await run_until_error(src)
    assert err is not None and "actor hantu.bsky.social: InvalidRequest: Profile not found (HTTP 400)" in str(err)
    assert sorted(ids(got)) == sorted(uris(st))
    assert "actor:hantu.bsky.social" not in got[-1].cursor["feeds"]


async def test_search_refused_altogether_fails_the_query_with_a_hint(bluesky_server):
    fake = bluesky_server
    st = seed(fake, 2)
    fake.search_disabled = True
    src = make_source_for(fake, queries=[QUERY])
    got, err = await run_until_error(src)
    assert err is not None and f"search {QUERY!r}: HTTP 403" in str(err)
    assert "does not allow unauthenticated post search" in str(err)
    assert sorted(ids(got)) == sorted(uris(st))  # the author feed still worked


# ------------------------------------------------------------------ search


async def test_search_pages_with_the_documented_parameters(bluesky_server):
    fake = bluesky_server
    budi = fake.add_profile(ACTOR)
    hits = [fake.add_post(budi, f"Coblos {i} #Pemilu2024") for i in range(12)]
    fake.add_post(budi, "tidak relevan")
    src = make_source_for(fake, actors=[], queries=[QUERY], since="2024-01-01", lang="id")
    batches = await run(src)
    assert ids(batches) == list(reversed(uris(hits)))
    q = feed_queries(fake, "/xrpc/app.bsky.feed.searchPosts")
    assert q[0] == {"q": QUERY, "sort": "latest", "since": "2024-01-01", "lang": "id", "limit": "5"}
    assert [x.get("cursor") for x in q] == [None, "5", "10"]
    assert last_cursor(batches)["feeds"]["search:#pemilu2024"]["newest"]["id"] == hits[-1]["uri"]
    p = posts_by_id(batches)[hits[0]["uri"]]
    assert p.raw == dump_raw(fake._hydrate(hits[0]["uri"]))  # a search result's raw is its postView

    new = [fake.add_post(budi, f"baru {i} #pemilu2024") for i in range(3)]
    fake.requests.clear()
    assert ids(await run(src, last_cursor(batches))) == list(reversed(uris(new)))
    assert len(fake.requests) == 1


async def test_search_cursor_refused_by_public_host_continues_with_until(bluesky_server):
    """public.api.bsky.app refuses unauthenticated searchPosts with a cursor (403)."""
    fake = bluesky_server
    fake.refuse_search_cursor = True
    budi = fake.add_profile(ACTOR)
    hits = [fake.add_post(budi, f"dukung {i} {QUERY}") for i in range(12)]
    src = make_source_for(fake, actors=[], queries=[QUERY], max_pages_per_run=5)
    batches = await run(src)
    assert set(ids(batches)) == set(uris(hits))
    q = feed_queries(fake, "/xrpc/app.bsky.feed.searchPosts")
    statuses = [r.status for r in fake.requests]
    assert statuses[:2] == [200, 403] and "cursor" in q[1]
    assert all("until" in x and "cursor" not in x for x in q[2:])
    oldest_first_page = fake.posts[hits[7]["uri"]]["sort_at"]
    assert q[2]["until"] == iso(oldest_first_page + timedelta(milliseconds=1))
    assert last_cursor(batches)["feeds"]["search:#pemilu2024"]["walk"] is None

    # A later run with more than one page of new hits catches up the same way.
    new = [fake.add_post(budi, f"baru {i} {QUERY}") for i in range(8)]
    got = await run(src, last_cursor(batches))
    assert set(uris(new)) <= set(ids(got))
    assert set(ids(got)) - set(uris(new)) <= set(uris(hits))  # only boundary re-reads, if any


async def test_derived_queries_and_declared_accounts_from_the_context(bluesky_server):
    fake = bluesky_server
    budi = fake.add_profile(ACTOR)
    siti = fake.add_profile("siti.bsky.social")
    p1 = fake.add_post(siti, "ayo coblos nomor 2")
    p2 = fake.add_post(budi, "kegiatan kantor")
    ctx = SourceContext(
        declared_accounts=lambda platform: {"bluesky": [ACTOR, "tanpadomain"]}.get(platform, []),
        search_terms=lambda: ["coblos nomor 2", "#PEMILU2024"],
    )
    src = make_source_for(
        fake, context=ctx, actors=[], queries=["#pemilu2024"], derive_queries=True, declared_accounts=True
    )
    got, err = await run_until_error(src)
    assert err is not None and "declared account 'tanpadomain'" in str(err)
    assert set(ids(got)) == {p1["uri"], p2["uri"]}
    searched = [x["q"] for x in feed_queries(fake, "/xrpc/app.bsky.feed.searchPosts")]
    assert searched == ["#pemilu2024", "coblos nomor 2"]  # "#PEMILU2024" is the same query
    assert {x["actor"] for x in feed_queries(fake)} == {ACTOR}


async def test_comment_parents_of_search_results_are_fetched_with_get_posts(bluesky_server):
    fake = bluesky_server
    caleg = fake.add_profile("caleg.bsky.social", display_name="Caleg A")
    budi = fake.add_profile(ACTOR)
    parent = fake.add_post(caleg, "Siapa dukung kami?")
    gone = fake.add_post(caleg, "dihapus")
    r1 = fake.add_post(budi, f"Saya dukung {QUERY}", reply_to=parent)
    r2 = fake.add_post(budi, f"Saya juga {QUERY}", reply_to=parent)
    r3 = fake.add_post(budi, f"balas yang hilang {QUERY}", reply_to=gone)
    fake.delete_post(gone["uri"])
    src = make_source_for(fake, actors=[], queries=[QUERY])
    posts = posts_by_id(await run(src))
    assert {p.kind for p in posts.values()} == {"comment"}
    for r in (r1, r2):
        p = posts[r["uri"]]
        assert p.parent.post_id == parent["uri"] and p.parent.text == "Siapa dukung kami?"
        assert p.parent.author.handle == "caleg.bsky.social" and p.parent.author.name == "Caleg A"
    p3 = posts[r3["uri"]]
    assert p3.parent.post_id == gone["uri"] and p3.parent.text is None
    assert p3.parent.author.id == caleg["did"]  # from the URI
    gets = [r.multi for r in fake.requests if r.path == "/xrpc/app.bsky.feed.getPosts"]
    assert len(gets) == 1 and sorted(gets[0]) == sorted([("uris", parent["uri"]), ("uris", gone["uri"])])


# ------------------------------------------------------------------ kinds and parents


async def test_every_kind_from_an_author_feed(bluesky_server):
    fake = bluesky_server
    caleg = fake.add_profile("caleg.bsky.social", display_name="Caleg A", description="Calon legislatif")
    budi = fake.add_profile(ACTOR, display_name="Budi Santoso")
    orig = fake.add_post(caleg, "Pilih nomor 1!")
    gone = fake.add_post(caleg, "akan dihapus")
    post = fake.add_post(budi, "kegiatan dinas")
    reply = fake.add_post(budi, "Setuju, pak!", reply_to=orig)
    reply_gone = fake.add_post(budi, "balasan", reply_to=gone)
    reason = fake.repost(budi, orig)
    quote = fake.add_post(budi, "Mantap", quote_of=orig)
    quote_media = fake.add_post(budi, "lihat foto", quote_of=orig, with_media=True)
    quote_gone = fake.add_post(budi, "hilang", quote_of=gone)
    blocked = {"$type": "app.bsky.embed.record#viewBlocked", "uri": orig["uri"], "blocked": True,
               "author": {"did": caleg["did"], "viewer": {"blockedBy": True}}}
    quote_blocked = fake.add_post(budi, "diblokir", quote_of=orig, embed_view=blocked)
    detached = {"$type": "app.bsky.embed.record#viewDetached", "uri": orig["uri"], "detached": True}
    quote_detached = fake.add_post(budi, "dilepas", quote_of=orig, embed_view=detached)
    quote_reply = fake.add_post(budi, "kutip sambil balas", quote_of=orig, reply_to=orig)
    fake.delete_post(gone["uri"])

    src = make_source_for(fake, limit=100)
    posts = posts_by_id(await run(src))
    assert not [r for r in fake.requests if r.path == "/xrpc/app.bsky.feed.getPosts"]  # the feed has the parents

    p = posts[post["uri"]]
    rkey = post["uri"].rsplit("/", 1)[1]
    assert p.kind == "post" and p.parent is None and p.text == "kegiatan dinas"
    assert p.url == f"https://bsky.app/profile/{ACTOR}/post/{rkey}"
    assert p.author.id == budi["did"] and p.author.handle == ACTOR and p.author.name == "Budi Santoso"
    assert p.created_at.isoformat() == post["record"]["createdAt"].replace("Z", "+00:00").replace(".000", "")

    c = posts[reply["uri"]]
    assert c.kind == "comment" and c.parent.post_id == orig["uri"] and c.parent.text == "Pilih nomor 1!"
    assert c.parent.author.handle == "caleg.bsky.social"
    cg = posts[reply_gone["uri"]]
    assert cg.kind == "comment" and cg.parent.post_id == gone["uri"] and cg.parent.text is None

    s = posts[f"repost:{budi['did']}:{orig['uri']}"]
    assert s.kind == "share" and s.text == "" and s.author.handle == ACTOR
    assert s.created_at.isoformat().startswith(reason["indexedAt"][:19])
    assert s.parent.post_id == orig["uri"] and s.parent.text == "Pilih nomor 1!"
    assert s.parent.author.name == "Caleg A" and s.url.endswith("/reposted-by")

    for q in (quote, quote_media, quote_reply):
        qp = posts[q["uri"]]
        assert qp.kind == "quote" and qp.parent.post_id == orig["uri"] and qp.parent.text == "Pilih nomor 1!"
        assert qp.parent.author.handle == "caleg.bsky.social"
    for q, author_id in ((quote_gone, caleg["did"]), (quote_blocked, caleg["did"]), (quote_detached, caleg["did"])):
        qp = posts[q["uri"]]
        assert qp.kind == "quote" and qp.parent.text is None and qp.parent.author.id == author_id
    assert posts[quote_gone["uri"]].parent.post_id == gone["uri"]
    assert posts[quote_blocked["uri"]].parent.post_id == orig["uri"]


async def test_pinned_post_is_delivered_once_and_is_never_the_head(bluesky_server):
    fake = bluesky_server
    fake.always_include_pins = True
    budi = fake.add_profile(ACTOR)
    old = fake.add_post(budi, "pinned: profil saya")
    rest = seed(fake, 6)
    fake.pin(budi, old)
    src = make_source_for(fake, max_pages_per_run=1)  # the old post is not within the first page
    b1 = await run(src)
    assert ids(b1)[0] == old["uri"] and set(ids(b1)[1:]) == set(uris(rest[-5:]))
    assert posts_by_id(b1)[old["uri"]].kind == "post"
    assert last_cursor(b1)["feeds"][f"actor:{ACTOR}"]["newest"]["id"] == rest[-1]["uri"]
    fake.requests.clear()
    assert await run(src, last_cursor(b1)) == []  # the pin is old: dropped, no batch
    new = seed(fake, 1, text="baru")
    assert ids(await run(src, last_cursor(b1))) == uris(new)


async def test_malformed_items_are_rejected_and_the_rest_lands(bluesky_server):
    fake = bluesky_server
    budi = fake.add_profile(ACTOR)
    good = [fake.add_post(budi, f"ok {i}") for i in range(3)]
    base = fake._feed_item(good[0]["uri"])
    no_author = copy.deepcopy(base)
    no_author["post"]["uri"] = good[0]["uri"] + "x"
    del no_author["post"]["author"]
    bad_times = copy.deepcopy(base)
    bad_times["post"]["uri"] = good[0]["uri"] + "y"
    bad_times["post"]["record"]["createdAt"] = "kemarin"
    bad_times["post"]["indexedAt"] = "2024-02-01 10:00"  # no zone
    no_record = copy.deepcopy(base)
    no_record["post"]["record"] = "teks"
    bad_repost = copy.deepcopy(base)
    bad_repost["reason"] = {
        "$type": "app.bsky.feed.defs#reasonRepost", "by": {"handle": "x.test"}, "indexedAt": "2024-02-01T00:00:09Z"
    }
    for item in (no_author, bad_times, no_record, bad_repost, ["not", "an", "object"]):
        fake.put_raw(item, actor=budi)
    src = make_source_for(fake, limit=100)
    (batch,) = [b for b in await run(src) if b.posts or b.rejected]
    assert sorted(p.post_id for p in batch.posts) == sorted(uris(good))
    assert len(batch.rejected) == 5
    reasons = {r.payload: r.reason for r in batch.rejected}
    assert "author" in reasons[dump_raw(no_author)]
    assert "createdAt" in reasons[dump_raw(bad_times)]
    assert "record" in reasons[dump_raw(no_record)]
    assert "reason.by.did" in reasons[dump_raw(bad_repost)]


async def test_overlap_window_catches_a_post_that_sorts_below_the_mark(bluesky_server):
    fake = bluesky_server
    budi = fake.add_profile(ACTOR)
    t0 = fake.now()
    st = [fake.add_post(budi, f"isi {i}", created_at=t0 + timedelta(minutes=i)) for i in range(6)]
    mark_time = fake.posts[st[-1]["uri"]]["sort_at"]
    src0 = make_source_for(fake, overlap_s=0)
    src2 = make_source_for(fake, overlap_s=90)
    cur = last_cursor(await run(src0))
    # A client with a slow clock: createdAt 30 s before the mark, indexed 5 minutes later.
    late = fake.add_post(
        budi, "terlambat", created_at=mark_time - timedelta(seconds=30), indexed_at=mark_time + timedelta(minutes=5)
    )
    assert ids(await run(src0, cur)) == []  # without overlap it sorts below the mark: missed
    fake.requests.clear()
    got = await run(src2, cur)
    assert ids(got) == [late["uri"], st[-2]["uri"]]  # the 90 s window of the page is delivered again
    assert last_cursor(got) == cur  # the mark does not move
    assert len(fake.requests) == 1  # no extra request for the window


# ------------------------------------------------------------------ fixtures from Bluesky's test suite


def test_snapshot_with_repost_reply_and_quote_maps_to_every_kind():
    feed = load_fixture("author-feed__03.json")
    share, comment, quote = (feed_item_to_post(it) for it in feed)
    assert share.kind == "share" and share.post_id == "repost:user(2):record(0)"
    assert share.author.handle == "carol.test" and share.text == ""
    assert share.parent.post_id == "record(0)" and share.parent.text == "@alice.bluesky.xyz is the best"
    assert share.parent.author.handle == "dan.test"
    assert share.raw == dump_raw(feed[0])
    assert comment.kind == "comment" and comment.text == "of course"
    assert comment.parent.post_id == "record(6)" and comment.parent.text == "again"
    assert comment.parent.author.name == "ali"
    assert quote.kind == "quote" and quote.text == "hi im carol"  # recordWithMedia
    assert quote.parent.post_id == "record(2)" and quote.parent.text == "bob back at it again!"
    assert quote.parent.author.handle == "bob.test" and quote.parent.author.name == "bobby"
    assert quote.created_at.isoformat() == "1970-01-01T00:00:00+00:00"


def test_snapshot_author_feed_with_pins_and_labels():
    for name in ("author-feed__01.json", "author-feed__07.json", "author-feed__09.json"):
        for item in load_fixture(name):
            post = feed_item_to_post(item)
            assert post.platform == "bluesky" and post.author.id.startswith("user(")
    first = load_fixture("author-feed__01.json")
    q = feed_item_to_post(first[1])
    assert q.kind == "quote" and q.parent.text == "@alice.bluesky.xyz is the best"
    pinned = feed_item_to_post(load_fixture("author-feed__09.json")[0])
    assert pinned.kind == "post" and pinned.text == "pinned post" and pinned.post_id == "record(0)"


def test_item_without_uri_or_record_is_refused():
    item = load_fixture("author-feed__01.json")[3]
    for broken in ({"post": {**item["post"], "uri": ""}}, {"post": {**item["post"], "record": None}}, {"reason": {}}):
        with pytest.raises(ValueError):
            feed_item_to_post(broken)


# ------------------------------------------------------------------ options, cursor, lifecycle


def test_options_validation():
    o = BlueskyOptions(
        actors=["@Budi.BSKY.social", "did:plc:abcdefghijklmnopqrstuvwx", "budi.bsky.social"], queries=["#X", "#x"]
    )
    assert o.base_url == "https://public.api.bsky.app"
    assert o.actors == ["budi.bsky.social", "did:plc:abcdefghijklmnopqrstuvwx"] and o.queries == ["#X"]
    assert BlueskyOptions(declared_accounts=True).limit == 100
    with pytest.raises(ValueError, match="at least one"):
        BlueskyOptions()
    with pytest.raises(ValueError, match="not a Bluesky handle"):
        BlueskyOptions(actors=["budi"])
    with pytest.raises(ValueError):
        BlueskyOptions(actors=["x.test"], limit=101)
    with pytest.raises(ValueError):
        BlueskyOptions(actors=["x.test"], since="kemarin")
    # TOML dates and datetimes (since = 2024-01-01) are accepted; a datetime needs a zone.
    assert BlueskyOptions(actors=["x.test"], since=date(2024, 1, 1)).since == "2024-01-01"
    aware = datetime(2024, 1, 1, 7, tzinfo=timezone(timedelta(hours=7)))
    assert BlueskyOptions(actors=["x.test"], until=aware).until == "2024-01-01T00:00:00.000000Z"
    with pytest.raises(ValueError, match="needs a zone"):
        BlueskyOptions(actors=["x.test"], since=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="Extra inputs"):
        BlueskyOptions.model_validate({"actors": ["x.test"], "password": "s3cret"})
    with pytest.raises(ValueError):
        BlueskyOptions(base_url="public.api.bsky.app", actors=["x.test"])
    o = BlueskyOptions.model_validate({"actors": ["x.test"], "http": {"requests_per_second": 5}})
    assert o.http.requests_per_second == 5
    assert normalize_actor("did:web:kota.example") == "did:web:kota.example"
    assert BlueskySource.type_name == "bluesky" and BlueskySource.options_model is BlueskyOptions


def test_unusable_cursor_parts_start_over():
    assert load_cursor({"v": 99}) == {"v": 1, "feeds": {}}
    good = {"t": "2024-02-01T00:00:01.000000Z", "id": "at://x/app.bsky.feed.post/1"}
    state = load_cursor({"v": 1, "feeds": {
        "actor:a.test": {"newest": good, "walk": {"cursor": None, "until": None, "top": good, "stop": good}},
        "actor:b.test": {"newest": {"t": "kemarin", "id": "x"}, "walk": None},
    }})
    assert state["feeds"]["actor:a.test"] == {"newest": good, "walk": None}  # a walk with no position
    assert state["feeds"]["actor:b.test"] == {"newest": None, "walk": None}


async def test_source_owns_and_closes_its_http_client(bluesky_server):
    seed(bluesky_server, 1)
    src = BlueskySource(
        "b", {"base_url": bluesky_server.base_url, "actors": [ACTOR], "http": {"requests_per_second": 1000}}
    )
    assert len(ids(await run(src))) == 1
    assert src.http is not None
    await src.aclose()
    assert src.http is None
