"""The deadline to register a finding: 7 days from its discovery, counted in the office's local days.

Bawaslu must register a finding (temuan) within 7 days of discovering it (Perbawaslu on handling
findings and reports of violations; UU 7/2017 for Pemilu, UU 10/2016 for Pilkada). Discovery is
the hit's first detection (``detected_at``). Days are the office's calendar days: a hit detected
at 23:30 WIB on the 1st is due on the 8th, whatever the UTC date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

DEADLINE_DAYS = 7
WARN_DAYS = 2
"""At or below this many days left the list warns."""

Level = Literal["ok", "warn", "expired"]


@dataclass(frozen=True)
class Deadline:
    discovered: date
    """Local date of the first discovery."""
    due: date
    """Last local day on which the finding may still be registered."""
    days_left: int
    """``due - today`` in local days: 0 = the last day, negative = expired."""

    @property
    def level(self) -> Level:
        if self.days_left < 0:
            return "expired"
        return "warn" if self.days_left <= WARN_DAYS else "ok"


def finding_deadline(detected_at: datetime, tz: ZoneInfo, today: date | None = None,
                     days: int = DEADLINE_DAYS) -> Deadline:
    """The registration deadline of a hit first detected at ``detected_at`` (aware, any zone)."""
    discovered = detected_at.astimezone(tz).date()
    due = discovered + timedelta(days=days)
    today = today if today is not None else datetime.now(tz).date()
    return Deadline(discovered=discovered, due=due, days_left=(due - today).days)
