"""The warehouse adapter: beats, community areas and the current districts as a
:class:`BeatGraph`, and each beat's workload from the incidents of a window of months.

An incident is placed in a beat by its point when it has one, else by its recorded beat when
that beat is on the map, else by its block (``safer77.geo.blocks``: the median point of the
same block in the warehouse's other records, incidents and 311 requests, or a point between
known blocks of its street) when that point lies in the incident's recorded community area,
else spread over the beats of its community area in proportion to the share of the area's
area each holds. Its workload is the weight of its primary type in a
severity table (``data/severity.csv`` unless another file is given).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from safer77.errors import InvalidInput, NotFound
from safer77.geo.areas import assign_points, state_plane_to_lonlat
from safer77.geo.blocks import learn, locate, parse_block
from safer77.geo.projection import ILLINOIS_EAST_METRES, WGS84, transformer
from safer77.plan.graph import BeatGraph, FloatArray, from_polygons
from safer77.plan.partition import Plan

DEFAULT_KEY = "*"


@dataclass(frozen=True)
class Severity:
    """Weight per primary type, and the weight of every other type."""

    weights: dict[str, float]
    default: float
    source: str

    def of(self, primary_type: str | None) -> float:
        return self.weights.get((primary_type or "").upper(), self.default)


def read_severity(path: Path | None = None) -> Severity:
    """A severity table: CSV with columns ``primary_type,weight`` (``#`` lines are comments,
    ``*`` is the weight of unlisted types, 1 when absent). Errors name the line and field."""
    if path is None:
        text = resources.files("safer77").joinpath("data/severity.csv").read_text("utf-8")
        label = "safer77/data/severity.csv"
    else:
        label = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read the severity table ({exc})", file=label) from None
    rows = [
        (n, r)
        for n, r in enumerate(csv.reader(text.splitlines()), start=1)
        if r and not r[0].lstrip().startswith("#") and any(c.strip() for c in r)
    ]
    if not rows or [c.strip().lower() for c in rows[0][1]] != ["primary_type", "weight"]:
        line = rows[0][0] if rows else 1
        raise InvalidInput("the header must be 'primary_type,weight'", file=label, line=line)
    weights: dict[str, float] = {}
    default = 1.0
    for line, row in rows[1:]:
        if len(row) != 2:
            raise InvalidInput(
                f"expected 2 fields (primary_type,weight), found {len(row)}", file=label, line=line
            )
        name, raw = row[0].strip().upper(), row[1].strip()
        if not name:
            raise InvalidInput("empty primary type", file=label, line=line, field="primary_type")
        try:
            weight = float(raw)
        except ValueError:
            weight = float("nan")
        if not np.isfinite(weight) or weight < 0:
            raise InvalidInput(
                f"weight {raw!r} is not a non-negative number",
                file=label,
                line=line,
                field="weight",
            )
        if name in weights:
            raise InvalidInput(
                f"{name} is listed twice", file=label, line=line, field="primary_type"
            )
        if name == DEFAULT_KEY:
            default = weight
        weights[name] = weight
    weights.pop(DEFAULT_KEY, None)
    return Severity(weights, default, label)


def parse_month(text: str, option: str) -> date:
    """``YYYY-MM`` as the first day of that month."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InvalidInput(f"{option} must be a month as YYYY-MM, got {text!r}")
    return date(int(m.group(1)), int(m.group(2)), 1)


def month_window(
    con: duckdb.DuckDBPyConnection, start: str | None, end: str | None
) -> tuple[date, date]:
    """The first and last month of the window; by default the 12 months up to the newest."""
    last = parse_month(end, "--to") if end else None
    if last is None:
        rows = con.execute("SELECT max(month) FROM incidents").fetchall()
        if not rows or rows[0][0] is None:
            raise NotFound("the warehouse holds no incidents; run `safer77 ingest crimes` first")
        last = rows[0][0]
    assert last is not None
    back = last.year * 12 + last.month - 1 - 11
    first = parse_month(start, "--from") if start else date(back // 12, back % 12 + 1, 1)
    if first > last:
        raise InvalidInput(f"the window starts ({first:%Y-%m}) after it ends ({last:%Y-%m})")
    return first, last


def _boundaries(con: duckdb.DuckDBPyConnection, kind: str) -> tuple[list[int], list[BaseGeometry]]:
    rows = con.execute(
        "SELECT key, geometry FROM boundaries WHERE kind = ? ORDER BY key", [kind]
    ).fetchall()
    return [int(r[0]) for r in rows], [shapely.from_wkb(bytes(r[1])) for r in rows]


def _project(geoms: list[BaseGeometry]) -> list[BaseGeometry]:
    tr = transformer(WGS84, ILLINOIS_EAST_METRES)  # metres, true to scale

    def fn(xy: FloatArray) -> FloatArray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return [shapely.transform(g, fn) for g in geoms]


def beat_map(
    con: duckdb.DuckDBPyConnection, *, tolerance: float = 5.0, min_shared: float = 30.0
) -> tuple[BeatGraph, Plan]:
    """The beat graph of the warehouse's beats (no workload yet) with its community areas,
    and today's plan: district = beat number // 100, as in Chicago's numbering."""
    keys, geoms = _boundaries(con, "beats")
    if not keys:
        raise NotFound("no beats in the warehouse; run `safer77 ingest boundaries beats FILE`")
    area_keys, area_geoms = _boundaries(con, "community_areas")
    graph = from_polygons(
        keys,
        _project(geoms),
        areas=(area_keys, _project(area_geoms)) if area_keys else None,
        tolerance=tolerance,
        min_shared=min_shared,
    )
    current = Plan.from_labels(graph, graph.keys // 100, reference=graph.keys // 100)
    return graph, current


@dataclass(frozen=True)
class Workload:
    """Workload per beat (``graph.keys`` order) and how the incidents were placed."""

    values: FloatArray
    first: date
    last: date
    incidents: int
    by_point: int
    by_beat: int
    by_block: int
    by_area: int
    unplaced: int
    severity: str


def beat_workload(
    con: duckdb.DuckDBPyConnection,
    graph: BeatGraph,
    *,
    start: str | None = None,
    end: str | None = None,
    severity: Severity | None = None,
) -> Workload:
    """Severity-weighted incidents per beat over a window of months (see the module doc)."""
    sev = severity or read_severity()
    first, last = month_window(con, start, end)
    tbl = con.execute(
        "SELECT upper(primary_type) AS ptype, beat, community_area, longitude, latitude, "
        "x_coordinate, y_coordinate, block FROM incidents WHERE month BETWEEN ? AND ?",
        [first, last],
    ).fetchnumpy()
    n = len(tbl["beat"])
    if n == 0:
        raise NotFound(f"no incidents between {first:%Y-%m} and {last:%Y-%m}")
    weight = np.array(
        [sev.of(None if t is None else str(t)) for t in tbl["ptype"].tolist()], dtype=np.float64
    )

    lon, lat = _lonlat(tbl)
    keys, geoms = _boundaries(con, "beats")
    found = assign_points(lon, lat, keys, geoms)
    beat = np.nan_to_num(_floats(tbl["beat"]), nan=-1).astype(np.int64)
    area = np.nan_to_num(_floats(tbl["community_area"]), nan=-1).astype(np.int64)
    out = np.zeros(graph.n)
    pos, by_point = _on_map(graph, found)
    np.add.at(out, pos[by_point], weight[by_point])
    bpos = np.clip(np.searchsorted(graph.keys, beat), 0, graph.n - 1)
    by_beat = ~by_point & (graph.keys[bpos] == beat)
    np.add.at(out, bpos[by_beat], weight[by_beat])
    rest = ~by_point & ~by_beat
    blocks = _texts(tbl["block"])
    blon, blat = _block_points(con, blocks, rest, area)
    pos, by_block = _on_map(graph, assign_points(blon, blat, keys, geoms))
    by_block &= rest
    np.add.at(out, pos[by_block], weight[by_block])
    rest &= ~by_block
    cover = graph.community.sum(axis=0)
    apos = np.clip(np.searchsorted(graph.area_keys, area), 0, max(len(graph.area_keys) - 1, 0))
    by_area = np.zeros(n, dtype=bool)
    if len(graph.area_keys):
        by_area = rest & (graph.area_keys[apos] == area) & (cover[apos] > 0)
        per_area = np.zeros(len(graph.area_keys))
        np.add.at(per_area, apos[by_area], weight[by_area])
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = np.where(cover > 0, per_area / cover, 0.0)
        out += graph.community @ spread
    return Workload(
        values=out,
        first=first,
        last=last,
        incidents=n,
        by_point=int(by_point.sum()),
        by_beat=int(by_beat.sum()),
        by_block=int(by_block.sum()),
        by_area=int(by_area.sum()),
        unplaced=int((rest & ~by_area).sum()),
        severity=sev.source,
    )


def _on_map(
    graph: BeatGraph, found: NDArray[np.int64]
) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """Where each found beat key is in ``graph.keys``, and whether it is there at all."""
    pos = np.searchsorted(graph.keys, found)
    hit = (found >= 0) & (pos < graph.n)
    hit[hit] = graph.keys[pos[hit]] == found[hit]
    return pos, hit


def _block_points(
    con: duckdb.DuckDBPyConnection,
    blocks: list[str | None],
    todo: NDArray[np.bool_],
    area: NDArray[np.int64],
) -> tuple[FloatArray, FloatArray]:
    """Points for the ``todo`` rows from their blocks (NaN elsewhere), learned from every
    record in the warehouse with the same street and a point; a point outside the row's
    recorded community area (when it has one and the areas are loaded) is dropped."""
    lon = np.full(len(blocks), np.nan)
    lat = np.full(len(blocks), np.nan)
    rows = np.flatnonzero(todo)
    wanted = [blocks[i] for i in rows]
    bases = {p[1] for b in wanted if (p := parse_block(b)) is not None}
    if not bases:
        return lon, lat
    known: list[str | None] = []
    klon: list[FloatArray] = []
    klat: list[FloatArray] = []
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    for table, xy in (("incidents", True), ("requests_311", False)):
        if table not in tables:
            continue
        extra = ", x_coordinate, y_coordinate" if xy else ""
        point = "(longitude IS NOT NULL AND latitude IS NOT NULL)" + (
            " OR (x_coordinate IS NOT NULL AND y_coordinate IS NOT NULL)" if xy else ""
        )
        # the blocks of the wanted streets, as parse_block reads them (one parser, not a
        # copy of it in SQL), then their rows
        seen = con.execute(
            f"SELECT DISTINCT block FROM {table} WHERE block IS NOT NULL AND ({point})"
        ).fetchall()
        same = [b for (b,) in seen if (p := parse_block(b)) is not None and p[1] in bases]
        got = con.execute(
            f"SELECT block, longitude, latitude{extra} FROM {table} "
            f"WHERE ({point}) AND block IN (SELECT unnest(?))",
            [same],
        ).fetchnumpy()
        x, y = _lonlat(got)
        known += _texts(got["block"])
        klon.append(x)
        klat.append(y)
    if not known:
        return lon, lat
    index = learn(known, np.concatenate(klon), np.concatenate(klat))
    lon[rows], lat[rows] = locate(index, wanted)
    area_keys, area_geoms = _boundaries(con, "community_areas")
    if area_keys:
        inside = assign_points(lon[rows], lat[rows], area_keys, area_geoms)
        wrong = (area[rows] >= 0) & (inside != area[rows])
        lon[rows[wrong]] = lat[rows[wrong]] = np.nan
    return lon, lat


def _floats(column: object) -> FloatArray:
    """A numeric column of ``fetchnumpy`` with NULLs as NaN."""
    return np.asarray(np.ma.filled(np.ma.asarray(column, dtype=np.float64), np.nan))


def _lonlat(tbl: dict[str, Any]) -> tuple[FloatArray, FloatArray]:
    """Longitude and latitude of fetched rows, from State Plane X/Y (when fetched) where
    only those are known."""
    lon, lat = _floats(tbl["longitude"]), _floats(tbl["latitude"])
    if "x_coordinate" in tbl:
        x, y = _floats(tbl["x_coordinate"]), _floats(tbl["y_coordinate"])
        need = ~np.isfinite(lon) & np.isfinite(x) & np.isfinite(y)
        if need.any():
            lon[need], lat[need] = state_plane_to_lonlat(x[need], y[need])
    return lon, lat


def _texts(column: object) -> list[str | None]:
    """A text column of ``fetchnumpy`` (NULLs masked) as a list."""
    return [None if v is None else str(v) for v in np.ma.asarray(column).tolist()]
