"""Where captured evidence files live: a folder next to the DuckDB file."""

from __future__ import annotations

from pathlib import Path


def media_dir(db_path: Path | str) -> Path:
    """``monitor.duckdb`` -> ``monitor-media/`` beside it (captured media files, never overwritten)."""
    p = Path(db_path)
    return p.parent / f"{p.stem}-media"
