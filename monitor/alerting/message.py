"""What a channel delivers: one rendered alert for one recipient, and the error a channel raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass
class Recipient:
    """The superior (atasan) who receives the alert. Only the contact data a channel needs."""

    nip: str
    nama: str
    email: str | None
    telegram: str | None
    """Telegram chat id (numeric, as a string) or ``@channelname``."""
    jabatan: str | None = None
    instansi: str | None = None


@dataclass
class AlertMessage:
    """One message for one recipient, already rendered (see :func:`monitor.alerting.render.render`)."""

    alert_id: str
    kind: Literal["alert", "digest", "test"]
    recipient: Recipient
    subject: str
    text: str
    html: str
    telegram: str
    link: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    """Minimal JSON for the webhook channel (see :func:`make_payload`): ids, links, level -- never post text."""


class DeliveryError(Exception):
    """A channel could not deliver a message (one attempt; the alert queue retries).

    ``permanent``: retrying the same message will not help (bad address / chat id, bot blocked,
    5xx SMTP reply, 4xx webhook answer). A temporary failure (timeout, connection error, 5xx HTTP,
    4xx SMTP, rate limit) is not permanent. ``retry_after``: seconds the server asked us to wait
    (Telegram ``parameters.retry_after``, HTTP ``Retry-After``), else None.
    The message never contains a secret (token, password, HMAC key).
    """

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"DeliveryError({str(self)!r}, permanent={self.permanent}, retry_after={self.retry_after})"


def make_payload(
    alert_id: str,
    kind: str,
    recipient: Recipient,
    hits: list[dict[str, Any]],
    *,
    level: int = 1,
    link: str | None = None,
    ack_link: str | None = None,
) -> dict[str, Any]:
    """The minimal webhook body: identifiers and links only (no names, no post text, no scores)."""
    return {
        "alert_id": alert_id,
        "kind": kind,
        "level": level,
        "recipient_nip": recipient.nip,
        "hit_ids": [str(h["hit_id"]) for h in hits if h.get("hit_id") is not None],
        "links": [h["link"] for h in hits if h.get("link")],
        "link": link,
        "ack_link": ack_link,
    }
