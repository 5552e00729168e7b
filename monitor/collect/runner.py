"""Runs sources concurrently into one writer.

Each source runs as its own task and puts batches on a bounded queue (back-pressure: a fast
source waits when the writer is behind). One writer task takes batches off the queue and hands
them to the pipeline, which commits posts, hits and the source's cursor in one transaction.
When the writer is behind, consecutive batches of the same source already waiting on the queue
are merged into one transaction (up to ``max_merge_posts`` posts; the cursor is the last one):
a DuckDB commit has a fixed cost of milliseconds, so a busy collector writes a few large
transactions instead of many page-sized ones. Nothing waits for a merge: an idle writer commits
each batch as it comes. A failed merged write rolls every merged batch back with its cursor, so
the source delivers them again on its next run (exactly once is kept).
A failing source is logged and reported; the others go on. Blocking DuckDB work runs in a worker
thread so network I/O keeps flowing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Callable

from monitor.collect.base import Batch, Source
from monitor.store import BatchResult

log = logging.getLogger(__name__)

ProcessFn = Callable[[str, Batch], BatchResult]


@dataclass
class SourceReport:
    name: str
    result: BatchResult = field(default_factory=BatchResult)
    batches: int = 0
    error: str | None = None
    seconds: float = 0.0


_DONE = object()


async def run_once(
    sources: list[Source],
    process: ProcessFn,
    get_cursor: Callable[[str], dict | None],
    *,
    queue_size: int = 8,
    max_merge_posts: int = 10_000,
) -> dict[str, SourceReport]:
    """Run every source until it has nothing new; return a report per source."""
    queue: asyncio.Queue = asyncio.Queue(maxsize=queue_size)
    reports = {s.name: SourceReport(s.name) for s in sources}
    # Read every cursor before any writing starts: the store is used by one thread at a time.
    cursors = {s.name: get_cursor(s.name) for s in sources}

    async def produce(src: Source) -> None:
        rep = reports[src.name]
        t0 = time.perf_counter()
        try:
            async for batch in src.fetch(cursors[src.name]):
                await queue.put((src.name, batch))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # contained to this source
            rep.error = f"{type(exc).__name__}: {exc}"
            log.error("source %s failed: %s", src.name, rep.error)
        finally:
            rep.seconds = time.perf_counter() - t0
            try:
                await src.aclose()
            except Exception:  # pragma: no cover - best effort
                log.exception("closing source %s", src.name)
            await queue.put((src.name, _DONE))

    held: list[tuple[str, object]] = []  # an item taken off the queue while merging, not merged

    async def next_item() -> tuple[str, object]:
        return held.pop() if held else await queue.get()

    def merge_waiting(name: str, batch: Batch) -> tuple[Batch, int]:
        """Merge the batches of ``name`` already waiting behind ``batch`` (never waits)."""
        parts = [batch]
        size = len(batch.posts)
        while not held and size < max_merge_posts:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            if item[0] != name or item[1] is _DONE or size + len(item[1].posts) > max_merge_posts:
                held.append(item)
                break
            parts.append(item[1])
            size += len(item[1].posts)
        if len(parts) == 1:
            return batch, 1
        cursor = next((b.cursor for b in reversed(parts) if b.cursor is not None), None)
        merged = Batch(posts=[p for b in parts for p in b.posts],
                       rejected=[r for b in parts for r in b.rejected], cursor=cursor)
        return merged, len(parts)

    async def write() -> None:
        remaining = len(sources)
        while remaining:
            name, batch = await next_item()
            if batch is _DONE:
                remaining -= 1
                continue
            batch, pages = merge_waiting(name, batch)
            rep = reports[name]
            try:
                res = await asyncio.to_thread(process, name, batch)
            except Exception as exc:
                # The batch's transaction was rolled back and its cursor not saved: the source
                # will deliver it again next run. Stop this source for now.
                rep.error = f"write failed: {type(exc).__name__}: {exc}"
                log.error("writing a batch of %s failed: %s", name, exc)
                raise
            rep.result.add(res)
            rep.batches += pages

    producers = [asyncio.create_task(produce(s), name=f"source:{s.name}") for s in sources]
    writer = asyncio.create_task(write(), name="writer")
    try:
        await writer
    finally:
        for t in producers:
            t.cancel()
        await asyncio.gather(*producers, return_exceptions=True)
    return reports
