"""``mastodon`` source: public hashtag timelines and listed accounts of one Mastodon instance.

Endpoints (Mastodon REST API, https://docs.joinmastodon.org/methods/): ``GET
/api/v1/timelines/tag/:hashtag``, ``GET /api/v1/accounts/lookup?acct=`` (to turn ``budi`` or
``budi@kota.social`` into an account id), ``GET /api/v1/accounts/:id/statuses`` and ``GET
/api/v1/statuses/:id`` (the parent of a reply when it is not in the page). An optional bearer
token is read from the environment variable named by ``token_env``; it is never in the config.

Cursor (what each :class:`~monitor.collect.base.Batch` carries) -- one entry per *timeline*::

    {"v": 1, "timelines": {
        "tag:pemilu2024": {"newest": "1119...", "backfill": {"max_id": "1118...", "pages_left": 7}},
        "account:123":    {"acct": "budi@kota.social", "newest": "1119...", "backfill": null}}}

* ``newest``: every status of the timeline newer than where the first run's walk started and up to
  ``newest`` is in a batch at or before this one. ``backfill``: the first run's walk back in time
  is not finished; it goes on below ``max_id`` for ``pages_left`` more pages.
* **First run** of a timeline (no ``newest``): fetch the head page (the newest statuses), set
  ``newest`` to its top, then walk *back* with ``max_id`` (``Link: rel="next"``) for at most
  ``max_pages_per_run`` pages in total (the initial depth). Older history is not collected.
* **Later runs** page *forward* with ``min_id=newest`` (``Link: rel="prev"``): Mastodon returns
  the ``limit`` statuses *immediately* newer than ``min_id``, so after each page ``newest`` moves
  to that page's top and nothing between the old and the new value is skipped. At most
  ``max_pages_per_run`` pages per timeline and run; a bigger backlog simply continues next run.
  ``since_id`` is never used: it returns the *newest* ``limit`` statuses above the id and would
  leave a gap. Pages left in the budget then continue an unfinished first-run walk.
* Every batch carries a deep copy of the whole cursor as it is *after* that page (the runner may
  commit it later, while the source goes on). If the process dies after committing a batch,
  resuming from its cursor re-reads only pages after it: nothing is lost, and anything
  re-delivered (a page fetched but not committed) is absorbed by ``(platform, post_id)``
  de-duplication. A page whose only change is the end of the walk gives an empty batch, so that
  is remembered too.
* Cursor values only move one way (``newest`` up, ``backfill.max_id`` down); a page that would
  not move them ends the walk, so a server ignoring the parameters cannot loop us forever. A
  page bound the walk already used (:class:`~monitor.collect.pagination.PageGuard`: e.g. a cache
  that ignores the query and serves the same page again) stops the walk and is reported in the
  run's error; ``newest`` and ``backfill`` stay where they were, so the next run asks again from
  there (the forward walk comes first in every run, so a looping history walk holds nothing up).
  Bounds come from the ``Link`` header when present (the docs say to trust it over the ids in
  the page, which may be filtered), else from the ids; only ids are stored, never URLs.
* Ids are compared as the docs say: a longer id is newer, then lexical order (never as ints).
* Accounts resolved with ``lookup`` are remembered in the cursor (``acct``); a timeline that
  answers 404 for a remembered id is looked up again. A hashtag nobody used yet (404) is empty.
* Known platform limit: a remote status that reaches the instance late gets an id from its
  (older) publication time and can land *below* ``newest``. ``lookback_s`` re-reads that window
  each run (own budget ``lookback_max_pages``; it never moves the cursor; duplicates are absorbed).
* A timeline that fails (after the HTTP client's retries) or an account that does not exist
  does not stop the others; the run ends with :class:`MastodonError` naming them, after all
  other batches were yielded.

Mapping Status -> :class:`~monitor.models.Post`: ``post_id`` = status id, ``url`` = ``url`` or
``uri``, author from ``account`` (``handle`` = full ``username@domain``, the domain taken from the
account URL when ``acct`` has none; ``bio`` = ``note`` as text), ``text`` = content HTML as plain
text (``<p>``/``<br>`` become line breaks, links and hashtags keep their text), the content
warning (``spoiler_text``) first and poll options last. ``kind``: ``reblog`` -> ``share`` (the
text of a boost is empty; the boosted status is the ``parent``); a ``quote`` (4.4+ Quote or
ShallowQuote) with a target -> ``quote``, taking precedence over being a reply; ``in_reply_to_id``
-> ``comment`` with the parent from the page, the run's cache or ``GET /api/v1/statuses/:id``
(a deleted or hidden parent leaves ``parent.post_id`` only -- the comment is never dropped); a
quote whose target is not shown (pending, revoked, deleted...) -> ``quote`` with an empty parent;
else ``post``. ``raw`` is the status JSON (keys sorted, compact, UTF-8). A status that does not
validate becomes a :class:`~monitor.collect.base.Rejected` and the rest of the page goes on.

Likes and follows (optional, see :mod:`monitor.sources.mastodon_reactions` for the mapping):
``likes = true`` fetches, for each collected status that has favourites (not for boosts), its
``favourited_by`` accounts (at most ``likes_max_pages`` pages) and puts one ``like`` post per
account in the same batch; they are read once, when the status is collected, so favourites given
later are not seen. ``follows_of = ["<account id>", ...]`` reads the followers of those (campaign)
accounts each run (at most ``follows_max_pages`` pages, newest followers first) as ``follow``
posts; re-read followers are absorbed by de-duplication. The cursor is not involved.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any, AsyncIterator, Mapping
from urllib.parse import parse_qs, quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.collect.http_source import HttpSource, check_base_url
from monitor.collect.base import Batch, Rejected
from monitor.collect.pagination import PageGuard
from monitor.collect.payload import describe_validation, dump_raw
from monitor.collect.http import FetchError, HttpClient, HttpOptions
from monitor.models import Author, ParentRef, Post
from monitor.sources import mastodon_reactions as reactions

log = logging.getLogger(__name__)

PLATFORM = "mastodon"
CURSOR_VERSION = 1
MAX_TEXT = 100_000


# ============================================================================ options


class MastodonOptions(BaseModel):
    """``[sources.NAME]`` with ``type = "mastodon"``."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(..., description="The instance, e.g. https://mastodon.social")
    hashtags: list[str] = Field(default_factory=list, description="Without '#'; case-insensitive")
    accounts: list[str] = Field(default_factory=list, description="'budi' (local) or 'budi@kota.social'")
    limit: int = Field(40, ge=1, le=40, description="Page size (Mastodon's maximum is 40)")
    max_pages_per_run: int = Field(10, ge=1, le=10_000, description="Per timeline and run")
    token_env: str | None = Field(
        None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Env var holding a bearer token"
    )
    fetch_parents: bool = Field(True, description="GET the parent of a reply when not in the page")
    lookback_s: int = Field(0, ge=0, le=7 * 86400, description="Re-read window for late remote statuses")
    lookback_max_pages: int = Field(2, ge=1, le=1000)
    likes: bool = Field(False, description="Also collect who favourited each collected status (kind 'like')")
    likes_max_pages: int = Field(1, ge=1, le=100, description="favourited_by pages (40 accounts) per status")
    follows_of: list[str] = Field(
        default_factory=list, description="Account ids whose followers are collected (kind 'follow')"
    )
    follows_max_pages: int = Field(5, ge=1, le=1000, description="followers pages (40 accounts) per account and run")
    http: HttpOptions = Field(default_factory=HttpOptions)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str) -> str:
        return check_base_url(v, 'https://mastodon.social')

    @field_validator("hashtags")
    @classmethod
    def _hashtags(cls, v: list[str]) -> list[str]:
        out: list[str] = []
        for raw in v:
            tag = raw.strip().lstrip("#").lower()
            if not tag or re.search(r"[\s#/?&%]", tag):
                raise ValueError(f"invalid hashtag {raw!r}")
            if tag not in out:
                out.append(tag)
        return out

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, v: list[str]) -> list[str]:
        out: list[str] = []
        for raw in v:
            acct = raw.strip().lstrip("@").lower()
            if not re.fullmatch(r"[\w.\-]+(@[\w.\-]+(:\d+)?)?", acct):
                raise ValueError(f"invalid account {raw!r} (use 'budi' or 'budi@kota.social')")
            if acct not in out:
                out.append(acct)
        return out

    @field_validator("follows_of")
    @classmethod
    def _follows_of(cls, v: list[str]) -> list[str]:
        out: list[str] = []
        for raw in v:
            aid = str(raw).strip()
            if not re.fullmatch(r"[0-9A-Za-z_\-]{1,64}", aid):
                raise ValueError(f"invalid account id {raw!r} (the numeric id, e.g. from /api/v1/accounts/lookup)")
            if aid not in out:
                out.append(aid)
        return out

    @model_validator(mode="after")
    def _something_to_read(self) -> "MastodonOptions":
        if not self.hashtags and not self.accounts and not self.follows_of:
            raise ValueError("list at least one of 'hashtags', 'accounts' or 'follows_of'")
        return self


class MastodonError(Exception):
    """A run of the Mastodon source could not do everything (details in the message)."""


# ============================================================================ HTML -> text

_BLOCK_TAGS = frozenset(
    {"p", "div", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section"}
)
_LINE_TAGS = frozenset({"br", "li", "tr"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _LINE_TAGS:
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(fragment: str | None) -> str:
    """Mastodon's sanitised HTML (``<p> <br> <a> <span>`` ...) as plain text.

    Paragraphs are separated by a blank line and ``<br>`` is a line break. Every text node is
    kept, including ``<span class="invisible">`` parts of shortened links (so URLs come out whole)
    and the ``#``/``@`` of hashtags and mentions. Entities are decoded.
    """
    if not fragment:
        return ""
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    text = "".join(parser.parts).replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


# ============================================================================ mapping


def id_key(status_id: str) -> tuple[int, str]:
    """Mastodon's documented id order: a longer id is newer, then lexical order."""
    return (len(status_id), status_id)


def _host(url: Any) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _sid(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (str, int)):
        s = str(value).strip()
        return s or None
    return None


def account_to_author(acc: Any, fallback_domain: str | None = None) -> Author:
    """Account entity -> Author. ``handle`` is always ``username@domain`` when a domain is known."""
    if not isinstance(acc, dict):
        raise ValueError("'account' is missing or not an object")
    acct = acc.get("acct") or acc.get("username")
    handle = None
    if isinstance(acct, str) and acct.strip():
        acct = acct.strip().lstrip("@")
        if "@" in acct:
            handle = acct
        else:
            domain = _host(acc.get("url")) or fallback_domain
            handle = f"{acct}@{domain}" if domain else acct
    name = acc.get("display_name") or acc.get("username") or None
    bio = html_to_text(acc.get("note")) if isinstance(acc.get("note"), str) else None
    return Author(
        id=_sid(acc.get("id")),
        handle=handle,
        name=name if isinstance(name, str) else None,
        bio=bio or None,
        url=acc.get("url") if isinstance(acc.get("url"), str) else None,
    )


def status_text(st: Mapping[str, Any]) -> str:
    """Content warning, then the content as text, then poll options (one per line)."""
    content = st.get("content")
    text = html_to_text(content) if isinstance(content, str) else ""
    spoiler = st.get("spoiler_text")
    if isinstance(spoiler, str) and spoiler.strip():
        text = f"{spoiler.strip()}\n\n{text}" if text else spoiler.strip()
    poll = st.get("poll")
    if isinstance(poll, dict) and isinstance(poll.get("options"), list):
        titles = [o["title"] for o in poll["options"] if isinstance(o, dict) and isinstance(o.get("title"), str)]
        if titles:
            text = (text + "\n\n" if text else "") + "\n".join(f"- {t}" for t in titles)
    return text[:MAX_TEXT]


def parent_from_status(st: Mapping[str, Any], fallback_domain: str | None = None) -> ParentRef:
    try:
        author = account_to_author(st.get("account"), fallback_domain)
    except (ValueError, ValidationError):
        author = None
    url = st.get("url") or st.get("uri")
    return ParentRef(
        post_id=_sid(st.get("id")),
        url=url if isinstance(url, str) else None,
        text=status_text(st),
        author=author,
    )


def _is_status_like(obj: Any) -> bool:
    return isinstance(obj, dict) and "id" in obj and "account" in obj and "content" in obj


@dataclass
class _Relation:
    kind: str  # post | comment | share | quote
    embedded: dict[str, Any] | None = None  # the parent status when the payload has it
    parent_id: str | None = None  # the parent id when it has to be looked up


def relation_of(st: Mapping[str, Any]) -> _Relation:
    """What a status is (post/comment/share/quote) and where its parent comes from."""
    reblog = st.get("reblog")
    if reblog is not None:
        if not isinstance(reblog, dict):
            raise ValueError("'reblog' is not an object")
        return _Relation("share", embedded=reblog)
    q = st.get("quote")
    reply_to = _sid(st.get("in_reply_to_id"))
    if isinstance(q, dict):
        if isinstance(q.get("quoted_status"), dict):  # Quote (4.4+)
            return _Relation("quote", embedded=q["quoted_status"])
        if _is_status_like(q):  # forks (e.g. Fedibird) put the quoted Status itself here
            return _Relation("quote", embedded=q)
        qid = _sid(q.get("quoted_status_id"))  # ShallowQuote
        if qid:
            return _Relation("quote", parent_id=qid)
        if not reply_to:  # quote not shown (pending, revoked, deleted, ...)
            return _Relation("quote")
    if reply_to:
        return _Relation("comment", parent_id=reply_to)
    return _Relation("post")


def _id_only_parent(st: Mapping[str, Any], parent_id: str, fallback_domain: str | None) -> ParentRef:
    """Parent known only by id (deleted, hidden or not fetched): add its author id if we can."""
    author = None
    acc_id = _sid(st.get("in_reply_to_account_id")) if _sid(st.get("in_reply_to_id")) == parent_id else None
    if acc_id:
        handle = url = None
        for m in st.get("mentions") or []:
            if isinstance(m, dict) and _sid(m.get("id")) == acc_id:
                try:
                    a = account_to_author(m, fallback_domain)
                    handle, url = a.handle, a.url
                except (ValueError, ValidationError):
                    pass
                break
        author = Author(id=acc_id, handle=handle, url=url)
    return ParentRef(post_id=parent_id, author=author)


def status_to_post(
    st: Any,
    *,
    parents: Mapping[str, dict[str, Any] | None] | None = None,
    fallback_domain: str | None = None,
) -> Post:
    """Map one Status entity to a Post (raises ValueError / ValidationError if it cannot).

    ``parents`` maps a parent id to its Status (or None when it could not be fetched).
    """
    if not isinstance(st, dict):
        raise ValueError("a status must be a JSON object")
    rel = relation_of(st)
    parent: ParentRef | None = None
    if rel.embedded is not None:
        parent = parent_from_status(rel.embedded, fallback_domain)
    elif rel.parent_id is not None:
        found = (parents or {}).get(rel.parent_id)
        parent = (
            parent_from_status(found, fallback_domain)
            if isinstance(found, dict)
            else _id_only_parent(st, rel.parent_id, fallback_domain)
        )
    elif rel.kind == "quote":
        parent = ParentRef()
    url = st.get("url") or st.get("uri")
    return Post(
        platform=PLATFORM,
        post_id=_sid(st.get("id")) or "",
        url=url if isinstance(url, str) else None,
        created_at=st.get("created_at"),
        author=account_to_author(st.get("account"), fallback_domain),
        kind=rel.kind,
        text=status_text(st),
        parent=parent,
        raw=dump_raw(st),
    )


# ============================================================================ cursor helpers


def _empty_state() -> dict[str, Any]:
    return {"v": CURSOR_VERSION, "timelines": {}}


def load_cursor(cursor: Mapping[str, Any] | None) -> dict[str, Any]:
    """A clean, private copy of a stored cursor (an unknown shape starts over, with a warning)."""
    if not cursor:
        return _empty_state()
    if cursor.get("v") != CURSOR_VERSION or not isinstance(cursor.get("timelines"), dict):
        log.warning("mastodon: unrecognised cursor %r; starting every timeline from its head", cursor)
        return _empty_state()
    state = _empty_state()
    for key, tl in cursor["timelines"].items():
        if not isinstance(tl, dict):
            continue
        clean: dict[str, Any] = {}
        if isinstance(tl.get("acct"), str):
            clean["acct"] = tl["acct"]
        clean["newest"] = _sid(tl.get("newest"))
        bf = tl.get("backfill")
        if clean["newest"] and isinstance(bf, dict) and _sid(bf.get("max_id")) and isinstance(bf.get("pages_left"), int):
            clean["backfill"] = {"max_id": _sid(bf["max_id"]), "pages_left": bf["pages_left"]}
        else:
            clean["backfill"] = None
        state["timelines"][str(key)] = clean
    return state


def snowflake_minus(status_id: str, seconds: int) -> str | None:
    """The Mastodon snowflake id ``seconds`` before ``status_id`` (None if it is not one)."""
    if not status_id.isdigit():
        return None
    ms = int(status_id) >> 16
    if not (1_400_000_000_000 < ms < 4_000_000_000_000):  # 2014 .. 2096: a plausible snowflake
        return None
    return str(max(0, ms - seconds * 1000) << 16)


def _link_param(links: Mapping[str, str], rel: str, name: str) -> str | None:
    url = links.get(rel)
    if not url:
        return None
    try:
        values = parse_qs(urlsplit(url).query).get(name)
    except ValueError:
        return None
    return _sid(values[0]) if values else None


@dataclass
class _Page:
    items: list[Any]
    top: str | None  # newest id covered (Link rel=prev min_id, or the largest id)
    bottom: str | None  # oldest id covered (Link rel=next max_id, or the smallest id)
    has_next: bool


@dataclass
class _Run:
    http: HttpClient
    headers: dict[str, str]
    parents: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class _Gone(Exception):
    """The timeline answered 404 (an account id that no longer exists)."""


# ============================================================================ the source


class MastodonSource(HttpSource):
    type_name = "mastodon"
    options_model = MastodonOptions

    def __init__(self, name: str, options: Any, http: HttpClient | None = None, context: Any = None) -> None:
        super().__init__(name, options, http, context)
        options = self.options  # validated by HttpSource
        self.options: MastodonOptions = options
        self.base_url = options.base_url
        self._domain = _host(options.base_url)

    # -- plumbing -------------------------------------------------------------------------------

    def _auth_headers(self) -> dict[str, str]:
        env = self.options.token_env
        if not env:
            return {}
        token = os.environ.get(env)
        if not token:
            raise MastodonError(f"sources.{self.name}.token_env: environment variable {env} is not set")
        return {"Authorization": f"Bearer {token}"}

    async def _page(self, run: _Run, path: str, params: dict[str, Any], *, gone_on_404: bool) -> _Page | None:
        resp = await run.http.get_json(
            self.base_url + path, {"limit": self.options.limit, **params}, run.headers, allow_status=(404,)
        )
        if resp.status == 404:
            if gone_on_404:
                raise _Gone(path)
            return None  # e.g. a hashtag nobody has used yet: "Record not found"
        data = resp.data
        if not isinstance(data, list):
            raise FetchError(f"expected a JSON array of statuses, got {type(data).__name__}", url=resp.url, status=resp.status)
        ids = [i for i in (_sid(it.get("id")) for it in data if isinstance(it, dict)) if i]
        top_c = [x for x in (_link_param(resp.links, "prev", "min_id"), max(ids, key=id_key, default=None)) if x]
        bot_c = [x for x in (_link_param(resp.links, "next", "max_id"), min(ids, key=id_key, default=None)) if x]
        return _Page(
            items=data,
            top=max(top_c, key=id_key) if top_c else None,
            bottom=min(bot_c, key=id_key) if bot_c else None,
            has_next="next" in resp.links or (bool(ids) and not resp.links),
        )

    async def _load_parents(self, run: _Run, items: list[Any]) -> None:
        in_page = {i: it for it in items if isinstance(it, dict) and (i := _sid(it.get("id")))}
        for it in items:
            if not isinstance(it, dict):
                continue
            try:
                pid = relation_of(it).parent_id
            except ValueError:
                continue
            if not pid or pid in run.parents:
                continue
            if pid in in_page:
                run.parents[pid] = in_page[pid]
                continue
            if not self.options.fetch_parents:
                continue
            try:
                resp = await run.http.get_json(
                    f"{self.base_url}/api/v1/statuses/{quote(pid, safe='')}",
                    None,
                    run.headers,
                    allow_status=(401, 403, 404, 410),
                )
            except FetchError as exc:
                log.warning("mastodon %s: parent %s not fetched (%s); keeping its id only", self.name, pid, exc)
                run.parents[pid] = None
                continue
            ok = resp.status == 200 and isinstance(resp.data, dict)
            if not ok:
                log.info("mastodon %s: parent %s is gone or hidden (HTTP %s)", self.name, pid, resp.status)
            run.parents[pid] = resp.data if ok else None

    async def _batch(self, run: _Run, items: list[Any], state: dict[str, Any]) -> Batch:
        await self._load_parents(run, items)
        batch = Batch()
        for it in items:
            try:
                batch.posts.append(status_to_post(it, parents=run.parents, fallback_domain=self._domain))
            except ValidationError as exc:
                batch.rejected.append(Rejected(dump_raw(it), describe_validation(exc)))
            except (KeyError, TypeError, ValueError) as exc:
                batch.rejected.append(Rejected(dump_raw(it), f"{type(exc).__name__}: {exc}"))
        if self.options.likes:
            await self._add_likes(run, batch)
        batch.cursor = copy.deepcopy(state)
        return batch

    # -- likes and follows ----------------------------------------------------------------------

    def _account_posts(self, accounts: list[dict[str, Any]], make: Any, batch: Batch) -> None:
        for acc in accounts:
            try:
                batch.posts.append(make(acc, account_to_author(acc, self._domain)))
            except ValidationError as exc:
                batch.rejected.append(Rejected(dump_raw(acc), describe_validation(exc)))
            except (KeyError, TypeError, ValueError) as exc:
                batch.rejected.append(Rejected(dump_raw(acc), f"{type(exc).__name__}: {exc}"))

    async def _add_likes(self, run: _Run, batch: Batch) -> None:
        for post in list(batch.posts):
            if post.kind == "share" or post.raw is None:
                continue  # a boost's favourites belong to the boosted status
            st = json.loads(post.raw)
            if st.get("favourites_count") == 0:
                continue
            liked = parent_from_status(st, self._domain)
            url = reactions.favourited_by_url(self.base_url, post.post_id)
            try:
                async for accounts in reactions.account_pages(run.http, url, run.headers, errors=run.errors,
                                                              max_pages=self.options.likes_max_pages):
                    self._account_posts(
                        accounts,
                        lambda acc, author: reactions.like_post(PLATFORM, st, liked, acc, author),
                        batch,
                    )
            except FetchError as exc:
                log.warning("mastodon %s: likes of %s not fetched: %s", self.name, post.post_id, exc)
                run.errors.append(f"likes of {post.post_id}: {exc}")

    async def _follow_batches(self, run: _Run, state: dict[str, Any], account_id: str) -> AsyncIterator[Batch]:
        resp = await run.http.get_json(f"{self.base_url}/api/v1/accounts/{quote(account_id, safe='')}", None,
                                       run.headers, allow_status=(404, 410))
        if resp.status != 200 or not isinstance(resp.data, dict):
            run.errors.append(f"followed account {account_id} not found on {self.base_url}")
            return
        followed = reactions.account_parent(resp.data, account_to_author(resp.data, self._domain))
        observed_at = datetime.now(timezone.utc)
        url = reactions.followers_url(self.base_url, account_id)
        async for accounts in reactions.account_pages(run.http, url, run.headers, errors=run.errors,
                                                      max_pages=self.options.follows_max_pages):
            batch = Batch()
            self._account_posts(
                accounts,
                lambda acc, author: reactions.follow_post(PLATFORM, followed, acc, author, observed_at),
                batch,
            )
            batch.cursor = copy.deepcopy(state)
            yield batch

    # -- walking one timeline -------------------------------------------------------------------

    async def _walk(
        self, run: _Run, state: dict[str, Any], key: str, path: str, *, gone_on_404: bool = False, acct: str | None = None
    ) -> AsyncIterator[Batch]:
        o = self.options
        tl = state["timelines"].get(key)
        if tl is None:
            tl = {"newest": None, "backfill": None}
        if acct:
            tl["acct"] = acct
        budget = o.max_pages_per_run

        if not tl.get("newest"):
            # First run: the head page, then walk back (max_id) within max_pages_per_run.
            page = await self._page(run, path, {}, gone_on_404=gone_on_404)
            if page is None or not page.items:
                return  # nothing here yet; the next run starts again from the head
            if page.top is None:  # only unusable items, no ids: quarantine them, keep no position
                yield await self._batch(run, page.items, state)
                return
            budget -= 1
            left = o.max_pages_per_run - 1
            tl["newest"] = page.top
            tl["backfill"] = (
                {"max_id": page.bottom, "pages_left": left} if left > 0 and page.has_next and page.bottom else None
            )
            state["timelines"][key] = tl
            yield await self._batch(run, page.items, state)
            async for b in self._backfill(run, state, key, path, budget, gone_on_404):
                yield b
            return

        state["timelines"][key] = tl
        start_newest = tl["newest"]
        guard = PageGuard(f"mastodon {self.name}: {key} (forward)", start=tl["newest"])
        # Forward: the statuses immediately newer than `newest`, page after page (min_id).
        while budget > 0:
            page = await self._page(run, path, {"min_id": tl["newest"]}, gone_on_404=gone_on_404)
            if page is None or not page.items:
                break
            budget -= 1
            if guard.repeats(page.top):
                run.errors.append(str(guard.problem))
                break
            if page.top is None or id_key(page.top) <= id_key(tl["newest"]):
                log.warning("mastodon %s: %s did not move past min_id=%s; stopping", self.name, key, tl["newest"])
                break
            tl["newest"] = page.top
            yield await self._batch(run, page.items, state)
        # An interrupted first-run walk goes on with what is left of this run's budget.
        async for b in self._backfill(run, state, key, path, budget, gone_on_404):
            yield b
        # Optional re-read of a recent window for late-arriving remote statuses.
        if o.lookback_s:
            async for b in self._lookback(run, state, path, start_newest, gone_on_404):
                yield b

    async def _backfill(
        self, run: _Run, state: dict[str, Any], key: str, path: str, budget: int, gone_on_404: bool
    ) -> AsyncIterator[Batch]:
        tl = state["timelines"][key]
        guard = PageGuard(f"mastodon {self.name}: {key} (history)", start=(tl.get("backfill") or {}).get("max_id"))
        while budget > 0 and tl.get("backfill"):
            bf = tl["backfill"]
            page = await self._page(run, path, {"max_id": bf["max_id"]}, gone_on_404=gone_on_404)
            budget -= 1
            if page is None or not page.items or page.bottom is None:
                tl["backfill"] = None  # reached the start of the timeline
                yield Batch(cursor=copy.deepcopy(state))
                return
            if guard.repeats(page.bottom):
                # A looping server (e.g. a cache ignoring max_id): keep the walk where it is, so the
                # next run asks again from there; what the page holds is delivered (duplicates absorbed).
                run.errors.append(str(guard.problem))
                yield await self._batch(run, page.items, state)
                return
            left = bf["pages_left"] - 1
            moved = id_key(page.bottom) < id_key(bf["max_id"])
            if left > 0 and page.has_next and moved:
                tl["backfill"] = {"max_id": page.bottom, "pages_left": left}
            else:
                tl["backfill"] = None
            yield await self._batch(run, page.items, state)

    async def _lookback(
        self, run: _Run, state: dict[str, Any], path: str, upto: str, gone_on_404: bool
    ) -> AsyncIterator[Batch]:
        lower = snowflake_minus(upto, self.options.lookback_s)
        if lower is None:
            return
        upper = str(int(upto) + 1)  # max_id is exclusive; include `upto` itself
        cur = lower
        for _ in range(self.options.lookback_max_pages):
            page = await self._page(run, path, {"min_id": cur, "max_id": upper}, gone_on_404=gone_on_404)
            if page is None or not page.items or page.top is None or id_key(page.top) <= id_key(cur):
                return
            yield await self._batch(run, page.items, state)  # the cursor is unchanged
            if id_key(page.top) >= id_key(upto):
                return
            cur = page.top

    # -- accounts -------------------------------------------------------------------------------

    async def _lookup(self, run: _Run, acct: str) -> str | None:
        resp = await run.http.get_json(
            f"{self.base_url}/api/v1/accounts/lookup", {"acct": acct}, run.headers, allow_status=(404,)
        )
        if resp.status == 404 or not isinstance(resp.data, dict) or not _sid(resp.data.get("id")):
            return None
        return _sid(resp.data["id"])

    @staticmethod
    def _known_account(state: dict[str, Any], acct: str) -> str | None:
        for key, tl in state["timelines"].items():
            if key.startswith("account:") and tl.get("acct") == acct:
                return key.split(":", 1)[1]
        return None

    async def _account_batches(self, run: _Run, state: dict[str, Any], acct: str) -> AsyncIterator[Batch]:
        account_id = self._known_account(state, acct)
        cached = account_id is not None
        for _ in range(2):
            if account_id is None:
                account_id = await self._lookup(run, acct)
                cached = False
                if account_id is None:
                    msg = f"account {acct} not found on {self.base_url}"
                    log.warning("mastodon %s: %s", self.name, msg)
                    run.errors.append(msg)
                    return
            key = f"account:{account_id}"
            path = f"/api/v1/accounts/{quote(account_id, safe='')}/statuses"
            try:
                async for b in self._walk(run, state, key, path, gone_on_404=True, acct=acct):
                    yield b
                return
            except _Gone:
                stale = state["timelines"].get(key)
                if stale is not None:
                    stale.pop("acct", None)  # keep its position, but stop mapping acct -> this id
                if not cached:
                    run.errors.append(f"account {acct} (id {account_id}) answered 404")
                    return
                account_id = None  # look it up again once

    # -- the interface --------------------------------------------------------------------------

    async def recheck(self, post_ids: list[str]) -> dict[str, Post | None]:
        """Deletion watch: ``GET /api/v1/statuses/:id`` per post; 404/410 = deleted."""
        run = _Run(http=self._client(), headers=self._auth_headers())
        out: dict[str, Post | None] = {}
        for pid in post_ids:
            if pid.startswith(("like:", "follow:")):
                continue  # not a status: a like or follow cannot be re-checked this way (left unknown)
            try:
                resp = await run.http.get_json(f"{self.base_url}/api/v1/statuses/{quote(pid, safe='')}", None,
                                               run.headers, allow_status=(401, 403, 404, 410))
            except FetchError as exc:
                log.warning("mastodon %s: re-check of %s failed: %s", self.name, pid, exc)
                continue
            if resp.status in (404, 410):
                out[pid] = None
            elif resp.status == 200 and isinstance(resp.data, dict):
                try:
                    out[pid] = status_to_post(resp.data, fallback_domain=self._domain)
                except (ValidationError, KeyError, TypeError, ValueError) as exc:
                    log.warning("mastodon %s: re-check of %s unreadable: %s", self.name, pid, exc)
        return out

    async def fetch(self, cursor: dict[str, Any] | None) -> AsyncIterator[Batch]:
        """Yield one batch per page, hashtags first, then accounts (see the module docstring)."""
        run = _Run(http=self._client(), headers=self._auth_headers())
        state = load_cursor(cursor)
        jobs: list[tuple[str, Any]] = [("tag", t) for t in self.options.hashtags]
        jobs += [("account", a) for a in self.options.accounts]
        jobs += [("followers", a) for a in self.options.follows_of]
        for kind, what in jobs:
            try:
                if kind == "tag":
                    path = f"/api/v1/timelines/tag/{quote(what, safe='')}"
                    gen = self._walk(run, state, f"tag:{what}", path)
                elif kind == "followers":
                    gen = self._follow_batches(run, state, what)
                else:
                    gen = self._account_batches(run, state, what)
                async for batch in gen:
                    yield batch
            except FetchError as exc:
                log.error("mastodon %s: %s %s failed: %s", self.name, kind, what, exc)
                run.errors.append(f"{kind} {what}: {exc}")
        if run.errors:
            raise MastodonError(
                f"{len(run.errors)} of {len(jobs)} timelines had problems: " + " | ".join(run.errors)
            )
