"""Per-source run status, as shown on ``/api/v1/sources`` and ``/healthz``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(timezone.utc).isoformat() if dt else None


@dataclass
class SourceStatus:
    name: str
    type: str
    schedule: str
    runs: int = 0
    running: bool = False
    last_start: datetime | None = None
    last_end: datetime | None = None
    last_error: str | None = None
    last_result: dict = field(default_factory=dict)
    posts_collected: int = 0
    """New posts stored by this source since the service started."""
    next_run: datetime | None = None

    def as_json(self) -> dict:
        d = asdict(self)
        for k in ("last_start", "last_end", "next_run"):
            d[k] = _iso(getattr(self, k))
        return d
