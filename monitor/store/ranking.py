"""Learned-ranker storage: the rows a ranker learns from, its saved models, the rank score per hit (SQL only).

The model itself (features, fitting, metrics) lives in :mod:`monitor.ranking`; the store only keeps
plain rows and JSON so it does not depend on it.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterable

import pyarrow as pa

# The hit columns the ranker's features read (see monitor.ranking.features).
_RANK_COLS = ("h.hit_id, h.score, h.identity_score, h.content_score, h.identity_method, h.ambiguous, "
              "h.behaviour, h.rules, h.terms, h.candidates, h.status")


def _decode(row: dict) -> dict:
    for k in ("rules", "terms", "candidates", "weights", "metrics"):
        if isinstance(row.get(k), str):
            row[k] = json.loads(row[k])
    return row


class RankerQueries:
    """Mixin of :class:`monitor.store.Store` (uses its ``con``, ``_dicts`` and ``audit``)."""

    con: Any

    def ranker_training_rows(self) -> list[dict]:
        """Every reviewed hit (``dikonfirmasi`` = 1, ``ditolak`` = 0), in a stable order."""
        return [_decode(r) for r in self._dicts(  # type: ignore[attr-defined]
            f"SELECT {_RANK_COLS} FROM hits h WHERE h.status IN ('dikonfirmasi', 'ditolak') ORDER BY h.hit_id")]

    def ranker_rows_to_score(self, *, only_unscored: bool = False) -> list[dict]:
        """Hits waiting for review (``baru``); with ``only_unscored`` just those without a rank score yet."""
        sql = f"SELECT {_RANK_COLS} FROM hits h WHERE h.status = 'baru'"
        if only_unscored:
            sql += " AND h.rank_score IS NULL"
        return [_decode(r) for r in self._dicts(sql + " ORDER BY h.hit_id")]  # type: ignore[attr-defined]

    def set_rank_scores(self, scores: Iterable[tuple[str, float]]) -> int:
        """Write ``(hit_id, rank_score)`` pairs in one statement."""
        pairs = list(scores)
        if not pairs:
            return 0
        tbl = pa.table({"hit_id": pa.array([p[0] for p in pairs], pa.string()),
                        "rank_score": pa.array([float(p[1]) for p in pairs], pa.float64())})
        self.con.register("_rank_in", tbl)
        try:
            self.con.execute("UPDATE hits SET rank_score = r.rank_score FROM _rank_in r WHERE hits.hit_id = r.hit_id")
        finally:
            self.con.unregister("_rank_in")
        return len(pairs)

    def save_ranker_model(self, *, n_train: int, weights: dict, metrics: dict, actor: str) -> int:
        """Store a trained model as the next version (audit-logged); returns the version."""
        version = int(self.con.execute("SELECT coalesce(max(version), 0) + 1 FROM ranker_models").fetchone()[0])
        dumps = lambda o: json.dumps(o, ensure_ascii=False, sort_keys=True)  # noqa: E731
        self.con.begin()
        try:
            self.con.execute("INSERT INTO ranker_models VALUES (?, ?, ?, ?, ?)",
                             [version, datetime.now(timezone.utc), n_train, dumps(weights), dumps(metrics)])
            self.audit(actor, "ranker.train", f"ranker:{version}",  # type: ignore[attr-defined]
                       {"n_train": n_train, "metrics": metrics})
            self.con.commit()
        except Exception:
            self.con.rollback()
            raise
        return version

    def latest_ranker_model(self) -> dict | None:
        rows = self._dicts("SELECT * FROM ranker_models ORDER BY version DESC LIMIT 1")  # type: ignore[attr-defined]
        return _decode(rows[0]) if rows else None
