"""Evaluate identity matching (precision / recall) on a roster built from real published names.

    python bench/eval_identity.py [--names CSV] [--roster 20000] [--positives 3000]
                                  [--negatives 3000] [--seed 7] [--threshold 88] [--min-identity 0.5]

Names come from ``shared/eval/public_official_names.csv`` next to the repository (column
``name``: real candidate names as published, titles included); ``--names`` overrides it.

* The distinct names (distinct by normalised token set) are shuffled with ``random.Random(seed)``
  and split: a quarter is *held out* (never in the roster; the source of real negatives), the
  rest fills the roster of ``--roster`` entries, names kept exactly as published. If the file
  is too small, the roster is topped up with recombinations of its tokens. Every entry gets a
  valid, unique, fictional 18-digit NIP (birth 1960-1999, appointment >= birth + 20, gender 1/2
  from the ``gender`` column when present, sequence 001-999).
* Positives are display names derived from a roster member with one variation kind (see
  ``POSITIVE_KINDS``): the published name unchanged (``exact``, a control), titles dropped,
  reordered or abbreviated differently, first + last name only, ``Muh.``/``Moh.`` for Muhammad,
  ``H.``/``Hj.`` added or removed, one typo (swap / drop / duplicate a letter in one token),
  case changes, trailing emoji or ``| ASN`` decorations.
* Negatives: half are held-out real multi-token names (shown as published or as a display name),
  half are made-up recombinations of roster tokens whose token set is neither in the roster nor
  in the held-out part.

Decision per query, as the scorer does it (``min_identity``, default 0.5): no candidate or a top
confidence below ``min_identity`` is *no match*; an ambiguous result keeps its whole candidate
list (the scorer never filters a tie); otherwise the *best* candidate is the pick.

Outcomes for a positive: ``exact`` (best is the true NIP), ``listed`` (ambiguous, true NIP among
the candidates), ``amb_wrong`` (ambiguous, true NIP not listed: a false positive), ``wrong``
(another NIP picked: a false positive), ``miss`` (no match). A negative with any match is a false
positive. precision = (exact + listed) / (exact + listed + all false positives); the "picks"
precision counts only non-ambiguous picks. recall(exact) = exact / positives, recall(listed) =
(exact + listed) / positives. Single-token roster names cannot match on the name alone by
design (only with bio evidence); recall is also shown without them.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.identity import IdentityIndex  # noqa: E402
from monitor.models import Author, RosterEntry  # noqa: E402
from monitor.names import name_tokens  # noqa: E402
from monitor.names.normalize import is_title  # noqa: E402

DEFAULT_NAMES = Path(__file__).resolve().parents[1].parent / "shared/eval/public_official_names.csv"

POSITIVE_KINDS = (
    "exact",
    "no_titles",
    "titles_reordered",
    "titles_abbrev",
    "first_last",
    "muhammad",
    "haji",
    "typo",
    "case",
    "decoration",
)
NEGATIVE_KINDS = ("holdout_real", "recombined")

_MUHAMMAD = {"muhammad", "muhamad", "mohammad", "mohamad", "mochammad", "mochamad", "muhammad.",
             "moh.", "muh.", "moch.", "moh", "muh", "moch", "mohd.", "mohd", "muhamat"}
_MUHAMMAD_FORMS = ["Muh.", "Moh.", "Muhammad", "Mohammad", "Muh", "Moh"]
_HAJI = {"h.", "hj.", "hj", "hi.", "h", "hajah", "haji"}
_DECORATIONS = [" 🇮🇩", " ✨", " 🙏", " ✨🙏", " 🌸", " | ASN", " | ASN 🇮🇩", " | ASN Kemenag",
                " | PNS Pemda", " (ASN)", " - ASN Pemprov", " • ASN", " 🇮🇩 | ASN"]


@dataclass(frozen=True)
class Parsed:
    """A published name split into prefix titles, name words and suffix titles (original spelling)."""

    raw: str
    prefix: tuple[str, ...]
    words: tuple[str, ...]
    suffix: tuple[str, ...]


def parse_name(raw: str) -> Parsed:
    segments = [s.strip() for s in raw.split(",")]
    head = segments[0].split()
    prefix: list[str] = []
    while len(head) > 1 and is_title(head[0]):
        prefix.append(head.pop(0))
    suffix: list[str] = []
    while len(head) > 1 and "." in head[-1] and len(head[-1].strip(".")) >= 2 and is_title(head[-1]):
        suffix.insert(0, head.pop())
    words = list(head)
    for seg in segments[1:]:
        toks = seg.split()
        if not toks:
            continue
        if all(is_title(t) for t in toks):
            suffix.extend(toks)
        else:  # a name part after a comma ("Merry Arifin, B")
            words.extend(toks)
    return Parsed(raw, tuple(prefix), tuple(words), tuple(suffix))


def _compose(prefix, words, suffix) -> str:
    out = " ".join([*prefix, *words])
    if suffix:
        out += ", " + ", ".join(suffix)
    return out


# ---------------------------------------------------------------- positive variations


def _v_exact(p: Parsed, rng: random.Random, gender: str) -> str | None:
    return p.raw


def _v_no_titles(p: Parsed, rng, gender) -> str | None:
    if not (p.prefix or p.suffix):
        return None
    return " ".join(p.words)


def _v_titles_reordered(p: Parsed, rng, gender) -> str | None:
    titles = [*p.prefix, *p.suffix]
    if not titles:
        return None
    if p.suffix and (not p.prefix or rng.random() < 0.5):  # suffix titles moved to the front
        return " ".join([*p.prefix, *p.suffix, *p.words])
    if len(titles) >= 2 and rng.random() < 0.5:  # shuffled titles, all after the name
        shuffled = titles[:]
        rng.shuffle(shuffled)
        return _compose((), p.words, shuffled)
    return _compose((), p.words, titles)  # prefix titles moved behind the name


def _reabbreviate(title: str, rng: random.Random) -> str:
    core = title.rstrip(".")
    choice = rng.randrange(4)
    if choice == 0 and "." in title:
        return title.replace(".", "")  # S.Pd. -> SPd
    if choice == 1 and "." not in title and len(core) >= 2:
        return ".".join(core) + "."  # SH -> S.H.
    if choice == 2:
        return title.lower() if title != title.lower() else title.upper()
    return core.capitalize() if core != core.capitalize() else core.upper()


def _v_titles_abbrev(p: Parsed, rng, gender) -> str | None:
    if not (p.prefix or p.suffix):
        return None
    pre = tuple(_reabbreviate(t, rng) for t in p.prefix)
    suf = tuple(_reabbreviate(t, rng) for t in p.suffix)
    if rng.random() < 0.5:  # titles separated by spaces instead of commas
        return " ".join([*pre, *p.words, *suf])
    return _compose(pre, p.words, suf)


def _v_first_last(p: Parsed, rng, gender) -> str | None:
    if len(p.words) < 3:
        return None
    return f"{p.words[0]} {p.words[-1]}"


def _v_muhammad(p: Parsed, rng, gender) -> str | None:
    idx = [i for i, w in enumerate(p.words) if w.lower() in _MUHAMMAD]
    if not idx:
        return None
    i = idx[0]
    forms = [f for f in _MUHAMMAD_FORMS if f.lower() != p.words[i].lower()]
    words = list(p.words)
    words[i] = rng.choice(forms)
    if p.words[i].isupper():
        words[i] = words[i].upper()
    prefix = p.prefix if rng.random() < 0.5 else ()
    return _compose(prefix, words, p.suffix if prefix else ())


def _v_haji(p: Parsed, rng, gender) -> str | None:
    if any(t.lower() in _HAJI for t in p.prefix):
        prefix = tuple(t for t in p.prefix if t.lower() not in _HAJI)
        return _compose(prefix, p.words, p.suffix)
    female = gender == "P" if gender in ("L", "P") else rng.random() < 0.5
    title = "Hj." if female else "H."
    return _compose((title, *p.prefix), p.words, p.suffix)


def typo(word: str, rng: random.Random) -> str:
    """One typo in ``word``: swap two adjacent letters, drop one or duplicate one."""
    letters = [i for i, ch in enumerate(word) if ch.isalpha()]
    if len(letters) < 2:
        return word
    for _ in range(10):
        kind = rng.randrange(3)
        i = rng.choice(letters)
        if kind == 0 and i + 1 < len(word) and word[i + 1].isalpha() and word[i + 1].lower() != word[i].lower():
            out = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        elif kind == 1:
            out = word[:i] + word[i + 1:]
        else:
            out = word[:i] + word[i] + word[i:]
        if out.lower() != word.lower():
            return out
    return word[:letters[0]] + word[letters[0]] + word[letters[0]:]


def _display_base(p: Parsed, rng: random.Random) -> tuple[str, ...]:
    return p.words if rng.random() < 0.6 else (*p.prefix, *p.words)


def _v_typo(p: Parsed, rng, gender) -> str | None:
    idx = [i for i, w in enumerate(p.words) if sum(ch.isalpha() for ch in w) >= 4]
    if not idx:
        return None
    words = list(p.words)
    i = rng.choice(idx)
    words[i] = typo(words[i], rng)
    return " ".join(words) if rng.random() < 0.6 else _compose(p.prefix, words, p.suffix)


def _v_case(p: Parsed, rng, gender) -> str | None:
    base = " ".join(_display_base(p, rng))
    options = [base.upper(), base.lower(), base.title(),
               " ".join(w.lower() if k % 2 else w.upper() for k, w in enumerate(base.split()))]
    options = [o for o in options if o != base]
    return rng.choice(options) if options else None


def _v_decoration(p: Parsed, rng, gender) -> str | None:
    base = " ".join(_display_base(p, rng))
    if rng.random() < 0.5:
        base = base.title()
    return base + rng.choice(_DECORATIONS)


_VARIANTS = {
    "exact": _v_exact,
    "no_titles": _v_no_titles,
    "titles_reordered": _v_titles_reordered,
    "titles_abbrev": _v_titles_abbrev,
    "first_last": _v_first_last,
    "muhammad": _v_muhammad,
    "haji": _v_haji,
    "typo": _v_typo,
    "case": _v_case,
    "decoration": _v_decoration,
}


# ---------------------------------------------------------------- roster


def load_names(path: Path) -> list[tuple[str, str]]:
    """(name, gender L/P/"") rows of the CSV; a clear error when it is missing."""
    if not path.is_file():
        raise SystemExit(
            f"names file not found: {path}\n"
            "expected a CSV with a 'name' column (real published names); pass --names PATH"
        )
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "name" not in reader.fieldnames:
            raise SystemExit(f"{path}: no 'name' column (columns: {reader.fieldnames})")
        return [((row["name"] or "").strip(), (row.get("gender") or "").strip().upper())
                for row in reader if (row.get("name") or "").strip()]


def _key(name: str) -> tuple[str, ...]:
    return tuple(sorted(name_tokens(name)))


def make_nips(n: int, rng: random.Random, genders: list[str]) -> list[str]:
    """``n`` unique valid fictional NIPs (birth 1960-1999, appointment >= birth + 20)."""
    seen: set[str] = set()
    out: list[str] = []
    for k in range(n):
        while True:
            year = rng.randint(1960, 1999)
            month = rng.randint(1, 12)
            day = rng.randint(1, 28)
            a_year = rng.randint(year + 20, min(year + 40, 2024))
            a_month = rng.randint(1, 12)
            g = genders[k] if k < len(genders) else ""
            gender = "2" if g == "P" else "1" if g == "L" else rng.choice("12")
            nip = f"{year:04d}{month:02d}{day:02d}{a_year:04d}{a_month:02d}{gender}{rng.randint(1, 999):03d}"
            if nip not in seen:
                seen.add(nip)
                out.append(nip)
                break
    return out


def _recombine(pool: list[Parsed], rng: random.Random) -> tuple[str, ...]:
    multi = [p for p in pool if len(p.words) >= 2]
    a, b = rng.choice(multi), rng.choice(multi)
    if rng.random() < 0.5 or len(a.words) < 3:
        words = (a.words[0], b.words[-1])
    else:
        words = (a.words[0], b.words[-2], b.words[-1])
    return words


@dataclass
class Query:
    author: Author
    kind: str
    true_nip: str | None  # None for negatives
    true_name: str | None
    single_token: bool = False


@dataclass
class KindStats:
    n: int = 0
    exact: int = 0
    listed: int = 0
    amb_wrong: int = 0
    wrong: int = 0
    miss: int = 0
    ambiguous: int = 0
    matched: int = 0  # negatives: any match


@dataclass
class Report:
    roster_size: int
    roster_topped_up: int
    positives: int
    negatives: int
    exact: int
    listed: int
    amb_wrong: int
    wrong: int
    miss: int
    pos_ambiguous: int
    neg_fp: int
    neg_ambiguous: int
    single_token_positives: int
    single_token_hits: int
    precision: float
    precision_picks: float
    recall_exact: float
    recall_listed: float
    recall_exact_multi: float
    recall_listed_multi: float
    ambiguity_rate: float
    neg_fp_rate: float
    build_s: float
    match_s: float
    queries_per_s: float
    per_kind: dict[str, KindStats] = field(default_factory=dict)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, display, roster name)
    false_positives: list[tuple[str, str, str, str]] = field(default_factory=list)  # + (how)


def build_roster(
    rows: list[tuple[str, str]], roster_size: int, rng: random.Random, holdout_share: float = 0.25
) -> tuple[list[RosterEntry], list[tuple[str, str]], set[tuple[str, ...]], int]:
    """(roster entries, held-out rows, keys of every name in the file, recombinations added)."""
    by_key: dict[tuple[str, ...], tuple[str, str]] = {}
    for name, gender in rows:
        k = _key(name)
        if k and k not in by_key:
            by_key[k] = (name, gender)
    keys = list(by_key)
    rng.shuffle(keys)
    n_hold = max(1, int(len(keys) * holdout_share))
    held = [by_key[k] for k in keys[:n_hold]]
    pool = [by_key[k] for k in keys[n_hold:]]
    chosen = pool[:roster_size]
    topped = 0
    used = set(by_key)
    parsed_pool = [parse_name(n) for n, _ in pool] or [parse_name(n) for n, _ in held]
    while len(chosen) < roster_size:
        words = _recombine(parsed_pool, rng)
        donor = rng.choice(parsed_pool)
        name = _compose(donor.prefix, tuple(w.title() if rng.random() < 0.5 else w for w in words), donor.suffix)
        k = _key(name)
        if k in used or len(k) < 2:
            continue
        used.add(k)
        chosen.append((name, ""))
        topped += 1
    nips = make_nips(len(chosen), rng, [g for _, g in chosen])
    entries = [RosterEntry(nip=nip, nama=name) for nip, (name, _g) in zip(nips, chosen)]
    return entries, held, used, topped


def make_queries(
    entries: list[RosterEntry],
    genders: dict[str, str],
    held: list[tuple[str, str]],
    all_keys: set[tuple[str, ...]],
    n_pos: int,
    n_neg: int,
    rng: random.Random,
) -> list[Query]:
    queries: list[Query] = []
    parsed = {e.nip: parse_name(e.nama) for e in entries}
    for k in range(n_pos):
        e = entries[rng.randrange(len(entries))]
        p = parsed[e.nip]
        kinds = list(POSITIVE_KINDS)
        rng.shuffle(kinds)
        for kind in kinds:
            shown = _VARIANTS[kind](p, rng, genders.get(e.nip, ""))
            if shown and shown.strip():
                break
        else:  # pragma: no cover - "exact" always applies
            kind, shown = "exact", e.nama
        queries.append(Query(Author(id=f"p{k}", handle=f"user_p{k}", name=shown), kind, e.nip, e.nama,
                             single_token=len(name_tokens(e.nama)) < 2))
    held_multi = [n for n, _ in held if len(name_tokens(n)) >= 2]
    roster_parsed = list(parsed.values())
    n_real = n_neg // 2 if held_multi else 0
    rng.shuffle(held_multi)
    for k in range(n_neg):
        if k < n_real:
            raw = held_multi[k % len(held_multi)]
            p = parse_name(raw)
            shown = raw if rng.random() < 0.5 else " ".join(p.words)
            if rng.random() < 0.3:
                shown = shown.title()
            kind = "holdout_real"
        else:
            for _attempt in range(200):
                words = _recombine(roster_parsed, rng)
                if _key(" ".join(words)) not in all_keys:
                    break
            else:  # every pair exists (tiny roster): splice two words into a made-up one
                a, b = rng.choice(roster_parsed).words[-1], rng.choice(roster_parsed).words[-1]
                words = (*words[:-1], a[: max(2, len(a) // 2)] + b[len(b) // 2:].lower() + "o")
            shown = " ".join(words)
            if rng.random() < 0.5:
                shown = shown.title()
            kind = "recombined"
        queries.append(Query(Author(id=f"n{k}", handle=f"user_n{k}", name=shown), kind, None, None))
    return queries


def evaluate_entries(
    entries: list[RosterEntry],
    queries: list[Query],
    *,
    threshold: float = 88.0,
    min_identity: float = 0.5,
    n_examples: int = 10,
    roster_topped_up: int = 0,
) -> Report:
    t0 = time.perf_counter()
    index = IdentityIndex.build(entries, name_threshold=threshold)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    results = [index.match("x", q.author) for q in queries]
    match_s = time.perf_counter() - t0

    per_kind: dict[str, KindStats] = {k: KindStats() for k in (*POSITIVE_KINDS, *NEGATIVE_KINDS)}
    c = Counter()
    misses: list[tuple[str, str, str]] = []
    fps: list[tuple[str, str, str, str]] = []
    for q, res in zip(queries, results):
        st = per_kind[q.kind]
        st.n += 1
        shown = q.author.name or ""
        matched = bool(res.candidates) and res.candidates[0].confidence >= min_identity
        ambiguous = matched and res.ambiguous
        if ambiguous:
            st.ambiguous += 1
        if q.true_nip is None:  # negative
            c["neg"] += 1
            if matched:
                st.matched += 1
                c["neg_fp"] += 1
                c["neg_amb"] += ambiguous
                top = res.candidates[0]
                fps.append((q.kind, shown, top.nama, f"{'ambiguous ' if ambiguous else ''}"
                            f"conf {top.confidence:.2f} score {top.name_score}"))
            continue
        c["pos"] += 1
        c["single"] += q.single_token
        c["amb"] += ambiguous
        if not matched:
            outcome = "miss"
            if not q.single_token:  # single-token roster names miss by design: listed apart
                misses.append((q.kind, shown, q.true_name or ""))
        elif ambiguous:
            listed = q.true_nip in {cand.nip for cand in res.candidates}
            outcome = "listed" if listed else "amb_wrong"
            if not listed:
                fps.append((q.kind, shown, res.candidates[0].nama,
                            f"ambiguous, true {q.true_name!r} not listed"))
        elif res.candidates[0].nip == q.true_nip:
            outcome = "exact"
        else:
            outcome = "wrong"
            top = res.candidates[0]
            fps.append((q.kind, shown, top.nama,
                        f"picked instead of {q.true_name!r} (conf {top.confidence:.2f} score {top.name_score})"))
        c[outcome] += 1
        setattr(st, outcome, getattr(st, outcome) + 1)
        if q.single_token and outcome in ("exact", "listed"):
            c["single_hit"] += 1
            c["single_exact"] += outcome == "exact"

    pos, neg = c["pos"], c["neg"]
    tp = c["exact"] + c["listed"]
    fp = c["amb_wrong"] + c["wrong"] + c["neg_fp"]
    picks_fp = c["wrong"] + (c["neg_fp"] - c["neg_amb"])
    multi = pos - c["single"]

    def ratio(a: float, b: float) -> float:
        return a / b if b else 0.0

    return Report(
        roster_size=len(entries),
        roster_topped_up=roster_topped_up,
        positives=pos,
        negatives=neg,
        exact=c["exact"],
        listed=c["listed"],
        amb_wrong=c["amb_wrong"],
        wrong=c["wrong"],
        miss=c["miss"],
        pos_ambiguous=c["amb"],
        neg_fp=c["neg_fp"],
        neg_ambiguous=c["neg_amb"],
        single_token_positives=c["single"],
        single_token_hits=c["single_hit"],
        precision=ratio(tp, tp + fp),
        precision_picks=ratio(c["exact"], c["exact"] + picks_fp),
        recall_exact=ratio(c["exact"], pos),
        recall_listed=ratio(tp, pos),
        recall_exact_multi=ratio(c["exact"] - c["single_exact"], multi),
        recall_listed_multi=ratio(tp - c["single_hit"], multi),
        ambiguity_rate=ratio(c["amb"], pos),
        neg_fp_rate=ratio(c["neg_fp"], neg),
        build_s=build_s,
        match_s=match_s,
        queries_per_s=ratio(len(queries), match_s),
        per_kind=per_kind,
        misses=misses[:n_examples],
        false_positives=fps[:n_examples],
    )


def evaluate(
    rows: list[tuple[str, str]] | list[str],
    *,
    roster_size: int = 20_000,
    n_pos: int = 3_000,
    n_neg: int = 3_000,
    seed: int = 7,
    threshold: float = 88.0,
    min_identity: float = 0.5,
    n_examples: int = 10,
) -> Report:
    """The whole evaluation on ``rows`` ((name, gender) pairs or plain names)."""
    rows = [(r, "") if isinstance(r, str) else r for r in rows]
    rng = random.Random(seed)
    entries, held, all_keys, topped = build_roster(rows, roster_size, rng)
    genders = {}
    gender_of = dict(rows)
    for e in entries:
        genders[e.nip] = gender_of.get(e.nama, "")
    queries = make_queries(entries, genders, held, all_keys, n_pos, n_neg, rng)
    rep = evaluate_entries(entries, queries, threshold=threshold, min_identity=min_identity,
                           n_examples=n_examples, roster_topped_up=topped)
    return rep


def print_report(rep: Report, *, source: str, elapsed: float) -> None:
    print(f"names: {source}")
    print(f"roster: {rep.roster_size:,} entries ({rep.roster_topped_up:,} recombined to fill it); "
          f"index build {rep.build_s:.2f} s")
    print(f"queries: {rep.positives:,} positives, {rep.negatives:,} negatives; "
          f"{rep.queries_per_s:,.0f} queries/s ({rep.match_s:.2f} s matching)")
    print()
    print(f"precision            {rep.precision:6.1%}   (exact+listed vs. all false positives)")
    print(f"precision (picks)    {rep.precision_picks:6.1%}   (non-ambiguous picks only)")
    print(f"recall (exact)       {rep.recall_exact:6.1%}   (true NIP picked, not ambiguous)")
    print(f"recall (listed)      {rep.recall_listed:6.1%}   (picked, or among ambiguous candidates)")
    multi = rep.positives - rep.single_token_positives
    print(f"  without single-token roster names ({rep.single_token_positives:,} of {rep.positives:,} "
          f"positives, unmatchable on the name alone by design): "
          f"exact {rep.recall_exact_multi:.1%}, listed {rep.recall_listed_multi:.1%} of {multi:,}")
    print(f"ambiguity rate       {rep.ambiguity_rate:6.1%}   (positives with an ambiguous match)")
    print(f"negatives FP rate    {rep.neg_fp_rate:6.1%}   ({rep.neg_fp:,} of {rep.negatives:,} "
          f"negatives matched, {rep.neg_ambiguous:,} of them ambiguous)")
    print(f"positives outcome    exact {rep.exact:,} | listed {rep.listed:,} | ambiguous-wrong "
          f"{rep.amb_wrong:,} | wrong pick {rep.wrong:,} | miss {rep.miss:,}")
    print()
    print(f"{'kind':<18}{'n':>6}{'exact':>8}{'listed':>8}{'amb':>7}{'wrong':>7}{'miss':>7}")
    for kind in POSITIVE_KINDS:
        st = rep.per_kind[kind]
        if not st.n:
            continue
        print(f"{kind:<18}{st.n:>6}{st.exact / st.n:>8.1%}{(st.exact + st.listed) / st.n:>8.1%}"
              f"{st.ambiguous / st.n:>7.1%}{(st.wrong + st.amb_wrong) / st.n:>7.1%}{st.miss / st.n:>7.1%}")
    for kind in NEGATIVE_KINDS:
        st = rep.per_kind[kind]
        if st.n:
            print(f"{kind:<18}{st.n:>6}   false-positive rate {st.matched / st.n:.1%}")
    print()
    print(f"example misses ({len(rep.misses)}, multi-token roster names only):")
    for kind, shown, roster in rep.misses:
        print(f"  [{kind}] {shown!r}  <- roster {roster!r}")
    print(f"example false positives ({len(rep.false_positives)}):")
    for kind, shown, roster, how in rep.false_positives:
        print(f"  [{kind}] {shown!r}  -> roster {roster!r}  ({how})")
    print(f"\ntotal runtime {elapsed:.1f} s")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--names", type=Path, default=DEFAULT_NAMES, help="CSV with a 'name' column")
    ap.add_argument("--roster", type=int, default=20_000)
    ap.add_argument("--positives", type=int, default=3_000)
    ap.add_argument("--negatives", type=int, default=3_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threshold", type=float, default=88.0)
    ap.add_argument("--min-identity", type=float, default=0.5)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = load_names(args.names)
    rep = evaluate(rows, roster_size=args.roster, n_pos=args.positives, n_neg=args.negatives,
                   seed=args.seed, threshold=args.threshold, min_identity=args.min_identity)
    print_report(rep, source=f"{len(rows):,} rows from {args.names}", elapsed=time.perf_counter() - t0)


if __name__ == "__main__":
    main()
