"""The category rule: the warehouse's SQL agrees with the Python reference on every case."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import load_rows, portal_row
from safer77.schema import canonical_column, categorise

FBI = st.sampled_from(
    ["01A", "01B", "02", "03", "04A", "04B", "05", "06", "07", "08B", "09", "26", "3", ""]
)
PTYPE = st.sampled_from(
    [
        "HOMICIDE",
        "BATTERY",
        "ASSAULT",
        "THEFT",
        "ROBBERY",
        "NARCOTICS",
        "CRIM SEXUAL ASSAULT",
        "ARSON",
        "OTHER OFFENSE",
    ]
)
DESC = st.sampled_from(
    [
        "AGGRAVATED: HANDGUN",
        "AGG. DOMESTIC BATTERY",
        "SIMPLE",
        "RECKLESS HOMICIDE",
        "FIRST DEGREE MURDER",
        "INVOLUNTARY MANSLAUGHTER",
    ]
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(FBI, PTYPE, DESC), min_size=1, max_size=40))
def test_sql_category_matches_reference(cases: list[tuple[str, str, str]]) -> None:
    con = load_rows(
        [
            portal_row(id=str(i), fbi_code=fbi, primary_type=ptype, description=desc)
            for i, (fbi, ptype, desc) in enumerate(cases, start=1)
        ]
    )
    got = con.execute("SELECT category, index_crime FROM incidents ORDER BY id").fetchall()
    expected = []
    for fbi, ptype, desc in cases:
        code = ("0" + fbi) if len(fbi) == 1 else fbi
        c = categorise(code or None, ptype, desc)
        expected.append((c.category, c.index_crime))
    assert got == expected


def test_header_aliases() -> None:
    assert canonical_column("Case Number") == "case_number"
    assert canonical_column("case_number") == "case_number"
    assert canonical_column("Case _mber") == "case_number"
    assert canonical_column("Commu_Area") == "community_area"
    assert canonical_column("X Coordinate") == "x_coordinate"
    assert canonical_column("Nonsense") is None
