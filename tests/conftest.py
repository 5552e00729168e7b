"""Shared pytest fixtures. Fixture code lives in ``tests/fakes``; it is only registered here."""

from tests.fakes.mastodon_server import mastodon_server  # noqa: F401  (fixture)
from tests.lake import lake_dsn, lake_settings  # noqa: F401  (fixtures: a PostgreSQL, a fresh DuckLake per test)
