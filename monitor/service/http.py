"""HTTP endpoints of the service: health, source status, webhook intake, the OpenAPI description.

The watcher web application (a later layer) mounts its own routes next to these; nothing here
imports it.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from monitor.service.openapi import openapi_spec
from monitor.service.runtime import Service
from monitor.sources.webhook import PayloadError, parse_payload, token_matches
from monitor.store.errors import StorageUnavailable

log = logging.getLogger("monitor.service.http")

SERVICE = web.AppKey("service", Service)
INTAKE_GATE = web.AppKey("intake_gate", asyncio.Semaphore)
INTAKE_THREADS = 2
"""Webhook requests take turns at this gate (first come, first served) before a worker thread waits
for the writer lock: at most two (one writing, the next ready to take the lock at once) instead of
every pending request, so the web pages' short writes (audit rows, reviews) and the default thread
pool are not held up behind a queue of intake batches (measured with ``bench/load.py``; with one,
the hand-over between batches cost the intake its pace on a busy machine)."""


async def healthz(request: web.Request) -> web.Response:
    """Liveness and the state of every source (last run, last error, posts collected, next run)."""
    svc = request.app[SERVICE]
    body = svc.health()
    return web.json_response(body, status=200 if body["status"] == "ok" else 503)


async def sources(request: web.Request) -> web.Response:
    svc = request.app[SERVICE]
    return web.json_response({n: s.as_json() for n, s in svc.status.items()})


async def intake(request: web.Request) -> web.Response:
    """``POST /api/v1/posts``: one post, an array of posts, or ``{"posts": [...]}``."""
    svc = request.app[SERVICE]
    auth = request.headers.get("Authorization")
    match = next((name for name, (token, _) in svc.webhooks.items() if token_matches(auth, token)), None)
    if match is None:
        return web.json_response({"error": "unauthorized", "message": "missing or wrong bearer token"}, status=401,
                                 headers={"WWW-Authenticate": 'Bearer realm="monitor"'})
    if svc.stopping:
        return web.json_response({"error": "unavailable", "message": "service is shutting down"}, status=503)
    if not svc.storage.ok:
        return _storage_unavailable(svc)
    limit = svc.config.service.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return _too_large(limit)
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _too_large(limit)
    try:
        batch, results = parse_payload(body, max_items=svc.webhooks[match][1].max_items)
    except PayloadError as exc:
        return web.json_response({"error": "bad_request", "message": str(exc)}, status=400)
    try:
        async with request.app[INTAKE_GATE]:
            res = await asyncio.to_thread(svc.write_batch, match, batch, save_cursor=False)
    except StorageUnavailable:
        return _storage_unavailable(svc)
    accepted = [r for r in results if r["status"] == "accepted"]
    log.info("webhook intake", extra={"source": match, "accepted": len(accepted), "rejected": len(results) - len(accepted),
                                      "new": res.new, "duplicate": res.duplicate})
    status = 200 if len(accepted) == len(results) else (422 if not accepted else 207)
    return web.json_response(
        {"source": match, "accepted": len(accepted), "rejected": len(results) - len(accepted), "new": res.new,
         "duplicate": res.duplicate, "revised": res.revised, "hits": res.hits, "items": results},
        status=status,
    )


def _storage_unavailable(svc: Service) -> web.Response:
    """Nothing of the request was stored: the sender keeps its posts and sends them again later."""
    retry = max(1, round(svc.config.service.storage_probe_s))
    reason = f" ({svc.storage.fault.kind})" if svc.storage.fault else ""
    return web.json_response(
        {"error": "storage_unavailable",
         "message": f"the database cannot be written now{reason}; nothing of this request was stored, "
                    f"send it again after {retry} s"},
        status=503, headers={"Retry-After": str(retry)})


def _too_large(limit: int) -> web.Response:
    return web.json_response({"error": "too_large", "message": f"request body larger than {limit} bytes"},
                             status=413)


async def openapi(request: web.Request) -> web.Response:
    """``GET /api/v1/openapi.json``: the description of these endpoints (see monitor/service/openapi.py)."""
    svc = request.app[SERVICE]
    max_items = max((opts.max_items for _, opts in svc.webhooks.values()), default=1000)
    return web.json_response(openapi_spec(max_items=max_items, max_body_bytes=svc.config.service.max_body_bytes))


def make_app(svc: Service, extensions: tuple = ()) -> web.Application:
    """The service's HTTP app; ``extensions`` (e.g. the web application's ``setup_web``) add routes."""
    app = web.Application(client_max_size=svc.config.service.max_body_bytes)
    app[SERVICE] = svc
    app[INTAKE_GATE] = asyncio.Semaphore(INTAKE_THREADS)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/v1/sources", sources)
    app.router.add_post("/api/v1/posts", intake)
    app.router.add_get("/api/v1/openapi.json", openapi)
    for extend in extensions:
        extend(app, svc)
    return app


async def serve(svc: Service, stop: asyncio.Event, *, host: str, port: int, http: bool = True, on_ready=None,
                extensions: tuple = ()) -> None:
    """Run the schedule (and, with ``http``, the endpoints) until ``stop`` is set; shut down cleanly."""
    runner = None
    bound = None
    if http:
        runner = web.AppRunner(make_app(svc, extensions), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        bound = sockets[0].getsockname()[1] if sockets else port
        log.info("listening", extra={"host": host, "port": bound})
    svc.start()
    if on_ready is not None:
        on_ready(host, bound)
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await svc.stop()
        if runner is not None:
            await runner.cleanup()
