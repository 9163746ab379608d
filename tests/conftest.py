"""Shared fixtures: an in-memory warehouse, small portal-format files written in code, and the
path of the real Chicago data (tests needing it skip when it is absent)."""

from __future__ import annotations

import csv
import gzip
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import duckdb
import hypothesis
import pytest

from safer77.schema import PORTAL_CSV_HEADER
from safer77.warehouse import connect, load_incidents

ROOT = Path(__file__).resolve().parents[1]

# CI explores the same examples every run (a red CI must be reproducible); local runs explore
# new ones each time.
hypothesis.settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("SAFER77_CI"):
    hypothesis.settings.load_profile("ci")


def shared_data_dir() -> Path:
    return Path(os.environ.get("SAFER77_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder; skips the test when it is not there."""
    path = shared_data_dir()
    if not (path / "PROVENANCE.md").exists():
        pytest.skip(f"real data not found at {path} (set SAFER77_SHARED_DATA)")
    return path


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect(":memory:")
    yield c
    c.close()


def portal_row(**overrides: str) -> dict[str, str]:
    """A valid row in the portal's CSV export format; keyword arguments replace fields
    (use the canonical snake_case names, e.g. ``updated_on``)."""
    row = {
        "ID": "1001",
        "Case Number": "JA100001",
        "Date": "05/31/2022 11:59:00 PM",
        "Block": "001XX N STATE ST",
        "IUCR": "0486",
        "Primary Type": "BATTERY",
        "Description": "DOMESTIC BATTERY SIMPLE",
        "Location Description": "APARTMENT",
        "Arrest": "false",
        "Domestic": "true",
        "Beat": "0111",
        "District": "001",
        "Ward": "42",
        "Community Area": "32",
        "FBI Code": "08B",
        "X Coordinate": "1176346",
        "Y Coordinate": "1900981",
        "Year": "2022",
        "Updated On": "06/07/2022 04:47:18 PM",
        "Latitude": "41.882857",
        "Longitude": "-87.627776",
        "Location": "(41.882857, -87.627776)",
    }
    names = {h.lower().replace(" ", "_"): h for h in PORTAL_CSV_HEADER}
    for key, value in overrides.items():
        row[names[key]] = value
    return row


def homicide_row(number: int, date: str, **overrides: str) -> dict[str, str]:
    """A first-degree murder (IUCR 0110) in the portal's format, ID ``number``."""
    fields = {
        "id": str(number),
        "case_number": f"JH{number}",
        "date": date,
        "iucr": "0110",
        "primary_type": "HOMICIDE",
        "description": "FIRST DEGREE MURDER",
        "fbi_code": "01A",
        **overrides,
    }
    return portal_row(**fields)


def robbery_at(number: int, prefix: str, date: str, lat: float, lon: float) -> dict[str, str]:
    """A robbery placed by latitude and longitude only (no State Plane point)."""
    return portal_row(
        id=str(number),
        case_number=f"{prefix}{number}",
        date=date,
        primary_type="ROBBERY",
        iucr="031A",
        fbi_code="03",
        latitude=str(lat),
        longitude=str(lon),
        x_coordinate="",
        y_coordinate="",
    )


WriteCsv = Callable[..., Path]

#: The columns of the portal's 2022 extract without IDs (chicago_crimes_2022_slim.csv.gz).
SLIM = [
    "Date",
    "Block",
    "Primary Type",
    "Description",
    "Location Description",
    "Arrest",
    "Domestic",
    "Community Area",
]


def load_rows(rows: Sequence[dict[str, str]]) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory warehouse holding ``rows`` (portal CSV rows), loaded the normal way.

    For hypothesis tests, which cannot use function-scoped fixtures."""
    con = connect(":memory:")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(PORTAL_CSV_HEADER)
            for row in rows:
                writer.writerow([row.get(h, "") for h in PORTAL_CSV_HEADER])
        load_incidents(con, path)
    return con


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """Write rows (dicts) as a portal CSV; ``gz=True`` gzips it; ``header`` overrides it."""

    def write(
        name: str,
        rows: Sequence[dict[str, str]],
        header: Sequence[str] = PORTAL_CSV_HEADER,
        gz: bool = False,
    ) -> Path:
        path = tmp_path / name
        opener = gzip.open if gz else open
        with opener(path, "wt", newline="", encoding="utf-8") as fh:  # type: ignore[operator]
            writer = csv.writer(fh)
            writer.writerow(header)
            for row in rows:
                writer.writerow([row.get(h, "") for h in header])
        return path

    return write


def table_rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[object, ...]]:
    """Every row of a table in a stable order, for whole-table comparisons."""
    return sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


@pytest.fixture(scope="session")
def synth_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse file holding a small synthetic city (20,000 incidents, 24 months), with its
    community areas (the real 77 polygons), districts and beats; built once per test run."""
    from safer77.metrics import compute_all
    from safer77.synth import synth_crimes, synth_geography, write_boundaries
    from safer77.warehouse import load_boundaries

    folder = tmp_path_factory.mktemp("synth")
    city = synth_geography(7)
    files = write_boundaries(city, folder)
    crimes = folder / "crimes.csv"
    synth_crimes(rows=20_000, seed=7, out=crimes, city=city)
    db = folder / "w.duckdb"
    con = connect(db)
    for kind in ("community_areas", "districts", "beats"):
        load_boundaries(con, kind, files[kind])
    load_incidents(con, crimes)
    compute_all(con)
    con.close()
    return db


def block_only_in(db: Path, area: int) -> str:
    """The busiest block that the data places in community area ``area`` alone."""
    con = connect(db, read_only=True)
    rows = con.execute(
        "SELECT block FROM incidents GROUP BY block HAVING min(community_area) = ? "
        "AND max(community_area) = ? ORDER BY count(*) DESC, block LIMIT 1",
        [area, area],
    ).fetchall()
    con.close()
    return str(rows[0][0])


@pytest.fixture(scope="session")
def coordinated_db(synth_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic city plus the composite priority index's indicators and resource requests
    exported by the service (see tests/publish/support.py); built once per test run."""
    from publish.support import coordinated_warehouse

    return coordinated_warehouse(synth_db, tmp_path_factory.mktemp("coordinated"))
