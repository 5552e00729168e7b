"""The small interface every alert channel (plugin) implements.

A channel delivers one rendered :class:`~monitor.alerting.message.AlertMessage` to one recipient
in ONE attempt and raises :class:`~monitor.alerting.message.DeliveryError` on failure; the alert
queue owns retries, backoff (honouring ``retry_after``) and escalation.
"""

from __future__ import annotations

import abc
import email.utils
import time
from typing import Any, ClassVar

from pydantic import BaseModel

from monitor.alerting.message import AlertMessage, Recipient


class Channel(abc.ABC):
    """Base class of alert channels.

    Subclasses set :attr:`type_name` (the ``type`` of ``[alerts.channels.NAME]``) and
    :attr:`options_model` (a pydantic model validating the rest of that block, ``extra="forbid"``).
    Secrets are read from environment variables named in the options, in ``__init__`` (a missing
    variable is a config error at start-up, not a delivery error at 3 a.m.).
    """

    type_name: ClassVar[str]
    options_model: ClassVar[type[BaseModel]]

    def __init__(self, name: str, options: Any) -> None:
        self.name = name
        self.options = options

    def accepts(self, recipient: Recipient) -> bool:
        """Whether this channel can reach ``recipient`` at all (e.g. has an e-mail address)."""
        return True

    @abc.abstractmethod
    async def send(self, message: AlertMessage) -> None:
        """Deliver ``message`` once. Raise :class:`DeliveryError` on failure."""

    async def aclose(self) -> None:
        """Release resources (HTTP sessions)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """HTTP ``Retry-After``: delta-seconds or an HTTP-date -> seconds to wait (>= 0), else None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
