"""Interpretable features of a hit row (as the store returns it), each with an Indonesian and English label.

Every feature is a number a watcher can check on the hit page: scores, how the person was identified,
what kind of post it is, and which rules fired. Nothing is learned from the text itself.
"""

from __future__ import annotations

import json
from typing import Any

from monitor.models.post import KINDS as BEHAVIOURS  # one feature per behaviour

# name -> (Bahasa Indonesia, English)
LABELS: dict[str, tuple[str, str]] = {
    "score": ("skor akhir", "final score"),
    "identity_score": ("skor identitas", "identity score"),
    "content_score": ("skor konten", "content score"),
    "declared": ("akun terdaftar", "declared account"),
    "ambiguous": ("identitas ambigu", "ambiguous identity"),
    "n_candidates": ("jumlah kandidat", "number of candidates"),
    **{f"behaviour_{b}": (f"perilaku: {b}", f"behaviour: {b}") for b in BEHAVIOURS},
    "n_partisan": ("jumlah aturan partisan", "partisan rules fired"),
    "max_weight": ("bobot aturan tertinggi", "highest rule weight"),
    "parent_only": ("hanya cocok di unggahan induk", "matched only in the parent post"),
    "hashtag": ("ada tagar", "has a hashtag term"),
    "exclusion": ("ada aturan pengecualian", "an exclusion rule fired"),
}
FEATURES: tuple[str, ...] = tuple(LABELS)


def label(name: str, lang: str = "id") -> str:
    idl, en = LABELS.get(name, (name, name))
    return en if lang == "en" else idl


def _list(v: Any) -> list:
    if isinstance(v, str):
        v = json.loads(v)
    return list(v or [])


def features(row: dict) -> dict[str, float]:
    """``{feature: value}`` for one hit row (``rules``/``terms``/``candidates`` as JSON text or lists)."""
    rules = [r for r in _list(row.get("rules")) if isinstance(r, dict)]
    partisan = [r for r in rules if r.get("category") == "partisan"]
    terms = [str(t) for t in _list(row.get("terms"))] + [str(t) for r in partisan for t in r.get("terms") or []]
    out: dict[str, float] = {
        "score": float(row.get("score") or 0.0),
        "identity_score": float(row.get("identity_score") or 0.0),
        "content_score": float(row.get("content_score") or 0.0),
        "declared": float(row.get("identity_method") == "declared_account"),
        "ambiguous": float(bool(row.get("ambiguous"))),
        "n_candidates": float(min(len(_list(row.get("candidates"))), 5)),
    }
    for b in BEHAVIOURS:
        out[f"behaviour_{b}"] = float(row.get("behaviour") == b)
    out["n_partisan"] = float(min(len(partisan), 5))
    out["max_weight"] = max((float(r.get("weight") or 0.0) for r in partisan), default=0.0)
    out["parent_only"] = float(bool(partisan) and all(r.get("field") == "parent" for r in partisan))
    out["hashtag"] = float(any(t.startswith("#") for t in terms))
    out["exclusion"] = float(any(r.get("category") == "exclusion" for r in rules))
    return out


def vector(row: dict, names: tuple[str, ...] | list[str] = FEATURES) -> list[float]:
    f = features(row)
    return [f.get(n, 0.0) for n in names]
