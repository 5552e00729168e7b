"""Read and validate a roster file (CSV or XLSX) into :class:`~monitor.models.RosterEntry` objects.

``read_roster(path)`` never raises for problems in the user's file: it returns a
:class:`RosterParse` with the valid entries, every error and every warning, each naming the row
and column as the user sees them in the spreadsheet (the header is normally row 1, the first data
row row 2). Decisions:

* **Formats.** ``.csv``/``.txt``: UTF-8 with or without BOM (anything else is a file-level error
  asking for "CSV UTF-8"); the delimiter (``,``, ``;`` or tab) is chosen by which one splits the
  header into the most known column names. ``.xlsx``/``.xlsm``: the first sheet only (a warning
  names the others). ``.xls`` is refused (save as ``.xlsx`` or CSV).
* **Header row.** The first row among the first 10 that names at least two roster columns (or the
  ``nip`` column); rows above it (a title such as "DAFTAR ASN ...") are ignored with a warning.
  Missing ``nip`` or ``nama`` columns, or two headers meaning the same column, are file-level
  errors. Unknown columns are ignored with a warning (a roster often carries "No.", "Golongan"...).
  Headers are matched by the aliases in :mod:`monitor.roster.columns`.
* **NIP cells** (``nip`` and ``atasan_nip``) must be text of exactly 18 digits after removing
  surrounding/inner spaces and a leading apostrophe (Excel's text marker). A cell stored as a
  number is an error in every case: a spreadsheet keeps only 15 significant digits, so an 18-digit
  number may already have been rounded (``1.98503122010011E+17``), and ``1985...000`` values are
  a typical result; the message asks to format the column as Text and type the NIPs again.
  Scientific notation in a CSV gets the same advice.
* **Row checks**: NIP (see :mod:`monitor.roster.nip`), empty ``nama``, ``atasan_nip`` (a valid NIP,
  not the row's own, present in the file), ``akun`` (``platform:handle`` pieces separated by ``;``,
  also ``,`` or a line break; see :mod:`monitor.names.handles`), ``email`` (basic syntax).
* **Cross-row checks**: a NIP on several rows is an error on each of them, naming the others; the
  same declared account on several rows likewise; every row of a supervisor cycle gets an error
  showing the whole cycle.
* **Dangling supervisors.** A row with any error is not imported. A row whose ``atasan_nip``
  points to such a row therefore gets an error too ("supervisor row N has errors"), and so on down
  the chain, so that importing only the valid rows (``--skip-invalid``) can never store a
  reference to a supervisor that is not in the roster. Fix the supervisor's row and all of them
  import.
* Blank rows are skipped silently. Text cells are trimmed and inner runs of spaces collapsed.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from pydantic import ValidationError

from monitor.models import DeclaredAccount, RosterEntry
from monitor.models.office import OfficeCodeError, parse_office
from monitor.roster.accounts import parse_declared_accounts
from monitor.roster.columns import CANONICAL_COLUMNS, REQUIRED_COLUMNS, resolve_header
from monitor.roster.nip import parse_nip

__all__ = ["RosterParse", "RowError", "read_roster"]

HEADER_SEARCH_ROWS = 10
_NIP_COLUMNS = ("nip", "atasan_nip")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_SCIENTIFIC_RE = re.compile(r"[0-9]+(?:[.,][0-9]+)?[eE][+-]?[0-9]+")
_NIP_SPACES_RE = re.compile(r"[\s\u00a0]+")
_NUMBER_ADVICE = (
    "spreadsheets keep only 15 significant digits of a number, so the last digits of an 18-digit "
    "NIP may already be lost: format the column as Text and type the NIPs again"
)


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem found in a roster file (also used for warnings).

    ``row`` is the spreadsheet row number (header = row 1 normally); ``None`` for a problem with
    the whole file. ``column`` is the canonical column name (or the header as written for an
    unknown column), ``value`` the cell as read.
    """

    row: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        if self.column:
            where += f", column {self.column}"
        if self.value not in (None, ""):
            shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
            where += f" ({shown!r})"
        return f"{where}: {self.reason}"


@dataclass
class RosterParse:
    """The result of reading a roster: valid entries, errors and warnings."""

    entries: list[RosterEntry] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    data_rows: int = 0
    """Non-blank data rows read (valid or not)."""

    @property
    def ok(self) -> bool:
        """True when there is no error at all."""
        return not self.errors

    @property
    def fatal(self) -> bool:
        """True when the file as a whole could not be used (an error with ``row is None``)."""
        return any(e.row is None for e in self.errors)

    @property
    def invalid_rows(self) -> list[int]:
        """Row numbers with at least one error (each row once), ascending."""
        return sorted({e.row for e in self.errors if e.row is not None})


class _FileProblem(Exception):
    pass


# ---------------------------------------------------------------- reading cells


def _column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (spreadsheet column letters, for messages)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value: object) -> str | None:
    """A cell as text for messages."""
    if value is None:
        return None
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _text(value: object, *, keep_lines: bool = False) -> str | None:
    """A non-NIP cell as trimmed text (None when blank)."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        text = value.isoformat()
    else:
        text = str(value)
    if keep_lines:
        text = "\n".join(" ".join(line.split()) for line in text.splitlines())
        text = text.strip()
    else:
        text = " ".join(text.split())
    return text or None


def _nip_text(value: object) -> tuple[str | None, str | None]:
    """(cleaned NIP text, error reason) for a ``nip``/``atasan_nip`` cell; (None, None) if blank."""
    if _is_blank(value):
        return None, None
    if isinstance(value, bool):
        return None, "NIP must be text of 18 digits, found a TRUE/FALSE cell"
    if isinstance(value, (int, float)):
        return None, f"the NIP is stored as a number ({_shown(value)}); {_NUMBER_ADVICE}"
    if not isinstance(value, str):
        return None, f"NIP must be text of 18 digits, found a {type(value).__name__} cell"
    text = _NIP_SPACES_RE.sub("", value)
    if text.startswith("'"):
        text = text[1:]
    if _SCIENTIFIC_RE.fullmatch(text):
        return None, f"the NIP was turned into a number in scientific notation; {_NUMBER_ADVICE}"
    return text, None


def _check_nip(text: str) -> str | None:
    """Error reason for an NIP text, or None when valid."""
    try:
        parse_nip(text)
    except ValueError as exc:
        reason = str(exc)
        if text.isdigit() and len(text) == 18 and text.endswith("000"):
            reason += (
                " (an NIP ending in 000 usually means a spreadsheet stored it as a number and "
                "rounded it: format the column as Text and type the NIPs again)"
            )
        return reason
    return None


# ---------------------------------------------------------------- reading files


def _read_csv(path: Path) -> list[tuple[int, list[object]]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _FileProblem(
            f"the file is not UTF-8 text (invalid byte at position {exc.start}): "
            "save it as 'CSV UTF-8' in Excel or LibreOffice"
        ) from None
    if "\x00" in text:
        raise _FileProblem("the file contains NUL bytes: it is not a CSV text file")
    delimiter = _sniff_delimiter(text)
    rows: list[tuple[int, list[object]]] = []
    try:
        for number, record in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1):
            rows.append((number, list(record)))
    except csv.Error as exc:
        raise _FileProblem(f"CSV could not be read: {exc}") from None
    return rows


def _sniff_delimiter(text: str) -> str:
    """The delimiter that yields the most known column names in the first lines."""
    head = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    best, best_score = ",", (-1, -1)
    for delimiter in (",", ";", "\t"):
        try:
            records = list(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter))
        except csv.Error:
            continue
        known = max((sum(resolve_header(c) is not None for c in r) for r in records), default=0)
        fields = len(records[0]) if records else 0
        if (known, fields) > best_score:
            best, best_score = delimiter, (known, fields)
    return best


def _read_xlsx(path: Path, warnings: list[RowError]) -> list[tuple[int, list[object]]]:
    try:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise _FileProblem("reading .xlsx needs the openpyxl package") from None
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _FileProblem(f"the workbook could not be opened ({exc.__class__.__name__}: {exc})") from None
    try:
        sheets = wb.worksheets
        if not sheets:
            raise _FileProblem("the workbook has no sheet")
        ws = sheets[0]
        if len(sheets) > 1:
            others = ", ".join(repr(s.title) for s in sheets[1:])
            warnings.append(
                RowError(None, None, None, f"only the first sheet {ws.title!r} was read; ignored: {others}")
            )
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # some writers store a wrong sheet size; read every row
        return [(n, list(r)) for n, r in enumerate(ws.iter_rows(min_row=1, values_only=True), 1)]
    finally:
        wb.close()


# ---------------------------------------------------------------- validation


@dataclass
class _Row:
    number: int
    cells: dict[str, object]
    nip: str | None = None
    nip_valid: bool = False
    atasan: str | None = None
    atasan_valid: bool = False
    accounts: list[DeclaredAccount] = field(default_factory=list)
    text: dict[str, str | None] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def error(self, column: str | None, reason: str, value: object = ...) -> None:
        if value is ...:
            value = self.cells.get(column) if column else None
        self.errors.append(RowError(self.number, column, _shown(value), reason))


def _find_header(rows: list[tuple[int, list[object]]]) -> tuple[int, list[object]] | None:
    for number, cells in rows[:HEADER_SEARCH_ROWS]:
        found = [resolve_header(c) for c in cells if not _is_blank(c)]
        known = [c for c in found if c is not None]
        if len(set(known)) >= 2 or "nip" in known:
            return number, cells
    return None


def _map_columns(header_row: int, header: list[object], rows, warnings: list[RowError]) -> dict[int, str]:
    mapping: dict[int, str] = {}
    where: dict[str, tuple[int, object]] = {}
    for index, label in enumerate(header):
        letter = _column_letter(index)
        if _is_blank(label):
            if any(index < len(cells) and not _is_blank(cells[index]) for n, cells in rows if n > header_row):
                warnings.append(RowError(header_row, letter, None, f"column {letter} has no header; its values are ignored"))
            continue
        canonical = resolve_header(label)
        if canonical is None:
            warnings.append(
                RowError(header_row, str(label).strip(), None, f"column {letter} is not a roster column; ignored")
            )
            continue
        if canonical in where:
            first_index, first_label = where[canonical]
            raise _FileProblem(
                f"columns {_column_letter(first_index)} ({str(first_label).strip()!r}) and {letter} "
                f"({str(label).strip()!r}) both mean {canonical!r}: keep one"
            )
        where[canonical] = (index, label)
        mapping[index] = canonical
    missing = [c for c in REQUIRED_COLUMNS if c not in where]
    if missing:
        found = ", ".join(repr(str(h).strip()) for h in header if not _is_blank(h)) or "none"
        raise _FileProblem(f"required column(s) {', '.join(missing)} missing (header row {header_row}: {found})")
    return mapping


def _check_row(row: _Row) -> None:
    """Checks that need only the row itself."""
    cells = row.cells
    nip_text, problem = _nip_text(cells.get("nip"))
    if problem:
        row.error("nip", problem)
    elif nip_text is None:
        row.error("nip", "NIP is empty")
    else:
        row.nip = nip_text
        reason = _check_nip(nip_text)
        if reason:
            row.error("nip", reason)
        else:
            row.nip_valid = True

    for column in CANONICAL_COLUMNS:
        if column not in _NIP_COLUMNS:
            row.text[column] = _text(cells.get(column), keep_lines=column == "akun")
    if not row.text["nama"]:
        row.error("nama", "name (nama) is empty")

    atasan_text, problem = _nip_text(cells.get("atasan_nip"))
    if problem:
        row.error("atasan_nip", problem)
    elif atasan_text is not None:
        row.atasan = atasan_text
        reason = _check_nip(atasan_text)
        if reason:
            row.error("atasan_nip", f"supervisor NIP is invalid: {reason}")
        elif row.nip is not None and atasan_text == row.nip:
            row.error("atasan_nip", "a row cannot be its own supervisor")
        else:
            row.atasan_valid = True

    accounts, problems = parse_declared_accounts(row.text["akun"])
    row.accounts = accounts
    for reason in problems:
        row.error("akun", reason)

    email = row.text["email"]
    if email is not None and not _EMAIL_RE.fullmatch(email):
        row.error("email", "not a valid e-mail address (expected name@domain.tld)")

    office = row.text["office_code"]
    if office is not None:
        try:
            row.text["office_code"] = parse_office(office)
        except OfficeCodeError as exc:
            row.error("office_code", str(exc))


def _rows_list(numbers: Iterable[int]) -> str:
    nums = sorted(numbers)
    return ("row " if len(nums) == 1 else "rows ") + ", ".join(str(n) for n in nums)


def _check_duplicates(rows: list[_Row]) -> None:
    by_nip: dict[str, list[_Row]] = defaultdict(list)
    for r in rows:
        if r.nip_valid:
            by_nip[r.nip].append(r)  # type: ignore[index]
    for group in by_nip.values():
        if len(group) > 1:
            for r in group:
                others = [o.number for o in group if o is not r]
                r.error("nip", f"duplicate NIP: also in {_rows_list(others)}")

    by_account: dict[DeclaredAccount, list[_Row]] = defaultdict(list)
    for r in rows:
        for acc in r.accounts:
            by_account[acc].append(r)
    for acc, group in by_account.items():
        if len(group) > 1:
            for r in group:
                others = [o.number for o in group if o is not r]
                r.error("akun", f"account {acc.platform}:{acc.value} is also declared in {_rows_list(others)}")


def _check_supervisors(rows: list[_Row]) -> None:
    by_nip: dict[str, list[_Row]] = defaultdict(list)
    for r in rows:
        if r.nip_valid:
            by_nip[r.nip].append(r)  # type: ignore[index]

    supervisor: dict[int, _Row] = {}  # id(row) -> its unique supervisor row
    subordinates: dict[int, list[_Row]] = defaultdict(list)  # id(supervisor row) -> rows
    for r in rows:
        if not r.atasan_valid:
            continue
        targets = by_nip.get(r.atasan)  # type: ignore[arg-type]
        if not targets:
            r.error("atasan_nip", "supervisor NIP is not in this roster file")
            continue
        for t in targets:
            subordinates[id(t)].append(r)
        if len(targets) == 1:
            supervisor[id(r)] = targets[0]

    # cycles: every row has at most one supervisor, so walk each chain once
    state: dict[int, int] = {}  # id(row) -> 1 on current walk, 2 done
    for start in rows:
        path: list[_Row] = []
        node: _Row | None = start
        while node is not None and id(node) not in state:
            state[id(node)] = 1
            path.append(node)
            node = supervisor.get(id(node))
        if node is not None and state.get(id(node)) == 1:
            cycle = path[path.index(node):]
            for k, c in enumerate(cycle):
                loop = cycle[k:] + cycle[:k] + [c]  # each row's message starts at that row
                chain = " -> ".join(f"row {x.number}" for x in loop)
                c.error("atasan_nip", f"supervisor cycle: {chain}")
        for p in path:
            state[id(p)] = 2

    # rows whose supervisor will not be imported would dangle: error them too, transitively
    queue = [r for r in rows if r.errors]
    while queue:
        sup = queue.pop()
        for sub in subordinates.get(id(sup), ()):
            if not sub.errors:
                sub.error(
                    "atasan_nip",
                    f"supervisor (row {sup.number}) has errors and will not be imported; "
                    "fix that row first",
                )
                queue.append(sub)


def _entry(row: _Row) -> RosterEntry:
    t = row.text
    return RosterEntry(
        nip=row.nip,
        nama=t["nama"],
        jabatan=t["jabatan"],
        unit_kerja=t["unit_kerja"],
        instansi=t["instansi"],
        atasan_nip=row.atasan,
        akun=row.accounts,
        email=t["email"],
        telegram=t["telegram"],
        office_code=t["office_code"],
    )


def read_roster(path: Path | str) -> RosterParse:
    """Read and validate the roster at ``path`` (``.csv``, ``.txt``, ``.xlsx`` or ``.xlsm``).

    Never raises for a problem in the file: see :class:`RosterParse` and the module docstring.
    """
    path = Path(path)
    result = RosterParse()
    suffix = path.suffix.lower()
    try:
        if not path.is_file():
            raise _FileProblem(f"file not found: {path}")
        if suffix in (".csv", ".txt"):
            table = _read_csv(path)
        elif suffix in (".xlsx", ".xlsm"):
            table = _read_xlsx(path, result.warnings)
        elif suffix == ".xls":
            raise _FileProblem("old Excel .xls files are not supported: save as .xlsx or 'CSV UTF-8'")
        else:
            raise _FileProblem(f"unsupported file type {suffix or '(none)'!r}: use .csv or .xlsx")
        table = [(n, cells) for n, cells in table if not all(_is_blank(c) for c in cells)]
        if not table:
            raise _FileProblem("the file is empty")
        found = _find_header(table)
        if found is None:
            first_n, first = table[0]
            shown = ", ".join(repr(str(c).strip()) for c in first if not _is_blank(c))
            raise _FileProblem(
                f"no header row with the columns nip and nama in the first {HEADER_SEARCH_ROWS} rows "
                f"(row {first_n}: {shown})"
            )
        header_row, header = found
        if header_row != table[0][0]:
            result.warnings.append(
                RowError(header_row, None, None, f"header found on row {header_row}; rows above it were ignored")
            )
        mapping = _map_columns(header_row, header, table, result.warnings)
    except _FileProblem as exc:
        result.errors.append(RowError(None, None, None, str(exc)))
        return result
    except OSError as exc:
        result.errors.append(RowError(None, None, None, f"the file could not be read: {exc}"))
        return result

    rows: list[_Row] = []
    for number, cells in table:
        if number <= header_row:
            continue
        values = {col: (cells[i] if i < len(cells) else None) for i, col in mapping.items()}
        if all(_is_blank(v) for v in values.values()):
            continue
        if any(not _is_blank(c) for c in cells[len(header):]):
            result.warnings.append(
                RowError(number, None, None, "values beyond the last header column are ignored "
                         "(an unquoted delimiter inside a cell?)")
            )
        rows.append(_Row(number, values))
    result.data_rows = len(rows)
    if not rows:
        result.errors.append(RowError(None, None, None, "the roster has no data rows below the header"))
        return result

    for r in rows:
        _check_row(r)
    _check_duplicates(rows)
    _check_supervisors(rows)

    for r in rows:
        if r.errors:
            result.errors.extend(r.errors)
            continue
        try:
            result.entries.append(_entry(r))
        except ValidationError as exc:  # pragma: no cover - the checks above should prevent it
            result.errors.append(RowError(r.number, None, None, f"row rejected: {exc.errors()[0]['msg']}"))
    return result
