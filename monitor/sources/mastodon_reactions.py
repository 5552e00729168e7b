"""Mastodon likes (favourites) and follows as :class:`~monitor.models.Post` of kind ``like`` / ``follow``.

Endpoints (https://docs.joinmastodon.org/methods/statuses/#favourited_by and
https://docs.joinmastodon.org/methods/accounts/#followers): ``GET /api/v1/statuses/:id/favourited_by``
and ``GET /api/v1/accounts/:id/followers``. Both return ``Account[]``, newest first, paginated by
*internal* ids that only appear in the ``Link`` header (``rel="next"`` carries ``max_id``); they
are not account ids, so the header is the only way to the next page.

Mapping (the partisan content is the ``parent``, as for a share):

* like: ``post_id`` = ``like:<status id>:<account id>``, author = the account that favourited,
  parent = the liked status, ``created_at`` = the **status's** ``created_at``: the API does not
  say when the favourite was given (the like happened at or after that time).
* follow: ``post_id`` = ``follow:<followed id>:<follower id>``, author = the follower, parent =
  the followed account (``text`` = display name + bio, ``url`` = its profile), ``created_at`` =
  when the follow was first **observed** (the API exposes no follow time either; later runs find
  the same id and store nothing again).

``raw`` is the Account JSON as received, wrapped with what it relates to, e.g.
``{"favourited_by": {...}, "status_id": "..."}``: the exact evidence the post rests on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, AsyncIterator
from urllib.parse import parse_qs, quote, urlsplit

from monitor.collect.http import HttpClient
from monitor.collect.pagination import PageGuard
from monitor.collect.payload import dump_raw
from monitor.models import Author, ParentRef, Post

PAGE_LIMIT = 40  # Mastodon's default for these endpoints (max 80)


def _next_max_id(links: dict[str, str]) -> str | None:
    url = links.get("next")
    if not url:
        return None
    try:
        values = parse_qs(urlsplit(url).query).get("max_id")
    except ValueError:
        return None
    return values[0] if values and values[0] else None


async def account_pages(
    http: HttpClient, url: str, headers: dict[str, str], *, max_pages: int, errors: list[str] | None = None
) -> AsyncIterator[list[dict[str, Any]]]:
    """The pages of an ``Account[]`` endpoint, at most ``max_pages``; nothing on 404 (gone). A
    ``max_id`` the walk already used (a server that loops) ends it; the reason goes to ``errors``."""
    params: dict[str, Any] = {"limit": PAGE_LIMIT}
    guard = PageGuard(f"{http.name}: {urlsplit(url).path}")
    for _ in range(max_pages):
        resp = await http.get_json(url, params, headers, allow_status=(404, 410))
        if resp.status in (404, 410) or not isinstance(resp.data, list) or not resp.data:
            return
        yield [a for a in resp.data if isinstance(a, dict)]
        nxt = _next_max_id(resp.links)
        if nxt is None or guard.repeats(nxt):  # no more pages, or a server that does not move
            if guard.problem and errors is not None:
                errors.append(guard.problem)
            return
        params = {"limit": PAGE_LIMIT, "max_id": nxt}


def favourited_by_url(base_url: str, status_id: str) -> str:
    return f"{base_url}/api/v1/statuses/{quote(status_id, safe='')}/favourited_by"


def followers_url(base_url: str, account_id: str) -> str:
    return f"{base_url}/api/v1/accounts/{quote(account_id, safe='')}/followers"


def like_post(platform: str, status: dict[str, Any], liked: ParentRef, account: dict[str, Any], author: Author) -> Post:
    """One favourite of ``status`` by ``account`` (see the module docstring)."""
    if not author.id:
        raise ValueError("the account that favourited has no 'id'")
    sid = str(status["id"])
    return Post(
        platform=platform,
        post_id=f"like:{sid}:{author.id}",
        url=liked.url,
        created_at=status.get("created_at"),
        author=author,
        kind="like",
        text="",
        parent=liked,
        raw=dump_raw({"favourited_by": account, "status_id": sid}),
    )


def account_parent(target: dict[str, Any], target_author: Author) -> ParentRef:
    """The followed account as a parent: its display name and bio are the content rules see."""
    text = "\n\n".join(t for t in (target_author.name, target_author.bio) if t)
    return ParentRef(post_id=target_author.id, url=target_author.url, text=text, author=target_author)


def follow_post(
    platform: str, followed: ParentRef, follower: dict[str, Any], author: Author, observed_at: datetime
) -> Post:
    """``follower`` follows the account ``followed`` (see the module docstring)."""
    if not author.id or not followed.post_id:
        raise ValueError("the follower or the followed account has no 'id'")
    return Post(
        platform=platform,
        post_id=f"follow:{followed.post_id}:{author.id}",
        url=author.url,
        created_at=observed_at,
        author=author,
        kind="follow",
        text="",
        parent=followed,
        raw=dump_raw({"follower": follower, "followed_id": followed.post_id}),
    )
