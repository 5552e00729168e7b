"""Backfill: walk a source back to a date, resumably, under its own cursor.

``monitor collect --source NAME --since DATE`` runs source NAME from a fresh cursor kept under
``NAME@backfill:DATE`` (the live cursor is untouched, so scheduled runs go on from the newest
post). Page budgets (``max_pages_per_run``) are lifted. Each batch is committed with the backfill
cursor, so an interrupted backfill resumes where it stopped; it ends when the source has nothing
older to give or a whole batch is older than DATE. A finished backfill is remembered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from monitor.collect.base import Batch, Source
from monitor.store import BatchResult


@dataclass
class BackfillState:
    key: str
    result: BatchResult = field(default_factory=BatchResult)
    oldest: datetime | None = None
    batches: int = 0
    done: bool = False
    already_done: bool = False
    error: str | None = None


def backfill_key(name: str, since: datetime) -> str:
    return f"{name}@backfill:{since.date().isoformat()}"


async def backfill(
    source: Source,
    since: datetime,
    process: Callable[[str, Batch], BatchResult],
    get_cursor: Callable[[str], dict | None],
    *,
    on_batch: Callable[[BackfillState], None] | None = None,
) -> BackfillState:
    state = BackfillState(key=backfill_key(source.name, since))
    saved = get_cursor(state.key) or {}
    if saved.get("done"):
        state.done = state.already_done = True
        return state
    cursor = saved.get("cursor")
    try:
        async for batch in source.fetch(cursor):
            times = [p.created_at for p in batch.posts]
            if times:
                oldest = min(times)
                state.oldest = oldest if state.oldest is None else min(state.oldest, oldest)
            past_since = bool(times) and max(times) < since
            wrapped = Batch(posts=batch.posts, rejected=batch.rejected,
                            cursor={"cursor": batch.cursor, "done": past_since,
                                    "oldest": state.oldest.isoformat() if state.oldest else None})
            res = process(state.key, wrapped)
            state.result.add(res)
            state.batches += 1
            if on_batch:
                on_batch(state)
            if past_since:
                state.done = True
                return state
        state.done = True
        process(state.key, Batch(cursor={"cursor": None, "done": True,
                                         "oldest": state.oldest.isoformat() if state.oldest else None}))
        return state
    except Exception as exc:  # the source failed: committed batches stay, the rest resumes next time
        state.error = f"{type(exc).__name__}: {exc}"
        return state
    finally:
        await source.aclose()
