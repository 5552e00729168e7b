"""Admin page "Data protection": legal holds (set / lift, audit-logged) and what each retention run removed."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from monitor.web.context import error_page, render, require, scope, state, user
from monitor.web.messages import register

register({
    "dp_title": {"id": "Perlindungan data", "en": "Data protection"},
    "dp_holds": {"id": "Penahanan hukum", "en": "Legal holds"},
    "dp_holds_help": {
        "id": "Temuan yang ditahan beserta unggahan dan buktinya tidak pernah dihapus oleh retensi.",
        "en": "A hit on legal hold keeps its post and evidence whatever the retention settings."},
    "dp_no_holds": {"id": "Tidak ada temuan yang ditahan.", "en": "No hit is on legal hold."},
    "dp_hit": {"id": "ID temuan", "en": "Hit id"},
    "dp_reason": {"id": "Alasan", "en": "Reason"},
    "dp_by": {"id": "Oleh", "en": "By"},
    "dp_at": {"id": "Waktu", "en": "When"},
    "dp_status": {"id": "Status", "en": "Status"},
    "dp_set": {"id": "Tahan", "en": "Put on hold"},
    "dp_clear": {"id": "Cabut penahanan", "en": "Lift the hold"},
    "dp_saved": {"id": "Tersimpan dan dicatat di log audit.", "en": "Saved and recorded in the audit log."},
    "dp_need_reason": {"id": "Alasan wajib diisi.", "en": "A reason is required."},
    "dp_runs": {"id": "Riwayat retensi", "en": "Retention runs"},
    "dp_no_runs": {"id": "Retensi belum pernah dijalankan.", "en": "Retention has not run yet."},
    "dp_counts": {"id": "Dihapus", "en": "Removed"},
    "dp_cutoffs": {"id": "Batas waktu", "en": "Cut-offs"},
})


async def _page(request: web.Request, *, status: int = 200, error: str | None = None) -> web.Response:
    sc = scope(request)

    def load(s):  # holds on the office subtree's hits only (holds are few)
        holds = [h for h in s.legal_holds() if sc.everything or s.hit_in_scope(h["hit_id"], sc)]
        return holds, s.retention_runs(50)

    holds, runs = await state(request).db(load)
    return render(request, "data_protection.html", status=status, holds=holds, runs=runs, error=error,
                  hit_id=request.query.get("hit", ""), saved=request.query.get("saved") == "1")


@require("admin")
async def page(request: web.Request) -> web.Response:
    return await _page(request)


@require("admin")
async def set_hold(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    hit_id = str(form.get("hit_id", "")).strip()
    reason = str(form.get("reason", "")).strip()
    hold = form.get("hold") == "1"
    st = state(request)
    if not hit_id or await st.db(lambda s: s.get_hit(hit_id)) is None:
        return error_page(request, 404, "not_found")
    sc = scope(request)
    if not sc.everything and not await st.db(lambda s: s.hit_in_scope(hit_id, sc)):
        return error_page(request, 403, "forbidden")
    if not reason:
        return await _page(request, status=400, error="dp_need_reason")
    actor = user(request)["username"]
    await st.db(lambda s: s.set_legal_hold(hit_id, hold=hold, actor=actor, reason=reason[:500]))
    raise web.HTTPFound("/admin/data-protection?" + urlencode({"saved": 1, "hit": hit_id}))


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/data-protection", page)
    app.router.add_post("/admin/data-protection/hold", set_hold)
