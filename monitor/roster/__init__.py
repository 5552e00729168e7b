"""The roster of registered civil servants (ASN): reading and validating the CSV/XLSX file.

Public API: :func:`read_roster` -> :class:`RosterParse` (``entries``, ``errors``, ``warnings``),
:class:`RowError`, and NIP parsing (:func:`parse_nip`, :func:`is_valid_nip`, :class:`NipInfo`).
"""

from monitor.roster.columns import ALIASES, CANONICAL_COLUMNS, REQUIRED_COLUMNS, resolve_header
from monitor.roster.importer import RosterParse, RowError, read_roster
from monitor.roster.nip import NipInfo, is_valid_nip, parse_nip

__all__ = [
    "ALIASES",
    "CANONICAL_COLUMNS",
    "NipInfo",
    "REQUIRED_COLUMNS",
    "RosterParse",
    "RowError",
    "is_valid_nip",
    "parse_nip",
    "read_roster",
    "resolve_header",
]
