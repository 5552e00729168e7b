"""Alert channel plugins. Built-in channels register exactly like third-party ones.

A third-party package adds a channel by declaring an entry point in the ``monitor.alert_channels``
group that points at a :class:`monitor.alerting.channels.base.Channel` subclass. A channel is
configured in ``[alerts.channels.NAME]`` with ``type = "<type>"`` and the options of that type.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from pydantic import ValidationError

from monitor.alerting.channels.base import Channel
from monitor.config import ConfigError
from monitor.models.validation import error_lines

BUILTIN = {
    "email": "monitor.alerting.channels.email:EmailChannel",
    "telegram": "monitor.alerting.channels.telegram:TelegramChannel",
    "webhook": "monitor.alerting.channels.webhook:WebhookChannel",
}

__all__ = ["BUILTIN", "Channel", "ChannelConfigError", "channel_types", "make_channel"]


class ChannelConfigError(ConfigError):
    """A bad ``[alerts.channels.NAME]`` block; the message names the key (``alerts.channels.NAME.key: ...``)."""


def _load(ref: str) -> type[Channel]:
    mod, _, attr = ref.partition(":")
    module = __import__(mod, fromlist=[attr])
    return getattr(module, attr)


def channel_types() -> dict[str, str]:
    """Every known channel type -> its implementation reference (built-ins win over plugins)."""
    types = dict(BUILTIN)
    for ep in entry_points(group="monitor.alert_channels"):
        types.setdefault(ep.name, ep.value)
    return types


def make_channel(name: str, type_name: str, options: dict[str, Any]) -> Channel:
    """Instantiate channel ``name`` of ``type_name``, validating its options (``alerts.channels.NAME.*``).

    A ``type`` key left in ``options`` is ignored. Raises :class:`ChannelConfigError` naming every
    bad key, or a missing secret environment variable.
    """
    prefix = f"alerts.channels.{name}"
    types = channel_types()
    if type_name not in types:
        raise ChannelConfigError(f"{prefix}.type: unknown channel type '{type_name}' (known: {sorted(types)})")
    cls = _load(types[type_name])
    opts = {k: v for k, v in (options or {}).items() if k != "type"}
    try:
        validated = cls.options_model.model_validate(opts)
    except ValidationError as exc:
        raise ChannelConfigError("\n".join(error_lines(exc, prefix))) from exc
    try:
        return cls(name, validated)
    except ChannelConfigError:
        raise
    except ConfigError as exc:
        raise ChannelConfigError(str(exc)) from exc
