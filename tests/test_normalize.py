"""monitor.text.normalize: canonical form shared by rule terms and post texts."""

from __future__ import annotations

import random

import pytest

from monitor.text import normalize

TRICKY = [
    "",
    " ",
    "Pr4bowo PRESIDEN!!!",
    "p r a b o w o",
    "p.r.a.b.o.w.o",
    "P-R-A-B-O-W-O 2024",
    "g a n j a r",
    "gaaanjar",
    "aniesss",
    "saat aamiin",
    "pra\u200bbo\u200cwo\u200d",
    "\ufeffanies\u2060",
    "Salam 2 jari ✌️✌🏽",
    "☝️☝🏿 01",
    "🤟🤟🤟",
    "#2024GantiPresiden",
    "#PrabowoGibran2024 @prabowo",
    "@pr4bowo",
    "g@nj@r anie$ $100",
    "email budi@gmail.com",
    "a##b #@x @#y # @ $",
    "ganjár prаbowo",  # accent, Cyrillic a
    "𝐩𝐫𝐚𝐛𝐨𝐰𝐨 ＧＡＮＪＡＲ",
    "İstanbul ß ﬁ",
    "x\x00y\tz\nw\x7f",
    "PPP p p p zzz",
    "oo0oo a a a b c",
    "ruang 02, nomor antrean 2",
    "covid19 paslon3 1hari 100rb 4n1es j0k0w1",
    "salam4jari #salam4jari salam 4jari",
    "\u202eowobarp\u202c",
    "ـــ ٢٠٢٤ 漢字 가나다",
    "1️⃣ 2️⃣ #️⃣",
    "‼️⁉️ ——— … “quoted” «x»",
]


@pytest.mark.parametrize("text", TRICKY)
def test_idempotent_on_tricky_strings(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


def test_idempotent_and_total_on_random_strings() -> None:
    rng = random.Random(20240214)
    alphabet = list("abdegijnoprsw0123457 #@$_.-!'") + [
        "\u200b", "\u200d", "\ufeff", "\x00", "\n", "✌", "\ufe0f", "🏽", "🤟", "é", "\u0301",
        "İ", "ß", "а", "ﬁ", "①", "½", "\u00ad", "가", "\U000e0041",
    ]
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        once = normalize(text)
        assert normalize(once) == once, repr(text)
    for _ in range(5_000):
        text = "".join(chr(rng.randint(0, 0x2FFFF)) for _ in range(rng.randint(0, 10)))
        once = normalize(text)
        assert normalize(once) == once, repr(text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Prabowo PRESIDEN!!!", "prabowo presiden"),
        ("pr4bowo", "prabowo"),
        ("g4nj4r", "ganjar"),
        ("4n1es", "anies"),  # edge digit folded because the token has an inner one
        ("j0k0w1", "jokowi"),
        ("g a n j a r", "ganjar"),
        ("p.r.a.b.o.w.o", "prabowo"),
        ("p r 4 b o w o", "prabowo"),
        ("gaaanjar", "ganjar"),
        ("aniesss", "anies"),
        ("saat", "saat"),
        ("aamiin", "aamiin"),
        ("PPP", "ppp"),  # a whole-token run is an acronym, not stretching
        ("pra\u200bbowo", "prabowo"),
        ("an\u00adies", "anies"),
        ("ganjár", "ganjar"),
        ("prаbowo", "prabowo"),  # Cyrillic a
        ("ＧＡＮＪＡＲ", "ganjar"),
        ("✌️✌🏽", "✌ ✌"),
        ("salam ☝️dari sini", "salam ☝ dari sini"),
        ("#PrabowoGibran", "#prabowogibran"),
        ("#pr4bowo", "#prabowo"),
        ("@pr4bowo", "@prabowo"),
        ("ganjar#prabowo", "ganjar #prabowo"),
        ("##amin", "#amin"),
        ("g@njar", "ganjar"),
        ("anie$", "anies"),
        ("$100", "100"),
        ("02", "02"),
        ("2024", "2024"),
        ("coblos 02!", "coblos 02"),
        ("#2024GantiPresiden", "#2024gantipresiden"),
        ("covid19", "covid19"),
        ("paslon3", "paslon3"),
        ("1hari 100rb", "1hari 100rb"),
        ("PDI-P", "pdi p"),
        ("  a\t\n b  ", "a b"),
        ("a b", "a b"),  # two single letters are not joined
        ("ruang 02", "ruang 02"),
        ("\x00\x01", ""),
    ],
)
def test_specific_expectations(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_never_raises_on_any_code_point() -> None:
    text = "".join(chr(cp) for cp in range(0, 0x11000) if not 0xD800 <= cp <= 0xDFFF)
    normalize(text)
    normalize("\ud800 lone surrogate")


def test_rule_term_and_post_normalise_alike() -> None:
    # The engine relies on this: a term matches its own spelling variants.
    assert normalize("Salam 4 Jari") == normalize("salam  4   jari!!")
    assert normalize("salam4jari") == normalize("SALAM4JARI")
