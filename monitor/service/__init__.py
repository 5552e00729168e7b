"""The long-running service (``monitor serve``): one process owns the DuckDB file, runs the
source schedule, reloads rules, and serves ``/healthz``, source status and the webhook intake."""
