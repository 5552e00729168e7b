"""Crash test (issue 9): ``monitor serve`` killed with SIGKILL 20 times while it ingests a stream of
100,000 posts from a local fake Mastodon and a fake X; nothing lost, nothing doubled, cursors
consistent after every kill, the file opens cleanly, every hit there.

The machinery is ``bench/crash_test.py`` (``python bench/crash_test.py`` prints the figures); the
fast tests here prove that the fakes' indexed paths, which let them serve 100k posts, answer like
their plain scans.
"""

from __future__ import annotations

import json
import os
import random

import pytest

from bench.crash_test import World, cursor_problems, quick_status, run_crash_test
from tests.fakes.mastodon_server import FakeMastodon
from tests.fakes.x_server import FakeX

# the full size issue 9 asks for: about two to three minutes on two cores (CRASH_TEST_POSTS=20000: a quick run)
POSTS, KILLS = int(os.environ.get("CRASH_TEST_POSTS", "100000")), 20


async def test_fake_tag_timeline_index_pages_like_the_plain_scan(mastodon_server: FakeMastodon):
    """The fake's indexed tag timeline (what lets it serve 100k statuses) answers every
    max_id / since_id / min_id / limit query exactly like its plain scan (the account timeline
    over the same statuses), also with ids of different lengths, out-of-order inserts and deletes."""
    import aiohttp

    fake = mastodon_server
    rng = random.Random(7)
    acc = fake.add_account("budi")
    ids = sorted({str(rng.randrange(1, 10 ** rng.randint(2, 6))) for _ in range(300)}, key=lambda i: rng.random())
    for sid in ids:  # random order: the index takes the insort path too
        st = fake.add_status(acc, f"teks {sid}", tags=["pemilu2024"], status_id=sid, publish=False)
        fake.put_raw(st, tags=["pemilu2024"], account_id=acc["id"])
    for sid in rng.sample(ids, 30):
        fake.delete_status(sid)
    fake.put_raw(fake.statuses[next(iter(fake.statuses))], tags=["pemilu2024"], account_id=acc["id"])  # re-put
    live = list(fake.statuses)
    probes = [None, "0", "5", "99999999", *rng.sample(live, 20), *rng.sample(ids, 10)]
    async with aiohttp.ClientSession() as http:
        async def page(path: str, params: dict) -> tuple[list[str], list[str]]:
            async with http.get(fake.base_url + path, params=params) as r:
                assert r.status == 200
                links = r.headers.get("Link", "").replace(path, "PATH")
                return [s["id"] for s in await r.json()], links

        checked = 0
        for _ in range(300):
            params = {"limit": str(rng.choice([1, 3, 20, 40, 80]))}
            for name in ("max_id", "since_id", "min_id"):
                v = rng.choice(probes)
                if v is not None and rng.random() < 0.5:
                    params[name] = v
            tag = await page("/api/v1/timelines/tag/pemilu2024", params)
            scan = await page(f"/api/v1/accounts/{acc['id']}/statuses", params)
            assert tag == scan, params
            checked += bool(tag[0])
    assert checked > 100  # most probes returned statuses
    for sid in live:
        fake.delete_status(sid)
    async with aiohttp.ClientSession() as http:
        async with http.get(fake.base_url + "/api/v1/timelines/tag/pemilu2024") as r:
            assert r.status == 404  # a tag nobody uses any more is unknown, as before


async def test_fake_x_indexed_search_pages_like_the_plain_scan():
    """FakeX.indexed_search (for large streams) gives the plain scan's pages: same posts, includes,
    meta and token walks, for since_id / until_id / max_results, hidden posts, a protected author,
    a raw item, posts added between requests and several queries."""
    import aiohttp

    from tests.fakes.x_server import SEARCH, start_fake_x

    fake, server = await start_fake_x()
    rng = random.Random(11)
    users = [fake.add_user(f"user{i}", f"User {i}") for i in range(5)]
    tweets = []

    def add(n: int) -> None:
        for _ in range(n):
            words = rng.sample(["#pemilu2024", "coblos", "halo", "#pilkada", "pagi"], 2)
            tweets.append(fake.add_tweet(rng.choice(users), " ".join(words)))

    add(150)
    for tw in rng.sample(tweets, 10):
        fake.hide(tw["id"])
    fake.protected_users.add(users[4]["id"])
    fake.put_raw({"id": "mentah"}, sort_id=int(tweets[70]["id"]) + 1)
    ids = [t["id"] for t in tweets]
    headers = {"Authorization": f"Bearer {fake.bearer_token}"}
    fields = {"tweet.fields": "created_at,author_id", "expansions": "author_id", "user.fields": "username,name"}
    try:
        async with aiohttp.ClientSession(headers=headers) as http:
            async def walk(indexed: bool, params: dict) -> list:
                fake.indexed_search = indexed
                pages, p = [], dict(params)
                for _ in range(100):
                    async with http.get(fake.base_url + SEARCH, params=p) as r:
                        body = await r.json()
                    token = body.get("meta", {}).pop("next_token", None)
                    pages.append((r.status, body))
                    if not token:
                        return pages
                    p = {**params, "next_token": token}
                raise AssertionError("endless walk")

            for round_ in range(60):
                if round_ % 20 == 19:
                    add(20)  # new posts after the index was built
                    ids = [t["id"] for t in tweets]
                params = {**fields, "query": rng.choice(["#pemilu2024", "coblos OR #pilkada", "halo -pagi"]),
                          "max_results": str(rng.choice([10, 17, 100]))}
                if rng.random() < 0.5:
                    params["since_id"] = rng.choice(ids)
                if rng.random() < 0.4:
                    params["until_id"] = rng.choice(ids)
                assert await walk(True, params) == await walk(False, params), params
    finally:
        await server.close()


def test_quick_status_builds_what_the_fake_builds():
    """The crash test's stream builder (shallow copies, for 100k statuses) gives the very status
    ``FakeMastodon.add_status`` gives for the same account, text, tag, id and time."""
    fake = FakeMastodon()
    acc = fake.add_account("budi", display_name="Budi Santoso", note="<p>ASN</p>")
    proto = fake.add_status(acc, "", publish=False)
    for text in ("Coblos 02 & <menang>!", "halo", "Pilih \"nomor\" 1 ya"):
        fake._tick, fake._seq = 100, 5
        quick = quick_status(fake, proto, text, "pemilu2024")
        fake._tick, fake._seq = 100, 5
        real = fake.add_status(acc, text, tags=["pemilu2024"], publish=False)
        assert json.dumps(quick, sort_keys=True) == json.dumps(real, sort_keys=True)


def test_crash_point_check_sees_a_cursor_ahead_of_the_stored_posts_and_posts_without_cursor(tmp_path):
    """The check run after every kill reports both ways a batch and its cursor could part."""
    from monitor.store import Store
    from monitor.store.batch_write import sha256_text
    from tests.helpers import make_post

    world = World(mastodon=FakeMastodon(), x=FakeX(), pending=[])
    world.published = {"masto_pemilu": ["101", "102", "103", "104", "105"], "x_pemilu": ["7", "8"]}
    db = tmp_path / "c.duckdb"

    def store(source: str, platform: str, ids: list[str], cursor: dict | None) -> None:
        posts = [make_post(i, platform=platform) for i in ids]
        raws = [p.model_dump_json() for p in posts]
        with Store(db) as s, s.batch_writer(source) as w:
            w.insert_posts(posts, raws, [sha256_text(r) for r in raws])
            if cursor is not None:
                w.set_cursor(cursor)

    store("masto_pemilu", "mastodon", ["101", "102", "103"],
          {"v": 1, "timelines": {"tag:pemilu2024": {"newest": "105", "backfill": None}}})
    store("x_pemilu", "x", ["7", "8"], None)
    assert cursor_problems(db, world) == [
        "masto_pemilu: cursor covers 2 served posts that are not stored",
        "x_pemilu: 2 stored posts beyond the committed cursor",
    ]
    store("masto_pemilu", "mastodon", ["104", "105"], None)
    store("x_pemilu", "x", [], {"v": 1, "feeds": {"search:#pemilu2024": {"since_id": "8", "walk": None}}})
    assert cursor_problems(db, world) == []


@pytest.mark.slow
def test_sigkill_during_ingest_loses_and_doubles_nothing(tmp_path):
    """The issue's crash test at full size (seeded): every served post stored exactly once, cursors
    consistent after each kill, nothing new for a final run, the file opens, every hit there."""
    rep = run_crash_test(posts=POSTS, kills=KILLS, seed=20261123, workdir=tmp_path)
    report = "\n".join(rep.lines())
    assert rep.kills_done == KILLS and rep.restarts == KILLS and not rep.start_failures, report
    assert rep.crash_point_checks >= KILLS and not rep.crash_point_problems, report
    f = rep.final
    assert f.served == POSTS and f.stored == POSTS, report
    assert (f.missing, f.extra, f.duplicates, f.payload_mismatches) == (0, 0, 0, 0), report
    assert f.hits_expected > 0 and f.hits_stored == f.hits_expected, report
    assert (f.hits_missing, f.hits_extra, f.hits_different) == (0, 0, 0), report
    assert f.table_rows["posts"] == POSTS and f.database_size, report
    assert rep.final_collect_new == 0, report
    assert not f.problems and rep.ok, report
