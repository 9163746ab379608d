"""The coverage rules (safer77.metrics.coverage) on loads described in code."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from safer77.metrics.coverage import (
    ALL_TYPES,
    GENERAL_MIN_TYPES,
    Coverage,
    LoadSpan,
    months_between,
    scope_label,
    shift_months,
)

FULL_TYPES = {f"TYPE {i}": () for i in range(GENERAL_MIN_TYPES + 2)}


def span(
    first: str, last: str, rows: int, types: dict[str, tuple[str, ...]] | None = None, lid: int = 1
) -> LoadSpan:
    return LoadSpan(
        load_id=lid,
        file=f"/data/load{lid}.csv",
        rows=rows,
        first=datetime.fromisoformat(first),
        last=datetime.fromisoformat(last),
        fields=frozenset({"date", "primary_type"}),
        types=dict(FULL_TYPES if types is None else types),
    )


HOMICIDES = {"HOMICIDE": ("0110",)}


def test_a_file_that_starts_or_stops_inside_a_month_covers_it_only_in_part() -> None:
    h2o = span("2015-01-23 08:30", "2015-02-08 23:43", 9_999)
    assert h2o.spans == {"2015-01": False, "2015-02": False}
    year = span("2022-01-01 00:00", "2022-11-30 23:59", 215_551)
    assert all(year.spans.values())
    assert sorted(year.spans) == list(months_between("2022-01", "2022-11"))


def test_a_sparse_file_is_judged_with_its_own_gap_between_rows() -> None:
    # ~1.5 rows a day: a first row on the 2nd is the file's start, not a missing month ...
    homicides = span("2001-01-02 10:40", "2023-07-19 19:40", 12_657, HOMICIDES)
    assert homicides.spans["2001-01"] is True
    # ... but stopping on the 19th leaves July out
    assert homicides.spans["2023-07"] is False
    assert homicides.spans["2023-06"] is True
    # a dense file starting on the 2nd misses a day of hundreds of rows
    dense = span("2022-01-02 00:00", "2022-03-31 23:00", 60_000)
    assert dense.spans["2022-01"] is False


def test_a_full_extract_covers_every_type_and_a_narrow_file_only_its_own() -> None:
    cov = Coverage(
        [
            span("2022-01-01", "2022-11-30 23:59", 200_000, lid=1),
            span("2001-01-01", "2023-07-19", 12_000, HOMICIDES, lid=2),
        ]
    )
    assert cov.scope("ALL", "2022-06") == ALL_TYPES
    assert cov.scope("THEFT", "2022-06") == ALL_TYPES  # a type with no row is a zero
    assert cov.scope("HOMICIDE", "2021-06") == frozenset({("HOMICIDE", ("0110",))})
    assert cov.scope("ALL", "2021-06") == frozenset({("HOMICIDE", ("0110",))})
    assert cov.scope("violent", "2021-06") == frozenset({("HOMICIDE", ("0110",))})
    assert cov.scope("property", "2021-06") is None  # never a zero: nothing covers it
    assert cov.scope("THEFT", "2021-06") is None
    assert cov.scope("ALL", "2023-07") is None  # the homicide file stops on the 19th
    assert cov.scope("ALL", "1999-01") is None
    assert scope_label(cov.scope("ALL", "2021-06")) == "HOMICIDE (IUCR 0110) only"


def test_months_compare_only_within_one_scope() -> None:
    cov = Coverage(
        [
            span("2022-01-01", "2022-11-30 23:59", 200_000, lid=1),
            span("2001-01-01", "2023-07-19", 12_000, HOMICIDES, lid=2),
        ]
    )
    reason = cov.comparable("ALL", "2022-11", "2021-11")
    assert reason is not None and reason.startswith("not comparable")
    assert "HOMICIDE (IUCR 0110) only" in reason and "all crime types" in reason
    assert cov.comparable("ALL", "2022-11", "2022-10") is None
    assert cov.comparable("HOMICIDE", "2021-11", "2020-11") is None
    assert "part of July 2023" in (cov.comparable("HOMICIDE", "2023-07", "2022-07") or "")
    assert not cov.window_comparable("ALL", months_between("2021-12", "2022-11"))
    assert cov.window_comparable("ALL", months_between("2022-01", "2022-11"))


def test_the_featured_month_is_the_newest_a_full_extract_covers() -> None:
    cov = Coverage(
        [
            span("2022-01-01", "2022-11-30 23:59", 200_000, lid=1),
            span("2001-01-01", "2023-07-19", 12_000, HOMICIDES, lid=2),
        ]
    )
    assert cov.featured_month() == "2022-11"
    # a warehouse of narrow files alone still has a month to show, with its scope named
    narrow = Coverage([span("2001-01-01", "2023-07-19", 12_000, HOMICIDES)])
    assert narrow.featured_month() == "2023-06"
    assert Coverage([]).featured_month() is None


def test_a_level_recorded_by_too_few_incidents_shows_no_figures() -> None:
    cov = Coverage(
        [span("2022-01-01", "2022-11-30 23:59", 200_000)],
        shares={("district", "ALL", "2022-11"): 0.003, ("district", "ALL", "2022-10"): 0.95},
    )
    reason = cov.level_reason("district", "ALL", "2022-11")
    assert reason == (
        "police district not recorded for 99.7% of the November 2022 incidents in the loaded files"
    )
    assert cov.level_reason("district", "ALL", "2022-10") is None
    assert cov.level_reason("city", "ALL", "2022-11") is None
    assert "police district not recorded" in (
        cov.comparable("ALL", "2022-10", "2022-11", "district") or ""
    )
    assert cov.comparable("ALL", "2022-10", "2022-11", "community-area") is None


@given(
    start=st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2024, 1, 1)),
    days=st.integers(min_value=1, max_value=2_000),
    rows=st.integers(min_value=2, max_value=500_000),
)
def test_every_month_strictly_inside_a_file_is_covered(
    start: datetime, days: int, rows: int
) -> None:
    ld = span(start.isoformat(), (start + timedelta(days=days)).isoformat(), rows)
    months = list(ld.spans)
    assert months == list(months_between(months[0], months[-1]))
    assert all(ld.spans[m] for m in months[1:-1])
    # a file from a month's first minute to another's last covers every month between
    whole = span(
        f"{months[0]}-01 00:00",
        (
            datetime.fromisoformat(shift_months(months[-1], 1) + "-01") - timedelta(minutes=1)
        ).isoformat(),
        rows,
    )
    assert all(whole.spans.values())


def test_shift_months_round_trips() -> None:
    assert shift_months("2022-11", -12) == "2021-11"
    assert shift_months("2022-01", -1) == "2021-12"
    assert shift_months("2021-12", 1) == "2022-01"
    assert shift_months("2022-03", -27) == "2019-12"


def test_an_update_file_covers_only_the_months_it_holds_in_bulk() -> None:
    # the rows revised since the last download: a new month in full, a few old rows each month
    rows = {m: 3 for m in months_between("2019-01", "2024-04")} | {"2024-05": 20_000}
    update = LoadSpan(
        load_id=2,
        file="/data/update.csv",
        rows=sum(rows.values()),
        first=datetime(2019, 1, 3),
        last=datetime(2024, 5, 31, 23, 50),
        fields=frozenset({"date", "primary_type"}),
        types=dict(FULL_TYPES),
        month_rows=rows,
    )
    assert [m for m, full in update.spans.items() if full] == ["2024-05"]
    # a year of a full extract varies by season, far less than that
    seasonal = {m: 15_000 + 7_000 * (m[5:] in ("06", "07", "08")) for m in rows if m < "2020"}
    year = replace(span("2019-01-01", "2019-12-31 23:59", 200_000), month_rows=seasonal)
    assert all(year.spans.values())


def test_the_reason_names_a_cut_edge_or_a_sparse_month() -> None:
    rows = {m: 3 for m in months_between("2019-01", "2024-04")} | {"2024-05": 20_000}
    update = replace(
        span("2019-01-03", "2024-05-31 23:50", sum(rows.values()), lid=2), month_rows=rows
    )
    cov = Coverage([update])
    assert "holds only 3 rows of March 2022" in cov.uncovered_reason("ALL", "2022-03")
    assert "covers only 3 Jan to 31 Jan 2019" in cov.uncovered_reason("ALL", "2019-01")
