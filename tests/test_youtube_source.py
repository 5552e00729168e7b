"""YouTube source against the local fake Data API v3: paging, resumability, mapping, quota, faults."""

from __future__ import annotations

import copy
import json
import logging
from datetime import datetime, timezone

import pytest

from monitor.collect.base import Batch, Source
from monitor.collect.http import HttpClient, HttpOptions
from monitor.collect.runner import run_once
from monitor.sources.mastodon import dump_raw
from monitor.sources.youtube import (
    YouTubeError,
    YouTubeOptions,
    YouTubeSource,
    comment_to_post,
    google_error,
    next_quota_reset,
    normalize_channel,
)
from monitor.store import BatchResult
from tests.fakes import FakeClock
from tests.fakes.youtube_server import (  # noqa: F401  (youtube_server is a fixture)
    API_KEY,
    FakeYouTube,
    google_error_body,
    start_fake_youtube,
    youtube_server,
)

KEY_ENV = "YT_TEST_API_KEY"
NOON_PST = datetime(2024, 2, 1, 20, 0, 0, tzinfo=timezone.utc)  # 12:00 in Los Angeles


# ------------------------------------------------------------------ helpers


_CLIENTS: list[HttpClient] = []


@pytest.fixture(autouse=True)
async def _env_and_clients(monkeypatch):
    monkeypatch.setenv(KEY_ENV, API_KEY)
    yield
    while _CLIENTS:
        await _CLIENTS.pop().aclose()


class Now:
    """A settable wall clock for the source (quota pause decisions)."""

    def __init__(self, when: datetime = NOON_PST) -> None:
        self.when = when

    def __call__(self) -> datetime:
        return self.when


def make_source_for(fake: FakeYouTube, channels, clock: FakeClock | None = None, now=None, **opts) -> YouTubeSource:
    """A source on the fake server with an injected client (tiny backoff, recorded waits)."""
    clock = clock or FakeClock()
    options = YouTubeOptions(
        base_url=fake.api_url, api_key_env=KEY_ENV,
        channels=[c["id"] if isinstance(c, dict) else c for c in channels], **opts,
    )
    http = HttpClient(
        HttpOptions(timeout_s=2, max_retries=3, backoff_base_s=0.01, backoff_max_s=0.02, requests_per_second=1000),
        random=lambda: 0.5,
        **clock.kwargs(),
    )
    _CLIENTS.append(http)
    return YouTubeSource("yt", options, http=http, now=now or Now())


async def run(src: YouTubeSource, cursor=None, *, stop_after: int | None = None) -> list[Batch]:
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


async def run_until_error(src: YouTubeSource, cursor=None) -> tuple[list[Batch], Exception | None]:
    out: list[Batch] = []
    try:
        async for b in src.fetch(copy.deepcopy(cursor)):
            out.append(b)
    except YouTubeError as exc:
        return out, exc
    return out, None


def ids(batches: list[Batch]) -> list[str]:
    return [p.post_id for b in batches for p in b.posts]


def posts_by_id(batches: list[Batch]) -> dict:
    return {p.post_id: p for b in batches for p in b.posts}


def last_cursor(batches: list[Batch], default=None):
    return batches[-1].cursor if batches else default


def all_comment_ids(fake: FakeYouTube, *videos) -> set[str]:
    out: set[str] = set()
    for v in videos or fake.videos.values():
        out |= {t["id"] for t in v.threads if isinstance(t, dict) and "id" in t}
        out |= {r["id"] for reps in v.replies.values() for r in reps}
    return out


def seed_video(fake: FakeYouTube, channel, n: int, title: str = "Kampanye", **kw):
    v = fake.add_video(channel, title, f"Deskripsi {title}", **kw)
    for i in range(n):
        fake.add_comment(v, f"komentar {i} di {title}")
    return v


# ------------------------------------------------------------------ full run, paging, cursor


async def test_full_paginated_run_then_only_new_comments(youtube_server):
    fake = youtube_server
    maju = fake.add_channel("Partai Maju", "partaimaju")
    jaya = fake.add_channel("Caleg Jaya", "calegjaya")
    v1 = seed_video(fake, maju, 230, "Debat")  # 3 pages of commentThreads (100, 100, 30)
    v2 = seed_video(fake, maju, 2, "Blusukan")
    v3 = seed_video(fake, maju, 0, "Tanpa komentar")
    v4 = seed_video(fake, jaya, 5, "Orasi")
    src = make_source_for(fake, [maju, "@CalegJaya"], max_pages_per_video=10)

    b1 = await run(src)
    got = ids(b1)
    assert sorted(got) == sorted(all_comment_ids(fake)) and len(got) == 237
    assert [len(b.posts) for b in b1 if b.posts] == [2, 100, 100, 30, 5]  # newest video first

    # The documented calls and parameters, the key in a header only.
    assert fake.calls("channels") == [
        {"part": "snippet,contentDetails", "id": maju["id"], "maxResults": "50"},
        {"part": "snippet,contentDetails", "forHandle": "@calegjaya"},
    ]
    assert fake.calls("playlistItems")[0] == {
        "part": "snippet,contentDetails", "playlistId": "UU" + maju["id"][2:], "maxResults": "20"}
    assert fake.calls("videos")[0] == {"part": "snippet,statistics", "id": ",".join([v3.id, v2.id, v1.id])}
    ct = fake.calls("commentThreads")
    assert {k: v for k, v in ct[0].items()} == {
        "part": "snippet,replies", "videoId": v3.id, "maxResults": "100", "order": "time", "textFormat": "plainText"}
    v1_calls = [q for q in ct if q["videoId"] == v1.id]
    assert len(v1_calls) == 3 and "pageToken" not in v1_calls[0] and all("pageToken" in q for q in v1_calls[1:])
    assert all("key" not in r.query and API_KEY not in r.url for r in fake.requests)
    assert all(r.headers.get("X-Goog-Api-Key") == API_KEY for r in fake.requests)

    cur = last_cursor(b1)
    assert cur["handles"] == {"@calegjaya": jaya["id"]}
    assert cur["channels"][maju["id"]]["handle"] == "partaimaju"
    vs = cur["channels"][maju["id"]]["videos"][v1.id]
    newest = max(v1.threads, key=lambda t: t["snippet"]["topLevelComment"]["snippet"]["publishedAt"])
    assert vs["newest"] == newest["snippet"]["topLevelComment"]["snippet"]["publishedAt"]
    assert vs["newest_ids"] == [newest["id"]] and vs["scan"] is None and vs["count"] == 230
    # Every batch's cursor is a separate copy.
    first_v1 = next(b for b in b1 if len(b.posts) == 100)
    assert first_v1.cursor is not cur and first_v1.cursor["channels"][maju["id"]]["videos"][v1.id]["scan"]["token"]

    # Nothing new: channels are not looked up again, no video is asked for comments.
    fake.requests.clear()
    b2 = await run(src, cur)
    assert ids(b2) == []
    assert fake.calls("channels") == [] and fake.calls("commentThreads") == []
    assert len(fake.requests) == 4  # playlistItems + videos.list, per channel
    cur = last_cursor(b2, cur)

    # New comments on an old video and a new video: exactly those arrive.
    new = [fake.add_comment(v1, f"baru {i}") for i in range(3)]
    v5 = seed_video(fake, jaya, 2, "Video baru")
    fake.requests.clear()
    b3 = await run(src, cur)
    assert sorted(ids(b3)) == sorted([t["id"] for t in new] + [t["id"] for t in v5.threads])
    assert [q["videoId"] for q in fake.calls("commentThreads")] == [v1.id, v5.id]  # unchanged ones skipped
    assert last_cursor(b3)["channels"][jaya["id"]]["newest_video"] == v5.published.strftime("%Y-%m-%dT%H:%M:%SZ")
    await src.aclose()


async def test_playlist_paging_video_batches_and_cap(youtube_server):
    fake = youtube_server
    ch = fake.add_channel("Partai Banyak Video", "banyakvideo")
    oldest = seed_video(fake, ch, 3, "Video pertama")
    for i in range(54):
        fake.add_video(ch, f"Video {i}")
    src = make_source_for(fake, [ch], max_videos_per_channel=55)
    got = await run(src)
    assert sorted(ids(got)) == sorted(all_comment_ids(fake, oldest))
    pl = fake.calls("playlistItems")
    assert [q.get("pageToken") is None for q in pl] == [True, False] and pl[0]["maxResults"] == "50"
    assert [len(q["id"].split(",")) for q in fake.calls("videos")] == [50, 5]
    assert len(last_cursor(got)["channels"][ch["id"]]["videos"]) == 55

    # A smaller cap follows only the newest uploads, and the cursor forgets the others.
    small = make_source_for(fake, [ch], max_videos_per_channel=3)
    b = await run(small, last_cursor(got))
    videos = last_cursor(b)["channels"][ch["id"]]["videos"]
    assert len(videos) == 3 and oldest.id not in videos


# ------------------------------------------------------------------ mapping


async def test_top_level_comments_and_replies_map_with_their_parents(youtube_server):
    fake = youtube_server
    ch = fake.add_channel("Partai Maju", "partaimaju")
    video = fake.add_video(ch, "Kampanye Akbar di Pontianak", "Ayo hadir!\nBersama menangkan nomor 1.")
    top = fake.add_comment(video, "Siap menangkan, Pak! 💪", "@budi_asn", author_id="UCbudi00000000000000000a")
    r1 = fake.add_reply(video, top, "Setuju!", "Siti Aminah", author_id="UCsiti00000000000000000a")
    fake.add_reply(video, top, "Mantap", "@relawan01")
    few = fake.add_comment(video, "Tujuh balasan")
    for i in range(7):  # more than the 5 a thread carries: comments.list, one page
        fake.add_reply(video, few, f"balasan {i}")
    busy = fake.add_comment(video, "Banyak balasan")
    for i in range(150):  # two pages of comments.list
        fake.add_reply(video, busy, f"ramai {i}")
    plain = fake.add_comment(video, "tanpa textOriginal", "@pengamat")
    del plain["snippet"]["topLevelComment"]["snippet"]["textOriginal"]  # only the author is guaranteed to get it

    src = make_source_for(fake, [ch])
    posts = posts_by_id(await run(src))
    assert set(posts) == all_comment_ids(fake) and len(posts) == 4 + 2 + 7 + 150
    assert {p.kind for p in posts.values()} == {"comment"}

    p = posts[top["id"]]
    assert p.platform == "youtube" and p.text == "Siap menangkan, Pak! 💪"
    assert p.url == f"https://www.youtube.com/watch?v={video.id}&lc={top['id']}"
    assert p.created_at == datetime.fromisoformat(top["snippet"]["topLevelComment"]["snippet"]["publishedAt"])
    assert (p.author.id, p.author.handle, p.author.name) == ("UCbudi00000000000000000a", "budi_asn", "@budi_asn")
    assert p.author.url == "http://www.youtube.com/@budi_asn"
    assert p.parent.post_id == video.id and p.parent.url == f"https://www.youtube.com/watch?v={video.id}"
    assert p.parent.text == "Kampanye Akbar di Pontianak\n\nAyo hadir!\nBersama menangkan nomor 1."
    assert (p.parent.author.id, p.parent.author.handle, p.parent.author.name) == (ch["id"], "partaimaju", "Partai Maju")
    raw = json.loads(p.raw)
    assert raw["kind"] == "youtube#commentThread" and raw["id"] == top["id"] and len(raw["replies"]["comments"]) == 2
    assert p.raw == dump_raw(raw)

    r = posts[r1["id"]]
    assert r.kind == "comment" and r.text == "Setuju!"
    assert r.url == f"https://www.youtube.com/watch?v={video.id}&lc={r1['id']}"
    assert (r.author.id, r.author.handle, r.author.name) == ("UCsiti00000000000000000a", None, "Siti Aminah")
    assert r.parent.post_id == top["id"] and r.parent.text == "Siap menangkan, Pak! 💪"
    assert r.parent.url == f"https://www.youtube.com/watch?v={video.id}&lc={top['id']}"
    assert r.parent.author.handle == "budi_asn"
    assert json.loads(r.raw)["kind"] == "youtube#comment" and json.loads(r.raw)["snippet"]["parentId"] == top["id"]

    assert posts[plain["id"]].text == "tanpa textOriginal"  # textDisplay (plainText) fallback
    assert all(posts[x["id"]].parent.text == "Banyak balasan" for x in fake.videos[video.id].replies[busy["id"]])
    cm = fake.calls("comments")
    assert [q["parentId"] for q in cm] == [busy["id"], busy["id"], few["id"]]  # newest thread first
    assert cm[2] == {"part": "snippet", "parentId": few["id"], "maxResults": "100", "textFormat": "plainText"}
    assert "pageToken" not in cm[0] and "pageToken" in cm[1]


def test_mapping_without_server_and_error_shapes():
    thread = {"kind": "youtube#commentThread", "id": "Ugx1", "snippet": {"topLevelComment": {
        "kind": "youtube#comment", "id": "Ugx1", "snippet": {
            "authorDisplayName": "Anonim", "textDisplay": "halo", "publishedAt": "2024-02-01T10:00:00Z"}}}}
    with pytest.raises(ValueError, match="author needs"):
        comment_to_post(thread["snippet"]["topLevelComment"], video_id="v", parent=None)
    assert google_error(google_error_body("quotaExceeded")) == (
        "quotaExceeded", "The request cannot be completed because you have exceeded your quota.")
    assert google_error({"error": "x"}) == (None, "")
    new_style = {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                           "errors": [{"reason": "badRequest"}], "status": "INVALID_ARGUMENT",
                           "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}}
    assert google_error(new_style)[0] == "API_KEY_INVALID"


# ------------------------------------------------------------------ faults during a run


async def test_rate_limit_429_and_headers_are_honoured(youtube_server):
    fake = youtube_server
    ch = fake.add_channel("Partai Maju", "partaimaju")
    v = seed_video(fake, ch, 120)
    clock = FakeClock()
    src = make_source_for(fake, [ch], clock)
    fake.rate_limit_next(1, retry_after="7", path_prefix="/commentThreads")
    fake.rate_limit_next(1, retry_after=None, reset_in_s=30, path_prefix="/videos")
    fake.fail_next(1, status=503, path_prefix="/commentThreads", after=1)
    got = await run(src)
    assert sorted(ids(got)) == sorted(all_comment_ids(fake, v))
    assert [r.status for r in fake.requests if r.path.endswith("/videos")] == [429, 200]
    assert [r.status for r in fake.requests if r.path.endswith("/commentThreads")] == [429, 200, 503, 200]
    assert any(s == pytest.approx(7, abs=0.5) for s in clock.sleeps)
    assert any(s == pytest.approx(30, abs=0.5) for s in clock.sleeps)


async def test_truncated_json_and_html_are_retried(youtube_server):
    fake = youtube_server
    ch = fake.add_channel("Partai Maju", "partaimaju")
    v = seed_video(fake, ch, 20)
    fake.truncate_next(1, path_prefix="/commentThreads")
    fake.html_next(1, path_prefix="/playlistItems")
    got = await run(make_source_for(fake, [ch]))
    assert sorted(ids(got)) == sorted(all_comment_ids(fake, v))


async def test_slow_response_times_out_and_is_retried(youtube_server):
    fake = youtube_server
    ch = fake.add_channel("Partai Maju", "partaimaju")
    v = seed_video(fake, ch, 3)
    clock = FakeClock()
    src = make_source_for(fake, [ch], clock)
    src.http.options.timeout_s = 0.1
    fake.slow_next(1, delay_s=0.3, path_prefix="/commentThreads")
    got = await run(src)
    assert sorted(ids(got)) == sorted(all_comment_ids(fake, v))
    assert len(fake.calls("commentThreads")) == 2


async def test_server_error_mid_run_then_resume_loses_and_duplicates_nothing(youtube_server):
    fake = youtube_server
    maju = fake.add_channel("Partai Maju", "partaimaju")
    jaya = fake.add_channel("Caleg Jaya", "calegjaya")
    v1 = seed_video(fake, maju, 250, "Debat")
    v2 = seed_video(fake, maju, 40, "Blusukan")
    v3 = seed_video(fake, jaya, 30, "Orasi")
    src = make_source_for(fake, [maju, jaya], max_pages_per_video=10)
    # v2 is read first (newest), then page 1 of v1; page 2 of v1 fails on every attempt (1 + 3 retries).
    fake.fail_next(4, status=500, path_prefix="/commentThreads", after=2)
    part, err = await run_until_error(src)
    assert err is not None and f"channel {maju['id']}" in str(err) and "HTTP 500" in str(err)
    assert set(ids(part)) == all_comment_ids(fake, v2, v3) | set(ids(part[1:2]))  # v1's first page landed
    assert len(ids(part)) == 40 + 100 + 30
    committed = last_cursor(part)
    assert committed["channels"][maju["id"]]["videos"][v1.id]["scan"]["token"]

    new = fake.add_comment(v3, "datang saat server bermasalah")
    fresh = make_source_for(fake, [maju, jaya], max_pages_per_video=10)
    rest = await run(fresh, committed)
    delivered = ids(part) + ids(rest)
    assert set(delivered) == all_comment_ids(fake, v1, v2, v3) and new["id"] in delivered
    assert len(delivered) == len(set(delivered))  # nothing twice
    assert last_cursor(rest)["channels"][maju["id"]]["videos"][v1.id]["scan"] is None


@pytest.mark.parametrize("crash_after", [1, 2, 3, 4, 5, 6])
async def test_crash_after_any_committed_batch_resumes_exactly(crash_after):
    fake, server = await start_fake_youtube()
    try:
        ch = fake.add_channel("Partai Maju", "partaimaju")
        v1 = seed_video(fake, ch, 210, "Debat")
        thread = v1.threads[-1]
        for i in range(8):
            fake.add_reply(v1, thread, f"balas {i}")
        seed_video(fake, ch, 120, "Blusukan")
        src = make_source_for(fake, [ch], max_pages_per_video=10)
        part = await run(src, stop_after=crash_after)
        cur = last_cursor(part)
        late = fake.add_comment(v1, "terlambat")
        rest = await run(make_source_for(fake, [ch], max_pages_per_video=10), cur)
        delivered = ids(part) + ids(rest)
        assert set(delivered) == all_comment_ids(fake)
        assert late["id"] in delivered
        assert len(delivered) == len(set(delivered))
    finally:
        await server.close()


async def test_malformed_items_are_rejected_and_the_rest_lands(youtube_server):
    fake = youtube_server
    ch = fake.add_channel("Partai Maju", "partaimaju")
    v = seed_video(fake, ch, 3)
    good = {t["id"] for t in v.threads}
    base = copy.deepcopy(v.threads[0])
    no_top = {"kind": "youtube#commentThread", "etag": "x", "id": "UgzNoTop", "snippet": {"videoId": v.id}}
    bad_date = copy.deepcopy(base)
    bad_date["id"] = bad_date["snippet"]["topLevelComment"]["id"] = "UgzBadDate"
    bad_date["snippet"]["topLevelComment"]["snippet"]["publishedAt"] = "kemarin"
    no_author = copy.deepcopy(base)
    no_author["id"] = no_author["snippet"]["topLevelComment"]["id"] = "UgzNoAuthor"
    sn = no_author["snippet"]["topLevelComment"]["snippet"]
    sn["authorDisplayName"], sn["authorChannelId"] = "Pengguna tanpa kanal", {}
    sn["publishedAt"] = "2024-02-01T00:00:01Z"
    for item in (no_top, bad_date, no_author):
        fake.put_raw_thread(v, item)
    with_bad_reply = fake.add_comment(v, "induk")
    ok_reply = fake.add_reply(v, with_bad_reply, "balasan baik")
    fake.videos[v.id].replies[with_bad_reply["id"]].append({"kind": "youtube#comment", "id": "Ugz.bad"})
    with_bad_reply["snippet"]["totalReplyCount"] = 2

    batches = await run(make_source_for(fake, [ch]))
    (batch,) = [b for b in batches if b.posts or b.rejected]
    assert {p.post_id for p in batch.posts} == good | {with_bad_reply["id"], ok_reply["id"]}
    reasons = {json.loads(r.payload)["id"]: r.reason for r in batch.rejected}
    assert set(reasons) == {"UgzNoTop", "UgzBadDate", "UgzNoAuthor", "Ugz.bad"}
    assert "publishedAt" in reasons["UgzBadDate"] and "author" in reasons["UgzNoAuthor"]
    assert "snippet" in reasons["Ugz.bad"]
    r = next(r for r in batch.rejected if json.loads(r.payload)["id"] == "UgzNoTop")
    assert r.payload == dump_raw(no_top)


# ------------------------------------------------------------------ quota


@pytest.mark.parametrize("reason", ["quotaExceeded", "dailyLimitExceeded"])
async def test_quota_exceeded_pauses_until_midnight_pacific_then_resumes(youtube_server, reason):
    fake = youtube_server
    ch = fake.add_channel("Partai Maju", "partaimaju")
    v = seed_video(fake, ch, 250)
    now = Now(NOON_PST)
    src = make_source_for(fake, [ch], now=now, max_pages_per_video=10)
    fake.quota_next(1, reason=reason, path_prefix="/commentThreads", after=1)  # page 2 hits the quota

    b1 = await run(src)  # no exception: the pause is not a failure
    assert len(ids(b1)) == 100
    assert b1[-1].posts == [] and b1[-1].cursor["paused_until"] == "2024-02-02T08:00:00Z"
    paused = b1[-1].cursor

    fake.requests.clear()
    now.when = datetime(2024, 2, 2, 7, 59, 59, tzinfo=timezone.utc)
    assert await run(src, paused) == [] and fake.requests == []  # still paused: not one request

    now.when = datetime(2024, 2, 2, 8, 0, 1, tzinfo=timezone.utc)
    b2 = await run(src, paused)
    delivered = ids(b1) + ids(b2)
    assert set(delivered) == all_comment_ids(fake, v) and len(delivered) == len(set(delivered))
    assert last_cursor(b2)["paused_until"] is None


async def test_quota_pause_does_not_stop_other_sources(youtube_server):
    fake = youtube_server
    ch = fake.add_channel("Partai Maju", "partaimaju")
    seed_video(fake, ch, 5)
    fake.quota_limit = 2  # channels + playlistItems, then every call is refused

    class Other(Source):
        type_name = "other"

        async def fetch(self, cursor):
            yield Batch(cursor={"n": 1})

        async def aclose(self):
            pass

    committed: dict[str, list[Batch]] = {}

    def process(name, batch):
        committed.setdefault(name, []).append(batch)
        return BatchResult(new=len(batch.posts))

    yt = make_source_for(fake, [ch])
    reports = await run_once([yt, Other("other", None)], process, lambda name: None)
    assert reports["yt"].error is None and reports["other"].error is None
    assert committed["other"][0].cursor == {"n": 1}
    assert committed["yt"][-1].cursor["paused_until"] == "2024-02-02T08:00:00Z"


def test_next_quota_reset_follows_pacific_time_and_dst():
    utc = timezone.utc
    assert next_quota_reset(datetime(2024, 2, 1, 20, 0, tzinfo=utc)) == datetime(2024, 2, 2, 8, 0, tzinfo=utc)
    assert next_quota_reset(datetime(2024, 2, 2, 7, 59, tzinfo=utc)) == datetime(2024, 2, 2, 8, 0, tzinfo=utc)
    assert next_quota_reset(datetime(2024, 7, 1, 12, 0, tzinfo=utc)) == datetime(2024, 7, 2, 7, 0, tzinfo=utc)
    # Spring forward (10 March 2024) and fall back (3 November 2024).
    assert next_quota_reset(datetime(2024, 3, 10, 7, 30, tzinfo=utc)) == datetime(2024, 3, 10, 8, 0, tzinfo=utc)
    assert next_quota_reset(datetime(2024, 3, 10, 8, 30, tzinfo=utc)) == datetime(2024, 3, 11, 7, 0, tzinfo=utc)
    assert next_quota_reset(datetime(2024, 11, 3, 7, 30, tzinfo=utc)) == datetime(2024, 11, 4, 8, 0, tzinfo=utc)


# ------------------------------------------------------------------ videos and channels that fail


async def test_disabled_and_forbidden_videos_are_skipped_with_a_reason(youtube_server, caplog):
    fake = youtube_server
    ch = fake.add_channel("Partai Maju", "partaimaju")
    closed = fake.add_video(ch, "Komentar dimatikan", comments_disabled=True)
    locked = seed_video(fake, ch, 2, "Terlarang")
    locked.forbidden_reason = "forbidden"
    ok = seed_video(fake, ch, 4, "Terbuka")
    src = make_source_for(fake, [ch])
    with caplog.at_level(logging.INFO, logger="monitor.sources.youtube"):
        got = await run(src)  # no YouTubeError: skipping a video is not a failure
    assert sorted(ids(got)) == sorted(all_comment_ids(fake, ok))
    log_text = caplog.text
    assert f"video {closed.id} skipped: HTTP 403 commentsDisabled" in log_text
    assert f"video {locked.id} skipped: HTTP 403 forbidden" in log_text
    cur = last_cursor(got)
    assert cur["channels"][ch["id"]]["videos"][closed.id]["disabled"] is True

    fake.requests.clear()
    await run(src, cur)  # disabled comments are not asked again; the forbidden one is retried
    assert [q["videoId"] for q in fake.calls("commentThreads")] == [locked.id]


async def test_failing_channels_are_reported_after_the_others_are_delivered(youtube_server):
    fake = youtube_server
    broken = fake.add_channel("Kanal Rusak", "rusak")
    seed_video(fake, broken, 3)
    good = fake.add_channel("Partai Maju", "partaimaju")
    v = seed_video(fake, good, 6)
    missing = "UC" + "x" * 22
    fake.fail_next(4, status=502, path_prefix="/playlistItems")
    src = make_source_for(fake, [broken, missing, "@tidakada", good])
    got, err = await run_until_error(src)
    assert sorted(ids(got)) == sorted(all_comment_ids(fake, v))
    msg = str(err)
    assert f"channel {broken['id']}" in msg and "HTTP 502" in msg
    assert f"channel {missing} not found" in msg and "channel @tidakada not found" in msg
    assert good["id"] in last_cursor(got)["channels"]


async def test_missing_or_rejected_key_stops_with_a_clear_error(youtube_server, monkeypatch):
    fake = youtube_server
    ch = fake.add_channel("Partai Maju", "partaimaju")
    seed_video(fake, ch, 2)
    src = make_source_for(fake, [ch])
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(YouTubeError, match=f"environment variable {KEY_ENV} is not set"):
        await run(src)
    assert fake.requests == []
    monkeypatch.setenv(KEY_ENV, "AIza-salah")
    with pytest.raises(YouTubeError, match=f"rejected the API key from environment variable {KEY_ENV}") as ei:
        await run(src)
    assert "AIza-salah" not in str(ei.value) and "keyInvalid" in str(ei.value)
    assert len(fake.requests) == 1  # stopped at the first refusal


# ------------------------------------------------------------------ budgets and page tokens


async def test_run_budget_and_per_video_pages_continue_next_run(youtube_server):
    fake = youtube_server
    maju = fake.add_channel("Partai Maju", "partaimaju")
    jaya = fake.add_channel("Caleg Jaya", "calegjaya")
    seed_video(fake, maju, 150, "Debat")
    seed_video(fake, jaya, 60, "Orasi")
    src = make_source_for(fake, [maju, jaya], max_pages_per_run=5, max_pages_per_video=10)
    delivered: list[str] = []
    cur = None
    calls: list[int] = []
    starts: list[str] = []
    for _ in range(10):
        fake.requests.clear()
        batches = await run(src, cur)
        calls.append(len(fake.requests))
        starts.append(fake.calls("playlistItems")[0]["playlistId"])
        delivered += ids(batches)
        cur = last_cursor(batches, cur)
        if set(delivered) == all_comment_ids(fake):
            break
    assert set(delivered) == all_comment_ids(fake) and len(delivered) == len(set(delivered))
    assert max(calls) <= 5 and len(calls) > 1  # the budget holds (no reply pages here)
    assert starts[:2] == ["UU" + maju["id"][2:], "UU" + jaya["id"][2:]]  # run 2 begins where run 1 stopped
    assert cur["resume_channel"] is None

    # A first read of a busy video goes at most max_pages_per_video deep.
    fresh = fake.add_channel("Kanal Baru", "kanalbaru")
    big = seed_video(fake, fresh, 250, "Ramai")
    newest_first = sorted(big.threads, key=lambda t: t["snippet"]["topLevelComment"]["snippet"]["publishedAt"],
                          reverse=True)
    shallow = make_source_for(fake, [fresh], max_pages_per_video=2)
    b = await run(shallow)
    assert set(ids(b)) == {t["id"] for t in newest_first[:200]}
    more = [fake.add_comment(big, f"baru {i}") for i in range(3)]
    assert set(ids(await run(shallow, last_cursor(b)))) == {t["id"] for t in more}


async def test_invalid_page_token_restarts_from_the_newest_comment(youtube_server):
    fake = youtube_server
    ch = fake.add_channel("Partai Maju", "partaimaju")
    v = seed_video(fake, ch, 250)
    src = make_source_for(fake, [ch], max_pages_per_run=4, max_pages_per_video=10)
    b1 = await run(src)  # channels, playlistItems, videos, one page: budget used up
    cur = copy.deepcopy(last_cursor(b1))
    scan = cur["channels"][ch["id"]]["videos"][v.id]["scan"]
    assert scan["token"] and cur["resume_channel"] == ch["id"]
    scan["token"] = "kedaluwarsa"
    src2 = make_source_for(fake, [ch], max_pages_per_video=10)
    b2 = await run(src2, cur)
    assert set(ids(b1)) | set(ids(b2)) == all_comment_ids(fake, v)  # only duplicates, nothing lost
    statuses = [(r.query.get("pageToken"), r.status) for r in fake.requests if r.path.endswith("/commentThreads")]
    assert ("kedaluwarsa", 400) in statuses


async def test_unchanged_videos_are_read_when_skip_unchanged_is_off(youtube_server):
    fake = youtube_server
    ch = fake.add_channel("Partai Maju", "partaimaju")
    seed_video(fake, ch, 2)
    src = make_source_for(fake, [ch], skip_unchanged=False)
    cur = last_cursor(await run(src))
    fake.requests.clear()
    assert ids(await run(src, cur)) == []  # read, but the cursor filters what was delivered
    assert len(fake.calls("commentThreads")) == 1


# ------------------------------------------------------------------ options


def test_options_validation():
    good_id = "UC" + "a" * 22
    o = YouTubeOptions(api_key_env="YT_KEY", channels=[
        good_id, f"https://www.youtube.com/channel/{good_id}", "@PartaiMaju", "https://youtube.com/@PartaiMaju"])
    assert o.channels == [good_id, "@partaimaju"]
    assert o.base_url == "https://www.googleapis.com/youtube/v3" and o.max_videos_per_channel == 20
    assert o.http.requests_per_second == 5.0
    for bad in ("partai maju", "UC123", "@x"):
        with pytest.raises(ValueError):
            normalize_channel(bad)
    with pytest.raises(ValueError, match="api_key"):
        YouTubeOptions(api_key_env="YT_KEY", channels=[good_id], api_key="AIza-rahasia")  # no secret in config
    with pytest.raises(ValueError):
        YouTubeOptions(api_key_env="YT KEY", channels=[good_id])
    with pytest.raises(ValueError):
        YouTubeOptions(api_key_env="YT_KEY", channels=[])
    with pytest.raises(ValueError):
        YouTubeOptions(api_key_env="YT_KEY", channels=[good_id], base_url="googleapis.com")
    src = YouTubeSource("yt", {"api_key_env": "YT_KEY", "channels": [good_id], "http": {"requests_per_second": 0.5}})
    assert src.options.http.requests_per_second == 0.5 and src.type_name == "youtube"


async def test_source_owns_and_closes_its_http_client(youtube_server):
    ch = youtube_server.add_channel("Partai Maju", "partaimaju")
    seed_video(youtube_server, ch, 1)
    src = YouTubeSource("yt", {"base_url": youtube_server.api_url, "api_key_env": KEY_ENV, "channels": [ch["id"]],
                               "http": {"requests_per_second": 1000}})
    assert len(ids(await run(src))) == 1
    assert src.http is not None
    await src.aclose()
    assert src.http is None


def test_unknown_cursor_starts_over(caplog):
    from monitor.sources.youtube import load_cursor

    with caplog.at_level(logging.WARNING):
        state = load_cursor({"v": 99})
    assert state["channels"] == {} and "unrecognised cursor" in caplog.text
    messy = {"v": 1, "channels": {"UCx": {"uploads": "UUx", "videos": {"v": {"newest": "bukan waktu", "scan": "x"}}}}}
    assert load_cursor(messy)["channels"]["UCx"]["videos"]["v"] == {
        "newest": None, "newest_ids": [], "scan": None, "count": None, "disabled": False}
