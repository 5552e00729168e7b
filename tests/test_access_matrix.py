"""Authorisation matrix: every route of the web application and the service API, for every role.

The routes are read from the aiohttp router, so a route added without a row here fails
``test_every_route_is_in_the_matrix``. Each row is requested by an anonymous visitor and by a
signed-in ``pengawas``, ``admin`` and ``atasan`` (state-changing requests with a valid CSRF token),
and the status must be exactly the expected one; every response carries the security headers.
Real service, real DuckDB (the demo data).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from dataclasses import dataclass, field

import pytest

from monitor.alerting.dispatcher import Dispatcher
from monitor.config import AlertsConfig
from monitor.service.http import make_app
from monitor.web.app import setup_web
from tests.test_web_security import check_headers
from tests.webutil import REPO, CSRF_RE, demo_template, login, web_client, write_config  # noqa: F401

ROLES = ("anon", "pengawas", "admin", "atasan")
USERNAME = {"pengawas": "pengawas1", "admin": "admin1", "atasan": "atasan1"}
LOGIN = "login"  # a redirect to the sign-in page
RULE_FILE = "pengecualian.yaml"


@dataclass
class Case:
    method: str
    route: str  # the router's canonical path
    path: str  # {in_hit}, {out_hit}, {unreleased_hit}, {in_alert}, {out_alert}, {in_nip}, {out_nip}, {rule}
    expect: dict[str, int | str]  # role -> status, or LOGIN
    data: dict = field(default_factory=dict)


def _e(anon, pengawas, admin, atasan) -> dict:
    return dict(zip(ROLES, (anon, pengawas, admin, atasan)))


EVERYONE_200 = _e(200, 200, 200, 200)
STAFF = _e(LOGIN, 200, 200, 403)  # watchers and admins, never supervisors
SIGNED_IN = _e(LOGIN, 200, 200, 200)

CASES: list[Case] = [
    # service endpoints (no session; the intake needs a bearer token)
    Case("GET", "/healthz", "/healthz", EVERYONE_200),
    Case("GET", "/api/v1/sources", "/api/v1/sources", EVERYONE_200),
    Case("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", EVERYONE_200),
    Case("POST", "/api/v1/posts", "/api/v1/posts", _e(401, 401, 401, 401), {"platform": "x"}),
    Case("GET", "/static", "/static/style.css", EVERYONE_200),
    # sign-in, sign-out, language
    Case("GET", "/login", "/login", _e(200, 302, 302, 302)),
    Case("POST", "/login", "/login", _e(401, 401, 401, 401), {"username": "nobody", "password": "wrong-password"}),
    Case("POST", "/lang", "/lang", _e(302, 302, 302, 302), {"lang": "id", "next": "/"}),
    # hits: everyone signed in reads, supervisors only their released subtree; only staff review
    Case("GET", "/", "/", SIGNED_IN),
    Case("GET", "/", "/?date=2024-01-21&sort=time&instansi=x", SIGNED_IN),
    Case("GET", "/hits/{hit_id}", "/hits/{in_hit}", SIGNED_IN),
    Case("GET", "/hits/{hit_id}", "/hits/{out_hit}", _e(LOGIN, 200, 200, 403)),
    Case("GET", "/hits/{hit_id}", "/hits/{unreleased_hit}", _e(LOGIN, 200, 200, 403)),
    Case("GET", "/hits/{hit_id}", "/hits/H000000000000", _e(LOGIN, 404, 404, 404)),
    Case("POST", "/hits/{hit_id}/review", "/hits/{in_hit}/review", _e(LOGIN, 400, 400, 403), {"action": "bogus"}),
    Case("POST", "/hits/{hit_id}/review", "/hits/{out_hit}/review", _e(LOGIN, 400, 400, 403), {"action": "bogus"}),
    Case("POST", "/hits/bulk", "/hits/bulk", _e(LOGIN, 400, 400, 403), {"action": "bogus", "hit_id": "{in_hit}"}),
    Case("GET", "/hits/{hit_id}/print", "/hits/{in_hit}/print", SIGNED_IN),
    Case("GET", "/hits/{hit_id}/print", "/hits/{out_hit}/print", _e(LOGIN, 200, 200, 403)),
    Case("GET", "/hits/{hit_id}/evidence.zip", "/hits/{in_hit}/evidence.zip", SIGNED_IN),
    Case("GET", "/hits/{hit_id}/evidence.zip", "/hits/{out_hit}/evidence.zip", _e(LOGIN, 200, 200, 403)),
    Case("GET", "/hits/{hit_id}/report.pdf", "/hits/{out_hit}/report.pdf", _e(LOGIN, 200, 200, 403)),
    Case("GET", "/hits/{hit_id}/report.xlsx", "/hits/{in_hit}/report.xlsx", SIGNED_IN),
    Case("GET", "/hits/{hit_id}/report.xlsx", "/hits/{out_hit}/report.xlsx", _e(LOGIN, 200, 200, 403)),
    Case("GET", "/reports/monthly.{fmt}", "/reports/monthly.xlsx?month=2024-01", STAFF),
    Case("GET", "/reports/complaints.csv", "/reports/complaints.csv?month=2024-01", STAFF),
    Case("GET", "/export.csv", "/export.csv?date=2024-01-21", SIGNED_IN),
    Case("GET", "/export.xlsx", "/export.xlsx?date=2024-01-21", SIGNED_IN),
    Case("GET", "/dashboard", "/dashboard", STAFF),
    # roster: staff read it, only admins import
    Case("GET", "/roster", "/roster?q=a", STAFF),
    Case("GET", "/roster/{nip}", "/roster/{in_nip}", STAFF),
    Case("GET", "/roster/{nip}", "/roster/{out_nip}", STAFF),
    Case("GET", "/roster/import", "/roster/import", _e(LOGIN, 403, 200, 403)),
    Case("POST", "/roster/import/check", "/roster/import/check", _e(LOGIN, 403, 400, 403), {"skip_invalid": "1"}),
    Case("POST", "/roster/import/commit", "/roster/import/commit", _e(LOGIN, 403, 400, 403), {"token": "x"}),
    Case("GET", "/admin/data-protection", "/admin/data-protection", _e(LOGIN, 403, 200, 403)),
    Case("POST", "/admin/data-protection/hold", "/admin/data-protection/hold", _e(LOGIN, 403, 400, 403),
         {"hit_id": "{in_hit}", "hold": "1", "reason": ""}),
    # rules: staff read them, only admins change them (invalid content / unknown version: nothing changes)
    Case("GET", "/rules", "/rules", STAFF),
    Case("GET", "/rules/file", "/rules/file?path={rule}", STAFF),
    Case("GET", "/rules/history", "/rules/history?path={rule}", STAFF),
    Case("POST", "/rules/file/save", "/rules/file/save", _e(LOGIN, 403, 422, 403),
         {"path": "{rule}", "action": "save", "content": "rules: [", "message": "matrix"}),
    Case("POST", "/rules/rollback", "/rules/rollback", _e(LOGIN, 403, 404, 403), {"path": "{rule}", "version": "999999"}),
    # alerts: a supervisor sees and acknowledges only the alerts addressed to them
    Case("GET", "/alerts", "/alerts", SIGNED_IN),
    Case("GET", "/alerts/{alert_id}", "/alerts/{in_alert}", SIGNED_IN),
    Case("GET", "/alerts/{alert_id}", "/alerts/{out_alert}", _e(LOGIN, 200, 200, 403)),
    Case("POST", "/alerts/{alert_id}/ack", "/alerts/{in_alert}/ack", _e(LOGIN, 403, 400, 400), {"follow_up": "bogus"}),
    Case("POST", "/alerts/{alert_id}/ack", "/alerts/{out_alert}/ack", _e(LOGIN, 403, 400, 403), {"follow_up": "bogus"}),
    # last: it ends the session
    Case("POST", "/logout", "/logout", _e(302, 302, 302, 302)),
]


@pytest.fixture
def web_dir(demo_template, tmp_path):
    """The demo database with a private copy of the rule folder (admins' saves must not touch the repo)."""
    src, facts = demo_template
    shutil.copy(src / "web.duckdb", tmp_path / "web.duckdb")
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    write_config(tmp_path, rules=tmp_path / "rules")
    return tmp_path, facts


def router_routes(app) -> set[tuple[str, str]]:
    out = set()
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        out.add((route.method, route.resource.canonical))
    return out


def test_every_route_is_in_the_matrix(web_dir):
    from monitor.config import load_config
    from monitor.service.runtime import Service

    d, _ = web_dir
    svc = Service(load_config(d / "config.toml"))
    try:
        app = make_app(svc, (setup_web,))
        routes = router_routes(app)
    finally:
        svc.app.close()
    covered = {(c.method, c.route) for c in CASES}
    assert routes - covered == set(), "routes without a row in the authorisation matrix"
    assert covered - routes == set(), "matrix rows for routes that no longer exist"


async def _facts(client) -> dict:
    """Hits and alerts inside and outside the supervisor's subtree (confirmed, so released to them)."""
    svc = client.svc
    sup = client.facts["supervisor_nip"]

    def pick(s):
        below = s.subtree_nips(sup)
        rows = s.con.execute("SELECT hit_id, nip FROM hits WHERE nip IS NOT NULL AND NOT ambiguous "
                             "ORDER BY hit_id").fetchall()
        inside = [r for r in rows if r[1] in below]
        outside = [r for r in rows if r[1] not in below and r[1] != sup]
        for hit_id, nip in (inside[0], outside[0]):
            s.review_hit(hit_id, status="dikonfirmasi", reason="cek", actor="pengawas1", nip=nip)
        return inside[0], outside[0], inside[1][0]

    (in_hit, in_nip), (out_hit, out_nip), unreleased = await svc.db(pick)
    cfg = AlertsConfig(enabled=True, quiet_hours=None, trigger="confirmed")
    await Dispatcher(svc.db, cfg, tz=svc.config.office.tz, office_name="x", channels={}).plan()
    in_alerts = await svc.db(lambda s: s.alerts_for(hit_id=in_hit))
    out_alerts = await svc.db(lambda s: s.alerts_for(hit_id=out_hit))
    mine = [a for a in in_alerts if a["recipient_nip"] == sup]
    assert mine and out_alerts
    assert all(a["recipient_nip"] != sup for a in out_alerts)
    return {"in_hit": in_hit, "out_hit": out_hit, "unreleased_hit": unreleased, "in_nip": in_nip,
            "out_nip": out_nip, "in_alert": mine[0]["alert_id"], "out_alert": out_alerts[0]["alert_id"],
            "rule": RULE_FILE}


async def _csrf(client) -> str:
    """The token a page of this session carries (the session's token once signed in)."""
    for path in ("/alerts", "/login"):
        r = await client.get(path)
        m = CSRF_RE.search(await r.text())
        if m:
            return m.group(1)
    raise AssertionError("no CSRF token on any page")


def _fill(value: str, facts: dict) -> str:
    return value.format(**facts) if "{" in value else value


@pytest.mark.parametrize("role", ROLES)
async def test_authorisation_matrix(web_client, role):
    facts = await _facts(web_client)
    if role != "anon":
        await login(web_client, USERNAME[role])
    rule_before = (web_client.svc.config.rule_paths[0] / RULE_FILE).read_bytes()
    roster_before = await web_client.svc.db(lambda s: s.roster_version())
    failures = []
    for case in CASES:
        path = _fill(case.path, facts)
        data = {k: _fill(v, facts) for k, v in case.data.items()}
        if case.method == "GET":
            r = await web_client.get(path, allow_redirects=False)
        elif case.route.startswith("/api/"):
            r = await web_client.post(path, json=data, allow_redirects=False)
        else:
            data["csrf"] = await _csrf(web_client)
            r = await web_client.post(path, data=data, allow_redirects=False)
        check_headers(r, f"{role} {case.method} {path}")  # security headers on every response
        want = case.expect[role]
        got: int | str = r.status
        if want == LOGIN and r.status == 302 and r.headers["Location"].startswith("/login"):
            got = LOGIN
        if got != want:
            failures.append(f"{case.method} {path}: expected {want}, got {got}")
    assert failures == []
    # nothing a non-admin did changed the rules or the roster (and the admin's requests were invalid)
    assert (web_client.svc.config.rule_paths[0] / RULE_FILE).read_bytes() == rule_before
    assert await web_client.svc.db(lambda s: s.roster_version()) == roster_before


# -- supervisors see only their subtree, wherever they look ------------------------------------------
HIT_LINK = re.compile(r"/hits/(H[0-9a-f]{12})")


async def test_supervisor_lists_and_exports_hold_only_their_subtree(web_client):
    facts = await _facts(web_client)
    sup = web_client.facts["supervisor_nip"]

    def visible_and_days(s):
        ids = [r[0] for r in s.con.execute("SELECT hit_id FROM hits").fetchall()]
        visible = {h for h in ids if s.hit_visible_to_supervisor(h, sup)}
        days = [r[0] for r in s.con.execute(
            "SELECT DISTINCT strftime(timezone('Asia/Pontianak', post_created_at), '%Y-%m-%d') FROM hits "
            "ORDER BY 1").fetchall()]
        return visible, days

    visible, days = await web_client.svc.db(visible_and_days)
    assert facts["in_hit"] in visible and facts["out_hit"] not in visible
    await login(web_client, "atasan1")
    seen_list: set[str] = set()
    seen_csv: set[str] = set()
    for day in days:
        # filters naming someone else's agency cannot widen the view
        for extra in ("", "&status=dikonfirmasi", "&sort=instansi", "&instansi=%27%20OR%201%3D1%20--"):
            body = await (await web_client.get(f"/?date={day}{extra}")).text()
            seen_list |= set(HIT_LINK.findall(body))
        r = await web_client.get(f"/export.csv?date={day}")
        assert r.status == 200
        rows = csv.DictReader(io.StringIO((await r.text()).lstrip("\ufeff")))
        seen_csv |= {row["hit_id"] for row in rows}
    assert facts["in_hit"] in seen_list and facts["in_hit"] in seen_csv
    assert seen_list <= visible and seen_csv <= visible
    # the roster (person pages, search) is closed to supervisors altogether
    for path in (f"/roster/{facts['out_nip']}", f"/roster/{facts['in_nip']}", "/roster?q=a", "/dashboard"):
        assert (await web_client.get(path)).status == 403, path


# -- another office sees none of this office's hits -----------------------------------------------------
@pytest.mark.parametrize("role", ("pengawas", "admin"))
async def test_staff_of_another_office_get_403_on_every_hit_route(web_client, role):
    """The demo hits belong to this (single-office) instance; staff of office 62 (another province)
    get 403 on every route of the matrix that names a hit or an alert, and empty lists."""
    from monitor.web.auth import hash_password
    from tests.webutil import PASSWORD

    facts = await _facts(web_client)
    name = f"{role}62"
    await web_client.svc.db(lambda s: s.add_user(name, role, hash_password(PASSWORD), office_code="62"))
    await login(web_client, name)
    checked = 0
    for case in CASES:
        if case.method == "GET" and ("_hit}" in case.path or "_alert}" in case.path):
            path = _fill(case.path, facts)
            r = await web_client.get(path, allow_redirects=False)
            assert r.status == 403, (path, r.status)
            checked += 1
    assert checked >= 10
    days = await web_client.svc.db(lambda s: [r[0] for r in s.con.execute(
        "SELECT DISTINCT strftime(timezone('Asia/Pontianak', post_created_at), '%Y-%m-%d') FROM hits").fetchall()])
    for day in days:
        assert not HIT_LINK.findall(await (await web_client.get(f"/?date={day}")).text())
        rows = list(csv.DictReader(io.StringIO((await (await web_client.get(f"/export.csv?date={day}")).text())
                                               .lstrip("\ufeff"))))
        assert rows == []
    assert facts["in_alert"] not in await (await web_client.get("/alerts")).text()


async def test_only_admins_change_rules_and_roster_even_with_valid_requests(web_client):
    """A well-formed save / import by a watcher or a supervisor is refused and changes nothing."""
    rule_path = web_client.svc.config.rule_paths[0] / RULE_FILE
    content = rule_path.read_text(encoding="utf-8")
    changed = content + "\n# edited\n"
    roster_csv = ("nip,nama,jabatan,unit_kerja,instansi,atasan_nip,akun,email,telegram\n"
                  "197001012000011001,Budi Santoso,Guru,SDN 1,Pemkot,,,,\n").encode()
    roster_before = await web_client.svc.db(lambda s: s.roster_version())
    for username in ("pengawas1", "atasan1"):
        web_client.session.cookie_jar.clear()
        await login(web_client, username)
        token = await _csrf(web_client)
        r = await web_client.post("/rules/file/save", data={"csrf": token, "path": RULE_FILE, "action": "save",
                                                           "content": changed}, allow_redirects=False)
        assert r.status == 403
        from aiohttp import FormData

        form = FormData()
        form.add_field("csrf", token)
        form.add_field("file", roster_csv, filename="roster.csv", content_type="text/csv")
        r = await web_client.post("/roster/import/check", data=form, allow_redirects=False)
        assert r.status == 403
    assert rule_path.read_text(encoding="utf-8") == content
    assert await web_client.svc.db(lambda s: s.roster_version()) == roster_before
    # the same save by an admin goes through: the refusals above are about the role, not the request
    web_client.session.cookie_jar.clear()
    await login(web_client, "admin1")
    token = await _csrf(web_client)
    r = await web_client.post("/rules/file/save", data={"csrf": token, "path": RULE_FILE, "action": "save",
                                                       "content": changed}, allow_redirects=False)
    assert r.status == 303
    assert rule_path.read_text(encoding="utf-8") == changed
