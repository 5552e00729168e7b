"""Rules administration: list with hit counts, validated editing with a backtest, history, rollback."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.pipeline.backtest import check_candidate, post_from_row, window
from monitor.service.http import make_app
from monitor.service.runtime import Service
from monitor.web.app import setup_web
from tests.webutil import REPO, csrf_of, demo_template, login, write_config  # noqa: F401

PARTAI = "pemilu2024-partai.yaml"
PASLON = "pemilu2024-paslon.yaml"
EXCL = "pengecualian.yaml"


@pytest.fixture
async def rules_client(demo_template, tmp_path, aiohttp_client):
    """A client on a private database copy whose rule folder is a private copy of rules/."""
    src, facts = demo_template
    shutil.copy(src / "web.duckdb", tmp_path / "web.duckdb")
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    write_config(tmp_path, rules=tmp_path / "rules")
    svc = Service(load_config(tmp_path / "config.toml"))
    client = await aiohttp_client(make_app(svc, (setup_web,)))
    client.svc = svc
    client.rules_dir = tmp_path / "rules"
    yield client
    await svc.stop()


def disable(text: str, rule_id: str) -> str:
    head = f"  - id: {rule_id}\n"
    assert head in text
    return text.replace(head, head + "    enabled: false\n", 1)


async def post_save(client, rel: str, content: str, action: str, **extra):
    token = await csrf_of(client, "/rules")
    data = {"csrf": token, "path": rel, "content": content, "message": extra.pop("message", ""), "action": action,
            **extra}
    return await client.post("/rules/file/save", data=data, allow_redirects=False)


def version_rows(client, rel):
    return client.svc.app.store.rule_versions(rel)


# -- list ---------------------------------------------------------------------------------------
async def test_list_shows_rules_with_hit_counts_and_version(rules_client):
    await login(rules_client, "admin1")
    r = await rules_client.get("/rules")
    assert r.status == 200
    html = await r.text()
    svc = rules_client.svc
    assert svc.app.rules.current.version in html
    counts = svc.app.store.rule_hit_counts()
    assert counts["paslon.sebut"] > 0
    for rule_id in ("paslon.sebut", "kecuali.netralitas"):
        m = re.search(rf'data-rule-id="{re.escape(rule_id)}".*?data-hits="(\d+)"', html, re.S)
        assert m and int(m.group(1)) == counts.get(rule_id, 0)
    assert f"/rules/file?path={PARTAI}" in html


def test_hit_counts_count_each_hit_once_per_rule(tmp_path):
    from monitor.store import Store

    with Store(tmp_path / "x.duckdb") as s:
        for hid, rules in (("a", '[{"rule_id":"x"},{"rule_id":"y"}]'), ("b", '[{"rule_id":"x"},{"rule_id":"x"}]')):
            s.con.execute(
                "INSERT INTO hits (hit_id, platform, post_id, post_created_at, detected_at, candidates, "
                "identity_method, ambiguous, behaviour, score, identity_score, content_score, rules, terms, "
                "targets, steps, explanation, ruleset_version) VALUES (?, 'x', ?, now(), now(), '[]', 'm', false, "
                "'b', 0.9, 1, 0.9, ?, '[]', '[]', '[]', '', 'v')", [hid, hid, rules])
        assert s.rule_hit_counts() == {"x": 2, "y": 1}


# -- roles --------------------------------------------------------------------------------------
async def test_pengawas_views_read_only_and_cannot_save(rules_client):
    await login(rules_client, "pengawas1")
    assert (await rules_client.get("/rules")).status == 200
    r = await rules_client.get(f"/rules/file?path={PARTAI}")
    html = await r.text()
    assert r.status == 200 and "<pre" in html and "<textarea" not in html and "/rules/file/save" not in html
    assert (await rules_client.get(f"/rules/history?path={PARTAI}")).status == 200
    before = (rules_client.rules_dir / PARTAI).read_text(encoding="utf-8")
    r = await post_save(rules_client, PARTAI, "pack: {}\n", "save")
    assert r.status == 403
    token = await csrf_of(rules_client, "/rules")
    r = await rules_client.post("/rules/rollback", data={"csrf": token, "path": PARTAI, "version": "1"})
    assert r.status == 403
    assert (rules_client.rules_dir / PARTAI).read_text(encoding="utf-8") == before


async def test_atasan_is_refused(rules_client):
    await login(rules_client, "atasan1")
    for path in ("/rules", f"/rules/file?path={PARTAI}", f"/rules/history?path={PARTAI}"):
        assert (await rules_client.get(path)).status == 403


async def test_path_traversal_and_unknown_files_are_refused(rules_client):
    await login(rules_client, "admin1")
    (rules_client.rules_dir / "examples").mkdir(exist_ok=True)
    (rules_client.rules_dir / "examples" / "x.yaml").write_text("pack: {}\n", encoding="utf-8")
    for rel in ("../config.toml", "..%2Fconfig.toml", "/etc/passwd", "README.md", "examples/x.yaml", "nope.yaml",
                f"../rules/{PARTAI}/../../config.toml"):
        assert (await rules_client.get(f"/rules/file?path={rel}")).status == 404, rel
    config_before = (rules_client.rules_dir.parent / "config.toml").read_text()
    r = await post_save(rules_client, "../config.toml", "x = 1\n", "save")
    assert r.status == 404
    assert (rules_client.rules_dir.parent / "config.toml").read_text() == config_before


async def test_post_without_csrf_is_refused(rules_client):
    await login(rules_client, "admin1")
    path = rules_client.rules_dir / PARTAI
    before = path.read_text(encoding="utf-8")
    r = await rules_client.post("/rules/file/save", data={"path": PARTAI, "content": disable(before, "partai.sebut"),
                                                          "action": "save"})
    assert r.status == 403
    assert path.read_text(encoding="utf-8") == before


# -- validation ---------------------------------------------------------------------------------
def _weight_two(text: str) -> tuple[str, int]:
    lines = text.splitlines(keepends=True)
    i = next(i for i, line in enumerate(lines) if line.strip().startswith("weight:"))
    lines[i] = "    weight: 2\n"
    return "".join(lines), i + 1


def _bad_example(text: str) -> tuple[str, int]:
    lines = text.splitlines(keepends=True)
    i = next(i for i, line in enumerate(lines) if line.strip() == "match:" or line.strip().startswith("match: ["))
    if lines[i].strip() == "match:":
        lines.insert(i + 1, lines[i].split("match")[0] + "  - cuaca cerah hari ini di pontianak\n")
        return "".join(lines), i + 2
    lines[i] = lines[i].replace("match: [", 'match: ["cuaca cerah hari ini di pontianak", ', 1)
    return "".join(lines), i + 1


@pytest.mark.parametrize("breaker", [_weight_two, _bad_example])
async def test_invalid_file_is_refused_with_line_number(rules_client, breaker):
    await login(rules_client, "admin1")
    path = rules_client.rules_dir / PARTAI
    before = path.read_text(encoding="utf-8")
    version = rules_client.svc.app.rules.current.version
    bad, line = breaker(before)
    for action in ("save", "backtest"):
        r = await post_save(rules_client, PARTAI, bad, action)
        html = await r.text()
        assert r.status == 422
        assert f"{PARTAI}:{line}:" in html  # the real relative path, not the temp copy
        assert "rules-candidate-" not in html
        assert "cuaca cerah" in html or "weight: 2" in html  # the submitted content is kept in the editor
    assert path.read_text(encoding="utf-8") == before
    assert rules_client.svc.app.rules.current.version == version
    assert version_rows(rules_client, PARTAI) == []


def test_check_candidate_reports_duplicate_ids_across_files(tmp_path):
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    text = (tmp_path / "rules" / PARTAI).read_text(encoding="utf-8")
    dup = text.replace("  - id: partai.sebut\n", "  - id: kecuali.netralitas\n", 1)
    errors = check_candidate([tmp_path / "rules"], tmp_path / "rules", PARTAI, dup)
    dup_err = next(e for e in errors if "duplicate rule id" in e.message)
    assert dup_err.file == EXCL and f"first defined at {PARTAI}:" in dup_err.message  # real names, no temp path
    assert (tmp_path / "rules" / PARTAI).read_text(encoding="utf-8") == text  # the real file is untouched


# -- backtest, save, history, rollback ----------------------------------------------------------
def stronger_names(text: str) -> str:
    """paslon.sebut (naming a ticket, weight 0.3) made strong: some name mentions become hits."""
    i = text.index("  - id: paslon.sebut\n")
    j = text.index("weight: 0.3", i)
    return text[:j] + "weight: 0.9" + text[j + len("weight: 0.3"):]


async def test_backtest_lists_gained_and_lost_posts_without_saving(rules_client):
    await login(rules_client, "admin1")
    path = rules_client.rules_dir / PASLON
    before = path.read_text(encoding="utf-8")
    version = rules_client.svc.app.rules.current.version
    candidate = disable(stronger_names(before), "paslon01.ajakan")
    r = await post_save(rules_client, PASLON, candidate, "backtest", days="7")
    html = await r.text()
    assert r.status == 200
    gained = int(re.search(r'class="backtest-gained">[^(]*\((\d+)\)', html).group(1))
    lost = int(re.search(r'class="backtest-lost">[^(]*\((\d+)\)', html).group(1))
    assert gained > 0 and lost > 0
    assert "600 unggahan" in html  # the demo posts of the 7 days before the newest stored post (January 2024)
    assert path.read_text(encoding="utf-8") == before
    assert rules_client.svc.app.rules.current.version == version
    assert version_rows(rules_client, PASLON) == []


async def test_save_history_and_rollback(rules_client):
    await login(rules_client, "admin1")
    svc = rules_client.svc
    path = rules_client.rules_dir / EXCL
    original = path.read_text(encoding="utf-8")
    version_before = svc.app.rules.current.version
    edited = disable(original, "kecuali.netralitas")

    r = await post_save(rules_client, EXCL, edited.replace("\n", "\r\n"), "save", message="uji <b>coba</b>")
    assert r.status == 303
    assert path.read_text(encoding="utf-8") == edited  # textarea CRLF normalised
    assert svc.app.rules.current.version != version_before
    assert not svc.app.rules.current.get("kecuali.netralitas").rule.enabled
    versions = version_rows(rules_client, EXCL)
    assert [(v["author"], v["content"]) for v in versions] == [("disk", original), ("admin1", edited)]
    assert versions[1]["message"] == "uji <b>coba</b>"
    page = await (await rules_client.get(r.headers["Location"])).text()
    assert svc.app.rules.current.version in page and f"#{versions[1]['id']}" in page
    audit = svc.app.store.audit_entries(EXCL)
    assert audit[-1]["actor"] == "admin1" and audit[-1]["action"] == "rules.save"

    html = await (await rules_client.get(f"/rules/history?path={EXCL}")).text()
    assert 'class="diff-add">+    enabled: false</span>' in html
    assert "uji &lt;b&gt;coba&lt;/b&gt;" in html  # escaped

    token = await csrf_of(rules_client, "/rules")
    r = await rules_client.post("/rules/rollback", data={"csrf": token, "path": EXCL, "version": str(versions[0]["id"])},
                                allow_redirects=False)
    assert r.status == 303
    assert path.read_text(encoding="utf-8") == original
    assert svc.app.rules.current.version == version_before
    versions = version_rows(rules_client, EXCL)
    assert len(versions) == 3 and versions[-1]["message"] == f"rollback to #{versions[0]['id']}"
    assert versions[-1]["author"] == "admin1"
    assert svc.app.store.audit_entries(EXCL)[-1]["action"] == "rules.rollback"


async def test_rollback_of_another_files_version_is_refused(rules_client):
    await login(rules_client, "admin1")
    before = (rules_client.rules_dir / EXCL).read_text(encoding="utf-8")
    r = await post_save(rules_client, EXCL, disable(before, "kecuali.netralitas"), "save")
    assert r.status == 303
    vid = version_rows(rules_client, EXCL)[0]["id"]
    token = await csrf_of(rules_client, "/rules")
    r = await rules_client.post("/rules/rollback", data={"csrf": token, "path": PARTAI, "version": str(vid)})
    assert r.status == 404


# -- helpers ------------------------------------------------------------------------------------
def test_window_uses_latest_post_when_older_than_now():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    latest = datetime(2024, 1, 21, 12, tzinfo=timezone.utc)
    since, until = window(7, latest, now)
    assert until == latest and since == datetime(2024, 1, 14, 12, tzinfo=timezone.utc)
    assert window(7, None, now)[1] == now
    assert window(7, datetime(2030, 1, 1, tzinfo=timezone.utc), now)[1] == now


def test_post_from_row_rebuilds_the_parent():
    row = {"platform": "x", "post_id": "1", "url": None, "created_at": datetime(2024, 1, 2, tzinfo=timezone.utc),
           "kind": "quote", "author_id": "9", "author_handle": "budi", "author_name": "Budi", "author_bio": None,
           "author_url": None, "text": "mantap", "parent_post_id": "0", "parent_url": None,
           "parent_text": "coblos 02", "parent_author": '{"id": "7", "handle": "tim02"}'}
    p = post_from_row(row)
    assert p.parent.text == "coblos 02" and p.parent.author.handle == "tim02" and p.author.handle == "budi"
