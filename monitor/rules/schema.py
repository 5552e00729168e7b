r"""The rule-file format: the single source of truth for what a rule file may contain.

A rule file is a YAML mapping::

    pack: {name: ..., description: ..., election: ..., elections: [...]}   # both optional
    rules:
      - id: paslon02.ajakan
        title: ...
        description: ...
        category: partisan            # or: exclusion
        weight: 0.9                   # 0 < weight <= 1
        target: "Paslon 02 Prabowo-Gibran"   # optional
        enabled: true                 # optional, default true
        terms:
          any: [prabowo, "#prabowogibran", {regex: '\bcoblos\s+0?2\b', label: coblos 02}]
          all: []
          none: []
        examples: {match: [...], no_match: [...]}

A plain string term is a word or phrase matched on word boundaries after
normalisation (``monitor.text.normalize``); a string starting with ``#`` is a hashtag
and matches only the whole hashtag token. ``{regex: ...}`` is a Python ``re`` pattern
searched in the normalised text (lower-case, punctuation replaced by spaces); the
optional ``label`` is how the term is shown in evidence (default ``regex:<pattern>``).

A rule fires on a text iff (``any`` is empty or one ``any`` term occurs) and every
``all`` term occurs and no ``none`` term occurs.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from monitor.text import normalize

RULE_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
ELECTION_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"  # same as monitor.models.election

# Names of the two term variants inside pydantic error locations (stripped when reporting).
TERM_TAGS = ("plain-term", "regex-term")

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


def check_plain_term(term: str) -> str:
    """Validate a word/phrase/hashtag term; return it unchanged."""
    norm = normalize(term)
    if not norm:
        raise ValueError(f"term {term!r} normalises to the empty string")
    if term.lstrip().startswith("#") and (" " in norm or not norm.startswith("#")):
        raise ValueError(f"hashtag term {term!r} must be a single hashtag token (normalised: {norm!r})")
    return term


PlainTerm = Annotated[str, Field(min_length=1), AfterValidator(check_plain_term)]


class RegexTerm(BaseModel):
    """A term given as ``{regex: "...", label: "..."}``, searched in the normalised text."""

    model_config = _STRICT

    regex: str = Field(min_length=1)
    label: str | None = Field(None, min_length=1)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"regex does not compile: {exc}") from None
        if compiled.search("") is not None:
            raise ValueError("regex matches the empty string, so it would match every text")
        return value

    @property
    def display(self) -> str:
        """How the term is shown in evidence (``RuleMatch.terms``)."""
        return self.label or f"regex:{self.regex}"


def _term_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "plain-term"
    if isinstance(value, (dict, RegexTerm)):
        return "regex-term"
    return None


Term = Annotated[
    Union[Annotated[PlainTerm, Tag("plain-term")], Annotated[RegexTerm, Tag("regex-term")]],
    Discriminator(
        _term_kind,
        custom_error_type="term_type",
        custom_error_message="a term must be a string or a mapping {regex: ...}",
    ),
]


def term_display(term: str | RegexTerm) -> str:
    """The term as the admin wrote it, for evidence."""
    return term if isinstance(term, str) else term.display


class Terms(BaseModel):
    """The three term lists of a rule."""

    model_config = _STRICT

    any: list[Term] = Field(default_factory=list)
    all: list[Term] = Field(default_factory=list)
    none: list[Term] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_positive_terms(self) -> "Terms":
        if not self.any and not self.all:
            raise ValueError("at least one of 'any' or 'all' must list a term")
        return self


class Examples(BaseModel):
    """Texts the rule must fire on (``match``) and must not fire on (``no_match``)."""

    model_config = _STRICT

    match: list[str] = Field(min_length=1)
    no_match: list[str] = Field(min_length=1)


class Rule(BaseModel):
    """One rule."""

    model_config = _STRICT

    id: str = Field(pattern=RULE_ID_PATTERN, max_length=128)
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    category: Literal["partisan", "exclusion"]
    weight: float = Field(gt=0, le=1)
    terms: Terms
    target: str | None = Field(None, min_length=1)
    enabled: bool = True
    examples: Examples


class Pack(BaseModel):
    """What a rule file is about."""

    model_config = _STRICT

    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    election: str | None = Field(None, min_length=1)
    """Free text for people (e.g. "Pemilu Presiden 2024 (14 Februari 2024)")."""
    elections: list[Annotated[str, Field(pattern=ELECTION_ID_PATTERN, max_length=64)]] = Field(default_factory=list)
    """Ids of ``[elections.ID]`` in config.toml this pack's rules are scoped to (empty: every election).
    A scoped rule only fires on a post that can concern one of them (date window, the ASN's region)."""


class RuleFile(BaseModel):
    """The top level of one rule file."""

    model_config = _STRICT

    pack: Pack
    rules: list[Rule]
