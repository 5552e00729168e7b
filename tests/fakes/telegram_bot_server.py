"""A local fake of the Telegram Bot API ``sendMessage`` method (real HTTP on 127.0.0.1).

Answers like the reference server: ``200 {"ok": true, "result": <Message>}``; ``401
Unauthorized`` for a wrong token in the path; ``404 Not Found`` for another method; ``400 Bad
Request: chat not found`` for chats in :attr:`FakeBot.unknown_chats`; ``403 Forbidden: bot was
blocked by the user`` for :attr:`FakeBot.blocked_chats`; ``429 Too Many Requests: retry after N``
with ``parameters.retry_after`` after :meth:`FakeBot.rate_limit_next`; ``500`` after
:meth:`FakeBot.fail_next`. With ``parse_mode=HTML`` the text is checked against Telegram's tag
subset (unknown or unbalanced tags -> ``400 Bad Request: can't parse entities``), so templates
that Telegram would refuse fail the tests. Accepts JSON and form bodies.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

TOKEN = "7012345678:AAHalert-Token_for_tests_only_98765"
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code",
                "pre", "blockquote", "tg-emoji"}


class _EntityCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None
        self.plain: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.error = self.error or f'unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f'unexpected end tag "{tag}"'
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.plain.append(data)


def parse_html(text: str) -> tuple[str | None, str]:
    p = _EntityCheck()
    p.feed(text)
    p.close()
    if p.stack and not p.error:
        p.error = f'can\'t find end tag corresponding to start tag "{p.stack[-1]}"'
    return p.error, "".join(p.plain)


@dataclass
class FakeBot:
    token: str = TOKEN
    base_url: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, int]] = field(default_factory=list)
    unknown_chats: set[str] = field(default_factory=set)
    blocked_chats: set[str] = field(default_factory=set)
    _rate_limit: list[int] = field(default_factory=list)
    _fail: int = 0
    _next_id: int = 100

    def __post_init__(self) -> None:
        self.app = web.Application()
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle)

    def rate_limit_next(self, n: int = 1, retry_after: int = 3) -> None:
        self._rate_limit.extend([retry_after] * n)

    def fail_next(self, n: int = 1) -> None:
        self._fail += n

    @staticmethod
    def _error(status: int, description: str, **parameters: Any) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        headers = {"Retry-After": str(parameters["retry_after"])} if "retry_after" in parameters else None
        return web.json_response(body, status=status, headers=headers)

    async def _handle(self, request: web.Request) -> web.Response:
        resp = await self._answer(request)
        self.requests.append((request.path.replace(self.token, "<token>"), resp.status))
        return resp

    async def _answer(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        if request.match_info["method"].lower() != "sendmessage":
            return self._error(404, "Not Found")
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
        if self._rate_limit:
            ra = self._rate_limit.pop(0)
            return self._error(429, f"Too Many Requests: retry after {ra}", retry_after=ra)
        if self._fail:
            self._fail -= 1
            return self._error(500, "Internal Server Error")
        chat = str(params.get("chat_id", ""))
        text = params.get("text")
        if not chat:
            return self._error(400, "Bad Request: chat_id is empty")
        if not text:
            return self._error(400, "Bad Request: message text is empty")
        if chat in self.unknown_chats:
            return self._error(400, "Bad Request: chat not found")
        if chat in self.blocked_chats:
            return self._error(403, "Forbidden: bot was blocked by the user")
        plain = text
        if params.get("parse_mode") == "HTML":
            err, plain = parse_html(text)
            if err:
                return self._error(400, f"Bad Request: can't parse entities: {err}")
        if len(plain) > 4096:
            return self._error(400, "Bad Request: message is too long")
        self._next_id += 1
        self.sent.append(params)
        chat_obj: dict[str, Any] = ({"id": int(chat), "type": "private", "first_name": "Atasan"}
                                    if chat.lstrip("-").isdigit() else
                                    {"id": -1001234567890, "type": "channel", "username": chat.lstrip("@")})
        message = {"message_id": self._next_id, "date": int(time.time()), "chat": chat_obj, "text": plain,
                   "from": {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Monitor"}}
        return web.json_response({"ok": True, "result": message})


async def start_fake_bot(fake: FakeBot | None = None) -> tuple[FakeBot, TestServer]:
    fake = fake or FakeBot()
    server = TestServer(fake.app, host="127.0.0.1", port=0)
    await server.start_server(shutdown_timeout=0.5, access_log=None)  # the path holds the token
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake, server


@pytest.fixture
async def telegram_bot_server() -> AsyncIterator[FakeBot]:
    """A running :class:`FakeBot` on 127.0.0.1 (random port); ``.base_url`` to reach it."""
    fake, server = await start_fake_bot()
    try:
        yield fake
    finally:
        await server.close()

