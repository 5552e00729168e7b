"""User-facing messages in Bahasa Indonesia (default) and English.

``t(key, lang, **kw)`` formats a message; an unknown key is a bug caught by the tests
(every key must exist in both languages).
"""

from __future__ import annotations

from monitor.i18n.catalog import MESSAGES

LANGS = ("id", "en")


def render(entry: dict[str, str], lang: str, **kw: object) -> str:
    """One catalogue entry in ``lang`` (Indonesian when that language is missing), formatted."""
    text = entry.get(lang) or entry["id"]
    return text.format(**kw) if kw else text


def t(key: str, lang: str = "id", **kw: object) -> str:
    return render(MESSAGES[key], lang, **kw)
