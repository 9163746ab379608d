"""``safer77 release`` end to end against a loopback portal: month 1 serves N rows, month 2
new rows plus 50 revised rows (arrest flipped, type reclassified)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from release.portal import Portal, make_records, revise, running_portal

from safer77.release.config import ReleaseConfig
from safer77.release.manifest import read_manifest, verify
from safer77.release.steps import Outcome, run_release

N1, N2, N_REVISED = 3_000, 1_000, 50
UPDATED_1 = dt.datetime(2024, 4, 2, 6, 0)
UPDATED_2 = dt.datetime(2024, 5, 2, 6, 0)
CATEGORIES = {"violent", "property", "index"}


def month1() -> list[dict[str, Any]]:
    return make_records(N1, dt.datetime(2024, 1, 1), 91, UPDATED_1, 10_000_000, seed=1)


def month2_new() -> list[dict[str, Any]]:
    return make_records(N2, dt.datetime(2024, 4, 1), 30, UPDATED_2, 20_000_000, seed=2)


def revised_rows(first: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [revise(r, UPDATED_2 + dt.timedelta(minutes=k), k) for k, r in enumerate(first[::60])]


def tree_digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def config(tmp: Path, portal: Portal) -> ReleaseConfig:
    return ReleaseConfig(
        root=tmp / "root",
        db=tmp / "w.duckdb",
        base_url=portal.url,
        first_since=dt.date(2024, 1, 1),
        page_size=700,
    )


class Releases:
    def __init__(self, tmp: Path, portal: Portal) -> None:
        self.tmp, self.portal, self.cfg = tmp, portal, config(tmp, portal)
        self.first = month1()
        self.revised = revised_rows(self.first)

    def release(self, month: str) -> Outcome:
        return run_release(self.cfg, month=month)


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Releases, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("release")
    with running_portal() as portal:
        rel = Releases(tmp, portal)
        portal.serve(rel.first)
        one = rel.release("2024-03")
        r1 = rel.cfg.root / "releases" / "2024-03"
        before = tree_digests(r1)
        queries_1 = list(portal.queries)
        portal.serve(month2_new())
        portal.serve(rel.revised)
        portal.queries.clear()
        two = rel.release("2024-04")
        yield rel, {
            "one": one, "two": two, "before": before, "queries_1": queries_1,
            "queries_2": list(portal.queries),
        }  # fmt: skip


def cells(records: list[dict[str, Any]]) -> dict[tuple[str, str, str, str], list[int]]:
    """(month, level, key, crime type) -> [incidents, arrests], recounted from the records
    (crime types: ALL and the primary types; categories are left to the site's tests)."""
    out: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        month = r["date"][:7]
        places = [("city", "city"), ("community-area", str(int(r["community_area"]))),
                  ("district", str(int(r["district"])))]  # fmt: skip
        for level, key in places:
            for ctype in ("ALL", r["primary_type"]):
                c = out[(month, level, key, ctype)]
                c[0] += 1
                c[1] += bool(r["arrest"])
    return out


def values(c: list[int] | None) -> dict[str, str]:
    if c is None:
        return {"incidents": "", "arrests": "", "arrest_rate": ""}
    return {"incidents": str(c[0]), "arrests": str(c[1]), "arrest_rate": f"{c[1] / c[0]:.6f}"}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_two_releases_two_folders_and_the_pointer(two: tuple[Releases, dict[str, Any]]) -> None:
    rel, out = two
    releases = rel.cfg.root / "releases"
    assert out["one"].status == out["two"].status == "published"
    assert sorted(p.name for p in releases.iterdir() if p.name[0].isdigit()) == [
        "2024-03", "2024-04",
    ]  # fmt: skip
    assert os.readlink(rel.cfg.root / "current") == "releases/2024-04"
    for m in ("2024-03", "2024-04"):
        assert (releases / m / "index.html").is_file()
        assert (releases / m / "data" / "figures.csv").is_file()
        assert (releases / m / "revisions.html").is_file()
    # month 1 fetched everything since the first day; month 2 only what changed since
    assert out["queries_1"][0] == "date >= '2024-01-01T00:00:00.000'"
    hwm = read_manifest(releases / "2024-03")["high_water_mark"]
    assert hwm == (UPDATED_1 + dt.timedelta(seconds=N1 - 1 if N1 < 3600 else 3599)).isoformat()
    assert set(out["queries_2"]) == {f"updated_on > '{hwm}.000'"}
    loads = out["two"].loads
    assert [(ld["loaded"], ld["updated"]) for ld in loads] == [(N2, N_REVISED)]


def test_revisions_equal_a_recount_of_the_changed_rows(
    two: tuple[Releases, dict[str, Any]],
) -> None:
    rel, _ = two
    old = cells(rel.first)
    by_id = {r["id"]: r for r in rel.first}
    by_id.update({r["id"]: r for r in rel.revised})
    new = cells(list(by_id.values()))
    months = {"2024-01", "2024-02", "2024-03"}
    expected = {}
    for cell in sorted(set(old) | set(new)):
        if cell[0] not in months:
            continue
        a, b = values(old.get(cell)), values(new.get(cell))
        for metric in ("incidents", "arrests", "arrest_rate"):
            if a[metric] != b[metric]:
                expected[(*cell, metric)] = (a[metric], b[metric])
    assert len(expected) > 100  # the 50 revisions move many figures
    got_rows = read_csv(rel.cfg.root / "releases" / "2024-04" / "data" / "revisions.csv")
    got = {
        (r["month"], r["level"], r["key"], r["crime_type"], r["metric"]): (r["old"], r["new"])
        for r in got_rows
        if r["crime_type"] not in CATEGORIES
    }
    assert got == expected
    assert {r["month"] for r in got_rows} <= months  # April is new, not a revision

    # records behind each figure: the revised records whose old and new versions count
    # differently there
    olds = {r["id"]: r for r in rel.first}
    behind: dict[tuple[str, ...], int] = defaultdict(int)
    for r in rel.revised:
        o, n = cells([olds[r["id"]]]), cells([r])
        for cell in set(o) | set(n):
            a, b = o.get(cell, [0, 0]), n.get(cell, [0, 0])
            behind[(*cell, "incidents")] += a[0] != b[0]
            behind[(*cell, "arrests")] += a[1] != b[1]
            behind[(*cell, "arrest_rate")] += a != b
    for r in got_rows:
        key = (r["month"], r["level"], r["key"], r["crime_type"], r["metric"])
        if r["crime_type"] not in CATEGORIES:
            assert int(r["records_changed"]) == behind[key], key
    city = [r for r in got_rows if r["level"] == "city" and r["crime_type"] == "ALL"]
    assert {r["metric"] for r in city} == {"arrests", "arrest_rate"}  # types moved, not counts


def test_manifest_digests_match_the_files(two: tuple[Releases, dict[str, Any]]) -> None:
    rel, _ = two
    folder = rel.cfg.root / "releases" / "2024-04"
    doc = read_manifest(folder)
    assert verify(folder) == []
    files = tree_digests(folder)
    del files["manifest.json"]
    assert doc["files"] == files
    assert "data/figures.csv" in files and "data/revisions.csv" in files
    assert doc["previous"] == "2024-03" and doc["code_version"]["safer77"]
    assert doc["load_log"][-1]["loaded"] == N2 and doc["coverage"]


def test_release_one_is_unchanged_on_disk(two: tuple[Releases, dict[str, Any]]) -> None:
    rel, out = two
    assert tree_digests(rel.cfg.root / "releases" / "2024-03") == out["before"]


def test_area_pages_mark_revised_months_and_the_archive_lists_both(
    two: tuple[Releases, dict[str, Any]],
) -> None:
    rel, _ = two
    root = rel.cfg.root / "releases"
    rows = read_csv(root / "2024-04" / "data" / "revisions.csv")
    area = next(r for r in rows if r["level"] == "community-area")
    page = next((root / "2024-04" / "areas").glob(f"{area['key']}-*.html")).read_text()
    assert "Revised since first published:" in page and area["month"] in page
    index = (root / "index.html").read_text()
    assert "2024-03/index.html" in index and "2024-04/index.html" in index
    feed = (root / "feed.xml").read_text()
    assert feed.count("<entry>") == 2
    assert "first release" in feed and "figures of the 2024-03 release revised" in feed
    methodology = (root / "2024-04" / "methodology.html").read_text()
    assert "id='revisions'" in methodology


def test_same_month_again_without_new_data_changes_nothing(
    two: tuple[Releases, dict[str, Any]],
) -> None:
    rel, _ = two
    folder = rel.cfg.root / "releases" / "2024-04"
    before = tree_digests(folder)
    link = os.readlink(folder)
    again = rel.release("2024-04")
    assert again.status == "unchanged" and again.rows_fetched == 0
    assert tree_digests(folder) == before and os.readlink(folder) == link


@pytest.mark.slow
def test_sigkill_during_the_site_build_keeps_release_one(tmp_path: Path) -> None:
    with running_portal() as portal:
        first = month1()
        portal.serve(first)
        cfg = config(tmp_path, portal)
        run_release(cfg, month="2024-03")
        r1 = cfg.root / "releases" / "2024-03"
        before = tree_digests(r1)
        portal.serve(month2_new())
        portal.serve(revised_rows(first))
        args = [sys.executable, "-m", "safer77", "release", "--month", "2024-04",
                "--root", str(cfg.root), "--db", str(cfg.db), "--base-url", portal.url]  # fmt: skip
        env = dict(os.environ, SAFER77_RELEASE_TEST="1")
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        builds = cfg.root / "releases" / ".builds"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            tmp = [p for p in builds.iterdir() if p.name.startswith(".tmp-2024-04")]
            if tmp and (tmp[0] / "areas").is_dir():  # the site build is under way
                break
            time.sleep(0.01)
        assert proc.poll() is None, "release finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        assert os.readlink(cfg.root / "current") == "releases/2024-03"
        assert not (cfg.root / "releases" / "2024-04").exists()
        assert tree_digests(r1) == before
        assert verify(r1) == []

        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().startswith("release 2024-04: published")
        assert os.readlink(cfg.root / "current") == "releases/2024-04"
        assert verify(cfg.root / "releases" / "2024-04") == []
        assert not [p for p in builds.iterdir() if p.name.startswith(".tmp-")]
        assert tree_digests(r1) == before
        revised = read_csv(cfg.root / "releases" / "2024-04" / "data" / "revisions.csv")
        assert revised and json.loads((cfg.root / "releases" / "history.json").read_text())
