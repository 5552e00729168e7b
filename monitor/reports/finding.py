"""The finding report's field set, one flat record per confirmed hit (shared by every output).

Fields as Bawaslu's finding form asks: who found it, when, the ASN (NIP, name, position, agency),
what happened, where (platform, URL), the evidence (hashes) and the reviewer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

BEHAVIOUR_ID = {"post": "mengunggah", "comment": "mengomentari", "share": "membagikan", "quote": "mengutip",
                "forward": "meneruskan", "like": "menyukai", "follow": "mengikuti"}
BEHAVIOUR_EN = {"post": "posted", "comment": "commented on", "share": "shared", "quote": "quoted",
                "forward": "forwarded", "like": "liked", "follow": "followed"}

# key, Indonesian label, English label
FIELDS: list[tuple[str, str, str]] = [
    ("hit_id", "Nomor temuan", "Finding number"),
    ("penemu", "Penemu", "Found by"),
    ("ditemukan_pada", "Waktu ditemukan", "Found at"),
    ("waktu_kejadian", "Waktu kejadian (unggahan)", "Time of the event (post)"),
    ("nip", "NIP", "NIP"),
    ("nama", "Nama", "Name"),
    ("jabatan", "Jabatan", "Position"),
    ("unit_kerja", "Unit kerja", "Work unit"),
    ("instansi", "Instansi", "Agency"),
    ("perbuatan", "Uraian perbuatan", "What happened"),
    ("isi_unggahan", "Isi unggahan", "Post text"),
    ("isi_induk", "Unggahan induk", "Parent post"),
    ("platform", "Platform", "Platform"),
    ("akun", "Akun", "Account"),
    ("url", "Tempat (alamat unggahan)", "Where (post URL)"),
    ("sha256_unggahan", "SHA-256 unggahan saat pengambilan", "Post SHA-256 at capture"),
    ("sha256_dinilai", "SHA-256 muatan yang dinilai", "Scored payload SHA-256"),
    ("sha256_media", "SHA-256 media", "Media SHA-256"),
    ("pertama_diambil", "Pertama kali diambil", "First captured"),
    ("status_unggahan", "Status unggahan (pemantauan penghapusan)", "Post status (deletion watch)"),
    ("pemeriksa", "Pemeriksa (pengawas)", "Reviewer"),
    ("waktu_pemeriksaan", "Waktu pemeriksaan", "Reviewed at"),
    ("alasan", "Alasan keputusan", "Reason of the decision"),
    ("versi_aturan", "Versi aturan", "Rule set version"),
]


def local(value: Any, tz: ZoneInfo) -> str:
    if not isinstance(value, datetime):
        return "" if value is None else str(value)
    v = value.astimezone(tz)
    return f"{v:%Y-%m-%d %H:%M} {v.tzname()}"


def finding_record(hit: dict, post: dict | None, media: list[dict], *, office: str, tz: ZoneInfo,
                   lang: str = "id") -> dict[str, str]:
    """One confirmed hit as the report's fields (strings, times in the office's zone)."""
    post = post or {}
    verbs = BEHAVIOUR_ID if lang == "id" else BEHAVIOUR_EN
    verb = verbs.get(hit["behaviour"], hit["behaviour"])
    if lang == "id":
        what = f"{verb} konten partisan di {hit['platform']}. {hit.get('explanation') or ''}".strip()
        found_by = f"{office} (Pemantau Netralitas ASN, sumber {post.get('source') or '-'})"
        state = {"deleted": "dihapus", "edited": "diubah", "present": "masih ada"}
    else:
        what = f"{verb} partisan content on {hit['platform']}. {hit.get('explanation') or ''}".strip()
        found_by = f"{office} (ASN Neutrality Monitor, source {post.get('source') or '-'})"
        state = {"deleted": "deleted", "edited": "edited", "present": "still online"}
    post_state = hit.get("post_state")
    state_text = state.get(post_state, "-") if post_state else "-"
    if post_state in ("deleted", "edited"):
        state_text += f" ({local(hit.get('post_state_noticed_at'), tz)})"
    handle = post.get("author_handle")
    return {
        "hit_id": hit["hit_id"],
        "penemu": found_by,
        "ditemukan_pada": local(hit.get("detected_at"), tz),
        "waktu_kejadian": local(hit.get("created_at"), tz),
        "nip": hit.get("nip") or "",
        "nama": hit.get("nama") or "",
        "jabatan": hit.get("jabatan") or "",
        "unit_kerja": hit.get("unit_kerja") or "",
        "instansi": hit.get("instansi") or "",
        "perbuatan": what,
        "isi_unggahan": hit.get("text") or "",
        "isi_induk": hit.get("parent_text") or "",
        "platform": hit["platform"],
        "akun": " ".join(x for x in ((f"@{handle}" if handle else ""), post.get("author_name") or "") if x),
        "url": hit.get("url") or "",
        "sha256_unggahan": hit.get("raw_sha256") or "",
        "sha256_dinilai": hit.get("payload_sha256") or "",
        "sha256_media": "; ".join(m["sha256"] for m in media if m.get("sha256")),
        "pertama_diambil": local(post.get("collected_at"), tz),
        "status_unggahan": state_text,
        "pemeriksa": hit.get("reviewer") or "",
        "waktu_pemeriksaan": local(hit.get("reviewed_at"), tz),
        "alasan": hit.get("review_reason") or "",
        "versi_aturan": hit.get("ruleset_version") or "",
    }


def labels(lang: str) -> list[tuple[str, str]]:
    return [(k, i if lang == "id" else e) for k, i, e in FIELDS]
