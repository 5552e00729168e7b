"""Who a post author may be, with the evidence for it (plain data, consumed by the scorer)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class IdentityEvidence(BaseModel):
    """One piece of identity evidence and how much it added to (or took from) the confidence."""

    kind: Literal[
        "declared_account",
        "reviewer_link",  # the account was confirmed as this ASN by a watcher (method declared_account)
        "name",
        "bio_agency",
        "bio_unit",
        "bio_asn",
        "bio_nip",
        "bio_contradiction",
    ]
    detail: str
    delta: float


class Candidate(BaseModel):
    nip: str
    nama: str
    instansi: str | None = None
    unit_kerja: str | None = None
    jabatan: str | None = None
    confidence: float = Field(..., ge=0.0, le=1.0)
    name_score: float | None = Field(None, description="rapidfuzz similarity 0..100 of normalised names")
    evidence: list[IdentityEvidence] = Field(default_factory=list)


class IdentityResult(BaseModel):
    method: Literal["declared_account", "name", "none"] = "none"
    candidates: list[Candidate] = Field(default_factory=list)
    """Sorted by confidence, highest first."""
    ambiguous: bool = False
    """True when several roster entries fit equally well: no single person may be picked."""

    @property
    def best(self) -> Candidate | None:
        if self.ambiguous or not self.candidates:
            return None
        return self.candidates[0]

    @property
    def confidence(self) -> float:
        return self.candidates[0].confidence if self.candidates else 0.0
