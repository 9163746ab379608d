"""How compact can a balanced plan of the real beats be? An LP over a pool of balanced
districts, priced until the local search finds no district the LP still wants, then whole
plans by diving and by the MIP.

    PYTHONPATH=bench python research/districting/bound.py [--rounds 60] [--starts 600]
        [--mip-seconds 300] [--certify-minutes 120] [--shared ../shared/data]

Issue 6 asks for a balanced plan (±5%) more compact than today's map (mean Polsby-Popper
0.501, district 31 included) that splits no more community areas. This script weighs
compactness alone (no weight on areas split, no cap):

1. the pool of the columns method: discs and boxes grown around every beat, and districts
   of whole community areas brought into the window;
2. rounds of pricing: the LP relaxation over the pool ("choose k districts covering every
   beat once", fractions allowed) prices every beat; a local search from the LP's districts
   and from ``--starts`` random beats grows districts with a positive reduced cost, until a
   round finds none. The LP value then bounds the mean Polsby-Popper of every plan, whole
   or fractional, made of districts the search can reach. The search is a heuristic, so
   this is not a bound over every plan: a district it cannot reach could still raise it
   (with the incidents spread over their areas, one-beat moves alone stopped at 0.4996,
   below today's; with swaps it reached 0.5105);
3. a dive (fix the LP's heaviest district, price again, repeat), whose districts join the
   pool, and the MIP: the best whole plan of the pool, within ``--mip-seconds``;
4. the same with at most today's number of areas split: pricing again with the cap in the
   LP (the rows of areas held whole price the districts that keep areas whole), the LP
   value, and the MIP from the annealer's plan within the cap;
5. with ``--certify-minutes M`` (default 120; 0 skips it), column generation with exact
   pricing (``pricing.certify`` beside this file): it ends with a proof that no plan within the
   cap, of any districts, beats today's mean Polsby-Popper, or with none in M minutes. It
   gives up at once when the LP over the pool is already above today's, as it is with the
   incidents placed by block (0.5018 against 0.5011): then no such proof exists.

The LP value on the 22 balanced districts becomes one on the 23 with the kept district's
score added. Not run in CI (about 12 minutes, and M more).
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from collections import deque
from dataclasses import replace
from pathlib import Path

import numpy as np
from districts import SHARED, warehouse  # bench/districts.py
from pricing import certify

from safer77.plan.columns import Pool, Problem, dive, grown, price, whole_areas
from safer77.plan.districts import Request, todays_map
from safer77.plan.optimise import Options, bound_for, districting, kept_apart, kept_touches
from safer77.plan.score import polsby_popper, score
from safer77.warehouse import connect

KEEP = (31,)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--starts", type=int, default=600, help="random beats pricing starts from")
    ap.add_argument("--mip-seconds", type=float, default=300.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--certify-minutes",
        type=float,
        default=120.0,
        help="exact pricing with the cap, until it proves no plan beats today's (0: skip)",
    )
    ap.add_argument("--shared", type=Path, default=SHARED)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(warehouse(args.shared, Path(tmp)), read_only=True)
        graph, _, current = todays_map(con, Request(Options(keep=KEEP), "2022-01", "2022-11"))
        con.close()
    today = score(current, current, kept=KEEP)
    kept_pp = polsby_popper(current)[[current.names.index(d) for d in KEEP]]
    sub, _, kept, full = kept_apart(graph, current, KEEP)
    k = current.k - len(kept)
    problem = Problem(sub, k, bound_for(sub, k, None), compactness=1.0, splits=0.0)
    rng = np.random.default_rng(args.seed)

    def with_kept(mean_balanced: float) -> float:
        return (mean_balanced * k + float(kept_pp.sum())) / (k + len(kept))

    began = time.perf_counter()
    pool = Pool(problem)
    assert sub.centre is not None
    grown(pool, sub.centre)
    whole_areas(pool)
    print(f"pool: {len(pool):,} balanced districts ({time.perf_counter() - began:.0f} s)")
    bound = None
    for r in range(1, args.rounds + 1):
        relaxation = pool.relax()
        if relaxation is None:
            raise SystemExit("the LP over the pool has no plan")
        bound = 1 - relaxation.objective
        added = price(pool, relaxation, rng, starts=args.starts, steps=200)
        print(
            f"round {r:>2}: LP bound on mean PP {bound:.4f} ({k} districts), "
            f"{with_kept(bound):.4f} (with {', '.join(map(str, kept))}); "
            f"{added} new districts ({time.perf_counter() - began:.0f} s)",
            flush=True,
        )
        if not added:
            break
    assert bound is not None
    # diving (fix the LP's heaviest district, price again, repeat) finds whole plans the
    # MIP over the pool cannot, since it prices districts that fit the ones already fixed
    dived = dive(pool, rng)
    solution = pool.solve(args.mip_seconds)
    print()
    print(f"{'':<44} | {'mean PP':>7} | {'splits':>6} | {'max dev %':>9}")
    print(f"{'today':<44} | {today.pp_mean:>7.4f} | {today.splits:>6} | "
          f"{today.max_deviation_pct:>9.2f}")  # fmt: skip
    print(f"{'LP over the priced pool (fractional mix)':<44} | {with_kept(bound):>7.4f} |        |")
    if solution is not None:
        plan = full(pool.plan(solution.columns, tuple(range(k))))
        s = score(plan, current, kept=KEEP)
        what = "proved best" if solution.optimal else "best found"
        print(f"{'MIP over the pool (' + what + ')':<44} | {s.pp_mean:>7.4f} | {s.splits:>6} | "
              f"{s.max_deviation_pct:>9.2f}")  # fmt: skip
    if dived is not None:
        s = score(full(pool.plan(dived, tuple(range(k)))), current, kept=KEEP)
        print(f"{'diving over the pool, pricing as it goes':<44} | {s.pp_mean:>7.4f} | "
              f"{s.splits:>6} | {s.max_deviation_pct:>9.2f}")  # fmt: skip
    # the same pool, plans capped at today's split count (district 31 counts)
    touches = kept_touches(graph, current, Options(keep=KEEP))
    capped = Pool(replace(problem, max_splits=today.splits, fixed_touches=tuple(map(int, touches))))
    for col in pool.columns:
        capped.add(col)
    # priced again with the cap in the LP: areas held whole now earn their rows' prices
    for _ in range(args.rounds):
        relaxation = capped.relax()
        if relaxation is None or not price(capped, relaxation, rng, starts=args.starts, steps=200):
            break
    if relaxation is not None:
        label = f"LP at most {today.splits} areas split (fractional)"
        print(f"{label:<44} | {with_kept(1 - relaxation.objective):>7.4f} |        |")
    # exact pricing: can any plan within the cap, of any districts, beat today's map?
    if args.certify_minutes > 0:
        target = 1 - (today.pp_mean * (k + len(kept)) - float(kept_pp.sum())) / k
        certificate = certify(
            capped,
            target,
            rng,
            deadline=time.perf_counter() + args.certify_minutes * 60,
            workers=os.cpu_count() or 1,
            progress=lambda line: print(f"  exact pricing: {line}", flush=True),
        )
        if certificate.proved:
            label = f"every plan at most {today.splits} split (exact pricing)"
            print(f"{label:<44} | {with_kept(1 - certificate.bound):>7.4f} |        | (a bound)")
        else:
            print(
                f"exact pricing proved nothing in {certificate.rounds} rounds: the LP over "
                f"the pool is at {with_kept(1 - certificate.lp):.4f}"
            )
    # a start within the cap: annealing with a price on splits (as `--max-splits` does)
    setup = districting(
        graph, current, Options(keep=KEEP, splits=0.25, max_splits=today.splits, seed=args.seed)
    )
    last = deque(setup.steps, maxlen=1)[0]
    start = capped.add_plan(last.best) if last.feasible else None
    solution = capped.solve(args.mip_seconds, start)
    if solution is not None:
        plan = full(capped.plan(solution.columns, tuple(range(k))))
        s = score(plan, current, kept=KEEP)
        print(f"{'MIP, at most ' + str(today.splits) + ' areas split':<44} | {s.pp_mean:>7.4f} | "
              f"{s.splits:>6} | {s.max_deviation_pct:>9.2f}")  # fmt: skip
        if math.isfinite(solution.bound):  # HiGHS may stop before it has one
            print(f"{'  its bound over the pool':<44} | {with_kept(1 - solution.bound):>7.4f} |")
    print(
        f"\npool: {len(pool):,} districts, {len(capped):,} with the cap; "
        f"{time.perf_counter() - began:.0f} s in all"
    )


if __name__ == "__main__":
    main()
