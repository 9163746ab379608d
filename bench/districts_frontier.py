"""The trade-off between compactness and community areas split on the real beats: the
columns method at several weights on splits, with no cap on areas split, each point a
balanced plan (±5%).

    python bench/districts_frontier.py [--seconds 180] [--weights 0,0.25,0.5,1,2]
                                       [--shared ../shared/data]

Issue 6 asks for a balanced plan more compact than today's map (mean Polsby-Popper 0.501)
that splits no more community areas than today's (34). Each line is the best plan found at
one weight: if no line has both, the two targets pull against each other on these beats.
Not run in CI.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from districts import SHARED, warehouse

from safer77.plan.districts import Request, redraw
from safer77.plan.optimise import Options
from safer77.warehouse import connect


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--weights", default="0,0.25,0.5,1,2")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shared", type=Path, default=SHARED)
    args = ap.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(warehouse(args.shared, Path(tmp)), read_only=True)
        print(f"{'splits weight':>13} | {'max dev %':>9} | {'mean PP':>7} | {'splits':>6} | "
              f"{'seconds':>7} | MIP")  # fmt: skip
        today = None
        for w in weights:
            options = Options(
                steps=10**9, seed=args.seed, method="columns", splits=w, max_splits=None
            )
            t = time.perf_counter()
            result = redraw(con, Request(options, "2022-01", "2022-11", seconds=args.seconds))
            s = result.proposed_score
            today = result.current_score
            print(
                f"{w:>13} | {s.max_deviation_pct:>9.2f} | {s.pp_mean:>7.4f} | {s.splits:>6} | "
                f"{time.perf_counter() - t:>7.1f} | {result.outcome}",
                flush=True,
            )
        con.close()
    if today is not None:
        print(
            f"{'today':>13} | {today.max_deviation_pct:>9.2f} | {today.pp_mean:>7.4f} | "
            f"{today.splits:>6} |         |"
        )


if __name__ == "__main__":
    main()
