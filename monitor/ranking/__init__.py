"""A small learned ranker: logistic regression on interpretable hit features, trained from watchers'
confirm/dismiss decisions, used to order the daily list (``sort=rank``) and reported with its lift
over the plain score order. Every ranked hit can show which cues counted (:func:`cues`).

The functions here take a :class:`monitor.store.Store` (duck-typed) so the store never imports the model.
"""

from __future__ import annotations

from typing import Any

from monitor.ranking.features import FEATURES, LABELS, features, label
from monitor.ranking.model import MIN_PER_CLASS, NotEnoughDecisions, Ranker, train

__all__ = ["FEATURES", "LABELS", "MIN_PER_CLASS", "NotEnoughDecisions", "Ranker", "cues", "features",
           "label", "load_model", "rerank", "train", "train_and_rank"]


def load_model(store: Any) -> tuple[int, Ranker] | None:
    """``(version, model)`` of the latest stored model, or ``None`` (then the list uses score order)."""
    m = store.latest_ranker_model()
    if m is None:
        return None
    return int(m["version"]), Ranker.from_json(m["weights"], m["metrics"])


def rerank(store: Any, model: Ranker | None = None, *, only_unscored: bool = False) -> int:
    """Write ``rank_score`` (probability of confirmation) for hits waiting for review."""
    if model is None:
        loaded = load_model(store)
        if loaded is None:
            return 0
        model = loaded[1]
    rows = store.ranker_rows_to_score(only_unscored=only_unscored)
    return store.set_rank_scores((r["hit_id"], model.predict_proba(r)) for r in rows)


def train_and_rank(store: Any, *, actor: str, min_per_class: int = MIN_PER_CLASS) -> dict:
    """Train from every reviewed hit, save the model, re-rank the ``baru`` hits.

    Raises :class:`NotEnoughDecisions` (nothing saved, earlier model and scores kept)."""
    rows = store.ranker_training_rows()
    model = train(rows, min_per_class=min_per_class)
    version = store.save_ranker_model(n_train=len(rows), weights=model.to_json(), metrics=model.metrics,
                                      actor=actor)
    ranked = rerank(store, model)
    return {"version": version, "n_train": len(rows), "ranked": ranked, "metrics": model.metrics,
            "weights": model.weights()}


def cues(model: Ranker, hit: dict, lang: str = "id", top: int = 6) -> list[dict]:
    """The strongest reasons for a hit's learned rank: feature label, its value, contribution in log-odds."""
    return [{"feature": n, "label": label(n, lang), "value": v, "contribution": c}
            for n, v, c in model.contributions(hit)[:top]]
