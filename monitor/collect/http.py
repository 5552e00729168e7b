"""Shared async HTTP client for source plugins (Mastodon now; X, YouTube, Bluesky, Telegram later).

One :class:`HttpClient` per source: it owns one :class:`aiohttp.ClientSession`, paces requests
for that source, and turns every JSON GET into either an :class:`HttpResponse` or a
:class:`FetchError` that says what went wrong (status, URL, last error, attempts).
:meth:`HttpClient.get_bytes` does the same for other formats (e.g. RSS/Atom feeds): same
policy below, but the body is returned as bytes and never judged or retried for its content.

Retry policy (documented in the README):

* **Retried** (up to ``max_retries`` extra attempts): connection errors, timeouts (the whole
  request including the body is bounded by ``timeout_s``), a body cut short by the server
  (``ClientPayloadError``), a 2xx body that is not valid JSON (truncated / garbled), HTTP 408,
  425, 429 and 5xx except 501 and 505.
* **Wait before retrying**: if the server says how long (``Retry-After`` on 429/503, in seconds or
  as an HTTP date; or ``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset`` as an ISO time --
  Mastodon -- a Unix time or a number of seconds; the longer of the two), exactly that, capped by
  ``max_wait_s`` (then the request is tried again; if still refused, it counts as a failed
  attempt). Otherwise (or if the hinted time is already past) exponential backoff with *full
  jitter*: ``random() * min(backoff_max_s, backoff_base_s * 2**attempt)``.
* A server-requested wait blocks the whole source (every later request of this client), not
  only the request that got it. ``X-RateLimit-Remaining: 0`` on a *successful* response also
  makes the next request wait until the reset time, so a source never knowingly runs into 429.
* **HTML (or other non-JSON) with a 2xx status** (proxy maintenance page, CDN challenge, captive
  portal) is retried **once**: such pages are often transient, but a base URL pointing at a web
  site instead of the API returns one every time and should fail fast. Then ``FetchError``.
* **Invalid UTF-8 in a JSON body** (JSON must be UTF-8, RFC 8259 8.1: such a body was damaged on
  the way -- a proxy, a cut at a multi-byte character -- not written so by the platform's JSON
  encoder) is retried **once**, then ``FetchError`` naming the byte offset. Nothing of that page
  is delivered, so the source keeps its cursor before it and asks again next run; the page is
  never stored with replacement characters (evidence is not altered). A JSON string with an
  *escaped* lone surrogate (half of an escaped surrogate pair, e.g. an emoji the platform cut in
  half) is valid JSON and parses; that item then fails Post validation and is quarantined with
  its payload (``monitor.collect.payload.dump_raw`` keeps such characters as JSON escapes).
* **Not retried**: other 4xx (the error body's start is put in the message; callers may accept
  some statuses, e.g. 404, with ``allow_status``), a response larger than
  ``max_response_bytes`` (checked against ``Content-Length`` and while streaming, after
  decompression, with or without ``Content-Length``: at most that many bytes are ever held),
  invalid URLs, too many redirects, a redirect to another host (below).
* **Connection reset or closed** before or during the response (``ServerDisconnectedError``,
  ``ClientOSError``, a body cut short): retried as a connection error, then ``FetchError``.

Pacing: at most ``requests_per_second`` request starts per second (a minimum interval between
requests, reserved in order so concurrent callers of one client are paced too).

Redirects: at most 5. :meth:`HttpClient.get_json` (platform APIs) follows a redirect only to the
same host (``http`` -> ``https`` is fine, ``https`` -> ``http`` is not): a redirect to another
host is refused *before* that host is contacted, with a ``FetchError`` naming both hosts (not
retried). An API that redirects elsewhere is either misconfigured (``base_url`` should name the
new address) or hijacked, and in both cases must not receive our requests and their API keys
(aiohttp drops only ``Authorization`` and cookies on such a redirect, not e.g. ``X-Goog-Api-Key``).
:meth:`HttpClient.get_bytes` (RSS/Atom feeds: no credentials, and feeds often move to another
host or a feed service) follows redirects to other hosts, logging them at INFO.
Extra ``headers`` (e.g. a bearer token) are sent but never logged; error messages show the URL
with its query, so secrets must not travel in query parameters.

``sleep``, ``random``, ``monotonic`` and ``wall_clock`` are injectable so tests can record the
waits without sleeping; the tests still talk to a real local HTTP server.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random as _random_module
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Collection, Mapping, Sequence

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from pydantic import BaseModel, ConfigDict, Field
from yarl import URL

from monitor import __version__

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = f"asn-neutrality-monitor/{__version__} (+aiohttp)"

# 501 Not Implemented / 505 HTTP Version Not Supported will not change on a retry.
_NOT_RETRIED_5XX = frozenset({501, 505})
_RETRIED_4XX = frozenset({408, 425, 429})
_EXCERPT_BYTES = 300


def is_retriable_status(status: int) -> bool:
    return status in _RETRIED_4XX or (500 <= status <= 599 and status not in _NOT_RETRIED_5XX)


class HttpOptions(BaseModel):
    """HTTP behaviour of one source (``[sources.NAME.http]``)."""

    model_config = ConfigDict(extra="forbid")

    timeout_s: float = Field(30.0, gt=0, description="Whole-request timeout, body included")
    max_retries: int = Field(5, ge=0, le=50, description="Extra attempts after the first one")
    backoff_base_s: float = Field(1.0, ge=0, description="First backoff step (full jitter)")
    backoff_max_s: float = Field(60.0, ge=0, description="Largest backoff step")
    requests_per_second: float = Field(
        1.0, gt=0, description="Pacing per source; Mastodon's default limit is 300 per 5 minutes"
    )
    max_response_bytes: int = Field(20 * 1024 * 1024, gt=0, description="Larger bodies -> FetchError")
    max_wait_s: float = Field(
        900.0, ge=0, description="Cap on a server-requested wait (Retry-After / X-RateLimit-Reset)"
    )
    user_agent: str = Field(DEFAULT_USER_AGENT, min_length=1, max_length=400)


def _redact(text: str, headers: Mapping[str, str] | None) -> str:
    """Remove the request's header values (bearer tokens, API keys) from a server's error text: a
    misbehaving or hostile server may echo them back, and error texts reach logs and status pages."""
    for name, value in (headers or {}).items():
        if not any(w in name.lower() for w in ("auth", "key", "token", "secret", "cookie")):
            continue
        for secret in {value, value.split(" ", 1)[-1]}:
            if len(secret) >= 8:
                text = text.replace(secret, "<redacted>")
    return text


class FetchError(Exception):
    """A request that did not produce a usable JSON response (after any retries)."""

    def __init__(
        self,
        reason: str,
        *,
        url: str,
        status: int | None = None,
        attempts: int = 1,
        last_error: str | None = None,
        retriable: bool = False,
    ) -> None:
        self.reason = reason
        self.url = url
        self.status = status
        self.attempts = attempts
        self.last_error = last_error
        self.retriable = retriable
        super().__init__(self._message())

    def _message(self) -> str:
        msg = f"GET {self.url}: {self.reason}"
        if self.status is not None and f"HTTP {self.status}" not in self.reason:
            msg += f" (HTTP {self.status})"
        msg += f" after {self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        if self.last_error and self.last_error != self.reason:
            msg += f"; last error: {self.last_error}"
        return msg


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: CIMultiDictProxy[str]
    data: Any
    """Parsed JSON (None for an empty 204 body or an allowed error status without JSON); for
    :meth:`HttpClient.get_bytes` the body as ``bytes``."""
    links: dict[str, str] = field(default_factory=dict)
    """RFC 8288 ``Link`` header: relation type (lower case) -> absolute URL."""
    url: str = ""


# --------------------------------------------------------------------------------------------
# Header parsing helpers (pure functions, unit-tested)


def _split_outside(value: str, sep: str) -> list[str]:
    """Split on ``sep`` except inside ``<...>`` or double quotes (with backslash escapes)."""
    parts: list[str] = []
    buf: list[str] = []
    in_angle = in_quote = escaped = False
    for ch in value:
        if escaped:
            buf.append(ch)
            escaped = False
            continue
        if in_quote:
            if ch == "\\":
                escaped = True
            elif ch == '"':
                in_quote = False
            buf.append(ch)
            continue
        if ch == '"' and not in_angle:
            in_quote = True
        elif ch == "<":
            in_angle = True
        elif ch == ">":
            in_angle = False
        elif ch == sep and not in_angle:
            parts.append("".join(buf))
            buf = []
            continue
        buf.append(ch)
    parts.append("".join(buf))
    return parts


_LINK_RE = re.compile(r"^\s*<([^>]*)>(.*)$", re.S)


def parse_link_header(value: str | None, base_url: str | None = None) -> dict[str, str]:
    """Parse an RFC 8288 ``Link`` header into ``{rel: absolute_url}``.

    Handles several links per header, several space-separated relation types per link, quoted
    and unquoted parameters, commas inside URLs and relative references (resolved against
    ``base_url``). The first link wins for a relation type that appears twice.
    """
    links: dict[str, str] = {}
    if not value:
        return links
    for part in _split_outside(value, ","):
        m = _LINK_RE.match(part)
        if not m:
            continue
        target, rest = m.group(1).strip(), m.group(2)
        params: dict[str, str] = {}
        for p in _split_outside(rest, ";"):
            key, eq, val = p.partition("=")
            key = key.strip().lower()
            if not key or not eq:
                continue
            val = val.strip()
            if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
                val = re.sub(r"\\(.)", r"\1", val[1:-1])
            params.setdefault(key, val)  # RFC 8288 3.3: ignore later 'rel' occurrences
        rel = params.get("rel")
        if not rel:
            continue
        url = target
        if base_url:
            try:
                url = str(URL(base_url).join(URL(target)))
            except (ValueError, TypeError):
                url = target
        for r in rel.split():
            links.setdefault(r.lower(), url)
    return links


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date); None if absent/bad."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now)


def parse_rate_limit_reset(value: str | None, now: float) -> float | None:
    """Seconds until an ``X-RateLimit-Reset`` time.

    Mastodon sends an ISO 8601 time (``2020-09-08T13:25:00.019685Z``); other APIs send a Unix
    timestamp (X) or a number of seconds; all three are understood.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", value):
        num = float(value)
        if num > 1_000_000_000:  # a Unix timestamp
            return max(0.0, num - now)
        return num
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now)


def _is_json_type(content_type: str) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime == "application/json" or mime.endswith("+json") or mime == "text/json"


def _charset(content_type: str) -> str:
    m = re.search(r"charset\s*=\s*\"?([A-Za-z0-9_\-.:]+)", content_type)
    cs = m.group(1) if m else "utf-8"
    return "utf-8-sig" if cs.lower() in ("utf-8", "utf8") else cs  # tolerate a BOM


class _TooLarge(Exception):
    pass


class RedirectRefused(aiohttp.ClientError):
    """A redirect the client will not follow (raised from the redirect hook, before the request)."""


def _redirect_hook() -> aiohttp.TraceConfig:
    """Checks every redirect target before aiohttp follows it (see the module docstring)."""

    async def on_redirect(session: Any, ctx: Any, params: aiohttp.TraceRequestRedirectParams) -> None:
        rules = ctx.trace_request_ctx
        loc = params.response.headers.get("Location")
        if not isinstance(rules, dict) or not loc:
            return
        target = params.response.url.join(URL(loc))
        origin: URL = rules["origin"]
        shown = str(target.with_query(None).with_fragment(None))
        if rules["same_host"]:
            if (target.host or "").lower() != (origin.host or "").lower():
                raise RedirectRefused(
                    f"redirect to another host refused: {origin.host} -> {target.host} ({shown}); "
                    f"if the API has moved, set base_url to the new address"
                )
            if origin.scheme == "https" and target.scheme != "https":
                raise RedirectRefused(f"redirect from https to {target.scheme} refused ({shown})")
        elif (target.host or "").lower() != (origin.host or "").lower():
            log.info("%s: %s redirected to another host: %s", rules["name"], origin.with_query(None), shown)

    tc = aiohttp.TraceConfig()
    tc.on_request_redirect.append(on_redirect)
    return tc


class _Fatal(Exception):
    """Internal: this attempt failed in a way a retry will not fix."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class _Retry(Exception):
    """Internal: this attempt failed in a way worth retrying."""

    def __init__(
        self, reason: str, status: int | None = None, wait: float | None = None, non_json: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.wait = wait
        """Seconds the server asked for (already reserved on the client); None: use backoff."""
        self.non_json = non_json
        """A 2xx body that is not usable JSON for a reason a retry rarely fixes (HTML page, invalid
        UTF-8): retried once only."""


SleepFn = Callable[[float], Awaitable[Any]]
Params = Mapping[str, Any] | Sequence[tuple[str, Any]]


def _param_pairs(params: Params | None) -> list[tuple[str, str]]:
    """Query parameters as (name, value) pairs; None values dropped, lists repeated."""
    if not params:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    pairs: list[tuple[str, str]] = []
    for k, v in items:
        if v is None:
            continue
        if isinstance(v, (list, tuple)):
            pairs.extend((k, _param_str(x)) for x in v if x is not None)
        else:
            pairs.append((k, _param_str(v)))
    return pairs


def _param_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class HttpClient:
    """JSON-over-HTTP GET with pacing, retries and limits, for one source.

    Use as ``async with HttpClient(opts) as http: resp = await http.get_json(url)`` or call
    :meth:`aclose` when done. The session is created on first use (inside the running loop).
    """

    def __init__(
        self,
        options: HttpOptions | None = None,
        *,
        name: str = "http",
        sleep: SleepFn | None = None,
        random: Callable[[], float] | None = None,
        monotonic: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.options = options or HttpOptions()
        self.name = name
        self._sleep: SleepFn = sleep or asyncio.sleep
        self._random = random or _random_module.random
        self._monotonic = monotonic or time.monotonic
        self._wall = wall_clock or time.time
        self._default_headers = dict(headers or {})
        self._session: aiohttp.ClientSession | None = None
        self._lock = asyncio.Lock()
        self._interval = 1.0 / self.options.requests_per_second
        self._next_slot = float("-inf")
        self._blocked_until = float("-inf")
        self.requests_made = 0
        """Number of HTTP requests sent (attempts, not calls)."""

    # -- lifecycle ------------------------------------------------------------------------------

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            hdrs = {"User-Agent": self.options.user_agent, "Accept": "application/json"}
            hdrs.update(self._default_headers)
            self._session = aiohttp.ClientSession(
                headers=hdrs, timeout=aiohttp.ClientTimeout(total=self.options.timeout_s),
                trace_configs=[_redirect_hook()],
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> "HttpClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- pacing ---------------------------------------------------------------------------------

    async def _pace(self) -> None:
        async with self._lock:
            now = self._monotonic()
            start = max(now, self._next_slot, self._blocked_until)
            self._next_slot = start + self._interval
        wait = start - now
        if wait > 0:
            await self._sleep(wait)

    def block_for(self, seconds: float) -> float:
        """Make every later request of this client wait ``seconds`` (capped); return the wait."""
        seconds = min(max(0.0, seconds), self.options.max_wait_s)
        self._blocked_until = max(self._blocked_until, self._monotonic() + seconds)
        return seconds

    # (remaining, reset) header pairs platforms use: Mastodon ``X-RateLimit-*``, X
    # ``x-rate-limit-*``, atproto/Bluesky and the IETF draft ``RateLimit-*``. Names are
    # case-insensitive; the reset may be an ISO time, Unix seconds or seconds from now.
    RATE_LIMIT_HEADERS: tuple[tuple[str, str], ...] = (
        ("X-RateLimit-Remaining", "X-RateLimit-Reset"),
        ("X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"),
        ("RateLimit-Remaining", "RateLimit-Reset"),
    )

    def _server_wait(self, headers: Mapping[str, str], status: int) -> float | None:
        """The wait the server asked for (capped and reserved on the client), or None.

        ``Retry-After`` on 429/503; a rate-limit window with nothing remaining (or a 429 that only
        says when the window resets) waits until the reset.
        """
        now = self._wall()
        wait: float | None = None
        if status in (429, 503):
            wait = parse_retry_after(headers.get("Retry-After"), now)
        for remaining_h, reset_h in self.RATE_LIMIT_HEADERS:
            remaining = (headers.get(remaining_h) or "").strip()
            if remaining in ("0", "0.0") or (status == 429 and not remaining and headers.get(reset_h)):
                reset = parse_rate_limit_reset(headers.get(reset_h), now)
                if reset is not None:
                    wait = reset if wait is None else max(wait, reset)
        if wait is None or wait <= 0:
            return None
        return self.block_for(wait)

    def _backoff(self, attempt: int) -> float:
        o = self.options
        ceiling = min(o.backoff_max_s, o.backoff_base_s * (2**attempt))
        return self._random() * ceiling

    # -- the request ----------------------------------------------------------------------------

    async def get_json(
        self,
        url: str,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        allow_status: Collection[int] = (),
    ) -> HttpResponse:
        """GET ``url`` and parse the JSON body.

        Returns for 2xx and for statuses in ``allow_status`` (their ``data`` is the parsed JSON
        error body, or None). Raises :class:`FetchError` otherwise, after retrying what is
        worth retrying (see the module docstring). ``headers`` are added to the session's
        (User-Agent, Accept); they are never logged.
        """
        return await self._get(url, params, headers, allow_status, raw=False)

    async def get_bytes(
        self,
        url: str,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        allow_status: Collection[int] = (),
    ) -> HttpResponse:
        """GET ``url`` and return the body undecoded (``data`` is ``bytes``, ``b""`` when empty).

        For formats other than JSON (RSS/Atom feeds, ...). Same pacing, retries, backoff,
        server-requested waits, size bound and redirect rules as :meth:`get_json`, except that
        the body is not inspected: any ``Content-Type`` is accepted and nothing is retried for
        its content (the caller judges it). Returns for 2xx and for statuses in
        ``allow_status`` (e.g. 304 for a conditional GET). Pass an ``Accept`` header to
        override the session's ``application/json``.
        """
        return await self._get(url, params, headers, allow_status, raw=True)

    async def _get(
        self,
        url: str,
        params: Params | None,
        headers: Mapping[str, str] | None,
        allow_status: Collection[int],
        *,
        raw: bool,
    ) -> HttpResponse:
        o = self.options
        pairs = _param_pairs(params)
        shown_url = str(URL(url).extend_query(pairs)) if pairs else url
        attempts = 0
        non_json_retried = False
        last: _Retry | None = None
        for attempt in range(o.max_retries + 1):
            if last is not None and last.wait is None:
                delay = self._backoff(attempt - 1)
                if delay > 0:
                    await self._sleep(delay)
            # A server-requested wait was reserved by block_for(); _pace() sleeps it.
            await self._pace()
            attempts += 1
            self.requests_made += 1
            try:
                return await self._attempt(url, pairs, headers, allow_status, raw)
            except _Retry as r:
                if r.non_json:
                    if non_json_retried:
                        raise FetchError(
                            r.reason, url=shown_url, status=r.status, attempts=attempts, retriable=True
                        ) from None
                    non_json_retried = True
                last = r
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, asyncio.TimeoutError) as exc:
                if isinstance(exc, asyncio.TimeoutError):
                    last = _Retry(f"timeout: no complete response within {o.timeout_s:g}s")
                else:
                    last = _Retry(f"connection error: {type(exc).__name__}: {exc}")
            except _Fatal as exc:
                raise FetchError(exc.reason, url=shown_url, status=exc.status, attempts=attempts) from None
            except RedirectRefused as exc:
                raise FetchError(str(exc), url=shown_url, attempts=attempts) from None
            except aiohttp.ClientError as exc:  # invalid URL, too many redirects, ...
                raise FetchError(
                    f"{type(exc).__name__}: {exc}", url=shown_url, attempts=attempts
                ) from None
            if attempt < o.max_retries:
                log.warning(
                    "%s: GET %s failed (%s); retrying (attempt %d of at most %d)",
                    self.name, shown_url, last.reason, attempt + 2, o.max_retries + 1,
                )
        assert last is not None
        raise FetchError(
            f"gave up: {last.reason}",
            url=shown_url,
            status=last.status,
            attempts=attempts,
            last_error=last.reason,
            retriable=True,
        )

    async def _attempt(
        self,
        url: str,
        pairs: list[tuple[str, str]],
        headers: Mapping[str, str] | None,
        allow_status: Collection[int],
        raw: bool = False,
    ) -> HttpResponse:
        o = self.options
        session = self._get_session()
        timeout = aiohttp.ClientTimeout(total=o.timeout_s)
        rules = {"origin": URL(url), "same_host": not raw, "name": self.name}
        async with session.get(
            url, params=pairs or None, headers=headers, timeout=timeout, max_redirects=5, trace_request_ctx=rules
        ) as resp:
            status = resp.status
            wait = self._server_wait(resp.headers, status)
            final_url = str(resp.url)
            ok = 200 <= status <= 299
            if not ok and status not in allow_status:
                excerpt = await self._excerpt(resp, headers)
                reason = f"HTTP {status}" + (f": {excerpt}" if excerpt else "")
                if is_retriable_status(status):
                    raise _Retry(reason, status=status, wait=wait)
                raise _Fatal(reason, status=status)
            try:
                body = await self._read_body(resp)
            except _TooLarge as exc:
                raise _Fatal(str(exc), status=status) from None
            ctype = resp.headers.get("Content-Type", "")
            links = parse_link_header(", ".join(resp.headers.getall("Link", [])), final_url)
            hdrs = CIMultiDictProxy(CIMultiDict(resp.headers))
            if raw:
                return HttpResponse(status, hdrs, body, links, final_url)
            if status == 204 or (not body and not ok):
                return HttpResponse(status, hdrs, None, links, final_url)
            if ctype and not _is_json_type(ctype):
                if not ok:
                    return HttpResponse(status, hdrs, None, links, final_url)
                mime = ctype.split(";", 1)[0].strip()
                excerpt = re.sub(r"\s+", " ", _redact(body[:4096].decode("utf-8", "replace"), headers)[:120]).strip()
                raise _Retry(
                    f"non-JSON response ({mime}) with HTTP {status}: {excerpt!r}", status=status, non_json=True
                )
            charset = _charset(ctype)
            try:
                text = body.decode(charset)
            except UnicodeDecodeError as exc:
                if not ok:
                    return HttpResponse(status, hdrs, None, links, final_url)
                raise _Retry(
                    f"invalid {exc.encoding.upper().removesuffix('-SIG')} in the JSON body at byte {exc.start} "
                    f"of {len(body)} ({exc.reason})", status=status, non_json=True,
                ) from None
            except LookupError:
                text = None
            try:
                if text is None:
                    raise LookupError(f"unknown charset {charset!r}")
                data = json.loads(text)
            except (ValueError, LookupError) as exc:
                if not ok:
                    return HttpResponse(status, hdrs, None, links, final_url)
                raise _Retry(f"invalid JSON ({len(body)} bytes): {exc}", status=status) from None
            return HttpResponse(status, hdrs, data, links, final_url)

    async def _read_body(self, resp: aiohttp.ClientResponse) -> bytes:
        limit = self.options.max_response_bytes
        declared = resp.content_length
        if declared is not None and declared > limit:
            raise _TooLarge(f"response too large: Content-Length {declared} > max_response_bytes {limit}")
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise _TooLarge(f"response too large: more than max_response_bytes {limit}")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _excerpt(self, resp: aiohttp.ClientResponse, headers: Mapping[str, str] | None = None) -> str:
        try:
            raw = await resp.content.read(_EXCERPT_BYTES)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return ""
        text = _redact(raw.decode("utf-8", "replace").strip(), headers)  # before cutting: no partial token
        try:  # Mastodon-style {"error": "..."}
            obj = json.loads(text)
            if isinstance(obj, dict) and isinstance(obj.get("error"), str):
                return obj["error"][:200]
        except ValueError:
            pass
        return re.sub(r"\s+", " ", text)[:200]
