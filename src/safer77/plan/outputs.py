"""What ``plan districts`` writes: the new districts as GeoJSON, beat → district as CSV, an
SVG map of today's districts beside the proposal's, the comparison table, and ``plan.json``
(everything the public site's page needs)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from safer77.plan.districts import Redraw
from safer77.plan.partition import Plan
from safer77.plan.score import Score
from safer77.publish.maps import Shape, choropleth

MEASURES: tuple[tuple[str, str], ...] = (
    ("districts", "Districts"),
    ("max_deviation_pct", "Max workload deviation (%)"),
    ("mean_abs_deviation_pct", "Mean absolute workload deviation (%)"),
    ("contiguous", "Every district in one piece"),
    ("polsby_popper_min", "Compactness, least compact district (Polsby-Popper)"),
    ("polsby_popper_mean", "Compactness, mean (Polsby-Popper)"),
    ("areas_split", "Community areas split"),
    ("beats_moved", "Beats moved from today's map"),
    ("lower_bound_pct", "Lower bound on max deviation (%)"),
    ("kept_out_of_balance", "Districts kept as they are, out of the balance"),
)


def comparison_rows(result: Redraw) -> list[dict[str, Any]]:
    """One row per measure: today's map and the proposal."""
    now, new = result.current_score.summary(), result.proposed_score.summary()
    return [
        {"measure": label, "current": now[key], "proposed": new[key]} for key, label in MEASURES
    ]


def run_info(result: Redraw) -> dict[str, Any]:
    """How the proposal was made: window, placement of incidents, steps, bound."""
    w = result.workload
    return {
        "window": f"{w.first:%Y-%m} to {w.last:%Y-%m}",
        "incidents": w.incidents,
        "by_point": w.by_point,
        "by_beat": w.by_beat,
        "by_block": w.by_block,
        "by_area": w.by_area,
        "unplaced": w.unplaced,
        "severity": w.severity,
        "bound_pct": round(result.bound_pct, 2),
        "max_splits": result.max_splits,
        "within_cap": result.max_splits is None
        or result.proposed_score.splits <= result.max_splits,
        "method": result.method,
        "outcome": result.outcome,
        "steps": result.steps,
        "seconds": round(result.seconds, 1),
        "stopped_early": result.stopped_early,
        "islands": result.graph.islands(),
        "links": [list(pair) for pair in result.graph.links],
        "current_split_areas": list(result.current_score.split_areas),
        "proposed_split_areas": list(result.proposed_score.split_areas),
    }


def district_shapes(plan: Plan, beats: dict[int, BaseGeometry]) -> list[Shape]:
    """One shape per district: the union of its beats' polygons (WGS84)."""
    shapes = []
    for d, name in enumerate(plan.names):
        keys = plan.graph.keys[plan.assignment == d].tolist()
        geom = shapely.union_all([beats[k] for k in keys])
        shapes.append(Shape(key=name, name=f"District {name}", geometry=geom))
    return shapes


def district_features(plan: Plan, result_score: Score, shapes: list[Shape]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the districts with their scores."""
    features = []
    for shape, ds in zip(shapes, result_score.districts, strict=True):
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "district": ds.district,
                    "beats": ds.beats,
                    "workload": round(ds.workload, 2),
                    "deviation_pct": round(ds.deviation_pct, 2),
                    "polsby_popper": round(ds.polsby_popper, 4),
                    "contiguous": ds.contiguous,
                },
                "geometry": shapely.geometry.mapping(shape.geometry),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def side_by_side(
    current: list[Shape], proposed: list[Shape], now: Score, new: Score, width: int = 420
) -> str:
    """Two maps in one SVG, today's districts left, the proposal right, each shaded by the
    district's workload deviation from the mean."""
    maps = []
    for shapes, sc, title in ((current, now, "Today"), (proposed, new, "Proposed")):
        values = {d.district: d.deviation_pct for d in sc.districts}
        maps.append(
            choropleth(
                shapes, values, title=f"{title}: workload deviation (%)", fmt="{:+.1f}", width=width
            )
        )
    heights = [float(m.split('viewBox="0 0 ', 1)[1].split('"', 1)[0].split()[1]) for m in maps]
    height = max(heights)
    inner = "".join(
        m.replace(
            "<svg ",
            f'<svg x="{i * (width + 20)}" y="0" width="{width}" height="{heights[i]:.0f}" ',
            1,
        )
        for i, m in enumerate(maps)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {2 * width + 20} {height:.0f}" '
        f'role="group" aria-label="Today\'s districts beside the proposal">{inner}</svg>'
    )


def beat_polygons(con: duckdb.DuckDBPyConnection) -> dict[int, BaseGeometry]:
    rows = con.execute("SELECT key, geometry FROM boundaries WHERE kind = 'beats'").fetchall()
    return {int(k): shapely.from_wkb(bytes(g)) for k, g in rows}


def write_outputs(con: duckdb.DuckDBPyConnection, result: Redraw, folder: Path) -> list[Path]:
    """Write every output into ``folder`` (created); returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    beats = beat_polygons(con)
    now_shapes = district_shapes(result.current, beats)
    new_shapes = district_shapes(result.proposed, beats)
    paths = {
        name: folder / name
        for name in ("districts.geojson", "beats.csv", "map.svg", "comparison.csv", "plan.json")
    }
    paths["districts.geojson"].write_text(
        json.dumps(district_features(result.proposed, result.proposed_score, new_shapes)) + "\n",
        "utf-8",
    )
    with paths["beats.csv"].open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["beat", "district", "current_district", "workload"])
        now, new = result.current.labels(), result.proposed.labels()
        for i, key in enumerate(result.graph.keys.tolist()):
            w.writerow([key, int(new[i]), int(now[i]), round(float(result.graph.workload[i]), 3)])
    svg = side_by_side(now_shapes, new_shapes, result.current_score, result.proposed_score)
    paths["map.svg"].write_text(svg + "\n", "utf-8")
    rows = comparison_rows(result)
    with paths["comparison.csv"].open("w", newline="", encoding="utf-8") as fh:
        dw = csv.DictWriter(fh, fieldnames=["measure", "current", "proposed"])
        dw.writeheader()
        dw.writerows(rows)
    doc = {
        "comparison": rows,
        "run": run_info(result),
        "districts": [
            {**vars(d), "workload": round(d.workload, 2)} for d in result.proposed_score.districts
        ],
        "assignment": dict(
            zip(
                [str(k) for k in result.graph.keys.tolist()],
                np.asarray(result.proposed.labels()).tolist(),
                strict=True,
            )
        ),
    }
    paths["plan.json"].write_text(json.dumps(doc, indent=1) + "\n", "utf-8")
    return list(paths.values())
