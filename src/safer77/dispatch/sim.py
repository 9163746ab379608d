"""A two-or-more-fleet dispatch simulation: a discrete-event loop of our own (heapq), seeded.

Calls arrive per district by hour of the week (a non-homogeneous Poisson process), each with a
call type drawn from the policy's mix and, with the type's probability, a weapon mentioned.
The triage policy picks the responder; a responder the scenario does not staff hands its calls
on (crisis -> co-response -> police). Each fleet has units per district (or one city-wide
pool) and hours on duty; a call waits in its pool's queue, highest priority first, then
oldest. A unit travels (a gamma-distributed time around its pool's mean) and serves
(exponential around the call type's mean). A priority-1 police call with no free unit may take
the unit of a priority-3 call, whose remaining work goes back to the queue. A crisis team asks
for police backup with the policy's probability, as a priority-2 police call on arrival. When
a fleet goes off duty its waiting calls go to the fallback responder.

Outputs per run: calls by responder, the share diverted from the police, police priority-1
response times (wait + travel) p50/p90, waits per fleet, utilisation per fleet, backups,
preemptions, and calls still waiting at the end (an overloaded system says so instead of
hanging: the loop always stops at the horizon).

A calibrated run (:mod:`safer77.dispatch.calibrate`) passes :class:`Given` per-call times drawn
from real records instead (priority, minutes on scene and of travel, officer-initiated work)
and a police fleet whose units on duty follow a schedule per hour of the week; the result then
holds when each call got its unit (``started``).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safer77.dispatch.policy import Policy, on_duty
from safer77.errors import InvalidInput

FLEETS = ("police", "crisis", "co_response")


class Event(IntEnum):
    """What an event in the loop's heap is (compared as plain ints in the loop)."""

    FINISH = 0  # a unit finishes its work
    BACKUP = 1  # a crisis team's police backup arrives as a call
    SHIFT = 2  # a fleet goes on or off duty (or its units on duty change)


HANDOVER = {"crisis": "co_response", "co_response": "police"}
ALL_WEEK = frozenset(range(7))
MINUTES_PER_HOUR = 60.0


@dataclass(frozen=True)
class Fleet:
    units: tuple[int, ...]  # per district, or one number: a city-wide pool
    travel_minutes: float  # mean travel time (0: none)
    travel_by_pool: tuple[float, ...] = ()  # per district instead, when given
    hours: tuple[int, int] = (0, 24)  # on duty [start, end) each day of ``days``
    days: frozenset[int] = ALL_WEEK  # 0 = Monday
    # units on duty per hour of the week (168 values), instead of units/hours/days: one pool
    schedule: tuple[int, ...] = ()

    def on_duty(self, hour_of_week: int) -> bool:
        if self.schedule:
            return self.schedule[hour_of_week % 168] > 0
        return on_duty(hour_of_week, self.days, self.hours)


@dataclass(frozen=True)
class Given:
    """Per-call times drawn outside the loop (a calibrated run), one value per call."""

    priority: NDArray[np.int64]  # 1..3
    service: NDArray[np.float64]  # minutes of work on scene
    travel: NDArray[np.float64]  # minutes from the dispatch to the arrival, for police
    self_initiated: NDArray[np.bool_]  # officer-initiated: made only when a unit is free


@dataclass(frozen=True)
class Scenario:
    name: str
    fleets: dict[str, Fleet]  # police is required; crisis and co_response optional


@dataclass
class FleetStats:
    calls: int = 0
    waits: list[float] = field(default_factory=list)
    busy_minutes: float = 0.0
    duty_unit_minutes: float = 0.0

    def summary(self) -> dict[str, Any]:
        w = np.asarray(self.waits) if self.waits else np.zeros(0)
        return {
            "calls": self.calls,
            "wait_mean_min": round(float(w.mean()), 2) if w.size else None,
            "wait_p90_min": round(float(np.quantile(w, 0.9)), 2) if w.size else None,
            "utilisation": round(float(self.busy_minutes / self.duty_unit_minutes), 3)
            if self.duty_unit_minutes
            else None,
        }


@dataclass
class Result:
    scenario: str
    calls: int
    by_responder: dict[str, int]
    diverted: float  # share of non-EMS calls served by crisis teams or co-responders
    p1_response: NDArray[np.float64]  # police priority-1 response minutes (wait + travel)
    fleets: dict[str, FleetStats]
    backups: int
    preemptions: int
    handed_over: int
    unserved: int  # still waiting at the end
    # minute each call got its first unit (NaN: never, or EMS); with :class:`Given` only
    started: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    not_initiated: int = 0  # officer-initiated calls not made: no unit was free

    @property
    def overloaded(self) -> bool:
        return self.unserved > max(10, 0.01 * self.calls)

    def row(self) -> dict[str, Any]:
        r = self.p1_response
        out: dict[str, Any] = {
            "scenario": self.scenario,
            "calls": self.calls,
            "diverted": round(self.diverted, 4),
            "p1_p50_min": round(float(np.quantile(r, 0.5)), 2) if r.size else None,
            "p1_p90_min": round(float(np.quantile(r, 0.9)), 2) if r.size else None,
        }
        for name in FLEETS:  # the same columns whatever the scenario staffs
            st = self.fleets.get(name)
            s = st.summary() if st else {}
            out[f"{name}_calls"] = s.get("calls")
            out[f"{name}_wait_mean"] = s.get("wait_mean_min")
            out[f"{name}_util"] = s.get("utilisation")
        out |= {"backups": self.backups, "unserved": self.unserved, "overloaded": self.overloaded}
        return out


@dataclass(frozen=True)
class Calls:
    """Arrivals in time order: minute, district, call type index, weapon flag."""

    time: NDArray[np.float64]
    district: NDArray[np.int64]
    kind: NDArray[np.int64]
    weapon: NDArray[np.bool_]
    districts: int


def arrivals(rates: NDArray[np.float64], policy: Policy, days: int, seed: int) -> Calls:
    """Calls over ``days`` days from ``rates`` (districts x 168 hours of the week, calls per
    hour), types from the policy's mix."""
    if rates.ndim != 2 or rates.shape[1] != 168:
        raise InvalidInput("rates must be districts x 168 hours of the week")
    if (rates < 0).any() or not np.isfinite(rates).all():
        raise InvalidInput("rates must be finite and non-negative")
    if not policy.calls:
        raise InvalidInput(f"{policy.source} has no [[call]] mix to draw call types from")
    rng = np.random.default_rng(seed)
    hours = days * 24
    lam = np.tile(rates, (1, days // 7 + 1))[:, :hours]  # (D, hours)
    counts = rng.poisson(lam)
    district = np.repeat(np.repeat(np.arange(rates.shape[0]), hours), counts.ravel())
    hour = np.repeat(np.tile(np.arange(hours), rates.shape[0]), counts.ravel())
    time = (hour + rng.random(hour.size)) * MINUTES_PER_HOUR
    order = np.argsort(time, kind="stable")
    shares = np.array([c.share for c in policy.calls])
    kind = rng.choice(len(shares), size=time.size, p=shares / shares.sum())
    weapon_p = np.array([c.weapon for c in policy.calls])[kind]
    weapon = rng.random(time.size) < weapon_p
    return Calls(time[order], district[order], kind[order], weapon[order], rates.shape[0])


def responders(policy: Policy, calls: Calls, staffed: set[str]) -> NDArray[np.int64]:
    """Index into ``RESPONDER_CODES`` per call: the policy's decision, handed on while the
    responder is not staffed."""
    codes = {name: i for i, name in enumerate(RESPONDER_CODES)}
    rule_of = []
    for c in policy.calls:
        rule = policy.rule_for(c.name)
        rule_of.append(
            (policy.default, policy.default) if rule is None else (rule.responder, rule.fallback)
        )
    how = ((calls.time // MINUTES_PER_HOUR).astype(np.int64)) % 168
    on = np.array([policy.crisis_on_duty(h) for h in range(168)])[how]
    first = np.array([codes[r] for r, _ in rule_of])[calls.kind]
    fallback = np.array([codes[f] for _, f in rule_of])[calls.kind]
    out = np.where((first == codes["crisis"]) & ~on, fallback, first)
    civilian = (out == codes["crisis"]) | (out == codes["co_response"])
    force = "weapon" in policy.police_flags
    out = np.where(civilian & calls.weapon & force, codes["police"], out)
    for name in ("crisis", "co_response"):  # hand on what the scenario does not staff
        if name not in staffed:
            nxt = HANDOVER[name]
            out = np.where(out == codes[name], codes[nxt if nxt in staffed else "police"], out)
    return out


RESPONDER_CODES = ("police", "crisis", "co_response", "ems")


def simulate(
    scenario: Scenario,
    policy: Policy,
    calls: Calls,
    *,
    days: int,
    seed: int,
    warmup_days: float = 0.0,
    preempt: bool = True,
    given: Given | None = None,
) -> Result:
    """Run one scenario over the given arrivals; statistics skip calls before ``warmup_days``.

    Utilisation counts the minutes units are busy while on duty over their minutes on duty
    (work finished after a shift ends is not counted twice). With ``given``, crisis teams and
    co-responders travel the police draw scaled by their own mean over the police mean."""
    if "police" not in scenario.fleets:
        raise InvalidInput(f"scenario {scenario.name!r} has no police fleet")
    n_districts = calls.districts
    staffed = {n for n, f in scenario.fleets.items() if sum(f.units) > 0}
    resp_codes = responders(policy, calls, staffed)
    rng = np.random.default_rng(seed + 1)
    n = calls.time.size
    svc_mean = np.array([c.service_minutes for c in policy.calls])[calls.kind]
    # Python lists: the loop below reads one value at a time, much faster than numpy scalars
    service = (rng.exponential(1.0, n) * svc_mean).tolist()
    prio = np.array([c.priority for c in policy.calls])[calls.kind].tolist()
    travel_draw = rng.gamma(4.0, 0.25, n).tolist()  # mean 1: scaled by the fleet's mean travel
    backup_draw = rng.random(n).tolist() if "crisis" in staffed else []  # crisis teams only
    own = [False] * n  # officer-initiated
    if given is not None:
        police_mean = scenario.fleets["police"].travel_minutes or 1.0
        service, prio = given.service.tolist(), given.priority.tolist()
        travel_draw = (given.travel / police_mean).tolist()
        own = given.self_initiated.tolist()
    started_at = [float("nan")] * n
    not_initiated = 0
    times = calls.time.tolist()
    districts = calls.district.tolist()
    horizon = days * 24 * MINUTES_PER_HOUR
    warm = warmup_days * 24 * MINUTES_PER_HOUR
    hours = days * 24

    names = [f for f in FLEETS if f in staffed]
    fleet_of = {name: i for i, name in enumerate(names)}
    fleets = [scenario.fleets[name] for name in names]
    for name, f in zip(names, fleets, strict=True):
        if len(f.units) not in (1, n_districts):
            raise InvalidInput(
                f"fleet {name}: give one city-wide number of units or one per district "
                f"({n_districts})"
            )
    # a pool: [capacity now, units, busy, queue (heap), priority-3 work {token: (end, call)}]
    sched = [f.schedule for f in fleets]
    for name, f in zip(names, fleets, strict=True):
        if f.schedule and (len(f.schedule) != 168 or len(f.units) != 1):
            raise InvalidInput(f"fleet {name}: a schedule is 168 hours of one city-wide pool")
    pools: list[list[list[Any]]] = [
        [
            [(f.schedule[0] if f.schedule else u) if f.on_duty(0) else 0, u, 0, [], {}]
            for u in f.units
        ]
        for f in fleets
    ]
    per_district = [len(f.units) > 1 for f in fleets]
    is_police = [name == "police" for name in names]
    is_crisis = [name == "crisis" for name in names]
    for name, f in zip(names, fleets, strict=True):
        if f.travel_by_pool and len(f.travel_by_pool) != len(f.units):
            raise InvalidInput(f"fleet {name}: one travel time per pool of units")
    travel_mean = [
        list(f.travel_by_pool) if f.travel_by_pool else [f.travel_minutes] * len(f.units)
        for f in fleets
    ]
    duty = [[f.on_duty(h) for h in range(hours + 1)] for f in fleets]
    # per fleet and hour: when the duty block under way ends, or None off duty (and at the
    # horizon): the share of a job that counts as busy time on duty
    until: list[list[float | None]] = []
    for on in duty:
        ends: list[float | None] = [None] * (hours + 1)
        nxt = horizon
        for h in range(hours, -1, -1):
            if not on[h]:
                nxt = h * MINUTES_PER_HOUR
            elif h < hours:
                ends[h] = nxt
        until.append(ends)
    stats = {name: FleetStats() for name in names}
    fleet_stats = [stats[name] for name in names]
    for fi, f in enumerate(fleets):
        on_minutes = sum(duty[fi][:hours]) * MINUTES_PER_HOUR
        fleet_stats[fi].duty_unit_minutes = (
            sum(f.schedule[h % 168] for h in range(hours)) * MINUTES_PER_HOUR
            if f.schedule
            else sum(f.units) * on_minutes
        )
    busy = [0.0] * len(names)
    served = [0] * len(names)
    waits: list[list[float]] = [[] for _ in names]
    codes = {name: i for i, name in enumerate(RESPONDER_CODES)}
    by_responder = {r: int((resp_codes == codes[r]).sum()) for r in RESPONDER_CODES}
    p1: list[float] = []
    inf = float("inf")
    # (time, seq, kind, fleet, pool, x); seq breaks ties in push order. A sentinel at infinity
    # keeps the heap non-empty.
    events: list[tuple[float, int, int, int, int, int]] = [(inf, 0, Event.SHIFT, 0, -1, 0)]
    seq = 0
    cancelled: set[int] = set()  # completions of preempted work: skipped when they come
    preemptions = backups = handed = 0
    backup_p = policy.backup_probability
    police = fleet_of["police"]
    push, pop = heapq.heappush, heapq.heappop
    finish, backup, shift = int(Event.FINISH), int(Event.BACKUP), int(Event.SHIFT)

    for fi in range(len(names)):  # shift changes, as events
        for h in range(1, hours + 1):
            changed = sched[fi][h % 168] != sched[fi][(h - 1) % 168] if sched[fi] else False
            if duty[fi][h] != duty[fi][h - 1] or changed:
                seq += 1
                events.append((h * MINUTES_PER_HOUR, seq, shift, fi, -1, int(duty[fi][h])))
    heapq.heapify(events)

    def occupy(fi: int, pi: int, call: int, now: float, end: float) -> None:
        """A unit of pool ``pi`` of fleet ``fi`` works on ``call`` from ``now`` to ``end``."""
        nonlocal seq
        pool = pools[fi][pi]
        pool[2] += 1
        seq += 1
        if preempt and (prio[call] == 3 or own[call]):
            pool[4][seq] = (end, call)
        push(events, (end, seq, finish, fi, pi, call))
        block = until[fi][int(now // MINUTES_PER_HOUR)]
        if block is not None:
            busy[fi] += (end if end <= block else block) - now

    def start(
        fi: int, pi: int, call: int, now: float, remaining: float, first: bool, since: float
    ) -> None:
        nonlocal seq, backups
        travel = travel_draw[call] * travel_mean[fi][pi] if first else 0.0
        occupy(fi, pi, call, now, now + travel + remaining)
        if first:
            served[fi] += 1
            if track_starts and call < n:
                started_at[call] = now
            if since >= warm:
                wait = now - since
                waits[fi].append(wait)
                if is_police[fi] and prio[call] == 1:
                    p1.append(wait + travel)
            if is_crisis[fi] and backup_draw[call] < backup_p:
                backups += 1
                seq += 1
                push(events, (now + travel, seq, backup, police, -1, call))

    def offer(
        fi: int, pi: int, call: int, now: float, remaining: float, first: bool, since: float
    ) -> None:
        nonlocal preemptions, seq, not_initiated
        pool = pools[fi][pi]
        if pool[2] < pool[0]:
            start(fi, pi, call, now, remaining, first, since)
            return
        if own[call] and first:  # an officer busy elsewhere initiates nothing
            not_initiated += 1
            return
        if preempt and prio[call] == 1 and is_police[fi] and pool[4]:
            work = pool[4]
            victim = max(work, key=lambda t: work[t][0])
            end, other = work.pop(victim)
            cancelled.add(victim)
            pool[2] -= 1
            block = until[fi][int(now // MINUTES_PER_HOUR)]
            if block is not None:
                busy[fi] -= max(0.0, min(end, block) - now)
            preemptions += 1
            seq += 1
            push(pool[3], (3, times[other], seq, other, end - now, False))
            start(fi, pi, call, now, remaining, first, since)
            return
        seq += 1
        push(pool[3], (prio[call], since, seq, call, remaining, first))

    def drain(fi: int, pi: int, now: float) -> None:
        pool = pools[fi][pi]
        q = pool[3]
        while q and pool[2] < pool[0]:
            _, since, _, call, remaining, first = pop(q)
            start(fi, pi, call, now, remaining, first, since)

    track_starts = given is not None
    times.append(inf)  # after the last arrival
    # each call's pool on arrival, as an index into ``flat`` (-1: EMS, not ours)
    flat = [(fi, pi, pool) for fi, fleet in enumerate(pools) for pi, pool in enumerate(fleet)]
    first_pool = np.cumsum([0] + [len(fleet) for fleet in pools])
    fleet_code = np.array([fleet_of.get(r, -1) for r in RESPONDER_CODES])[resp_codes]
    own_pool = np.where(np.array(per_district)[fleet_code], calls.district, 0)
    arrival_pool = np.where(fleet_code < 0, -1, first_pool[fleet_code] + own_pool).tolist()
    i = 0
    next_arrival = times[0]
    while True:
        if events[0][0] <= next_arrival:
            now, token, kind, fi, pi, x = pop(events)
            if now > horizon:
                break
            if kind == finish:  # a unit finishes
                if cancelled and token in cancelled:
                    cancelled.remove(token)  # its work was preempted
                    continue
                pool = pools[fi][pi]
                if pool[4]:
                    pool[4].pop(token, None)
                pool[2] -= 1
                if pool[3]:
                    drain(fi, pi, now)
            elif kind == backup:  # police backup for a crisis team: a priority-2 call of its own
                d = districts[x]
                prio.append(2)
                travel_draw.append(travel_draw[x])
                backup_draw.append(1.0)
                own.append(False)
                districts.append(d)
                service.append(service[x] * 0.5)
                b = len(prio) - 1
                offer(fi, d if per_district[fi] else 0, b, now, service[b], True, now)
            else:  # shift change
                # who takes the waiting calls when this fleet goes off duty (police: nobody,
                # they wait for the next shift)
                heir = HANDOVER.get(names[fi])
                nxt = fleet_of.get(heir, police) if heir else -1
                for pi2, pool in enumerate(pools[fi]):
                    pool[0] = (
                        (sched[fi][int(now // MINUTES_PER_HOUR) % 168] if sched[fi] else pool[1])
                        if x
                        else 0
                    )
                    if x:
                        drain(fi, pi2, now)
                        continue
                    if nxt < 0:
                        continue
                    while pool[3]:  # off duty: the waiting calls go on
                        _, since, _, call, remaining, first = pop(pool[3])
                        handed += 1
                        d = districts[call]
                        offer(
                            nxt, d if per_district[nxt] else 0, call, now, remaining, first, since
                        )
            continue
        if next_arrival > horizon:
            break
        call = i
        now = next_arrival
        i += 1
        next_arrival = times[i]
        where = arrival_pool[call]
        if where < 0:  # EMS
            continue
        fi, pi, pool = flat[where]
        if pool[2] >= pool[0] or is_crisis[fi]:
            offer(fi, pi, call, now, service[call], True, now)
            continue
        # start() for a call that finds a free unit on arrival (most calls): no wait
        travel = travel_draw[call] * travel_mean[fi][pi]
        occupy(fi, pi, call, now, now + travel + service[call])
        served[fi] += 1
        if track_starts:
            started_at[call] = now
        if now >= warm:
            waits[fi].append(0.0)
            if is_police[fi] and prio[call] == 1:
                p1.append(travel)
    times.pop()
    for fi, st in enumerate(fleet_stats):
        st.calls, st.waits, st.busy_minutes = served[fi], waits[fi], busy[fi]
    unserved = sum(len(p[3]) for fleet in pools for p in fleet)
    civil = sum(stats[f].calls for f in ("crisis", "co_response") if f in stats)
    non_ems = n - by_responder["ems"]
    return Result(
        scenario=scenario.name,
        calls=n,
        by_responder=by_responder,
        diverted=civil / non_ems if non_ems else 0.0,
        p1_response=np.asarray(p1),
        fleets=stats,
        backups=backups,
        preemptions=preemptions,
        handed_over=handed,
        unserved=unserved,
        started=np.asarray(started_at) if given is not None else np.zeros(0),
        not_initiated=not_initiated,
    )


EMS = RESPONDER_CODES.index("ems")
