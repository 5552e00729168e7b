"""Every shipped rule over harmless, non-political text: no partisan hit unless listed with a reason."""

from __future__ import annotations

from pathlib import Path

import yaml

from monitor.rules import load_rules

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "data" / "harmless_corpus.txt"
KNOWN = REPO / "tests" / "data" / "known_false_positives.yaml"


def corpus_lines() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def known_false_positives() -> dict[str, set[str]]:
    entries = yaml.safe_load(KNOWN.read_text(encoding="utf-8")) or []
    known: dict[str, set[str]] = {}
    for entry in entries:
        assert set(entry) == {"text", "rules", "reason"}, entry
        assert str(entry["reason"]).strip(), f"no reason given for {entry['text']!r}"
        known[entry["text"]] = set(entry["rules"])
    return known


def test_corpus_is_substantial() -> None:
    assert len(corpus_lines()) >= 150


def test_no_partisan_hits_on_harmless_text() -> None:
    rules = load_rules([REPO / "rules"])
    known = known_false_positives()
    unexpected: list[str] = []
    still_firing: set[str] = set()
    for line in corpus_lines():
        fired = {m.rule_id for m in rules.match(line) if m.category == "partisan"}
        allowed = known.get(line, set())
        if fired - allowed:
            unexpected.append(f"{line!r}: {sorted(fired - allowed)}")
        if fired & allowed:
            still_firing.add(line)
    assert not unexpected, "partisan rules fired on harmless text:\n" + "\n".join(unexpected)
    stale = set(known) - still_firing
    assert not stale, f"known_false_positives.yaml lists lines that no longer fire: {sorted(stale)}"
