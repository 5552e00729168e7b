"""The service runtime: schedule, single writer, rule reloads, clean shutdown.

Writes (collected batches, webhook intake, rule-set records) take turns through one lock and
run in a worker thread; fetching stays on the event loop. On SIGTERM the scheduler stops taking
new runs, in-flight runs get ``grace_s`` seconds to finish (each committed batch carries its
cursor), then anything left is cancelled: an uncommitted batch is fetched again next time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.collect.base import Batch, Source, SourceContext
from monitor.collect.runner import run_once
from monitor.config import Config, SourceBlock, secret_from_env
from monitor.context import AppContext
from monitor.pipeline.search_terms import search_terms
from monitor.service.status import SourceStatus
from monitor.service.storage import StorageHealth
from monitor.sources import make_source
from monitor.store import BatchResult
from monitor.store.errors import StorageUnavailable, StoreError, storage_fault

log = logging.getLogger("monitor.service")
RANKER_AT = (3, 30)  # local time of the daily ranker retraining (before the watchers' day starts)


class Service:
    def __init__(self, config: Config, db_path: Path | None = None, *, only: tuple[str, ...] = ()) -> None:
        self.config = config
        self.storage = StorageHealth(str(db_path or config.db_path))
        self.storage.on_enter = self._schedule_probe
        self.lock = threading.Lock()
        self.tz = config.office.tz
        self.status: dict[str, SourceStatus] = {}
        self.webhooks: dict[str, tuple[str, Any]] = {}  # name -> (token, options)
        self.polled: dict[str, SourceBlock] = {}
        self._running: set[asyncio.Task] = set()
        self.scheduler: AsyncIOScheduler | None = None
        self.dispatcher = None
        self.started_at = datetime.now(timezone.utc)
        self.stopping = False
        self.app = self._open_app(db_path)
        for name, block in config.sources.items():
            if not block.enabled or (only and name not in only):
                continue
            src = self.make(name, block)  # validates options now: a bad block fails at start
            if src.push:
                self.webhooks[name] = (secret_from_env(src.options.token_env, f"sources.{name}.token_env"), src.options)
            else:
                self.polled[name] = block
                self.status[name] = SourceStatus(name=name, type=block.type, schedule=self._schedule_text(block))

    def _open_app(self, db_path: Path | None) -> AppContext:
        """Open the database read-write. If the storage refuses (a read-only file or directory, a full
        disk), open it read-only instead: the web application can read, nothing is written, and the
        storage probe reopens it read-write once it can."""
        try:
            app = AppContext(self.config, db_path)
        except StoreError as exc:
            fault = storage_fault(exc, self.storage.path)
            if fault is None:
                raise
            app = AppContext(self.config, db_path, read_only=True)
            self.storage.failed(StorageUnavailable(fault.kind, fault.original, needs_reopen=True))
            return app
        try:
            app.pipeline  # records the rule set and builds the identity index now
        except Exception as exc:
            fault = storage_fault(exc, app.store.path)
            if fault is None:
                app.close()
                raise
            self.storage.failed(fault)
        return app

    # -- sources ---------------------------------------------------------------------------
    def context(self) -> SourceContext:
        def declared(platform: str) -> list[str]:
            with self.lock:
                return self.app.store.declared_accounts(platform)

        return SourceContext(declared_accounts=declared, search_terms=lambda: search_terms(self.app.rules.current))

    def make(self, name: str, block: SourceBlock) -> Source:
        return make_source(name, block.type, block.options(), resolve=self.config.resolve, context=self.context())

    def _schedule_text(self, block: SourceBlock) -> str:
        return f"cron {block.cron}" if block.cron else f"every {block.interval_s or self.config.collector.interval_s}s"

    def _trigger(self, block: SourceBlock):
        if block.cron:
            return CronTrigger.from_crontab(block.cron, timezone=self.tz)
        return IntervalTrigger(seconds=block.interval_s or self.config.collector.interval_s, timezone=self.tz)

    # -- writing (one at a time) -----------------------------------------------------------
    def write_batch(self, name: str, batch: Batch, *, save_cursor: bool = True) -> BatchResult:
        """Commit one batch; raises :class:`StorageUnavailable` (nothing written) while the database
        cannot be written, or when this write finds it so."""
        with self.lock, self._storage_guard():
            res = self.app.pipeline.process(name, batch, save_cursor=save_cursor)
            if res.hits:
                self._rank_new_hits()
            return res

    @contextmanager
    def _storage_guard(self):
        """Refuse work while the storage is unavailable; turn a storage failure of the work into that
        state (the failed transaction was rolled back with its cursor). Call under ``self.lock``."""
        if not self.storage.ok:
            f = self.storage.fault
            raise StorageUnavailable(f.kind, f.original, needs_reopen=f.needs_reopen)
        try:
            yield
        except StorageUnavailable as exc:
            self.storage.failed(exc)
            raise
        except Exception as exc:
            fault = storage_fault(exc, self.app.store.path)
            if fault is None:
                raise
            self.storage.failed(fault)
            raise fault from exc

    def probe_storage(self) -> bool:
        """While the storage is unavailable: reopen the store if DuckDB invalidated it, then try a small
        committed write. On success the state is cleared and the skipped sources run now."""
        if self.storage.ok:
            return True
        with self.lock:
            self.storage.probed()
            try:
                if self.storage.fault.needs_reopen:
                    self.app.reopen_store()
                self.app.store.probe_write()
                self.app.record_rules()  # a rule reload while the disk was full may have gone unrecorded
            except Exception as exc:
                fault = storage_fault(exc, self.app.store.path)
                if fault is None:
                    log.exception("storage probe failed")
                    return False
                self.storage.failed(fault)
                return False
            skipped = self.storage.recovered()
            if self.scheduler is not None and self.scheduler.get_job("storage:probe") is not None:
                self.scheduler.remove_job("storage:probe")  # under the lock: a new fault schedules it again
        self._run_now(skipped)
        return True

    def _schedule_probe(self) -> None:
        """Probe every ``storage_probe_s`` while the storage is unavailable (called when the state is
        entered, under the writer lock; :meth:`start` schedules it for a fault found at start)."""
        if self.scheduler is None or self.stopping:
            return
        self.scheduler.add_job(self.probe_storage_async, IntervalTrigger(seconds=self.config.service.storage_probe_s),
                               id="storage:probe", max_instances=1, coalesce=True, replace_existing=True)

    async def probe_storage_async(self) -> None:
        await asyncio.to_thread(self.probe_storage)

    def _run_now(self, names: set[str]) -> None:
        if self.scheduler is None or self.stopping:
            return
        now = datetime.now(self.tz)
        for name in names:
            job = self.scheduler.get_job(f"source:{name}")
            if job is not None:
                job.modify(next_run_time=now)

    def _rank_new_hits(self) -> None:
        """Give new hits a learned rank score with the latest model (if any); never fails a batch."""
        try:
            from monitor.ranking import rerank

            rerank(self.app.store, only_unscored=True)
        except Exception:
            log.exception("ranking new hits failed")

    def retrain_ranker(self) -> dict | None:
        """Daily: retrain the learned ranker from all decisions and re-rank the waiting hits."""
        from monitor.ranking import NotEnoughDecisions, train_and_rank

        with self.lock, self._storage_guard():
            try:
                out = train_and_rank(self.app.store, actor="ranker")
            except NotEnoughDecisions as exc:
                log.info("ranker not trained: %s", exc)
                return None
        log.info("ranker trained", extra={"version": out["version"], "n_train": out["n_train"],
                                          "ranked": out["ranked"]})
        return out

    async def retrain_ranker_async(self) -> None:
        try:
            await asyncio.to_thread(self.retrain_ranker)
        except Exception:
            log.exception("ranker training failed")

    def _cursor(self, name: str) -> dict | None:
        with self.lock:
            return self.app.store.get_cursor(name)

    def refresh_rules(self) -> None:
        with self.lock:
            if not self.storage.ok:  # the reload records the rule set; the probe records it on recovery
                return
            with self._storage_guard():
                self.app.refresh_rules()

    # -- runs ------------------------------------------------------------------------------
    async def run_source(self, name: str) -> None:
        if self.stopping:
            return
        if not self.storage.ok:  # nothing fetched, cursor unchanged: the posts come again after recovery
            self.storage.skipped.add(name)
            return
        st = self.status[name]
        st.running, st.last_start = True, datetime.now(timezone.utc)
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await asyncio.to_thread(self.refresh_rules)
            src = self.make(name, self.polled[name])
            reports = await run_once([src], self.write_batch, self._cursor, queue_size=self.config.collector.queue_size,
                                    max_merge_posts=self.config.collector.max_merge_posts,
                                    run_timeout_s=self.polled[name].run_limit(self.config.collector))
            rep = reports[name]
            st.runs += 1
            st.last_error = rep.error
            st.last_result = vars(rep.result).copy()
            st.posts_collected += rep.result.new
            level = logging.ERROR if rep.error else logging.INFO
            log.log(level, "source run finished", extra={"source": name, **st.last_result, "error": rep.error,
                                                          "seconds": round(rep.seconds, 3)})
        except asyncio.CancelledError:
            st.last_error = "cancelled at shutdown (uncommitted work is fetched again next run)"
            raise
        except StorageUnavailable as exc:  # logged once by the storage state; fetched again after recovery
            st.last_error = f"storage unavailable: {exc}"
            self.storage.skipped.add(name)
        except Exception as exc:  # a write failure: the batch was rolled back with its cursor
            st.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("source run failed", extra={"source": name})
        finally:
            st.running, st.last_end = False, datetime.now(timezone.utc)
            if task is not None:
                self._running.discard(task)
            self._update_next_runs()

    def _update_next_runs(self) -> None:
        if self.scheduler is None:
            return
        for name, st in self.status.items():
            job = self.scheduler.get_job(f"source:{name}")
            st.next_run = job.next_run_time if job else None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self.scheduler = AsyncIOScheduler(timezone=self.tz)
        now = datetime.now(timezone.utc)
        for name, block in self.polled.items():
            self.scheduler.add_job(self.run_source, self._trigger(block), args=[name], id=f"source:{name}",
                                   max_instances=1, coalesce=True, next_run_time=now, misfire_grace_time=None)
        self.scheduler.add_job(self.refresh_rules_async, IntervalTrigger(seconds=self.config.service.rules_check_s),
                               id="rules:reload", max_instances=1, coalesce=True)
        if not self.storage.ok:  # found at start (e.g. a read-only file)
            self._schedule_probe()
        if self.config.alerts.enabled:
            from monitor.alerting.setup import make_dispatcher

            self.dispatcher = make_dispatcher(self.config, self.db)
            self.scheduler.add_job(self.alerts_async, IntervalTrigger(seconds=30), id="alerts",
                                   max_instances=1, coalesce=True, next_run_time=datetime.now(timezone.utc))
            hh, mm = (int(x) for x in self.config.alerts.digest_at.split(":"))
            self.scheduler.add_job(self.digest_async, CronTrigger(hour=hh, minute=mm, timezone=self.tz),
                                   id="alerts:digest", max_instances=1, coalesce=True)
        ret = self.config.retention
        if ret.unmatched_posts_days or ret.quarantine_days or ret.dismissed_hits_days:
            hh, mm = (int(x) for x in ret.run_at.split(":"))
            self.scheduler.add_job(self.retention_async, CronTrigger(hour=hh, minute=mm, timezone=self.tz),
                                   id="retention", max_instances=1, coalesce=True)
        from monitor.service import evidence_jobs

        self.scheduler.add_job(evidence_jobs.media_job, IntervalTrigger(seconds=evidence_jobs.MEDIA_EVERY_S),
                               args=[self], id="evidence:media", max_instances=1, coalesce=True)
        self.scheduler.add_job(evidence_jobs.watch_job, IntervalTrigger(seconds=evidence_jobs.WATCH_EVERY_S),
                               args=[self], id="evidence:watch", max_instances=1, coalesce=True)
        self.scheduler.add_job(self.retrain_ranker_async, CronTrigger(hour=RANKER_AT[0], minute=RANKER_AT[1],
                                                                      timezone=self.tz),
                               id="ranker", max_instances=1, coalesce=True)
        self.scheduler.start()
        self._update_next_runs()
        log.info("service started", extra={"sources": sorted(self.polled), "webhooks": sorted(self.webhooks)})

    async def db(self, fn, *args, **kw):
        """Run ``fn(store, *args)`` in a worker thread under the writer lock."""

        def call():
            with self.lock:
                try:
                    return fn(self.app.store, *args, **kw)
                except Exception as exc:  # reads may go on while writes fail: only note the state
                    fault = storage_fault(exc, self.app.store.path)
                    if fault is not None:
                        self.storage.failed(fault)
                        raise fault from exc
                    raise

        return await asyncio.to_thread(call)

    async def alerts_async(self) -> None:
        if not self.storage.ok:  # a delivery that cannot be recorded would be sent again
            return
        try:
            res = await self.dispatcher.run()
            if any(res.values()):
                log.info("alerts run", extra=res)
        except Exception:
            log.exception("alerts run failed")

    async def digest_async(self) -> None:
        if not self.storage.ok:
            return
        try:
            await self.dispatcher.run(digests=True)
        except Exception:
            log.exception("alert digest failed")

    def retention(self) -> dict:
        """Daily data-minimisation job (``[retention]``, :mod:`monitor.store.retention`): posts behind an
        open or confirmed hit, or a hit on legal hold, are never deleted."""
        from monitor.retention import apply_retention

        with self.lock, self._storage_guard():
            out = apply_retention(self.app.store, self.config.retention, actor="retention")
        log.info("retention purge", extra=out)
        return out

    async def retention_async(self) -> None:
        try:
            await asyncio.to_thread(self.retention)
        except StorageUnavailable:
            log.warning("retention purge skipped: the database cannot be written now")

    def backup(self, dest: Path, actor: str = "service") -> dict:
        """A consistent backup (:mod:`monitor.store.backup`) taken by this process, under the writer lock."""
        from monitor.store.backup import export_database

        with self.lock:
            manifest = export_database(self.app.store.con, dest)
            self.app.store.audit(actor, "backup.export", str(dest), {
                "schema_version": manifest["schema_version"],
                "rows": {n: t["rows"] for n, t in manifest["tables"].items()}})
        log.info("backup written", extra={"dest": str(dest)})
        return manifest

    async def refresh_rules_async(self) -> None:
        try:
            await asyncio.to_thread(self.refresh_rules)
        except StorageUnavailable:
            pass  # logged once by the storage state

    async def stop(self) -> None:
        self.stopping = True
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        running = list(self._running)
        if running:
            log.info("waiting for %d running source(s) to commit", len(running))
            done, pending = await asyncio.wait(running, timeout=self.config.service.grace_s)
            for t in pending:
                t.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        with self.lock:
            try:
                self.app.close()
            except Exception as exc:
                if storage_fault(exc, self.app.store.path) is None:
                    raise
                log.error("closing the database failed (its write-ahead log is replayed on the next start)",
                          extra={"reason": str(exc)})
        log.info("service stopped")

    def health(self) -> dict:
        rules = self.app.rules
        err = rules.last_error
        return {
            "status": "ok" if self.storage.ok else "storage_unavailable",
            "storage": self.storage.as_json(),
            "started_at": self.started_at.isoformat(),
            "database": str(self.app.db_path),
            "rules_version": rules.current.version,
            "rules_error": [str(e) for e in err.errors] if err else None,
            "sources": {n: s.as_json() for n, s in self.status.items()},
            "webhooks": sorted(self.webhooks),
        }

