"""One readable form for pydantic validation errors: ``path.to.key: message``."""

from __future__ import annotations

from pydantic import ValidationError


def error_lines(exc: ValidationError, prefix: str = "", unknown: str = "unknown key") -> list[str]:
    """``prefix.loc: msg`` per error; an unexpected key reads ``unknown`` (e.g. "unknown key")."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"])
        path = ".".join(p for p in (prefix, loc) if p) or "(root)"
        msg = unknown if err["type"] == "extra_forbidden" else err["msg"]
        out.append(f"{path}: {msg}")
    return out
