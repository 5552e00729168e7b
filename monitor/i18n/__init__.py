"""User-facing messages in Bahasa Indonesia (default) and English.

``t(key, lang, **kw)`` formats a message; an unknown key is a bug caught by the tests
(every key must exist in both languages).
"""

from __future__ import annotations

from monitor.i18n.catalog import MESSAGES

LANGS = ("id", "en")


def t(key: str, lang: str = "id", **kw: object) -> str:
    entry = MESSAGES[key]
    text = entry.get(lang) or entry["id"]
    return text.format(**kw) if kw else text
