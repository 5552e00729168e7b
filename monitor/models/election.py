"""Elections as data: what an election is (``[elections.ID]`` in config.toml) and what the
product suggests about the election and stage a hit concerns (plain data).

The stage decides the class of a breach: before the election commission fixes the candidates
(*penetapan*) the person supported is a *bakal calon* and the act is an ethics breach; from the
determination day on, a *calon*, and the act is a discipline breach. See
:mod:`monitor.elections.classify`.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ELECTION_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
Stage = Literal["bakal_calon", "calon"]
STAGES: tuple[str, ...] = ("bakal_calon", "calon")
NATIONAL = "nasional"


class Election(BaseModel):
    """One election (Pemilu, or one regional Pilkada) with its dates, region and rule packs.

    ``start``/``end`` bound the period in which a post can concern the election at all (the
    stages, *tahapan*); either may be left out (no bound). ``agencies`` are words that identify
    the region's own agencies in the roster's ``instansi``/``unit_kerja`` (e.g. "Kota Pontianak"):
    a regional election only concerns an ASN whose agency names one of them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field("", pattern=r"^$|" + ELECTION_ID_PATTERN, max_length=64)
    """Set from the table key (``[elections.pemilu2024]``)."""
    name: str = Field(min_length=1)
    kind: Literal["pemilu", "pilkada"]
    region: str = Field(NATIONAL, min_length=1)
    """``nasional`` for a national election, else the province/regency/city name."""
    region_code: str | None = Field(None, pattern=r"^[0-9]{2}(\.[0-9]{2}){0,3}$")
    """Kemendagri region code, e.g. ``61.71`` (Kota Pontianak); informative."""
    agencies: list[str] = Field(default_factory=list)
    start: date | None = None
    penetapan: date
    """Candidate determination (penetapan pasangan calon) by the election commission."""
    campaign_start: date
    campaign_end: date
    voting_day: date
    end: date | None = None
    packs: list[str] = Field(default_factory=list)
    """Rule packs (``pack.name`` of rule files) that belong to this election only."""

    @model_validator(mode="after")
    def _dates_in_order(self) -> "Election":
        order = [("start", self.start), ("penetapan", self.penetapan), ("campaign_start", self.campaign_start),
                 ("campaign_end", self.campaign_end), ("voting_day", self.voting_day), ("end", self.end)]
        known = [(k, v) for k, v in order if v is not None]
        for (k1, v1), (k2, v2) in zip(known, known[1:]):
            if v1 > v2:
                raise ValueError(f"{k1} ({v1}) must not be after {k2} ({v2})")
        if self.kind == "pilkada" and self.region == NATIONAL:
            raise ValueError("a pilkada needs its region (province, regency or city), not 'nasional'")
        if self.kind == "pilkada" and not self.agencies:
            raise ValueError("a pilkada needs 'agencies': words naming the region's agencies in the roster "
                             "(e.g. [\"Kota Pontianak\"])")
        return self

    @property
    def national(self) -> bool:
        return self.kind == "pemilu" or self.region == NATIONAL


class ElectionSuggestion(BaseModel):
    """The product's suggestion of the election and stage a hit concerns, for a reviewer to confirm.

    ``election_id``/``stage`` are ``None`` when they cannot be determined ("tidak dapat ditentukan");
    ``reason`` says why in machine-stable words (``no_elections``, ``no_fit``, ``several``, ``fits``)
    and ``fitting`` lists the elections that fit.
    """

    election_id: str | None = None
    election_name: str | None = None
    stage: Stage | None = None
    reason: Literal["no_elections", "no_fit", "several", "fits"]
    fitting: list[str] = Field(default_factory=list)
    local_date: date | None = None
    """The post's date in the office's zone: what 'before the determination' is judged by."""
    penetapan: date | None = None
