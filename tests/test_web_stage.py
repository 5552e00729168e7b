"""Web: the 7-day registration countdown in the daily list, and the election/stage suggestion with its
legal basis on the hit page, confirmed or corrected by the reviewer."""

import json
import re
from datetime import datetime, time, timedelta

import pytest

from monitor.cli.ingest import ingest_files
from monitor.config import load_config
from monitor.context import AppContext
from monitor.service.http import make_app
from monitor.service.runtime import Service
from monitor.timeutil import local_today
from monitor.web.app import setup_web
from tests.webutil import csrf_of, demo_template, login, web_client, web_dir  # noqa: F401

DAY = "2024-01-21"
ELECTIONS = """
[elections.pemilu2024-pilpres]
name = "Pemilu 2024: Presiden dan Wakil Presiden"
kind = "pemilu"
start = 2022-06-14
penetapan = 2023-11-13
campaign_start = 2023-11-28
campaign_end = 2024-02-10
voting_day = 2024-02-14
end = 2024-10-20
packs = ["pemilu2024-paslon"]

[elections.pilkada2024-pontianak]
name = "Pilkada 2024 Kota Pontianak"
kind = "pilkada"
region = "Kota Pontianak"
agencies = ["Kota Pontianak"]
start = 2024-02-27
penetapan = 2024-09-22
campaign_start = 2024-09-25
campaign_end = 2024-11-23
voting_day = 2024-11-27
"""


def q(client, sql, params=()):
    with client.svc.lock:
        return client.svc.app.store.con.execute(sql, list(params)).fetchall()


def badges(html: str) -> dict[str, tuple[str, str, str]]:
    """hit id -> (css level, days left, text) of the deadline badge in its list row."""
    out = {}
    for row in re.findall(r'<tr class="hit-row[^"]*" data-hit="(H[0-9a-f]{12})">(.*?)</tr>', html, re.S):
        m = re.search(r'class="badge deadline-(\w+)" data-days-left="(-?\d+)"[^>]*>([^<]+)<', row[1])
        if m:
            out[row[0]] = m.groups()
    return out


async def test_list_counts_down_seven_local_days_from_discovery(web_client):
    await login(web_client, "pengawas1")
    tz = web_client.svc.tz
    ids = [r[0] for r in q(web_client, "SELECT hit_id FROM hits WHERE status = 'baru' AND post_created_at >= "
                                       "'2024-01-20 17:00:00+00' AND post_created_at < '2024-01-21 17:00:00+00' "
                                       "ORDER BY hit_id LIMIT 4")]
    today = local_today(tz)
    # test set-up: first discovered 1, 5, 7 and 9 local days ago (noon, office time)
    for hit_id, ago in zip(ids, (1, 5, 7, 9)):
        found = datetime.combine(today - timedelta(days=ago), time(12), tzinfo=tz)
        q(web_client, "UPDATE hits SET detected_at = ? WHERE hit_id = ?", [found, hit_id])
    html = await (await web_client.get(f"/?date={DAY}")).text()
    got = badges(html)
    assert got[ids[0]] == ("ok", "6", "6 hari lagi")
    assert got[ids[1]] == ("warn", "2", "2 hari lagi")
    assert got[ids[2]] == ("warn", "0", "hari terakhir")
    assert got[ids[3]] == ("expired", "-2", "LEWAT 2 hari")
    assert "Sisa waktu" in html
    # a reviewed hit has no countdown
    confirmed = ids[0]
    q(web_client, "UPDATE hits SET status = 'ditolak' WHERE hit_id = ?", [confirmed])
    html = await (await web_client.get(f"/?date={DAY}&lang=en")).text()
    assert confirmed not in badges(html) and badges(html)[ids[3]][0] == "expired"
    # the hit page names the due date
    due = (today - timedelta(days=9) + timedelta(days=7)).isoformat()
    page = await (await web_client.get(f"/hits/{ids[3]}")).text()
    assert f'data-due="{due}"' in page and "Batas registrasi temuan" in page


@pytest.fixture
def stage_dir(web_dir):
    """The demo copy with elections configured, plus one post ingested under that configuration."""
    d, facts = web_dir
    cfg = d / "config.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + ELECTIONS, encoding="utf-8")
    line = {"platform": "x", "post_id": "888000111", "url": "https://x.com/katarina_ngadan/status/888000111",
            "created_at": "2023-11-12T23:30:00+07:00",  # the evening before the tickets were fixed (WIB)
            "author": {"id": "777", "handle": "katarina_ngadan", "name": "Katarina"},
            "kind": "post", "text": "Ayo coblos Prabowo Gibran! #PrabowoGibran2024"}
    f = d / "stage.jsonl"
    f.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with AppContext(load_config(cfg)) as app:
        ingest_files(app, [f])
        hit = app.store.con.execute("SELECT hit_id FROM hits WHERE post_id = '888000111'").fetchone()
    assert hit, "the test post should score as a hit"
    return d, facts, hit[0]


@pytest.fixture
async def stage_client(stage_dir, aiohttp_client):
    d, facts, hit_id = stage_dir
    svc = Service(load_config(d / "config.toml"))
    client = await aiohttp_client(make_app(svc, (setup_web,)))
    client.svc, client.facts, client.hit_id = svc, facts, hit_id
    yield client
    await svc.stop()


async def test_hit_page_suggests_the_stage_with_its_legal_basis_and_the_reviewer_corrects_it(stage_client):
    c = stage_client
    await login(c, "pengawas1")
    html = await (await c.get(f"/hits/{c.hit_id}")).text()
    assert 'data-election="pemilu2024-pilpres"' in html and 'data-stage="bakal_calon"' in html
    assert "bakal calon (sebelum penetapan)" in html and "PP 42/2004" in html and "sanksi moral" in html
    assert "2023-11-12" in html and "2023-11-13" in html  # the local post date and the determination
    # the review form preselects the suggestion
    assert re.search(r'<option value="pemilu2024-pilpres" selected>', html)
    assert re.search(r'<option value="bakal_calon" selected>', html)
    # an unknown choice is refused and nothing is stored
    token = await csrf_of(c, f"/hits/{c.hit_id}")
    r = await c.post(f"/hits/{c.hit_id}/review", data={"csrf": token, "action": "confirm",
                                                        "election_id": "pilkada-mars", "stage": "calon"},
                     allow_redirects=False)
    assert r.status == 400
    assert q(c, "SELECT status FROM hits WHERE hit_id = ?", [c.hit_id])[0][0] == "baru"
    # the reviewer corrects the stage (e.g. the post was made after the determination) and confirms
    r = await c.post(f"/hits/{c.hit_id}/review", data={"csrf": token, "action": "confirm",
                                                        "election_id": "pemilu2024-pilpres", "stage": "calon"},
                     allow_redirects=False)
    assert r.status == 302
    row = q(c, "SELECT stage, confirmed_election_id, confirmed_stage, confirmed_by FROM hit_elections "
               "WHERE hit_id = ?", [c.hit_id])[0]
    assert row == ("bakal_calon", "pemilu2024-pilpres", "calon", "pengawas1")  # suggestion kept, decision beside
    actions = [a[0] for a in q(c, "SELECT action FROM audit_log WHERE object = ?", [c.hit_id])]
    assert "hit.dikonfirmasi" in actions and "hit.classify" in actions
    html = await (await c.get(f"/hits/{c.hit_id}?lang=en")).text()
    assert 'data-confirmed-stage="calon"' in html and "PP 94/2021" in html


async def test_hit_made_before_elections_were_configured_gets_a_live_suggestion(stage_client):
    c = stage_client
    await login(c, "pengawas1")
    # a demo hit on a ticket rule, ingested without elections: computed now, said so
    hit_id = q(c, "SELECT h.hit_id FROM hits h LEFT JOIN hit_elections e USING (hit_id) WHERE e.hit_id IS NULL "
                  "AND h.rules LIKE '%paslon0%' AND NOT h.ambiguous LIMIT 1")[0][0]
    html = await (await c.get(f"/hits/{hit_id}")).text()
    assert "Dihitung sekarang dari konfigurasi" in html
    assert 'data-election="pemilu2024-pilpres"' in html and 'data-stage="calon"' in html
    assert "PP 94/2021" in html and "Pasal 5 huruf n" in html
    # confirming "cannot be determined" is a valid decision and gets a row of its own
    token = await csrf_of(c, f"/hits/{hit_id}")
    r = await c.post(f"/hits/{hit_id}/review", data={"csrf": token, "action": "confirm",
                                                      "election_id": "", "stage": ""}, allow_redirects=False)
    assert r.status == 302
    row = q(c, "SELECT election_id, stage, confirmed_election_id, confirmed_stage FROM hit_elections "
               "WHERE hit_id = ?", [hit_id])[0]
    assert row == ("pemilu2024-pilpres", "calon", "", "")
    html = await (await c.get(f"/hits/{hit_id}")).text()
    assert "tidak dapat ditentukan" in html


async def test_stage_texts_exist_in_both_languages(stage_client):
    c = stage_client
    await login(c, "pengawas1")
    leftover = re.compile(r">\s*((?:stage|deadline)_[a-z_]+)\s*<")
    for path in (f"/hits/{c.hit_id}?lang=en", f"/hits/{c.hit_id}", f"/?date={DAY}"):
        html = await (await c.get(path)).text()
        assert not leftover.findall(html), (path, leftover.findall(html))
