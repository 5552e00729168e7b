"""Alerts: a supervisor's alerts with acknowledgement and follow-up; the delivery queue for staff."""

from __future__ import annotations

from aiohttp import web

from monitor.store.scope import Scope
from monitor.web.context import error_page, render, require, scope, state, user
from monitor.web.messages import register

FOLLOW_UPS = ("pembinaan", "klarifikasi", "diteruskan_ppk", "sanksi_proses", "tidak_terbukti", "lainnya")

register({
    "nav_alerts": {"id": "Peringatan", "en": "Alerts"},
    "alerts_title": {"id": "Peringatan ke atasan", "en": "Alerts to supervisors"},
    "alerts_mine": {"id": "Peringatan untuk Anda", "en": "Your alerts"},
    "alerts_none": {"id": "Belum ada peringatan.", "en": "No alerts yet."},
    "alerts_col_time": {"id": "Dibuat", "en": "Created"},
    "alerts_col_level": {"id": "Tingkat", "en": "Level"},
    "alerts_col_subject": {"id": "ASN", "en": "ASN"},
    "alerts_col_recipient": {"id": "Penerima", "en": "Recipient"},
    "alerts_col_delivery": {"id": "Pengiriman", "en": "Delivery"},
    "alerts_col_ack": {"id": "Tindak lanjut", "en": "Follow-up"},
    "alerts_delivery": {"id": "{sent} terkirim, {pending} antre, {failed} gagal",
                        "en": "{sent} sent, {pending} queued, {failed} failed"},
    "alerts_failed_title": {"id": "Pengiriman gagal", "en": "Failed deliveries"},
    "alerts_open": {"id": "Buka", "en": "Open"},
    "alerts_not_acked": {"id": "belum ditindaklanjuti", "en": "not yet acknowledged"},
    "alert_title": {"id": "Peringatan {id}", "en": "Alert {id}"},
    "alert_note": {
        "id": "Dugaan pelanggaran netralitas ASN oleh bawahan Anda yang perlu ditindaklanjuti; belum merupakan putusan.",
        "en": "An alleged neutrality violation by someone under you that needs follow-up; not a verdict.",
    },
    "alert_level": {"id": "Tingkat {n} (1 = atasan langsung)", "en": "Level {n} (1 = direct supervisor)"},
    "alert_hit": {"id": "Lihat temuan", "en": "View the hit"},
    "alert_ack_title": {"id": "Catat tindak lanjut", "en": "Record the follow-up"},
    "alert_ack_submit": {"id": "Simpan tindak lanjut", "en": "Save follow-up"},
    "alert_acked": {"id": "Ditindaklanjuti oleh {by} pada {at}: {follow_up}",
                    "en": "Acknowledged by {by} at {at}: {follow_up}"},
    "alert_follow_up": {"id": "Tindak lanjut", "en": "Follow-up"},
    "alert_ack_note": {"id": "Catatan", "en": "Note"},
    "fu_pembinaan": {"id": "pembinaan", "en": "guidance (pembinaan)"},
    "fu_klarifikasi": {"id": "klarifikasi kepada ASN", "en": "clarification with the ASN"},
    "fu_diteruskan_ppk": {"id": "diteruskan ke PPK", "en": "forwarded to the staffing officer (PPK)"},
    "fu_sanksi_proses": {"id": "proses sanksi disiplin", "en": "disciplinary process started"},
    "fu_tidak_terbukti": {"id": "tidak terbukti setelah diperiksa", "en": "not substantiated after checking"},
    "fu_lainnya": {"id": "lainnya (jelaskan)", "en": "other (explain)"},
    "alert_need_note": {"id": "Jelaskan tindak lanjut pada catatan.", "en": "Explain the follow-up in the note."},
})


def _may_see(u: dict, alert: dict) -> bool:
    return u["role"] in ("admin", "pengawas") or (u["role"] == "atasan" and u.get("nip") == alert["recipient_nip"])


@require()
async def alerts_list(request: web.Request) -> web.Response:
    u = user(request)
    st = state(request)
    mine = u["role"] == "atasan"
    # staff: alerts about their office subtree's hits; a supervisor: those addressed to them
    office = Scope(office=scope(request).office) if not mine else Scope()
    rows = await st.db(lambda s: s.alert_overview(recipient_nip=(u.get("nip") or "-") if mine else None,
                                                  scope=office))
    failed = [] if mine else await st.db(lambda s: s.deliveries(status="failed"))
    if not mine and not office.everything:  # only deliveries of the alerts shown
        shown = {r["alert_id"] for r in rows} | {r["digest_id"] for r in rows if r.get("digest_id")}
        failed = [d for d in failed if d["message_id"] in shown]
    return render(request, "alerts.html", rows=rows, failed=failed, mine=mine)


async def _alert_or_error(request: web.Request):
    st = state(request)
    alert = await st.db(lambda s: s.get_alert(request.match_info["alert_id"]))
    if alert is None:
        return None, error_page(request, 404, "not_found")
    u = user(request)
    if not _may_see(u, alert):
        return None, error_page(request, 403, "forbidden")
    if u["role"] != "atasan":  # staff: only alerts about their office subtree's hits
        office = Scope(office=scope(request).office)
        if not office.everything and not await st.db(lambda s: s.hit_in_scope(alert["hit_id"], office)):
            return None, error_page(request, 403, "forbidden")
    return alert, None


@require()
async def alert_detail(request: web.Request) -> web.Response:
    alert, err = await _alert_or_error(request)
    if err:
        return err
    st = state(request)
    hit = await st.db(lambda s: s.get_hit(alert["hit_id"]))
    deliveries = await st.db(lambda s: s.deliveries(message_id=alert["alert_id"]))
    return render(request, "alert.html", alert=alert, hit=hit, deliveries=deliveries, follow_ups=FOLLOW_UPS,
                  error=None)


@require("atasan", "admin")
async def alert_ack(request: web.Request) -> web.StreamResponse:
    alert, err = await _alert_or_error(request)
    if err:
        return err
    u = user(request)
    if u["role"] == "atasan" and u.get("nip") != alert["recipient_nip"]:
        return error_page(request, 403, "forbidden")
    form = await request.post()
    follow_up = str(form.get("follow_up", ""))
    note = str(form.get("note", "")).strip()[:2000]
    st = state(request)
    if follow_up not in FOLLOW_UPS or (follow_up == "lainnya" and not note):
        hit = await st.db(lambda s: s.get_hit(alert["hit_id"]))
        deliveries = await st.db(lambda s: s.deliveries(message_id=alert["alert_id"]))
        return render(request, "alert.html", status=400, alert=alert, hit=hit, deliveries=deliveries,
                      follow_ups=FOLLOW_UPS, error="alert_need_note")
    await st.db(lambda s: s.ack_alert(alert["alert_id"], by=u["username"], follow_up=follow_up, note=note))
    raise web.HTTPSeeOther(f"/alerts/{alert['alert_id']}")


def setup(app: web.Application) -> None:
    app.router.add_get("/alerts", alerts_list)
    app.router.add_get("/alerts/{alert_id}", alert_detail)
    app.router.add_post("/alerts/{alert_id}/ack", alert_ack)
