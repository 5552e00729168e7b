"""How partisan one text is, from the rules that fired on it.

Partisan rules combine as a noisy-OR (``1 - prod(1 - w)``): several independent signals raise the
score, none can push it past 1. Exclusion rules then multiply by ``(1 - w)``: an exclusion of
weight 1.0 cancels, a weaker one dampens. Adding an exclusion therefore never raises a score.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.models import RuleMatch
from monitor.models.hit import ScoreStep


@dataclass
class ContentScore:
    field: str
    score: float = 0.0
    partisan: list[RuleMatch] = field(default_factory=list)
    exclusions: list[RuleMatch] = field(default_factory=list)
    steps: list[ScoreStep] = field(default_factory=list)


def content_score(matches: list[RuleMatch], field_name: str) -> ContentScore:
    out = ContentScore(field=field_name)
    partisan = sorted(
        (m for m in matches if m.category == "partisan" and m.field == field_name),
        key=lambda m: (-m.weight, m.rule_id),
    )
    exclusions = sorted(
        (m for m in matches if m.category == "exclusion" and m.field == field_name),
        key=lambda m: (-m.weight, m.rule_id),
    )
    keep = 1.0
    score = 0.0
    for m in partisan:
        keep *= 1.0 - m.weight
        score = 1.0 - keep
        out.steps.append(ScoreStep(step="content", label=f"{field_name}:{m.rule_id}", factor=m.weight, score_after=score))
    if partisan:
        for m in exclusions:
            factor = 1.0 - m.weight
            score *= factor
            out.steps.append(
                ScoreStep(step="exclusion", label=f"{field_name}:{m.rule_id}", factor=factor, score_after=score)
            )
    out.score = max(0.0, min(1.0, score))
    out.partisan = partisan
    out.exclusions = exclusions
    return out
