"""Webhook channel: POST the minimal alert JSON to an office system, signed with HMAC-SHA256.

Request::

    POST <url>
    Content-Type: application/json; charset=utf-8
    X-Monitor-Alert-Id: <alert_id>
    X-Monitor-Timestamp: <unix seconds>
    X-Monitor-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

    {"ack_link": ..., "alert_id": ..., "hit_ids": [...], "kind": "alert", "level": 1, "link": ...,
     "links": [...], "recipient_nip": "..."}

The signed string is the timestamp in ASCII digits, a dot, then the EXACT body bytes (verify
before parsing the JSON). Receivers should also reject old timestamps (replay): see
:func:`verify_signature`'s ``max_age_s``. The body holds identifiers and links only -- never post
text; the receiver fetches details from the web app with its own credentials.

Answers: 2xx delivered; 408, 425, 429 and 5xx, timeouts and connection errors are temporary
(``Retry-After`` honoured); other 4xx and 3xx (redirects are not followed) are permanent.

Config::

    [alerts.channels.sikep]
    type = "webhook"
    url = "https://sikep.instansi.go.id/hooks/netralitas"
    secret_env = "MONITOR_WEBHOOK_SECRET"
    timeout_s = 10
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import time
from typing import Any, ClassVar
from urllib.parse import urlsplit

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor.alerting.channels.base import Channel, parse_retry_after
from monitor.alerting.message import AlertMessage, DeliveryError
from monitor.config import secret_from_env

SIGNATURE_HEADER = "X-Monitor-Signature"
TIMESTAMP_HEADER = "X-Monitor-Timestamp"
ALERT_ID_HEADER = "X-Monitor-Alert-Id"
TEMPORARY_4XX = {408, 425, 429}


def _bytes(v: str | bytes) -> bytes:
    return v.encode("utf-8") if isinstance(v, str) else v


def sign(secret: str | bytes, timestamp: str | int, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, b"<timestamp>." + body)."""
    mac = hmac.new(_bytes(secret), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str | bytes,
    timestamp: str | int | None,
    body: bytes,
    header: str | None,
    *,
    max_age_s: float | None = None,
    now: float | None = None,
) -> bool:
    """Receiver side: True when ``header`` is the signature of ``timestamp`` + ``body`` (constant time).

    With ``max_age_s``, a timestamp further than that from ``now`` (either way) is rejected too.
    """
    if not header or timestamp is None:
        return False
    ts = str(timestamp).strip()
    if not ts.isdigit():
        return False
    if max_age_s is not None and abs((time.time() if now is None else now) - int(ts)) > max_age_s:
        return False
    expected = sign(secret, ts, body)
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("utf-8", "replace"))


def encode_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (compact, sorted keys, UTF-8)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


class WebhookOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    secret_env: str = Field(min_length=1)
    timeout_s: float = Field(default=10.0, gt=0, le=300)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("must be an https:// URL")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ValueError("must be https:// (plain http is only allowed to localhost)")
        return v


class WebhookChannel(Channel):
    type_name: ClassVar[str] = "webhook"
    options_model: ClassVar[type[BaseModel]] = WebhookOptions
    options: WebhookOptions

    def __init__(self, name: str, options: WebhookOptions) -> None:
        super().__init__(name, options)
        self._secret = secret_from_env(options.secret_env, f"alerts.channels.{name}.secret_env") or ""
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.options.timeout_s))
        return self._session

    async def send(self, message: AlertMessage) -> None:
        body = encode_body(message.payload)
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            ALERT_ID_HEADER: message.alert_id,
            TIMESTAMP_HEADER: ts,
            SIGNATURE_HEADER: sign(self._secret, ts, body),
        }
        host = urlsplit(self.options.url).netloc
        try:
            async with self._get_session().post(
                self.options.url, data=body, headers=headers, allow_redirects=False
            ) as resp:
                status = resp.status
                retry = parse_retry_after(resp.headers.get("Retry-After"))
                snippet = (await resp.content.read(200)).decode("utf-8", "replace").strip()
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise DeliveryError(f"{self.name}: webhook {host} not reachable: {type(exc).__name__}: {exc}",
                                permanent=False) from None
        if 200 <= status < 300:
            return
        where = f"{self.name}: webhook {host} answered {status}" + (f": {snippet}" if snippet else "")
        if status >= 500 or status in TEMPORARY_4XX:
            raise DeliveryError(where, permanent=False, retry_after=retry)
        raise DeliveryError(where, permanent=True)

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
