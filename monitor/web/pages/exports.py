"""Exports of the hit list (CSV, XLSX; same filters as the list, every page) and a printable finding report."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

from aiohttp import web

from monitor.cli.output import JSON_FIELDS, explanation, render_csv, to_json_obj
from monitor.web.context import error_page, lang, render, require, state, user
from monitor.web.messages import register
from monitor.web.pages.hits import highlight, load_visible_hit, parse_filters, rule_terms

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
})


async def _rows(request: web.Request) -> list[dict]:
    f, shown = parse_filters(request)
    rows, _ = await state(request).db(lambda s: s.web_list_hits(f, sort=shown["sort"], limit=None))
    return rows


async def _audit_export(request: web.Request, fmt: str, n: int) -> None:
    u = user(request)
    await state(request).db(lambda s: s.audit(u["username"], "hits.export", None,
                                              {"format": fmt, "rows": n, "query": request.query_string}))


def _name(request: web.Request, ext: str) -> str:
    _, shown = parse_filters(request)
    return f"temuan-{shown['date']}.{ext}"


@require()
async def export_csv(request: web.Request) -> web.StreamResponse:
    rows = await _rows(request)
    await _audit_export(request, "csv", len(rows))
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
    await _audit_export(request, "xlsx", len(rows))
    body = _xlsx(rows, state(request).tz, lang(request))
    return web.Response(
        body=body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_name(request, "xlsx")}"',
                 "Cache-Control": "no-store"})


@require()
async def print_hit(request: web.Request) -> web.Response:
    hit_id = request.match_info["hit_id"]
    hit, err = await load_visible_hit(request, hit_id)
    if err is not None:
        return err
    if hit["status"] != "dikonfirmasi":
        return error_page(request, 409, "print_only_confirmed")
    post = await state(request).db(lambda s: s.post_details(hit["platform"], hit["post_id"]))
    chosen = next((c for c in hit.get("candidates") or [] if c["nip"] == hit["nip"]), None)
    return render(
        request, "hit_print.html", hit=hit, post=post or {}, person=chosen or {},
        text_html=highlight(hit.get("text"), rule_terms(hit)),
        parent_html=highlight(hit.get("parent_text"), rule_terms(hit)),
        explanation=explanation(hit, lang(request)), printed_at=datetime.now(timezone.utc),
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/export.csv", export_csv)
    app.router.add_get("/export.xlsx", export_xlsx)
    app.router.add_get("/hits/{hit_id}/print", print_hit)
