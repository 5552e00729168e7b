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

Run time limit (``run_timeout_s``, ``[collector] run_timeout_s`` or ``[sources.NAME]
run_timeout_s``): each source may spend at most that many seconds *fetching* in one run (time
spent waiting for the writer -- back-pressure -- does not count, so a slow database never cuts a
run short). Every single request is already bounded by the HTTP client's ``timeout_s`` and
retries; this bounds the whole run against a source that keeps making slow progress (a server
that answers every request just before its timeout, long rate-limit waits, endless pages within
budget...). When the limit is reached the source's fetch is cancelled where it is: batches it
already handed over are still committed with their cursors, the page in flight is dropped, the
source's report says so (``error``), and the next run resumes from the last committed cursor.
A backfill (``monitor collect --since``, :mod:`monitor.collect.backfill`) has no run time limit:
it is long by design and resumable anyway.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

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


class RunTimeLimit(Exception):
    """A source used up its run time limit (the message says what that means for its data)."""

    def __init__(self, limit: float) -> None:
        super().__init__(
            f"run time limit reached ({limit:g} s of fetching); stopped here: the batches already handed "
            f"over are committed and the next run resumes from the last committed cursor"
        )


async def _timed_batches(src: Source, cursor: dict | None, limit: float | None):
    """``src.fetch(cursor)``, cancelled inside the source once ``limit`` seconds were spent in it."""
    gen = src.fetch(cursor)
    used = 0.0
    loop = asyncio.get_running_loop()
    try:
        while True:
            t0 = loop.time()
            try:
                if limit is None:
                    batch = await anext(gen)
                else:
                    cm = asyncio.timeout(max(0.0, limit - used))
                    try:
                        async with cm:
                            batch = await anext(gen)
                    except TimeoutError:
                        if cm.expired():
                            raise RunTimeLimit(limit) from None
                        raise
            except StopAsyncIteration:
                return
            finally:
                used += loop.time() - t0
            yield batch  # the consumer's wait (queue back-pressure) is not counted
    finally:
        await gen.aclose()


async def run_once(
    sources: list[Source],
    process: ProcessFn,
    get_cursor: Callable[[str], dict | None],
    *,
    queue_size: int = 8,
    max_merge_posts: int = 10_000,
    run_timeout_s: float | Mapping[str, float | None] | None = None,
) -> dict[str, SourceReport]:
    """Run every source until it has nothing new; return a report per source.

    ``run_timeout_s``: the run time limit of every source (seconds of fetching), or one per source
    name (a missing name or None: no limit); see the module docstring.
    """
    queue: asyncio.Queue = asyncio.Queue(maxsize=queue_size)
    reports = {s.name: SourceReport(s.name) for s in sources}
    # Read every cursor before any writing starts: the store is used by one thread at a time.
    cursors = {s.name: get_cursor(s.name) for s in sources}

    def limit_for(name: str) -> float | None:
        if isinstance(run_timeout_s, Mapping):
            return run_timeout_s.get(name)
        return run_timeout_s

    async def produce(src: Source) -> None:
        rep = reports[src.name]
        t0 = time.perf_counter()
        try:
            async for batch in _timed_batches(src, cursors[src.name], limit_for(src.name)):
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
