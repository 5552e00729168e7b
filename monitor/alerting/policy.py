"""Alert timing rules: quiet hours, the digest hour, retry backoff (pure functions, local time)."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


def _t(hhmm: str) -> time:
    h, m = (int(x) for x in hhmm.split(":"))
    return time(h, m)


def release_time(now: datetime, quiet_hours: str | None, tz: ZoneInfo) -> datetime:
    """``now`` if outside quiet hours, else the end of the quiet period (UTC)."""
    if not quiet_hours:
        return now
    start_s, end_s = (p.strip() for p in quiet_hours.split("-"))
    start, end = _t(start_s), _t(end_s)
    local = now.astimezone(tz)
    t = local.time()
    if start == end:
        return now
    if start < end:  # same-day window, e.g. 12:00-13:00
        inside = start <= t < end
        end_day = local.date()
    else:  # overnight, e.g. 21:00-06:00
        inside = t >= start or t < end
        end_day = local.date() + timedelta(days=1) if t >= start else local.date()
    if not inside:
        return now
    return datetime.combine(end_day, end, tzinfo=tz).astimezone(timezone.utc)


def next_daily(now: datetime, hhmm: str, tz: ZoneInfo) -> datetime:
    """The next local ``HH:MM`` at or after ``now`` (UTC)."""
    local = now.astimezone(tz)
    at = datetime.combine(local.date(), _t(hhmm), tzinfo=tz)
    if at < local:
        at += timedelta(days=1)
    return at.astimezone(timezone.utc)


def backoff(attempts: int, base_s: float, cap_s: float, retry_after: float | None = None,
            rnd: random.Random | None = None) -> float:
    """Seconds to wait before the next attempt: the server's ``retry_after`` if it gave one,
    else exponential with full jitter (``attempts`` already made, >= 1)."""
    if retry_after is not None and retry_after >= 0:
        return min(retry_after, cap_s)
    r = (rnd or random).random()
    return max(1.0, r * min(cap_s, base_s * 2 ** (attempts - 1)))
