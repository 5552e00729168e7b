"""Write the demo files: roster.csv, posts.jsonl, posts_malformed.jsonl, expected.csv, README.md."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

from demo_data.names import base_key
from demo_data.readme import render

ROSTER_COLUMNS = ["nip", "nama", "jabatan", "unit_kerja", "instansi", "atasan_nip", "akun", "email", "telegram"]
LABELS = ["hit_declared", "hit_name", "ambiguous", "no_hit_neutral", "no_hit_public"]


def _public(post: dict) -> dict:
    return {k: v for k, v in post.items() if not k.startswith("_")}


def _line(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False)


def malformed_lines() -> list[str]:
    """Five lines the importer must reject, one reason each."""
    author = {"id": "1600000000000000001", "handle": "contoh_rusak", "name": "Contoh Baris Rusak"}
    base = {"platform": "x", "post_id": "1749000000000000001", "url": "https://x.com/contoh_rusak/status/1749000000000000001",
            "created_at": "2024-01-21T08:15:00+07:00", "author": author, "kind": "post",
            "text": "Baris contoh: tanggal hilang / missing created_at"}
    missing = {k: v for k, v in base.items() if k != "created_at"}
    naive = dict(base, post_id="1749000000000000002", url=base["url"][:-1] + "2",
                 created_at="2024-01-21T08:20:00", text="Baris contoh: waktu tanpa zona / naive timestamp")
    share = dict(base, post_id="1749000000000000003", url=base["url"][:-1] + "3", kind="share",
                 created_at="2024-01-21T08:25:00+07:00", text="")
    broken = _line(dict(base, post_id="1749000000000000004", url=base["url"][:-1] + "4",
                        created_at="2024-01-21T08:30:00+07:00", text="Baris contoh: JSON terpotong"))[:-40]
    unknown = dict(base, post_id="1749000000000000005", url=base["url"][:-1] + "5",
                   created_at="2024-01-21T08:35:00+07:00", text="Baris contoh: kolom tak dikenal / unknown field",
                   likes=120)
    return [_line(missing), _line(naive), _line(share), broken, _line(unknown)]


def roster_csv(roster: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(ROSTER_COLUMNS)
    for p in roster:
        writer.writerow([p[c] or "" for c in ROSTER_COLUMNS])
    return buf.getvalue()


def summarize(roster: list[dict], posts: list[dict]) -> dict:
    spellings: dict[str, set[str]] = {}
    for p in roster:
        spellings.setdefault(base_key(p["_base"]), set()).add(p["_base"])
    names = Counter(base_key(p["_base"]) for p in roster)
    return {
        "roster": len(roster),
        "instansi": Counter(p["instansi"] for p in roster),
        "declared": sum(1 for p in roster if p["akun"]),
        "accounts": Counter(a["platform"] for p in roster for a in p["_accounts"]),
        "supervisors": sum(1 for p in roster if p["telegram"]),
        "shared_names": sorted(" / ".join(sorted(spellings[k])) for k, c in names.items() if c > 1),
        "posts": len(posts),
        "category": Counter(p["_cat"] for p in posts),
        "label": Counter(p["_label"] for p in posts),
        "platform": Counter(p["platform"] for p in posts),
        "kind": Counter(p["kind"] for p in posts),
        "day": Counter(p["created_at"][:10] for p in posts),
        "cat_label": Counter((p["_cat"], p["_label"]) for p in posts),
        "cat_kind": Counter((p["_cat"], p["kind"]) for p in posts),
    }


def write_all(out_dir: Path, roster: list[dict], posts: list[dict]) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "roster.csv").write_text(roster_csv(roster), encoding="utf-8")
    (out_dir / "posts.jsonl").write_text("".join(_line(_public(p)) + "\n" for p in posts), encoding="utf-8")
    (out_dir / "posts_malformed.jsonl").write_text("".join(l + "\n" for l in malformed_lines()), encoding="utf-8")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["platform", "post_id", "expected"])
    for p in posts:
        assert p["_label"] in LABELS, p["_label"]
        writer.writerow([p["platform"], p["post_id"], p["_label"]])
    (out_dir / "expected.csv").write_text(buf.getvalue(), encoding="utf-8")
    summary = summarize(roster, posts)
    (out_dir / "README.md").write_text(render(summary), encoding="utf-8")
    return summary
