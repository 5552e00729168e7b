"""Parse and validate an 18-digit NIP (Nomor Induk Pegawai) of a civil servant (PNS or PPPK).

Layout (digits counted from 1)::

    1-8    birth date            YYYYMMDD  a real calendar date, year 1940 .. current year - 17
    9-14   appointment (TMT)     YYYYMM    month 01-12, year >= birth year + 17
                                           and <= current year + 1
    15     gender                1 = male, 2 = female
    16-18  sequence number       001 .. 999 (000 is never issued)

PPPK NIPs follow the same layout. Only the exact 18-digit string is accepted: no spaces, no
separators, no number formatting (the roster importer decides what to clean before calling).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Literal

__all__ = ["MIN_BIRTH_YEAR", "MIN_AGE_AT_APPOINTMENT", "NipInfo", "is_valid_nip", "parse_nip"]

MIN_BIRTH_YEAR = 1940
MIN_AGE_AT_APPOINTMENT = 17
"""Also the minimum age today: the latest accepted birth year is ``current year - 17``."""


@dataclass(frozen=True, slots=True)
class NipInfo:
    """What an NIP encodes."""

    nip: str
    birth_date: _dt.date
    appointment_year: int
    appointment_month: int
    gender: Literal["male", "female"]
    sequence: int


def parse_nip(value: str, *, today: _dt.date | None = None) -> NipInfo:
    """Parse ``value`` as an NIP or raise :class:`ValueError` with a precise English reason.

    ``today`` fixes the current date (for tests); it defaults to :func:`datetime.date.today`.

    >>> parse_nip("198503122010011001", today=_dt.date(2024, 1, 1)).gender
    'male'
    """
    if not isinstance(value, str):
        raise ValueError(f"NIP must be text, got {type(value).__name__}")
    if len(value) != 18:
        raise ValueError(f"NIP must have 18 digits, got {len(value)} characters")
    if not (value.isascii() and value.isdigit()):
        bad = next(ch for ch in value if not (ch.isascii() and ch.isdigit()))
        raise ValueError(f"NIP must contain digits only, found {bad!r}")

    year_now = (today or _dt.date.today()).year
    birth = value[0:8]
    try:
        birth_date = _dt.date(int(birth[0:4]), int(birth[4:6]), int(birth[6:8]))
    except ValueError:
        raise ValueError(f"birth date {birth} is not a valid date") from None
    latest_birth = year_now - MIN_AGE_AT_APPOINTMENT
    if not MIN_BIRTH_YEAR <= birth_date.year <= latest_birth:
        raise ValueError(
            f"birth year {birth_date.year} (from {birth}) is outside {MIN_BIRTH_YEAR}..{latest_birth}"
        )

    appointment = value[8:14]
    a_year, a_month = int(appointment[0:4]), int(appointment[4:6])
    if not 1 <= a_month <= 12:
        raise ValueError(f"appointment {appointment} has month {a_month:02d}, not 01-12")
    earliest = birth_date.year + MIN_AGE_AT_APPOINTMENT
    if a_year < earliest:
        raise ValueError(
            f"appointment year {a_year} is before birth year {birth_date.year} + "
            f"{MIN_AGE_AT_APPOINTMENT} ({earliest})"
        )
    if a_year > year_now + 1:
        raise ValueError(f"appointment year {a_year} is after next year ({year_now + 1})")

    gender_digit = value[14]
    if gender_digit not in "12":
        raise ValueError(f"gender digit {gender_digit} must be 1 (male) or 2 (female)")

    sequence = int(value[15:18])
    if sequence == 0:
        raise ValueError("sequence number 000 is invalid (must be 001-999)")

    return NipInfo(
        nip=value,
        birth_date=birth_date,
        appointment_year=a_year,
        appointment_month=a_month,
        gender="male" if gender_digit == "1" else "female",
        sequence=sequence,
    )


def is_valid_nip(value: str, *, today: _dt.date | None = None) -> bool:
    """True when :func:`parse_nip` accepts ``value``."""
    try:
        parse_nip(value, today=today)
    except ValueError:
        return False
    return True
