"""``telegram`` source: messages of the channels and groups a Telegram bot was added to.

API (Telegram Bot API, https://core.telegram.org/bots/api): one method, ``getUpdates`` (long
polling), called as ``GET {base_url}/bot<TOKEN>/getUpdates`` with ``offset``, ``limit`` (1-100),
``timeout`` (long-poll seconds) and ``allowed_updates=["message","edited_message","channel_post",
"edited_channel_post"]`` (a JSON-serialised list). The answer is ``{"ok": true, "result":
[Update, ...]}``; errors are ``{"ok": false, "error_code": N, "description": "..."}`` with, for
flood control (HTTP 429), ``"parameters": {"retry_after": S}``. The bot token is read from the
environment variable named by ``token_env``; it is never in the config, never in the cursor, and
it is redacted (``bot***``) from every error message and from the HTTP client's log lines.

What the bot sees: every post of a channel where it is an administrator; in groups, every message
only if its *privacy mode* is off (@BotFather, ``/setprivacy`` -> Disable) or it is an
administrator -- otherwise only commands and replies to the bot. It cannot read history from
before it joined. A webhook on the same bot makes ``getUpdates`` fail with 409 (see below).

Cursor (what each :class:`~monitor.collect.base.Batch` carries)::

    {"v": 1, "bot": "123456789", "offset": 731000101, "received_at": 1707800000}

* ``offset`` = highest ``update_id`` of the batch + 1; ``bot`` = the bot's numeric id (the public
  part of the token before ``:``); ``received_at`` = Unix time the batch was received.
* Telegram deletes ("confirms") every update below ``offset`` as soon as ``getUpdates`` is
  called with that offset, and the runner queues batches: the generator may resume (and could
  send the next request) *before* the previous batch is committed. So, **by default one
  getUpdates page per run** (``max_pages_per_run = 1``): a run requests ``offset`` = the
  *committed* cursor, yields at most one batch and ends. Updates are only ever confirmed by a
  request carrying an offset that was already committed, so a crash or a cancelled run between
  yield and commit loses nothing -- the next run gets the same updates again (duplicates are
  absorbed by the store's ``(platform, post_id)`` de-duplication). The price: at most ``limit``
  (100) updates per run; schedule the source often (``interval_s = 60``) for busy groups.
* ``max_pages_per_run > 1`` reads further pages in the same run (without long-polling) and is
  faster for a backlog, **but** requesting page *k+1* confirms page *k* while it may still sit
  in the runner's queue: if the process dies before that batch is committed, its updates are
  gone for good. Use it only if that risk is acceptable.
* Telegram keeps unconfirmed updates for at most 24 hours, and after a week without any update it
  restarts ``update_id`` at a *random* number, possibly below the stored offset (asking with that
  offset would silently confirm the new updates). So a cursor older than 24 hours (or one written
  for another bot) is not used: the run asks without ``offset`` ("the earliest unconfirmed
  update"), which can only return updates we have not committed, and starts a new offset from
  them. A first run (no cursor) does the same: it gets what is pending (at most 24 hours back).
* A page with no update yields nothing (the cursor stays). A page whose updates are all skipped
  (other update types, other chats, service messages) still yields an empty batch so the
  acknowledgement is committed. An update without a usable ``update_id`` is rejected and does not
  move the offset. A full page that leaves the offset where an earlier page of the run had it
  (the server repeating itself) ends the run with an error
  (:class:`~monitor.collect.pagination.PageGuard`) instead of asking for the same page again.

Mapping Update -> :class:`~monitor.models.Post`: ``message`` / ``channel_post`` and their
``edited_*`` versions (an edit has the same ``post_id``, a different raw payload, so the store
keeps it as a *revision*). ``post_id`` = ``"<chat id>:<message_id>"``; ``url`` =
``https://t.me/<chat username>/<message_id>`` when the chat has a username, else None;
``created_at`` = ``date`` (Unix, UTC; the original send time, also for edits); ``text`` =
``text``, else ``caption``, else a poll's question and options. Author: ``sender_chat`` when the
message was sent on behalf of a chat (channel posts, anonymous group admins, linked channels),
else ``from`` (id, ``username`` as handle, first + last name), else the chat itself. ``raw`` is
the whole Update (keys sorted, compact, UTF-8). ``kind``, first match wins:

* ``forward_origin`` -> ``forward``. The parent is the original: author from the origin
  (``sender_user``, ``sender_chat`` or the channel ``chat``; a ``hidden_user`` has only a name, so
  no parent author), ``post_id`` ``"<origin chat id>:<origin message_id>"`` and its t.me URL for a
  channel origin; the parent's text is the forwarded text, and the forward's own text is empty
  (Telegram forwards carry no comment of their own).
* ``external_reply`` (a reply to a message of *another* chat or topic -- Telegram's way to quote a
  channel post into a group with a comment) -> ``quote``; the parent is that message (author from
  its origin, ``post_id`` when Telegram gives chat and message id) and its text is the quoted
  part (``quote.text``) -- Telegram sends no other text of an external message.
* ``reply_to_message`` (same chat) -> ``comment`` with the replied message as parent (its full
  text, even when the reply highlights a part of it with ``quote``). In forum groups, the topic's
  creation message that Telegram puts in ``reply_to_message`` of every topic message is not a
  reply. ``reply_to_story`` -> ``comment`` on the story.
* a ``quote`` without any of those (not seen in practice) -> ``quote`` with the quoted text.
* else ``post``.

Skipped, but acknowledged (the offset moves past them): other update types (``my_chat_member``,
``callback_query``...: they can arrive before ``allowed_updates`` takes effect), service messages
(members joined/left, pinned message, title changed...) and, when ``chats`` is set, messages of
other chats. An update that does not map or validate becomes a
:class:`~monitor.collect.base.Rejected` (the whole Update as payload) and the rest goes on.

Errors: flood control (429) waits ``parameters.retry_after`` seconds (or the ``Retry-After``
header, whichever is longer; at most ``http.max_wait_s``) and tries again, at most
``http.max_retries`` times; 5xx, timeouts and cut bodies are retried by the HTTP client; 409
Conflict (a webhook is set, or another program polls with the same token), 401/404 (bad token)
and other refusals end the run with a :class:`TelegramError` that says what to do. One request
serves every chat, so there is no per-chat failure.

Limitations: the name of a ``hidden_user`` origin and a channel post's ``author_signature`` are
kept only in ``raw`` (neither identifies an account); a private group (no username) gets no URL;
a group upgraded to a supergroup changes its chat id (list both ids, or the username, in
``chats``); by default at most ``limit`` updates per run (see the cursor notes).
"""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Mapping
from urllib.parse import quote as urlquote

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.collect.http_source import HttpSource, check_base_url
from monitor.collect.base import Batch, Rejected
from monitor.collect.http import FetchError, HttpClient, HttpOptions
from monitor.config import secret_from_env
from monitor.models import Author, ParentRef, Post
from monitor.collect.pagination import PageGuard
from monitor.collect.payload import describe_validation, dump_raw

log = logging.getLogger(__name__)

PLATFORM = "telegram"
CURSOR_VERSION = 1
MAX_TEXT = 100_000
MESSAGE_UPDATES: tuple[str, ...] = ("message", "edited_message", "channel_post", "edited_channel_post")
ALLOWED_UPDATES_PARAM = json.dumps(list(MESSAGE_UPDATES), separators=(",", ":"))
STALE_CURSOR_S = 24 * 3600
"""Telegram keeps unconfirmed updates at most 24 h; an older cursor's offset is not trusted."""
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{10,}$")
_ENV_RE = r"^[A-Za-z_][A-Za-z0-9_]*$"

# Messages that only record an event in the chat (no content of their own).
_SERVICE_FIELDS = frozenset(
    {
        "new_chat_members", "left_chat_member", "new_chat_title", "new_chat_photo", "delete_chat_photo",
        "group_chat_created", "supergroup_chat_created", "channel_chat_created",
        "message_auto_delete_timer_changed", "migrate_to_chat_id", "migrate_from_chat_id",
        "pinned_message", "users_shared", "chat_shared", "connected_website", "write_access_allowed",
        "proximity_alert_triggered", "boost_added", "chat_background_set", "forum_topic_created",
        "forum_topic_edited", "forum_topic_closed", "forum_topic_reopened", "general_forum_topic_hidden",
        "general_forum_topic_unhidden", "giveaway_created", "giveaway_completed", "video_chat_scheduled",
        "video_chat_started", "video_chat_ended", "video_chat_participants_invited", "web_app_data",
        "successful_payment", "refunded_payment", "passport_data",
    }
)


# ============================================================================ options


class TelegramOptions(BaseModel):
    """``[sources.NAME]`` with ``type = "telegram"``."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field("https://api.telegram.org", description="Bot API server (a local one for tests)")
    token_env: str = Field(..., pattern=_ENV_RE, description="Env var holding the bot token from @BotFather")
    limit: int = Field(100, ge=1, le=100, description="Updates per getUpdates page (Telegram's maximum is 100)")
    poll_timeout_s: int = Field(
        10, ge=0, le=300, description="Long-poll seconds of a run's first request; must be below http.timeout_s"
    )
    max_pages_per_run: int = Field(
        1,
        ge=1,
        le=1000,
        description=(
            "1 (default) never loses an update. More pages per run confirm each page to Telegram "
            "before the runner has committed it: a crash then loses those updates"
        ),
    )
    chats: list[str] = Field(
        default_factory=list,
        description="Only these chats (ids like -1001234567890 or usernames); empty: every chat the bot is in",
    )
    http: HttpOptions = Field(default_factory=HttpOptions)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str) -> str:
        return check_base_url(v, 'https://api.telegram.org')

    @field_validator("chats", mode="before")
    @classmethod
    def _chats(cls, v: Any) -> list[str]:
        if not isinstance(v, list):
            raise ValueError("must be a list of chat ids or usernames")
        out: list[str] = []
        for raw in v:
            if isinstance(raw, bool) or not isinstance(raw, (int, str)):
                raise ValueError(f"invalid chat {raw!r}: use a chat id or a username")
            s = str(raw).strip()
            if "://" in s or s.lower().startswith(("t.me/", "www.")):
                raise ValueError(f"write the chat's username or id, not a link ({s!r})")
            s = s.lstrip("@").lower()
            if not (re.fullmatch(r"-?\d{1,20}", s) or re.fullmatch(r"[a-z][a-z0-9_]{2,63}", s)):
                raise ValueError(f"invalid chat {raw!r}: use an id like -1001234567890 or a username")
            if s not in out:
                out.append(s)
        return out

    @model_validator(mode="after")
    def _poll_fits_timeout(self) -> "TelegramOptions":
        if self.http.timeout_s <= self.poll_timeout_s:
            raise ValueError(
                f"http.timeout_s ({self.http.timeout_s:g}) must be greater than poll_timeout_s "
                f"({self.poll_timeout_s}); leave a few seconds for the network"
            )
        return self


class TelegramError(Exception):
    """A run of the Telegram source could not do its work (the message says why; no token in it)."""


# ============================================================================ token redaction


class _RedactSecrets(logging.Filter):
    """Replaces known bot tokens in log records (installed on the HTTP client's logger)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            msg = record.getMessage()
        except Exception:  # pragma: no cover - a broken record is not ours to fix
            return True
        red = redact(msg, self.secrets)
        if red != msg:
            record.msg, record.args = red, None
        return True


_REDACTOR = _RedactSecrets()
_REDACTED_LOGGERS = ("monitor.collect.http", "aiohttp.client", __name__)


def redact(text: str, secrets: set[str] | frozenset[str] | list[str]) -> str:
    """``text`` with every secret (as is or percent-encoded) replaced by ``***``."""
    for s in secrets:
        for form in {s, urlquote(s, safe=""), urlquote(s)}:
            if form:
                text = text.replace(form, "***")
    return text


def _protect(token: str) -> None:
    _REDACTOR.secrets.add(token)
    for name in _REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)


# ============================================================================ mapping


def _int(value: Any) -> int | None:
    """A JSON integer (not a bool); None otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _str(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _tme(username: str | None, *path: Any) -> str | None:
    if not username:
        return None
    return "https://t.me/" + "/".join([username, *(str(p) for p in path)])


def user_to_author(user: Any) -> Author:
    """User -> Author (``id``, ``username`` as handle, first + last name)."""
    if not isinstance(user, dict):
        raise ValueError("user is missing or not an object")
    uid = _int(user.get("id"))
    username = _str(user.get("username"))
    name = " ".join(x for x in (_str(user.get("first_name")), _str(user.get("last_name"))) if x) or None
    return Author(id=str(uid) if uid is not None else None, handle=username, name=name, url=_tme(username))


def chat_to_author(chat: Any) -> Author:
    """Chat (channel, group, or a private chat's other party) -> Author."""
    if not isinstance(chat, dict):
        raise ValueError("chat is missing or not an object")
    cid = _int(chat.get("id"))
    username = _str(chat.get("username"))
    name = _str(chat.get("title")) or (
        " ".join(x for x in (_str(chat.get("first_name")), _str(chat.get("last_name"))) if x) or None
    )
    return Author(id=str(cid) if cid is not None else None, handle=username, name=name, url=_tme(username))


def message_author(msg: Mapping[str, Any]) -> Author:
    """Who wrote a message: ``sender_chat`` (on behalf of a chat), else ``from``, else the chat."""
    if isinstance(msg.get("sender_chat"), dict):
        return chat_to_author(msg["sender_chat"])
    if isinstance(msg.get("from"), dict):
        return user_to_author(msg["from"])
    return chat_to_author(msg.get("chat"))


def message_text(msg: Mapping[str, Any]) -> str:
    """``text``, else ``caption``, else a poll's question and options (one per line)."""
    for key in ("text", "caption"):
        v = msg.get(key)
        if isinstance(v, str) and v:
            return v[:MAX_TEXT]
    poll = msg.get("poll")
    if isinstance(poll, dict) and isinstance(poll.get("question"), str):
        opts = [o["text"] for o in poll.get("options") or [] if isinstance(o, dict) and isinstance(o.get("text"), str)]
        return "\n".join([poll["question"], *(f"- {t}" for t in opts)])[:MAX_TEXT]
    return ""


def _chat_ref(chat: Any) -> tuple[int, str | None]:
    if not isinstance(chat, dict):
        raise ValueError("'chat' is missing or not an object")
    cid = _int(chat.get("id"))
    if cid is None:
        raise ValueError("'chat.id' is missing or not an integer")
    return cid, _str(chat.get("username"))


def message_key(msg: Mapping[str, Any]) -> tuple[str, str | None]:
    """``("<chat id>:<message_id>", t.me URL or None)`` of a message."""
    cid, username = _chat_ref(msg.get("chat"))
    mid = _int(msg.get("message_id"))
    if mid is None:
        raise ValueError("'message_id' is missing or not an integer")
    return f"{cid}:{mid}", _tme(username, mid)


def _unix(value: Any, field: str) -> datetime:
    ts = _int(value)
    if ts is None or ts <= 0:
        raise ValueError(f"'{field}' is missing or not a positive Unix time")
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def _safe_author(fn: Any, obj: Any) -> Author | None:
    try:
        return fn(obj)
    except (ValueError, ValidationError):
        return None


def origin_parent(origin: Any, text: str | None) -> ParentRef:
    """MessageOrigin (user / hidden_user / chat / channel) -> the parent of a forward or quote."""
    if not isinstance(origin, dict):
        raise ValueError("'forward_origin' is not an object")
    kind = origin.get("type")
    author = post_id = url = None
    if kind == "user":
        author = _safe_author(user_to_author, origin.get("sender_user"))
    elif kind == "chat":
        author = _safe_author(chat_to_author, origin.get("sender_chat"))
    elif kind == "channel":
        author = _safe_author(chat_to_author, origin.get("chat"))
        mid = _int(origin.get("message_id"))
        if isinstance(origin.get("chat"), dict) and _int(origin["chat"].get("id")) is not None and mid is not None:
            post_id = f"{origin['chat']['id']}:{mid}"
            url = _tme(_str(origin["chat"].get("username")), mid)
    # "hidden_user" (only a display name, no id or username) and unknown types: no author.
    return ParentRef(post_id=post_id, url=url, text=text, author=author)


def _is_topic_root(reply: Mapping[str, Any]) -> bool:
    """In forum groups every topic message 'replies' to the topic's creation message."""
    return "forum_topic_created" in reply


def relation_of(msg: Mapping[str, Any]) -> tuple[str, ParentRef | None]:
    """``(kind, parent)`` of a message (see the module docstring for the rules)."""
    text = message_text(msg)
    quote = msg.get("quote") if isinstance(msg.get("quote"), dict) else None
    quote_text = quote.get("text") if quote and isinstance(quote.get("text"), str) else None
    if msg.get("forward_origin") is not None:
        return "forward", origin_parent(msg["forward_origin"], text)
    ext = msg.get("external_reply")
    if ext is not None:
        if not isinstance(ext, dict):
            raise ValueError("'external_reply' is not an object")
        origin = ext.get("origin")
        parent = origin_parent(origin, quote_text) if isinstance(origin, dict) else ParentRef(text=quote_text)
        mid = _int(ext.get("message_id"))
        if isinstance(ext.get("chat"), dict) and _int(ext["chat"].get("id")) is not None and mid is not None:
            parent.post_id = f"{ext['chat']['id']}:{mid}"
            parent.url = _tme(_str(ext["chat"].get("username")), mid)
        return "quote", parent
    reply = msg.get("reply_to_message")
    if reply is not None:
        if not isinstance(reply, dict):
            raise ValueError("'reply_to_message' is not an object")
        if not _is_topic_root(reply):
            if "chat" not in reply and "chat" in msg:
                reply = {**reply, "chat": msg["chat"]}
            try:
                pid, purl = message_key(reply)
            except ValueError:
                pid = purl = None
            return "comment", ParentRef(
                post_id=pid, url=purl, text=message_text(reply), author=_safe_author(message_author, reply)
            )
    story = msg.get("reply_to_story")
    if isinstance(story, dict):
        chat = story.get("chat") if isinstance(story.get("chat"), dict) else {}
        sid = _int(story.get("id"))
        cid = _int(chat.get("id"))
        return "comment", ParentRef(
            post_id=f"{cid}:story:{sid}" if cid is not None and sid is not None else None,
            url=_tme(_str(chat.get("username")), "s", sid) if sid is not None else None,
            author=_safe_author(chat_to_author, chat) if chat else None,
        )
    if quote_text is not None:
        return "quote", ParentRef(text=quote_text)
    return "post", None


def message_of(update: Any) -> tuple[str, Any] | None:
    """``(update type, message)`` of a message update; None for other update types."""
    if not isinstance(update, dict):
        return None
    for key in MESSAGE_UPDATES:
        if key in update:
            return key, update[key]
    return None


def is_service_message(msg: Mapping[str, Any]) -> bool:
    """A message that only records an event (member joined, message pinned, ...)."""
    if any(isinstance(msg.get(k), str) and msg.get(k) for k in ("text", "caption")):
        return False
    return any(k in msg for k in _SERVICE_FIELDS)


def update_to_post(update: Any) -> Post | None:
    """Map one Update to a Post; None when it is not a content message (other type, service).

    Raises ValueError / ValidationError when it is a message update that cannot be mapped.
    """
    found = message_of(update)
    if found is None:
        if not isinstance(update, dict):
            raise ValueError("an update must be a JSON object")
        return None
    _, msg = found
    if not isinstance(msg, dict):
        raise ValueError("the message of the update is not an object")
    if is_service_message(msg):
        return None
    post_id, url = message_key(msg)
    kind, parent = relation_of(msg)
    return Post(
        platform=PLATFORM,
        post_id=post_id,
        url=url,
        created_at=_unix(msg.get("date"), "date"),
        author=message_author(msg),
        kind=kind,
        text="" if kind == "forward" else message_text(msg),
        parent=parent,
        raw=dump_raw(update),
    )


def chat_matches(msg: Any, allowed: list[str]) -> bool:
    """Whether a message's chat is in the ``chats`` allow-list (id or lower-case username)."""
    if not allowed:
        return True
    chat = msg.get("chat") if isinstance(msg, dict) else None
    if not isinstance(chat, dict):
        return True  # cannot tell: let the mapping reject it rather than drop it silently
    cid = _int(chat.get("id"))
    username = _str(chat.get("username"))
    return (cid is not None and str(cid) in allowed) or (username is not None and username.lower() in allowed)


# ============================================================================ cursor


def load_cursor(cursor: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A clean copy of a stored cursor, or None (first run / unrecognised shape)."""
    if not cursor:
        return None
    offset = _int(cursor.get("offset"))
    if cursor.get("v") != CURSOR_VERSION or not isinstance(cursor.get("bot"), str):
        log.warning("telegram: unrecognised cursor %r; asking for the earliest unconfirmed update", cursor)
        return None
    received = cursor.get("received_at")
    return {
        "v": CURSOR_VERSION,
        "bot": cursor["bot"],
        "offset": offset,
        "received_at": received if isinstance(received, (int, float)) and not isinstance(received, bool) else None,
    }


# ============================================================================ the source


class TelegramSource(HttpSource):
    type_name = "telegram"
    options_model = TelegramOptions

    def __init__(self, name: str, options: Any, http: HttpClient | None = None, context: Any = None) -> None:
        super().__init__(name, options, http, context)
        options = self.options  # validated by HttpSource
        self.options: TelegramOptions = options
        self._token: str | None = None

    # -- plumbing -------------------------------------------------------------------------------

    def _read_token(self) -> str:
        env = self.options.token_env
        token = secret_from_env(env, f"sources.{self.name}.token_env") or ""
        token = token.strip()
        if not _TOKEN_RE.fullmatch(token):
            raise TelegramError(
                f"sources.{self.name}.token_env: environment variable {env} does not hold a bot token "
                "(expected '<digits>:<letters>' as given by @BotFather)"
            )
        _protect(token)
        self._token = token
        return token

    def _redact(self, text: str) -> str:
        return redact(text, {self._token}) if self._token else text

    def _fail(self, message: str) -> TelegramError:
        return TelegramError(self._redact(f"telegram {self.name}: {message}"))

    async def _wait(self, http: Any, seconds: float) -> None:
        """Wait ``seconds`` before the next request, through the client's (injectable) sleep.

        The wait is reserved on the client: its next request sleeps it, every other request of
        this source waits too, the longer of this and a Retry-After already seen wins, and
        ``max_wait_s`` caps it.
        """
        http.block_for(seconds)

    @staticmethod
    def _retry_after(resp: Any) -> float | None:
        data = resp.data if isinstance(resp.data, dict) else {}
        params = data.get("parameters") if isinstance(data.get("parameters"), dict) else {}
        ra = params.get("retry_after")
        body = float(ra) if isinstance(ra, (int, float)) and not isinstance(ra, bool) and ra >= 0 else None
        hdr = None
        raw = (resp.headers.get("Retry-After") or "").strip() if resp.headers is not None else ""
        if re.fullmatch(r"\d+(\.\d+)?", raw):
            hdr = float(raw)
        vals = [v for v in (body, hdr) if v is not None]
        return max(vals) if vals else None

    async def get_updates(self, http: HttpClient, params: dict[str, Any]) -> list[Any]:
        """One ``getUpdates`` call: the ``result`` list, after flood-control waits."""
        assert self._token is not None
        url = f"{self.options.base_url}/bot{self._token}/getUpdates"
        o = http.options
        attempt = 0
        while True:
            try:
                resp = await http.get_json(url, params, allow_status=(400, 401, 403, 404, 409, 429))
            except FetchError as exc:
                raise self._fail(f"getUpdates failed: {exc}") from None
            data = resp.data if isinstance(resp.data, dict) else {}
            desc = data.get("description") if isinstance(data.get("description"), str) else ""
            if resp.status == 429:
                attempt += 1
                wait = self._retry_after(resp)
                if attempt > o.max_retries:
                    raise self._fail(
                        f"getUpdates still rate limited (HTTP 429: {desc or 'Too Many Requests'}) "
                        f"after {attempt} attempts"
                    )
                if wait is None:
                    wait = min(o.backoff_max_s, o.backoff_base_s * 2 ** (attempt - 1))
                log.warning("telegram %s: flood control, waiting %gs (%s)", self.name, wait, desc or "HTTP 429")
                await self._wait(http, wait)
                continue
            if resp.status == 409:
                if "webhook" in desc.lower():
                    hint = (
                        "a webhook is set for this bot, and Telegram does not deliver updates to getUpdates "
                        "then: remove it (deleteWebhook) or give the monitor its own bot"
                    )
                else:
                    hint = (
                        "another program is reading updates with the same bot token (only one may); "
                        "give the monitor its own bot"
                    )
                raise self._fail(f"getUpdates refused with HTTP 409 Conflict ({desc or 'Conflict'}): {hint}")
            if resp.status in (401, 404):
                raise self._fail(
                    f"Telegram rejected the bot token (HTTP {resp.status}: {desc or 'no description'}); "
                    f"check the token in {self.options.token_env} (from @BotFather) and base_url"
                )
            if resp.status != 200 or data.get("ok") is not True:
                raise self._fail(f"getUpdates refused (HTTP {resp.status}): {desc or 'no description'}")
            result = data.get("result")
            if not isinstance(result, list):
                raise self._fail(f"getUpdates answered without a 'result' list ({type(result).__name__})")
            return result

    def _batch(self, updates: list[Any], offset: int | None) -> tuple[Batch, int | None]:
        """Map a page; return the batch (cursor not set) and the offset after it."""
        batch = Batch()
        ids: list[int] = []
        skipped = 0
        for upd in updates:
            uid = _int(upd.get("update_id")) if isinstance(upd, dict) else None
            if uid is None:
                batch.rejected.append(Rejected(dump_raw(upd), "update without an integer 'update_id'"))
                continue
            ids.append(uid)
            found = message_of(upd)
            if found is not None and not chat_matches(found[1], self.options.chats):
                skipped += 1
                continue
            try:
                post = update_to_post(upd)
            except ValidationError as exc:
                batch.rejected.append(Rejected(dump_raw(upd), describe_validation(exc)))
                continue
            except (KeyError, TypeError, ValueError) as exc:
                batch.rejected.append(Rejected(dump_raw(upd), f"{type(exc).__name__}: {exc}"))
                continue
            if post is None:
                skipped += 1
            else:
                batch.posts.append(post)
        new_offset = offset
        if ids:
            after = max(ids) + 1
            if offset is not None and after < offset:
                log.warning(
                    "telegram %s: getUpdates(offset=%d) returned older updates (up to %d); keeping the offset",
                    self.name, offset, after - 1,
                )
            else:
                new_offset = after
        if skipped:
            log.debug(
                "telegram %s: %d update(s) skipped (other types, other chats, service messages)", self.name, skipped
            )
        return batch, new_offset

    # -- the interface --------------------------------------------------------------------------

    async def fetch(self, cursor: dict[str, Any] | None) -> AsyncIterator[Batch]:
        """Yield at most ``max_pages_per_run`` batches, one per getUpdates page (see the docstring)."""
        o = self.options
        token = self._read_token()
        bot = token.split(":", 1)[0]
        http = self._client()
        state = load_cursor(cursor)
        offset: int | None = None
        if state is not None:
            if state["bot"] != bot:
                log.warning(
                    "telegram %s: the cursor belongs to another bot (%s, now %s); asking for the earliest "
                    "unconfirmed update", self.name, state["bot"], bot,
                )
            elif state["received_at"] is None or time.time() - state["received_at"] > STALE_CURSOR_S:
                log.info(
                    "telegram %s: the cursor is older than %d hours, so Telegram no longer holds what it "
                    "covered and update ids may have restarted; asking without offset",
                    self.name, STALE_CURSOR_S // 3600,
                )
            else:
                offset = state["offset"]
        timeout = o.poll_timeout_s
        guard = PageGuard(f"telegram {self.name}: getUpdates", start=offset)
        for _page in range(o.max_pages_per_run):
            params = {"offset": offset, "limit": o.limit, "timeout": timeout, "allowed_updates": ALLOWED_UPDATES_PARAM}
            updates = await self.get_updates(http, params)
            received_at = int(time.time())
            if not updates:
                return
            batch, offset = self._batch(updates, offset)
            batch.cursor = {"v": CURSOR_VERSION, "bot": bot, "offset": offset, "received_at": received_at}
            yield batch
            if len(updates) < o.limit or offset is None:
                return  # the queue is drained (or nothing usable to move on with)
            if guard.repeats(offset):  # a full page that did not move the offset: the server repeats itself
                raise TelegramError(guard.problem)
            timeout = 0  # further pages of a backlog: no long poll
