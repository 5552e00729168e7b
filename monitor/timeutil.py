"""Local days: times are stored in UTC and a 'day' is the office's local calendar day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC ``[start, end)`` of a local calendar day (DST-safe, though Indonesia has none)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def local_today(tz: ZoneInfo) -> date:
    return datetime.now(tz).date()


def tz_label(tz: ZoneInfo, day: date) -> str:
    """``WIB``/``WITA``/``WIT`` (or the zone's own abbreviation) with the zone name."""
    abbr = datetime.combine(day, time(12), tzinfo=tz).tzname() or ""
    return f"{abbr} {tz.key}".strip()
