"""Which election a hit concerns and at which stage, from data only.

An election *can concern* a post when the post's local date lies in the election's window
(``start``..``end``, each optional) and, for a regional election, when the ASN's agency is in the
region (``agencies`` words found in the roster's ``instansi``/``unit_kerja``; an unknown agency
does not exclude). Rules of a pack scoped to elections (``pack.elections`` in the rule file, or
the pack listed in an election's ``packs``) only fire on posts that can concern one of them
(:func:`applicable_matches`), and they narrow the suggestion (:func:`classify`).

The stage is judged by the post's *local* date: before the election's ``penetapan`` the object is
a *bakal calon*, from that day on a *calon*. When no election, or more than one, fits, the
suggestion says so instead of guessing (``reason`` ``no_fit``/``several``); with several fitting
elections the stage is still suggested when they all agree on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from monitor.models.election import Election, ElectionSuggestion
from monitor.models.evidence import RuleMatch

Scopes = Mapping[str, frozenset[str]]
"""rule id -> ids of the elections the rule is scoped to (rules absent: unscoped)."""


def local_day(t: datetime, tz: ZoneInfo) -> date:
    return t.astimezone(tz).date()


def rule_scopes(rules: Iterable[Any], elections: Iterable[Election]) -> dict[str, frozenset[str]]:
    """Scopes of loaded rules (objects with ``rule.id``, ``pack``, ``pack_elections``): the pack's own
    ``elections`` plus every election that lists the pack in ``packs``."""
    by_pack: dict[str, set[str]] = {}
    for e in elections:
        for p in e.packs:
            by_pack.setdefault(p, set()).add(e.id)
    out: dict[str, frozenset[str]] = {}
    for lr in rules:
        ids = set(getattr(lr, "pack_elections", ()) or ()) | by_pack.get(getattr(lr, "pack", None) or "", set())
        if ids:
            out[lr.rule.id] = frozenset(ids)
    return out


def _norm(s: str) -> str:
    return " ".join(s.casefold().split())


def region_fits(e: Election, agencies: Sequence[str | None]) -> bool | None:
    """True/False whether the ASN's agency is in the election's region; None when no agency is known."""
    if e.national:
        return True
    known = [_norm(a) for a in agencies if a and a.strip()]
    if not known:
        return None
    words = [_norm(w) for w in e.agencies]
    return any(w and w in a for w in words for a in known)


def in_window(e: Election, day: date) -> bool:
    return (e.start is None or day >= e.start) and (e.end is None or day <= e.end)


def fitting_elections(elections: Iterable[Election], *, day: date, agencies: Sequence[str | None]) -> list[Election]:
    """Elections that can concern a post of local date ``day`` by an ASN of ``agencies``."""
    return [e for e in elections if in_window(e, day) and region_fits(e, agencies) is not False]


def applicable_matches(matches: Sequence[RuleMatch], scopes: Scopes, elections: Sequence[Election], *,
                       posted_at: datetime, tz: ZoneInfo, agencies: Sequence[str | None] = ()) -> list[RuleMatch]:
    """The matches whose rules may fire on this post: unscoped rules always, a scoped rule only when
    one of its elections can concern the post (``agencies`` empty: the region is not judged yet)."""
    if not scopes:
        return list(matches)
    fit = {e.id for e in fitting_elections(elections, day=local_day(posted_at, tz), agencies=agencies)}
    return [m for m in matches if m.rule_id not in scopes or scopes[m.rule_id] & fit]


def stage_on(e: Election, day: date) -> str:
    return "bakal_calon" if day < e.penetapan else "calon"


def classify(elections: Sequence[Election], *, rule_ids: Iterable[str], scopes: Scopes,
             agencies: Sequence[str | None], posted_at: datetime, tz: ZoneInfo) -> ElectionSuggestion:
    """Suggest the election and stage of a hit from its partisan ``rule_ids``, the ASN's agencies
    (every identity candidate's ``instansi``/``unit_kerja``) and the post time."""
    day = local_day(posted_at, tz)
    if not elections:
        return ElectionSuggestion(reason="no_elections", local_date=day)
    fit = fitting_elections(elections, day=day, agencies=agencies)
    scoped = [scopes[r] for r in rule_ids if r in scopes]
    if scoped:
        allowed = frozenset().union(*scoped)
        fit = [e for e in fit if e.id in allowed]
    if not fit:
        return ElectionSuggestion(reason="no_fit", local_date=day)
    ids = [e.id for e in fit]
    if len(fit) == 1:
        e = fit[0]
        return ElectionSuggestion(election_id=e.id, election_name=e.name, stage=stage_on(e, day),  # type: ignore[arg-type]
                                  reason="fits", fitting=ids, local_date=day, penetapan=e.penetapan)
    stages = {stage_on(e, day) for e in fit}
    return ElectionSuggestion(stage=stages.pop() if len(stages) == 1 else None,  # type: ignore[arg-type]
                              reason="several", fitting=ids, local_date=day)
