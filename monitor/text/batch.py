"""Batch normalisation: ``normalize_many(texts) == [normalize(t) for t in texts]``, faster.

Most posts need only the character table and whitespace clean-up of ``normalize``: steps 2-5
(``$``/``@``/``#`` handling, letter runs, spaced-out letters, leetspeak) change nothing unless
the text holds one of their triggers. So a batch is processed as one joined string (texts
separated by NUL, which no translated text contains): one ``translate`` and a few ``replace``
passes give every text's table-and-whitespace form, and one RE2 pass (pyarrow) over the pieces
flags the texts that hold a trigger: ``$``, ``@`` or ``#``; a run of three identical letters;
three single-character tokens in a row; a leet digit between letters. Flagged texts, and texts
still non-ASCII after the Unicode stage, go through the full ``normalize`` steps. The triggers
are exactly the conditions under which those steps can change the text, so the result is
identical; ``tests/test_batch_equivalence.py`` checks it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from monitor.text.normalize import _ASCII_TABLE, _LEET, finish, stage1

__all__ = ["normalize_many"]

SEP = "\x00"  # deleted by both character tables, so it never occurs in stage-1 output
_BATCH_TABLE = {**_ASCII_TABLE, ord(SEP): SEP}
_SPACES = re.compile("  +")  # faster than " {2,}" in `re` (literal prefix)

_SINGLE = f"[a-z{_LEET}]"
# Any text this matches may be changed by steps 2-5 (RE2 syntax, ASCII text, single spaces).
_TRIGGERS = "|".join([
    "[$@#]",
    *(c * 3 for c in "abcdefghijklmnopqrstuvwxyz"),  # collapse: ([a-z])\1\1+
    f"(?:^| ){_SINGLE} {_SINGLE} {_SINGLE}(?: |$)",  # singles: 3+ one-character tokens
    f"[a-z][{_LEET}]{{1,3}}[a-z]",  # leet hint
])


def _flag_triggers(pieces: list[str]) -> list[bool]:
    """For each piece, whether it holds a trigger (every piece is flagged if RE2 is unavailable)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        return pc.match_substring_regex(pa.array(pieces, type=pa.string()), _TRIGGERS).to_pylist()
    except Exception:  # pragma: no cover - pyarrow without RE2: the full path is always exact
        return [True] * len(pieces)


def normalize_many(texts: Sequence[str]) -> list[str]:
    """``[normalize(t) for t in texts]``, computed batch-wise."""
    out = [""] * len(texts)
    where: list[int] = []
    firsts: list[str] = []  # raw ASCII texts, or the stage-1 output of non-ASCII ones (ASCII)
    for i, text in enumerate(texts):
        if not text:
            continue
        if text.isascii():
            where.append(i)
            firsts.append(text)
            continue
        s = stage1(text)
        if s.isascii():
            where.append(i)
            firsts.append(s)  # the table leaves stage-1 output unchanged
        else:
            out[i] = finish(s)
    if not firsts:
        return out
    joined = SEP.join(firsts)
    if joined.count(SEP) == len(firsts) - 1:
        joined = joined.translate(_BATCH_TABLE)
    else:  # a raw text holds a NUL: translate one by one (the table deletes it)
        joined = SEP.join(s.translate(_ASCII_TABLE) for s in firsts)
    # The only whitespace left is " ": collapse runs, strip each text = " ".join(s.split()).
    pieces = [p.strip(" ") for p in _SPACES.sub(" ", joined).split(SEP)]
    for k, flagged in enumerate(_flag_triggers(pieces)):
        out[where[k]] = finish(firsts[k].translate(_ASCII_TABLE)) if flagged else pieces[k]
    return out
