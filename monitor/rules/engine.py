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
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate
from dataclasses import dataclass

import ahocorasick
from pydantic import BaseModel, ConfigDict

from monitor.models.evidence import Field_, RuleMatch
from monitor.rules.prefilter import GatedRegex
from monitor.rules.schema import RegexTerm, Rule, term_display
from monitor.text import normalize, normalize_many

__all__ = ["LoadedRule", "Matcher", "RuleSet", "rules_version"]

_NONE = -1  # term position used for ``none`` terms in automaton entries
_EMPTY: frozenset[int] = frozenset()
_MATCH_CACHE_SIZE = 50_000
_SEP = "\x00"  # between texts of a batch: deleted by normalisation, so in no text and no key


class LoadedRule(BaseModel):
    """A validated rule and where it was defined (``model_dump`` gives both, for the store)."""

    model_config = ConfigDict(frozen=True)

    rule: Rule
    source_file: str
    line: int | None = None
    pack: str | None = None
    """``pack.name`` of the file the rule came from."""
    pack_elections: tuple[str, ...] = ()
    """``pack.elections`` of that file: the elections the rule is scoped to (empty: any)."""


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


def _automaton(entries: dict[str, list[tuple[int, int]]]) -> ahocorasick.Automaton | None:
    """An automaton mapping each key to its (rule index, term position) entries; None if no key."""
    entries = {key: value for key, value in entries.items() if value}
    if not entries:
        return None
    automaton = ahocorasick.Automaton()
    for key, value in entries.items():
        automaton.add_word(key, tuple(dict.fromkeys(value)))
    automaton.make_automaton()
    return automaton


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
        # Character sets of which a text must hold one (all of its characters) for a regex-driven
        # rule to have a chance without automaton hits (``None``: some rule can always fire).
        self._triggers = self._regex_triggers() if self._regex_driven else ()
        self._automaton = _automaton(entries)
        # for batches (``evaluate_many``): positive terms and ``none`` terms apart
        self._positive = _automaton({k: [e for e in v if e[1] != _NONE] for k, v in entries.items()})
        self._negative = _automaton({k: [e for e in v if e[1] == _NONE] for k, v in entries.items()})

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
        return self._decide(norm, found, excluded)

    def evaluate_many(self, norms: Sequence[str]) -> list[list[tuple[int, tuple[str, ...]]]]:
        """``[self.evaluate(n) for n in norms]``, with one automaton pass over the whole batch."""
        fired = self.fired_many(norms)
        return [fired.get(i, []) for i in range(len(norms))]

    def fired_many(self, norms: Sequence[str]) -> dict[int, list[tuple[int, tuple[str, ...]]]]:
        """``{i: self.evaluate(n) for i, n in enumerate(norms)}`` without the texts that fire nothing.

        The texts are scanned as one string, each padded as in ``evaluate`` and separated by NUL,
        which neither a normalised text nor an automaton key contains: no key can span two texts,
        so every hit lies inside one text and is exactly a hit of ``evaluate``. The batch pass
        looks for positive terms only: ``none`` terms can only remove rules, so they are looked
        up only in the few texts where a rule can fire, i.e. texts with a positive hit or holding
        the characters a regex-driven rule needs (``_triggers``). Other texts cost no Python work.
        """
        n = len(norms)
        out: dict[int, list[tuple[int, tuple[str, ...]]]] = {}
        if not n:
            return out
        joined = " " + f" {_SEP} ".join(norms) + " "
        if joined.count(_SEP) != n - 1:  # not normalised texts: no batch shortcut
            return {i: f for i, f in enumerate(map(self.evaluate, norms)) if f}
        starts = list(accumulate((len(x) + 3 for x in norms[:-1]), initial=0))
        found_in: dict[int, dict[int, set[int]]] = {}
        if self._positive is not None:
            for end, hits in self._positive.iter(joined):
                i = bisect_right(starts, end) - 1
                found = found_in.get(i)
                if found is None:
                    found = found_in[i] = {}
                for idx, pos in hits:
                    if idx in found:
                        found[idx].add(pos)
                    else:
                        found[idx] = {pos}
        todo: Iterable[int]
        if self._triggers is None:
            todo = range(n)
        else:
            todo = set(found_in)
            for need in self._triggers:
                at = joined.find(need[0])
                while at != -1:
                    i = bisect_right(starts, at) - 1
                    if i not in todo and all(c in norms[i] for c in need):
                        todo.add(i)
                    at = joined.find(need[0], starts[i + 1]) if i + 1 < n else -1
        negative = self._negative
        for i in todo:
            norm = norms[i]
            excluded: set[int] = set()
            if negative is not None and norm:
                for _, hits in negative.iter(f" {norm} "):
                    excluded.update(idx for idx, _ in hits)
            fired = self._decide(norm, found_in.get(i, {}), excluded)
            if fired:
                out[i] = fired
        return out

    def _decide(self, norm: str, found: dict[int, set[int]], excluded: set[int]) -> list[tuple[int, tuple[str, ...]]]:
        """The rules that fire, given the automaton hits of ``norm``."""
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

    def _regex_triggers(self) -> tuple[tuple[str, ...], ...] | None:
        """Without a plain hit, a regex-driven rule can fire only if one of its ``any`` regexes (or,
        with no ``any`` terms, its first ``all`` regex) matches, which needs that regex's required
        characters (``GatedRegex.need``). A text holding none of these sets fires no such rule."""
        out: list[tuple[str, ...]] = []
        for idx in self._regex_driven:
            rule = self._rules[idx]
            regexes = [rx for _, rx in (rule.any_regex if rule.has_any else rule.all_regex[:1])]
            for rx in regexes:
                need = getattr(rx, "need", ())
                if not need:
                    return None
                out.append(need)
        return tuple(dict.fromkeys(out))

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
        return self._matches(self._matcher.evaluate(norm_text), field)

    def match_many(self, texts: Sequence[str], field: Field_ = "text") -> list[list[RuleMatch]]:
        """``[self.match(t, field) for t in texts]``, normalised and scanned batch-wise."""
        return self.match_normalized_many(normalize_many(texts), field)

    def match_normalized_many(self, norm_texts: Sequence[str], field: Field_ = "text") -> list[list[RuleMatch]]:
        """``[self.match_normalized(n, field) for n in norm_texts]``, scanned batch-wise."""
        if field not in ("text", "parent"):
            raise ValueError(f"field must be 'text' or 'parent', not {field!r}")
        fired = self.match_sparse(norm_texts, field)
        return [fired.get(i, []) for i in range(len(norm_texts))]

    def match_sparse(self, norm_texts: Sequence[str], field: Field_ = "text") -> dict[int, list[RuleMatch]]:
        """``{i: self.match_normalized(n, field)}`` for the normalised texts on which a rule fires."""
        if field not in ("text", "parent"):
            raise ValueError(f"field must be 'text' or 'parent', not {field!r}")
        return {i: self._matches(fired, field) for i, fired in self._matcher.fired_many(norm_texts).items()}

    def _matches(self, fired: list[tuple[int, tuple[str, ...]]], field: Field_) -> list[RuleMatch]:
        cache = self._match_cache
        out = []
        for idx, terms in fired:
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
