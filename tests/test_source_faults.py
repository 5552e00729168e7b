"""Source faults (issue 9): each fault is contained to its source, reported with its reason, leaves
nothing half-written, and a later run after the fault clears collects the rest exactly once.

Everything runs against real local aiohttp servers reproducing the platform APIs
(``tests/fakes``), the real collector runner, pipeline and DuckDB store. No durations are
asserted: timeouts are made small through options.
"""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from datetime import timedelta

import pytest

from monitor.collect.base import Batch, Rejected
from monitor.collect.http import FetchError, HttpClient, HttpOptions
from monitor.collect.pagination import MAX_CURSOR_CHARS, PageGuard
from monitor.collect.payload import dump_raw
from monitor.collect.runner import run_once
from monitor.pipeline import Pipeline
from monitor.sources.bluesky import BlueskyOptions, BlueskySource
from monitor.sources.mastodon import MastodonOptions, MastodonSource
from monitor.store import Store
from tests.fakes import FakeClock
from tests.fakes.bluesky_server import FakeBluesky, start_fake_bluesky
from tests.fakes.mastodon_server import FakeMastodon, start_fake_mastodon

TAG = "pemilu"
TAG_PATH = f"/api/v1/timelines/tag/{TAG}"
ACTOR = "budi.bsky.social"


class NoHits:
    def evaluate(self, post):
        return None


def http_options(**kw) -> HttpOptions:
    base = dict(timeout_s=5.0, max_retries=2, backoff_base_s=0.01, backoff_max_s=0.02,
                requests_per_second=1000.0, max_wait_s=5.0)
    base.update(kw)
    return HttpOptions(**base)


@pytest.fixture
async def clients():
    made: list[HttpClient] = []
    yield made
    for c in made:
        await c.aclose()


def client(clients: list[HttpClient], **kw) -> HttpClient:
    c = HttpClient(http_options(**kw), random=lambda: 0.5, **FakeClock().kwargs())
    clients.append(c)
    return c


@pytest.fixture
async def faulty():
    fake, server = await start_fake_mastodon(FakeMastodon(domain="faulty.social"))
    yield fake
    await server.close()


@pytest.fixture
async def healthy():
    fake, server = await start_fake_mastodon(FakeMastodon(domain="healthy.social"))
    fake._t0 += timedelta(days=10)  # status ids are per instance: keep them apart from the faulty one's
    yield fake
    await server.close()


@pytest.fixture
async def elsewhere():
    """Another server, reached under another host name (localhost instead of 127.0.0.1)."""
    fake, server = await start_fake_mastodon(FakeMastodon(domain="elsewhere.social"))
    fake._t0 += timedelta(days=20)
    fake.base_url = fake.base_url.replace("127.0.0.1", "localhost")
    yield fake
    await server.close()


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "faults.duckdb")
    yield s
    s.close()


def seed(fake: FakeMastodon, n: int, who: str) -> list[dict]:
    acc = fake.add_account(who)
    return [fake.add_status(acc, f"{who} status {i:02d}", tags=[TAG]) for i in range(n)]


def mastodon(fake: FakeMastodon, name: str, clients, **http) -> MastodonSource:
    opts = MastodonOptions(base_url=fake.base_url, hashtags=[TAG], limit=5, max_pages_per_run=10,
                           fetch_parents=False)
    return MastodonSource(name, opts, http=client(clients, **http))


def stored_ids(store: Store, source: str) -> list[str]:
    return [r[0] for r in store.con.execute(
        "SELECT post_id FROM posts WHERE source = ? ORDER BY post_id", [source]).fetchall()]


async def run_both(store: Store, faulty_src, healthy_src, **kw):
    pipe = Pipeline(store, NoHits())
    return await run_once([faulty_src, healthy_src], pipe.process, store.get_cursor, **kw)


# ------------------------------------------------------------------ the shared client, fault by fault


async def test_stall_mid_body_is_a_timeout_retried_then_reported(faulty, clients):
    seed(faulty, 3, "budi")
    faulty.stall_next(10)  # headers and half the body, then silence
    with pytest.raises(FetchError) as e:
        await client(clients, timeout_s=0.3, max_retries=1).get_json(faulty.base_url + TAG_PATH)
    assert "timeout" in str(e.value) and e.value.attempts == 2 and e.value.retriable


@pytest.mark.parametrize("chunked", [True, False])
async def test_page_of_tens_of_megabytes_is_refused_with_bounded_memory(faulty, clients, chunked):
    seed(faulty, 1, "budi")
    faulty.huge_next(1, size=40 * 1024 * 1024, chunked=chunked)
    c = client(clients, max_response_bytes=1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(FetchError) as e:
            await c.get_json(faulty.base_url + TAG_PATH)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "too large" in str(e.value) and e.value.attempts == 1  # not retried
    assert ("Content-Length" in str(e.value)) is (not chunked)
    assert peak < 8 * 1024 * 1024  # a 40 MB body never sits in memory: at most the 1 MB bound


async def test_compressed_page_is_bounded_after_decompression(clients):
    """60 MB of JSON sent as 60 KB of gzip: Content-Length says little, the bound counts what the
    body inflates to, and the inflated body never sits in memory."""
    import gzip

    from aiohttp import web
    from aiohttp.test_utils import TestServer

    body = gzip.compress(b"[" + b"0," * (30 * 1024 * 1024) + b"0]", compresslevel=9)

    async def handler(request):
        return web.Response(body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})

    app = web.Application()
    app.router.add_get("/bomb", handler)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server(shutdown_timeout=0.5)
    try:
        tracemalloc.start()
        try:
            with pytest.raises(FetchError, match="more than max_response_bytes 1048576"):
                await client(clients, max_response_bytes=1024 * 1024).get_json(str(server.make_url("/bomb")))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert len(body) < 1024 * 1024 and peak < 8 * 1024 * 1024
    finally:
        await server.close()


async def test_default_bound_refuses_a_40_mb_page(faulty, clients):
    seed(faulty, 1, "budi")
    faulty.huge_next(1, size=40 * 1024 * 1024, chunked=True)
    c = client(clients, max_response_bytes=HttpOptions().max_response_bytes)
    with pytest.raises(FetchError, match="more than max_response_bytes 20971520"):
        await c.get_json(faulty.base_url + TAG_PATH)


async def test_invalid_utf8_is_retried_once_then_reported_with_the_offset(faulty, clients):
    seed(faulty, 3, "budi")
    faulty.body_replacements.append((b"budi status 01", b"budi status \xff\xfe01"))
    with pytest.raises(FetchError) as e:
        await client(clients, max_retries=5).get_json(faulty.base_url + TAG_PATH)
    assert "invalid UTF-8 in the JSON body at byte" in str(e.value)
    assert e.value.attempts == 2 and e.value.retriable  # once more, not max_retries times
    faulty.body_replacements.clear()
    resp = await client(clients).get_json(faulty.base_url + TAG_PATH)
    assert resp.data[1]["content"].startswith("<p>budi status 01 ")  # the fault cleared: the page reads


async def test_redirect_to_another_host_is_refused_before_that_host_is_asked(faulty, elsewhere, clients):
    seed(faulty, 2, "budi")
    seed(elsewhere, 2, "siti")
    faulty.redirect_next(5, to=elsewhere.base_url)
    with pytest.raises(FetchError) as e:
        await client(clients).get_json(faulty.base_url + TAG_PATH, {"limit": 2},
                                       headers={"Authorization": "Bearer secret-token-123"})
    msg = str(e.value)
    assert "redirect to another host refused: 127.0.0.1 -> localhost" in msg and e.value.attempts == 1
    assert elsewhere.requests == []  # the other host never saw the request (nor the token)
    assert "secret-token-123" not in msg


async def test_same_host_redirect_is_followed_and_feeds_may_move_host(faulty, elsewhere, clients):
    seed(faulty, 2, "budi")
    seed(elsewhere, 2, "siti")
    faulty.redirect_next(1, to=faulty.base_url)  # same host: followed
    resp = await client(clients).get_json(faulty.base_url + TAG_PATH)
    assert len(resp.data) == 2 and [r.status for r in faulty.requests] == [302, 200]
    faulty.redirect_next(1, to=elsewhere.base_url)  # bytes (RSS feeds): another host is fine
    resp = await client(clients).get_bytes(faulty.base_url + TAG_PATH)
    assert resp.status == 200 and b"siti status" in resp.data and len(elsewhere.requests) == 1


@pytest.mark.parametrize("mode", ["rst", "close"])
async def test_connection_reset_is_retried_then_reported(faulty, clients, mode):
    seed(faulty, 2, "budi")
    faulty.reset_next(1, mode=mode)
    resp = await client(clients).get_json(faulty.base_url + TAG_PATH)
    assert len(resp.data) == 2  # one reset: the retry succeeds
    faulty.reset_next(10, mode=mode)
    with pytest.raises(FetchError) as e:
        await client(clients, max_retries=2).get_json(faulty.base_url + TAG_PATH)
    assert "connection error" in str(e.value) and e.value.attempts == 3 and e.value.retriable


# ------------------------------------------------------------------ end to end: two sources, one faulty


FAULTS = {
    # name: (how to break the faulty server from its 2nd request on, the reason the report must give,
    #        extra HTTP options of the faulty source)
    "stall": (lambda f, other: f.stall_next(100, after=1), "timeout", {"timeout_s": 3.0, "max_retries": 1}),
    "huge_page": (lambda f, other: f.huge_next(100, size=30 * 1024 * 1024, after=1), "too large",
                  {"max_response_bytes": 2 * 1024 * 1024}),
    "invalid_utf8": (lambda f, other: f.body_replacements.append((b"budi status 05", b"budi status \xc3\x2805")),
                     "invalid UTF-8", {}),
    "html_200": (lambda f, other: f.html_next(100, after=1), "non-JSON response (text/html)", {}),
    "cross_host_redirect": (lambda f, other: f.redirect_next(100, to=other.base_url, after=1),
                            "redirect to another host refused", {}),
    "connection_reset": (lambda f, other: f.reset_next(100, after=1), "connection error", {}),
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_http_fault_is_contained_reported_and_the_next_run_resumes(fault, faulty, healthy, elsewhere,
                                                                         store, clients):
    """12 statuses on the faulty server (pages of 5), 7 on the healthy one. The first page of the
    faulty one arrives, then every request fails: its first page and cursor are committed, the
    healthy source stores everything, the report names the reason. Once the fault clears, the next
    run collects the other 7 statuses exactly once."""
    seed(faulty, 12, "budi")
    seed(healthy, 7, "siti")
    seed(elsewhere, 3, "eve")
    breaks, reason, http = FAULTS[fault]
    breaks(faulty, elsewhere)

    reports = await run_both(store, mastodon(faulty, "faulty", clients, **http), mastodon(healthy, "healthy", clients))

    assert reports["healthy"].error is None and reports["healthy"].result.new == 7
    assert len(stored_ids(store, "healthy")) == 7
    err = reports["faulty"].error
    assert err is not None and reason in err and "tag pemilu" in err
    assert reports["faulty"].result.new == 5  # the first page only: nothing of the broken page
    cursor = store.get_cursor("faulty")
    first_page = sorted(s["id"] for s in faulty.statuses.values())[-5:]
    assert sorted(stored_ids(store, "faulty")) == first_page
    assert cursor["timelines"][f"tag:{TAG}"]["backfill"]["max_id"] == min(first_page, key=lambda i: (len(i), i))
    assert store.count("quarantine") == 0 and elsewhere.requests == []

    faulty.clear_faults()
    again = await run_both(store, mastodon(faulty, "faulty", clients), mastodon(healthy, "healthy", clients))
    assert again["faulty"].error is None and again["healthy"].error is None
    assert again["faulty"].result.new == 7 and again["faulty"].result.duplicate == 0
    assert again["healthy"].result.new == 0
    assert len(stored_ids(store, "faulty")) == 12 and store.count("posts") == 19


async def test_escaped_lone_surrogate_is_quarantined_and_the_rest_of_the_page_lands(faulty, healthy, store,
                                                                                   clients):
    """An emoji cut in half by the platform (``\\ud83d`` alone) is valid JSON but not valid text: the
    status is quarantined with its payload (the escape kept), the page's other statuses are stored,
    the cursor moves on, and the run does not fail (before: the write of the whole run failed)."""
    seed(faulty, 4, "budi")
    seed(healthy, 2, "siti")
    faulty.body_replacements.append((b"budi status 02", b"budi status \\ud83d02"))
    reports = await run_both(store, mastodon(faulty, "faulty", clients), mastodon(healthy, "healthy", clients))
    assert reports["faulty"].error is None and reports["healthy"].error is None
    assert reports["faulty"].result.new == 3 and reports["faulty"].result.quarantined == 1
    payload, reason = store.con.execute("SELECT payload, reason FROM quarantine").fetchone()
    assert "budi status \\ud83d02" in payload and "text" in reason
    assert json.loads(payload)["content"].startswith("<p>budi status \ud83d02")  # the same JSON value
    assert len(stored_ids(store, "healthy")) == 2 and store.get_cursor("faulty") is not None


def test_dump_raw_escapes_only_lone_surrogates():
    assert dump_raw({"t": "é 😀", "a": 1}) == '{"a":1,"t":"é 😀"}'  # unchanged for valid text
    text = dump_raw({"t": "a\ud83db"})
    text.encode("utf-8")
    assert text == '{"t":"a\\ud83db"}' and json.loads(text) == {"t": "a\ud83db"}


# ------------------------------------------------------------------ run time limit


async def test_run_time_limit_stops_only_that_source_and_the_next_run_resumes(faulty, healthy, store, clients):
    """A server that answers the first page, then stalls for longer than the run may take (the
    request timeout is larger than the run limit): the run of that source is stopped, its first page
    and cursor stay committed, the other source is untouched, and the next run resumes."""
    seed(faulty, 12, "budi")
    seed(healthy, 7, "siti")
    faulty.stall_next(100, after=1, stall_s=60)
    slow = mastodon(faulty, "faulty", clients, timeout_s=120)
    reports = await run_both(store, slow, mastodon(healthy, "healthy", clients),
                             run_timeout_s={"faulty": 3.0, "healthy": None})
    assert "run time limit reached (3 s of fetching)" in reports["faulty"].error
    assert reports["faulty"].result.new == 5 and reports["healthy"].result.new == 7
    assert reports["healthy"].error is None
    assert store.get_cursor("faulty")["timelines"][f"tag:{TAG}"]["backfill"] is not None

    faulty.clear_faults()
    again = await run_both(store, mastodon(faulty, "faulty", clients), mastodon(healthy, "healthy", clients),
                           run_timeout_s=30)
    assert again["faulty"].error is None and again["faulty"].result.new == 7
    assert again["faulty"].result.duplicate == 0 and len(stored_ids(store, "faulty")) == 12


async def test_run_time_limit_does_not_count_waiting_for_the_writer(faulty, store, clients):
    """Back-pressure is not the source's time: a writer slower than the limit cuts nothing."""
    import time as _time

    seed(faulty, 30, "budi")
    pipe = Pipeline(store, NoHits())

    def slow_write(name, batch):
        _time.sleep(0.8)  # a slow database: 7 batches, the source waits about 4 s on the full queue
        return pipe.process(name, batch)

    reports = await run_once([mastodon(faulty, "faulty", clients)], slow_write, store.get_cursor,
                             queue_size=1, max_merge_posts=1, run_timeout_s=2.0)
    assert reports["faulty"].error is None and reports["faulty"].result.new == 30
    assert reports["faulty"].batches == 7


# ------------------------------------------------------------------ pagination that loops or never ends


def test_page_guard_repeats_and_unusable_cursors():
    g = PageGuard("x test: search:a", start="T0")
    assert not g.repeats(None) and not g.repeats("") and g.problem is None  # the end of a walk
    assert not g.repeats("T1") and not g.repeats("T2")
    assert g.repeats("T0") and "'T0' a second time (after 3 page(s)): it is looping" in g.problem
    assert g.problem.startswith("x test: search:a: ")
    assert PageGuard("w").repeats("x" * (MAX_CURSOR_CHARS + 1))
    bad = PageGuard("w")
    assert bad.repeats("abc\udc80") and "not valid Unicode" in bad.problem
    assert PageGuard("w").repeats({"page": 2})


async def test_mastodon_server_ignoring_max_id_is_stopped_reported_and_resumed(faulty, healthy, store, clients):
    """A cache in front of the instance drops the query: every history page is the head page again,
    with the same Link. The walk stops at the repeated bound instead of looping, the reason is in the
    report, the history position is kept, and the next run (cache fixed) reads the rest once."""
    seed(faulty, 12, "budi")
    seed(healthy, 3, "siti")
    faulty.ignore_paging_next(100, after=1)
    reports = await run_both(store, mastodon(faulty, "faulty", clients), mastodon(healthy, "healthy", clients))
    err = reports["faulty"].error
    assert "a second time" in err and "it is looping" in err and "tag:pemilu (history)" in err
    assert len(faulty.requests) == 2  # the head page and one repeated page, then stopped
    assert reports["faulty"].result.new == 5 and reports["faulty"].result.duplicate == 5
    assert reports["healthy"].error is None and reports["healthy"].result.new == 3
    bf = store.get_cursor("faulty")["timelines"][f"tag:{TAG}"]["backfill"]
    assert bf is not None and bf["pages_left"] == 9  # kept: the walk goes on next run

    faulty.clear_faults()
    again = await run_both(store, mastodon(faulty, "faulty", clients), mastodon(healthy, "healthy", clients))
    assert again["faulty"].error is None and again["faulty"].result.new == 7
    assert again["faulty"].result.duplicate == 0 and len(stored_ids(store, "faulty")) == 12


async def test_mastodon_endless_timeline_is_bounded_by_the_page_budget(faulty, healthy, store, clients):
    seed(faulty, 5, "budi")
    seed(healthy, 2, "siti")
    faulty.endless = True  # every page below any max_id is full, forever
    reports = await run_both(store, mastodon(faulty, "faulty", clients), mastodon(healthy, "healthy", clients))
    assert reports["faulty"].error is None and reports["healthy"].result.new == 2
    assert len(faulty.paths(TAG_PATH)) == 10  # max_pages_per_run, then the walk stops
    assert reports["faulty"].result.new == 50
    assert store.get_cursor("faulty")["timelines"][f"tag:{TAG}"]["backfill"] is None  # initial depth reached
    again = await run_both(store, mastodon(faulty, "faulty", clients), mastodon(healthy, "healthy", clients))
    assert again["faulty"].result.new == 0 and len(faulty.paths(TAG_PATH)) == 11  # only the forward check


def bluesky(fake: FakeBluesky, clients, **opts) -> BlueskySource:
    options = BlueskyOptions(base_url=fake.base_url, **{"actors": [ACTOR], "limit": 5, "max_pages_per_run": 10,
                                                        "overlap_s": 0, **opts})
    return BlueskySource("sky", options, http=client(clients))


@pytest.fixture
async def sky():
    fake, server = await start_fake_bluesky()
    yield fake
    await server.close()


async def test_bluesky_cursor_loop_is_stopped_reported_and_later_runs_go_on(sky, healthy, store, clients):
    """The AppView's third page hands back the first page's cursor (A -> B -> A). Before, only a
    cursor equal to the previous one was caught, so the walk looped until the page budget, every run.
    Now the walk ends at the repeat, the report says why, nothing is stored twice, and later runs
    collect new posts exactly once."""
    budi = sky.add_profile(ACTOR, display_name="Budi")
    for i in range(20):
        sky.add_post(budi, f"kegiatan {i}")
    seed(healthy, 3, "siti")
    sky.repeat_cursor_next(100, after=2)
    reports = await run_both(store, bluesky(sky, clients), mastodon(healthy, "healthy", clients))
    err = reports["sky"].error
    assert err is not None and "a second time" in err and f"actor {ACTOR}" in err
    assert len(sky.paths("/xrpc/app.bsky.feed.getAuthorFeed")) == 3
    assert reports["sky"].result.new == 15 and reports["sky"].result.duplicate == 0
    assert reports["healthy"].error is None and reports["healthy"].result.new == 3
    entry = store.get_cursor("sky")["feeds"][f"actor:{ACTOR}"]
    assert entry["walk"] is None and entry["newest"] is not None  # the walk ended at the loop

    sky.faults.clear()
    new = [sky.add_post(budi, f"baru {i}") for i in range(3)]
    again = await run_both(store, bluesky(sky, clients), mastodon(healthy, "healthy", clients))
    assert again["sky"].error is None and again["sky"].result.new == 3 and again["sky"].result.duplicate == 0
    assert {p["uri"] for p in new} <= set(stored_ids(store, "sky"))


async def test_bluesky_endless_feed_is_bounded_by_the_page_budget(sky, store, clients):
    budi = sky.add_profile(ACTOR, display_name="Budi")
    for i in range(5):
        sky.add_post(budi, f"kegiatan {i}")
    sky.endless_actors.add(budi["did"])
    pipe = Pipeline(store, NoHits())
    reports = await run_once([bluesky(sky, clients, max_pages_per_run=4)], pipe.process, store.get_cursor)
    assert reports["sky"].error is None and reports["sky"].result.new == 20
    assert len(sky.paths("/xrpc/app.bsky.feed.getAuthorFeed")) == 4
    assert store.get_cursor("sky")["feeds"][f"actor:{ACTOR}"]["walk"] is None  # initial depth reached


async def test_quarantined_payloads_and_cursors_are_always_writable(store):
    """What a hostile server can put in a payload never makes the batch unwritable."""
    pipe = Pipeline(store, NoHits())
    res = pipe.process("src", Batch(rejected=[Rejected(dump_raw({"id": "1", "text": "x\udc80"}), "text: bad")],
                                    cursor={"c": 1}))
    assert res.quarantined == 1 and store.get_cursor("src") == {"c": 1}


async def test_service_reports_the_run_time_limit_in_the_source_status(faulty, healthy, tmp_path):
    """``[sources.NAME] run_timeout_s`` through the service: the status says why the run stopped,
    the other source's runs are untouched, the next run resumes."""
    from monitor.config import load_config
    from monitor.service.runtime import Service

    repo = __import__("pathlib").Path(__file__).resolve().parents[1]
    seed(faulty, 12, "budi")
    seed(healthy, 7, "siti")
    faulty.stall_next(100, after=1, stall_s=60)
    http = "[sources.{n}.http]\nrequests_per_second = 1000\ntimeout_s = 120\nmax_retries = 0\n"
    p = tmp_path / "config.toml"
    p.write_text(f"""
[store]
path = "svc.duckdb"
[rules]
paths = ["{repo / 'rules'}"]
[collector]
run_timeout_s = 30
[sources.faulty]
type = "mastodon"
base_url = "{faulty.base_url}"
hashtags = ["{TAG}"]
limit = 5
fetch_parents = false
run_timeout_s = 3
{http.format(n="faulty")}
[sources.healthy]
type = "mastodon"
base_url = "{healthy.base_url}"
hashtags = ["{TAG}"]
limit = 5
fetch_parents = false
{http.format(n="healthy")}
""", encoding="utf-8")
    svc = Service(load_config(p))
    try:
        await asyncio.gather(svc.run_source("faulty"), svc.run_source("healthy"))
        st, ok = svc.status["faulty"], svc.status["healthy"]
        assert "run time limit reached (3 s of fetching)" in st.last_error and st.posts_collected == 5
        assert ok.last_error is None and ok.posts_collected == 7
        faulty.clear_faults()
        await svc.run_source("faulty")
        assert st.last_error is None and st.posts_collected == 12 and st.last_result["duplicate"] == 0
    finally:
        await svc.stop()
