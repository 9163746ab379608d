"""The triage policy: which responder takes a call, read from a TOML file.

A policy lists the call types it knows (``[[call]]``: name, share of calls, priority, mean
service minutes, chance that a weapon is mentioned), rules that send calls whose type matches
to a responder (``[[rule]]``), the flags that always bring the police (``[police_when]``), the
crisis team's hours and its chance of asking for police backup (``[crisis_team]``), and a
default for everything else. ``safer77 plan triage`` explains a decision rule by rule.

Responders: ``police``, ``crisis`` (a civilian crisis team), ``co_response`` (an officer and a
clinician together) and ``ems``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from safer77.errors import InvalidInput, NotFound

RESPONDERS = ("police", "crisis", "co_response", "ems")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BUILTIN = "default"


@dataclass(frozen=True)
class CallType:
    name: str
    share: float
    priority: int  # 1 (emergency) .. 3
    service_minutes: float
    weapon: float  # chance a weapon is mentioned


@dataclass(frozen=True)
class Rule:
    name: str
    match: tuple[str, ...]  # upper-case words; a call type containing any of them matches
    responder: str
    fallback: str  # when the responder is off duty
    line: int


@dataclass(frozen=True)
class Policy:
    calls: tuple[CallType, ...]
    rules: tuple[Rule, ...]
    default: str
    police_flags: tuple[str, ...]
    crisis_days: frozenset[int]  # 0 = Monday
    crisis_hours: tuple[int, int]  # [start, end) hours of the day
    backup_probability: float
    source: str

    def crisis_on_duty(self, hour_of_week: int) -> bool:
        return on_duty(hour_of_week, self.crisis_days, self.crisis_hours)

    def rule_for(self, call_type: str) -> Rule | None:
        """The rule that decides a call type: the first whose words it contains (any case)."""
        text = call_type.upper()
        return next((r for r in self.rules if any(m in text for m in r.match)), None)


def on_duty(hour_of_week: int, days: frozenset[int], hours: tuple[int, int]) -> bool:
    """Whether ``hour_of_week`` (0 = Monday 00:00) falls on ``days`` within ``[start, end)``."""
    day, hour = divmod(hour_of_week % 168, 24)
    return day in days and hours[0] <= hour < hours[1]


@dataclass(frozen=True)
class Decision:
    responder: str
    rule: str
    reasons: tuple[str, ...]


def triage(
    policy: Policy, call_type: str, flags: tuple[str, ...] = (), hour_of_week: int | None = None
) -> Decision:
    """The responder for a call, with the reasons, rule by rule."""
    rule = policy.rule_for(call_type)
    if rule is None:
        return Decision(policy.default, "default", (f"no rule matches {call_type!r}",))
    reasons = [f"rule {rule.name!r} (line {rule.line}) matches {call_type!r}: {rule.responder}"]
    responder = rule.responder
    if responder in ("crisis", "co_response"):
        forced = [f for f in flags if f.lower() in policy.police_flags]
        if forced:
            reasons.append(f"{', '.join(forced)} reported: police")
            return Decision("police", rule.name, tuple(reasons))
    if (
        responder == "crisis"
        and hour_of_week is not None
        and not policy.crisis_on_duty(hour_of_week)
    ):
        reasons.append(f"the crisis team is off duty then: {rule.fallback}")
        return Decision(rule.fallback, rule.name, tuple(reasons))
    return Decision(responder, rule.name, tuple(reasons))


def load_policy(source: str | Path = BUILTIN) -> Policy:
    """A built-in policy by name (``default``) or a TOML file; errors name file and line."""
    if isinstance(source, str) and "/" not in source and not source.endswith(".toml"):
        ref = resources.files("safer77").joinpath("data", "policies", f"{source}.toml")
        if not ref.is_file():
            raise NotFound(f"no built-in policy {source!r}; the built-in one is {BUILTIN!r}")
        text, label = ref.read_text(encoding="utf-8"), f"built-in policy {source}"
    else:
        path = Path(source)
        if not path.exists():
            raise NotFound(f"{path}: no such policy file")
        text, label = path.read_text(encoding="utf-8"), str(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise InvalidInput(
            f"not valid TOML: {exc}", file=label, line=int(m.group(1)) if m else None
        ) from None
    return _policy(doc, text, label)


def _line(text: str, header: str, index: int) -> int:
    """Line of the ``index``-th ``header`` (e.g. ``[[rule]]``) in the file, 1-based."""
    seen = -1
    for n, raw in enumerate(text.splitlines(), start=1):
        if raw.strip() == header:
            seen += 1
            if seen == index:
                return n
    return 1


def _policy(doc: dict[str, Any], text: str, label: str) -> Policy:
    def bad(message: str, header: str, index: int = 0, field: str | None = None) -> InvalidInput:
        return InvalidInput(message, file=label, line=_line(text, header, index), field=field)

    calls = []
    for i, c in enumerate(doc.get("call", [])):
        try:
            call = CallType(
                name=str(c["name"]).upper(),
                share=float(c["share"]),
                priority=int(c.get("priority", 2)),
                service_minutes=float(c.get("service_minutes", 40)),
                weapon=float(c.get("weapon", 0.0)),
            )
        except KeyError as exc:
            raise bad(f"call {i + 1} has no {exc.args[0]}", "[[call]]", i, exc.args[0]) from None
        except (TypeError, ValueError) as exc:
            raise bad(f"call {i + 1}: {exc}", "[[call]]", i) from None
        if call.share < 0 or call.priority not in (1, 2, 3) or call.service_minutes <= 0:
            raise bad(
                f"call {call.name}: share must be >= 0, priority 1-3, service minutes > 0",
                "[[call]]",
                i,
            )
        if not 0 <= call.weapon <= 1:
            raise bad(f"call {call.name}: weapon is a probability", "[[call]]", i, "weapon")
        calls.append(call)
    if calls and abs(sum(c.share for c in calls) - 1) > 1e-6:
        raise bad(f"call shares add up to {sum(c.share for c in calls):.4f}, not 1", "[[call]]")
    rules = []
    for i, r in enumerate(doc.get("rule", [])):
        responder = str(r.get("responder", ""))
        fallback = str(r.get("fallback", "police"))
        for field, value in (("responder", responder), ("fallback", fallback)):
            if value not in RESPONDERS:
                raise bad(
                    f"rule {i + 1}: unknown {field} {value!r}; use {', '.join(RESPONDERS)}",
                    "[[rule]]",
                    i,
                    field,
                )
        match = r.get("match")
        if not isinstance(match, list) or not match:
            raise bad(f"rule {i + 1}: match must be a list of words", "[[rule]]", i, "match")
        rules.append(
            Rule(
                name=str(r.get("name", f"rule {i + 1}")),
                match=tuple(str(m).upper() for m in match),
                responder=responder,
                fallback=fallback,
                line=_line(text, "[[rule]]", i),
            )
        )
    default = str(doc.get("default", {}).get("responder", "police"))
    if default not in RESPONDERS:
        raise bad(f"unknown default responder {default!r}", "[default]", 0, "responder")
    team = doc.get("crisis_team", {})
    days = [str(d).lower()[:3] for d in team.get("days", DAYS)]
    unknown = [d for d in days if d not in DAYS]
    if unknown:
        raise bad(f"unknown day(s) {unknown}", "[crisis_team]", 0, "days")
    hours = team.get("hours", [0, 24])
    if not (isinstance(hours, list) and len(hours) == 2 and 0 <= hours[0] < hours[1] <= 24):
        raise bad("hours must be [start, end] with 0 <= start < end <= 24", "[crisis_team]")
    backup = float(team.get("backup_probability", 0.0))
    if not 0 <= backup <= 1:
        raise bad("backup_probability is a probability", "[crisis_team]")
    return Policy(
        calls=tuple(calls),
        rules=tuple(rules),
        default=default,
        police_flags=tuple(str(f).lower() for f in doc.get("police_when", {}).get("flags", [])),
        crisis_days=frozenset(DAYS.index(d) for d in days),
        crisis_hours=(int(hours[0]), int(hours[1])),
        backup_probability=backup,
        source=label,
    )
