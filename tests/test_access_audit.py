"""Audit of access: viewing or exporting an ASN's hits leaves an audit row; the log is append-only."""

import re
from pathlib import Path

from tests.webutil import login, web_client, web_dir, demo_template  # noqa: F401

PKG = Path(__file__).resolve().parents[1] / "monitor"


def q(client, sql, params=None):
    return client.svc.app.store.con.execute(sql, params or []).fetchall()


def test_nothing_in_the_application_updates_or_deletes_audit_rows():
    pattern = re.compile(r"\b(UPDATE\s+audit_log|DELETE\s+FROM\s+audit_log|TRUNCATE\s+(TABLE\s+)?audit_log|"
                         r"DROP\s+TABLE\s+(IF\s+EXISTS\s+)?audit_log|ALTER\s+TABLE\s+audit_log)\b", re.IGNORECASE)
    offenders = [str(f.relative_to(PKG)) for f in PKG.rglob("*.py") if pattern.search(f.read_text(encoding="utf-8"))]
    assert offenders == []
    # the pattern does find such a statement (the check can fail)
    assert pattern.search('con.execute("delete from  audit_log where id = 1")')


async def test_viewing_a_hit_and_a_person_and_exporting_are_audited(web_client):
    await login(web_client, "pengawas1")
    hit_id, nip = q(web_client, "SELECT hit_id, nip FROM hits WHERE nip IS NOT NULL AND NOT ambiguous "
                                "ORDER BY hit_id LIMIT 1")[0]
    assert (await web_client.get(f"/hits/{hit_id}")).status == 200
    rows = q(web_client, "SELECT actor, action, object, detail FROM audit_log WHERE action = 'access.hit_view'")
    assert len(rows) == 1
    actor, _, obj, detail = rows[0]
    assert (actor, obj) == ("pengawas1", hit_id) and nip in detail

    assert (await web_client.get(f"/roster/{nip}")).status == 200
    assert q(web_client, "SELECT actor, object FROM audit_log WHERE action = 'access.person_view'") == [
        ("pengawas1", nip)]

    r = await web_client.get("/export.csv?date=2024-01-21")
    assert r.status == 200
    exported = {row[0] for row in q(web_client, "SELECT DISTINCT nip FROM hits WHERE nip IS NOT NULL AND "
                                                "post_created_at >= '2024-01-20 17:00:00+00' AND "
                                                "post_created_at < '2024-01-21 17:00:00+00'")}
    detail = q(web_client, "SELECT detail FROM audit_log WHERE action = 'hits.export'")[0][0]
    assert exported and all(n in detail for n in exported)

    # an unknown hit or a refused page is not an access
    assert (await web_client.get("/hits/Hnope")).status == 404
    assert q(web_client, "SELECT count(*) FROM audit_log WHERE action = 'access.hit_view'")[0][0] == 1


async def test_admin_sets_and_lifts_a_legal_hold_on_the_web_and_sees_retention_runs(web_client):
    from tests.webutil import csrf_of

    hit_id = q(web_client, "SELECT hit_id FROM hits ORDER BY hit_id LIMIT 1")[0][0]
    await login(web_client, "pengawas1")
    assert (await web_client.get("/admin/data-protection")).status == 403
    token = await csrf_of(web_client, "/")
    r = await web_client.post("/admin/data-protection/hold", data={"csrf": token, "hit_id": hit_id, "hold": "1",
                                                                  "reason": "x"}, allow_redirects=False)
    assert r.status == 403
    await login(web_client, "admin1")
    html = await (await web_client.get(f"/hits/{hit_id}")).text()
    assert f"/admin/data-protection?hit={hit_id}" in html
    token = await csrf_of(web_client, f"/admin/data-protection?hit={hit_id}")
    r = await web_client.post("/admin/data-protection/hold", data={"csrf": token, "hit_id": hit_id, "hold": "1",
                                                                  "reason": ""}, allow_redirects=False)
    assert r.status == 400
    r = await web_client.post("/admin/data-protection/hold", data={"csrf": token, "hit_id": hit_id, "hold": "1",
                                                                  "reason": "perkara <b>12</b>"}, allow_redirects=False)
    assert r.status == 302
    assert q(web_client, "SELECT legal_hold, legal_hold_by FROM hits WHERE hit_id = ?", [hit_id]) == [(True, "admin1")]
    web_client.svc.retention()
    html = await (await web_client.get("/admin/data-protection")).text()
    assert f'data-hold="{hit_id}"' in html and "perkara &lt;b&gt;12&lt;/b&gt;" in html and "data-run=" in html
    r = await web_client.post("/admin/data-protection/hold", data={"csrf": token, "hit_id": hit_id, "hold": "0",
                                                                  "reason": "selesai"}, allow_redirects=False)
    assert r.status == 302
    assert q(web_client, "SELECT legal_hold FROM hits WHERE hit_id = ?", [hit_id]) == [(False,)]
    assert [a[0] for a in q(web_client, "SELECT action FROM audit_log WHERE object = ? AND action LIKE 'hit.legal%' "
                                        "ORDER BY id", [hit_id])] == ["hit.legal_hold", "hit.legal_hold_cleared"]
