"""The demo: synthesise a city, load it, compute every statistic.

Everything the demo writes stays in its own folder (``./safer77-demo/`` by default): the
synthetic files, its warehouse and its site. It never touches the default warehouse that real
loads use (``./safer77.duckdb``, or ``SAFER77_DB``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from safer77.config import Settings
from safer77.metrics.stats import compute_all
from safer77.sources.synthetic import manifest_path, write_manifest
from safer77.synth import synth_crimes, synth_geography, write_boundaries
from safer77.warehouse import LoadResult, connect, load_boundaries, load_incidents

#: The demo's folder, and its warehouse and site inside it.
DEMO_DIR = Path("safer77-demo")
DEMO_DB = "safer77.duckdb"
DEMO_SITE = "site"


def demo_settings(settings: Settings, workdir: Path, db: Path | None = None) -> Settings:
    """``settings`` with the demo's warehouse (``db``, else ``workdir/safer77.duckdb``, whatever
    ``SAFER77_DB`` says) and site (``workdir/site``)."""
    return settings.model_copy(
        update={"db": db or workdir / DEMO_DB, "site_dir": workdir / DEMO_SITE}
    )


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
    workdir: Path = DEMO_DIR,
    db: Path | None = None,
    on_step: Callable[[str], None] | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> DemoResult:
    """Build (or reuse) a synthetic city in ``workdir`` and load it into the demo's warehouse:
    ``db``, else ``workdir/safer77.duckdb`` (never ``settings.db``, the warehouse of real loads;
    only ``settings.memory_limit`` is used).

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
    elif not manifest_path(crimes_file).exists():  # written by a demo from before the mark
        write_manifest(crimes_file, seed=seed, rows=rows)
    loads: list[LoadResult] = []
    target = db or workdir / DEMO_DB
    con = connect(target, memory_limit=settings.memory_limit)
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
    return DemoResult(db=target, crimes_file=crimes_file, loads=loads, stats_rows=stats_rows)
