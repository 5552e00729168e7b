"""Rendering hit rows as a table, CSV or JSON (times in the office's time zone)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from monitor.i18n import t
from monitor.models.hit import Hit
from monitor.scoring import explain

JSON_FIELDS = [
    "hit_id", "platform", "post_id", "url", "created_at", "detected_at", "nip", "nama", "jabatan", "instansi",
    "unit_kerja", "atasan_nip", "behaviour", "score", "identity_score", "content_score", "identity_method",
    "ambiguous", "rules", "terms", "targets", "candidates", "explanation", "status", "reviewer", "review_reason",
    "reviewed_at", "author_handle", "author_name", "text", "parent_text", "raw_sha256", "payload_sha256",
    "scored_revision", "ruleset_version", "office_code",
]


def _local(v: object, tz: ZoneInfo) -> object:
    return v.astimezone(tz).isoformat() if isinstance(v, datetime) else v


def explanation(row: dict, lang: str) -> str:
    """The stored (Indonesian) explanation, or the same evidence rendered in English."""
    if lang == "id":
        return row["explanation"]
    hit = Hit(
        hit_id=row["hit_id"], platform=row["platform"], post_id=row["post_id"], post_created_at=row["created_at"],
        nip=row.get("nip"), behaviour=row["behaviour"], score=row["score"], identity_score=row["identity_score"],
        content_score=row["content_score"],
        identity={"method": row["identity_method"], "ambiguous": row["ambiguous"], "candidates": row["candidates"]},
        rules=row["rules"], steps=row["steps"], explanation="", ruleset_version=row["ruleset_version"],
    )
    return explain(hit, post_handle=row.get("author_handle") or "", lang=lang)


def to_json_obj(row: dict, tz: ZoneInfo, lang: str = "id") -> dict:
    out = {k: _local(row.get(k), tz) for k in JSON_FIELDS}
    out["explanation"] = explanation(row, lang)
    out["rules"] = [
        {k: r.get(k) for k in ("rule_id", "title", "category", "weight", "target", "field", "terms")}
        for r in row.get("rules") or []
    ]
    return out


def render_json(rows: list[dict], tz: ZoneInfo, lang: str = "id") -> str:
    return json.dumps([to_json_obj(r, tz, lang) for r in rows], ensure_ascii=False, indent=2)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A text cell a spreadsheet would run as a formula (``=HYPERLINK(...)``) gets a leading ``'``."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def render_csv(rows: list[dict], tz: ZoneInfo, lang: str = "id") -> str:
    """CSV for spreadsheet apps: collected text that starts like a formula is neutralised."""
    buf = io.StringIO()
    fields = [f for f in JSON_FIELDS if f not in ("candidates",)] + ["candidates"]
    w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        o = to_json_obj(r, tz, lang)
        for k in ("rules", "terms", "targets", "candidates"):
            o[k] = json.dumps(o[k], ensure_ascii=False)
        w.writerow({k: spreadsheet_safe(v) for k, v in o.items()})
    return buf.getvalue()


def _person(row: dict, lang: str) -> str:
    if row.get("nip"):
        return f"{row.get('nama') or '?'} ({row['nip']}) - {row.get('instansi') or '-'}"
    cands = row.get("candidates") or []
    names = ", ".join(f"{c['nama']} ({c['nip']})" for c in cands)
    return t("ambiguous", lang, n=len(cands)) + f": {names}"


def render_table(rows: list[dict], tz: ZoneInfo, lang: str, *, explain_hits: bool = False) -> str:
    lines = []
    for r in rows:
        when = r["created_at"].astimezone(tz).strftime("%H:%M")
        terms = ", ".join(r.get("terms") or [])
        lines.append(
            f"{r['hit_id']}  {when}  {r['score']:.2f}  {r['behaviour']:<7}  {r['platform']:<9}  "
            f"[{r['status']}]  {_person(r, lang)}"
        )
        lines.append(f"    {t('col_terms', lang)}: {terms}   {r.get('url') or ''}")
        if explain_hits:
            lines.append(f"    {explanation(r, lang)}")
    return "\n".join(lines)
