"""NIP parsing and validation (monitor.roster.nip)."""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.roster.nip import NipInfo, is_valid_nip, parse_nip

TODAY = dt.date(2024, 6, 1)


def test_valid_nip_fields():
    info = parse_nip("198503122010011001", today=TODAY)
    assert info == NipInfo(
        nip="198503122010011001",
        birth_date=dt.date(1985, 3, 12),
        appointment_year=2010,
        appointment_month=1,
        gender="male",
        sequence=1,
    )


def test_female_and_pppk_style_nip():
    info = parse_nip("199807232023042999", today=TODAY)
    assert info.gender == "female"
    assert (info.appointment_year, info.appointment_month) == (2023, 4)
    assert info.sequence == 999


def test_leap_day_birth_date_is_valid():
    assert parse_nip("198402292010011001", today=TODAY).birth_date == dt.date(1984, 2, 29)


@pytest.mark.parametrize(
    "nip, message",
    [
        ("19850312201001100", "NIP must have 18 digits, got 17 characters"),
        ("1985031220100110011", "NIP must have 18 digits, got 19 characters"),
        ("19850312201001100A", "NIP must contain digits only, found 'A'"),
        ("198503122010 11001", "NIP must contain digits only, found ' '"),
        ("198513402010011001", "birth date 19851340 is not a valid date"),
        ("198502292010011001", "birth date 19850229 is not a valid date"),
        ("193912312010011001", "birth year 1939 (from 19391231) is outside 1940..2007"),
        ("200801012024011001", "birth year 2008 (from 20080101) is outside 1940..2007"),
        ("198503122010131001", "appointment 201013 has month 13, not 01-12"),
        ("198503122010001001", "appointment 201000 has month 00, not 01-12"),
        ("198503122001011001", "appointment year 2001 is before birth year 1985 + 17 (2002)"),
        ("198503122026011001", "appointment year 2026 is after next year (2025)"),
        ("198503122010013001", "gender digit 3 must be 1 (male) or 2 (female)"),
        ("198503122010010001", "gender digit 0 must be 1 (male) or 2 (female)"),
        ("198503122010011000", "sequence number 000 is invalid (must be 001-999)"),
    ],
)
def test_invalid_nips_have_precise_reasons(nip, message):
    with pytest.raises(ValueError) as exc:
        parse_nip(nip, today=TODAY)
    assert str(exc.value) == message
    assert not is_valid_nip(nip, today=TODAY)


def test_boundaries_are_inclusive():
    assert is_valid_nip("194001012010011001", today=TODAY)  # earliest birth year
    assert is_valid_nip("200712312024121001", today=TODAY)  # birth year = current - 17
    assert is_valid_nip("198503122025121001", today=TODAY)  # appointment = next year
    assert is_valid_nip("198503122002011001", today=TODAY)  # appointment = birth year + 17


def test_non_text_is_rejected():
    with pytest.raises(ValueError, match="NIP must be text"):
        parse_nip(198503122010011001)  # type: ignore[arg-type]


def test_fullwidth_digits_are_not_digits():
    with pytest.raises(ValueError, match="digits only"):
        parse_nip("１９８５０３１２２０１００１１００１", today=TODAY)


def test_default_today_is_used():
    assert is_valid_nip("198503122010011001")
