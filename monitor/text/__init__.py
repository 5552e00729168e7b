"""Text utilities shared by the rule engine and its callers."""

from monitor.text.normalize import normalize

__all__ = ["normalize"]
