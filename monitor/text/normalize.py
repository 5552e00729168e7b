"""Text normalisation shared by rule terms and post texts.

``normalize`` turns any string into a canonical, lower-case, space-separated token
stream so that one Aho-Corasick automaton can match rule terms on word boundaries,
whatever evasion spelling the author used. The same function is applied to rule
terms when rules are compiled, so a term always matches its own normalised form.

Steps (in this order):

1. Unicode: NFKC, casefold; then for non-ASCII text also NFKD, drop combining marks
   (accents: "ganjár" -> "ganjar"), zero-width/format/control characters, variation
   selectors and emoji skin-tone modifiers, then NFC again; a few Cyrillic/Greek
   look-alike letters are mapped to Latin ("prаbowo" with a Cyrillic a).
2. Characters: letters, digits and ``_`` stay; ``#`` and ``@`` stay only at the start
   of a token (hashtag, handle); ``@``/``$`` right after a letter and ``$`` right before
   a letter are read as "a"/"s" ("g@njar", "anie$"); emoji and other symbols
   (category So: ☝ ✌ 🤟) become tokens of their own; everything else is a space.
3. Runs of 3+ identical letters collapse to one ("aniesss" -> "anies"; "saat" stays),
   unless the run is the whole token: acronyms such as "PPP" stay "ppp".
4. Runs of 3+ single-letter tokens are joined ("p r a b o w o" -> "prabowo").
5. Leetspeak digits (0 1 3 4 5 7 -> o i e a s t) are folded in tokens with 3+ letters
   when the digit run (at most 3 digits) sits between letters ("pr4bowo"); a single
   digit at the token's edge is folded only if the token also has such an inner run
   ("4n1es"). Pure numbers ("02", "2024"), glued numbers ("paslon3", "1hari") and runs
   with other digits ("covid19") are left alone.
6. Whitespace is collapsed and stripped.

The function is idempotent and never raises on a ``str``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize"]

_LEET = "013457"
_LEET_TABLE = str.maketrans("013457", "oieast")

# Look-alike letters from other scripts that are used to dodge keyword filters.
_HOMOGLYPHS = {
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x",
}


def _build_unicode_tables() -> tuple[dict[int, str | None], str]:
    """Scan the code space once: what to delete/replace, and the So symbol class."""
    table: dict[int, str | None] = {}
    symbols: list[int] = []
    ranges = (range(0, 0x20000), range(0xE0000, 0xE1000))
    for block in ranges:
        for cp in block:
            ch = chr(cp)
            cat = unicodedata.category(ch)
            if cat in ("Mn", "Me", "Cf"):
                table[cp] = None
            elif cat == "Cc":
                table[cp] = " " if ch.isspace() else None
            elif cat == "So":
                symbols.append(cp)
    for cp in range(0x1F3FB, 0x1F400):  # emoji skin-tone modifiers (category Sk)
        table[cp] = None
    for src, dst in _HOMOGLYPHS.items():
        table[ord(src)] = dst
    return table, _char_class(symbols)


def _char_class(cps: list[int]) -> str:
    """Compress sorted code points into a regex character-class body of ranges."""
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        first, last = re.escape(chr(cps[i])), re.escape(chr(cps[j]))
        parts.append(first if i == j else f"{first}-{last}")
        i = j + 1
    return "".join(parts)


_UNICODE_TABLE, _SYMBOL_CLASS = _build_unicode_tables()

# ASCII fast path: lower-case, punctuation -> space, controls removed, in one translate.
_ASCII_TABLE: dict[int, str | None] = {}
for _cp in range(128):
    _ch = chr(_cp)
    if _ch.isalnum() or _ch in "#@$_":
        _ASCII_TABLE[_cp] = _ch.lower()
    elif _ch.isspace() or _ch.isprintable():
        _ASCII_TABLE[_cp] = " "
    else:
        _ASCII_TABLE[_cp] = None
del _cp, _ch

_SYMBOL_RE = re.compile(f"[{_SYMBOL_CLASS}]")
_OTHER_RE = re.compile(rf"[^\w\s#@${_SYMBOL_CLASS}]+")
_MARK_GLUED_RE = re.compile(r"(?<=\w)(?=[#@]\w)")  # '#'/'@' glued to a word: split off
_MARK_LONE_RE = re.compile(r"[#@](?!\w)")  # '#'/'@' not followed by a word char: drop


class _Patterns:
    """The letter-dependent patterns, compiled for one letter class.

    Two instances exist: an ASCII one (``[a-z]``, several times faster in ``re``) for
    the common case and a Unicode one for text that is still non-ASCII after step 1.
    """

    def __init__(self, letter: str) -> None:
        single = f"(?:{letter}|[{_LEET}])"
        self.letter = re.compile(letter)
        self.dollar = re.compile(rf"(?<={letter})\$|\$(?={letter})")
        self.at_after_letter = re.compile(rf"(?<={letter})@")
        self.repeat = re.compile(rf"({letter})\1\1+")
        # Run of 3+ single-char tokens; the text is padded with one space each side.
        self.singles = re.compile(rf" ({single}(?: {single}){{2,}})(?= )")
        self.leet_hint = re.compile(rf"{letter}[{_LEET}]{{1,3}}{letter}")
        self.leet_token = re.compile(rf"(?<!\S)(?=\S*?{letter}[{_LEET}]{{1,3}}{letter})\S+")
        self.leet_inner = re.compile(rf"(?<={letter})[{_LEET}]{{1,3}}(?={letter})")
        self.leet_edge = re.compile(rf"^[{_LEET}](?={letter})|(?<={letter})[{_LEET}]$")
        self.join_singles = self._join_singles  # bound once, used as re.sub callbacks
        self.fold_leet = self._fold_leet

    def collapse(self, s: str) -> str:
        """Collapse runs of 3+ identical letters, except a run that is a whole token."""
        return self.repeat.sub(_collapse_run, s)

    def _join_singles(self, m: re.Match[str]) -> str:
        """Join spaced-out letters ("p r 4 b o w o") when at least three are letters."""
        run = m.group(1)
        if len(self.letter.findall(run)) < 3:
            return m.group()
        return " " + self.collapse(run.replace(" ", ""))

    def _fold_leet(self, m: re.Match[str]) -> str:
        """Fold leet digits of one token that has a digit run between letters."""
        token = m.group()
        mark = token[0] if token[0] in "#@" else ""
        body = token[len(mark):]
        if len(self.letter.findall(body)) < 3:
            return token
        folded = self.leet_inner.sub(_leet_sub, body)
        folded = self.leet_edge.sub(_leet_sub, folded)
        folded = self.collapse(folded)
        if len(folded) < 2:  # never create a new single-letter token
            return token
        return mark + folded


def _collapse_run(m: re.Match[str]) -> str:
    """Keep one letter of a run, unless the run is a whole token ("ppp", "zzz")."""
    s, (start, end) = m.string, m.span()
    if (start and _is_word(s[start - 1])) or (end < len(s) and _is_word(s[end])):
        return m.group(1)
    return m.group()


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _leet_sub(m: re.Match[str]) -> str:
    return m.group().translate(_LEET_TABLE)


_ASCII = _Patterns("[a-z]")
_UNICODE = _Patterns(r"[^\W\d_]")


def _unicode_stage(text: str) -> str:
    """Full Unicode clean-up for non-ASCII input; returns lower-case text."""
    s = unicodedata.normalize("NFKC", text).casefold()
    s = unicodedata.normalize("NFKD", s).translate(_UNICODE_TABLE)
    s = unicodedata.normalize("NFC", s)
    if not s.isascii():
        s = _SYMBOL_RE.sub(r" \g<0> ", s)
        s = _OTHER_RE.sub(" ", s)
    return s.translate(_ASCII_TABLE)


def normalize(text: str) -> str:
    """Return the canonical matching form of ``text`` (see module docstring)."""
    if not text:
        return ""
    return finish(stage1(text))


def stage1(text: str) -> str:
    """Step 1 plus the character table: lower-case text made of letters, digits, ``_#@$``, spaces
    and (non-ASCII only) symbols. ``translate(_ASCII_TABLE)`` leaves its output unchanged."""
    return text.translate(_ASCII_TABLE) if text.isascii() else _unicode_stage(text)


def finish(s: str) -> str:
    """Steps 2-6 on the output of ``stage1``."""
    p = _ASCII if s.isascii() else _UNICODE
    if "$" in s:
        s = p.dollar.sub("s", s).replace("$", " ")
    if "@" in s or "#" in s:
        s = p.at_after_letter.sub("a", s)
        s = _MARK_GLUED_RE.sub(" ", s)
        s = _MARK_LONE_RE.sub(" ", s)
    s = p.collapse(s)
    s = p.singles.sub(p.join_singles, " " + " ".join(s.split()) + " ")
    if p.leet_hint.search(s):
        s = p.leet_token.sub(p.fold_leet, s)
    return s.strip()
