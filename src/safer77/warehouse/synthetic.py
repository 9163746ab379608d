"""Which loads brought synthetic incidents: recorded at load, read by whatever publishes.

A load whose file carries a matching synthetic-data manifest (:mod:`safer77.sources.synthetic`)
adds a row to ``synthetic_loads`` in the load's own transaction. The table is created on first
use, so warehouses that never held synthetic rows do not have it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from safer77.sources.synthetic import SyntheticSource, read_manifest
from safer77.warehouse.db import count, has_table

_DDL = """
CREATE TABLE IF NOT EXISTS synthetic_loads (
    load_id INTEGER NOT NULL,        -- the load_log row of the load
    file VARCHAR NOT NULL,           -- the data file's name
    generator VARCHAR NOT NULL,
    seed BIGINT NOT NULL,
    rows BIGINT NOT NULL,
    fingerprint VARCHAR NOT NULL     -- the file's content identity, as in load_log
)
"""


@dataclass(frozen=True)
class Provenance:
    """Where a warehouse's incidents came from: the synthetic sources loaded (distinct), and
    how many incident loads were of files not marked synthetic."""

    synthetic: tuple[SyntheticSource, ...]
    other_loads: int

    @property
    def is_synthetic(self) -> bool:
        """Any synthetic incidents at all (alone or mixed with real ones)."""
        return bool(self.synthetic)

    @property
    def label(self) -> str:
        """E.g. ``safer77 synthetic city generator, seed 77`` (sources joined by "; ")."""
        return "; ".join(dict.fromkeys(s.label for s in self.synthetic))


def record_synthetic_load(con: duckdb.DuckDBPyConnection, data: Path, load_id: int) -> bool:
    """Record load ``load_id`` of ``data`` as synthetic when its manifest says so (inside the
    load's transaction); returns whether it did."""
    source = read_manifest(data)
    if source is None:
        return False
    con.execute(_DDL)
    con.execute(
        "INSERT INTO synthetic_loads VALUES (?, ?, ?, ?, ?, ?)",
        [load_id, source.file, source.generator, source.seed, source.rows, source.fingerprint],
    )
    return True


def provenance(con: duckdb.DuckDBPyConnection) -> Provenance:
    """What the warehouse's load log says about synthetic and other incident loads."""
    if not has_table(con, "synthetic_loads"):
        return Provenance((), count(con, "SELECT count(*) FROM load_log WHERE kind = 'incidents'"))
    rows = con.execute(
        "SELECT file, generator, seed, rows, fingerprint FROM synthetic_loads "
        "GROUP BY ALL ORDER BY min(load_id)"
    ).fetchall()
    others = count(
        con,
        "SELECT count(*) FROM load_log WHERE kind = 'incidents' "
        "AND load_id NOT IN (SELECT load_id FROM synthetic_loads)",
    )
    sources = tuple(
        SyntheticSource(file=str(f), generator=str(g), seed=int(s), rows=int(n), fingerprint=str(p))
        for f, g, s, n, p in rows
    )
    return Provenance(sources, others)
