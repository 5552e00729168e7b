"""SSRF guard of media capture: media URLs from platform payloads must not reach loopback, private,
link-local (cloud metadata) addresses or non-http(s) schemes, before the request or at a redirect,
unless ``[evidence] allow_private_media`` is on. Local aiohttp servers prove no request arrived."""

import re
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.cli.roster import import_roster
from monitor.collect.http import FetchError, HttpOptions
from monitor.config import load_config
from monitor.evidence.media import MediaHttpClient
from monitor.evidence.url_guard import RefusedURL, check_url
from monitor.i18n import t
from monitor.service import evidence_jobs
from monitor.service.runtime import Service
from monitor.store.evidence import MAX_MEDIA_ATTEMPTS
from tests.fakes.mastodon_server import FakeMastodon, start_fake_mastodon

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
JPEG = b"\xff\xd8\xff\xe0" + b"foto-bukti" * 50


def config(tmp_path, base_url, allow_private: bool | None):
    evidence = "" if allow_private is None else f"[evidence]\nallow_private_media = {str(allow_private).lower()}\n"
    p = tmp_path / "config.toml"
    p.write_text(f"""
[store]
path = "s.duckdb"
[rules]
paths = ["{REPO / 'rules'}"]
{evidence}[office]
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


async def _capture(tmp_path, allow_private):
    """A partisan post with a picture on the local fake (127.0.0.1) plus links to 10.x and the cloud
    metadata address; collect, run the media job twice; ``(media rows by url, fake)``."""
    fake, server = await start_fake_mastodon(FakeMastodon(domain="kota.social"))
    try:
        budi = fake.add_account("budi", display_name="Budi Santoso")
        st = fake.add_status(budi, "Ayo coblos 02 Prabowo-Gibran!", tags=["pemilu2024"])
        fake.add_media(st, "foto.jpg", JPEG, "image/jpeg")
        fake.add_media(st, "intra.jpg", JPEG, "image/jpeg", base_url="http://10.1.2.3")
        fake.add_media(st, "meta.jpg", JPEG, "image/jpeg", base_url="http://169.254.169.254/latest")
        svc = Service(config(tmp_path, fake.base_url, allow_private))
        with svc.lock:
            import_roster(svc.app.store, DATA / "roster_small.csv", skip_invalid=False, actor="test",
                          lang_t=lambda k, **kw: t(k, "en", **kw))
        await svc.run_source("masto")
        assert svc.status["masto"].last_result["hits"] == 1
        await evidence_jobs.media_job(svc)
        await evidence_jobs.media_job(svc)
        with svc.lock:
            rows = {m["url"].rsplit("/", 1)[1]: m for m in svc.app.store.media_of("mastodon", st["id"])}
            settled = svc.app.store.con.execute("SELECT count(*) FROM media_scans").fetchone()[0]
        await svc.stop()
        return rows, fake, settled
    finally:
        await server.close()


async def test_private_media_urls_are_refused_and_never_requested(tmp_path):
    rows, fake, settled = await _capture(tmp_path, None)  # default: off
    assert fake.paths("/media/") == []  # nothing reached the local server
    assert set(rows) == {"foto.jpg", "intra.jpg", "meta.jpg"}
    for r in rows.values():
        assert r["status"] == "failed" and r["file"] is None
        assert r["attempts"] == MAX_MEDIA_ATTEMPTS  # given up at once: not retried on the next run
    assert "loopback address (127.0.0.1)" in rows["foto.jpg"]["error"]
    assert "private address (10.1.2.3)" in rows["intra.jpg"]["error"]
    assert "link-local address (169.254.169.254)" in rows["meta.jpg"]["error"]
    assert settled == 1  # the post's media are settled after the first run


async def test_private_media_allowed_when_configured(tmp_path):
    rows, fake, _ = await _capture(tmp_path, True)
    assert rows["foto.jpg"]["status"] == "captured" and fake.paths("/media/") == ["/media/foto.jpg"]
    # the unreachable 10.x / metadata addresses fail as ordinary download errors (retried later)
    assert rows["intra.jpg"]["status"] == "failed" and "refused" not in rows["intra.jpg"]["error"]


@pytest.mark.parametrize("url,reason", [
    ("file:///etc/passwd", "scheme 'file' is not http(s)"),
    ("ftp://example.org/a.png", "scheme 'ftp' is not http(s)"),
    ("http://127.0.0.1:9/a.png", "loopback"),
    ("http://localhost/a.png", "loopback"),
    ("http://10.0.0.5/a.png", "private"),
    ("http://192.168.1.1/a.png", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]/a.png", "loopback"),
    ("http://[fd00::1]/a.png", "private"),
    ("http://[fe80::1]/a.png", "link-local"),
    ("http://[::ffff:10.0.0.1]/a.png", "private"),
    ("http://0.0.0.0/a.png", "unspecified"),
    ("http://224.0.0.1/a.png", "multicast"),
    ("http://240.0.0.1/a.png", "reserved"),
    ("http://100.64.0.1/a.png", "non-public"),
])
async def test_check_url_refuses(url, reason):
    with pytest.raises(RefusedURL, match=re.escape(reason)):
        await check_url(url)


async def test_check_url_allow_private_still_checks_the_scheme():
    await check_url("http://127.0.0.1/a.png", allow_private=True)
    await check_url("http://8.8.8.8/a.png")  # a public literal address passes without any lookup
    with pytest.raises(RefusedURL, match="scheme 'file'"):
        await check_url("file:///etc/passwd", allow_private=True)


async def test_redirect_to_a_private_address_is_not_followed():
    hits: list[str] = []

    async def handler(request):
        hits.append(request.path)
        if request.path == "/public.png":
            raise web.HTTPFound(f"http://127.0.0.1:{request.url.port}/secret")
        return web.Response(body=JPEG, content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/{name}", handler)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        base = str(server.make_url("")).rstrip("/")
        # the first hop is requested directly (capture_media checks it before); the redirect target
        # is checked by the client's redirect hook and never requested
        async with MediaHttpClient(HttpOptions(max_retries=2, requests_per_second=1000)) as http:
            with pytest.raises(FetchError, match="refused: host 127.0.0.1 resolves to a loopback") as ei:
                await http.get_bytes(f"{base}/public.png")
        assert ei.value.reason.startswith("RefusedURL:") and ei.value.attempts == 1
        assert hits == ["/public.png"]
        async with MediaHttpClient(HttpOptions(requests_per_second=1000), allow_private=True) as http:
            resp = await http.get_bytes(f"{base}/public.png")
        assert resp.data == JPEG and hits[-1] == "/secret"
        # a host name is checked again when the connection is made (DNS rebinding after the check)
        async with MediaHttpClient(HttpOptions(max_retries=0, requests_per_second=1000)) as http:
            with pytest.raises(FetchError, match="refused: host localhost resolves to a loopback"):
                await http.get_bytes(f"http://localhost:{server.port}/direct.png")
        assert "/direct.png" not in hits
    finally:
        await server.close()
