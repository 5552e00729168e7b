"""Filtered, sorted, paginated hit lists, bulk review and export rows for the web application (SQL only)."""

from __future__ import annotations

from typing import Any


class WebHitQueries:
    """Mixin of :class:`monitor.store.Store` (uses its ``con`` and ``_dicts``)."""

    con: Any
