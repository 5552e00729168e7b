"""The service API: its OpenAPI description, request size limits, the bearer token check, and a
schema-driven fuzzer (schemathesis) against the real service on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.service.http import make_app
from monitor.service.runtime import Service
from monitor.sources.webhook import token_matches
from tests.fakes.threaded import serve_in_thread

REPO = Path(__file__).resolve().parents[1]
TOKEN = "intake-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_BODY = 20_000
GOOD = {"platform": "x", "post_id": "1", "created_at": "2024-01-21T10:00:00+07:00",
        "author": {"handle": "budi_s"}, "text": "Ayo coblos 02!"}


def _config(d: Path) -> Path:
    p = d / "config.toml"
    p.write_text(f"""
[store]
path = "api.duckdb"
[rules]
paths = ["{REPO / 'rules'}"]
[office]
timezone = "Asia/Pontianak"
[service]
max_body_bytes = {MAX_BODY}
[sources.scraper]
type = "webhook"
token_env = "API_TEST_TOKEN"
max_items = 20
""", encoding="utf-8")
    return p


@pytest.fixture
async def api(tmp_path, aiohttp_client, monkeypatch):
    monkeypatch.setenv("API_TEST_TOKEN", TOKEN)
    svc = Service(load_config(_config(tmp_path)))
    client = await aiohttp_client(make_app(svc))
    client.svc = svc
    yield client
    await svc.stop()


async def test_openapi_description_matches_the_intake(api):
    r = await api.get("/api/v1/openapi.json")
    assert r.status == 200
    spec = await r.json()
    assert spec["openapi"].startswith("3.1")
    op = spec["paths"]["/api/v1/posts"]["post"]
    assert op["security"] == [{"bearer": []}]
    assert {"200", "207", "400", "401", "413", "422"} <= set(op["responses"])
    post = spec["components"]["schemas"]["Post"]
    assert "raw" not in post["properties"] and set(post["required"]) >= {"platform", "post_id", "created_at", "author"}
    body = op["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert body[1]["maxItems"] == 20  # the configured max_items
    assert str(MAX_BODY) in spec["info"]["description"]
    # every $ref resolves inside the document
    text = json.dumps(spec)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in spec["components"]["schemas"]


async def test_request_bodies_are_limited(api):
    big = json.dumps([GOOD] * 400).encode()
    assert len(big) > MAX_BODY
    r = await api.post("/api/v1/posts", data=big, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status == 413
    assert (await r.json())["error"] == "too_large"

    async def chunks():  # no Content-Length: the limit holds while reading
        for _ in range(30):
            yield b" " * 1000

    r = await api.post("/api/v1/posts", data=chunks(), headers={**AUTH, "Content-Type": "application/json"})
    assert r.status == 413
    assert (await r.json())["error"] == "too_large"
    assert await api.svc.db(lambda s: s.con.execute("SELECT count(*) FROM posts").fetchone()[0]) == 0
    # just under the limit is fine; too many items is a 400 naming the limit
    r = await api.post("/api/v1/posts", json=[GOOD], headers=AUTH)
    assert r.status == 200
    r = await api.post("/api/v1/posts", json=[{**GOOD, "post_id": str(i)} for i in range(21)], headers=AUTH)
    assert r.status == 400 and "limit is 20" in (await r.json())["message"]


def test_token_check():
    assert token_matches(f"Bearer {TOKEN}", TOKEN)
    assert token_matches(f"Bearer  {TOKEN} ", TOKEN)
    for header in (None, "", TOKEN, f"bearer {TOKEN}", f"Basic {TOKEN}", f"Bearer {TOKEN[:-1]}",
                   f"Bearer {TOKEN}x", "Bearer ", f"Bearer {TOKEN.upper()}", "Bearer \udcff"):
        assert not token_matches(header, TOKEN), header
    assert not token_matches("Bearer ", "")  # an empty configured token never matches


async def test_unauthorised_requests_never_store_anything(api):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        r = await api.post("/api/v1/posts", json=GOOD, headers=headers)
        assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert await api.svc.db(lambda s: s.con.execute("SELECT count(*) FROM posts").fetchone()[0]) == 0


# ------------------------------------------------------------------------------- schemathesis
schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import negative_data_rejection  # noqa: E402

FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much])


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_fuzzed_from_its_openapi_description(tmp_path, monkeypatch, mode):
    """Every operation of the description, driven by schemathesis against the real service on loopback:
    no 5xx, statuses, content types and bodies as described, schema-valid posts accepted, auth
    enforced (schemathesis' default checks; see below for the one left out)."""
    monkeypatch.setenv("API_TEST_TOKEN", TOKEN)
    svc = Service(load_config(_config(tmp_path)))
    calls = 0
    try:
        with serve_in_thread(make_app(svc)) as url:
            api_schema = schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json")
            operations = [result.ok() for result in api_schema.get_all_operations()]
            assert {op.label for op in operations} >= {"POST /api/v1/posts", "GET /healthz"}
            for op in operations:
                if mode == GenerationMode.NEGATIVE and not op.label.startswith("POST"):
                    continue  # nothing to make invalid in a GET without parameters
                @FUZZ
                @given(op.as_strategy(generation_mode=mode))
                def run(case):
                    nonlocal calls
                    calls += 1
                    # invalid items in a batch are quarantined one by one and the rest lands (207, as
                    # described), so "invalid data must get a 4xx" does not apply to a batch
                    case.call_and_validate(base_url=url, headers=AUTH, excluded_checks=[negative_data_rejection])

                run()
    finally:
        svc.app.close()
    assert calls >= 30
