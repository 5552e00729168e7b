"""Typo-tolerant token lookup in constant time (symmetric-delete index).

Used to block name and agency candidates: a token of the query finds the vocabulary tokens equal
to it or one edit away (one letter inserted, deleted or substituted; most adjacent swaps too),
without scanning the vocabulary. The cost depends on the token's length, not on the vocabulary
size. The final decision is always made by a real similarity score afterwards, so this lookup
only has to be generous, not exact.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

__all__ = ["TokenVocab"]


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class TokenVocab:
    """Exact and edit-distance-1 lookup over a fixed set of tokens.

    ``min_fuzzy_len``: tokens shorter than this are looked up exactly only (short tokens have
    too many one-edit neighbours, and most of them are different names: Budi/Rudi, Rina/Rini).
    """

    def __init__(self, words: Iterable[str], *, min_fuzzy_len: int = 4) -> None:
        self.min_fuzzy_len = min_fuzzy_len
        self._words: frozenset[str] = frozenset(words)
        deletes: dict[str, list[str]] = defaultdict(list)
        for w in self._words:
            if len(w) >= min_fuzzy_len:
                for d in _deletes(w):
                    deletes[d].append(w)
        self._deletes: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in deletes.items()}

    def __contains__(self, token: object) -> bool:
        return token in self._words

    def __len__(self) -> int:
        return len(self._words)

    def exact(self, token: str) -> tuple[str, ...]:
        """``(token,)`` when it is in the vocabulary, else ``()``."""
        return (token,) if token in self._words else ()

    def lookup(self, token: str) -> tuple[str, ...]:
        """Vocabulary tokens equal to ``token`` or about one edit away (exact match first)."""
        found: dict[str, None] = {}
        if token in self._words:
            found[token] = None
        if len(token) < self.min_fuzzy_len:
            return tuple(found)
        words, deletes, min_len = self._words, self._deletes, self.min_fuzzy_len
        for w in deletes.get(token, ()):  # vocabulary word = token + one letter
            found[w] = None
        for d in _deletes(token):
            if d in words and len(d) >= min_len:  # vocabulary word = token - one letter
                found[d] = None
            for w in deletes.get(d, ()):  # one substitution (or adjacent swap)
                found[w] = None
        return tuple(found)
