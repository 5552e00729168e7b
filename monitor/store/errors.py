"""Store errors with messages a user can act on."""

from __future__ import annotations

import re


class StoreError(Exception):
    pass


class StoreLockedError(StoreError):
    """The DuckDB file is held read-write by another process (DuckDB allows one writer per file)."""

    def __init__(self, path: str, pid: int | None, holder: str | None, original: str) -> None:
        self.path, self.pid, self.holder, self.original = path, pid, holder, original
        who = f"process {pid}" + (f" ({holder})" if holder else "") if pid else "another process"
        super().__init__(
            f"database {path} is locked by {who}. DuckDB allows one process per file: stop that "
            f"process, or send the work to it (the running 'monitor collect' service owns the file)."
        )


_LOCK_RE = re.compile(r"Conflicting lock is held in (?P<prog>.+?) \(PID (?P<pid>\d+)\)")


def parse_lock_error(path: str, message: str) -> StoreLockedError | None:
    if "Could not set lock" not in message and "Conflicting lock" not in message:
        return None
    m = _LOCK_RE.search(message)
    if not m:
        return StoreLockedError(path, None, None, message)
    return StoreLockedError(path, int(m.group("pid")), m.group("prog").strip(), message)
