"""The one normalised post model every platform adapter produces.

It is also the JSON Lines import format (one object per line), documented in the README.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

Kind = Literal["post", "comment", "share", "quote", "forward"]
KINDS: tuple[str, ...] = ("post", "comment", "share", "quote", "forward")


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
    """What a comment answers, or what a share/quote/forward passes on."""

    model_config = ConfigDict(extra="forbid")

    post_id: str | None = None
    url: str | None = None
    text: str | None = None
    author: Author | None = None


class Post(BaseModel):
    """A public post, comment, share, quote or forward from any platform."""

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
        if self.kind in ("share", "quote", "forward") and self.parent is None:
            raise ValueError(f"kind '{self.kind}' needs a 'parent' (what was shared/quoted/forwarded)")
        return self
