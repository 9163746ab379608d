"""Load boundary polygons (community areas, districts, beats, wards, ZIP codes) into the
warehouse."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import duckdb
import shapely
from shapely.geometry.base import BaseGeometry

from safer77.sources.boundaries import read_boundaries
from safer77.sources.files import fingerprint
from safer77.warehouse.db import load_log_insert, next_load_id
from safer77.warehouse.geocode import assign_geography, forget_assignments
from safer77.warehouse.incidents import LoadResult
from safer77.warehouse.quarantine import replace_quarantine


def load_boundaries(con: duckdb.DuckDBPyConnection, kind: str, path: Path) -> LoadResult:
    """Replace the boundaries of ``kind`` with those in ``path``, in one transaction.

    Several features with the same number (a beat drawn in pieces) are merged into one
    polygon and counted as duplicates; features without a number or polygon are quarantined.
    """
    started = time.perf_counter()
    started_at = datetime.now()
    parsed = read_boundaries(kind, path)
    file_label = str(path.resolve())
    parts: dict[int, list[BaseGeometry]] = defaultdict(list)
    names: dict[int, str] = {}
    for feat in parsed.features:
        parts[feat.key].append(feat.geometry)
        names.setdefault(feat.key, feat.name)
    rows = [
        (parsed.kind, key, names[key], shapely.to_wkb(shapely.union_all(geoms)))
        for key, geoms in sorted(parts.items())
    ]
    con.execute("BEGIN TRANSACTION")
    try:
        load_id = next_load_id(con)
        con.execute("DELETE FROM boundaries WHERE kind = ?", [parsed.kind])
        con.executemany(
            "INSERT INTO boundaries VALUES (?, ?, ?, ?, ?)",
            [(*r, file_label) for r in rows],
        )
        con.execute(
            "CREATE TEMP TABLE _q (load_id INTEGER, file VARCHAR, line BIGINT, field VARCHAR, "
            "reason VARCHAR, value VARCHAR)"
        )
        if parsed.rejected:
            con.executemany(
                "INSERT INTO _q VALUES (?, ?, ?, ?, ?, NULL)",
                [(load_id, file_label, n, fld, reason) for n, fld, reason in parsed.rejected],
            )
        content_id = fingerprint(path)
        replace_quarantine(con, file_label, content_id)
        con.execute("DROP TABLE _q")
        # Incidents placed by the old polygons are placed again, and any loaded before these
        # boundaries existed get their missing area now.
        forget_assignments(con, parsed.kind)
        placed = assign_geography(con, only_kind=parsed.kind)
        duplicates = len(parsed.features) - len(rows)
        con.execute(
            load_log_insert() + " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, NULL, ?)",
            [
                load_id,
                f"boundaries:{parsed.kind}",
                file_label,
                started_at,
                datetime.now(),
                parsed.read,
                len(rows),
                duplicates,
                len(parsed.rejected),
                content_id,
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        con.execute("DROP TABLE IF EXISTS _q")
        raise
    return LoadResult(
        file=file_label,
        read=parsed.read,
        loaded=len(rows),
        updated=0,
        duplicates=duplicates,
        quarantined=len(parsed.rejected),
        geo_assigned=placed,
        seconds=time.perf_counter() - started,
        load_id=load_id,
    )
