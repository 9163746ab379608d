"""The demo: synthesise a city, load it, compute every statistic."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from safer77.config import Settings
from safer77.metrics.stats import compute_all
from safer77.synth import synth_crimes, synth_geography, write_boundaries
from safer77.warehouse import LoadResult, connect, load_boundaries, load_incidents


@dataclass(frozen=True)
class DemoResult:
    """What the demo loaded and where."""

    db: Path
    crimes_file: Path
    loads: list[LoadResult]
    stats_rows: dict[str, object]


def run_demo(
    settings: Settings,
    *,
    rows: int = 200_000,
    seed: int = 77,
    workdir: Path = Path("safer77-demo"),
    on_step: Callable[[str], None] | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> DemoResult:
    """Build (or reuse) a synthetic city in ``workdir`` and load it into the warehouse.

    The same seed gives the same files, so running the demo again loads nothing new.
    """
    step = on_step or (lambda _msg: None)
    workdir.mkdir(parents=True, exist_ok=True)
    city = synth_geography(seed)
    step("writing synthetic boundaries")
    boundary_files = write_boundaries(city, workdir)
    crimes_file = workdir / f"crimes_{rows}_{seed}.csv.gz"
    if not crimes_file.exists():  # synth_crimes writes a temporary file and renames it
        step(f"synthesising {rows:,} incidents")
        synth_crimes(
            rows=rows,
            seed=seed,
            out=crimes_file,
            city=city,
            on_progress=(lambda n: on_progress(n / rows)) if on_progress else None,
        )
    loads: list[LoadResult] = []
    con = connect(settings.db, memory_limit=settings.memory_limit)
    try:
        for kind in ("community_areas", "districts", "beats"):
            step(f"loading {kind}")
            loads.append(load_boundaries(con, kind, boundary_files[kind]))
        step("loading incidents")
        loads.append(load_incidents(con, crimes_file, on_progress=on_progress))
        step("computing statistics")
        stats_rows = compute_all(con)
    finally:
        con.close()
    return DemoResult(db=settings.db, crimes_file=crimes_file, loads=loads, stats_rows=stats_rows)
