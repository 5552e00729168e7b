"""``x`` source: recent search and user timelines of the X API v2, with an app bearer token.

Endpoints (X API v2, https://docs.x.com/x-api): ``GET /2/tweets/search/recent`` (``query``,
``max_results`` 10-100, ``since_id``, ``next_token``), ``GET /2/users/:id/tweets`` (``since_id``,
``pagination_token``) and ``GET /2/users/by?usernames=`` (handle -> id, up to 100 per call). Every
post request asks for ``tweet.fields=created_at,author_id,conversation_id,referenced_tweets,
in_reply_to_user_id,entities,lang,note_tweet``, ``expansions=author_id,referenced_tweets.id,
referenced_tweets.id.author_id`` and ``user.fields=username,name,description,url``, so authors and
the shared / quoted / answered posts arrive in ``includes`` of the same response. The bearer
token is read from the environment variable named by ``token_env`` (required); it travels only in
the ``Authorization`` header, never in a URL.

What is read (one *feed* each):

* ``queries`` from the options, and with ``derive_queries = true`` queries built from the rules'
  search terms (``SourceContext.search_terms()``): hashtags as they are, other terms as quoted
  phrases, OR-joined and split so that each query fits ``max_query_length`` (X: 512 characters
  on the Basic and Pro tiers); ``derived_query_suffix`` (e.g. ``lang:in``) is ANDed to each.
  ``-is:retweet`` is *not* added: retweets are shares, a behaviour we score.
* ``users`` from the options, and with ``declared_accounts = true`` the roster's declared X
  accounts (``SourceContext.declared_accounts("x")``): a numeric value is a user id, anything
  else a handle, resolved with ``/2/users/by`` and cached in the cursor.

Mapping (docs' ``referenced_tweets`` / ``includes.tweets`` and the newer spec's
``referenced_posts`` / ``includes.posts`` are both understood): ``post_id`` = id, ``url`` =
``https://x.com/{username}/status/{id}``, ``created_at``, author from ``includes.users``
(``id``, ``handle`` = username, ``name``, ``bio`` = description, ``url`` = profile on x.com; only
``id`` if the user is not included), ``text`` = ``note_tweet.text`` for long posts else ``text``,
with t.co links replaced by their ``expanded_url`` and HTML entities (``&amp;``) decoded.
``kind``: a ``retweeted`` reference -> ``share`` (X's own ``RT @user: ...`` text is kept; the
parent carries the full original), ``quoted`` -> ``quote`` (wins over being a reply, as in the
Mastodon source), ``replied_to`` -> ``comment``, else ``post``. The parent is the referenced
post from ``includes`` (id, url, text, author); a parent X did not include (deleted, protected,
suspended) leaves ``post_id`` only -- plus the author id from ``in_reply_to_user_id`` for a
reply -- and the post is kept. ``raw`` is the post object as received (keys sorted, compact,
UTF-8). A post that does not map or validate becomes a :class:`~monitor.collect.base.Rejected`
and the rest of the page goes on.

Cursor (a deep copy in every :class:`~monitor.collect.base.Batch`, valid after that batch)::

    {"v": 1,
     "feeds": {
       "search:#pemilu2024 OR \\"coblos 02\\"": {"since_id": "1790...", "walk": null, "derived": true},
       "user:2244994945": {"since_id": "1790...", "walk": {"since_id": "1789...", "top": "1791...",
                           "next_token": "b26v89c19zqg8o3f", "oldest": "1790...", "pages_left": null}}},
     "handles": {"budi_s": "2244994945"}}

* ``since_id``: every post of the feed up to this id is in a committed batch; the next head
  request asks for ``since_id`` (X answers newest first, ``max_results`` per page, and
  ``meta.next_token`` while more is left).
* ``walk``: a pagination in progress from a head request made with ``walk.since_id``; ``top`` is
  the newest id of its first page, ``next_token`` the token for the next page, ``oldest`` the
  oldest id delivered so far. When the walk ends, ``since_id`` becomes ``top``. A run that is
  interrupted (crash, failure, page budget) resumes the walk from the committed ``next_token``,
  so nothing between ``walk.since_id`` and ``top`` is skipped; posts newer than ``top`` come
  with the next head request. A token X no longer accepts (HTTP 400) is replaced by
  ``until_id = oldest`` with the same ``since_id``: the same range, restarted below what was
  delivered (the refusal costs no page of the budget).
* First run of a feed (no ``since_id``): the walk is limited to ``initial_pages`` pages
  (``pages_left``); older history is not collected. Later walks are never cut short: at most
  ``max_pages_per_run`` pages per feed and run, and a bigger backlog continues next run. A walk
  resumed from an earlier run is followed by one head request in the same run; a walk started
  in this run is not (what arrived meanwhile comes next run).
* Recent search only reaches back 7 days and refuses a ``since_id`` / ``until_id`` older than
  that (HTTP 400). Such a position (a quiet query, or a monitor that was down for a week) is not
  sent: the whole window is newer than it, so the feed reads the window instead; a walk whose
  remaining range has aged out ends. Ids are X "snowflakes" that carry their creation time.
* Ids are compared as integers (X ids are numeric strings of up to 19 digits). ``since_id``
  only moves up, a walk's ``oldest`` only down; a page that would not move it, or a token
  already used in this run's walk (:class:`~monitor.collect.pagination.PageGuard`, reported in
  the run's error), ends the walk so a server ignoring the parameters cannot loop us forever.
* Derived queries change when the rules change. A derived query seen for the first time starts
  at the oldest position of the derived queries that disappeared in the same run (so terms that
  moved between queries lose nothing); feeds of queries no longer configured are dropped. When
  no derived query is available in a run (no search terms), the old derived feeds are kept.
* ``handles``: resolved handle -> user id (lower case); ids are stable when a user renames.
  Handles no longer configured are forgotten; a cached id whose user X reports as not found
  is dropped (an empty batch commits that) and the handle is looked up again next run.

Likes (``likes = true``, off by default): for each collected post that has likes
(``public_metrics.like_count`` > 0, asked for then; every post when X does not say; never a
retweet, whose likes belong to the original), ``GET /2/tweets/:id/liking_users`` (``max_results``
100, ``pagination_token`` from ``meta.next_token``, at most ``likes_max_pages`` pages) gives one
``like`` post per user: ``post_id`` = ``like:<post id>:<user id>``, author = the user, parent =
the liked post (id, url, text, author), ``created_at`` = the **liked post's** ``created_at``:
the API does not say when a like was given. Likes are read once, when the post is collected.
X's OpenAPI spec lists only user-context auth for this endpoint; if X refuses the app token the
failure is reported per post (the posts themselves are kept).

Deletion watch (:meth:`XSource.recheck`): ``GET /2/tweets?ids=`` (100 per request, the
collection's fields); a ``resource-not-found`` problem for an id means deleted, any other problem
(authorization, suspended author) leaves it unknown; ``like:`` ids are not checked.

Rate limits: X sends ``x-rate-limit-limit`` / ``-remaining`` / ``-reset`` (Unix seconds) and 429
when a 15-minute window is used up. :class:`~monitor.collect.http.HttpClient` (which reads these header
names) waits until the reset before the next request when ``remaining`` is 0 and on 429, capped
by ``http.max_wait_s``; the whole source waits, not just one request.

Failures: a feed that fails (after the HTTP client's retries), a handle that does not exist or a
user X will not show does not stop the others; the run ends with :class:`XError` naming them
after every other batch was yielded. HTTP 401 (token missing or rejected) stops the run at once:
every further request would fail the same way.
"""

from __future__ import annotations

import copy
import html
import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Iterable, Mapping
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.collect.http_source import HttpSource, check_base_url
from monitor.collect.base import Batch, Rejected
from monitor.collect.http import FetchError, HttpClient, HttpOptions
from monitor.models import Author, ParentRef, Post
from monitor.collect.payload import describe_validation, dump_raw
from monitor.collect.pagination import PageGuard

log = logging.getLogger(__name__)

PLATFORM = "x"
CURSOR_VERSION = 1
MAX_TEXT = 100_000
DEFAULT_BASE_URL = "https://api.x.com"

SEARCH_PATH = "/2/tweets/search/recent"
USERS_BY_PATH = "/2/users/by"
LOOKUP_PATH = "/2/tweets"
LOOKUP_MAX = 100
"""``GET /2/tweets?ids=``: at most 100 ids per request."""
LIKING_USERS_PATH = "/2/tweets/{id}/liking_users"

TWEET_FIELDS = (
    "created_at,author_id,conversation_id,referenced_tweets,in_reply_to_user_id,entities,lang,note_tweet"
)
EXPANSIONS = "author_id,referenced_tweets.id,referenced_tweets.id.author_id"
USER_FIELDS = "username,name,description,url"

X_EPOCH_MS = 1288834974657
SEARCH_WINDOW_S = 7 * 86400 - 300
"""Recent search covers the last 7 days; since_id/until_id older than that are refused (HTTP 400).
Five minutes of margin for clock skew."""

_ID_RE = re.compile(r"[0-9]{1,19}")
_USERNAME_RE = re.compile(r"[A-Za-z0-9_]{1,15}")
_HASHTAG_RE = re.compile(r"[#$]\w+")
_KIND_OF_REF = {"retweeted": "share", "quoted": "quote", "replied_to": "comment"}


# ============================================================================ options


class XOptions(BaseModel):
    """``[sources.NAME]`` with ``type = "x"``."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(DEFAULT_BASE_URL, description="API root; a local fake server in tests")
    token_env: str = Field(
        ..., pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Env var holding the app's Bearer Token"
    )
    queries: list[str] = Field(default_factory=list, description="Recent-search queries, X query syntax")
    derive_queries: bool = Field(False, description="Also search for the rules' strong terms and hashtags")
    derived_query_suffix: str = Field("", max_length=200, description="ANDed to each derived query, e.g. lang:in")
    max_query_length: int = Field(512, ge=64, le=4096, description="X: 512 (Basic/Pro), 4096 (Enterprise)")
    users: list[str] = Field(default_factory=list, description="Handles (budi_s, @budi_s) or numeric user ids")
    declared_accounts: bool = Field(False, description="Also read the timelines of the roster's declared X accounts")
    max_results: int = Field(100, ge=10, le=100, description="Page size (X: 10-100 for search)")
    max_pages_per_run: int = Field(10, ge=1, le=10_000, description="Per feed and run")
    initial_pages: int = Field(2, ge=1, le=10_000, description="Depth of a feed's first run, in pages")
    likes: bool = Field(False, description="Also collect who liked each collected post (kind 'like')")
    likes_max_pages: int = Field(1, ge=1, le=100, description="liking_users pages (100 users) per post")
    http: HttpOptions = Field(default_factory=HttpOptions)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str) -> str:
        return check_base_url(v, 'https://api.x.com')

    @field_validator("queries")
    @classmethod
    def _queries(cls, v: list[str]) -> list[str]:
        out: list[str] = []
        for raw in v:
            q = " ".join(raw.split())
            if not q:
                raise ValueError("a query must not be empty")
            if q not in out:
                out.append(q)
        return out

    @field_validator("derived_query_suffix")
    @classmethod
    def _suffix(cls, v: str) -> str:
        return " ".join(v.split())

    @field_validator("users")
    @classmethod
    def _users(cls, v: list[str]) -> list[str]:
        out: list[str] = []
        for raw in v:
            u = normalize_user(raw)
            if u is None:
                raise ValueError(f"invalid X user {raw!r} (a handle such as budi_s, or a numeric id)")
            if u not in out:
                out.append(u)
        return out

    @model_validator(mode="after")
    def _check(self) -> "XOptions":
        if not (self.queries or self.derive_queries or self.users or self.declared_accounts):
            raise ValueError("set at least one of 'queries', 'derive_queries', 'users' or 'declared_accounts'")
        too_long = [q for q in self.queries if len(q) > self.max_query_length]
        if too_long:
            raise ValueError(
                f"query longer than max_query_length ({self.max_query_length}): {too_long[0][:60]!r}..."
            )
        return self


class XError(Exception):
    """A run of the X source could not do everything (details in the message)."""


def normalize_user(value: str) -> str | None:
    """``"@Budi_S"`` -> ``"budi_s"``; ``"2244994945"`` stays; None when it is neither."""
    v = value.strip()
    if v.startswith("@"):
        v = v[1:]
    if _ID_RE.fullmatch(v):
        return v
    if _USERNAME_RE.fullmatch(v):
        return v.lower()
    return None


# ============================================================================ queries from terms


def _clause(term: str) -> str | None:
    t = " ".join(term.split())
    if not t:
        return None
    if _HASHTAG_RE.fullmatch(t):
        return t
    t = " ".join(t.replace('"', " ").split())
    return f'"{t}"' if t else None


def _render(clauses: list[str], suffix: str) -> str:
    body = " OR ".join(clauses)
    if not suffix:
        return body
    return f"({body}) {suffix}" if len(clauses) > 1 else f"{body} {suffix}"


def build_queries(terms: Iterable[str], max_length: int = 512, suffix: str = "") -> tuple[list[str], list[str]]:
    """Pack search terms into as few X queries as fit ``max_length`` each.

    Hashtags/cashtags stay as they are, other terms become quoted phrases (inner quotes dropped);
    duplicates (case-insensitive) are dropped; ``suffix`` is ANDed to every query (the OR group
    is parenthesised, as X applies AND before OR). Returns (queries, terms that fit nowhere).
    """
    suffix = " ".join(suffix.split())
    queries: list[str] = []
    skipped: list[str] = []
    seen: set[str] = set()
    current: list[str] = []
    for term in terms:
        if not isinstance(term, str):
            continue
        c = _clause(term)
        if c is None or c.lower() in seen:
            continue
        seen.add(c.lower())
        if len(_render([c], suffix)) > max_length:
            skipped.append(term)
            continue
        if current and len(_render(current + [c], suffix)) > max_length:
            queries.append(_render(current, suffix))
            current = []
        current.append(c)
    if current:
        queries.append(_render(current, suffix))
    return queries, skipped


# ============================================================================ mapping


def _sid(value: Any) -> str | None:
    """A numeric X id as a string, or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str) and _ID_RE.fullmatch(value.strip()):
        return value.strip()
    return None


def _refs(tw: Mapping[str, Any]) -> list[tuple[str, str]]:
    raw = tw.get("referenced_tweets")
    if raw is None:
        raw = tw.get("referenced_posts")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValueError("'referenced_tweets' is not a list")
    out = []
    for r in raw:
        if isinstance(r, dict) and isinstance(r.get("type"), str) and _sid(r.get("id")):
            out.append((r["type"], _sid(r["id"])))
    return out


def _expand_urls(text: str, entities: Any) -> str:
    if not isinstance(entities, dict) or not isinstance(entities.get("urls"), list):
        return text
    for u in entities["urls"]:
        if not isinstance(u, dict):
            continue
        short, long = u.get("url"), u.get("expanded_url")
        if isinstance(short, str) and short and isinstance(long, str) and long:
            text = text.replace(short, long)
    return text


def tweet_text(tw: Mapping[str, Any]) -> str:
    """The full text: ``note_tweet`` for long posts, t.co links expanded, entities decoded."""
    note = tw.get("note_tweet")
    if isinstance(note, dict) and isinstance(note.get("text"), str) and note["text"]:
        text, entities = note["text"], note.get("entities")
    else:
        text, entities = tw.get("text"), tw.get("entities")
    if not isinstance(text, str):
        raise ValueError("'text' is missing or not a string")
    return html.unescape(_expand_urls(text, entities))[:MAX_TEXT]


def user_to_author(user: Any, user_id: str | None) -> Author:
    """User object (from ``includes.users``) -> Author; only the id when the user is unknown."""
    if isinstance(user, dict):
        username = user.get("username") if isinstance(user.get("username"), str) else None
        name = user.get("name") if isinstance(user.get("name"), str) else None
        bio = user.get("description") if isinstance(user.get("description"), str) else None
        return Author(
            id=_sid(user.get("id")) or user_id,
            handle=username or None,
            name=name or None,
            bio=html.unescape(bio) if bio else None,
            url=f"https://x.com/{username}" if username else None,
        )
    return Author(id=user_id)


def post_url(post_id: str, username: str | None) -> str:
    return f"https://x.com/{username}/status/{post_id}" if username else f"https://x.com/i/web/status/{post_id}"


@dataclass
class Lookup:
    """``includes`` of one response: users and posts by id."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    tweets: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_response(cls, data: Mapping[str, Any]) -> "Lookup":
        lk = cls()
        inc = data.get("includes")
        if isinstance(inc, dict):
            for u in inc.get("users") or []:
                if isinstance(u, dict) and _sid(u.get("id")):
                    lk.users[_sid(u["id"])] = u
            for key in ("tweets", "posts"):
                for t in inc.get(key) or []:
                    if isinstance(t, dict) and _sid(t.get("id")):
                        lk.tweets[_sid(t["id"])] = t
        items = data.get("data")
        if isinstance(items, list):  # a reply to a post of the same page
            for t in items:
                if isinstance(t, dict) and _sid(t.get("id")):
                    lk.tweets.setdefault(_sid(t["id"]), t)
        return lk


def _parent(ref_id: str, lookup: Lookup, reply_user_id: str | None = None) -> ParentRef:
    found = lookup.tweets.get(ref_id)
    if found is None:
        author = None
        if reply_user_id:
            author = user_to_author(lookup.users.get(reply_user_id), reply_user_id)
        username = author.handle if author else None
        return ParentRef(post_id=ref_id, url=post_url(ref_id, username), author=author)
    aid = _sid(found.get("author_id"))
    author = user_to_author(lookup.users.get(aid), aid) if aid else None
    try:
        text = tweet_text(found)
    except ValueError:
        text = None
    return ParentRef(post_id=ref_id, url=post_url(ref_id, author.handle if author else None), text=text, author=author)


def like_post(post: Post, liked: ParentRef, user: Any) -> Post:
    """``user`` (a User object of ``liking_users``) likes ``post``. X exposes no like time:
    ``created_at`` is the liked post's (the like happened at or after it)."""
    if not isinstance(user, dict) or not _sid(user.get("id")):
        raise ValueError("a liking user must be a JSON object with a numeric 'id'")
    author = user_to_author(user, _sid(user["id"]))
    return Post(
        platform=PLATFORM,
        post_id=f"like:{post.post_id}:{author.id}",
        url=liked.url,
        created_at=post.created_at,
        author=author,
        kind="like",
        text="",
        parent=liked,
        raw=dump_raw({"liking_user": user, "tweet_id": post.post_id}),
    )


def tweet_to_post(tw: Any, lookup: Lookup | None = None) -> Post:
    """Map one post object to a Post (raises ValueError / ValidationError if it cannot)."""
    if not isinstance(tw, dict):
        raise ValueError("a post must be a JSON object")
    lookup = lookup or Lookup()
    pid = _sid(tw.get("id"))
    if pid is None:
        raise ValueError("'id' is missing or not a numeric string")
    aid = _sid(tw.get("author_id"))
    if aid is None:
        raise ValueError("'author_id' is missing (tweet.fields=author_id)")
    author = user_to_author(lookup.users.get(aid), aid)
    refs = dict((t, i) for t, i in reversed(_refs(tw)))  # first reference of each type wins
    kind, parent = "post", None
    for ref_type in ("retweeted", "quoted", "replied_to"):
        if ref_type in refs:
            kind = _KIND_OF_REF[ref_type]
            reply_uid = _sid(tw.get("in_reply_to_user_id")) if ref_type == "replied_to" else None
            parent = _parent(refs[ref_type], lookup, reply_uid)
            break
    return Post(
        platform=PLATFORM,
        post_id=pid,
        url=post_url(pid, author.handle),
        created_at=tw.get("created_at"),
        author=author,
        kind=kind,
        text=tweet_text(tw),
        parent=parent,
        raw=dump_raw(tw),
    )


# ============================================================================ HTTP


# ============================================================================ cursor


def _empty_state() -> dict[str, Any]:
    return {"v": CURSOR_VERSION, "feeds": {}, "handles": {}}


def _clean_walk(w: Any) -> dict[str, Any] | None:
    if not isinstance(w, dict) or not _sid(w.get("top")):
        return None
    token = w.get("next_token")
    pages_left = w.get("pages_left")
    out = {
        "since_id": _sid(w.get("since_id")),
        "top": _sid(w["top"]),
        "next_token": token if isinstance(token, str) and token else None,
        "oldest": _sid(w.get("oldest")),
        "pages_left": pages_left if isinstance(pages_left, int) and pages_left > 0 else None,
    }
    if out["next_token"] is None and out["oldest"] is None:
        return None
    return out


def load_cursor(cursor: Mapping[str, Any] | None) -> dict[str, Any]:
    """A clean, private copy of a stored cursor (an unknown shape starts over, with a warning)."""
    if not cursor:
        return _empty_state()
    if cursor.get("v") != CURSOR_VERSION or not isinstance(cursor.get("feeds"), dict):
        log.warning("x: unrecognised cursor %r; starting every feed afresh", cursor)
        return _empty_state()
    state = _empty_state()
    for key, f in cursor["feeds"].items():
        if not isinstance(f, dict):
            continue
        clean: dict[str, Any] = {"since_id": _sid(f.get("since_id")), "walk": _clean_walk(f.get("walk"))}
        if f.get("derived") is True:
            clean["derived"] = True
        state["feeds"][str(key)] = clean
    handles = cursor.get("handles")
    if isinstance(handles, dict):
        state["handles"] = {str(h): _sid(i) for h, i in handles.items() if _sid(i)}
    return state


def _position(feed: Mapping[str, Any]) -> str | None:
    """Up to where a feed is complete (the lower bound of a walk in progress)."""
    walk = feed.get("walk")
    return (walk["since_id"] or feed.get("since_id")) if walk else feed.get("since_id")


def snowflake_time(post_id: str) -> float | None:
    """Unix time encoded in an X id (a "snowflake"); None when it is not a plausible one."""
    try:
        ms = (int(post_id) >> 22) + X_EPOCH_MS
    except ValueError:
        return None
    return ms / 1000 if 1_288_834_974_657 < ms < 4_000_000_000_000 else None


# ============================================================================ the source


@dataclass
class _Page:
    items: list[Any]
    lookup: Lookup
    newest: str | None
    oldest: str | None
    next_token: str | None


@dataclass
class _Run:
    http: HttpClient
    headers: dict[str, str]
    errors: list[str] = field(default_factory=list)


class _UserProblem(Exception):
    """The timeline answered with errors about the user instead of posts (unknown, protected...)."""

    def __init__(self, message: str, gone: bool = False) -> None:
        super().__init__(message)
        self.gone = gone
        """True when X says the user does not exist (a cached handle -> id is then stale)."""


class _Unauthorized(Exception):
    pass


def _problems(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    errs = data.get("errors")
    return [e for e in errs if isinstance(e, dict)] if isinstance(errs, list) else []


def _problem_text(e: Mapping[str, Any]) -> str:
    parts = [str(e[k]) for k in ("title", "detail") if isinstance(e.get(k), str)]
    return ": ".join(parts) or str(e)[:200]


class XSource(HttpSource):
    type_name = "x"
    options_model = XOptions

    def __init__(self, name: str, options: Any, http: HttpClient | None = None, context: Any = None) -> None:
        super().__init__(name, options, http, context)
        options = self.options  # validated by HttpSource
        self.options: XOptions = options
        self.base_url = options.base_url

    # -- plumbing -------------------------------------------------------------------------------

    def _token(self) -> str:
        env = self.options.token_env
        token = os.environ.get(env, "").strip()
        if not token:
            raise XError(
                f"sources.{self.name}.token_env: environment variable {env} is not set "
                "(put the Bearer Token of your X app in it)"
            )
        return token

    async def _get(self, run: _Run, path: str, params: dict[str, Any], *, allow_status=()) -> Any:
        try:
            resp = await run.http.get_json(self.base_url + path, params, run.headers, allow_status=allow_status)
        except FetchError as exc:
            if exc.status == 401:
                raise _Unauthorized(str(exc)) from exc
            raise
        if resp.status == 404:
            return None
        if not isinstance(resp.data, dict):
            raise FetchError(
                f"expected a JSON object, got {type(resp.data).__name__}", url=resp.url, status=resp.status
            )
        return resp.data

    def _post_params(self) -> dict[str, Any]:
        return {
            "max_results": self.options.max_results,
            # like_count tells which posts have likes worth asking liking_users about
            "tweet.fields": TWEET_FIELDS + (",public_metrics" if self.options.likes else ""),
            "expansions": EXPANSIONS,
            "user.fields": USER_FIELDS,
        }

    async def _page(self, run: _Run, path: str, params: dict[str, Any]) -> _Page:
        data = await self._get(run, path, {**self._post_params(), **params}, allow_status=(404,))
        if data is None:
            raise _UserProblem("HTTP 404", gone=True)
        items = data.get("data")
        if items is None:
            items = []
            problems = [e for e in _problems(data) if e.get("resource_type") == "user"]
            if problems:
                gone = any(str(e.get("type", "")).endswith("/resource-not-found") for e in problems)
                raise _UserProblem("; ".join(_problem_text(e) for e in problems), gone=gone)
        if not isinstance(items, list):
            raise FetchError("'data' is not a list of posts", url=self.base_url + path)
        meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
        ids = [i for i in (_sid(it.get("id")) for it in items if isinstance(it, dict)) if i]
        newest = max([x for x in (_sid(meta.get("newest_id")), *ids) if x], key=int, default=None)
        oldest = min([x for x in (_sid(meta.get("oldest_id")), *ids) if x], key=int, default=None)
        token = meta.get("next_token")
        return _Page(
            items=items,
            lookup=Lookup.from_response(data),
            newest=newest,
            oldest=oldest,
            next_token=token if isinstance(token, str) and token else None,
        )

    async def _batch(self, run: _Run, page: _Page, state: dict[str, Any]) -> Batch:
        batch = Batch()
        for it in page.items:
            try:
                batch.posts.append(tweet_to_post(it, page.lookup))
            except ValidationError as exc:
                batch.rejected.append(Rejected(dump_raw(it), describe_validation(exc)))
            except (KeyError, TypeError, ValueError) as exc:
                batch.rejected.append(Rejected(dump_raw(it), f"{type(exc).__name__}: {exc}"))
        if self.options.likes:
            await self._add_likes(run, batch)
        batch.cursor = copy.deepcopy(state)
        return batch

    # -- likes ----------------------------------------------------------------------------------

    async def _add_likes(self, run: _Run, batch: Batch) -> None:
        """``liking_users`` of each post of the batch that has likes (not of retweets: their likes
        belong to the original), at most ``likes_max_pages`` pages each."""
        for post in list(batch.posts):
            if post.kind == "share" or post.raw is None:
                continue
            tw = json.loads(post.raw)
            metrics = tw.get("public_metrics")
            if isinstance(metrics, dict) and metrics.get("like_count") == 0:
                continue
            liked = ParentRef(post_id=post.post_id, url=post.url, text=post.text, author=post.author)
            path = LIKING_USERS_PATH.format(id=quote(post.post_id, safe=""))
            params: dict[str, Any] = {"max_results": 100, "user.fields": USER_FIELDS}
            guard = PageGuard(f"x {self.name}: likes of {post.post_id}")
            try:
                for _ in range(self.options.likes_max_pages):
                    data = await self._get(run, path, params, allow_status=(404,))
                    users = data.get("data") if isinstance(data, dict) else None
                    if not isinstance(users, list) or not users:
                        break
                    for u in users:
                        try:
                            batch.posts.append(like_post(post, liked, u))
                        except ValidationError as exc:
                            batch.rejected.append(Rejected(dump_raw(u), describe_validation(exc)))
                        except (KeyError, TypeError, ValueError) as exc:
                            batch.rejected.append(Rejected(dump_raw(u), f"{type(exc).__name__}: {exc}"))
                    meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
                    token = meta.get("next_token")
                    if not isinstance(token, str) or not token or guard.repeats(token):
                        break
                    params = {**params, "pagination_token": token}
                if guard.problem:
                    run.errors.append(guard.problem)
            except FetchError as exc:
                log.warning("x %s: likes of %s not fetched: %s", self.name, post.post_id, exc)
                run.errors.append(f"likes of {post.post_id}: {exc}")

    # -- walking one feed -----------------------------------------------------------------------

    def _in_window(self, post_id: str | None, windowed: bool) -> bool:
        """Whether ``post_id`` may be sent as since_id/until_id (recent search: the last 7 days)."""
        if not windowed or post_id is None:
            return True
        t = snowflake_time(post_id)
        return t is None or t > time.time() - SEARCH_WINDOW_S

    async def _feed(
        self,
        run: _Run,
        state: dict[str, Any],
        key: str,
        path: str,
        base: dict[str, Any],
        token_param: str,
        *,
        windowed: bool = False,
    ) -> AsyncIterator[Batch]:
        feed = state["feeds"].get(key) or {"since_id": None, "walk": None}
        budget = self.options.max_pages_per_run
        heads = 0
        guard = PageGuard(f"x {self.name}: {key}", start=(feed.get("walk") or {}).get("next_token"))
        while budget > 0:
            walk = feed.get("walk")
            if walk:
                params = dict(base)
                if walk["since_id"] and self._in_window(walk["since_id"], windowed):
                    params["since_id"] = walk["since_id"]
                if walk["next_token"]:
                    params[token_param] = walk["next_token"]
                elif walk["oldest"] and self._in_window(walk["oldest"], windowed):
                    params["until_id"] = walk["oldest"]
                else:  # what is left of the range has aged out of the search window
                    log.info("x %s: %s: the rest of the walk is older than the search window", self.name, key)
                    self._end_walk(feed)
                    state["feeds"][key] = feed
                    yield Batch(cursor=copy.deepcopy(state))
                    continue
                try:
                    page = await self._page(run, path, params)
                except FetchError as exc:
                    if exc.status == 400 and walk["next_token"]:
                        log.warning(
                            "x %s: %s: pagination token refused (%s); continuing below id %s",
                            self.name, key, exc, walk["oldest"],
                        )
                        if walk["oldest"]:
                            walk["next_token"] = None
                        else:
                            feed["walk"] = None  # nothing delivered yet: start the range again
                        continue  # not a page: the budget is not spent (it ends a budget-1 livelock)
                    raise
                budget -= 1
                self._advance(key, feed, page, guard)
                if guard.problem and guard.problem not in run.errors:
                    run.errors.append(guard.problem)
                state["feeds"][key] = feed
                yield await self._batch(run, page, state)
                if feed.get("walk") is None and heads > 0:
                    return  # a walk started in this run ends the run of this feed
                continue
            if heads > 0:
                return
            heads += 1
            guard = PageGuard(guard.where)  # a new walk: it may meet the tokens of the walk before
            since = feed.get("since_id")
            lower = since if self._in_window(since, windowed) else None
            if since and lower is None:
                log.info(
                    "x %s: %s: since_id %s is older than the 7-day search window; reading the whole window",
                    self.name, key, since,
                )
            params = dict(base)
            if lower:
                params["since_id"] = lower
            page = await self._page(run, path, params)
            budget -= 1
            if page.newest is None:
                if page.items:  # only unusable items: quarantine them, keep the position
                    yield await self._batch(run, page, state)
                return
            if since and int(page.newest) <= int(since):
                log.warning("x %s: %s: answer not newer than since_id=%s; ignored", self.name, key, since)
                return
            pages_left = None if since else self.options.initial_pages - 1
            if page.next_token and (pages_left is None or pages_left > 0) and not guard.repeats(page.next_token):
                feed["walk"] = {
                    "since_id": lower,
                    "top": page.newest,
                    "next_token": page.next_token,
                    "oldest": page.oldest,
                    "pages_left": pages_left,
                }
            else:
                feed["since_id"] = page.newest
                if guard.problem and guard.problem not in run.errors:
                    run.errors.append(guard.problem)
            state["feeds"][key] = feed
            yield await self._batch(run, page, state)
            if feed.get("walk") is None:
                return

    @staticmethod
    def _end_walk(feed: dict[str, Any]) -> None:
        feed["since_id"] = max(feed["walk"]["top"], feed.get("since_id") or "0", key=int)
        feed["walk"] = None

    def _advance(self, key: str, feed: dict[str, Any], page: _Page, guard: PageGuard) -> None:
        """Move a walk on after one of its pages (or end it: no next token, a token this walk
        already used -- ``guard`` -- or a page that does not go below the previous one)."""
        walk = feed["walk"]
        moved = page.oldest is not None and (walk["oldest"] is None or int(page.oldest) < int(walk["oldest"]))
        if page.oldest is not None and not moved:
            log.warning("x %s: %s: page did not go below id %s; ending the walk", self.name, key, walk["oldest"])
        if moved:
            walk["oldest"] = page.oldest
        pages_left = walk["pages_left"] - 1 if walk["pages_left"] is not None else None
        more = (
            page.next_token is not None
            and not guard.repeats(page.next_token)
            and (moved or page.oldest is None)
            and (pages_left is None or pages_left > 0)
        )
        if more:
            walk["next_token"] = page.next_token
            walk["pages_left"] = pages_left
        else:
            self._end_walk(feed)

    # -- searches -------------------------------------------------------------------------------

    def _searches(self, state: dict[str, Any]) -> list[str]:
        """The queries of this run; prunes and seeds cursor entries (see the module docstring)."""
        o = self.options
        queries = list(o.queries)
        derived: list[str] = []
        if o.derive_queries:
            terms = self.context.search_terms() or []
            built, skipped = build_queries(terms, o.max_query_length, o.derived_query_suffix)
            for t in skipped:
                log.warning("x %s: search term too long for one query, left out: %r", self.name, t[:80])
            derived = [q for q in built if q not in queries]
            if not built:
                log.warning("x %s: derive_queries is on but the rules give no search terms", self.name)
        feeds = state["feeds"]
        current = {f"search:{q}" for q in queries + derived}
        stale = [k for k in feeds if k.startswith("search:") and k not in current]
        if o.derive_queries and not derived:
            stale = [k for k in stale if not feeds[k].get("derived")]  # keep them for a later run
        floors = [p for k in stale if feeds[k].get("derived") and (p := _position(feeds[k]))]
        floor = min(floors, key=int) if floors else None
        for q in derived:
            key = f"search:{q}"
            if key not in feeds:
                feeds[key] = {"since_id": floor, "walk": None, "derived": True}
            else:
                feeds[key]["derived"] = True
        for q in queries:
            feeds.get(f"search:{q}", {}).pop("derived", None)
        for k in stale:
            del feeds[k]
        return queries + derived

    # -- users ----------------------------------------------------------------------------------

    def _user_list(self, run: _Run) -> list[str]:
        users = list(self.options.users)
        if self.options.declared_accounts:
            for raw in self.context.declared_accounts(PLATFORM) or []:
                u = normalize_user(raw) if isinstance(raw, str) else None
                if u is None:
                    run.errors.append(f"declared account {raw!r} is not an X handle or user id")
                elif u not in users:
                    users.append(u)
        return users

    async def _resolve(self, run: _Run, state: dict[str, Any], users: list[str]) -> tuple[list[tuple[str, str]], bool]:
        """(label, user id) per user; handles not cached are looked up 100 at a time."""
        cache: dict[str, str] = state["handles"]
        handles = [u for u in users if not _ID_RE.fullmatch(u)]
        for h in [h for h in cache if h not in handles]:
            del cache[h]
        todo = [h for h in handles if h not in cache]
        changed = False
        for i in range(0, len(todo), 100):
            chunk = todo[i : i + 100]
            try:
                data = await self._get(run, USERS_BY_PATH, {"usernames": ",".join(chunk), "user.fields": USER_FIELDS})
            except FetchError as exc:
                run.errors.append(f"looking up {len(chunk)} handle(s): {exc}")
                continue
            found = data.get("data") if isinstance(data.get("data"), list) else []
            for u in found:
                if isinstance(u, dict) and isinstance(u.get("username"), str) and _sid(u.get("id")):
                    h = u["username"].lower()
                    if h in chunk:
                        cache[h] = _sid(u["id"])
                        changed = True
            for h in chunk:
                if h not in cache:
                    why = next(
                        (_problem_text(e) for e in _problems(data) if str(e.get("value", "")).lower() == h),
                        "not found",
                    )
                    run.errors.append(f"user @{h}: {why}")
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for u in users:
            uid = u if _ID_RE.fullmatch(u) else cache.get(u)
            if uid and uid not in seen:
                seen.add(uid)
                out.append((u if uid == u else f"@{u}", uid))
        return out, changed

    # -- the interface --------------------------------------------------------------------------

    async def recheck(self, post_ids: list[str]) -> dict[str, Post | None]:
        """Deletion watch: ``GET /2/tweets?ids=`` 100 at a time, with the fields of collection.

        A post in ``data`` is returned as it is now; one named by a ``resource-not-found``
        problem ("Not Found Error") is deleted (None); any other problem (authorization,
        suspended author...) or a failed request leaves it unknown (no key). ``like:`` ids are not
        posts and are not checked."""
        run = _Run(http=self._client(), headers={"Authorization": f"Bearer {self._token()}"})
        ids = [i for i in dict.fromkeys(post_ids) if _ID_RE.fullmatch(i)]
        params = {k: v for k, v in self._post_params().items() if k != "max_results"}
        out: dict[str, Post | None] = {}
        for i in range(0, len(ids), LOOKUP_MAX):
            chunk = ids[i : i + LOOKUP_MAX]
            try:
                data = await self._get(run, LOOKUP_PATH, {**params, "ids": ",".join(chunk)})
            except _Unauthorized as exc:
                log.warning("x %s: re-check refused (HTTP 401): %s", self.name, exc)
                break
            except FetchError as exc:
                log.warning("x %s: re-check of %d post(s) failed: %s", self.name, len(chunk), exc)
                continue
            if data is None:
                continue
            wanted = set(chunk)
            items = data.get("data") if isinstance(data.get("data"), list) else []
            lookup = Lookup.from_response(data)
            for tw in items:
                pid = _sid(tw.get("id")) if isinstance(tw, dict) else None
                if pid not in wanted:
                    continue
                try:
                    out[pid] = tweet_to_post(tw, lookup)
                except (ValidationError, KeyError, TypeError, ValueError) as exc:
                    log.warning("x %s: re-check of %s unreadable: %s", self.name, pid, exc)
            for e in _problems(data):
                rid = _sid(e.get("resource_id")) or _sid(e.get("value"))
                if rid not in wanted or rid in out or e.get("parameter") not in (None, "ids"):
                    continue  # not about a post we asked for (e.g. a referenced post not included)
                if str(e.get("type", "")).endswith("/problems/resource-not-found"):
                    out[rid] = None
                else:
                    log.info("x %s: re-check of %s: %s", self.name, rid, _problem_text(e))
        return out

    async def fetch(self, cursor: dict[str, Any] | None) -> AsyncIterator[Batch]:
        """Yield one batch per page: searches first, then user timelines (see the module docstring)."""
        run = _Run(http=self._client(), headers={"Authorization": f"Bearer {self._token()}"})
        state = load_cursor(cursor)
        feeds_total = 0
        try:
            searches = self._searches(state)
            feeds_total += len(searches)
            for q in searches:
                try:
                    gen = self._feed(run, state, f"search:{q}", SEARCH_PATH, {"query": q}, "next_token", windowed=True)
                    async for b in gen:
                        yield b
                except (FetchError, _UserProblem) as exc:
                    log.error("x %s: query %r failed: %s", self.name, q, exc)
                    run.errors.append(f"query {q!r}: {exc}")

            users = self._user_list(run)
            if users:
                resolved, changed = await self._resolve(run, state, users)
                if changed:
                    yield Batch(cursor=copy.deepcopy(state))  # remember the ids even if nobody posted
                feeds_total += len(users)
                for label, uid in resolved:
                    path = f"/2/users/{quote(uid, safe='')}/tweets"
                    try:
                        async for b in self._feed(run, state, f"user:{uid}", path, {}, "pagination_token"):
                            yield b
                    except _UserProblem as exc:
                        run.errors.append(f"user {label} (id {uid}): {exc}")
                        if exc.gone and label.startswith("@"):
                            del state["handles"][label[1:]]  # look the handle up again next run
                            yield Batch(cursor=copy.deepcopy(state))
                    except FetchError as exc:
                        log.error("x %s: user %s failed: %s", self.name, label, exc)
                        run.errors.append(f"user {label}: {exc}")
        except _Unauthorized as exc:
            raise XError(
                f"X refused the bearer token from {self.options.token_env} (HTTP 401); "
                f"check the token of your X app. {exc}"
            ) from None
        if run.errors:
            n = len(run.errors)
            raise XError(
                f"{n} problem{'s' if n != 1 else ''} in this run ({feeds_total} feeds): " + " | ".join(run.errors)
            )
