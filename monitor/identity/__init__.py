"""Identity: which registered ASN a post author may be, with explainable evidence.

Public API: :class:`IdentityIndex` (``build(entries)``, ``match(platform, author)``),
:func:`author_account_keys` / :func:`declared_account_key` (account normalisation, see
:mod:`monitor.names.handles`), and the bio evidence rules (:mod:`monitor.identity.bio`).
"""

from monitor.identity.accounts import author_account_keys, declared_account_key
from monitor.identity.index import IdentityIndex, handle_to_name

__all__ = ["IdentityIndex", "author_account_keys", "declared_account_key", "handle_to_name"]
