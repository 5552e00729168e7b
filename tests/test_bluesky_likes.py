"""Bluesky likes (app.bsky.feed.getLikes) against the local fake AppView."""

from __future__ import annotations

import json

from tests.fakes.bluesky_server import start_fake_bluesky
from tests.test_bluesky_source import ACTOR, _close_clients  # noqa: F401  (fixture)
from tests.test_bluesky_source import make_source_for as bsky_source
from tests.test_bluesky_source import run as bsky_run


async def test_bluesky_likes_paginated_and_mapped():
    fake, server = await start_fake_bluesky()
    try:
        author = fake.add_profile(ACTOR, display_name="Budi")
        post = fake.add_post(author, "Coblos 02!")
        quiet = fake.add_post(author, "tanpa suka")
        likers = [fake.add_profile(f"warga{i}.bsky.social", display_name=f"Warga {i}") for i in range(7)]
        for p in likers:
            fake.like(p, post)
        batches = await bsky_run(bsky_source(fake, likes=True, likes_max_pages=2))  # limit 5: 5 + 2
        posts = {p.post_id: p for b in batches for p in b.posts}
        likes = sorted(k for k in posts if k.startswith("like:"))
        assert likes == sorted(f"like:{p['did']}:{post['uri']}" for p in likers)
        lk = posts[f"like:{likers[2]['did']}:{post['uri']}"]
        assert lk.kind == "like" and lk.author.handle == "warga2.bsky.social"
        assert lk.parent.post_id == post["uri"] and lk.parent.text == "Coblos 02!"
        assert lk.created_at > posts[post["uri"]].created_at  # the like's own createdAt
        assert json.loads(lk.raw)["subject"] == post["uri"]
        asked = [r.query.get("uri") for r in fake.requests if r.path.endswith("getLikes")]
        assert asked == [post["uri"]] * 2 and quiet["uri"] not in asked
        fake.requests.clear()
        await bsky_run(bsky_source(fake, likes=True, likes_max_pages=1))
        assert len([r for r in fake.requests if r.path.endswith("getLikes")]) == 1
    finally:
        await server.close()
