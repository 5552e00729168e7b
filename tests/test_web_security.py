"""Security of the web application and the service: XSS (pages and exports), SQL injection through
every filter and sort parameter, path traversal in the rules editor, CSRF on every state-changing
request, session fixation, login rate limiting. Real service, real DuckDB, in-process aiohttp client.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from aiohttp import FormData
from openpyxl import load_workbook

from monitor.alerting.dispatcher import Dispatcher
from monitor.cli.ingest import ingest_files
from monitor.cli.roster import import_roster
from monitor.config import AlertsConfig, load_config
from monitor.context import AppContext
from monitor.i18n import t
from monitor.service.http import make_app
from monitor.service.runtime import Service
from monitor.web.app import setup_web
from monitor.web.auth import SESSION_COOKIE, hash_password
from tests.webutil import (  # noqa: F401
    PASSWORD, REPO, csrf_of, demo_template, login, web_client, write_config,
)


@pytest.fixture
def web_dir(demo_template, tmp_path):
    """The demo database with a private copy of the rule folder (so traversal tests can plant files)."""
    src, facts = demo_template
    shutil.copy(src / "web.duckdb", tmp_path / "web.duckdb")
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    write_config(tmp_path, rules=tmp_path / "rules")
    return tmp_path, facts


async def session_csrf(client) -> str:
    """The signed-in session's CSRF token (carried by the forms of every page)."""
    return await csrf_of(client, "/alerts")


# ================================================================================= XSS
XSS_RULE = '''pack: {name: xss-pack, description: "<script>alert('pack')</script>"}
rules:
  - id: xss.rule
    title: "<script>alert('rule')</script> judul"
    description: "\\"onmouseover=alert(1) desc"
    category: partisan
    weight: 1.0
    target: "<b onmouseover=alert(1)>Paslon</b>"
    terms:
      any: [xssword]
    examples:
      match: ["ini xssword", "xssword lagi"]
      no_match: ["ini kata lain", "tidak ada"]
'''
XSS_ROSTER = '''nip,nama,jabatan,unit_kerja,instansi,atasan_nip,akun,email,telegram
197001012000011001,"Kepala <script>alert('sup')</script>",Kepala Dinas,Dinas,Pemkot,,,,
198501012010011002,"<script>alert('nama')</script> Budi ""onmouseover=alert(1)",Guru <i>x</i>,"=HYPERLINK(""http://evil.example"")",Pemkot <script>alert('instansi')</script>,197001012000011001,x:@xss_user,,
'''
XSS_TEXT = "=HYPERLINK(\"http://evil.example\",\"klik\") <script>alert('post')</script> xssword"
XSS_POST = {
    "platform": "x", "post_id": "9001", "url": "https://x.com/xss_user/status/9001",
    "created_at": "2024-01-21T10:00:00+07:00", "kind": "post", "text": XSS_TEXT,
    "author": {"id": "555", "handle": "xss_user", "name": "<img src=x onerror=alert(1)>",
               "bio": "\"onmouseover=alert(1) x", "url": "javascript:alert(1)"},
}
# markup that must never reach a page unescaped
RAW = ("<script>alert", "<img src=x", "<b onmouseover", "<i>x</i>", '"onmouseover=alert', "javascript:alert")


@pytest.fixture
def xss_dir(tmp_path):
    """Rules, roster and one post, all carrying markup and a spreadsheet formula."""
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    (tmp_path / "rules" / "xss.yaml").write_text(XSS_RULE, encoding="utf-8")
    (tmp_path / "roster.csv").write_text(XSS_ROSTER, encoding="utf-8")
    (tmp_path / "posts.jsonl").write_text(json.dumps(XSS_POST) + "\n", encoding="utf-8")
    cfg = load_config(write_config(tmp_path, rules=tmp_path / "rules"))
    with AppContext(cfg) as app:
        ok, lines = import_roster(app.store, tmp_path / "roster.csv", skip_invalid=False, actor="test",
                                  lang_t=lambda k, **kw: t(k, "en", **kw))
        assert ok, lines
        ingest_files(app, [tmp_path / "posts.jsonl"])
        app.store.add_user("admin1", "admin", hash_password(PASSWORD))
        app.store.add_user("atasan1", "atasan", hash_password(PASSWORD), nip="197001012000011001")
    return tmp_path


@pytest.fixture
async def xss_client(xss_dir, aiohttp_client):
    svc = Service(load_config(xss_dir / "config.toml"))
    client = await aiohttp_client(make_app(svc, (setup_web,)))
    client.svc = svc
    yield client
    await svc.stop()


def assert_escaped(body: str, where: str) -> None:
    for raw in RAW:
        assert raw not in body, f"{where}: unescaped {raw!r}"


async def test_hostile_text_is_escaped_on_every_page(xss_client):
    c = xss_client
    hit_id = (await c.svc.db(lambda s: s.con.execute("SELECT hit_id FROM hits").fetchone()))[0]
    await login(c, "admin1")
    token = await session_csrf(c)
    r = await c.post(f"/hits/{hit_id}/review", data={"csrf": token, "action": "confirm"}, allow_redirects=False)
    assert r.status == 302
    await Dispatcher(c.svc.db, AlertsConfig(enabled=True, quiet_hours=None), tz=c.svc.config.office.tz,
                     office_name="x", channels={}).plan()
    alert_id = (await c.svc.db(lambda s: s.alerts_for(hit_id=hit_id)))[0]["alert_id"]
    pages = {  # page -> escaped fragments that prove the hostile value is there, as text
        "/?date=2024-01-21": ["&lt;script&gt;alert(&#39;nama&#39;)"],
        f"/hits/{hit_id}": ["&lt;script&gt;alert(&#39;post&#39;)", "&lt;img src=x onerror=alert(1)&gt;",
                            "&lt;script&gt;alert(&#39;rule&#39;)", "&#34;onmouseover=alert(1) x"],
        f"/hits/{hit_id}/print": ["&lt;script&gt;alert(&#39;post&#39;)", "&lt;script&gt;alert(&#39;nama&#39;)"],
        "/roster?q=Budi": ["&lt;script&gt;alert(&#39;nama&#39;)"],
        "/roster/198501012010011002": ["&lt;script&gt;alert(&#39;nama&#39;)", "Guru &lt;i&gt;x&lt;/i&gt;",
                                       "&lt;script&gt;alert(&#39;sup&#39;)"],
        "/rules": ["&lt;script&gt;alert(&#39;rule&#39;)", "&lt;b onmouseover=alert(1)&gt;"],
        "/rules/file?path=xss.yaml": ["&lt;script&gt;alert(&#39;pack&#39;)"],
        "/rules/history?path=xss.yaml": [],
        "/dashboard?from=2024-01-15&to=2024-01-28": [],
        "/alerts": [],
        f"/alerts/{alert_id}": [],
    }
    for path, fragments in pages.items():
        r = await c.get(path)
        body = await r.text()
        assert r.status == 200, path
        assert_escaped(body, path)
        for frag in fragments:
            assert frag in body, f"{path}: the value is not shown as text ({frag})"
    # the supervisor's views of the same hit
    c.session.cookie_jar.clear()
    await login(c, "atasan1")
    for path in ("/?date=2024-01-21", f"/hits/{hit_id}", "/alerts", f"/alerts/{alert_id}"):
        r = await c.get(path)
        assert r.status == 200, path
        assert_escaped(await r.text(), path)


async def test_exports_neutralise_formulas_and_keep_the_text(xss_client):
    c = xss_client
    await login(c, "admin1")
    r = await c.get("/export.csv?date=2024-01-21")
    rows = list(csv.DictReader(io.StringIO((await r.text()).lstrip("\ufeff"))))
    assert len(rows) == 1
    for key, value in rows[0].items():
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (key, value)
    assert rows[0]["text"] == "'" + XSS_TEXT  # the evidence is intact after the neutralising quote
    assert rows[0]["instansi"].startswith("Pemkot <script>")  # a file, not HTML: kept verbatim

    r = await c.get("/export.xlsx?date=2024-01-21")
    wb = load_workbook(io.BytesIO(await r.read()))
    cells = [cell for row in wb.active.iter_rows() for cell in row if cell.value is not None]
    assert cells
    for cell in cells:
        assert cell.data_type != "f", cell.coordinate
        assert not (isinstance(cell.value, str) and cell.value.startswith("=")), cell.coordinate
    assert any(cell.value == "'" + XSS_TEXT for cell in cells)


# ================================================================================= SQL injection
INJECTIONS = [
    "' OR '1'='1",
    "x' OR 1=1 --",
    "\"; DROP TABLE hits; --",
    "1) UNION SELECT password_hash FROM users --",
    "score; DELETE FROM hits",
    "%' OR '%'='",
    "\\' OR 1=1 /*",
    "\u0000",
]
LIST_TEXT_FILTERS = ("instansi", "unit_kerja", "platform", "behaviour", "target")
ROW_RE = re.compile(r'data-hit="(H[0-9a-f]{12})"')
DAY = "2024-01-21"


@pytest.mark.slow
async def test_sql_injection_through_every_filter_and_sort_parameter(web_client):
    c = web_client
    await login(c, "pengawas1")
    count_before = await c.svc.db(lambda s: s.con.execute("SELECT count(*) FROM hits").fetchone()[0])
    baseline = ROW_RE.findall(await (await c.get(f"/?date={DAY}")).text())
    roster_size = await c.svc.db(lambda s: s.con.execute("SELECT count(*) FROM roster").fetchone()[0])
    assert baseline
    for payload in INJECTIONS:
        # a text filter with an injected value matches nothing (it is a value, never SQL)
        for key in LIST_TEXT_FILTERS:
            r = await c.get("/", params={"date": DAY, key: payload})
            body = await r.text()
            assert r.status == 200, (key, payload)
            assert ROW_RE.findall(body) == [], (key, payload)
            assert "scrypt$" not in body  # no password hash leaked into the page
            r = await c.get("/export.csv", params={"date": DAY, key: payload})
            assert r.status == 200
            assert list(csv.DictReader(io.StringIO((await r.text()).lstrip("\ufeff")))) == [], (key, payload)
        # parameters with a fixed vocabulary or a number fall back to their default
        for key in ("sort", "status", "score_min", "score_max", "page", "date"):
            r = await c.get("/", params={"date": DAY, key: payload})
            assert r.status == 200, (key, payload)
            if key not in ("page", "date"):  # a bad date shows today, a bad page the first
                assert ROW_RE.findall(await r.text()) == baseline, (key, payload)
            r = await c.get("/export.csv", params={"date": DAY, key: payload})
            assert r.status == 200, (key, payload)
            r = await c.get("/export.xlsx", params={"date": DAY, key: payload})
            assert r.status == 200, (key, payload)
        # the roster search: a value to look for, never SQL
        r = await c.get("/roster", params={"q": payload})
        assert r.status == 200, payload
        found = re.search(r"(\d+) ASN ditemukan", await r.text())
        # a literal (and name-normalised) search: "OR 1=1" must not turn into "everyone"
        assert found is None or int(found.group(1)) < roster_size // 2, (payload, found.group(0))
        r = await c.get("/roster", params={"q": "a", "page": payload})
        assert r.status == 200
        for key in ("from", "to"):
            assert (await c.get("/dashboard", params={key: payload})).status == 200
    count_after = await c.svc.db(lambda s: s.con.execute("SELECT count(*) FROM hits").fetchone()[0])
    assert count_after == count_before


# ================================================================================= path traversal
async def test_rule_file_names_cannot_leave_the_rule_folder(web_client, tmp_path):
    c = web_client
    rules = c.svc.config.rule_paths[0]
    secret = tmp_path / "outside.yaml"
    secret.write_text("pack: {name: secret}\nrules: []\n# TOP-SECRET-OUTSIDE\n", encoding="utf-8")
    (rules / "link.yaml").symlink_to(secret)
    (rules / ".hidden.yaml").write_text("# TOP-SECRET-HIDDEN\n", encoding="utf-8")
    example = next((rules / "examples").glob("*.y*ml")).name
    config_text = (c.svc.config.base_dir / "config.toml").read_text(encoding="utf-8")
    paths = [
        "../config.toml", "../../../../etc/passwd", "/etc/passwd", str(secret), "..\\config.toml",
        "pengecualian.yaml/../../config.toml", "./../config.toml", "%2e%2e/config.toml", "..%2fconfig.toml",
        "pengecualian.yaml\x00.txt", "link.yaml", ".hidden.yaml", f"examples/{example}", "examples/../../config.toml",
        "", ".", "..", "~/.bashrc", "file:///etc/passwd",
    ]
    await login(c, "admin1")
    token = await session_csrf(c)
    for p in paths:
        for page in ("/rules/file", "/rules/history"):
            r = await c.get(page, params={"path": p})
            body = await r.text()
            assert r.status == 404, (page, p)
            assert "TOP-SECRET" not in body and "root:" not in body and "[store]" not in body
        r = await c.post("/rules/file/save", data={"csrf": token, "path": p, "action": "save",
                                                  "content": "# overwritten\n", "message": "x"})
        assert r.status == 404, p
        r = await c.post("/rules/rollback", data={"csrf": token, "path": p, "version": "1"})
        assert r.status == 404, p
    assert "TOP-SECRET-OUTSIDE" in secret.read_text(encoding="utf-8")
    assert (c.svc.config.base_dir / "config.toml").read_text(encoding="utf-8") == config_text
    # a proper name still works (the refusals above are about the path)
    assert (await c.get("/rules/file", params={"path": "pengecualian.yaml"})).status == 200


# ================================================================================= CSRF
def _post_routes(app) -> list[str]:
    out = []
    for route in app.router.routes():
        canon = route.resource.canonical if route.resource else ""
        if route.method == "POST" and not canon.startswith("/api/"):
            out.append(re.sub(r"\{[^}]+\}", "H000000000000", canon))
    return sorted(set(out))


async def test_every_state_changing_request_needs_the_session_csrf_token(web_client):
    c = web_client
    routes = _post_routes(c.server.app)
    assert {"/login", "/logout", "/lang", "/hits/bulk", "/rules/file/save", "/roster/import/commit"} <= set(routes)
    await login(c, "pengawas1")
    pengawas_token = await session_csrf(c)
    c.session.cookie_jar.clear()
    await login(c, "admin1")
    admin_token = await session_csrf(c)
    assert admin_token != pengawas_token
    audit_before = await c.svc.db(lambda s: len(s.audit_entries()))
    for path in routes:
        for data, headers in (
            ({}, {}),  # missing
            ({"csrf": "x" * 43}, {}),  # wrong
            ({"csrf": pengawas_token}, {}),  # another session's
            ({}, {"X-CSRF-Token": "wrong"}),  # wrong header
            ({"csrf": ""}, {"X-CSRF-Token": ""}),  # empty
        ):
            r = await c.post(path, data={"lang": "en", "action": "confirm", "hit_id": "H000000000000", **data},
                             headers=headers, allow_redirects=False)
            assert r.status == 403, (path, data, headers)
        form = FormData()  # multipart (the roster upload) is checked too
        form.add_field("file", b"nip,nama\n", filename="r.csv", content_type="text/csv")
        r = await c.post(path, data=form, allow_redirects=False)
        assert r.status == 403, path
        r = await c.post(path, json={"csrf": admin_token}, allow_redirects=False)  # JSON bodies carry no token
        assert r.status == 403, path
    # nothing happened: still signed in, same language, no audit entry
    assert await c.svc.db(lambda s: len(s.audit_entries())) == audit_before
    r = await c.get("/", allow_redirects=False)
    assert r.status == 200 and 'lang="id"' in await r.text()
    # the right token in the header works
    r = await c.post("/lang", data={"lang": "en", "next": "/"}, headers={"X-CSRF-Token": admin_token},
                     allow_redirects=False)
    assert r.status == 302


async def test_signed_in_session_does_not_accept_the_sign_in_form_token(web_client):
    c = web_client
    anon_token = await csrf_of(c, "/login")
    await login(c, "admin1")
    r = await c.post("/lang", data={"csrf": anon_token, "lang": "en"}, allow_redirects=False)
    assert r.status == 403


# ================================================================================= sessions
def _session_cookie(resp) -> str | None:
    for header in resp.headers.getall("Set-Cookie", []):
        if header.startswith(SESSION_COOKIE + "="):
            return header.split(";", 1)[0].split("=", 1)[1]
    return None


async def test_session_id_changes_at_sign_in_and_a_planted_one_is_never_adopted(web_client):
    c = web_client
    planted = "attacker-chosen-session-id-1234567890"
    c.session.cookie_jar.update_cookies({SESSION_COOKIE: planted})
    token = await csrf_of(c, "/login")
    r = await c.post("/login", data={"username": "admin1", "password": PASSWORD, "csrf": token},
                     allow_redirects=False)
    assert r.status == 302
    first = _session_cookie(r)
    assert first and first != planted and len(first) >= 40
    # the planted id is not a session
    c.session.cookie_jar.clear()
    c.session.cookie_jar.update_cookies({SESSION_COOKIE: planted})
    r = await c.get("/", allow_redirects=False)
    assert r.status == 302 and r.headers["Location"].startswith("/login")
    # signing in again (same browser, already signed in) issues yet another id
    c.session.cookie_jar.clear()
    c.session.cookie_jar.update_cookies({SESSION_COOKIE: first})
    assert (await c.get("/", allow_redirects=False)).status == 200
    token = await csrf_of(c, "/login?next=/")  # signed in: the page carries the session's token
    r = await c.post("/login", data={"username": "admin1", "password": PASSWORD, "csrf": token},
                     allow_redirects=False)
    second = _session_cookie(r)
    assert r.status == 302 and second and second != first
    # after sign-out the old id is dead
    token = await session_csrf(c)
    assert (await c.post("/logout", data={"csrf": token}, allow_redirects=False)).status == 302
    c.session.cookie_jar.clear()
    c.session.cookie_jar.update_cookies({SESSION_COOKIE: second})
    r = await c.get("/", allow_redirects=False)
    assert r.status == 302 and r.headers["Location"].startswith("/login")


async def test_login_rate_limit_per_address_across_usernames(web_client):
    c = web_client
    for i in range(20):  # guessing many usernames from one address
        token = await csrf_of(c, "/login")
        r = await c.post("/login", data={"username": f"user{i}", "password": "wrong-password", "csrf": token})
        assert r.status == 401, i
    token = await csrf_of(c, "/login")
    r = await c.post("/login", data={"username": "admin1", "password": PASSWORD, "csrf": token},
                     allow_redirects=False)
    assert r.status == 429
    assert _session_cookie(r) is None


# ================================================================================= headers
async def test_security_headers_on_error_pages_and_static_files(web_client):
    c = web_client
    await login(c, "admin1")
    for path, status in (("/no-such-page", 404), ("/hits/H000000000000", 404), ("/static/style.css", 200),
                         ("/healthz", 200)):
        r = await c.get(path, allow_redirects=False)
        assert r.status == status, path
        check_headers(r, path)
    r = await c.post("/lang", data={"lang": "en"}, allow_redirects=False)  # CSRF failure page
    assert r.status == 403
    check_headers(r, "csrf failure")


def check_headers(r, where: str) -> None:
    h = r.headers
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("X-Frame-Options") == "DENY", where
    assert h.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"), where
    csp = h.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where


async def test_an_internal_error_page_has_the_headers_and_names_nothing_internal(web_client):
    c = web_client
    await login(c, "admin1")
    with c.svc.lock:
        c.svc.app.store.con.close()  # the database goes away under the running service
    r = await c.get("/", allow_redirects=False)
    body = await r.text()
    assert r.status == 503  # a closed database is a storage fault: the service's probe reopens it
    check_headers(r, "503 page")
    assert "Traceback" not in body and "duckdb" not in body.lower() and ".duckdb" not in body
    assert "Connection" not in body and str(c.svc.app.db_path) not in body


# ================================================================================= redirects
async def test_no_open_redirect_through_next_or_back(web_client):
    c = web_client
    hostile = ["//evil.example/x", "/\t/evil.example", "/\n/evil.example", "/\\evil.example", "/ /evil.example",
               "https://evil.example", "\t//evil.example", "/\x0b/evil.example", "javascript:alert(1)"]
    for nxt in hostile:
        c.session.cookie_jar.clear()
        token = await csrf_of(c, "/login")
        r = await c.post("/login", data={"username": "admin1", "password": PASSWORD, "csrf": token, "next": nxt},
                         allow_redirects=False)
        assert r.status == 302 and r.headers["Location"] == "/", (nxt, r.headers["Location"])
        token = await session_csrf(c)
        r = await c.post("/lang", data={"csrf": token, "lang": "id", "next": nxt}, allow_redirects=False)
        assert r.status == 302 and r.headers["Location"] == "/", nxt
        r = await c.post("/hits/bulk", data={"csrf": token, "action": "confirm", "next": nxt},
                         allow_redirects=False)
        assert r.status == 302 and r.headers["Location"].startswith("/?"), nxt


async def test_roster_upload_file_names_cannot_escape_the_upload_folder(web_client):
    import secrets
    import tempfile

    c = web_client
    await login(c, "admin1")
    token = await session_csrf(c)
    bare = f"escaped-{secrets.token_hex(6)}.csv"
    for name in ("../" * 8 + bare, "..\\..\\" + bare, "/" + bare):
        form = FormData()
        form.add_field("csrf", token)
        form.add_field("file", b"nip,nama\n", filename=name, content_type="text/csv")
        r = await c.post("/roster/import/check", data=form)
        body = await r.text()
        assert r.status == 200, re.findall(r'role="alert">([^<]+)', body)
        assert bare in body and "../" not in body and "..\\" not in body  # reported under its bare name
        for where in (Path("/"), Path(tempfile.gettempdir()), Path.cwd()):
            assert not (where / bare).exists(), where


async def test_an_unwritable_database_gives_a_503_page_not_a_500(web_client):
    """Disk full / read-only / invalidated database: pages answer 503 with Retry-After (the service's
    storage probe brings the store back), never a 500 that reads like a bug."""
    import pytest

    from monitor.store.errors import StorageUnavailable

    c = web_client
    await login(c, "pengawas1")
    assert (await c.get("/")).status == 200

    def checkpoint_fails(store):
        store.con.execute("SET debug_checkpoint_abort = 'before_header'")
        store.con.execute("CHECKPOINT")

    with pytest.raises(StorageUnavailable):
        await c.svc.db(checkpoint_fails)
    r = await c.get("/", allow_redirects=False)
    assert r.status == 503 and r.headers["Retry-After"] == "30"
    check_headers(r, "storage unavailable")
    body = await r.text()
    assert "Internal Server Error" not in body
    assert "tidak dapat ditulis" in body or body.startswith("503")
    assert c.svc.probe_storage()
    assert (await c.get("/")).status == 200
