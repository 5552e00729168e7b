"""Web: the evidence package download on the hit page, and deleted/edited posts marked on the page and list."""

import zipfile

from monitor.evidence.verify import verify_package
from tests.webutil import login, web_client, web_dir, demo_template  # noqa: F401


def q(client, sql, params=()):
    with client.svc.lock:
        return client.svc.app.store.con.execute(sql, list(params)).fetchall()


async def test_evidence_zip_download_verifies_and_is_audited(web_client, tmp_path):
    await login(web_client, "pengawas1")
    hit_id, platform, post_id = q(web_client, "SELECT hit_id, platform, post_id FROM hits ORDER BY hit_id LIMIT 1")[0]
    page = await (await web_client.get(f"/hits/{hit_id}")).text()
    assert f"/hits/{hit_id}/evidence.zip" in page
    r = await web_client.get(f"/hits/{hit_id}/evidence.zip")
    assert r.status == 200 and r.content_type == "application/zip"
    assert f"bukti-{hit_id}.zip" in r.headers["Content-Disposition"]
    pkg = tmp_path / "b.zip"
    pkg.write_bytes(await r.read())
    res = verify_package(pkg)
    assert res.ok, [p.text("en") for p in res.problems]
    assert res.manifest["hit"]["hit_id"] == hit_id and res.manifest_sha256 == r.headers["X-Manifest-SHA256"]
    raw = q(web_client, "SELECT raw FROM posts WHERE platform = ? AND post_id = ?", (platform, post_id))[0][0]
    assert zipfile.ZipFile(pkg).read("post.json").decode("utf-8") == raw
    audit = q(web_client, "SELECT actor FROM audit_log WHERE action = 'evidence.export' AND object = ?", (hit_id,))
    assert audit == [("pengawas1",)]
    assert (await web_client.get("/hits/Hnope00000000/evidence.zip")).status == 404


async def test_supervisor_cannot_download_a_hit_outside_their_view(web_client):
    await login(web_client, "atasan1")
    outside = q(web_client, "SELECT hit_id FROM hits WHERE nip IS NULL LIMIT 1")
    assert outside
    r = await web_client.get(f"/hits/{outside[0][0]}/evidence.zip")
    assert r.status == 403


async def test_deleted_post_is_marked_on_the_hit_page_and_in_the_list(web_client):
    await login(web_client, "pengawas1")
    hit_id, platform, post_id, created = q(
        web_client, "SELECT hit_id, platform, post_id, post_created_at FROM hits ORDER BY score DESC, hit_id LIMIT 1")[0]
    page = await (await web_client.get(f"/hits/{hit_id}")).text()
    assert "unggahan dihapus" not in page
    with web_client.svc.lock:
        web_client.svc.app.store.record_check(platform, post_id, "deleted", detail="test")
    page = await (await web_client.get(f"/hits/{hit_id}")).text()
    assert "unggahan dihapus (diketahui" in page and ("WIB" in page.split("unggahan dihapus")[1][:60])
    from zoneinfo import ZoneInfo
    day = created.astimezone(ZoneInfo("Asia/Pontianak")).date().isoformat()
    listing = await (await web_client.get(f"/?date={day}")).text()
    row = listing.split(f'data-hit="{hit_id}"')[1].split("</tr>")[0]
    assert "unggahan dihapus" in row
