"""Passwords (scrypt), sessions (random cookie, only its SHA-256 stored), roles, login throttling."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import defaultdict, deque

ROLES = ("admin", "pengawas", "atasan")
SESSION_COOKIE = "monitor_session"
LOGIN_CSRF_COOKIE = "monitor_login_csrf"

_N, _R, _P = 2**14, 8, 1  # scrypt cost: ~16 MiB and ~50 ms per hash on this class of machine


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64), a memory-hard KDF from the standard library."""
    if len(password) < 8:
        raise ValueError("password must have at least 8 characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"scrypt${_N}${_R}${_P}${b64(salt)}${b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(base64.b64decode(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())  # type: ignore[union-attr]


class LoginThrottle:
    """At most ``limit`` failed sign-ins per (address, username) and per address in ``window_s``."""

    def __init__(self, limit: int = 5, window_s: float = 300.0, clock=time.monotonic) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._fails: dict[tuple[str, str], deque] = defaultdict(deque)

    def _recent(self, key: tuple[str, str]) -> deque:
        q = self._fails[key]
        cutoff = self.clock() - self.window_s
        while q and q[0] < cutoff:
            q.popleft()
        return q

    def blocked(self, addr: str, username: str) -> bool:
        return (len(self._recent((addr, username.lower()))) >= self.limit
                or len(self._recent((addr, "*"))) >= self.limit * 4)

    def failed(self, addr: str, username: str) -> None:
        now = self.clock()
        self._fails[(addr, username.lower())].append(now)
        self._fails[(addr, "*")].append(now)

    def succeeded(self, addr: str, username: str) -> None:
        self._fails.pop((addr, username.lower()), None)
