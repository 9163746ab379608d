"""Districting on the real beats: our optimiser vs. GerryChain's ReCom vs. spopt's AZP, each
for the same time budget and seed, every plan scored by the same code (safer77.plan.score).

    pip install -e '.[bench]'
    python bench/districts.py [--seconds 60] [--seed 0] [--shared ../shared/data]

GerryChain: a ReCom chain from today's districts (spanning-tree cuts within the bound),
keeping the best contiguous plan within the bound by the same objective. spopt: AZP with N
regions on the same adjacency and workload (it balances nothing unless asked, so its plans
show what a compactness-blind regionaliser gives). Not run in CI.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from safer77.config import get_settings
from safer77.plan.constraints import split_excess
from safer77.plan.districts import Request, redraw
from safer77.plan.graph import BeatGraph, FloatArray
from safer77.plan.objectives import compactness, moves, splits, weighted
from safer77.plan.optimise import Options, bound_for, kept_apart, kept_touches, split_cap
from safer77.plan.partition import Plan
from safer77.plan.score import Score, score
from safer77.warehouse import connect, load_boundaries, load_incidents
from safer77.warehouse.city311 import load_311

#: $SAFER77_SHARED_DATA, or ../shared/data (the setting tests and benchmarks share)
SHARED = get_settings().shared_data


def warehouse(shared: Path, folder: Path) -> Path:
    db = folder / "w.duckdb"
    con = connect(db)
    b = shared / "boundaries"
    load_boundaries(con, "beats", b / "police_beats_2014snapshot.geojson")
    load_boundaries(con, "community_areas", b / "community_areas_with_pop_2000_2010.geojson")
    for name in ("chicago_crimes_2022_slim.csv.gz", "chicago_homicides_2001_present.csv.gz"):
        load_incidents(con, shared / "crimes" / name)
    # points on the blocks of the slim file, which has none (see safer77.geo.blocks)
    load_311(con, shared / "311" / "chicago_311_sanitation_code_complaints_2011_2014.csv.gz")
    con.close()
    return db


def row(name: str, s: Score, seconds: float) -> dict[str, Any]:
    return {
        "method": name,
        "max_dev_pct": round(s.max_deviation_pct, 2),
        "pp_mean": round(s.pp_mean, 4),
        "splits": s.splits,
        "contiguous": s.contiguous,
        "moved": s.moved,
        "seconds": round(seconds, 1),
    }


def gerrychain_recom(
    graph: BeatGraph,
    current: Plan,
    bound: float,
    seconds: float,
    seed: int,
    cap: int | None = None,
    fixed: FloatArray | None = None,
) -> Plan:
    """GerryChain's ReCom chain from a balanced spanning-tree seed plan (its own
    recursive_tree_part), the best plan seen kept as ours is (time includes the seed): fewest
    points off balance, then fewest areas over ``cap``, then our objective (``fixed``: areas
    the kept districts hold)."""
    import random
    from functools import partial

    import networkx as nx
    from gerrychain import Graph, MarkovChain, Partition, constraints, updaters
    from gerrychain.accept import always_accept
    from gerrychain.partition import recursive_tree_part
    from gerrychain.proposals import recom

    rng = random.Random(seed)
    g = nx.Graph()
    for i in range(graph.n):
        g.add_node(i, workload=float(graph.workload[i]))
    g.add_edges_from((int(i), int(j)) for i, j in graph.edges)
    gg = Graph.from_networkx(g)
    ideal = float(graph.workload.sum()) / current.k
    seed_plan = recursive_tree_part(gg, range(current.k), ideal, "workload", bound / 100, rng=rng)
    start = Partition(gg, seed_plan, updaters={"workload": updaters.Tally("workload")})
    proposal = partial(recom, pop_col="workload", pop_target=ideal, epsilon=bound / 100, rng=rng)
    o = Options()
    tol = o.split_tolerance
    objective = weighted(
        (o.compactness, compactness), (o.splits, splits(tol, fixed)), (o.moves, moves)
    )
    over_cap = split_excess(cap, tol, fixed) if cap is not None else lambda plan: 0.0
    best, best_key = current, (np.inf, np.inf, np.inf)
    chain = MarkovChain(
        proposal, [constraints.contiguous], always_accept, start, total_steps=10**9, rng=rng
    )
    started = time.perf_counter()
    for part in chain:
        labels = np.array([part.assignment[i] for i in range(graph.n)], dtype=np.int64)
        plan = Plan.build(graph, labels, current.names, current.assignment)
        dev = np.abs(plan.workload / ideal - 1).max() * 100
        key = (max(0.0, dev - bound), over_cap(plan), objective(plan))
        if key < best_key:
            best, best_key = plan, key
        if time.perf_counter() - started > seconds:
            break
    return best


def spopt_azp(graph: BeatGraph, current: Plan, seed: int) -> Plan:
    import geopandas as gpd
    import libpysal
    from shapely.geometry import Point
    from spopt.region import AZP

    neighbours = {i: [] for i in range(graph.n)}
    for i, j in graph.edges.tolist():
        neighbours[i].append(j)
        neighbours[j].append(i)
    w = libpysal.weights.W(neighbours, silence_warnings=True)
    gdf = gpd.GeoDataFrame(
        {"workload": graph.workload}, geometry=[Point(i, 0) for i in range(graph.n)]
    )
    np.random.seed(seed)
    model = AZP(gdf, w, ["workload"], n_clusters=current.k, random_state=seed)  # no balance
    model.solve()
    names = np.asarray(current.names, dtype=np.int64)  # region i gets district names[i]
    return Plan.from_labels(graph, names[np.asarray(model.labels_, dtype=np.int64)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shared", type=Path, default=SHARED)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = warehouse(args.shared, Path(tmp))
        con = connect(db, read_only=True)
        runs = {}
        for method in ("anneal", "columns"):
            t = time.perf_counter()
            options = Options(steps=10**9, seed=args.seed, method=method)
            request = Request(options, "2022-01", "2022-11", seconds=args.seconds)
            runs[method] = (redraw(con, request), time.perf_counter() - t)
        con.close()
    ours, ours_s = runs["anneal"]
    cols, cols_s = runs["columns"]
    # the others redraw the same beats (district 31 kept apart) and are scored on every beat
    sub, sub_current, kept, full = kept_apart(ours.graph, ours.current, Options().keep)
    assert sub_current is not None
    bound = bound_for(sub, sub_current.k, None)
    rows = [
        row("today", ours.current_score, 0),
        row("safer77 anneal", ours.proposed_score, ours_s),
        row("safer77 columns", cols.proposed_score, cols_s),
    ]
    try:
        t = time.perf_counter()
        cap = split_cap(ours.current, Options())  # today's count, as ours by default
        fixed = kept_touches(ours.graph, ours.current, Options())
        gc = full(gerrychain_recom(sub, sub_current, bound, args.seconds, args.seed, cap, fixed))
        rows.append(
            row("gerrychain recom", score(gc, ours.current, kept=kept), time.perf_counter() - t)
        )
    except ImportError as exc:
        print(f"gerrychain skipped: {exc}")
    try:
        t = time.perf_counter()
        azp = full(spopt_azp(sub, sub_current, args.seed))
        rows.append(row("spopt azp", score(azp, ours.current, kept=kept), time.perf_counter() - t))
    except ImportError as exc:
        print(f"spopt skipped: {exc}")
    print(
        f"bound ±{bound:.1f}%, {ours.graph.n} beats, {ours.current.k} districts "
        f"({', '.join(map(str, kept))} kept out of the balance), seed {args.seed}"
    )
    names = list(rows[0])
    print(" | ".join(f"{c:>16}" for c in names))
    for r in rows:
        print(" | ".join(f"{r[c]!s:>16}" for c in names))
    print(against_gerrychain(rows, bound, split_cap(ours.current, Options())))


def against_gerrychain(rows: list[dict[str, Any]], bound: float, cap: int | None) -> str:
    """Whether the default plan (safer77 anneal) is more compact than GerryChain's ReCom at
    the same bound and cap (docs/plan.md's target), in one line."""
    ours = next(r for r in rows if r["method"] == "safer77 anneal")
    gc = next((r for r in rows if r["method"] == "gerrychain recom"), None)
    if gc is None:
        return "GerryChain not run (pip install -e '.[bench]'): no comparison"
    verdict = "more" if ours["pp_mean"] > gc["pp_mean"] else "NOT more"
    return (
        f"the default plan is {verdict} compact than GerryChain's ReCom: mean Polsby-Popper "
        f"{ours['pp_mean']} ({ours['splits']} areas split) against {gc['pp_mean']} "
        f"({gc['splits']}), searched under the same bound (±{bound:.1f}%) and cap "
        f"({cap} areas split)"
    )


if __name__ == "__main__":
    main()
