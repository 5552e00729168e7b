"""Account keys of post authors and of declared accounts, normalised the same way as the roster
(:mod:`monitor.names.handles`: lower case, no leading ``@``, ``twitter`` = ``x``, mastodon as
``user@domain``).

Mastodon numeric account ids are per instance and therefore never used; a post author whose
mastodon handle has no domain gets it from the host of ``author.url``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from monitor.models import Author, DeclaredAccount
from monitor.names.handles import canonical_platform, normalize_handle

__all__ = ["author_account_keys", "declared_account_key"]


def declared_account_key(account: DeclaredAccount) -> tuple[str, str] | None:
    """``(platform, value)`` of a roster's declared account, re-normalised; None when unusable."""
    try:
        platform = canonical_platform(account.platform)
        return platform, normalize_handle(platform, account.value)
    except ValueError:
        return None


def author_account_keys(platform: str, author: Author) -> list[tuple[str, str]]:
    """The ``(platform, value)`` keys under which a post author may have been declared.

    The id comes first, then the handle. Unusable values are skipped, never raised.
    """
    try:
        p = canonical_platform(platform)
    except ValueError:
        return []
    keys: list[tuple[str, str]] = []
    if author.id and p != "mastodon":
        try:
            keys.append((p, normalize_handle(p, author.id)))
        except ValueError:
            pass
    handle = (author.handle or "").strip()
    if handle:
        if p == "mastodon":
            bare = handle[1:] if handle.startswith("@") else handle
            if "@" not in bare and author.url:
                host = urlsplit(author.url).hostname
                if host:
                    bare = f"{bare}@{host}"
            handle = bare
        try:
            key = (p, normalize_handle(p, handle))
        except ValueError:
            key = None
        if key is not None and key not in keys:
            keys.append(key)
    return keys
