"""Rendering hit rows as a table, CSV or JSON (times in the office's time zone)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from monitor.i18n import t

JSON_FIELDS = [
    "hit_id", "platform", "post_id", "url", "created_at", "detected_at", "nip", "nama", "jabatan", "instansi",
    "unit_kerja", "atasan_nip", "behaviour", "score", "identity_score", "content_score", "identity_method",
    "ambiguous", "rules", "terms", "targets", "candidates", "explanation", "status", "reviewer", "review_reason",
    "reviewed_at", "author_handle", "author_name", "text", "parent_text", "raw_sha256", "ruleset_version",
]


def _local(v: object, tz: ZoneInfo) -> object:
    return v.astimezone(tz).isoformat() if isinstance(v, datetime) else v


def to_json_obj(row: dict, tz: ZoneInfo) -> dict:
    out = {k: _local(row.get(k), tz) for k in JSON_FIELDS}
    out["rules"] = [
        {k: r.get(k) for k in ("rule_id", "title", "category", "weight", "target", "field", "terms")}
        for r in row.get("rules") or []
    ]
    return out


def render_json(rows: list[dict], tz: ZoneInfo) -> str:
    return json.dumps([to_json_obj(r, tz) for r in rows], ensure_ascii=False, indent=2)


def render_csv(rows: list[dict], tz: ZoneInfo) -> str:
    buf = io.StringIO()
    fields = [f for f in JSON_FIELDS if f not in ("candidates",)] + ["candidates"]
    w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        o = to_json_obj(r, tz)
        for k in ("rules", "terms", "targets", "candidates"):
            o[k] = json.dumps(o[k], ensure_ascii=False)
        w.writerow(o)
    return buf.getvalue()


def _person(row: dict, lang: str) -> str:
    if row.get("nip"):
        return f"{row.get('nama') or '?'} ({row['nip']}) - {row.get('instansi') or '-'}"
    cands = row.get("candidates") or []
    names = ", ".join(f"{c['nama']} ({c['nip']})" for c in cands)
    return t("ambiguous", lang, n=len(cands)) + f": {names}"


def render_table(rows: list[dict], tz: ZoneInfo, lang: str) -> str:
    lines = []
    for r in rows:
        when = r["created_at"].astimezone(tz).strftime("%H:%M")
        terms = ", ".join(r.get("terms") or [])
        lines.append(
            f"{r['hit_id']}  {when}  {r['score']:.2f}  {r['behaviour']:<7}  {r['platform']:<9}  "
            f"[{r['status']}]  {_person(r, lang)}"
        )
        lines.append(f"    {t('col_terms', lang)}: {terms}   {r.get('url') or ''}")
    return "\n".join(lines)
