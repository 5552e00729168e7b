"""A local fake of the X API v2, for tests (real HTTP on 127.0.0.1, no network).

Endpoints (parameters checked against the official OpenAPI spec subset in
``tests/data/x/openapi_subset.json``; Post and User JSON built from the official doc examples in
``tests/data/x``, changing only ids, texts and times):

* ``GET /2/tweets/search/recent`` -- ``query`` (a small evaluator of X's syntax: terms, quoted
  phrases, ``#hashtags``, ``OR``, parentheses, ``-`` negation, ``lang:``, ``from:``,
  ``is:retweet|reply|quote``), ``max_results`` 10-100 (default 10), ``since_id``, ``until_id``,
  ``next_token`` / ``pagination_token``
* ``GET /2/users/:id/tweets`` -- ``max_results`` 5-100, ``since_id``, ``until_id``,
  ``pagination_token``; an unknown or protected user gives 200 with only ``errors``
* ``GET /2/users/by?usernames=a,b`` -- found users in ``data``, ``Not Found Error`` in ``errors``
* ``GET /2/tweets?ids=a,b`` (up to 100) -- visible posts in ``data`` (in the order asked), a
  deleted or unknown id a ``Not Found Error`` and a protected author's post an
  ``Authorization Error`` in ``errors``, as X does
* ``GET /2/tweets/:id/liking_users`` -- ``max_results`` 1-100 (default 100),
  ``pagination_token`` (``meta.next_token``); users added with :meth:`FakeX.like`, newest first

Recent search sees the last 7 days only (real time: posts are created from two days ago on) and
refuses a ``since_id`` / ``until_id`` older than that with 400, as X does. Results are newest
first; ``meta`` has ``newest_id``, ``oldest_id``, ``result_count`` and
``next_token`` while more is left (an empty result is just ``{"meta": {"result_count": 0}}``).
Pagination tokens are opaque, bound to the request they continue (same query/user,
``since_id``, ``until_id``); an unknown or expired token is a 400 ``Invalid Request``. Fields
follow ``tweet.fields`` / ``post.fields``, ``user.fields`` and ``expansions`` (defaults: ``id``,
``text``, ``edit_history_tweet_ids``; ``id``, ``name``, ``username``). A referenced post that is
not visible (deleted, protected) is left out of ``includes`` with an ``errors`` entry, as X does.
``naming="posts"`` answers in the newer spec's words (``referenced_posts``, ``includes.posts``).

Every request needs ``Authorization: Bearer <bearer_token>`` (else 401 in X's problem shape) and
every response carries ``x-rate-limit-limit`` / ``-remaining`` / ``-reset`` (Unix seconds).

Fault injection (each for the next N matching requests, optionally only for a path prefix, only
for requests whose query contains given parameters, and only after ``after`` matching requests
went through; when several faults are due, the one added first wins and the others wait): :meth:`FakeX.fail_next` (5xx), :meth:`rate_limit_next` (429 with remaining 0 and a
reset), :meth:`exhaust_quota_next` (200 but remaining 0), :meth:`slow_next`,
:meth:`truncate_next` (cut body or dropped connection); :meth:`expire_tokens` invalidates every
pagination token issued so far. :attr:`requests` logs every request.

Large streams (``bench/crash_test.py``): with :attr:`FakeX.indexed_search` set, recent search keeps
each query's matches sorted and pages them by bisection instead of scanning every post per page.
"""

from __future__ import annotations

import asyncio
import bisect
import copy
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "x"
X_EPOCH_MS = 1288834974657

SEARCH_WINDOW_S = 7 * 86400
SEARCH = "/2/tweets/search/recent"
USERS_BY = "/2/users/by"
TIMELINE = "/2/users/{id}/tweets"
LOOKUP = "/2/tweets"
LIKING_USERS = "/2/tweets/{id}/liking_users"


def load_fixture(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def snowflake_time(post_id: str) -> float:
    return ((int(post_id) >> 22) + X_EPOCH_MS) / 1000


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


# ------------------------------------------------------------------ the spec

_SPEC = load_fixture("openapi_subset.json")


def _spec_params(path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in _SPEC["paths"][path]["get"]["parameters"]}


def _add_spec_paths() -> None:
    """``/2/tweets`` and ``liking_users`` as in the official spec (``ids``: 1-100 PostIds;
    ``max_results`` 1-100, ``pagination_token``), reusing the field parameters of the subset."""
    search = _spec_params(SEARCH)
    users_by = _spec_params(USERS_BY)
    ids = {"name": "ids", "in": "query", "required": True, "explode": False, "style": "form",
           "schema": {"type": "array", "minItems": 1, "maxItems": 100,
                      "items": {"type": "string", "pattern": "^[0-9]{1,19}$"}}}
    _SPEC["paths"].setdefault(LOOKUP, {"get": {"parameters": [
        ids, *(search[n] for n in ("post.fields", "expansions", "user.fields") if n in search)]}})
    _SPEC["paths"].setdefault(LIKING_USERS, {"get": {"parameters": [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9]{1,19}$"}},
        {"name": "max_results", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 100}},
        {"name": "pagination_token", "in": "query", "required": False, "schema": {"type": "string", "minLength": 1}},
        *(users_by[n] for n in ("user.fields", "expansions", "post.fields") if n in users_by)]}})


_add_spec_paths()


def _enum(path: str, name: str) -> set[str]:
    return set(_spec_params(path)[name]["schema"]["items"]["enum"])


# The docs' Tweet fields (data dictionary); the recent spec's post.fields enum lacks several.
_DOCS_TWEET_FIELDS = {
    "attachments", "author_id", "card_uri", "context_annotations", "conversation_id", "created_at",
    "edit_controls", "edit_history_tweet_ids", "entities", "geo", "id", "in_reply_to_user_id", "lang",
    "non_public_metrics", "note_tweet", "organic_metrics", "possibly_sensitive", "promoted_metrics",
    "public_metrics", "referenced_tweets", "reply_settings", "source", "text", "withheld",
}
TWEET_FIELDS = _DOCS_TWEET_FIELDS | _enum(SEARCH, "post.fields") | {"referenced_posts", "edit_history_post_ids"}
EXPANSIONS = _enum(SEARCH, "expansions") | {
    "referenced_tweets.id", "referenced_tweets.id.author_id", "edit_history_tweet_ids",
    "referenced_posts.id", "referenced_posts.id.author_id",
}
USER_FIELDS = _enum(SEARCH, "user.fields") | {"pinned_tweet_id", "most_recent_tweet_id"}
_FIELD_ALIASES = {"referenced_posts": "referenced_tweets", "edit_history_post_ids": "edit_history_tweet_ids"}


def _allowed_params(path: str) -> set[str]:
    names = {n for n, p in _spec_params(path).items() if p.get("in") == "query"}
    if "post.fields" in names:
        names.add("tweet.fields")  # the docs' (and the live API's) name
    return names


# ------------------------------------------------------------------ query evaluator


class QueryError(ValueError):
    pass


_TOKEN_RE = re.compile(r'\(|\)|-?"[^"]*"|[^\s()]+')

Pred = Callable[[dict[str, Any], dict[str, Any] | None], bool]


def _text_has(text: str, needle: str) -> bool:
    return re.search(rf"(?<![\w#@$]){re.escape(needle)}(?!\w)", text, re.IGNORECASE) is not None


def _atom(tok: str) -> Pred:
    neg = tok.startswith("-") and len(tok) > 1
    t = tok[1:] if neg else tok
    if t.startswith('"') and t.endswith('"') and len(t) >= 2:
        phrase = " ".join(t[1:-1].split())
        if not phrase:
            raise QueryError("empty phrase")
        base: Pred = lambda tw, u: _text_has(tw.get("text") or "", phrase)  # noqa: E731
    elif t.lower().startswith("lang:"):
        lang = t[5:].lower()
        base = lambda tw, u: (tw.get("lang") or "").lower() == lang  # noqa: E731
    elif t.lower().startswith("from:"):
        who = t[5:].lstrip("@").lower()
        base = lambda tw, u: u is not None and (u.get("username", "").lower() == who or u.get("id") == who)  # noqa: E731
    elif t.lower().startswith("is:"):
        what = {"retweet": "retweeted", "reply": "replied_to", "quote": "quoted"}.get(t[3:].lower())
        if what is None:
            raise QueryError(f"unsupported operator {t}")
        base = lambda tw, u: any(r.get("type") == what for r in tw.get("referenced_tweets") or [])  # noqa: E731
    else:
        base = lambda tw, u: _text_has(tw.get("text") or "", t)  # noqa: E731
    return (lambda tw, u: not base(tw, u)) if neg else base


def compile_query(query: str) -> Pred:
    tokens = _TOKEN_RE.findall(query)
    pos = 0

    def expr() -> Pred:
        nonlocal pos
        alts = [conj()]
        while pos < len(tokens) and tokens[pos] == "OR":
            pos += 1
            alts.append(conj())
        return lambda tw, u: any(a(tw, u) for a in alts)

    def conj() -> Pred:
        nonlocal pos
        parts: list[Pred] = []
        while pos < len(tokens) and tokens[pos] not in (")", "OR"):
            tok = tokens[pos]
            pos += 1
            if tok == "(":
                parts.append(expr())
                if pos >= len(tokens) or tokens[pos] != ")":
                    raise QueryError("unbalanced parentheses")
                pos += 1
            else:
                parts.append(_atom(tok))
        if not parts:
            raise QueryError("empty clause")
        return lambda tw, u: all(p(tw, u) for p in parts)

    pred = expr()
    if pos != len(tokens):
        raise QueryError("unbalanced parentheses")
    return pred


# ------------------------------------------------------------------ bookkeeping


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
    query: dict[str, str] | None = None
    after: int = 0
    params: dict[str, Any] = field(default_factory=dict)

    def applies(self, request: web.Request) -> bool:
        if self.count <= 0:
            return False
        if self.path_prefix is not None and not request.path.startswith(self.path_prefix):
            return False
        return not (self.query and any(request.query.get(k) != v for k, v in self.query.items()))


def _problem(status: int, title: str, detail: str | None = None) -> dict[str, Any]:
    return {"title": title, "detail": detail or title, "type": "about:blank", "status": status}


def _invalid(name: str, value: str, message: str) -> web.Response:
    body = {
        "errors": [{"parameters": {name: [value]}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    return web.json_response(body, status=400)


class FakeX:
    """In-memory X. Build data with :meth:`add_user` / :meth:`add_tweet` / :meth:`put_raw`."""

    def __init__(self, naming: str = "tweets") -> None:
        assert naming in ("tweets", "posts")
        self.naming = naming
        self.bearer_token = "test-bearer-token"
        self.tweets: dict[str, dict[str, Any]] = {}
        self._meta: dict[str, dict[str, Any]] = {}  # id -> {"visible", "author_id", "sort"}
        self.users: dict[str, dict[str, Any]] = {}
        self.protected_users: set[str] = set()
        self.requests: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self.rate_limit = 450
        self.remaining = 450
        self.max_query_length = 512
        self.trailing_empty_page = False
        self.base_url = ""
        self._tokens: dict[str, tuple[tuple, int]] = {}
        self._token_seq = itertools.count(1)
        self._next_user_id = 1_500_000_000_000_000_000
        self._seq = 0
        # Posts are made "now" (from two days ago on): recent search only sees the last 7 days.
        self._t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=2)
        self._tick = 0
        doc = load_fixture("fundamentals__data-dictionary__reference__08.json")
        self._tweet_template = doc["data"][0]
        self._user_template = doc["includes"]["users"][0]
        self.app = web.Application(middlewares=[self._middleware])
        self.app.router.add_get(SEARCH, self._search)
        self.app.router.add_get(USERS_BY, self._users_by)
        self.app.router.add_get("/2/users/{id}/tweets", self._timeline)
        self.app.router.add_get(LOOKUP, self._lookup)
        self.app.router.add_get(LIKING_USERS, self._liking_users)
        self.likes: dict[str, list[str]] = {}  # post id -> ids of the users who liked it, oldest first
        # Opt-in for large streams (crash test): recent search keeps, per query, the sorted matches
        # and tests only posts added since; visibility and the 7-day window are still checked per
        # request, so pages are the same as the plain scan's as long as posts are not edited in place.
        self.indexed_search = False
        self._order: list[str] = []  # keys in the order they were added
        self._matches: dict[str, tuple[int, list[int], list[str]]] = {}  # query -> (seen, sorts, keys)

    # ------------------------------------------------------------------ data

    def add_user(
        self, username: str, name: str | None = None, *, description: str = "ASN Pemkot", user_id: str | None = None
    ) -> dict[str, Any]:
        u = copy.deepcopy(self._user_template)
        uid = user_id or str(self._next_user_id)
        self._next_user_id += 1
        u.update(
            id=uid,
            username=username,
            name=name if name is not None else username.replace("_", " ").title(),
            description=description,
            created_at=iso(self._t0 - timedelta(days=400)),
            url="",
            location="Indonesia",
            verified=False,
            protected=False,
            public_metrics={"followers_count": 0, "following_count": 0, "tweet_count": 0, "listed_count": 0},
        )
        u.pop("entities", None)
        u.pop("pinned_tweet_id", None)
        self.users[uid] = u
        return u

    def _new_id(self, when: datetime) -> str:
        self._seq = (self._seq + 1) & 0xFFF
        return str(((int(when.timestamp() * 1000) - X_EPOCH_MS) << 22) | self._seq)

    def _now(self) -> datetime:
        self._tick += 1
        return self._t0 + timedelta(seconds=self._tick)

    @staticmethod
    def _entities(text: str, urls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        ent: dict[str, Any] = {}
        tags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)} for m in re.finditer(r"#(\w+)", text)]
        mentions = [
            {"start": m.start(), "end": m.end(), "username": m.group(1)} for m in re.finditer(r"@(\w+)", text)
        ]
        if tags:
            ent["hashtags"] = tags
        if mentions:
            ent["mentions"] = mentions
        if urls:
            ent["urls"] = urls
        return ent

    def add_tweet(
        self,
        user: dict[str, Any],
        text: str = "halo",
        *,
        reply_to: dict[str, Any] | None = None,
        quote_of: dict[str, Any] | None = None,
        retweet_of: dict[str, Any] | None = None,
        lang: str = "in",
        created_at: datetime | None = None,
        publish: bool = True,
    ) -> dict[str, Any]:
        """Create a post (newest so far). ``publish=False`` keeps it invisible (deleted/protected)."""
        when = created_at or self._now()
        tid = self._new_id(when)
        tw = copy.deepcopy(self._tweet_template)
        for k in ("referenced_tweets", "in_reply_to_user_id"):
            tw.pop(k, None)
        urls: list[dict[str, Any]] = []
        refs: list[dict[str, str]] = []
        conversation = tid
        if retweet_of is not None:
            orig_user = self.users[retweet_of["author_id"]]
            text = f"RT @{orig_user['username']}: {retweet_of['text']}"
            if len(text) > 140:
                text = text[:139] + "…"
            refs.append({"type": "retweeted", "id": retweet_of["id"]})
        if reply_to is not None:
            refs.append({"type": "replied_to", "id": reply_to["id"]})
            tw["in_reply_to_user_id"] = reply_to["author_id"]
            conversation = reply_to.get("conversation_id", reply_to["id"])
            text = f"@{self.users[reply_to['author_id']]['username']} {text}"
        if quote_of is not None:
            refs.append({"type": "quoted", "id": quote_of["id"]})
            short = f"https://t.co/q{tid[-8:]}"
            qu = self.users[quote_of["author_id"]]["username"]
            text = f"{text} {short}"
            urls.append(
                {
                    "start": len(text) - len(short),
                    "end": len(text),
                    "url": short,
                    "expanded_url": f"https://x.com/{qu}/status/{quote_of['id']}",
                    "display_url": f"x.com/{qu}/status/{quote_of['id'][:6]}…",
                }
            )
        tw.update(
            id=tid,
            text=text,
            created_at=iso(when),
            author_id=user["id"],
            conversation_id=conversation,
            lang=lang,
            edit_history_tweet_ids=[tid],
            entities=self._entities(text, urls),
            public_metrics={"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0},
        )
        if refs:
            tw["referenced_tweets"] = refs
        self.tweets[tid] = tw
        self._meta[tid] = {"visible": publish, "author_id": user["id"], "sort": int(tid), "ts": when.timestamp()}
        self._order.append(tid)
        return tw

    def put_raw(self, item: Any, *, sort_id: int, author_id: str | None = None) -> None:
        """Insert any JSON value as a post (for malformed payloads), ordered by ``sort_id``.

        It is returned as stored, by every search (whatever the query) and by the timeline of
        ``author_id``."""
        key = f"raw:{sort_id}"
        if key not in self._meta:
            self._order.append(key)
        self.tweets[key] = item
        self._meta[key] = {"visible": True, "author_id": author_id, "sort": sort_id, "raw": True}
        self._matches.clear()

    def hide(self, tweet_id: str) -> None:
        """Delete a post: gone from results; a post referencing it gets an ``errors`` entry."""
        self._meta[tweet_id]["visible"] = False

    def like(self, tweet: dict[str, Any], user: dict[str, Any]) -> None:
        """``user`` likes ``tweet`` (counted in its ``public_metrics.like_count``)."""
        self.likes.setdefault(tweet["id"], []).append(user["id"])
        if isinstance(tweet.get("public_metrics"), dict):
            tweet["public_metrics"]["like_count"] = len(self.likes[tweet["id"]])

    def expire_tokens(self) -> None:
        self._tokens.clear()

    def newest_ids(self) -> list[str]:
        return [k for k, _ in sorted(self._meta.items(), key=lambda kv: kv[1]["sort"], reverse=True)]

    # ------------------------------------------------------------------ faults

    def _add_fault(self, kind: str, n: int, path_prefix, query, after, **params: Any) -> None:
        self.faults.append(Fault(kind, n, path_prefix, query, after, params))

    def fail_next(self, n: int = 1, status: int = 503, *, path_prefix=None, query=None, after: int = 0) -> None:
        self._add_fault("status", n, path_prefix, query, after, status=status)

    def rate_limit_next(self, n: int = 1, *, reset_in_s: float = 30, path_prefix=None, query=None, after: int = 0) -> None:
        """429 ``Too Many Requests`` with ``x-rate-limit-remaining: 0`` and the reset ``reset_in_s`` away."""
        self._add_fault("rate_limit", n, path_prefix, query, after, reset_in_s=reset_in_s)

    def exhaust_quota_next(self, n: int = 1, *, reset_in_s: float = 5, path_prefix=None, query=None, after: int = 0) -> None:
        """Answer normally but with ``x-rate-limit-remaining: 0`` and a reset ``reset_in_s`` away."""
        self._add_fault("quota", n, path_prefix, query, after, reset_in_s=reset_in_s)

    def slow_next(self, n: int = 1, *, delay_s: float = 1.0, path_prefix=None, query=None, after: int = 0) -> None:
        self._add_fault("slow", n, path_prefix, query, after, delay_s=delay_s)

    def truncate_next(self, n: int = 1, *, mode: str = "cut", path_prefix=None, query=None, after: int = 0) -> None:
        """``cut``: a complete response whose JSON body is cut in half; ``disconnect``: full
        Content-Length declared, half sent, then the connection is closed."""
        assert mode in ("cut", "disconnect")
        self._add_fault("truncate", n, path_prefix, query, after, mode=mode)

    # ------------------------------------------------------------------ http plumbing

    def _rate_headers(self, remaining: int | None = None, reset_in_s: float = 900.0) -> dict[str, str]:
        return {
            "x-rate-limit-limit": str(self.rate_limit),
            "x-rate-limit-remaining": str(self.remaining if remaining is None else remaining),
            "x-rate-limit-reset": str(int(time.time() + reset_in_s)),
        }

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        entry = LoggedRequest(request.method, request.path, dict(request.query), dict(request.headers))
        self.requests.append(entry)
        self.remaining -= 1
        if self.remaining <= 1:  # never let the normal counter itself trigger a client wait
            self.remaining = self.rate_limit
        if request.headers.get("Authorization") != f"Bearer {self.bearer_token}":
            entry.status = 401
            return web.json_response(_problem(401, "Unauthorized"), status=401, headers=self._rate_headers())
        fault = None
        for f in self.faults:  # every fault counts the requests it applies to (``after``)
            if f.applies(request):
                if f.after > 0:
                    f.after -= 1
                elif fault is None:
                    fault = f
        if fault is not None:
            fault.count -= 1
        kind = fault.kind if fault else None
        p = fault.params if fault else {}
        if kind == "status":
            entry.status = p["status"]
            title = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}.get(p["status"], "Error")
            return web.json_response(_problem(p["status"], title), status=p["status"], headers=self._rate_headers())
        if kind == "rate_limit":
            entry.status = 429
            hdrs = self._rate_headers(remaining=0, reset_in_s=p["reset_in_s"])
            return web.json_response(_problem(429, "Too Many Requests"), status=429, headers=hdrs)
        if kind == "slow":
            await asyncio.sleep(p["delay_s"])
        resp = await handler(request)
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
                cut.headers.update({k: v for k, v in resp.headers.items() if k.lower().startswith("x-")})
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

    def _json(self, data: Any, status: int = 200) -> web.Response:
        return web.Response(
            text=json.dumps(data, ensure_ascii=False), status=status, content_type="application/json", charset="utf-8"
        )

    # ------------------------------------------------------------------ validation (from the spec)

    def _validate(self, request: web.Request, spec_path: str) -> web.Response | None:
        params = _spec_params(spec_path)
        allowed = _allowed_params(spec_path)
        for name, value in request.query.items():
            if name not in allowed:
                return _invalid(name, value, f"The query parameter [{name}] is not one of [{','.join(sorted(allowed))}]")
        for name, p in params.items():
            if p.get("in") != "query":
                continue
            value = request.query.get(name)
            if value is None:
                if p.get("required"):
                    return _invalid(name, "", f"The `{name}` query parameter can not be empty")
                continue
            schema = p["schema"]
            if schema.get("type") == "integer":
                try:
                    n = int(value)
                except ValueError:
                    return _invalid(name, value, f"The `{name}` query parameter value [{value}] is not a number")
                if not schema.get("minimum", n) <= n <= schema.get("maximum", n):
                    return _invalid(
                        name, value,
                        f"The `{name}` query parameter value [{value}] is not between "
                        f"{schema.get('minimum')} and {schema.get('maximum')}",
                    )
            elif schema.get("type") == "string":
                if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 10**9):
                    return _invalid(name, value, f"The `{name}` query parameter value has an invalid length")
                if "pattern" in schema and not re.fullmatch(schema["pattern"].strip("^$"), value):
                    msg = f"The `{name}` query parameter value [{value}] does not match {schema['pattern']}"
                    return _invalid(name, value, msg)
            elif schema.get("type") == "array":
                items = value.split(",")
                enum = schema["items"].get("enum")
                allowed_items = set(enum) if enum else None
                if name == "post.fields":
                    allowed_items = TWEET_FIELDS
                elif name == "user.fields":
                    allowed_items = USER_FIELDS
                elif name == "expansions" and allowed_items and "author_id" in allowed_items:
                    allowed_items = EXPANSIONS
                pattern = schema["items"].get("pattern")
                for it in items:
                    if allowed_items is not None and it not in allowed_items:
                        msg = f"The `{name}` query parameter value [{it}] is not one of {sorted(allowed_items)}"
                        return _invalid(name, it, msg)
                    if pattern and not re.fullmatch(pattern.strip("^$"), it):
                        return _invalid(name, it, f"The `{name}` query parameter value [{it}] does not match {pattern}")
                if len(items) > schema.get("maxItems", 10**9):
                    return _invalid(name, value, f"The `{name}` query parameter has more than {schema['maxItems']} items")
        tf = request.query.get("tweet.fields")
        if tf is not None:
            for it in tf.split(","):
                if it not in TWEET_FIELDS:
                    msg = f"The `tweet.fields` query parameter value [{it}] is not one of {sorted(TWEET_FIELDS)}"
                    return _invalid("tweet.fields", it, msg)
        return None

    # ------------------------------------------------------------------ rendering

    def _requested(self, request: web.Request) -> tuple[set[str], set[str], set[str]]:
        tf = set(filter(None, (request.query.get("tweet.fields") or "").split(",")))
        tf |= set(filter(None, (request.query.get("post.fields") or "").split(",")))
        tf = {_FIELD_ALIASES.get(f, f) for f in tf}
        exp = set(filter(None, (request.query.get("expansions") or "").split(",")))
        uf = set(filter(None, (request.query.get("user.fields") or "").split(",")))
        return tf, exp, uf

    def _render_tweet(self, tw: Any, fields: set[str]) -> Any:
        out = {k: tw[k] for k in ("id", "text", "edit_history_tweet_ids") if k in tw}
        for f in fields:
            if f in tw:
                out[f] = tw[f]
        if self.naming == "posts":
            out = {
                {"referenced_tweets": "referenced_posts", "edit_history_tweet_ids": "edit_history_post_ids"}.get(k, k): v
                for k, v in out.items()
            }
        return out

    def _render_user(self, u: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        out = {k: u[k] for k in ("id", "name", "username")}
        for f in fields:
            if f in u:
                out[f] = u[f]
        return out

    def _visible(self, tid: str) -> bool:
        m = self._meta.get(tid)
        return bool(m and m["visible"]) and self._meta[tid]["author_id"] not in self.protected_users

    def _envelope(self, request: web.Request, keys: list[str]) -> dict[str, Any]:
        tf, exp, uf = self._requested(request)
        items = [self.tweets[k] for k in keys]
        body: dict[str, Any] = {
            "data": [t if self._meta[k].get("raw") else self._render_tweet(t, tf) for k, t in zip(keys, items)]
        }
        users: dict[str, dict[str, Any]] = {}
        refs: dict[str, dict[str, Any]] = {}
        errors: list[dict[str, Any]] = []
        want_refs = bool(exp & {"referenced_tweets.id", "referenced_posts", "referenced_posts.id"})
        want_ref_authors = bool(exp & {"referenced_tweets.id.author_id", "referenced_posts.id.author_id"})
        for t in items:
            if not isinstance(t, dict):
                continue
            if "author_id" in exp and t.get("author_id") in self.users:
                users.setdefault(t["author_id"], self.users[t["author_id"]])
            if "in_reply_to_user_id" in exp and t.get("in_reply_to_user_id") in self.users:
                users.setdefault(t["in_reply_to_user_id"], self.users[t["in_reply_to_user_id"]])
            if not want_refs:
                continue
            for r in t.get("referenced_tweets") or []:
                rid = r.get("id")
                if rid in self.tweets and self._visible(rid):
                    refs.setdefault(rid, self.tweets[rid])
                    aid = self.tweets[rid].get("author_id")
                    if want_ref_authors and aid in self.users:
                        users.setdefault(aid, self.users[aid])
                else:
                    errors.append(
                        {
                            "value": rid,
                            "detail": f"Could not find tweet with referenced_tweets.id: [{rid}].",
                            "title": "Not Found Error",
                            "resource_type": "tweet",
                            "parameter": "referenced_tweets.id",
                            "resource_id": rid,
                            "type": "https://api.twitter.com/2/problems/resource-not-found",
                        }
                    )
        includes: dict[str, Any] = {}
        if users:
            includes["users"] = [self._render_user(u, uf) for u in users.values()]
        if refs:
            includes["posts" if self.naming == "posts" else "tweets"] = [self._render_tweet(t, tf) for t in refs.values()]
        if includes:
            body["includes"] = includes
        if errors:
            body["errors"] = errors
        return body

    def _paged(
        self, request: web.Request, keys: list[str], sig_key: tuple, token_params: tuple[str, ...], default_max: int
    ) -> web.Response:
        q = request.query
        limit = int(q.get("max_results", default_max))
        since, until = q.get("since_id"), q.get("until_id")
        sig = (sig_key, since, until)
        position = None
        for tp in token_params:
            tok = q.get(tp)
            if tok is None:
                continue
            entry = self._tokens.get(tok)
            if entry is None or entry[0] != sig:
                return _invalid(tp, tok, f"The `{tp}` query parameter value [{tok}] is not valid")
            position = entry[1]
        if isinstance(keys, tuple):  # the indexed search: (sorts ascending, keys, filter)
            page, more = self._indexed_page(*keys, limit=limit, since=since, until=until, position=position)
        else:
            sel = sorted(keys, key=lambda k: self._meta[k]["sort"], reverse=True)
            if since:
                sel = [k for k in sel if self._meta[k]["sort"] > int(since)]
            if until:
                sel = [k for k in sel if self._meta[k]["sort"] < int(until)]
            if position is not None:
                sel = [k for k in sel if self._meta[k]["sort"] < position]
            page, more = sel[:limit], len(sel) > limit
        if not page:
            return self._json({"meta": {"result_count": 0}})
        body = self._envelope(request, page)
        real = [k for k in page if not k.startswith("raw:")]
        meta: dict[str, Any] = {"result_count": len(page)}
        if real:
            meta["newest_id"], meta["oldest_id"] = real[0], real[-1]
        if more or self.trailing_empty_page:
            tok = f"b{next(self._token_seq):05d}" + format(abs(hash((sig, page[-1]))) % 36**10, "x")
            self._tokens[tok] = (sig, self._meta[page[-1]]["sort"])
            meta["next_token"] = tok
        body["meta"] = meta
        return self._json(body)

    @staticmethod
    def _indexed_page(sorts: list[int], keys: list[str], ok: Callable[[str], bool], *, limit: int,
                      since: str | None, until: str | None, position: int | None) -> tuple[list[str], bool]:
        """The newest ``limit`` keys passing ``ok`` strictly between the bounds, and whether more are left."""
        bounds = [b for b in (int(until) if until else None, position) if b is not None]
        i = bisect.bisect_left(sorts, min(bounds)) if bounds else len(sorts)
        low = int(since) if since else None
        page: list[str] = []
        while i > 0:
            i -= 1
            if low is not None and sorts[i] <= low:
                break
            if ok(keys[i]):
                if len(page) == limit:
                    return page, True
                page.append(keys[i])
        return page, False

    def _search_matches(self, query: str, pred: Pred) -> tuple[list[int], list[str]]:
        seen, sorts, keys = self._matches.get(query, (0, [], []))
        order = self._order
        upto = len(order)  # posts may be added meanwhile (by another thread): they wait for the next request
        for k in order[seen:upto]:
            m, tw = self._meta[k], self.tweets[k]
            author = self.users.get(m["author_id"]) if m["author_id"] else None
            if m.get("raw") or pred(tw, author):
                if sorts and m["sort"] < sorts[-1]:
                    i = bisect.bisect_left(sorts, m["sort"])
                    sorts.insert(i, m["sort"])
                    keys.insert(i, k)
                else:
                    sorts.append(m["sort"])
                    keys.append(k)
        self._matches[query] = (upto, sorts, keys)
        return sorts, keys

    # ------------------------------------------------------------------ handlers

    async def _search(self, request: web.Request) -> web.Response:
        bad = self._validate(request, SEARCH)
        if bad is not None:
            return bad
        window_start = time.time() - SEARCH_WINDOW_S
        for name in ("since_id", "until_id"):
            v = request.query.get(name)
            if v is not None and snowflake_time(v) < window_start:
                after = datetime.fromtimestamp(window_start, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                return _invalid(name, v, f"Invalid '{name}':'{v}'. '{name}' must be a tweet id created after {after}.")
        query = request.query["query"]
        if len(query) > self.max_query_length:
            return _invalid("query", query, f"Query length exceeds {self.max_query_length} characters")
        try:
            pred = compile_query(query)
        except QueryError as exc:
            return _invalid("query", query, f"There were errors processing your request: {exc}")
        if self.indexed_search:
            sorts, matched = self._search_matches(query, pred)

            def ok(k: str) -> bool:
                return self._visible(k) and self._meta[k].get("ts", window_start) >= window_start

            return self._paged(request, (sorts, matched, ok), ("search", query), ("next_token", "pagination_token"), 10)
        keys = []
        for k, m in self._meta.items():
            if not self._visible(k) or m.get("ts", window_start) < window_start:
                continue
            tw = self.tweets[k]
            if m.get("raw"):
                keys.append(k)
                continue
            author = self.users.get(m["author_id"]) if m["author_id"] else None
            if pred(tw, author):
                keys.append(k)
        return self._paged(request, keys, ("search", query), ("next_token", "pagination_token"), 10)

    async def _timeline(self, request: web.Request) -> web.Response:
        bad = self._validate(request, TIMELINE)
        if bad is not None:
            return bad
        uid = request.match_info["id"]
        if not re.fullmatch(r"[0-9]{1,19}", uid):
            return _invalid("id", uid, f"The `id` query parameter value [{uid}] is not valid")
        if uid not in self.users:
            return self._json({"errors": [{
                "value": uid, "detail": f"Could not find user with id: [{uid}].", "title": "Not Found Error",
                "resource_type": "user", "parameter": "id", "resource_id": uid,
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }]})
        if uid in self.protected_users:
            return self._json({"errors": [{
                "value": uid, "detail": f"Sorry, you are not authorized to see the user with id: [{uid}].",
                "title": "Authorization Error", "resource_type": "user", "parameter": "id", "resource_id": uid,
                "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
            }]})
        keys = [k for k, m in self._meta.items() if m["author_id"] == uid and m["visible"]]
        return self._paged(request, keys, ("user", uid), ("pagination_token",), 10)

    async def _users_by(self, request: web.Request) -> web.Response:
        bad = self._validate(request, USERS_BY)
        if bad is not None:
            return bad
        _, _, uf = self._requested(request)
        body: dict[str, Any] = {}
        found, errors = [], []
        for name in request.query["usernames"].split(","):
            u = next((u for u in self.users.values() if u["username"].lower() == name.lower()), None)
            if u is None:
                errors.append({
                    "value": name, "detail": f"Could not find user with usernames: [{name}].",
                    "title": "Not Found Error", "resource_type": "user", "parameter": "usernames",
                    "resource_id": name, "type": "https://api.twitter.com/2/problems/resource-not-found",
                })
            else:
                found.append(self._render_user(u, uf))
        if found:
            body["data"] = found
        if errors:
            body["errors"] = errors
        return self._json(body)

    async def _lookup(self, request: web.Request) -> web.Response:
        bad = self._validate(request, LOOKUP)
        if bad is not None:
            return bad
        found: list[str] = []
        errors: list[dict[str, Any]] = []
        for tid in request.query["ids"].split(","):
            m = self._meta.get(tid)
            if m is not None and self._visible(tid):
                found.append(tid)
            elif m is not None and m["visible"] and m["author_id"] in self.protected_users:
                errors.append({
                    "value": tid, "detail": f"Sorry, you are not authorized to see the Tweet with ids: [{tid}].",
                    "title": "Authorization Error", "resource_type": "tweet", "parameter": "ids",
                    "resource_id": tid, "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
                })
            else:
                errors.append({
                    "value": tid, "detail": f"Could not find tweet with ids: [{tid}].", "title": "Not Found Error",
                    "resource_type": "tweet", "parameter": "ids", "resource_id": tid,
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                })
        body: dict[str, Any] = self._envelope(request, found) if found else {}
        if errors:
            body["errors"] = errors + body.get("errors", [])
        if found:
            body["meta"] = {"result_count": len(found)}
        return self._json(body)

    async def _liking_users(self, request: web.Request) -> web.Response:
        bad = self._validate(request, LIKING_USERS)
        if bad is not None:
            return bad
        tid = request.match_info["id"]
        if not re.fullmatch(r"[0-9]{1,19}", tid):
            return _invalid("id", tid, f"The `id` query parameter value [{tid}] is not valid")
        if not self._visible(tid):
            return self._json({"errors": [{
                "value": tid, "detail": f"Could not find tweet with id: [{tid}].", "title": "Not Found Error",
                "resource_type": "tweet", "parameter": "id", "resource_id": tid,
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }]})
        q = request.query
        limit = int(q.get("max_results", 100))
        start = 0
        tok = q.get("pagination_token")
        if tok is not None:
            entry = self._tokens.get(tok)
            if entry is None or entry[0] != ("liking_users", tid):
                return _invalid("pagination_token", tok, f"The `pagination_token` query parameter value [{tok}] is not valid")
            start = entry[1]
        likers = list(reversed(self.likes.get(tid, [])))
        page = likers[start : start + limit]
        if not page:
            return self._json({"meta": {"result_count": 0}})
        _, _, uf = self._requested(request)
        meta: dict[str, Any] = {"result_count": len(page)}
        if start + limit < len(likers):
            nxt = f"l{next(self._token_seq):05d}"
            self._tokens[nxt] = (("liking_users", tid), start + limit)
            meta["next_token"] = nxt
        return self._json({"data": [self._render_user(self.users[u], uf) for u in page], "meta": meta})

    # ------------------------------------------------------------------ helpers for assertions

    def paths(self, prefix: str = "") -> list[str]:
        return [r.path for r in self.requests if r.path.startswith(prefix)]


async def start_fake_x(fake: FakeX | None = None) -> tuple[FakeX, TestServer]:
    fake = fake or FakeX()
    server = TestServer(fake.app, host="127.0.0.1", port=0)
    await server.start_server(shutdown_timeout=0.5)
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake, server


@pytest.fixture
async def x_server() -> AsyncIterator[FakeX]:
    """A running :class:`FakeX` on 127.0.0.1 (random port); ``.base_url`` to reach it."""
    fake, server = await start_fake_x()
    try:
        yield fake
    finally:
        await server.close()
