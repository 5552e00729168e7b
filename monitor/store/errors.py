"""Store errors with messages a user can act on."""

from __future__ import annotations

import errno
import re

import duckdb


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


class StorageUnavailable(StoreError):
    """The database cannot be written now: disk full, file too large, a read-only file, directory or
    file system, or a database DuckDB invalidated after a failed write (it must be reopened).

    ``kind`` is ``disk_full``, ``read_only``, ``invalidated`` or ``io_error``; ``needs_reopen`` says
    the connection is unusable until the store is closed and opened again."""

    def __init__(self, kind: str, original: str, *, needs_reopen: bool = False) -> None:
        self.kind, self.original, self.needs_reopen = kind, original, needs_reopen
        text = " ".join(original.split())
        super().__init__(f"{kind}: {text[:400] or kind}")


_ERRNO_KINDS = {errno.ENOSPC: "disk_full", errno.EFBIG: "disk_full", errno.EDQUOT: "disk_full",
                errno.EROFS: "read_only", errno.EACCES: "read_only", errno.EPERM: "read_only",
                errno.EIO: "io_error"}
_TEXT_KINDS = (
    ("No space left on device", "disk_full"), ("File too large", "disk_full"), ("Disk quota exceeded", "disk_full"),
    ("Read-only file system", "read_only"), ("Permission denied", "read_only"),
    ("Operation not permitted", "read_only"), ("attached in read-only mode", "read_only"),
    ("Input/output error", "io_error"),
)
_INVALIDATED = ("database has been invalidated", "Connection already closed")
_QUOTED_PATH = re.compile(r'(?:file|directory) "(?P<path>[^"]+)"')


def storage_fault(exc: BaseException, db_path: str | None = None) -> StorageUnavailable | None:
    """The :class:`StorageUnavailable` behind ``exc`` (its cause and context chain included), or None.

    DuckDB reports a failed write of its log at commit as a ``TransactionException`` ("Failed to
    commit: Could not write file ...wal: No space left on device"; the transaction is rolled back,
    the connection stays usable) and a failed checkpoint as a ``FatalException`` that invalidates
    the database until it is reopened (the log is replayed then). With ``db_path``, an I/O error
    naming another file (an export destination, an input file) is not a fault of the database."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        found = _classify(e, db_path)
        if found is not None:
            return found
        e = e.__cause__ or e.__context__
    return None


def _classify(e: BaseException, db_path: str | None) -> StorageUnavailable | None:
    if isinstance(e, StorageUnavailable):
        return e
    text = str(e)
    if isinstance(e, duckdb.FatalException) or any(s in text for s in _INVALIDATED):
        kind = next((k for s, k in _TEXT_KINDS if s in text), "invalidated")
        return StorageUnavailable(kind, text, needs_reopen=True)
    if isinstance(e, OSError) and e.errno in _ERRNO_KINDS:
        if db_path and e.filename and not str(e.filename).startswith(db_path):
            return None
        return StorageUnavailable(_ERRNO_KINDS[e.errno], text)
    if not isinstance(e, (duckdb.Error, OSError)):
        return None
    kind = next((k for s, k in _TEXT_KINDS if s in text), None)
    if kind is None:
        return None
    m = _QUOTED_PATH.search(text)
    if db_path and m and not m.group("path").startswith(db_path):
        return None
    return StorageUnavailable(kind, text)
