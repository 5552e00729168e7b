"""X source: deletion re-check (``GET /2/tweets?ids=``) and liking users, against the local fake X API."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from monitor.store import Store
from tests.fakes.threaded import serve_in_thread
from tests.fakes.x_server import FakeX, x_server  # noqa: F401  (fixture)
from tests.test_x_source import TOKEN_ENV, _bearer, _close_clients, ids, make_source_for, run  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
BUDI_NIP = "198501012010011002"  # x:@budi_s in roster_small.csv


async def test_recheck_deleted_existing_and_unknown(x_server):
    fake = x_server
    author = fake.add_user("relawan")
    shy = fake.add_user("rahasia")
    kept = fake.add_tweet(author, "Coblos 02! #pemilu2024")
    gone = fake.add_tweet(author, "akan dihapus #pemilu2024")
    hidden = fake.add_tweet(shy, "nanti diprivat #pemilu2024")
    reply = fake.add_tweet(author, "balasan", reply_to=kept)
    fake.hide(gone["id"])
    fake.protected_users.add(shy["id"])
    never = "1790000000000000001"  # an id X never had: also "Not Found Error"

    src = make_source_for(fake)
    asked = [kept["id"], gone["id"], hidden["id"], reply["id"], never, f"like:{kept['id']}:{author['id']}"]
    got = await src.recheck(asked)

    assert set(got) == {kept["id"], gone["id"], reply["id"], never}  # protected + like: unknown
    assert got[gone["id"]] is None and got[never] is None
    post = got[kept["id"]]
    assert post.post_id == kept["id"] and post.text == "Coblos 02! #pemilu2024"
    assert post.author.handle == "relawan" and post.url == f"https://x.com/relawan/status/{kept['id']}"
    assert got[reply["id"]].kind == "comment" and got[reply["id"]].parent.text == "Coblos 02! #pemilu2024"
    lookups = [r for r in fake.requests if r.path == "/2/tweets"]
    assert len(lookups) == 1 and lookups[0].status == 200
    assert lookups[0].query["ids"].split(",") == asked[:5]  # the like: id is not sent
    assert "max_results" not in lookups[0].query and "author_id" in lookups[0].query["expansions"]

    fake.hide(kept["id"])  # a referenced post gone: the reply still exists, the parent is deleted
    again = await src.recheck([reply["id"], kept["id"]])
    assert again[kept["id"]] is None and again[reply["id"]] is not None


async def test_recheck_batches_100_ids_and_survives_a_failed_batch(x_server):
    fake = x_server
    author = fake.add_user("relawan")
    tweets = [fake.add_tweet(author, f"pos {i}") for i in range(230)]
    for t in tweets[::10]:
        fake.hide(t["id"])
    src = make_source_for(fake)
    got = await src.recheck([t["id"] for t in tweets])
    lookups = [r for r in fake.requests if r.path == "/2/tweets"]
    assert [len(r.query["ids"].split(",")) for r in lookups] == [100, 100, 30]
    assert len(got) == 230
    assert sorted(k for k, v in got.items() if v is None) == sorted(t["id"] for t in tweets[::10])

    fake.requests.clear()
    fake.fail_next(4, status=503, path_prefix="/2/tweets", after=1)  # the 2nd batch: all 4 attempts
    got = await src.recheck([t["id"] for t in tweets])
    assert set(got) == {t["id"] for t in tweets[:100] + tweets[200:]}  # the failed 100 are unknown


async def test_likes_are_paginated_and_bounded(x_server):
    fake = x_server
    author = fake.add_user("relawan")
    st = fake.add_tweet(author, "Coblos 02! #pemilu2024")
    quiet = fake.add_tweet(author, "tidak ada yang suka #pemilu2024")
    likers = [fake.add_user(f"warga{i}") for i in range(230)]
    for u in likers:
        fake.like(st, u)
    rt = fake.add_tweet(likers[0], retweet_of=st)
    fake.like(rt, likers[1])

    batches = await run(make_source_for(fake, likes=True, likes_max_pages=2))
    got = [p for p in ids(batches) if p.startswith("like:")]
    newest_200 = likers[::-1][:200]  # X lists the newest likes first
    assert sorted(got) == sorted(f"like:{st['id']}:{u['id']}" for u in newest_200)
    posts = {p.post_id: p for b in batches for p in b.posts}
    like = posts[f"like:{st['id']}:{likers[100]['id']}"]
    assert like.kind == "like" and like.text == "" and like.author.handle == "warga100"
    assert like.author.url == "https://x.com/warga100"
    assert like.parent.post_id == st["id"] and like.parent.text == "Coblos 02! #pemilu2024"
    assert like.parent.author.handle == "relawan" and like.parent.url == posts[st["id"]].url
    assert like.created_at == posts[st["id"]].created_at  # the API has no like time
    assert json.loads(like.raw)["liking_user"]["id"] == likers[100]["id"]
    liking = [r for r in fake.requests if r.path.endswith("/liking_users")]
    assert [r.path.split("/")[3] for r in liking] == [st["id"], st["id"]]  # not quiet, not the retweet
    assert all(r.status == 200 for r in liking) and "pagination_token" in liking[1].query
    assert quiet["id"] in posts and rt["id"] in posts

    fake.requests.clear()
    one = await run(make_source_for(fake, likes=True))
    assert len([p for p in ids(one) if p.startswith("like:")]) == 100  # likes_max_pages defaults to 1
    off = await run(make_source_for(fake))  # likes default to off: no extra request, no like posts
    assert not [p for p in ids(off) if p.startswith("like:")]
    assert len([r for r in fake.requests if r.path.endswith("/liking_users")]) == 1


async def test_likes_without_like_count_are_asked_for_every_post(x_server):
    fake = x_server
    author = fake.add_user("relawan")
    a = fake.add_tweet(author, "satu #pemilu2024")
    b = fake.add_tweet(author, "dua #pemilu2024")
    del a["public_metrics"], b["public_metrics"]
    warga = fake.add_user("warga")
    fake.like(a, warga)
    batches = await run(make_source_for(fake, likes=True))
    assert [p for p in ids(batches) if p.startswith("like:")] == [f"like:{a['id']}:{warga['id']}"]
    assert len([r for r in fake.requests if r.path.endswith("/liking_users")]) == 2


def write_config(tmp_path, base_url):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[store]
path = "m.duckdb"
[rules]
paths = ["{REPO / 'rules'}"]
[office]
timezone = "Asia/Pontianak"
language = "en"
[sources.xs]
type = "x"
base_url = "{base_url}"
token_env = "{TOKEN_ENV}"
queries = ["#pemilu2024"]
max_results = 10
likes = true
[sources.xs.http]
requests_per_second = 1000
backoff_base_s = 0.01
backoff_max_s = 0.05
""", encoding="utf-8")
    return cfg


def test_a_like_becomes_a_hit_once(tmp_path):
    fake = FakeX()
    budi = fake.add_user("budi_s", "Budi Santoso")
    warga = fake.add_user("warga", "Warga Biasa")
    camp = fake.add_user("relawan02", "Relawan 02")
    partisan = fake.add_tweet(camp, "Ayo coblos 02 Prabowo-Gibran! #pemilu2024")
    neutral = fake.add_tweet(camp, "Info TPS nomor 4 sudah siap #pemilu2024")
    fake.like(partisan, budi)
    fake.like(partisan, warga)  # not in the roster
    fake.like(neutral, budi)  # not partisan
    with serve_in_thread(fake.app) as url:
        cfg = write_config(tmp_path, url)
        runner = CliRunner(env={TOKEN_ENV: fake.bearer_token})
        assert runner.invoke(cli, ["--config", str(cfg), "roster", "import", str(DATA / "roster_small.csv")]).exit_code == 0
        res = runner.invoke(cli, ["--config", str(cfg), "collect", "--once"])
        assert res.exit_code == 0, res.output
        assert "xs: 5 new posts" in res.output  # 2 posts, 3 likes
        again = runner.invoke(cli, ["--config", str(cfg), "collect", "--once"])
        assert again.exit_code == 0, again.output
        assert "xs: 0 new posts" in again.output
    with Store(tmp_path / "m.duckdb") as s:
        assert s.count("posts") == 5
        rows = s.con.execute("SELECT nip, behaviour, post_id FROM hits").fetchall()
    assert rows == [(BUDI_NIP, "like", f"like:{partisan['id']}:{budi['id']}")]
