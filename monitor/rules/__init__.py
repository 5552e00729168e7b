"""Keyword rules: YAML rule files -> validated, compiled ``RuleSet`` -> ``RuleMatch`` lists.

Public API::

    load_rules(paths) -> RuleSet          # raises RuleSetError with every problem
    check_rules(paths) -> list[RuleError] # never raises for content problems
    RuleSet.match(text, field="text") -> list[RuleMatch]
    RuleSet.match_normalized(norm_text, field="text") -> list[RuleMatch]
"""

from monitor.rules.engine import LoadedRule, RuleSet
from monitor.rules.errors import RuleError, RuleSetError
from monitor.rules.loader import check_rules, load_rules, rule_files
from monitor.rules.schema import Rule, RuleFile

__all__ = [
    "LoadedRule",
    "Rule",
    "RuleError",
    "RuleFile",
    "RuleSet",
    "RuleSetError",
    "check_rules",
    "load_rules",
    "rule_files",
]
