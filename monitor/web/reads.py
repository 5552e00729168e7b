"""Reads of pages that only read (the daily list, a hit page, the session lookup) run beside the
writer instead of taking a turn under the service's writer lock (see :mod:`monitor.store.readers`).

Measured with ``bench/load.py`` (1M stored posts, webhook intake at 1,000 posts/s): the lock is
not fair, so under a busy intake watchers waited seconds for their turn. Writes of the web
application (reviews, audit rows, sessions) still go through ``WebState.db`` under the lock.

Reads run on their own small thread pool: the default executor's threads can all be taken by
intake requests waiting for the writer lock, and a read queued behind them would wait as long.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from monitor.store.readers import ReadPool

READ_THREADS = 4
_pools: "weakref.WeakKeyDictionary[Any, ReadPool]" = weakref.WeakKeyDictionary()
_pools_mu = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _read_executor() -> ThreadPoolExecutor:
    global _executor
    with _pools_mu:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="web-read")
        return _executor


def _pool(svc: Any) -> ReadPool:
    with _pools_mu:
        pool = _pools.get(svc)
        if pool is None:
            ref = weakref.ref(svc)  # the pool must not keep the service alive (it is the weak key)
            pool = _pools[svc] = ReadPool(lambda: ref().app.store, svc.lock)
        return pool


async def read(st: Any, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """``fn(store, *args, **kw)`` in a worker thread on a read-only snapshot of the store; ``st`` is the
    request's :class:`~monitor.web.context.WebState`."""
    call = functools.partial(contextvars.copy_context().run, _pool(st.svc).run, fn, *args, **kw)
    return await asyncio.get_running_loop().run_in_executor(_read_executor(), call)
