"""Pagination guard shared by every paginating source: a walk must not loop on a repeated cursor.

A *walk* is one sequence of page requests of one feed in one run (a timeline walked with
``max_id``, a search walked with ``next_token`` / ``cursor`` / ``pageToken``, ``getUpdates``
offsets, ...). Every cursor a server hands out for the next page goes through
:meth:`PageGuard.repeats` before it is requested:

* a cursor already requested or received in this walk -> ``True``: the server is looping (a broken
  proxy cache ignoring the query, a bug, a hostile server). The caller stops the walk there, as it
  does for a page that does not move: what was read so far is delivered and committed with its
  cursor; the guard logs the reason and keeps it in :attr:`PageGuard.problem`, which the source
  adds to its run's error (so the source status says why the walk stopped and that posts beyond
  it may be missing). The next run starts from the last committed cursor.
* a cursor that cannot be stored (not a string or number, longer than :data:`MAX_CURSOR_CHARS`,
  or not valid Unicode -- a lone surrogate would make the cursor's JSON unwritable) -> ``True``
  too, with its own reason.
* ``None`` / ``""`` (no next page) -> ``False``: the normal end of a walk, nothing to report.

Walks that never end (a server that always has another page) are bounded separately by each
source's page budget (``max_pages_per_run`` and friends); the guard only catches repeats.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

MAX_CURSOR_CHARS = 4096
"""Longest pagination cursor accepted (real ones are tens to a few hundred characters)."""


def _short(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "..."


class PageGuard:
    """The cursors of one walk. ``where`` names it in messages (``"x news: search:#pemilu"``);
    ``start`` is the cursor the walk resumes from (from the stored cursor), if any."""

    def __init__(self, where: str, start: Any = None) -> None:
        self.where = where
        self.pages = 0
        self.problem: str | None = None
        self._seen: set[str] = set()
        if start is not None and start != "":
            self._seen.add(str(start))

    def repeats(self, cursor: Any) -> bool:
        """Record ``cursor`` (the next page's cursor); ``True`` if the walk must stop here."""
        if cursor is None or cursor == "":
            return False
        self.pages += 1
        if isinstance(cursor, bool) or not isinstance(cursor, (str, int)):
            return self._stop(f"the server sent a pagination cursor of type {type(cursor).__name__}")
        key = str(cursor)
        if len(key) > MAX_CURSOR_CHARS:
            return self._stop(f"the server sent a pagination cursor of {len(key)} characters "
                              f"(more than {MAX_CURSOR_CHARS})")
        try:
            key.encode("utf-8")
        except UnicodeEncodeError:
            return self._stop("the server sent a pagination cursor that is not valid Unicode")
        if key in self._seen:
            return self._stop(f"the server sent pagination cursor {_short(key)!r} a second time "
                              f"(after {self.pages} page(s)): it is looping")
        self._seen.add(key)
        return False

    def _stop(self, why: str) -> bool:
        self.problem = f"{self.where}: {why}; the walk stopped there, what was read is kept"
        log.warning("%s", self.problem)
        return True
