"""Text utilities shared by the rule engine and its callers."""

from monitor.text.batch import normalize_many
from monitor.text.normalize import normalize

__all__ = ["normalize", "normalize_many"]
