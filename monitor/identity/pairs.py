"""Name blocking with a recall guarantee: token-pair index + exact token neighbourhoods.

The name score is ``fuzz.ratio`` on the sorted tokens joined by spaces (``token_sort_ratio``):
``100 * (1 - D / (Lq + Le))`` with ``D`` the indel distance (insertions + deletions) between the
query string (length ``Lq``) and the entry string (length ``Le``). A score >= threshold ``t`` means
``D <= (1 - t) * (Lq + Le)``, and since ``D >= |Lq - Le|`` this gives ``D <= Dmax =
2 (1 - t) Lq / t`` (``Lq`` 12 -> 3, 18 -> 4, 22 -> 6 at 88).

**Index.** Every roster entry with 2+ tokens is stored under each unordered pair of its tokens
(positions, so "Bagus Bagus" has the pair (bagus, bagus); initials included): a dict from a pair of
token ids (one int) to the entry ids (an int, or a tuple when several). A pair of a first and a
last name is rare even in a 4.3M roster, unlike the single tokens (muhammad, siti, sri...), so no
cap on common tokens is needed and the work per query does not grow with the roster.

**Why looking up pairs loses no match.** Take an optimal alignment of the two strings that is
*token-aligned*: every query token's matched letters lie in one entry token and vice versa (the only
other alignments join or split tokens across a space, e.g. "abdul rahman" vs "abdulrahman"; joins of
two whole query tokens next to each other in the sorted string are looked up too, by running the
same search with the two joined, see :meth:`PairIndex.candidates`). Map each query token to the
entry token it is aligned with (M >= 2 of them can always be mapped, as both names have 2+ tokens)
with cost ``c = Indel(query token, entry token)``; an unmapped query token costs its length. The
costs add up to at most ``D``. So, for M mapped tokens, when the unmapped query tokens are at least
the ``m - M`` shortest ones: the cheapest mapped token has ``c1 <= (Dmax - unmapped) / M`` and the
next cheapest ``c2 <= (Dmax - unmapped - c1) / (M - 1)``; for M = 2 the unmapped ones are exactly
the other tokens. For every ordered pair of query tokens (i, j) the index is looked up with every
vocabulary token within ``c1`` of token i (:class:`~monitor.identity.neighbours.IndelNeighbours`,
exact) combined with every vocabulary token within the matching ``c2`` (>= ``c1``) of token j, for
the largest bound over M. The pair (cheapest, next cheapest) of the true alignment is among them, so
every entry that the exhaustive search finds above the threshold through a token-aligned alignment
is a candidate; candidates are then scored with the very same scorer. The documented exception: an
alignment that splits a query token over two entry tokens, or joins parts of tokens in other ways;
the sampled exhaustive check of ``bench/run.py`` measures it; ``tests/test_identity_recall.py``
checks the equality on a generated roster with edit-distance-2 typos and short tokens.

**Shortcuts that keep the guarantee.** When a token within ``c1`` of token i is held by at most
``SMALL_POSTING`` entries and would let token j be more than 2 away, or by fewer entries than
there are pair lookups to make for it, all its entries become candidates instead (a superset of
what the lookups would give). So the wide (radius >= 3) neighbourhoods, which need a scan of a few
length buckets of the vocabulary, are only computed next to very common tokens.

**Cost.** Memory: one dict item per distinct token pair (about 1.7 per entry) plus a compact
``array('I')`` posting per token; the build is one pass over the entries. Per query: a few hundred
dict lookups, independent of the roster size except through the size of pair postings. The entry
ids found for an ordered pair of query tokens and its budgets are kept in a bounded LRU
(``PAIR_CACHE`` keys, results of at most ``PAIR_CACHE_MAX_IDS`` ids), since display names repeat
tokens; the index is immutable after :meth:`finish`, so a cached result is exactly a fresh one.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from typing import Iterable, Sequence

from monitor.identity.neighbours import IndelNeighbours

__all__ = ["PairIndex", "max_distance"]

_SHIFT = 32
_EPS = 1e-9
SMALL_POSTING = 512  # a (nearly) exact token held by at most this many entries: score them all
MAX_ENTRY_TOKENS = 12  # pairs of at most the first 12 (sorted) tokens of an entry: 66 pairs
PAIR_CACHE = 65_536  # (token i, token j, budgets) -> entry ids, LRU, per index
PAIR_CACHE_MAX_IDS = 4_096  # larger results are recomputed rather than held


def max_distance(query_len: int, threshold: float) -> int:
    """Largest indel distance to any string that still scores >= ``threshold`` (0-100)."""
    t = threshold / 100.0
    if t <= 0:
        return 10**9
    return int(math.floor(2.0 * (1.0 - t) * query_len / t + _EPS))


class PairIndex:
    """Entries (token tuples, 2+ tokens) under every pair of their tokens."""

    def __init__(self) -> None:
        """Empty; :meth:`add` every entry, then :meth:`finish` once."""
        self._vocab: dict[str, int] = {}
        self._pairs: dict[int, object] = {}
        self._postings: list = []
        self.neighbours = IndelNeighbours([])
        # (token i, token j, budgets) -> entry ids; LRU by insertion order, small results only
        self._pair_cache: dict[tuple[str, str, tuple[tuple[int, int], ...]], tuple[int, ...]] = {}

    @classmethod
    def of(cls, token_lists: Iterable[Sequence[str]]) -> "PairIndex":
        """Index entry ``i`` = the ``i``-th token tuple (entries with fewer than 2 tokens are skipped)."""
        index = cls()
        add = index.add
        for i, tokens in enumerate(token_lists):
            add(i, tokens)
        index.finish()
        return index

    def add(self, i: int, tokens: Sequence[str]) -> None:
        """Index entry ``i`` under the pairs of its ``tokens`` (ignored when fewer than 2)."""
        if len(tokens) < 2:
            return
        vocab, pairs, postings = self._vocab, self._pairs, self._postings
        ids = []
        for t in tokens[:MAX_ENTRY_TOKENS]:
            k = vocab.get(t)
            if k is None:
                k = vocab[t] = len(postings)
                postings.append([i])
            elif postings[k][-1] != i:
                postings[k].append(i)
            ids.append(k)
        ids.sort()
        if len(ids) == 2:
            keys: Iterable[int] = ((ids[0] << _SHIFT) | ids[1],)
        else:
            keys = {(ids[a] << _SHIFT) | ids[b] for a in range(len(ids)) for b in range(a + 1, len(ids))}
        for key in keys:
            have = pairs.get(key)
            if have is None:
                pairs[key] = i
            elif type(have) is int:
                pairs[key] = [have, i]
            else:
                have.append(i)  # type: ignore[attr-defined]

    def finish(self) -> None:
        """Compact the postings and build the token neighbourhoods; no :meth:`add` afterwards."""
        pairs = self._pairs
        for key, have in pairs.items():
            if type(have) is list:
                pairs[key] = tuple(have)
        self._postings = [array("I", p) for p in self._postings]
        words = [""] * len(self._vocab)
        for w, k in self._vocab.items():
            words[k] = w
        self._vocab = {}
        self.neighbours = IndelNeighbours(words)
        self._pair_cache = {}

    def __len__(self) -> int:
        return len(self._pairs)

    def candidates(self, tokens: Sequence[str], threshold: float) -> set[int]:
        """Entry ids that may score >= ``threshold`` against the query ``tokens`` (2+ tokens,
        sorted as in the scored string)."""
        m = len(tokens)
        out: set[int] = set()
        if m < 2:
            return out
        dmax = max_distance(sum(len(t) for t in tokens) + m - 1, threshold)
        self._collect(tuple(tokens), dmax, out)
        if m >= 3:
            # one entry token aligned over two query tokens next to each other in the sorted
            # string ("rozana wati" ~ "ratnawati"): the same search with the two joined; the
            # joined alignment costs at most D - 1 (the space), so the budget still holds
            for k in range(m - 1):
                self._collect((*tokens[:k], tokens[k] + tokens[k + 1], *tokens[k + 2:]), dmax, out)
        return out

    def _collect(self, tokens: tuple[str, ...], dmax: int, out: set[int]) -> None:
        m = len(tokens)
        lens = [len(t) for t in tokens]
        total = sum(lens)
        # M >= 3 mapped tokens: budget after the m - M shortest tokens went unmapped
        shortest = sorted(lens)
        multi: list[tuple[int, int]] = []  # (budget Dm, M)
        dropped = 0
        for unmapped in range(0, m - 2):
            if unmapped:
                dropped += shortest[unmapped - 1]
            if dmax - dropped >= 0:
                multi.append((dmax - dropped, m - unmapped))
        cache = self._pair_cache
        for i in range(m):
            for j in range(m):
                if i == j:
                    continue
                d2 = dmax - (total - lens[i] - lens[j])  # M = 2: everything else unmapped
                budgets = tuple(multi) + (((d2, 2),) if d2 >= 0 else ())
                if not budgets:
                    continue
                key = (tokens[i], tokens[j], budgets)
                found = cache.pop(key, None)
                if found is None:
                    got = self._pair_candidates(tokens[i], tokens[j], budgets)
                    out.update(got)
                    if len(got) > PAIR_CACHE_MAX_IDS:
                        continue  # large results are cheap to rebuild from whole postings
                    found = tuple(got)
                    if len(cache) >= PAIR_CACHE:
                        try:
                            del cache[next(iter(cache))]  # least recently used
                        except (KeyError, RuntimeError, StopIteration):  # another thread got there
                            pass
                elif found:
                    out.update(found)
                cache[key] = found  # (re)inserted last: most recently used

    def _pair_candidates(self, ti: str, tj: str, budgets: tuple[tuple[int, int], ...]) -> set[int]:
        """Entries under (a token near ``ti``, a token near ``tj``) within ``budgets`` ((Dm, M)
        pairs, see the module docstring)."""
        into: set[int] = set()
        nb = self.neighbours
        pairs, postings = self._pairs, self._postings
        r1 = max(dm // mm for dm, mm in budgets)
        first = nb.within(ti, r1)
        if first:
            # caps[c1]: how far token j may be when token i is c1 away (never grows with c1)
            caps = [
                max(((dm - c1) // (mm - 1) for dm, mm in budgets if c1 * mm <= dm), default=-1)
                for c1 in range(r1 + 1)
            ]
            # A first-role token that leaves the other one far (> 2) and is held by few
            # entries: all of them are candidates, no need to look far around the other token.
            lookups: list[tuple[int, int, int]] = []
            for a, da in first:
                limit = caps[da]
                if limit < da:
                    break
                if limit > 2 and len(postings[a]) <= SMALL_POSTING:
                    into.update(postings[a])
                else:
                    lookups.append((a, da, limit))
            if lookups:
                second = nb.within(tj, max(limit for _a, _d, limit in lookups))
                dists = [d for _b, d in second]
                for a, da, limit in lookups:
                    lo = bisect_left(dists, da)
                    hi = bisect_right(dists, limit)
                    posting = postings[a]
                    if len(posting) <= hi - lo:  # fewer entries than pair lookups: take them all
                        into.update(posting)
                        continue
                    ka = a << _SHIFT
                    for b, _db in second[lo:hi]:
                        have = pairs.get(ka | b if a <= b else (b << _SHIFT) | a)
                        if have is None:
                            continue
                        if type(have) is int:
                            into.add(have)
                        else:
                            into.update(have)  # type: ignore[arg-type]
        return into
