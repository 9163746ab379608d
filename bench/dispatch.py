"""Dispatch-simulation benchmark (run by hand; not part of the tests).

One simulated year of city-scale demand (default 3,000,000 calls over 22 districts, with a
daily and weekly rhythm) through our event loop, and through a straightforward SimPy model of
the same system (police only, one priority queue per district, no preemption, the same
arrivals, service and travel times) on the same input. Prints calls per second of each and
their ratio (target: ours >= 10x SimPy; best of --repeat runs, ours and SimPy's
interleaved), then the scenario table for the year.

``--calibrated PROFILE.json --db WAREHOUSE``: instead, the calibrated year: the police profile
of ``plan calibrate --save`` with the held-out weeks' arrival rates (re-counted from the
warehouse's ``calls``) for ``--days`` days, through the calibrated simulation; prints calls/s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import simpy

from safer77.dispatch.policy import load_policy
from safer77.dispatch.scenarios import (
    compare,
    crisis_staffing,
    police_units,
    standard_scenarios,
)
from safer77.dispatch.sim import Calls, Fleet, Scenario, arrivals, responders, simulate

DISTRICTS = 22
TARGET = 10.0  # ours at least this many times SimPy's speed (issue 27)


def city_rates(calls_per_year: float, seed: int) -> np.ndarray:
    """Calls per hour (districts x 168): busier evenings and weekends, uneven districts."""
    rng = np.random.default_rng(seed)
    hours = np.arange(168)
    rhythm = 1 + 0.5 * np.sin((hours % 24 - 9) / 24 * 2 * np.pi) + 0.15 * (hours >= 120)
    size = rng.gamma(4.0, 0.25, DISTRICTS)
    rates = np.outer(size, rhythm)
    return rates / rates.sum() * calls_per_year / 52.1775


def simpy_police_only(
    calls: Calls,
    service: np.ndarray,
    travel: np.ndarray,
    prio: np.ndarray,
    units: tuple[int, ...],
    horizon: float,
    police: np.ndarray,
) -> float:
    """The same system in SimPy (the calls ``police`` marks): the mean police wait (min)."""
    env = simpy.Environment()
    pools = [simpy.PriorityResource(env, capacity=u) for u in units]
    waits: list[float] = []

    def call(i: int) -> simpy.events.ProcessGenerator:
        with pools[int(calls.district[i])].request(priority=int(prio[i])) as req:
            yield req
            waits.append(env.now - calls.time[i])
            yield env.timeout(travel[i] + service[i])

    def source() -> simpy.events.ProcessGenerator:
        for i in np.flatnonzero(police).tolist():
            yield env.timeout(calls.time[i] - env.now)
            env.process(call(i))

    env.process(source())
    env.run(until=horizon)
    return float(np.mean(waits))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--calls", type=float, default=3_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many, interleaved")
    ap.add_argument("--no-scenarios", action="store_true")
    ap.add_argument("--calibrated", help="a profile from plan calibrate --save")
    ap.add_argument("--db", default="safer77.duckdb", help="the warehouse holding calls")
    args = ap.parse_args()
    if args.calibrated:
        calibrated_year(args.calibrated, args.db, args.days, args.seed)
        return
    policy = load_policy()
    rates = city_rates(args.calls, args.seed)
    units = police_units(rates, policy)
    calls = arrivals(rates, policy, args.days, args.seed)
    n = calls.time.size
    print(f"{n:,} calls in {args.days} days over {DISTRICTS} districts")
    # the police-only system, without preemption, in both; best of --repeat, interleaved
    scenario = Scenario("police only", {"police": Fleet(units, 7.0)})
    rng = np.random.default_rng(args.seed + 1)  # the same draws as simulate()
    svc = rng.exponential(1.0, n) * np.array([c.service_minutes for c in policy.calls])[calls.kind]
    prio = np.array([c.priority for c in policy.calls])[calls.kind]
    trav = rng.gamma(4.0, 0.25, n) * 7.0
    police = responders(policy, calls, {"police"}) == 0  # the EMS calls leave the system
    ours_s = simpy_s = ours_cpu = simpy_cpu = float("inf")
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        ours = simulate(scenario, policy, calls, days=args.days, seed=args.seed, preempt=False)
        ours_s, ours_cpu = (
            min(ours_s, time.perf_counter() - t),
            min(ours_cpu, time.process_time() - c),
        )
        t, c = time.perf_counter(), time.process_time()
        simpy_wait = simpy_police_only(calls, svc, trav, prio, units, args.days * 1440.0, police)
        simpy_s, simpy_cpu = (
            min(simpy_s, time.perf_counter() - t),
            min(simpy_cpu, time.process_time() - c),
        )
    our_wait = float(np.mean(ours.fleets["police"].waits))
    print(
        f"ours : {ours_s:7.2f} s, {n / ours_s:12,.0f} calls/s, mean police wait {our_wait:.2f} min"
    )
    print(f"SimPy: {simpy_s:7.2f} s, {n / simpy_s:12,.0f} calls/s, mean police wait", end=" ")
    print(f"{simpy_wait:.2f} min")
    ratio = simpy_s / ours_s
    print(f"CPU time (this process only, for a shared machine): ours {ours_cpu:.2f} s, SimPy "
          f"{simpy_cpu:.2f} s, ratio {simpy_cpu / ours_cpu:.1f}x")  # fmt: skip
    print("| measure | ours | target | peer | pass |\n|---|---|---|---|---|")
    print(
        f"| dispatch against SimPy ({n:,} calls, best of {args.repeat}, interleaved) "
        f"| {ratio:.1f}x | >= {TARGET:.0f}x | SimPy {simpy_s:.2f} s "
        f"| {'PASS' if ratio >= TARGET else 'FAIL'} |"
    )
    if args.no_scenarios:
        return
    t = time.perf_counter()
    _, rows = compare(
        standard_scenarios(policy, units, crisis_staffing(rates, policy)),
        policy,
        rates,
        args.days,
        args.seed,
    )
    print(f"scenarios: {time.perf_counter() - t:.1f} s")
    keys = [
        "scenario",
        "calls",
        "diverted",
        "p1_p50_min",
        "p1_p90_min",
        "police_util",
        "crisis_calls",
        "crisis_util",
        "co_response_calls",
        "backups",
        "unserved",
    ]
    print(" | ".join(keys))
    for r in rows:
        print(" | ".join(str(r.get(k, "")) for k in keys))


def calibrated_year(profile_path: str, db: str, days: int, seed: int) -> None:
    """The held-out weeks' rates, scaled to ``days`` days, through the calibrated model."""
    from pathlib import Path

    from safer77.dispatch.calibrate import estimate, load_profile, read_records, run
    from safer77.warehouse import connect

    doc = load_profile(Path(profile_path))
    profile = doc["agencies"]["police"]
    con = connect(db, read_only=True)
    try:
        held_out = estimate(read_records(con, "police", doc["test_weeks"]))
    finally:
        con.close()
    profile = profile | {k: held_out[k] for k in ("rates", "self_rates")}
    t = time.perf_counter()
    r = run(profile, days, seed, load_policy())
    seconds = time.perf_counter() - t
    n = r.drawn.calls.time.size
    ok = r.measured() & (r.drawn.given.priority == 1)
    p90 = float(np.quantile(r.response()[ok], 0.9))
    print(f"calibrated police, weeks {doc['test_weeks'][0]}-{doc['test_weeks'][-1]} rates, "
          f"{days} days: {n:,} calls (officer-initiated included) in {seconds:.2f} s, "
          f"{n / seconds:,.0f} calls/s; priority-1 response p90 {p90:.2f} min")  # fmt: skip


if __name__ == "__main__":
    main()
