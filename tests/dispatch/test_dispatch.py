"""Triage and the dispatch simulation: Erlang-C validation, edge cases, the policy table and
malformed policy files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from safer77.dispatch.policy import CallType, Policy, load_policy, triage
from safer77.dispatch.scenarios import compare, police_units, standard_scenarios
from safer77.dispatch.sim import Fleet, Scenario, arrivals, simulate
from safer77.errors import InvalidInput, NotFound


def erlang_c(c: int, a: float) -> float:
    """Probability of waiting in M/M/c (Erlang's C formula)."""
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) * c / (c - a)
    return tail / (head + tail)


def one_type(minutes: float, priority: int = 2) -> Policy:
    return Policy(
        calls=(CallType("CALL", 1.0, priority, minutes, 0.0),),
        rules=(),
        default="police",
        police_flags=(),
        crisis_days=frozenset(),
        crisis_hours=(0, 24),
        backup_probability=0.0,
        source="test",
    )


def test_one_fleet_matches_erlang_c() -> None:
    """One district, five units, Poisson arrivals at 7 an hour, exponential 30-minute service,
    no travel: M/M/5 at 70% load."""
    c, lam, minutes, days = 5, 7.0, 30.0, 6000
    policy = one_type(minutes)
    calls = arrivals(np.full((1, 168), lam), policy, days, seed=11)
    result = simulate(
        Scenario("mmc", {"police": Fleet((c,), 0.0)}),
        policy,
        calls,
        days=days,
        seed=11,
        warmup_days=10,
    )
    waits = np.array(result.fleets["police"].waits)
    a = lam * minutes / 60
    p_wait = erlang_c(c, a)
    mean_wait = p_wait / (c / minutes - lam / 60)
    assert abs((waits > 0).mean() / p_wait - 1) < 0.02
    assert abs(waits.mean() / mean_wait - 1) < 0.02
    assert result.fleets["police"].summary()["utilisation"] == pytest.approx(a / c, abs=0.01)


def test_zero_demand_and_overload() -> None:
    policy = one_type(30.0)
    empty = arrivals(np.zeros((2, 168)), policy, 7, seed=1)
    quiet = simulate(
        Scenario("none", {"police": Fleet((3, 3), 5.0)}), policy, empty, days=7, seed=1
    )
    assert quiet.calls == 0 and quiet.unserved == 0 and not quiet.overloaded
    # 20 calls an hour for one unit that serves two: the queue grows, the run still ends
    heavy = arrivals(np.full((1, 168), 20.0), policy, 7, seed=2)
    jam = simulate(Scenario("jam", {"police": Fleet((1,), 0.0)}), policy, heavy, days=7, seed=2)
    assert jam.overloaded and jam.unserved > 2000


def test_priority_one_takes_a_unit_from_priority_three() -> None:
    policy = Policy(
        calls=(CallType("URGENT", 0.2, 1, 30.0, 0.0), CallType("MINOR", 0.8, 3, 60.0, 0.0)),
        rules=(),
        default="police",
        police_flags=(),
        crisis_days=frozenset(),
        crisis_hours=(0, 24),
        backup_probability=0.0,
        source="test",
    )
    calls = arrivals(np.full((1, 168), 4.0), policy, 60, seed=3)
    scenario = Scenario("p", {"police": Fleet((4,), 5.0)})
    with_pre = simulate(scenario, policy, calls, days=60, seed=3)
    without = simulate(scenario, policy, calls, days=60, seed=3, preempt=False)
    assert with_pre.preemptions > 0 and without.preemptions == 0
    assert np.quantile(with_pre.p1_response, 0.9) < np.quantile(without.p1_response, 0.9)


EXAMPLES = [  # call type, flags, hour of week (0 = Monday 00:00), expected responder
    ("MENTAL HEALTH CASE", (), 10, "crisis"),  # Monday 10:00, team on duty
    ("MENTAL HEALTH CASE", ("weapon",), 10, "police"),
    ("WELFARE CHECK", (), 22, "co_response"),  # Monday 22:00: team off duty, its fallback
    ("WELFARE CHECK", (), 5 * 24 + 10, "co_response"),  # Saturday
    ("ASSIST CITIZEN", (), 34, "crisis"),  # Tuesday 10:00
    ("ASSIST CITIZEN", (), 23, "police"),
    ("ASSIST CITIZEN", ("violence",), 34, "police"),
    ("TROUBLE BREATHING", (), 3, "ems"),
    ("SHOTS FIRED", (), 10, "police"),  # no rule: the default
    ("Suicide threat", (), 40, "crisis"),  # matching ignores case
]


@pytest.mark.parametrize(("call", "flags", "how", "expected"), EXAMPLES)
def test_triage_examples(call: str, flags: tuple[str, ...], how: int, expected: str) -> None:
    decision = triage(load_policy(), call, flags, how)
    assert decision.responder == expected
    assert decision.reasons


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("[[rule]]\nname = 'x'\nmatch = ['A']\nresponder = 'cops'\n", 1, "unknown responder"),
        (
            "[default]\nresponder = 'police'\n\n[[rule]]\nmatch = 'A'\nresponder = 'crisis'\n",
            4,
            "match",
        ),
        ("[crisis_team]\nhours = [20, 8]\n", 1, "hours"),
        ("[[call]]\nname = 'A'\nshare = 0.5\n\n[[call]]\nname = 'B'\nshare = 0.2\n", 1, "add up"),
        ("[[call]]\nname = 'A'\nshare = 1.0\n\n[[call]]\nshare = 0.0\n", 5, "no name"),
        ("[default]\nresponder = police\n", 2, "TOML"),
    ],
)
def test_malformed_policy_names_the_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(InvalidInput) as err:
        load_policy(path)
    assert err.value.line == line and words in str(err.value)
    assert str(path) in str(err.value.file)


def test_unknown_builtin_policy() -> None:
    with pytest.raises(NotFound):
        load_policy("nonesuch")


def test_scenarios_are_deterministic_and_crisis_teams_divert_calls() -> None:
    policy = load_policy()
    rates = np.full((3, 168), 3.0)
    scenarios = standard_scenarios(policy, police_units(rates, policy), staffing=(2, 6))
    _, rows = compare(scenarios, policy, rates, days=14, seed=5)
    _, again = compare(scenarios, policy, rates, days=14, seed=5)
    assert rows == again
    by = {r["scenario"]: r for r in rows}
    assert by["police only"]["diverted"] == 0
    assert 0 < by["crisis teams x6"]["diverted"] < by["co-response x6"]["diverted"]
    assert by["crisis teams x6"]["crisis_wait_mean"] <= by["crisis teams x2"]["crisis_wait_mean"]


def test_police_with_hours_keep_their_queue_overnight() -> None:
    """Police on duty 08:00-20:00 only: calls of the night wait for the morning (no hang)."""
    policy = one_type(20.0)
    calls = arrivals(np.full((1, 168), 2.0), policy, 3, seed=4)
    fleet = Fleet((2,), 0.0, hours=(8, 20))
    result = simulate(Scenario("day", {"police": fleet}), policy, calls, days=3, seed=4)
    waits = np.array(result.fleets["police"].waits)
    night = ((calls.time // 60) % 24 < 8).sum()
    assert result.fleets["police"].calls > 0 and waits.max() > 60  # someone waited for 08:00
    assert night > 0 and result.handed_over == 0
