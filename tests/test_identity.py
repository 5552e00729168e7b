"""Identity matching (monitor.identity): declared accounts, blocked fuzzy names, bio evidence."""

from __future__ import annotations

import random

import pytest

from monitor.identity import IdentityIndex, author_account_keys, handle_to_name
from monitor.identity.bio import DELTA_AGENCY, DELTA_ASN, DELTA_NIP, DELTA_UNIT
from monitor.models import Author, DeclaredAccount, RosterEntry

EDU = "Dinas Pendidikan Kota Contoh"
HEALTH = "Dinas Kesehatan Kota Contoh"
BKN = "Badan Kepegawaian Negara (BKN)"


def entry(nip: str, nama: str, instansi: str | None = EDU, unit: str | None = None, akun=(), jabatan=None):
    return RosterEntry(
        nip=nip,
        nama=nama,
        instansi=instansi,
        unit_kerja=unit,
        jabatan=jabatan,
        akun=[DeclaredAccount(platform=p, value=v) for p, v in akun],
    )


ROSTER = [
    entry("198503122010011001", "Drs. Budi Santoso, M.Si", EDU, "Bidang Pendidikan Dasar", akun=[("x", "budis"), ("x", "1234567")]),
    entry("199001012015032002", "Hj. Siti Aminah, S.Pd.I", HEALTH, "Puskesmas Sukamaju", akun=[("mastodon", "siti@kota.social")]),
    entry("198807172012121003", "Rahmat Hidayat, S.E.", EDU),
    entry("199203052019032004", "Dewi Lestari Wulandari", HEALTH),
    entry("197911302005011005", "Ir. H. Achmad Djunaidi, M.T.", BKN),
    entry("196501011990031006", "Nurhayati", HEALTH, "Puskesmas Sukamaju"),
]


@pytest.fixture(scope="module")
def index() -> IdentityIndex:
    return IdentityIndex.build(ROSTER)


def author(name=None, handle="someone", bio=None, id=None, url=None) -> Author:
    return Author(id=id, handle=handle, name=name, bio=bio, url=url)


# --------------------------------------------------------------------------- declared accounts


def test_declared_account_by_handle_case_and_at_insensitive(index):
    for handle in ["budis", "@BudiS", "  @BUDIS "]:
        r = index.match("x", author(name="Someone Else", handle=handle))
        assert r.method == "declared_account"
        assert not r.ambiguous
        (c,) = r.candidates
        assert c.nip == "198503122010011001" and c.confidence == 1.0
        assert c.evidence[0].kind == "declared_account"
        assert "x:budis" in c.evidence[0].detail and "handle" in c.evidence[0].detail
        assert r.best is c


def test_declared_account_by_id(index):
    r = index.match("x", author(id="1234567", handle="renamed_later"))
    assert r.method == "declared_account"
    assert r.candidates[0].nip == "198503122010011001"
    assert "matched by id" in r.candidates[0].evidence[0].detail


def test_platform_alias_twitter_is_x(index):
    assert index.match("twitter", author(handle="budis")).method == "declared_account"


def test_declared_account_is_per_platform(index):
    r = index.match("instagram", author(handle="budis"))
    assert r.method != "declared_account"


def test_mastodon_needs_user_at_domain(index):
    r = index.match("mastodon", author(handle="@Siti@Kota.Social"))
    assert r.method == "declared_account" and r.candidates[0].nip == "199001012015032002"
    # local handle: the domain comes from the profile URL
    r = index.match("mastodon", author(handle="siti", url="https://kota.social/@siti"))
    assert r.method == "declared_account"
    # same user name on another instance is someone else
    r = index.match("mastodon", author(handle="siti@lain.social"))
    assert r.method != "declared_account"
    # mastodon ids are per instance: never used
    assert author_account_keys("mastodon", author(id="42", handle="siti@kota.social")) == [("mastodon", "siti@kota.social")]


def test_same_account_declared_twice_is_ambiguous():
    idx = IdentityIndex.build([
        entry("198503122010011001", "Budi Santoso", akun=[("x", "shared")]),
        entry("199001012015032002", "Siti Aminah", akun=[("x", "@Shared")]),
    ])
    r = idx.match("x", author(handle="shared"))
    assert r.method == "declared_account" and r.ambiguous and r.best is None
    assert {c.nip for c in r.candidates} == {"198503122010011001", "199001012015032002"}


# --------------------------------------------------------------------------- names


def test_exact_name_match_is_capped_well_below_one(index):
    r = index.match("x", author(name="Budi Santoso"))
    assert r.method == "name" and not r.ambiguous
    (c,) = r.candidates
    assert c.nip == "198503122010011001"
    assert c.name_score == 100.0
    assert c.confidence == pytest.approx(0.6)
    assert c.evidence[0].kind == "name" and "Drs. Budi Santoso, M.Si" in c.evidence[0].detail


def test_titles_and_spelling_variants_match(index):
    for display in ["Ahmad Junaidi", "ACHMAD DJUNAIDI", "Ir. Akhmad Junaidi MT", "Junaidi Ahmad"]:
        r = index.match("x", author(name=display))
        assert r.candidates and r.candidates[0].nip == "197911302005011005", display
        assert r.candidates[0].name_score == 100.0


def test_fuzzy_match_with_typos(index):
    r = index.match("x", author(name="Rahmat Hidayar"))  # one typo
    (c,) = r.candidates
    assert c.nip == "198807172012121003"
    assert 88 <= c.name_score < 100
    assert 0.4 <= c.confidence < 0.6
    r = index.match("x", author(name="Dewi Lestary Wulandari"))
    assert r.candidates[0].nip == "199203052019032004"


def test_confidence_scales_with_score(index):
    exact = index.match("x", author(name="Rahmat Hidayat")).confidence
    typo = index.match("x", author(name="Rahmat Hidayar")).confidence
    assert exact > typo >= 0.4


def test_no_match_for_unrelated_names(index):
    for display in ["Joko Susilo", "Maria Magdalena", "Kucing Oren Lucu", "Rahmat", "🌸🌸"]:
        r = index.match("x", author(name=display))
        assert r.method == "none" and r.candidates == [] and r.best is None and r.confidence == 0.0, display


def test_subset_of_a_name_is_not_a_match(index):
    # token_sort_ratio penalises missing tokens: "Dewi Lestari" is not "Dewi Lestari Wulandari"
    assert index.match("x", author(name="Dewi Lestari")).candidates == []


def test_handle_used_only_without_display_name(index):
    r = index.match("x", author(name=None, handle="rahmat_hidayat88"))
    assert r.candidates[0].nip == "198807172012121003"
    r = index.match("x", author(name="Joko Susilo", handle="rahmat_hidayat88"))
    assert r.candidates == []
    assert handle_to_name("RahmatHidayat") == "Rahmat Hidayat"
    assert handle_to_name("@budi.santoso_01@kota.social") == "budi santoso"


def test_display_name_decorations_are_ignored(index):
    for display in ["Rahmat Hidayat | Dinas Pendidikan", "Rahmat Hidayat (Pak RT) 🇮🇩", "Rahmat Hidayat #2024 @kota", "rahmat hidayat - official"]:
        r = index.match("x", author(name=display))
        assert r.candidates and r.candidates[0].nip == "198807172012121003", display


def test_blocking_finds_the_right_person_among_many():
    rng = random.Random(1)
    first = ["Agus", "Bambang", "Dedi", "Eko", "Hendra", "Indra", "Joko", "Rudi", "Wahyu", "Yudi",
             "Sri", "Dewi", "Rina", "Ani", "Lina", "Yanti", "Nur", "Siti", "Tri", "Dwi"]
    last = ["Setiawan", "Wijaya", "Saputra", "Pratama", "Kurniawan", "Hidayat", "Nugroho", "Susanto",
            "Hartono", "Gunawan", "Purnomo", "Santoso", "Lestari", "Handayani", "Rahayu", "Wulandari"]
    entries = []
    for i in range(3000):
        name = f"{rng.choice(first)} {rng.choice(last)} {rng.choice(last)}"
        entries.append(entry(f"{i:018d}", name))
    target = entry("198503122010011999", "Drs. Sulistyowati Kusumaningrum, M.Pd", EDU)
    entries.insert(1234, target)
    idx = IdentityIndex.build(entries, max_token_df=50)
    r = idx.match("x", author(name="Sulistyowati Kusumaningrum"))
    assert [c.nip for c in r.candidates] == [target.nip]
    # typo in a rare token
    r = idx.match("x", author(name="Sulistyowati Kusumaningrun"))
    assert r.candidates[0].nip == target.nip
    # a name made only of common tokens: posting lists are intersected
    common = entries[0]
    r = idx.match("x", author(name=common.nama))
    assert common.nip in {c.nip for c in r.candidates}
    assert all(c.name_score == 100.0 for c in r.candidates if c.nip == common.nip)


def test_blocked_candidates_do_not_grow_with_roster(index):
    # a query whose tokens are all unknown examines no entries at all
    assert index._blocked(("zzqx", "qwvvk")) == set()


def test_common_token_with_initial():
    entries = [entry(f"1980010120050110{i:02d}", f"Agus {c}") for i, c in enumerate("ABCDEFGHIJKLMNOPQRST", 1)]
    entries += [entry(f"1981010120050110{i:02d}", f"Agus Wijaya {i}") for i in range(1, 40)]
    idx = IdentityIndex.build(entries, max_token_df=10)
    r = idx.match("x", author(name="Agus T."))
    assert [c.nama for c in r.candidates] == ["Agus T"]


def test_repeated_token_name():
    entries = [entry("198503122010011001", "Bagus Bagus")] + [
        entry(f"1981010120050110{i:02d}", f"Bagus Wijaya Putra {i}") for i in range(1, 30)
    ]
    idx = IdentityIndex.build(entries, max_token_df=10)
    assert idx.match("x", author(name="Bagus Bagus")).candidates[0].nip == "198503122010011001"


# --------------------------------------------------------------------------- ambiguity


def test_shared_names_are_ambiguous_and_all_listed():
    idx = IdentityIndex.build([
        entry("198503122010011001", "Budi Santoso", EDU),
        entry("198601012010012002", "Drs. Budi Santoso", HEALTH),
        entry("198701012010011003", "BUDI SANTOSO, S.E.", BKN),
        entry("198801012010011004", "Budi Susanto", EDU),
    ])
    r = idx.match("x", author(name="Budi Santoso"))
    assert r.method == "name" and r.ambiguous and r.best is None
    top = {c.nip for c in r.candidates if c.name_score == 100.0}
    assert top == {"198503122010011001", "198601012010012002", "198701012010011003"}
    assert all(c.confidence == pytest.approx(0.6) for c in r.candidates[:3])
    # a near name is listed too, below
    assert [c.confidence for c in r.candidates] == sorted((c.confidence for c in r.candidates), reverse=True)


def test_bio_separates_shared_names_but_keeps_others_listed():
    idx = IdentityIndex.build([
        entry("198503122010011001", "Budi Santoso", EDU),
        entry("198601012010012002", "Budi Santoso", HEALTH),
    ])
    r = idx.match("x", author(name="Budi Santoso", bio="Guru di Dinas Pendidikan Kota Contoh"))
    assert not r.ambiguous
    assert r.best.nip == "198503122010011001"
    assert len(r.candidates) == 2
    kinds = [e.kind for e in r.candidates[0].evidence]
    assert kinds == ["name", "bio_agency"]
    other = r.candidates[1]
    assert [e.kind for e in other.evidence] == ["name", "bio_contradiction"]
    assert other.confidence == pytest.approx(0.4)


# --------------------------------------------------------------------------- bio evidence


def _deltas(c):
    return {e.kind: e.delta for e in c.evidence}


def test_bio_raises_confidence_with_explainable_evidence(index):
    base = index.match("x", author(name="Rahmat Hidayat")).confidence
    r = index.match("x", author(name="Rahmat Hidayat", bio="ASN | Disdik Kota Contoh 🇮🇩"))
    c = r.best
    assert _deltas(c) == {"name": pytest.approx(0.6), "bio_agency": DELTA_AGENCY, "bio_asn": DELTA_ASN}
    assert c.confidence == pytest.approx(base + DELTA_AGENCY + DELTA_ASN)
    detail = next(e.detail for e in c.evidence if e.kind == "bio_agency")
    assert EDU in detail and "pendidikan" in detail


def test_bio_unit_and_nip_fragment_and_cap(index):
    r = index.match("x", author(name="Budi Santoso", bio="PNS, Bidang Pendidikan Dasar. NIP 19850312 201001 1 001"))
    c = r.best
    d = _deltas(c)
    assert d["bio_unit"] == DELTA_UNIT and d["bio_nip"] == DELTA_NIP and d["bio_asn"] == DELTA_ASN
    assert c.confidence == 0.95  # clamped: only declared accounts reach 1.0
    assert "198503122010011001" in next(e.detail for e in c.evidence if e.kind == "bio_nip")


def test_bio_agency_alternative_acronym(index):
    r = index.match("x", author(name="Ahmad Junaidi", bio="Analis SDM di BKN"))
    assert "bio_agency" in _deltas(r.best)


def test_bio_contradictions_lower_confidence(index):
    base = index.match("x", author(name="Rahmat Hidayat")).confidence
    r = index.match("x", author(name="Rahmat Hidayat", bio="Bukan ASN. Wiraswasta, mahasiswa S2"))
    c = r.best
    contra = [e for e in c.evidence if e.kind == "bio_contradiction"]
    assert len(contra) == 2
    assert "bio_asn" not in _deltas(c)  # "bukan ASN" is not an ASN claim
    assert c.confidence == pytest.approx(max(0.0, base - 0.3 - 0.2))
    r = index.match("x", author(name="Rahmat Hidayat", bio="Perawat di Dinas Kesehatan Kota Contoh"))
    c = r.best
    assert _deltas(c)["bio_contradiction"] < 0
    assert HEALTH in next(e.detail for e in c.evidence if e.kind == "bio_contradiction")


def test_bio_without_signal_adds_nothing(index):
    r = index.match("x", author(name="Rahmat Hidayat", bio="Suka kopi dan sepak bola"))
    assert [e.kind for e in r.best.evidence] == ["name"]


# --------------------------------------------------------------------------- single-token names


def test_single_token_name_needs_strong_bio(index):
    assert index.match("x", author(name="Nurhayati")).candidates == []
    assert index.match("x", author(name="Nurhayati", bio="ASN")).candidates == []  # ASN alone is weak
    r = index.match("x", author(name="Nurhayati", bio="Bidan, Puskesmas Sukamaju"))
    (c,) = r.candidates
    assert c.nip == "196501011990031006"
    assert _deltas(c)["name"] == pytest.approx(0.3)
    assert c.confidence == pytest.approx(0.3 + DELTA_UNIT)


def test_single_token_query_does_not_match_multi_token_entries(index):
    assert index.match("x", author(name="Budi", bio="Dinas Pendidikan Kota Contoh")).candidates == []


def test_match_name_helper(index):
    assert index.match_name("Rahmat Hidayat").best.nip == "198807172012121003"
    assert len(index) == len(ROSTER)
