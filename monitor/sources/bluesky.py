"""``bluesky`` source: post search and author feeds from a Bluesky AppView, without login.

Endpoints (XRPC queries of the public AppView, default ``https://public.api.bsky.app``; lexicons
``app.bsky.feed.*`` in https://github.com/bluesky-social/atproto/tree/main/lexicons):

* ``GET /xrpc/app.bsky.feed.searchPosts?q=&limit=&sort=latest[&since=&until=&lang=][&cursor=]``
  for each query: the ``queries`` option plus, with ``derive_queries = true``, the strong terms
  and hashtags of the enabled rules (``SourceContext.search_terms()``). Returns ``posts``
  (``postView``) and an opaque ``cursor``.
* ``GET /xrpc/app.bsky.feed.getAuthorFeed?actor=&limit=&filter=posts_with_replies[&cursor=]``
  for each actor (handle or DID): the ``actors`` option plus, with ``declared_accounts = true``,
  the roster's declared Bluesky accounts (``SourceContext.declared_accounts("bluesky")``).
  Returns ``feed`` (``feedViewPost``: ``post``, optional ``reply`` context and ``reason``).
* ``GET /xrpc/app.bsky.feed.getPosts?uris=..`` (at most 25 per call), only with
  ``fetch_parents = true``: the parent of a reply whose feed item does not carry it (every search
  result: ``postView`` has no reply context).

No credentials are needed or accepted. Errors have the XRPC shape ``{"error": "InvalidRequest",
"message": "Profile not found"}``; a 4xx for one query or actor fails that feed only. Rate
limits: atproto servers send ``RateLimit-Remaining`` / ``RateLimit-Reset`` (Unix seconds), and
``Retry-After`` on a 429 in recent versions; the shared HTTP client waits for the reset when the
quota is used up, on a 429 or before the next request.

Mapping (``feedViewPost`` / ``postView`` -> :class:`~monitor.models.Post`):

* ``reason`` ``app.bsky.feed.defs#reasonRepost`` -> ``share`` by ``reason.by`` (the reposter),
  ``created_at`` = ``reason.indexedAt``, empty text, ``parent`` = the reposted post (its
  ``record.text`` and author). A repost has no post of its own, so its ``post_id`` is
  ``repost:<reposter DID>:<post at:// URI>`` (unique per reposter and post, stable across runs);
  its ``url`` is the post's "reposted by" page.
* Likes (``likes = true``): for each collected post with a ``likeCount`` (not reposts),
  ``app.bsky.feed.getLikes`` (``uri``, ``cursor``; at most ``likes_max_pages`` pages) gives one
  ``like`` post per entry: ``post_id`` = ``like:<liker DID>:<post URI>``, author = ``actor``,
  ``created_at`` = the like's ``createdAt``, parent = the liked post. Likes are read when the post
  is collected; later likes are not seen. Re-read likes are absorbed by de-duplication.
* ``record.embed`` ``app.bsky.embed.record`` or ``app.bsky.embed.recordWithMedia`` pointing at an
  ``app.bsky.feed.post`` -> ``quote``; the parent comes from the post's embed view
  (``#viewRecord``: ``value.text``, ``author``). A quoted post not shown (``#viewNotFound``,
  ``#viewBlocked``, ``#viewDetached``, or no view) keeps the quote with the parent's URI (and the
  author DID from it) only. Embedding a feed generator, list or starter pack is not a quote of a
  post: that is a ``post``. A quote that is also a reply is a ``quote``.
* ``record.reply`` -> ``comment``; parent = the feed item's ``reply.parent`` when it is that
  post's view, else the post fetched with ``getPosts``, else the parent URI only (deleted,
  blocked or not fetched -- the comment is never dropped).
* otherwise ``post``.
* ``post_id`` = the post's ``at://`` URI; ``url`` = ``https://bsky.app/profile/<handle>/post/<rkey>``
  (the DID when the handle is ``handle.invalid``); author ``id`` = DID, ``handle``, ``name`` =
  ``displayName``, ``bio`` = ``description`` when the view has one; ``created_at`` =
  ``record.createdAt`` (a missing or zone-less value falls back to ``indexedAt``); ``text`` =
  ``record.text``. ``raw`` = the item as received (``feedViewPost`` or ``postView``), keys sorted,
  compact, UTF-8. An item that cannot be mapped becomes a :class:`Rejected`; the rest goes on.
* Pinned items (``reasonPin``; only sent with ``includePins``, which this source does not ask
  for) are the account's own older post shown on top. They are delivered as that post (same
  ``post_id``, so the store absorbs a repeat), are dropped like any item older than the last
  run, and never count as the head or the end of a walk.

Cursor -- one entry per feed (``search:<query, case-folded>`` or ``actor:<handle or DID>``)::

    {"v": 1, "feeds": {
      "search:#pemilu2024": {"newest": {"t": "2024-02-01T10:00:00.000000Z", "id": "at://..."},
                             "walk": null},
      "actor:budi.bsky.social": {"newest": null,
        "walk": {"cursor": "1706781600000__bafy...", "until": null, "pages_left": 3, "stop": null,
                 "top": {"t": "...", "id": "..."}, "oldest": "2024-01-31T22:00:00.000000Z"}}}}

Both endpoints return newest first and page only *backwards* (``cursor``), so a run cannot ask
for "what is newer than X"; it reads from the head down to what it saw last time:

* ``t`` of an item is its sort time as the AppView orders it: ``reason.indexedAt`` for a
  repost, else the earlier of ``record.createdAt`` and ``indexedAt``. ``id`` is the ``post_id``.
* ``newest`` (the *mark*): the head item of the last completed walk; every item from it down to
  where the first run stopped has been in a batch at or before this one.
* A *walk* reads pages from the head: ``top`` is the head item it started at, ``stop`` the mark it
  must reach (``null`` on a feed's first run), ``cursor`` where the next page starts, ``oldest``
  the oldest ``t`` it has seen. ``newest`` becomes ``top`` only when the walk is finished, so a
  run that dies in the middle resumes the walk from ``cursor`` and loses nothing.
* **First run** of a feed: the head page plus older pages, at most ``max_pages_per_run`` pages in
  total (``pages_left`` counts them down). Older history is not collected.
* **Later runs**: first finish an unfinished walk, then start a new one at the head with
  ``stop = newest``. A walk ends on the page that holds ``stop`` itself or an item older than
  ``stop.t``. Items of the pages read that are older than ``stop.t - overlap_s`` (and ``stop``
  itself) were delivered before and are left out; items inside that window are delivered again
  (the store de-duplicates them): the window catches a post that sorts just below the mark
  although it appeared after the last run (indexed late, or a client clock a little behind). It
  costs no extra request: only pages read anyway are looked at. At most ``max_pages_per_run``
  pages per feed and run; a bigger backlog continues next run.
* The search cursor is an offset: posts arriving while a walk is interrupted shift it, so the
  resumed walk re-reads a few items (de-duplicated) and never skips one; a first-run walk then
  reaches a little less far back. The author feed cursor is a keyset (``<ms>__<cid>``): exact.
* Each batch (one page) carries a deep copy of the whole cursor as it is after that page. A page
  that only changes the cursor gives an empty batch; nothing changed gives no batch.
* Guards: a cursor already used in this run's walk -- the same one again, or a loop
  ``A -> B -> A`` (:class:`~monitor.collect.pagination.PageGuard`; reported in the run's error) --
  or an empty page ends the walk; a server that refuses to page further (4xx for a page with
  ``cursor``) ends it too -- on a first run that only shortens the history, on a later run the
  possible gap is reported in the run's error.
* Search results and the public AppView: Bluesky's public host often refuses unauthenticated
  ``searchPosts`` with ``cursor`` (HTTP 403, "Request forbidden by administrative rules"). When
  that happens the walk goes on with ``until`` = its ``oldest`` + 1 ms instead of ``cursor``
  (``until`` is exclusive and compares the same sort time; the +1 ms re-reads ties, which are
  de-duplicated). A search refused altogether (403 on the first page) fails that query with a
  message saying so.
* A failing feed (after the HTTP client's retries) or an unknown actor (400 ``InvalidRequest``)
  does not stop the others: the run ends with :class:`BlueskyError` naming them after all other
  batches were yielded; the failed feed resumes from its cursor next run.
"""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, AsyncIterator, Mapping
from urllib.parse import quote as urlquote

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.collect.http_source import HttpSource, check_base_url
from monitor.collect.base import Batch, Rejected
from monitor.collect.payload import describe_validation, dump_raw
from monitor.collect.pagination import PageGuard
from monitor.collect.http import FetchError, HttpClient, HttpOptions
from monitor.models import Author, ParentRef, Post

log = logging.getLogger(__name__)

PLATFORM = "bluesky"
CURSOR_VERSION = 1
MAX_TEXT = 100_000
DEFAULT_BASE_URL = "https://public.api.bsky.app"
WEB_BASE = "https://bsky.app"

SEARCH_POSTS = "/xrpc/app.bsky.feed.searchPosts"
GET_AUTHOR_FEED = "/xrpc/app.bsky.feed.getAuthorFeed"
GET_POSTS = "/xrpc/app.bsky.feed.getPosts"
GET_LIKES = "/xrpc/app.bsky.feed.getLikes"
GET_POSTS_MAX = 25  # lexicon: uris maxLength 25

REASON_REPOST = "app.bsky.feed.defs#reasonRepost"
REASON_PIN = "app.bsky.feed.defs#reasonPin"
EMBED_RECORD = "app.bsky.embed.record"
EMBED_RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"
POST_COLLECTION = "app.bsky.feed.post"
INVALID_HANDLE = "handle.invalid"

# atproto identifier syntax (https://atproto.com/specs/handle, https://atproto.com/specs/did)
_HANDLE_RE = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
_DID_RE = re.compile(r"did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]")
_AT_URI_RE = re.compile(r"at://([^/?#]+)/([^/?#]+)/([^/?#]+)")
_LANG_RE = re.compile(r"[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{1,8})*")


# ============================================================================ options


def normalize_actor(value: str) -> str:
    """``@Budi.bsky.social`` -> ``budi.bsky.social``; a DID stays as it is. ValueError if neither."""
    v = value.strip()
    if v.startswith("@"):
        v = v[1:]
    if v.startswith("did:"):
        if len(v) <= 2048 and _DID_RE.fullmatch(v):
            return v
        raise ValueError(f"{value.strip()!r} is not a valid DID")
    v = v.lower()
    if len(v) <= 253 and _HANDLE_RE.fullmatch(v):
        return v
    raise ValueError(f"{value.strip()!r} is not a Bluesky handle (e.g. budi.bsky.social) or DID (did:plc:...)")


def _date_or_datetime(value: str) -> str:
    v = value.strip()
    try:
        date.fromisoformat(v)
        return v
    except ValueError:
        pass
    if parse_time(v) is None:
        raise ValueError(f"{value!r}: use an ISO date (2024-01-01) or a datetime with a zone (2024-01-01T00:00:00Z)")
    return v


class BlueskyOptions(BaseModel):
    """``[sources.NAME]`` with ``type = "bluesky"``."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(DEFAULT_BASE_URL, description="AppView serving app.bsky.* XRPC queries")
    queries: list[str] = Field(default_factory=list, description="searchPosts queries, e.g. '#pemilu2024'")
    derive_queries: bool = Field(False, description="Also search the strong terms of the enabled rules")
    actors: list[str] = Field(default_factory=list, description="Handles or DIDs whose author feed is read")
    declared_accounts: bool = Field(False, description="Also read the roster's declared Bluesky accounts")
    limit: int = Field(100, ge=1, le=100, description="Page size (the lexicons' maximum is 100)")
    max_pages_per_run: int = Field(10, ge=1, le=10_000, description="Per feed and run")
    overlap_s: int = Field(60, ge=0, le=7 * 86400, description="Re-read window below the last mark")
    since: str | None = Field(None, description="searchPosts 'since' (ISO date or datetime)")
    until: str | None = Field(None, description="searchPosts 'until' (ISO date or datetime)")
    lang: str | None = Field(None, description="searchPosts 'lang' filter, e.g. 'id'")
    fetch_parents: bool = Field(True, description="getPosts the parent of a reply when not in the item")
    likes: bool = Field(False, description="Also collect who liked each collected post (getLikes, kind 'like')")
    likes_max_pages: int = Field(1, ge=1, le=100, description="getLikes pages (of 'limit' likes) per post")
    http: HttpOptions = Field(default_factory=HttpOptions)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str) -> str:
        return check_base_url(v, 'https://public.api.bsky.app')

    @field_validator("queries")
    @classmethod
    def _queries(cls, v: list[str]) -> list[str]:
        out: list[str] = []
        seen: set[str] = set()
        for raw in v:
            q = raw.strip()
            if not q:
                raise ValueError("a query is empty")
            if len(q) > 512:
                raise ValueError(f"query {q[:40]!r}... is longer than 512 characters")
            if q.casefold() not in seen:
                seen.add(q.casefold())
                out.append(q)
        return out

    @field_validator("actors")
    @classmethod
    def _actors(cls, v: list[str]) -> list[str]:
        out: list[str] = []
        for raw in v:
            a = normalize_actor(raw)
            if a not in out:
                out.append(a)
        return out

    @field_validator("since", "until", mode="before")
    @classmethod
    def _times(cls, v: Any) -> Any:
        if isinstance(v, datetime):  # a TOML datetime: it needs a zone
            if v.tzinfo is None:
                raise ValueError("a datetime needs a zone, e.g. 2024-01-01T00:00:00+07:00")
            return format_time(v)
        if isinstance(v, date):  # a TOML date
            return v.isoformat()
        return _date_or_datetime(v) if isinstance(v, str) else v

    @field_validator("lang")
    @classmethod
    def _lang(cls, v: str | None) -> str | None:
        if v is not None and not _LANG_RE.fullmatch(v.strip()):
            raise ValueError(f"{v!r} is not a language tag such as 'id' or 'en-US'")
        return None if v is None else v.strip()

    @model_validator(mode="after")
    def _something_to_read(self) -> "BlueskyOptions":
        if not (self.queries or self.derive_queries or self.actors or self.declared_accounts):
            raise ValueError(
                "list at least one of 'queries' or 'actors', or set 'derive_queries' or 'declared_accounts'"
            )
        return self


class BlueskyError(Exception):
    """A run of the Bluesky source could not do everything (details in the message)."""


# ============================================================================ mapping


def parse_time(value: Any) -> datetime | None:
    """An atproto datetime (RFC 3339, zone required) as an aware UTC datetime; None if unusable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        dt = datetime.fromisoformat(value.strip())
        return dt.astimezone(timezone.utc) if dt.tzinfo is not None else None
    except (ValueError, OverflowError):  # not ISO 8601, or out of range once in UTC
        return None


def format_time(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def parse_at_uri(uri: Any) -> tuple[str, str, str] | None:
    """``at://did:plc:x/app.bsky.feed.post/3k..`` -> ``(authority, collection, rkey)``."""
    if not isinstance(uri, str):
        return None
    m = _AT_URI_RE.fullmatch(uri.strip())
    return (m.group(1), m.group(2), m.group(3)) if m else None


def post_web_url(uri: Any, handle: str | None = None) -> str | None:
    """The bsky.app page of a post (by handle when known and valid, else by the URI's DID)."""
    parts = parse_at_uri(uri)
    if parts is None or parts[1] != POST_COLLECTION:
        return None
    who = handle if handle and handle != INVALID_HANDLE else parts[0]
    return f"{WEB_BASE}/profile/{urlquote(who, safe=':.')}/post/{urlquote(parts[2], safe='')}"


def profile_to_author(profile: Any) -> Author:
    """``profileViewBasic`` / ``profileView`` -> Author (``bio`` only if the view has a description)."""
    if not isinstance(profile, dict):
        raise ValueError("'author' is missing or not an object")
    did = _str(profile.get("did"))
    handle = _str(profile.get("handle"))
    handle = handle.lower() if handle and handle != INVALID_HANDLE else None
    name = _str(profile.get("displayName"))
    bio = _str(profile.get("description"))
    who = handle or did
    return Author(
        id=did,
        handle=handle,
        name=name,
        bio=bio,
        url=f"{WEB_BASE}/profile/{urlquote(who, safe=':.')}" if who else None,
    )


def _record_text(record: Any) -> str | None:
    if isinstance(record, dict) and isinstance(record.get("text"), str):
        return record["text"][:MAX_TEXT]
    return None


def _uri_author(uri: Any) -> Author | None:
    parts = parse_at_uri(uri)
    if parts and parts[0].startswith("did:"):
        return Author(id=parts[0])
    return None


def parent_from_view(view: Mapping[str, Any], record_key: str = "record") -> ParentRef:
    """A parent from a ``postView`` (``record``) or an embed ``#viewRecord`` (``value``)."""
    try:
        author: Author | None = profile_to_author(view.get("author"))
    except (ValueError, ValidationError):
        author = None
    uri = _str(view.get("uri"))
    return ParentRef(
        post_id=uri,
        url=post_web_url(uri, author.handle if author else None),
        text=_record_text(view.get(record_key)),
        author=author or _uri_author(uri),
    )


def parent_from_uri(uri: Any, blocked_author: Any = None) -> ParentRef:
    """A parent known by URI only (deleted, blocked, detached or not fetched)."""
    uri = _str(uri)
    author = _uri_author(uri)
    if isinstance(blocked_author, dict) and _str(blocked_author.get("did")):
        author = Author(id=_str(blocked_author.get("did")))
    return ParentRef(post_id=uri, url=post_web_url(uri), author=author)


def _is_post_view(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("record"), dict) and isinstance(obj.get("uri"), str)


def _is_view_record(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("value"), dict) and isinstance(obj.get("uri"), str)


def _quoted_ref(record: Mapping[str, Any]) -> tuple[bool, str | None]:
    """(is this a quote of a post, the quoted post's URI) from ``record.embed``."""
    embed = record.get("embed")
    if not isinstance(embed, dict):
        return False, None
    etype = embed.get("$type")
    if etype == EMBED_RECORD:
        ref = embed.get("record")
    elif etype == EMBED_RECORD_WITH_MEDIA:
        inner = embed.get("record")
        ref = inner.get("record") if isinstance(inner, dict) else None
    else:
        return False, None
    uri = _str(ref.get("uri")) if isinstance(ref, dict) else None
    parts = parse_at_uri(uri)
    if parts is not None and parts[1] != POST_COLLECTION:
        return False, None  # a feed generator, list, starter pack...: not a quote of a post
    return True, uri


def _embedded_view(post: Mapping[str, Any]) -> Any:
    """The ``app.bsky.embed.record#view*`` union member shown for a quote, if any."""
    view = post.get("embed")
    if not isinstance(view, dict):
        return None
    vtype = view.get("$type")
    if vtype == EMBED_RECORD + "#view":
        return view.get("record")
    if vtype == EMBED_RECORD_WITH_MEDIA + "#view":
        inner = view.get("record")
        return inner.get("record") if isinstance(inner, dict) else None
    return None


def _quote_parent(post: Mapping[str, Any], quoted_uri: str | None) -> ParentRef:
    shown = _embedded_view(post)
    if _is_view_record(shown) and (quoted_uri is None or shown.get("uri") == quoted_uri):
        return parent_from_view(shown, "value")
    uri = quoted_uri or (_str(shown.get("uri")) if isinstance(shown, dict) else None)
    blocked_author = shown.get("author") if isinstance(shown, dict) and shown.get("blocked") else None
    return parent_from_uri(uri, blocked_author)


def reply_parent_uri(item: Mapping[str, Any]) -> str | None:
    """The URI a reply answers (``record.reply.parent.uri``), or None when it is no reply."""
    post = item.get("post")
    record = post.get("record") if isinstance(post, dict) else None
    reply = record.get("reply") if isinstance(record, dict) else None
    parent = reply.get("parent") if isinstance(reply, dict) else None
    return _str(parent.get("uri")) if isinstance(parent, dict) else None


def _reply_parent(item: Mapping[str, Any], uri: str | None, parents: Mapping[str, Any]) -> ParentRef | None:
    ctx = item.get("reply")
    shown = ctx.get("parent") if isinstance(ctx, dict) else None
    if _is_post_view(shown) and (uri is None or shown.get("uri") == uri):
        return parent_from_view(shown)
    if uri is None:
        return None
    fetched = parents.get(uri)
    if _is_post_view(fetched):
        return parent_from_view(fetched)
    blocked_author = shown.get("author") if isinstance(shown, dict) and shown.get("blocked") else None
    return parent_from_uri(uri, blocked_author)


def _reason_type(item: Mapping[str, Any]) -> str | None:
    reason = item.get("reason")
    return reason.get("$type") if isinstance(reason, dict) else None


def repost_id(reposter_did: str, post_uri: str) -> str:
    return f"repost:{reposter_did}:{post_uri}"


def like_to_post(like: Any, subject_uri: str, liked: ParentRef) -> Post:
    """One ``getLikes`` entry -> a ``like`` post: ``post_id`` = ``like:<actor DID>:<post URI>``, the
    liked post as parent, ``created_at`` = the like's ``createdAt``; ``raw`` = the entry with the URI."""
    if not isinstance(like, dict):
        raise ValueError("a like must be a JSON object")
    author = profile_to_author(like.get("actor"))
    return Post(
        platform=PLATFORM,
        post_id=f"like:{author.id}:{subject_uri}",
        url=liked.url,
        created_at=like.get("createdAt"),
        author=author,
        kind="like",
        text="",
        parent=liked,
        raw=dump_raw({"like": like, "subject": subject_uri}),
    )


def feed_item_to_post(item: Any, *, raw: Any = None, parents: Mapping[str, Any] | None = None) -> Post:
    """Map one ``feedViewPost`` (a search result is ``{"post": postView}``) to a Post.

    ``raw`` is the payload as received (default: ``item``). ``parents`` maps a reply's parent URI
    to its ``postView`` (or None when it could not be fetched). Raises ValueError /
    ValidationError when the item cannot be mapped.
    """
    if not isinstance(item, dict):
        raise ValueError("a feed item must be a JSON object")
    post = item.get("post")
    if not isinstance(post, dict):
        raise ValueError("'post' is missing or not an object")
    record = post.get("record")
    if not isinstance(record, dict):
        raise ValueError("'post.record' is missing or not an object")
    uri = _str(post.get("uri"))
    if uri is None:
        raise ValueError("'post.uri' is missing")
    raw_text = dump_raw(item if raw is None else raw)

    if _reason_type(item) == REASON_REPOST:
        reason = item["reason"]
        by = profile_to_author(reason.get("by"))
        if not by.id:
            raise ValueError("'reason.by.did' is missing")
        when = parse_time(reason.get("indexedAt"))
        if when is None:
            raise ValueError(f"'reason.indexedAt' is not a datetime with a zone: {reason.get('indexedAt')!r}")
        parent = parent_from_view(post)
        return Post(
            platform=PLATFORM,
            post_id=repost_id(by.id, uri),
            url=f"{parent.url}/reposted-by" if parent.url else None,
            created_at=when,
            author=by,
            kind="share",
            text="",
            parent=parent,
            raw=raw_text,
        )

    author = profile_to_author(post.get("author"))
    created = parse_time(record.get("createdAt")) or parse_time(post.get("indexedAt"))
    if created is None:
        raise ValueError(
            f"neither 'record.createdAt' ({record.get('createdAt')!r}) nor 'indexedAt' "
            f"({post.get('indexedAt')!r}) is a datetime with a zone"
        )
    is_quote, quoted_uri = _quoted_ref(record)
    parent: ParentRef | None = None
    if is_quote:
        kind = "quote"
        parent = _quote_parent(post, quoted_uri)
    elif isinstance(record.get("reply"), dict):
        kind = "comment"
        parent = _reply_parent(item, reply_parent_uri(item), parents or {})
    else:
        kind = "post"
    return Post(
        platform=PLATFORM,
        post_id=uri,
        url=post_web_url(uri, author.handle),
        created_at=created,
        author=author,
        kind=kind,
        text=_record_text(record) or "",
        parent=parent,
        raw=raw_text,
    )


# ============================================================================ walk helpers


def item_key_time(item: Any) -> tuple[str, datetime] | None:
    """``(post_id, sort time)`` of a feed item as the AppView orders it; None when unusable.

    The sort time is ``reason.indexedAt`` for a repost, else the earlier of ``record.createdAt``
    and ``indexedAt`` (the AppView's ``sortAt``).
    """
    if not isinstance(item, dict) or not isinstance(item.get("post"), dict):
        return None
    post = item["post"]
    uri = _str(post.get("uri"))
    if uri is None:
        return None
    if _reason_type(item) == REASON_REPOST:
        reason = item["reason"]
        by = reason.get("by")
        did = _str(by.get("did")) if isinstance(by, dict) else None
        t = parse_time(reason.get("indexedAt"))
        return (repost_id(did, uri), t) if did and t else None
    record = post.get("record")
    created = parse_time(record.get("createdAt")) if isinstance(record, dict) else None
    times = [t for t in (created, parse_time(post.get("indexedAt"))) if t is not None]
    return (uri, min(times)) if times else None


def _is_pin(item: Any) -> bool:
    return isinstance(item, dict) and _reason_type(item) == REASON_PIN


def _mark(key: str, t: datetime) -> dict[str, str]:
    return {"t": format_time(t), "id": key}


def _mark_time(mark: Mapping[str, Any]) -> datetime:
    t = parse_time(mark.get("t"))
    if t is None:  # cannot happen: marks are made by _mark() or checked by load_cursor()
        raise ValueError(f"invalid mark {mark!r}")
    return t


def _valid_mark(m: Any) -> dict[str, str] | None:
    if isinstance(m, dict) and parse_time(m.get("t")) is not None and _str(m.get("id")):
        return {"t": m["t"], "id": m["id"]}
    return None


def _empty_state() -> dict[str, Any]:
    return {"v": CURSOR_VERSION, "feeds": {}}


def load_cursor(cursor: Mapping[str, Any] | None) -> dict[str, Any]:
    """A clean, private copy of a stored cursor (an unknown shape starts over, with a warning)."""
    if not cursor:
        return _empty_state()
    if cursor.get("v") != CURSOR_VERSION or not isinstance(cursor.get("feeds"), dict):
        log.warning("bluesky: unrecognised cursor %r; starting every feed from its head", cursor)
        return _empty_state()
    state = _empty_state()
    for key, feed in cursor["feeds"].items():
        if not isinstance(feed, dict):
            continue
        clean: dict[str, Any] = {"newest": _valid_mark(feed.get("newest")), "walk": None}
        w = feed.get("walk")
        if isinstance(w, dict):
            top = _valid_mark(w.get("top"))
            stop = _valid_mark(w.get("stop"))
            cur = _str(w.get("cursor"))
            until = w.get("until") if parse_time(w.get("until")) else None
            left = w.get("pages_left")
            left = left if isinstance(left, int) and not isinstance(left, bool) and left > 0 else None
            oldest = w.get("oldest") if parse_time(w.get("oldest")) else None
            ok = top is not None and (cur or until) and ((stop is None) == (left is not None))
            if ok:
                clean["walk"] = {
                    "cursor": cur, "until": until, "pages_left": left, "stop": stop, "top": top, "oldest": oldest
                }
            else:
                log.warning("bluesky: dropping an unusable walk of %s: %r", key, w)
        state["feeds"][str(key)] = clean
    return state


def _later(a: dict[str, str] | None, b: dict[str, str]) -> dict[str, str]:
    """The newer of two marks (``b`` when ``a`` is None)."""
    if a is None or _mark_time(b) > _mark_time(a):
        return b
    return a


# ============================================================================ the source


@dataclass
class _Feed:
    key: str  # cursor key
    label: str  # for messages
    path: str
    params: dict[str, Any]
    items_field: str  # "posts" (search) or "feed" (author feed)
    is_search: bool


@dataclass
class _Page:
    items: list[Any]
    cursor: str | None


class _Refused(Exception):
    """The AppView answered a 4xx for this request: retrying will not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Run:
    http: HttpClient
    parents: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass
class _Budget:
    left: int


class BlueskySource(HttpSource):
    type_name = "bluesky"
    options_model = BlueskyOptions

    def __init__(self, name: str, options: Any, http: HttpClient | None = None, context: Any = None) -> None:
        super().__init__(name, options, http, context)
        options = self.options  # validated by HttpSource
        self.options: BlueskyOptions = options
        self.base_url = options.base_url

    # -- plumbing -------------------------------------------------------------------------------

    async def _get(self, run: _Run, path: str, params: Any) -> Any:
        """GET an XRPC query; a 4xx becomes :class:`_Refused` with the XRPC error and message."""
        resp = await run.http.get_json(self.base_url + path, params, allow_status=(400, 401, 403, 404))
        if resp.status >= 400:
            data = resp.data if isinstance(resp.data, dict) else {}
            parts = [x for x in (_str(data.get("error")), _str(data.get("message"))) if x]
            raise _Refused(resp.status, ": ".join(parts) + f" (HTTP {resp.status})" if parts else f"HTTP {resp.status}")
        if not isinstance(resp.data, dict):
            raise FetchError(
                f"expected a JSON object, got {type(resp.data).__name__}", url=resp.url, status=resp.status
            )
        return resp.data

    async def recheck(self, post_ids: list[str]) -> dict[str, Post | None]:
        """Deletion watch: ``getPosts`` 25 at a time; a post the AppView no longer returns is deleted
        (or hidden). Reposts (no ``at://`` post id of their own) are not checked."""
        run = _Run(http=self._client())
        uris = [u for u in dict.fromkeys(post_ids) if parse_at_uri(u)]
        out: dict[str, Post | None] = {}
        for i in range(0, len(uris), GET_POSTS_MAX):
            chunk = uris[i : i + GET_POSTS_MAX]
            try:
                data = await self._get(run, GET_POSTS, {"uris": chunk})
            except (FetchError, _Refused) as exc:
                log.warning("bluesky %s: re-check failed: %s", self.name, exc)
                continue
            views = {pv.get("uri"): pv for pv in data.get("posts") or [] if isinstance(pv, dict)}
            for uri in chunk:
                if uri not in views:
                    out[uri] = None
                    continue
                try:
                    out[uri] = feed_item_to_post({"post": views[uri]})
                except (ValidationError, KeyError, TypeError, ValueError) as exc:
                    log.warning("bluesky %s: re-check of %s unreadable: %s", self.name, uri, exc)
        return out

    async def _page(self, run: _Run, feed: _Feed, extra: Mapping[str, Any]) -> _Page:
        data = await self._get(run, feed.path, {**feed.params, "limit": self.options.limit, **extra})
        items = data.get(feed.items_field)
        if not isinstance(items, list):
            raise FetchError(
                f"expected '{feed.items_field}' to be a JSON array in the answer",
                url=self.base_url + feed.path,
                status=200,
            )
        return _Page(items=items, cursor=_str(data.get("cursor")))

    async def _load_parents(self, run: _Run, entries: list[tuple[Any, Any]]) -> None:
        """Fetch (getPosts, 25 at a time) the parents of replies that the items do not carry."""
        in_page = {
            it["post"]["uri"]: it["post"]
            for it, _ in entries
            if isinstance(it, dict) and _is_post_view(it.get("post"))
        }
        wanted: list[str] = []
        for it, _ in entries:
            if not isinstance(it, dict) or _reason_type(it) == REASON_REPOST:
                continue
            uri = reply_parent_uri(it)
            if uri is None or uri in run.parents or uri in wanted:
                continue
            ctx = it.get("reply")
            if isinstance(ctx, dict) and isinstance(ctx.get("parent"), dict):
                continue  # the item shows the parent (or says it is deleted / blocked)
            if uri in in_page:
                run.parents[uri] = in_page[uri]
                continue
            if self.options.fetch_parents and parse_at_uri(uri):
                wanted.append(uri)
            else:
                run.parents[uri] = None
        for i in range(0, len(wanted), GET_POSTS_MAX):
            chunk = wanted[i : i + GET_POSTS_MAX]
            try:
                data = await self._get(run, GET_POSTS, [("uris", u) for u in chunk])
                found = {p["uri"]: p for p in data.get("posts") or [] if _is_post_view(p)}
            except (FetchError, _Refused) as exc:
                log.warning("bluesky %s: parents not fetched (%s); keeping their URIs only", self.name, exc)
                found = {}
            for u in chunk:
                run.parents[u] = found.get(u)

    async def _batch(self, run: _Run, entries: list[tuple[Any, Any]], state: dict[str, Any]) -> Batch:
        """``entries``: (feed item, raw payload) pairs -> a Batch carrying a copy of ``state``."""
        await self._load_parents(run, entries)
        batch = Batch()
        for item, raw in entries:
            try:
                batch.posts.append(feed_item_to_post(item, raw=raw, parents=run.parents))
            except ValidationError as exc:
                batch.rejected.append(Rejected(dump_raw(raw), describe_validation(exc)))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                batch.rejected.append(Rejected(dump_raw(raw), f"{type(exc).__name__}: {exc}"))
        if self.options.likes:
            await self._add_likes(run, batch, entries)
        batch.cursor = copy.deepcopy(state)
        return batch

    async def _add_likes(self, run: _Run, batch: Batch, entries: list[tuple[Any, Any]]) -> None:
        """One ``like`` post per ``getLikes`` entry of each collected post that has likes (not reposts)."""
        views = {it["post"]["uri"]: it["post"] for it, _ in entries
                 if isinstance(it, dict) and _is_post_view(it.get("post")) and _reason_type(it) != REASON_REPOST}
        for post in list(batch.posts):
            view = views.get(post.post_id)
            if post.kind == "share" or view is None or view.get("likeCount") == 0:
                continue
            liked = parent_from_view(view)
            params: dict[str, Any] = {"uri": post.post_id, "limit": self.options.limit}
            guard = PageGuard(f"bluesky {self.name}: likes of {post.post_id}")
            try:
                for _ in range(self.options.likes_max_pages):
                    data = await self._get(run, GET_LIKES, params)
                    for like in data.get("likes") or []:
                        try:
                            batch.posts.append(like_to_post(like, post.post_id, liked))
                        except ValidationError as exc:
                            batch.rejected.append(Rejected(dump_raw(like), describe_validation(exc)))
                        except (KeyError, TypeError, ValueError, AttributeError) as exc:
                            batch.rejected.append(Rejected(dump_raw(like), f"{type(exc).__name__}: {exc}"))
                    cur = _str(data.get("cursor"))
                    if not cur or guard.repeats(cur):
                        break
                    params = {**params, "cursor": cur}
                if guard.problem:
                    run.errors.append(guard.problem)
            except (FetchError, _Refused) as exc:
                log.warning("bluesky %s: likes of %s not fetched: %s", self.name, post.post_id, exc)
                run.errors.append(f"likes of {post.post_id}: {exc}")

    # -- walking one feed -----------------------------------------------------------------------

    def _entries(self, feed: _Feed, page: _Page, stop: dict[str, str] | None) -> tuple[list[tuple[Any, Any]], bool]:
        """The page's items to deliver (as (feed item, raw) pairs), and whether it reached ``stop``."""
        out: list[tuple[Any, Any]] = []
        reached = False
        stop_t = _mark_time(stop) if stop is not None else None
        for raw in page.items:
            item = {"post": raw} if feed.is_search else raw
            kt = item_key_time(item) if stop is not None else None
            if stop is not None and stop_t is not None and kt is not None:
                key, t = kt
                if (t < stop_t or key == stop["id"]) and not _is_pin(item):
                    reached = True  # the walk has come down to the mark
                if t < stop_t - timedelta(seconds=self.options.overlap_s) or key == stop["id"]:
                    continue  # delivered by an earlier walk
            out.append((item, raw))
        return out, reached

    def _top_and_oldest(self, feed: _Feed, items: list[Any]) -> tuple[dict[str, str] | None, datetime | None]:
        best: tuple[str, datetime] | None = None
        oldest: datetime | None = None
        for raw in items:
            item = {"post": raw} if feed.is_search else raw
            if _is_pin(item):
                continue
            kt = item_key_time(item)
            if kt is None:
                continue
            if best is None or kt[1] > best[1]:
                best = kt
            if oldest is None or kt[1] < oldest:
                oldest = kt[1]
        return (_mark(*best) if best else None), oldest

    async def _walk_feed(self, run: _Run, state: dict[str, Any], feed: _Feed) -> AsyncIterator[Batch]:
        entry = state["feeds"].get(feed.key) or {"newest": None, "walk": None}
        budget = _Budget(self.options.max_pages_per_run)
        guard = PageGuard(f"bluesky {self.name}: {feed.label}", start=(entry.get("walk") or {}).get("cursor"))
        if entry.get("walk"):
            state["feeds"][feed.key] = entry
            async for b in self._continue(run, state, feed, budget, guard):
                yield b
            if entry.get("walk"):
                log.warning(
                    "bluesky %s: %s: backlog larger than max_pages_per_run (%d); it continues next run",
                    self.name, feed.label, self.options.max_pages_per_run,
                )
                return
        if budget.left <= 0:
            return

        # A new walk from the head (its own guard: it may legitimately meet the cursors of the walk above).
        guard = PageGuard(guard.where)
        page = await self._page(run, feed, {})
        budget.left -= 1
        stop = entry.get("newest")
        top, oldest = self._top_and_oldest(feed, page.items)
        entries, reached = self._entries(feed, page, stop)
        if top is None:  # empty, or only pins / unusable items: deliver them, keep no position
            if entries:
                yield await self._batch(run, entries, state)
            return
        before = copy.deepcopy(entry)
        more = page.cursor is not None and not guard.repeats(page.cursor)
        self._report(run, guard)
        if stop is None:
            left = self.options.max_pages_per_run - 1
            if more and left > 0:
                entry["walk"] = self._new_walk(page.cursor, top, None, left, oldest)
            else:
                entry["newest"] = top
        elif reached or not more:
            entry["newest"] = _later(stop, top)
        else:
            entry["walk"] = self._new_walk(page.cursor, top, stop, None, oldest)
        state["feeds"][feed.key] = entry
        if entries or entry != before:
            yield await self._batch(run, entries, state)
        if entry.get("walk"):
            async for b in self._continue(run, state, feed, budget, guard):
                yield b
            if entry.get("walk"):
                log.warning(
                    "bluesky %s: %s: walk not finished within max_pages_per_run (%d); it continues next run",
                    self.name, feed.label, self.options.max_pages_per_run,
                )

    @staticmethod
    def _new_walk(
        cursor: str, top: dict[str, str], stop: dict[str, str] | None, left: int | None, oldest: datetime | None
    ) -> dict[str, Any]:
        return {
            "cursor": cursor,
            "until": None,
            "pages_left": left,
            "stop": stop,
            "top": top,
            "oldest": format_time(oldest) if oldest else None,
        }

    @staticmethod
    def _finish(entry: dict[str, Any]) -> None:
        walk = entry["walk"]
        entry["newest"] = _later(entry.get("newest"), walk["top"])
        entry["walk"] = None

    @staticmethod
    def _report(run: _Run, guard: PageGuard) -> None:
        if guard.problem and guard.problem not in run.errors:
            run.errors.append(guard.problem)

    async def _continue(
        self, run: _Run, state: dict[str, Any], feed: _Feed, budget: _Budget, guard: PageGuard
    ) -> AsyncIterator[Batch]:
        """Go on with the feed's walk (older pages) while the budget lasts; a cursor this run's
        walk already used (``guard``) ends it like a cursor that does not move."""
        entry = state["feeds"][feed.key]
        while budget.left > 0 and entry.get("walk"):
            walk = entry["walk"]
            if walk["cursor"]:
                extra: dict[str, Any] = {"cursor": walk["cursor"]}
            else:
                until = _mark_time({"t": walk["until"]}) + timedelta(milliseconds=1)
                extra = {"until": format_time(until)[:-4] + "Z"}  # millisecond precision
            budget.left -= 1
            try:
                page = await self._page(run, feed, extra)
            except _Refused as exc:
                async for b in self._refused(run, state, feed, exc):
                    yield b
                continue
            entries, reached = self._entries(feed, page, walk["stop"])
            _, page_oldest = self._top_and_oldest(feed, page.items)
            prev_oldest = parse_time(walk["oldest"])
            if walk["cursor"]:
                progressed = not guard.repeats(page.cursor)  # the walk's cursor is in the guard too
                self._report(run, guard)
                more = page.cursor is not None and bool(page.items)
            else:  # paging by `until`: the page must reach older items
                progressed = page_oldest is not None and (prev_oldest is None or page_oldest < prev_oldest)
                more = len(page.items) >= self.options.limit
            if not progressed and page.items:
                log.warning("bluesky %s: %s: paging did not move; ending this walk", self.name, feed.label)
            if page_oldest is not None and (prev_oldest is None or page_oldest < prev_oldest):
                walk["oldest"] = format_time(page_oldest)
            if walk["pages_left"] is not None:
                walk["pages_left"] -= 1
            if reached or not more or not progressed or walk["pages_left"] == 0:
                self._finish(entry)
            elif walk["cursor"]:
                walk["cursor"] = page.cursor
            else:
                walk["until"] = walk["oldest"]
            yield await self._batch(run, entries, state)

    async def _refused(self, run: _Run, state: dict[str, Any], feed: _Feed, exc: _Refused) -> AsyncIterator[Batch]:
        """A page further down was refused (4xx): switch search to ``until`` paging, or end the walk."""
        entry = state["feeds"][feed.key]
        walk = entry["walk"]
        if feed.is_search and walk["cursor"] and exc.status == 403 and walk["oldest"]:
            log.info(
                "bluesky %s: %s: searchPosts with 'cursor' refused (%s); paging with 'until' instead",
                self.name, feed.label, exc.message,
            )
            walk["cursor"] = None
            walk["until"] = walk["oldest"]
            yield Batch(cursor=copy.deepcopy(state))
            return
        if walk["stop"] is None:
            log.warning(
                "bluesky %s: %s: the server refused to page further back (%s); first-run history ends here",
                self.name, feed.label, exc.message,
            )
        else:
            msg = (
                f"{feed.label}: the server refused to page further ({exc.message}); posts between "
                f"{walk['stop']['t']} and {walk['oldest'] or walk['top']['t']} may be missing"
            )
            log.error("bluesky %s: %s", self.name, msg)
            run.errors.append(msg)
        self._finish(entry)
        yield Batch(cursor=copy.deepcopy(state))

    # -- feeds of this run ----------------------------------------------------------------------

    def _search_feeds(self) -> list[_Feed]:
        o = self.options
        queries = list(o.queries)
        if o.derive_queries:
            seen = {q.casefold() for q in queries}
            for term in self.context.search_terms():
                t = term.strip() if isinstance(term, str) else ""
                if t and t.casefold() not in seen:
                    seen.add(t.casefold())
                    queries.append(t)
        feeds = []
        for q in queries:
            params: dict[str, Any] = {"q": q, "sort": "latest"}
            for k in ("since", "until", "lang"):
                if getattr(o, k):
                    params[k] = getattr(o, k)
            feeds.append(_Feed(f"search:{q.casefold()}", f"search {q!r}", SEARCH_POSTS, params, "posts", True))
        return feeds

    def _actor_feeds(self, run: _Run) -> list[_Feed]:
        actors = list(self.options.actors)
        if self.options.declared_accounts:
            for value in self.context.declared_accounts(PLATFORM):
                try:
                    a = normalize_actor(value)
                except ValueError as exc:
                    msg = f"declared account {value!r}: {exc}"
                    log.warning("bluesky %s: %s", self.name, msg)
                    run.errors.append(msg)
                    continue
                if a not in actors:
                    actors.append(a)
        return [
            _Feed(
                f"actor:{a}",
                f"actor {a}",
                GET_AUTHOR_FEED,
                {"actor": a, "filter": "posts_with_replies"},
                "feed",
                False,
            )
            for a in actors
        ]

    # -- the interface --------------------------------------------------------------------------

    async def fetch(self, cursor: dict[str, Any] | None) -> AsyncIterator[Batch]:
        """Yield one batch per page, searches first, then author feeds (see the module docstring)."""
        run = _Run(http=self._client())
        state = load_cursor(cursor)
        feeds = self._search_feeds() + self._actor_feeds(run)
        for feed in feeds:
            try:
                async for batch in self._walk_feed(run, state, feed):
                    yield batch
            except _Refused as exc:
                hint = ""
                if feed.is_search and exc.status in (401, 403):
                    hint = (
                        " -- this AppView does not allow unauthenticated post search right now "
                        "(Bluesky's public host often refuses it); author feeds still work"
                    )
                msg = f"{feed.label}: {exc.message}{hint}"
                log.error("bluesky %s: %s", self.name, msg)
                run.errors.append(msg)
            except FetchError as exc:
                log.error("bluesky %s: %s failed: %s", self.name, feed.label, exc)
                run.errors.append(f"{feed.label}: {exc}")
        if run.errors:
            raise BlueskyError(f"{len(run.errors)} problem(s) in {len(feeds)} feeds: " + " | ".join(run.errors))
