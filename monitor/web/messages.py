"""Web UI messages, Bahasa Indonesia (default) and English.

Each page module adds its own keys with :func:`register` so no single catalogue grows without end.
Unknown keys render as the key itself and are caught by the tests (every key needs both languages).
"""

from __future__ import annotations

from monitor.i18n import render

CATALOG: dict[str, dict[str, str]] = {}


def register(messages: dict[str, dict[str, str]]) -> None:
    for key, entry in messages.items():
        if key in CATALOG and CATALOG[key] != entry:
            raise ValueError(f"web message '{key}' registered twice with different text")
        CATALOG[key] = entry


def translate(key: str, lang: str, **kw: object) -> str:
    entry = CATALOG.get(key)
    return key if entry is None else render(entry, lang, **kw)


register({
    "app_name": {"id": "Pemantau Netralitas ASN", "en": "ASN Neutrality Monitor"},
    "nav_hits": {"id": "Daftar temuan", "en": "Hit list"},
    "nav_dashboard": {"id": "Dasbor", "en": "Dashboard"},
    "nav_rules": {"id": "Aturan", "en": "Rules"},
    "nav_roster": {"id": "Daftar ASN", "en": "Roster"},
    "nav_logout": {"id": "Keluar", "en": "Sign out"},
    "login_title": {"id": "Masuk", "en": "Sign in"},
    "login_username": {"id": "Nama pengguna", "en": "Username"},
    "login_password": {"id": "Kata sandi", "en": "Password"},
    "login_submit": {"id": "Masuk", "en": "Sign in"},
    "login_failed": {"id": "Nama pengguna atau kata sandi salah.", "en": "Wrong username or password."},
    "login_throttled": {
        "id": "Terlalu banyak percobaan gagal. Coba lagi dalam beberapa menit.",
        "en": "Too many failed attempts. Try again in a few minutes.",
    },
    "csrf_failed": {
        "id": "Permintaan ditolak: token keamanan formulir tidak valid. Muat ulang halaman lalu coba lagi.",
        "en": "Request refused: the form's security token is not valid. Reload the page and try again.",
    },
    "forbidden": {"id": "Anda tidak berhak membuka halaman ini.", "en": "You may not open this page."},
    "storage_unavailable": {
        "id": "Basis data sedang tidak dapat ditulis (disk penuh atau berkas hanya-baca). Perubahan Anda belum "
              "disimpan; coba lagi setelah administrator memulihkan penyimpanan.",
        "en": "The database cannot be written right now (disk full or a read-only file). Your change was not "
              "saved; try again once an administrator has restored the storage."},
    "not_found": {"id": "Tidak ditemukan.", "en": "Not found."},
    "role_admin": {"id": "admin", "en": "admin"},
    "role_pengawas": {"id": "pengawas", "en": "watcher"},
    "role_atasan": {"id": "atasan", "en": "supervisor"},
    "lang_switch": {"id": "English", "en": "Bahasa Indonesia"},
    "allegation_note": {
        "id": "Setiap temuan adalah dugaan yang harus diverifikasi pengawas, bukan putusan pelanggaran.",
        "en": "Every hit is an allegation for a watcher to verify, not a finding of a violation.",
    },
})
