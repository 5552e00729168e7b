"""Small builders shared by tests (plain functions, no magic)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from monitor.models import Author, ParentRef, Post


def make_post(post_id: str = "1", text: str = "halo", *, platform: str = "x", kind: str = "post",
              author_id: str = "u1", handle: str = "budi_s", name: str = "Budi Santoso", bio: str | None = None,
              parent_text: str | None = None, created_at: datetime | None = None, raw: str | None = None) -> Post:
    parent = ParentRef(post_id="p" + post_id, text=parent_text) if parent_text is not None or kind in ("share", "quote", "forward") else None
    return Post(
        platform=platform,
        post_id=post_id,
        url=f"https://example.invalid/{platform}/{post_id}",
        created_at=created_at or datetime(2024, 1, 21, 3, 0, tzinfo=timezone.utc),
        author=Author(id=author_id, handle=handle, name=name, bio=bio),
        kind=kind,
        text=text,
        parent=parent,
        raw=raw,
    )


def post_line(post_id: str, text: str, **kw) -> str:
    """One JSON Lines record in the documented import format."""
    rec = {
        "platform": kw.get("platform", "x"),
        "post_id": post_id,
        "url": f"https://x.com/{kw.get('handle', 'budi_s')}/status/{post_id}",
        "created_at": kw.get("created_at", "2024-01-21T10:00:00+07:00"),
        "author": {"id": kw.get("author_id", "u1"), "handle": kw.get("handle", "budi_s"),
                   "name": kw.get("name", "Budi Santoso")},
        "kind": kw.get("kind", "post"),
        "text": text,
    }
    if "parent_text" in kw:
        rec["parent"] = {"post_id": "parent-" + post_id, "text": kw["parent_text"]}
    return json.dumps(rec, ensure_ascii=False)
