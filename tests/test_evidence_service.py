"""The service's evidence jobs (media capture, deletion watch) against local platform servers, and
the Bluesky re-check hook."""

from pathlib import Path

from monitor.cli.roster import import_roster
from monitor.collect.http import HttpClient, HttpOptions
from monitor.config import load_config
from monitor.evidence.paths import media_dir
from monitor.i18n import t
from monitor.service import evidence_jobs
from monitor.service.runtime import Service
from monitor.sources.bluesky import BlueskyOptions, BlueskySource, repost_id
from tests.fakes.bluesky_server import start_fake_bluesky
from tests.fakes.mastodon_server import FakeMastodon, start_fake_mastodon

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
JPEG = b"\xff\xd8\xff\xe0" + b"foto-bukti" * 50


def config(tmp_path, base_url):
    p = tmp_path / "config.toml"
    p.write_text(f"""
[store]
path = "s.duckdb"
[rules]
paths = ["{REPO / 'rules'}"]
[evidence]
allow_private_media = true  # the fake servers run on 127.0.0.1
[office]
timezone = "Asia/Pontianak"
[sources.masto]
type = "mastodon"
base_url = "{base_url}"
hashtags = ["pemilu2024"]
interval_s = 3600
[sources.masto.http]
requests_per_second = 1000
backoff_base_s = 0.01
max_retries = 1
""", encoding="utf-8")
    return load_config(p)


async def test_service_jobs_capture_media_and_notice_a_deletion(tmp_path):
    fake, server = await start_fake_mastodon(FakeMastodon(domain="kota.social"))
    try:
        budi = fake.add_account("budi", display_name="Budi Santoso")
        kept = fake.add_status(budi, "Ayo coblos 02 Prabowo-Gibran!", tags=["pemilu2024"])
        fake.add_media(kept, "foto.jpg", JPEG, "image/jpeg")
        gone = fake.add_status(budi, "Coblos nomor 2, menangkan Prabowo-Gibran!", tags=["pemilu2024"])
        svc = Service(config(tmp_path, fake.base_url))
        with svc.lock:
            import_roster(svc.app.store, DATA / "roster_small.csv", skip_invalid=False, actor="test",
                          lang_t=lambda k, **kw: t(k, "en", **kw))
        svc.start()
        assert svc.scheduler.get_job("evidence:media") is not None
        assert svc.scheduler.get_job("evidence:watch") is not None
        await svc.run_source("masto")
        assert svc.status["masto"].last_result["hits"] == 2
        await evidence_jobs.media_job(svc)
        fake.delete_status(gone["id"])
        await evidence_jobs.watch_job(svc)
        with svc.lock:
            s = svc.app.store
            media = s.media_of("mastodon", kept["id"])
            gone_check = s.post_check("mastodon", gone["id"])
            kept_check = s.post_check("mastodon", kept["id"])
            still_stored = s.post("mastodon", gone["id"])
        assert [m["status"] for m in media] == ["captured"] and media[0]["content_type"] == "image/jpeg"
        assert (media_dir(svc.app.db_path) / media[0]["file"]).read_bytes() == JPEG
        assert gone_check["state"] == "deleted" and gone_check["noticed_at"] is not None
        assert kept_check["state"] == "present"
        assert still_stored is not None  # the evidence stays
        status_calls = fake.paths("/api/v1/statuses/")
        assert f"/api/v1/statuses/{gone['id']}" in status_calls
        # the retention job removed the kept post (its hit dismissed long ago): its media file goes too,
        # the other post's evidence stays
        stored = media_dir(svc.app.db_path) / media[0]["file"]
        with svc.lock:
            svc.app.store.con.execute("DELETE FROM hits WHERE post_id = ?", [kept["id"]])
            svc.app.store.con.execute("DELETE FROM posts WHERE post_id = ?", [kept["id"]])
        await evidence_jobs.media_job(svc)
        with svc.lock:
            assert svc.app.store.media_of("mastodon", kept["id"]) == []
            assert svc.app.store.post_check("mastodon", gone["id"]) is not None
            purges = [a for a in svc.app.store.audit_entries() if a["action"] == "media.purge"]
        assert not stored.exists() and len(purges) == 1
        await svc.stop()
    finally:
        await server.close()


async def test_bluesky_recheck_reports_deleted_posts():
    fake, server = await start_fake_bluesky()
    http = HttpClient(HttpOptions(requests_per_second=1000, max_retries=0))
    try:
        budi = fake.add_profile("budi.bsky.social", display_name="Budi Santoso")
        a = fake.add_post(budi, "Ayo coblos 02!")
        b = fake.add_post(budi, "Menangkan 02!")
        fake.delete_post(b["uri"])
        src = BlueskySource("bsky", BlueskyOptions(base_url=fake.base_url, actors=["budi.bsky.social"]), http=http)
        share = repost_id(budi["did"], a["uri"])
        found = await src.recheck([a["uri"], b["uri"], share])
        assert set(found) == {a["uri"], b["uri"]}  # a repost id is not checked
        assert found[b["uri"]] is None
        assert found[a["uri"]].text == "Ayo coblos 02!"
        assert fake.paths("/xrpc/app.bsky.feed.getPosts")
    finally:
        await http.aclose()
        await server.close()
