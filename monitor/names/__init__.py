"""Names for matching: personal names (titles, spelling variants) and account handles.

The title list and the spelling variants are package data files (``titles.txt``,
``variants.txt``) so they can be reviewed and extended without touching code. Account handle
normalisation (:mod:`monitor.names.handles`) lives here because both the roster importer and the
identity matcher need the very same rules and may both import this package.
"""

from monitor.names.handles import PLATFORM_ALIASES, canonical_platform, normalize_handle, split_account_spec
from monitor.names.normalize import fold_spelling, is_title, name_tokens, normalize_name, title_classes

__all__ = [
    "PLATFORM_ALIASES",
    "canonical_platform",
    "fold_spelling",
    "is_title",
    "name_tokens",
    "normalize_handle",
    "normalize_name",
    "split_account_spec",
    "title_classes",
]
