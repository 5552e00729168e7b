"""Deletion watch: re-check posts behind open or confirmed hits through their source's API.

A post the platform no longer returns is marked ``deleted``, one whose text changed ``edited``
(the new version is added to ``post_revisions``), each with the time it was first noticed. The
stored post, its SHA-256 and captured media are never touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

from monitor.collect.base import Source
from monitor.store.duck import canonical_payload, sha256_text

log = logging.getLogger("monitor.evidence.watch")

DB = Callable[..., Awaitable]


@dataclass
class WatchResult:
    checked: int = 0
    deleted: int = 0
    edited: int = 0
    unchecked: int = 0


def _same_text(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").split()) == " ".join((b or "").split())


async def run_watch(db: DB, make_source: Callable[[str], Source | None], *, actor: str = "watch") -> WatchResult:
    """One pass over the watched posts, grouped by the source that collected them.
    ``make_source(name)`` gives a configured source (None when it is gone or disabled)."""
    out = WatchResult()
    targets = await db(lambda s: s.watch_targets())
    by_source: dict[str, list[dict]] = {}
    for t in targets:
        by_source.setdefault(t["source"], []).append(t)
    for name, rows in by_source.items():
        src = make_source(name)
        if src is None:
            out.unchecked += len(rows)
            continue
        try:
            found = await src.recheck([r["post_id"] for r in rows])
        except Exception as exc:  # one source failing must not stop the others
            log.warning("re-check through %s failed: %s", name, exc)
            found = {}
        finally:
            await src.aclose()
        for r in rows:
            if r["post_id"] not in found:
                out.unchecked += 1
                continue
            now = found[r["post_id"]]
            revision = None
            if now is None:
                state, detail = "deleted", "not returned by the platform"
                out.deleted += 1
            elif not _same_text(now.text, r["text"]):
                raw = canonical_payload(now)
                state, detail, revision = "edited", "text changed", (name, raw, sha256_text(raw))
                out.edited += 1
            else:
                state, detail = "present", None
            out.checked += 1
            await db(lambda s, r=r, st=state, d=detail, rev=revision:
                     s.record_check(r["platform"], r["post_id"], st, detail=d, revision=rev, actor=actor))
    log.info("deletion watch", extra=vars(out))
    return out
