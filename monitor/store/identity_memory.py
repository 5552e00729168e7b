"""Reviewer memory for identity (tables ``account_links`` and ``rejected_pairs``, migration 5).

Mixin of :class:`monitor.store.Store`. Written inside :meth:`Store.review_hit`'s transaction
(see :mod:`monitor.identity.memory` for the rules); read by the identity provider, which rebuilds
its index when :meth:`identity_memory_version` changes (a counter in ``meta`` bumped with every
change, cached like the roster version: only this process writes the file).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from monitor.models.identity_memory import AccountLink, IdentityMemory, is_identity_dismissal

_VERSION_KEY = "identity_memory_version"


def _now() -> datetime:
    return datetime.now(timezone.utc)


class IdentityMemoryQueries:
    """Mixin of :class:`monitor.store.Store`."""

    con: Any
    _memory_version: int | None

    # -- reading ---------------------------------------------------------------------------
    def identity_memory_version(self) -> int:
        """Counter bumped whenever a link or rejection changes. Cached (not on a shared lake, where
        another office's reviewers change it too)."""
        if getattr(self, "_memory_version", None) is None or getattr(self, "lake", None) is not None:
            row = self.con.execute("SELECT value FROM meta WHERE key = ?", [_VERSION_KEY]).fetchone()
            self._memory_version = int(row[0]) if row else 0
        return self._memory_version  # type: ignore[return-value]

    def identity_memory(self) -> IdentityMemory:
        mem = IdentityMemory()
        for p, a, nip, by, at, hid in self.con.execute(
            "SELECT platform, account, nip, confirmed_by, confirmed_at, hit_id FROM account_links"
        ).fetchall():
            mem.links[(p, a)] = AccountLink(p, a, nip, by, at, hid)
        for p, a, nip in self.con.execute("SELECT platform, account, nip FROM rejected_pairs").fetchall():
            mem.rejected.setdefault((p, a), set()).add(nip)
        return mem

    def account_links(self) -> list[dict]:
        return self._dicts("SELECT * FROM account_links ORDER BY platform, account")  # type: ignore[attr-defined]

    def rejected_pairs(self) -> list[dict]:
        return self._dicts("SELECT * FROM rejected_pairs ORDER BY platform, account, nip")  # type: ignore[attr-defined]

    # -- admin -----------------------------------------------------------------------------
    def remove_account_link(self, platform: str, account: str, *, actor: str) -> bool:
        """Forget a confirmed link (audit-logged). ``account`` is the normalised key."""
        return self._forget("account_links", [platform, account], None, actor, "identity.link_removed")

    def remove_rejected_pair(self, platform: str, account: str, nip: str, *, actor: str) -> bool:
        """Forget a rejected pair (audit-logged): the NIP may be proposed again for the account."""
        return self._forget("rejected_pairs", [platform, account], nip, actor, "identity.rejection_removed")

    def _forget(self, table: str, key: list[str], nip: str | None, actor: str, action: str) -> bool:
        where = "platform = ? AND account = ?" + (" AND nip = ?" if nip is not None else "")
        params = key + ([nip] if nip is not None else [])
        self.con.begin()
        try:
            gone = self.con.execute(f"DELETE FROM {table} WHERE {where} RETURNING nip", params).fetchall()
            if gone:
                self._bump_memory_version()
                self.audit(actor, action, f"{key[0]}:{key[1]}", {"nip": [g[0] for g in gone]})  # type: ignore[attr-defined]
            self.con.commit()
        except Exception:
            self.con.rollback()
            raise
        finally:
            self._memory_version = None
        return bool(gone)

    # -- writing (inside review_hit's transaction) -----------------------------------------
    def _bump_memory_version(self) -> None:
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", [_VERSION_KEY]).fetchone()
        v = (int(row[0]) if row else 0) + 1
        self.con.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [_VERSION_KEY, str(v)]
        )

    def _author_keys_of_hit(self, hit: dict) -> list[tuple[str, str]]:
        """The author's normalised account keys recorded on the hit by the evaluator (hits made
        before migration 5 have none: reviewing them teaches nothing)."""
        row = self.con.execute("SELECT author_keys FROM hits WHERE hit_id = ?", [hit["hit_id"]]).fetchone()
        if row is None or not row[0]:
            return []
        keys = json.loads(row[0]) if isinstance(row[0], str) else row[0]
        return [(str(k[0]), str(k[1])) for k in keys if isinstance(k, (list, tuple)) and len(k) == 2]

    def _learn_from_review(self, hit: dict, *, status: str, reason: str, actor: str, nip: str | None) -> dict | None:
        """Update the memory for one review (audit-logged under the account keys); returns what
        changed (added to the hit's own audit entry) or None.

        Called by :meth:`Store.review_hit` inside its transaction, ``hit`` as before the review.
        """
        method = hit.get("identity_method")
        candidates: list[dict] = hit.get("candidates") or []
        if isinstance(candidates, str):
            candidates = json.loads(candidates)
        from_link = any(
            e.get("kind") == "reviewer_link" for c in candidates for e in (c.get("evidence") or [])
        )
        now = _now()
        hit_id = hit["hit_id"]
        if status == "dikonfirmasi" and nip and method == "name":
            keys = self._author_keys_of_hit(hit)
            if not keys:
                return None
            for p, a in keys:
                self.con.execute(
                    "INSERT INTO account_links VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (platform, account) DO UPDATE SET "
                    "nip = excluded.nip, confirmed_by = excluded.confirmed_by, confirmed_at = excluded.confirmed_at, "
                    "hit_id = excluded.hit_id",
                    [p, a, nip, actor, now, hit_id],
                )
                self.con.execute(
                    "DELETE FROM rejected_pairs WHERE platform = ? AND account = ? AND nip = ?", [p, a, nip]
                )
            self._bump_memory_version()
            change = {"linked": [f"{p}:{a}" for p, a in keys], "nip": nip, "hit_id": hit_id}
            self.audit(actor, "identity.link", " ".join(change["linked"]), change)  # type: ignore[attr-defined]
            return change
        if status == "ditolak" and (method == "name" or from_link) and is_identity_dismissal(reason):
            keys = self._author_keys_of_hit(hit)
            nips = sorted({c["nip"] for c in candidates if c.get("nip")})
            if not keys or not nips:
                return None
            unlinked: list[str] = []
            for p, a in keys:
                if from_link:
                    gone = self.con.execute(
                        "DELETE FROM account_links WHERE platform = ? AND account = ? AND nip IN ("
                        + ",".join("?" * len(nips)) + ") RETURNING account",
                        [p, a, *nips],
                    ).fetchall()
                    unlinked += [f"{p}:{g[0]}" for g in gone]
                for n in nips:
                    self.con.execute(
                        "INSERT INTO rejected_pairs VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, account, nip) "
                        "DO UPDATE SET rejected_by = excluded.rejected_by, rejected_at = excluded.rejected_at, "
                        "hit_id = excluded.hit_id, reason = excluded.reason",
                        [p, a, n, actor, now, hit_id, reason],
                    )
            self._bump_memory_version()
            change = {"rejected": [f"{p}:{a}" for p, a in keys], "nips": nips, "unlinked": unlinked, "hit_id": hit_id}
            self.audit(actor, "identity.reject", " ".join(change["rejected"]), change)  # type: ignore[attr-defined]
            return change
        return None

