"""A real local SMTP server (aiosmtpd) on 127.0.0.1 that collects what it receives.

The controller runs aiosmtpd in its own thread/loop on a free port; the code under test talks
real SMTP to it. Fault injection: :attr:`FakeSmtp.reject` maps an address to the reply its
``RCPT TO`` gets (e.g. ``"550 5.1.1 mailbox unavailable"`` or ``"451 4.7.1 try later"``);
:attr:`FakeSmtp.data_reply` replaces the reply to ``DATA``. With ``credentials`` the server
offers AUTH (also without TLS: loopback tests only). With ``tls_context`` it offers STARTTLS.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    authenticated_as: str | None

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class FakeSmtp:
    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    reject: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None
    credentials: dict[str, str] = field(default_factory=dict)

    # aiosmtpd handler hooks -------------------------------------------------
    async def handle_RCPT(self, server, session: Session, envelope: Envelope, address: str, rcpt_options) -> str:
        reply = self.reject.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content
                                      or envelope.content, login))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            if self.credentials.get(auth_data.login.decode()) == auth_data.password.decode():
                return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_fake_smtp(fake: FakeSmtp | None = None, tls_context: ssl.SSLContext | None = None) -> tuple[FakeSmtp, Controller]:
    fake = fake or FakeSmtp()
    fake.port = free_port()
    kwargs = {}
    if fake.credentials:
        kwargs.update(authenticator=fake.authenticate, auth_require_tls=tls_context is not None)
    if tls_context is not None:
        kwargs.update(tls_context=tls_context, require_starttls=True)
    controller = Controller(fake, hostname=fake.host, port=fake.port, server_hostname="localhost",
                            ready_timeout=5, **kwargs)
    controller.start()
    return fake, controller


@pytest.fixture
def smtp_server() -> Iterator[FakeSmtp]:
    """A running :class:`FakeSmtp` (plain SMTP on 127.0.0.1, random port)."""
    fake, controller = start_fake_smtp()
    try:
        yield fake
    finally:
        controller.stop()
