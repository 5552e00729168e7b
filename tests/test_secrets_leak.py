"""Configured secrets (source tokens, the webhook intake token, alert channel tokens) never appear in
logs, HTTP responses (pages, error pages, JSON, exports) or the audit log.

A hostile local server answers every request with an error that echoes the request path and its
Authorization header back, so a component that copies a remote error verbatim would leak the token.
The test drives the real service through the webhook intake, a Mastodon source run, the alert
dispatcher (Telegram) and the web pages, capturing every log record as the JSON formatter writes it.
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from aiohttp import web

from monitor.alerting.setup import make_dispatcher
from monitor.cli.roster import import_roster
from monitor.config import load_config
from monitor.context import AppContext
from monitor.i18n import t
from monitor.logs import JsonFormatter
from monitor.service.http import make_app
from monitor.service.runtime import Service
from monitor.web.app import setup_web
from monitor.web.auth import hash_password
from tests.webutil import PASSWORD, REPO, csrf_of, login

SECRETS = {
    "MON_SEC_HOOK": "hook-S3CRET-7f1c2a9e4b",
    "MON_SEC_MASTO": "masto-S3CRET-0d9e8c7b6a",
    "MON_SEC_BOT": "123456:bot-S3CRET-5e4d3c2b1a",
}
ROSTER = """nip,nama,jabatan,unit_kerja,instansi,atasan_nip,akun,email,telegram
197001012000011001,Hendra Wijaya,Kepala Dinas,Dinas,Pemkot,,,,111
198501012010011002,Budi Santoso,Guru,SDN 1,Pemkot,197001012000011001,x:@budi_s,,
"""


async def _hostile(request: web.Request) -> web.Response:
    echo = f"path={request.path_qs} auth={request.headers.get('Authorization')}"
    if "/bot" in request.path:  # Telegram-shaped error
        return web.json_response({"ok": False, "error_code": 500, "description": echo}, status=500)
    return web.Response(status=401, text=echo)


@pytest.fixture
def secret_env(monkeypatch):
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)


@pytest.fixture
async def hostile(aiohttp_server):
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", _hostile)
    return await aiohttp_server(app, access_log=None)  # its own access log is not ours to check


@pytest.fixture
def log_lines():
    """Every record any logger emits, formatted as production writes it (JSON lines)."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield buf
    root.removeHandler(handler)
    root.setLevel(old_level)


def _config(d, server_url: str) -> None:
    (d / "config.toml").write_text(f"""
[store]
path = "web.duckdb"
[rules]
paths = ["{REPO / 'rules'}"]
[office]
name = "Bawaslu Kota Pontianak"
timezone = "Asia/Pontianak"
language = "id"
[sources.hook]
type = "webhook"
token_env = "MON_SEC_HOOK"
[sources.masto]
type = "mastodon"
base_url = "{server_url}"
hashtags = ["pemilu"]
token_env = "MON_SEC_MASTO"
http = {{max_retries = 0, timeout_s = 5}}
[alerts]
enabled = true
quiet_hours = ""
base_url = "http://127.0.0.1:8080"
[alerts.channels.tg]
type = "telegram"
base_url = "{server_url}"
token_env = "MON_SEC_BOT"
""", encoding="utf-8")


async def test_secrets_never_leak(tmp_path, secret_env, hostile, log_lines, aiohttp_client):
    _config(tmp_path, str(hostile.make_url("")).rstrip("/"))
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    cfg = load_config(tmp_path / "config.toml")
    with AppContext(cfg) as app:
        ok, lines = import_roster(app.store, tmp_path / "roster.csv", skip_invalid=False, actor="test",
                                  lang_t=lambda k, **kw: t(k, "en", **kw))
        assert ok, lines
        app.store.add_user("admin1", "admin", hash_password(PASSWORD))
    svc = Service(cfg)
    client = await aiohttp_client(make_app(svc, (setup_web,)))
    bodies: list[str] = []

    async def keep(resp) -> str:
        text = (await resp.read()).decode("utf-8", "replace")
        bodies.append(json.dumps(dict(resp.headers)) + text)
        return text

    try:
        hook = SECRETS["MON_SEC_HOOK"]
        post = {"platform": "x", "post_id": "77", "url": "https://x.com/budi_s/status/77", "kind": "post",
                "created_at": "2024-01-21T10:00:00+07:00", "author": {"id": "9", "handle": "budi_s", "name": "Budi"},
                "text": "Ayo coblos 02 Prabowo-Gibran!"}
        # the intake: right token, wrong tokens (a near miss, the token of another secret), bad bodies
        r = await client.post("/api/v1/posts", json=post, headers={"Authorization": f"Bearer {hook}"})
        await keep(r)
        assert r.status == 200
        for auth in (f"Bearer {hook}x", f"Bearer {SECRETS['MON_SEC_MASTO']}", hook, f"Basic {hook}"):
            r = await client.post("/api/v1/posts", json=post, headers={"Authorization": auth})
            await keep(r)
            assert r.status == 401
        r = await client.post("/api/v1/posts", data=b"{not json", headers={"Authorization": f"Bearer {hook}"})
        await keep(r)
        assert r.status == 400
        # a source run against the hostile server (it echoes the bearer token in its 401 body)
        await svc.run_source("masto")
        assert svc.status["masto"].last_error
        # a confirmed hit, an alert, and a Telegram delivery that fails with the token echoed back
        hit_id = (await svc.db(lambda s: s.con.execute("SELECT hit_id FROM hits").fetchone()))[0]
        await login(client, "admin1")
        token = await csrf_of(client, f"/hits/{hit_id}")
        r = await client.post(f"/hits/{hit_id}/review", data={"csrf": token, "action": "confirm"},
                              allow_redirects=False)
        assert r.status == 302
        dispatcher = make_dispatcher(svc.config, svc.db)
        try:
            res = await dispatcher.run()
        finally:
            for ch in dispatcher.channels.values():
                await ch.aclose()
        assert res["retry"] + res["failed"] >= 1, res
        # every page, JSON endpoint, error page and export an operator might look at
        for path in ("/healthz", "/api/v1/sources", "/alerts", f"/hits/{hit_id}", "/?date=2024-01-21",
                     "/export.csv?date=2024-01-21", "/export.xlsx?date=2024-01-21", f"/hits/{hit_id}/print",
                     "/rules", "/no-such-page", "/hits/H000000000000", "/dashboard"):
            await keep(await client.get(path))
        r = await client.post("/lang", data={"lang": "en"})  # CSRF error page
        await keep(r)
        audit = await svc.db(lambda s: s.con.execute("SELECT * FROM audit_log").fetchall())
        deliveries = await svc.db(lambda s: s.deliveries())
        sources_state = json.dumps({n: s.as_json() for n, s in svc.status.items()}, default=str)
    finally:
        await svc.stop()
    logs = log_lines.getvalue()
    assert "webhook intake" in logs and "alert delivery failed" in logs  # the logs were captured
    assert any("Telegram" in (d["last_error"] or "") for d in deliveries)  # the failure was recorded
    haystacks = {"logs": logs, "responses": "\n".join(bodies), "audit": repr(audit),
                 "deliveries": repr(deliveries), "source status": sources_state}
    for where, text in haystacks.items():
        for var, secret in SECRETS.items():
            assert secret not in text, f"{var} leaked into {where}"
            assert secret.split("-S3CRET-")[1] not in text, f"part of {var} leaked into {where}"
