"""HttpClient against real local HTTP servers: pacing, retries, server-requested waits, limits."""

from __future__ import annotations

import email.utils
import socket

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.collect.http import (
    FetchError,
    HttpClient,
    HttpOptions,
    parse_link_header,
    parse_rate_limit_reset,
    parse_retry_after,
)
from tests.fakes import FakeClock
from tests.fakes.mastodon_server import FakeMastodon

TAG_PATH = "/api/v1/timelines/tag/pemilu"


def fast_options(**kw) -> HttpOptions:
    base = dict(
        timeout_s=2.0,
        max_retries=3,
        backoff_base_s=0.01,
        backoff_max_s=0.05,
        requests_per_second=1000.0,
        max_wait_s=60.0,
    )
    base.update(kw)
    return HttpOptions(**base)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client(clock):
    c = HttpClient(fast_options(), random=lambda: 0.5, **clock.kwargs())
    yield c
    await c.aclose()


def seed(fake: FakeMastodon, n: int = 3) -> list[dict]:
    acc = fake.add_account("budi")
    return [fake.add_status(acc, f"status {i}", tags=["pemilu"]) for i in range(n)]


def server_waits(clock: FakeClock) -> list[float]:
    """Waits other than the tiny pacing / backoff steps of fast_options()."""
    return [s for s in clock.sleeps if s >= 0.5]


async def start_app(app: web.Application) -> TestServer:
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server(shutdown_timeout=0.5)
    return server


# ------------------------------------------------------------------ header parsing


def test_parse_link_header_mastodon_example():
    v = (
        '<https://mastodon.example/api/v1/endpoint?max_id=7163058>; rel="next", '
        '<https://mastodon.example/api/v1/endpoint?min_id=7275607>; rel="prev"'
    )
    assert parse_link_header(v) == {
        "next": "https://mastodon.example/api/v1/endpoint?max_id=7163058",
        "prev": "https://mastodon.example/api/v1/endpoint?min_id=7275607",
    }


def test_parse_link_header_rfc8288_details():
    v = '</p?a=1,2>; rel="next last"; title="x, y; z", <other>;rel=prev, <x>; rel="next"'
    links = parse_link_header(v, "https://h.example/api/v1/list")
    assert links == {
        "next": "https://h.example/p?a=1,2",  # the first 'next' wins, comma inside <> kept
        "last": "https://h.example/p?a=1,2",
        "prev": "https://h.example/api/v1/other",
    }
    assert parse_link_header(None) == {} and parse_link_header("garbage") == {}


def test_parse_retry_after_and_reset():
    now = 1_700_000_000.0
    assert parse_retry_after("120", now) == 120.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(date, now) == pytest.approx(30.0)
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None
    assert parse_rate_limit_reset("2023-11-14T22:13:50.000000Z", now) == pytest.approx(30.0)
    assert parse_rate_limit_reset(str(int(now) + 12), now) == pytest.approx(12.0)  # Unix time (X)
    assert parse_rate_limit_reset("15", now) == 15.0  # seconds
    assert parse_rate_limit_reset("2000-01-01T00:00:00Z", now) == 0.0


def test_http_options_forbid_unknown_keys():
    with pytest.raises(ValueError):
        HttpOptions(timeout=3)
    assert HttpOptions().max_response_bytes == 20 * 1024 * 1024


# ------------------------------------------------------------------ success path


async def test_get_json_returns_data_links_and_headers(mastodon_server, client):
    statuses = seed(mastodon_server, 3)
    resp = await client.get_json(
        mastodon_server.base_url + TAG_PATH, {"limit": 2, "max_id": None}, {"Authorization": "Bearer t0k"}
    )
    assert resp.status == 200
    assert [s["id"] for s in resp.data] == [statuses[2]["id"], statuses[1]["id"]]
    assert resp.links["next"].endswith(f"max_id={statuses[1]['id']}")
    assert resp.links["prev"].endswith(f"min_id={statuses[2]['id']}")
    assert resp.headers["X-RateLimit-Limit"] == "300"
    req = mastodon_server.requests[-1]
    assert req.query == {"limit": "2"}  # None values are not sent
    assert req.headers["Authorization"] == "Bearer t0k"
    assert req.headers["User-Agent"].startswith("asn-neutrality-monitor/")
    assert req.headers["Accept"] == "application/json"


async def test_requests_are_paced(mastodon_server, clock):
    seed(mastodon_server, 1)
    async with HttpClient(fast_options(requests_per_second=2.0), **clock.kwargs()) as c:
        for _ in range(3):
            await c.get_json(mastodon_server.base_url + TAG_PATH)
    assert clock.sleeps == pytest.approx([0.5, 0.5])  # min interval 1/rps between request starts


# ------------------------------------------------------------------ rate limits


async def test_429_with_retry_after_seconds_is_honoured(mastodon_server, client, clock):
    seed(mastodon_server, 1)
    mastodon_server.rate_limit_next(1, retry_after="7")
    resp = await client.get_json(mastodon_server.base_url + TAG_PATH)
    assert resp.status == 200
    assert [r.status for r in mastodon_server.requests] == [429, 200]
    assert server_waits(clock) == [7.0]


async def test_429_with_mastodon_ratelimit_reset_is_honoured(mastodon_server, client, clock):
    """Real Mastodon: no Retry-After, X-RateLimit-Remaining: 0 and an ISO X-RateLimit-Reset."""
    seed(mastodon_server, 1)
    mastodon_server.rate_limit_next(1, retry_after=None, reset_in_s=12)
    resp = await client.get_json(mastodon_server.base_url + TAG_PATH)
    assert resp.status == 200 and len(mastodon_server.requests) == 2
    (wait,) = server_waits(clock)
    assert wait == pytest.approx(12, abs=1.0)


async def test_retry_after_http_date_and_max_wait_cap():
    wall = 1_700_000_000.0
    hits = []

    async def handler(request):
        hits.append(1)
        if len(hits) == 1:
            return web.json_response({"error": "slow down"}, status=429,
                                     headers={"Retry-After": email.utils.formatdate(wall + 42, usegmt=True)})
        if len(hits) == 2:
            return web.json_response({"error": "slow down"}, status=429, headers={"Retry-After": "100000"})
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/x", handler)
    server = await start_app(app)
    clock = FakeClock(wall_start=wall)
    try:
        async with HttpClient(fast_options(max_wait_s=300), **clock.kwargs()) as c:
            resp = await c.get_json(str(server.make_url("/x")))
        assert resp.data == {"ok": True}
        assert server_waits(clock) == pytest.approx([42.0, 300.0])  # HTTP date; capped by max_wait_s
    finally:
        await server.close()


async def test_exhausted_quota_on_success_delays_the_next_request(mastodon_server, client, clock):
    seed(mastodon_server, 1)
    mastodon_server.exhaust_quota_next(1, reset_in_s=9)
    await client.get_json(mastodon_server.base_url + TAG_PATH)
    assert server_waits(clock) == []
    await client.get_json(mastodon_server.base_url + TAG_PATH)
    (wait,) = server_waits(clock)
    assert wait == pytest.approx(9, abs=1.0)


async def test_429_forever_gives_up_with_clear_error(mastodon_server, clock):
    seed(mastodon_server, 1)
    mastodon_server.rate_limit_next(10, retry_after="1")
    async with HttpClient(fast_options(max_retries=2), **clock.kwargs()) as c:
        with pytest.raises(FetchError) as e:
            await c.get_json(mastodon_server.base_url + TAG_PATH)
    err = e.value
    assert err.status == 429 and err.attempts == 3 and err.retriable
    assert TAG_PATH in str(err) and "HTTP 429" in str(err) and "Too many requests" in str(err)


# ------------------------------------------------------------------ server errors, timeouts, bodies


async def test_5xx_retried_with_full_jitter_backoff_then_success(mastodon_server, client, clock):
    seed(mastodon_server, 2)
    mastodon_server.fail_next(2, status=503)
    resp = await client.get_json(mastodon_server.base_url + TAG_PATH)
    assert len(resp.data) == 2
    assert [r.status for r in mastodon_server.requests] == [503, 503, 200]
    backoffs = [s for s in clock.sleeps if s > 0.002]
    # random() = 0.5 times min(backoff_max_s, backoff_base_s * 2**attempt)
    assert backoffs == pytest.approx([0.005, 0.01])


async def test_permanent_5xx_raises_fetch_error(mastodon_server, client):
    seed(mastodon_server, 1)
    mastodon_server.fail_next(50, status=500)
    with pytest.raises(FetchError) as e:
        await client.get_json(mastodon_server.base_url + TAG_PATH, {"limit": 5})
    err = e.value
    assert err.status == 500 and err.attempts == 4  # 1 + max_retries
    assert err.url.endswith(TAG_PATH + "?limit=5")
    assert "gave up" in str(err) and "HTTP 500" in str(err)


async def test_4xx_is_not_retried_unless_allowed(mastodon_server, client):
    url = mastodon_server.base_url + "/api/v1/statuses/999"
    with pytest.raises(FetchError) as e:
        await client.get_json(url)
    assert e.value.status == 404 and e.value.attempts == 1 and not e.value.retriable
    assert "Record not found" in str(e.value)
    resp = await client.get_json(url, allow_status=(404,))
    assert resp.status == 404 and resp.data == {"error": "Record not found"}
    assert len(mastodon_server.requests) == 2


async def test_timeout_is_retried(mastodon_server, clock):
    seed(mastodon_server, 1)
    mastodon_server.slow_next(1, delay_s=1.0)
    async with HttpClient(fast_options(timeout_s=0.2), **clock.kwargs()) as c:
        resp = await c.get_json(mastodon_server.base_url + TAG_PATH)
    assert resp.status == 200 and len(mastodon_server.requests) == 2


async def test_timeout_every_time_raises(mastodon_server, clock):
    seed(mastodon_server, 1)
    mastodon_server.slow_next(5, delay_s=1.0)
    async with HttpClient(fast_options(timeout_s=0.1, max_retries=1), **clock.kwargs()) as c:
        with pytest.raises(FetchError, match="timeout") as e:
            await c.get_json(mastodon_server.base_url + TAG_PATH)
    assert e.value.attempts == 2 and e.value.status is None


@pytest.mark.parametrize("mode", ["cut", "disconnect"])
async def test_truncated_json_is_retried(mastodon_server, client, mode):
    seed(mastodon_server, 3)
    mastodon_server.truncate_next(1, mode=mode)
    resp = await client.get_json(mastodon_server.base_url + TAG_PATH)
    assert len(resp.data) == 3 and len(mastodon_server.requests) == 2


async def test_truncated_json_every_time_raises(mastodon_server, client):
    seed(mastodon_server, 3)
    mastodon_server.truncate_next(10, mode="cut")
    with pytest.raises(FetchError, match="invalid JSON"):
        await client.get_json(mastodon_server.base_url + TAG_PATH)


async def test_html_page_with_200_is_retried_once(mastodon_server, client):
    seed(mastodon_server, 1)
    mastodon_server.html_next(1)
    resp = await client.get_json(mastodon_server.base_url + TAG_PATH)
    assert resp.status == 200 and len(mastodon_server.requests) == 2

    mastodon_server.html_next(5)
    with pytest.raises(FetchError) as e:
        await client.get_json(mastodon_server.base_url + TAG_PATH)
    assert e.value.attempts == 2  # only one retry for a non-JSON 200
    assert "non-JSON response (text/html)" in str(e.value) and "maintenance" in str(e.value)


async def test_response_size_is_bounded(mastodon_server, clock):
    seed(mastodon_server, 5)
    async with HttpClient(fast_options(max_response_bytes=1000), **clock.kwargs()) as c:
        with pytest.raises(FetchError, match="too large") as e:
            await c.get_json(mastodon_server.base_url + TAG_PATH)
    assert e.value.attempts == 1


async def test_response_size_is_bounded_without_content_length():
    async def handler(request):
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.write(b"[" + b'"xxxxxxxxxx",' * 5000 + b'"end"]')
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_get("/big", handler)
    server = await start_app(app)
    try:
        async with HttpClient(fast_options(max_response_bytes=10_000)) as c:
            with pytest.raises(FetchError, match="more than max_response_bytes 10000"):
                await c.get_json(str(server.make_url("/big")))
        async with HttpClient(fast_options()) as c:
            assert len((await c.get_json(str(server.make_url("/big")))).data) == 5001
    finally:
        await server.close()


async def test_connection_refused_is_retried_then_reported(clock):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with HttpClient(fast_options(max_retries=2), **clock.kwargs()) as c:
        with pytest.raises(FetchError) as e:
            await c.get_json(f"http://127.0.0.1:{port}/api/v1/x")
    err = e.value
    assert err.attempts == 3 and err.status is None and "connection error" in str(err)
    assert f"127.0.0.1:{port}/api/v1/x" in str(err)
