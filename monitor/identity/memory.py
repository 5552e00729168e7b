"""Reviewer memory for identity matching; the data and rules live in
:mod:`monitor.models.identity_memory` (shared with the store), re-exported here."""

from monitor.models.identity_memory import AccountLink, IdentityMemory, is_identity_dismissal

__all__ = ["AccountLink", "IdentityMemory", "is_identity_dismissal"]
