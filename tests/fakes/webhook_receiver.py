"""A local webhook receiver (real HTTP on 127.0.0.1) that verifies the monitor's signature.

``POST /hook``: verifies ``X-Monitor-Signature`` over ``"<X-Monitor-Timestamp>.<body>"`` with
:func:`monitor.alerting.channels.webhook.verify_signature` (5-minute window) -> 401 on a bad or
missing signature, else records the body and answers 200. :attr:`FakeReceiver.status_next`
forces the next answers' status codes (e.g. ``[503]``, ``[410]``), :attr:`retry_after` adds a
``Retry-After`` header to forced answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from monitor.alerting.channels.webhook import verify_signature

SECRET = "whsec_test_only_4f1c2a"


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeReceiver:
    secret: str = SECRET
    url: str = ""
    received: list[Delivery] = field(default_factory=list)
    rejected: list[Delivery] = field(default_factory=list)
    status_next: list[int] = field(default_factory=list)
    retry_after: str | None = None

    def __post_init__(self) -> None:
        self.app = web.Application()
        self.app.router.add_post("/hook", self._hook)

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        d = Delivery(dict(request.headers), body)
        if self.status_next:
            status = self.status_next.pop(0)
            headers = {"Retry-After": self.retry_after} if self.retry_after else None
            return web.Response(status=status, text="forced", headers=headers)
        ok = verify_signature(self.secret, request.headers.get("X-Monitor-Timestamp"), body,
                              request.headers.get("X-Monitor-Signature"), max_age_s=300)
        if not ok:
            self.rejected.append(d)
            return web.Response(status=401, text="bad signature")
        self.received.append(d)
        return web.json_response({"received": True})


async def start_fake_receiver(fake: FakeReceiver | None = None) -> tuple[FakeReceiver, TestServer]:
    fake = fake or FakeReceiver()
    server = TestServer(fake.app, host="127.0.0.1", port=0)
    await server.start_server(shutdown_timeout=0.5, access_log=None)
    fake.url = str(server.make_url("/hook"))
    return fake, server


@pytest.fixture
async def webhook_receiver() -> AsyncIterator[FakeReceiver]:
    """A running :class:`FakeReceiver`; ``.url`` is the hook URL, ``.secret`` the shared secret."""
    fake, server = await start_fake_receiver()
    try:
        yield fake
    finally:
        await server.close()
