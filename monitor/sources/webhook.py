"""``webhook`` source: external scrapers and staff push posts to ``POST /api/v1/posts``.

For platforms without a public API (Facebook, Instagram, TikTok exports), external scrapers and
public reports forwarded by staff. The body is one post, a JSON array of posts, or
``{"posts": [...]}``, each in the JSON Lines import format (see the README). The request carries
``Authorization: Bearer <token>``; the token is read from the environment variable named by
``token_env`` and compared in constant time. Every item is validated on its own: valid ones land,
invalid ones are quarantined with ``item N: reason`` and reported back item by item.

This source is push-based: the scheduler never runs it (``fetch`` yields nothing); the service
mounts the endpoint for every enabled webhook block, and the token tells which block a request
belongs to.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, AsyncIterator

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.collect.base import Batch, Rejected, Source
from monitor.collect.payload import dump_raw
from monitor.models import Post
from monitor.models.validation import error_lines


class WebhookOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token_env: str = Field(..., min_length=1, description="Environment variable holding the bearer token")
    max_items: int = Field(1000, ge=1, le=100_000)


class PayloadError(ValueError):
    """The request body as a whole is unusable (not JSON, wrong shape, too many items)."""


def parse_payload(body: bytes, *, max_items: int) -> tuple[Batch, list[dict]]:
    """Turn a request body into a Batch plus one result row per item (for the response)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PayloadError(f"body is not UTF-8: {exc.reason}") from exc
    except json.JSONDecodeError as exc:
        raise PayloadError(f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if isinstance(data, dict) and "posts" in data and set(data) == {"posts"}:
        data = data["posts"]
    items = data if isinstance(data, list) else [data]
    if len(items) > max_items:
        raise PayloadError(f"{len(items)} items in one request; the limit is {max_items}")
    batch = Batch()
    results: list[dict] = []
    for i, item in enumerate(items):
        raw = dump_raw(item)
        if not isinstance(item, dict):
            reason = "an item must be a JSON object"
        else:
            try:
                post = Post.model_validate({**item, "raw": raw})
            except ValidationError as exc:
                reason = "; ".join(error_lines(exc, unknown="unknown field"))
            else:
                batch.posts.append(post)
                results.append({"index": i, "platform": post.platform, "post_id": post.post_id, "status": "accepted"})
                continue
        batch.rejected.append(Rejected(raw, f"item {i}: {reason}"))
        results.append({"index": i, "status": "rejected", "reason": reason})
    return batch, results


def token_matches(header: str | None, expected: str) -> bool:
    """Constant-time check of an ``Authorization: Bearer ...`` header (digests compared, so not even
    the token's length shows in the timing)."""
    if not header or not header.startswith("Bearer ") or not expected:
        return False
    sent = hashlib.sha256(header[7:].strip().encode("utf-8", "surrogatepass")).digest()
    return hmac.compare_digest(sent, hashlib.sha256(expected.encode("utf-8", "surrogatepass")).digest())


class WebhookSource(Source):
    type_name = "webhook"
    options_model = WebhookOptions
    push = True

    async def fetch(self, cursor: dict[str, Any] | None) -> AsyncIterator[Batch]:
        """Nothing to poll: posts arrive through ``POST /api/v1/posts``."""
        return
        yield  # pragma: no cover - makes this an async generator
