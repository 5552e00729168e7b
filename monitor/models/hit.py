"""A scored hit: a (probable) ASN behaving in a partisan way, waiting for human review."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from monitor.models.election import ElectionSuggestion
from monitor.models.evidence import RuleMatch
from monitor.models.identity import IdentityResult

Status = Literal["baru", "dikonfirmasi", "ditolak"]
STATUSES: tuple[str, ...] = ("baru", "dikonfirmasi", "ditolak")


class ScoreStep(BaseModel):
    """One bar of the score waterfall: what a piece of evidence did to the score."""

    step: Literal["identity", "content", "exclusion", "behaviour", "final"]
    label: str
    """Machine-stable description, e.g. a rule id or behaviour name."""
    factor: float
    """Multiplier (or value, for ``identity``/``content``) this step applied."""
    score_after: float


def hit_id_for(platform: str, post_id: str) -> str:
    """Stable id of the hit on a post: the same post always gives the same hit id."""
    return "H" + hashlib.sha256(f"{platform}:{post_id}".encode()).hexdigest()[:12]


class Hit(BaseModel):
    hit_id: str
    platform: str
    post_id: str
    post_created_at: datetime
    nip: str | None = Field(None, description="Set only when exactly one roster entry fits")
    behaviour: str
    score: float
    identity_score: float
    content_score: float
    identity: IdentityResult
    rules: list[RuleMatch]
    steps: list[ScoreStep]
    explanation: str
    """Human-readable, in Bahasa Indonesia (English rendered on demand from the same evidence)."""
    ruleset_version: str
    status: Status = "baru"
    payload_sha256: str | None = None
    """SHA-256 of the stored payload this hit scored (the first capture or a later revision)."""
    author_keys: list[tuple[str, str]] = Field(default_factory=list)
    """Normalised ``(platform, account)`` keys of the post author (``author_account_keys``), set by
    the evaluator; the identity memory links or rejects these keys when the hit is reviewed."""
    election: ElectionSuggestion | None = None
    """The election and stage the hit probably concerns (set when elections are configured)."""
    office_code: str | None = None
    """The responsible office: the ASN's roster office, else the collecting office (set by the pipeline)."""
    collector_office: str | None = None
    """The office whose collector found the post (``[office] code``; None in a single-office instance)."""
