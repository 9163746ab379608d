"""The statistics the CLI, the site and the API ask for, over the registered metrics."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb

from safer77.errors import InvalidInput
from safer77.metrics.coverage import cell_coverage, knows_loads, read_coverage, shift_months
from safer77.metrics.engines import build_query, run_duckdb
from safer77.metrics.registry import METRICS
from safer77.schema import CATEGORIES, LEVELS
from safer77.warehouse.db import count

#: Tables that :func:`compute_all` writes, one per public metric.
STATS_TABLES = {name: f"stats_{name}" for name, m in METRICS.items() if m.public}


@dataclass(frozen=True)
class ArrestRow:
    """One cell of the arrest-rate statistics (definition: ``arrest_rate_proxy``)."""

    month: str
    by: str
    key: str
    crime_type: str
    incidents: int
    arrests: int | None  # None where no source records the Arrest flag
    arrest_rate: float | None
    ci_low: float | None
    ci_high: float | None
    low_n: bool
    #: what the loaded files cover for this cell: its scope ("all crime types", "HOMICIDE
    #: (IUCR 0110) only"), or "not covered: ..." / "not recorded: ..." with the reason
    coverage: str | None = None

    def as_dict(self) -> dict[str, object]:
        # flat values only: a plain copy, not asdict()'s deep copy of each
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def parse_month(text: str | None, option: str) -> date | None:
    """'YYYY-MM' → the first day of that month."""
    if text is None:
        return None
    if not re.fullmatch(r"[1-9]\d{3}-(0[1-9]|1[0-2])", text):
        raise InvalidInput(f"{option} must be a month like 2024-05, got {text!r}")
    return date(int(text[:4]), int(text[5:]), 1)


def crime_filter(crime_type: str | None, category: str | None) -> str:
    """The ``crime_type`` value of the rows asked for."""
    if crime_type and category:
        raise InvalidInput("give --crime-type or --category, not both")
    if category:
        cat = category.lower()
        if cat == "all":
            return "ALL"
        if cat not in CATEGORIES:
            raise InvalidInput(
                f"unknown category {category!r}; expected one of: {', '.join(CATEGORIES)}, all"
            )
        return cat
    if crime_type:
        return crime_type.strip().upper()
    return "ALL"


def _check_level(by: str) -> str:
    if by not in LEVELS:
        raise InvalidInput(f"unknown level {by!r}; expected one of: {', '.join(LEVELS)}")
    return by


def _stamp(con: duckdb.DuckDBPyConnection) -> str:
    """The id of the last load of incidents or boundaries (what the statistics are computed
    from): stored statistics carry it as their table comment."""
    return str(
        count(
            con,
            "SELECT max(load_id) FROM load_log "
            "WHERE kind = 'incidents' OR kind LIKE 'boundaries:%'",
        )
    )


def _is_current(con: duckdb.DuckDBPyConnection, metric: str) -> bool:
    return bool(
        count(
            con,
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND comment = ?",
            [STATS_TABLES[metric], _stamp(con)],
        )
    )


def stats_are_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether every stored statistics table reflects the last load."""
    return all(_is_current(con, metric) for metric in STATS_TABLES)


def _source(con: duckdb.DuckDBPyConnection, metric: str, agency: str | None = None) -> str:
    """The stored table if it is current (and no agency is asked for), else the query."""
    if not agency and _is_current(con, metric):
        return STATS_TABLES[metric]
    return f"({build_query(metric, agency=agency)})"


def arrest_stats(
    con: duckdb.DuckDBPyConnection,
    *,
    by: str = "city",
    crime_type: str | None = None,
    category: str | None = None,
    from_month: str | None = None,
    to_month: str | None = None,
    key: str | None = None,
    agency: str | None = None,
) -> list[ArrestRow]:
    """Monthly incidents, arrests and arrest rate (proxy) with 95% Wilson intervals.

    ``key`` limits the rows to one area of the level (e.g. community area "25"); ``agency`` to
    one agency's incidents (computed live: the stored tables cover every agency).
    """
    level = _check_level(by)
    ctype = crime_filter(crime_type, category)
    start, end = parse_month(from_month, "--from"), parse_month(to_month, "--to")
    sql = (
        "SELECT strftime(month, '%Y-%m'), level, area_key, crime_type, incidents, arrests, "
        f"arrest_rate, ci_low, ci_high, low_n FROM {_source(con, 'arrest_rate_proxy', agency)} "
        "WHERE level = ? AND crime_type = ?"
    )
    params: list[object] = [level, ctype]
    if key is not None:
        sql += " AND area_key = ?"
        params.append(key)
    if start:
        sql += " AND month >= ?"
        params.append(start)
    if end:
        sql += " AND month <= ?"
        params.append(end)
    sql += " ORDER BY month, TRY_CAST(area_key AS INTEGER) NULLS FIRST, area_key"
    cov = read_coverage(con, agency=agency) if knows_loads(con) else None
    return [
        ArrestRow(
            month=str(r[0]),
            by=str(r[1]),
            key=str(r[2]),
            crime_type=str(r[3]),
            incidents=int(r[4]),
            arrests=None if r[5] is None else int(r[5]),
            arrest_rate=_f(r[6]),
            ci_low=_f(r[7]),
            ci_high=_f(r[8]),
            low_n=bool(r[9]),
            coverage=None if cov is None else cell_coverage(cov, str(r[3]), str(r[0]), level),
        )
        for r in run_duckdb(con, sql, params)
    ]


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def _dicts(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object]
) -> list[dict[str, object]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def yoy(
    con: duckdb.DuckDBPyConnection,
    *,
    by: str = "city",
    crime_type: str | None = None,
    category: str | None = None,
    month: str | None = None,
    agency: str | None = None,
) -> list[dict[str, object]]:
    """Year-over-year change per cell (all months, or one)."""
    level = _check_level(by)
    sql = (
        "SELECT strftime(month, '%Y-%m') AS month, level AS by, area_key AS key, crime_type, "
        "incidents, incidents_prev_year, incidents_change_pct, arrest_rate, "
        "arrest_rate_prev_year, arrest_rate_change_pts, low_n "
        f"FROM {_source(con, 'yoy_change', agency)} WHERE level = ? AND crime_type = ?"
    )
    params: list[object] = [level, crime_filter(crime_type, category)]
    m = parse_month(month, "--month")
    if m:
        sql += " AND month = ?"
        params.append(m)
    sql += " ORDER BY month, TRY_CAST(area_key AS INTEGER) NULLS FIRST, area_key"
    rows = _dicts(con, sql, params)
    if not knows_loads(con):
        return rows
    cov = read_coverage(con, agency=agency)
    for row in rows:
        here = str(row["month"])
        reason = cov.comparable(str(row["crime_type"]), here, shift_months(here, -12), level)
        row["comparable"] = reason is None
        row["note"] = reason
        if reason is not None:  # no change between months of different coverage
            for k in ("incidents_change_pct", "arrest_rate_change_pts"):
                row[k] = None
    return rows


def open_by_age(
    con: duckdb.DuckDBPyConnection,
    *,
    by: str = "city",
    category: str | None = None,
    as_of: datetime | None = None,
    agency: str | None = None,
) -> list[dict[str, object]]:
    """Open (no-arrest) incidents by age bucket."""
    level = _check_level(by)
    source = (
        f"({build_query('open_incidents_by_age', as_of=as_of, agency=agency)})"
        if as_of
        else _source(con, "open_incidents_by_age", agency)
    )
    sql = (
        "SELECT level AS by, area_key AS key, crime_type, age_bucket, open_incidents "
        f"FROM {source} WHERE level = ? AND crime_type = ? ORDER BY "
        "TRY_CAST(area_key AS INTEGER) NULLS FIRST, area_key, "
        "CASE age_bucket WHEN '0-30' THEN 1 WHEN '31-90' THEN 2 WHEN '91-365' THEN 3 ELSE 4 END"
    )
    return _dicts(con, sql, [level, crime_filter(None, category)])


def compute_all(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Materialise every public metric into ``stats_<name>`` tables in one transaction.

    Internal building blocks (``monthly_facts``) live in temp tables for the duration. The
    tables are stamped with the last load id, so readers use them only while current.
    Returns row counts per table and the seconds taken.
    """
    started = time.perf_counter()
    stamp = _stamp(con)
    counts: dict[str, object] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        done: dict[str, str] = {}
        for name, metric in METRICS.items():  # registry order lists dependencies first
            table = STATS_TABLES[name] if metric.public else f"_tmp_{name}"
            kind = "TABLE" if metric.public else "TEMP TABLE"
            query = build_query(name, materialised=done)
            con.execute(f"CREATE OR REPLACE {kind} {table} AS {query}")
            if metric.public:
                con.execute(f"COMMENT ON TABLE {table} IS '{stamp}'")
                counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            done[name] = table
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for name, metric in METRICS.items():
            if not metric.public:
                con.execute(f"DROP TABLE IF EXISTS _tmp_{name}")
    counts["seconds"] = time.perf_counter() - started
    return counts
