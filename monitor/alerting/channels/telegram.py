"""Telegram channel: Bot API ``sendMessage`` with ``parse_mode=HTML``.

The text is the rendered ``telegram.txt`` template (autoescaped; only the tags Telegram's HTML
mode allows). Answers: 200 ``ok`` -> delivered; 429 -> temporary with ``retry_after`` from
``parameters.retry_after`` (or the ``Retry-After`` header); 400 (chat not found, bad text) and
403 (bot blocked / kicked) -> permanent; 401/404 (wrong token) -> temporary, because it is a
channel misconfiguration and alerts must wait for the fix rather than be dropped; 5xx, timeouts
and connection errors -> temporary. The bot token is never written to an error message or a log.

Config::

    [alerts.channels.tg]
    type = "telegram"
    token_env = "MONITOR_TELEGRAM_BOT_TOKEN"
    # base_url = "https://api.telegram.org"   # or a self-hosted Bot API server
    timeout_s = 15
    protect_content = true                    # recipients cannot forward / save the alert
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor.alerting.channels.base import Channel, parse_retry_after
from monitor.alerting.message import AlertMessage, DeliveryError, Recipient
from monitor.config import secret_from_env

MAX_LEN = 4096  # Telegram's limit on a message text (after entity parsing; we count the markup too)


class TelegramOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = "https://api.telegram.org"
    token_env: str = Field(min_length=1)
    timeout_s: float = Field(default=15.0, gt=0, le=300)
    protect_content: bool = True

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (or http:// for a local Bot API server)")
        return v.rstrip("/")


def fit_text(text: str, link: str | None, limit: int = MAX_LEN) -> str:
    """Cut ``text`` at a line break to fit Telegram's limit (templates close their tags per line)."""
    if len(text) <= limit:
        return text
    tail = "\n…"
    if link:
        from html import escape

        tail += f'\n<a href="{escape(link, quote=True)}">{escape(link)}</a>'
    room = limit - len(tail)
    cut = text.rfind("\n", 0, room)
    return text[: cut if cut > 0 else room] + tail


class TelegramChannel(Channel):
    type_name: ClassVar[str] = "telegram"
    options_model: ClassVar[type[BaseModel]] = TelegramOptions
    options: TelegramOptions

    def __init__(self, name: str, options: TelegramOptions) -> None:
        super().__init__(name, options)
        self._token = secret_from_env(options.token_env, f"alerts.channels.{name}.token_env") or ""
        self._session: aiohttp.ClientSession | None = None

    def accepts(self, recipient: Recipient) -> bool:
        return bool(recipient.telegram and recipient.telegram.strip())

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "<token>") if self._token else text

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.options.timeout_s))
        return self._session

    async def send(self, message: AlertMessage) -> None:
        chat = (message.recipient.telegram or "").strip()
        if not chat:
            raise DeliveryError(f"{self.name}: recipient {message.recipient.nip} has no Telegram chat id", permanent=True)
        body = {
            "chat_id": chat,
            "text": fit_text(message.telegram, message.link),
            "parse_mode": "HTML",
            "disable_web_page_preview": True,
            "link_preview_options": {"is_disabled": True},
            "protect_content": self.options.protect_content,
        }
        url = f"{self.options.base_url}/bot{self._token}/sendMessage"
        try:
            async with self._get_session().post(url, json=body, allow_redirects=False) as resp:
                status = resp.status
                header_retry = resp.headers.get("Retry-After")
                raw = await resp.read()
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            detail = self._scrub(f"{type(exc).__name__}: {exc}")
            raise DeliveryError(f"{self.name}: Telegram not reachable: {detail}", permanent=False) from None
        try:
            data: Any = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = {}
        if status == 200 and data.get("ok") is True:
            return
        desc = self._scrub(str(data.get("description") or raw[:200].decode("utf-8", "replace") or "no description"))
        params = data.get("parameters") if isinstance(data.get("parameters"), dict) else {}
        code = data.get("error_code") if isinstance(data.get("error_code"), int) else status
        where = f"{self.name}: Telegram sendMessage to chat {chat} failed: {code} {desc}"
        if code == 429 or status == 429:
            ra = params.get("retry_after")
            retry = float(ra) if isinstance(ra, (int, float)) else parse_retry_after(header_retry)
            raise DeliveryError(where, permanent=False, retry_after=retry)
        if "migrate_to_chat_id" in params:
            raise DeliveryError(f"{where} (the group is now chat {params['migrate_to_chat_id']}: update the roster)",
                                permanent=True)
        if code in (400, 403):
            raise DeliveryError(where, permanent=True)
        if code in (401, 404):
            raise DeliveryError(f"{where} (check the bot token in {self.options.token_env})", permanent=False)
        raise DeliveryError(where, permanent=False, retry_after=parse_retry_after(header_retry))

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
