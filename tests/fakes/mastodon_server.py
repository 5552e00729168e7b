"""A local fake of the Mastodon REST API, for tests (real HTTP on 127.0.0.1, no network).

Endpoints (documented shapes; Status/Account JSON built from the official doc examples in
``tests/data/mastodon``):

* ``GET /api/v1/timelines/tag/:hashtag`` (404 ``Record not found`` for an unknown tag)
* ``GET /api/v1/accounts/lookup?acct=``
* ``GET /api/v1/accounts/:id/statuses``
* ``GET /api/v1/statuses/:id``
* ``GET /api/v1/statuses/:id/favourited_by`` and ``GET /api/v1/accounts/:id/followers``
  (Account[]; paginated like Mastodon by the internal favourite/follow id: newest first,
  ``max_id``/``since_id``/``min_id``, ``Link`` with ``rel="next"``/``"prev"``; the ids are not
  account ids). Build them with :meth:`FakeMastodon.favourite` / :meth:`FakeMastodon.follow`.

Pagination follows Mastodon: results newest first; ``max_id`` (exclusive upper bound),
``since_id`` (exclusive lower bound, returns the *newest* ``limit``), ``min_id`` (the ``limit``
statuses *immediately* newer, still returned newest first; wins over ``since_id``), ``limit``
default 20, max 40. A non-empty page has ``Link: <...max_id=LAST>; rel="next", <...min_id=FIRST>;
rel="prev"``; an empty page has no Link header. Every response has ``X-RateLimit-*`` headers.
Status ids are Mastodon-like snowflakes: ``(unix_ms << 16) | sequence``. Tag timelines are paged
from a sorted per-tag index (bisection, no scan), so the fake serves 100k+ statuses; statuses may
be added from another thread while it serves.

Fault injection (each for the next N matching requests, optionally only for a path prefix):
:meth:`FakeMastodon.fail_next` (5xx), :meth:`rate_limit_next` (429 + Retry-After and/or
``X-RateLimit-Remaining: 0`` + Reset), :meth:`exhaust_quota_next` (200 but Remaining 0),
:meth:`slow_next`, :meth:`truncate_next` (cut body or dropped connection), :meth:`html_next`
(HTML 200 page), :meth:`stall_next` (half the body, then silence), :meth:`huge_next` (a JSON body
of any size, streamed lazily, chunked or with ``Content-Length``), :meth:`reset_next` (the
connection closed or reset before any response), :meth:`redirect_next` (302 to another base URL),
:meth:`ignore_paging_next` (``max_id``/``min_id``/``since_id`` ignored, as by a cache that drops
the query: the same page and ``Link`` again). :attr:`body_replacements` rewrites bytes of every
JSON body (invalid UTF-8, escaped lone surrogates); :attr:`endless` makes hashtag timelines
endless (every page below ``max_id`` is full: older statuses are made up on demand).
:attr:`requests` logs every request.
"""

from __future__ import annotations

import asyncio
import bisect
import copy
import html
import json
import socket
import struct
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "mastodon"


def load_fixture(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def id_key(status_id: str) -> tuple[int, str]:
    """Mastodon's documented id order: longer is newer, then lexical."""
    return (len(status_id), status_id)


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int | None = None


@dataclass
class Fault:
    kind: str
    count: int
    path_prefix: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def matches(self, path: str) -> bool:
        return self.count > 0 and (self.path_prefix is None or path.startswith(self.path_prefix))


class FakeMastodon:
    """In-memory Mastodon instance. Build data with :meth:`add_account` / :meth:`add_status`."""

    def __init__(self, domain: str = "kota.social") -> None:
        self.domain = domain
        self.statuses: dict[str, dict[str, Any]] = {}
        self._meta: dict[str, dict[str, Any]] = {}  # id -> {"tags": set, "account_id": str}
        # tag -> id_key of its statuses, ascending: a tag timeline page is a bisection, not a scan,
        # so the fake serves 100k+ statuses (crash test); the lock lets another thread add statuses
        self._tag_index: dict[str, list[tuple[int, str]]] = {}
        self._index_lock = threading.Lock()
        self.accounts: dict[str, dict[str, Any]] = {}
        self.requests: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self.require_token: str | None = None
        self.rate_limit = 300
        self.remaining = 300
        self.base_url = ""
        self._next_account_id = 100
        self._seq = 0
        self._t0 = datetime(2024, 2, 1, 0, 0, 0, tzinfo=timezone.utc)
        self._tick = 0
        self._status_template = load_fixture("Status__01.json")
        self._account_template = load_fixture("accounts__13.json")
        self.app = web.Application(middlewares=[self._middleware])
        self.app.router.add_get("/api/v1/timelines/tag/{hashtag}", self._tag_timeline)
        self.app.router.add_get("/api/v1/accounts/lookup", self._lookup)
        self.app.router.add_get("/api/v1/accounts/{id}/statuses", self._account_statuses)
        self.app.router.add_get("/api/v1/accounts/{id}", self._account)
        self.app.router.add_get("/api/v1/statuses/{id}", self._status)
        self.app.router.add_get("/api/v1/statuses/{id}/favourited_by", self._favourited_by)
        self.app.router.add_get("/api/v1/accounts/{id}/followers", self._followers)
        # status id / followed account id -> [(relation id, account id)], in creation order
        self.favourites: dict[str, list[tuple[str, str]]] = {}
        self.follows: dict[str, list[tuple[str, str]]] = {}
        self._rel_seq = 1000
        self.media: dict[str, tuple[bytes, str]] = {}  # name -> (body, Content-Type) served at /media/NAME
        self.app.router.add_get("/media/{name}", self._media)
        self.body_replacements: list[tuple[bytes, bytes]] = []  # (old, new) applied to every JSON body
        self.endless = False  # hashtag timelines never end: full pages below any max_id, made up on demand
        self.made_up = 0  # statuses made up for endless timelines

    # ------------------------------------------------------------------ data

    def add_account(
        self,
        username: str,
        domain: str | None = None,
        *,
        display_name: str | None = None,
        note: str = "<p>ASN di Pemkot</p>",
    ) -> dict[str, Any]:
        acc = copy.deepcopy(self._account_template)
        acc["id"] = str(self._next_account_id)
        self._next_account_id += 1
        acc["username"] = username
        acc["acct"] = f"{username}@{domain}" if domain else username
        acc["display_name"] = display_name if display_name is not None else username.title()
        acc["note"] = note
        acc["url"] = f"https://{domain or self.domain}/@{username}"
        acc["roles"] = []
        acc["statuses_count"] = 0
        self.accounts[acc["id"]] = acc
        return acc

    def _rel_id(self) -> str:
        self._rel_seq += 1
        return str(self._rel_seq)

    def favourite(self, status: dict[str, Any], account: dict[str, Any]) -> None:
        """``account`` favourites ``status`` (its ``favourites_count`` goes up)."""
        self.favourites.setdefault(status["id"], []).append((self._rel_id(), account["id"]))
        st = self.statuses.get(status["id"])
        if isinstance(st, dict):
            st["favourites_count"] = len(self.favourites[status["id"]])

    def follow(self, follower: dict[str, Any], target: dict[str, Any]) -> None:
        """``follower`` follows ``target``."""
        self.follows.setdefault(target["id"], []).append((self._rel_id(), follower["id"]))

    def _new_id(self, when: datetime) -> str:
        self._seq = (self._seq + 1) & 0xFFFF
        return str((int(when.timestamp() * 1000) << 16) | self._seq)

    def _now(self) -> datetime:
        self._tick += 1
        return self._t0 + timedelta(seconds=self._tick)

    def add_status(
        self,
        account: dict[str, Any],
        text: str = "halo",
        *,
        content: str | None = None,
        tags: tuple[str, ...] | list[str] = (),
        in_reply_to: dict[str, Any] | str | None = None,
        reblog_of: dict[str, Any] | None = None,
        quote_of: dict[str, Any] | None = None,
        quote: dict[str, Any] | None = None,
        spoiler_text: str = "",
        created_at: datetime | None = None,
        status_id: str | None = None,
        publish: bool = True,
    ) -> dict[str, Any]:
        """Create a status (newest so far unless ``created_at`` / ``status_id`` say otherwise).

        ``publish=False`` builds it without making it visible (e.g. a deleted parent).
        """
        when = created_at or self._now()
        sid = status_id or self._new_id(when)
        st = copy.deepcopy(self._status_template)
        acct = account["acct"]
        host = acct.split("@", 1)[1] if "@" in acct else self.domain
        st["id"] = sid
        st["created_at"] = iso(when)
        st["uri"] = f"https://{host}/users/{account['username']}/statuses/{sid}"
        st["url"] = f"https://{host}/@{account['username']}/{sid}"
        st["account"] = copy.deepcopy(account)
        st["spoiler_text"] = spoiler_text
        st["card"] = None
        st["quote"] = None
        st["in_reply_to_id"] = None
        st["in_reply_to_account_id"] = None
        st["replies_count"] = st["reblogs_count"] = st["favourites_count"] = 0
        st["mentions"] = []
        tag_list = [t.lstrip("#").lower() for t in tags]
        if content is None:
            links = " ".join(
                f'<a href="https://{self.domain}/tags/{t}" class="mention hashtag" rel="tag">#<span>{t}</span></a>'
                for t in tag_list
            )
            content = f"<p>{html.escape(text)}{' ' + links if links else ''}</p>"
        st["content"] = content
        st["tags"] = [{"name": t, "url": f"https://{self.domain}/tags/{t}"} for t in tag_list]
        if in_reply_to is not None:
            if isinstance(in_reply_to, str):
                st["in_reply_to_id"] = in_reply_to
                st["in_reply_to_account_id"] = None
            else:
                st["in_reply_to_id"] = in_reply_to["id"]
                st["in_reply_to_account_id"] = in_reply_to["account"]["id"]
                pa = in_reply_to["account"]
                st["mentions"] = [
                    {"id": pa["id"], "username": pa["username"], "url": pa["url"], "acct": pa["acct"]}
                ]
        if reblog_of is not None:
            st["reblog"] = copy.deepcopy(reblog_of)
            st["content"] = ""
            st["url"] = None
            st["uri"] = f"https://{host}/users/{account['username']}/statuses/{sid}/activity"
            st["tags"] = []
            tag_list = []
        if quote_of is not None:
            st["quote"] = {"state": "accepted", "quoted_status": copy.deepcopy(quote_of)}
        if quote is not None:
            st["quote"] = quote
        if publish:
            self.put_raw(st, tags=tag_list, account_id=account["id"])
        return st

    def put_raw(self, status: Any, *, tags: list[str] | tuple[str, ...] = (), account_id: str | None = None) -> None:
        """Insert any JSON value as a status (for malformed payloads). Needs a string ``id``."""
        sid = status["id"]
        with self._index_lock:
            self._unindex(sid)
            self.statuses[sid] = status
            self._meta[sid] = {"tags": {t.lower() for t in tags}, "account_id": account_id}
            for t in self._meta[sid]["tags"]:
                keys = self._tag_index.setdefault(t, [])
                if not keys or keys[-1] < id_key(sid):
                    keys.append(id_key(sid))  # the usual case: the newest status so far
                else:
                    bisect.insort(keys, id_key(sid))

    def _unindex(self, sid: str) -> None:
        for t in self._meta.get(sid, {}).get("tags", ()):
            keys = self._tag_index.get(t, [])
            i = bisect.bisect_left(keys, id_key(sid))
            if i < len(keys) and keys[i] == id_key(sid):
                del keys[i]

    def add_media(self, status: dict[str, Any], name: str, body: bytes, content_type: str = "image/png", *,
                  base_url: str | None = None, kind: str = "image") -> dict[str, Any]:
        """Attach a media file served by this fake at ``/media/NAME`` (``base_url``: where it runs)."""
        self.media[name] = (body, content_type)
        url = f"{(base_url or self.base_url).rstrip('/')}/media/{name}"
        att = {"id": str(len(self.media)), "type": kind, "url": url, "preview_url": url, "remote_url": None,
               "description": None, "blurhash": None, "meta": {}}
        status.setdefault("media_attachments", []).append(att)
        return att

    def edit_status(self, status_id: str, text: str) -> None:
        """The author edits a status (new content, ``edited_at`` set), as Mastodon 3.5+ allows."""
        st = self.statuses[status_id]
        st["content"] = f"<p>{html.escape(text)}</p>"
        st["edited_at"] = iso(self._now())

    def delete_status(self, status_id: str) -> None:
        with self._index_lock:
            self._unindex(status_id)
            self.statuses.pop(status_id, None)
            self._meta.pop(status_id, None)

    # ------------------------------------------------------------------ faults

    def _add_fault(self, kind: str, n: int, path_prefix: str | None, **params: Any) -> None:
        self.faults.append(Fault(kind, n, path_prefix, params))

    def fail_next(self, n: int = 1, status: int = 503, *, path_prefix: str | None = None, after: int = 0) -> None:
        """The next ``n`` matching requests fail with ``status`` (after ``after`` good ones)."""
        self._add_fault("status", n, path_prefix, status=status, after=after)

    def rate_limit_next(
        self,
        n: int = 1,
        *,
        retry_after: str | None = "1",
        reset_in_s: float | None = None,
        path_prefix: str | None = None,
    ) -> None:
        """429 ``Too many requests``, with ``Retry-After`` if given, and with
        ``X-RateLimit-Remaining: 0`` + ``X-RateLimit-Reset`` (now + ``reset_in_s``) if
        ``reset_in_s`` is given -- the latter is what real Mastodon (rack-attack) sends."""
        self._add_fault("rate_limit", n, path_prefix, retry_after=retry_after, reset_in_s=reset_in_s)

    def exhaust_quota_next(self, n: int = 1, *, reset_in_s: float = 3.0, path_prefix: str | None = None) -> None:
        """Answer normally but with ``X-RateLimit-Remaining: 0`` and a reset ``reset_in_s`` away."""
        self._add_fault("quota", n, path_prefix, reset_in_s=reset_in_s)

    def slow_next(self, n: int = 1, *, delay_s: float = 1.0, path_prefix: str | None = None) -> None:
        self._add_fault("slow", n, path_prefix, delay_s=delay_s)

    def truncate_next(self, n: int = 1, *, mode: str = "cut", path_prefix: str | None = None) -> None:
        """``cut``: a complete HTTP response whose JSON body is cut in half (Content-Length
        matches the cut body); ``disconnect``: full Content-Length declared, half sent, then the
        connection is closed."""
        assert mode in ("cut", "disconnect")
        self._add_fault("truncate", n, path_prefix, mode=mode)

    def html_next(self, n: int = 1, *, status: int = 200, path_prefix: str | None = None, after: int = 0) -> None:
        self._add_fault("html", n, path_prefix, status=status, after=after)

    def stall_next(self, n: int = 1, *, stall_s: float = 30.0, path_prefix: str | None = None, after: int = 0) -> None:
        """Status, headers (full ``Content-Length``) and half the body, then nothing for ``stall_s``."""
        self._add_fault("stall", n, path_prefix, stall_s=stall_s, after=after)

    def huge_next(self, n: int = 1, *, size: int = 40 * 1024 * 1024, chunked: bool = True,
                  path_prefix: str | None = None, after: int = 0) -> None:
        """A 200 JSON array of about ``size`` bytes, produced 64 KiB at a time while the client reads;
        ``chunked=False`` declares it with ``Content-Length``."""
        self._add_fault("huge", n, path_prefix, size=size, chunked=chunked, after=after)

    def reset_next(self, n: int = 1, *, mode: str = "rst", path_prefix: str | None = None, after: int = 0) -> None:
        """``rst``: the connection is reset (TCP RST) before any response; ``close``: closed cleanly."""
        assert mode in ("rst", "close")
        self._add_fault("reset", n, path_prefix, mode=mode, after=after)

    def redirect_next(self, n: int = 1, *, to: str, path_prefix: str | None = None, after: int = 0) -> None:
        """302 to the same path and query under base URL ``to`` (e.g. another server)."""
        self._add_fault("redirect", n, path_prefix, to=to.rstrip("/"), after=after)

    def ignore_paging_next(self, n: int = 1, *, path_prefix: str | None = None, after: int = 0) -> None:
        """Answer as if ``max_id``, ``min_id`` and ``since_id`` had not been sent."""
        self._add_fault("ignore_paging", n, path_prefix, after=after)

    def clear_faults(self) -> None:
        self.faults.clear()
        self.body_replacements.clear()

    # ------------------------------------------------------------------ http plumbing

    def _rate_headers(self, remaining: int | None = None, reset_in_s: float = 300.0) -> dict[str, str]:
        reset = datetime.now(timezone.utc) + timedelta(seconds=reset_in_s)
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(self.remaining if remaining is None else remaining),
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        entry = LoggedRequest(request.method, request.path, dict(request.query), dict(request.headers))
        self.requests.append(entry)
        self.remaining -= 1
        if self.remaining <= 1:  # never let the normal counter itself trigger a client wait
            self.remaining = self.rate_limit
        fault = next((f for f in self.faults if f.matches(request.path)), None)
        if fault is not None and fault.params.get("after", 0) > 0:
            fault.params["after"] -= 1
            fault = None
        if fault is not None:
            fault.count -= 1
        if self.require_token is not None and request.headers.get("Authorization") != f"Bearer {self.require_token}":
            entry.status = 401
            return web.json_response({"error": "The access token is invalid"}, status=401, headers=self._rate_headers())
        kind = fault.kind if fault else None
        p = fault.params if fault else {}
        if kind == "status":
            entry.status = p["status"]
            return web.json_response(
                {"error": "Service unavailable"}, status=p["status"], headers=self._rate_headers()
            )
        if kind == "rate_limit":
            if p["reset_in_s"] is not None:
                hdrs = self._rate_headers(remaining=0, reset_in_s=p["reset_in_s"])
            else:
                hdrs = self._rate_headers()
            if p["retry_after"] is not None:
                hdrs["Retry-After"] = p["retry_after"]
            entry.status = 429
            return web.json_response({"error": "Too many requests"}, status=429, headers=hdrs)
        if kind == "html":
            entry.status = p["status"]
            return web.Response(
                status=p["status"],
                text="<!DOCTYPE html><html><body><h1>We're down for maintenance</h1></body></html>",
                content_type="text/html",
                headers=self._rate_headers(),
            )
        if kind == "reset":
            assert request.transport is not None
            sock = request.transport.get_extra_info("socket")
            if p["mode"] == "rst" and sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            request.transport.close()
            entry.status = 0
            return web.Response(status=500)  # never sent: the connection is gone
        if kind == "redirect":
            entry.status = 302
            raise web.HTTPFound(p["to"] + str(request.rel_url))
        if kind == "huge":
            entry.status = 200
            return await self._huge(request, p["size"], p["chunked"])
        if kind == "ignore_paging":
            query = {k: v for k, v in request.query.items() if k not in ("max_id", "min_id", "since_id")}
            request = request.clone(rel_url=request.rel_url.with_query(query))
        if kind == "slow":
            await asyncio.sleep(p["delay_s"])
        resp = await handler(request)
        if self.body_replacements and isinstance(resp, web.Response) and resp.body is not None:
            body = bytes(resp.body)
            for old, new in self.body_replacements:
                body = body.replace(old, new)
            resp.body = body
        if kind == "stall":
            assert isinstance(resp, web.Response) and resp.body is not None
            body = bytes(resp.body)
            stream = web.StreamResponse(status=resp.status)
            stream.content_type = "application/json"
            stream.content_length = len(body)
            await stream.prepare(request)
            await stream.write(body[: len(body) // 2])
            entry.status = resp.status
            await asyncio.sleep(p["stall_s"])
            return stream
        entry.status = resp.status
        if kind == "quota":
            resp.headers.update(self._rate_headers(remaining=0, reset_in_s=p["reset_in_s"]))
        else:
            resp.headers.update(self._rate_headers())
        if kind == "truncate":
            assert isinstance(resp, web.Response) and resp.body is not None
            body = bytes(resp.body)
            half = body[: max(1, len(body) // 2)]
            if p["mode"] == "cut":
                cut = web.Response(body=half, status=resp.status, content_type="application/json")
                cut.headers.update({k: v for k, v in resp.headers.items() if k.lower().startswith(("x-", "link"))})
                return cut
            stream = web.StreamResponse(status=resp.status)
            stream.content_type = "application/json"
            stream.content_length = len(body)
            await stream.prepare(request)
            await stream.write(half)
            assert request.transport is not None
            request.transport.close()
            return stream
        return resp

    async def _huge(self, request: web.Request, size: int, chunked: bool) -> web.StreamResponse:
        chunk = (b'"' + b"x" * 1000 + b'",') * 64  # about 64 KiB
        stream = web.StreamResponse(status=200, headers=self._rate_headers())
        stream.content_type = "application/json"
        n = max(1, size // len(chunk))
        if chunked:
            stream.enable_chunked_encoding()
        else:
            stream.content_length = 1 + n * len(chunk) + 6
        await stream.prepare(request)
        try:
            await stream.write(b"[")
            for _ in range(n):
                await stream.write(chunk)
            await stream.write(b'"end"]')
            await stream.write_eof()
        except (ConnectionError, RuntimeError):
            pass  # the client stopped reading
        return stream

    def _json(self, data: Any, status: int = 200, links: str | None = None) -> web.Response:
        resp = web.Response(
            text=json.dumps(data, ensure_ascii=False), status=status, content_type="application/json"
        )
        if links:
            resp.headers["Link"] = links
        return resp

    def _not_found(self) -> web.Response:
        return self._json({"error": "Record not found"}, status=404)

    def _paginate(self, request: web.Request, ids: list[str]) -> web.Response:
        q = request.query
        try:
            limit = int(q.get("limit", "20"))
        except ValueError:
            limit = 20
        limit = max(1, min(40, limit))
        max_id, since_id, min_id = q.get("max_id"), q.get("since_id"), q.get("min_id")
        sel = sorted(ids, key=id_key, reverse=True)
        if max_id:
            sel = [i for i in sel if id_key(i) < id_key(max_id)]
        if min_id:
            sel = [i for i in sel if id_key(i) > id_key(min_id)]
            sel = list(reversed(list(reversed(sel))[:limit]))  # the `limit` oldest above min_id
        else:
            if since_id:
                sel = [i for i in sel if id_key(i) > id_key(since_id)]
            sel = sel[:limit]
        return self._page(request, sel, limit)

    def _paginate_sorted(self, request: web.Request, keys: list[tuple[int, str]]) -> web.Response:
        """:meth:`_paginate` over ``keys`` (``id_key`` ascending) by bisection: the same pages."""
        q = request.query
        try:
            limit = int(q.get("limit", "20"))
        except ValueError:
            limit = 20
        limit = max(1, min(40, limit))
        max_id, since_id, min_id = q.get("max_id"), q.get("since_id"), q.get("min_id")
        hi = bisect.bisect_left(keys, id_key(max_id)) if max_id else len(keys)
        if min_id:  # the `limit` oldest above min_id
            lo = bisect.bisect_right(keys, id_key(min_id))
            window = keys[lo:min(hi, lo + limit)]
        else:
            lo = bisect.bisect_right(keys, id_key(since_id)) if since_id else 0
            window = keys[max(lo, hi - limit):hi] if hi > lo else []
        return self._page(request, [k[1] for k in reversed(window)], limit)

    def _page(self, request: web.Request, sel: list[str], limit: int) -> web.Response:
        items = [self.statuses[i] for i in sel]
        links = None
        if sel:
            base = f"{self.base_url}{request.path}"
            links = (
                f'<{base}?limit={limit}&max_id={sel[-1]}>; rel="next", '
                f'<{base}?limit={limit}&min_id={sel[0]}>; rel="prev"'
            )
        return self._json(items, links=links)

    # ------------------------------------------------------------------ handlers

    async def _tag_timeline(self, request: web.Request) -> web.Response:
        tag = request.match_info["hashtag"].lower()
        if self.endless and request.query.get("max_id"):
            self._make_up_below(tag, request.query["max_id"], int(request.query.get("limit", "20")))
        with self._index_lock:
            keys = self._tag_index.get(tag)
            if not keys:
                return self._not_found()
            return self._paginate_sorted(request, keys)

    def _make_up_below(self, tag: str, max_id: str, limit: int) -> None:
        """Endless timeline: make sure a full page of statuses exists just below ``max_id``."""
        below = [sid for sid, m in list(self._meta.items()) if tag in m["tags"] and id_key(sid) < id_key(max_id)]
        missing = max(1, min(40, limit)) - len(below)
        if missing <= 0 or not max_id.isdigit():
            return
        acc = next((a for a in self.accounts.values() if a["username"] == "endless"), None) or self.add_account("endless")
        ms = int(max_id) >> 16
        for k in range(1, missing + 1):
            when = datetime.fromtimestamp((ms - k * 1000) / 1000, tz=timezone.utc)
            self.made_up += 1
            self.add_status(acc, f"status lama {self.made_up}", tags=[tag], created_at=when,
                            status_id=str(((ms - k * 1000) << 16) | (self.made_up & 0xFFFF)))

    async def _account_statuses(self, request: web.Request) -> web.Response:
        aid = request.match_info["id"]
        if aid not in self.accounts:
            return self._not_found()
        ids = [sid for sid, m in self._meta.items() if m["account_id"] == aid]
        return self._paginate(request, ids)

    async def _lookup(self, request: web.Request) -> web.Response:
        acct = (request.query.get("acct") or "").lstrip("@").lower()
        if acct.endswith("@" + self.domain):
            acct = acct[: -len(self.domain) - 1]
        for acc in self.accounts.values():
            if acc["acct"].lower() == acct:
                return self._json(acc)
        return self._not_found()

    async def _account(self, request: web.Request) -> web.Response:
        acc = self.accounts.get(request.match_info["id"])
        return self._json(acc) if acc else self._not_found()

    async def _media(self, request: web.Request) -> web.Response:
        found = self.media.get(request.match_info["name"])
        if found is None:
            return self._not_found()
        return web.Response(body=found[0], content_type=found[1])

    async def _status(self, request: web.Request) -> web.Response:
        st = self.statuses.get(request.match_info["id"])
        return self._json(st) if st is not None else self._not_found()

    def _accounts_page(self, request: web.Request, rels: list[tuple[str, str]]) -> web.Response:
        """Account[] paginated by relation id (newest first), with a Link header like Mastodon's."""
        q = request.query
        try:
            limit = max(1, min(80, int(q.get("limit", "40"))))
        except ValueError:
            limit = 40
        sel = sorted(rels, key=lambda r: id_key(r[0]), reverse=True)
        if q.get("max_id"):
            sel = [r for r in sel if id_key(r[0]) < id_key(q["max_id"])]
        if q.get("min_id") or q.get("since_id"):
            low = q.get("min_id") or q.get("since_id")
            sel = [r for r in sel if id_key(r[0]) > id_key(low)]
        sel = sel[:limit]
        links = None
        if sel:
            base = f"{self.base_url}{request.path}"
            links = (f'<{base}?limit={limit}&max_id={sel[-1][0]}>; rel="next", '
                     f'<{base}?limit={limit}&min_id={sel[0][0]}>; rel="prev"')
        return self._json([self.accounts[a] for _, a in sel], links=links)

    async def _favourited_by(self, request: web.Request) -> web.Response:
        sid = request.match_info["id"]
        if sid not in self.statuses:
            return self._not_found()
        return self._accounts_page(request, self.favourites.get(sid, []))

    async def _followers(self, request: web.Request) -> web.Response:
        aid = request.match_info["id"]
        if aid not in self.accounts:
            return self._not_found()
        return self._accounts_page(request, self.follows.get(aid, []))

    # ------------------------------------------------------------------ helpers for assertions

    def paths(self, prefix: str = "") -> list[str]:
        return [r.path for r in self.requests if r.path.startswith(prefix)]


async def start_fake_mastodon(fake: FakeMastodon | None = None) -> tuple[FakeMastodon, TestServer]:
    fake = fake or FakeMastodon()
    server = TestServer(fake.app, host="127.0.0.1", port=0)
    await server.start_server(shutdown_timeout=0.5)
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake, server


@pytest.fixture
async def mastodon_server() -> AsyncIterator[FakeMastodon]:
    """A running :class:`FakeMastodon` on 127.0.0.1 (random port); ``.base_url`` to reach it."""
    fake, server = await start_fake_mastodon()
    try:
        yield fake
    finally:
        await server.close()
