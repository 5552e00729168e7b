"""Rules administration: the running rule set, editing a rule file with validation and a backtest,
version history with diffs, rollback. Admin edits; pengawas may view; atasan may not open it.

Rule files are addressed by their path relative to the configured rule folder (``?path=REL``).
Only files that ``rule_files()`` returns for a configured *folder* can be opened or written
(resolved and checked: no path traversal, no hidden files, no ``examples/``).
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import os
import tempfile
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from monitor.pipeline.backtest import backtest, check_candidate, load_candidate, window
from monitor.rules.loader import rule_files
from monitor.scoring import Scorer
from monitor.web.context import error_page, render, require, scope, state, user
from monitor.web.messages import register

DEFAULT_DAYS = 7
MAX_DAYS = 90
SAVE_LOCK = web.AppKey("rules_save_lock", asyncio.Lock)  # one rule-file save at a time
DISK_MESSAGE = "on disk before the web edit"

register({
    "rules_title": {"id": "Aturan deteksi", "en": "Detection rules"},
    "rules_running_version": {"id": "Versi set aturan yang berjalan", "en": "Running rule set version"},
    "rules_last_error": {
        "id": "Pemuatan ulang terakhir gagal; set aturan sebelumnya tetap dipakai:",
        "en": "The last reload failed; the previous rule set stays in use:",
    },
    "rules_files": {"id": "Berkas aturan", "en": "Rule files"},
    "rules_view": {"id": "Lihat", "en": "View"},
    "rules_edit": {"id": "Ubah", "en": "Edit"},
    "rules_history": {"id": "Riwayat", "en": "History"},
    "rules_col_id": {"id": "ID", "en": "ID"},
    "rules_col_title": {"id": "Judul", "en": "Title"},
    "rules_col_category": {"id": "Kategori", "en": "Category"},
    "rules_col_weight": {"id": "Bobot", "en": "Weight"},
    "rules_col_target": {"id": "Sasaran", "en": "Target"},
    "rules_col_enabled": {"id": "Aktif", "en": "Enabled"},
    "rules_col_file": {"id": "Berkas", "en": "File"},
    "rules_col_hits": {"id": "Temuan", "en": "Hits"},
    "rules_yes": {"id": "ya", "en": "yes"},
    "rules_no": {"id": "tidak", "en": "no"},
    "rules_count": {"id": "{n} aturan", "en": "{n} rules"},
    "rules_back": {"id": "Kembali ke daftar aturan", "en": "Back to the rule list"},
    "rules_content": {"id": "Isi berkas (YAML)", "en": "File content (YAML)"},
    "rules_message": {"id": "Catatan perubahan", "en": "Change note"},
    "rules_days": {"id": "Uji ulang unggahan N hari terakhir", "en": "Backtest the posts of the last N days"},
    "rules_days_note": {
        "id": ("Hari dihitung mundur dari sekarang, atau dari unggahan tersimpan terbaru bila itu lebih lama "
               "(data arsip/demo)."),
        "en": "Days count back from now, or from the newest stored post when that is older (archive/demo data).",
    },
    "rules_do_backtest": {"id": "Uji ulang (tanpa menyimpan)", "en": "Backtest (does not save)"},
    "rules_do_save": {"id": "Validasi dan simpan", "en": "Validate and save"},
    "rules_save_confirm": {
        "id": "Simpan berkas ini dan muat ulang aturan yang berjalan?",
        "en": "Save this file and reload the running rules?",
    },
    "rules_invalid": {
        "id": "Berkas tidak disimpan: {n} kesalahan. Aturan yang berjalan tidak berubah.",
        "en": "The file was not saved: {n} error(s). The running rules did not change.",
    },
    "rules_valid": {"id": "Berkas valid (skema dan semua contoh).", "en": "The file is valid (schema and every example)."},
    "rules_saved": {
        "id": "Tersimpan sebagai versi #{id}. Set aturan yang berjalan: {version}.",
        "en": "Saved as version #{id}. Running rule set: {version}.",
    },
    "rules_backtest_title": {"id": "Hasil uji ulang", "en": "Backtest result"},
    "rules_backtest_window": {
        "id": "{posts} unggahan dari {since} sampai {until}: temuan sekarang {old}, dengan perubahan {new}.",
        "en": "{posts} posts from {since} to {until}: hits now {old}, with the change {new}.",
    },
    "rules_backtest_rescored": {
        "id": "{n} unggahan tetap menjadi temuan dengan skor berbeda.",
        "en": "{n} posts stay hits with a different score.",
    },
    "rules_gained": {"id": "Akan menjadi temuan baru ({n})", "en": "Would gain a hit ({n})"},
    "rules_lost": {"id": "Tidak lagi menjadi temuan ({n})", "en": "Would lose the hit ({n})"},
    "rules_none": {"id": "Tidak ada.", "en": "None."},
    "rules_col_platform": {"id": "Platform", "en": "Platform"},
    "rules_col_post": {"id": "ID unggahan", "en": "Post id"},
    "rules_col_time": {"id": "Waktu", "en": "Time"},
    "rules_col_text": {"id": "Cuplikan teks", "en": "Text excerpt"},
    "rules_col_old": {"id": "Skor lama", "en": "Old score"},
    "rules_col_new": {"id": "Skor baru", "en": "New score"},
    "rules_history_title": {"id": "Riwayat versi", "en": "Version history"},
    "rules_no_versions": {
        "id": "Belum ada versi tersimpan: berkas ini belum pernah diubah lewat aplikasi.",
        "en": "No stored versions: this file was never edited through the application.",
    },
    "rules_version_by": {"id": "Versi #{id} oleh {author}, {at}", "en": "Version #{id} by {author}, {at}"},
    "rules_first_version": {"id": "Versi pertama yang tersimpan.", "en": "First stored version."},
    "rules_rollback": {"id": "Kembalikan ke versi ini", "en": "Roll back to this version"},
    "rules_rollback_confirm": {
        "id": "Kembalikan berkas ke versi ini dan muat ulang aturan?",
        "en": "Restore the file to this version and reload the rules?",
    },
    "rules_current": {"id": "(isi saat ini)", "en": "(current content)"},
    "rules_bad_path": {"id": "Berkas aturan tidak dikenal.", "en": "Unknown rule file."},
})


# -- rule files -------------------------------------------------------------------------------
def _roots(request: web.Request) -> list[Path]:
    return [p for p in state(request).config.rule_paths if p.is_dir()]


def _list_files(roots: list[Path]) -> list[str]:
    out: list[str] = []
    for root in roots:
        for f in rule_files([root])[0]:
            rel = f.resolve().relative_to(root.resolve()).as_posix()
            if rel not in out:
                out.append(rel)
    return out


def _resolve(roots: list[Path], rel: str | None) -> tuple[Path, Path, str] | None:
    """(configured folder, file, canonical REL) of an editable rule file, or None."""
    if not rel or "\x00" in rel or rel.startswith(("/", "\\")):
        return None
    for root in roots:
        base = root.resolve()
        cand = (base / rel).resolve()
        if not cand.is_relative_to(base) or not cand.is_file():
            continue
        if cand in {f.resolve() for f in rule_files([root])[0]}:
            return root, cand, cand.relative_to(base).as_posix()
    return None


def _rel_of(roots: list[Path], source_file: str) -> str | None:
    p = Path(source_file).resolve()
    for root in roots:
        if p.is_relative_to(root.resolve()):
            return p.relative_to(root.resolve()).as_posix()
    return None


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _days(value: object) -> int:
    try:
        return max(1, min(MAX_DAYS, int(str(value))))
    except ValueError:
        return DEFAULT_DAYS


def _write_atomic(path: Path, content: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.chmod(tmp, path.stat().st_mode & 0o777)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _error_lines(errors) -> list[str]:
    return [str(e) for e in errors]


# -- pages ------------------------------------------------------------------------------------
@require("admin", "pengawas")
async def rules_list(request: web.Request) -> web.Response:
    st = state(request)
    holder = st.svc.app.rules
    rs = holder.current
    sc = scope(request)
    counts = await st.db(lambda s: s.rule_hit_counts(sc))
    roots = _roots(request)
    rows = [{
        "id": lr.rule.id, "title": lr.rule.title, "category": lr.rule.category, "weight": lr.rule.weight,
        "target": lr.rule.target, "enabled": lr.rule.enabled, "file": _rel_of(roots, lr.source_file),
        "source": lr.source_file, "line": lr.line, "hits": counts.get(lr.rule.id, 0),
    } for lr in rs.rules]
    err = holder.last_error
    return render(request, "rules.html", rules=rows, version=rs.version, files=_list_files(roots),
                  last_error=_error_lines(err.errors) if err else [])


def _file_ctx(request: web.Request, rel: str, content: str, **extra) -> dict:
    holder = state(request).svc.app.rules
    err = holder.last_error
    ctx = dict(rel=rel, content=content, can_edit=user(request)["role"] == "admin", errors=[], valid=False,
               result=None, days=DEFAULT_DAYS, message="", saved=None, version=holder.current.version,
               last_error=_error_lines(err.errors) if err else [])
    ctx.update(extra)
    return ctx


@require("admin", "pengawas")
async def rule_file(request: web.Request) -> web.Response:
    found = _resolve(_roots(request), request.query.get("path"))
    if found is None:
        return error_page(request, 404, "rules_bad_path")
    _, path, rel = found
    content = await asyncio.to_thread(path.read_text, encoding="utf-8")
    saved = request.query.get("saved")
    return render(request, "rule_file.html",
                  **_file_ctx(request, rel, content, saved=saved if saved and saved.isdigit() else None))


async def _run_backtest(request: web.Request, root: Path, rel: str, content: str, days: int):
    st = state(request)
    svc = st.svc
    candidate = await asyncio.to_thread(load_candidate, st.config.rule_paths, root, rel, content)
    current = svc.app.rules.current

    def fetch(s):
        since, until = window(days, s.latest_post_time())
        identity = svc.app.pipeline.evaluator._identity()  # reads the roster version: under the lock
        return since, until, s.posts_since(since), identity

    since, until, rows, identity = await st.db(fetch)
    return await asyncio.to_thread(backtest, rows, current, candidate, identity, Scorer(st.config.scoring),
                                   since=since, until=until)


async def _save(request: web.Request, root: Path, path: Path, rel: str, content: str, message: str,
                action: str, detail: dict | None = None) -> tuple[list[str], int | None]:
    """Validate and save ``content`` as ``rel``; (errors, new version id). Nothing changes on errors."""
    st = state(request)
    who = user(request)["username"]
    async with request.app[SAVE_LOCK]:
        errors = await asyncio.to_thread(check_candidate, st.config.rule_paths, root, rel, content)
        if errors:
            return _error_lines(errors), None
        old = await asyncio.to_thread(path.read_text, encoding="utf-8")
        await asyncio.to_thread(_write_atomic, path, content)

        def record(s) -> int:
            s.con.begin()
            try:
                last = s.latest_rule_version(rel)
                if last is None or last["sha256"] != _sha(old):  # keep what was on disk, so rollback reaches it
                    s.add_rule_version(rel, old, _sha(old), "disk", DISK_MESSAGE)
                vid = s.add_rule_version(rel, content, _sha(content), who, message or None)
                s.con.commit()
            except BaseException:
                s.con.rollback()
                raise
            return vid

        try:
            vid = await st.db(record)
        except BaseException:
            await asyncio.to_thread(_write_atomic, path, old)  # no unrecorded change on disk
            raise
        before = st.svc.app.rules.current.version
        await asyncio.to_thread(st.svc.refresh_rules)  # takes svc.lock itself: not inside st.db
        after = st.svc.app.rules.current.version
        await st.db(lambda s: s.audit(who, action, rel, {
            "version_id": vid, "sha256": _sha(content), "message": message, "ruleset_before": before,
            "ruleset_after": after, **(detail or {})}))
    return [], vid


@require("admin")
async def rule_file_save(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    found = _resolve(_roots(request), str(form.get("path", "")))
    if found is None:
        return error_page(request, 404, "rules_bad_path")
    root, path, rel = found
    content = str(form.get("content", "")).replace("\r\n", "\n")
    message = str(form.get("message", "")).strip()[:500]
    action = str(form.get("action", "backtest"))
    days = _days(form.get("days", DEFAULT_DAYS))
    st = state(request)
    if action == "save":
        errors, vid = await _save(request, root, path, rel, content, message, "rules.save")
        if vid is not None:
            raise web.HTTPSeeOther(f"/rules/file?path={quote(rel)}&saved={vid}")
        return render(request, "rule_file.html", status=422,
                      **_file_ctx(request, rel, content, errors=errors, message=message, days=days))
    errors = _error_lines(await asyncio.to_thread(check_candidate, st.config.rule_paths, root, rel, content))
    if errors:
        return render(request, "rule_file.html", status=422,
                      **_file_ctx(request, rel, content, errors=errors, message=message, days=days))
    result = await _run_backtest(request, root, rel, content, days)
    return render(request, "rule_file.html",
                  **_file_ctx(request, rel, content, valid=True, result=result, message=message, days=days))


def _diff(old: str, new: str, a: str, b: str) -> list[tuple[str, str]]:
    out = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), a, b, lineterm=""):
        if line.startswith("+") and not line.startswith("+++"):
            cls = "diff-add"
        elif line.startswith("-") and not line.startswith("---"):
            cls = "diff-del"
        else:
            cls = "diff-ctx"
        out.append((cls, line))
    return out


async def _history_page(request: web.Request, path: Path, rel: str, *, status: int = 200,
                        errors: list[str] | None = None):
    current_sha = _sha(await asyncio.to_thread(path.read_text, encoding="utf-8"))
    versions = await state(request).db(lambda s: s.rule_versions(rel))
    items = []
    prev = None
    for v in versions:
        diff = _diff(prev["content"], v["content"], f"#{prev['id']}", f"#{v['id']}") if prev else None
        items.append({**v, "diff": diff})
        prev = v
    items.reverse()  # newest first
    return render(request, "rule_history.html", status=status, rel=rel, versions=items, errors=errors or [],
                  current_sha=current_sha, can_edit=user(request)["role"] == "admin")


@require("admin", "pengawas")
async def rule_history(request: web.Request) -> web.Response:
    found = _resolve(_roots(request), request.query.get("path"))
    if found is None:
        return error_page(request, 404, "rules_bad_path")
    return await _history_page(request, found[1], found[2])


@require("admin")
async def rule_rollback(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    found = _resolve(_roots(request), str(form.get("path", "")))
    if found is None:
        return error_page(request, 404, "rules_bad_path")
    root, path, rel = found
    try:
        vid = int(str(form.get("version", "")))
    except ValueError:
        return error_page(request, 404, "not_found")
    v = await state(request).db(lambda s: s.rule_version(vid))
    if v is None or v["file"] != rel:
        return error_page(request, 404, "not_found")
    errors, new_id = await _save(request, root, path, rel, v["content"], f"rollback to #{vid}", "rules.rollback",
                                 {"rollback_to": vid})
    if new_id is None:
        return await _history_page(request, path, rel, status=422, errors=errors)
    raise web.HTTPSeeOther(f"/rules/file?path={quote(rel)}&saved={new_id}")


def setup(app: web.Application) -> None:
    app[SAVE_LOCK] = asyncio.Lock()
    app.router.add_get("/rules", rules_list)
    app.router.add_get("/rules/file", rule_file)
    app.router.add_post("/rules/file/save", rule_file_save)
    app.router.add_get("/rules/history", rule_history)
    app.router.add_post("/rules/rollback", rule_rollback)
