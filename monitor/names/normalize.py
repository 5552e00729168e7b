"""Normalise Indonesian personal names for matching.

``normalize_name("Prof. Dr. H. Muhammad Yusuf, S.H., M.H.") == "muhammad yusuf"``

The result is a key for comparison, never for display. Steps, in order:

1. **Text folding**: HTML entities decoded (``&lt;`` from scraped lists), accents removed
   (NFKD), case folded, apostrophes dropped (``Ma'ruf`` -> ``maruf``). Every other character
   that is not a letter (punctuation, digits, emoji) separates tokens; non-Latin letters are kept.
2. **Title removal**, driven by the data file ``titles.txt`` (see its header for the three classes
   ``anywhere`` / ``suffix`` / ``prefix``). Titles are recognised with or without dots and spaces:
   pieces joined by dots are tried together, longest first (``S.Pd.I`` = ``spdi``,
   ``DRS.H.M.`` = ``drs`` + ``h`` + ``m``); after the first comma, pieces joined by plain spaces
   are tried together too (``S Pd I``, ``M Kes``), because everything after a comma is normally a
   list of degrees. Rules:

   * an ``anywhere`` title is removed wherever it stands;
   * a ``prefix`` title (``H.`` = Haji, ``Raden``, ``Pak``, ranks) is removed only in the leading
     run of titles, and only when at least one name token follows: ``H. Ali`` -> ``ali`` but a
     lone ``H`` stays ``h``; ``Budi H. Santoso`` keeps the initial ``h``;
   * a ``suffix`` degree (``SH``, ``SE``, ``MA``, ``MD``...) is removed when it is written with a
     dot or next to one (``S.H.``, ``SH.``, ``HAMID.SE``), or stands after the first comma, or is
     part of the bare run of titles that ends the name **and** at least two name tokens precede
     that run (``Budi Santoso SH MH`` -> ``budi santoso``, but ``Mahfud MD`` and ``Rina MS``
     keep what may be initials). A suffix degree is never removed before the first name token
     (``M.A. Yusuf`` keeps ``m a``).

   If removal would leave no name token at all, nothing is removed (the input was only titles,
   or a person's name happens to equal a title).
3. **Spelling folds** on each remaining token, in this order: ``oe``->``u``, ``dj``->``j``,
   ``tj``->``c``, ``sj``->``sy``, ``nj``->``ny``, ``ch``->``kh`` (the pre-1972 spelling still used
   in many names: Soekarno, Djunaidi, Tjahjo, Sjahrir, Pratignjo, Chairul). ``ch``->``kh`` is applied
   everywhere: it merges Chairul/Khairul and Achmad/Akhmad and, for Western names, turns
   Christian into "khristian" on both sides alike, which only costs a bit of readability of the
   key. ``nj``->``ny`` also rewrites modern ``nj`` (Panji -> "panyi") but does so consistently for
   both spellings of a name. The old ``j``->``y`` (Tjahjo = Cahyo) is NOT folded: it cannot be
   told apart from a modern ``j`` (Joko).
4. **Variant folding** from ``variants.txt``: Muhammad/Mohammad/Moch./Muh./Mhd... -> ``muhammad``,
   Achmad/Akhmad -> ``ahmad``, Abd. -> ``abdul``, Noer/Noor -> ``nur``...; the ``[leading]``
   section folds ``M.`` and ``HM`` to ``muhammad`` and ``St.`` to ``siti`` only as the first token
   and only before another name token. Single-letter initials are otherwise kept as they are.

All work is done with precompiled expressions and the data files are read once; results are
cached (:func:`functools.lru_cache`).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

__all__ = [
    "TitleClass",
    "fold_spelling",
    "is_title",
    "name_tokens",
    "normalize_name",
    "title_classes",
]

TitleClass = Literal["anywhere", "suffix", "prefix"]

_MAX_TITLE_PIECES = 5
_APOSTROPHES = dict.fromkeys(map(ord, "'\u2019\u2018`\u00b4\u02bc\u02b9"), None)
# One run of letters (any script, no digits or underscore) and the separator text after it.
_SEGMENT_RE = re.compile(r"([^\W\d_]+)([\W\d_]*)")
_DOT_SPACE_RE = re.compile(r"[.\s-]*")  # dots, spaces and hyphens only: "S.Pd.", "Dipl.-Ing."
_SPACE_RE = re.compile(r"\s+")
_SPELLING_FOLDS: tuple[tuple[str, str], ...] = (
    ("oe", "u"),
    ("dj", "j"),
    ("tj", "c"),
    ("sj", "sy"),
    ("nj", "ny"),
    ("ch", "kh"),
)


def _key(title: str) -> str:
    """The lookup key of a title as written: its letters, lower-cased (``S.Pd.I.`` -> ``spdi``)."""
    return "".join(ch for ch in title.casefold() if ch.isalpha())


def fold_spelling(token: str) -> str:
    """Apply the old-spelling folds (``oe``->``u``, ``dj``->``j``, ...) to one lower-case token."""
    for old, new in _SPELLING_FOLDS:
        if old in token:
            token = token.replace(old, new)
    return token


def _data_lines(filename: str):
    """Yield (section, line) pairs of a package data file, comments and blank lines removed."""
    text = resources.files("monitor.names").joinpath(filename).read_text(encoding="utf-8")
    section = ""
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        yield section, line


@lru_cache(maxsize=1)
def title_classes() -> dict[str, TitleClass]:
    """Title key -> class, loaded once from ``titles.txt``. Raises ValueError on a bad file."""
    classes: dict[str, TitleClass] = {}
    for section, line in _data_lines("titles.txt"):
        if section not in ("anywhere", "suffix", "prefix"):
            raise ValueError(f"titles.txt: unknown section [{section}]")
        for title in line.split():
            key = _key(title)
            if not key:
                continue
            previous = classes.get(key)
            if previous is not None and previous != section:
                raise ValueError(f"titles.txt: {title!r} is in [{previous}] and [{section}]")
            classes[key] = section  # type: ignore[assignment]
    return classes


@lru_cache(maxsize=1)
def _variants() -> tuple[dict[str, str], dict[str, str]]:
    """(anywhere, leading) variant maps from ``variants.txt``, keys already spelling-folded."""
    maps: dict[str, dict[str, str]] = {"anywhere": {}, "leading": {}}
    for section, line in _data_lines("variants.txt"):
        if section not in maps:
            raise ValueError(f"variants.txt: unknown section [{section}]")
        canonical, sep, rest = line.partition(":")
        if not sep:
            raise ValueError(f"variants.txt: line without ':': {line!r}")
        canonical = canonical.strip().casefold()
        for variant in rest.split():
            key = fold_spelling(variant.casefold())
            previous = maps[section].get(key)
            if previous is not None and previous != canonical:
                raise ValueError(f"variants.txt: {variant!r} folds to {previous!r} and {canonical!r}")
            if key != canonical:
                maps[section][key] = canonical
    return maps["anywhere"], maps["leading"]


def is_title(token: str) -> bool:
    """True when ``token`` (as written, dots allowed) is a title listed in ``titles.txt``."""
    return _key(token) in title_classes()


@dataclass(slots=True)
class _Segment:
    text: str
    dot_after: bool
    dot_before: bool
    join_next: Literal["dot", "space", None]
    after_comma: bool
    comma_after: bool


def _fold_text(name: str) -> str:
    if "&" in name:
        name = html.unescape(name)
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.casefold().translate(_APOSTROPHES)


def _segments(text: str) -> list[_Segment]:
    segs: list[_Segment] = []
    comma_seen = False
    dot_before = False
    for m in _SEGMENT_RE.finditer(text):
        word, sep = m.group(1), m.group(2)
        dot = "." in sep
        if not sep or sep.isspace():
            join: Literal["dot", "space", None] = "space"
        elif _DOT_SPACE_RE.fullmatch(sep) and (dot or "-" in sep):
            join = "dot"
        else:
            join = None
        comma = "," in sep
        segs.append(_Segment(word, dot, dot_before, join, comma_seen, comma))
        comma_seen = comma_seen or comma
        dot_before = join == "dot"
    return segs


def _strip_titles(segs: list[_Segment]) -> list[str]:
    """Remove titles from the segments of one name; return the remaining name tokens."""
    titles = title_classes()
    n = len(segs)
    out: list[str] = []
    # parallel to out: None for a name token, else the segment of a bare suffix degree
    bare_suffix: list[_Segment | None] = []
    i = 0
    while i < n:
        # how many following pieces may be tried together with segs[i]
        reach = i + 1
        while reach < n and reach - i < _MAX_TITLE_PIECES:
            link = segs[reach - 1].join_next
            if link == "dot" or (link == "space" and segs[reach].after_comma):
                reach += 1
            else:
                break
        decided = False
        for j in range(reach, i, -1):
            key = segs[i].text if j == i + 1 else "".join(s.text for s in segs[i:j])
            cls = titles.get(key)
            if cls is None:
                continue
            dotted = j > i + 1 or segs[i].dot_after or segs[i].dot_before
            if cls == "anywhere":
                i, decided = j, True
            elif cls == "prefix":
                if not out:
                    i, decided = j, True
            elif out:  # suffix: never before the first name token
                if dotted or segs[i].after_comma:
                    i, decided = j, True
                elif j == i + 1:
                    out.append(key)
                    bare_suffix.append(segs[i])
                    i, decided = j, True
            if decided:
                break
        if not decided:
            out.append(segs[i].text)
            bare_suffix.append(None)
            i += 1
    # A bare run of suffix degrees at the end goes when >= 2 name tokens come before it, or when
    # a comma follows it (``ISKANDAR SE, MM``: a list of degrees).
    end = len(out)
    while end and bare_suffix[end - 1] is not None:
        end -= 1
    if end < len(out) and end >= 1:
        last = bare_suffix[-1]
        if end >= 2 or (last is not None and last.comma_after):
            del out[end:]
    if not out:
        return [s.text for s in segs]
    return out


def _fold_tokens(tokens: list[str]) -> list[str]:
    anywhere, leading = _variants()
    folded = []
    for tok in tokens:
        tok = fold_spelling(tok)
        folded.append(anywhere.get(tok, tok))
    if len(folded) >= 2:
        folded[0] = leading.get(folded[0], folded[0])
    return folded


@lru_cache(maxsize=1 << 16)
def name_tokens(name: str) -> tuple[str, ...]:
    """The normalised tokens of a personal name, in their original order (may be empty)."""
    if not name:
        return ()
    segs = _segments(_fold_text(name))
    if not segs:
        return ()
    return tuple(_fold_tokens(_strip_titles(segs)))


def normalize_name(name: str) -> str:
    """A matching key for a personal name: titles removed, spelling folded, lower case.

    Tokens are separated by single spaces and keep their order (use a token-order-insensitive
    comparison such as ``rapidfuzz.fuzz.token_sort_ratio``). Returns ``""`` for an empty name.
    """
    return " ".join(name_tokens(name))
