"""Calibrating the dispatch simulation on real CAD records (table ``calls``) and validating it
on held-out weeks.

What is estimated from the training weeks, per agency (police, fire, ems):

- **arrivals**: calls per hour of the week (Monday 00:00 = hour 0) for each priority (1-3),
  and officer-initiated work apart; a non-homogeneous Poisson process in the simulation;
- **call types**: each priority's mix of call types, and per call type the minutes **on
  scene** (arrived -> closed) as a **lognormal** (fit by the mean and standard deviation of
  the log minutes). Lognormal, not gamma or the empirical distribution: on-scene times are
  positive and right-skewed over three orders of magnitude (a 5-minute alarm to a 10-hour
  transport), which a lognormal follows in its body and tail (``service_fit`` compares the
  Kolmogorov-Smirnov distance of both families per agency: the lognormal is the closer one on
  the DECC records); the empirical distribution would repeat the training weeks' rare
  extremes and leaves nothing for call types seen a few times, which borrow their
  priority's pooled fit (under :data:`MIN_TYPE_CALLS` calls);
- **travel** (dispatched -> arrived: roll-out and driving) per priority, as empirical
  quantiles: a few records keep a unit "en route" for hours, which would stretch a fitted
  tail;
- **dispatcher handling** per priority: the time a dispatcher takes even when units are free,
  as the empirical distribution of the time to dispatch of the calls queued while the
  observed load (incidents in progress) was in its lowest quarter. On the DECC records it
  hardly depends on load: police priority 2 waits 2.4 min (median) at the lowest load quarter
  and 4.6 at the highest, priority 3 about 14 min at every load. Dispatchers hold calls for
  the beat's own unit and stack routine calls, which no pooled queue does;
- **units on duty** per shift (day and night): not in the records, so fitted: the smallest
  error between simulated and observed time to dispatch (p50 and p90 of priorities 1-2, log
  ratio) on the training weeks, by coordinate search over whole units.

A call's time to dispatch in the model is its handling time plus its wait for a free unit;
its response is that plus travel. The naive model is Erlang C: one queue, no priority, the
mean arrival rate, the mean service time (travel + on scene) and the fitted units averaged
over the week; its response adds the mean travel.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from numpy.typing import NDArray

from safer77.dispatch.policy import CallType, Policy
from safer77.dispatch.sim import Calls, Fleet, Given, Result, Scenario, simulate
from safer77.errors import InvalidInput, NotFound

PRIORITIES = (1, 2, 3)
QUANTILES = (0.5, 0.9)
MEASURES = ("time_to_dispatch", "response")
MIN_TYPE_CALLS = 20
HANDLING_Q = np.linspace(0.0, 1.0, 101)
SHIFTS = {"day": (6, 19), "night": (19, 6)}  # the DECC's 13/11-hour shifts (columns Shift)
TARGET_PRIORITIES = (1, 2)
FIT_SEEDS = (11, 12)
VALIDATE_SEEDS = (1, 2, 3, 4, 5)
WARMUP_DAYS = 2
PROFILE_VERSION = 1


def parse_weeks(text: str) -> list[int]:
    """``35-44`` or ``35,36,40-44`` as week numbers."""
    weeks: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if "-" in part:
                a, b = (int(x) for x in part.split("-", 1))
                weeks.extend(range(a, b + 1))
            else:
                weeks.append(int(part))
        except ValueError:
            raise InvalidInput(f"weeks are numbers or ranges like 35-44: {text!r}") from None
    if not weeks:
        raise InvalidInput(f"no weeks in {text!r}")
    return sorted(set(weeks))


@dataclass(frozen=True)
class Records:
    """One agency's calls for service (priority 1-3) over some weeks, as arrays."""

    weeks: list[int]
    how: NDArray[np.int64]  # hour of the week, Monday 00:00 = 0
    priority: NDArray[np.int64]
    call_type: NDArray[np.str_]
    self_initiated: NDArray[np.bool_]
    text: NDArray[np.bool_]
    dispatch: NDArray[np.float64]  # minutes queued -> dispatched
    travel: NDArray[np.float64]  # minutes dispatched -> arrived (NaN: no arrival)
    on_scene: NDArray[np.float64]  # minutes arrived -> closed (NaN)
    busy: NDArray[np.float64]  # minutes dispatched -> closed (NaN)
    dispatched: NDArray[np.float64]  # minutes since the first week's Monday 00:00

    def __len__(self) -> int:
        return int(self.how.size)

    def where(self, mask: NDArray[np.bool_]) -> Records:
        return Records(
            self.weeks,
            **{k: getattr(self, k)[mask] for k in self.__dataclass_fields__ if k != "weeks"},
        )


def read_records(con: duckdb.DuckDBPyConnection, agency: str, weeks: list[int]) -> Records:
    """The ``calls`` rows of ``agency`` in ``weeks`` (priorities 1-3)."""
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "calls" not in names:
        raise NotFound("no dispatch records in the warehouse; run `safer77 ingest calls` first")
    rows = con.execute(
        """
        SELECT (isodow(received_at) - 1) * 24 + hour(received_at), priority, call_type,
               self_initiated, text, dispatch_s / 60,
               epoch(arrived_at - dispatched_at) / 60, on_scene_s / 60,
               epoch(closed_at - dispatched_at) / 60,
               epoch(dispatched_at - date_trunc('week', min(received_at) OVER ())) / 60
        FROM calls WHERE agency = ? AND priority BETWEEN 1 AND 3 AND list_contains(?, week)
        ORDER BY received_at
        """,
        [agency, weeks],
    ).fetchall()
    if not rows:
        raise NotFound(f"no {agency} calls in weeks {weeks[0]}-{weeks[-1]}")
    cols = list(zip(*rows, strict=True))

    def num(i: int) -> NDArray[np.float64]:
        return np.array([np.nan if v is None else float(v) for v in cols[i]])

    return Records(
        weeks=weeks,
        how=np.array(cols[0], dtype=np.int64),
        priority=np.array(cols[1], dtype=np.int64),
        call_type=np.array(cols[2], dtype=str),
        self_initiated=np.array(cols[3], dtype=bool),
        text=np.array(cols[4], dtype=bool),
        dispatch=num(5),
        travel=num(6),
        on_scene=num(7),
        busy=num(8),
        dispatched=num(9),
    )


def _lognormal(minutes: NDArray[np.float64]) -> dict[str, float]:
    x = minutes[np.isfinite(minutes)]
    x = np.maximum(x, 0.05)  # 3 seconds: a zero would be -inf in logs
    if x.size < 2:
        return {"mu": math.log(20.0), "sigma": 1.0, "n": int(x.size)}
    logs = np.log(x)
    return {"mu": float(logs.mean()), "sigma": float(max(logs.std(), 0.05)), "n": int(x.size)}


def _quantiles(minutes: NDArray[np.float64]) -> list[float]:
    x = minutes[np.isfinite(minutes)]
    return np.quantile(x, HANDLING_Q).tolist() if x.size else [0.0] * HANDLING_Q.size


def service_fit(minutes: NDArray[np.float64]) -> dict[str, float]:
    """Kolmogorov-Smirnov distance of a lognormal and of a gamma fitted to ``minutes``."""
    from scipy import stats

    x = np.maximum(minutes[np.isfinite(minutes)], 0.05)
    logs = np.log(x)
    ln = stats.kstest(x, "lognorm", args=(logs.std(), 0, math.exp(logs.mean()))).statistic
    a, loc, scale = stats.gamma.fit(x, floc=0)
    ga = stats.kstest(x, "gamma", args=(a, loc, scale)).statistic
    return {"lognormal_ks": round(float(ln), 4), "gamma_ks": round(float(ga), 4)}


def estimate(rec: Records) -> dict[str, Any]:
    """The agency's profile without its units: rates, types, service, travel, handling."""
    n_weeks = len(rec.weeks)
    calls = rec.where(~rec.self_initiated)
    own = rec.where(rec.self_initiated)
    rates = {
        str(p): (np.bincount(calls.how[calls.priority == p], minlength=168) / n_weeks).tolist()
        for p in PRIORITIES
    }
    types: dict[str, list[dict[str, Any]]] = {}
    for p in PRIORITIES:
        sub = calls.where(calls.priority == p)
        if not len(sub):
            types[str(p)] = []
            continue
        pooled = _lognormal(sub.on_scene)
        names, counts = np.unique(sub.call_type, return_counts=True)
        rows = []
        for name, count in zip(names.tolist(), counts.tolist(), strict=True):
            fit = _lognormal(sub.on_scene[sub.call_type == name])
            if fit["n"] < MIN_TYPE_CALLS:
                fit = pooled | {"n": fit["n"], "pooled": True}
            rows.append({"name": name, "share": count / len(sub), **fit})
        types[str(p)] = rows
    handling = low_load_dispatch(rec)
    self_rate = np.bincount(own.how, minlength=168) / n_weeks
    return {
        "rates": rates,
        "types": types,
        "travel_quantiles": {
            str(p): _quantiles(calls.travel[calls.priority == p]) for p in PRIORITIES
        },
        "handling_quantiles": handling,
        "self_rates": self_rate.tolist(),
        "self_busy": _lognormal(own.busy),
        "self_share": float(len(own) / max(len(rec), 1)),
        "service_fit": service_fit(calls.on_scene) if len(calls) > 10 else {},
    }


def concurrency(rec: Records) -> NDArray[np.int64]:
    """For each call, the agency's incidents in progress (dispatched, not closed) when it was
    queued: the observed load."""
    ok = np.isfinite(rec.busy)
    starts = np.sort(rec.dispatched[ok])
    ends = np.sort((rec.dispatched + rec.busy)[ok])
    queued = rec.dispatched - rec.dispatch
    return np.searchsorted(starts, queued, side="right") - np.searchsorted(
        ends, queued, side="right"
    )


def low_load_dispatch(rec: Records) -> dict[str, list[float]]:
    """Per priority, the quantiles (:data:`HANDLING_Q`) of time to dispatch of the calls
    queued while the observed load was in its lowest quarter: the dispatcher's own time, with
    little wait for a unit. Too few such calls (under 20): all priorities' together."""
    load = concurrency(rec)
    calls = ~rec.self_initiated & np.isfinite(rec.dispatch)
    low = calls & (load <= np.quantile(load[calls], 0.25))
    out = {}
    for p in PRIORITIES:
        x = rec.dispatch[low & (rec.priority == p)]
        if x.size < 20:
            x = rec.dispatch[low]
        out[str(p)] = np.quantile(x, HANDLING_Q).tolist() if x.size else [0.0] * HANDLING_Q.size
    return out


def shift_of_hour(hour: int) -> str:
    start, end = SHIFTS["day"]
    return "day" if start <= hour < end else "night"


def schedule(units: dict[str, int]) -> tuple[int, ...]:
    return tuple(units[shift_of_hour(h % 24)] for h in range(168))


@dataclass(frozen=True)
class Drawn:
    """Simulated arrivals with their per-call times, ready for :func:`simulate`."""

    calls: Calls
    given: Given
    handling: NDArray[np.float64]  # minutes, added before the call enters the queue
    arrival: NDArray[np.float64]  # minute the call came in
    type_names: list[str]
    policy: Policy


def draw(profile: dict[str, Any], days: int, seed: int, base: Policy) -> Drawn:
    """Calls over ``days`` days from an agency's profile: priority and hour-of-week rates,
    call types, lognormal on-scene and travel times, handling, officer-initiated work. The
    returned policy is ``base`` with the real call types as its mix (for the triage rules)."""
    rng = np.random.default_rng(seed)
    hours = days * 24
    names: list[str] = []
    index: dict[str, int] = {}
    t_parts, k_parts, p_parts, s_parts, own_parts = [], [], [], [], []
    for p in PRIORITIES:
        lam = np.tile(np.asarray(profile["rates"][str(p)]), days // 7 + 1)[:hours]
        count = rng.poisson(lam)
        t = (np.repeat(np.arange(hours), count) + rng.random(int(count.sum()))) * 60.0
        rows = profile["types"][str(p)]
        if not rows or not t.size:
            continue
        share = np.array([r["share"] for r in rows])
        pick = rng.choice(len(rows), size=t.size, p=share / share.sum())
        mu = np.array([r["mu"] for r in rows])[pick]
        sigma = np.array([r["sigma"] for r in rows])[pick]
        for r in rows:
            _name_index(index, names, r["name"])
        kinds = np.array([index[r["name"]] for r in rows])[pick]
        t_parts.append(t)
        k_parts.append(kinds)
        p_parts.append(np.full(t.size, p))
        s_parts.append(np.exp(mu + sigma * rng.standard_normal(t.size)))
        own_parts.append(np.zeros(t.size, dtype=bool))
    lam = np.tile(np.asarray(profile["self_rates"]), days // 7 + 1)[:hours]
    count = rng.poisson(lam)
    t = (np.repeat(np.arange(hours), count) + rng.random(int(count.sum()))) * 60.0
    name = "OFFICER-INITIATED"
    _name_index(index, names, name)
    sb = profile["self_busy"]
    t_parts.append(t)
    k_parts.append(np.full(t.size, index[name]))
    p_parts.append(np.full(t.size, 2))
    s_parts.append(np.exp(sb["mu"] + sb["sigma"] * rng.standard_normal(t.size)))
    own_parts.append(np.ones(t.size, dtype=bool))
    arrival = np.concatenate(t_parts)
    prio = np.concatenate(p_parts)
    own = np.concatenate(own_parts)
    travel = np.zeros(arrival.size)
    for p in PRIORITIES:
        m = (prio == p) & ~own
        tq = np.asarray(profile["travel_quantiles"][str(p)])
        travel[m] = np.interp(rng.random(int(m.sum())), HANDLING_Q, tq)
    handling = np.zeros(arrival.size)
    for p in PRIORITIES:
        m = (prio == p) & ~own
        hq = np.asarray(profile["handling_quantiles"][str(p)])
        handling[m] = np.interp(rng.random(int(m.sum())), HANDLING_Q, hq)
    entry = arrival + handling
    order = np.argsort(entry, kind="stable")
    kinds_all = np.concatenate(k_parts)[order]
    from safer77.dispatch.diversion import flags_of

    flagged = np.array([bool(flags_of(n)) for n in names] or [False])
    calls = Calls(
        entry[order], np.zeros(arrival.size, dtype=np.int64), kinds_all, flagged[kinds_all], 1
    )
    counts = np.bincount(kinds_all, minlength=len(names))
    mix = tuple(
        CallType(n, float(counts[i] / max(counts.sum(), 1)), 2, 30.0, 0.0)
        for i, n in enumerate(names)
    )
    given = Given(prio[order], np.concatenate(s_parts)[order], travel[order], own[order])
    return Drawn(calls, given, handling[order], arrival[order], names, _with_calls(base, mix))


def _name_index(index: dict[str, int], names: list[str], name: str) -> None:
    if name not in index:
        index[name] = len(names)
        names.append(name)


def _with_calls(base: Policy, mix: tuple[CallType, ...]) -> Policy:
    from dataclasses import replace

    return replace(base, calls=mix)


def police_fleet(profile: dict[str, Any]) -> Fleet:
    units = profile["units"]
    travel_mean = float(np.mean(profile["travel_quantiles"]["2"])) or 1.0
    return Fleet((max(units.values()),), travel_mean, schedule=schedule(units))


@dataclass(frozen=True)
class SimRun:
    drawn: Drawn
    result: Result
    days: int

    def measured(self) -> NDArray[np.bool_]:
        """Calls for service (not officer-initiated) after the warm-up that got a unit."""
        g = self.drawn.given
        ok = np.isfinite(self.result.started) & ~g.self_initiated
        return ok & (self.drawn.arrival >= WARMUP_DAYS * 1440.0)

    def time_to_dispatch(self) -> NDArray[np.float64]:
        return self.drawn.handling + (self.result.started - self.drawn.calls.time)

    def response(self) -> NDArray[np.float64]:
        return self.time_to_dispatch() + self.drawn.given.travel


def run(
    profile: dict[str, Any],
    days: int,
    seed: int,
    base: Policy,
    extra: dict[str, Fleet] | None = None,
    name: str = "calibrated",
) -> SimRun:
    """One calibrated simulation of ``days`` days (plus the warm-up)."""
    total = days + WARMUP_DAYS
    drawn = draw(profile, total, seed, base)
    fleets = {"police": police_fleet(profile)} | (extra or {})
    result = simulate(
        Scenario(name, fleets),
        drawn.policy,
        drawn.calls,
        days=total,
        seed=seed,
        warmup_days=WARMUP_DAYS,
        given=drawn.given,
    )
    return SimRun(drawn, result, total)


def simulated_quantiles(
    profile: dict[str, Any], days: int, seeds: tuple[int, ...], base: Policy
) -> dict[tuple[int, str, float], float]:
    """(priority, measure, quantile) -> minutes, pooled over ``seeds``."""
    ttd: dict[int, list[NDArray[np.float64]]] = {p: [] for p in PRIORITIES}
    resp: dict[int, list[NDArray[np.float64]]] = {p: [] for p in PRIORITIES}
    for seed in seeds:
        r = run(profile, days, seed, base)
        ok = r.measured()
        t, rs = r.time_to_dispatch(), r.response()
        for p in PRIORITIES:
            m = ok & (r.drawn.given.priority == p)
            ttd[p].append(t[m])
            resp[p].append(rs[m])
    out = {}
    for p in PRIORITIES:
        for name, parts in (("time_to_dispatch", ttd[p]), ("response", resp[p])):
            x = np.concatenate(parts) if parts else np.zeros(0)
            for q in QUANTILES:
                out[(p, name, q)] = float(np.quantile(x, q)) if x.size else float("nan")
    return out


def observed_quantiles(rec: Records) -> dict[tuple[int, str, float], float]:
    calls = rec.where(~rec.self_initiated)
    out = {}
    for p in PRIORITIES:
        sub = calls.where(calls.priority == p)
        ttd = sub.dispatch[np.isfinite(sub.dispatch)]
        resp = (sub.dispatch + sub.travel)[np.isfinite(sub.travel)]
        for name, x in (("time_to_dispatch", ttd), ("response", resp)):
            for q in QUANTILES:
                out[(p, name, q)] = float(np.quantile(x, q)) if x.size else float("nan")
    return out


def fit_units(
    profile: dict[str, Any], train: Records, base: Policy, *, max_units: int = 200
) -> dict[str, Any]:
    """Units per shift that bring simulated time to dispatch (p50/p90, priorities 1-2) closest
    to the training weeks' (sum of squared log ratios), by coordinate search."""
    observed = observed_quantiles(train)
    days = 7 * len(train.weeks)
    keys = [(p, "time_to_dispatch", q) for p in TARGET_PRIORITIES for q in QUANTILES]
    keys = [k for k in keys if math.isfinite(observed[k]) and observed[k] > 0]
    # start: the busy load (dispatched -> closed minutes per hour) over 0.8
    load = np.nansum(train.busy) / (days * 24 * 60)
    start = max(1, math.ceil(load / 0.8))
    cache: dict[tuple[int, int], float] = {}

    def error(day: int, night: int) -> float:
        if (day, night) not in cache:
            trial = profile | {"units": {"day": day, "night": night}}
            sim = simulated_quantiles(trial, days, FIT_SEEDS, base)
            cache[(day, night)] = sum(math.log(max(sim[k], 1e-3) / observed[k]) ** 2 for k in keys)
        return cache[(day, night)]

    best = (start, start)
    improved = True
    while improved:
        improved = False
        for axis in (0, 1):
            for step in (-1, 1):
                cand = list(best)
                cand[axis] += step
                while 1 <= cand[axis] <= max_units and error(*cand) < error(*best):
                    best = (cand[0], cand[1])
                    improved = True
                    cand = list(best)
                    cand[axis] += step
    return {
        "units": {"day": best[0], "night": best[1]},
        "fit_error": round(error(*best), 4),
        "evaluations": len(cache),
    }


def erlang_c_quantile(lam: float, mu: float, c: int, q: float) -> float:
    """The ``q`` quantile of the wait in an M/M/c queue (minutes; inf when unstable)."""
    a = lam / mu
    if c <= a:
        return float("inf")
    terms = [a**k / math.factorial(k) for k in range(c)]
    top = a**c / math.factorial(c) * c / (c - a)
    wait_p = top / (sum(terms) + top)
    if q <= 1 - wait_p:
        return 0.0
    return math.log(wait_p / (1 - q)) / (c * mu - lam)


def naive_quantiles(train: Records, units: dict[str, int]) -> dict[tuple[int, str, float], float]:
    """Erlang C: every call for service in one queue, no priority, the training weeks' mean
    rate and mean service time (travel + on scene), the fitted units averaged over the week;
    response = wait + mean travel. The same figure for every priority."""
    calls = train.where(~train.self_initiated)
    minutes = 7 * 24 * 60 * len(train.weeks)
    lam = len(calls) / minutes
    travel = float(np.nanmean(calls.travel))
    service = travel + float(np.nanmean(calls.on_scene))
    c = max(1, round(float(np.mean(schedule(units)))))
    out = {}
    for p in PRIORITIES:
        for q in QUANTILES:
            w = erlang_c_quantile(lam, 1 / service, c, q)
            out[(p, "time_to_dispatch", q)] = w
            out[(p, "response", q)] = w + travel
    return out


def hourly_utilisation(
    profile: dict[str, Any], test: Records, runs: list[SimRun]
) -> list[dict[str, Any]]:
    """Per hour of the day: incidents in progress over units on duty, observed (dispatched ->
    closed, officer-initiated work included) and simulated."""
    units = np.array(schedule(profile["units"]), dtype=float)  # per hour of week
    on_duty = np.array([units[h::24].mean() for h in range(24)])

    def busy_by_hour(start: NDArray[np.float64], length: NDArray[np.float64], days: float) -> Any:
        ok = np.isfinite(start) & np.isfinite(length)
        minute = np.zeros(int(days * 1440) + 1)
        s = np.clip(start[ok], 0, minute.size - 1).astype(int)
        e = np.clip(start[ok] + length[ok], 0, minute.size - 1).astype(int)
        np.add.at(minute, s, 1)
        np.add.at(minute, e, -1)
        level = np.cumsum(minute)[:-1]
        hours = (np.arange(level.size) // 60) % 24
        return np.array([level[hours == h].mean() for h in range(24)])

    obs = busy_by_hour(test.dispatched, test.busy, 7 * len(test.weeks))
    sims = []
    for r in runs:
        g = r.drawn.given
        start = r.result.started.copy()
        start[r.drawn.arrival < WARMUP_DAYS * 1440.0] = np.nan
        sims.append(
            busy_by_hour(start - WARMUP_DAYS * 1440.0, g.travel + g.service, r.days - WARMUP_DAYS)
        )
    sim = np.mean(sims, axis=0)
    return [
        {
            "hour": h,
            "units": round(float(on_duty[h]), 1),
            "observed": round(float(obs[h] / on_duty[h]), 3),
            "simulated": round(float(sim[h] / on_duty[h]), 3),
        }
        for h in range(24)
    ]


@dataclass(frozen=True)
class Calibration:
    profile: dict[str, Any]  # per agency
    rows: list[dict[str, Any]]  # observed vs simulated vs naive
    utilisation: dict[str, list[dict[str, Any]]]  # per agency


def calibrate(
    con: duckdb.DuckDBPyConnection,
    train_weeks: list[int],
    test_weeks: list[int],
    base: Policy,
    agencies: tuple[str, ...] = ("police", "fire", "ems"),
) -> Calibration:
    """Estimate each agency's profile on ``train_weeks``, fit its units, and compare the
    simulated held-out weeks with the observed ones and with Erlang C."""
    if set(train_weeks) & set(test_weeks):
        raise InvalidInput("the training and held-out weeks overlap")
    profiles: dict[str, Any] = {
        "version": PROFILE_VERSION,
        "train_weeks": train_weeks,
        "test_weeks": test_weeks,
        "agencies": {},
    }
    rows: list[dict[str, Any]] = []
    util: dict[str, list[dict[str, Any]]] = {}
    have = {a for (a,) in con.execute("SELECT DISTINCT agency FROM calls").fetchall()}
    for agency in [a for a in agencies if a in have]:
        train = read_records(con, agency, train_weeks)
        test = read_records(con, agency, test_weeks)
        prof = estimate(train)
        prof |= fit_units(prof, train, base)
        profiles["agencies"][agency] = prof
        days = 7 * len(test_weeks)
        runs = [run(prof, days, seed, base) for seed in VALIDATE_SEEDS]
        sim = _pooled(runs)
        obs = observed_quantiles(test)
        naive = naive_quantiles(train, prof["units"])
        for key in obs:
            p, measure, q = key
            o, s_, n = obs[key], sim[key], naive[key]
            rows.append(
                {
                    "agency": agency,
                    "priority": p,
                    "measure": measure,
                    "quantile": q,
                    "observed": _round(o),
                    "simulated": _round(s_),
                    "naive": _round(n),
                    "rel_error": _rel(s_, o),
                    "naive_rel_error": _rel(n, o),
                }
            )
        util[agency] = hourly_utilisation(prof, test, runs)
    return Calibration(profiles, rows, util)


def _pooled(runs: list[SimRun]) -> dict[tuple[int, str, float], float]:
    out = {}
    for p in PRIORITIES:
        for measure in MEASURES:
            parts = []
            for r in runs:
                m = r.measured() & (r.drawn.given.priority == p)
                x = r.time_to_dispatch() if measure == "time_to_dispatch" else r.response()
                parts.append(x[m])
            x = np.concatenate(parts)
            for q in QUANTILES:
                out[(p, measure, q)] = float(np.quantile(x, q)) if x.size else float("nan")
    return out


def _round(x: float) -> float | None:
    return round(x, 2) if math.isfinite(x) else None


def _rel(model: float, observed: float) -> float | None:
    if not (math.isfinite(model) and math.isfinite(observed)) or observed <= 0:
        return None
    return round(model / observed - 1, 4)


def save_profile(profile: dict[str, Any], path: Path) -> None:
    Path(path).write_text(json.dumps(profile, indent=1))


def load_profile(path: Path) -> dict[str, Any]:
    """A calibrated profile written by ``safer77 plan calibrate --save``."""
    try:
        doc = json.loads(Path(path).read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"not a calibrated profile ({exc})", file=str(path)) from None
    if not isinstance(doc, dict) or doc.get("version") != PROFILE_VERSION or "agencies" not in doc:
        raise InvalidInput("not a calibrated profile (plan calibrate --save)", file=str(path))
    return doc
