"""``safer77 plan districts`` as one library call: read the warehouse, score today's map,
optimise, score the proposal."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from safer77.plan.graph import BeatGraph
from safer77.plan.optimise import Options, Step, districting
from safer77.plan.partition import Plan
from safer77.plan.score import Score, score
from safer77.plan.workload import Workload, beat_map, beat_workload, read_severity


@dataclass(frozen=True)
class Request:
    """Everything ``plan districts`` reads besides the warehouse."""

    options: Options
    start: str | None = None  # first month (YYYY-MM) of the workload window
    end: str | None = None
    severity: Path | None = None
    tolerance: float = 5.0  # metres of sliver between beats still read as a shared edge
    seconds: float | None = None  # stop after this long with the best plan so far


@dataclass(frozen=True)
class Redraw:
    graph: BeatGraph
    workload: Workload
    current: Plan
    proposed: Plan
    current_score: Score
    proposed_score: Score
    bound_pct: float
    steps: int
    seconds: float
    stopped_early: bool
    method: str = "anneal"
    outcome: str = ""  # what the last stage said (the MIP of the columns method)
    max_splits: int | None = None  # the cap on community areas split, None for none


def todays_map(
    con: duckdb.DuckDBPyConnection, request: Request
) -> tuple[BeatGraph, Workload, Plan]:
    """The warehouse's beat graph with the request's workload per beat, and today's plan
    (district = beat number // 100)."""
    severity = read_severity(request.severity)
    graph, _ = beat_map(con, tolerance=request.tolerance)
    load = beat_workload(con, graph, start=request.start, end=request.end, severity=severity)
    graph = graph.with_workload(load.values)
    labels = graph.keys // 100
    return graph, load, Plan.from_labels(graph, labels, reference=labels)


def redraw(
    con: duckdb.DuckDBPyConnection,
    request: Request,
    on_step: Callable[[Step], None] | None = None,
) -> Redraw:
    """Redraw the districts; ``on_step`` sees every step (a progress bar). Stops at
    ``request.seconds`` or on Ctrl-C with the best plan found so far."""
    graph, load, current = todays_map(con, request)
    options = request.options
    columns = options.method == "columns"
    if columns and request.seconds is not None:
        options = replace(options, seconds=request.seconds)  # it shares out the time itself
    setup = districting(graph, current, options)
    best = None
    started = time.perf_counter()
    done = 0
    early = False
    outcome = ""
    try:
        for step in setup.steps:
            best, done = step.best, step.step
            if step.stage:
                outcome = step.stage
            early = early or step.interrupted
            if on_step is not None:
                on_step(step)
            late = request.seconds is not None and time.perf_counter() - started > request.seconds
            if late and not columns:
                early = done < request.options.steps
                break
    except KeyboardInterrupt:
        early = True
    # counted afresh (the optimiser's running sums drift by rounding), kept districts back in
    proposed = setup.start if best is None else setup.full(best)
    tol, kept = request.options.split_tolerance, setup.kept
    return Redraw(
        graph=graph,
        workload=load,
        current=current,
        proposed=proposed,
        current_score=score(current, current, split_tolerance=tol, kept=kept),
        proposed_score=score(proposed, current, split_tolerance=tol, kept=kept),
        bound_pct=setup.bound_pct,
        steps=done,
        seconds=time.perf_counter() - started,
        stopped_early=early,
        method=options.method,
        outcome=outcome,
        max_splits=setup.max_splits,
    )
