"""The regex prefilter is exact: the optimised matcher fires exactly like the straightforward one."""

import json
import random
import re
from pathlib import Path

import pytest

from monitor.demo import DATA_DIR
from monitor.rules import load_rules
from monitor.rules.engine import Matcher
from monitor.rules.prefilter import GatedRegex, required_literals, required_strings
from monitor.text import normalize

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


def corpus() -> list[str]:
    texts = [line for line in (DATA / "harmless_corpus.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    for line in (DATA_DIR / "posts.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        texts.append(rec.get("text") or "")
        texts.append((rec.get("parent") or {}).get("text") or "")
    texts += [p.read_text(encoding="utf-8") for p in sorted((DATA / "seeds").glob("*.txt"))]
    texts += [line.split(",", 1)[1] for line in (DATA / "eval_sample.csv").read_text(encoding="utf-8").splitlines()[1:]]
    rnd = random.Random(7)
    words = "coblos pilih 02 #coblos02 #prabowogibran #01menang anies ganjar amin menangkan # nomor urut".split()
    texts += [" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 8))) for _ in range(500)]
    return [t for t in texts if t]


@pytest.mark.parametrize("paths", [["rules"], ["rules", "rules/examples/pilkada-dki-2017.yaml"],
                                   ["rules", "rules/examples/pilpres-2019.yaml"]], ids=["default", "dki17", "pilpres19"])
def test_gated_matcher_fires_exactly_like_the_plain_one(paths):
    rules = [lr.rule for lr in load_rules([REPO / p for p in paths]).rules]
    fast, plain = Matcher(rules), Matcher(rules, gate=False)
    texts = corpus()
    assert len(texts) > 1000
    fired = 0
    for text in texts:
        norm = normalize(text)
        a, b = fast.evaluate(norm), plain.evaluate(norm)
        assert a == b, text
        fired += bool(a)
    assert fired > 100  # the corpus exercises the rules, not just silence


@pytest.mark.parametrize("pattern,need", [
    (r"(?:^| )#\w*?(?:coblos|pilih)", {"#", "l"}),  # "l" is in both branches
    (r"(ab|ac)d", {"a", "d"}),
    (r"a?b", {"b"}),
    (r"x{0,3}y", {"y"}),
    (r"(?i)abc", set()),
    (r"[#@]x", {"x"}),
    (r"(?:a|)b", {"b"}),
])
def test_required_literals(pattern, need):
    assert required_literals(re.compile(pattern)) == need


def test_gate_never_hides_a_match_on_random_texts():
    rnd = random.Random(3)
    alphabet = "ab#c d2x"
    patterns = [r"(?:^| )#\w+", r"a(b|c)+d?", r"x{1,2}2", r"(?:#a|b#)c", r"\bab\b"]
    for p in patterns:
        rx = re.compile(p)
        gated = GatedRegex(rx)
        for _ in range(2000):
            s = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12)))
            assert bool(gated.search(s)) == bool(rx.search(s)), (p, s)


@pytest.mark.parametrize("pattern,strings", [
    (r"\b(?:coblos|pilih) 0?2\b", {"coblos 02", "coblos 2", "pilih 02", "pilih 2"}),
    (r"(?:^| )#\w*?(?:coblos|pilih)", {"coblos", "pilih"}),
    (r"(?:#a|b#)c", {"#ac", "b#c"}),
    (r"\w+", set()),
    (r"(?i)abc", set()),
])
def test_required_strings(pattern, strings):
    assert required_strings(re.compile(pattern)) == strings


def test_string_gate_never_hides_a_match_on_random_regexes():
    """Random patterns (groups, alternations, repeats, classes, look-arounds) on random texts."""
    rnd = random.Random(5)
    atoms = ["a", "b", "c", " ", "#", r"\b", "(?=a)", "(?!b)", "[ab]", r"\w", ".", "^", "$"]

    def gen(depth: int = 0) -> str:
        k = rnd.random()
        if depth > 3 or k < 0.35:
            return rnd.choice(atoms)
        if k < 0.55:
            return "".join(gen(depth + 1) for _ in range(rnd.randint(2, 4)))
        if k < 0.7:
            return "(?:" + "|".join(gen(depth + 1) for _ in range(rnd.randint(2, 3))) + ")"
        if k < 0.85:
            return "(" + gen(depth + 1) + ")" + rnd.choice(["?", "*", "+", "{1,2}", "{0,3}", "{2}", "{2,5}"])
        return "(?:" + gen(depth + 1) + ")"

    gated = 0
    for _ in range(1500):
        try:
            rx = re.compile(gen())
        except re.error:
            continue
        gate = GatedRegex(rx)
        gated += bool(gate.any_of)
        for _ in range(150):
            s = "".join(rnd.choice("abc #d") for _ in range(rnd.randint(0, 10)))
            assert bool(gate.search(s)) == bool(rx.search(s)), (rx.pattern, s)
    assert gated > 100  # the string gate was exercised
