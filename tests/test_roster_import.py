"""Roster import (monitor.roster.read_roster): formats, aliases and every error kind."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from monitor.models import DeclaredAccount
from monitor.roster import RosterParse, RowError, read_roster

# Valid fictional NIPs (birth date, appointment, gender, sequence).
N1 = "198503122010011001"
N2 = "199001012015032002"
N3 = "198807172012121003"
N4 = "199203052019032004"
N5 = "197911302005011005"

HEADER = ["nip", "nama", "jabatan", "unit_kerja", "instansi", "atasan_nip", "akun", "email", "telegram"]


def write_csv(path: Path, rows: list[list[str]], *, delimiter: str = ",", bom: bool = False) -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path


def write_xlsx(path: Path, rows: list[list[object]], *, extra_sheet: bool = False) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "ASN"
    for r in rows:
        ws.append(r)
    if extra_sheet:
        wb.create_sheet("Catatan").append(["notes"])
    wb.save(path)
    return path


def row(nip="", nama="", jabatan="", unit="", instansi="", atasan="", akun="", email="", telegram=""):
    return [nip, nama, jabatan, unit, instansi, atasan, akun, email, telegram]


def errors_at(result: RosterParse, row_number: int, column: str | None = None) -> list[RowError]:
    return [e for e in result.errors if e.row == row_number and (column is None or e.column == column)]


def only_error(result: RosterParse, row_number: int, column: str) -> RowError:
    found = errors_at(result, row_number, column)
    assert len(found) == 1, (found, result.errors)
    return found[0]


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize("bom", [False, True])
def test_csv_comma_semicolon_bom(tmp_path, delimiter, bom):
    p = write_csv(
        tmp_path / "r.csv",
        [
            HEADER,
            row(N1, "Drs. Budi Santoso, M.Si", "Kepala Dinas", "Sekretariat", "Dinas Pendidikan Kota Contoh",
                akun="x:@BudiS; mastodon:@budi@Kota.Social", email="budi@contoh.go.id", telegram="12345"),
            row(N2, "Siti Aminah, S.Pd", "Guru", "SD Negeri 1", "Dinas Pendidikan Kota Contoh", atasan=N1),
        ],
        delimiter=delimiter,
        bom=bom,
    )
    result = read_roster(p)
    assert result.ok, result.errors
    assert result.warnings == []
    assert [e.nip for e in result.entries] == [N1, N2]
    budi, siti = result.entries
    assert budi.nama == "Drs. Budi Santoso, M.Si"
    assert budi.akun == [
        DeclaredAccount(platform="x", value="budis"),
        DeclaredAccount(platform="mastodon", value="budi@kota.social"),
    ]
    assert budi.email == "budi@contoh.go.id" and budi.telegram == "12345"
    assert siti.atasan_nip == N1 and siti.akun == [] and siti.email is None
    assert result.data_rows == 2


def test_header_aliases_and_unknown_columns(tmp_path):
    header = ["No.", "NIP", "Nama Lengkap", "Job Title", "Work Unit", "Perangkat Daerah", "NIP Atasan",
              "Akun Media Sosial", "E-mail", "Telegram Chat ID", "Golongan"]
    p = write_csv(
        tmp_path / "r.csv",
        [header, ["1", N1, "Budi Santoso", "Kepala", "Sekretariat", "Dinas X", "", "twitter:budi", "b@x.id", "99", "IV/a"]],
        delimiter=";",
    )
    result = read_roster(p)
    assert result.ok, result.errors
    e = result.entries[0]
    assert (e.jabatan, e.unit_kerja, e.instansi, e.email, e.telegram) == ("Kepala", "Sekretariat", "Dinas X", "b@x.id", "99")
    assert e.akun == [DeclaredAccount(platform="x", value="budi")]  # twitter is folded to x
    assert [(w.row, w.column) for w in result.warnings] == [(1, "No."), (1, "Golongan")]
    assert "not a roster column" in str(result.warnings[0])


@pytest.mark.parametrize(
    "label, canonical",
    [
        ("NAMA", "nama"), ("name", "nama"), ("Full Name", "nama"), ("nama_lengkap", "nama"),
        ("position", "jabatan"), ("JABATAN", "jabatan"), ("unit kerja", "unit_kerja"), ("UNIT", "unit_kerja"),
        ("agency", "instansi"), ("OPD", "instansi"), ("perangkat daerah", "instansi"), ("atasan", "atasan_nip"),
        ("supervisor_nip", "atasan_nip"), ("Supervisor", "atasan_nip"), ("accounts", "akun"),
        ("e-mail", "email"), ("Surel", "email"), ("telegram chat id", "telegram"), ("N.I.P", "nip"),
    ],
)
def test_alias_table(label, canonical):
    from monitor.roster import resolve_header

    assert resolve_header(label) == canonical


def test_xlsx_reading_and_row_numbers(tmp_path):
    p = write_xlsx(
        tmp_path / "r.xlsx",
        [
            HEADER,
            row(N1, "Budi Santoso", telegram=12345),
            [None] * 9,  # blank row 3 is skipped but still counts
            row(N2, "", atasan=N1),
        ],
        extra_sheet=True,
    )
    result = read_roster(p)
    assert [e.nip for e in result.entries] == [N1]
    assert result.entries[0].telegram == "12345"
    err = only_error(result, 4, "nama")
    assert err.reason == "name (nama) is empty"
    assert any("only the first sheet 'ASN'" in w.reason for w in result.warnings)


@pytest.mark.parametrize("value", [1.98503122010011e17, 198503122010011001])
def test_xlsx_numeric_nip_is_an_error_asking_for_text(tmp_path, value):
    p = write_xlsx(tmp_path / "r.xlsx", [HEADER, row(value, "Budi Santoso"), row(N2, "Siti Aminah")])
    result = read_roster(p)
    err = only_error(result, 2, "nip")
    assert "stored as a number" in err.reason
    assert "format the column as Text" in err.reason
    assert [e.nip for e in result.entries] == [N2]


def test_xlsx_numeric_supervisor_nip_is_an_error(tmp_path):
    p = write_xlsx(tmp_path / "r.xlsx", [HEADER, row(N1, "Budi Santoso"), row(N2, "Siti", atasan=1.98503122010011e17)])
    err = only_error(read_roster(p), 3, "atasan_nip")
    assert "format the column as Text" in err.reason


def test_xlsx_title_rows_above_header(tmp_path):
    p = write_xlsx(
        tmp_path / "r.xlsx",
        [["DAFTAR ASN DINAS PENDIDIKAN"], [], HEADER, row(N1, "Budi Santoso"), row("123", "Siti")],
    )
    result = read_roster(p)
    assert [e.nip for e in result.entries] == [N1]
    assert only_error(result, 5, "nip").reason == "NIP must have 18 digits, got 3 characters"
    assert any(w.row == 3 and "header found on row 3" in w.reason for w in result.warnings)


def test_csv_scientific_notation_and_rounded_nip(tmp_path):
    p = write_csv(
        tmp_path / "r.csv",
        [HEADER, row("1.98503E+17", "Budi"), row("198503122010011000", "Siti"), row(" 19850312 201001 1 001 ", "Ani")],
    )
    result = read_roster(p)
    assert "scientific notation" in only_error(result, 2, "nip").reason
    rounded = only_error(result, 3, "nip").reason
    assert rounded.startswith("sequence number 000 is invalid") and "rounded" in rounded
    assert [e.nip for e in result.entries] == [N1]  # spaces inside a NIP are removed


# --------------------------------------------------------------------------- file-level errors


def test_missing_required_column_is_a_file_error(tmp_path):
    p = write_csv(tmp_path / "r.csv", [["nip", "jabatan", "unit"], [N1, "Kepala", "X"]])
    result = read_roster(p)
    assert result.fatal and result.entries == []
    (err,) = result.errors
    assert err.row is None
    assert "required column(s) nama missing" in err.reason
    assert str(err).startswith("file: ")


def test_no_header_at_all(tmp_path):
    p = write_csv(tmp_path / "r.csv", [["a", "b"], ["1", "2"]])
    result = read_roster(p)
    assert result.fatal
    assert "no header row with the columns nip and nama" in result.errors[0].reason


def test_two_headers_for_one_column(tmp_path):
    p = write_csv(tmp_path / "r.csv", [["nip", "Nama", "Nama Lengkap"], [N1, "Budi", "Budi S"]])
    result = read_roster(p)
    assert result.fatal
    assert "both mean 'nama'" in result.errors[0].reason


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("r.csv", "nip,nama\n198503122010011001,Budi Santoso\xe9\n".encode("latin-1"), "not UTF-8"),
        ("r.csv", b"", "the file is empty"),
        ("r.csv", b"nip,nama\n", "no data rows"),
        ("r.xls", b"\xd0\xcf\x11\xe0", ".xls files are not supported"),
        ("r.json", b"{}", "unsupported file type"),
        ("r.xlsx", b"not a zip", "could not be opened"),
    ],
)
def test_file_level_errors(tmp_path, name, content, message):
    p = tmp_path / name
    p.write_bytes(content)
    result = read_roster(p)
    assert result.fatal and result.entries == []
    assert message in result.errors[0].reason


def test_missing_file(tmp_path):
    result = read_roster(tmp_path / "nope.csv")
    assert result.fatal and "file not found" in result.errors[0].reason


# --------------------------------------------------------------------------- row errors


def test_every_row_error_kind_with_row_and_column(tmp_path):
    rows = [
        HEADER,
        row(N1, "Budi Santoso"),                                      # 2 ok
        row("198513402010011001", "Salah Tanggal"),                    # 3 bad birth date
        row("", "Tanpa NIP"),                                          # 4 empty nip
        row(N2, "  "),                                                 # 5 empty nama
        row(N3, "Atasan Salah", atasan="19850312201001100X"),          # 6 invalid supervisor NIP
        row(N4, "Diri Sendiri", atasan=N4),                            # 7 own supervisor
        row(N5, "Atasan Hilang", atasan="198001012005011009"),         # 8 supervisor not in file
        row("196501011990031001", "Akun Rusak", akun="budi; mastodon:@budi; X!:a"),  # 9 bad accounts
        row("196601011990031002", "Surel Rusak", email="budi(at)contoh"),             # 10 bad e-mail
    ]
    result = read_roster(write_csv(tmp_path / "r.csv", rows))
    assert [e.nip for e in result.entries] == [N1]

    err = only_error(result, 3, "nip")
    assert str(err) == "row 3, column nip ('198513402010011001'): birth date 19851340 is not a valid date"
    assert only_error(result, 4, "nip").reason == "NIP is empty"
    assert only_error(result, 5, "nama").reason == "name (nama) is empty"
    assert only_error(result, 6, "atasan_nip").reason.startswith("supervisor NIP is invalid: NIP must contain digits only")
    assert only_error(result, 7, "atasan_nip").reason == "a row cannot be its own supervisor"
    assert only_error(result, 8, "atasan_nip").reason == "supervisor NIP is not in this roster file"
    akun = [e.reason for e in errors_at(result, 9, "akun")]
    assert akun == [
        "account 'budi' must be written platform:handle (e.g. x:budi_s)",
        "mastodon account '@budi' must be user@domain (e.g. budi@kota.social)",
        "platform 'X!' must be letters, digits or '_' (e.g. x, mastodon)",
    ]
    assert only_error(result, 10, "email").reason.startswith("not a valid e-mail address")
    assert result.invalid_rows == [3, 4, 5, 6, 7, 8, 9, 10]
    assert not result.fatal


def test_duplicate_nip_names_both_rows(tmp_path):
    rows = [HEADER, row(N1, "Budi Santoso"), row(N2, "Siti"), row(N1, "Budi S. (lagi)")]
    result = read_roster(write_csv(tmp_path / "r.csv", rows))
    assert only_error(result, 2, "nip").reason == "duplicate NIP: also in row 4"
    assert only_error(result, 4, "nip").reason == "duplicate NIP: also in row 2"
    assert [e.nip for e in result.entries] == [N2]


def test_duplicate_declared_account_names_both_rows(tmp_path):
    rows = [
        HEADER,
        row(N1, "Budi", akun="x:@Budi_S; ig:budi"),
        row(N2, "Siti", akun="twitter:budi_s"),
        row(N3, "Ani", akun="x:ani; X:@ANI"),  # the same account twice in one row is fine
    ]
    result = read_roster(write_csv(tmp_path / "r.csv", rows))
    assert only_error(result, 2, "akun").reason == "account x:budi_s is also declared in row 3"
    assert only_error(result, 3, "akun").reason == "account x:budi_s is also declared in row 2"
    assert [e.nip for e in result.entries] == [N3]
    assert result.entries[0].akun == [DeclaredAccount(platform="x", value="ani")]


def test_supervisor_cycles_report_every_row(tmp_path):
    rows = [
        HEADER,
        row(N1, "A", atasan=N2),   # 2 -> 3
        row(N2, "B", atasan=N3),   # 3 -> 4
        row(N3, "C", atasan=N1),   # 4 -> 2: cycle of three
        row(N4, "D", atasan=N5),   # 5 <-> 6: cycle of two
        row(N5, "E", atasan=N4),
        row("196501011990031001", "F", atasan=N3),  # 7: points into a cycle
        row("196601011990031002", "G"),             # 8: fine
    ]
    result = read_roster(write_csv(tmp_path / "r.csv", rows))
    for r in (2, 3, 4):
        reason = only_error(result, r, "atasan_nip").reason
        assert reason.startswith("supervisor cycle: ")
        assert "row 2" in reason and "row 3" in reason and "row 4" in reason
    assert only_error(result, 5, "atasan_nip").reason == "supervisor cycle: row 5 -> row 6 -> row 5"
    assert only_error(result, 6, "atasan_nip").reason == "supervisor cycle: row 6 -> row 5 -> row 6"
    assert "supervisor (row 4) has errors" in only_error(result, 7, "atasan_nip").reason
    assert [e.nama for e in result.entries] == ["G"]


def test_invalid_supervisor_makes_subordinates_dangling_transitively(tmp_path):
    rows = [
        HEADER,
        row(N1, ""),                  # 2: invalid (empty nama)
        row(N2, "Bawahan", atasan=N1),  # 3: supervisor invalid -> error
        row(N3, "Cucu", atasan=N2),     # 4: supervisor (row 3) now invalid -> error
        row(N4, "Lain"),                # 5: fine
        row(N5, "Bawahan Lain", atasan=N4),  # 6: fine
    ]
    result = read_roster(write_csv(tmp_path / "r.csv", rows))
    assert "supervisor (row 2) has errors and will not be imported" in only_error(result, 3, "atasan_nip").reason
    assert "supervisor (row 3) has errors" in only_error(result, 4, "atasan_nip").reason
    assert [e.nip for e in result.entries] == [N4, N5]
    imported = {e.nip for e in result.entries}
    assert all(e.atasan_nip is None or e.atasan_nip in imported for e in result.entries)


def test_supervisor_with_duplicated_nip_dangles(tmp_path):
    rows = [HEADER, row(N1, "A"), row(N1, "A2"), row(N2, "B", atasan=N1)]
    result = read_roster(write_csv(tmp_path / "r.csv", rows))
    assert "has errors" in only_error(result, 4, "atasan_nip").reason
    assert result.entries == []


def test_akun_parsing_variants(tmp_path):
    akun = "X:@Budi_S ;\nmastodon:@Budi@Kota.Social, bluesky:budi.bsky.social;; x:1234567"
    result = read_roster(write_csv(tmp_path / "r.csv", [HEADER, row(N1, "Budi", akun=akun)]))
    assert result.ok, result.errors
    assert result.entries[0].akun == [
        DeclaredAccount(platform="x", value="budi_s"),
        DeclaredAccount(platform="mastodon", value="budi@kota.social"),
        DeclaredAccount(platform="bluesky", value="budi.bsky.social"),
        DeclaredAccount(platform="x", value="1234567"),
    ]


def test_account_url_is_refused(tmp_path):
    result = read_roster(write_csv(tmp_path / "r.csv", [HEADER, row(N1, "Budi", akun="x:https://x.com/budi")]))
    assert "not a link" in only_error(result, 2, "akun").reason


def test_row_error_str_shortens_long_values():
    err = RowError(7, "akun", "x" * 100, "bad")
    assert str(err).startswith("row 7, column akun ('xxx")
    assert "..." in str(err)
    assert str(RowError(None, None, None, "broken")) == "file: broken"


def test_whitespace_is_trimmed_and_collapsed(tmp_path):
    result = read_roster(write_csv(tmp_path / "r.csv", [HEADER, row(f"  {N1} ", "  Budi   Santoso ", jabatan=" Kepala  Seksi ")]))
    e = result.entries[0]
    assert (e.nip, e.nama, e.jabatan) == (N1, "Budi Santoso", "Kepala Seksi")


def test_unlabelled_column_with_values_warns(tmp_path):
    result = read_roster(write_csv(tmp_path / "r.csv", [["nip", "nama", ""], [N1, "Budi", "catatan"]]))
    assert result.ok
    assert [(w.row, w.column) for w in result.warnings] == [(1, "C")]


def test_values_beyond_the_header_warn(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text(f"nip;nama;akun\n{N1};Budi;x:budi;ig:budi\n", encoding="utf-8")
    result = read_roster(p)
    assert [e.nip for e in result.entries] == [N1]
    assert [w.row for w in result.warnings] == [2]
    assert "beyond the last header column" in result.warnings[0].reason
