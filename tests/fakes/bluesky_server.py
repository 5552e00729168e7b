"""A local fake of the Bluesky AppView's public XRPC API, for tests (real HTTP on 127.0.0.1).

Endpoints (parameters, JSON shapes and errors as in the lexicons in ``tests/data/bluesky``; the
views are built from real ``getAuthorFeed`` outputs of Bluesky's own test suite, changing only
ids, texts and times):

* ``GET /xrpc/app.bsky.feed.searchPosts`` -- ``q`` (required), ``limit`` (1..100, default 25),
  ``sort`` (``latest``/``top``; both newest first here), ``since`` (inclusive), ``until``
  (exclusive), ``lang``, ``cursor``. Matching is a case-insensitive substring of ``record.text``.
  The cursor is an offset (as Bluesky's search service uses), present while more hits exist.
* ``GET /xrpc/app.bsky.feed.getAuthorFeed`` -- ``actor`` (handle or DID, required), ``limit``
  (1..100, default 50), ``cursor``, ``filter`` (``posts_with_replies`` default,
  ``posts_no_replies``), ``includePins``. Own posts and reposts, newest first; items carry
  ``reply`` context (parent/root ``postView`` or ``notFoundPost``) and ``reason``
  (``reasonRepost``, ``reasonPin``). The cursor is the AppView's keyset ``<sortAt ms>__<cid>``,
  present whenever the page is not empty (so the last request returns an empty page).
* ``GET /xrpc/app.bsky.feed.getPosts`` -- ``uris`` (repeated, at most 25).

Ordering is by ``sortAt`` = the earlier of ``createdAt`` and ``indexedAt`` (the repost's time for
a repost), then CID, both descending. Errors are XRPC-shaped: ``{"error": "InvalidRequest",
"message": "Profile not found"}`` (400). Every response has ``RateLimit-Limit``,
``RateLimit-Remaining``, ``RateLimit-Reset`` (Unix seconds) and ``RateLimit-Policy`` headers, as
atproto's xrpc-server sends them.

Knobs: :attr:`FakeBluesky.search_disabled` (403 for every search, as the public host does at
times), :attr:`refuse_search_cursor` (403 "Request forbidden by administrative rules." for a
search with ``cursor``, as the public host does for unauthenticated clients),
:attr:`always_include_pins`, :attr:`endless_actors` (author feeds that never end). Fault injection (each for the next N matching requests, optionally
only for a path prefix): :meth:`fail_next` (5xx), :meth:`rate_limit_next` (429 with
``RateLimit-*`` headers, with or without ``Retry-After``), :meth:`exhaust_quota_next` (200 with
``RateLimit-Remaining: 0``), :meth:`slow_next`, :meth:`truncate_next`, :meth:`html_next`,
:meth:`repeat_cursor_next` (the answer's ``cursor`` is the first one this path ever gave: a loop;
these take ``after`` = matching requests to let through first).
:attr:`requests` logs every request.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "bluesky"

REASON_REPOST = "app.bsky.feed.defs#reasonRepost"
REASON_PIN = "app.bsky.feed.defs#reasonPin"
_B32_SORT = "234567abcdefghijklmnopqrstuvwxyz"
_B32 = "abcdefghijklmnopqrstuvwxyz234567"


def load_fixture(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> datetime | None:
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def tid(micros: int, clock_id: int = 0) -> str:
    """An atproto TID (record key): 64-bit (micros << 10 | clock id) in base32-sortable."""
    n = (micros << 10) | (clock_id & 0x3FF)
    out = []
    for _ in range(13):
        out.append(_B32_SORT[n & 31])
        n >>= 5
    return "".join(reversed(out))


def _b32(data: bytes, n: int) -> str:
    bits = int.from_bytes(data, "big")
    out = []
    for _ in range(n):
        out.append(_B32[bits & 31])
        bits >>= 5
    return "".join(out)


def did_for(handle: str) -> str:
    return "did:plc:" + _b32(hashlib.sha256(handle.encode()).digest(), 24)


def cid_for(seed: str) -> str:
    return "bafyrei" + _b32(hashlib.sha256(seed.encode()).digest(), 52)


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    multi: list[tuple[str, str]] = field(default_factory=list)
    status: int | None = None


@dataclass
class Fault:
    kind: str
    count: int
    path_prefix: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def matches(self, path: str) -> bool:
        return self.count > 0 and (self.path_prefix is None or path.startswith(self.path_prefix))


@dataclass
class _Entry:
    """Something that appears in a feed or in search results, in sort order."""

    sort_at: datetime
    cid: str
    build: Callable[[], Any]  # the JSON item, built at request time
    actor: str | None = None  # whose author feed shows it (DID)
    search_text: str | None = None  # what search matches (None: not searchable)
    is_reply: bool = False
    uri: str | None = None  # the post shown (for pins)


class FakeBluesky:
    """In-memory AppView. Build data with :meth:`add_profile`, :meth:`add_post`, :meth:`repost`."""

    def __init__(self) -> None:
        self.profiles: dict[str, dict[str, Any]] = {}  # did -> profileViewBasic (+ description)
        self.handles: dict[str, str] = {}  # handle -> did
        self.posts: dict[str, dict[str, Any]] = {}  # uri -> {"view", "sort_at", "did", "blocked"}
        self.entries: list[_Entry] = []
        self.pins: dict[str, str] = {}  # did -> pinned post uri
        self.requests: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self.search_disabled = False
        self.refuse_search_cursor = False
        self.always_include_pins = False
        self.rate_limit = 3000
        self.remaining = 3000
        self.base_url = ""
        self._t0 = datetime(2024, 2, 1, 0, 0, 0, tzinfo=timezone.utc)
        self._tick = 0
        self._seq = 0
        feed01 = load_fixture("author-feed__01.json")
        feed03 = load_fixture("author-feed__03.json")
        self._post_template = feed01[3]["post"]  # a plain post ("hey there")
        self._quote_view_template = feed01[1]["post"]["embed"]  # app.bsky.embed.record#view
        self._rwm_view_template = feed03[2]["post"]["embed"]  # app.bsky.embed.recordWithMedia#view
        self._rwm_record_template = feed03[2]["post"]["record"]["embed"]
        self._repost_reason_template = feed03[0]["reason"]
        self._pin_reason_template = load_fixture("author-feed__07.json")[0]["reason"]
        self.app = web.Application(middlewares=[self._middleware])
        self.app.router.add_get("/xrpc/app.bsky.feed.searchPosts", self._search_posts)
        self.app.router.add_get("/xrpc/app.bsky.feed.getAuthorFeed", self._author_feed)
        self.app.router.add_get("/xrpc/app.bsky.feed.getPosts", self._get_posts)
        self.app.router.add_get("/xrpc/app.bsky.feed.getLikes", self._get_likes)
        self.likes: dict[str, list[dict[str, Any]]] = {}  # post uri -> [{actor did, createdAt, indexedAt}]
        self._first_cursor: dict[str, str] = {}  # path -> the first cursor it gave (repeat_cursor_next)
        self.endless_actors: set[str] = set()  # DIDs whose author feed never ends (older posts made up)

    # ------------------------------------------------------------------ data

    def now(self) -> datetime:
        self._tick += 1
        return self._t0 + timedelta(seconds=self._tick)

    def add_profile(
        self, handle: str, *, display_name: str | None = None, description: str | None = None
    ) -> dict[str, Any]:
        prof = copy.deepcopy(self._post_template["author"])
        did = did_for(handle)
        prof["did"] = did
        prof["handle"] = handle
        if display_name is None:
            prof.pop("displayName", None)
        else:
            prof["displayName"] = display_name
        if description is not None:
            prof["description"] = description
        prof["avatar"] = f"https://cdn.bsky.app/img/avatar/plain/{did}/{cid_for(did)}@jpeg"
        prof["createdAt"] = iso(self._t0 - timedelta(days=300))
        prof["labels"] = []
        self.profiles[did] = prof
        self.handles[handle] = did
        return prof

    def _rkey(self, when: datetime) -> str:
        self._seq += 1
        micros = int(when.timestamp() * 1_000_000) + self._seq
        return tid(micros, self._seq)

    def add_post(
        self,
        author: dict[str, Any],
        text: str = "halo",
        *,
        created_at: datetime | None = None,
        indexed_at: datetime | None = None,
        reply_to: dict[str, Any] | str | None = None,
        quote_of: dict[str, Any] | str | None = None,
        with_media: bool = False,
        embed_view: dict[str, Any] | None = None,
        publish: bool = True,
    ) -> dict[str, Any]:
        """Create a post (a ``postView``), the newest so far unless ``created_at`` says otherwise.

        ``reply_to`` / ``quote_of``: a post view or an at:// URI (e.g. of a deleted post).
        ``with_media``: the quote is ``recordWithMedia``. ``embed_view`` replaces the embedded
        view the AppView would compute (e.g. ``#viewBlocked``). ``publish=False``: build only.
        """
        created = created_at or self.now()
        indexed = indexed_at or created + timedelta(milliseconds=200)
        rkey = self._rkey(created)
        uri = f"at://{author['did']}/app.bsky.feed.post/{rkey}"
        pv = copy.deepcopy(self._post_template)
        pv["uri"] = uri
        pv["cid"] = cid_for(uri)
        pv["author"] = copy.deepcopy(author)
        pv["indexedAt"] = iso(indexed)
        pv["labels"] = []
        pv["likeCount"] = pv["replyCount"] = pv["repostCount"] = pv["quoteCount"] = 0
        pv.pop("embed", None)
        record = {"$type": "app.bsky.feed.post", "createdAt": iso(created), "langs": ["id"], "text": text}
        if reply_to is not None:
            p_uri = reply_to if isinstance(reply_to, str) else reply_to["uri"]
            root_uri = p_uri
            if not isinstance(reply_to, str):
                parent_reply = reply_to["record"].get("reply")
                if parent_reply:
                    root_uri = parent_reply["root"]["uri"]
            record["reply"] = {
                "parent": {"cid": cid_for(p_uri), "uri": p_uri},
                "root": {"cid": cid_for(root_uri), "uri": root_uri},
            }
        if quote_of is not None:
            q_uri = quote_of if isinstance(quote_of, str) else quote_of["uri"]
            ref = {"cid": cid_for(q_uri), "uri": q_uri}
            if with_media:
                emb = copy.deepcopy(self._rwm_record_template)
                emb["record"]["record"] = ref
            else:
                emb = {"$type": "app.bsky.embed.record", "record": ref}
            record["embed"] = emb
        pv["record"] = record
        if publish:
            self.posts[uri] = {
                "view": pv,
                "sort_at": min(created, indexed),
                "did": author["did"],
                "embed_view": embed_view,
            }
            self.entries.append(
                _Entry(
                    min(created, indexed), pv["cid"], lambda u=uri: self._feed_item(u), actor=author["did"],
                    search_text=text, is_reply=reply_to is not None, uri=uri,
                )
            )
        return pv

    def repost(self, by: dict[str, Any], post: dict[str, Any], *, at: datetime | None = None) -> dict[str, Any]:
        """``by`` reposts ``post``; returns the ``reasonRepost`` the feed shows."""
        when = at or self.now()
        r_uri = f"at://{by['did']}/app.bsky.feed.repost/{self._rkey(when)}"
        reason = copy.deepcopy(self._repost_reason_template)
        reason["by"] = copy.deepcopy(by)
        reason["uri"] = r_uri
        reason["cid"] = cid_for(r_uri)
        reason["indexedAt"] = iso(when)
        post_uri = post["uri"]

        def build() -> Any:
            item = self._feed_item(post_uri)
            if item is None:
                return None
            item.pop("reply", None)
            item["reason"] = copy.deepcopy(reason)
            return item

        self.entries.append(_Entry(when, reason["cid"], build, actor=by["did"]))
        return reason

    def put_raw(
        self,
        item: Any,
        *,
        when: datetime | None = None,
        actor: dict[str, Any] | None = None,
        search_text: str | None = None,
    ) -> None:
        """Insert any JSON value as a feed item (``actor``) or a search result (``search_text``)."""
        when = when or self.now()
        self.entries.append(
            _Entry(when, cid_for(json.dumps(item, sort_keys=True) + iso(when)), lambda: copy.deepcopy(item),
                   actor=actor["did"] if actor else None, search_text=search_text)
        )

    def like(self, by: dict[str, Any], post: dict[str, Any], *, at: datetime | None = None) -> None:
        """``by`` likes ``post`` (its ``likeCount`` goes up)."""
        when = at or self.now()
        self.likes.setdefault(post["uri"], []).append({"did": by["did"], "createdAt": iso(when), "indexedAt": iso(when)})
        stored = self.posts.get(post["uri"])
        if stored is not None:
            stored["view"]["likeCount"] = len(self.likes[post["uri"]])

    def delete_post(self, uri: str) -> None:
        self.posts.pop(uri, None)

    def pin(self, author: dict[str, Any], post: dict[str, Any]) -> None:
        self.pins[author["did"]] = post["uri"]

    # ------------------------------------------------------------------ views

    def _hydrate(self, uri: str) -> dict[str, Any] | None:
        """A ``postView`` as the AppView computes it now (embedded quotes resolved)."""
        stored = self.posts.get(uri)
        if stored is None:
            return None
        pv = copy.deepcopy(stored["view"])
        emb = pv["record"].get("embed")
        if emb:
            ref = emb["record"]["record"] if emb["$type"] == "app.bsky.embed.recordWithMedia" else emb["record"]
            shown = stored["embed_view"]
            if shown is None:
                target = self.posts.get(ref["uri"])
                if target is None:
                    shown = {"$type": "app.bsky.embed.record#viewNotFound", "notFound": True, "uri": ref["uri"]}
                else:
                    shown = copy.deepcopy(self._quote_view_template["record"])
                    tv = target["view"]
                    shown.update(
                        uri=tv["uri"], cid=tv["cid"], author=copy.deepcopy(tv["author"]),
                        value=copy.deepcopy(tv["record"]), indexedAt=tv["indexedAt"], embeds=[], labels=[],
                    )
            if emb["$type"] == "app.bsky.embed.recordWithMedia":
                view = copy.deepcopy(self._rwm_view_template)
                view["record"]["record"] = shown
            else:
                view = {"$type": "app.bsky.embed.record#view", "record": shown}
            pv["embed"] = view
        return pv

    def _ref_view(self, uri: str) -> dict[str, Any]:
        pv = self._hydrate(uri)
        if pv is None:
            return {"$type": "app.bsky.feed.defs#notFoundPost", "notFound": True, "uri": uri}
        return {"$type": "app.bsky.feed.defs#postView", **pv}

    def _feed_item(self, uri: str) -> dict[str, Any] | None:
        pv = self._hydrate(uri)
        if pv is None:
            return None
        item: dict[str, Any] = {"post": pv}
        reply = pv["record"].get("reply")
        if reply:
            item["reply"] = {
                "parent": self._ref_view(reply["parent"]["uri"]),
                "root": self._ref_view(reply["root"]["uri"]),
            }
        return item

    # ------------------------------------------------------------------ faults

    def _add_fault(self, kind: str, n: int, path_prefix: str | None, **params: Any) -> None:
        self.faults.append(Fault(kind, n, path_prefix, params))

    def fail_next(self, n: int = 1, status: int = 502, *, path_prefix: str | None = None) -> None:
        self._add_fault("status", n, path_prefix, status=status)

    def rate_limit_next(
        self, n: int = 1, *, reset_in_s: float = 30.0, retry_after: bool = True, path_prefix: str | None = None
    ) -> None:
        """429 ``RateLimitExceeded`` with ``RateLimit-Remaining: 0`` and ``RateLimit-Reset`` (now +
        ``reset_in_s``, Unix seconds); with ``retry_after`` also ``Retry-After`` (seconds), as
        current xrpc-server sends; without it, as older servers did."""
        self._add_fault("rate_limit", n, path_prefix, reset_in_s=reset_in_s, retry_after=retry_after)

    def exhaust_quota_next(self, n: int = 1, *, reset_in_s: float = 20.0, path_prefix: str | None = None) -> None:
        """Answer normally but with ``RateLimit-Remaining: 0`` and a reset ``reset_in_s`` away."""
        self._add_fault("quota", n, path_prefix, reset_in_s=reset_in_s)

    def slow_next(self, n: int = 1, *, delay_s: float = 1.0, path_prefix: str | None = None) -> None:
        self._add_fault("slow", n, path_prefix, delay_s=delay_s)

    def truncate_next(self, n: int = 1, *, mode: str = "cut", path_prefix: str | None = None) -> None:
        """``cut``: a complete response whose JSON body is cut in half; ``disconnect``: full
        Content-Length declared, half sent, then the connection is closed."""
        assert mode in ("cut", "disconnect")
        self._add_fault("truncate", n, path_prefix, mode=mode)

    def html_next(self, n: int = 1, *, status: int = 200, path_prefix: str | None = None) -> None:
        self._add_fault("html", n, path_prefix, status=status)

    def repeat_cursor_next(self, n: int = 1, *, path_prefix: str | None = None, after: int = 0) -> None:
        """The answer carries, instead of its own ``cursor``, the first cursor ever given on that path."""
        self._add_fault("repeat_cursor", n, path_prefix, after=after)

    # ------------------------------------------------------------------ http plumbing

    def _rate_headers(self, remaining: int | None = None, reset_in_s: float = 300.0) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.rate_limit),
            "RateLimit-Remaining": str(self.remaining if remaining is None else remaining),
            "RateLimit-Reset": str(math.floor(time.time() + reset_in_s)),
            "RateLimit-Policy": f"{self.rate_limit};w=300",
        }

    @staticmethod
    def _xrpc_error(status: int, error: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
        return web.json_response({"error": error, "message": message}, status=status, headers=headers)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        entry = LoggedRequest(
            request.method, request.path, dict(request.query), dict(request.headers), list(request.query.items())
        )
        self.requests.append(entry)
        self.remaining -= 1
        if self.remaining <= 1:
            self.remaining = self.rate_limit
        fault = next((f for f in self.faults if f.matches(request.path)), None)
        if fault is not None and fault.params.get("after", 0) > 0:
            fault.params["after"] -= 1
            fault = None
        if fault is not None:
            fault.count -= 1
        kind = fault.kind if fault else None
        p = fault.params if fault else {}
        if kind == "status":
            entry.status = p["status"]
            return self._xrpc_error(p["status"], "InternalServerError", "Internal Server Error", self._rate_headers())
        if kind == "rate_limit":
            hdrs = self._rate_headers(remaining=0, reset_in_s=p["reset_in_s"])
            if p["retry_after"]:
                hdrs["Retry-After"] = str(math.ceil(p["reset_in_s"]))
            entry.status = 429
            return self._xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", hdrs)
        if kind == "html":
            entry.status = p["status"]
            return web.Response(
                status=p["status"], text="<!DOCTYPE html><html><body><h1>Bad gateway</h1></body></html>",
                content_type="text/html",
            )
        if kind == "slow":
            await asyncio.sleep(p["delay_s"])
        resp = await handler(request)
        entry.status = resp.status
        if isinstance(resp, web.Response) and resp.status == 200 and resp.body is not None:
            data = json.loads(bytes(resp.body))
            if isinstance(data, dict) and data.get("cursor"):
                first = self._first_cursor.setdefault(request.path, data["cursor"])
                if kind == "repeat_cursor":
                    data["cursor"] = first
                    resp = self._json(data)
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
                cut.headers.update({k: v for k, v in resp.headers.items() if k.lower().startswith("ratelimit")})
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

    def _json(self, data: Any) -> web.Response:
        return web.Response(text=json.dumps(data, ensure_ascii=False), content_type="application/json")

    def _limit(self, request: web.Request, default: int) -> int | web.Response:
        raw = request.query.get("limit")
        if raw is None:
            return default
        try:
            n = int(raw)
        except ValueError:
            return self._xrpc_error(400, "InvalidRequest", "Error: limit must be an integer")
        if n < 1:
            return self._xrpc_error(400, "InvalidRequest", "Error: limit can not be less than 1")
        if n > 100:
            return self._xrpc_error(400, "InvalidRequest", "Error: limit can not be greater than 100")
        return n

    def _sorted(self, entries: list[_Entry]) -> list[_Entry]:
        return sorted(entries, key=lambda e: (e.sort_at, e.cid), reverse=True)

    # ------------------------------------------------------------------ handlers

    async def _search_posts(self, request: web.Request) -> web.Response:
        q = request.query.get("q")
        if self.search_disabled or (self.refuse_search_cursor and "cursor" in request.query):
            return web.Response(
                status=403, text="403 Forbidden\nRequest forbidden by administrative rules.", content_type="text/html"
            )
        if q is None:
            return self._xrpc_error(400, "InvalidRequest", 'Error: Params must have the property "q"')
        limit = self._limit(request, 25)
        if isinstance(limit, web.Response):
            return limit
        since = parse_iso(request.query["since"]) if "since" in request.query else None
        until = parse_iso(request.query["until"]) if "until" in request.query else None
        if ("since" in request.query and since is None) or ("until" in request.query and until is None):
            return self._xrpc_error(400, "BadQueryString", "invalid since/until")
        needle = q.casefold()
        hits = [
            e for e in self._sorted(self.entries)
            if e.search_text is not None and needle in e.search_text.casefold()
            and (e.uri is None or e.uri in self.posts)
            and (since is None or e.sort_at >= since) and (until is None or e.sort_at < until)
        ]
        try:
            offset = int(request.query.get("cursor", "0"))
        except ValueError:
            return self._xrpc_error(400, "InvalidRequest", "Malformed cursor")
        page = hits[offset : offset + limit]
        out: dict[str, Any] = {"hitsTotal": len(hits), "posts": []}
        for e in page:
            item = e.build()
            if item is None:
                continue
            out["posts"].append(item["post"] if isinstance(item, dict) and "post" in item and e.uri else item)
        if offset + limit < len(hits):
            out["cursor"] = str(offset + limit)
        return self._json(out)

    async def _get_likes(self, request: web.Request) -> web.Response:
        """``app.bsky.feed.getLikes``: ``{uri, cursor?, likes: [{indexedAt, createdAt, actor}]}``, newest first."""
        uri = request.query.get("uri")
        if not uri:
            return self._xrpc_error(400, "InvalidRequest", 'Error: Params must have the property "uri"')
        limit = self._limit(request, 50)
        if isinstance(limit, web.Response):
            return limit
        try:
            offset = int(request.query.get("cursor", "0"))
        except ValueError:
            return self._xrpc_error(400, "InvalidRequest", "Malformed cursor")
        likes = sorted(self.likes.get(uri, []), key=lambda x: x["createdAt"], reverse=True)
        page = likes[offset : offset + limit]
        out: dict[str, Any] = {"uri": uri, "likes": [
            {"indexedAt": x["indexedAt"], "createdAt": x["createdAt"], "actor": copy.deepcopy(self.profiles[x["did"]])}
            for x in page
        ]}
        if offset + limit < len(likes):
            out["cursor"] = str(offset + limit)
        return self._json(out)

    async def _author_feed(self, request: web.Request) -> web.Response:
        actor = request.query.get("actor")
        if not actor:
            return self._xrpc_error(400, "InvalidRequest", 'Error: Params must have the property "actor"')
        did = actor if actor.startswith("did:") else self.handles.get(actor.lower())
        if did is None or did not in self.profiles:
            return self._xrpc_error(400, "InvalidRequest", "Profile not found")
        limit = self._limit(request, 50)
        if isinstance(limit, web.Response):
            return limit
        flt = request.query.get("filter", "posts_with_replies")
        entries = [
            e for e in self._sorted(self.entries)
            if e.actor == did and (e.uri is None or e.uri in self.posts)
            and not (flt == "posts_no_replies" and e.is_reply)
        ]
        cursor = request.query.get("cursor")
        if cursor:
            primary, sep, secondary = cursor.partition("__")
            if not sep or not primary.isdigit() or not secondary:
                return self._xrpc_error(400, "InvalidRequest", "Malformed cursor")
            key = (datetime.fromtimestamp(int(primary) / 1000, tz=timezone.utc), secondary)
            if did in self.endless_actors and len([e for e in entries if (e.sort_at, e.cid) < key]) < limit:
                for k in range(limit):  # an endless feed: a full page of older posts, made up now
                    pv = self.add_post(self.profiles[did], f"unggahan lama {k}", created_at=key[0] - timedelta(minutes=k + 1))
                    entries.append(next(e for e in self.entries if e.uri == pv["uri"]))
                entries = self._sorted(entries)
            entries = [e for e in entries if (e.sort_at, e.cid) < key]
        page = entries[:limit]
        feed = [it for it in (e.build() for e in page) if it is not None]
        pinned = self.pins.get(did)
        with_pins = request.query.get("includePins") == "true" or self.always_include_pins
        if pinned and with_pins and not cursor and pinned in self.posts:
            # The pinned post moves to the top of the first page (reasonPin), as in the snapshots.
            feed = [it for it in feed if not (it.get("post", {}).get("uri") == pinned and "reason" not in it)]
            item = self._feed_item(pinned)
            assert item is not None
            item["post"]["viewer"]["pinned"] = True
            item["reason"] = copy.deepcopy(self._pin_reason_template)
            feed.insert(0, item)
        out: dict[str, Any] = {"feed": feed}
        if page:
            last = page[-1]
            out["cursor"] = f"{int(last.sort_at.timestamp() * 1000)}__{last.cid}"
        return self._json(out)

    async def _get_posts(self, request: web.Request) -> web.Response:
        uris = request.query.getall("uris", [])
        if not uris:
            return self._xrpc_error(400, "InvalidRequest", 'Error: Params must have the property "uris"')
        if len(uris) > 25:
            return self._xrpc_error(400, "InvalidRequest", "Error: uris must not have more than 25 elements")
        posts = [pv for pv in (self._hydrate(u) for u in uris) if pv is not None]
        return self._json({"posts": posts})

    # ------------------------------------------------------------------ helpers for assertions

    def paths(self, prefix: str = "") -> list[str]:
        return [r.path for r in self.requests if r.path.startswith(prefix)]


async def start_fake_bluesky(fake: FakeBluesky | None = None) -> tuple[FakeBluesky, TestServer]:
    fake = fake or FakeBluesky()
    server = TestServer(fake.app, host="127.0.0.1", port=0)
    await server.start_server(shutdown_timeout=0.5)
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake, server


@pytest.fixture
async def bluesky_server() -> AsyncIterator[FakeBluesky]:
    """A running :class:`FakeBluesky` on 127.0.0.1 (random port); ``.base_url`` to reach it."""
    fake, server = await start_fake_bluesky()
    try:
        yield fake
    finally:
        await server.close()
