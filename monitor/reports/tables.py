"""Spreadsheet and CSV outputs: one finding report (XLSX), the monthly summary per agency (XLSX,
CSV) and the CSV for the national civil-service complaint system."""

from __future__ import annotations

import csv
import io
from typing import Any, Iterable

from monitor.reports.finding import labels

# Columns of the complaint CSV, after the fields BKN's complaint form asks for (the reported ASN
# identified by NIP, the reporter, time of the event and of knowledge, place, description, evidence).
COMPLAINT_COLUMNS: list[tuple[str, str]] = [
    ("nomor_temuan", "hit_id"),
    ("pelapor", "penemu"),
    ("nip_terlapor", "nip"),
    ("nama_terlapor", "nama"),
    ("jabatan_terlapor", "jabatan"),
    ("unit_kerja_terlapor", "unit_kerja"),
    ("instansi_terlapor", "instansi"),
    ("jenis_pelanggaran", None),
    ("uraian_kejadian", "perbuatan"),
    ("tanggal_kejadian", "waktu_kejadian"),
    ("tanggal_diketahui", "ditemukan_pada"),
    ("tempat_kejadian", "platform"),
    ("tautan_bukti", "url"),
    ("sha256_bukti", "sha256_unggahan"),
    ("sha256_media", "sha256_media"),
    ("pemeriksa", "pemeriksa"),
    ("tanggal_pemeriksaan", "waktu_pemeriksaan"),
]
VIOLATION = "Pelanggaran netralitas ASN (media sosial)"

SUMMARY_COLUMNS: list[tuple[str, str, str]] = [
    ("instansi", "Instansi", "Agency"),
    ("hits", "Temuan", "Hits"),
    ("dikonfirmasi", "Dikonfirmasi", "Confirmed"),
    ("ditolak", "Ditolak", "Dismissed"),
    ("baru", "Belum ditinjau", "Not reviewed"),
    ("asn", "ASN (dikonfirmasi)", "Civil servants (confirmed)"),
    ("post", "Unggahan", "Posts"),
    ("comment", "Komentar", "Comments"),
    ("share", "Bagikan/teruskan", "Shares/forwards"),
    ("quote", "Kutipan", "Quotes"),
    ("deleted_posts", "Unggahan dihapus", "Posts deleted"),
]


def _cell(v: Any) -> Any:
    """Never let collected text become a spreadsheet formula."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
        return "'" + v
    return v


def _xlsx(sheets: Iterable[tuple[str, list[list[Any]]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append([_cell(v) for v in row])
        for c in ws[1]:
            c.font = Font(bold=True)
        for row in ws.iter_rows():
            for c in row:
                c.alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def finding_xlsx(record: dict[str, str], lang: str = "id") -> bytes:
    """The finding report as a two-column sheet (field, value)."""
    head = ["Bagian", "Isi"] if lang == "id" else ["Field", "Value"]
    rows = [head] + [[label, record.get(key, "")] for key, label in labels(lang)]
    data = _xlsx([("laporan", rows)])
    return data


def _summary_rows(rows: list[dict], lang: str) -> list[list[Any]]:
    head = [i if lang == "id" else e for _, i, e in SUMMARY_COLUMNS]
    out: list[list[Any]] = [head]
    for r in rows:
        out.append([r[k] for k, _, _ in SUMMARY_COLUMNS])
    out.append(["Jumlah" if lang == "id" else "Total"] + [sum(int(r[k]) for r in rows) for k, _, _ in SUMMARY_COLUMNS[1:]])
    return out


def monthly_xlsx(rows: list[dict], month: str, lang: str = "id") -> bytes:
    return _xlsx([(f"ringkasan {month}", _summary_rows(rows, lang))])


def _csv(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        w.writerow([_cell(v) for v in row])
    return "\ufeff" + buf.getvalue()  # BOM: spreadsheet apps read UTF-8


def monthly_csv(rows: list[dict], lang: str = "id") -> str:
    return _csv(_summary_rows(rows, lang))


def complaint_csv(records: list[dict[str, str]]) -> str:
    """One row per confirmed finding, in the complaint system's columns (NIP included)."""
    out: list[list[Any]] = [[c for c, _ in COMPLAINT_COLUMNS]]
    for rec in records:
        out.append([VIOLATION if key is None else rec.get(key, "") for _, key in COMPLAINT_COLUMNS])
    return _csv(out)
