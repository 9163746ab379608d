"""UCR clearance from hand-built cases whose clearance can be counted by hand."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from safer77.service.clearance import Outcome, by_offense_cohort, by_period_cleared, tally
from safer77.service.models import Case
from service.support import World

D = date
# Twelve offenses, written out so each figure below can be checked by counting:
#  Jan 2024: 4 offenses — one cleared by arrest on Jan 20 (19 days), one by arrest on Mar 10
#            (69 days), one exceptionally (A) on Jan 31 (26 days), one open.
#  Feb 2024: 3 offenses — one cleared by arrest Feb 29 (leap day, 28 days), two open.
#  Mar 2024: 2 offenses — one exceptional (B) on 2024-03-30 (27 days), one open.
#  2019:     1 old offense cleared by arrest on 2024-03-05 (counts in March 2024).
#  2023-12:  2 offenses — one cleared by arrest on 2024-01-02 (counts in Jan 2024), one open.
CASES = [
    Outcome(D(2024, 1, 1), D(2024, 1, 20), "arrest"),
    Outcome(D(2024, 1, 1), D(2024, 3, 10), "arrest"),
    Outcome(D(2024, 1, 5), D(2024, 1, 31), "exceptional"),
    Outcome(D(2024, 1, 9)),
    Outcome(D(2024, 2, 1), D(2024, 2, 29), "arrest"),
    Outcome(D(2024, 2, 2)),
    Outcome(D(2024, 2, 3)),
    Outcome(D(2024, 3, 3), D(2024, 3, 30), "exceptional"),
    Outcome(D(2024, 3, 4)),
    Outcome(D(2019, 6, 1), D(2024, 3, 5), "arrest"),
    Outcome(D(2023, 12, 30), D(2024, 1, 2), "arrest"),
    Outcome(D(2023, 12, 31)),
]


def test_month_cleared_counts_old_cases_in_the_month_they_clear() -> None:
    rows = {r.period: r for r in by_period_cleared(CASES)}
    jan, feb, mar = rows["2024-01"], rows["2024-02"], rows["2024-03"]
    assert (jan.offenses, jan.cleared, jan.cleared_arrest, jan.cleared_exceptional) == (4, 3, 2, 1)
    assert jan.cleared_older == 1  # the December 2023 offense
    assert (feb.offenses, feb.cleared, feb.cleared_arrest, feb.cleared_older) == (3, 1, 1, 0)
    # March: the Jan offense cleared Mar 10, the 2019 offense, the March exceptional one
    assert (mar.offenses, mar.cleared, mar.cleared_arrest, mar.cleared_exceptional) == (2, 3, 2, 1)
    assert mar.cleared_older == 2
    assert mar.clearance_ratio == 1.5  # a UCR ratio can exceed 100%
    assert rows["2019-06"].offenses == 1 and rows["2019-06"].cleared == 0
    years = {r.period: r for r in by_period_cleared(CASES, "year")}
    assert (years["2024"].offenses, years["2024"].cleared, years["2024"].cleared_older) == (9, 7, 2)


def test_cohort_windows_and_completeness() -> None:
    rows = {r.period: r for r in by_offense_cohort(CASES, as_of=D(2024, 4, 5))}
    jan = rows["2024-01"]
    assert jan.offenses == 4
    w30, w90, w365, to_date = (jan.windows[k] for k in ("30d", "90d", "365d", "to_date"))
    assert (w30.cleared, w30.arrest, w30.exceptional) == (2, 1, 1)
    assert (w90.cleared, w90.arrest, w90.exceptional) == (3, 2, 1)
    assert w30.complete and not w90.complete  # Jan 9 + 90 days = Apr 8, after Apr 5
    assert not w365.complete and to_date.cleared == 3
    assert w30.rate(jan.offenses) == 0.5
    low, high = w30.interval(jan.offenses) or (0, 0)
    assert low < 0.5 < high
    assert jan.low_n  # 4 offenses: a small cell
    feb = rows["2024-02"]
    assert feb.windows["30d"].cleared == 1  # Feb 1 -> Feb 29 is 28 days (leap year)
    old = rows["2019-06"]
    assert old.windows["365d"].cleared == 0 and old.windows["to_date"].cleared == 1
    # as it stood on 2024-03-01: the Mar 10 clearance had not happened yet
    early = {r.period: r for r in by_offense_cohort(CASES, as_of=D(2024, 3, 1))}
    assert early["2024-01"].windows["to_date"].cleared == 2
    assert "2024-03" not in early


@given(
    st.lists(
        st.tuples(
            st.dates(D(2015, 1, 1), D(2024, 12, 31)),
            st.one_of(st.none(), st.integers(0, 2000)),
            st.sampled_from(["arrest", "exceptional"]),
        ),
        max_size=60,
    )
)
def test_views_agree_with_totals(raw: list[tuple[date, int | None, str]]) -> None:
    outcomes = [
        Outcome(d, d + timedelta(days=lag), kind) if lag is not None else Outcome(d)  # type: ignore[arg-type]
        for d, lag, kind in raw
    ]
    totals = tally(outcomes)
    cleared = by_period_cleared(outcomes, "year")
    assert sum(r.offenses for r in cleared) == totals.get("offenses", 0)
    assert sum(r.cleared for r in cleared) == totals.get("cleared", 0)
    assert all(r.cleared == r.cleared_arrest + r.cleared_exceptional for r in cleared)
    cohort = by_offense_cohort(outcomes, as_of=D(2031, 1, 1), grain="year")
    assert sum(r.windows["to_date"].cleared for r in cohort) == totals.get("cleared", 0)
    for r in cohort:
        counts = [r.windows[k].cleared for k in ("30d", "90d", "365d", "to_date")]
        assert counts == sorted(counts) and counts[-1] <= r.offenses


def test_clearance_endpoints_from_case_records(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """The same hand-built offenses as cases, cleared through the workflow."""
    sup = world.headers("supervisor")
    for n, o in enumerate(CASES):
        case = client.post(
            "/cases",
            json={
                "case_number": f"JA{100000 + n}",
                "crime_type": "HOMICIDE",
                "offense_at": f"{o.offense_date.isoformat()}T12:00:00",
                "unit": "Area 1 Homicide",
            },
            headers=sup,
        ).json()
        if o.kind is None:
            continue
        to = "cleared_arrest" if o.kind == "arrest" else "cleared_exceptional"
        body = {
            "version": case["version"],
            "to_status": to,
            "reason": "hand-built",
            "effective_on": o.cleared_on.isoformat() if o.cleared_on else None,
        }
        if o.kind == "exceptional":
            body["exceptional_code"] = "A"
        r = client.post(f"/cases/{case['id']}/transitions", json=body, headers=sup)
        assert r.status_code == 200, r.text
    # an unfounded report is not an offense
    extra = client.post(
        "/cases",
        json={
            "case_number": "JA199999",
            "crime_type": "HOMICIDE",
            "offense_at": "2024-03-05T00:00:00",
        },
        headers=sup,
    ).json()
    client.post(
        f"/cases/{extra['id']}/transitions",
        json={"version": extra["version"], "to_status": "unfounded", "reason": "natural death"},
        headers=sup,
    )
    with sessions() as s:
        assert s.query(Case).count() == len(CASES) + 1
    rows = client.get("/clearance/cleared", headers=world.headers("analyst")).json()
    mar = next(r for r in rows if r["period"] == "2024-03")
    assert (mar["offenses"], mar["cleared"], mar["cleared_arrest"], mar["cleared_older"]) == (
        2,
        3,
        2,
        2,
    )
    assert mar["definition"] == "ucr_clearance"
    cohort = client.get(
        "/clearance/cohort?as_of=2024-04-05", headers=world.headers("auditor")
    ).json()
    jan = next(r for r in cohort if r["period"] == "2024-01")
    w = {x["window"]: x for x in jan["windows"]}
    assert (w["30d"]["arrest"], w["30d"]["exceptional"], w["90d"]["cleared"]) == (1, 1, 3)
    assert w["90d"]["complete"] is False and jan["low_n"] is True
    years = client.get("/clearance/cleared?grain=year&crime_type=HOMICIDE", headers=sup).json()
    assert {r["period"]: r["cleared"] for r in years} == {"2019": 0, "2023": 0, "2024": 7}


def test_memoised_clearance_follows_every_change(client: TestClient, world: World) -> None:
    """The clearance endpoint memoises its inputs; a transition must still show at once."""
    sup = world.headers("supervisor")
    case = client.post(
        "/cases",
        json={
            "case_number": "JA100001",
            "crime_type": "HOMICIDE",
            "offense_at": "2024-01-05T00:00:00",
        },
        headers=sup,
    ).json()

    def cleared() -> int:
        rows = client.get("/clearance/cleared?grain=year", headers=sup).json()
        return sum(r["cleared"] for r in rows)

    assert cleared() == 0
    assert cleared() == 0  # from the memo
    client.post(
        f"/cases/{case['id']}/transitions",
        json={
            "version": case["version"],
            "to_status": "cleared_arrest",
            "reason": "arrest",
            "effective_on": "2024-02-01",
        },
        headers=sup,
    )
    assert cleared() == 1
    client.post(
        "/cases",
        json={
            "case_number": "JA100002",
            "crime_type": "HOMICIDE",
            "offense_at": "2024-01-06T00:00:00",
        },
        headers=sup,
    )
    rows = client.get("/clearance/cleared?grain=year", headers=sup).json()
    assert rows[0]["offenses"] == 2
