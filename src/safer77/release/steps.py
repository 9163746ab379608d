"""One release, step by step: fetch (or take files), ingest, statistics, analyses, figures,
revisions, site, manifest, publish, archive.

Every step is timed and reported; the run holds a lock, builds in a temporary folder and
publishes by renaming it and switching links (:mod:`.archive`), so a failure or a kill at any
step leaves the previous release and the public pointer as they were. The next run starts
again: a complete download is not fetched again and a file already loaded is not loaded again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb

from safer77.config import get_settings
from safer77.errors import InvalidInput, NotFound, Safer77Error
from safer77.metrics.coverage import read_coverage
from safer77.metrics.coverage_table import coverage_ranges, coverage_table
from safer77.metrics.stats import compute_all, stats_are_current
from safer77.release import archive, feed, figures, manifest, pages, revisions
from safer77.release.archive import Layout
from safer77.release.config import ReleaseConfig
from safer77.sources.files import fingerprint
from safer77.sources.socrata import fetch_crimes
from safer77.warehouse import connect, load_incidents
from safer77.warehouse.db import count, has_table, table_dicts

#: The steps of a release, in order.
STEPS = (
    "fetch",
    "ingest",
    "stats",
    "analyses",
    "figures",
    "revisions",
    "site",
    "manifest",
    "publish",
    "archive",
)


class Reporter(Protocol):
    """Receives a run's progress (the CLI draws a bar; tests may record it)."""

    def start(self, step: str) -> None: ...
    def progress(self, step: str, detail: str) -> None: ...
    def end(self, step: str, seconds: float, detail: str) -> None: ...


class Quiet:
    def start(self, step: str) -> None:
        pass

    def progress(self, step: str, detail: str) -> None:
        pass

    def end(self, step: str, seconds: float, detail: str) -> None:
        pass


@dataclass
class Outcome:
    """What a run did (or, with ``dry_run``, would do)."""

    month: str | None
    status: str  # "published", "unchanged", "planned" or "failed"
    folder: Path | None = None
    previous: str | None = None
    rows_fetched: int = 0
    loads: list[dict[str, Any]] = field(default_factory=list)
    revised: int = 0
    steps: list[tuple[str, float, str]] = field(default_factory=list)
    plan: list[tuple[str, str]] = field(default_factory=list)
    failed_step: str | None = None
    error: str | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for a scheduler's log."""
        m = self.month or "?"
        if self.status == "failed":
            return f"release {m}: FAILED at {self.failed_step}: {self.error}"
        if self.status == "planned":
            return f"release {m}: dry run, {len(self.plan)} steps planned, nothing changed"
        new = sum(int(ld["loaded"]) for ld in self.loads)
        upd = sum(int(ld["updated"]) for ld in self.loads)
        what = "published" if self.status == "published" else "unchanged (same digests)"
        return (
            f"release {m}: {what} {self.folder} ({self.rows_fetched:,} rows fetched, "
            f"{new:,} new and {upd:,} updated records; {self.revised:,} figures revised"
            f"{f' since {self.previous}' if self.previous else ''}; {self.seconds:.1f} s)"
        )


class StepFailed(Exception):
    def __init__(self, step: str, error: BaseException) -> None:
        super().__init__(f"{step}: {error}")
        self.step, self.error = step, error


@dataclass
class _Run:
    cfg: ReleaseConfig
    layout: Layout
    reporter: Reporter
    outcome: Outcome
    log: Path
    current: str = ""

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """Time step ``name``; the caller appends its one-line result to the yielded list."""
        self.current = name
        self.reporter.start(name)
        started = time.perf_counter()
        detail: list[str] = []
        try:
            yield detail
        except Exception as exc:
            raise StepFailed(name, exc) from exc
        seconds = time.perf_counter() - started
        text = "; ".join(detail)
        self.outcome.steps.append((name, seconds, text))
        self.reporter.end(name, seconds, text)
        self._log({"step": name, "seconds": round(seconds, 3), "detail": text})

    def _log(self, record: dict[str, Any]) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = {"at": stamp, "month": self.outcome.month, **record}
        with self.log.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")


def run_release(
    cfg: ReleaseConfig,
    *,
    month: str | None = None,
    files: list[Path] | None = None,
    dry_run: bool = False,
    reporter: Reporter | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Outcome:
    """Make (or, with ``dry_run``, plan) the release of ``month`` (default: the newest month
    the warehouse covers in full) from the portal, or from ``files`` when given.

    A failing step raises :class:`StepFailed` after running the configured ``on_failure``
    command; the previous release stays published."""
    if month is not None and not archive.MONTH.match(month):
        raise InvalidInput(f"--month must be a month like 2024-05, got {month!r}")
    for f in files or []:
        if not f.is_file():
            raise NotFound(f"{f}: no such file")
    layout = Layout(cfg.root)
    db = cfg.db or get_settings().db
    outcome = Outcome(month=month, status="planned")
    if dry_run:
        outcome.plan = plan(cfg, layout, db, month, files)
        return outcome
    started = time.perf_counter()
    layout.root.mkdir(parents=True, exist_ok=True)
    with archive.locked(layout):
        run = _Run(cfg, layout, reporter or Quiet(), outcome, layout.work / "release.log")
        try:
            _run(run, db, files, now)
        except StepFailed as failed:
            outcome.status, outcome.failed_step = "failed", failed.step
            outcome.error = (
                str(failed.error).splitlines()[0] if str(failed.error) else repr(failed.error)
            )
            run._log({"step": failed.step, "failed": outcome.error})
            _on_failure(cfg, layout, outcome)
            raise
        finally:
            outcome.seconds = time.perf_counter() - started
    run._log({"summary": outcome.summary()})
    return outcome


def plan(
    cfg: ReleaseConfig, layout: Layout, db: Path, month: str | None, files: list[Path] | None
) -> list[tuple[str, str]]:
    """What a run would do, step by step, without changing anything."""
    last = archive.latest_manifest(layout)
    if files:
        fetch = f"take {len(files)} local file(s) instead of the portal: " + ", ".join(
            str(f) for f in files
        )
    elif last:
        fetch = (
            f"fetch records updated after {last['high_water_mark']} (the {last['release']} "
            f"release's high-water mark) from {cfg.base_url or 'the portal'}"
        )
    else:
        fetch = f"fetch every incident since {cfg.first_since} (first release)"
    a = cfg.analyses
    analyses = [
        "service export" if a.service_url else None,
        "solve publish" if a.solve_clearance or a.solve_service else None,
        "dispatch scenarios" if a.dispatch else None,
    ]
    chosen = [x for x in analyses if x]
    target = month or "the newest month covered in full"
    prev = archive.previous_release(layout, month) if month else None
    return [
        ("fetch", fetch),
        ("ingest", f"load the new files into {db} (files already loaded are skipped)"),
        ("stats", "recompute the stored statistics if a load changed them"),
        (
            "analyses",
            ", ".join(chosen) + " (each only when its inputs changed)"
            if chosen
            else "none configured",
        ),
        ("figures", "write data/figures.csv (every figure of the release)"),
        (
            "revisions",
            f"compare with the {prev} release" if prev else "compare with the previous release",
        ),
        ("site", f"build the site for {target} into a temporary folder"),
        ("manifest", "write manifest.json (every file's sha256)"),
        ("publish", f"rename into {layout.releases}/<month>, switch {layout.current}"),
        ("archive", "rewrite releases/index.html and releases/feed.xml"),
    ]


def _run(run: _Run, db: Path, files: list[Path] | None, now: Callable[[], datetime]) -> None:
    cfg, layout, outcome = run.cfg, run.layout, run.outcome
    archive.remove_stale_builds(layout)
    last = archive.latest_manifest(layout)
    with run.step("fetch") as d:
        inputs = _fetch(run, last, files)
        d.append(f"{outcome.rows_fetched:,} rows" if not files else f"{len(inputs)} file(s)")
    con = connect(db, memory_limit=get_settings().memory_limit)
    try:
        with run.step("ingest") as d:
            for path in inputs:
                loaded = _ingest(con, path)
                if loaded:
                    outcome.loads.append(loaded)
            d.append(
                ", ".join(
                    f"{Path(str(ld['file'])).name}: {ld['loaded']:,} new, {ld['updated']:,} updated"
                    for ld in outcome.loads
                )
                or "nothing new"
            )
        with run.step("stats") as d:
            if stats_are_current(con):
                d.append("current")
            else:
                compute_all(con)
                d.append("recomputed")
        with run.step("analyses") as d:
            d.append(_analyses(con, cfg, db) or "none")
        _release(run, con, now)
    finally:
        con.close()


def _fetch(run: _Run, last: dict[str, Any] | None, files: list[Path] | None) -> list[Path]:
    if files:
        return [f.resolve() for f in files]
    cfg, layout = run.cfg, run.layout
    settings = get_settings()
    folder = layout.work / "fetch"

    def on_page(rows: int, total: int) -> None:
        run.outcome.rows_fetched = total
        run.reporter.progress("fetch", f"{total:,} rows")

    common: dict[str, Any] = {
        "domain": settings.portal_domain,
        "dataset": settings.crimes_dataset,
        "app_token": settings.socrata_app_token,
        "page_size": cfg.page_size,
        "base_url": cfg.base_url,
        "on_page": on_page,
    }
    if last is None:
        out = folder / f"since-{cfg.first_since.isoformat()}.jsonl"
        result = fetch_crimes(since=cfg.first_since, out=out, **common)
    else:
        after = datetime.fromisoformat(str(last["high_water_mark"]))
        out = folder / f"updated-after-{after:%Y%m%dT%H%M%S}.jsonl"
        result = fetch_crimes(updated_after=after, out=out, **common)
    run.outcome.rows_fetched = result.rows_written + result.resumed_from
    return [out] if out.stat().st_size > 0 else []


def _ingest(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, Any] | None:
    """Load ``path`` unless this very file is loaded already (a rerun after a failure),
    keeping the versions it replaces for the revisions."""
    label = str(path.resolve())
    done = count(
        con,
        "SELECT count(*) FROM load_log WHERE kind = 'incidents' AND file = ? AND fingerprint = ?",
        [label, fingerprint(path)],
    )
    if done:
        return None
    revisions.snapshot_before_load(con)
    result = load_incidents(con, path)
    revisions.keep_prior_versions(con, result.load_id)
    return {
        "file": result.file,
        "loaded": result.loaded,
        "updated": result.updated,
        "duplicates": result.duplicates,
        "quarantined": result.quarantined,
    }


_ANALYSES_DDL = "CREATE TABLE IF NOT EXISTS release_analyses (name VARCHAR, stamp VARCHAR)"


def _analyses(con: duckdb.DuckDBPyConnection, cfg: ReleaseConfig, db: Path) -> str:
    """Run the configured analyses whose inputs changed since they last ran: solve publish
    and the dispatch scenarios read the incidents; the service export reads the service
    database, which the release cannot see, so it runs every time it is configured."""
    a = cfg.analyses
    stamp = str(count(con, "SELECT max(load_id) FROM load_log WHERE kind = 'incidents'"))
    con.execute(_ANALYSES_DDL)
    ran: list[str] = []

    def stale(name: str) -> bool:
        rows = con.execute("SELECT stamp FROM release_analyses WHERE name = ?", [name]).fetchall()
        return not rows or rows[0][0] != stamp

    def mark(name: str) -> None:
        con.execute("DELETE FROM release_analyses WHERE name = ?", [name])
        con.execute("INSERT INTO release_analyses VALUES (?, ?)", [name, stamp])
        ran.append(name)

    if a.service_url:
        from safer77.service.db import migrated_engine
        from safer77.service.export import export_to_warehouse

        with migrated_engine(a.service_url) as engine:
            export_to_warehouse(engine, db)
        ran.append("service export")
    if (a.solve_clearance or a.solve_service) and stale("solve"):
        from safer77.solve.publish import area_counts, save_area_counts

        rows = area_counts(
            con,
            clearance=a.solve_clearance,
            database_url=a.service_url if a.solve_service else None,
        )
        save_area_counts(con, rows)
        mark("solve")
    if a.dispatch and stale("dispatch"):
        from safer77.dispatch.policy import load_policy
        from safer77.dispatch.scenarios import compare, plan_run, save_scenarios

        pol = load_policy("default")
        sim = plan_run(con, pol)
        _, table = compare(sim.scenarios, pol, sim.rates, a.dispatch_days, 1)
        save_scenarios(con, table, policy=pol.source, days=a.dispatch_days, seed=1)
        mark("dispatch")
    return ", ".join(ran)


def _release(run: _Run, con: duckdb.DuckDBPyConnection, now: Callable[[], datetime]) -> None:
    layout, outcome = run.layout, run.outcome
    cov = read_coverage(con)
    month = outcome.month or cov.featured_month() or _newest_month(con)
    outcome.month = month
    previous = archive.previous_release(layout, month)
    prev_doc = manifest.read_manifest(layout.release(previous)) if previous else None
    outcome.previous = previous
    stage = layout.work / f"stage-{month}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    with run.step("figures") as d:
        n = figures.write_figures(con, stage / "figures.csv")
        d.append(f"{n:,} figures")
    with run.step("revisions") as d:
        if previous and prev_doc:
            rev = revisions.write_revisions(
                con,
                layout.release(previous) / "data" / "figures.csv",
                stage / "figures.csv",
                int(prev_doc["max_load_id"]),
                stage / "revisions.csv",
            )
            outcome.revised = rev.figures
            d.append(f"{rev.figures:,} figures revised since {previous}, {rev.records:,} records")
        else:
            revisions.no_revisions(stage / "revisions.csv")
            rev = revisions.Revisions(0, [], 0, [])
            d.append("first release")
        marks = _revised_marks(layout, month, stage / "revisions.csv")
        ages = revisions.revision_by_age(con)
    tmp = archive.new_build_dir(layout, month)
    with run.step("site") as d:
        extra = pages.methodology_section(ages)
        try:
            built = _build(con, tmp, month, marks, extra, run)
            d.append(f"{built} pages for {month}")
        except NotFound as exc:  # no month is covered in full: the figures alone
            shutil.rmtree(tmp)
            tmp.mkdir()
            pages.render(
                con,
                tmp,
                "index.html",
                f"Release {month}",
                pages.uncovered_body(month, str(exc)),
                month,
            )
            pages.render(con, tmp, "methodology.html", "Methodology", extra, month)
            d.append(f"no site pages ({exc})")
        (tmp / "data").mkdir(exist_ok=True)
        shutil.move(stage / "figures.csv", tmp / "data" / "figures.csv")
        shutil.move(stage / "revisions.csv", tmp / "data" / "revisions.csv")
        rows = revisions.read_revisions(tmp / "data" / "revisions.csv")
        pages.render(
            con,
            tmp,
            "revisions.html",
            "Revisions",
            pages.revisions_body(month, previous, rows, rev.records),
            month,
        )
    shutil.rmtree(stage, ignore_errors=True)
    with run.step("manifest") as d:
        info = _manifest_info(con, month, previous, rev, tmp)
        doc = manifest.write_manifest(tmp, info)
        d.append(f"{len(doc['files']):,} files")
    with run.step("publish") as d:
        digest = manifest.sha256(tmp / manifest.NAME)
        final, changed = archive.publish(layout, tmp, month, digest)
        archive.record_history(layout, month, final.name, now().strftime("%Y-%m-%dT%H:%M:%SZ"))
        outcome.folder = layout.release(month)
        outcome.status = "published" if changed else "unchanged"
        d.append(f"{outcome.folder} -> {final.name}" + ("" if changed else " (unchanged)"))
    with run.step("archive") as d:
        feed.write_index(layout)
        feed.write_feed(layout)
        shutil.rmtree(layout.work / "fetch", ignore_errors=True)
        d.append(f"{len(archive.published(layout))} releases")


def _build(
    con: duckdb.DuckDBPyConnection,
    tmp: Path,
    month: str,
    marks: set[tuple[str, str, str]],
    extra: str,
    run: _Run,
) -> int:
    from safer77.publish.site import build_site

    result = build_site(
        con,
        tmp,
        month=month,
        on_page=lambda n: run.reporter.progress("site", f"{n} pages"),
        revised=marks,
        methodology_extra=extra,
    )
    return result.pages


def _newest_month(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute("SELECT strftime(max(month), '%Y-%m') FROM incidents").fetchall()
    if not rows or rows[0][0] is None:
        raise NotFound("the warehouse has no incidents to release")
    return str(rows[0][0])


def _revised_marks(layout: Layout, month: str, current: Path) -> set[tuple[str, str, str]]:
    """(level, key, month) revised since first published: by any release up to this one."""
    marks: set[tuple[str, str, str]] = set()
    sources = [layout.release(m) / "data" / "revisions.csv" for m in archive.published(layout)]
    for path in [*(s for s in sources if s.parent.parent.name < month), current]:
        marks.update((r["level"], r["key"], r["month"]) for r in revisions.read_revisions(path))
    return marks


def _manifest_info(
    con: duckdb.DuckDBPyConnection,
    month: str,
    previous: str | None,
    rev: revisions.Revisions,
    folder: Path,
) -> dict[str, Any]:
    hwm = con.execute("SELECT max(updated_on) FROM incidents").fetchall()[0][0]
    loads = table_dicts(con, "load_log", "load_id")
    return {
        "release": month,
        "previous": previous,
        "code_version": manifest.code_version(),
        "high_water_mark": hwm.isoformat() if hwm else "1970-01-01T00:00:00",
        "max_load_id": count(con, "SELECT max(load_id) FROM load_log"),
        "load_log": loads,
        "coverage": coverage_ranges(coverage_table(read_coverage(con))),
        "headline": figures.headline(con, folder / "data" / "figures.csv", month),
        "revisions": {
            "figures": rev.figures,
            "months": rev.months,
            "records": rev.records,
            "city": rev.city,
        },
        "analyses": table_dicts(con, "release_analyses", "name")
        if has_table(con, "release_analyses")
        else [],
    }


def _on_failure(cfg: ReleaseConfig, layout: Layout, outcome: Outcome) -> None:
    """Run the configured ``on_failure`` command (its own failure is only logged)."""
    if not cfg.on_failure:
        return
    env = dict(
        os.environ,
        SAFER77_RELEASE_MONTH=outcome.month or "",
        SAFER77_RELEASE_STEP=outcome.failed_step or "",
        SAFER77_RELEASE_ERROR=outcome.error or "",
        SAFER77_RELEASE_ROOT=str(layout.root),
    )
    with suppress(OSError, subprocess.SubprocessError):
        subprocess.run(cfg.on_failure, shell=True, env=env, timeout=300, check=False)


__all__ = ["STEPS", "Outcome", "Quiet", "Reporter", "Safer77Error", "StepFailed", "run_release"]
