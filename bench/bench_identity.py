"""Benchmark identity matching: blocked IdentityIndex vs a naive scan of the whole roster.

    python bench/bench_identity.py [--names PATH] [--sizes 10000 100000] [--queries 20000]

Rosters are drawn from the real published names in ``/work/shared/eval/public_official_names.csv``
when present (recombined into new first/last-name pairs beyond the ~29.7k real names, with
titles kept), otherwise synthesised from a small built-in syllable list. Queries are a mix of
40% roster names without titles (display-name style), 30% roster names with one typo and 30%
names that are not in the roster. The naive baseline is ``rapidfuzz.process.extractOne`` with
``token_sort_ratio`` over every normalised roster name, i.e. what you would write without
blocking. "same entries as the exhaustive search" is the share of the naive sample where, for every
name the index tries, it finds exactly the entries (and scores) that the same scorer and threshold
find over every multi-token roster entry.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import fuzz, process  # noqa: E402

from monitor.identity import IdentityIndex  # noqa: E402
from monitor.models import Author, RosterEntry  # noqa: E402
from monitor.names import name_tokens, normalize_name  # noqa: E402

DEFAULT_NAMES = Path("/work/shared/eval/public_official_names.csv")
_SYLLABLES = "ba bu di da ri ra sa si su to no wa ya ni ti ka ko ma mu ha he an in ar ul".split()
_PREFIXES = ["", "", "", "Drs. ", "H. ", "Hj. ", "Ir. ", "Dr. "]
_SUFFIXES = ["", "", "", ", S.Pd", ", S.H., M.H.", ", SE", ", S.Sos", ", M.Si"]
_AGENCY_TOPICS = ["Pendidikan", "Kesehatan", "Perhubungan", "Pertanian", "Sosial", "Pariwisata",
                  "Perindustrian", "Koperasi", "Lingkungan Hidup", "Kependudukan dan Pencatatan Sipil"]
_REGIONS = [f"Kabupaten {w}" for w in ("Sukamaju", "Sukadana", "Mekarsari", "Tanjung Harapan", "Batu Putih",
                                          "Sungai Raya", "Bukit Hijau", "Pantai Indah", "Air Mancur", "Rawa Indah")]
_REGIONS += [r.replace("Kabupaten", "Kota") for r in _REGIONS] + [f"Provinsi {w}" for w in ("Timur", "Barat", "Tengah")]


def _synthetic_names(n: int, rng: random.Random) -> list[str]:
    def word() -> str:
        return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()

    return [f"{rng.choice(_PREFIXES)}{word()} {word()}{rng.choice(_SUFFIXES)}" for _ in range(n)]


def _load_names(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        return [row["name"] for row in csv.DictReader(fh) if row.get("name")]


def _roster_names(real: list[str], size: int, rng: random.Random) -> list[str]:
    if not real:
        return _synthetic_names(size, rng)
    names = list(real)
    rng.shuffle(names)
    if size <= len(names):
        return names[:size]
    multi = [t for t in (name_tokens(n) for n in real) if len(t) >= 2]
    out = names
    while len(out) < size:
        a, b = rng.choice(multi), rng.choice(multi)
        tokens = [a[0], *b[1:]] if rng.random() < 0.5 else [a[0], b[-1]]
        out.append(f"{rng.choice(_PREFIXES)}{' '.join(t.capitalize() for t in tokens)}{rng.choice(_SUFFIXES)}")
    return out


def _typo(text: str, rng: random.Random) -> str:
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if not letters:
        return text
    i = rng.choice(letters)
    return text[:i] + rng.choice("aeiouyhkmnrst") + text[i + 1 :]


def _queries(
    roster: list[str], outsiders: list[str], n: int, rng: random.Random
) -> list[tuple[Author, int | None, str]]:
    """(author, roster position it was drawn from or None, kind)."""
    out = []
    for k in range(n):
        r = rng.random()
        pos: int | None = rng.randrange(len(roster))
        if r < 0.4:
            name, kind = " ".join(t.capitalize() for t in name_tokens(roster[pos])), "exact"
        elif r < 0.7:
            name, kind = _typo(" ".join(name_tokens(roster[pos])), rng), "typo"
        else:
            name, kind, pos = rng.choice(outsiders), "outsider", None
        out.append((Author(id=str(k), handle=f"user{k}", name=name), pos, kind))
    return out


def bench(size: int, real: list[str], n_queries: int, n_naive: int, threshold: float, seed: int) -> None:
    rng = random.Random(seed)
    names = _roster_names(real, size, rng)
    held_out = set(names)
    outsiders = [x for x in _synthetic_names(5000, rng) if x not in held_out]
    agencies = [f"Dinas {a} {b}" for a in _AGENCY_TOPICS for b in _REGIONS]
    entries = [
        RosterEntry(nip=f"{i:018d}", nama=nm, instansi=agencies[i % len(agencies)])
        for i, nm in enumerate(names)
    ]
    t0 = time.perf_counter()
    index = IdentityIndex.build(entries, name_threshold=threshold)
    build_s = time.perf_counter() - t0

    drawn = _queries(names, outsiders, n_queries, rng)
    queries = [a for a, _, _ in drawn]
    t0 = time.perf_counter()
    results = [index.match("x", a) for a in queries]
    blocked_s = time.perf_counter() - t0
    matched = sum(1 for r in results if r.candidates)
    ambiguous = sum(1 for r in results if r.ambiguous)

    with_bio = [
        a.model_copy(update={"bio": f"PNS {agencies[k % len(agencies)]} | suka kopi | NIP {k:08d}"})
        for k, a in enumerate(queries[:5000])
    ]
    t0 = time.perf_counter()
    bio_results = [index.match("x", a) for a in with_bio]
    bio_s = time.perf_counter() - t0
    bio_ev = sum(1 for r in bio_results for c in r.candidates[:1] if len(c.evidence) > 1)

    normalised = [normalize_name(n) for n in names]
    sample = queries[:n_naive]
    t0 = time.perf_counter()
    for a in sample:
        process.extractOne(normalize_name(a.name or ""), normalised, scorer=fuzz.token_sort_ratio,
                           score_cutoff=threshold)
    naive_s = time.perf_counter() - t0

    # Agreement with the exhaustive search: for every multi-token name the index tries for a query,
    # the same scorer (fuzz.ratio on sorted tokens) and threshold over EVERY multi-token roster
    # entry must give exactly the entries (and scores) the index gives.
    sorted_names = [" ".join(sorted(name_tokens(n))) for n in names]
    multi = [i for i, s in enumerate(sorted_names) if " " in s]
    choices = [sorted_names[i] for i in multi]
    agree = total = missed = 0
    for a in sample:
        variants = [t for t in index.query_tokens(a) if len(t) >= 2]
        if not variants:
            continue
        total += 1
        ok = True
        for t in variants:
            want = {multi[p]: sc for _c, sc, p in process.extract(
                " ".join(sorted(t)), choices, scorer=fuzz.ratio, score_cutoff=threshold, limit=None)}
            got = index.name_scores(t)
            missed += sum(1 for i in want if i not in got)
            ok = ok and got == want
        agree += ok

    found = {"exact": [0, 0], "typo": [0, 0]}
    for (_a, pos, kind), res in zip(drawn, results):
        if pos is None or len(name_tokens(names[pos])) < 2:
            continue
        found[kind][1] += 1
        found[kind][0] += entries[pos].nip in {c.nip for c in res.candidates}
    outsiders_hit = sum(1 for (_a, pos, _k), r in zip(drawn, results) if pos is None and r.candidates)
    n_out = sum(1 for _a, pos, _k in drawn if pos is None)

    print(f"roster {size:>7,}: build {build_s:6.2f} s")
    print(f"  blocked : {n_queries / blocked_s:>10,.0f} queries/s  ({n_queries:,} queries, "
          f"{matched / n_queries:.0%} with candidates, {ambiguous / n_queries:.0%} ambiguous)")
    print(f"  + bio   : {len(with_bio) / bio_s:>10,.0f} queries/s  ({len(with_bio):,} queries with a bio naming an "
          f"agency; {bio_ev:,} best candidates got bio evidence)")
    print(f"  naive   : {n_naive / naive_s:>10,.0f} queries/s  ({n_naive:,} queries, extractOne over all names)")
    print(f"  speed-up: {(n_queries / blocked_s) / (n_naive / naive_s):,.0f}x; same entries as the exhaustive "
          f"search: {agree}/{total} = {agree / max(total, 1):.1%} ({missed} entries missed)")
    print(f"  source entry among candidates: exact names {found['exact'][0] / max(found['exact'][1], 1):.1%}, "
          f"one typo {found['typo'][0] / max(found['typo'][1], 1):.1%}; "
          f"outsiders with a (false) candidate {outsiders_hit / max(n_out, 1):.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--names", type=Path, default=DEFAULT_NAMES)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=20_000)
    ap.add_argument("--naive-queries", type=int, default=300)
    ap.add_argument("--threshold", type=float, default=88.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    real = _load_names(args.names) if args.names.is_file() else []
    print(f"names: {'%d real names from %s' % (len(real), args.names) if real else 'synthetic'}")
    for size in args.sizes:
        bench(size, real, args.queries, args.naive_queries, args.threshold, args.seed)


if __name__ == "__main__":
    main()
