"""How a source records what it received: the canonical payload text and why an item was refused."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from monitor.models.validation import error_lines


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def dump_raw(item: Any) -> str:
    """Canonical JSON of one platform item: the evidence text stored (and hashed) for a post.

    Always valid UTF-8: a string holding a lone surrogate (a JSON escape such as ``\\ud83d`` without
    its pair, which ``json.loads`` accepts -- e.g. an emoji a platform cut in half) keeps that
    character as the same ``\\uXXXX`` escape, so the text is the same JSON value and can be stored
    and hashed (raw, such a character cannot be written to the database at all). Every other
    payload is exactly what it was before: non-ASCII characters stay as they are.
    """
    text = json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if _LONE_SURROGATE.search(text):
        text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def describe_validation(exc: ValidationError) -> str:
    """``field: message; ...`` for an item that does not make a valid Post (the quarantine reason)."""
    return "; ".join(error_lines(exc, unknown=None, root="(post)"))
