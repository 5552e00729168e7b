"""``youtube`` source: comments on the recent videos of listed channels (YouTube Data API v3).

API calls (https://developers.google.com/youtube/v3/docs), each costing **1 quota unit** (the
default daily quota of a Google Cloud project is 10,000 units; ``search.list`` would cost 100 and
is deliberately not used):

* ``GET /channels?part=snippet,contentDetails&id=UC..,UC..`` (up to 50 ids per call) or
  ``&forHandle=@name`` -- once per channel, the result is remembered in the cursor: the
  *uploads* playlist id (``contentDetails.relatedPlaylists.uploads``), the channel's title and
  ``@handle`` (``snippet.customUrl``).
* ``GET /playlistItems?part=snippet,contentDetails&playlistId=UU..&maxResults=50[&pageToken]``
  -- the channel's newest uploads (the uploads playlist lists newest first); the first
  ``max_videos_per_channel`` videos are followed, older ones are dropped from the cursor.
* ``GET /videos?part=snippet,statistics&id=..`` (up to 50 ids per call) -- title and description
  (the parent text of top-level comments) and ``statistics.commentCount``. With
  ``skip_unchanged`` (default) a video whose comment count did not change since its last
  complete read is not asked for comments at all: an unchanged video costs nothing beyond its
  share of this call. (A count that is stale or unchanged by a delete + a new comment only
  *delays* a comment: the next read takes everything newer than the cursor.)
* ``GET /commentThreads?part=snippet,replies&videoId=..&maxResults=100&order=time
  &textFormat=plainText[&pageToken]`` -- top-level comments, newest first.
* ``GET /comments?part=snippet&parentId=..&maxResults=100&textFormat=plainText[&pageToken]``
  -- all replies of a thread, only when ``snippet.totalReplyCount`` is larger than the replies
  the thread already carries (``replies.comments``); at most ``max_reply_pages_per_thread``
  pages per thread.

Deletion watch (:meth:`YouTubeSource.recheck`): ``GET /videos?part=snippet&id=..`` for video ids and
``GET /comments?part=snippet&id=..&textFormat=plainText`` for comment ids, up to 50 ids per call; an
id left out of ``items`` is deleted, the ids of a failed call are not reported at all.

Units per run, roughly: per channel 1 (playlistItems) + 1 per 50 followed videos (videos.list),
plus, per video with new comments, 1 per 100 new threads, plus 1 per 100 replies of busy threads.
Example: 10 channels x 20 videos, a run every 15 minutes, a few videos with new comments each
time: about 10 x (2 + 3) x 96 = 4,800 units a day. ``max_pages_per_run`` caps the calls of one
run; the replies of a page being read are always finished, so a run can exceed it by those (at
most ``100 x max_reply_pages_per_thread``, in practice a few). The cursor resumes where the run
stopped, and the next run starts with the channel that was cut short; keep ``max_pages_per_run``
above ``max_videos_per_channel x max_pages_per_video`` so one busy channel cannot use a whole run.

The API key is read from the environment variable named by ``api_key_env`` (never from the
config) and sent in the ``X-Goog-Api-Key`` header, Google's documented equivalent of the
``key=`` query parameter (https://cloud.google.com/apis/docs/system-parameters): URLs appear in
logs and error messages, headers never do.

Mapping to :class:`~monitor.models.Post` (``platform = "youtube"``; YouTube has no share, quote
or forward here, and the candidates' videos themselves are not collected -- only the comments
under them):

* a top-level comment -> ``kind = "comment"``; ``parent`` = the video: ``post_id`` = video id,
  ``url`` = ``https://www.youtube.com/watch?v=ID``, ``text`` = title + blank line + description,
  ``author`` = the channel (id, ``@handle`` without '@', title).
* a reply -> ``kind = "comment"`` whose ``parent`` is the **top-level comment it answers** (its
  id, URL, text and author), not the video: the reply's meaning ("Setuju!") depends on the
  comment it answers, and YouTube threads are only one level deep, so the video stays reachable
  through that comment's own record.
* ``post_id`` = comment id; ``url`` = ``https://www.youtube.com/watch?v=VIDEO&lc=COMMENT_ID``;
  ``author.id`` = ``authorChannelId.value``; ``author.handle`` = ``authorDisplayName`` without
  the '@' when it is an @handle (YouTube shows handles as display names), else none;
  ``author.name`` = ``authorDisplayName``; ``author.url`` = ``authorChannelUrl``;
  ``created_at`` = ``publishedAt``; ``text`` = ``textOriginal``, else ``textDisplay``.
* ``raw``: for a top-level comment the whole ``commentThread`` item as received (with the replies
  it carried); for a reply the ``comment`` resource as received. Keys sorted, compact, UTF-8.
* An item that does not map or validate becomes a :class:`~monitor.collect.base.Rejected`; the
  rest of the page goes on.

Cursor (every :class:`~monitor.collect.base.Batch` carries a deep copy valid after that batch)::

    {"v": 1, "paused_until": null, "resume_channel": null,
     "handles": {"@partaix": "UC.."},
     "channels": {"UC..": {"uploads": "UU..", "title": "Partai X", "handle": "partaix",
                           "newest_video": "2024-02-01T10:00:00Z",
                           "videos": {"VIDEO_ID": {
                               "newest": "2024-02-03T08:00:00Z", "newest_ids": ["Ugx.."],
                               "scan": null, "count": 12, "disabled": false}}}}}

* Per video, ``newest`` is the ``publishedAt`` of the newest top-level comment delivered (and
  ``newest_ids`` the threads with exactly that time, since times have one-second resolution).
  Each run reads ``order=time`` from the newest thread backwards and stops at the first thread
  older than ``newest``; threads at ``newest`` already listed are skipped: nothing is read twice
  and nothing in between is skipped.
* ``scan`` is a walk in progress: ``{"token": pageToken, "stop", "stop_ids", "top", "top_ids",
  "pages_left"}``. A walk cut short (``max_pages_per_video`` per run, the run budget, an error,
  a crash) goes on from ``token`` next run *before* a new walk from the newest thread starts;
  only when it reaches ``stop`` does ``newest`` move up to ``top``. A page token YouTube no
  longer accepts (``invalidPageToken``) restarts the walk from the newest thread, with the same
  ``stop`` (only duplicates, absorbed by the store). The very first walk of a video reads at
  most ``max_pages_per_video`` pages (``pages_left``): older comments are not collected. A page
  token the walk already used in this run (a looping server) ends the walk like a last page and
  is reported in the run's error (:class:`~monitor.collect.pagination.PageGuard`; the uploads and
  replies walks use it too).
* A batch is one ``commentThreads`` page with the replies of its new threads. If the process
  dies after a batch is committed, resuming from its cursor re-reads only later pages.
* ``count``/``disabled``: the comment count at the last complete read (for ``skip_unchanged``),
  and comments turned off.
* ``paused_until`` (ISO UTC): the daily quota is spent (HTTP 403 ``quotaExceeded`` or
  ``dailyLimitExceeded``). The run stops at once, yields a batch carrying this cursor and ends
  without an error (logged as a warning); until that time -- the next midnight in
  America/Los_Angeles, when YouTube resets quotas -- ``fetch`` yields nothing and sends no
  request (logged). Other sources are not affected.

Errors: a channel that cannot be read (not found, a server error after the HTTP client's
retries) does not stop the others; the run ends with :class:`YouTubeError` naming it, after all
other batches were yielded. A video that answers 403 (``commentsDisabled``, ``forbidden``, ...)
or 404 is skipped with a logged reason. A rejected API key (``keyInvalid``, API not enabled...)
stops the run at once with :class:`YouTubeError` (the key itself is never in a message). A
403 ``rateLimitExceeded`` ends the run early (resumed next run, reported as an error).

Known limits: a reply added later to a thread that was already read is not collected (YouTube
has no "replies since" query; only a thread's first read fetches its replies); a comment held
for review and approved later keeps its old ``publishedAt`` and may land below ``newest``.
"""

from __future__ import annotations

import copy
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, AsyncIterator, Callable, Mapping
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.collect.http_source import HttpSource, check_base_url
from monitor.collect.base import Batch, Rejected, SourceContext
from monitor.collect.http import FetchError, HttpClient, HttpOptions
from monitor.models import Author, ParentRef, Post
from monitor.collect.pagination import PageGuard
from monitor.collect.payload import describe_validation, dump_raw

log = logging.getLogger(__name__)

PLATFORM = "youtube"
CURSOR_VERSION = 1
MAX_TEXT = 100_000
DEFAULT_BASE_URL = "https://www.googleapis.com/youtube/v3"
WATCH_URL = "https://www.youtube.com/watch"
QUOTA_TZ = ZoneInfo("America/Los_Angeles")
"""YouTube resets daily quotas at midnight Pacific Time."""

QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
KEY_REASONS = frozenset(
    {"keyInvalid", "keyExpired", "accessNotConfigured", "ipRefererBlocked", "API_KEY_INVALID",
     "API_KEY_SERVICE_BLOCKED", "API_KEY_HTTP_REFERRER_BLOCKED", "API_KEY_IP_ADDRESS_BLOCKED",
     "SERVICE_DISABLED"}
)

_CHANNEL_ID_RE = re.compile(r"UC[0-9A-Za-z_-]{22}")
_HANDLE_RE = re.compile(r"@[0-9A-Za-z._-]{3,30}")
_ENV_RE = r"^[A-Za-z_][A-Za-z0-9_]*$"


# ============================================================================ options


def _default_http() -> HttpOptions:
    return HttpOptions(requests_per_second=5.0)


class YouTubeOptions(BaseModel):
    """``[sources.NAME]`` with ``type = "youtube"``."""

    model_config = ConfigDict(extra="forbid")

    api_key_env: str = Field(..., pattern=_ENV_RE, description="Env var holding the YouTube Data API key")
    channels: list[str] = Field(
        ..., min_length=1, description="Channel ids (UC...) or @handles of candidates and parties"
    )
    base_url: str = Field(DEFAULT_BASE_URL, description="API root; a local test server in tests")
    max_videos_per_channel: int = Field(20, ge=1, le=500, description="Newest uploads followed per channel")
    max_pages_per_run: int = Field(
        500, ge=1, le=1_000_000, description="API calls (= quota units) per run, all channels together"
    )
    max_pages_per_video: int = Field(
        5, ge=1, le=10_000, description="commentThreads pages per video and run (and first-read depth)"
    )
    max_reply_pages_per_thread: int = Field(5, ge=1, le=10_000, description="comments.list pages per thread")
    skip_unchanged: bool = Field(True, description="Skip a video whose commentCount did not change")
    http: HttpOptions = Field(default_factory=_default_http)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str) -> str:
        return check_base_url(v, DEFAULT_BASE_URL)

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: list[str]) -> list[str]:
        out: list[str] = []
        for raw in v:
            ch = normalize_channel(raw)
            if ch not in out:
                out.append(ch)
        return out


def normalize_channel(raw: str) -> str:
    """``UC...`` id or ``@handle`` (also from a youtube.com channel/handle link); ValueError else."""
    s = raw.strip()
    m = re.fullmatch(r"(?:https?://)?(?:www\.|m\.)?youtube\.com/(channel/(UC[^/?#]+)|(@[^/?#]+))/?", s)
    if m:
        s = m.group(2) or m.group(3)
    if _CHANNEL_ID_RE.fullmatch(s):
        return s
    if _HANDLE_RE.fullmatch(s):
        return s.lower()
    raise ValueError(f"invalid channel {raw!r}: use the channel id (UC + 22 characters) or its @handle")


class YouTubeError(Exception):
    """A run of the YouTube source could not do everything (details in the message)."""


# ============================================================================ mapping helpers


def _sid(value: Any) -> str | None:
    if isinstance(value, str):
        s = value.strip()
        return s or None
    return None


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 ``publishedAt`` as an aware UTC datetime (None if missing or invalid)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if dt.tzinfo is None:
        return None
    return dt.astimezone(timezone.utc)


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def watch_url(video_id: str, comment_id: str | None = None) -> str:
    url = f"{WATCH_URL}?v={quote(video_id, safe='')}"
    return url + (f"&lc={quote(comment_id, safe='')}" if comment_id else "")


def next_quota_reset(now: datetime) -> datetime:
    """The next midnight in America/Los_Angeles (DST-aware), in UTC."""
    local = now.astimezone(QUOTA_TZ)
    nxt: date = local.date() + timedelta(days=1)
    return datetime.combine(nxt, time(0), tzinfo=QUOTA_TZ).astimezone(timezone.utc)


def comment_author(sn: Mapping[str, Any]) -> Author:
    name = sn.get("authorDisplayName")
    name = name.strip() if isinstance(name, str) and name.strip() else None
    ch = sn.get("authorChannelId")
    author_id = _sid(ch.get("value")) if isinstance(ch, dict) else _sid(ch)
    handle = name[1:] if name and name.startswith("@") and len(name) > 1 and " " not in name else None
    url = sn.get("authorChannelUrl")
    return Author(id=author_id, handle=handle, name=name, url=url if isinstance(url, str) and url else None)


def comment_text(sn: Mapping[str, Any]) -> str:
    for key in ("textOriginal", "textDisplay"):
        v = sn.get(key)
        if isinstance(v, str) and v:
            return v[:MAX_TEXT]
    return ""


def video_text(video: Mapping[str, Any]) -> str:
    sn = video.get("snippet") if isinstance(video.get("snippet"), dict) else {}
    title = sn.get("title") if isinstance(sn.get("title"), str) else ""
    desc = sn.get("description") if isinstance(sn.get("description"), str) else ""
    return (f"{title}\n\n{desc}" if desc else title)[:MAX_TEXT]


def video_parent(video: Mapping[str, Any], channel: Mapping[str, Any] | None = None) -> ParentRef:
    """The video as the parent of its top-level comments; the channel is its author."""
    vid = _sid(video.get("id")) or ""
    sn = video.get("snippet") if isinstance(video.get("snippet"), dict) else {}
    ch_id = _sid(sn.get("channelId"))
    channel = channel or {}
    name = sn.get("channelTitle") if isinstance(sn.get("channelTitle"), str) else channel.get("title")
    handle = channel.get("handle")
    author = None
    if ch_id or handle:
        author = Author(
            id=ch_id,
            handle=handle,
            name=name or None,
            url=f"https://www.youtube.com/@{handle}" if handle else (
                f"https://www.youtube.com/channel/{ch_id}" if ch_id else None),
        )
    return ParentRef(post_id=vid or None, url=watch_url(vid) if vid else None, text=video_text(video), author=author)


def comment_to_post(comment: Any, *, video_id: str, parent: ParentRef | None, raw_item: Any = None) -> Post:
    """Map one ``comment`` resource (top-level or reply) to a Post; ValueError/ValidationError if it cannot."""
    if not isinstance(comment, dict):
        raise ValueError("a comment must be a JSON object")
    cid = _sid(comment.get("id"))
    if not cid:
        raise ValueError("comment has no 'id'")
    sn = comment.get("snippet")
    if not isinstance(sn, dict):
        raise ValueError("comment has no 'snippet' object")
    vid = _sid(sn.get("videoId")) or video_id
    return Post(
        platform=PLATFORM,
        post_id=cid,
        url=watch_url(vid, cid),
        created_at=sn.get("publishedAt"),
        author=comment_author(sn),
        kind="comment",
        text=comment_text(sn),
        parent=parent,
        raw=dump_raw(comment if raw_item is None else raw_item),
    )


VIDEO_ID_RE = re.compile(r"^[A-Za-z0-9_-]{11}$")  # comment ids are longer ("Ugz...4AaABAg[.reply]")


def video_to_post(video: Mapping[str, Any]) -> Post:
    """A ``video`` resource as a Post (the deletion watch's view of a video; the channel is its author)."""
    ref = video_parent(video)
    sn = video.get("snippet") if isinstance(video.get("snippet"), dict) else {}
    if not ref.post_id or ref.author is None:
        raise ValueError("video without 'id' or 'snippet.channelId'")
    return Post(platform=PLATFORM, post_id=ref.post_id, url=ref.url, created_at=sn.get("publishedAt"),
                author=ref.author, kind="post", text=ref.text or "", raw=dump_raw(video))


def _recheck_comment(comment: Mapping[str, Any]) -> Post:
    """A ``comment`` resource from ``comments?id=``: its parent is the comment it answers, or its video."""
    sn = comment.get("snippet") if isinstance(comment.get("snippet"), dict) else {}
    vid = _sid(sn.get("videoId")) or ""
    parent_id = _sid(sn.get("parentId"))
    parent = ParentRef(post_id=parent_id or vid or None,
                       url=(watch_url(vid, parent_id) if parent_id else watch_url(vid)) if vid else None)
    return comment_to_post(comment, video_id=vid, parent=parent)


def comment_parent(comment: Mapping[str, Any], video_id: str) -> ParentRef:
    """A top-level comment as the parent of its replies (whatever of it is usable)."""
    cid = _sid(comment.get("id"))
    sn = comment.get("snippet") if isinstance(comment.get("snippet"), dict) else {}
    try:
        author = comment_author(sn)
    except (ValueError, ValidationError):
        author = None
    return ParentRef(
        post_id=cid,
        url=watch_url(video_id, cid) if cid else None,
        text=comment_text(sn),
        author=author,
    )


def thread_top(item: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict) or not isinstance(item.get("snippet"), dict):
        return None
    top = item["snippet"].get("topLevelComment")
    return top if isinstance(top, dict) else None


def thread_time(item: Any) -> datetime | None:
    top = thread_top(item)
    if top is None or not isinstance(top.get("snippet"), dict):
        return None
    return parse_time(top["snippet"].get("publishedAt"))


def thread_key(item: Any) -> str | None:
    """The thread's id (same as its top-level comment's id)."""
    if not isinstance(item, dict):
        return None
    top = thread_top(item)
    return _sid(item.get("id")) or (_sid(top.get("id")) if top else None)


def google_error(data: Any) -> tuple[str | None, str]:
    """(reason, message) of a Google API error body ``{"error": {"code", "message", "errors": [...]}}``."""
    if not isinstance(data, dict) or not isinstance(data.get("error"), dict):
        return None, ""
    err = data["error"]
    message = err.get("message") if isinstance(err.get("message"), str) else ""
    reason = None
    errors = err.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        reason = _sid(errors[0].get("reason"))
    for d in err.get("details") or []:  # newer error format: google.rpc.ErrorInfo
        if isinstance(d, dict) and _sid(d.get("reason")) in KEY_REASONS:
            reason = d["reason"]
    message = re.sub(r"<[^>]+>", "", message)[:300]
    return reason, message


# ============================================================================ cursor helpers


def _empty_state() -> dict[str, Any]:
    return {"v": CURSOR_VERSION, "paused_until": None, "resume_channel": None, "handles": {}, "channels": {}}


def _str_list(v: Any) -> list[str]:
    return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []


def _clean_time(v: Any) -> str | None:
    dt = parse_time(v)
    return iso(dt) if dt else None


def _clean_video(v: Any) -> dict[str, Any]:
    v = v if isinstance(v, dict) else {}
    out: dict[str, Any] = {
        "newest": _clean_time(v.get("newest")),
        "newest_ids": _str_list(v.get("newest_ids")),
        "scan": None,
        "count": v["count"] if isinstance(v.get("count"), int) and not isinstance(v.get("count"), bool) else None,
        "disabled": v.get("disabled") is True,
    }
    s = v.get("scan")
    if isinstance(s, dict):
        pages_left = s.get("pages_left")
        out["scan"] = {
            "token": _sid(s.get("token")),
            "stop": _clean_time(s.get("stop")),
            "stop_ids": _str_list(s.get("stop_ids")),
            "top": _clean_time(s.get("top")),
            "top_ids": _str_list(s.get("top_ids")),
            "pages_left": pages_left if isinstance(pages_left, int) and pages_left > 0 else None,
        }
    return out


def load_cursor(cursor: Mapping[str, Any] | None) -> dict[str, Any]:
    """A clean, private copy of a stored cursor (an unknown shape starts over, with a warning)."""
    if not cursor:
        return _empty_state()
    if cursor.get("v") != CURSOR_VERSION or not isinstance(cursor.get("channels"), dict):
        log.warning("youtube: unrecognised cursor %r; starting over", cursor)
        return _empty_state()
    state = _empty_state()
    state["paused_until"] = _clean_time(cursor.get("paused_until"))
    state["resume_channel"] = _sid(cursor.get("resume_channel"))
    if isinstance(cursor.get("handles"), dict):
        state["handles"] = {str(k): v for k, v in cursor["handles"].items() if isinstance(v, str)}
    for cid, ch in cursor["channels"].items():
        if not isinstance(ch, dict):
            continue
        videos = ch.get("videos") if isinstance(ch.get("videos"), dict) else {}
        state["channels"][str(cid)] = {
            "uploads": _sid(ch.get("uploads")),
            "title": ch.get("title") if isinstance(ch.get("title"), str) else None,
            "handle": _sid(ch.get("handle")),
            "newest_video": _clean_time(ch.get("newest_video")),
            "videos": {str(vid): _clean_video(v) for vid, v in videos.items()},
        }
    return state


def _new_video_state() -> dict[str, Any]:
    return {"newest": None, "newest_ids": [], "scan": None, "count": None, "disabled": False}


# ============================================================================ run plumbing


class _ApiError(Exception):
    def __init__(self, status: int, reason: str | None, message: str, url: str) -> None:
        self.status, self.reason, self.message, self.url = status, reason, message, url
        super().__init__(f"GET {url}: HTTP {status} {reason or ''}: {message}".strip())


class _QuotaExceeded(Exception):
    pass


class _KeyRejected(Exception):
    pass


class _RateLimited(Exception):
    pass


class _OutOfBudget(Exception):
    pass


@dataclass
class _Run:
    http: HttpClient
    headers: dict[str, str]
    budget: int
    units: int = 0
    errors: list[str] = field(default_factory=list)
    last: dict[str, Any] | None = None  # cursor of the last yielded batch


@dataclass
class _Page:
    posts: list[Post] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


# ============================================================================ the source


class YouTubeSource(HttpSource):
    type_name = "youtube"
    options_model = YouTubeOptions

    def __init__(
        self,
        name: str,
        options: Any,
        http: HttpClient | None = None,
        context: SourceContext | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(name, options, http, context)
        options = self.options  # validated by HttpSource
        self.options: YouTubeOptions = options
        self._now = now or (lambda: datetime.now(timezone.utc))

    # -- plumbing -------------------------------------------------------------------------------

    def _api_key(self) -> str:
        # Like monitor.config.secret_from_env, but raised as this source's own error type.
        var = self.options.api_key_env
        value = (os.environ.get(var) or "").strip()
        if not value:
            raise YouTubeError(f"sources.{self.name}.api_key_env: environment variable {var} is not set")
        return value

    def _spend(self, run: _Run) -> None:
        """Count one call against the run budget (raise when the budget is used up)."""
        if run.units >= run.budget:
            raise _OutOfBudget()
        run.units += 1

    async def _call(self, run: _Run, endpoint: str, params: dict[str, Any]) -> dict[str, Any]:
        """GET ``endpoint``; the JSON object, or a classified error (quota, key, rate, other)."""
        resp = await run.http.get_json(
            f"{self.options.base_url}/{endpoint}", params, run.headers, allow_status=(400, 401, 403, 404)
        )
        if 200 <= resp.status <= 299:
            if not isinstance(resp.data, dict):
                raise FetchError(
                    f"expected a JSON object, got {type(resp.data).__name__}", url=resp.url, status=resp.status
                )
            return resp.data
        reason, message = google_error(resp.data)
        if reason in QUOTA_REASONS:
            raise _QuotaExceeded(f"{reason}: {message}")
        if reason in KEY_REASONS or resp.status == 401 or (
            resp.status == 400 and "api key" in message.lower()
        ):
            raise _KeyRejected(f"HTTP {resp.status} {reason or ''}: {message}")
        if reason in RATE_REASONS:
            raise _RateLimited(f"{reason}: {message}")
        raise _ApiError(resp.status, reason, message, resp.url)

    def _batch(self, run: _Run, state: dict[str, Any], page: _Page | None = None) -> Batch:
        run.last = copy.deepcopy(state)
        return Batch(
            posts=page.posts if page else [],
            rejected=page.rejected if page else [],
            cursor=copy.deepcopy(state),
        )

    # -- channels -------------------------------------------------------------------------------

    @staticmethod
    def _remember_channel(state: dict[str, Any], item: Mapping[str, Any]) -> str | None:
        cid = _sid(item.get("id"))
        if not cid:
            return None
        sn = item.get("snippet") if isinstance(item.get("snippet"), dict) else {}
        cd = item.get("contentDetails") if isinstance(item.get("contentDetails"), dict) else {}
        rp = cd.get("relatedPlaylists") if isinstance(cd.get("relatedPlaylists"), dict) else {}
        custom = _sid(sn.get("customUrl"))
        ch = state["channels"].setdefault(
            cid, {"uploads": None, "title": None, "handle": None, "newest_video": None, "videos": {}}
        )
        ch["uploads"] = _sid(rp.get("uploads")) or ch.get("uploads")
        ch["title"] = sn.get("title") if isinstance(sn.get("title"), str) else ch.get("title")
        ch["handle"] = custom.lstrip("@") if custom and custom.startswith("@") else ch.get("handle")
        return cid

    async def _resolve(self, run: _Run, state: dict[str, Any]) -> list[str]:
        """Configured entries -> channel ids (looked up once, then from the cursor), config order."""
        out: list[str] = []
        ids_needed = [c for c in self.options.channels if not c.startswith("@")
                      and not (state["channels"].get(c) or {}).get("uploads")]
        for i in range(0, len(ids_needed), 50):
            chunk = ids_needed[i:i + 50]
            self._spend(run)
            try:
                data = await self._call(run, "channels", {
                    "part": "snippet,contentDetails", "id": ",".join(chunk), "maxResults": 50})
            except (FetchError, _ApiError) as exc:
                run.errors.append(f"channels {', '.join(chunk)}: {exc}")
                continue
            for item in data.get("items") or []:
                if isinstance(item, dict):
                    self._remember_channel(state, item)
        for entry in self.options.channels:
            if entry.startswith("@"):
                cid = state["handles"].get(entry)
                if not cid or not (state["channels"].get(cid) or {}).get("uploads"):
                    self._spend(run)
                    try:
                        data = await self._call(run, "channels", {
                            "part": "snippet,contentDetails", "forHandle": entry})
                    except (FetchError, _ApiError) as exc:
                        run.errors.append(f"channel {entry}: {exc}")
                        continue
                    items = [i for i in data.get("items") or [] if isinstance(i, dict)]
                    cid = self._remember_channel(state, items[0]) if items else None
                    if cid is None:
                        msg = f"channel {entry} not found"
                        log.warning("youtube %s: %s", self.name, msg)
                        run.errors.append(msg)
                        continue
                    state["handles"][entry] = cid
            else:
                cid = entry
                if not (state["channels"].get(cid) or {}).get("uploads"):
                    if not any(entry in e for e in run.errors):
                        msg = f"channel {entry} not found (or it has no uploads playlist)"
                        log.warning("youtube %s: %s", self.name, msg)
                        run.errors.append(msg)
                    continue
            if cid not in out:
                out.append(cid)
        return out

    async def _uploads(self, run: _Run, ch: dict[str, Any]) -> list[dict[str, Any]]:
        """The newest ``max_videos_per_channel`` playlist items of the uploads playlist."""
        want = self.options.max_videos_per_channel
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        token: str | None = None
        guard = PageGuard(f"youtube {self.name}: uploads {ch['uploads']}")
        while len(items) < want:
            self._spend(run)
            try:
                data = await self._call(run, "playlistItems", {
                    "part": "snippet,contentDetails", "playlistId": ch["uploads"],
                    "maxResults": min(50, want), "pageToken": token})
            except _ApiError as exc:
                if exc.status == 404:  # a channel without uploads has no uploads playlist
                    log.info("youtube %s: uploads playlist %s not found: no videos", self.name, ch["uploads"])
                    return []
                raise
            for it in data.get("items") or []:
                vid = _video_id_of(it)
                if vid and vid not in seen and len(items) < want:
                    seen.add(vid)
                    items.append(it)
            token = _sid(data.get("nextPageToken"))
            if not token or guard.repeats(token):
                break
        if guard.problem:
            run.errors.append(guard.problem)
        return items

    async def _videos(self, run: _Run, ids: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(ids), 50):
            self._spend(run)
            data = await self._call(run, "videos", {"part": "snippet,statistics", "id": ",".join(ids[i:i + 50])})
            for it in data.get("items") or []:
                if isinstance(it, dict) and _sid(it.get("id")):
                    out[it["id"]] = it
        return out

    async def _channel(self, run: _Run, state: dict[str, Any], cid: str) -> AsyncIterator[Batch]:
        ch = state["channels"][cid]
        items = await self._uploads(run, ch)
        ids = [v for v in (_video_id_of(it) for it in items) if v]
        ch["videos"] = {v: s for v, s in ch["videos"].items() if v in ids}  # stop following old videos
        times = [t for t in (_video_time_of(it) for it in items) if t]
        if times:
            newest = max(times)
            old = parse_time(ch.get("newest_video"))
            if old is None or newest > old:
                if old is not None:
                    log.info("youtube %s: new video(s) on %s", self.name, cid)
                ch["newest_video"] = iso(newest)
        if not ids:
            return
        videos = await self._videos(run, ids)
        for vid in ids:
            video = videos.get(vid)
            if video is None:
                log.info("youtube %s: video %s of %s is not available (private, deleted or not yet public); skipped",
                         self.name, vid, cid)
                continue
            async for b in self._video(run, state, ch, vid, video):
                yield b
            if state != run.last:
                yield self._batch(run, state)

    # -- one video ------------------------------------------------------------------------------

    async def _video(
        self, run: _Run, state: dict[str, Any], ch: dict[str, Any], vid: str, video: dict[str, Any]
    ) -> AsyncIterator[Batch]:
        o = self.options
        vs = ch["videos"].setdefault(vid, _new_video_state())
        stats = video.get("statistics") if isinstance(video.get("statistics"), dict) else {}
        count = _int(stats.get("commentCount"))
        if o.skip_unchanged and vs["scan"] is None:
            if (vs["count"] is not None and count == vs["count"]) or (vs["disabled"] and count is None):
                return
        parent = video_parent(video, ch)
        pages = 0
        head_started = False
        scan = vs["scan"]
        guard = PageGuard(f"youtube {self.name}: comments of {vid}", start=scan["token"] if scan else None)
        while True:
            if scan is None:
                if head_started:
                    break
                head_started = True
                guard = PageGuard(guard.where)  # a new walk from the newest comment
                newest, ids = vs["newest"], list(vs["newest_ids"])
                scan = {"token": None, "stop": newest, "stop_ids": ids, "top": newest, "top_ids": list(ids),
                        "pages_left": o.max_pages_per_video if newest is None else None}
            if pages >= o.max_pages_per_video:
                break  # the walk goes on next run (vs["scan"] holds it)
            self._spend(run)
            try:
                data = await self._call(run, "commentThreads", {
                    "part": "snippet,replies", "videoId": vid, "maxResults": 100, "order": "time",
                    "textFormat": "plainText", "pageToken": scan["token"]})
            except _ApiError as exc:
                if exc.reason == "invalidPageToken" and scan["token"]:
                    log.warning("youtube %s: page token for video %s no longer valid; reading again from the "
                                "newest comment", self.name, vid)
                    scan["token"] = None
                    vs["scan"] = scan
                    continue
                if exc.status in (403, 404):
                    log.info("youtube %s: comments of video %s skipped: HTTP %s %s (%s)",
                             self.name, vid, exc.status, exc.reason, exc.message)
                    if exc.reason == "commentsDisabled":
                        vs["disabled"], vs["count"], vs["scan"] = True, None, None
                    return
                raise
            pages += 1
            page, done = await self._thread_page(run, vid, parent, data, scan, guard)
            if guard.problem and guard.problem not in run.errors:
                run.errors.append(guard.problem)
            if done:
                vs["newest"], vs["newest_ids"] = scan["top"], scan["top_ids"]
                vs["scan"] = scan = None
                if head_started:
                    vs["count"], vs["disabled"] = count, False
            else:
                vs["scan"] = scan
            yield self._batch(run, state, page)

    async def _thread_page(
        self, run: _Run, vid: str, parent: ParentRef, data: dict[str, Any], scan: dict[str, Any], guard: PageGuard
    ) -> tuple[_Page, bool]:
        """Map one commentThreads page; update ``scan`` (top, token, pages_left); return (page, done).
        A page token this walk already used (``guard``) ends the walk."""
        stop = parse_time(scan["stop"])
        stop_ids = set(scan["stop_ids"])
        top = parse_time(scan["top"])
        top_ids = list(scan["top_ids"])
        page = _Page()
        reached = False
        new: list[Any] = []
        for item in data.get("items") or []:
            t = thread_time(item)
            key = thread_key(item)
            if t is None or key is None:
                page.rejected.append(Rejected(dump_raw(item), "thread without a valid id or topLevelComment.snippet.publishedAt"))
                continue
            if stop is not None and t < stop:
                reached = True  # newest first: everything from here on was delivered before
                break
            if stop is not None and t == stop and key in stop_ids:
                continue
            new.append(item)
            if top is None or t > top:
                top, top_ids = t, [key]
            elif t == top and key not in top_ids:
                top_ids.append(key)
        for item in new:
            await self._map_thread(run, vid, parent, item, page)
        token = _sid(data.get("nextPageToken"))
        pages_left = scan["pages_left"] - 1 if scan["pages_left"] is not None else None
        done = reached or not token or guard.repeats(token) or (pages_left is not None and pages_left <= 0)
        scan.update(token=None if done else token, top=iso(top) if top else None, top_ids=top_ids,
                    pages_left=pages_left)
        return page, done

    async def _map_thread(self, run: _Run, vid: str, parent: ParentRef, item: dict[str, Any], page: _Page) -> None:
        top = thread_top(item) or {}
        try:
            page.posts.append(comment_to_post(top, video_id=vid, parent=parent, raw_item=item))
        except ValidationError as exc:
            page.rejected.append(Rejected(dump_raw(item), describe_validation(exc)))
        except (KeyError, TypeError, ValueError) as exc:
            page.rejected.append(Rejected(dump_raw(item), f"{type(exc).__name__}: {exc}"))
        replies = await self._replies(run, vid, item)
        if not replies:
            return
        rparent = comment_parent(top, vid)
        for r in replies:
            try:
                page.posts.append(comment_to_post(r, video_id=vid, parent=rparent))
            except ValidationError as exc:
                page.rejected.append(Rejected(dump_raw(r), describe_validation(exc)))
            except (KeyError, TypeError, ValueError) as exc:
                page.rejected.append(Rejected(dump_raw(r), f"{type(exc).__name__}: {exc}"))

    async def _replies(self, run: _Run, vid: str, item: dict[str, Any]) -> list[Any]:
        """The replies of a thread: those it carries, or all of them via comments.list."""
        rep = item.get("replies")
        included = rep.get("comments") if isinstance(rep, dict) and isinstance(rep.get("comments"), list) else []
        total = _int(item["snippet"].get("totalReplyCount")) or 0
        top = thread_top(item) or {}
        parent_id = _sid(top.get("id")) or thread_key(item)
        if total <= len(included) or not parent_id:
            return list(included)
        fetched: list[Any] = []
        token: str | None = None
        guard = PageGuard(f"youtube {self.name}: replies of {parent_id}")
        for n in range(self.options.max_reply_pages_per_thread):
            run.units += 1  # replies of a page being read are always finished (not budget-checked)
            try:
                data = await self._call(run, "comments", {
                    "part": "snippet", "parentId": parent_id, "maxResults": 100,
                    "textFormat": "plainText", "pageToken": token})
            except _ApiError as exc:
                log.info("youtube %s: replies of %s on %s not listed (HTTP %s %s); keeping the %d included",
                         self.name, parent_id, vid, exc.status, exc.reason, len(included))
                break
            fetched.extend(data.get("items") or [])
            token = _sid(data.get("nextPageToken"))
            if not token or guard.repeats(token):
                if guard.problem:
                    run.errors.append(guard.problem)
                break
        else:
            log.info("youtube %s: thread %s on %s has more than %d pages of replies; the rest is not collected",
                     self.name, parent_id, vid, self.options.max_reply_pages_per_thread)
        seen = {c.get("id") for c in fetched if isinstance(c, dict)}
        return fetched + [c for c in included if not (isinstance(c, dict) and c.get("id") in seen)]

    # -- the interface --------------------------------------------------------------------------

    # -- deletion watch -------------------------------------------------------------------------

    async def recheck(self, post_ids: list[str]) -> dict[str, Post | None]:
        """Deletion watch: ``GET /videos?part=snippet&id=..`` for video ids (11 characters) and
        ``GET /comments?part=snippet&id=..`` for comment ids, 50 ids per call (1 quota unit each).
        An id missing from ``items`` of a successful answer is deleted (``None``); the ids of a call
        that failed are left out (not checked), never reported deleted."""
        run = _Run(http=self._client(), headers={"X-Goog-Api-Key": self._api_key()}, budget=len(post_ids) + 1)
        videos = [p for p in dict.fromkeys(post_ids) if VIDEO_ID_RE.match(p)]
        comments = [p for p in dict.fromkeys(post_ids) if p and not VIDEO_ID_RE.match(p)]
        out: dict[str, Post | None] = {}
        for endpoint, ids in (("videos", videos), ("comments", comments)):
            for i in range(0, len(ids), 50):
                chunk = ids[i:i + 50]
                params = {"part": "snippet", "id": ",".join(chunk)}
                if endpoint == "comments":
                    params["textFormat"] = "plainText"  # as collected, so an unchanged text compares equal
                try:
                    data = await self._call(run, endpoint, params)
                except (FetchError, _ApiError, _QuotaExceeded, _KeyRejected, _RateLimited) as exc:
                    log.warning("youtube %s: re-check of %d %s failed: %s", self.name, len(chunk), endpoint, exc)
                    continue
                items = data.get("items")
                if not isinstance(items, list):
                    log.warning("youtube %s: re-check of %s: answer without 'items'", self.name, endpoint)
                    continue
                found = {_sid(it.get("id")): it for it in items if isinstance(it, dict) and _sid(it.get("id"))}
                for pid in chunk:
                    item = found.get(pid)
                    if item is None:
                        out[pid] = None
                        continue
                    try:
                        out[pid] = video_to_post(item) if endpoint == "videos" else _recheck_comment(item)
                    except (ValidationError, ValueError, TypeError) as exc:
                        log.warning("youtube %s: re-check of %s unreadable: %s", self.name, pid, exc)
        return out

    async def fetch(self, cursor: dict[str, Any] | None) -> AsyncIterator[Batch]:
        """Yield one batch per comment page, channel by channel (see the module docstring)."""
        state = load_cursor(cursor)
        now = self._now()
        paused = parse_time(state["paused_until"])
        if paused is not None and now < paused:
            log.info("youtube %s: daily quota exhausted; paused until %s (quota resets at midnight "
                     "America/Los_Angeles)", self.name, state["paused_until"])
            return
        state["paused_until"] = None
        run = _Run(http=self._client(), headers={"X-Goog-Api-Key": self._api_key()},
                   budget=self.options.max_pages_per_run)
        run.last = load_cursor(cursor)
        current: str | None = None
        try:
            order = await self._resolve(run, state)
            resume = state["resume_channel"]
            if resume in order:
                i = order.index(resume)
                order = order[i:] + order[:i]
            state["resume_channel"] = None
            for cid in order:
                current = cid
                try:
                    async for batch in self._channel(run, state, cid):
                        yield batch
                except (FetchError, _ApiError) as exc:
                    log.error("youtube %s: channel %s failed: %s", self.name, cid, exc)
                    run.errors.append(f"channel {cid}: {exc}")
        except _OutOfBudget:
            state["resume_channel"] = current
            log.info("youtube %s: max_pages_per_run (%d) reached; the next run goes on from channel %s",
                     self.name, run.budget, current)
        except _RateLimited as exc:
            state["resume_channel"] = current
            run.errors.append(f"rate limited by YouTube ({exc}); stopped early, the next run goes on")
        except _QuotaExceeded as exc:
            until = next_quota_reset(self._now())
            state["paused_until"] = iso(until)
            log.warning("youtube %s: daily quota exhausted (%s); paused until %s", self.name, exc, iso(until))
            yield self._batch(run, state)
            if run.errors:
                raise YouTubeError(f"{len(run.errors)} problem(s) before the quota ran out: " + " | ".join(run.errors))
            return
        except _KeyRejected as exc:
            if state != run.last:
                yield self._batch(run, state)
            raise YouTubeError(
                f"YouTube rejected the API key from environment variable {self.options.api_key_env} ({exc}); "
                "check the key and that YouTube Data API v3 is enabled for its Google Cloud project"
            ) from None
        if state != run.last:
            yield self._batch(run, state)
        log.info("youtube %s: run used %d API calls (quota units)", self.name, run.units)
        if run.errors:
            raise YouTubeError(f"{len(run.errors)} problem(s): " + " | ".join(run.errors))


def _int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    return None


def _video_id_of(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    cd = item.get("contentDetails")
    if isinstance(cd, dict) and _sid(cd.get("videoId")):
        return cd["videoId"].strip()
    sn = item.get("snippet")
    if isinstance(sn, dict) and isinstance(sn.get("resourceId"), dict):
        return _sid(sn["resourceId"].get("videoId"))
    return None


def _video_time_of(item: Any) -> datetime | None:
    if not isinstance(item, dict):
        return None
    cd = item.get("contentDetails")
    if isinstance(cd, dict) and parse_time(cd.get("videoPublishedAt")):
        return parse_time(cd["videoPublishedAt"])
    sn = item.get("snippet")
    return parse_time(sn.get("publishedAt")) if isinstance(sn, dict) else None
