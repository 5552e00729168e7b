"""The small interface every source adapter (plugin) implements.

A source turns a platform's public API (or a file) into :class:`~monitor.models.Post` objects.
It yields :class:`Batch` objects; each batch carries the cursor that is valid *after* the batch.
The runner commits a batch's posts, hits and that cursor in one transaction, so a crash or restart
neither loses nor duplicates a post: on restart the source is resumed from the last committed cursor
and re-delivered posts are de-duplicated by ``(platform, post_id)``.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, ClassVar

from monitor.models import Post


@dataclass
class Rejected:
    """An item the source could not turn into a valid Post. It is quarantined, never dropped."""

    payload: str
    reason: str


@dataclass
class SourceContext:
    """What the running service tells a source about the world (all optional, read-only).

    Sources never import the store, the rules or the roster; they get these callables instead.
    """

    declared_accounts: Callable[[str], list[str]] = lambda platform: []
    """Declared accounts of roster members on a platform (normalised handles or ids, as in the roster)."""
    search_terms: Callable[[], list[str]] = lambda: []
    """Strong partisan terms and hashtags of the enabled rules, for platforms that search by query."""


@dataclass
class Batch:
    posts: list[Post] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    cursor: dict[str, Any] | None = None
    """Cursor to resume from after this batch is committed (JSON-serialisable)."""


class Source(abc.ABC):
    """Base class of source plugins.

    Subclasses set :attr:`type_name` (the ``type`` used in ``[sources.NAME]``) and
    :attr:`options_model` (a pydantic model validating the rest of that block), and implement
    :meth:`fetch`.
    """

    type_name: ClassVar[str]
    options_model: ClassVar[type | None] = None
    push: ClassVar[bool] = False
    """True for sources that receive posts (webhook) instead of polling: never scheduled."""

    def __init__(self, name: str, options: Any, http: Any | None = None, context: SourceContext | None = None) -> None:
        self.name = name
        self.options = options
        self.http = http
        self.context = context or SourceContext()

    @abc.abstractmethod
    def fetch(self, cursor: dict[str, Any] | None) -> AsyncIterator[Batch]:
        """Yield batches of new posts since ``cursor`` (None: first run). Must be resumable."""

    async def recheck(self, post_ids: list[str]) -> dict[str, Post | None]:
        """Optional: the posts as the platform shows them now (``None`` = deleted; an id left out = not checked)."""
        return {}

    async def aclose(self) -> None:  # pragma: no cover - default no-op
        """Release resources (sessions, files)."""
