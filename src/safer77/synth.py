"""A synthetic city's crimes in the Chicago portal's CSV schema: seeded, fast, written in chunks.

Columns are built with numpy, one chunk at a time, and streamed as Arrow record batches into a
single DuckDB ``COPY ... TO`` that formats dates, pads codes and quotes only where a field needs
it (the Location field, and descriptions with a comma). Same seed and ``chunk_rows`` give a
byte-identical file.

The mix of crime types, descriptions, arrest and domestic rates, the hour-of-day profile and the
places follow the portal's own data for 2022 (shared/data/crimes), rounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Final

import duckdb
import numpy as np
import pyarrow as pa

from safer77.errors import InvalidInput
from safer77.geo.projection import ILLINOIS_EAST, WGS84, transformer
from safer77.schema import PORTAL_CSV_HEADER
from safer77.sources.synthetic import write_manifest
from safer77.synth_geo import (
    FEET_PER_ADDRESS,
    FloatArray,
    IntArray,
    SynthCity,
    nearest_site,
    nearest_street,
    sample_in_polygon,
    street_tables,
    synth_geography,
    write_boundaries,
)

__all__ = ["SynthCity", "SynthResult", "synth_crimes", "synth_geography", "write_boundaries"]

#: Location descriptions (the portal's current spelling) and their weights per place profile.
_PLACES: Final[tuple[str, ...]] = (
    "STREET", "APARTMENT", "RESIDENCE", "SIDEWALK", "PARKING LOT / GARAGE (NON RESIDENTIAL)",
    "SMALL RETAIL STORE", "ALLEY", "RESTAURANT", "OTHER (SPECIFY)", "DEPARTMENT STORE",
    "COMMERCIAL / BUSINESS OFFICE", "VEHICLE NON-COMMERCIAL", "GAS STATION",
    "RESIDENCE - PORCH / HALLWAY", "RESIDENCE - GARAGE", "RESIDENCE - YARD (FRONT / BACK)",
    "GROCERY FOOD STORE", "PARK PROPERTY", "SCHOOL - PUBLIC BUILDING", "BAR OR TAVERN",
    "CTA TRAIN", "HOSPITAL BUILDING / GROUNDS", "CONVENIENCE STORE", "DRUG STORE",
)  # fmt: skip
_PROFILES: Final[dict[str, tuple[float, ...]]] = {
    "S": (55, 2, 2, 9, 14, 0, 8, 0, 1, 0, 0, 5, 4, 0, 4, 1, 0, 1, 0, 0, 1, 0, 0, 0),
    "H": (4, 42, 33, 1, 0, 0, 1, 0, 3, 0, 0, 0, 0, 8, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0),
    "R": (10, 1, 1, 3, 6, 20, 0, 10, 2, 14, 9, 0, 4, 0, 0, 0, 8, 0, 2, 4, 0, 2, 4, 6),
    "P": (32, 8, 7, 18, 5, 3, 4, 4, 3, 2, 2, 2, 1, 2, 0, 1, 1, 3, 3, 2, 2, 2, 1, 1),
}
#: Share of incidents by hour of day (portal 2022; midnight holds the "time unknown" ones).
_HOURS: Final[tuple[float, ...]] = (
    8.5, 3.2, 2.9, 2.4, 2.0, 1.7, 1.8, 2.6, 3.4, 4.2, 4.2, 4.3,
    5.6, 4.4, 4.6, 5.2, 5.1, 5.3, 5.2, 5.2, 5.0, 4.7, 4.5, 4.0,
)  # fmt: skip
_FIRST_ID: Final = 12_900_000
_DATE_FMT: Final = "%m/%d/%Y %I:%M:%S %p"


@dataclass(frozen=True)
class SynthResult:
    """What :func:`synth_crimes` wrote."""

    rows: int
    path: Path
    seconds: float


@dataclass(frozen=True)
class _Offenses:
    ptype: tuple[str, ...]
    iucr: tuple[str, ...]
    description: tuple[str, ...]
    fbi: tuple[str, ...]
    share: FloatArray  # of all incidents, sums to 1
    lean: FloatArray
    arrest: FloatArray
    domestic: FloatArray
    profile: IntArray  # index into _PROFILES


def offense_table() -> _Offenses:
    """The offense catalogue as arrays, one entry per IUCR code."""
    types: dict[str, list[float]] = {}
    rows: list[tuple[str, list[str]]] = []
    text = resources.files("safer77").joinpath("data", "offenses.psv").read_text("utf-8")
    for line in (ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")):
        if line.startswith("= "):
            ptype, *numbers = line[2:].split("|")
            types[ptype] = [float(v) for v in numbers] + [0.0]  # + total weight, below
        else:
            rows.append((ptype, line.split("|")))
            types[ptype][3] += float(rows[-1][1][3])
    total = sum(t[0] for t in types.values())
    profiles = list(_PROFILES)
    return _Offenses(
        ptype=tuple(t for t, _ in rows),
        iucr=tuple(r[0] for _, r in rows),
        description=tuple(r[1] for _, r in rows),
        fbi=tuple(r[2] for _, r in rows),
        share=np.array([types[t][0] / total * float(r[3]) / types[t][3] for t, r in rows]),
        arrest=np.array([types[t][1] for t, _ in rows]),
        lean=np.array([types[t][2] for t, _ in rows]),
        domestic=np.array([float(r[4]) for _, r in rows]),
        profile=np.array([profiles.index(r[5]) for _, r in rows], dtype=np.int64),
    )


def _months_later(start: date, months: int) -> date:
    m = start.month - 1 + months
    return date(start.year + m // 12, m % 12 + 1, 1) + timedelta(days=start.day - 1)


def _case_prefix(year: int, block: int) -> str:
    """Case-number letters: JA for 2017 … JG for 2023 (HY/HZ before); ``block`` > 0 when a
    year needs more than a million numbers, which moves the first letter on (KG, LG, …)."""
    if year >= 2017:
        first, second = ord("J") + block, ord("A") + min(year - 2017, 25)
    else:
        first, second = ord("H") + block, ord("Z") - min(2016 - year, 25)
    return chr(min(first, ord("Z"))) + chr(second)


def _dict(indices: IntArray, values: tuple[str, ...] | list[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), pa.array(values))


class _Generator:
    """Everything that is fixed for a run, and the chunk builder."""

    def __init__(self, city: SynthCity, seed: int, start: date, months: int) -> None:
        self.city, self.seed = city, seed
        self.off = offense_table()
        land = np.array([g.area for g in city.area_sp])
        p_area = np.sqrt(land) * city.area_weight  # small inner areas are the denser ones
        self.p_area = p_area / p_area.sum()
        lean = np.exp(0.8 * np.outer(city.area_violence - 0.5, self.off.lean))
        base = self.off.share.copy()
        for _ in range(8):  # rescale so the citywide mix stays on target whatever the seed
            p_off = base[None, :] * lean
            p_off /= p_off.sum(1, keepdims=True)
            base *= self.off.share / (self.p_area @ p_off)
        self.cum_off = np.cumsum(p_off, axis=1)
        self.day0 = np.datetime64(start, "D")
        days = np.arange(self.day0, np.datetime64(_months_later(start, months), "D"))
        doy = (days - days.astype("datetime64[Y]")).astype(np.int64)
        weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        w = (1 + 0.18 * np.cos(2 * np.pi * (doy - 196) / 365.25)) * np.array(
            [1.0, 0.98, 0.99, 0.99, 1.04, 1.03, 0.97]
        )[weekday]
        self.cum_day = np.cumsum(w / w.sum())
        self.cum_hour = np.cumsum(np.array(_HOURS) / sum(_HOURS))
        prof = np.array(list(_PROFILES.values()), dtype=np.float64)
        self.cum_place = np.cumsum(prof / prof.sum(1, keepdims=True), axis=1)
        self.streets = street_tables()
        self.street_names = sorted({n for _, names in self.streets.values() for n in names})
        self.street_ix = {
            k: np.array([self.street_names.index(n) for n in names], dtype=np.int64)
            for k, (_, names) in self.streets.items()
        }
        self.next_id = _FIRST_ID
        self.case_count: dict[int, int] = {}

    def chunk(self, index: int, n: int) -> pa.RecordBatch:
        city, off = self.city, self.off
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 0xC41, index]))
        counts = rng.multinomial(n, self.p_area)
        lon, lat = np.empty(n), np.empty(n)
        offense = np.empty(n, np.int64)
        area = np.repeat(np.arange(len(counts)), counts)
        bounds = np.concatenate([[0], np.cumsum(counts)])
        for a in np.flatnonzero(counts):
            s, e = bounds[a], bounds[a + 1]
            pts = sample_in_polygon(city.area_ll[a], int(counts[a]), rng, decimals=9)
            lon[s:e], lat[s:e] = pts[:, 0], pts[:, 1]
            offense[s:e] = np.searchsorted(self.cum_off[a], rng.random(e - s), side="right")
        np.minimum(offense, len(off.iucr) - 1, out=offense)  # float round-off at the top end
        # A Transformer per chunk, made on the thread that uses it: pyproj objects must not
        # cross threads (called from DuckDB's threads, pyproj crashes the process).
        x, y = transformer(WGS84, ILLINOIS_EAST).transform(lon, lat)
        beat, ward = np.empty(n, np.int64), np.empty(n, np.int64)
        for a in np.flatnonzero(counts):
            s, e = bounds[a], bounds[a + 1]
            beat[s:e] = nearest_site(x[s:e], y[s:e], city.beat_site, city.area_beats[a])
            ward[s:e] = nearest_site(x[s:e], y[s:e], city.ward_site, city.area_wards[a])
        perm = rng.permutation(n)
        lon, lat, x, y = lon[perm], lat[perm], x[perm], y[perm]
        area, offense, beat, ward = area[perm], offense[perm], beat[perm], ward[perm]

        day = np.searchsorted(self.cum_day, rng.random(n), side="right")
        hour = np.searchsorted(self.cum_hour, rng.random(n), side="right")
        u = rng.random(n)
        minute = np.select(
            [u < 0.30, u < 0.42, u < 0.46, u < 0.50], [0, 30, 15, 45], rng.integers(0, 60, n)
        )
        when = (self.day0 + day).astype("datetime64[s]") + (hour * 3600 + minute * 60)
        updated = when + rng.integers(86_400, 8 * 86_400, n)
        year = when.astype("datetime64[Y]").astype(np.int64) + 1970
        arrest = rng.random(n) < off.arrest[offense]
        domestic = rng.random(n) < off.domestic[offense]
        profile = np.where(domestic, list(_PROFILES).index("H"), off.profile[offense])
        place = np.empty(n, np.int64)
        u = rng.random(n)
        for p in range(len(_PROFILES)):
            m = profile == p
            place[m] = np.searchsorted(self.cum_place[p], u[m], side="right")
        np.minimum(place, len(_PLACES) - 1, out=place)

        # Block: a hundred-block on an east-west or a north-south street, from the grid.
        xa = (x - self.city.origin_xy[0]) / FEET_PER_ADDRESS
        ya = (y - self.city.origin_xy[1]) / FEET_PER_ADDRESS
        ew = rng.random(n) < 0.5
        hundreds = (np.where(ew, np.abs(xa), np.abs(ya)) // 100).astype(np.int64)
        direction = np.where(ew, np.where(xa < 0, 0, 1), np.where(ya < 0, 2, 3))  # W E S N
        street = np.empty(n, np.int64)
        for key, m in (
            ("ew_north", ew & (ya >= 0)),
            ("ew_south", ew & (ya < 0)),
            ("ns_west", ~ew & (xa < 0)),
            ("ns_east", ~ew & (xa >= 0)),
        ):
            addr = np.abs(ya[m] if key.startswith("ew") else xa[m])
            street[m] = self.street_ix[key][nearest_street(addr, self.streets[key])]

        ids = self.next_id + np.cumsum(rng.integers(1, 4, n))
        self.next_id = int(ids[-1]) if n else self.next_id
        case_key = np.empty(n, np.int64)
        prefixes: list[str] = []
        digits = np.empty(n, np.int64)
        for yr in np.unique(year).tolist():
            m = year == yr
            k = self.case_count.get(yr, 0) + np.arange(int(m.sum()))
            self.case_count[yr] = int(k[-1]) + 1
            block = k // 1_000_000
            digits[m] = (k % 1_000_000 * 7919 + 104_729) % 1_000_000  # a bijection mod 10**6
            for b in np.unique(block).tolist():
                mm = np.flatnonzero(m)[block == b]
                case_key[mm] = len(prefixes)
                prefixes.append(_case_prefix(yr, b))

        return pa.record_batch(
            {
                "id": ids,
                "case_prefix": _dict(case_key, prefixes),
                "case_digits": digits,
                "ts": pa.array(when),
                "block_h": hundreds,
                "block_dir": _dict(direction, ["W", "E", "S", "N"]),
                "block_street": _dict(street, self.street_names),
                "iucr": _dict(offense, off.iucr),
                "ptype": _dict(offense, off.ptype),
                "descr": _dict(offense, off.description),
                "place": _dict(place, _PLACES),
                "arrest": arrest,
                "domestic": domestic,
                "beat": city.beat_number[beat],
                "district": city.beat_district[beat],
                "ward": city.ward_number[ward],
                "area": city.area_number[area],
                "fbi": _dict(offense, off.fbi),
                "x": np.rint(x).astype(np.int64),
                "y": np.rint(y).astype(np.int64),
                "year": year,
                "updated": pa.array(updated),
                "lat": lat,
                "lon": lon,
            }
        )


#: One SQL expression per portal column, in the portal's order.
_COLUMNS: Final[tuple[str, ...]] = (
    "id",
    "case_prefix::VARCHAR || lpad(case_digits::VARCHAR, 6, '0')",
    f"strftime(ts, '{_DATE_FMT}')",
    "CASE WHEN block_h = 0 THEN '0000X' ELSE lpad(block_h::VARCHAR, 3, '0') || 'XX' END"
    " || ' ' || block_dir::VARCHAR || ' ' || block_street::VARCHAR",
    "iucr",
    "ptype",
    "descr",
    "place",
    "arrest",
    "domestic",
    "lpad(beat::VARCHAR, 4, '0')",
    "lpad(district::VARCHAR, 3, '0')",
    "ward",
    "area",
    "fbi",
    "x",
    "y",
    "year",
    f"strftime(updated, '{_DATE_FMT}')",
    "lat::DECIMAL(11, 9)",
    "lon::DECIMAL(12, 9)",
    "'(' || lat::DECIMAL(11, 9)::VARCHAR || ', ' || lon::DECIMAL(12, 9)::VARCHAR || ')'",
)


def synth_crimes(
    *,
    rows: int,
    seed: int,
    out: Path,
    start: date = date(2023, 1, 1),
    months: int = 24,
    city: SynthCity | None = None,
    chunk_rows: int = 1_000_000,
    on_progress: Callable[[int], None] | None = None,
) -> SynthResult:
    """Write ``rows`` synthetic incidents in the portal's CSV schema to ``out``, and beside it
    the manifest that marks it synthetic (``<out>.synthetic.json``, see
    :mod:`safer77.sources.synthetic`).

    Parameters
    ----------
    rows, seed
        How many incidents, and the seed; the same arguments give a byte-identical file.
    out
        ``.csv`` or ``.csv.gz`` (gzip-compressed by suffix).
    start, months
        The period: from ``start`` (included) to ``months`` months later (excluded).
    city
        The geography; by default ``synth_geography(seed)``, so boundaries written with the
        same seed match the incidents.
    chunk_rows
        Rows generated at a time (memory is roughly 300 bytes x chunk_rows).
    on_progress
        Called with the number of rows generated so far after each chunk.
    """
    if rows < 0 or chunk_rows < 1 or months < 1:
        raise InvalidInput("rows must be >= 0, chunk_rows >= 1 and months >= 1")
    name = out.name.lower()
    if not (name.endswith(".csv") or name.endswith(".csv.gz")):
        raise InvalidInput(f"{out}: the output must end in .csv or .csv.gz")
    t0 = time.perf_counter()
    gen = _Generator(city or synth_geography(seed), seed, start, months)
    sizes = [min(chunk_rows, rows - i) for i in range(0, rows, chunk_rows)] or [0]
    select = ", ".join(
        f'{expr} AS "{col}"' for expr, col in zip(_COLUMNS, PORTAL_CSV_HEADER, strict=True)
    )
    options = "HEADER, DELIMITER ','" + (", COMPRESSION gzip" if name.endswith(".gz") else "")
    part = out.with_name(f".{out.name}.part")  # renamed into place only when complete
    target = str(part).replace("'", "''")
    out.parent.mkdir(parents=True, exist_ok=True)
    failure: list[BaseException] = []

    # Chunks are built on one worker thread of ours, one ahead of DuckDB's writer: pyproj
    # crashes when called from DuckDB's own threads, and the overlap uses the second core.
    with ThreadPoolExecutor(max_workers=1) as pool:
        ahead = pool.submit(gen.chunk, 0, sizes[0])
        schema = ahead.result().schema

        def batches() -> Iterator[pa.RecordBatch]:
            nonlocal ahead
            done = 0
            for i in range(len(sizes)):
                try:
                    batch = ahead.result()
                except BaseException as exc:  # DuckDB would reduce it to a message
                    failure.append(exc)
                    raise
                if i + 1 < len(sizes):
                    ahead = pool.submit(gen.chunk, i + 1, sizes[i + 1])
                done += batch.num_rows
                if batch.num_rows:
                    yield batch
                if on_progress is not None:
                    on_progress(done)

        con = duckdb.connect()
        try:
            con.register("chunks", pa.RecordBatchReader.from_batches(schema, batches()))
            con.execute(f"COPY (SELECT {select} FROM chunks) TO '{target}' ({options})")
        except BaseException as exc:
            part.unlink(missing_ok=True)
            if failure and isinstance(exc, duckdb.Error):
                raise failure[0] from None
            raise
        finally:
            con.close()
    # The mark goes down first, so the file never exists without it (see sources.synthetic).
    write_manifest(part, seed=seed, rows=rows, target=out)
    part.replace(out)
    return SynthResult(rows=rows, path=out, seconds=time.perf_counter() - t0)
