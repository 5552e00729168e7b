"""Users and sessions of the web application (SQL only; hashing lives in ``monitor.web.auth``)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from monitor.models.office import in_subtree


class OfficeScopeError(PermissionError):
    """An admin tried to manage a user outside their office's subtree."""


def check_manages(actor_office: str | None, target_office: str | None) -> None:
    """Admins manage users of their own office and the offices below it (the national office,
    or a single-office instance without codes, manages everyone)."""
    if not in_subtree(target_office, actor_office):
        raise OfficeScopeError(
            f"an admin of office {actor_office} cannot manage users of office {target_office or '(none)'}")


def _now() -> datetime:
    return datetime.now(timezone.utc)


class UserStore:
    """Mixin of :class:`monitor.store.Store`."""

    con: Any

    def add_user(self, username: str, role: str, password_hash: str, *, nip: str | None = None, lang: str = "id",
                 office_code: str | None = None, actor: str = "cli", actor_office: str | None = None) -> None:
        """Add a user of ``office_code`` (default: the instance's office). ``actor_office`` is the
        office of whoever adds them: outside its subtree raises :class:`OfficeScopeError`."""
        office = office_code if office_code is not None else getattr(self, "office_code", None)
        check_manages(actor_office, office)
        self.con.execute(
            "INSERT INTO users (username, role, nip, password_hash, lang, created_at, office_code) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [username, role, nip, password_hash, lang, _now(), office],
        )
        self.audit(actor, "user.add", username, {"role": role, "nip": nip, "office": office})  # type: ignore[attr-defined]

    def get_user(self, username: str) -> dict | None:
        rows = self._dicts("SELECT * FROM users WHERE username = ?", [username])  # type: ignore[attr-defined]
        return rows[0] if rows else None

    def list_users(self) -> list[dict]:
        return self._dicts("SELECT username, role, nip, office_code, lang, disabled, created_at, last_visit_at "  # type: ignore[attr-defined]
                           "FROM users ORDER BY username")

    def update_user(self, username: str, *, actor: str, **fields: Any) -> None:
        allowed = {"role", "nip", "password_hash", "lang", "disabled", "office_code"}
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"cannot update {sorted(bad)}")
        if not fields:
            return
        sets = ", ".join(f"{k} = ?" for k in fields)
        self.con.execute(f"UPDATE users SET {sets} WHERE username = ?", [*fields.values(), username])
        shown = {k: v for k, v in fields.items() if k != "password_hash"}
        if "password_hash" in fields:
            shown["password"] = "changed"
        self.audit(actor, "user.update", username, shown)  # type: ignore[attr-defined]

    def delete_user(self, username: str, *, actor: str) -> None:
        self.con.execute("DELETE FROM sessions WHERE username = ?", [username])
        self.con.execute("DELETE FROM users WHERE username = ?", [username])
        self.audit(actor, "user.delete", username, {})  # type: ignore[attr-defined]

    def mark_visit(self, username: str) -> None:
        """Remember this visit; the previous one is what "new since my last visit" compares with."""
        self.con.execute(
            "UPDATE users SET prev_visit_at = last_visit_at, last_visit_at = ? WHERE username = ?", [_now(), username]
        )

    # -- sessions --------------------------------------------------------------------------
    def create_session(self, sid_hash: str, username: str, csrf: str, expires_at: datetime) -> None:
        self.con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)", [sid_hash, username, csrf, _now(), expires_at])

    def get_session(self, sid_hash: str) -> dict | None:
        rows = self._dicts(  # type: ignore[attr-defined]
            "SELECT s.sid_hash, s.username, s.csrf, s.expires_at, u.role, u.nip, u.lang, u.disabled, "
            "u.last_visit_at, u.prev_visit_at, u.office_code FROM sessions s JOIN users u USING (username) "
            "WHERE s.sid_hash = ? AND s.expires_at > ?",
            [sid_hash, _now()],
        )
        return rows[0] if rows else None

    def delete_session(self, sid_hash: str) -> None:
        self.con.execute("DELETE FROM sessions WHERE sid_hash = ?", [sid_hash])

    def purge_sessions(self) -> None:
        self.con.execute("DELETE FROM sessions WHERE expires_at <= ?", [_now()])
