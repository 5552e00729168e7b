"""The daily hit list (home page), one hit with its evidence and review actions, bulk review."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any, Iterable
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup, escape

from monitor.cli.output import explanation
from monitor.models.hit import STATUSES
from monitor.ranking import cues, load_model
from monitor.timeutil import day_bounds, local_today
from monitor.web.context import error_page, lang, render, require, safe_local_path, scope, state, user
from monitor.web.messages import register
from monitor.web.pages.hit_stage import DEADLINE_DAYS, deadline_view, parse_choice, stage_view
from monitor.web.access_audit import record_access
from monitor.web.reads import read

PAGE_SIZE = 50
SORTS = ("score", "time", "instansi", "rank")
FILTER_KEYS = ("instansi", "unit_kerja", "platform", "behaviour", "target", "status")
REVIEWERS = ("admin", "pengawas")

# Dismissal reasons: code -> stored text (Indonesian, the working language of the reports).
DISMISS_REASONS: dict[str, str] = {
    "bukan_asn": "bukan ASN / akun orang lain",
    "tidak_partisan": "konten tidak partisan / salah tafsir",
    "kampanye_netralitas": "kampanye netralitas atau berita",
    "parodi": "akun parodi / palsu",
    "lainnya": "lainnya",
}

register({
    "method_declared_account": {"id": "akun yang didaftarkan", "en": "declared account"},
    "method_reviewer_link": {"id": "akun yang dikonfirmasi pengawas", "en": "account confirmed by a reviewer"},
    "method_name": {"id": "kemiripan nama", "en": "name similarity"},
    "method_none": {"id": "-", "en": "-"},
})
register({
    "hits_title": {"id": "Temuan harian", "en": "Daily hits"},
    "hits_date": {"id": "Tanggal", "en": "Date"},
    "hits_prev_day": {"id": "« hari sebelumnya", "en": "« previous day"},
    "hits_next_day": {"id": "hari berikutnya »", "en": "next day »"},
    "hits_all": {"id": "(semua)", "en": "(all)"},
    "hits_instansi": {"id": "Instansi", "en": "Agency"},
    "hits_unit_kerja": {"id": "Unit kerja", "en": "Work unit"},
    "hits_platform": {"id": "Platform", "en": "Platform"},
    "hits_behaviour": {"id": "Perilaku", "en": "Behaviour"},
    "hits_target": {"id": "Sasaran (paslon/partai)", "en": "Target (ticket/party)"},
    "hits_score_min": {"id": "Skor min.", "en": "Min. score"},
    "hits_score_max": {"id": "Skor maks.", "en": "Max. score"},
    "hits_status": {"id": "Status", "en": "Status"},
    "hits_sort": {"id": "Urutkan", "en": "Sort by"},
    "hits_sort_score": {"id": "skor tertinggi", "en": "highest score"},
    "hits_sort_time": {"id": "waktu terbaru", "en": "newest"},
    "hits_sort_instansi": {"id": "instansi", "en": "agency"},
    "hits_sort_rank": {"id": "urutan pembelajaran", "en": "learned order"},
    "hit_cues": {"id": "Petunjuk urutan pembelajaran", "en": "Learned-order cues"},
    "hit_cues_note": {"id": "Model v{version}: peluang dikonfirmasi {p}. Kontribusi = log-odds relatif "
                                 "terhadap rata-rata temuan yang sudah ditinjau.",
                      "en": "Model v{version}: probability of confirmation {p}. Contribution = log-odds "
                                 "relative to the average reviewed hit."},
    "hit_cue_feature": {"id": "Petunjuk", "en": "Cue"},
    "hit_cue_value": {"id": "Nilai", "en": "Value"},
    "hit_cue_contribution": {"id": "Kontribusi", "en": "Contribution"},
    "hits_apply": {"id": "Terapkan", "en": "Apply"},
    "hits_reset": {"id": "Atur ulang", "en": "Reset"},
    "hits_counts": {"id": "Jumlah per status", "en": "Count per status"},
    "hits_total": {"id": "{n} temuan", "en": "{n} hits"},
    "hits_none": {"id": "Tidak ada temuan untuk pilihan ini.", "en": "No hits for this selection."},
    "hits_time": {"id": "Waktu", "en": "Time"},
    "hits_score": {"id": "Skor", "en": "Score"},
    "hits_person": {"id": "ASN", "en": "Civil servant"},
    "hits_terms": {"id": "Kata kunci", "en": "Terms"},
    "hits_open": {"id": "Buka", "en": "Open"},
    "hits_ambiguous": {"id": "AMBIGU: {n} kandidat", "en": "AMBIGUOUS: {n} candidates"},
    "hits_new_since": {"id": "baru sejak kunjungan terakhir", "en": "new since your last visit"},
    "hits_select_all": {"id": "Pilih semua", "en": "Select all"},
    "hits_select": {"id": "Pilih", "en": "Select"},
    "hits_page": {"id": "Halaman {page} dari {pages}", "en": "Page {page} of {pages}"},
    "hits_prev_page": {"id": "« sebelumnya", "en": "« previous"},
    "hits_next_page": {"id": "berikutnya »", "en": "next »"},
    "hits_export_csv": {"id": "Unduh CSV", "en": "Download CSV"},
    "hits_export_xlsx": {"id": "Unduh XLSX", "en": "Download XLSX"},
    "hits_bulk": {"id": "Tindakan untuk temuan terpilih", "en": "Action on the selected hits"},
    "hits_action": {"id": "Tindakan", "en": "Action"},
    "hits_bulk_submit": {"id": "Jalankan", "en": "Run"},
    "hits_bulk_confirm_note": {
        "id": "Konfirmasi massal melewati temuan yang identitasnya ambigu: pilih orangnya satu per satu.",
        "en": "Bulk confirm skips hits with an ambiguous identity: choose the person one hit at a time.",
    },
    "hits_bulk_done": {"id": "{n} temuan diperbarui.", "en": "{n} hits updated."},
    "hits_bulk_skipped": {
        "id": "{n} temuan ambigu dilewati: konfirmasi satu per satu dengan memilih orangnya.",
        "en": "{n} ambiguous hits skipped: confirm them one by one, choosing the person.",
    },
    "hits_bulk_none": {"id": "Tidak ada temuan yang dipilih.", "en": "No hits were selected."},
    "status_baru": {"id": "baru", "en": "new"},
    "status_dikonfirmasi": {"id": "dikonfirmasi", "en": "confirmed"},
    "status_ditolak": {"id": "ditolak", "en": "dismissed"},
    "hits_act_confirm": {"id": "Konfirmasi", "en": "Confirm"},
    "hits_act_dismiss": {"id": "Tolak", "en": "Dismiss"},
    "hits_act_reopen": {"id": "Buka kembali", "en": "Reopen"},
    "hits_reason": {"id": "Alasan", "en": "Reason"},
    "hits_reason_text": {"id": "Keterangan", "en": "Note"},
    "hits_reason_bukan_asn": {"id": "bukan ASN / akun orang lain", "en": "not an ASN / someone else's account"},
    "hits_reason_tidak_partisan": {"id": "konten tidak partisan / salah tafsir",
                                   "en": "not partisan content / misread"},
    "hits_reason_kampanye_netralitas": {"id": "kampanye netralitas atau berita",
                                        "en": "neutrality campaign or news"},
    "hits_reason_parodi": {"id": "akun parodi / palsu", "en": "parody / fake account"},
    "hits_reason_lainnya": {"id": "lainnya", "en": "other"},
    # the hit page
    "hit_title": {"id": "Temuan {hit_id}", "en": "Hit {hit_id}"},
    "hit_back": {"id": "« kembali ke daftar", "en": "« back to the list"},
    "hit_post": {"id": "Unggahan", "en": "Post"},
    "hit_parent": {"id": "Unggahan induk (yang dikomentari/dibagikan)", "en": "Parent post (commented/shared)"},
    "hit_original": {"id": "Buka unggahan asli", "en": "Open the original post"},
    "hit_original_parent": {"id": "Buka unggahan induk", "en": "Open the parent post"},
    "hit_kind": {"id": "Jenis", "en": "Kind"},
    "hit_author": {"id": "Akun", "en": "Account"},
    "hit_bio": {"id": "Bio", "en": "Bio"},
    "hit_created": {"id": "Waktu unggah", "en": "Posted"},
    "hit_detected": {"id": "Waktu deteksi", "en": "Detected"},
    "hit_collected": {"id": "Waktu pengumpulan", "en": "Collected"},
    "hit_identity": {"id": "Bukti identitas", "en": "Identity evidence"},
    "hit_method": {"id": "Metode", "en": "Method"},
    "hit_nama": {"id": "Nama", "en": "Name"},
    "hit_nip": {"id": "NIP", "en": "NIP"},
    "hit_jabatan": {"id": "Jabatan", "en": "Position"},
    "hit_confidence": {"id": "Keyakinan", "en": "Confidence"},
    "hit_name_score": {"id": "Kemiripan nama", "en": "Name similarity"},
    "hit_evidence": {"id": "Bukti", "en": "Evidence"},
    "hit_no_candidates": {"id": "Tidak ada kandidat.", "en": "No candidates."},
    "hit_waterfall": {"id": "Perhitungan skor", "en": "Score waterfall"},
    "hit_step": {"id": "Langkah", "en": "Step"},
    "hit_label": {"id": "Keterangan", "en": "Label"},
    "hit_factor": {"id": "Faktor", "en": "Factor"},
    "hit_score_after": {"id": "Skor sesudahnya", "en": "Score after"},
    "hit_rules": {"id": "Aturan yang cocok", "en": "Rules that fired"},
    "hit_rule_id": {"id": "ID aturan", "en": "Rule id"},
    "hit_rule_title": {"id": "Judul", "en": "Title"},
    "hit_field": {"id": "Bagian", "en": "Field"},
    "hit_weight": {"id": "Bobot", "en": "Weight"},
    "hit_explanation": {"id": "Penjelasan", "en": "Explanation"},
    "hit_integrity": {"id": "Integritas bukti", "en": "Evidence integrity"},
    "hit_raw_sha": {"id": "SHA-256 muatan asli", "en": "Raw payload SHA-256"},
    "hit_payload_sha": {"id": "SHA-256 muatan yang dinilai", "en": "Scored payload SHA-256"},
    "hit_scored_revision": {"id": "Yang dinilai adalah revisi unggahan (diubah setelah pengambilan pertama).",
                            "en": "The scored payload is a revision (the post changed after the first capture)."},
    "hit_ruleset": {"id": "Versi aturan", "en": "Rule set version"},
    "hit_office": {"id": "Kantor yang menangani", "en": "Responsible office"},
    "hit_collector_office": {"id": "Dikumpulkan oleh", "en": "Collected by"},
    "hit_review": {"id": "Tinjauan", "en": "Review"},
    "hit_reviewer": {"id": "Peninjau", "en": "Reviewer"},
    "hit_reviewed_at": {"id": "Waktu tinjauan", "en": "Reviewed at"},
    "hit_history": {"id": "Riwayat tinjauan", "en": "Review history"},
    "hit_history_none": {"id": "Belum pernah ditinjau.", "en": "Not reviewed yet."},
    "hit_actor": {"id": "Oleh", "en": "By"},
    "hit_at": {"id": "Waktu", "en": "At"},
    "hit_choose_person": {"id": "Pilih orang yang dikonfirmasi (wajib)", "en": "Choose the person to confirm (required)"},
    "hit_need_person": {"id": "Pilih salah satu kandidat sebelum mengonfirmasi.",
                        "en": "Choose one of the candidates before confirming."},
    "hit_need_reason": {"id": "Pilih alasan penolakan (untuk \"lainnya\" isi keterangannya).",
                        "en": "Choose a reason for dismissing (for \"other\" write the note)."},
    "hit_bad_action": {"id": "Tindakan tidak dikenal.", "en": "Unknown action."},
    "hit_saved": {"id": "Keputusan tersimpan.", "en": "Decision saved."},
    "hit_print": {"id": "Cetak laporan temuan", "en": "Print the finding report"},
    "hit_view_only": {"id": "Anda hanya dapat melihat temuan ini.", "en": "You may only view this hit."},
    "hit_confirm_reason_default": {"id": "dikonfirmasi", "en": "confirmed"},
})


# -- helpers shared with the export page -----------------------------------------------------------
def _float(v: str | None) -> float | None:
    try:
        f = float(v) if v not in (None, "") else None
    except ValueError:
        return None
    if f is None or f != f:  # NaN
        return None
    return min(max(f, 0.0), 1.0)


def parse_filters(request: web.Request) -> tuple[dict, dict]:
    """``(filters for the store, values to show in the form)`` from the query string."""
    q = request.query
    tz = state(request).tz
    try:
        day = date.fromisoformat(q.get("date", ""))
    except ValueError:
        day = local_today(tz)
    start, end = day_bounds(day, tz)
    f: dict[str, Any] = {"start": start, "end": end, "scope": scope(request)}
    shown: dict[str, Any] = {"date": day.isoformat()}
    for k in FILTER_KEYS:
        v = q.get(k, "").strip()
        if k == "status" and v not in STATUSES:
            v = ""
        f[k] = v or None
        shown[k] = v
    for k in ("score_min", "score_max"):
        f[k] = _float(q.get(k))
        shown[k] = "" if f[k] is None else q.get(k, "")
    sort = q.get("sort", "score")
    shown["sort"] = sort if sort in SORTS else "score"
    return f, shown


def highlight(text: str | None, terms: Iterable[str]) -> Markup:
    """``text`` escaped, with every literal (case-insensitive) occurrence of ``terms`` in <mark>."""
    if not text:
        return Markup("")
    uniq = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not uniq:
        return escape(text)
    rx = re.compile("|".join(re.escape(t) for t in uniq), re.IGNORECASE)
    out: list[Markup] = []
    pos = 0
    for m in rx.finditer(text):
        out.append(escape(text[pos:m.start()]))
        out.append(Markup("<mark>%s</mark>") % m.group(0))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def web_url(value: str | None) -> str | None:
    """Only http(s) links from collected data (never ``javascript:`` and the like)."""
    return value if value and value.lower().startswith(("https://", "http://")) else None


def rule_terms(hit: dict) -> list[str]:
    """Every term the fired rules report (highlighted wherever it literally occurs, post or parent)."""
    terms = [t for r in hit.get("rules") or [] for t in r.get("terms") or []]
    return terms or list(hit.get("terms") or [])


async def load_visible_hit(request: web.Request, hit_id: str) -> tuple[dict | None, web.Response | None]:
    """The hit if this user may see it, else an error page (404 unknown, 403 outside the user's
    scope: another office's hit, or one outside a supervisor's released subtree)."""
    st = state(request)
    sc = scope(request)
    hit = await read(st, lambda s: s.web_get_hit(hit_id))
    if hit is None:
        return None, error_page(request, 404, "not_found")
    if not sc.everything and not await read(st, lambda s: s.hit_in_scope(hit_id, sc)):
        return None, error_page(request, 403, "forbidden")
    return hit, None


# -- the list --------------------------------------------------------------------------------------
@require()
async def hit_list(request: web.Request) -> web.Response:
    st = state(request)
    u = user(request)
    f, shown = parse_filters(request)
    try:
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page = 1

    def load(s):
        rows, total, counts = s.web_list_page(f, sort=shown["sort"], limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        return rows, total, counts, s.web_filter_options(f["scope"])

    rows, total, counts, options = await read(st, load)  # one snapshot, beside the writer
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    prev_visit = u.get("prev_visit_at")
    today = local_today(st.tz)
    for r in rows:
        r["new_since"] = prev_visit is None or (r["detected_at"] is not None and r["detected_at"] > prev_visit)
        # only an unreviewed hit still has to be registered in time
        r["deadline"] = deadline_view(r["detected_at"], st.tz, today) if r["status"] == "baru" else None

    base = {k: v for k, v in shown.items() if v not in ("", None)}

    def url(**changes: Any) -> str:
        params = {**base, **changes}
        return "/?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})

    day = date.fromisoformat(shown["date"])
    export_qs = urlencode(base)
    bulk = {k: request.query.get(k) for k in ("bulk_done", "bulk_skipped", "bulk_none")}
    return render(
        request, "hits.html", rows=rows, total=total, counts=counts, options=options, shown=shown,
        page=page, pages=pages, url=url, statuses=STATUSES, sorts=SORTS,
        prev_day=url(date=(day - timedelta(days=1)).isoformat(), page=None),
        next_day=url(date=(day + timedelta(days=1)).isoformat(), page=None),
        export_qs=export_qs, back=url(page=page if page > 1 else None), can_review=u["role"] in REVIEWERS,
        reasons=DISMISS_REASONS, bulk=bulk,
    )


def _reason(form: Any, action: str, lg: str) -> str | None:
    """The stored reason text for an action, or ``None`` when a dismissal lacks one."""
    note = str(form.get("reason_text", "")).strip()[:1000]
    if action == "ditolak":
        code = str(form.get("reason_code", ""))
        if code not in DISMISS_REASONS or (code == "lainnya" and not note):
            return None
        return DISMISS_REASONS[code] + (f": {note}" if note else "")
    if action == "dikonfirmasi":
        return note or "dikonfirmasi pengawas"
    return note or "dibuka kembali"


ACTIONS = {"confirm": "dikonfirmasi", "dismiss": "ditolak", "reopen": "baru"}


@require(*REVIEWERS)
async def bulk(request: web.Request) -> web.StreamResponse:
    st = state(request)
    u = user(request)
    form = await request.post()
    back = safe_local_path(str(form.get("next", "/")))
    sep = "&" if "?" in back else "?"
    action = ACTIONS.get(str(form.get("action", "")))
    ids = [str(v) for v in form.getall("hit_id", [])][:1000]
    if action is None:
        return error_page(request, 400, "hit_bad_action")
    if not ids:
        raise web.HTTPFound(back + sep + "bulk_none=1")
    reason = _reason(form, action, lang(request))
    if reason is None:
        return error_page(request, 400, "hit_need_reason")
    sc = scope(request)

    def apply(s):
        done, skipped = [], []
        for hit_id in dict.fromkeys(ids):
            hit = s.get_hit(hit_id)
            if hit is None or not (sc.everything or s.hit_in_scope(hit_id, sc)):
                continue  # unknown, or another office's hit: as if it did not exist
            nip = None
            if action == "dikonfirmasi":
                if hit["ambiguous"] or not hit["nip"]:
                    skipped.append(hit_id)
                    continue
                nip = hit["nip"]
            s.review_hit(hit_id, status=action, reason=reason, actor=u["username"], nip=nip)
            done.append(hit_id)
        s.audit(u["username"], "hit.bulk", None, {"action": action, "reason": reason, "done": done,
                                                    "skipped_ambiguous": skipped})
        return done, skipped

    done, skipped = await st.db(apply)
    raise web.HTTPFound(back + sep + urlencode({"bulk_done": len(done), "bulk_skipped": len(skipped)}))


# -- one hit ---------------------------------------------------------------------------------------
async def _hit_page(request: web.Request, hit: dict, *, status: int = 200, error: str | None = None):
    st = state(request)
    u = user(request)
    lg = lang(request)
    hit_id = hit["hit_id"]

    def load(s):
        return (s.web_post_details(hit["platform"], hit["post_id"], hit.get("created_at")), s.audit_entries(hit_id),
                load_model(s),
                s.hit_election(hit_id))

    post, history, ranker, election = await read(st, load)
    stage = stage_view(election, st.svc, hit, lg)
    ranking = None
    if ranker is not None:
        version, model = ranker
        ranking = {"version": version, "p": model.predict_proba(hit), "cues": cues(model, hit, lg)}
    history = [h for h in history if str(h["action"]).startswith("hit.")]
    for h in history:
        if isinstance(h.get("detail"), str):
            try:
                h["detail"] = json.loads(h["detail"])
            except ValueError:
                h["detail"] = {"reason": h["detail"]}
    return render(
        request, "hit.html", status=status, hit=hit, post=post or {}, history=history, error=error,
        text_html=highlight(hit.get("text"), rule_terms(hit)),
        parent_html=highlight(hit.get("parent_text"), rule_terms(hit)),
        post_url=web_url(hit.get("url")), parent_url=web_url(hit.get("parent_url")),
        explanation=explanation(hit, lg), can_review=u["role"] in REVIEWERS, reasons=DISMISS_REASONS,
        choose=hit["ambiguous"] or len(hit.get("candidates") or []) > 1,
        saved=request.query.get("saved") == "1", ranking=ranking,
        stage=stage, deadline=deadline_view(hit.get("detected_at"), st.tz), deadline_days=DEADLINE_DAYS,
    )


@require()
async def hit_detail(request: web.Request) -> web.Response:
    hit, err = await load_visible_hit(request, request.match_info["hit_id"])
    if err is not None:
        return err
    await record_access(request, "hit_view", hit=hit)
    return await _hit_page(request, hit)


@require(*REVIEWERS)
async def review(request: web.Request) -> web.StreamResponse:
    st = state(request)
    u = user(request)
    hit_id = request.match_info["hit_id"]
    hit, err = await load_visible_hit(request, hit_id)
    if err is not None:
        return err
    form = await request.post()
    action = ACTIONS.get(str(form.get("action", "")))
    if action is None:
        return await _hit_page(request, hit, status=400, error="hit_bad_action")
    nip = None
    if action == "dikonfirmasi":
        nips = [c["nip"] for c in hit.get("candidates") or []]
        chosen = str(form.get("nip", "")).strip()
        if hit["ambiguous"] or len(nips) > 1:
            if chosen not in nips:
                return await _hit_page(request, hit, status=400, error="hit_need_person")
            nip = chosen
        else:
            nip = hit["nip"]
    reason = _reason(form, action, lang(request))
    if reason is None:
        return await _hit_page(request, hit, status=400, error="hit_need_reason")
    choice = None
    if action == "dikonfirmasi" and st.config.elections and "election_id" in form:
        choice = parse_choice(form, st.svc)
        if choice is None:
            return await _hit_page(request, hit, status=400, error="stage_bad_choice")

    def apply(s):
        suggestion = s.hit_election(hit_id) or stage_view(None, st.svc, hit, "id")
        s.review_hit(hit_id, status=action, reason=reason, actor=u["username"], nip=nip)
        if choice is not None:  # the reviewer's election/stage classification
            s.confirm_hit_election(hit_id, election_id=choice[0], stage=choice[1], actor=u["username"],
                                   suggestion=suggestion)

    await st.db(apply)
    sc = scope(request)
    if not sc.everything and not await st.db(lambda s: s.hit_in_scope(hit_id, sc)):
        # choosing the person moved the hit to that person's office: back to the list
        raise web.HTTPFound("/?" + urlencode({"bulk_done": 1}))
    raise web.HTTPFound(f"/hits/{hit_id}?saved=1")


def setup(app: web.Application) -> None:
    app.router.add_get("/", hit_list)
    app.router.add_post("/hits/bulk", bulk)
    app.router.add_get("/hits/{hit_id}", hit_detail)
    app.router.add_post("/hits/{hit_id}/review", review)
