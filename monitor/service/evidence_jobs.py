"""Scheduled evidence jobs of the service: media capture and the deletion watch.

Both fetch on the event loop and write through ``Service.db`` (the writer lock), like the sources.
"""

from __future__ import annotations

import logging
from typing import Any

from monitor.evidence.media import capture_media, prune_media
from monitor.evidence.paths import media_dir
from monitor.evidence.watch import run_watch

log = logging.getLogger("monitor.service")

MEDIA_EVERY_S = 600  # new hits get their media within ten minutes
WATCH_EVERY_S = 6 * 3600  # posts behind open or confirmed hits are re-checked four times a day


def _source_maker(svc: Any):
    def make(name: str):
        block = svc.config.sources.get(name)
        if block is None or not block.enabled or name not in svc.polled:
            return None
        return svc.make(name, block)

    return make


async def media_job(svc: Any) -> None:
    if svc.stopping or not svc.storage.ok:  # nothing could be recorded (see monitor/service/storage.py)
        return
    try:
        pruned = await prune_media(svc.db, media_dir(svc.app.db_path))
        if pruned:
            log.info("media of purged posts deleted", extra={"files": pruned})
        res = await capture_media(svc.db, media_dir(svc.app.db_path),
                                  allow_private=svc.config.evidence.allow_private_media)
        if res.captured or res.failed:
            log.info("media capture", extra=vars(res))
    except Exception:
        log.exception("media capture failed")


async def watch_job(svc: Any) -> None:
    if svc.stopping or not svc.storage.ok:  # nothing could be recorded (see monitor/service/storage.py)
        return
    try:
        await run_watch(svc.db, _source_maker(svc))
    except Exception:
        log.exception("deletion watch failed")
