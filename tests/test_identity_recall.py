"""The blocked name matching finds exactly what an exhaustive search finds.

Exhaustive = the index's own scorer (``fuzz.ratio`` on sorted tokens, i.e. token_sort_ratio) with
the same threshold over EVERY roster entry with 2+ name tokens. The roster is generated with a
small alphabet so names have many near neighbours (short tokens, initials, repeated tokens);
queries are roster names with one or two substitutions in one token (edit distance 2), letters
dropped or added, a token dropped, an initial added, and names made up from the same syllables.
"""

from __future__ import annotations

import random

import pytest
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from monitor.identity import IdentityIndex
from monitor.identity.neighbours import IndelNeighbours
from monitor.identity.pairs import max_distance
from monitor.models import Author, RosterEntry
from monitor.names import name_tokens

SYLL = ["ba", "bu", "di", "da", "ri", "ra", "sa", "si", "su", "to", "no", "wa", "ya", "ni", "an", "ar", "ul", "ma"]
COMMON = ["sri", "nur", "ahmad", "siti", "dewi", "muhammad", "budi", "agus"]
THRESHOLD = 88.0


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLL) for _ in range(rng.choice((1, 2, 2, 3, 3, 4, 5))))


def _name(rng: random.Random) -> list[str]:
    n = rng.choice((2, 2, 2, 3, 3, 4))
    toks = [rng.choice(COMMON) if rng.random() < 0.3 else _word(rng) for _ in range(n)]
    if rng.random() < 0.1:
        toks.insert(rng.randrange(len(toks) + 1), rng.choice("abcdhmrst"))  # an initial
    return toks


def _edit(tok: str, rng: random.Random, kind: str) -> str:
    letters = "abdhikmnorstuwy"
    if kind == "sub":
        i = rng.randrange(len(tok))
        return tok[:i] + rng.choice(letters) + tok[i + 1:]
    if kind == "del" and len(tok) > 1:
        i = rng.randrange(len(tok))
        return tok[:i] + tok[i + 1:]
    i = rng.randrange(len(tok) + 1)
    return tok[:i] + rng.choice(letters) + tok[i:]


def _query(toks: list[str], rng: random.Random) -> str:
    toks = list(toks)
    r = rng.random()
    k = rng.randrange(len(toks))
    if r < 0.25:  # edit distance 2 inside one token: two substitutions
        toks[k] = _edit(_edit(toks[k], rng, "sub"), rng, "sub")
    elif r < 0.4:  # one substitution
        toks[k] = _edit(toks[k], rng, "sub")
    elif r < 0.55:  # one substitution in two tokens
        j = rng.randrange(len(toks))
        toks[k] = _edit(toks[k], rng, "sub")
        toks[j] = _edit(toks[j], rng, "sub")
    elif r < 0.65:  # letters dropped (up to 3) or added (up to 2)
        for _ in range(rng.randint(1, 3)):
            toks[k] = _edit(toks[k], rng, "del")
    elif r < 0.72:
        for _ in range(rng.randint(1, 2)):
            toks[k] = _edit(toks[k], rng, "ins")
    elif r < 0.8 and len(toks) > 2:
        del toks[k]
    elif r < 0.86:
        toks.insert(rng.randrange(len(toks) + 1), rng.choice("abdhmrs"))
    else:
        rng.shuffle(toks)
    return " ".join(t.capitalize() for t in toks)


@pytest.fixture(scope="module")
def roster() -> tuple[list[RosterEntry], IdentityIndex]:
    rng = random.Random(20240214)
    names = [" ".join(_name(rng)) for _ in range(4000)]
    entries = [RosterEntry.model_construct(nip=f"{199001012015031000 + i:018d}", nama=nm.title(), instansi=None,
                                           unit_kerja=None, jabatan=None, atasan_nip=None, akun=[], email=None,
                                           telegram=None) for i, nm in enumerate(names)]
    return entries, IdentityIndex.build(entries, name_threshold=THRESHOLD)


def _exhaustive(entries: list[RosterEntry], tokens: tuple[str, ...]) -> dict[int, float]:
    sorted_names = {i: " ".join(sorted(name_tokens(e.nama))) for i, e in enumerate(entries)}
    multi = [i for i, s in sorted_names.items() if " " in s]
    return {multi[pos]: score for _c, score, pos in process.extract(
        " ".join(sorted(tokens)), [sorted_names[i] for i in multi], scorer=fuzz.ratio,
        score_cutoff=THRESHOLD, limit=None)}


def test_index_finds_exactly_what_the_exhaustive_search_finds(roster):
    entries, idx = roster
    rng = random.Random(7)
    queries = [_query(list(name_tokens(e.nama)), rng) for e in rng.sample(entries, 700)]
    queries += [" ".join(w.capitalize() for w in _name(rng)) for _ in range(150)]  # made-up names
    matched = far = 0
    for q in queries:
        tokens = name_tokens(q)
        if len(tokens) < 2:
            continue
        want = _exhaustive(entries, tokens)
        got = idx.name_scores(tokens)
        assert got == want, (q, {entries[i].nama: s for i, s in want.items() if i not in got})
        matched += bool(want)
        far += any(s < 93 for s in want.values())
        # the public result: its best candidate is an exhaustive best, with the same score
        r = idx.match("x", Author(handle="someone", name=q))
        if want:
            top = max(want.values())
            assert r.candidates[0].name_score == round(top, 2)
            assert r.candidates[0].nip in {entries[i].nip for i, s in want.items() if s == top}
        else:
            assert r.candidates == []
    assert matched >= 400 and far >= 50  # the check is not vacuous: many matches, many far ones


def test_neighbourhoods_are_exact():
    rng = random.Random(3)
    words = sorted({"".join(rng.choice("abdeiu") for _ in range(rng.randint(1, 11))) for _ in range(2500)})
    nb = IndelNeighbours(words)
    for _ in range(300):
        token = "".join(rng.choice("abdeiu") for _ in range(rng.randint(1, 11)))
        for radius in rng.sample(range(7), 7):  # any order: the cache keeps the largest radius
            want = sorted((i, Indel.distance(token, w)) for i, w in enumerate(words)
                          if Indel.distance(token, w) <= radius)
            assert sorted(nb.within(token, radius)) == want, (token, radius)


def test_max_distance_is_the_largest_allowed():
    for qlen in range(3, 40):
        d = max_distance(qlen, THRESHOLD)
        # some entry length reaches the threshold at distance d, none at d + 1
        assert any(100 * (1 - d / (qlen + le)) >= THRESHOLD for le in range(qlen - d, qlen + d + 1))
        assert not any(100 * (1 - (d + 1) / (qlen + le)) >= THRESHOLD
                       for le in range(qlen - d - 1, qlen + d + 2))
