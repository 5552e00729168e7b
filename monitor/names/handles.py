"""Account handles: the one normalisation of ``platform:handle`` shared by the roster importer
(declared accounts) and the identity matcher (post authors). Pure string functions.

* platform: lower case, ``[a-z0-9_]+``; a few common aliases are folded (``twitter`` -> ``x``,
  ``fb`` -> ``facebook``, ``ig`` -> ``instagram``, ``tg`` -> ``telegram``, ``bsky`` -> ``bluesky``)
  so a roster saying ``twitter:budi`` matches posts collected with platform ``x``;
* value (handle or platform id): surrounding spaces and one leading ``@`` removed, lower case;
  no spaces inside; links are refused (write the handle);
* mastodon: the value must be the full ``user@domain`` (a bare ``budi`` exists on every
  instance).
"""

from __future__ import annotations

import re

__all__ = ["PLATFORM_ALIASES", "canonical_platform", "normalize_handle", "split_account_spec"]

PLATFORM_ALIASES: dict[str, str] = {
    "twitter": "x",
    "fb": "facebook",
    "ig": "instagram",
    "tg": "telegram",
    "bsky": "bluesky",
}

_PLATFORM_RE = re.compile(r"[a-z0-9_]+")
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_MASTODON_RE = re.compile(rf"[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?@{_LABEL}(?:\.{_LABEL})+")


def canonical_platform(platform: str) -> str:
    """Lower-case ``platform``, fold aliases; raise ValueError when it is not ``[a-z0-9_]+``."""
    p = platform.strip().lower()
    if not _PLATFORM_RE.fullmatch(p):
        raise ValueError(f"platform {platform.strip()!r} must be letters, digits or '_' (e.g. x, mastodon)")
    return PLATFORM_ALIASES.get(p, p)


def normalize_handle(platform: str, value: str) -> str:
    """Normalise a handle or id for ``platform`` (already canonical); ValueError when unusable."""
    v = value.strip()
    if v.startswith("@"):
        v = v[1:]
    v = v.lower()
    if not v:
        raise ValueError("account handle or id is empty")
    if "://" in v or v.startswith("www."):
        raise ValueError(f"write the handle or id, not a link ({value.strip()!r})")
    if any(ch.isspace() for ch in v):
        raise ValueError(f"account {value.strip()!r} contains spaces")
    if platform == "mastodon" and not _MASTODON_RE.fullmatch(v):
        raise ValueError(f"mastodon account {value.strip()!r} must be user@domain (e.g. budi@kota.social)")
    return v


def split_account_spec(spec: str) -> tuple[str, str]:
    """``"X:@Budi"`` -> ``("x", "budi")``: canonical platform and normalised value, or ValueError."""
    platform, sep, value = spec.partition(":")
    if not sep:
        raise ValueError(f"account {spec.strip()!r} must be written platform:handle (e.g. x:budi_s)")
    p = canonical_platform(platform)
    return p, normalize_handle(p, value)
