"""bench/eval.py runs the product pipeline and counts right; the example packs stay quiet on harmless text."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

from monitor.rules import load_rules
from monitor.scoring.content import content_score

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "tests" / "data" / "eval_sample.csv"
CORPUS = REPO / "tests" / "data" / "harmless_corpus.txt"
KNOWN = REPO / "tests" / "data" / "known_false_positives.yaml"
PACKS = [REPO / "rules" / "examples" / "pilkada-dki-2017.yaml", REPO / "rules" / "examples" / "pilpres-2019.yaml"]


def _load_eval():
    spec = importlib.util.spec_from_file_location("bench_eval", REPO / "bench" / "eval.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def ev():
    return _load_eval()


@pytest.fixture(scope="module")
def report(ev):
    return ev.evaluate(ev.read_rows(SAMPLE))


def _outcome(report, setup: str, text_start: str):
    found = [o for o in report.outcomes if o.setup == setup and o.row.text.startswith(text_start)]
    assert len(found) == 1, (setup, text_start, found)
    return found[0]


def test_rows_are_routed_to_their_setups(ev, report):
    rows = ev.read_rows(SAMPLE)
    # unlabelled pilpres2019 and pilpres2019-unclear rows are skipped
    assert {r.source for r in rows} == {"pilkada-dki2017", "control-komentar", "control-tweet", "pilpres2019-labelled"}
    n = {src: sum(1 for r in rows if r.source == src) for src in {r.source for r in rows}}
    assert n == {"pilkada-dki2017": 8, "control-komentar": 4, "control-tweet": 5, "pilpres2019-labelled": 10}
    # controls once per setup, the others once
    assert len(report.outcomes) == 8 + 10 + 2 * (4 + 5)
    assert set(report.tables) == {
        ("pilkada", "pilkada-dki2017"), ("pilkada", "control-komentar"), ("pilkada", "control-tweet"),
        ("pilpres", "pilpres2019-labelled"), ("pilpres", "control-komentar"), ("pilpres", "control-tweet"),
    }


def test_confusion_counts_are_consistent(report):
    for (setup, src), c in report.tables.items():
        mine = [o for o in report.outcomes if o.setup == setup and o.row.source == src]
        assert c.total == len(mine)
        assert c.tp + c.fn == sum(o.row.label for o in mine)
        assert c.tp + c.fp == sum(o.predicted for o in mine)
        if src.startswith("control"):
            assert c.tp == c.fn == 0
    pk = report.tables[("pilkada", "pilkada-dki2017")]
    assert (pk.tp, pk.fp, pk.fn, pk.tn) == (7, 0, 1, 0)
    pp = report.tables[("pilpres", "pilpres2019-labelled")]
    assert (pp.tp, pp.fp, pp.fn, pp.tn) == (5, 0, 1, 4)
    ct = report.tables[("pilkada", "control-tweet")]
    assert (ct.tp, ct.fp, ct.fn, ct.tn) == (0, 1, 0, 4)
    comb = report.combined("pilkada", ["pilkada-dki2017"], controls=True)
    assert (comb.tp, comb.fp, comb.fn, comb.tn) == (7, 1, 1, 8)
    assert comb.precision == pytest.approx(7 / 8) and comb.recall == pytest.approx(7 / 8)


def test_obvious_cases_go_through_the_pipeline(report):
    # predicted partisan means: a hit was stored for the declared account, with the rules that fired
    o = _outcome(report, "pilkada", "Ayo coblos Anies-Sandi")
    assert o.predicted and o.score >= 0.5 and any(r.startswith("dki17.") for r in o.rules)
    o = _outcome(report, "pilkada", "Maju terus Ahok-Djarot")
    assert o.predicted and "dki17.salam-jari" in o.rules  # emoji kept through ingest
    assert _outcome(report, "pilkada", "Dasar Ahok penista").predicted
    assert _outcome(report, "pilpres", "Lanjutkan dua periode").predicted
    assert _outcome(report, "pilpres", "Dasar cebong").predicted
    o = _outcome(report, "pilpres", "Jokowi pembohong")
    assert o.predicted and "pilpres19.serangan" in o.rules
    for setup in ("pilkada", "pilpres"):
        assert not _outcome(report, setup, "Cantik banget").predicted
        assert not _outcome(report, setup, "Promo motor DP 0").predicted
        assert not _outcome(report, setup, "Foto dulu bareng host").predicted
        assert not _outcome(report, setup, "Pilih yang mana ya").predicted
    assert not _outcome(report, "pilpres", "Presiden Jokowi bertemu").predicted
    assert not _outcome(report, "pilpres", "Pajak UMKM").predicted
    # the pilkada pack is not loaded for pilpres rows and vice versa
    assert not any(r.startswith("pilpres19.") for o in report.outcomes if o.setup == "pilkada" for r in o.rules)
    assert not any(r.startswith("dki17.") for o in report.outcomes if o.setup == "pilpres" for r in o.rules)


def test_restore_emoji(ev):
    assert ev.restore_emoji("Ahok <Victory Hand> <USERNAME>") == "Ahok \u270c <USERNAME>"


def test_missing_data_is_a_clear_error(ev, tmp_path):
    with pytest.raises(SystemExit, match="evaluation data not found"):
        ev.read_rows(tmp_path / "nope.csv")


def _corpus() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.stem)
def test_example_pack_quiet_on_harmless_corpus(pack):
    known = {e["text"] for e in (yaml.safe_load(KNOWN.read_text(encoding="utf-8")) or [])}
    alone = load_rules([pack])
    with_default = load_rules([REPO / "rules", pack])
    bad = []
    for line in _corpus():
        if content_score(alone.match(line), "text").score >= 0.5:
            bad.append(f"{line!r}: {[m.rule_id for m in alone.match(line) if m.category == 'partisan']}")
        elif line not in known and content_score(with_default.match(line), "text").score >= 0.5:
            bad.append(f"{line!r} (with rules/): {[m.rule_id for m in with_default.match(line)]}")
    assert not bad, "example pack raises partisan content on harmless text:\n" + "\n".join(bad)
