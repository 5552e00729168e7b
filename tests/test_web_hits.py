"""The daily hit list, one hit's page with review actions, bulk review, exports and the printable report."""

import csv
import io
import json
import re

import pytest
from openpyxl import load_workbook

from monitor.config import load_config
from monitor.context import AppContext
from monitor.service.http import make_app
from monitor.service.runtime import Service
from monitor.web.app import setup_web
from tests.webutil import csrf_of, login, web_client, web_dir, demo_template  # noqa: F401

DAY = "2024-01-21"
ROW_RE = re.compile(r'data-hit="(H[0-9a-f]{12})"')


def q(client, sql, params=()):
    """Read the test copy of the database directly (the service's connection, under its lock)."""
    with client.svc.lock:
        return client.svc.app.store.con.execute(sql, list(params)).fetchall()


def day_hits(client, extra="", params=()):
    return q(client, "SELECT hit_id FROM hits WHERE post_created_at >= '2024-01-20 17:00:00+00' "
                     "AND post_created_at < '2024-01-21 17:00:00+00' " + extra, params)


async def rows_of(client, query: str) -> list[str]:
    r = await client.get("/?" + query)
    assert r.status == 200
    return ROW_RE.findall(await r.text())


async def review(client, hit_id, **data):
    token = await csrf_of(client, f"/hits/{hit_id}")
    return await client.post(f"/hits/{hit_id}/review", data={"csrf": token, **data}, allow_redirects=False)


def subtree(client):
    with client.svc.lock:
        return client.svc.app.store.subtree_nips(client.facts["supervisor_nip"])


# -- list ------------------------------------------------------------------------------------------
async def test_list_shows_the_day_and_filters_narrow_it(web_client):
    await login(web_client, "pengawas1")
    total = len(day_hits(web_client))
    assert total > 50
    first = await rows_of(web_client, f"date={DAY}")
    second = await rows_of(web_client, f"date={DAY}&page=2")
    assert len(first) == 50 and len(second) == total - 50
    assert not set(first) & set(second)
    expected = {r[0] for r in day_hits(web_client)}
    assert set(first) | set(second) == expected

    x = await rows_of(web_client, f"date={DAY}&platform=x")
    assert set(x) == {r[0] for r in day_hits(web_client, "AND platform = 'x'")} and 0 < len(x) < 50

    high = await rows_of(web_client, f"date={DAY}&score_min=0.9")
    assert set(high) == {r[0] for r in day_hits(web_client, "AND score >= 0.9")} and len(high) < total

    none = await rows_of(web_client, f"date={DAY}&status=ditolak")
    assert none == []
    other_day = await rows_of(web_client, "date=2024-01-20")
    assert other_day and not set(other_day) & expected


async def test_list_sort_and_counts(web_client):
    await login(web_client, "pengawas1")
    by_time = await rows_of(web_client, f"date={DAY}&sort=time&platform=x")
    want = [r[0] for r in day_hits(web_client, "AND platform = 'x' ORDER BY post_created_at DESC, hit_id")]
    assert by_time == want
    bogus = await rows_of(web_client, f"date={DAY}&sort=score;DROP TABLE hits&platform=x")
    assert len(bogus) == len(want)  # unknown sort falls back to score, nothing injected
    html = await (await web_client.get(f"/?date={DAY}&platform=x")).text()
    assert f'data-status="baru">baru: <strong>{len(want)}</strong>' in html
    assert "new-since" in html  # the first visit: every hit is new


# -- detail and review -----------------------------------------------------------------------------
async def test_detail_highlights_terms_and_shows_evidence(web_client):
    await login(web_client, "pengawas1")
    hit_id, text = q(web_client, "SELECT h.hit_id, p.text FROM hits h JOIN posts p USING (platform, post_id) "
                                 "WHERE list_contains(from_json(h.terms, '[\"VARCHAR\"]'), 'menangkan') "
                                 "AND p.text ILIKE '%menangkan %' AND NOT h.ambiguous LIMIT 1")[0]
    r = await web_client.get(f"/hits/{hit_id}")
    html = await r.text()
    assert r.status == 200
    literal = re.search("menangkan", text, re.IGNORECASE).group(0)
    assert f"<mark>{literal}</mark>" in html
    assert 'rel="noopener noreferrer"' in html
    sha = q(web_client, "SELECT p.raw_sha256 FROM hits h JOIN posts p USING (platform, post_id) WHERE hit_id = ?",
            [hit_id])[0][0]
    assert sha in html and "paslon" in html  # integrity + rule ids
    assert (await web_client.get("/hits/Hnope")).status == 404


@pytest.fixture
def xss_dir(web_dir):
    """The demo copy plus a partisan post with markup in it, from a declared account."""
    d, facts = web_dir
    handle = "katarina_ngadan"  # declared x account in the demo roster
    line = {
        "platform": "x", "post_id": "999000111", "url": "https://x.com/katarina_ngadan/status/999000111",
        "created_at": "2024-01-21T10:00:00+07:00",
        "author": {"id": "777", "handle": handle, "name": "Katarina", "url": "https://x.com/katarina_ngadan"},
        "kind": "post", "text": "Coblos Prabowo Gibran! <script>alert(1)</script> #02",
    }
    f = d / "xss.jsonl"
    f.write_text(json.dumps(line) + "\n", encoding="utf-8")
    from monitor.cli.ingest import ingest_files

    with AppContext(load_config(d / "config.toml")) as app:
        ingest_files(app, [f])
        hit = app.store.con.execute("SELECT hit_id FROM hits WHERE post_id = '999000111'").fetchone()
    assert hit, "the test post should score as a hit"
    return d, facts, hit[0]


@pytest.fixture
async def xss_client(xss_dir, aiohttp_client):
    d, facts, hit_id = xss_dir
    svc = Service(load_config(d / "config.toml"))
    client = await aiohttp_client(make_app(svc, (setup_web,)))
    client.svc, client.facts, client.hit_id = svc, facts, hit_id
    yield client
    await svc.stop()


async def test_detail_escapes_post_markup(xss_client):
    await login(xss_client, "pengawas1")
    html = await (await xss_client.get(f"/hits/{xss_client.hit_id}")).text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert re.search(r"<mark>Prabowo( Gibran)?</mark>", html)
    rows = await rows_of(xss_client, f"date={DAY}&platform=x")
    assert xss_client.hit_id in rows


async def test_confirm_ambiguous_needs_a_person_and_is_audited(web_client):
    await login(web_client, "pengawas1")
    hit_id, cands = q(web_client, "SELECT hit_id, candidates FROM hits WHERE ambiguous LIMIT 1")[0]
    nips = [c["nip"] for c in json.loads(cands)]
    html = await (await web_client.get(f"/hits/{hit_id}")).text()
    assert all(f'name="nip" value="{n}"' in html for n in nips)
    r = await review(web_client, hit_id, action="confirm")
    assert r.status == 400
    r = await review(web_client, hit_id, action="confirm", nip="199999999999999999")
    assert r.status == 400
    assert q(web_client, "SELECT status FROM hits WHERE hit_id = ?", [hit_id])[0][0] == "baru"
    r = await review(web_client, hit_id, action="confirm", nip=nips[1], reason_text="cek profil")
    assert r.status == 302
    status, reviewer, nip = q(web_client, "SELECT status, reviewer, confirmed_nip FROM hits WHERE hit_id = ?",
                              [hit_id])[0]
    assert (status, reviewer, nip) == ("dikonfirmasi", "pengawas1", nips[1])
    audit = q(web_client, "SELECT actor, action FROM audit_log WHERE object = ?", [hit_id])
    assert ("pengawas1", "hit.dikonfirmasi") in audit
    html = await (await web_client.get(f"/hits/{hit_id}")).text()
    assert "cek profil" in html and "pengawas1" in html  # review history


async def test_dismiss_needs_a_reason_and_reopen(web_client):
    await login(web_client, "admin1")
    hit_id = day_hits(web_client, "AND NOT ambiguous LIMIT 1")[0][0]
    assert (await review(web_client, hit_id, action="dismiss")).status == 400
    assert (await review(web_client, hit_id, action="dismiss", reason_code="lainnya")).status == 400
    r = await review(web_client, hit_id, action="dismiss", reason_code="kampanye_netralitas", reason_text="berita")
    assert r.status == 302
    status, reason, reviewer = q(web_client, "SELECT status, review_reason, reviewer FROM hits WHERE hit_id = ?",
                                 [hit_id])[0]
    assert status == "ditolak" and reason == "kampanye netralitas atau berita: berita" and reviewer == "admin1"
    assert (await review(web_client, hit_id, action="reopen")).status == 302
    assert q(web_client, "SELECT status FROM hits WHERE hit_id = ?", [hit_id])[0][0] == "baru"
    assert [a[0] for a in q(web_client, "SELECT action FROM audit_log WHERE object = ? AND action LIKE 'hit.%' "
                                        "ORDER BY id", [hit_id])] == ["hit.ditolak", "hit.baru"]  # access.* rows too


async def test_post_without_csrf_is_refused(web_client):
    await login(web_client, "pengawas1")
    hit_id = day_hits(web_client, "LIMIT 1")[0][0]
    r = await web_client.post(f"/hits/{hit_id}/review", data={"action": "dismiss", "reason_code": "parodi"})
    assert r.status == 403
    r = await web_client.post("/hits/bulk", data={"action": "dismiss", "reason_code": "parodi", "hit_id": hit_id})
    assert r.status == 403
    assert q(web_client, "SELECT status FROM hits WHERE hit_id = ?", [hit_id])[0][0] == "baru"


# -- bulk ------------------------------------------------------------------------------------------
async def test_bulk_dismiss(web_client):
    await login(web_client, "pengawas1")
    ids = [r[0] for r in day_hits(web_client, "AND platform = 'x' ORDER BY hit_id LIMIT 3")]
    token = await csrf_of(web_client, "/")
    r = await web_client.post("/hits/bulk", data=[("csrf", token), ("action", "dismiss"), ("reason_code", "parodi"),
                                                  ("next", f"/?date={DAY}")] + [("hit_id", i) for i in ids],
                              allow_redirects=False)
    assert r.status == 302 and "bulk_done=3" in r.headers["Location"]
    got = q(web_client, "SELECT status, reviewer, review_reason FROM hits WHERE hit_id IN (?, ?, ?)", ids)
    assert got == [("ditolak", "pengawas1", "akun parodi / palsu")] * 3
    dismissed = await rows_of(web_client, f"date={DAY}&status=ditolak")
    assert sorted(dismissed) == sorted(ids)


async def test_bulk_confirm_skips_ambiguous(web_client):
    await login(web_client, "pengawas1")
    amb = day_hits(web_client, "AND ambiguous LIMIT 1")[0][0]
    clear = day_hits(web_client, "AND NOT ambiguous ORDER BY hit_id LIMIT 2")
    token = await csrf_of(web_client, "/")
    r = await web_client.post("/hits/bulk", data=[("csrf", token), ("action", "confirm"), ("next", "/")]
                              + [("hit_id", i) for i in (amb, clear[0][0], clear[1][0])])
    html = await r.text()
    assert r.status == 200
    assert "1 temuan ambigu dilewati" in html and "2 temuan diperbarui" in html
    assert q(web_client, "SELECT status FROM hits WHERE hit_id = ?", [amb])[0][0] == "baru"
    assert {s for (s,) in q(web_client, "SELECT status FROM hits WHERE hit_id IN (?, ?)",
                            [clear[0][0], clear[1][0]])} == {"dikonfirmasi"}


async def test_atasan_cannot_review_or_bulk(web_client):
    await login(web_client, "atasan1")
    hit_id = day_hits(web_client, "LIMIT 1")[0][0]
    token = await csrf_of(web_client, "/")
    r = await web_client.post(f"/hits/{hit_id}/review", data={"csrf": token, "action": "confirm"})
    assert r.status == 403
    r = await web_client.post("/hits/bulk", data={"csrf": token, "action": "dismiss", "reason_code": "parodi",
                                                  "hit_id": hit_id})
    assert r.status == 403


# -- supervisor scoping ----------------------------------------------------------------------------
async def test_atasan_sees_only_released_hits_of_the_subtree(web_client):
    below = subtree(web_client)
    mine = q(web_client, "SELECT hit_id FROM hits WHERE list_contains(?, nip) ORDER BY post_created_at DESC",
             [below])
    outside = q(web_client, "SELECT hit_id FROM hits WHERE nip IS NOT NULL AND NOT list_contains(?, nip) LIMIT 1",
                [below])[0][0]
    assert len(mine) >= 2
    released, unreleased = mine[0][0], mine[1][0]
    await login(web_client, "pengawas1")
    for h in (released, outside):
        assert (await review(web_client, h, action="confirm")).status == 302

    await login(web_client, "atasan1")
    assert (await web_client.get(f"/hits/{outside}")).status == 403
    assert (await web_client.get(f"/hits/{outside}/print")).status == 403
    assert (await web_client.get(f"/hits/{unreleased}")).status == 403
    r = await web_client.get(f"/hits/{released}")
    assert r.status == 200
    day = q(web_client, "SELECT strftime(timezone('Asia/Pontianak', post_created_at), '%Y-%m-%d') FROM hits "
                        "WHERE hit_id = ?", [released])[0][0]
    assert await rows_of(web_client, f"date={day}") == [released]
    body = await (await web_client.get(f"/export.csv?date={day}")).text()
    ids = [row["hit_id"] for row in csv.DictReader(io.StringIO(body.lstrip("\ufeff")))]
    assert ids == [released]


# -- exports and print -----------------------------------------------------------------------------
async def test_csv_and_xlsx_exports_hold_the_filtered_rows(web_client):
    await login(web_client, "pengawas1")
    want = {r[0] for r in day_hits(web_client, "AND platform = 'facebook'")}
    assert len(want) > 0
    r = await web_client.get(f"/export.csv?date={DAY}&platform=facebook")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO((await r.text()).lstrip("\ufeff"))))
    assert {row["hit_id"] for row in rows} == want
    assert {row["platform"] for row in rows} == {"facebook"}
    assert "nip" in rows[0] and "raw_sha256" in rows[0]

    everything = await web_client.get(f"/export.csv?date={DAY}&page=2")  # all pages, not one
    assert len(list(csv.DictReader(io.StringIO((await everything.text()).lstrip("\ufeff"))))) == len(day_hits(web_client))

    r = await web_client.get(f"/export.xlsx?date={DAY}&platform=facebook")
    assert r.status == 200
    wb = load_workbook(io.BytesIO(await r.read()))
    ws = wb.active
    header = [c.value for c in ws[1]]
    col = header.index("hit_id")
    assert {row[col] for row in ws.iter_rows(min_row=2, values_only=True)} == want
    assert q(web_client, "SELECT count(*) FROM audit_log WHERE action = 'hits.export'")[0][0] == 3


async def test_print_page_of_a_confirmed_hit(web_client):
    await login(web_client, "pengawas1")
    hit_id, nip, sha = q(web_client, "SELECT h.hit_id, h.nip, p.raw_sha256 FROM hits h "
                                     "JOIN posts p USING (platform, post_id) WHERE NOT h.ambiguous LIMIT 1")[0]
    assert (await web_client.get(f"/hits/{hit_id}/print")).status == 409  # not confirmed yet
    assert (await review(web_client, hit_id, action="confirm", reason_text="akun resmi")).status == 302
    r = await web_client.get(f"/hits/{hit_id}/print")
    html = await r.text()
    assert r.status == 200
    assert nip in html and sha in html and "pengawas1" in html and "akun resmi" in html
    assert "DUGAAN" in html


async def test_pages_have_no_untranslated_keys_in_either_language(web_client):
    await login(web_client, "admin1")
    hit_id = q(web_client, "SELECT hit_id FROM hits WHERE ambiguous LIMIT 1")[0][0]
    leftover = re.compile(r">\s*(hits?_[a-z_]+|status_[a-z]+|print_[a-z_]+)\s*<")
    for lg in ("id", "en"):
        token = await csrf_of(web_client, "/")
        await web_client.post("/lang", data={"csrf": token, "lang": lg, "next": "/"})
        for path in (f"/?date={DAY}", f"/hits/{hit_id}"):
            html = await (await web_client.get(path)).text()
            assert not leftover.findall(html), (lg, path, leftover.findall(html))
        if lg == "en":
            assert "Daily hits" in html or "Hit " in html


async def test_identity_method_is_shown_in_words(web_client):
    from tests.webutil import login as _login

    await _login(web_client, "pengawas1")
    hid = await web_client.svc.db(lambda s: s.con.execute(
        "SELECT hit_id FROM hits WHERE identity_method = 'declared_account' LIMIT 1").fetchone()[0])
    page = await (await web_client.get(f"/hits/{hid}")).text()
    assert "akun yang didaftarkan" in page and ": declared_account<" not in page
