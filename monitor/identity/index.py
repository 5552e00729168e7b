"""Who a post author may be: declared accounts first, then blocked fuzzy name matching + bio.

``IdentityIndex.build(entries)`` once per roster version, then ``index.match(platform, author)``
per post. Decisions (numbers are the defaults):

**Declared accounts.** The author's ``(platform, id)`` and ``(platform, handle)`` are looked up in
a dict of the roster's declared accounts (normalised as in :mod:`monitor.names.handles`:
lower case, no leading ``@``, ``twitter`` = ``x``, mastodon as ``user@domain``). A hit gives
method ``declared_account`` with confidence 1.0; only declared accounts ever reach 1.0. If two
roster entries declared the same account (the importer refuses that, other sources might not),
both are returned and the result is ambiguous.

**Reviewer memory** (:mod:`monitor.identity.memory`, optional ``memory`` of :meth:`build`). When
no roster-declared account matches, an author key that a watcher confirmed for a NIP still in the
roster matches like a declared account: method ``declared_account`` (so scoring and the
``confirmed_or_auto`` alert trigger treat it the same), confidence 1.0, evidence kind
``reviewer_link`` naming the reviewer and the date. A link to a NIP no longer in the roster is
ignored. NIPs a watcher rejected for any of the author's keys are removed from the name
candidates before ambiguity is decided (a reviewer link to a rejected NIP is ignored too).

**Name matching** (method ``name``) on the author's display name; the handle, split on ``_``,
``.``, ``-``, digits and camelCase, is used only when there is no usable display name. Names are
normalised with :func:`monitor.names.normalize_name` (titles, spelling variants). URLs,
``@mentions`` and ``#hashtags`` are removed from the display name, and when it contains
separators (``|``, ``•``, ``/``, `` - ``, parentheses) each part is also tried on its own
("Budi Santoso | Dinas Pendidikan"), keeping the best score per roster entry.

* *Scorer*: ``rapidfuzz.fuzz.token_sort_ratio`` (computed as ``fuzz.ratio`` on pre-sorted tokens).
  It ignores token order (Indonesian names have no fixed surname position) but, unlike
  ``token_set_ratio``/``WRatio``, it penalises missing or extra tokens: "Budi Santoso" must not
  match every "Budi Santoso Wibowo" at 100, because names are not unique. A one-letter typo in a
  12-letter name scores about 92; the default threshold is 88.
* *Blocking* (:mod:`monitor.identity.pairs`): entries are indexed under every pair of their name
  tokens; a query looks up the pairs of its tokens combined with every vocabulary token within the
  indel distance that the threshold still allows for that token (exact neighbourhoods,
  :mod:`monitor.identity.neighbours`). This finds every entry the exhaustive search (the same scorer
  over the whole roster) finds above the threshold, except matches that need splitting a query token
  over two roster tokens ("abdulrahman" vs "abdul rahman"; two whole query tokens joined are looked
  up); see that module for the proof. No cap on common tokens: a pair of tokens is rare even when
  each token is common, so the work per query depends on posting sizes of pairs, not on the roster
  size. ``max_token_df`` is accepted for compatibility and no longer used. The name scores of
  the last ``SCORE_CACHE`` distinct token tuples are kept (LRU, per index, so a rebuilt roster
  starts empty): authors post again and again under the same display name.
* *Both sides need 2+ name tokens.* A single-token name (mononym, or a display name reduced to
  one token) matches only an entry whose whole normalised name is that same token, and only when
  the bio gives strong evidence (NIP fragment, agency or unit); its name evidence is 0.3.
* *Confidence*: the name evidence is 0.4 at the threshold rising linearly to 0.6 at a perfect
  match (names are not unique, so a name alone never says more than 0.6). Bio evidence
  (:mod:`monitor.identity.bio`) adds or subtracts fixed deltas; the sum is clamped to
  [0, 0.95].
* *Ambiguity*: candidates are sorted by confidence; when two or more are within
  ``ambiguity_margin`` (0.05) of the best, the result is ambiguous and all of them are listed;
  no single person is picked. Bio evidence may lift one above the others (then not ambiguous,
  the others stay listed). At most ``max_candidates`` (50) candidates are returned.
"""

from __future__ import annotations

import re
from collections import defaultdict
from operator import itemgetter
from dataclasses import dataclass
from typing import Iterable

from rapidfuzz import fuzz, process

from monitor.identity.accounts import author_account_keys, declared_account_key
from monitor.identity.bio import BioAnalyzer
from monitor.identity.memory import AccountLink, IdentityMemory
from monitor.identity.pairs import PairIndex
from monitor.models import Author, Candidate, IdentityEvidence, IdentityResult, RosterEntry
from monitor.names import name_tokens

__all__ = [
    "IdentityIndex",
    "MAX_NAME_CONFIDENCE",
    "MAX_NAME_BASED_CONFIDENCE",
    "MIN_NAME_CONFIDENCE",
    "MONONYM_CONFIDENCE",
    "handle_to_name",
]

MAX_NAME_CONFIDENCE = 0.6
MIN_NAME_CONFIDENCE = 0.4
MONONYM_CONFIDENCE = 0.3
MAX_NAME_BASED_CONFIDENCE = 0.95
_STRONG_BIO = frozenset({"bio_nip", "bio_agency", "bio_unit"})
SCORE_CACHE = 32_768  # sorted query tokens -> name scores, LRU per index (authors post repeatedly)

_NOISE_RE = re.compile(r"https?://\S+|www\.\S+|[@#][\w.]+")
_PART_SPLIT_RE = re.compile(r"\s[-\u2013\u2014~]\s|[|\u2022\u00b7/()\[\]{}]")
_HANDLE_SPLIT_RE = re.compile(r"[._\-\d]+")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")


def handle_to_name(handle: str) -> str:
    """Words of a handle for name matching: ``budi_santoso88`` / ``BudiSantoso`` -> ``budi santoso``.

    For ``user@domain`` handles only the user part is used.
    """
    user = handle.lstrip("@").split("@", 1)[0]
    user = _CAMEL_RE.sub(" ", user)
    return " ".join(_HANDLE_SPLIT_RE.sub(" ", user).split())


@dataclass(frozen=True, slots=True)
class _Query:
    tokens: tuple[str, ...]
    shown: str  # what the author shows (display name part or handle), for the evidence text


class IdentityIndex:
    """Matches post authors to roster entries. Build once per roster; ``match`` is thread-safe."""

    def __init__(
        self,
        entries: list[RosterEntry],
        *,
        name_threshold: float = 88.0,
        max_token_df: int = 250,
        ambiguity_margin: float = 0.05,
        max_candidates: int = 50,
        memory: IdentityMemory | None = None,
    ) -> None:
        """Prefer :meth:`build`."""
        if not 0 < name_threshold <= 100:
            raise ValueError("name_threshold must be in (0, 100]")
        self.name_threshold = float(name_threshold)
        self.max_token_df = max_token_df
        self.ambiguity_margin = ambiguity_margin
        self.max_candidates = max_candidates
        self._entries = entries
        self._memory = memory or IdentityMemory()
        # NIP -> position only for the NIPs reviewer links point to (a dict over 4.3M NIPs costs ~0.5 GB)
        linked = {link.nip for link in self._memory.links.values()}
        self._by_nip: dict[str, int] = (
            {e.nip: i for i, e in enumerate(entries) if e.nip in linked} if linked else {}
        )
        self._accounts: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._sorted: list[str] = []  # per entry: its name tokens sorted and joined (what is scored)
        self._mononyms: dict[str, list[int]] = defaultdict(list)
        pairs = PairIndex()
        add_pairs, add_sorted = pairs.add, self._sorted.append
        normalise = getattr(name_tokens, "__wrapped__", name_tokens)  # no LRU churn over a whole roster
        for i, entry in enumerate(entries):
            if entry.akun:
                for acc in entry.akun:
                    key = declared_account_key(acc)
                    if key is None:
                        continue
                    if i not in self._accounts[key]:
                        self._accounts[key].append(i)
            tokens = sorted(normalise(entry.nama))
            add_sorted(" ".join(tokens))
            if len(tokens) == 1:
                self._mononyms[tokens[0]].append(i)
            else:
                add_pairs(i, tokens)
        pairs.finish()
        self._accounts = dict(self._accounts)
        self._mononyms = dict(self._mononyms)
        self._pairs = pairs
        self._bio = BioAnalyzer(entries)
        self._score_cache: dict[tuple[str, ...], tuple[tuple[int, float], ...]] = {}

    @classmethod
    def build(
        cls,
        entries: Iterable[RosterEntry],
        *,
        name_threshold: float = 88.0,
        max_token_df: int = 250,
        ambiguity_margin: float = 0.05,
        max_candidates: int = 50,
        memory: IdentityMemory | None = None,
    ) -> "IdentityIndex":
        """Index a roster. ``name_threshold`` is the minimum token_sort_ratio (0-100);
        ``memory`` is what reviewers confirmed or rejected (see the module docstring)."""
        return cls(
            list(entries),
            name_threshold=name_threshold,
            max_token_df=max_token_df,
            ambiguity_margin=ambiguity_margin,
            max_candidates=max_candidates,
            memory=memory,
        )

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def entries(self) -> list[RosterEntry]:
        return list(self._entries)

    # ------------------------------------------------------------------ matching

    def match(self, platform: str, author: Author) -> IdentityResult:
        """Who ``author`` (of a post on ``platform``) may be. Never raises for odd input."""
        keys = author_account_keys(platform, author)
        for key in keys:
            ids = self._accounts.get(key)
            if ids:
                return self._declared(key, ids, author)
        rejected = self._memory.rejected_for(keys) if self._memory else set()
        for key in keys:
            link = self._memory.links.get(key)
            if link is not None and link.nip in self._by_nip and link.nip not in rejected:
                return self._linked(link)
        return self._match_name(author, rejected)

    def match_name(self, name: str, bio: str | None = None) -> IdentityResult:
        """Name (+ bio) matching only, for a display name without an account."""
        return self._match_name(Author(handle="-", name=name, bio=bio))

    def _linked(self, link: AccountLink) -> IdentityResult:
        when = link.confirmed_at.date().isoformat() if link.confirmed_at else "?"
        ev = IdentityEvidence(
            kind="reviewer_link",
            detail=(
                f"account {link.platform}:{link.account} confirmed by reviewer {link.confirmed_by} on {when}"
                + (f" (hit {link.hit_id})" if link.hit_id else "")
            ),
            delta=1.0,
        )
        entry = self._entries[self._by_nip[link.nip]]
        return IdentityResult(method="declared_account", candidates=[self._candidate(entry, 1.0, None, [ev])])

    def _declared(self, key: tuple[str, str], ids: list[int], author: Author) -> IdentityResult:
        how = "id" if author.id and key[1] == (author.id or "").strip().lstrip("@").lower() else "handle"
        candidates = []
        for i in ids:
            e = self._entries[i]
            ev = IdentityEvidence(
                kind="declared_account",
                detail=f"account {key[0]}:{key[1]} (matched by {how}) is declared in the roster for this ASN",
                delta=1.0,
            )
            candidates.append(self._candidate(e, 1.0, None, [ev]))
        candidates.sort(key=lambda c: c.nip)
        return IdentityResult(method="declared_account", candidates=candidates, ambiguous=len(candidates) > 1)

    def _queries(self, author: Author) -> list[_Query]:
        queries: list[_Query] = []
        seen: set[tuple[str, ...]] = set()

        def add(text: str, shown: str) -> None:
            tokens = name_tokens(text)
            if tokens and tokens not in seen:
                seen.add(tokens)
                queries.append(_Query(tokens, shown))

        name = (author.name or "").strip()
        if name:
            cleaned = _NOISE_RE.sub(" ", name)
            add(cleaned, name)
            parts = [p.strip() for p in _PART_SPLIT_RE.split(cleaned) if p and p.strip()]
            if len(parts) > 1:
                for part in parts:
                    add(part, part)
        if not queries and author.handle:
            add(handle_to_name(author.handle), author.handle)
        return queries

    def _blocked(self, tokens: tuple[str, ...]) -> set[int]:
        """Candidate entry ids for a multi-token query (see :mod:`monitor.identity.pairs`)."""
        return self._pairs.candidates(sorted(tokens), self.name_threshold)

    def name_scores(self, tokens: tuple[str, ...]) -> dict[int, float]:
        """Roster position -> ``token_sort_ratio`` for every multi-token entry scoring at least the
        threshold against the normalised query ``tokens`` (2+ tokens; else empty). This is what
        the name matching uses; the exhaustive equivalent is the same scorer over every entry."""
        if len(tokens) < 2:
            return {}
        key = tuple(sorted(tokens))
        cache = self._score_cache
        found = cache.pop(key, None)
        if found is None:
            found = self._score(key)
            if len(cache) >= SCORE_CACHE:
                try:
                    del cache[next(iter(cache))]  # least recently used
                except (KeyError, RuntimeError, StopIteration):  # another thread got there
                    pass
        cache[key] = found  # (re)inserted last: most recently used
        return dict(found)

    def _score(self, tokens: tuple[str, ...]) -> tuple[tuple[int, float], ...]:
        ids = list(self._pairs.candidates(tokens, self.name_threshold))
        if not ids:
            return ()
        query = " ".join(tokens)
        choices = itemgetter(*ids)(self._sorted) if len(ids) > 1 else (self._sorted[ids[0]],)
        return tuple(
            (ids[pos], score)
            for _choice, score, pos in process.extract(
                query, choices, scorer=fuzz.ratio, score_cutoff=self.name_threshold, limit=None
            )
        )

    def query_tokens(self, author: Author) -> list[tuple[str, ...]]:
        """The normalised token tuples tried for ``author``'s name (whole display name, its parts,
        or the handle's words), in order."""
        return [q.tokens for q in self._queries(author)]

    def _name_confidence(self, score: float) -> float:
        thr = self.name_threshold
        if thr >= 100:
            return MAX_NAME_CONFIDENCE
        frac = max(0.0, min(1.0, (score - thr) / (100.0 - thr)))
        return MIN_NAME_CONFIDENCE + (MAX_NAME_CONFIDENCE - MIN_NAME_CONFIDENCE) * frac

    def _match_name(self, author: Author, rejected: set[str] | frozenset[str] = frozenset()) -> IdentityResult:
        queries = self._queries(author)
        if not queries:
            return IdentityResult()
        best: dict[int, tuple[float, _Query]] = {}  # entry -> (score, query)
        mononym_hits: dict[int, _Query] = {}
        for q in queries:
            if len(q.tokens) == 1:
                for i in self._mononyms.get(q.tokens[0], ()):
                    mononym_hits.setdefault(i, q)
                continue
            for i, score in self.name_scores(q.tokens).items():
                if score > best.get(i, (-1.0, q))[0]:
                    best[i] = (score, q)
        if rejected:  # NIPs a watcher rejected for this account are never proposed again
            best = {i: v for i, v in best.items() if self._entries[i].nip not in rejected}
            mononym_hits = {i: v for i, v in mononym_hits.items() if self._entries[i].nip not in rejected}
        if not best and not mononym_hits:
            return IdentityResult()

        facts = self._bio.facts(author.bio)
        candidates: list[Candidate] = []
        for i, (score, q) in best.items():
            entry = self._entries[i]
            name_conf = self._name_confidence(score)
            ev = [
                IdentityEvidence(
                    kind="name",
                    detail=(
                        f"name {q.shown!r} ~ roster name {entry.nama!r} (normalised "
                        f"{' '.join(q.tokens)!r} vs {' '.join(name_tokens(entry.nama))!r}, "
                        f"token_sort_ratio {score:.1f})"
                    ),
                    delta=round(name_conf, 4),
                )
            ]
            ev += self._bio.evidence(facts, entry)
            candidates.append(self._candidate(entry, self._total(ev), score, ev))
        for i, q in mononym_hits.items():
            if i in best:
                continue
            entry = self._entries[i]
            bio_ev = self._bio.evidence(facts, entry)
            if not any(e.kind in _STRONG_BIO for e in bio_ev):
                continue  # a single name alone is never enough
            ev = [
                IdentityEvidence(
                    kind="name",
                    detail=(
                        f"single-token name {q.shown!r} equals roster name {entry.nama!r} "
                        f"(normalised {q.tokens[0]!r}; weak alone, kept because of the bio)"
                    ),
                    delta=MONONYM_CONFIDENCE,
                )
            ] + bio_ev
            candidates.append(self._candidate(entry, self._total(ev), 100.0, ev))
        if not candidates:
            return IdentityResult()
        candidates.sort(key=lambda c: (-c.confidence, -(c.name_score or 0.0), c.nip))
        top = candidates[0].confidence
        close = sum(1 for c in candidates if top - c.confidence <= self.ambiguity_margin + 1e-9)
        return IdentityResult(
            method="name", candidates=candidates[: self.max_candidates], ambiguous=close >= 2
        )

    @staticmethod
    def _total(evidence: list[IdentityEvidence]) -> float:
        total = sum(e.delta for e in evidence)
        return round(max(0.0, min(MAX_NAME_BASED_CONFIDENCE, total)), 4)

    @staticmethod
    def _candidate(
        entry: RosterEntry, confidence: float, score: float | None, evidence: list[IdentityEvidence]
    ) -> Candidate:
        return Candidate(
            nip=entry.nip,
            nama=entry.nama,
            instansi=entry.instansi,
            unit_kerja=entry.unit_kerja,
            jabatan=entry.jabatan,
            confidence=confidence,
            name_score=None if score is None else round(score, 2),
            evidence=evidence,
        )
