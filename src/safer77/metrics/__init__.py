"""Metric definitions (SQL files + a registry) and the engines that run them.

The names below are imported on first use (see :mod:`safer77.warehouse`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from safer77.lazy_names import lazy_getattr

if TYPE_CHECKING:
    from safer77.metrics.registry import METRICS, Metric
    from safer77.metrics.stats import ArrestRow, arrest_stats, compute_all, open_by_age, yoy

_HOME = {
    "METRICS": "safer77.metrics.registry",
    "Metric": "safer77.metrics.registry",
    "ArrestRow": "safer77.metrics.stats",
    "arrest_stats": "safer77.metrics.stats",
    "compute_all": "safer77.metrics.stats",
    "open_by_age": "safer77.metrics.stats",
    "yoy": "safer77.metrics.stats",
}

__getattr__ = lazy_getattr(__name__, _HOME)

__all__ = ["METRICS", "ArrestRow", "Metric", "arrest_stats", "compute_all", "open_by_age", "yoy"]
