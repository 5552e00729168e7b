"""The one normalised post model every platform adapter produces.

It is also the JSON Lines import format (one object per line), documented in the README.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

Kind = Literal["post", "comment", "share", "quote", "forward", "like", "follow"]
KINDS: tuple[str, ...] = ("post", "comment", "share", "quote", "forward", "like", "follow")
# Kinds that only make sense with a parent. A ``like`` has the liked post as its parent; a
# ``follow`` has the followed account as its parent (display name + bio as ``text``, the profile
# as ``url``). Neither has text of its own.
NEEDS_PARENT: tuple[str, ...] = ("share", "quote", "forward", "like", "follow")


class Author(BaseModel):
    """Who wrote a post, as the platform shows it."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, description="Platform account id (stable)")
    handle: str | None = Field(None, description="Handle / username, e.g. budi_s or budi@kota.social")
    name: str | None = Field(None, description="Display name as shown on the platform")
    bio: str | None = Field(None, description="Profile description")
    url: str | None = None

    @model_validator(mode="after")
    def _needs_identifier(self) -> "Author":
        if not (self.id or self.handle):
            raise ValueError("author needs at least 'id' or 'handle'")
        return self


class ParentRef(BaseModel):
    """What a comment answers, what a share/quote/forward passes on, what a like likes or
    (for a follow) the followed account."""

    model_config = ConfigDict(extra="forbid")

    post_id: str | None = None
    url: str | None = None
    text: str | None = None
    author: Author | None = None


class Post(BaseModel):
    """A public post, comment, share, quote or forward from any platform, or a like or follow."""

    model_config = ConfigDict(extra="forbid")

    platform: str = Field(..., pattern=r"^[a-z0-9_]{1,32}$", description="e.g. x, mastodon, facebook")
    post_id: str = Field(..., min_length=1, max_length=256)
    url: str | None = None
    created_at: AwareDatetime
    author: Author
    kind: Kind = "post"
    text: str = Field("", max_length=100_000)
    parent: ParentRef | None = None
    raw: str | None = Field(
        None,
        description=(
            "Exact text of the payload as received (set by the adapter; for JSON Lines it is the "
            "whole line). Stored verbatim with its SHA-256 and never rewritten."
        ),
    )

    @model_validator(mode="after")
    def _parent_required(self) -> "Post":
        if self.kind in NEEDS_PARENT and self.parent is None:
            raise ValueError(f"kind '{self.kind}' needs a 'parent' (what was shared/quoted/forwarded/liked/followed)")
        return self
