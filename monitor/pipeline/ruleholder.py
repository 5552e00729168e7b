"""Keeps the current valid rule set; an invalid reload keeps the previous one and says why."""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path

from monitor.rules import RuleSet, RuleSetError, load_rules
from monitor.rules.loader import rule_files

log = logging.getLogger(__name__)


def _signature(paths: list[Path]) -> tuple:
    """Names, sizes and modification times of the rule files: changes when an admin edits one."""
    files, _ = rule_files(paths)
    sig = []
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        sig.append((str(f), st.st_size, st.st_mtime_ns))
    return tuple(sig)


class RuleHolder:
    def __init__(self, paths: list[Path], elections: Collection[str] | None = None) -> None:
        self.paths = list(paths)
        self.elections = None if elections is None else frozenset(elections)
        """Configured election ids; ``pack.elections`` may name only these (None: not checked)."""
        self._sig = _signature(self.paths)
        self.current: RuleSet = load_rules(self.paths, self.elections)  # the first load must succeed
        self.last_error: RuleSetError | None = None

    def reload(self) -> bool:
        """Try to load the rule files again. On error keep the running rules; return success."""
        self._sig = _signature(self.paths)
        try:
            new = load_rules(self.paths, self.elections)
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

    def reload_if_changed(self) -> bool | None:
        """Reload when a rule file was added, removed or edited; None when nothing changed."""
        if _signature(self.paths) == self._sig:
            return None
        return self.reload()
