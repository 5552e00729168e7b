"""Whether the service can write its database now (disk full, read-only file or file system).

A write that fails for a storage reason (classified by :func:`monitor.store.errors.storage_fault`)
puts the service in the *storage unavailable* state: scheduled source runs are skipped (their
cursors were not advanced, so their posts are fetched again later), the webhook intake answers 503
with ``Retry-After`` and ``/healthz`` reports the reason. A periodic probe (``[service]
storage_probe_s``) reopens the store if DuckDB invalidated it and commits a small write; when it
succeeds the state is cleared and the skipped sources run at once. The probe is scheduled only
while the state lasts. One log line at ERROR when the state is entered, one at WARNING when it is
left; nothing in between.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from monitor.store.errors import StorageUnavailable

log = logging.getLogger("monitor.service.storage")


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


class StorageHealth:
    def __init__(self, path: str) -> None:
        self.path = path
        self.fault: StorageUnavailable | None = None
        self.since: datetime | None = None
        self.last_probe: datetime | None = None
        self.probes = 0
        self.skipped: set[str] = set()
        """Sources whose scheduled run was skipped while the storage was unavailable."""
        self.on_enter: Callable[[], None] | None = None
        """Called when the state is entered (the service schedules its probe then)."""

    @property
    def ok(self) -> bool:
        return self.fault is None

    def failed(self, fault: StorageUnavailable) -> None:
        """Record a storage fault; logs only when the state is entered."""
        entering = self.fault is None
        # keep a reopen request until a probe has reopened the store
        needs_reopen = fault.needs_reopen or (self.fault is not None and self.fault.needs_reopen)
        if needs_reopen and not fault.needs_reopen:
            fault = StorageUnavailable(fault.kind, fault.original, needs_reopen=True)
        self.fault = fault
        if entering:
            self.since = datetime.now(timezone.utc)
            self.probes = 0
            log.error("storage unavailable: writing stopped until the database can be written again",
                      extra={"kind": fault.kind, "reason": str(fault), "database": self.path})
            if self.on_enter is not None:
                self.on_enter()

    def probed(self) -> None:
        self.last_probe = datetime.now(timezone.utc)
        self.probes += 1

    def recovered(self) -> set[str]:
        """Clear the fault (logs once); returns the sources to run now."""
        if self.fault is None:
            return set()
        down_s = (datetime.now(timezone.utc) - self.since).total_seconds() if self.since else None
        log.warning("storage available again: writing resumed",
                    extra={"kind": self.fault.kind, "database": self.path, "unavailable_s": round(down_s or 0, 1),
                           "skipped_sources": sorted(self.skipped)})
        self.fault, self.since = None, None
        skipped, self.skipped = self.skipped, set()
        return skipped

    def as_json(self) -> dict:
        return {
            "writable": self.fault is None,
            "kind": self.fault.kind if self.fault else None,
            "reason": str(self.fault) if self.fault else None,
            "since": _iso(self.since),
            "last_probe": _iso(self.last_probe),
            "probes": self.probes,
        }
