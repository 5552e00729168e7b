"""A cheap, exact prefilter for regex terms: characters every match must contain.

``required_literals`` walks the parsed pattern: a literal in a sequence is required, a group or a
repeat of at least one adds what its body requires, an alternation requires only what all of its
branches require; anything else (classes, optional parts, look-arounds, case-insensitive parts)
requires nothing. If a text lacks one of those characters the regex cannot match, so skipping
``search`` never changes a result, only its cost (e.g. a hashtag pattern on a text without ``#``).
"""

from __future__ import annotations

import re

try:  # Python 3.11+
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older Pythons
    import sre_parse as _sre_parse  # type: ignore[no-redef]


def _must(seq) -> set[str]:
    out: set[str] = set()
    for op, av in seq:
        out |= _must_item(str(op), av)
    return out


def _must_item(op: str, av) -> set[str]:
    if op == "LITERAL":
        return {chr(av)}
    if op == "SUBPATTERN":
        _group, add_flags, _del_flags, body = av
        return set() if add_flags & re.IGNORECASE else _must(body)
    if op == "ATOMIC_GROUP":
        return _must(av)
    if op == "BRANCH":
        sets = [_must(alt) for alt in av[1]]
        return set.intersection(*sets) if sets else set()
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        lo, _hi, body = av
        return _must(body) if lo >= 1 else set()
    return set()


def required_literals(pattern: re.Pattern[str]) -> frozenset[str]:
    """Characters that every match of ``pattern`` contains (empty when unsure)."""
    if pattern.flags & re.IGNORECASE:
        return frozenset()
    try:
        tree = _sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # pragma: no cover - the pattern compiled, so this is defensive
        return frozenset()
    if tree.state.flags & re.IGNORECASE:
        return frozenset()
    return frozenset(_must(tree))


class GatedRegex:
    """A compiled regex that is only run when the text holds every required character."""

    __slots__ = ("rx", "need")

    def __init__(self, rx: re.Pattern[str]) -> None:
        self.rx = rx
        # rarest-looking first: punctuation and digits before letters and spaces
        self.need = tuple(sorted(required_literals(rx), key=lambda c: (c.isalpha() or c == " ", c)))

    def search(self, text: str):
        for c in self.need:
            if c not in text:
                return None
        return self.rx.search(text)
