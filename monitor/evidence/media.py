"""Media capture: find media links in stored payloads and download them for posts behind hits.

Links per platform: Mastodon ``media_attachments`` (images; the preview of videos), X
``includes.media`` / ``attachments.media`` (photo URL, video preview), Bluesky embedded images
(``embed.images[].fullsize``, also inside ``recordWithMedia``), YouTube thumbnails
(``snippet.thumbnails``). Downloads are bounded in size, only ``image/*`` content is kept, and each
file is stored as ``<platform>/<sha256[:2]>/<sha256><ext>`` under the media folder: the name is its
hash, so a file is never overwritten with other content. Every capture or failure is recorded in
the ``media`` table with its time (UTC).

The URLs are untrusted: :mod:`monitor.evidence.url_guard` refuses non-http(s) URLs and hosts that
resolve to loopback/private/link-local/... addresses, before the request and before each redirect.
A refused URL is recorded as failed with the reason and given up at once (never retried).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import aiohttp

from monitor.collect.http import FetchError, HttpClient, HttpOptions
from monitor.evidence.package import sha256_bytes
from monitor.evidence.url_guard import GuardedResolver, RefusedURL, check_url, redirect_guard
from monitor.store.evidence import MAX_MEDIA_ATTEMPTS

log = logging.getLogger("monitor.evidence.media")

MAX_MEDIA_BYTES = 15 * 1024 * 1024
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
              "image/avif": ".avif", "image/heic": ".heic"}


def _http_url(v: Any) -> str | None:
    return v if isinstance(v, str) and v.lower().startswith(("https://", "http://")) else None


def _mastodon(obj: dict) -> Iterator[tuple[str, str]]:
    for st in (obj, obj.get("reblog") if isinstance(obj.get("reblog"), dict) else None):
        if not st:
            continue
        for m in st.get("media_attachments") or []:
            if not isinstance(m, dict):
                continue
            if m.get("type") == "image" and _http_url(m.get("url")):
                yield m["url"], "image"
            elif _http_url(m.get("preview_url")):
                yield m["preview_url"], "video_preview" if m.get("type") in ("video", "gifv") else "preview"


def _x(obj: dict) -> Iterator[tuple[str, str]]:
    media = list((obj.get("includes") or {}).get("media") or []) + list((obj.get("attachments") or {}).get("media") or [])
    for m in media:
        if not isinstance(m, dict):
            continue
        if m.get("type") == "photo" and _http_url(m.get("url")):
            yield m["url"], "image"
        elif _http_url(m.get("preview_image_url")):
            yield m["preview_image_url"], "video_preview"


def _bluesky_embed(embed: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(embed, dict):
        return
    for img in embed.get("images") or []:
        if isinstance(img, dict) and _http_url(img.get("fullsize")):
            yield img["fullsize"], "image"
    if _http_url(embed.get("thumbnail")):
        yield embed["thumbnail"], "video_preview"
    yield from _bluesky_embed(embed.get("media"))


def _bluesky(obj: dict) -> Iterator[tuple[str, str]]:
    post = obj.get("post") if isinstance(obj.get("post"), dict) else obj
    yield from _bluesky_embed(post.get("embed"))


def _youtube(obj: dict) -> Iterator[tuple[str, str]]:
    thumbs = (obj.get("snippet") or {}).get("thumbnails") or {}
    for size in ("maxres", "high", "medium", "default"):
        t = thumbs.get(size)
        if isinstance(t, dict) and _http_url(t.get("url")):
            yield t["url"], "thumbnail"
            return


_FINDERS = {"mastodon": _mastodon, "x": _x, "bluesky": _bluesky, "youtube": _youtube}


def media_links(platform: str, raw: str) -> list[tuple[str, str]]:
    """``[(url, kind)]`` of the media a stored payload links (each URL once, in payload order)."""
    finder = _FINDERS.get(platform)
    if finder is None:
        return []
    try:
        obj = json.loads(raw)
    except ValueError:
        return []
    if not isinstance(obj, dict):
        return []
    return list(dict.fromkeys(finder(obj)))


@dataclass
class MediaResult:
    captured: int = 0
    failed: int = 0
    skipped: int = 0


def store_file(root: Path, platform: str, data: bytes, content_type: str) -> tuple[str, str]:
    """Write ``data`` under ``root`` named by its SHA-256; ``(sha256, relative path)``. An existing
    file of that name already holds these exact bytes and is left as it is (never overwritten)."""
    sha = sha256_bytes(data)
    rel = Path(platform) / sha[:2] / (sha + EXTENSIONS.get(content_type, ".bin"))
    dest = root / rel
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o444)
            try:
                os.link(tmp, dest)  # fails if the name appeared meanwhile: never replaces a file
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    return sha, rel.as_posix()


async def prune_media(db, root: Path) -> int:
    """Delete the files of media whose post is no longer stored (the retention job removed it, so
    the post is no longer evidence of anything); returns how many files were deleted."""
    files = await db(lambda s: s.drop_orphan_media())
    n = 0
    for rel in files:
        path = root / rel
        if root.resolve() not in path.resolve().parents:
            continue
        try:
            path.unlink()
            n += 1
        except FileNotFoundError:
            pass
    return n


class MediaHttpClient(HttpClient):
    """:class:`HttpClient` whose session checks every redirect target with the SSRF guard and, unless
    private addresses are allowed, resolves host names with :class:`GuardedResolver`."""

    def __init__(self, options: HttpOptions, *, allow_private: bool = False, **kw: Any) -> None:
        super().__init__(options, **kw)
        self.allow_private = allow_private

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            hdrs = {"User-Agent": self.options.user_agent, "Accept": "application/json"}
            hdrs.update(self._default_headers)
            connector = None if self.allow_private else aiohttp.TCPConnector(resolver=GuardedResolver())
            self._session = aiohttp.ClientSession(
                headers=hdrs, timeout=aiohttp.ClientTimeout(total=self.options.timeout_s), connector=connector,
                trace_configs=[redirect_guard(self.allow_private)])
        return self._session


async def capture_media(db, root: Path, *, http: HttpClient | None = None, limit: int = 200,
                        max_bytes: int = MAX_MEDIA_BYTES, allow_private: bool = False) -> MediaResult:
    """Download the media of posts behind hits not dismissed. ``db(fn, *args)`` runs a store call
    (under the service's writer lock, or directly); fetching happens outside it. ``allow_private``
    (``[evidence] allow_private_media``) lets media come from private/loopback addresses."""
    own = http is None
    client = http or MediaHttpClient(HttpOptions(max_response_bytes=max_bytes, max_retries=2, requests_per_second=5,
                                                 backoff_base_s=0.5), name="media", allow_private=allow_private)
    out = MediaResult()
    try:
        for row in await db(lambda s: s.media_candidates(limit)):
            links = media_links(row["platform"], row["raw"])
            settled = True
            for url, kind in links:
                if url in row["done"]:
                    out.skipped += 1
                    continue
                info: dict[str, Any] = {"platform": row["platform"], "post_id": row["post_id"], "url": url,
                                        "kind": kind}
                try:
                    await check_url(url, allow_private=allow_private)
                    resp = await client.get_bytes(url, headers={"Accept": "image/*"})
                    ctype = (resp.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                    data = resp.data or b""
                    if not ctype.startswith("image/"):
                        raise ValueError(f"content type {ctype or '(none)'} is not an image")
                    if not data or len(data) > max_bytes:
                        raise ValueError(f"size {len(data)} bytes outside 1..{max_bytes}")
                    sha, rel = store_file(root, row["platform"], data, ctype)
                    info.update(sha256=sha, size=len(data), content_type=ctype, file=rel)
                    out.captured += 1
                except (FetchError, ValueError, OSError, RefusedURL) as exc:
                    log.warning("media %s of %s:%s not captured: %s", url, row["platform"], row["post_id"], exc)
                    info["error"] = str(exc)[:500]
                    # refused before the request or at a redirect: never retried
                    info["give_up"] = isinstance(exc, RefusedURL) or (
                        isinstance(exc, FetchError) and exc.reason.startswith(RefusedURL.__name__ + ":"))
                    out.failed += 1
                await db(lambda s, i=info: s.record_media(**i))
                if "error" in info:
                    attempts = await db(lambda s, u=url: next(
                        (m["attempts"] for m in s.media_of(row["platform"], row["post_id"]) if m["url"] == u), 0))
                    settled = settled and attempts >= MAX_MEDIA_ATTEMPTS
            if settled:
                await db(lambda s, r=row, n=len(links): s.settle_media(r["platform"], r["post_id"], n))
    finally:
        if own:
            await client.aclose()
    return out
