"""A local fake of the YouTube Data API v3, for tests (real HTTP on 127.0.0.1, no network).

Endpoints under ``/youtube/v3`` (https://developers.google.com/youtube/v3/docs), read-only:

* ``GET /channels`` (``part``; ``id`` = comma-separated ids, or ``forHandle``)
* ``GET /playlistItems`` (``part``, ``playlistId``, ``maxResults`` 0..50 default 5, ``pageToken``)
* ``GET /videos`` (``part``, ``id`` = up to 50 comma-separated ids)
* ``GET /commentThreads`` (``part``, ``videoId``, ``maxResults`` 1..100 default 20, ``order``
  time|relevance, ``textFormat`` html|plainText, ``pageToken``)
* ``GET /comments`` (``part``, ``parentId``, ``maxResults`` 1..100 default 20, ``textFormat``,
  ``pageToken``)

JSON shapes follow the resource representations of the reference pages (``kind``, ``etag``,
``nextPageToken``, ``pageInfo``, ``items``; ``commentThread`` with ``snippet.topLevelComment``,
``snippet.totalReplyCount`` and ``replies.comments``; ``comment`` with ``authorChannelId.value``,
``textDisplay``, ``textOriginal``, ``parentId``...). Templates below are those representations
filled with sample values; only ids, texts and times vary. ``statistics`` counts are strings, as
the API sends them; ``commentCount`` is absent when comments are disabled; a ``channels.list``
that matches nothing has no ``items`` key.

Errors use Google's shape ``{"error": {"code", "message", "errors": [{"message", "domain",
"reason", ...}]}}``: 400 ``keyInvalid`` when the API key (``X-Goog-Api-Key`` header or ``key``
query parameter) is missing or wrong, 400 ``missingRequiredParameter``, 400 ``invalidPageToken``,
403 ``commentsDisabled`` / ``forbidden``, 404 ``videoNotFound`` / ``playlistNotFound``, 403
``quotaExceeded`` once :attr:`FakeYouTube.quota_limit` units are spent (every call costs 1 unit,
as documented for these methods).

Page tokens are opaque (base64 JSON). ``commentThreads`` with ``order=time`` is newest first
and its token is anchored on the last item returned (new comments at the head do not shift later
pages), like the real API's tokens.

Fault injection (each for the next N matching requests, optionally only for a path prefix and
only after ``after`` matching requests went through): :meth:`FakeYouTube.fail_next` (5xx),
:meth:`rate_limit_next` (429 + Retry-After and/or ``X-RateLimit-Remaining: 0`` + Reset),
:meth:`quota_next` (403 quotaExceeded), :meth:`error_next` (any Google error), :meth:`slow_next`,
:meth:`truncate_next` (cut JSON body or dropped connection), :meth:`html_next`.
:attr:`requests` logs every request.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import html
import json
import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

API_PREFIX = "/youtube/v3"
API_KEY = "AIzaSyFAKE-test-key-0000000000000000000"

# ---------------------------------------------------------------- templates (reference shapes)

CHANNEL_TEMPLATE: dict[str, Any] = {
    "kind": "youtube#channel",
    "etag": "",
    "id": "",
    "snippet": {
        "title": "",
        "description": "",
        "customUrl": "",
        "publishedAt": "2015-03-02T04:11:20Z",
        "thumbnails": {
            "default": {"url": "https://yt3.ggpht.com/ytc/default-s88", "width": 88, "height": 88},
        },
        "localized": {"title": "", "description": ""},
        "country": "ID",
    },
    "contentDetails": {"relatedPlaylists": {"likes": "", "uploads": ""}},
}

PLAYLIST_ITEM_TEMPLATE: dict[str, Any] = {
    "kind": "youtube#playlistItem",
    "etag": "",
    "id": "",
    "snippet": {
        "publishedAt": "",
        "channelId": "",
        "title": "",
        "description": "",
        "thumbnails": {"default": {"url": "", "width": 120, "height": 90}},
        "channelTitle": "",
        "playlistId": "",
        "position": 0,
        "resourceId": {"kind": "youtube#video", "videoId": ""},
        "videoOwnerChannelTitle": "",
        "videoOwnerChannelId": "",
    },
    "contentDetails": {"videoId": "", "videoPublishedAt": ""},
}

VIDEO_TEMPLATE: dict[str, Any] = {
    "kind": "youtube#video",
    "etag": "",
    "id": "",
    "snippet": {
        "publishedAt": "",
        "channelId": "",
        "title": "",
        "description": "",
        "thumbnails": {"default": {"url": "", "width": 120, "height": 90}},
        "channelTitle": "",
        "tags": [],
        "categoryId": "25",
        "liveBroadcastContent": "none",
        "defaultAudioLanguage": "id",
        "localized": {"title": "", "description": ""},
    },
    "statistics": {"viewCount": "1520", "likeCount": "87", "favoriteCount": "0", "commentCount": "0"},
}

COMMENT_TEMPLATE: dict[str, Any] = {
    "kind": "youtube#comment",
    "etag": "",
    "id": "",
    "snippet": {
        "channelId": "",
        "videoId": "",
        "textDisplay": "",
        "textOriginal": "",
        "authorDisplayName": "",
        "authorProfileImageUrl": "https://yt3.ggpht.com/ytc/default-s48",
        "authorChannelUrl": "",
        "authorChannelId": {"value": ""},
        "canRate": True,
        "viewerRating": "none",
        "likeCount": 0,
        "publishedAt": "",
        "updatedAt": "",
    },
}

THREAD_TEMPLATE: dict[str, Any] = {
    "kind": "youtube#commentThread",
    "etag": "",
    "id": "",
    "snippet": {
        "channelId": "",
        "videoId": "",
        "topLevelComment": None,
        "canReply": True,
        "totalReplyCount": 0,
        "isPublic": True,
    },
}

ERROR_MESSAGES = {
    "keyInvalid": (400, "usageLimits", "API key not valid. Please pass a valid API key."),
    "missingRequiredParameter": (400, "youtube.parameter", "No filter selected. Expected one of: id, forHandle."),
    "invalidPageToken": (400, "youtube.parameter", "The request specifies an invalid page token."),
    "quotaExceeded": (
        403,
        "youtube.quota",
        'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
    ),
    "dailyLimitExceeded": (403, "usageLimits", "Daily Limit Exceeded. The quota will be reset at midnight Pacific Time (PT)."),
    "rateLimitExceeded": (403, "usageLimits", "Rate Limit Exceeded"),
    "commentsDisabled": (
        403,
        "youtube.commentThread",
        'The video identified by the <code><a href="/youtube/v3/docs/commentThreads/list#videoId">videoId</a></code> parameter has disabled comments.',
    ),
    "forbidden": (403, "youtube.commentThread", "The request is not properly authorized to retrieve the specified comment threads."),
    "videoNotFound": (
        404,
        "youtube.commentThread",
        'The video identified by the <code><a href="/youtube/v3/docs/commentThreads/list#videoId">videoId</a></code> parameter could not be found.',
    ),
    "playlistNotFound": (
        404,
        "youtube.playlistItem",
        'The playlist identified with the request\'s <code>playlistId</code> parameter cannot be found.',
    ),
    "commentNotFound": (404, "youtube.comment", "One or more of the comments identified by the parentId parameter cannot be found."),
}


def google_error_body(reason: str, message: str | None = None, code: int | None = None, domain: str | None = None) -> dict:
    c, d, m = ERROR_MESSAGES.get(reason, (code or 400, domain or "global", message or reason))
    code, domain, message = code or c, domain or d, message or m
    err: dict[str, Any] = {"message": message, "domain": domain, "reason": reason}
    if reason in ("commentsDisabled", "videoNotFound"):
        err.update(location="videoId", locationType="parameter")
    return {"error": {"code": code, "message": message, "errors": [err]}}


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rand(rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits + "-_") -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _etag(rng: random.Random) -> str:
    return _rand(rng, 27)


def _token(obj: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def _untoken(tok: str) -> Any:
    pad = "=" * (-len(tok) % 4)
    return json.loads(base64.urlsafe_b64decode(tok + pad).decode())


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    url: str
    status: int | None = None


@dataclass
class Fault:
    kind: str
    count: int
    path_prefix: str | None = None
    after: int = 0
    params: dict[str, Any] = field(default_factory=dict)

    def matches(self, path: str) -> bool:
        return self.count > 0 and (self.path_prefix is None or path.startswith(self.path_prefix))


@dataclass
class FakeVideo:
    id: str
    channel_id: str
    title: str
    description: str
    published: datetime
    comments_disabled: bool = False
    forbidden_reason: str | None = None  # commentThreads answers 403 with this reason
    threads: list[dict[str, Any]] = field(default_factory=list)  # commentThread resources (no replies part)
    replies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # top comment id -> replies
    public: bool = True


class FakeYouTube:
    """In-memory YouTube. Build data with :meth:`add_channel`, :meth:`add_video`,
    :meth:`add_comment`, :meth:`add_reply`."""

    def __init__(self, *, seed: int = 1, api_key: str = API_KEY) -> None:
        self.rng = random.Random(seed)
        self.api_key = api_key
        self.channels: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, FakeVideo] = {}
        self.requests: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self.quota_limit: int | None = None
        self.quota_used = 0
        self.included_replies = 5
        self.base_url = ""  # the server root; API root is base_url + API_PREFIX
        self._t0 = datetime(2024, 2, 1, 0, 0, 0, tzinfo=timezone.utc)
        self._tick = 0
        self.app = web.Application(middlewares=[self._middleware])
        r = self.app.router
        r.add_get(f"{API_PREFIX}/channels", self._channels)
        r.add_get(f"{API_PREFIX}/playlistItems", self._playlist_items)
        r.add_get(f"{API_PREFIX}/videos", self._videos)
        r.add_get(f"{API_PREFIX}/commentThreads", self._comment_threads)
        r.add_get(f"{API_PREFIX}/comments", self._comments)

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    # ------------------------------------------------------------------ data

    def now(self) -> datetime:
        """A new, later time (one second per call)."""
        self._tick += 1
        return self._t0 + timedelta(seconds=self._tick)

    def add_channel(self, title: str, handle: str | None = None, *, description: str = "") -> dict[str, Any]:
        ch = copy.deepcopy(CHANNEL_TEMPLATE)
        cid = "UC" + _rand(self.rng, 22)
        ch["id"] = cid
        ch["etag"] = _etag(self.rng)
        ch["snippet"]["title"] = ch["snippet"]["localized"]["title"] = title
        ch["snippet"]["description"] = ch["snippet"]["localized"]["description"] = description
        ch["snippet"]["customUrl"] = ("@" + handle.lstrip("@").lower()) if handle else ""
        ch["contentDetails"]["relatedPlaylists"]["uploads"] = "UU" + cid[2:]
        self.channels[cid] = ch
        return ch

    def add_video(
        self,
        channel: dict[str, Any],
        title: str,
        description: str = "",
        *,
        published: datetime | None = None,
        comments_disabled: bool = False,
        public: bool = True,
    ) -> FakeVideo:
        vid = _rand(self.rng, 11)
        v = FakeVideo(vid, channel["id"], title, description, published or self.now(),
                      comments_disabled=comments_disabled, public=public)
        self.videos[vid] = v
        return v

    def _comment(self, video: FakeVideo, text: str, author: str, author_id: str | None,
                 when: datetime, cid: str, parent_id: str | None = None) -> dict[str, Any]:
        c = copy.deepcopy(COMMENT_TEMPLATE)
        c["id"] = cid
        c["etag"] = _etag(self.rng)
        sn = c["snippet"]
        sn["channelId"] = video.channel_id
        sn["videoId"] = video.id
        sn["textOriginal"] = text
        sn["textDisplay"] = text
        sn["authorDisplayName"] = author
        aid = author_id or ("UC" + _rand(self.rng, 22))
        sn["authorChannelId"] = {"value": aid}
        sn["authorChannelUrl"] = f"http://www.youtube.com/{author}" if author.startswith("@") else f"http://www.youtube.com/channel/{aid}"
        sn["publishedAt"] = sn["updatedAt"] = iso(when)
        if parent_id:
            sn["parentId"] = parent_id
        return c

    def add_comment(
        self,
        video: FakeVideo,
        text: str,
        author: str = "@wargabiasa",
        *,
        author_id: str | None = None,
        when: datetime | None = None,
    ) -> dict[str, Any]:
        """A new top-level comment (a commentThread). Returns the thread resource."""
        cid = "Ugz" + _rand(self.rng, 20, string.ascii_letters + string.digits) + "4AaABAg"
        top = self._comment(video, text, author, author_id, when or self.now(), cid)
        th = copy.deepcopy(THREAD_TEMPLATE)
        th["id"] = cid
        th["etag"] = _etag(self.rng)
        th["snippet"]["channelId"] = video.channel_id
        th["snippet"]["videoId"] = video.id
        th["snippet"]["topLevelComment"] = top
        video.threads.append(th)
        video.replies[cid] = []
        return th

    def add_reply(
        self,
        video: FakeVideo,
        thread: dict[str, Any],
        text: str,
        author: str = "@tetangga",
        *,
        author_id: str | None = None,
        when: datetime | None = None,
    ) -> dict[str, Any]:
        top_id = thread["id"]
        rid = f"{top_id}.{_rand(self.rng, 22, string.ascii_letters + string.digits)}"
        r = self._comment(video, text, author, author_id, when or self.now(), rid, parent_id=top_id)
        video.replies[top_id].append(r)
        thread["snippet"]["totalReplyCount"] = len(video.replies[top_id])
        return r

    def put_raw_thread(self, video: FakeVideo, item: Any, sort_time: datetime | None = None) -> None:
        """Insert any JSON value as a thread (for malformed payloads); ``sort_time`` places it."""
        item = copy.deepcopy(item)
        if isinstance(item, dict):
            item.setdefault("_sort", iso(sort_time or self.now()))
        video.threads.append(item)

    def comment_count(self, video: FakeVideo) -> int:
        return len(video.threads) + sum(len(r) for r in video.replies.values())

    # ------------------------------------------------------------------ faults

    def _add_fault(self, kind: str, n: int, path_prefix: str | None, after: int = 0, **params: Any) -> None:
        if path_prefix is not None and not path_prefix.startswith(API_PREFIX):
            path_prefix = API_PREFIX + path_prefix
        self.faults.append(Fault(kind, n, path_prefix, after, params))

    def fail_next(self, n: int = 1, status: int = 503, *, path_prefix: str | None = None, after: int = 0) -> None:
        self._add_fault("status", n, path_prefix, after, status=status)

    def rate_limit_next(self, n: int = 1, *, retry_after: str | None = "1", reset_in_s: float | None = None,
                        path_prefix: str | None = None, after: int = 0) -> None:
        """429 ``RESOURCE_EXHAUSTED``, with ``Retry-After`` if given, and ``X-RateLimit-Remaining: 0``
        + ``X-RateLimit-Reset`` (seconds) if ``reset_in_s`` is given."""
        self._add_fault("rate_limit", n, path_prefix, after, retry_after=retry_after, reset_in_s=reset_in_s)

    def quota_next(self, n: int = 1, *, reason: str = "quotaExceeded", path_prefix: str | None = None, after: int = 0) -> None:
        self._add_fault("error", n, path_prefix, after, reason=reason)

    def error_next(self, reason: str, n: int = 1, *, path_prefix: str | None = None, after: int = 0) -> None:
        self._add_fault("error", n, path_prefix, after, reason=reason)

    def slow_next(self, n: int = 1, *, delay_s: float = 1.0, path_prefix: str | None = None, after: int = 0) -> None:
        self._add_fault("slow", n, path_prefix, after, delay_s=delay_s)

    def truncate_next(self, n: int = 1, *, mode: str = "cut", path_prefix: str | None = None, after: int = 0) -> None:
        assert mode in ("cut", "disconnect")
        self._add_fault("truncate", n, path_prefix, after, mode=mode)

    def html_next(self, n: int = 1, *, status: int = 200, path_prefix: str | None = None, after: int = 0) -> None:
        self._add_fault("html", n, path_prefix, after, status=status)

    def reset_quota(self) -> None:
        self.quota_used = 0

    # ------------------------------------------------------------------ http plumbing

    def _err(self, reason: str, **kw: Any) -> web.Response:
        body = google_error_body(reason, **kw)
        return web.json_response(body, status=body["error"]["code"])

    def _pick_fault(self, path: str) -> Fault | None:
        for f in self.faults:
            if f.matches(path):
                if f.after > 0:
                    f.after -= 1
                    continue
                f.count -= 1
                return f
        return None

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        entry = LoggedRequest(request.method, request.path, dict(request.query), dict(request.headers), str(request.url))
        self.requests.append(entry)
        fault = self._pick_fault(request.path)
        resp = await self._respond(request, handler, fault)
        entry.status = resp.status
        return resp

    async def _respond(self, request: web.Request, handler: Any, fault: Fault | None) -> web.StreamResponse:
        key = request.headers.get("X-Goog-Api-Key") or request.query.get("key")
        if key != self.api_key:
            return self._err("keyInvalid")
        kind = fault.kind if fault else None
        p = fault.params if fault else {}
        if kind == "status":
            return web.json_response(
                {"error": {"code": p["status"], "message": "Backend Error",
                           "errors": [{"message": "Backend Error", "domain": "global", "reason": "backendError"}]}},
                status=p["status"],
            )
        if kind == "rate_limit":
            hdrs: dict[str, str] = {}
            if p["retry_after"] is not None:
                hdrs["Retry-After"] = p["retry_after"]
            if p["reset_in_s"] is not None:
                hdrs["X-RateLimit-Remaining"] = "0"
                hdrs["X-RateLimit-Reset"] = str(p["reset_in_s"])
            body = {"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).",
                              "errors": [{"message": "Resource has been exhausted (e.g. check quota).",
                                          "domain": "global", "reason": "rateLimitExceeded"}],
                              "status": "RESOURCE_EXHAUSTED"}}
            return web.json_response(body, status=429, headers=hdrs)
        if kind == "error":
            return self._err(p["reason"])
        if kind == "html":
            return web.Response(status=p["status"], content_type="text/html",
                                text="<!DOCTYPE html><html><body><h1>Error 502 (Server Error)</h1></body></html>")
        if self.quota_limit is not None:
            if self.quota_used >= self.quota_limit:
                return self._err("quotaExceeded")
            self.quota_used += 1
        if kind == "slow":
            await asyncio.sleep(p["delay_s"])
        resp = await handler(request)
        if kind == "truncate":
            assert isinstance(resp, web.Response) and resp.body is not None
            body = bytes(resp.body)
            half = body[: max(1, len(body) // 2)]
            if p["mode"] == "cut":
                return web.Response(body=half, status=resp.status, content_type="application/json")
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

    def _max_results(self, request: web.Request, default: int, lo: int, hi: int) -> int | None:
        raw = request.query.get("maxResults")
        if raw is None:
            return default
        try:
            n = int(raw)
        except ValueError:
            return None
        return n if lo <= n <= hi else None

    def _list(self, kind: str, items: list[Any], per_page: int, next_token: str | None, total: int) -> web.Response:
        body: dict[str, Any] = {"kind": kind, "etag": _etag(self.rng)}
        if next_token:
            body["nextPageToken"] = next_token
        body["pageInfo"] = {"totalResults": total, "resultsPerPage": per_page}
        body["items"] = items
        return self._json(body)

    def _offset(self, request: web.Request) -> int | None:
        tok = request.query.get("pageToken")
        if not tok:
            return 0
        try:
            obj = _untoken(tok)
            return int(obj["o"])
        except (ValueError, KeyError, TypeError):
            return None

    # ------------------------------------------------------------------ handlers

    async def _channels(self, request: web.Request) -> web.Response:
        q = request.query
        if not q.get("part"):
            return self._err("missingRequiredParameter", message="No filter selected. Expected one of: part.")
        if q.get("forHandle"):
            h = q["forHandle"].strip().lower()
            h = h if h.startswith("@") else "@" + h
            found = [c for c in self.channels.values() if c["snippet"]["customUrl"] == h]
        elif q.get("id"):
            ids = [i for i in q["id"].split(",") if i]
            found = [self.channels[i] for i in ids if i in self.channels]
        else:
            return self._err("missingRequiredParameter")
        body: dict[str, Any] = {"kind": "youtube#channelListResponse", "etag": _etag(self.rng),
                                "pageInfo": {"totalResults": len(found), "resultsPerPage": 5}}
        if found:  # the real API leaves "items" out when nothing matches
            body["items"] = copy.deepcopy(found)
        return self._json(body)

    def _uploads_of(self, playlist_id: str) -> list[FakeVideo] | None:
        cid = "UC" + playlist_id[2:] if playlist_id.startswith("UU") else None
        if cid is None or cid not in self.channels:
            return None
        vids = [v for v in self.videos.values() if v.channel_id == cid]
        return sorted(vids, key=lambda v: v.published, reverse=True)

    async def _playlist_items(self, request: web.Request) -> web.Response:
        q = request.query
        if not q.get("part") or not q.get("playlistId"):
            return self._err("missingRequiredParameter")
        vids = self._uploads_of(q["playlistId"])
        if vids is None:
            return self._err("playlistNotFound")
        per = self._max_results(request, 5, 0, 50)
        off = self._offset(request)
        if per is None or off is None:
            return self._err("invalidPageToken" if off is None else "badRequest", code=400)
        ch = self.channels[vids[0].channel_id] if vids else None
        items = []
        for pos, v in enumerate(vids[off:off + per], start=off):
            it = copy.deepcopy(PLAYLIST_ITEM_TEMPLATE)
            it["etag"] = _etag(self.rng)
            it["id"] = base64.b64encode(f"{q['playlistId']}.{v.id}".encode()).decode().rstrip("=")
            sn = it["snippet"]
            sn["publishedAt"] = iso(v.published)
            sn["channelId"] = sn["videoOwnerChannelId"] = v.channel_id
            sn["channelTitle"] = sn["videoOwnerChannelTitle"] = ch["snippet"]["title"] if ch else ""
            sn["title"] = v.title if v.public else "Private video"
            sn["description"] = v.description if v.public else "This video is private."
            sn["playlistId"] = q["playlistId"]
            sn["position"] = pos
            sn["resourceId"]["videoId"] = v.id
            it["contentDetails"]["videoId"] = v.id
            if v.public:
                it["contentDetails"]["videoPublishedAt"] = iso(v.published)
            else:
                del it["contentDetails"]["videoPublishedAt"]
            items.append(it)
        nxt = _token({"o": off + per}) if off + per < len(vids) else None
        return self._list("youtube#playlistItemListResponse", items, per, nxt, len(vids))

    async def _videos(self, request: web.Request) -> web.Response:
        q = request.query
        if not q.get("part") or not q.get("id"):
            return self._err("missingRequiredParameter")
        ids = [i for i in q["id"].split(",") if i]
        if len(ids) > 50:
            return self._err("badRequest", code=400, message="The request specifies more than 50 video ids.")
        items = []
        for vid in ids:
            v = self.videos.get(vid)
            if v is None or not v.public:
                continue  # unknown and private videos are simply left out
            it = copy.deepcopy(VIDEO_TEMPLATE)
            it["etag"] = _etag(self.rng)
            it["id"] = v.id
            sn = it["snippet"]
            sn["publishedAt"] = iso(v.published)
            sn["channelId"] = v.channel_id
            sn["channelTitle"] = self.channels[v.channel_id]["snippet"]["title"]
            sn["title"] = sn["localized"]["title"] = v.title
            sn["description"] = sn["localized"]["description"] = v.description
            if v.comments_disabled:
                del it["statistics"]["commentCount"]
            else:
                it["statistics"]["commentCount"] = str(self.comment_count(v))
            items.append(it)
        return self._list("youtube#videoListResponse", items, len(items), None, len(items))

    def _render(self, c: dict[str, Any], text_format: str) -> dict[str, Any]:
        c = copy.deepcopy(c)
        sn = c.get("snippet") if isinstance(c, dict) else None
        if isinstance(sn, dict) and text_format != "plainText" and isinstance(sn.get("textDisplay"), str):
            sn["textDisplay"] = html.escape(sn["textDisplay"]).replace("\n", "<br>")
        return c

    @staticmethod
    def _thread_sort_key(th: Any) -> tuple[str, str]:
        if isinstance(th, dict) and "_sort" in th:
            return (th["_sort"], str(th.get("id", "")))
        try:
            return (th["snippet"]["topLevelComment"]["snippet"]["publishedAt"], th["id"])
        except (KeyError, TypeError):
            return ("", "")

    async def _comment_threads(self, request: web.Request) -> web.Response:
        q = request.query
        if not q.get("part"):
            return self._err("missingRequiredParameter")
        vid = q.get("videoId")
        if not vid:
            return self._err("missingRequiredParameter")
        v = self.videos.get(vid)
        if v is None or not v.public:
            return self._err("videoNotFound")
        if v.comments_disabled:
            return self._err("commentsDisabled")
        if v.forbidden_reason:
            return self._err(v.forbidden_reason)
        per = self._max_results(request, 20, 1, 100)
        if per is None:
            return self._err("badRequest", code=400, message="Invalid value for maxResults")
        parts = set(q["part"].split(","))
        fmt = q.get("textFormat", "html")
        threads = sorted(v.threads, key=self._thread_sort_key, reverse=True)  # order=time: newest first
        tok = q.get("pageToken")
        if tok:
            try:
                anchor = tuple(_untoken(tok)["after"])
            except (ValueError, KeyError, TypeError):
                return self._err("invalidPageToken")
            threads = [t for t in threads if self._thread_sort_key(t) < anchor]
        page = threads[:per]
        items = []
        for th in page:
            out = copy.deepcopy(th)
            if isinstance(out, dict):
                out.pop("_sort", None)
                try:
                    out["snippet"]["topLevelComment"] = self._render(out["snippet"]["topLevelComment"], fmt)
                    top_id = out["snippet"]["topLevelComment"]["id"]
                except (KeyError, TypeError):
                    top_id = None
                reps = v.replies.get(top_id or "", [])
                if "replies" in parts and reps:
                    out["replies"] = {"comments": [self._render(r, fmt) for r in reps[: self.included_replies]]}
            items.append(out)
        nxt = _token({"after": list(self._thread_sort_key(page[-1]))}) if len(threads) > per else None
        return self._list("youtube#commentThreadListResponse", items, per, nxt, len(page))

    def delete_comment(self, comment_id: str) -> None:
        """The author deletes a comment (a top-level comment goes with its thread and replies)."""
        for v in self.videos.values():
            v.threads = [t for t in v.threads if not (isinstance(t, dict) and t.get("id") == comment_id)]
            v.replies.pop(comment_id, None)
            for reps in v.replies.values():
                reps[:] = [r for r in reps if r.get("id") != comment_id]

    def delete_video(self, video_id: str) -> None:
        self.videos.pop(video_id, None)

    def _comment_by_id(self, cid: str) -> dict[str, Any] | None:
        for v in self.videos.values():
            for th in v.threads:
                try:
                    if th["snippet"]["topLevelComment"]["id"] == cid:
                        return th["snippet"]["topLevelComment"]
                except (KeyError, TypeError):
                    continue
            for reps in v.replies.values():
                for r in reps:
                    if r.get("id") == cid:
                        return r
        return None

    async def _comments_by_id(self, request: web.Request) -> web.Response:
        """``comments?part=snippet&id=A,B``: the comments that still exist (deleted ones left out)."""
        q = request.query
        ids = [i for i in q["id"].split(",") if i]
        if len(ids) > 50:
            return self._err("badRequest", code=400, message="The request specifies more than 50 comment ids.")
        fmt = q.get("textFormat", "html")
        items = [self._render(c, fmt) for c in (self._comment_by_id(i) for i in ids) if c is not None]
        return self._list("youtube#commentListResponse", items, len(items), None, len(items))

    async def _comments(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("part") and q.get("id"):
            return await self._comments_by_id(request)
        if not q.get("part") or not q.get("parentId"):
            return self._err("missingRequiredParameter")
        parent = q["parentId"]
        reps = next((v.replies[parent] for v in self.videos.values() if parent in v.replies), None)
        if reps is None:
            return self._err("commentNotFound")
        per = self._max_results(request, 20, 1, 100)
        off = self._offset(request)
        if per is None or off is None:
            return self._err("invalidPageToken" if off is None else "badRequest", code=400)
        fmt = q.get("textFormat", "html")
        page = [self._render(r, fmt) for r in reps[off:off + per]]
        nxt = _token({"o": off + per}) if off + per < len(reps) else None
        body: dict[str, Any] = {"kind": "youtube#commentListResponse", "etag": _etag(self.rng)}
        if nxt:
            body["nextPageToken"] = nxt
        body["pageInfo"] = {"totalResults": len(page), "resultsPerPage": per}
        body["items"] = page
        return self._json(body)

    # ------------------------------------------------------------------ helpers for assertions

    def calls(self, endpoint: str) -> list[dict[str, str]]:
        """Query parameters of every request to ``endpoint`` (e.g. ``"commentThreads"``)."""
        return [r.query for r in self.requests if r.path == f"{API_PREFIX}/{endpoint}"]


async def start_fake_youtube(fake: FakeYouTube | None = None) -> tuple[FakeYouTube, TestServer]:
    fake = fake or FakeYouTube()
    server = TestServer(fake.app, host="127.0.0.1", port=0)
    await server.start_server(shutdown_timeout=0.5)
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake, server


@pytest.fixture
async def youtube_server() -> AsyncIterator[FakeYouTube]:
    """A running :class:`FakeYouTube` on 127.0.0.1 (random port); ``.api_url`` to reach it."""
    fake, server = await start_fake_youtube()
    try:
        yield fake
    finally:
        await server.close()
