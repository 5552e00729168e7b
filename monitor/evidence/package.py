"""The evidence package of one hit: a zip that verifies itself.

Contents: ``post.json`` (the raw payload exactly as stored at capture), ``parent.json`` (the parent
post when it is stored too), ``revisions/*.json`` (later versions of the post, if it changed),
``media/*`` (captured media files), ``README.txt`` (Indonesian, for the people who receive it) and
``manifest.json``: each file's SHA-256 and size, the post's SHA-256 recorded at capture, capture
times in UTC, the hit id, the rule-set version and the tool version.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from monitor import __version__

FORMAT = "monitor-evidence/1"
MANIFEST = "manifest.json"
TOOL = "asn-neutrality-monitor"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def utc(value: Any) -> str | None:
    """An aware datetime as ISO 8601 UTC (``...Z``); None stays None."""
    if not isinstance(value, datetime):
        return None if value is None else str(value)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class PackageError(Exception):
    """The package cannot be built (e.g. a media file listed in the store is missing on disk)."""


def _readme(m: dict) -> str:
    post, hit = m["post"], m["hit"]
    lines = [
        "PAKET BUKTI TEMUAN DUGAAN PELANGGARAN NETRALITAS ASN",
        "=" * 52,
        "",
        f"Temuan        : {hit['hit_id']} (status: {hit['status']})",
        f"Platform      : {post['platform']}",
        f"ID unggahan   : {post['post_id']}",
        f"Alamat (URL)  : {post['url'] or '-'}",
        f"Waktu unggah  : {post['created_at']} (UTC)",
        f"Pertama kali diambil (first_seen_at): {post['first_seen_at']} (UTC)",
        f"Versi aturan  : {hit['ruleset_version']}",
        f"Dibuat oleh   : {m['tool']['name']} {m['tool']['version']} pada {m['exported_at']} (UTC)",
        "",
        "Isi paket:",
    ]
    for f in m["files"]:
        lines.append(f"  - {f['path']} ({f['role']}, {f['size']} bita)")
    lines.append(f"  - {MANIFEST} (daftar berkas, SHA-256, ukuran dan waktu pengambilan)")
    m_not = m.get("media_not_captured") or []
    if m_not:
        lines.append(f"Media yang tidak berhasil diambil: {len(m_not)} (lihat media_not_captured di manifest.json)")
    lines += [
        "",
        "post.json adalah muatan asli unggahan PERSIS seperti disimpan saat pengambilan; SHA-256-nya",
        f"tercatat saat itu juga: {post['raw_sha256_at_capture']}.",
        "Hanya temuan DUGAAN: keputusan ada pada pengawas dan pejabat yang berwenang.",
        "",
        "Cara memeriksa keaslian paket:",
        "  monitor evidence verify NAMA-BERKAS.zip",
        "atau secara manual: hitung SHA-256 setiap berkas (mis. `sha256sum post.json`) dan bandingkan",
        "dengan manifest.json; SHA-256 post.json harus sama dengan raw_sha256_at_capture. Setiap berkas",
        "yang berubah, hilang atau ditambahkan membuat paket TIDAK SAH. SHA-256 manifest.json sendiri",
        "dicatat dalam log audit saat ekspor.",
        "",
        "Semua waktu dalam UTC (WIB = UTC+7, WITA = UTC+8, WIT = UTC+9).",
    ]
    return "\n".join(lines) + "\n"


def build_package(rows: dict, media_root: Path, *, exported_by: str) -> tuple[bytes, dict]:
    """``(zip bytes, manifest)`` for the evidence rows of one hit (:meth:`Store.evidence_rows`)."""
    hit, post = rows["hit"], rows["post"]
    if post is None:
        raise PackageError(f"the post of hit {hit['hit_id']} is not stored")
    files: list[tuple[dict, bytes]] = []

    def add(path: str, data: bytes, role: str, **info: Any) -> None:
        files.append(({"path": path, "role": role, "sha256": sha256_bytes(data), "size": len(data),
                       **{k: v for k, v in info.items() if v is not None}}, data))

    add("post.json", post["raw"].encode("utf-8"), "post", collected_at=utc(post["collected_at"]),
        source=post["source"])
    parent = rows.get("parent")
    if parent is not None:
        add("parent.json", parent["raw"].encode("utf-8"), "parent", collected_at=utc(parent["collected_at"]),
            raw_sha256_at_capture=parent["raw_sha256"])
    for i, rev in enumerate(rows.get("revisions") or [], 1):
        add(f"revisions/{i:02d}-{rev['raw_sha256'][:12]}.json", rev["raw"].encode("utf-8"), "revision",
            collected_at=utc(rev["seen_at"]), source=rev["source"], raw_sha256_at_capture=rev["raw_sha256"])
    for m in rows.get("media") or []:
        if m["status"] != "captured":
            continue
        src = media_root / m["file"]
        try:
            data = src.read_bytes()
        except OSError as exc:
            raise PackageError(f"media file {src} cannot be read: {exc}") from exc
        if sha256_bytes(data) != m["sha256"]:
            raise PackageError(f"media file {src} no longer matches the SHA-256 recorded at capture")
        add(f"media/{Path(m['file']).name}", data, "media", collected_at=utc(m["captured_at"]),
            source_url=m["url"], content_type=m["content_type"], kind=m["kind"], raw_sha256_at_capture=m["sha256"])

    check = rows.get("check")
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "tool": {"name": TOOL, "version": __version__},
        "exported_at": utc(datetime.now(timezone.utc)),
        "exported_by": exported_by,
        "hit": {
            "hit_id": hit["hit_id"], "status": hit["status"], "score": hit["score"], "behaviour": hit["behaviour"],
            "ruleset_version": hit["ruleset_version"], "detected_at": utc(hit["detected_at"]),
            "nip": hit.get("nip"), "reviewer": hit.get("reviewer"), "reviewed_at": utc(hit.get("reviewed_at")),
            "scored_payload_sha256": hit.get("payload_sha256"),
        },
        "post": {
            "platform": post["platform"], "post_id": post["post_id"], "url": post["url"],
            "created_at": utc(post["created_at"]), "source": post["source"],
            "first_seen_at": utc(post["collected_at"]), "collected_at": utc(post["collected_at"]),
            "file": "post.json", "raw_sha256_at_capture": post["raw_sha256"],
        },
        "watch": ({"state": check["state"], "noticed_at": utc(check["noticed_at"]),
                   "checked_at": utc(check["checked_at"])} if check else None),
        "files": [],
        # media the payload links that could not be downloaded (kept honest: listed, not hidden)
        "media_not_captured": [{"url": m["url"], "kind": m["kind"], "error": m["error"], "attempts": m["attempts"],
                                "last_attempt_at": utc(m["captured_at"])}
                               for m in rows.get("media") or [] if m["status"] != "captured"],
    }
    manifest["files"] = [f for f, _ in files]
    readme = _readme(manifest).encode("utf-8")
    readme_entry = {"path": "README.txt", "role": "readme", "sha256": sha256_bytes(readme), "size": len(readme)}
    manifest["files"].append(readme_entry)
    files.append((readme_entry, readme))
    body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, body)
        for entry, data in files:
            zf.writestr(entry["path"], data)
    return buf.getvalue(), manifest


def manifest_sha256(package: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        return sha256_bytes(zf.read(MANIFEST))
