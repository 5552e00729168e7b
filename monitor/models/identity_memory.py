"""What reviewers taught the identity matcher: confirmed account links and rejected pairs.

Plain data (here so the store and the identity matcher can share it without importing each
other), loaded from the store (:meth:`monitor.store.Store.identity_memory`) and handed to
:meth:`monitor.identity.IdentityIndex.build`. The rules for *writing* it live in
:meth:`monitor.store.Store.review_hit`; summary:

* **Confirming** a hit whose identity method is ``name`` with a NIP links every account key of
  the post author (:func:`~monitor.identity.accounts.author_account_keys`: id and handle forms)
  to that NIP. The latest confirmation of an account wins. A later post of that account then
  matches like a declared account (confidence 1.0, evidence kind ``reviewer_link``). Links of
  the roster itself (declared accounts) always take precedence over reviewer links.
* **Dismissing** a hit whose identity method is ``name`` records a rejected pair
  ``(account key, NIP)`` for every candidate NIP of the hit, unless the reason is content-only
  (:func:`is_identity_dismissal`). A rejected NIP is never proposed again as a name candidate
  for that account. Dismissing, for an identity reason, a hit whose identity came from a
  reviewer link removes that link and rejects the pair too (the earlier confirmation was wrong).
* Confirming an account for a NIP removes an earlier rejection of the same pair.
* **Reopening** a hit changes nothing in the memory; an admin removes a link or a rejection with
  :meth:`~monitor.store.Store.remove_account_link` / :meth:`~monitor.store.Store.remove_rejected_pair`.
* The memory survives restarts and roster re-imports. A link to a NIP that is no longer in the
  roster is ignored while the NIP is absent, never deleted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["AccountLink", "IdentityMemory", "is_identity_dismissal"]

# Dismissal reasons that say the *identity* is wrong. Web reason texts (monitor/web/pages/hits.py
# DISMISS_REASONS): "bukan ASN / akun orang lain", "akun parodi / palsu"; CLI free text in
# Indonesian or English.
_IDENTITY_MARKERS = re.compile(
    r"bukan\s+asn|akun\s+orang\s+lain|orang\s+lain|salah\s+orang|bukan\s+orang(nya)?\b|bukan\s+dia\b"
    r"|beda\s+orang|orang\s+berbeda|salah\s+identitas|identitas\s+salah|bukan\s+akun(nya)?\b"
    r"|parodi|(?<!berita\s)palsu|akun\s+tiruan|wrong\s+person|someone\s+else|not\s+an?\s+asn|not\s+(the\s+)?(same\s+)?person"
    r"|different\s+person|wrong\s+identity|mistaken\s+identity|parody|fake(?!\s+news)|impostor|imposter",
    re.IGNORECASE,
)
# Dismissal reasons about the content or the hit itself, not about who wrote it. Web reason texts:
# "konten tidak partisan / salah tafsir", "kampanye netralitas atau berita".
_CONTENT_MARKERS = re.compile(
    r"konten|tidak\s+partisan|bukan\s+partisan|non[-\s]?partisan|salah\s+tafsir|netralitas|berita"
    r"|sindiran|satire|duplikat|content|not\s+partisan|misread|neutrality|news|duplicate|satire",
    re.IGNORECASE,
)


def is_identity_dismissal(reason: str | None) -> bool:
    """Whether a dismissal reason should reject the hit's (account, NIP) pairs.

    Rule: a reason naming a wrong identity (``bukan ASN / akun orang lain``, ``akun parodi /
    palsu``, "wrong person", ...) always rejects. Otherwise a reason recognised as content-only
    (``konten tidak partisan / salah tafsir``, ``kampanye netralitas atau berita``, "not
    partisan", "duplikat", ...) does NOT reject. Anything else (``lainnya: ...``, free text that
    says neither) rejects: a dismissed name match is by default taken as "not this person".
    """
    text = (reason or "").strip()
    if _IDENTITY_MARKERS.search(text):
        return True
    if _CONTENT_MARKERS.search(text):
        return False
    return True


@dataclass(frozen=True, slots=True)
class AccountLink:
    platform: str
    account: str
    nip: str
    confirmed_by: str
    confirmed_at: datetime | None
    hit_id: str | None


@dataclass
class IdentityMemory:
    """Reviewer memory keyed by normalised ``(platform, account)`` author keys."""

    links: dict[tuple[str, str], AccountLink] = field(default_factory=dict)
    rejected: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def rejected_for(self, keys: list[tuple[str, str]]) -> set[str]:
        out: set[str] = set()
        for k in keys:
            out |= self.rejected.get(k, set())
        return out

    def __bool__(self) -> bool:
        return bool(self.links or self.rejected)
