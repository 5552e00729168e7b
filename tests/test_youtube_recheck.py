"""YouTube deletion re-check (``recheck``) against the local fake Data API v3."""

from __future__ import annotations

import pytest

from monitor.collect.http import HttpClient, HttpOptions
from monitor.sources.youtube import YouTubeOptions, YouTubeSource
from tests.fakes.youtube_server import API_KEY, start_fake_youtube

KEY_ENV = "YT_RECHECK_API_KEY"


@pytest.fixture
async def world(monkeypatch):
    monkeypatch.setenv(KEY_ENV, API_KEY)
    fake, server = await start_fake_youtube()
    ch = fake.add_channel("Partai X", "partaix")
    video = fake.add_video(ch, "Kampanye akbar", "Deskripsi video")
    gone_video = fake.add_video(ch, "Video dihapus")
    top = fake.add_comment(video, "Ayo coblos 02!", "@budi")
    reply = fake.add_reply(video, top, "Setuju & lanjutkan <3", "@ani")
    gone = fake.add_comment(video, "Komentar yang nanti dihapus", "@budi")
    http = HttpClient(HttpOptions(max_retries=0, requests_per_second=1000))
    src = YouTubeSource("yt", YouTubeOptions(base_url=fake.api_url, api_key_env=KEY_ENV, channels=[ch["id"]]), http=http)
    try:
        yield {"fake": fake, "src": src, "video": video, "gone_video": gone_video, "top": top, "reply": reply,
               "gone": gone}
    finally:
        await http.aclose()
        await server.close()


async def test_recheck_reports_deleted_videos_and_comments(world):
    fake, src = world["fake"], world["src"]
    fake.delete_comment(world["gone"]["id"])
    fake.delete_video(world["gone_video"].id)
    ids = [world["video"].id, world["gone_video"].id, world["top"]["id"], world["reply"]["id"], world["gone"]["id"]]
    found = await src.recheck(ids)
    assert set(found) == set(ids)
    assert found[world["gone"]["id"]] is None and found[world["gone_video"].id] is None
    v = found[world["video"].id]
    assert v.kind == "post" and v.text == "Kampanye akbar\n\nDeskripsi video" and v.author.name == "Partai X"
    c = found[world["top"]["id"]]
    assert c.kind == "comment" and c.text == "Ayo coblos 02!" and c.parent.post_id == world["video"].id
    r = found[world["reply"]["id"]]
    assert r.text == "Setuju & lanjutkan <3"  # plain text, as collected: not flagged as edited
    assert r.parent.post_id == world["top"]["id"] and r.author.handle == "ani"
    videos, comments = fake.calls("videos"), fake.calls("comments")
    assert [q["id"].split(",") for q in videos] == [[world["video"].id, world["gone_video"].id]]
    assert videos[0]["part"] == "snippet"
    assert [q["id"].split(",") for q in comments] == [[world["top"]["id"], world["reply"]["id"], world["gone"]["id"]]]
    assert comments[0]["part"] == "snippet" and comments[0]["textFormat"] == "plainText"


async def test_recheck_asks_at_most_50_ids_per_call(world):
    fake, src = world["fake"], world["src"]
    extra = [fake.add_comment(world["video"], f"komentar {i}")["id"] for i in range(60)]
    found = await src.recheck(extra)
    assert all(found[i] is not None for i in extra)
    assert [len(q["id"].split(",")) for q in fake.calls("comments")] == [50, 10]


async def test_a_failed_call_leaves_its_ids_unchecked_never_deleted(world):
    fake, src = world["fake"], world["src"]
    fake.quota_next(path_prefix="/comments")
    found = await src.recheck([world["video"].id, world["top"]["id"], world["gone"]["id"]])
    assert world["top"]["id"] not in found and world["gone"]["id"] not in found
    assert found[world["video"].id] is not None
    fake.fail_next(status=500, path_prefix="/videos")
    found = await src.recheck([world["video"].id, world["top"]["id"]])
    assert world["video"].id not in found and found[world["top"]["id"]] is not None
