"""A local fake web server hosting RSS/Atom feeds, for tests (real HTTP on 127.0.0.1, no network).

Each feed is a document at a path with its ``Content-Type`` and, optionally, an ``ETag`` (by
default a strong ETag derived from the body) and a ``Last-Modified`` date. Conditional GET is
answered like a typical web server (RFC 9110 13.2.2): ``If-None-Match`` is evaluated first and
``If-Modified-Since`` only when there is no ``If-None-Match``; a match gives ``304 Not Modified``
with the validators and no body.

Fault injection (each for the next N matching requests, optionally only for one path):
:meth:`FakeFeeds.fail_next` (an error status), :meth:`rate_limit_next` (429 + ``Retry-After``),
:meth:`html_next` (an HTML page with status 200). :attr:`requests` logs every request with its
headers and the status answered.
"""

from __future__ import annotations

import email.utils
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "rss"

RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"


def load_feed(name: str) -> bytes:
    return (DATA_DIR / name).read_bytes()


def http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


@dataclass
class Document:
    body: bytes
    content_type: str = RSS_TYPE
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class LoggedRequest:
    path: str
    headers: dict[str, str]
    status: int | None = None


@dataclass
class Fault:
    kind: str
    count: int
    path: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def matches(self, path: str) -> bool:
        return self.count > 0 and (self.path is None or self.path == path)


class FakeFeeds:
    """In-memory feed host. Put documents with :meth:`set_feed`; ``url(path)`` to reach them."""

    def __init__(self) -> None:
        self.docs: dict[str, Document] = {}
        self.requests: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self.base_url = ""
        self.app = web.Application(middlewares=[self._middleware])
        self.app.router.add_get("/{tail:.*}", self._serve)

    # ------------------------------------------------------------------ data

    def set_feed(
        self,
        path: str,
        body: bytes | str,
        *,
        content_type: str = RSS_TYPE,
        etag: str | bool | None = True,
        last_modified: str | None = None,
    ) -> Document:
        """Publish ``body`` at ``path``. ``etag=True``: a strong ETag from the body's hash;
        a string: that ETag (sent verbatim); False/None: no ETag."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        if etag is True:
            etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        doc = Document(data, content_type, etag or None, last_modified)
        self.docs[path] = doc
        return doc

    def url(self, path: str) -> str:
        return self.base_url + path

    # ------------------------------------------------------------------ faults

    def fail_next(self, n: int = 1, status: int = 503, *, path: str | None = None) -> None:
        self.faults.append(Fault("status", n, path, {"status": status}))

    def rate_limit_next(self, n: int = 1, *, retry_after: str = "1", path: str | None = None) -> None:
        self.faults.append(Fault("rate_limit", n, path, {"retry_after": retry_after}))

    def html_next(self, n: int = 1, *, path: str | None = None) -> None:
        self.faults.append(Fault("html", n, path))

    # ------------------------------------------------------------------ http

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        entry = LoggedRequest(request.path, dict(request.headers))
        self.requests.append(entry)
        fault = next((f for f in self.faults if f.matches(request.path)), None)
        if fault is not None:
            fault.count -= 1
            if fault.kind == "status":
                resp = web.Response(status=fault.params["status"], text="Service Unavailable")
            elif fault.kind == "rate_limit":
                resp = web.Response(
                    status=429, text="Too Many Requests", headers={"Retry-After": fault.params["retry_after"]}
                )
            else:
                resp = web.Response(
                    status=200, body=load_feed("maintenance.html"), content_type="text/html", charset="utf-8"
                )
        else:
            resp = await handler(request)
        entry.status = resp.status
        return resp

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        doc = self.docs.get(request.path)
        if doc is None:
            return web.Response(status=404, text="Not Found")
        validators = {}
        if doc.etag:
            validators["ETag"] = doc.etag
        if doc.last_modified:
            validators["Last-Modified"] = doc.last_modified
        inm = request.headers.get("If-None-Match")
        ims = request.headers.get("If-Modified-Since")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            if doc.etag and ("*" in tags or doc.etag in tags):
                return web.Response(status=304, headers=validators)
        elif ims is not None and doc.last_modified:
            try:
                if email.utils.parsedate_to_datetime(doc.last_modified) <= email.utils.parsedate_to_datetime(ims):
                    return web.Response(status=304, headers=validators)
            except (TypeError, ValueError):
                pass
        return web.Response(body=doc.body, headers={"Content-Type": doc.content_type, **validators})

    # ------------------------------------------------------------------ helpers for assertions

    def hits(self, path: str) -> list[LoggedRequest]:
        return [r for r in self.requests if r.path == path]


async def start_fake_feeds(fake: FakeFeeds | None = None) -> tuple[FakeFeeds, TestServer]:
    fake = fake or FakeFeeds()
    server = TestServer(fake.app, host="127.0.0.1", port=0)
    await server.start_server(shutdown_timeout=0.5)
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake, server


@pytest.fixture
async def rss_server() -> AsyncIterator[FakeFeeds]:
    """A running :class:`FakeFeeds` on 127.0.0.1 (random port); ``.url(path)`` to reach a feed."""
    fake, server = await start_fake_feeds()
    try:
        yield fake
    finally:
        await server.close()
