"""Open incidents by age and year-over-year change, on fixtures counted by hand."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import WriteCsv, load_rows, portal_row
from safer77.metrics import compute_all, open_by_age, yoy
from safer77.warehouse import load_incidents

AS_OF = datetime(2024, 6, 30, 12, 0)


def when(days_before: float) -> str:
    return (AS_OF - timedelta(days=days_before)).strftime("%m/%d/%Y %I:%M:%S %p")


def test_open_incidents_bucketed_by_age(
    con: duckdb.DuckDBPyConnection, write_csv: WriteCsv
) -> None:
    # district 1: open at 0, 5, 40, 200, 400 and 800 days; one arrest (not open)
    # district 2: open at 31 days (just past 30) and 366 days (just past a year)
    rows = [
        portal_row(id=str(i), date=when(d), district="001", arrest="false")
        for i, d in enumerate([0, 5, 40, 200, 400, 800], start=1)
    ]
    rows.append(portal_row(id="50", date=when(10), district="001", arrest="true"))
    rows += [
        portal_row(id="60", date=when(31), district="002", arrest="false"),
        portal_row(id="61", date=when(366), district="002", arrest="false"),
    ]
    load_incidents(con, write_csv("open.csv", rows))
    got = {
        (r["key"], r["age_bucket"]): r["open_incidents"] for r in open_by_age(con, by="district")
    }
    assert got == {
        ("1", "0-30"): 2,
        ("1", "31-90"): 1,
        ("1", "91-365"): 1,
        ("1", ">365"): 2,
        ("2", "31-90"): 1,
        ("2", ">365"): 1,
    }
    city = {r["age_bucket"]: r["open_incidents"] for r in open_by_age(con, by="city")}
    assert city == {"0-30": 2, "31-90": 2, "91-365": 1, ">365": 3}
    # the stored tables give the same answer as the live query
    compute_all(con)
    assert {r["age_bucket"]: r["open_incidents"] for r in open_by_age(con, by="city")} == city
    # an explicit as_of a year later ages everything past a year
    later = open_by_age(con, by="city", as_of=AS_OF + timedelta(days=400))
    assert {r["age_bucket"]: r["open_incidents"] for r in later} == {">365": 8}


def test_year_over_year(con: duckdb.DuckDBPyConnection, write_csv: WriteCsv) -> None:
    rows = [
        portal_row(id=str(i), date="03/10/2023 10:00:00 AM", arrest="true" if i < 3 else "false")
        for i in range(1, 5)
    ]  # March 2023: 4 incidents, 2 arrests
    rows += [
        portal_row(id=str(i), date="03/12/2024 10:00:00 AM", arrest="false") for i in range(10, 16)
    ]  # March 2024: 6 incidents, 0 arrests
    load_incidents(con, write_csv("yoy.csv", rows))
    (march,) = yoy(con, by="city", month="2024-03")
    assert march["incidents"] == 6 and march["incidents_prev_year"] == 4
    assert march["incidents_change_pct"] == 50.0
    assert march["arrest_rate_change_pts"] == -50.0
    assert march["low_n"] is True
    (first,) = yoy(con, by="city", month="2023-03")
    assert first["incidents_prev_year"] is None and first["incidents_change_pct"] is None


def test_age_is_counted_in_whole_days(con: duckdb.DuckDBPyConnection, write_csv: WriteCsv) -> None:
    ages = {"1": 30.5, "2": 90.5, "3": 365.5, "4": 30.99, "5": 31.0}
    rows = [portal_row(id=i, date=when(d), arrest="false") for i, d in ages.items()]
    load_incidents(con, write_csv("ages.csv", rows))
    got = {r["age_bucket"]: r["open_incidents"] for r in open_by_age(con, by="city", as_of=AS_OF)}
    # 30.5 and 30.99 days are 30 whole days; 31.0 is 31; 90.5 is 90; 365.5 is 365
    assert got == {"0-30": 2, "31-90": 2, "91-365": 1}


def test_a_fall_to_zero_still_shows(con: duckdb.DuckDBPyConnection, write_csv: WriteCsv) -> None:
    rows = [
        portal_row(id=str(i), date="03/10/2023 10:00:00 AM", district="007") for i in range(1, 5)
    ]  # district 7: 4 in March 2023, none in March 2024
    rows.append(portal_row(id="9", date="04/01/2024 10:00:00 AM", district="001"))
    load_incidents(con, write_csv("zero.csv", rows))
    march = {r["key"]: r for r in yoy(con, by="district", month="2024-03")}
    assert march["7"]["incidents"] == 0 and march["7"]["incidents_prev_year"] == 4
    assert march["7"]["incidents_change_pct"] == -100.0
    april = {r["key"]: r for r in yoy(con, by="district", month="2024-04")}
    assert april["1"]["incidents_prev_year"] == 0  # April 2023 is inside the data: zero, known
    assert april["1"]["incidents_change_pct"] is None  # but no percentage of zero


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.floats(0, 900), st.sampled_from([True, False, None])), min_size=1, max_size=80
    )
)
def test_open_buckets_equal_a_row_by_row_count(ages: list[tuple[float, bool | None]]) -> None:
    con = load_rows(
        [
            portal_row(id=str(i), date=when(d), arrest="" if a is None else str(a))
            for i, (d, a) in enumerate(ages, start=1)
        ]
    )
    expected: Counter[str] = Counter()
    for days, arrest in ages:
        # the row's timestamp is rounded to the second by the date format
        age = (AS_OF - datetime.strptime(when(days), "%m/%d/%Y %I:%M:%S %p")).total_seconds()
        whole = int(age // 86400)
        if arrest is False:
            expected[
                "0-30"
                if whole <= 30
                else "31-90"
                if whole <= 90
                else "91-365"
                if whole <= 365
                else ">365"
            ] += 1
    got = {r["age_bucket"]: r["open_incidents"] for r in open_by_age(con, by="city", as_of=AS_OF)}
    assert got == dict(expected)
    con.close()
