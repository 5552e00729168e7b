"""Deterministic synthetic workloads for the benchmarks.

* rosters drawn from the real published names in ``public_official_names.csv`` (titles kept,
  first/last tokens recombined to reach the size; synthetic syllable names when the file is absent);
* a rule set = the shipped ``rules/`` pack + generated partisan rules (candidate names x calls to
  vote, hashtags, slogans) built directly as ``RuleSet`` objects (each rule still has examples);
* posts: mostly everyday Indonesian text, a few % campaign text (real ``capres2024_tweets.csv``
  rows when present), authors mostly outside the roster, some roster names with title
  variations, a few declared accounts.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from monitor.models import Author, Post, RosterEntry
from monitor.models.post import ParentRef
from monitor.models.roster import DeclaredAccount
from monitor.names import name_tokens

REPO = Path(__file__).resolve().parents[2]
EVAL = Path("/work/shared/eval")
NAMES_CSV = EVAL / "public_official_names.csv"
TWEETS_CSV = EVAL / "capres2024_tweets.csv"

_SYLLABLES = "ba bu di da ri ra sa si su to no wa ya ni ti ka ko ma mu ha he an in ar ul".split()
_PREFIXES = ["", "", "", "", "Drs. ", "H. ", "Hj. ", "Ir. ", "Dr. ", "Prof. Dr. ", "dr. "]
_SUFFIXES = ["", "", "", "", ", S.Pd", ", S.H., M.H.", ", SE", ", S.Sos", ", M.Si", ", S.Kom", ", ST., MT."]
_AGENCIES = [f"Dinas {a} {b}" for a in ("Pendidikan", "Kesehatan", "Perhubungan", "Pertanian", "Sosial",
                                           "Pariwisata", "Koperasi", "Lingkungan Hidup")
             for b in ("Kabupaten Sukamaju", "Kota Pontianak", "Kabupaten Batu Putih", "Provinsi Tengah",
                       "Kota Sungai Raya", "Kabupaten Bukit Hijau")]

# everyday (non-partisan) Indonesian filler
_FILLER = """
pagi ini macet banget di jalan utama, mending naik motor aja | hujan deras dari subuh, jemuran belum kering
| alhamdulillah anak sudah masuk sekolah lagi setelah libur panjang | resep sambal matah ala rumahan gampang
dibuat | ada yang tahu bengkel motor yang buka hari minggu | harga cabai naik lagi di pasar tradisional
| selamat ulang tahun ibu, semoga sehat selalu | tim kesayangan menang tadi malam, mantap | rapat koordinasi
di kantor sampai sore, capek tapi lancar | jangan lupa minum air putih yang cukup | kopi susu gula aren memang
paling enak | sedang antri vaksin di puskesmas kelurahan | info lowongan kerja di kota pontianak silakan cek
| mohon doanya untuk kesembuhan ayah | libur panjang akhir pekan mau ke pantai | pelayanan kantor catatan sipil
sekarang cepat ya | listrik padam lagi di kompleks kami sejak jam tujuh | sholat jumat berjamaah di masjid raya
| belajar bahasa inggris tiap malam biar lancar | kucing saya hilang, ciri cirinya belang tiga | banjir di
jalan protokol, hati hati yang lewat | nonton film baru di bioskop seru banget | terima kasih bapak ibu guru
| pasar murah minggu depan di lapangan kecamatan | kerja bakti membersihkan selokan bersama warga | jadwal
posyandu bulan ini hari kamis | semangat senin, semoga rezeki lancar | pelatihan aparatur sipil negara tentang
pelayanan publik | diskon akhir bulan di toko sebelah | bakso langganan tutup hari ini | program beasiswa
untuk anak berprestasi dibuka | jalan desa akhirnya diaspal, terima kasih | jadwal kereta berubah mulai besok
| festival budaya daerah ramai pengunjung | resep rendang padang asli | bibit padi unggul dibagikan ke petani
""".replace("\n", " ").split("|")
_FILLER = [s.strip() for s in _FILLER if s.strip()]

# generated campaign vocabulary (fictional local candidates; calls and slogans are real Indonesian usage)
_CALLS = ["pilih", "coblos", "dukung", "menangkan", "ayo pilih", "jangan pilih", "tolak", "lanjutkan bersama",
          "satu putaran", "kawal suara"]
_OFFICES = ["bupati", "walikota", "gubernur", "caleg", "calon bupati", "calon walikota"]


def _load_names() -> list[str]:
    if not NAMES_CSV.is_file():
        return []
    with NAMES_CSV.open(encoding="utf-8") as fh:
        return [row["name"] for row in csv.DictReader(fh) if row.get("name")]


def _load_tweets() -> list[str]:
    if not TWEETS_CSV.is_file():
        return []
    with TWEETS_CSV.open(encoding="utf-8") as fh:
        return [row["text"] for row in csv.DictReader(fh) if (row.get("text") or "").strip()]


def _syll_name(rng: random.Random) -> str:
    def word() -> str:
        return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()

    return f"{word()} {word()}"


class NameSource:
    """Real name distribution: title-stripped token lists, plus title prefixes/suffixes."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.real = _load_names()
        self.multi = [t for t in (name_tokens(n) for n in self.real) if len(t) >= 2]
        self.firsts = [t[0] for t in self.multi]
        self.lasts = [t[-1] for t in self.multi]
        self.middles = [t[1] for t in self.multi if len(t) >= 3]

    def roster_names(self, size: int) -> list[str]:
        rng = self.rng
        names = list(self.real)
        rng.shuffle(names)
        if size <= len(names):
            return names[:size]
        out = names
        firsts, lasts, middles = self.firsts or ["budi"], self.lasts or ["santoso"], self.middles or ["adi"]
        use_syll = not self.real
        while len(out) < size:
            if use_syll:
                core = _syll_name(rng)
            else:
                r = rng.random()
                toks = [rng.choice(firsts), rng.choice(lasts)]
                if r < 0.35:
                    toks.insert(1, rng.choice(middles))
                core = " ".join(t.capitalize() for t in toks)
                if rng.random() < 0.3:
                    core = core.upper()
            out.append(f"{rng.choice(_PREFIXES)}{core}{rng.choice(_SUFFIXES)}")
        return out

    def outsider(self) -> str:
        """A display name not drawn from the roster list (synthetic syllables or a new pairing)."""
        rng = self.rng
        if rng.random() < 0.5 or not self.real:
            return _syll_name(rng)
        return f"{rng.choice(self.firsts).capitalize()} {_syll_name(rng).split()[0]}"


def make_roster(size: int, seed: int = 7, declared_share: float = 0.02) -> list[RosterEntry]:
    ns = NameSource(seed)
    names = ns.roster_names(size)
    rng = random.Random(seed + 1)
    out = []
    for i, nm in enumerate(names):
        akun = []
        if rng.random() < declared_share:
            akun = [DeclaredAccount(platform="x", value=f"asn_{i}")]
        out.append(RosterEntry.model_construct(
            nip=f"{198001012000000000 + i:018d}", nama=nm, jabatan="Staf", unit_kerja=None,
            instansi=_AGENCIES[i % len(_AGENCIES)], atasan_nip=None, akun=akun, email=None, telegram=None))
    return out


def title_variant(name: str, rng: random.Random) -> str:
    """How an ASN may show their roster name on a platform: titles dropped/reordered, case, a typo."""
    toks = list(name_tokens(name))
    r = rng.random()
    if r < 0.4:
        shown = " ".join(t.capitalize() for t in toks)
    elif r < 0.6:
        shown = f"{rng.choice(['Dr. ', 'H. ', 'Hj. ', ''])}{' '.join(t.capitalize() for t in toks)}{rng.choice([', S.Pd', ' SE', ''])}"
    elif r < 0.8:
        shown = name  # exactly as in the roster, titles included
    else:
        shown = " ".join(toks)
        letters = [i for i, ch in enumerate(shown) if ch.isalpha()]
        if letters:
            i = rng.choice(letters)
            shown = shown[:i] + rng.choice("aeiouhkmnrst") + shown[i + 1:]
    if rng.random() < 0.1:
        shown += f" | {rng.choice(_AGENCIES)}"
    return shown


def generated_rules(n_terms: int, seed: int = 11) -> list[dict]:
    """Partisan rules for fictional local contests, ~``n_terms`` plain terms in total."""
    rng = random.Random(seed)
    ns = NameSource(seed)
    rules, total, k = [], 0, 0
    while total < n_terms:
        toks = [rng.choice(ns.firsts), rng.choice(ns.lasts)] if ns.real else _syll_name(rng).lower().split()
        full = " ".join(toks)
        tag = "".join(toks)
        office = rng.choice(_OFFICES)
        calls = rng.sample(_CALLS, 6)
        terms = [f"{c} {full}" for c in calls] + [f"#{tag}", f"#{tag}{office.replace(' ', '')}",
                                                   f"{full} {office}", f"#{toks[-1]}{rng.randint(1, 9)}periode"]
        rules.append({
            "id": f"gen.lokal{k:04d}", "title": f"Kampanye {full}", "description": "generated for the benchmark",
            "category": "partisan", "weight": round(rng.uniform(0.6, 0.9), 2), "target": f"{office} {full}",
            "terms": {"any": terms},
            "examples": {"match": [f"ayo {terms[0]} untuk daerah kita"], "no_match": ["cuaca cerah hari ini"]},
        })
        total += len(terms)
        k += 1
    return rules


def build_ruleset(n_generated_terms: int):
    """(RuleSet, terms list, number of plain terms): shipped rules/ + generated rules, built directly."""
    from monitor.rules import load_rules
    from monitor.rules.engine import LoadedRule, RuleSet
    from monitor.rules.schema import Rule

    shipped = load_rules([REPO / "rules"])
    gen = [LoadedRule(rule=Rule.model_validate(r), source_file="bench/generated.yaml", line=None)
           for r in generated_rules(n_generated_terms)]
    rs = RuleSet(list(shipped.rules) + gen, list(shipped.files) + ["bench/generated.yaml"])
    plain = [t for lr in rs.rules if lr.rule.enabled
             for t in (*lr.rule.terms.any, *lr.rule.terms.all) if isinstance(t, str)]
    return rs, plain, gen


class PostFactory:
    """Deterministic stream of realistic posts (chunks, so 1M+ posts never sit in memory at once)."""

    def __init__(self, roster: list[RosterEntry], gen_rules: list, seed: int = 3, *,
                 campaign_share: float = 0.03, tweet_share: float = 0.05,
                 roster_author_share: float = 0.12, declared_share: float = 0.03,
                 start: datetime | None = None) -> None:
        self.rng = random.Random(seed)
        self.roster = roster
        self.declared = [(e, a) for e in roster for a in e.akun]
        self.ns = NameSource(seed + 5)
        self.tweets = _load_tweets() or [f"{c} {n}" for c in ("anies", "ganjar", "prabowo") for n in _FILLER]
        self.campaign = [t for lr in gen_rules for t in lr.rule.terms.any]
        self.campaign += ["#prabowogibran2024", "coblos 02", "ayo pilih ganjar mahfud", "amin menang satu putaran",
                          "#aminajadulu", "jangan pilih partai korup", "dukung pdip"]
        self.shares = (campaign_share, tweet_share, roster_author_share, declared_share)
        self.start = start or datetime(2024, 1, 2, tzinfo=timezone.utc)
        self.n = 0
        rng = self.rng
        self.outsiders = [self.ns.outsider() for _ in range(20_000)]
        self.texts = [self._filler(rng) for _ in range(20_000)]

    def _filler(self, rng: random.Random, target: int = 300) -> str:
        parts, n = [], 0
        while n < target:
            s = rng.choice(_FILLER)
            parts.append(s)
            n += len(s) + 2
        return ". ".join(parts)

    def _text(self) -> str:
        rng = self.rng
        camp, tw, _, _ = self.shares
        r = rng.random()
        base = rng.choice(self.texts)
        if r < camp:
            term = rng.choice(self.campaign)
            cut = rng.randrange(0, 200)
            return f"{base[:cut]} {term} {base[cut:280]}"
        if r < camp + tw:
            t = rng.choice(self.tweets)
            return f"{t}. {base[: max(0, 300 - len(t))]}"
        return base

    def _author(self) -> Author:
        rng = self.rng
        _, _, ra, da = self.shares
        r = rng.random()
        i = self.n
        if r < da and self.declared:
            e, a = rng.choice(self.declared)
            return Author.model_construct(id=f"u{i}", handle=a.value, name=title_variant(e.nama, rng), bio=None, url=None)
        if r < da + ra and self.roster:
            e = rng.choice(self.roster)
            bio = f"ASN {e.instansi}" if rng.random() < 0.2 else None
            return Author.model_construct(id=f"u{i}", handle=f"user{i}", name=title_variant(e.nama, rng), bio=bio, url=None)
        name = rng.choice(self.outsiders) if rng.random() < 0.9 else None
        return Author.model_construct(id=f"u{i}", handle=f"user{rng.randrange(10**7)}", name=name, bio=None, url=None)

    def post(self) -> Post:
        rng = self.rng
        i = self.n
        self.n += 1
        author = self._author()
        text = self._text()
        r = rng.random()
        kind, parent = "post", None
        if r < 0.1:
            kind, parent = "comment", ParentRef.model_construct(post_id=f"p{i}x", url=None, text=self._text(), author=None)
        elif r < 0.2:
            kind, parent = "share", ParentRef.model_construct(post_id=f"p{i}y", url=None, text=self._text(), author=None)
        created = self.start + timedelta(seconds=i * 7)
        raw = json.dumps({"id": f"p{i}", "created_at": created.isoformat(), "kind": kind, "text": text,
                          "author": {"id": author.id, "handle": author.handle, "name": author.name}},
                         ensure_ascii=False)
        return Post.model_construct(platform="x", post_id=f"p{i}", url=f"https://x.com/i/status/{i}",
                                    created_at=created, author=author, kind=kind, text=text, parent=parent, raw=raw)

    def chunks(self, n: int, size: int = 10_000) -> Iterator[list[Post]]:
        done = 0
        while done < n:
            k = min(size, n - done)
            yield [self.post() for _ in range(k)]
            done += k
