"""Turning registered metrics into runnable queries, and running them.

A metric's SQL reads its inputs by name (``incidents``, ``monthly_facts``, ``params``); the
query for a metric is its dependencies as CTEs followed by its own SQL. Dependencies already
materialised as tables can be read from there instead. DuckDB is the engine today; the same
text is what SQLGlot will transpile for Spark.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import duckdb

from safer77.errors import NotFound
from safer77.metrics.registry import METRICS


def dependency_order(name: str) -> list[str]:
    """The metric and everything it depends on, dependencies first."""
    if name not in METRICS:
        raise NotFound(f"unknown metric {name!r}; known: {', '.join(METRICS)}")
    seen: list[str] = []

    def visit(n: str) -> None:
        for dep in METRICS[n].depends_on:
            visit(dep)
        if n not in seen:
            seen.append(n)

    visit(name)
    return seen


def params_sql(as_of: datetime | None) -> str:
    """The ``params`` relation: ``as_of`` defaults to the newest incident."""
    if as_of is None:
        return "SELECT (SELECT max(occurred_at) FROM incidents) AS as_of"
    return f"SELECT CAST('{as_of:%Y-%m-%d %H:%M:%S}' AS TIMESTAMP) AS as_of"


def build_query(
    name: str,
    *,
    materialised: dict[str, str] | None = None,
    as_of: datetime | None = None,
    agency: str | None = None,
) -> str:
    """SQL for metric ``name``; ``materialised`` maps metric names to tables that hold them.

    ``agency`` limits every count to one agency's incidents: the metrics then read a filtered
    ``scoped_incidents`` instead of ``incidents``.
    """
    materialised = materialised or {}
    ctes: list[str] = []
    body = ""

    def scoped(sql: str) -> str:
        return _FROM_INCIDENTS.sub("FROM scoped_incidents", sql) if agency else sql

    for n in dependency_order(name):
        sql = scoped(METRICS[n].sql().strip().rstrip(";"))
        if n == name:
            body = sql
        elif n in materialised:
            ctes.append(f"{n} AS (SELECT * FROM {materialised[n]})")
        else:
            ctes.append(f"{n} AS (\n{sql}\n)")
    if "params" in body or any("params" in METRICS[n].sql() for n in dependency_order(name)):
        ctes.insert(0, f"params AS ({scoped(params_sql(as_of))})")
    if agency:
        quoted = "'" + agency.replace("'", "''") + "'"
        ctes.insert(0, f"scoped_incidents AS (SELECT * FROM incidents WHERE agency = {quoted})")
    if not ctes:
        return body
    return "WITH " + ",\n".join(ctes) + f",\n{name} AS (\n{body}\n)\nSELECT * FROM {name}"


_FROM_INCIDENTS = re.compile(r"\bFROM incidents\b")


def run_duckdb(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None
) -> list[tuple[Any, ...]]:
    """Run a query on DuckDB and return its rows."""
    return con.execute(sql, params or []).fetchall()
