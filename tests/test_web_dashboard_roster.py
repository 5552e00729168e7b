"""Dashboard aggregates and backlog, roster search and person page, roster import (check, then commit)."""

import re
from datetime import datetime, time, timedelta, timezone

from aiohttp import FormData

from monitor.web.context import WEB
from tests.webutil import csrf_of, login, web_client, web_dir, demo_template  # noqa: F401

TABLE_ROW = re.compile(r'<tr><td>([^<]*)</td><td class="num">(\d+)</td></tr>')


def db(client, fn):
    return client.server.app[WEB].db(fn)


def section(html: str, heading_key_text: str) -> str:
    """The HTML of the card whose <h2> is ``heading_key_text``."""
    start = html.index(f"<h2>{heading_key_text}</h2>")
    return html[start:html.index("</section>", start)]


def numbers(html_part: str) -> dict[str, int]:
    return {k: int(v) for k, v in TABLE_ROW.findall(html_part)}


async def latest_period(client):
    tz = client.server.app[WEB].tz
    latest = await db(client, lambda s: s.latest_post_time())
    last = latest.astimezone(tz).date()
    first = last - timedelta(days=13)
    start = datetime.combine(first, time(0), tzinfo=tz).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz).astimezone(timezone.utc)
    return first, last, start, end


# ---------------------------------------------------------------- dashboard


async def test_dashboard_counts_match_the_store(web_client):
    await login(web_client, "pengawas1")
    first, last, start, end = await latest_period(web_client)
    expected = await db(web_client, lambda s: s.con.execute(
        "SELECT count(*) FROM hits WHERE post_created_at >= ? AND post_created_at < ?", [start, end]).fetchone()[0])
    assert expected > 0
    r = await web_client.get("/dashboard")  # default period: 14 days ending at the latest post day
    assert r.status == 200
    html = await r.text()
    assert f'value="{first.isoformat()}"' in html and f'value="{last.isoformat()}"' in html
    assert f"{expected} temuan" in html
    per_behaviour = numbers(section(html, "Temuan per perilaku"))
    per_day = numbers(section(html, "Temuan per hari"))
    per_instansi = numbers(section(html, "Temuan per instansi"))
    assert sum(per_behaviour.values()) == expected
    assert sum(per_day.values()) == expected and len(per_day) == 14
    assert sum(per_instansi.values()) == expected
    by_behaviour = dict(await db(web_client, lambda s: s.con.execute(
        "SELECT behaviour, count(*) FROM hits WHERE post_created_at >= ? AND post_created_at < ? GROUP BY 1",
        [start, end]).fetchall()))
    assert per_behaviour == by_behaviour
    per_target = numbers(section(html, "Temuan per sasaran dukungan"))
    assert per_target and sum(per_target.values()) >= 1
    assert "<svg" in html and 'class="bar"' in html and "style=" not in html


async def test_dashboard_period_filter_and_bad_dates(web_client):
    await login(web_client, "admin1")
    first, last, start, end = await latest_period(web_client)
    one_day = datetime.combine(last, time(0), tzinfo=web_client.server.app[WEB].tz)
    expected = await db(web_client, lambda s: s.con.execute(
        "SELECT count(*) FROM hits WHERE post_created_at >= ? AND post_created_at < ?",
        [one_day, one_day + timedelta(days=1)]).fetchone()[0])
    html = await (await web_client.get(f"/dashboard?from={last}&to={last}")).text()
    assert sum(numbers(section(html, "Temuan per hari")).values()) == expected
    r = await web_client.get("/dashboard?from=kemarin&to=2024-13-45")
    assert r.status == 200 and "Tanggal tidak valid" in await r.text()


async def test_dashboard_backlog(web_client):
    await login(web_client, "pengawas1")
    now = datetime.now(timezone.utc)
    _, _, start, end = await latest_period(web_client)

    def prepare(s):
        ids = [r[0] for r in s.con.execute(
            "SELECT hit_id FROM hits WHERE post_created_at >= ? AND post_created_at < ? ORDER BY hit_id LIMIT 4",
            [start, end]).fetchall()]
        s.con.execute("UPDATE hits SET detected_at = ? WHERE hit_id IN (?, ?)", [now - timedelta(days=4), ids[0], ids[1]])
        s.con.execute("UPDATE hits SET detected_at = ? WHERE hit_id = ?", [now - timedelta(days=8), ids[2]])
        s.review_hit(ids[3], status="dikonfirmasi", reason="uji", actor="pengawas1")
        return ids

    ids = await db(web_client, prepare)
    html = await (await web_client.get("/dashboard")).text()
    assert re.search(r'id="kpi-older3">3<', html)
    assert re.search(r'id="kpi-older7">1<', html)
    assert f'href="/hits/{ids[2]}" id="oldest-open"' in html
    assert re.search(r'id="status-dikonfirmasi">1<', html)
    total = await db(web_client, lambda s: s.con.execute("SELECT count(*) FROM hits WHERE status='baru'").fetchone()[0])
    assert re.search(rf'id="kpi-open">{total}<', html)


async def test_atasan_and_anonymous_are_kept_out(web_client):
    r = await web_client.get("/dashboard", allow_redirects=False)
    assert r.status == 302
    await login(web_client, "atasan1")
    nip = web_client.facts["supervisor_nip"]
    for path in ("/dashboard", "/roster", f"/roster/{nip}", "/roster/import"):
        assert (await web_client.get(path)).status == 403, path


async def test_pengawas_cannot_import(web_client):
    await login(web_client, "pengawas1")
    assert (await web_client.get("/roster/import")).status == 403
    assert (await web_client.get("/roster")).status == 200


# ---------------------------------------------------------------- roster search and person


async def test_roster_search_by_nip_prefix_and_name(web_client):
    await login(web_client, "pengawas1")
    html = await (await web_client.get("/roster?q=19760316")).text()
    nips = re.findall(r'<td class="nip"><a href="/roster/(\d{18})">', html)
    assert nips == ["197603162006032889"]
    html = await (await web_client.get("/roster?q=fauzi")).text()
    assert "Ahmad Fauzi, S.E." in html and "Achmad Fauzi Maulana" in html
    # normalised names: the title in the query does not stop the match
    html = await (await web_client.get("/roster?q=Drs.%20Ahmad%20Fauzi")).text()
    assert "Ahmad Fauzi, S.E." in html
    html = await (await web_client.get("/roster?q=tidak-ada-orang-ini")).text()
    assert "Tidak ada ASN yang cocok" in html


async def test_roster_pagination(web_client):
    await login(web_client, "pengawas1")
    html = await (await web_client.get("/roster")).text()
    assert len(re.findall(r'<td class="nip">', html)) == 50
    html2 = await (await web_client.get("/roster?page=2")).text()
    assert 'rel="prev"' in html2 and set(re.findall(r'/roster/(\d{18})', html)) != set(re.findall(r'/roster/(\d{18})', html2))


async def test_person_page_shows_accounts_chain_and_hits(web_client):
    await login(web_client, "pengawas1")

    def pick(s):
        nip = s.con.execute("""
            SELECT r.nip FROM roster r JOIN hits h ON h.nip = r.nip
            WHERE r.atasan_nip IS NOT NULL AND EXISTS (SELECT 1 FROM accounts a WHERE a.nip = r.nip)
            GROUP BY r.nip ORDER BY r.nip LIMIT 1""").fetchone()[0]
        hit = s.con.execute("SELECT hit_id FROM hits WHERE nip = ? LIMIT 1", [nip]).fetchone()[0]
        account = s.con.execute("SELECT value FROM accounts WHERE nip = ? LIMIT 1", [nip]).fetchone()[0]
        return nip, hit, account, s.supervisor_chain(nip)

    nip, hit, account, chain = await db(web_client, pick)
    r = await web_client.get(f"/roster/{nip}")
    assert r.status == 200
    html = await r.text()
    assert account in html
    assert chain and all(f'href="/roster/{c["nip"]}"' in html for c in chain)
    assert f'href="/hits/{hit}"' in html
    assert (await web_client.get("/roster/000000000000000000")).status == 404
    assert (await web_client.get("/roster/bukan-nip")).status == 404


async def test_person_page_lists_ambiguous_hits_as_candidate(web_client):
    await login(web_client, "pengawas1")

    def pick(s):
        return s.con.execute("""
            SELECT hit_id, json_extract_string(candidates, '$[0].nip') FROM hits
            WHERE ambiguous AND json_extract_string(candidates, '$[0].nip') IS NOT NULL
              AND coalesce(nip, '') <> json_extract_string(candidates, '$[0].nip') LIMIT 1""").fetchone()

    hit, nip = await db(web_client, pick)
    html = await (await web_client.get(f"/roster/{nip}")).text()
    assert f'href="/hits/{hit}"' in html
    assert "salah satu kandidat (identitas ambigu)" in html


# ---------------------------------------------------------------- import

HEADER = "nip,nama,jabatan,unit_kerja,instansi,atasan_nip,akun,email,telegram\n"
GOOD = (HEADER
        + "196911121993032557,Zubaidah Novita,Sekretaris Daerah,Setda,Pemerintah Kota Pontianak,,,,\n"
        + "197603162006032889,Katarina Ngadan,Asisten,Setda,Pemerintah Kota Pontianak,196911121993032557,"
          "x:@katarina_baru,,\n")
BAD = GOOD + "12345,Orang Salah,Staf,Setda,Pemerintah Kota Pontianak,,,,\n"


async def check_upload(client, content: str, *, skip_invalid=False, filename="daftar.csv"):
    token = await csrf_of(client, "/roster/import")
    form = FormData()
    form.add_field("csrf", token)
    if skip_invalid:
        form.add_field("skip_invalid", "1")
    form.add_field("file", content.encode("utf-8"), filename=filename, content_type="text/csv")
    return await client.post("/roster/import/check", data=form)


def roster_state(s):
    return s.roster_count(), s.roster_version()


async def test_import_check_reports_row_errors_and_changes_nothing(web_client):
    await login(web_client, "admin1")
    before = await db(web_client, roster_state)
    r = await check_upload(web_client, BAD)
    assert r.status == 200
    html = await r.text()
    assert re.search(r'<td class="num row-no">4</td>\s*<td>nip</td>', html)  # row 4 = third data row
    assert "/roster/import/commit" not in html  # all-or-nothing: no commit offered
    assert await db(web_client, roster_state) == before
    # with skip_invalid the valid rows may be imported
    html = await (await check_upload(web_client, BAD, skip_invalid=True)).text()
    assert "/roster/import/commit" in html and "Impor 2 baris valid" in html
    assert await db(web_client, roster_state) == before
    r = await check_upload(web_client, "x", filename="daftar.exe")
    assert r.status == 400


async def test_import_commit_replaces_roster_and_is_audited(web_client):
    await login(web_client, "admin1")
    version = await db(web_client, lambda s: s.roster_version())
    html = await (await check_upload(web_client, GOOD)).text()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    r = await web_client.post("/roster/import/commit", data={"csrf": csrf, "token": token})
    assert r.status == 200, await r.text()
    assert "Daftar ASN telah diganti" in await r.text()

    def after(s):
        audit = [a for a in s.audit_entries() if a["action"] == "roster.import"]
        return s.roster_count(), s.roster_version(), audit[-1]["actor"], s.declared_accounts("x")

    count, new_version, actor, accounts = await db(web_client, after)
    assert count == 2 and new_version > version and actor == "admin1"
    assert accounts == ["katarina_baru"]
    # the token is single use
    r = await web_client.post("/roster/import/commit", data={"csrf": csrf, "token": token})
    assert r.status == 400
    assert await db(web_client, lambda s: s.roster_version()) == new_version


async def test_import_commit_without_csrf_is_refused(web_client):
    await login(web_client, "admin1")
    before = await db(web_client, roster_state)
    html = await (await check_upload(web_client, GOOD)).text()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    r = await web_client.post("/roster/import/commit", data={"token": token})
    assert r.status == 403
    assert await db(web_client, roster_state) == before
