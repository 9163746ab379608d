"""Search that finds: names with typos, neighbourhoods, numbers, ZIP codes, and a clear "no
match" (safer77.geo.search); the alias table covers the City's neighbourhood list."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import shapely
from search_cases import ADDRESS, AREAS, NAMES, NONSENSE
from shapely.geometry import box

from safer77.geo.address import block_patterns, to_block
from safer77.geo.search import NEIGHBOURHOODS, edit_distance, normalise, search, zip_overlaps


@pytest.mark.parametrize(("typed", "area"), NAMES)
def test_names_numbers_neighbourhoods_and_typos(typed: str, area: int) -> None:
    found = search(typed, AREAS)
    assert found.areas[0] == area, found


def test_a_neighbourhood_says_where_it_is() -> None:
    found = search("wicker  PARK", AREAS)
    assert (found.kind, found.areas) == ("neighbourhood", (24,))
    assert found.message == "Wicker Park is in West Town."
    both = search("Bronzeville", AREAS)
    assert both.areas == (35, 38)
    assert both.message == "Bronzeville is in Douglas and Grand Boulevard."


def test_typos_up_to_two_edits() -> None:
    assert search("englewod", AREAS).kind == "typo"
    assert search("englewod", AREAS).message == "Did you mean Englewood?"
    assert search("Englwod", AREAS).areas[0] == 68  # two letters missing
    assert search("Humbolt Parc", AREAS).areas[0] == 23  # one missing, one replaced
    assert search("Enxlewoox", AREAS).areas[0] == 68  # two replaced
    assert search("Enxlxwoox", AREAS).kind == "none"  # three replaced: too far


def test_an_exact_name_comes_first_then_names_holding_it() -> None:
    assert search("Englewood", AREAS).areas == (68, 67)
    assert search("Garfield Park", AREAS).areas == (26, 27)


def test_nonsense_says_no_match_and_suggests() -> None:
    found = search(NONSENSE, AREAS)
    assert (found.kind, found.areas) == ("none", ())
    assert found.message == f"No community area or neighbourhood matches “{NONSENSE}”."
    assert len(found.suggestions) == 3
    assert search("Englewoodzzz", AREAS).suggestions[0] == "Englewood"  # three edits away
    assert "1 to 77" in search("78", AREAS).message


def test_zip_codes_only_with_a_zip_layer() -> None:
    none = search("60622", AREAS, zips=None)
    assert none.areas == () and "ZIP code search is not available" in none.message
    zips = {"60622": [24, 22, 23]}
    found = search("60622", AREAS, zips=zips)
    assert (found.kind, found.areas) == ("zip", (24, 22, 23))
    assert found.message == "ZIP code 60622 overlaps 3 community areas."
    assert "none of the community areas" in search("60699", AREAS, zips=zips).message


def test_zip_overlaps_leave_out_slivers() -> None:
    # a ZIP square over two areas side by side, and a third area it grazes by 1%
    areas = [(1, box(0, 0, 10, 10)), (2, box(10, 0, 20, 10)), (3, box(-10, 0, 0.1, 10))]
    zips = [(60601, box(0, 0, 10.0, 10)), (60602, box(5, 0, 15, 10)), (60603, box(30, 0, 31, 1))]
    got = zip_overlaps(zips, areas)
    assert got == {"60601": [1], "60602": [1, 2], "60603": []}
    assert zip_overlaps(zips, areas, min_share=0.005)["60601"] == [1, 3]


def test_edit_distance() -> None:
    assert edit_distance("englewod", "englewood") == 1
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("kitten", "sitting", limit=2) == 3  # above the limit: limit + 1
    assert edit_distance("", "abc") == 3
    assert normalise("  O'Hare ") == "ohare" and normalise("Rush & Division") == "rush and division"


def test_a_street_named_like_the_city_keeps_its_name() -> None:
    assert to_block(ADDRESS[0]) == "016XX W CHICAGO AVE"
    assert to_block("1600 West Chicago Avenue, Chicago, IL 60622") == "016XX W CHICAGO AVE"
    # typed without its suffix: matches the street with any suffix
    assert block_patterns(to_block("1600 W Chicago")) == ["016XX W CHICAGO", "016XX W CHICAGO %"]
    assert block_patterns(to_block("1600 W Chicago Ave")) == ["016XX W CHICAGO AVE"]


def test_every_neighbourhood_points_at_areas() -> None:
    for name, keys in NEIGHBOURHOODS.items():
        assert keys and all(k in AREAS for k in keys), name
        assert normalise(name) not in {normalise(n) for n in AREAS.values()}, name


def test_the_citys_neighbourhood_list_is_covered(shared_data: Path) -> None:
    """Every name on the City's Neighborhoods 2012b list (each of a "WICKER PARK,WEST TOWN"
    pair, and "UKRAINIAN VILLAGE AND EAST VILLAGE" as two) finds an area, the one the list
    groups it under where that is a community area."""
    path = shared_data / "boundaries" / "chicago_neighborhoods_2012b_names.csv"
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 98
    by_name = {normalise(n): k for k, n in AREAS.items()}
    for row in rows:
        primary = normalise(row["PRI_NEIGH"])
        for field in ("SEC_NEIGH", "PRI_NEIGH"):
            parts = row[field].replace(" AND ", ",").split(",")
            for part in parts:
                found = search(part, AREAS)  # its misspellings too (BELMONT CRAIGIN)
                assert found.areas, (part, found)
                if field == "SEC_NEIGH" and len(parts) == 1 and primary in by_name:
                    assert by_name[primary] in found.areas, (part, found)


def test_real_zip_codes_overlap_their_areas(shared_data: Path) -> None:
    """The City's ZIP code layer against its community areas: 60621 (Englewood's ZIP code)
    overlaps Englewood; 60622 overlaps West Town first."""
    areas = [
        (int(f["properties"]["NID"]), shapely.geometry.shape(f["geometry"]).buffer(0))
        for f in json.loads(
            (shared_data / "boundaries" / "community_areas_with_pop_2000_2010.geojson").read_text()
        )["features"]
    ]
    zips = [
        (int(f["properties"]["zip"]), shapely.geometry.shape(f["geometry"]).buffer(0))
        for f in json.loads((shared_data / "boundaries" / "chicago_zip_codes.geojson").read_text())[
            "features"
        ]
    ]
    got = zip_overlaps(zips, areas)
    assert 68 in got["60621"]
    assert got["60622"][0] == 24
    assert search("60622", AREAS, got).areas[0] == 24
