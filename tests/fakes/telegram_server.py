"""A local fake of the Telegram Bot API ``getUpdates`` method (real HTTP on 127.0.0.1, no network).

Shapes: the official reference (https://core.telegram.org/bots/api) describes objects as field
tables and gives no JSON examples, so Update / Message / User / Chat / MessageOrigin* /
TextQuote / ExternalReplyInfo objects are built here from those tables (Bot API 7.x field names
and types; only ids, texts and times are ours). Error bodies and headers follow the reference
server (tdlib/telegram-bot-api): ``{"ok": false, "error_code": N, "description": "..."}``,
``"Too Many Requests: retry after N"`` with ``"parameters": {"retry_after": N}`` (and, as that
server does, a ``Retry-After`` header -- optional here, so a client reading only the body is
tested too), ``401 Unauthorized`` for a wrong token, ``404 Not Found`` for an unknown path or
method, ``409 Conflict`` while a webhook is set or when another getUpdates poll takes over.

Endpoint: ``GET|POST /bot<token>/getUpdates`` (method names are case-insensitive) with
``offset``, ``limit`` (1-100, default 100), ``timeout`` (long poll, seconds) and
``allowed_updates`` (JSON list). **Offset semantics are Telegram's**: a call with a positive
``offset`` confirms -- deletes -- every pending update with a lower ``update_id`` (they are in
:attr:`FakeTelegram.confirmed`); a negative offset keeps only the last ``-offset`` updates; no
offset returns the earliest unconfirmed updates and confirms nothing. With ``timeout > 0`` and
nothing pending, the call waits until an update arrives or the timeout ends.
``allowed_updates`` only filters updates created after the call (as documented).

Data: :meth:`user`, :meth:`channel`, :meth:`group` build objects; :meth:`send` posts a message
(channel chats produce ``channel_post`` updates, others ``message``); :meth:`edit` produces the
``edited_*`` update; :meth:`forward`, :meth:`origin_*` build forwards; :meth:`push` adds any
other update (or a malformed one); :meth:`restart_ids` and :meth:`expire_all` simulate
Telegram's "random update_id after a week without updates" and "updates kept at most 24 hours".

Fault injection (each for the next N getUpdates calls): :meth:`rate_limit_next` (429),
:meth:`fail_next` (5xx), :meth:`conflict_next` (409), :meth:`slow_next`, :meth:`truncate_next`.
429, 5xx and 409 answer *before* the offset is processed (the request is refused); a slow or
cut answer has processed it, as a real server would have. :attr:`requests` logs every request.
"""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

TOKEN = "7012345678:AAHfake-Token_for_tests_only_0123456"
T0 = 1_707_800_000  # 2024-02-13T04:53:20Z, the week of the 2024 Indonesian election
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
DEFAULT_ALLOWED_EXCLUDES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    status: int | None = None


@dataclass
class Fault:
    kind: str
    count: int
    params: dict[str, Any] = field(default_factory=dict)


class FakeTelegram:
    """In-memory bot: a pending-update queue with Telegram's offset semantics."""

    def __init__(self, token: str = TOKEN, first_update_id: int = 731_000_001) -> None:
        self.token = token
        self.queue: list[dict[str, Any]] = []
        self.confirmed: list[int] = []
        self.expired: list[int] = []
        self.dropped: list[dict[str, Any]] = []  # not delivered because of allowed_updates
        self.allowed_updates: list[str] | None = None
        self.webhook_url = ""
        self.requests: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self.base_url = ""
        self.next_update_id = first_update_id
        self._next_user = 5_100_000_001
        self._next_chat = 1_001_900_000_001
        self._msg_ids: dict[int, int] = {}
        self._tick = 0
        self._arrived: asyncio.Event | None = None
        self.app = web.Application(middlewares=[self._middleware])
        self.app.router.add_route("*", "/{tail:.*}", self._dispatch)

    # ------------------------------------------------------------------ objects

    def _date(self) -> int:
        self._tick += 7
        return T0 + self._tick

    def user(self, first_name: str, last_name: str | None = None, username: str | None = None) -> dict[str, Any]:
        u: dict[str, Any] = {"id": self._next_user, "is_bot": False, "first_name": first_name}
        self._next_user += 1
        if last_name:
            u["last_name"] = last_name
        if username:
            u["username"] = username
        u["language_code"] = "id"
        return u

    def _chat(self, type_: str, title: str, username: str | None, **extra: Any) -> dict[str, Any]:
        c: dict[str, Any] = {"id": -self._next_chat, "title": title, "type": type_}
        self._next_chat += 1
        if username:
            c["username"] = username
        c.update(extra)
        return c

    def channel(self, title: str, username: str | None = None) -> dict[str, Any]:
        return self._chat("channel", title, username)

    def group(self, title: str, username: str | None = None, *, forum: bool = False) -> dict[str, Any]:
        return self._chat("supergroup", title, username, **({"is_forum": True} if forum else {}))

    # ------------------------------------------------------------------ messages and updates

    def _enqueue(self, body: dict[str, Any]) -> dict[str, Any]:
        utype = next(k for k in body if k != "update_id")
        update = {"update_id": self.next_update_id, **body}
        self.next_update_id += 1
        allowed = self.allowed_updates
        if allowed is not None and (utype not in allowed if allowed else utype in DEFAULT_ALLOWED_EXCLUDES):
            self.dropped.append(update)
            return update
        self.queue.append(update)
        if self._arrived is not None:
            self._arrived.set()
        return update

    def send(
        self,
        chat: dict[str, Any],
        text: str | None = "halo",
        *,
        sender: dict[str, Any] | None = None,
        sender_chat: dict[str, Any] | None = None,
        caption: str | None = None,
        reply_to: dict[str, Any] | None = None,
        forward_origin: dict[str, Any] | None = None,
        external_reply: dict[str, Any] | None = None,
        quote: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        enqueue: bool = True,
    ) -> dict[str, Any]:
        """A Message in ``chat`` (and its Update unless ``enqueue=False``). Returns the Message."""
        mid = self._msg_ids.get(chat["id"], 0) + 1
        self._msg_ids[chat["id"]] = mid
        msg: dict[str, Any] = {"message_id": mid}
        if chat["type"] == "channel":
            msg["sender_chat"] = copy.deepcopy(sender_chat or chat)  # channel posts: no 'from'
        else:
            msg["from"] = copy.deepcopy(sender) if sender else self.user("Anon")
            if sender_chat is not None:
                msg["sender_chat"] = copy.deepcopy(sender_chat)
        msg["chat"] = copy.deepcopy(chat)
        msg["date"] = self._date()
        if forward_origin is not None:
            msg["forward_origin"] = copy.deepcopy(forward_origin)
        if reply_to is not None:
            r = copy.deepcopy(reply_to)
            r.pop("reply_to_message", None)  # "will not contain further reply_to_message fields"
            msg["reply_to_message"] = r
        if external_reply is not None:
            msg["external_reply"] = copy.deepcopy(external_reply)
        if quote is not None:
            msg["quote"] = copy.deepcopy(quote)
        if caption is not None:
            msg["photo"] = [
                {"file_id": f"AgACAgUAAxkBAAI{mid:05d}", "file_unique_id": f"AQAD{mid:05d}",
                 "width": 90, "height": 67},
                {"file_id": f"AgACAgUAAxkBAAJ{mid:05d}", "file_unique_id": f"AQAE{mid:05d}",
                 "width": 1280, "height": 960},
            ]
            msg["caption"] = caption
        elif text is not None:
            msg["text"] = text
        if extra:
            msg.update(copy.deepcopy(extra))
        if enqueue:
            self._enqueue({"channel_post" if chat["type"] == "channel" else "message": msg})
        return msg

    def edit(self, msg: dict[str, Any], text: str) -> dict[str, Any]:
        """The ``edited_message`` / ``edited_channel_post`` update for a new version of ``msg``."""
        new = copy.deepcopy(msg)
        if "caption" in new:
            new["caption"] = text
        else:
            new["text"] = text
        new["edit_date"] = self._date()
        key = "edited_channel_post" if msg["chat"]["type"] == "channel" else "edited_message"
        self._enqueue({key: new})
        return new

    def origin_channel(self, msg: dict[str, Any], signature: str | None = None) -> dict[str, Any]:
        o = {
            "type": "channel", "date": msg["date"], "chat": copy.deepcopy(msg["chat"]), "message_id": msg["message_id"],
        }
        if signature:
            o["author_signature"] = signature
        return o

    def origin_user(self, user: dict[str, Any]) -> dict[str, Any]:
        return {"type": "user", "date": self._date(), "sender_user": copy.deepcopy(user)}

    def origin_hidden_user(self, name: str) -> dict[str, Any]:
        return {"type": "hidden_user", "date": self._date(), "sender_user_name": name}

    def origin_chat(self, chat: dict[str, Any]) -> dict[str, Any]:
        return {"type": "chat", "date": self._date(), "sender_chat": copy.deepcopy(chat)}

    def forward(
        self, chat: dict[str, Any], origin: dict[str, Any], text: str, *, sender: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A forwarded copy of a message whose text is ``text`` into ``chat``."""
        return self.send(chat, text, sender=sender, forward_origin=origin)

    def push(self, body: Any, *, assign_id: bool = True) -> Any:
        """Any other update (``{"my_chat_member": {...}}``) or a malformed one. With ``assign_id``
        a dict gets the next ``update_id``; otherwise ``body`` is queued exactly as given."""
        if assign_id and isinstance(body, dict) and any(k != "update_id" for k in body):
            return self._enqueue(body)
        self.queue.append(body)
        return body

    def restart_ids(self, first_update_id: int) -> None:
        """"If there are no new updates for at least a week, then identifier of the next update
        will be chosen randomly instead of sequentially." """
        self.next_update_id = first_update_id

    def expire_all(self) -> None:
        """Updates are not kept longer than 24 hours: forget every pending one."""
        self.expired += [u["update_id"] for u in self.queue if isinstance(u, dict) and "update_id" in u]
        self.queue.clear()

    # ------------------------------------------------------------------ faults

    def rate_limit_next(self, n: int = 1, *, retry_after: int = 5, header: bool = True) -> None:
        self.faults.append(Fault("rate_limit", n, {"retry_after": retry_after, "header": header}))

    def fail_next(self, n: int = 1, status: int = 502) -> None:
        self.faults.append(Fault("status", n, {"status": status}))

    def conflict_next(self, n: int = 1) -> None:
        self.faults.append(Fault("conflict", n))

    def slow_next(self, n: int = 1, *, delay_s: float = 1.0) -> None:
        self.faults.append(Fault("slow", n, {"delay_s": delay_s}))

    def truncate_next(self, n: int = 1) -> None:
        self.faults.append(Fault("truncate", n))

    # ------------------------------------------------------------------ http plumbing

    @staticmethod
    def _error(code: int, description: str, headers: dict[str, str] | None = None, **params: Any) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if params:
            body["parameters"] = params
        return web.json_response(body, status=code, headers=headers)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        entry = LoggedRequest(request.method, request.path, dict(request.query))
        self.requests.append(entry)
        resp = await handler(request)
        entry.status = resp.status
        return resp

    def _take_fault(self) -> Fault | None:
        fault = next((f for f in self.faults if f.count > 0), None)
        if fault is not None:
            fault.count -= 1
        return fault

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if not path.startswith("/bot"):
            return self._error(404, "Not Found")
        token, _, method = path[len("/bot"):].partition("/")
        if token != self.token:
            return self._error(401, "Unauthorized")
        if method.lower() != "getupdates":
            return self._error(404, "Not Found")
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        fault = self._take_fault()
        kind = fault.kind if fault else None
        p = fault.params if fault else {}
        if self.webhook_url:
            return self._error(409, WEBHOOK_CONFLICT)
        if kind == "rate_limit":
            ra = p["retry_after"]
            hdrs = {"Retry-After": str(ra)} if p["header"] else None
            return self._error(429, f"Too Many Requests: retry after {ra}", hdrs, retry_after=ra)
        if kind == "status":
            desc = {500: "Internal Server Error", 502: "Bad Gateway"}.get(p["status"], "Error")
            return self._error(p["status"], desc)
        if kind == "conflict":
            return self._error(409, POLL_CONFLICT)
        try:
            offset = int(params["offset"]) if params.get("offset") not in (None, "") else None
            limit = int(params.get("limit", 100))
            timeout = int(params.get("timeout", 0))
            allowed = params.get("allowed_updates")
            if isinstance(allowed, str):
                allowed = json.loads(allowed)
        except (TypeError, ValueError):
            return self._error(400, "Bad Request: invalid parameters")
        if allowed is not None:
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                return self._error(400, "Bad Request: can't parse allowed updates")
            self.allowed_updates = allowed
        limit = max(1, min(100, limit))
        # Offset semantics: confirm (delete) everything below a positive offset.
        if offset is not None and offset > 0:
            keep = []
            for u in self.queue:
                uid = u.get("update_id") if isinstance(u, dict) else None
                if isinstance(uid, int) and uid < offset:
                    self.confirmed.append(uid)
                else:
                    keep.append(u)
            self.queue = keep
        elif offset is not None and offset < 0:
            forgotten = self.queue[:offset] if -offset < len(self.queue) else []
            self.confirmed += [u["update_id"] for u in forgotten if isinstance(u, dict) and "update_id" in u]
            self.queue = self.queue[len(forgotten):]
        if kind == "slow":
            await asyncio.sleep(p["delay_s"])
        if not self.queue and timeout > 0:
            self._arrived = asyncio.Event()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout)
            except asyncio.TimeoutError:
                pass
            finally:
                self._arrived = None
        result = self.queue[:limit]
        body = json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode("utf-8")
        if kind == "truncate":
            body = body[: max(1, len(body) // 2)]
        return web.Response(body=body, content_type="application/json")

    # ------------------------------------------------------------------ helpers for assertions

    def polls(self) -> list[dict[str, str]]:
        """Query parameters of every getUpdates request, in order."""
        return [r.query for r in self.requests if r.path.lower().endswith("/getupdates")]

    def pending_ids(self) -> list[int]:
        return [u["update_id"] for u in self.queue if isinstance(u, dict) and "update_id" in u]


async def start_fake_telegram(fake: FakeTelegram | None = None) -> tuple[FakeTelegram, TestServer]:
    fake = fake or FakeTelegram()
    server = TestServer(fake.app, host="127.0.0.1", port=0)
    await server.start_server(shutdown_timeout=0.5)
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake, server


@pytest.fixture
async def telegram_server() -> AsyncIterator[FakeTelegram]:
    """A running :class:`FakeTelegram` on 127.0.0.1 (random port); ``.base_url`` to reach it."""
    fake, server = await start_fake_telegram()
    try:
        yield fake
    finally:
        await server.close()
