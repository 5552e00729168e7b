"""What the rule engine found in a text (plain data, consumed by the scorer)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Field_ = Literal["text", "parent"]


class RuleMatch(BaseModel):
    """One rule that fired on one text of a post."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    title: str
    category: Literal["partisan", "exclusion"]
    weight: float
    target: str | None = None
    field: Field_ = "text"
    terms: tuple[str, ...] = ()
    """The rule's terms as the admin wrote them (e.g. ``#AMIN``, ``coblos``) that matched."""
    source_file: str | None = None
