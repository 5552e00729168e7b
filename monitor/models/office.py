"""Bawaslu offices, identified by the Kemendagri administrative region code (kode wilayah).

Bawaslu has one office per level of government: the national office (Bawaslu RI), one per
province (38) and one per city/regency (514). An office is identified by the region code of the
area it supervises:

* ``"ID"``: the national office (not a Kemendagri code: the region codes have no national
  level, and ``ID`` is the country's ISO code);
* ``"61"``: a province (2 digits; 61 = Kalimantan Barat);
* ``"61.71"``: a city or regency (province, dot, 2 digits; 61.71 = Kota Pontianak, 71-79 are
  cities, 01-69 regencies).

The *subtree* of an office is the office itself and every office below it: a code equal to it or
starting with it followed by ``"."`` (the national office: every office). Data is always held by
exactly one office (the responsible one) and is visible to that office and every office above it.

This module is pure (no SQL); the store's predicate builder is :mod:`monitor.store.scope`.
"""

from __future__ import annotations

import re

NATIONAL = "ID"
"""The national office's code (Bawaslu RI): the root of every subtree."""

PROVINCES: dict[str, str] = {
    "11": "Aceh", "12": "Sumatera Utara", "13": "Sumatera Barat", "14": "Riau", "15": "Jambi",
    "16": "Sumatera Selatan", "17": "Bengkulu", "18": "Lampung", "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau", "31": "DKI Jakarta", "32": "Jawa Barat", "33": "Jawa Tengah",
    "34": "DI Yogyakarta", "35": "Jawa Timur", "36": "Banten", "51": "Bali", "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur", "61": "Kalimantan Barat", "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan", "64": "Kalimantan Timur", "65": "Kalimantan Utara", "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah", "73": "Sulawesi Selatan", "74": "Sulawesi Tenggara", "75": "Gorontalo",
    "76": "Sulawesi Barat", "81": "Maluku", "82": "Maluku Utara", "91": "Papua", "92": "Papua Barat",
    "93": "Papua Selatan", "94": "Papua Tengah", "95": "Papua Pegunungan", "96": "Papua Barat Daya",
}
"""The 38 provinces by Kemendagri code (Kepmendagri 100.1.1-6117/2022)."""

LEVELS = ("nasional", "provinsi", "kabupaten_kota")

_NATIONAL_ALIASES = {"id", "ri", "nasional", "national", "bawaslu ri", "pusat"}
_CITY_RE = re.compile(r"^(\d{2})[.]?(\d{2})$")


class OfficeCodeError(ValueError):
    """Not an office code; the message says why (shown to users next to the value)."""


def parse_office(value: object) -> str:
    """The canonical code of an office: ``"ID"``, ``"61"`` or ``"61.71"``.

    Accepts ``ID``/``nasional`` (any case) for the national office and ``6171`` for ``61.71``;
    the province must exist. Raises :class:`OfficeCodeError` otherwise."""
    text = str(value if value is not None else "").strip()
    if text.casefold() in _NATIONAL_ALIASES:
        return NATIONAL
    if re.fullmatch(r"\d{2}", text):
        province, rest = text, None
    else:
        m = _CITY_RE.fullmatch(text)
        if m is None:
            raise OfficeCodeError(
                f"'{text}' is not an office code (use ID for Bawaslu RI, 2 digits for a province such as 61, "
                "or province.city such as 61.71)")
        province, rest = m.group(1), m.group(2)
    if province not in PROVINCES:
        raise OfficeCodeError(f"'{text}': {province} is not a province code")
    if rest is not None:
        if rest == "00":
            raise OfficeCodeError(f"'{text}': 00 is not a city/regency code")
        return f"{province}.{rest}"
    return province


def is_office(value: object) -> bool:
    try:
        parse_office(value)
    except OfficeCodeError:
        return False
    return True


def level(code: str) -> str:
    """``nasional``, ``provinsi`` or ``kabupaten_kota``."""
    if code == NATIONAL:
        return "nasional"
    return "provinsi" if "." not in code else "kabupaten_kota"


def parent(code: str) -> str | None:
    """The office directly above (``61.71`` -> ``61`` -> ``ID`` -> None)."""
    if code == NATIONAL:
        return None
    return code.rsplit(".", 1)[0] if "." in code else NATIONAL


def chain(code: str) -> list[str]:
    """The office and every office above it, nearest first (``["61.71", "61", "ID"]``)."""
    out: list[str] = []
    current: str | None = code
    while current is not None:
        out.append(current)
        current = parent(current)
    return out


def in_subtree(code: str | None, office: str | None) -> bool:
    """Is data held by ``code`` visible to ``office``? ``office`` None or ``ID`` sees everything;
    otherwise ``code`` must equal ``office`` or lie below it (data of no office is not)."""
    if office is None or office == NATIONAL:
        return True
    if not code:
        return False
    return code == office or code.startswith(office + ".")


def office_name(code: str | None) -> str:
    """Display name: ``Bawaslu RI``, ``Bawaslu Provinsi Kalimantan Barat``, ``Bawaslu 61.71``."""
    if not code:
        return "-"
    if code == NATIONAL:
        return "Bawaslu RI"
    province = PROVINCES.get(code.split(".")[0], code)
    if "." not in code:
        return f"Bawaslu Provinsi {province}"
    return f"Bawaslu {code} ({province})"
