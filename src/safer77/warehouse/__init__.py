"""The DuckDB warehouse: one file holding incidents, boundaries, quarantine and the load log."""

from safer77.warehouse.areas import load_boundaries
from safer77.warehouse.db import connect, ensure_schema
from safer77.warehouse.incidents import LoadResult, load_incidents
from safer77.warehouse.quarantine import list_quarantine

__all__ = [
    "LoadResult",
    "connect",
    "ensure_schema",
    "list_quarantine",
    "load_boundaries",
    "load_incidents",
]
