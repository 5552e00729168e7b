"""Official outputs: the finding report as PDF (headless Chromium, text checked with pypdf) and XLSX,
the monthly summary per agency and the complaint-system CSV."""

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.browser import need_chromium
from tests.webutil import csrf_of, login, web_client, web_dir, demo_template  # noqa: F401


def q(client, sql, params=()):
    with client.svc.lock:
        return client.svc.app.store.con.execute(sql, list(params)).fetchall()


async def confirm(client, hit_id):
    token = await csrf_of(client, f"/hits/{hit_id}")
    r = await client.post(f"/hits/{hit_id}/review", data={"csrf": token, "action": "confirm",
                                                          "reason_text": "terbukti"}, allow_redirects=False)
    assert r.status == 302, await r.text()


def a_hit(client):
    """A declared-account hit of the demo (one person, known NIP)."""
    return q(client, "SELECT h.hit_id, h.nip, r.nama, r.jabatan, r.instansi, p.raw_sha256, "
                     "strftime(h.post_created_at AT TIME ZONE 'Asia/Pontianak', '%Y-%m') "
                     "FROM hits h JOIN roster r ON r.nip = h.nip JOIN posts p USING (platform, post_id) "
                     "WHERE NOT h.ambiguous AND h.identity_method = 'declared_account' ORDER BY h.hit_id LIMIT 1")[0]


@pytest.mark.browser
async def test_finding_report_pdf_rendered_by_chromium_has_the_fields(web_client):
    need_chromium()
    from pypdf import PdfReader

    await login(web_client, "pengawas1")
    hit_id, nip, nama, jabatan, instansi, sha, _ = a_hit(web_client)
    assert (await web_client.get(f"/hits/{hit_id}/report.pdf")).status == 409  # not confirmed yet
    await confirm(web_client, hit_id)
    r = await web_client.get(f"/hits/{hit_id}/report.pdf")
    assert r.status == 200 and r.content_type == "application/pdf", await r.text()
    body = await r.read()
    assert body.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    flat = "".join(text.split())
    assert "Laporan temuan dugaan pelanggaran netralitas ASN" in " ".join(text.split())
    for value in (nip, hit_id, sha, "pengawas1", "Penemu", "Bawaslu Kota Pontianak"):
        assert "".join(value.split()) in flat, value
    assert "".join(nama.split()) in flat and "".join(instansi.split()) in flat
    assert "Dicetak" in text and "WIB" in text


async def test_finding_report_xlsx_and_print_page(web_client):
    await login(web_client, "pengawas1")
    hit_id, nip, nama, jabatan, instansi, sha, _ = a_hit(web_client)
    await confirm(web_client, hit_id)
    html = await (await web_client.get(f"/hits/{hit_id}/print")).text()
    assert "Penemu" in html and f"/hits/{hit_id}/report.pdf" in html and sha in html
    r = await web_client.get(f"/hits/{hit_id}/report.xlsx")
    assert r.status == 200
    ws = load_workbook(io.BytesIO(await r.read())).active
    fields = {row[0]: row[1] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert fields["NIP"] == nip and isinstance(fields["NIP"], str)
    assert fields["Nama"] == nama and fields["Jabatan"] == jabatan and fields["Instansi"] == instansi
    assert fields["Pemeriksa (pengawas)"] == "pengawas1"
    assert fields["SHA-256 unggahan saat pengambilan"] == sha
    assert fields["Penemu"].startswith("Bawaslu Kota Pontianak")
    assert fields["Uraian perbuatan"]


async def test_monthly_summary_per_agency_and_complaint_csv(web_client):
    await login(web_client, "pengawas1")
    hit_id, nip, nama, jabatan, instansi, sha, month = a_hit(web_client)
    await confirm(web_client, hit_id)
    want = dict(q(web_client, """
        SELECT coalesce(r.instansi, '(tidak diketahui)'), count(*) FROM hits h LEFT JOIN roster r ON r.nip = coalesce(h.confirmed_nip, h.nip)
        WHERE strftime(h.post_created_at AT TIME ZONE 'Asia/Pontianak', '%Y-%m') = ? GROUP BY 1""", [month]))
    r = await web_client.get(f"/reports/monthly.csv?month={month}")
    assert r.status == 200
    rows = list(csv.DictReader(io.StringIO((await r.read()).decode("utf-8-sig"))))
    got = {row["Instansi"]: int(row["Temuan"]) for row in rows if row["Instansi"] != "Jumlah"}
    assert got == want
    total = next(row for row in rows if row["Instansi"] == "Jumlah")
    assert int(total["Temuan"]) == sum(want.values()) and int(total["Dikonfirmasi"]) == 1
    assert int(next(row for row in rows if row["Instansi"] == instansi)["Dikonfirmasi"]) == 1
    x = await web_client.get(f"/reports/monthly.xlsx?month={month}")
    ws = load_workbook(io.BytesIO(await x.read())).active
    assert ws.cell(1, 1).value == "Instansi" and ws.max_row == len(want) + 2
    assert (await web_client.get("/reports/monthly.csv?month=2024-13")).status == 400

    # the complaint CSV lists findings confirmed in the month (reviewed now): this month
    c = await web_client.get("/reports/complaints.csv")
    lines = list(csv.DictReader(io.StringIO((await c.read()).decode("utf-8-sig"))))
    assert len(lines) == 1
    row = lines[0]
    assert row["nip_terlapor"] == nip and row["nama_terlapor"] == nama and row["nomor_temuan"] == hit_id
    assert row["sha256_bukti"] == sha and row["pemeriksa"] == "pengawas1"
    assert row["jenis_pelanggaran"].startswith("Pelanggaran netralitas ASN")
    assert (await web_client.get(f"/reports/complaints.csv?month={month}")).status == 200


async def test_reports_are_for_reviewers_only(web_client):
    await login(web_client, "atasan1")
    assert (await web_client.get("/reports/monthly.csv")).status == 403
    assert (await web_client.get("/reports/complaints.csv")).status == 403


async def test_list_links_the_month_reports_for_reviewers(web_client):
    await login(web_client, "pengawas1")
    html = await (await web_client.get("/?date=2024-01-21")).text()
    assert "/reports/monthly.xlsx?month=2024-01" in html and "/reports/complaints.csv?month=2024-01" in html
