"""Compiled rules: one Aho-Corasick automaton for every word/phrase/hashtag term.

Word boundaries are part of the automaton keys. In normalised text (see
``monitor.text.normalize``) tokens are separated by single spaces and ``#``/``@`` occur
only at the start of a token, so "no letter, digit or ``_`` right before or after the
match" is exactly: the match is preceded by a space, ``#`` or ``@`` (or the start of the
text) and followed by a space (or the end). The text is padded with one space on each
side and every term is stored as ``" term "``, plus ``"#term "`` and ``"@term "`` for
terms that start with a word character, so a plain ``prabowo`` matches ``#prabowo``
and ``@prabowo`` but not ``#prabowogibran``, and the hashtag term ``#prabowo`` matches
only the whole token ``#prabowo``. Every automaton hit is therefore a real hit, which
keeps Python work per text proportional to the terms that actually occur.

Regex terms are searched separately in the normalised text, lazily: a rule's
``all``/``none`` regexes run only when its other conditions already hold.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ahocorasick
from pydantic import BaseModel, ConfigDict

from monitor.models.evidence import Field_, RuleMatch
from monitor.rules.prefilter import GatedRegex
from monitor.rules.schema import RegexTerm, Rule, term_display
from monitor.text import normalize

__all__ = ["LoadedRule", "Matcher", "RuleSet", "rules_version"]

_NONE = -1  # term position used for ``none`` terms in automaton entries
_EMPTY: frozenset[int] = frozenset()
_MATCH_CACHE_SIZE = 50_000


class LoadedRule(BaseModel):
    """A validated rule and where it was defined (``model_dump`` gives both, for the store)."""

    model_config = ConfigDict(frozen=True)

    rule: Rule
    source_file: str
    line: int | None = None


def automaton_keys(norm_term: str) -> tuple[str, ...]:
    """The padded automaton keys that implement word-boundary matching for one term."""
    keys = (f" {norm_term} ",)
    if norm_term[0] not in "#@" and (norm_term[0].isalnum() or norm_term[0] == "_"):
        keys += (f"#{norm_term} ", f"@{norm_term} ")
    return keys


Searcher = "re.Pattern[str] | GatedRegex"  # anything with .search(text)


@dataclass(frozen=True)
class _CompiledRule:
    """Per-rule data the matcher needs at run time."""

    displays: tuple[str, ...]  # positive terms (any, then all) as written
    any_plain: frozenset[int]  # positions of plain ``any`` terms
    any_regex: tuple[tuple[int, Searcher], ...]
    all_plain: frozenset[int]
    all_regex: tuple[tuple[int, Searcher], ...]
    none_regex: tuple[Searcher, ...]
    has_any: bool
    plain_any_only: bool  # only plain ``any`` (and plain ``none``) terms: one hit decides


def _compile_rule(idx: int, rule: Rule, entries: dict[str, list[tuple[int, int]]], gate: bool = True) -> _CompiledRule:
    """Register the rule's plain terms in ``entries`` and return its run-time data."""
    positives = [*rule.terms.any, *rule.terms.all]
    n_any = len(rule.terms.any)
    plain: dict[bool, set[int]] = {True: set(), False: set()}  # keyed by "is an any-term"
    regex: dict[bool, list[tuple[int, Searcher]]] = {True: [], False: []}
    for pos, term in enumerate(positives):
        if isinstance(term, RegexTerm):
            regex[pos < n_any].append((pos, _regex(term.regex, gate)))
        else:
            plain[pos < n_any].add(pos)
            for key in automaton_keys(normalize(term)):
                entries.setdefault(key, []).append((idx, pos))
    none_regex = []
    for term in rule.terms.none:
        if isinstance(term, RegexTerm):
            none_regex.append(_regex(term.regex, gate))
        else:
            for key in automaton_keys(normalize(term)):
                entries.setdefault(key, []).append((idx, _NONE))
    return _CompiledRule(
        displays=tuple(term_display(t) for t in positives),
        any_plain=frozenset(plain[True]),
        any_regex=tuple(regex[True]),
        all_plain=frozenset(plain[False]),
        all_regex=tuple(regex[False]),
        none_regex=tuple(none_regex),
        has_any=n_any > 0,
        plain_any_only=not (regex[True] or plain[False] or regex[False] or none_regex),
    )


def _regex(pattern: str, gate: bool):
    """A compiled regex term, behind its exact character prefilter unless ``gate`` is off."""
    rx = re.compile(pattern)
    return GatedRegex(rx) if gate else rx


class Matcher:
    """Evaluates a fixed list of rules (enabled or not) on normalised texts.

    ``gate=False`` runs every regex term directly: the straightforward path the tests compare the
    prefiltered one against.
    """

    def __init__(self, rules: Sequence[Rule], *, gate: bool = True) -> None:
        entries: dict[str, list[tuple[int, int]]] = {}  # automaton key -> (rule index, term position)
        self._rules = tuple(_compile_rule(idx, rule, entries, gate) for idx, rule in enumerate(rules))
        # Rules an automaton hit cannot reveal: a regex in ``any``, or no plain positive term.
        self._regex_driven = frozenset(
            idx for idx, r in enumerate(self._rules) if r.any_regex or not (r.any_plain or r.all_plain)
        )
        self._automaton: ahocorasick.Automaton | None = None
        if entries:
            self._automaton = ahocorasick.Automaton()
            for key, value in entries.items():
                self._automaton.add_word(key, tuple(dict.fromkeys(value)))
            self._automaton.make_automaton()

    def evaluate(self, norm: str) -> list[tuple[int, tuple[str, ...]]]:
        """Rules that fire on normalised text ``norm``: (rule index, positive terms that occurred)."""
        found: dict[int, set[int]] = {}
        excluded: set[int] = set()
        if self._automaton is not None and norm:
            for _, hits in self._automaton.iter(f" {norm} "):
                for idx, pos in hits:
                    if pos == _NONE:
                        excluded.add(idx)
                    elif idx in found:
                        found[idx].add(pos)
                    else:
                        found[idx] = {pos}
        candidates = found.keys() | self._regex_driven if self._regex_driven else found.keys()
        fired: list[tuple[int, tuple[str, ...]]] = []
        for idx in sorted(candidates - excluded if excluded else candidates):
            rule = self._rules[idx]
            got = found.get(idx, _EMPTY)
            if rule.plain_any_only:  # the common case: fired by any plain ``any`` hit
                positions = sorted(got)
            else:
                positions = self._check(rule, norm, got)
                if positions is None:
                    continue
            displays = rule.displays
            fired.append((idx, tuple(dict.fromkeys(displays[p] for p in positions))))
        return fired

    @staticmethod
    def _check(rule: _CompiledRule, norm: str, got: set[int]) -> list[int] | None:
        """Full any/all/none check of one rule; the positive positions that occurred, or None."""
        if not rule.all_plain <= got:
            return None
        if not all(rx.search(norm) for _, rx in rule.all_regex):
            return None
        any_hits = [pos for pos, rx in rule.any_regex if rx.search(norm)]
        if rule.has_any and not (any_hits or got & rule.any_plain):
            return None
        if any(rx.search(norm) for rx in rule.none_regex):
            return None
        return sorted(got.union(any_hits, (pos for pos, _ in rule.all_regex)))


def rules_version(rules: Iterable[Rule]) -> str:
    """First 12 hex chars of sha256 over a canonical JSON of the given rules (order-free)."""
    dumped = sorted((r.model_dump(mode="json") for r in rules), key=lambda d: d["id"])
    canonical = json.dumps(dumped, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


class RuleSet:
    """An immutable, compiled set of rules; build it with ``monitor.rules.load_rules``.

    ``rules`` holds every loaded rule (disabled ones too) with its source file;
    ``match`` only uses enabled rules; ``version`` identifies the enabled rules.
    """

    def __init__(self, rules: Sequence[LoadedRule] = (), files: Sequence[str] = ()) -> None:
        self.rules: tuple[LoadedRule, ...] = tuple(rules)
        self.files: tuple[str, ...] = tuple(files)
        self._enabled = tuple(lr for lr in self.rules if lr.rule.enabled)
        self._matcher = Matcher([lr.rule for lr in self._enabled])
        self.version: str = rules_version(lr.rule for lr in self._enabled)
        self._by_id = {lr.rule.id: lr for lr in self.rules}
        # RuleMatch is frozen, so equal matches can share one instance.
        self._match_cache: dict[tuple[int, str, tuple[str, ...]], RuleMatch] = {}

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> LoadedRule | None:
        """The loaded rule with this id, or ``None``."""
        return self._by_id.get(rule_id)

    def match(self, text: str, field: Field_ = "text") -> list[RuleMatch]:
        """Every enabled rule that fires on ``text`` (normalised here)."""
        return self.match_normalized(normalize(text), field)

    def match_normalized(self, norm_text: str, field: Field_ = "text") -> list[RuleMatch]:
        """Like ``match`` for a text already passed through ``monitor.text.normalize``."""
        if field not in ("text", "parent"):
            raise ValueError(f"field must be 'text' or 'parent', not {field!r}")
        cache = self._match_cache
        out = []
        for idx, terms in self._matcher.evaluate(norm_text):
            key = (idx, field, terms)
            match = cache.get(key)
            if match is None:
                if len(cache) >= _MATCH_CACHE_SIZE:
                    cache.clear()
                match = cache[key] = self._build_match(idx, field, terms)
            out.append(match)
        return out

    def _build_match(self, idx: int, field: Field_, terms: tuple[str, ...]) -> RuleMatch:
        loaded = self._enabled[idx]
        rule = loaded.rule
        return RuleMatch(
            rule_id=rule.id,
            title=rule.title,
            category=rule.category,
            weight=rule.weight,
            target=rule.target,
            field=field,
            terms=terms,
            source_file=loaded.source_file,
        )
