"""Roster column names: the canonical columns and the header spellings accepted for each.

Headers are compared after case folding and removing spaces, underscores, dots and hyphens, so
``Unit Kerja``, ``unit_kerja``, ``UNIT.KERJA`` and ``unit-kerja`` are all ``unit_kerja``.
"""

from __future__ import annotations

import re

__all__ = ["ALIASES", "CANONICAL_COLUMNS", "REQUIRED_COLUMNS", "header_key", "resolve_header"]

CANONICAL_COLUMNS: tuple[str, ...] = (
    "nip",
    "nama",
    "jabatan",
    "unit_kerja",
    "instansi",
    "atasan_nip",
    "akun",
    "email",
    "telegram",
    "office_code",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("nip", "nama")

ALIASES: dict[str, tuple[str, ...]] = {
    "nip": ("nip", "nomor induk pegawai", "no nip", "nip baru", "employee id"),
    "nama": ("nama", "nama lengkap", "nama pegawai", "nama asn", "name", "full name"),
    "jabatan": ("jabatan", "nama jabatan", "position", "job title"),
    "unit_kerja": ("unit kerja", "unit", "work unit", "satuan kerja", "satker"),
    "instansi": ("instansi", "agency", "opd", "perangkat daerah", "skpd", "organisasi perangkat daerah"),
    "atasan_nip": ("atasan nip", "nip atasan", "atasan", "supervisor nip", "supervisor", "atasan langsung"),
    "akun": ("akun", "accounts", "account", "akun media sosial", "akun medsos", "social media", "social accounts"),
    "email": ("email", "e-mail", "surel", "alamat email"),
    "telegram": ("telegram", "telegram chat id", "telegram id", "id telegram"),
    # the Bawaslu office responsible for the ASN, as a region code (ID, 61, 61.71)
    "office_code": ("kode wilayah", "kode kantor", "kantor", "office", "office code", "kode bawaslu",
                    "region code", "kode wilayah kemendagri"),
}

_STRIP_RE = re.compile(r"[\s_.\-]+")


def header_key(label: str) -> str:
    """Comparison key of a header label: case-folded, without spaces, ``_``, ``.`` or ``-``."""
    return _STRIP_RE.sub("", label.casefold())


_LOOKUP: dict[str, str] = {}
for _canonical, _aliases in ALIASES.items():
    for _alias in (_canonical, *_aliases):
        _key = header_key(_alias)
        if _LOOKUP.get(_key, _canonical) != _canonical:  # pragma: no cover - guards edits
            raise RuntimeError(f"header alias {_alias!r} used for two columns")
        _LOOKUP[_key] = _canonical


def resolve_header(label: object) -> str | None:
    """The canonical column for a header cell, or None when it is not a roster column."""
    if label is None:
        return None
    return _LOOKUP.get(header_key(str(label)))
