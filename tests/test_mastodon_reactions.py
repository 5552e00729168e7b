"""Mastodon likes (favourited_by) and follows (followers) against the local fake API, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.sources.mastodon import MastodonOptions
from monitor.store import Store
from tests.fakes.mastodon_server import FakeMastodon
from tests.fakes.threaded import serve_in_thread
from tests.test_mastodon_source import TAG, _close_clients, ids, make_source_for, run  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
BUDI_NIP = "198501012010011002"  # mastodon:@budi@kota.social in roster_small.csv


async def test_likes_are_paginated_and_bounded(mastodon_server):
    fake = mastodon_server
    author = fake.add_account("relawan")
    st = fake.add_status(author, "Coblos 02!", tags=[TAG])
    quiet = fake.add_status(author, "tidak ada yang suka", tags=[TAG])
    likers = [fake.add_account(f"warga{i}") for i in range(45)]
    for acc in likers:
        fake.favourite(st, acc)
    nameless = fake.add_account("tanpaid")
    fake.favourite(st, nameless)
    del nameless["id"]  # an account entity without an id cannot make a stable post id
    boost = fake.add_status(likers[0], "", reblog_of=st, tags=[TAG])
    fake.favourite(boost, likers[1])

    batches = await run(make_source_for(fake, likes=True, likes_max_pages=2))
    got = ids(batches)
    assert sorted(p for p in got if p.startswith("like:")) == sorted(f"like:{st['id']}:{a['id']}" for a in likers)
    posts = {p.post_id: p for b in batches for p in b.posts}
    like = posts[f"like:{st['id']}:{likers[3]['id']}"]
    assert like.kind == "like" and like.author.handle == "warga3@kota.social" and like.text == ""
    assert like.parent.post_id == st["id"] and "Coblos 02!" in like.parent.text
    assert like.created_at == posts[st["id"]].created_at  # the API has no like time
    assert json.loads(like.raw)["favourited_by"]["id"] == likers[3]["id"]
    # no request for a status without favourites, nor for a boost (its favourites are the original's)
    fav_paths = fake.paths("/api/v1/statuses/")
    assert not any(quiet["id"] in p or boost["id"] in p for p in fav_paths)
    assert len([p for p in fav_paths if p.endswith("/favourited_by")]) == 2  # 40 + 6
    rejected = [r for b in batches for r in b.rejected]
    assert len(rejected) == 1 and "tanpaid" in rejected[0].payload and "no 'id'" in rejected[0].reason

    fake.requests.clear()
    one_page = await run(make_source_for(fake, likes=True, likes_max_pages=1))
    assert len([p for p in ids(one_page) if p.startswith("like:")]) == 39  # 40 minus the one without id
    off = await run(make_source_for(fake))  # likes default to off: no extra requests
    assert not [p for p in ids(off) if p.startswith("like:")]


async def test_followers_of_a_campaign_account(mastodon_server):
    fake = mastodon_server
    camp = fake.add_account("relawan02", display_name="Relawan Prabowo-Gibran",
                            note="<p>Akun resmi relawan <b>nomor 02</b></p>")
    fans = [fake.add_account(f"fan{i}") for i in range(3)]
    for f in fans:
        fake.follow(f, camp)
    src = make_source_for(fake, hashtags=[], follows_of=[camp["id"]])
    batches = await run(src)
    posts = [p for b in batches for p in b.posts]
    assert sorted(p.post_id for p in posts) == sorted(f"follow:{camp['id']}:{f['id']}" for f in fans)
    p = posts[0]
    assert p.kind == "follow" and p.parent.author.handle == "relawan02@kota.social"
    assert p.parent.text == "Relawan Prabowo-Gibran\n\nAkun resmi relawan nomor 02"
    assert p.parent.url == camp["url"]
    assert all(b.cursor == batches[0].cursor for b in batches)


def test_follows_of_options():
    assert MastodonOptions(base_url="https://kota.social", follows_of=["109", "109"]).follows_of == ["109"]
    with pytest.raises(ValueError):
        MastodonOptions(base_url="https://kota.social", follows_of=["../x"])
    with pytest.raises(ValueError):
        MastodonOptions(base_url="https://kota.social")


def write_config(tmp_path, base_url, follows_of):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[store]
path = "m.duckdb"
[rules]
paths = ["{REPO / 'rules'}"]
[office]
timezone = "Asia/Pontianak"
language = "en"
[scoring.weights]
# only the follow weight is set (to its default, explicitly): like = 0.5 comes from the defaults.
# A follow reaches min_score 0.4 only for explicit campaign accounts; this bio scores 0.99.
follow = 0.45
[sources.masto]
type = "mastodon"
base_url = "{base_url}"
hashtags = ["pemilu2024"]
likes = true
follows_of = ["{follows_of}"]
[sources.masto.http]
requests_per_second = 1000
backoff_base_s = 0.01
backoff_max_s = 0.05
""", encoding="utf-8")
    return cfg


def test_like_and_follow_become_weighted_hits_once(tmp_path):
    fake = FakeMastodon(domain="kota.social")
    budi = fake.add_account("budi", display_name="Budi Santoso")
    warga = fake.add_account("warga", display_name="Warga Biasa")
    camp = fake.add_account("relawan02", display_name="Relawan 02",
                            note="<p>Ayo coblos 02 Prabowo-Gibran!</p>")
    partisan = fake.add_status(camp, "Ayo coblos 02 Prabowo-Gibran!", tags=["pemilu2024"])
    neutral = fake.add_status(camp, "Info TPS nomor 4 sudah siap", tags=["pemilu2024"])
    fake.favourite(partisan, budi)
    fake.favourite(partisan, warga)  # not in the roster
    fake.favourite(neutral, budi)  # not partisan
    fake.follow(budi, camp)
    with serve_in_thread(fake.app) as url:
        cfg = write_config(tmp_path, url, camp["id"])
        runner = CliRunner()
        assert runner.invoke(cli, ["--config", str(cfg), "roster", "import", str(DATA / "roster_small.csv")]).exit_code == 0
        res = runner.invoke(cli, ["--config", str(cfg), "collect", "--once"])
        assert res.exit_code == 0, res.output
        assert "masto: 6 new posts" in res.output  # 2 statuses, 3 likes, 1 follow
        again = runner.invoke(cli, ["--config", str(cfg), "collect", "--once"])
        assert again.exit_code == 0, again.output
        assert "masto: 0 new posts" in again.output
    with Store(tmp_path / "m.duckdb") as s:
        assert s.count("posts") == 6
        rows = s.con.execute("SELECT nip, behaviour, post_id, steps FROM hits ORDER BY behaviour").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (BUDI_NIP, "follow", f"follow:{camp['id']}:{budi['id']}"),
        (BUDI_NIP, "like", f"like:{partisan['id']}:{budi['id']}"),
    ]
    for (_, behaviour, _, steps), weight in zip(rows, (0.45, 0.5)):
        steps = json.loads(steps) if isinstance(steps, str) else steps
        step = next(x for x in steps if x["step"] == "behaviour")
        assert step["label"] == behaviour and step["factor"] == weight

