"""Keeps the current valid rule set; an invalid reload keeps the previous one and says why."""

from __future__ import annotations

import logging
from pathlib import Path

from monitor.rules import RuleSet, RuleSetError, load_rules

log = logging.getLogger(__name__)


class RuleHolder:
    def __init__(self, paths: list[Path]) -> None:
        self.paths = list(paths)
        self.current: RuleSet = load_rules(self.paths)  # the first load must succeed
        self.last_error: RuleSetError | None = None

    def reload(self) -> bool:
        """Try to load the rule files again. On error keep the running rules; return success."""
        try:
            new = load_rules(self.paths)
        except RuleSetError as exc:
            self.last_error = exc
            log.error(
                "rule files invalid, keeping rule set %s: %s",
                self.current.version,
                "; ".join(str(e) for e in exc.errors),
            )
            return False
        self.last_error = None
        if new.version != self.current.version:
            log.info("rule set %s -> %s", self.current.version, new.version)
        self.current = new
        return True
