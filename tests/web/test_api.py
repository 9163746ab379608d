"""The read-only JSON API: answers, one error shape, and its OpenAPI spec."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from search_cases import ADDRESS, NAMES, NONSENSE

from conftest import block_only_in
from safer77.config import Settings
from safer77.metrics import arrest_stats
from safer77.warehouse import connect, load_boundaries
from safer77.web.app import create_app


@pytest.fixture(scope="module")
def client(synth_db: Path) -> TestClient:
    with TestClient(create_app(Settings(db=synth_db))) as c:
        yield c


def test_areas_and_search(client: TestClient) -> None:
    all_areas = client.get("/api/areas").json()
    assert len(all_areas) == 77 and all_areas[0]["number"] == 1
    found = client.get("/api/areas", params={"q": "Englewood"}).json()
    assert {a["name"] for a in found} == {"Englewood", "West Englewood"}
    assert client.get("/api/areas", params={"q": "68"}).json()[0]["page"] == (
        "/areas/68-englewood.html"
    )


def test_area_stats_equal_the_warehouse(client: TestClient, synth_db: Path) -> None:
    con = connect(synth_db, read_only=True)
    expected = arrest_stats(
        con,
        by="community-area",
        key="25",
        category="violent",
        from_month="2024-01",
        to_month="2024-06",
    )
    con.close()
    got = client.get(
        "/api/areas/25/stats", params={"from": "2024-01", "to": "2024-06", "category": "violent"}
    ).json()
    assert [(r["month"], r["incidents"], r["arrests"]) for r in got] == [
        (e.month, e.incidents, e.arrests) for e in expected
    ]
    assert len(got) == len(expected) > 0
    assert all(r["definition"] == "arrest_rate_proxy" for r in got)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/areas/99/stats", 404),
        ("/api/areas/x/stats", 422),
        ("/api/areas/5/stats?from=2024", 422),
        ("/api/areas/5/stats?category=bogus", 422),
        ("/api/nothing", 404),
    ],
)
def test_one_error_shape(client: TestClient, url: str, status: int) -> None:
    resp = client.get(url)
    body = resp.json()
    assert resp.status_code == status
    assert set(body) == {"ok", "error", "status"} and body["ok"] is False
    assert body["status"] == status and body["error"]


def test_openapi_spec_describes_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/api/areas", "/api/areas/{number}/stats"} <= set(spec["paths"])


def test_locate_a_point(client: TestClient) -> None:
    # Englewood: around 63rd and Halsted
    found = client.get("/api/areas/locate", params={"lat": 41.7797, "lon": -87.6445}).json()
    assert (found["number"], found["name"]) == (68, "Englewood")
    lake = client.get("/api/areas/locate", params={"lat": 41.9, "lon": -87.5})  # in the lake
    assert lake.status_code == 404 and lake.json()["ok"] is False


def test_area_of_an_address(client: TestClient, synth_db: Path) -> None:
    block = block_only_in(synth_db, 68)  # a block the data places in Englewood only
    hundreds, rest = block.split("XX ", 1)
    address = f"{int(hundreds) * 100 + 17} {rest.title()}, Chicago, IL"
    found = client.get("/api/areas/by-address", params={"address": address})
    assert found.status_code == 200, found.text
    assert found.json()["number"] == 68
    bad = client.get("/api/areas/by-address", params={"address": "Halsted and 63rd"})
    assert bad.status_code == 422 and bad.json()["ok"] is False
    nowhere = client.get("/api/areas/by-address", params={"address": "99999 N Nowhere St"})
    assert nowhere.status_code == 404


def test_an_address_in_the_first_hundred(synth_db: Path, tmp_path: Path) -> None:
    """Newer files write the first hundred of a street 0000X, older ones 000XX (to_block's
    notation): an address from 1 to 99 finds the block either way."""
    db = tmp_path / "w.duckdb"
    db.write_bytes(synth_db.read_bytes())
    con = connect(db)
    for n, block in enumerate(("0000X W FIRSTHUNDRED ST", "000XX W OLDHUNDRED ST")):
        con.execute(
            "INSERT INTO incidents (incident_key, primary_type, community_area, block, month, "
            "occurred_at, agency, source_file, load_id) "
            "VALUES (?, 'THEFT', 68, ?, '2024-01-01', '2024-01-01', 'CPD', 'test', 1)",
            [-1 - n, block],  # keys the loader never gives
        )
    con.close()
    with TestClient(create_app(Settings(db=db))) as c:
        for address in ("17 W Firsthundred St", "5 West Oldhundred Street"):
            found = c.get("/api/areas/by-address", params={"address": address})
            assert found.status_code == 200, found.text
            assert found.json()["number"] == 68


def test_the_site_and_api_send_security_headers(synth_db: Path, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>")
    with TestClient(create_app(Settings(db=synth_db), tmp_path)) as c:
        for path in ("/", "/index.html", "/api/areas", "/api/nope"):
            h = c.get(path).headers
            assert h["x-content-type-options"] == "nosniff", path
            assert h["x-frame-options"] == "DENY" and h["referrer-policy"] == "no-referrer"
            csp = h["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
            assert "unsafe-inline" not in csp


@pytest.mark.parametrize(("typed", "area"), [ADDRESS, *NAMES])
def test_search_finds(client: TestClient, typed: str, area: int) -> None:
    # the synthetic city's incidents lie on the real street grid: 016XX W CHICAGO AVE is
    # in West Town (24), as the City's data has it
    found = client.get("/api/areas/search", params={"q": typed})
    assert found.status_code == 200, found.text
    assert found.json()["areas"][0]["number"] == area, found.json()


def test_search_says_no_match_and_why(client: TestClient) -> None:
    nothing = client.get("/api/areas/search", params={"q": NONSENSE}).json()
    assert nothing["kind"] == "none" and nothing["areas"] == []
    assert "No community area or neighbourhood matches" in nothing["message"]
    assert len(nothing["suggestions"]) == 3
    wicker = client.get("/api/areas/search", params={"q": "Wicker Park"}).json()
    assert wicker["message"] == "Wicker Park is in West Town."
    no_zip = client.get("/api/areas/search", params={"q": "60622"}).json()
    assert no_zip["areas"] == [] and "ZIP code search is not available" in no_zip["message"]
    no_block = client.get("/api/areas/search", params={"q": "99999 N Nowhere St"}).json()
    assert no_block["kind"] == "none" and "no incident on block" in no_block["message"]


def test_search_by_zip_code_with_the_citys_zip_layer(
    synth_db: Path, tmp_path: Path, shared_data: Path
) -> None:
    db = tmp_path / "w.duckdb"
    db.write_bytes(synth_db.read_bytes())
    con = connect(db)
    load_boundaries(con, "zip-codes", shared_data / "boundaries" / "chicago_zip_codes.geojson")
    con.close()
    with TestClient(create_app(Settings(db=db))) as c:
        found = c.get("/api/areas/search", params={"q": "60621"}).json()
        assert found["kind"] == "zip" and 68 in [a["number"] for a in found["areas"]]
        assert found["message"].startswith("ZIP code 60621 overlaps ")
        assert c.get("/api/areas/search", params={"q": "60622"}).json()["areas"][0]["number"] == 24
