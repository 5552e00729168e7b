"""The service in-process: /healthz, source status, webhook intake, scheduled runs."""

import asyncio
import json
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.service.http import make_app
from monitor.service.runtime import Service
from monitor.sources.webhook import token_matches
from tests.helpers import post_line

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


def config(tmp_path, extra=""):
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    p = tmp_path / "config.toml"
    p.write_text(f"""
[store]
path = "svc.duckdb"
[rules]
paths = ["{REPO / 'rules'}"]
[office]
timezone = "Asia/Pontianak"
[service]
rules_check_s = 1
max_body_bytes = 20000
[sources.inbox]
type = "jsonl"
path = "inbox"
interval_s = 1
[sources.scraper]
type = "webhook"
token_env = "TEST_WEBHOOK_TOKEN"
max_items = 50
{extra}
""", encoding="utf-8")
    return load_config(p)


@pytest.fixture
async def client(tmp_path, aiohttp_client, monkeypatch):
    monkeypatch.setenv("TEST_WEBHOOK_TOKEN", "rahasia-123")
    svc = Service(config(tmp_path))
    from monitor.cli.roster import import_roster
    from monitor.i18n import t
    import_roster(svc.app.store, DATA / "roster_small.csv", skip_invalid=False, actor="t", lang_t=lambda k, **kw: t(k, "en", **kw))
    c = await aiohttp_client(make_app(svc))
    c.svc = svc
    yield c
    await svc.stop()


AUTH = {"Authorization": "Bearer rahasia-123"}


async def test_webhook_needs_the_token(client):
    r = await client.post("/api/v1/posts", data=post_line("1", "halo"))
    assert r.status == 401
    r = await client.post("/api/v1/posts", data=post_line("1", "halo"), headers={"Authorization": "Bearer salah"})
    assert r.status == 401


async def test_webhook_accepts_valid_items_and_rejects_bad_ones_item_by_item(client):
    bad = json.loads(post_line("2", "x"))
    del bad["created_at"]
    body = json.dumps([json.loads(post_line("1", "Coblos 02! #PrabowoGibran", handle="budi_s")), bad, "teks"])
    r = await client.post("/api/v1/posts", data=body, headers=AUTH)
    assert r.status == 207
    out = await r.json()
    assert out["accepted"] == 1 and out["rejected"] == 2 and out["hits"] == 1
    assert out["items"][1]["status"] == "rejected" and "created_at" in out["items"][1]["reason"]
    assert out["items"][2]["reason"] == "an item must be a JSON object"
    store = client.svc.app.store
    assert store.count("posts") == 1
    assert [q["reason"][:6] for q in store.quarantined()] == ["item 1", "item 2"]
    # the same post again: idempotent
    r2 = await client.post("/api/v1/posts", data=json.dumps({"posts": [json.loads(post_line("1", "Coblos 02! #PrabowoGibran", handle="budi_s"))]}), headers=AUTH)
    assert r2.status == 200 and (await r2.json())["duplicate"] == 1


async def test_webhook_body_errors(client):
    assert (await client.post("/api/v1/posts", data=b"{nope", headers=AUTH)).status == 400
    too_many = json.dumps([json.loads(post_line(str(i), "x")) for i in range(51)])
    r = await client.post("/api/v1/posts", data=too_many, headers=AUTH)
    assert r.status in (400, 413)
    big = b"[" + b" " * 30000 + b"]"
    assert (await client.post("/api/v1/posts", data=big, headers=AUTH)).status == 413
    all_bad = await client.post("/api/v1/posts", data=json.dumps([1, 2]), headers=AUTH)
    assert all_bad.status == 422


async def test_health_and_scheduled_runs(client, tmp_path):
    (tmp_path / "inbox" / "a.jsonl").write_text(
        "".join(post_line(str(i), f"teks {i}") + "\n" for i in range(5)), encoding="utf-8")
    svc = client.svc
    svc.start()
    for _ in range(100):
        if svc.status["inbox"].runs >= 1:
            break
        await asyncio.sleep(0.05)
    with (tmp_path / "inbox" / "b.jsonl").open("w", encoding="utf-8") as fh:
        fh.write(post_line("9", "baru") + "\n")
    for _ in range(100):
        if svc.status["inbox"].runs >= 2 and svc.status["inbox"].posts_collected == 6:
            break
        await asyncio.sleep(0.05)
    r = await client.get("/healthz")
    assert r.status == 200
    h = await r.json()
    st = h["sources"]["inbox"]
    assert st["runs"] >= 2 and st["posts_collected"] == 6 and st["last_error"] is None
    assert st["next_run"] and st["schedule"] == "every 1s"
    assert h["webhooks"] == ["scraper"] and h["rules_version"]
    assert (await (await client.get("/api/v1/sources")).json())["inbox"]["runs"] >= 2


async def test_invalid_rule_edit_shows_on_healthz_and_old_rules_keep_running(tmp_path, aiohttp_client, monkeypatch):
    import shutil
    monkeypatch.setenv("TEST_WEBHOOK_TOKEN", "t")
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    cfg = config(tmp_path)
    cfg.rules.paths = [rules]
    svc = Service(cfg)
    c = await aiohttp_client(make_app(svc))
    v0 = svc.app.rules.current.version
    (rules / "rusak.yaml").write_text("rules: [\n", encoding="utf-8")
    svc.refresh_rules()
    h = await (await c.get("/healthz")).json()
    assert h["rules_version"] == v0 and "rusak.yaml" in h["rules_error"][0]
    await svc.stop()


def test_token_comparison():
    assert token_matches("Bearer abc", "abc")
    assert not token_matches("Bearer abd", "abc")
    assert not token_matches("Basic abc", "abc")
    assert not token_matches(None, "abc")


async def test_retention_job_is_scheduled_only_when_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_WEBHOOK_TOKEN", "t")
    svc = Service(config(tmp_path))
    svc.start()
    assert svc.scheduler.get_job("retention") is None
    await svc.stop()
    svc2 = Service(config(tmp_path / "b" if (tmp_path / "b").mkdir() is None else tmp_path,
                          extra="[retention]\nunmatched_posts_days = 30\nrun_at = \"02:15\""))
    svc2.start()
    job = svc2.scheduler.get_job("retention")
    assert job is not None and job.next_run_time.hour == 2 and job.next_run_time.minute == 15
    assert svc2.retention() == {"posts": 0, "revisions": 0, "quarantine": 0}
    await svc2.stop()


async def test_alert_jobs_are_scheduled_when_alerts_are_enabled(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_WEBHOOK_TOKEN", "t")
    svc = Service(config(tmp_path, extra='[alerts]\nenabled = true\ndigest_at = "07:45"\nquiet_hours = ""'))
    svc.start()
    assert svc.scheduler.get_job("alerts") is not None
    digest = svc.scheduler.get_job("alerts:digest")
    assert digest.next_run_time.hour == 7 and digest.next_run_time.minute == 45
    await svc.alerts_async()  # one pass over an empty queue works
    await svc.stop()
    # the retention job runs next to the alert jobs without touching the schedule
    svc2 = Service(config(tmp_path, extra='[alerts]\nenabled = true\nquiet_hours = ""\n'
                                          '[retention]\nquarantine_days = 5'))
    svc2.start()
    jobs = sorted(j.id for j in svc2.scheduler.get_jobs())
    assert svc2.retention() == {"posts": 0, "revisions": 0, "quarantine": 0}
    assert svc2.retention()["quarantine"] == 0
    assert sorted(j.id for j in svc2.scheduler.get_jobs()) == jobs
    await svc2.stop()
