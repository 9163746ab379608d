"""Metric definitions (SQL files + a registry) and the engines that run them."""

from safer77.metrics.registry import METRICS, Metric
from safer77.metrics.stats import ArrestRow, arrest_stats, compute_all, open_by_age, yoy

__all__ = ["METRICS", "ArrestRow", "Metric", "arrest_stats", "compute_all", "open_by_age", "yoy"]
