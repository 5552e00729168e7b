"""Roster: search, one ASN's page, and the import with a per-row validation report before committing."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from aiohttp import web

from monitor.cli.roster import import_roster
from monitor.i18n import t as cli_t
from monitor.names import normalize_name
from monitor.roster import read_roster
from monitor.web.context import error_page, lang, render, require, scope, state, user
from monitor.web.messages import register
from monitor.web.access_audit import record_access

PAGE_SIZE = 50
UPLOAD_TTL = 30 * 60
ALLOWED_EXT = (".csv", ".xlsx", ".xlsm")
NIP_RE = re.compile(r"^[0-9]{18}$")

UPLOADS = web.AppKey("roster_uploads", dict)
NAME_CACHE = web.AppKey("roster_name_cache", dict)

register({
    "roster_title": {"id": "Daftar ASN", "en": "ASN roster"},
    "roster_search": {"id": "Cari NIP atau nama", "en": "Search NIP or name"},
    "roster_search_btn": {"id": "Cari", "en": "Search"},
    "roster_found": {"id": "{n} ASN ditemukan.", "en": "{n} ASN found."},
    "roster_none": {"id": "Tidak ada ASN yang cocok.", "en": "No matching ASN."},
    "roster_nip": {"id": "NIP", "en": "NIP"},
    "roster_nama": {"id": "Nama", "en": "Name"},
    "roster_jabatan": {"id": "Jabatan", "en": "Position"},
    "roster_unit": {"id": "Unit kerja", "en": "Work unit"},
    "roster_instansi": {"id": "Instansi", "en": "Agency"},
    "roster_hits": {"id": "Temuan", "en": "Hits"},
    "roster_prev": {"id": "« Sebelumnya", "en": "« Previous"},
    "roster_next": {"id": "Berikutnya »", "en": "Next »"},
    "roster_page": {"id": "Halaman {page} dari {pages}", "en": "Page {page} of {pages}"},
    "roster_import_link": {"id": "Impor daftar ASN", "en": "Import roster"},
    "roster_back": {"id": "Kembali ke daftar ASN", "en": "Back to the roster"},
    "person_accounts": {"id": "Akun media sosial yang dideklarasikan", "en": "Declared social-media accounts"},
    "person_no_accounts": {"id": "Tidak ada akun yang dideklarasikan.", "en": "No declared account."},
    "person_platform": {"id": "Platform", "en": "Platform"},
    "person_account": {"id": "Akun", "en": "Account"},
    "person_chain": {"id": "Rantai atasan (terdekat lebih dulu)", "en": "Supervisor chain (nearest first)"},
    "person_no_chain": {"id": "Tidak ada atasan dalam daftar.", "en": "No supervisor in the roster."},
    "person_subordinates": {"id": "Bawahan langsung", "en": "Direct subordinates"},
    "person_no_subordinates": {"id": "Tidak ada bawahan langsung.", "en": "No direct subordinates."},
    "person_hits": {"id": "Temuan", "en": "Hits"},
    "person_no_hits": {"id": "Tidak ada temuan.", "en": "No hits."},
    "person_hit": {"id": "Temuan", "en": "Hit"},
    "person_posted": {"id": "Diunggah", "en": "Posted"},
    "person_behaviour": {"id": "Perilaku", "en": "Behaviour"},
    "person_score": {"id": "Skor", "en": "Score"},
    "person_status": {"id": "Status", "en": "Status"},
    "person_link": {"id": "Keterkaitan", "en": "Link"},
    "person_as_identified": {"id": "teridentifikasi", "en": "identified"},
    "person_as_candidate": {
        "id": "salah satu kandidat (identitas ambigu)",
        "en": "one of the candidates (ambiguous identity)",
    },
    "person_candidate_note": {
        "id": "Temuan berlabel kandidat belum tentu milik ASN ini: identitasnya ambigu di antara beberapa ASN.",
        "en": "Hits marked as candidate may not be this ASN's: the identity is ambiguous between several ASN.",
    },
    "imp_title": {"id": "Impor daftar ASN", "en": "Import the roster"},
    "imp_intro": {
        "id": "Unggah berkas CSV (UTF-8) atau XLSX. Berkas diperiksa dulu; daftar baru hanya dipakai setelah Anda menyetujui hasil pemeriksaan. Daftar lama tetap utuh bila berkas tidak valid.",
        "en": "Upload a CSV (UTF-8) or XLSX file. It is checked first; the new roster is only used after you approve the report. The previous roster stays intact when the file is invalid.",
    },
    "imp_file": {"id": "Berkas (.csv / .xlsx)", "en": "File (.csv / .xlsx)"},
    "imp_skip_invalid": {
        "id": "Impor baris yang valid saja (lewati baris bermasalah)",
        "en": "Import only the valid rows (skip rows with errors)",
    },
    "imp_check": {"id": "Periksa berkas", "en": "Check the file"},
    "imp_no_file": {"id": "Pilih berkas untuk diunggah.", "en": "Choose a file to upload."},
    "imp_bad_ext": {"id": "Hanya berkas .csv atau .xlsx yang diterima.", "en": "Only .csv or .xlsx files are accepted."},
    "imp_report": {"id": "Hasil pemeriksaan: {file}", "en": "Check report: {file}"},
    "imp_rows": {"id": "{rows} baris data dibaca, {valid} valid, {invalid} baris bermasalah.",
                 "en": "{rows} data rows read, {valid} valid, {invalid} rows with errors."},
    "imp_errors": {"id": "Kesalahan", "en": "Errors"},
    "imp_warnings": {"id": "Peringatan", "en": "Warnings"},
    "imp_row": {"id": "Baris", "en": "Row"},
    "imp_column": {"id": "Kolom", "en": "Column"},
    "imp_value": {"id": "Isi sel", "en": "Cell value"},
    "imp_reason": {"id": "Keterangan", "en": "Reason"},
    "imp_file_level": {"id": "berkas", "en": "file"},
    "imp_commit": {"id": "Impor sekarang (ganti daftar ASN)", "en": "Import now (replace the roster)"},
    "imp_commit_skip": {"id": "Impor {valid} baris valid (lewati {invalid} baris bermasalah)",
                        "en": "Import the {valid} valid rows (skip {invalid} rows with errors)"},
    "imp_blocked": {
        "id": "Berkas belum dapat diimpor. Perbaiki kesalahan di atas lalu unggah lagi, atau centang \"impor baris yang valid saja\".",
        "en": "The file cannot be imported yet. Fix the errors above and upload again, or tick \"import only the valid rows\".",
    },
    "imp_blocked_fatal": {"id": "Berkas tidak dapat dipakai. Perbaiki lalu unggah lagi.",
                          "en": "The file cannot be used. Fix it and upload again."},
    "imp_expired": {
        "id": "Unggahan tidak ditemukan atau kedaluwarsa (30 menit). Unggah dan periksa lagi.",
        "en": "The upload was not found or has expired (30 minutes). Upload and check it again.",
    },
    "imp_changed": {"id": "Berkas unggahan berubah sejak diperiksa. Unggah lagi.",
                    "en": "The uploaded file changed since it was checked. Upload it again."},
    "imp_done": {"id": "Daftar ASN telah diganti.", "en": "The roster has been replaced."},
    "imp_failed": {"id": "Impor gagal; daftar ASN lama tetap dipakai.",
                   "en": "The import failed; the previous roster stays in use."},
    "imp_again": {"id": "Unggah berkas lain", "en": "Upload another file"},
})


# ---------------------------------------------------------------- search and person pages


def _normalised_matches(s, cache: dict, q: str) -> list[str]:
    """NIPs whose normalised name contains the normalised query (titles removed, spelling folded)."""
    nq = normalize_name(q)
    if not nq:
        return []
    ver = s.roster_version()
    if cache.get("version") != ver:
        cache.clear()
        cache["version"] = ver
        cache["names"] = [(nip, normalize_name(nama or "")) for nip, nama in s.roster_names()]
    return [nip for nip, name in cache["names"] if nq in name]


@require("admin", "pengawas")
async def roster_list(request: web.Request) -> web.Response:
    st = state(request)
    q = request.query.get("q", "").strip()[:100]
    try:
        page = max(1, int(request.query.get("page", "1")))
    except ValueError:
        page = 1
    cache = request.app[NAME_CACHE]
    sc = scope(request)

    def search(s):
        also = _normalised_matches(s, cache, q) if q and not q.replace(" ", "").isdigit() else []
        return s.search_roster(q, also_nips=also, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, scope=sc)

    total, rows = await st.db(search)
    pages = max(1, -(-total // PAGE_SIZE))
    return render(request, "roster.html", q=q, rows=rows, total=total, page=page, pages=pages)


@require("admin", "pengawas")
async def roster_person(request: web.Request) -> web.Response:
    nip = request.match_info["nip"]
    if not NIP_RE.match(nip):
        return error_page(request, 404, "not_found")
    sc = scope(request)

    def load(s):
        person = s.roster_person(nip, sc)  # None too for an ASN the roster places in another office
        if person is None:
            return None
        return {
            "person": person,
            "accounts": s.person_accounts(nip),
            "chain": s.supervisor_chain(nip),
            "subordinates": s.direct_subordinates(nip),
            "hits": s.person_hits(nip, scope=sc),
        }

    data = await state(request).db(load)
    if data is None:
        return error_page(request, 404, "not_found")
    await record_access(request, "person_view", nip=nip)
    return render(request, "roster_person.html", **data)


# ---------------------------------------------------------------- import


def _purge_uploads(uploads: dict) -> None:
    now = time.monotonic()
    for token in [k for k, v in uploads.items() if now - v["created"] > UPLOAD_TTL]:
        shutil.rmtree(uploads.pop(token)["dir"], ignore_errors=True)


def _safe_filename(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .") or "roster"
    return base[:120]


@require("admin")
async def import_form(request: web.Request) -> web.Response:
    return render(request, "roster_import.html", mode="form", error=None)


@require("admin")
async def import_check(request: web.Request) -> web.Response:
    form = await request.post()
    field = form.get("file")
    skip_invalid = form.get("skip_invalid") in ("1", "on", "true")
    if not isinstance(field, web.FileField) or not field.filename:
        return render(request, "roster_import.html", status=400, mode="form", error="imp_no_file")
    filename = _safe_filename(field.filename)
    if not filename.lower().endswith(ALLOWED_EXT):
        return render(request, "roster_import.html", status=400, mode="form", error="imp_bad_ext")
    data = field.file.read()
    uploads = request.app[UPLOADS]
    _purge_uploads(uploads)
    tmpdir = Path(tempfile.mkdtemp(prefix="monitor-roster-"))
    path = tmpdir / filename
    path.write_bytes(data)
    parsed = await asyncio.to_thread(read_roster, path)
    invalid = len(parsed.invalid_rows)
    can_commit = bool(parsed.entries) and not parsed.fatal and (parsed.ok or skip_invalid)
    token = None
    if can_commit:
        token = secrets.token_urlsafe(24)
        uploads[token] = {"dir": tmpdir, "path": path, "sha256": hashlib.sha256(data).hexdigest(),
                          "skip_invalid": skip_invalid, "user": user(request)["username"],
                          "created": time.monotonic(), "filename": filename}
    else:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return render(request, "roster_import.html", mode="report", error=None, filename=filename, parsed=parsed,
                  valid=len(parsed.entries), invalid=invalid, token=token, skip_invalid=skip_invalid)


@require("admin")
async def import_commit(request: web.Request) -> web.Response:
    form = await request.post()
    uploads = request.app[UPLOADS]
    _purge_uploads(uploads)
    u = user(request)
    entry = uploads.pop(str(form.get("token", "")), None)
    if entry is None or entry["user"] != u["username"]:
        if entry is not None:
            shutil.rmtree(entry["dir"], ignore_errors=True)
        return render(request, "roster_import.html", status=400, mode="form", error="imp_expired")
    try:
        path: Path = entry["path"]
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            return render(request, "roster_import.html", status=400, mode="form", error="imp_changed")
        lg = lang(request)

        def run(s):
            ok, lines = import_roster(s, path, skip_invalid=entry["skip_invalid"], actor=u["username"],
                                      lang_t=lambda k, **kw: cli_t(k, lg, **kw))
            if not ok:
                s.audit(u["username"], "roster.import_failed", entry["filename"], {"sha256": entry["sha256"]})
            return ok, lines

        ok, lines = await state(request).db(run)
    finally:
        shutil.rmtree(entry["dir"], ignore_errors=True)
    return render(request, "roster_import.html", status=200 if ok else 400, mode="result", error=None,
                  ok=ok, lines=[ln.strip() for ln in lines], filename=entry["filename"])


def setup(app: web.Application) -> None:
    app[UPLOADS] = {}
    app[NAME_CACHE] = {}
    app.router.add_get("/roster", roster_list)
    app.router.add_get("/roster/import", import_form)
    app.router.add_post("/roster/import/check", import_check)
    app.router.add_post("/roster/import/commit", import_commit)
    app.router.add_get("/roster/{nip}", roster_person)
