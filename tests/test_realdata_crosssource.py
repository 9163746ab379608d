"""The 2022 homicides of the two real files that hold them (the 2022 extract without IDs and
the homicide file with IDs), loaded in either order, equal a recount that merges the files by
the documented key (docs/operations.md, "Cross-source duplicates").

The recount shares nothing with the loader: Python's csv and gzip, dates parsed by hand.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from safer77.cli import app

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

SLIM = "chicago_crimes_2022_slim.csv.gz"
HOMICIDES = "chicago_homicides_2001_present.csv.gz"

#: (minute, block, primary type, community area or None)
Key = tuple[str, str, str, int | None]


def _block(text: str) -> str:
    b = re.sub(r"\s+", " ", text.strip().upper())
    return "000XX" + b[5:] if b.startswith("0000X ") else b


def _area(text: str) -> int | None:
    return int(float(text)) if text.strip() and float(text) != 0 else None


def _homicides_2022(path: Path) -> Counter[Key]:
    """Rows of 2022 with Primary Type HOMICIDE, counted by key."""
    keys: Counter[Key] = Counter()
    with gzip.open(path, "rt", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            raw = row["Date"]
            if "/" in raw:  # 06/28/2023 11:04:00 PM
                when = datetime.strptime(raw, "%m/%d/%Y %I:%M:%S %p")
            else:  # 2022-09-16 21:30:00
                when = datetime.strptime(raw, "%Y-%m-%d %H:%M:%S")
            ptype = row["Primary Type"].strip().upper()
            if when.year == 2022 and ptype == "HOMICIDE":
                key = (when.strftime("%Y-%m-%d %H:%M"), _block(row["Block"]), ptype)
                keys[(*key, _area(row["Community Area"]))] += 1
    return keys


def _merged(a: Counter[Key], b: Counter[Key]) -> tuple[int, int]:
    """(incidents, pairs) when rows are paired one-to-one by key: equal community areas
    first, then a row without an area with one of the same minute, block and type. The
    homicide file has IDs and the 2022 file none, so every such pair is one incident."""
    pairs = 0
    left_a, left_b = Counter(a), Counter(b)
    for key in a.keys() & b.keys():
        n = min(a[key], b[key])
        pairs += n
        left_a[key] -= n
        left_b[key] -= n
    by_rest: dict[tuple[str, str, str], list[Counter[int | None]]] = {}
    for side, left in enumerate((left_a, left_b)):
        for (*rest, area), n in left.items():
            if n:
                sides = by_rest.setdefault((rest[0], rest[1], rest[2]), [Counter(), Counter()])
                sides[side][area] += n
    for sa, sb in by_rest.values():
        pairs += min(sa[None], sb.total()) if sa[None] else min(sb[None], sa.total())
    return a.total() + b.total() - pairs, pairs


def _ingest(db: Path, path: Path) -> dict[str, int]:
    res = CliRunner().invoke(
        app, ["ingest", "crimes", str(path), "--db", str(db), "--format", "json"]
    )
    assert res.exit_code == 0, res.stderr
    counts = json.loads(res.stdout.strip().splitlines()[-1])
    assert isinstance(counts, dict)
    return counts


@pytest.mark.parametrize("slim_first", [True, False])
def test_2022_homicides_equal_a_recount_merging_the_two_files(
    shared_data: Path, tmp_path: Path, slim_first: bool
) -> None:
    files = [shared_data / "crimes" / SLIM, shared_data / "crimes" / HOMICIDES]
    slim, homicides = (_homicides_2022(p) for p in files)
    expected, pairs = _merged(slim, homicides)
    db = tmp_path / "xs.duckdb"
    loads = [_ingest(db, p) for p in (files if slim_first else files[::-1])]
    for c in loads:
        assert c["read"] == (
            c["loaded"] + c["updated"] + c["duplicates"] + c["cross_source"] + c["quarantined"]
        )
    assert (loads[0]["cross_source"], loads[1]["cross_source"]) == (0, pairs)
    con = duckdb.connect(str(db), read_only=True)
    got = con.execute(
        "SELECT count(*) FROM incidents WHERE primary_type = 'HOMICIDE' "
        "AND year(occurred_at) = 2022"
    ).fetchall()[0][0]
    con.close()
    assert got == expected
    assert pairs > 0.95 * min(slim.total(), homicides.total())  # the files do overlap
    print(
        f"2022 homicides: {slim.total()} rows in {SLIM}, {homicides.total()} in {HOMICIDES}, "
        f"{pairs} pairs, {got} incidents in the warehouse = recount {expected}"
    )
