"""Bundled fictional demo data (roster and posts). See ``data/README.md``."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
