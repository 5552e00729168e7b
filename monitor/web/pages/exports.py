"""Exports of the hit list (CSV, XLSX; same filters as the list, every page) and a printable finding report."""

from __future__ import annotations

import io
import json
import logging
from datetime import date, datetime, time, timezone
from pathlib import Path

from aiohttp import web
from markupsafe import Markup

from monitor.cli.output import JSON_FIELDS, explanation, render_csv, to_json_obj
from monitor.web.access_audit import record_access, rows_nips
from monitor.web.context import error_page, lang, render, require, scope, state, user
from monitor.web.messages import register
from monitor.reports.finding import finding_record
from monitor.reports.pdf import PdfError, html_to_pdf
from monitor.reports.tables import complaint_csv, finding_xlsx, monthly_csv, monthly_xlsx
from monitor.web.pages.hits import REVIEWERS, highlight, load_visible_hit, parse_filters, rule_terms

log = logging.getLogger("monitor.web")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

register({
    "print_title": {"id": "Laporan temuan dugaan pelanggaran netralitas ASN",
                    "en": "Report of an alleged ASN neutrality violation"},
    "print_allegation": {
        "id": "Dokumen ini memuat DUGAAN yang telah dikonfirmasi pengawas dan masih menunggu tindak lanjut "
              "(klarifikasi dan penanganan sesuai ketentuan); bukan putusan pelanggaran.",
        "en": "This document holds an ALLEGATION confirmed by a watcher and pending follow-up "
              "(clarification and handling under the regulations); it is not a finding of a violation.",
    },
    "print_who": {"id": "Siapa", "en": "Who"},
    "print_what": {"id": "Apa", "en": "What"},
    "print_when": {"id": "Kapan", "en": "When"},
    "print_where": {"id": "Di mana", "en": "Where"},
    "print_evidence": {"id": "Bukti", "en": "Evidence"},
    "print_review": {"id": "Keputusan pengawas", "en": "Watcher's decision"},
    "print_url": {"id": "Alamat unggahan", "en": "Post URL"},
    "print_only_confirmed": {"id": "Hanya temuan yang sudah dikonfirmasi yang dapat dicetak sebagai laporan.",
                             "en": "Only confirmed hits can be printed as a report."},
    "print_printed": {"id": "Dicetak", "en": "Printed"},
    "print_button_hint": {"id": "Gunakan fungsi cetak peramban (Ctrl+P).", "en": "Use the browser's print (Ctrl+P)."},
    "print_found": {"id": "Penemuan", "en": "Discovery"},
    "print_found_by": {"id": "Penemu", "en": "Found by"},
    "print_found_at": {"id": "Waktu ditemukan", "en": "Found at"},
    "print_media": {"id": "SHA-256 media", "en": "Media SHA-256"},
    "print_post_state": {"id": "Status unggahan (pemantauan penghapusan)", "en": "Post status (deletion watch)"},
    "print_pdf": {"id": "Unduh PDF", "en": "Download PDF"},
    "print_xlsx": {"id": "Unduh XLSX", "en": "Download XLSX"},
    "pdf_failed": {"id": "PDF tidak dapat dibuat (Chromium tidak tersedia atau gagal).",
                   "en": "The PDF could not be made (Chromium missing or failed)."},
    "reports_monthly": {"id": "Ringkasan bulanan per instansi (XLSX)", "en": "Monthly summary per agency (XLSX)"},
    "reports_complaints": {"id": "CSV sistem pengaduan ASN (temuan dikonfirmasi bulan ini)",
                           "en": "Civil-service complaint system CSV (findings confirmed this month)"},
    "bad_month": {"id": "Bulan tidak valid (format YYYY-MM).", "en": "Invalid month (format YYYY-MM)."},
    "hit_evidence_zip": {"id": "Unduh paket bukti (zip, dapat diverifikasi)",
                         "en": "Download the evidence package (zip, verifiable)"},
    "post_state_deleted": {"id": "unggahan dihapus (diketahui {at})", "en": "post deleted (noticed {at})"},
    "post_state_edited": {"id": "unggahan diubah (diketahui {at})", "en": "post edited (noticed {at})"},
    "evidence_failed": {"id": "Paket bukti tidak dapat dibuat: berkas media tersimpan hilang atau berubah.",
                        "en": "The evidence package cannot be built: a stored media file is missing or changed."},
})


async def _rows(request: web.Request) -> list[dict]:
    f, shown = parse_filters(request)
    rows, _ = await state(request).db(lambda s: s.web_list_hits(f, sort=shown["sort"], limit=None))
    return rows


async def _audit_export(request: web.Request, fmt: str, rows: list[dict]) -> None:
    u = user(request)
    await state(request).db(lambda s: s.audit(u["username"], "hits.export", None,
                                              {"format": fmt, "rows": len(rows), "query": request.query_string,
                                               "nips": rows_nips(rows)}))


def _name(request: web.Request, ext: str) -> str:
    _, shown = parse_filters(request)
    return f"temuan-{shown['date']}.{ext}"


@require()
async def export_csv(request: web.Request) -> web.StreamResponse:
    rows = await _rows(request)
    await _audit_export(request, "csv", rows)
    body = "\ufeff" + render_csv(rows, state(request).tz, lang(request))  # BOM: spreadsheet apps read UTF-8
    return web.Response(body=body.encode("utf-8"), content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="{_name(request, "csv")}"', "Cache-Control": "no-store"})


def _xlsx(rows: list[dict], tz, lg: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "temuan"
    ws.append(JSON_FIELDS)
    for r in rows:
        o = to_json_obj(r, tz, lg)
        line = []
        for k in JSON_FIELDS:
            v = o.get(k)
            if isinstance(v, (list, dict)):
                v = json.dumps(v, ensure_ascii=False)
            elif isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
                v = "'" + v  # never let post text become a spreadsheet formula
            line.append(v)
        ws.append(line)
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@require()
async def export_xlsx(request: web.Request) -> web.StreamResponse:
    rows = await _rows(request)
    await _audit_export(request, "xlsx", rows)
    body = _xlsx(rows, state(request).tz, lang(request))
    return web.Response(
        body=body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_name(request, "xlsx")}"',
                 "Cache-Control": "no-store"})


async def _report(request: web.Request, fmt: str) -> tuple[dict | None, web.Response | None]:
    """Everything the finding report shows, for a confirmed hit this user may see (else an error
    page); the access is audit-logged."""
    hit_id = request.match_info["hit_id"]
    hit, err = await load_visible_hit(request, hit_id)
    if err is not None:
        return None, err
    if hit["status"] != "dikonfirmasi":
        return None, error_page(request, 409, "print_only_confirmed")
    await record_access(request, "report", hit=hit, detail=None if fmt == "html" else {"format": fmt})
    st = state(request)
    post, media = await st.db(lambda s: (s.post_details(hit["platform"], hit["post_id"]),
                                         [m for m in s.media_of(hit["platform"], hit["post_id"])
                                          if m["status"] == "captured"]))
    chosen = next((c for c in hit.get("candidates") or [] if c["nip"] == hit["nip"]), None)
    lg = lang(request)
    return {
        "hit": hit, "post": post or {}, "person": chosen or {}, "media": media,
        "record": finding_record(hit, post, media, office=st.config.office.name, tz=st.tz, lang=lg),
        "text_html": highlight(hit.get("text"), rule_terms(hit)),
        "parent_html": highlight(hit.get("parent_text"), rule_terms(hit)),
        "explanation": explanation(hit, lg), "printed_at": datetime.now(timezone.utc),
    }, None


@require()
async def print_hit(request: web.Request) -> web.Response:
    ctx, err = await _report(request, "html")
    if err is not None:
        return err
    return render(request, "hit_print.html", **ctx)


_CSS: str | None = None


def _css() -> str:
    global _CSS
    if _CSS is None:
        _CSS = (Path(__file__).resolve().parents[1] / "static" / "style.css").read_text(encoding="utf-8")
    return _CSS


@require()
async def report_pdf(request: web.Request) -> web.StreamResponse:
    """The printed finding report rendered to PDF by headless Chromium (a self-contained page)."""
    ctx, err = await _report(request, "pdf")
    if err is not None:
        return err
    html = render(request, "report_pdf.html", css=Markup(_css()), **ctx).text
    try:
        body = await html_to_pdf(html)
    except PdfError:
        log.exception("PDF of %s failed", ctx["hit"]["hit_id"])
        return error_page(request, 503, "pdf_failed")
    return web.Response(body=body, content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="laporan-{ctx["hit"]["hit_id"]}.pdf"',
        "Cache-Control": "no-store"})


@require()
async def report_xlsx(request: web.Request) -> web.StreamResponse:
    ctx, err = await _report(request, "xlsx")
    if err is not None:
        return err
    return web.Response(body=finding_xlsx(ctx["record"], lang(request)), content_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="laporan-{ctx["hit"]["hit_id"]}.xlsx"',
        "Cache-Control": "no-store"})


def _month(request: web.Request) -> tuple[str, datetime, datetime] | None:
    """``?month=YYYY-MM`` (default: the current local month) as UTC bounds of the office's month."""
    tz = state(request).tz
    value = request.query.get("month") or datetime.now(tz).strftime("%Y-%m")
    try:
        first = date.fromisoformat(value + "-01")
    except ValueError:
        return None
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    start = datetime.combine(first, time(), tz).astimezone(timezone.utc)
    end = datetime.combine(nxt, time(), tz).astimezone(timezone.utc)
    return first.strftime("%Y-%m"), start, end


@require(*REVIEWERS)
async def monthly_summary(request: web.Request) -> web.StreamResponse:
    """Hits of the month per agency (by the post's local month): ``.xlsx`` or ``.csv``."""
    m = _month(request)
    if m is None:
        return error_page(request, 400, "bad_month")
    month, start, end = m
    sc = scope(request)
    rows = await state(request).db(lambda s: s.monthly_summary(start, end, sc))
    fmt = request.match_info["fmt"]
    await record_access(request, "monthly", detail={"format": fmt, "month": month})
    headers = {"Content-Disposition": f'attachment; filename="ringkasan-{month}.{fmt}"', "Cache-Control": "no-store"}
    if fmt == "csv":
        return web.Response(body=monthly_csv(rows, lang(request)).encode("utf-8"), content_type="text/csv",
                            charset="utf-8", headers=headers)
    return web.Response(body=monthly_xlsx(rows, month, lang(request)), content_type=XLSX, headers=headers)


@require(*REVIEWERS)
async def complaints_csv(request: web.Request) -> web.StreamResponse:
    """Findings confirmed in the month, in the columns of the civil-service complaint system (with NIP)."""
    m = _month(request)
    if m is None:
        return error_page(request, 400, "bad_month")
    month, start, end = m
    st = state(request)
    sc = scope(request)
    rows = await st.db(lambda s: s.findings(start, end, sc))
    records = [finding_record(r, r["post"], r["media"], office=st.config.office.name, tz=st.tz, lang="id")
               for r in rows]
    await record_access(request, "complaints", rows=rows, detail={"format": "csv", "month": month})
    return web.Response(body=complaint_csv(records).encode("utf-8"), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="pengaduan-{month}.csv"',
                                 "Cache-Control": "no-store"})


@require()
async def evidence_zip(request: web.Request) -> web.StreamResponse:
    """The hit's evidence package (same as ``monitor evidence export``), audit-logged with its manifest hash."""
    from monitor.evidence.export import export_hit
    from monitor.evidence.package import PackageError
    from monitor.evidence.paths import media_dir

    hit_id = request.match_info["hit_id"]
    hit, err = await load_visible_hit(request, hit_id)
    if err is not None:
        return err
    await record_access(request, "evidence", hit=hit)
    st = state(request)
    root = media_dir(st.svc.app.db_path)
    actor = user(request)["username"]
    try:
        data, _, msha = await st.db(lambda s: export_hit(s, hit_id, root, actor=actor))
    except PackageError:
        return error_page(request, 500, "evidence_failed")
    return web.Response(body=data, content_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="bukti-{hit_id}.zip"', "Cache-Control": "no-store",
        "X-Manifest-SHA256": msha})


def setup(app: web.Application) -> None:
    app.router.add_get("/export.csv", export_csv)
    app.router.add_get("/export.xlsx", export_xlsx)
    app.router.add_get("/hits/{hit_id}/print", print_hit)
    app.router.add_get("/hits/{hit_id}/evidence.zip", evidence_zip)
    app.router.add_get("/hits/{hit_id}/report.pdf", report_pdf)
    app.router.add_get("/hits/{hit_id}/report.xlsx", report_xlsx)
    app.router.add_get("/reports/monthly.{fmt:(csv|xlsx)}", monthly_summary)
    app.router.add_get("/reports/complaints.csv", complaints_csv)
