"""E-mail channel: multipart/alternative (plain text + HTML), UTF-8, over SMTP with STARTTLS / TLS.

Uses ``aiosmtplib`` (async, one connection per message, no thread to leak on cancellation).
Reply codes: a 5xx reply (mailbox unknown, message refused) is permanent; 4xx (greylisting,
mailbox busy), timeouts and connection errors are temporary. An authentication failure (535) is
reported as temporary although it is 5xx: it is a channel misconfiguration that the admin fixes,
and alerts must not be dropped meanwhile.

Config::

    [alerts.channels.kantor]
    type = "email"
    host = "smtp.instansi.go.id"
    port = 587                      # default: 587 starttls, 465 tls, 25 none
    security = "starttls"           # "starttls" | "tls" | "none"
    username = "monitor@instansi.go.id"
    password_env = "MONITOR_SMTP_PASSWORD"   # the secret stays in the environment
    from_addr = "Monitor Netralitas ASN <monitor@instansi.go.id>"
    bcc = ["arsip-netralitas@instansi.go.id"]   # optional office copy
    timeout_s = 30
"""

from __future__ import annotations

import ipaddress
import ssl
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, getaddresses, make_msgid
from typing import Annotated, ClassVar, Literal

import aiosmtplib
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from monitor.alerting.channels.base import Channel
from monitor.alerting.message import AlertMessage, DeliveryError, Recipient
from monitor.config import secret_from_env

DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_addr(value: str) -> str:
    pairs = getaddresses([value])
    if len(pairs) != 1 or "@" not in pairs[0][1] or any(c.isspace() for c in pairs[0][1]):
        raise ValueError(f"not an e-mail address: {value!r}")
    return value


class EmailOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = Field(default=None, validate_default=True)
    from_addr: str
    bcc: list[Annotated[str, AfterValidator(_check_addr)]] = Field(default_factory=list)
    timeout_s: float = Field(default=30.0, gt=0, le=600)
    ca_file: str | None = None
    """Optional CA bundle (an office's private CA); certificates are always verified."""

    @field_validator("password_env")
    @classmethod
    def _password_needs_username_and_tls(cls, v: str | None, info: ValidationInfo) -> str | None:
        user = info.data.get("username")
        if user and not v:
            raise ValueError("required when username is set (name of the environment variable holding the password)")
        if v and not user:
            raise ValueError("set username too, or remove password_env")
        if v and info.data.get("security") == "none" and not _is_loopback(info.data.get("host", "")):
            raise ValueError('refusing to send a password without encryption: use security = "starttls" or "tls"')
        return v

    @field_validator("from_addr")
    @classmethod
    def _from(cls, v: str) -> str:
        return _check_addr(v)


class EmailChannel(Channel):
    type_name: ClassVar[str] = "email"
    options_model: ClassVar[type[BaseModel]] = EmailOptions
    options: EmailOptions

    def __init__(self, name: str, options: EmailOptions) -> None:
        super().__init__(name, options)
        self._password = secret_from_env(options.password_env, f"alerts.channels.{name}.password_env")
        self._sender = getaddresses([options.from_addr])[0][1]
        self._domain = self._sender.rpartition("@")[2] or "localhost"
        self._bcc = [getaddresses([a])[0][1] for a in options.bcc]

    def accepts(self, recipient: Recipient) -> bool:
        return bool(recipient.email and "@" in recipient.email)

    def build(self, message: AlertMessage) -> EmailMessage:
        """The MIME message (exposed for tests and previews). Bcc is not a header: envelope only."""
        msg = EmailMessage()
        msg["Subject"] = " ".join(message.subject.split())
        msg["From"] = self.options.from_addr
        msg["To"] = formataddr((message.recipient.nama, message.recipient.email or ""))
        msg["Date"] = format_datetime(datetime.now(timezone.utc))
        msg["Message-ID"] = make_msgid(domain=self._domain)
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
        msg["X-Monitor-Alert-Id"] = message.alert_id
        msg.set_content(message.text, charset="utf-8")
        if message.html:
            msg.add_alternative(message.html, subtype="html", charset="utf-8")
        return msg

    def _tls_context(self) -> ssl.SSLContext | None:
        if self.options.security == "none":
            return None
        return ssl.create_default_context(cafile=self.options.ca_file)

    async def send(self, message: AlertMessage) -> None:
        to = message.recipient.email
        if not to:
            raise DeliveryError(f"{self.name}: recipient {message.recipient.nip} has no e-mail address", permanent=True)
        o = self.options
        msg = self.build(message)
        recipients = [to] + [b for b in self._bcc if b.lower() != to.lower()]
        try:
            errors, _ = await aiosmtplib.send(
                msg,
                sender=self._sender,
                recipients=recipients,
                hostname=o.host,
                port=o.port or DEFAULT_PORTS[o.security],
                username=o.username,
                password=self._password,
                use_tls=o.security == "tls",
                start_tls=o.security == "starttls",
                tls_context=self._tls_context(),
                timeout=o.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise DeliveryError(
                f"{self.name}: all recipients refused: "
                + "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients),
                permanent=all(500 <= c < 600 for c in codes),
            ) from exc
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"{self.name}: SMTP authentication failed at {o.host} ({exc.code} {exc.message}); "
                f"check username and the variable {o.password_env}",
                permanent=False,
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"{self.name}: SMTP server {o.host} replied {exc.code} {exc.message}",
                permanent=500 <= exc.code < 600,
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryError(
                f"{self.name}: cannot deliver via {o.host}:{o.port or DEFAULT_PORTS[o.security]}: "
                f"{type(exc).__name__}: {exc}",
                permanent=False,
            ) from exc
        refused = {k.lower(): v for k, v in errors.items()}
        if to.lower() in refused:  # the office copy went through, the superior's did not
            r = refused[to.lower()]
            raise DeliveryError(
                f"{self.name}: recipient {to} refused: {r.code} {r.message}", permanent=500 <= r.code < 600
            )


__all__ = ["EmailChannel", "EmailOptions"]
