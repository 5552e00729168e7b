"""Long-running collection: APScheduler runs each enabled source on its interval.

Fetching runs concurrently (each job is a coroutine); writes take turns through one lock, since
one process owns the DuckDB file and every batch is committed with its cursor in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import datetime, timezone
from typing import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.collect.base import Batch, Source
from monitor.collect.runner import ProcessFn, SourceReport, run_once

log = logging.getLogger(__name__)

SourceFactory = Callable[[], Source]


class CollectorService:
    def __init__(
        self,
        sources: list[tuple[str, SourceFactory, int]],
        process: ProcessFn,
        get_cursor: Callable[[str], dict | None],
        *,
        queue_size: int = 8,
        on_report: Callable[[SourceReport], None] | None = None,
        before_run: Callable[[], None] | None = None,
    ) -> None:
        self.sources = sources
        self.process = process
        self.get_cursor = get_cursor
        self.queue_size = queue_size
        self.on_report = on_report
        self.before_run = before_run
        self._write_lock = threading.Lock()

    def _serialised_process(self, name: str, batch: Batch):
        with self._write_lock:
            return self.process(name, batch)

    def _serialised_cursor(self, name: str):
        with self._write_lock:
            return self.get_cursor(name)

    async def run_source(self, factory: SourceFactory) -> SourceReport:
        """One scheduled run of one source (a fresh adapter instance each run)."""
        src = factory()
        if self.before_run is not None:  # e.g. reload edited rule files
            with self._write_lock:
                self.before_run()
        reports = await run_once([src], self._serialised_process, self._serialised_cursor, queue_size=self.queue_size)
        rep = reports[src.name]
        if self.on_report:
            self.on_report(rep)
        return rep

    async def serve(self, stop: asyncio.Event) -> None:
        scheduler = AsyncIOScheduler(timezone="UTC")
        now = datetime.now(timezone.utc)
        for name, factory, interval in self.sources:
            scheduler.add_job(
                self.run_source,
                "interval",
                seconds=interval,
                args=[factory],
                id=f"source:{name}",
                max_instances=1,
                coalesce=True,
                next_run_time=now,  # first run at start, then every interval
            )
        scheduler.start()
        log.info("collector running %d source(s)", len(self.sources))
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
