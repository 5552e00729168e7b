"""Messages of the evidence commands and the package README (Bahasa Indonesia default, English)."""

from __future__ import annotations

from monitor.i18n import render

MESSAGES: dict[str, dict[str, str]] = {
    "not_zip": {"id": "{file}: bukan berkas zip yang valid ({error})",
                "en": "{file}: not a valid zip file ({error})"},
    "no_manifest": {"id": "manifest.json tidak ada dalam paket", "en": "manifest.json is missing from the package"},
    "bad_manifest": {"id": "manifest.json tidak dapat dibaca: {error}", "en": "manifest.json cannot be read: {error}"},
    "bad_format": {"id": "manifest.json: format {format!r} tidak dikenal", "en": "manifest.json: unknown format {format!r}"},
    "unsafe_path": {"id": "{file}: nama berkas tidak aman dalam paket", "en": "{file}: unsafe file name in the package"},
    "missing_file": {"id": "{file}: tercantum di manifest tetapi tidak ada dalam paket",
                     "en": "{file}: listed in the manifest but missing from the package"},
    "duplicate_file": {"id": "{file}: ada lebih dari satu kali dalam paket", "en": "{file}: appears more than once in the package"},
    "extra_file": {"id": "{file}: ada dalam paket tetapi tidak tercantum di manifest",
                   "en": "{file}: in the package but not listed in the manifest"},
    "size_mismatch": {"id": "{file}: ukuran {actual} bita, manifest mencatat {expected}",
                      "en": "{file}: size {actual} bytes, the manifest records {expected}"},
    "hash_mismatch": {"id": "{file}: SHA-256 {actual} tidak sama dengan manifest ({expected})",
                      "en": "{file}: SHA-256 {actual} differs from the manifest ({expected})"},
    "capture_mismatch": {
        "id": "{file}: SHA-256 {actual} tidak sama dengan yang dicatat saat pengambilan ({expected})",
        "en": "{file}: SHA-256 {actual} differs from the one recorded at capture ({expected})"},
    "db_mismatch": {
        "id": "{file}: SHA-256 dalam manifest ({expected}) tidak sama dengan basis data ({actual})",
        "en": "{file}: the manifest's SHA-256 ({expected}) differs from the database ({actual})"},
    "db_unknown": {"id": "unggahan {post} tidak ada di basis data ini", "en": "post {post} is not in this database"},
    "verify_ok": {"id": "SAH: {n} berkas cocok dengan manifest; unggahan cocok dengan SHA-256 saat pengambilan.",
                  "en": "VALID: {n} files match the manifest; the post matches its SHA-256 at capture."},
    "verify_failed": {"id": "TIDAK SAH: {n} masalah ditemukan.", "en": "INVALID: {n} problem(s) found."},
    "manifest_sha": {"id": "SHA-256 manifest.json: {sha} (bandingkan dengan catatan audit ekspor)",
                     "en": "manifest.json SHA-256: {sha} (compare with the export's audit record)"},
    "exported": {"id": "Paket bukti {hit_id} ditulis ke {file} ({n} berkas).",
                 "en": "Evidence package of {hit_id} written to {file} ({n} files)."},
    "hit_not_found": {"id": "Temuan {hit_id} tidak ditemukan.", "en": "Hit {hit_id} not found."},
    "package_failed": {"id": "Paket bukti tidak dapat dibuat: {error}", "en": "The evidence package cannot be built: {error}"},
    "post_not_stored": {"id": "Unggahan temuan {hit_id} tidak tersimpan.", "en": "The post of hit {hit_id} is not stored."},
    "media_done": {"id": "Media: {captured} berkas diambil, {failed} gagal, {skipped} dilewati.",
                   "en": "Media: {captured} files captured, {failed} failed, {skipped} skipped."},
    "watch_done": {"id": "Pemeriksaan ulang: {checked} unggahan, {deleted} terhapus, {edited} diubah, {unchecked} tidak dapat diperiksa.",
                   "en": "Re-check: {checked} posts, {deleted} deleted, {edited} edited, {unchecked} could not be checked."},
}


def msg(key: str, lang: str = "id", **kw: object) -> str:
    return render(MESSAGES[key], lang, **kw)
