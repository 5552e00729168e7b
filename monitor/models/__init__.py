"""Plain data types shared by every stage. No stage imports another stage's internals;
they exchange only these models."""

from monitor.models.post import Author, Kind, ParentRef, Post
from monitor.models.roster import DeclaredAccount, RosterEntry
from monitor.models.evidence import RuleMatch
from monitor.models.identity import Candidate, IdentityEvidence, IdentityResult

__all__ = [
    "Author",
    "Candidate",
    "DeclaredAccount",
    "IdentityEvidence",
    "IdentityResult",
    "Kind",
    "ParentRef",
    "Post",
    "RosterEntry",
    "RuleMatch",
]
