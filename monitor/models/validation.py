"""One readable form for pydantic validation errors: ``path.to.key: message``."""

from __future__ import annotations

from pydantic import ValidationError


def error_lines(exc: ValidationError, prefix: str = "", unknown: str | None = "unknown key",
                root: str = "(root)") -> list[str]:
    """``prefix.loc: msg`` per error; an unexpected key reads ``unknown`` (e.g. "unknown key"; None
    keeps pydantic's own message); an error about the whole object is labelled ``root``."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"])
        path = ".".join(p for p in (prefix, loc) if p) or root
        msg = unknown if unknown is not None and err["type"] == "extra_forbidden" else err["msg"]
        out.append(f"{path}: {msg}")
    return out
