"""Source plugins. Built-in sources register exactly like third-party ones.

A third-party package adds a source by declaring an entry point in the ``monitor.sources`` group
that points at a :class:`monitor.collect.base.Source` subclass.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from pydantic import ValidationError

from monitor.collect.base import Source
from monitor.models.validation import error_lines

BUILTIN = {
    "bluesky": "monitor.sources.bluesky:BlueskySource",
    "jsonl": "monitor.sources.jsonl:JsonlSource",
    "mastodon": "monitor.sources.mastodon:MastodonSource",
    "rss": "monitor.sources.rss:RssSource",
    "telegram": "monitor.sources.telegram:TelegramSource",
    "webhook": "monitor.sources.webhook:WebhookSource",
    "x": "monitor.sources.x:XSource",
    "youtube": "monitor.sources.youtube:YouTubeSource",
}


class SourceConfigError(Exception):
    pass


def _load(ref: str) -> type[Source]:
    mod, _, attr = ref.partition(":")
    module = __import__(mod, fromlist=[attr])
    return getattr(module, attr)


def source_types() -> dict[str, str]:
    """Every known source type -> its implementation reference."""
    types = dict(BUILTIN)
    for ep in entry_points(group="monitor.sources"):
        types.setdefault(ep.name, ep.value)
    return types


def make_source(name: str, type_name: str, options: dict[str, Any], *, resolve=None, context=None) -> Source:
    """Instantiate source ``name`` of ``type_name``, validating its options (``sources.NAME.*``)."""
    types = source_types()
    if type_name not in types:
        raise SourceConfigError(f"sources.{name}.type: unknown source type '{type_name}' (known: {sorted(types)})")
    cls = _load(types[type_name])
    opts: Any = options
    if cls.options_model is not None:
        try:
            opts = cls.options_model.model_validate(options)
        except ValidationError as exc:
            raise SourceConfigError("\n".join(error_lines(exc, f"sources.{name}"))) from exc
        if resolve is not None and hasattr(opts, "path"):
            opts.path = resolve(opts.path)
    return cls(name, opts, context=context)
