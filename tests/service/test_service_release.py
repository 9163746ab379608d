"""The 30-day release clock across month ends and leap days; overdue detection; on-time %."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from safer77.service.release import Clock, days_late, due_date, is_overdue, monthly_on_time
from service.support import World


@pytest.mark.parametrize(
    ("incident", "due"),
    [
        (date(2023, 1, 31), date(2023, 3, 2)),  # Feb has 28 days: not "Feb 28" or "Mar 3"
        (date(2024, 1, 31), date(2024, 3, 1)),  # leap year: Feb 29 counts
        (date(2024, 2, 29), date(2024, 3, 30)),  # from a leap day
        (date(2024, 1, 30), date(2024, 2, 29)),  # onto a leap day
        (date(2023, 12, 15), date(2024, 1, 14)),  # across a year end
        (date(2024, 3, 31), date(2024, 4, 30)),
        (date(2100, 2, 1), date(2100, 3, 3)),  # 2100 is not a leap year
    ],
)
def test_due_date_is_thirty_calendar_days(incident: date, due: date) -> None:
    assert due_date(incident) == due


@given(st.dates(date(1990, 1, 1), date(2200, 1, 1)))
def test_due_is_always_thirty_days_and_overdue_starts_the_day_after(d: date) -> None:
    due = due_date(d)
    assert (due - d).days == 30
    assert not is_overdue(d, None, due)
    assert is_overdue(d, None, due + timedelta(days=1))
    assert not is_overdue(d, due, due + timedelta(days=400))
    assert is_overdue(d, due + timedelta(days=1), due + timedelta(days=1))
    assert days_late(d, None, due + timedelta(days=5)) == 5


def test_monthly_on_time_share() -> None:
    clocks = [
        Clock(date(2024, 1, 31), date(2024, 3, 1)),  # due Mar 1, posted Mar 1: on time
        Clock(date(2024, 2, 1), date(2024, 3, 3)),  # due Mar 2: late
        Clock(date(2024, 2, 10), None),  # due Mar 11: late (not posted by Apr 1)
        Clock(date(2024, 3, 5), None),  # due Apr 4: pending on Apr 1
    ]
    rows = {r.month: r for r in monthly_on_time(clocks, today=date(2024, 4, 1))}
    mar = rows["2024-03"]
    assert (mar.due, mar.on_time, mar.late, mar.pending) == (3, 1, 2, 0)
    assert mar.on_time_rate == pytest.approx(1 / 3)
    apr = rows["2024-04"]
    assert (apr.pending, apr.on_time_rate) == (1, None)


def test_release_records_through_the_api(client: TestClient, world: World) -> None:
    sup = world.headers("supervisor")
    r = client.post(
        "/releases", json={"kind": "body_camera", "incident_date": "2024-01-31"}, headers=sup
    )
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["due_date"] == "2024-03-01" and rec["stage"] == "notified"
    late = client.post(
        "/releases", json={"kind": "use_of_force", "incident_date": "2024-02-01"}, headers=sup
    ).json()
    # stages only move forward, never before the incident
    bad = client.post(
        f"/releases/{rec['id']}/stage",
        json={"version": rec["version"], "stage": "redacted", "on": "2024-01-01"},
        headers=sup,
    )
    assert bad.status_code == 422
    for stage, on in (
        ("footage_received", "2024-02-05"),
        ("redacted", "2024-02-20"),
        ("posted", "2024-03-01"),
    ):
        r = client.post(
            f"/releases/{rec['id']}/stage",
            json={"version": rec["version"], "stage": stage, "on": on},
            headers=sup,
        )
        assert r.status_code == 200, r.text
        rec = r.json()
    back = client.post(
        f"/releases/{rec['id']}/stage",
        json={"version": rec["version"], "stage": "redacted", "on": "2024-03-01"},
        headers=sup,
    )
    assert back.status_code == 409
    overdue = client.get("/releases/overdue?as_of=2024-03-03", headers=world.headers("analyst"))
    assert [(o["id"], o["days_late"], o["reason"]) for o in overdue.json()] == [
        (late["id"], 1, "awaiting_footage")
    ]
    r = client.post(
        f"/releases/{late['id']}/reason",
        json={"version": late["version"], "reason_code": "legal_hold"},
        headers=sup,
    )
    assert r.status_code == 200
    overdue = client.get("/releases/overdue?as_of=2024-03-03", headers=sup).json()
    assert overdue[0]["reason"] == "legal_hold"
    months = client.get(
        "/releases/on-time?as_of=2024-03-03", headers=world.headers("auditor")
    ).json()
    mar = next(m for m in months if m["month"] == "2024-03")
    assert (mar["due"], mar["on_time"], mar["late"], mar["on_time_rate"]) == (2, 1, 1, 0.5)
    assert mar["ci_low"] < 0.5 < mar["ci_high"]
