"""Elections as data: which election and stage a hit concerns, and the deadline to register a finding.

    classify(elections, scopes=..., agencies=..., posted_at=..., tz=...) -> ElectionSuggestion
    rule_scopes(loaded_rules, elections) -> {rule_id: frozenset(election ids)}
    applicable_matches(matches, ...) -> the matches whose rules may fire for this post
    finding_deadline(detected_at, tz, today) -> Deadline
"""

from monitor.elections.classify import applicable_matches, classify, fitting_elections, local_day, rule_scopes
from monitor.elections.deadline import DEADLINE_DAYS, WARN_DAYS, Deadline, finding_deadline
from monitor.elections.legal import STAGE_BASIS, stage_basis

__all__ = [
    "DEADLINE_DAYS",
    "Deadline",
    "STAGE_BASIS",
    "WARN_DAYS",
    "applicable_matches",
    "classify",
    "finding_deadline",
    "fitting_elections",
    "local_day",
    "rule_scopes",
    "stage_basis",
]
