"""All SQL lives here. Other stages hand the store plain models and get plain rows back,
so a shared DuckLake catalogue can later replace the local DuckDB file."""

from monitor.store.errors import StoreError, StoreLockedError
from monitor.store.duck import BatchResult, Store

__all__ = ["BatchResult", "Store", "StoreError", "StoreLockedError"]
