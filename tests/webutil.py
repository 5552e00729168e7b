"""Shared set-up for web tests: a demo database with one user per role, and a logged-in client."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from monitor.cli.roster import import_roster
from monitor.config import load_config
from monitor.context import AppContext
from monitor.demo import DATA_DIR
from monitor.i18n import t
from monitor.service.http import make_app
from monitor.service.runtime import Service
from monitor.web.app import setup_web
from monitor.web.auth import hash_password

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "rahasia-demo-123"
# a supervisor high in a demo chain (has subordinates with hits) is chosen at build time
USERS = {"admin1": "admin", "pengawas1": "pengawas"}


def write_config(dir: Path, rules: Path | None = None) -> Path:
    p = dir / "config.toml"
    p.write_text(f"""
[store]
path = "web.duckdb"
[rules]
paths = ["{rules or (REPO / 'rules')}"]
[office]
name = "Bawaslu Kota Pontianak"
timezone = "Asia/Pontianak"
language = "id"
""", encoding="utf-8")
    return p


def build_demo_db(dir: Path) -> dict:
    """Demo roster + posts + users; returns facts tests need (e.g. the supervisor's NIP)."""
    cfg = load_config(write_config(dir))
    from monitor.cli.ingest import ingest_files

    with AppContext(cfg) as app:
        import_roster(app.store, DATA_DIR / "roster.csv", skip_invalid=False, actor="test",
                      lang_t=lambda k, **kw: t(k, "en", **kw))
        ingest_files(app, [DATA_DIR / "posts.jsonl"])
        store = app.store
        # the supervisor whose subtree holds the most confirmed-able hits
        best = store.con.execute("""
            SELECT r.atasan_nip, count(*) FROM hits h JOIN roster r ON r.nip = h.nip
            WHERE r.atasan_nip IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1""").fetchone()
        sup_nip = best[0]
        pw = hash_password(PASSWORD)
        for name, role in USERS.items():
            store.add_user(name, role, pw)
        store.add_user("atasan1", "atasan", pw, nip=sup_nip)
    return {"supervisor_nip": sup_nip}


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    d = tmp_path_factory.mktemp("webdemo")
    facts = build_demo_db(d)
    return d, facts


@pytest.fixture
def web_dir(demo_template, tmp_path):
    """A private copy of the demo database (tests may change it)."""
    src, facts = demo_template
    shutil.copy(src / "web.duckdb", tmp_path / "web.duckdb")
    write_config(tmp_path)
    return tmp_path, facts


@pytest.fixture
async def web_client(web_dir, aiohttp_client):
    d, facts = web_dir
    svc = Service(load_config(d / "config.toml"))
    client = await aiohttp_client(make_app(svc, (setup_web,)))
    client.svc = svc
    client.facts = facts
    yield client
    await svc.stop()


CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


async def csrf_of(client, path: str = "/") -> str:
    html = await (await client.get(path)).text()
    m = CSRF_RE.search(html)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


async def login(client, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real form (double-submit CSRF cookie, then the session cookie)."""
    token = await csrf_of(client, "/login")
    r = await client.post("/login", data={"username": username, "password": password, "csrf": token, "next": "/"},
                          allow_redirects=False)
    assert r.status == 302, await r.text()
