"""Priority tables from the warehouse: the inputs of :mod:`.priority` read with a few queries,
and the rows ``safer77 coordinate priority`` prints."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from numpy.typing import NDArray

from safer77.coordinate.priority import Measure, city_rule, composite, phases, rank_desc
from safer77.coordinate.priority import sensitivity as weight_sensitivity
from safer77.errors import InvalidInput, NotFound
from safer77.sources.victims import KINDS
from safer77.warehouse.db import has_table

AREAS = list(range(1, 78))
VIOLENCE = "violence_rate"  # victims per 100,000 residents per year, from incidents + population


def yearly_victims(
    con: duckdb.DuckDBPyConnection,
    start: int,
    end: int,
    types: tuple[str, ...],
    victim_kinds: tuple[str, ...] = (),
    victim_sources: tuple[str, ...] = (),
) -> dict[int, list[int]]:
    """Victimizations per community area and year, zero-filled: from the ``victims`` table
    when ``victim_kinds`` are given (homicide, nonfatal_shooting), else from incidents of
    ``types`` (one portal row per victim for homicides)."""
    if end < start:
        raise InvalidInput(f"window {start}-{end} is empty")
    if victim_kinds:
        bad = sorted(set(victim_kinds) - set(KINDS))
        if bad:
            raise InvalidInput(f"unknown victim kind(s) {', '.join(bad)}; use {', '.join(KINDS)}")
        rows = (
            con.execute(
                "SELECT community_area, year(occurred_at), count(*) FROM victims "
                "WHERE kind IN (SELECT unnest(?)) AND year(occurred_at) BETWEEN ? AND ? "
                "AND community_area BETWEEN 1 AND 77 "
                "AND (len(?) = 0 OR source IN (SELECT unnest(?))) GROUP BY ALL",
                [list(victim_kinds), start, end, list(victim_sources), list(victim_sources)],
            ).fetchall()
            if has_table(con, "victims")
            else []
        )
        if not rows:
            raise NotFound(
                f"no {', '.join(victim_kinds)} victims in {start}-{end}; "
                "see `safer77 ingest victims`"
            )
    else:
        rows = con.execute(
            "SELECT community_area, year(occurred_at), count(*) FROM incidents "
            "WHERE primary_type IN (SELECT unnest(?)) AND year(occurred_at) BETWEEN ? AND ? "
            "AND community_area BETWEEN 1 AND 77 GROUP BY ALL",
            [list(types), start, end],
        ).fetchall()
        if not rows:
            raise NotFound(f"no {', '.join(types)} incidents in {start}-{end} in the warehouse")
    out = {a: [0] * (end - start + 1) for a in AREAS}
    for area, year, n in rows:
        out[int(area)][int(year) - start] = int(n)
    return out


def indicator(con: duckdb.DuckDBPyConnection, name: str) -> NDArray[np.float64]:
    """One indicator for areas 1..77; every area must have a value."""
    rows = (
        dict(
            con.execute(
                "SELECT community_area, value FROM indicators WHERE indicator = ?", [name]
            ).fetchall()
        )
        if has_table(con, "indicators")
        else {}
    )
    if not rows:
        raise NotFound(f"indicator {name!r} is not loaded; see `safer77 ingest indicators`")
    missing = [a for a in AREAS if a not in rows]
    if missing:
        raise InvalidInput(f"indicator {name!r} has no value for area(s) {missing[:10]}")
    return np.array([float(rows[a]) for a in AREAS])


def _direction(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute(
        "SELECT higher_is_better FROM indicator_catalog WHERE name = ?", [name]
    ).fetchall()
    return not bool(rows[0][0]) if rows else True


def read_weights(path: Path) -> dict[str, float]:
    """``[weights]`` of a TOML file: measure name -> non-negative weight."""
    try:
        doc = tomllib.loads(Path(path).read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"cannot read weights ({exc})", file=str(path)) from None
    weights = doc.get("weights")
    if not isinstance(weights, dict) or not weights:
        raise InvalidInput("no [weights] table", file=str(path))
    out = {}
    for name, w in weights.items():
        if not isinstance(w, int | float) or isinstance(w, bool) or w < 0:
            raise InvalidInput(
                f"weight of {name} must be a non-negative number", file=str(path), field=name
            )
        out[str(name)] = float(w)
    return out


def default_weights() -> dict[str, float]:
    """The composite index's default weights: ``[weights]`` of ``data/priority-weights.toml``."""
    return read_weights(
        Path(str(resources.files("safer77").joinpath("data/priority-weights.toml")))
    )


def indicators_needed(weights: dict[str, float]) -> list[str]:
    """The warehouse indicators a composite with ``weights`` reads (``violence_rate`` needs the
    population)."""
    names = [n for n in weights if n != VIOLENCE]
    return (["population"] if VIOLENCE in weights else []) + names


def incomplete_indicators(con: duckdb.DuckDBPyConnection, names: list[str]) -> list[str]:
    """Those of ``names`` without a value for every community area 1-77."""
    if not has_table(con, "indicators"):
        return list(names)
    have = dict(
        con.execute(
            "SELECT indicator, count(DISTINCT community_area) FROM indicators "
            "WHERE indicator IN (SELECT unnest(?)) AND community_area BETWEEN 1 AND 77 GROUP BY 1",
            [names],
        ).fetchall()
    )
    return [n for n in names if have.get(n, 0) < len(AREAS)]


@dataclass(frozen=True)
class PriorityOptions:
    start: int = 2018
    end: int = 2020
    top: int = 15
    capacity: int = 5
    types: tuple[str, ...] = ("HOMICIDE",)
    victim_kinds: tuple[str, ...] = ()  # count victims (homicide, nonfatal_shooting) instead
    victim_sources: tuple[str, ...] = ()  # only victims of these sources (city, gva); all: ()
    weights: dict[str, float] | None = None
    draws: int = 1000
    seed: int = 77


@dataclass(frozen=True)
class PriorityResult:
    rows: list[dict[str, Any]]  # one per area, in priority order
    stable_top: int | None  # areas in the top N in >= 95% of weight draws (composite only)


def priority_table(con: duckdb.DuckDBPyConnection, opts: PriorityOptions) -> PriorityResult:
    """One row per area, in priority order: the city rule, and with weights the composite
    index with its rank interval under redrawn weights and its phase."""
    yearly = yearly_victims(
        con, opts.start, opts.end, opts.types, opts.victim_kinds, opts.victim_sources
    )
    rule = {a: (avg, rank) for a, avg, rank in city_rule(yearly)}
    names = _names(con)
    rows: dict[int, dict[str, Any]] = {
        a: {
            "community_area": a,
            "name": names.get(a, ""),
            "victims_per_year": round(rule[a][0], 3),
            "city_rule_rank": rule[a][1],
            "city_rule_top": rule[a][1] <= opts.top,
        }
        for a in AREAS
    }
    order_key = "city_rule_rank"
    stable: int | None = None
    if opts.weights:
        measures = []
        for name, w in opts.weights.items():
            if name == VIOLENCE:
                pop = indicator(con, "population")
                per_year = np.array([np.mean(yearly[a]) for a in AREAS])
                values = np.divide(per_year * 1e5, pop, out=np.zeros_like(pop), where=pop > 0)
                measures.append(Measure(name, values, w, True))
            else:
                measures.append(Measure(name, indicator(con, name), w, _direction(con, name)))
        z, score = composite(measures)
        ranks = rank_desc(score, AREAS)
        sens = weight_sensitivity(
            z,
            [m.weight for m in measures],
            AREAS,
            top=opts.top,
            draws=opts.draws,
            rng=np.random.default_rng(opts.seed),
        )
        for i, a in enumerate(AREAS):
            rows[a].update(
                score=round(float(score[i]), 4),
                rank=int(ranks[i]),
                rank_low=int(sens.rank_low[i]),
                rank_high=int(sens.rank_high[i]),
                share_in_top=round(float(sens.share_top[i]), 3),
            )
        stable = sens.stable_top
        order_key = "rank"
    ordered = sorted(rows.values(), key=lambda r: r[order_key])
    for r, phase in zip(
        ordered, phases([r[order_key] for r in ordered], opts.capacity), strict=True
    ):
        r["phase"] = phase
    return PriorityResult(ordered, stable)


def _names(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    return dict(
        con.execute("SELECT key, name FROM boundaries WHERE kind = 'community_areas'").fetchall()
    )
