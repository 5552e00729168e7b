"""Offices and scope: every user sees exactly their office's subtree; hits follow the ASN's office.

Five hits on one local day, written by the collectors of three offices into one database:

=====  ==============  ==================  =========================================
post   collected by    ASN (roster office)  responsible office
=====  ==============  ==================  =========================================
p1     61.71           A1 (61.71)           61.71
p2     61.12           A2 (61.12)           61.12
p3     61.12           A1 (61.71)           61.71  (cross-office: the ASN's office wins)
p4     61.12           A3 (none)            61.12  (the roster gives no office: the collector's)
p5     62.01           A3 (none)            62.01
=====  ==============  ==================  =========================================

Users of 61.71, 61.12, 61 (the province) and ID (national) must each see exactly their subtree in
the daily list, on hit pages (403 outside, like a supervisor outside their subtree), in the CSV
export, the monthly summary and complaint CSVs and on the dashboard. Real DuckDB, real web app.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from click.testing import CliRunner

from monitor.alerting.dispatcher import Dispatcher
from monitor.cli import cli
from monitor.cli.ingest import ingest_files
from monitor.cli.roster import import_roster
from monitor.config import AlertsConfig, load_config
from monitor.context import AppContext
from monitor.i18n import t
from monitor.models.office import (NATIONAL, OfficeCodeError, chain, in_subtree, level, office_name,
                                   parent, parse_office)
from monitor.roster import read_roster
from monitor.service.http import make_app
from monitor.service.runtime import Service
from monitor.store import Store
from monitor.store.schema import MIGRATIONS
from monitor.store.scope import Scope, office_condition
from monitor.store.users import OfficeScopeError
from monitor.web.app import setup_web
from monitor.web.auth import hash_password
from tests.webutil import PASSWORD, REPO, login

DAY = "2024-01-21"
S1, A1, A2, A3 = "197001012000011001", "198502142010012002", "198703202012022003", "199001012015011004"
ROSTER = f"""nip,nama,jabatan,instansi,atasan_nip,akun,kode_wilayah
{S1},Kepala Dinas Satu,Kepala Dinas,Dinas Pendidikan Kota Pontianak,,,61.71
{A1},Budi Ptk,Guru,Dinas Pendidikan Kota Pontianak,{S1},x:@asn_ptk,6171
{A2},Siti Kuburaya,Guru,Dinas Pendidikan Kubu Raya,,x:@asn_kkr,61.12
{A3},Andi Tanpakantor,Staf,Dinas Sosial,,x:@asn_none,
"""
TEXT = "Ayo coblos 02 Prabowo Gibran! Lanjutkan #PrabowoGibran2024"


def _post(n: int, handle: str) -> str:
    return ('{"platform": "x", "post_id": "%d", "url": "https://x.com/%s/status/%d", '
            '"created_at": "2024-01-21T09:%02d:00+07:00", "author": {"id": "%d", "handle": "%s", "name": "%s"}, '
            '"kind": "post", "text": "%s"}\n' % (n, handle, n, n, 1000 + n, handle, handle, TEXT))


POSTS = {"61.71": [(1, "asn_ptk")], "61.12": [(2, "asn_kkr"), (3, "asn_ptk"), (4, "asn_none")],
         "62.01": [(5, "asn_none")]}
EXPECTED_OFFICE = {"1": "61.71", "2": "61.12", "3": "61.71", "4": "61.12", "5": "62.01"}
USERS = {"p7171": ("pengawas", "61.71"), "p6112": ("pengawas", "61.12"), "p61": ("pengawas", "61"),
         "pid": ("pengawas", "ID"), "a7171": ("admin", "61.71"), "aid": ("admin", "ID")}
SEES = {"p7171": {"1", "3"}, "p6112": {"2", "4"}, "p61": {"1", "2", "3", "4"}, "pid": {"1", "2", "3", "4", "5"},
        "a7171": {"1", "3"}}


def write_config(d: Path, code: str | None, name: str = "office.toml") -> Path:
    p = d / name
    office = f'code = "{code}"\n' if code else ""
    p.write_text(f"""
[store]
path = "scope.duckdb"
[rules]
paths = ["{REPO / 'rules'}"]
[office]
name = "Bawaslu"
timezone = "Asia/Pontianak"
{office}""", encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """Roster, then each office's collector ingests its posts into the one database; users."""
    d = tmp_path_factory.mktemp("scope")
    (d / "roster.csv").write_text(ROSTER, encoding="utf-8")
    for i, (code, posts) in enumerate(POSTS.items()):
        cfg = load_config(write_config(d, code))
        with AppContext(cfg) as app:
            if i == 0:
                ok, lines = import_roster(app.store, d / "roster.csv", skip_invalid=False, actor="test",
                                          lang_t=lambda k, **kw: t(k, "en", **kw))
                assert ok, lines
            f = d / f"posts-{code}.jsonl"
            f.write_text("".join(_post(n, h) for n, h in posts), encoding="utf-8")
            ingest_files(app, [f])
    with Store(d / "scope.duckdb") as s:
        pw = hash_password(PASSWORD)
        for name, (role, office) in USERS.items():
            s.add_user(name, role, pw, office_code=office)
        s.add_user("kadis", "atasan", pw, nip=S1, office_code="61.71")
    write_config(d, NATIONAL)
    return d


@pytest.fixture
def office_dir(template, tmp_path) -> Path:
    shutil.copy(template / "scope.duckdb", tmp_path / "scope.duckdb")
    write_config(tmp_path, NATIONAL)
    return tmp_path


@pytest.fixture
async def client(office_dir, aiohttp_client):
    svc = Service(load_config(office_dir / "office.toml"))
    c = await aiohttp_client(make_app(svc, (setup_web,)))
    c.svc = svc
    yield c
    await svc.stop()


async def _hit_ids(c) -> dict[str, str]:
    rows = await c.svc.db(lambda s: s.con.execute("SELECT post_id, hit_id FROM hits").fetchall())
    return dict(rows)


# -- the office codes ----------------------------------------------------------------------
def test_office_codes_parse_and_nest():
    assert parse_office("61.71") == "61.71" and parse_office("6171") == "61.71"
    assert parse_office("nasional") == NATIONAL and parse_office(" id ") == NATIONAL
    assert parse_office("61") == "61"
    for bad in ("", "6", "99", "61.7", "61.00", "61.71.01", "Pontianak"):
        with pytest.raises(OfficeCodeError):
            parse_office(bad)
    assert [level(c) for c in ("ID", "61", "61.71")] == ["nasional", "provinsi", "kabupaten_kota"]
    assert parent("61.71") == "61" and parent("61") == "ID" and parent("ID") is None
    assert chain("61.71") == ["61.71", "61", "ID"]
    assert in_subtree("61.71", "61") and in_subtree("61.71", "61.71") and in_subtree("62.01", "ID")
    assert not in_subtree("61.12", "61.71") and not in_subtree("61", "61.71") and not in_subtree("611.1", "61")
    assert not in_subtree(None, "61") and in_subtree(None, None)
    assert office_name("ID") == "Bawaslu RI" and office_name("61") == "Bawaslu Provinsi Kalimantan Barat"


def test_office_condition_in_sql():
    con = duckdb.connect()
    con.execute("CREATE TABLE t (c VARCHAR)")
    con.execute("INSERT INTO t VALUES ('61'), ('61.71'), ('61.12'), ('610'), ('62.01'), ('ID'), (NULL)")

    def rows(office):
        cond, params = office_condition("c", office)
        sql = "SELECT c FROM t" + (f" WHERE {cond}" if cond else "")
        return sorted(str(r[0]) for r in con.execute(sql, params).fetchall())

    assert rows("61") == ["61", "61.12", "61.71"]
    assert rows("61.71") == ["61.71"]
    assert rows("ID") == rows(None) == sorted(["61", "61.71", "61.12", "610", "62.01", "ID", "None"])


# -- the pipeline: who holds which hit -------------------------------------------------------
def test_hits_belong_to_the_asn_office_else_the_collector(template):
    with Store(template / "scope.duckdb", read_only=True) as s:
        rows = s.con.execute("SELECT post_id, nip, office_code, collector_office FROM hits").fetchall()
    got = {r[0]: (r[1], r[2], r[3]) for r in rows}
    assert {k: v[1] for k, v in got.items()} == EXPECTED_OFFICE
    assert got["3"] == (A1, "61.71", "61.12")  # an ASN of 61.71 seen by the 61.12 collector
    assert got["4"] == (A3, "61.12", "61.12")


def test_roster_office_column_is_validated_by_row(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(ROSTER.replace(",61.12\n", ",61.99x\n"), encoding="utf-8")
    parsed = read_roster(f)
    errs = [str(e) for e in parsed.errors]
    assert any("4" in e and "office_code" in e and "61.99x" in e for e in errs), errs
    g = tmp_path / "ok.csv"
    g.write_text(ROSTER, encoding="utf-8")
    entries = {e.nip: e.office_code for e in read_roster(g).entries}
    assert entries == {S1: "61.71", A1: "61.71", A2: "61.12", A3: None}


# -- the web application ------------------------------------------------------------------------
@pytest.mark.parametrize("username", sorted(SEES))
async def test_each_office_sees_exactly_its_subtree(client, username):
    ids = await _hit_ids(client)
    want = {ids[p] for p in SEES[username]}
    await login(client, username)

    html = await (await client.get(f"/?date={DAY}")).text()
    assert set(re.findall(r'href="/hits/(H[0-9a-f]{12})"', html)) == want

    for post_id, hit_id in ids.items():
        r = await client.get(f"/hits/{hit_id}", allow_redirects=False)
        assert r.status == (200 if hit_id in want else 403), (username, post_id, r.status)

    body = (await (await client.get(f"/export.csv?date={DAY}")).read()).decode("utf-8-sig")
    assert {row["hit_id"] for row in csv.DictReader(io.StringIO(body))} == want

    dash = await (await client.get("/dashboard?from=2024-01-15&to=2024-01-28")).text()
    assert re.search(rf": {len(want)} (temuan|hits)\.", dash), dash[:2000]

    monthly = (await (await client.get("/reports/monthly.csv?month=2024-01")).read()).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(monthly)))
    assert lines[-1][0] in ("Jumlah", "Total") and int(lines[-1][1]) == len(want), lines
    assert sum(int(r[1]) for r in lines[1:-1]) == len(want), lines


async def test_complaints_csv_holds_only_the_office_findings(client):
    ids = await _hit_ids(client)

    def confirm(s):
        for post_id, hit_id in ids.items():
            nip = s.get_hit(hit_id)["nip"]
            s.review_hit(hit_id, status="dikonfirmasi", reason="cek", actor="pid", nip=nip)

    await client.svc.db(confirm)
    await login(client, "p61")
    month = datetime.now(ZoneInfo("Asia/Pontianak")).strftime("%Y-%m")  # findings confirmed this month
    body = (await (await client.get(f"/reports/complaints.csv?month={month}")).read()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sorted(r["nip_terlapor"] for r in rows) == sorted([A1, A2, A1, A3])  # not p5 (62.01)


async def test_bulk_review_skips_other_offices_hits(client):
    ids = await _hit_ids(client)
    await login(client, "p7171")
    html = await (await client.get(f"/?date={DAY}")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    data = [("csrf", token), ("action", "dismiss"), ("reason_code", "parodi"), ("next", "/")]
    data += [("hit_id", h) for h in ids.values()]
    r = await client.post("/hits/bulk", data=data, allow_redirects=False)
    assert r.status == 302
    statuses = await client.svc.db(lambda s: dict(s.con.execute("SELECT post_id, status FROM hits").fetchall()))
    assert statuses == {"1": "ditolak", "2": "baru", "3": "ditolak", "4": "baru", "5": "baru"}


async def test_cross_office_hit_reaches_the_asn_supervisor(client):
    """p3 was collected by 61.12; its ASN is 61.71's: the alert goes to A1's supervisor S1, and
    S1's account (office 61.71) sees the hit once released."""
    ids = await _hit_ids(client)
    hit3 = ids["3"]
    await client.svc.db(lambda s: s.review_hit(hit3, status="dikonfirmasi", reason="cek", actor="p6112", nip=A1))
    cfg = AlertsConfig(enabled=True, quiet_hours=None, trigger="confirmed")
    await Dispatcher(client.svc.db, cfg, tz=client.svc.config.office.tz, office_name="x", channels={}).plan()
    alerts = await client.svc.db(lambda s: s.alerts_for(hit_id=hit3))
    assert [(a["recipient_nip"], a["level"]) for a in alerts] == [(S1, 1)]
    await login(client, "kadis")
    html = await (await client.get(f"/?date={DAY}")).text()
    assert set(re.findall(r'href="/hits/(H[0-9a-f]{12})"', html)) == {hit3}
    page = await (await client.get(f"/hits/{hit3}", allow_redirects=False)).text()
    assert "<code>61.71</code>" in page and "<code>61.12</code>" in page  # responsible and collecting office
    # the 61.12 watcher who confirmed it no longer holds it: it is 61.71's
    await login(client, "p6112")
    assert (await client.get(f"/hits/{hit3}", allow_redirects=False)).status == 403


async def test_review_choosing_the_person_moves_the_hit_to_their_office(client):
    ids = await _hit_ids(client)
    hit4 = ids["4"]  # A3 has no roster office: collected by 61.12, so 61.12's
    await client.svc.db(lambda s: s.con.execute("UPDATE roster SET office_code = '61.71' WHERE nip = ?", [A3]))
    await login(client, "p6112")
    page = await (await client.get(f"/hits/{hit4}")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = await client.post(f"/hits/{hit4}/review", data={"csrf": token, "action": "confirm"}, allow_redirects=False)
    assert r.status == 302 and r.headers["Location"].startswith("/?"), r.headers.get("Location")
    assert await client.svc.db(lambda s: s.hit_office(hit4)) == "61.71"
    assert (await client.get(f"/hits/{hit4}", allow_redirects=False)).status == 403  # 61.71's now
    await client.svc.db(lambda s: s.con.execute("UPDATE roster SET office_code = NULL WHERE nip = ?", [A3]))
    await client.svc.db(lambda s: s.review_hit(hit4, status="baru", reason="buka", actor="p6112"))
    assert await client.svc.db(lambda s: s.hit_office(hit4)) == "61.12"  # back to the collector


def test_store_queries_take_the_scope(template):
    with Store(template / "scope.duckdb", read_only=True) as s:
        ids = dict(s.con.execute("SELECT post_id, hit_id FROM hits").fetchall())
        for office, posts in (("61.71", {"1", "3"}), ("61", {"1", "2", "3", "4"}), ("ID", set(ids))):
            sc = Scope(office=office)
            rows, total = s.web_list_hits({"scope": sc}, limit=None)
            assert {r["post_id"] for r in rows} == posts and total == len(posts)
            assert {h["hit_id"] for h in s.person_hits(A1, scope=sc)} == {ids[p] for p in posts & {"1", "3"}}
            assert all(s.hit_in_scope(ids[p], sc) == (p in posts) for p in ids)
        # the roster: rows of the office subtree and rows without an office
        total, rows = s.search_roster("", scope=Scope(office="61.12"))
        assert {r["nip"] for r in rows} == {A2, A3}
        assert s.roster_person(A1, Scope(office="61.12")) is None
        assert s.roster_person(A1, Scope(office="61"))["office_code"] == "61.71"


# -- users: admins manage their own subtree ------------------------------------------------------
def _cli(cfg: Path, db: Path, *args, input="kata-sandi-panjang\n"):
    return CliRunner().invoke(cli, ["--config", str(cfg), "--db", str(db), *args], input=input)


def test_admin_manages_only_their_subtree(office_dir):
    db = office_dir / "scope.duckdb"
    national = office_dir / "office.toml"
    res = _cli(national, db, "users", "add", "x1", "--role", "pengawas", "--office", "61.12", "--by", "a7171")
    assert res.exit_code != 0 and "cannot manage users of office 61.12" in res.output
    assert _cli(national, db, "users", "add", "x2", "--role", "pengawas", "--office", "61.71",
                "--by", "a7171").exit_code == 0
    assert _cli(national, db, "users", "add", "x3", "--role", "pengawas", "--office", "61.12",
                "--by", "aid").exit_code == 0
    assert _cli(national, db, "users", "add", "x4", "--role", "pengawas", "--office", "61.7x").exit_code != 0
    # an office's instance administers its own subtree
    city = write_config(office_dir, "61.71", name="city.toml")
    res = _cli(city, db, "users", "add", "x5", "--role", "pengawas", "--office", "61.12")
    assert res.exit_code != 0 and "61.12" in res.output
    assert _cli(city, db, "users", "set", "p6112", "--disable").exit_code != 0
    assert _cli(city, db, "users", "remove", "p6112").exit_code != 0
    assert _cli(city, db, "users", "add", "x6", "--role", "pengawas").exit_code == 0
    out = _cli(national, db, "users", "list").output
    assert "x2\tpengawas\t-\t61.71" in out and "x3\tpengawas\t-\t61.12" in out and "x6\tpengawas\t-\t61.71" in out
    assert "x1\t" not in out and "x5\t" not in out and "p6112\tpengawas\t-\t61.12\n" in out
    with Store(db) as s:
        with pytest.raises(OfficeScopeError):
            s.add_user("x7", "admin", hash_password(PASSWORD), office_code="62", actor_office="61")


def test_cli_daily_list_is_the_instance_office_subtree(office_dir):
    import json

    db = office_dir / "scope.duckdb"
    for code, posts in (("61.71", {"1", "3"}), ("61", {"1", "2", "3", "4"}), ("ID", set(EXPECTED_OFFICE))):
        cfg = write_config(office_dir, code, name=f"o{code}.toml")
        res = _cli(cfg, db, "hits", "--date", DAY, "--format", "json")
        assert res.exit_code == 0, res.output
        rows = json.loads(res.output)
        assert {r["post_id"] for r in rows} == posts
        assert {r["office_code"] for r in rows} == {EXPECTED_OFFICE[p] for p in posts}


# -- migration ----------------------------------------------------------------------------------
def _v9_database(path: Path) -> None:
    """A database as version 9 left it: one user, one post, one hit, no office columns."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR, "
                "applied_at TIMESTAMPTZ)")
    for version, description, sql in MIGRATIONS:
        if version <= 9:
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [version, description])
    con.execute("INSERT INTO users (username, role, password_hash, created_at) VALUES ('lama', 'pengawas', 'x', now())")
    con.execute("INSERT INTO hits (hit_id, platform, post_id, post_created_at, detected_at, candidates, "
                "identity_method, ambiguous, behaviour, score, identity_score, content_score, rules, terms, targets, "
                "steps, explanation, ruleset_version) VALUES ('H1', 'x', '1', now(), now(), '[]', 'name', false, "
                "'post', 0.9, 0.9, 1.0, '[]', '[]', '[]', '[]', '', 'v')")
    con.close()


def test_migration_backfills_the_instance_office(tmp_path):
    _v9_database(tmp_path / "scope.duckdb")
    cfg = load_config(write_config(tmp_path, "61.71"))
    with AppContext(cfg) as app:
        s = app.store
        assert s.schema_version() >= 10
        assert s.con.execute("SELECT office_code FROM users").fetchall() == [("61.71",)]
        assert s.con.execute("SELECT office_code, collector_office FROM hits").fetchall() == [("61.71", "61.71")]
        assert s.hit_in_scope("H1", Scope(office="61")) and not s.hit_in_scope("H1", Scope(office="61.12"))
    with AppContext(cfg) as app:  # idempotent: nothing left to adopt
        assert app.store.adopt_office("61.71") == {}


def test_without_an_office_code_nothing_changes(tmp_path):
    _v9_database(tmp_path / "scope.duckdb")
    with AppContext(load_config(write_config(tmp_path, None))) as app:
        s = app.store
        assert s.con.execute("SELECT office_code FROM hits").fetchall() == [(None,)]
        assert s.hit_in_scope("H1", Scope(office=None))  # a single-office instance sees everything


def test_a_read_only_start_postpones_the_office_adoption(tmp_path):
    """A read-only database (the service's degraded start) must open: the office is remembered and
    the unassigned rows are adopted at the next writable open."""
    _v9_database(tmp_path / "scope.duckdb")
    with AppContext(load_config(write_config(tmp_path, None))):
        pass  # migrated, nothing adopted
    cfg = load_config(write_config(tmp_path, "61.71"))
    with AppContext(cfg, read_only=True) as app:
        assert app.store.office_code == "61.71"
        assert app.store.con.execute("SELECT office_code FROM hits").fetchall() == [(None,)]
    with AppContext(cfg) as app:
        assert app.store.con.execute("SELECT office_code FROM hits").fetchall() == [("61.71",)]
