"""Exact indel-distance neighbourhoods of a token in a fixed vocabulary.

``IndelNeighbours(words).within(token, radius)`` returns every vocabulary word ``w`` with
``Indel(token, w) <= radius`` (insertions + deletions; a substitution costs 2), with its exact
distance, nearest first. This is the token-level distance behind ``rapidfuzz.fuzz.ratio``, so the
name blocking (:mod:`monitor.identity.pairs`) can derive from the score threshold how far a token
may be from its counterpart and still allow a match, and look up exactly those tokens.

* A symmetric-deletion index. Every word is stored under each string obtained by deleting at most
  2 of its letters (with the number deleted). ``Indel(a, b) = x + y`` for a longest common
  subsequence ``s`` of ``a`` and ``b`` with ``x = |a| - |s|``, ``y = |b| - |s|``; looking up the
  token's deletions up to depth 3 finds every word with ``x <= 3`` and ``y <= 2``, each verified
  with the exact distance. For ``radius <= 2`` that is everything (``x + y <= 2``): complete, not
  a heuristic, at a cost set by the token's length, not by the vocabulary size.
* For a larger radius, the words the deletions cannot see (``x > 3`` or ``y > 2``) have a length
  difference ``|word| - |token| = y - x`` in a small set (radius 3: exactly +3): those length
  buckets of the vocabulary are scanned exactly (``rapidfuzz.process.extract`` with
  ``Indel.distance``). The blocking asks for radius >= 3 only when another token of the query is
  (nearly) exact and held by many entries.

Results are cached per token (at the largest radius asked; at most ``_CACHE_MAX`` tokens, oldest
evicted first, per instance so a rebuilt vocabulary starts empty), as display names reuse tokens.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Sequence

from rapidfuzz import process
from rapidfuzz.distance import Indel

__all__ = ["IndelNeighbours"]

_DEPTH = 2  # deletions indexed per vocabulary word
_QUERY_DEPTH = 3  # deletions looked up per token (beyond: scan of the few lengths left)
_CACHE_MAX = 200_000


def _deletion_depths(word: str, depth: int = _DEPTH) -> dict[str, int]:
    """Every string obtained by deleting at most ``depth`` letters of ``word`` -> fewest deletions."""
    out = {word: 0}
    frontier = [word]
    for d in range(1, depth + 1):
        nxt = []
        for w in frontier:
            for i in range(len(w)):
                s = w[:i] + w[i + 1 :]
                if s not in out:
                    out[s] = d
                    nxt.append(s)
        frontier = nxt
    return out


def _deletion_levels(word: str, depth: int) -> list[set[str]]:
    """``[{word}, strings with 1 letter deleted, ..., with ``depth`` deleted]`` (a string obtained
    by deleting ``x`` letters has length ``len(word) - x``, so the levels are disjoint)."""
    out = [{word}]
    frontier = out[0]
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out.append(frontier)
    return out


class IndelNeighbours:
    """Vocabulary words within an indel distance of a token, exactly. Thread-safe for lookups."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words: list[str] = list(words)
        self.ids: dict[str, int] = {w: i for i, w in enumerate(self.words)}
        # by_depth[y]: string -> ids of the words it is obtained from by deleting exactly y letters
        by_depth: list[dict[str, list[int]]] = [{} for _ in range(_DEPTH + 1)]
        for i, w in enumerate(self.words):
            for s, y in _deletion_depths(w).items():
                lst = by_depth[y].get(s)
                if lst is None:
                    by_depth[y][s] = [i]
                else:
                    lst.append(i)
        self._by_depth: list[dict[str, tuple[int, ...]]] = [
            {k: tuple(v) for k, v in d.items()} for d in by_depth
        ]
        order = sorted(range(len(self.words)), key=lambda i: (len(self.words[i]), i))
        self._len_ids = order
        self._len_words = [self.words[i] for i in order]
        self._len_lens = [len(w) for w in self._len_words]
        # token -> (radius it was computed for, neighbours sorted by distance)
        self._cache: dict[str, tuple[int, tuple[tuple[int, int], ...]]] = {}

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, token: object) -> bool:
        return token in self.ids

    def within(self, token: str, radius: int) -> tuple[tuple[int, int], ...]:
        """``(word id, distance)`` of every word with ``Indel(token, word) <= radius``, nearest first."""
        if radius < 0:
            return ()
        if radius == 0:
            i = self.ids.get(token)
            return ((i, 0),) if i is not None else ()
        hit = self._cache.get(token)
        if hit is not None and hit[0] >= radius:
            found = hit[1]
            if hit[0] == radius or not found or found[-1][1] <= radius:
                return found
            n = 0
            for n, (_i, d) in enumerate(found):  # noqa: B007
                if d > radius:
                    return found[:n]
            return found
        out = self._near(token, radius)
        cache = self._cache
        if len(cache) >= _CACHE_MAX and token not in cache:
            try:
                del cache[next(iter(cache))]  # oldest first (no reordering on the hot hit path)
            except (KeyError, RuntimeError, StopIteration):  # another thread got there
                pass
        cache[token] = (radius, out)
        return out

    def _near(self, token: str, radius: int) -> tuple[tuple[int, int], ...]:
        by_depth, words = self._by_depth, self.words
        distance = Indel.distance
        by_x = _deletion_levels(token, min(radius, _QUERY_DEPTH))
        best: dict[int, int] = {}
        seen: set[int] = set()
        for level in range(min(radius, _QUERY_DEPTH + _DEPTH) + 1):
            hits: set[int] = set()
            for x in range(max(0, level - _DEPTH), min(level, len(by_x) - 1) + 1):
                index = by_depth[level - x]
                # most deletions of a token are no vocabulary deletion: intersect in C first
                for s in index.keys() & by_x[x]:
                    hits.update(index[s])
            hits -= seen
            seen |= hits
            for i in hits:
                # the first level a word shows up at is its distance when <= 2 (every path with
                # x + y <= 2 is looked up); beyond, a path with x > 3 or y > 2 may be shorter
                best[i] = level if level <= _DEPTH else distance(token, words[i], score_cutoff=radius)
        # What the deletions above cannot see: x > 3 or y > 2 (with x + y <= radius). The length
        # difference |word| - |token| = y - x of such words takes only a few values: scan them.
        diffs = {y - x for x in range(radius + 1) for y in range(radius + 1 - x)
                 if x > _QUERY_DEPTH or y > _DEPTH}
        if diffs:
            n = len(token)
            lens, ids, lwords = self._len_lens, self._len_ids, self._len_words
            for lo_d, hi_d in _runs(sorted(diffs)):
                lo = bisect_left(lens, n + lo_d)
                hi = bisect_right(lens, n + hi_d)
                if lo >= hi:
                    continue
                for _w, d, pos in process.extract(
                    token, lwords[lo:hi], scorer=distance, score_cutoff=radius, limit=None
                ):
                    i = ids[lo + pos]
                    if int(d) < best.get(i, radius + 1):
                        best[i] = int(d)
        found = sorted((d, i) for i, d in best.items() if d <= radius)
        return tuple((i, d) for d, i in found)


def _runs(values: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted ints: [1, 2, 3, 6] -> [(1, 3), (6, 6)]."""
    out: list[tuple[int, int]] = []
    for v in values:
        if out and v == out[-1][1] + 1:
            out[-1] = (out[-1][0], v)
        else:
            out.append((v, v))
    return out
