"""Errors found in rule files, with the place (file, line, field) they point at."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleError:
    """One problem in one rule file.

    ``str(error)`` reads like a compiler message, e.g.
    ``rules/pemilu2024.yaml:42: rules[3].terms.any[2]: regex does not compile: ...``.
    ``line`` is 1-based; it is ``None`` when the problem concerns the file as a whole
    (unreadable, not found). ``field`` is ``""`` for file-level problems.
    """

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class RuleSetError(Exception):
    """Raised by ``load_rules`` when any rule file has an error; carries all of them.

    The caller is expected to keep using its previous rule set.
    """

    def __init__(self, errors: list[RuleError]) -> None:
        self.errors = list(errors)
        lines = [str(e) for e in self.errors[:20]]
        if len(self.errors) > 20:
            lines.append(f"... and {len(self.errors) - 20} more")
        super().__init__(f"{len(self.errors)} error(s) in rule files:\n" + "\n".join(lines))
