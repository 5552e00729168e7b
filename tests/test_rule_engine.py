"""monitor.rules.engine: term semantics, word boundaries, hashtags, regex, overlaps, version."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.rules import LoadedRule, Rule, RuleSet
from monitor.text import normalize


def rule(rule_id: str, terms: dict[str, Any], **extra: Any) -> Rule:
    data = {
        "id": rule_id,
        "title": f"title {rule_id}",
        "description": "d",
        "category": "partisan",
        "weight": 0.5,
        "terms": terms,
        "examples": {"match": ["x"], "no_match": ["y"]},
    }
    data.update(extra)
    return Rule.model_validate(data)


def ruleset(*rules: Rule, source: str = "test.yaml") -> RuleSet:
    return RuleSet([LoadedRule(rule=r, source_file=source, line=i + 1) for i, r in enumerate(rules)], [source])


def fired(rs: RuleSet, text: str) -> dict[str, tuple[str, ...]]:
    return {m.rule_id: m.terms for m in rs.match(text)}


# ----------------------------------------------------------------- any / all / none


def test_any_fires_on_one_term_and_lists_terms_as_written() -> None:
    rs = ruleset(rule("r", {"any": ["Prabowo", "Gibran Rakabuming", "#PrabowoGibran"]}))
    assert fired(rs, "pak prabowo datang") == {"r": ("Prabowo",)}
    assert fired(rs, "GIBRAN   rakabuming dan Prabowo! #prabowogibran") == {
        "r": ("Prabowo", "Gibran Rakabuming", "#PrabowoGibran")
    }
    assert fired(rs, "tidak ada nama") == {}


def test_all_requires_every_term() -> None:
    rs = ruleset(rule("r", {"all": ["netralitas", "asn"]}))
    assert fired(rs, "netralitas ASN") == {"r": ("netralitas", "asn")}
    assert fired(rs, "netralitas saja") == {}
    assert fired(rs, "asn saja") == {}


def test_any_and_all_combined() -> None:
    rs = ruleset(rule("r", {"any": ["prabowo", "gibran"], "all": ["✌"]}))
    assert fired(rs, "Gibran ✌️") == {"r": ("gibran", "✌")}
    assert fired(rs, "Gibran saja") == {}
    assert fired(rs, "✌ saja") == {}


def test_none_blocks_the_rule() -> None:
    rs = ruleset(rule("r", {"any": ["gibran"], "none": ["kahlil gibran"]}))
    assert fired(rs, "mas gibran") == {"r": ("gibran",)}
    assert fired(rs, "puisi kahlil gibran") == {}
    assert fired(rs, "mas gibran suka puisi kahlil gibran") == {}


def test_none_regex_blocks_and_positive_terms_only_are_listed() -> None:
    rs = ruleset(rule("r", {"any": ["anies"], "none": [{"regex": r"\bsurvei\w*"}]}))
    assert fired(rs, "anies lagi") == {"r": ("anies",)}
    assert fired(rs, "anies menurut surveinya") == {}


def test_disabled_rules_are_loaded_but_never_match() -> None:
    rs = ruleset(rule("on", {"any": ["a1b2"]}), rule("off", {"any": ["a1b2"]}, enabled=False))
    assert [lr.rule.id for lr in rs.rules] == ["on", "off"]
    assert fired(rs, "a1b2") == {"on": ("a1b2",)}


# ----------------------------------------------------------------- boundaries and hashtags


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("prabowo", True),
        ("Pak Prabowo.", True),
        ("#prabowo", True),
        ("@prabowo", True),
        ("#prabowogibran", False),
        ("prabowogibran", False),
        ("prabowo_subianto", False),
        ("2prabowo", False),
        ("pr4bowo", True),
        ("p r a b o w o", True),
        ("pra\u200bbowo", True),
    ],
)
def test_plain_word_boundaries(text: str, hit: bool) -> None:
    rs = ruleset(rule("r", {"any": ["prabowo"]}))
    assert bool(rs.match(text)) is hit


def test_verb_root_inside_other_words_does_not_match() -> None:
    rs = ruleset(rule("r", {"any": ["ganjar", "amin", "demokrat"]}))
    assert fired(rs, "atlet diganjar medali, ganjaran setimpal") == {}
    assert fired(rs, "aamiin, jaminan kesehatan") == {}
    assert fired(rs, "pemilu yang demokratis") == {}


def test_hashtag_term_matches_only_the_whole_hashtag() -> None:
    rs = ruleset(rule("r", {"any": ["#AMIN"]}))
    assert fired(rs, "gas #amin") == {"r": ("#AMIN",)}
    assert fired(rs, "gas #AMIN!") == {"r": ("#AMIN",)}
    assert fired(rs, "amin ya allah") == {}
    assert fired(rs, "#amin2024") == {}
    assert fired(rs, "@amin") == {}


def test_phrase_boundaries() -> None:
    rs = ruleset(rule("r", {"any": ["salam 2 jari"]}))
    assert fired(rs, "SALAM  2   JARI!!") == {"r": ("salam 2 jari",)}
    assert fired(rs, "salam 2 jarinya") == {}
    assert fired(rs, "wassalam 2 jari") == {}
    assert fired(rs, "salam 22 jari") == {}


def test_bare_number_terms_respect_token_boundaries() -> None:
    rs = ruleset(rule("r", {"any": ["02"]}))
    assert fired(rs, "coblos 02") == {"r": ("02",)}
    assert fired(rs, "jam 10.02") == {"r": ("02",)}  # "." is a separator: term authors beware
    assert fired(rs, "kamar 202") == {}
    assert fired(rs, "2024") == {}


# ----------------------------------------------------------------- regex terms


def test_regex_term_with_label_and_default_display() -> None:
    labelled = rule("a", {"any": [{"regex": r"\bcoblos (?:no )?0?2\b", "label": "coblos 02"}]})
    plain = rule("b", {"any": [{"regex": r"\bcoblos (?:no )?0?2\b"}]})
    rs = ruleset(labelled, plain)
    assert fired(rs, "Coblos no. 2!") == {"a": ("coblos 02",), "b": (r"regex:\bcoblos (?:no )?0?2\b",)}
    assert fired(rs, "coblos 12") == {}


def test_regex_in_all_runs_only_with_the_other_terms() -> None:
    rs = ruleset(rule("r", {"any": ["anies"], "all": [{"regex": r"\bdukung \w+", "label": "dukung"}]}))
    assert fired(rs, "dukung pak anies") == {"r": ("anies", "dukung")}
    assert fired(rs, "dukung pak ganjar") == {}
    assert fired(rs, "anies saja") == {}


def test_regex_only_all_rule_fires_without_plain_terms() -> None:
    rs = ruleset(rule("r", {"all": [{"regex": r"\bsalam [1-4] jari\b", "label": "salam jari"}]}))
    assert fired(rs, "Salam 3 jari!") == {"r": ("salam jari",)}


# ----------------------------------------------------------------- overlaps


def test_overlapping_terms_within_one_rule() -> None:
    rs = ruleset(rule("r", {"any": ["anies", "anies baswedan", "baswedan", "#aniesbaswedan"]}))
    assert fired(rs, "Anies Baswedan #AniesBaswedan") == {
        "r": ("anies", "anies baswedan", "baswedan", "#aniesbaswedan")
    }


def test_overlapping_terms_across_rules_and_shared_terms() -> None:
    rs = ruleset(
        rule("short", {"any": ["anies"]}),
        rule("long", {"any": ["anies baswedan"]}),
        rule("tail", {"any": ["baswedan"]}),
        rule("again", {"any": ["Anies"]}),
        rule("phrase", {"any": ["baswedan muhaimin"]}),
    )
    assert fired(rs, "anies baswedan muhaimin") == {
        "short": ("anies",),
        "long": ("anies baswedan",),
        "tail": ("baswedan",),
        "again": ("Anies",),
        "phrase": ("baswedan muhaimin",),
    }


def test_terms_that_normalise_alike_are_all_listed_once_each() -> None:
    rs = ruleset(rule("r", {"any": ["Prabowo", "prabowo", "PR4BOWO"]}))
    assert fired(rs, "prabowo") == {"r": ("Prabowo", "prabowo", "PR4BOWO")}


# ----------------------------------------------------------------- RuleMatch, API


def test_rule_match_fields() -> None:
    r = rule("paslon02.nama", {"any": ["prabowo"]}, weight=0.3, target="Paslon 02", title="Nama 02")
    rs = ruleset(r, source="rules/x.yaml")
    (m,) = rs.match("prabowo", field="parent")
    assert (m.rule_id, m.title, m.category, m.weight, m.target, m.field, m.terms, m.source_file) == (
        "paslon02.nama", "Nama 02", "partisan", 0.3, "Paslon 02", "parent", ("prabowo",), "rules/x.yaml",
    )
    assert rs.match("prabowo")[0].field == "text"
    with pytest.raises(ValueError):
        rs.match("prabowo", field="title")  # type: ignore[arg-type]


def test_match_normalized_equals_match() -> None:
    rs = ruleset(rule("r", {"any": ["prabowo"], "all": [{"regex": "gemoy"}]}))
    text = "PR4BOWO gemoyyy!!"
    assert rs.match_normalized(normalize(text)) == rs.match(text)


def test_results_follow_rule_order() -> None:
    rs = ruleset(rule("z", {"any": ["b"]}), rule("a", {"any": ["a"]}))
    assert [m.rule_id for m in rs.match("a b")] == ["z", "a"]


def test_empty_ruleset() -> None:
    rs = RuleSet()
    assert rs.match("apa saja") == []
    assert len(rs) == 0 and rs.files == ()
    assert len(rs.version) == 12


def test_get_by_id() -> None:
    rs = ruleset(rule("r", {"any": ["x"]}))
    assert rs.get("r").rule.id == "r"  # type: ignore[union-attr]
    assert rs.get("nope") is None


# ----------------------------------------------------------------- version


def test_version_is_stable_across_order_and_files() -> None:
    a, b = rule("a", {"any": ["x"]}), rule("b", {"any": ["y"]})
    v1 = RuleSet([LoadedRule(rule=a, source_file="one.yaml"), LoadedRule(rule=b, source_file="two.yaml")]).version
    v2 = RuleSet([LoadedRule(rule=b, source_file="other.yaml"), LoadedRule(rule=a, source_file="other.yaml")]).version
    assert v1 == v2
    assert len(v1) == 12 and all(c in "0123456789abcdef" for c in v1)


def test_version_changes_with_content_and_ignores_disabled_rules() -> None:
    a = rule("a", {"any": ["x"]})
    base = ruleset(a).version
    assert ruleset(rule("a", {"any": ["x"]}, weight=0.6)).version != base
    assert ruleset(rule("a", {"any": ["x", "y"]})).version != base
    assert ruleset(a, rule("off", {"any": ["z"]}, enabled=False)).version == base
    # Explicit defaults are the same rule.
    assert ruleset(rule("a", {"any": ["x"]}, enabled=True, target=None)).version == base


def test_version_is_pinned_for_a_known_rule() -> None:
    # The version is stored with evidence: a change of the canonical form must be deliberate.
    assert ruleset(rule("a", {"any": ["x"]})).version == "c55753ee3e7d"


# ----------------------------------------------------------------- scale


def test_many_rules_stay_correct() -> None:
    rules = [rule(f"r{i}", {"any": [f"kata{i}", f"frasa {i} panjang"]}) for i in range(2000)]
    rs = ruleset(*rules)
    got = fired(rs, "kata7 dan frasa 1999 panjang serta kata12x")
    assert got == {"r7": ("kata7",), "r1999": ("frasa 1999 panjang",)}


def test_loaded_rules_dump_to_json_with_their_source() -> None:
    rs = ruleset(rule("r", {"any": ["x", {"regex": "y+", "label": "y"}]}), source="rules/a.yaml")
    dumped = [lr.model_dump(mode="json") for lr in rs.rules]
    assert dumped[0]["source_file"] == "rules/a.yaml" and dumped[0]["line"] == 1
    assert dumped[0]["rule"]["id"] == "r"
    assert dumped[0]["rule"]["terms"]["any"] == ["x", {"regex": "y+", "label": "y"}]
