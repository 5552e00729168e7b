"""Rule file version history and the stored posts a backtest re-scores (SQL only)."""

from __future__ import annotations

from typing import Any


class RuleHistory:
    """Mixin of :class:`monitor.store.Store` (uses its ``con`` and ``_dicts``)."""

    con: Any
