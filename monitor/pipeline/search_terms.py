"""Search queries for platforms that search by text (X, Bluesky), derived from the rules.

Only strong partisan signals are used (weight >= ``min_weight``): hashtags and multi-word
phrases of the rules' ``any`` terms, which are specific enough to search for. Single words and
regexes are left out (too broad, or not expressible as a platform query).
"""

from __future__ import annotations

from monitor.rules import RuleSet


def search_terms(rules: RuleSet, min_weight: float = 0.7, limit: int = 200) -> list[str]:
    """Hashtags first (always specific), then phrases of rules that need nothing else to fire."""
    hashtags: list[str] = []
    phrases: list[str] = []
    seen: set[str] = set()
    for lr in sorted(rules.rules, key=lambda r: (-r.rule.weight, r.rule.id)):
        rule = lr.rule
        if rule.category != "partisan" or not rule.enabled or rule.weight < min_weight:
            continue
        for term in rule.terms.any:
            if not isinstance(term, str) or term.strip().lower() in seen:
                continue
            t = term.strip()
            if t.startswith("#"):
                hashtags.append(t)
            elif " " in t and not rule.terms.all:
                phrases.append(t)
            else:
                continue
            seen.add(t.lower())
    return (hashtags + phrases)[:limit]
