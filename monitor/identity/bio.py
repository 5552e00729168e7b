"""Profile-bio evidence for a name-matched candidate: small, fixed, explainable adjustments.

Each piece of evidence is an :class:`~monitor.models.IdentityEvidence` with its ``delta``:

=====================  ======  =========================================================
kind                   delta   when
=====================  ======  =========================================================
``bio_nip``            +0.30   the bio contains 8 or more consecutive digits of the NIP
``bio_agency``         +0.20   the bio names the candidate's ``instansi``
``bio_unit``           +0.15   the bio names the candidate's ``unit_kerja``
``bio_asn``            +0.10   the bio says ASN / PNS / PPPK / CPNS / abdi negara / aparatur
                               sipil negara / pegawai negeri (not negated)
``bio_contradiction``  -0.20   the bio names another agency of the roster and not the
                               candidate's (unless that agency's words are all part of the
                               candidate's agency name)
``bio_contradiction``  -0.30   the bio says the person is not or no longer an ASN
                               ("bukan ASN", "mantan PNS", "pensiunan", "purnabakti")
``bio_contradiction``  -0.20   the bio gives another occupation (mahasiswa, pelajar,
                               wiraswasta, pengusaha, karyawan swasta, ibu rumah tangga,
                               freelancer, student...)
=====================  ======  =========================================================

"Names an agency" means: every distinctive word of the agency name appears in the bio, exactly or
one typo away (words of 5+ letters); generic words such as *dinas, kota, kabupaten, badan,
kementerian, pemerintah, bidang* are ignored, and a parenthesised part or a part after ``/`` is an
alternative form (``Badan Kepegawaian Negara (BKN)`` is named by "kepegawaian" or by "bkn").
A few common abbreviations are expanded in the bio first (``disdik`` -> pendidikan, ``dinkes``
-> kesehatan, ...). No evidence is drawn from an agency with no distinctive word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from monitor.identity.vocab import TokenVocab
from monitor.models import IdentityEvidence, RosterEntry

__all__ = [
    "BioAnalyzer",
    "BioFacts",
    "DELTA_AGENCY",
    "DELTA_ASN",
    "DELTA_NIP",
    "DELTA_OCCUPATION",
    "DELTA_OTHER_AGENCY",
    "DELTA_NOT_ASN",
    "DELTA_UNIT",
    "GENERIC_AGENCY_WORDS",
    "PhraseMatcher",
    "fold_text",
]

DELTA_NIP = 0.30
DELTA_AGENCY = 0.20
DELTA_UNIT = 0.15
DELTA_ASN = 0.10
DELTA_OTHER_AGENCY = -0.20
DELTA_NOT_ASN = -0.30
DELTA_OCCUPATION = -0.20
MIN_NIP_FRAGMENT = 8

GENERIC_AGENCY_WORDS: frozenset[str] = frozenset(
    """
    dinas badan kantor bagian subbagian sub bidang seksi sekretariat sekretaris unit upt uptd
    pelaksana teknis daerah kota kabupaten kab provinsi prov pemerintah pemkot pemkab pemprov
    pemda kementerian kemen lembaga direktorat jenderal ditjen biro pusat balai instansi
    perangkat organisasi republik indonesia ri negara nasional regional umum dan atau serta
    the of and ministry office agency department dept city regency province government
    """.split()
)

# bio abbreviation -> the distinctive words it stands for
_ABBREVIATIONS: dict[str, str] = {
    "disdik": "pendidikan",
    "disdikbud": "pendidikan kebudayaan",
    "dikbud": "pendidikan kebudayaan",
    "dinkes": "kesehatan",
    "dishub": "perhubungan",
    "disdukcapil": "kependudukan pencatatan sipil",
    "dukcapil": "kependudukan pencatatan sipil",
    "dispar": "pariwisata",
    "disnaker": "tenaga kerja",
    "dinsos": "sosial",
    "bappeda": "perencanaan pembangunan",
    "kemenkeu": "keuangan",
    "kemenag": "agama",
    "kemenkes": "kesehatan",
    "satpol": "satuan polisi pamong praja",
    "bpbd": "penanggulangan bencana",
    "bkpsdm": "kepegawaian pengembangan sumber daya manusia",
    "rsud": "rumah sakit",
}

_ASN_RE = re.compile(
    r"\b(asn|pns|pppk|cpns|abdi negara|aparatur sipil negara|pegawai negeri(?: sipil)?|civil servant)\b"
)
_NOT_ASN_RE = re.compile(
    r"\b(?:(?:bukan|mantan|eks|ex|pensiunan|purna)\s+(?:seorang\s+)?"
    r"(?:asn|pns|pppk|abdi negara|pegawai negeri(?: sipil)?|civil servant)"
    r"|pensiunan|purnabakti|purna bakti|purna tugas|retired)\b"
)
_OCCUPATION_RE = re.compile(
    r"\b(mahasiswa|mahasiswi|pelajar|wiraswasta|wirausaha|wirausahawan|pengusaha|entrepreneur|"
    r"karyawan swasta|pegawai swasta|ibu rumah tangga|freelancer|freelance|student)\b"
)
_NON_ALNUM_RE = re.compile(r"[\W_]+")
_DIGIT_RUN_RE = re.compile(r"\d(?:[\d .\-]*\d)?")


def fold_text(text: str) -> str:
    """Accents removed, case folded, every run of non-alphanumerics replaced by one space."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(ch for ch in t if not unicodedata.combining(ch)).casefold()
    return _NON_ALNUM_RE.sub(" ", t).strip()


def _alternatives(phrase: str) -> list[frozenset[str]]:
    """Distinctive-word sets of a phrase and of its parenthesised / slash-separated forms."""
    parts = [p for p in re.split(r"[()/\[\]]", phrase) if p.strip()]
    alts: list[frozenset[str]] = []
    for part in parts:
        words = frozenset(w for w in fold_text(part).split() if w not in GENERIC_AGENCY_WORDS and len(w) >= 2)
        if words and words not in alts:
            alts.append(words)
    return alts


class PhraseMatcher:
    """Which of a fixed list of phrases (agency or unit names) a text names.

    A phrase is named when all distinctive words of one of its alternatives are in the text.
    Lookup cost depends on the text, not on the number of phrases.
    """

    def __init__(self, phrases: Iterable[str]) -> None:
        self.phrases: list[str] = []
        self._ids: dict[str, int] = {}
        self._alts: list[list[frozenset[str]]] = []
        by_word: dict[str, set[int]] = {}
        for phrase in phrases:
            if not phrase or phrase in self._ids:
                continue
            alts = _alternatives(phrase)
            pid = len(self.phrases)
            self._ids[phrase] = pid
            self.phrases.append(phrase)
            self._alts.append(alts)
            for alt in alts:
                for w in alt:
                    by_word.setdefault(w, set()).add(pid)
        self._by_word = by_word
        self._vocab = TokenVocab(by_word, min_fuzzy_len=5)

    def phrase_id(self, phrase: str | None) -> int | None:
        return self._ids.get(phrase) if phrase else None

    def words(self, pid: int) -> frozenset[str]:
        """All distinctive words of a phrase (all alternatives)."""
        return frozenset().union(*self._alts[pid]) if self._alts[pid] else frozenset()

    def named(self, tokens: Sequence[str]) -> dict[int, frozenset[str]]:
        """Phrase id -> the distinctive words that matched, for every phrase the tokens name."""
        present: set[str] = set()
        vocab = self._vocab
        for tok in set(tokens):
            if tok in GENERIC_AGENCY_WORDS:
                continue
            present.update(vocab.exact(tok) if tok.isdigit() else vocab.lookup(tok))
        if not present:
            return {}
        hits: dict[int, frozenset[str]] = {}
        for pid in set().union(*(self._by_word[w] for w in present)):
            for alt in self._alts[pid]:
                if alt <= present:
                    hits[pid] = alt
                    break
        return hits


@dataclass
class BioFacts:
    """What one bio says, independent of any candidate (computed once per author)."""

    text: str
    digit_runs: list[str] = field(default_factory=list)
    asn: str | None = None
    not_asn: list[str] = field(default_factory=list)
    occupations: list[str] = field(default_factory=list)
    agencies: dict[int, frozenset[str]] = field(default_factory=dict)
    units: dict[int, frozenset[str]] = field(default_factory=dict)


class BioAnalyzer:
    """Bio evidence against the agencies and units of one roster."""

    def __init__(self, entries: Iterable[RosterEntry]) -> None:
        entries = list(entries)
        self.agencies = PhraseMatcher(e.instansi for e in entries if e.instansi)
        self.units = PhraseMatcher(e.unit_kerja for e in entries if e.unit_kerja)

    def facts(self, bio: str | None) -> BioFacts | None:
        """Analyse a bio once; None when there is no bio."""
        if not bio or not bio.strip():
            return None
        text = fold_text(bio)
        digit_runs = [re.sub(r"\D", "", m.group()) for m in _DIGIT_RUN_RE.finditer(bio)]
        digit_runs = [d for d in digit_runs if len(d) >= MIN_NIP_FRAGMENT]
        not_asn = sorted({m.group(0) for m in _NOT_ASN_RE.finditer(text)})
        without_negated = _NOT_ASN_RE.sub(" ", text)
        asn = _ASN_RE.search(without_negated)
        occupations = sorted({m.group(1) for m in _OCCUPATION_RE.finditer(text)})
        tokens = text.split()
        expanded = list(tokens)
        for tok in tokens:
            if tok in _ABBREVIATIONS:
                expanded.extend(_ABBREVIATIONS[tok].split())
        return BioFacts(
            text=text,
            digit_runs=digit_runs,
            asn=asn.group(1) if asn else None,
            not_asn=not_asn,
            occupations=occupations,
            agencies=self.agencies.named(expanded),
            units=self.units.named(expanded),
        )

    def evidence(self, facts: BioFacts | None, entry: RosterEntry) -> list[IdentityEvidence]:
        """The bio evidence for one candidate, in a fixed order."""
        if facts is None:
            return []
        out: list[IdentityEvidence] = []

        def add(kind, detail: str, delta: float) -> None:
            out.append(IdentityEvidence(kind=kind, detail=detail, delta=delta))

        fragment = _nip_fragment(facts.digit_runs, entry.nip)
        if fragment:
            add("bio_nip", f"bio contains {fragment!r}, part of the NIP", DELTA_NIP)
        own = self.agencies.phrase_id(entry.instansi)
        if own is not None and own in facts.agencies:
            words = ", ".join(sorted(facts.agencies[own]))
            add("bio_agency", f"bio names the agency {entry.instansi!r} ({words})", DELTA_AGENCY)
        unit = self.units.phrase_id(entry.unit_kerja)
        if unit is not None and unit in facts.units:
            words = ", ".join(sorted(facts.units[unit]))
            add("bio_unit", f"bio names the unit {entry.unit_kerja!r} ({words})", DELTA_UNIT)
        if facts.asn:
            add("bio_asn", f"bio says {facts.asn!r}", DELTA_ASN)
        if own is None or own not in facts.agencies:
            own_words = self.agencies.words(own) if own is not None else frozenset()
            others = sorted(
                self.agencies.phrases[pid]
                for pid, words in facts.agencies.items()
                if pid != own and not words <= own_words
            )
            if others:
                named = "; ".join(repr(o) for o in others[:3])
                mine = repr(entry.instansi) if entry.instansi else "no agency in the roster"
                add("bio_contradiction", f"bio names another agency ({named}), roster says {mine}", DELTA_OTHER_AGENCY)
        if facts.not_asn:
            add("bio_contradiction", f"bio says {', '.join(repr(x) for x in facts.not_asn)}", DELTA_NOT_ASN)
        if facts.occupations:
            add("bio_contradiction", f"bio gives another occupation: {', '.join(facts.occupations)}", DELTA_OCCUPATION)
        return out


def _nip_fragment(runs: list[str], nip: str) -> str | None:
    """The longest piece (>= 8 digits) shared by a digit run of the bio and the NIP."""
    best = None
    for run in runs:
        if run in nip or nip in run:
            piece = run if len(run) <= len(nip) else nip
        else:
            piece = None
            for size in range(min(len(run), len(nip)) - 1, MIN_NIP_FRAGMENT - 1, -1):
                piece = next((run[i : i + size] for i in range(len(run) - size + 1) if run[i : i + size] in nip), None)
                if piece:
                    break
        if piece and (best is None or len(piece) > len(best)):
            best = piece
    return best
