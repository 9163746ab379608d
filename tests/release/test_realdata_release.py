"""Real data: the shared 2015 file as release 1 (via --files), the homicide file (2001-2023)
as release 2. The files share 16 records, revised between the two snapshots; the homicide
file also holds the January-February 2015 homicides the 2015 file (23 January to 8 February)
does not. The revisions reported for January-February 2015 must equal a recount, done here
with csv and gzip, of those records' changes."""

from __future__ import annotations

import csv
import gzip
from collections import defaultdict
from pathlib import Path

import pytest

from safer77.release.config import ReleaseConfig
from safer77.release.manifest import verify
from safer77.release.steps import run_release

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

MONTHS = ("2015-01", "2015-02")
CATEGORIES = {"violent", "property", "index"}
Cells = dict[tuple[str, str, str, str], list[int]]


def read(path: Path) -> dict[str, dict[str, str]]:
    with gzip.open(path, "rt", newline="") as fh:
        return {r["ID"]: r for r in csv.DictReader(fh)}


def month_of(row: dict[str, str]) -> str:
    return f"{row['Date'][6:10]}-{row['Date'][:2]}"  # MM/DD/YYYY hh:mm:ss AM


def cells(rows: list[dict[str, str]]) -> Cells:
    """(month, level, key, crime type) -> [incidents, arrests] for ALL and the primary types."""
    out: Cells = defaultdict(lambda: [0, 0])
    for r in rows:
        places = [("city", "city")]
        for level, field in (("community-area", "Community Area"), ("district", "District")):
            if r[field].strip():
                places.append((level, str(int(float(r[field])))))
        for level, key in places:
            for ctype in ("ALL", r["Primary Type"]):
                c = out[(month_of(r), level, key, ctype)]
                c[0] += 1
                c[1] += r["Arrest"].lower() == "true"
    return out


def figures(c: list[int] | None) -> dict[str, str]:
    if c is None:
        return {"incidents": "", "arrests": "", "arrest_rate": ""}
    return {"incidents": str(c[0]), "arrests": str(c[1]), "arrest_rate": f"{c[1] / c[0]:.6f}"}


def diff(old: Cells, new: Cells) -> dict[tuple[str, ...], tuple[str, str]]:
    out = {}
    for cell in set(old) | set(new):
        if cell[0] in MONTHS:
            a, b = figures(old.get(cell)), figures(new.get(cell))
            for metric in a:
                if a[metric] != b[metric]:
                    out[(*cell, metric)] = (a[metric], b[metric])
    return out


def test_revisions_for_january_february_2015_equal_a_recount(
    shared_data: Path, tmp_path: Path
) -> None:
    first = shared_data / "crimes" / "chicago_crimes_2015_h2o_10k.csv.gz"
    homicides = shared_data / "crimes" / "chicago_homicides_2001_present.csv.gz"
    cfg = ReleaseConfig(root=tmp_path / "root", db=tmp_path / "w.duckdb")
    one = run_release(cfg, month="2015-02", files=[first])
    two = run_release(cfg, month="2023-06", files=[homicides])
    assert (one.status, two.status, two.previous) == ("published", "published", "2015-02")
    folder = cfg.root / "releases" / "2023-06"
    assert verify(folder) == [] and verify(cfg.root / "releases" / "2015-02") == []

    old, hom = read(first), read(homicides)
    shared = sorted(set(old) & set(hom))
    assert len(shared) == 16
    # the newer Updated On wins (every shared row was updated in 2022)
    assert all(hom[i]["Updated On"][6:10] == "2022" for i in shared)
    merged = {**old, **hom}
    added = [r for i, r in hom.items() if i not in old and month_of(r) in MONTHS]
    expected = diff(cells(list(old.values())), cells(list(merged.values())))

    with (folder / "data" / "revisions.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    got = {
        (r["month"], r["level"], r["key"], r["crime_type"], r["metric"]): (r["old"], r["new"])
        for r in rows
        if r["crime_type"] not in CATEGORIES
    }
    assert got == expected
    assert {r["month"] for r in rows} == set(MONTHS)

    # the 16 shared records alone: only two arrests added (the rest moved a few feet or
    # lost the seconds of their time, which no figure counts)
    alone = diff(cells([old[i] for i in shared]), cells([hom[i] for i in shared]))
    flipped = sorted(i for i in shared if old[i]["Arrest"].lower() != hom[i]["Arrest"].lower())
    assert len(flipped) == 2
    assert {k[4] for k in alone} == {"arrests", "arrest_rate"}

    # records behind each figure: shared records whose count changed there, and added ones
    behind: dict[tuple[str, ...], int] = defaultdict(int)
    for rec_old, rec_new in [*((old[i], hom[i]) for i in shared), *((None, r) for r in added)]:
        o = cells([rec_old]) if rec_old else {}
        n = cells([rec_new])
        for cell in set(o) | set(n):
            a, b = o.get(cell, [0, 0]), n.get(cell, [0, 0])
            behind[(*cell, "incidents")] += a[0] != b[0]
            behind[(*cell, "arrests")] += a[1] != b[1]
            behind[(*cell, "arrest_rate")] += a != b
    for r in rows:
        key = (r["month"], r["level"], r["key"], r["crime_type"], r["metric"])
        if r["crime_type"] not in CATEGORIES:
            assert int(r["records_changed"]) == behind[key], key

    city = {k: v for k, v in got.items() if k[1] == "city" and k[3] in ("ALL", "HOMICIDE")}
    print("\nshared records with the arrest added:", ", ".join(flipped))
    print(
        "homicides the 2015 file lacks:", {m: sum(month_of(r) == m for r in added) for m in MONTHS}
    )
    for k in sorted(city):
        print("revision", *k, f"{city[k][0]} -> {city[k][1]}", "behind:", behind[k])
    for k in sorted(alone):
        if k[1] == "city":
            print("16 shared alone", *k, f"{alone[k][0]} -> {alone[k][1]}")
