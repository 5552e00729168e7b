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


def _case_sensitive_tree(pattern: re.Pattern[str]):
    """The parsed pattern, or None when it ignores case (then no literal can be required)."""
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        tree = _sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # pragma: no cover - the pattern compiled, so this is defensive
        return None
    return None if tree.state.flags & re.IGNORECASE else tree


def required_literals(pattern: re.Pattern[str]) -> frozenset[str]:
    """Characters that every match of ``pattern`` contains (empty when unsure)."""
    tree = _case_sensitive_tree(pattern)
    return frozenset() if tree is None else frozenset(_must(tree))


# ------------------------------------------------------------------ required strings
_CAP = 64  # largest string set tracked while expanding a finite sub-pattern
_MAX_ANY_OF = 24  # largest "one of these strings" gate worth checking before a search


def _product(a: set[str] | None, b: set[str] | None) -> set[str] | None:
    if a is None or b is None or len(a) * len(b) > _CAP:
        return None
    return {x + y for x in a for y in b}


def _lang_seq(seq) -> set[str] | None:
    """Every string ``seq`` can match, if that is a small finite set (else None)."""
    out: set[str] | None = {""}
    for op, av in seq:
        out = _product(out, _lang_item(str(op), av))
        if out is None:
            return None
    return out


def _lang_item(op: str, av) -> set[str] | None:
    if op == "LITERAL":
        return {chr(av)}
    if op in ("AT", "ASSERT", "ASSERT_NOT"):  # zero-width: adds nothing to the matched text
        return {""}
    if op == "SUBPATTERN":
        _group, add_flags, _del_flags, body = av
        return None if add_flags & re.IGNORECASE else _lang_seq(body)
    if op == "ATOMIC_GROUP":
        return _lang_seq(av)
    if op == "BRANCH":
        out: set[str] = set()
        for alt in av[1]:
            lang = _lang_seq(alt)
            if lang is None or len(out) + len(lang) > _CAP:
                return None
            out |= lang
        return out
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        lo, hi, body = av
        lang = _lang_seq(body)
        if lang is None or hi > 3:
            return None
        out, power = set(), {""}
        for k in range(hi + 1):
            if k >= lo:
                out |= power
            if k < hi:
                power = _product(power, lang)
                if power is None:
                    return None
        return out if len(out) <= _CAP else None
    if op == "IN" and all(str(o) == "LITERAL" for o, _ in av):
        return {chr(c) for _, c in av}
    return None


def _factors(seq) -> list[frozenset[str]]:
    """Sets of strings of which every match of ``seq`` contains at least one (each set on its own)."""
    out: list[frozenset[str]] = []
    run: set[str] = {""}  # strings the current run of finite items can match, contiguously

    def close() -> None:
        if run and "" not in run:
            out.append(frozenset(run))

    for op, av in seq:
        op = str(op)
        lang = _lang_item(op, av)
        joined = _product(run, lang)
        if joined is not None:
            run = joined
            continue
        close()
        run = {""} if lang is None else set(lang)
        if lang is None:  # what must occur inside the item itself
            if op == "SUBPATTERN" and not av[1] & re.IGNORECASE:
                out += _factors(av[3])
            elif op == "ATOMIC_GROUP":
                out += _factors(av)
            elif op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
                out += _factors(av[2])
            elif op == "BRANCH":
                best = [_best(_factors(alt)) for alt in av[1]]
                if all(best):
                    out.append(frozenset().union(*best))
    close()
    return out


def _best(factors: list[frozenset[str]]) -> frozenset[str]:
    """The most selective-looking factor: longest shortest string, then fewest strings."""
    return max(factors, key=lambda f: (min(5, min(map(len, f))), -len(f)), default=frozenset())


def required_strings(pattern: re.Pattern[str]) -> frozenset[str]:
    """Strings of which every match of ``pattern`` contains at least one (empty when unsure)."""
    tree = _case_sensitive_tree(pattern)
    return frozenset() if tree is None else _best(_factors(tree))


class GatedRegex:
    """A compiled regex that is only run when the text holds every required character and one of
    the strings every match contains (``required_strings``, when that set is small)."""

    __slots__ = ("rx", "need", "any_of")

    def __init__(self, rx: re.Pattern[str]) -> None:
        self.rx = rx
        # rarest-looking first: punctuation and digits before letters and spaces
        self.need = tuple(sorted(required_literals(rx), key=lambda c: (c.isalpha() or c == " ", c)))
        strings = required_strings(rx)
        self.any_of = tuple(sorted(strings)) if 0 < len(strings) <= _MAX_ANY_OF and min(map(len, strings)) > 1 else ()

    def search(self, text: str):
        for c in self.need:
            if c not in text:
                return None
        if self.any_of:
            for s in self.any_of:
                if s in text:
                    break
            else:
                return None
        return self.rx.search(text)
