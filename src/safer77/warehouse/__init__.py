"""The DuckDB warehouse: one file holding incidents, boundaries, quarantine and the load log.

The names below are imported on first use, so that ``from safer77.warehouse import connect`` does
not import the boundary readers (shapely, pyproj) or the loaders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from safer77.lazy_names import lazy_getattr

if TYPE_CHECKING:
    from safer77.warehouse.areas import load_boundaries
    from safer77.warehouse.db import connect, ensure_schema
    from safer77.warehouse.incidents import LoadResult, load_incidents
    from safer77.warehouse.quarantine import list_quarantine

_HOME = {
    "LoadResult": "safer77.warehouse.incidents",
    "connect": "safer77.warehouse.db",
    "ensure_schema": "safer77.warehouse.db",
    "list_quarantine": "safer77.warehouse.quarantine",
    "load_boundaries": "safer77.warehouse.areas",
    "load_incidents": "safer77.warehouse.incidents",
}

__getattr__ = lazy_getattr(__name__, _HOME)

__all__ = [
    "LoadResult",
    "connect",
    "ensure_schema",
    "list_quarantine",
    "load_boundaries",
    "load_incidents",
]
