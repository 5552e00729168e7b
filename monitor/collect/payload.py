"""How a source records what it received: the canonical payload text and why an item was refused."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from monitor.models.validation import error_lines


def dump_raw(item: Any) -> str:
    """Canonical JSON of one platform item: the evidence text stored (and hashed) for a post."""
    return json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def describe_validation(exc: ValidationError) -> str:
    """``field: message; ...`` for an item that does not make a valid Post (the quarantine reason)."""
    return "; ".join(error_lines(exc, unknown=None, root="(post)"))
