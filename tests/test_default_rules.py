"""The shipped rule pack (rules/): loads cleanly, its examples hold, evasions match, seeds stay clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.rules import RuleSet, check_rules, load_rules

REPO = Path(__file__).resolve().parents[1]
RULES_DIR = REPO / "rules"
SEED_COPY = REPO / "tests" / "data" / "seeds"
SHARED_SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"

PACK = load_rules([RULES_DIR])
RULE_IDS = [lr.rule.id for lr in PACK.rules]


def partisan(rs: RuleSet, text: str) -> dict[str, float]:
    return {m.rule_id: m.weight for m in rs.match(text) if m.category == "partisan"}


def test_pack_loads_without_errors() -> None:
    assert check_rules([RULES_DIR]) == []
    assert len(PACK.rules) >= 50
    assert {Path(f).name for f in PACK.files} >= {
        "pemilu2024-paslon.yaml", "pemilu2024-partai.yaml", "kampanye-umum.yaml", "pengecualian.yaml",
    }


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_examples(rule_id: str) -> None:
    loaded = PACK.get(rule_id)
    assert loaded is not None and loaded.rule.enabled
    examples = loaded.rule.examples
    assert len(examples.match) >= 2 and len(examples.no_match) >= 2
    for text in examples.match:
        assert rule_id in {m.rule_id for m in PACK.match(text)}, f"should match: {text!r}"
    for text in examples.no_match:
        assert rule_id not in {m.rule_id for m in PACK.match(text)}, f"must not match: {text!r}"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_weight_policy(rule_id: str) -> None:
    rule = PACK.get(rule_id).rule  # type: ignore[union-attr]
    if rule.id.endswith(".sebut"):
        assert rule.weight <= 0.35, "a bare mention must never be a finding on its own"
    if rule.category == "partisan" and rule.id.endswith((".ajakan", ".tagar")):
        assert 0.7 <= rule.weight <= 0.95


def test_weak_rules_cannot_add_up_to_a_finding() -> None:
    # The scorer combines partisan matches as a noisy-OR, 1 - prod(1 - w), and looks at a post
    # from 0.5 on. Even if every rule below 0.5 fired on one text, they must stay below 0.5.
    keep = 1.0
    for lr in PACK.rules:
        if lr.rule.category == "partisan" and lr.rule.weight < 0.5:
            keep *= 1.0 - lr.rule.weight
    assert 1.0 - keep < 0.5


@pytest.mark.parametrize(
    ("text", "rule_id"),
    [
        ("pr4bowo lagi di tv", "paslon.sebut"),
        ("PR4B0W0", "paslon.sebut"),
        ("p r a b o w o", "paslon.sebut"),
        ("pra\u200bbo\u200bwo", "paslon.sebut"),
        ("prаbowo", "paslon.sebut"),  # Cyrillic a
        ("g a n j a r", "paslon.sebut"),
        ("g.a.n.j.a.r", "paslon.sebut"),
        ("g4nj4r", "paslon.sebut"),
        ("aniesss", "paslon.sebut"),
        ("4n1es", "paslon.sebut"),
        ("ＡＮＩＥＳ", "paslon.sebut"),
        ("c0bl0s 02!!", "paslon02.ajakan"),
        ("coblos 0\ufe0f\u20e32\ufe0f\u20e3", "paslon02.ajakan"),  # keycap emoji 0️⃣2️⃣
        ("dukung g a n j a r", "paslon03.ajakan"),
        ("dukung\u200b pak aniesss", "paslon01.ajakan"),
        ("#PrabowoGibran2024", "paslon02.tagar"),
        ("#salam4jari", "umum.salam-4-jari"),
        ("SALAM 4 JARI!!!", "umum.salam-4-jari"),
        ("s4lam dua jari ✌️", "umum.salam-2-jari"),
        ("c3bong", "umum.hinaan-kubu"),
        ("Prabowo ✌🏽", "paslon02.emoji-jari"),
        ("Ganjar 🤟🏻", "paslon03.emoji-jari"),
        ("pilih g3rindra", "partai.gerindra.ajakan"),
    ],
)
def test_evasion_spellings_match(text: str, rule_id: str) -> None:
    assert rule_id in partisan(PACK, text)


@pytest.mark.parametrize(
    "text",
    [
        "Semoga cepat sembuh, amin ya Allah",
        "Aamiin, semoga lancar",
        "Atlet kita diganjar medali emas",
        "Sekjen PBB serukan gencatan senjata",
        "Bayar PBB sebelum jatuh tempo",
        "Timnas Garuda menang lagi!",
        "Garuda Pancasila lambang negara",
        "Demo buruh soal upah minimum",
        "Pemilu harus demokratis, demokrasi harus dijaga",
        "Sidang Kabinet Indonesia Maju hari ini",
        "Menuju Indonesia Maju 2045",
        "Rapat di ruang 02 jam 9",
        "Nomor antrean 2 silakan",
        "Ada perubahan jadwal rapat",
        "Kucingnya gemoy banget",
        "Kerjanya sat set, mantap",
        "Peace ✌️",
    ],
)
def test_traps_do_not_fire_partisan_rules(text: str) -> None:
    assert partisan(PACK, text) == {}


def test_bare_names_stay_weak() -> None:
    hits = partisan(PACK, "Prabowo, Anies dan Ganjar hadir di acara Golkar, PDI-P dan NasDem")
    assert hits == {"paslon.sebut": 0.3, "partai.sebut": 0.25}


def test_neutrality_exclusion_cannot_whitewash_a_campaign_call() -> None:
    ids = {m.rule_id for m in PACK.match("#ASNNetral tapi tetap coblos 02 ✌")}
    assert "paslon02.ajakan" in ids and "kecuali.netralitas" not in ids


def _seed_files() -> list[Path]:
    files = sorted(SEED_COPY.glob("*.txt"))
    if SHARED_SEEDS.is_dir():
        files += sorted(SHARED_SEEDS.glob("*.txt"))
    return files


def test_seed_copy_is_complete() -> None:
    copies = sorted(p.name for p in SEED_COPY.glob("*.txt"))
    assert len(copies) == 5
    if SHARED_SEEDS.is_dir():
        assert copies == sorted(p.name for p in SHARED_SEEDS.glob("*.txt"))
        for name in copies:
            assert (SEED_COPY / name).read_bytes() == (SHARED_SEEDS / name).read_bytes()


@pytest.mark.parametrize("seed", _seed_files(), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_seed_articles_yield_no_surviving_partisan_match(seed: Path) -> None:
    matches = PACK.match(seed.read_text(encoding="utf-8"))
    fired = [m.rule_id for m in matches if m.category == "partisan"]
    cancelled = any(m.category == "exclusion" and m.weight >= 1.0 for m in matches)
    assert not fired or cancelled, f"partisan rules fired on a neutrality article: {fired}"
