"""Geography of the synthetic city: Chicago's 77 real community areas, synthetic police beats.

The community areas come from the shapefile bundled with libpysal (NAD83 Illinois East State
Plane, US feet, EPSG:3435; it ships without a ``.prj``). Beats are Voronoi cells of seeded points
clipped to the city outline, grouped into the 22 real district numbers by k-means on the cells'
generators; wards are a coarser Voronoi layer of 50 cells. Everything is deterministic per seed.

Because beats and wards are Voronoi cells, "which beat is this point in" is "which generator is
nearest", which :func:`nearest_site` answers with arrays instead of polygon tests.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapefile
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape

from safer77.errors import NotFound
from safer77.geo.projection import ILLINOIS_EAST, WGS84, transformer

#: The 22 district numbers in use since the 2012 consolidation.
REAL_DISTRICTS: Final[tuple[int, ...]] = (*range(1, 13), *range(14, 21), 22, 24, 25)
N_BEATS: Final = 275
N_WARDS: Final = 50
#: State & Madison, origin of Chicago's address grid (lon, lat).
GRID_ORIGIN_LONLAT: Final = (-87.627800, 41.882000)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
GeomArray = npt.NDArray[np.object_]


@dataclass(frozen=True, eq=False)
class SynthCity:
    """A seeded city: real community areas, synthetic beats, districts and wards.

    Polygons are numpy object arrays of shapely geometries, in State Plane feet (``*_sp``) and
    WGS84 lon/lat (``*_ll``). ``area_*`` arrays are ordered by community-area number (1..77).
    """

    seed: int
    area_number: IntArray
    area_name: tuple[str, ...]
    area_sp: GeomArray
    area_ll: GeomArray
    #: Relative incident intensity per unit of land (seeded lognormal: some areas 5-40x others).
    area_weight: FloatArray
    #: 0..1, how much the area's mix leans towards violent crime.
    area_violence: FloatArray
    city_sp: Any
    beat_number: IntArray
    beat_district: IntArray
    beat_site: FloatArray  # (n, 2) Voronoi generators, State Plane feet
    beat_sp: GeomArray
    beat_ll: GeomArray
    district_number: IntArray
    district_sp: GeomArray
    district_ll: GeomArray
    ward_number: IntArray
    ward_site: FloatArray
    ward_sp: GeomArray
    ward_ll: GeomArray
    #: Per community area: indices of the beats / wards whose cell touches it.
    area_beats: tuple[IntArray, ...]
    area_wards: tuple[IntArray, ...]
    #: Address-grid origin (State & Madison) in State Plane feet.
    origin_xy: tuple[float, float]


def shapefile_path() -> Path:
    """Path of libpysal's bundled ``Chicago77.shp``."""
    spec = find_spec("libpysal")  # locates the package without importing it (slow: scipy)
    roots = list(spec.submodule_search_locations or []) if spec else []
    path = Path(roots[0] if roots else ".") / "examples" / "chicago" / "Chicago77.shp"
    if not roots or not path.exists():
        raise NotFound(f"{path} is missing: reinstall libpysal (pip install libpysal)")
    return path


def _to_lonlat(geoms: GeomArray, tr: Transformer) -> GeomArray:
    def fn(c: FloatArray) -> FloatArray:
        lon, lat = tr.transform(c[:, 0], c[:, 1])
        return np.column_stack([lon, lat])

    return np.asarray(shapely.transform(geoms, fn), dtype=object)


def _polygonal(g: Any) -> Any:
    """Drop the points and lines a clip can leave next to the polygons."""
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def sample_in_polygon(
    poly: Any, n: int, rng: np.random.Generator, decimals: int | None = None
) -> FloatArray:
    """``n`` points uniform in ``poly`` by vectorised rejection sampling, shape (n, 2).

    With ``decimals`` the coordinates are rounded before the inside test, so the rounded points
    (the ones written out) are the ones guaranteed to be inside.
    """
    out = np.empty((n, 2))
    if n == 0:
        return out
    shapely.prepare(poly)
    x0, y0, x1, y1 = poly.bounds
    accept = max(poly.area / ((x1 - x0) * (y1 - y0)), 0.05)
    done = 0
    while done < n:
        k = int((n - done) / accept * 1.1) + 16
        x = x0 + (x1 - x0) * rng.random(k)
        y = y0 + (y1 - y0) * rng.random(k)
        if decimals is not None:
            x, y = np.round(x, decimals), np.round(y, decimals)
        keep = shapely.contains_xy(poly, x, y)
        take = min(int(keep.sum()), n - done)
        out[done : done + take, 0] = x[keep][:take]
        out[done : done + take, 1] = y[keep][:take]
        done += take
    return out


def nearest_site(x: FloatArray, y: FloatArray, sites: FloatArray, candidates: IntArray) -> IntArray:
    """Index (into ``sites``) of the nearest site among ``candidates`` for each point."""
    best = np.full(len(x), candidates[0], dtype=np.int64)
    best_d = np.full(len(x), np.inf)
    for c in candidates:
        d = (x - sites[c, 0]) ** 2 + (y - sites[c, 1]) ** 2
        closer = d < best_d
        best[closer] = c
        best_d = np.minimum(best_d, d)
    return best


def _voronoi(city: Any, sites: FloatArray, relax: int) -> tuple[FloatArray, GeomArray]:
    """Voronoi cells of ``sites`` clipped to ``city``, after ``relax`` Lloyd iterations."""
    box = shapely.box(*city.bounds).buffer(5000)
    for it in range(relax + 1):
        cells = shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=box, ordered=True)
        )
        clipped = np.array([_polygonal(c) for c in shapely.intersection(cells, city)], object)
        if it == relax:
            return sites, clipped
        centre = shapely.centroid(clipped)
        inside = shapely.contains(city, centre)
        centre = np.where(inside, centre, shapely.point_on_surface(clipped))
        sites = shapely.get_coordinates(centre)
    raise AssertionError("unreachable")


def _districts_kmeans(pts: FloatArray, k: int, rng: np.random.Generator) -> IntArray:
    """Seeded k-means (k-means++ start) with a size bias, so clusters hold similar counts.

    The bias per cluster is raised while the cluster is small and lowered while it is large
    (a power diagram), which keeps clusters compact, unlike swapping points one by one.
    """
    centres = [pts[rng.integers(len(pts))]]
    for _ in range(1, k):
        d = np.min([((pts - c) ** 2).sum(1) for c in centres], axis=0)
        centres.append(pts[rng.choice(len(pts), p=d / d.sum())])
    cen = np.array(centres)
    target = len(pts) / k
    bias = np.zeros(k)
    scale = 0.0
    labels = np.zeros(len(pts), dtype=np.int64)
    for it in range(460):
        d = ((pts[:, None, :] - cen[None, :, :]) ** 2).sum(2)
        if it == 60:  # plain k-means first, then balance
            scale = float(np.median(d.min(1)))
        labels = (d - bias).argmin(1)
        sizes = np.bincount(labels, minlength=k)
        if it >= 60:
            bias += 0.05 * scale * (target - sizes) / target
        for j in range(k):
            cen[j] = pts[labels == j].mean(0) if sizes[j] else pts[d[:, j].argmin()]
    return labels


def _adjacency(cells: GeomArray) -> list[list[int]]:
    """Neighbours of each cell: cells sharing a stretch of border (not just a corner)."""
    a, b = shapely.STRtree(cells).query(cells, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(cells[a]), shapely.boundary(cells[b]))
    )
    adj: list[list[int]] = [[] for _ in range(len(cells))]
    for i, j in zip(a[shared > 1.0].tolist(), b[shared > 1.0].tolist(), strict=True):
        adj[i].append(j)
        adj[j].append(i)
    return adj


def _make_contiguous(labels: IntArray, adj: list[list[int]]) -> IntArray:
    """Give each detached group of a cluster to the neighbouring cluster it borders most."""
    labels = labels.copy()
    changed = True
    while changed:
        changed = False
        for j in np.unique(labels).tolist():
            todo = set(np.flatnonzero(labels == j).tolist())
            comps: list[list[int]] = []
            while todo:
                stack = [min(todo)]
                todo.discard(stack[0])
                comp = []
                while stack:
                    i = stack.pop()
                    comp.append(i)
                    for n in adj[i]:
                        if n in todo:
                            todo.discard(n)
                            stack.append(n)
                comps.append(sorted(comp))
            comps.sort(key=lambda c: (-len(c), c[0]))
            for comp in comps[1:]:
                votes = Counter(int(labels[n]) for i in comp for n in adj[i] if labels[n] != j)
                if votes:
                    labels[comp] = max(votes, key=lambda lab: (votes[lab], -lab))
                    changed = True
    return labels


def _bearing_order(xy: FloatArray, origin: tuple[float, float]) -> IntArray:
    """Order by bearing from the Loop, from south-east through south, west to north.

    Roughly how Chicago's districts are numbered (2-9 south, 10-16 west, 17-25 north).
    """
    theta = np.arctan2(-(xy[:, 0] - origin[0]), -(xy[:, 1] - origin[1]))
    return np.argsort(theta, kind="stable")


def _read_areas() -> tuple[IntArray, tuple[str, ...], GeomArray]:
    reader = shapefile.Reader(str(shapefile_path()))
    try:
        names = [f[0] for f in reader.fields[1:]]
        i_num, i_name = names.index("AREA_NUMBE"), names.index("COMMUNITY")
        rows = [
            (int(rec[i_num]), str(rec[i_name]).strip(), shape(shp.__geo_interface__))
            for rec, shp in zip(reader.records(), reader.shapes(), strict=True)
        ]
    finally:
        reader.close()
    rows.sort(key=lambda r: r[0])
    polys = np.array([shapely.make_valid(r[2]) for r in rows], dtype=object)
    return np.array([r[0] for r in rows], np.int64), tuple(r[1] for r in rows), polys


def synth_geography(seed: int = 77) -> SynthCity:
    """Build the synthetic city for ``seed``: real community areas, seeded beats and wards."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x6E0]))
    to_ll = transformer(ILLINOIS_EAST, WGS84)
    to_sp = transformer(WGS84, ILLINOIS_EAST)
    origin = tuple(float(v) for v in to_sp.transform(*GRID_ORIGIN_LONLAT))
    origin_xy = (origin[0], origin[1])

    number, name, area_sp = _read_areas()
    city = shapely.union_all(area_sp)
    land = shapely.area(area_sp)
    weight = np.exp(rng.normal(0.0, 0.7, len(number)))
    violence = 1.0 / (1.0 + np.exp(-(np.log(weight) + rng.normal(0.0, 0.5, len(number)))))

    # Busier areas get smaller beats, as in the real map: sites ~ land x sqrt(intensity).
    p = land * np.sqrt(weight)
    counts = rng.multinomial(N_BEATS, p / p.sum())
    sites0 = np.vstack(
        [sample_in_polygon(a, int(c), rng) for a, c in zip(area_sp, counts, strict=True)]
    )
    beat_site, beat_sp = _voronoi(city, sites0, relax=2)

    labels = _make_contiguous(
        _districts_kmeans(beat_site, len(REAL_DISTRICTS), rng), _adjacency(beat_sp)
    )
    centres = np.array([beat_site[labels == j].mean(0) for j in range(len(REAL_DISTRICTS))])
    dist_to_loop = np.hypot(centres[:, 0] - origin_xy[0], centres[:, 1] - origin_xy[1])
    first = int(dist_to_loop.argmin())
    order = [first, *(j for j in _bearing_order(centres, origin_xy) if j != first)]
    district_of_label = {int(j): REAL_DISTRICTS[i] for i, j in enumerate(order)}
    beat_district = np.array([district_of_label[int(j)] for j in labels], np.int64)

    beat_number = np.zeros(N_BEATS, np.int64)
    for d in REAL_DISTRICTS:
        idx = np.flatnonzero(beat_district == d)
        if len(idx) > 45:  # beat numbers have one digit each for sector and beat
            raise AssertionError(f"district {d} has {len(idx)} beats; try another seed")
        c = beat_site[idx].mean(0)
        ring = idx[np.argsort(np.arctan2(beat_site[idx, 1] - c[1], beat_site[idx, 0] - c[0]))]
        for s, sector in enumerate(np.array_split(ring, math.ceil(len(idx) / 5)), start=1):
            beat_number[sector] = d * 100 + s * 10 + np.arange(1, len(sector) + 1)
    district_number = np.array(REAL_DISTRICTS, np.int64)
    district_sp = np.array(
        [shapely.union_all(beat_sp[beat_district == d]) for d in REAL_DISTRICTS], object
    )

    wp = rng.multinomial(N_WARDS, land / land.sum())
    wsites = np.vstack(
        [sample_in_polygon(a, int(c), rng) for a, c in zip(area_sp, wp, strict=True)]
    )
    ward_site, ward_sp = _voronoi(city, wsites, relax=4)
    worder = _bearing_order(ward_site, origin_xy)
    ward_site, ward_sp = ward_site[worder], ward_sp[worder]
    ward_number = np.arange(1, N_WARDS + 1, dtype=np.int64)

    # A buffer makes the candidate lists supersets despite rounding at cell edges.
    grown = shapely.buffer(area_sp, 200.0)
    beat_tree, ward_tree = shapely.STRtree(beat_sp), shapely.STRtree(ward_sp)
    area_beats = tuple(np.sort(beat_tree.query(g, predicate="intersects")) for g in grown)
    area_wards = tuple(np.sort(ward_tree.query(g, predicate="intersects")) for g in grown)

    return SynthCity(
        seed=seed,
        area_number=number,
        area_name=name,
        area_sp=area_sp,
        area_ll=_to_lonlat(area_sp, to_ll),
        area_weight=weight,
        area_violence=violence,
        city_sp=city,
        beat_number=beat_number,
        beat_district=beat_district,
        beat_site=beat_site,
        beat_sp=beat_sp,
        beat_ll=_to_lonlat(beat_sp, to_ll),
        district_number=district_number,
        district_sp=district_sp,
        district_ll=_to_lonlat(district_sp, to_ll),
        ward_number=ward_number,
        ward_site=ward_site,
        ward_sp=ward_sp,
        ward_ll=_to_lonlat(ward_sp, to_ll),
        area_beats=tuple(a.astype(np.int64) for a in area_beats),
        area_wards=tuple(a.astype(np.int64) for a in area_wards),
        origin_xy=origin_xy,
    )


def ordinal(n: int) -> str:
    """1 → "1ST", 22 → "22ND", 113 → "113TH" (the portal's district labels and street names)."""
    suffix = "TH" if 10 <= n % 100 <= 20 else {1: "ST", 2: "ND", 3: "RD"}.get(n % 10, "TH")
    return f"{n}{suffix}"


def _collection(features: list[dict[str, Any]]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))


def write_boundaries(city: SynthCity, folder: Path) -> dict[str, Path]:
    """Write the city's boundaries as GeoJSON (EPSG:4326) with the portal's property names.

    Returns ``{"community_areas": path, "districts": ..., "beats": ..., "wards": ...}``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    area_props = [
        {"area_numbe": str(n), "community": nm}
        for n, nm in zip(city.area_number, city.area_name, strict=True)
    ]
    beat_props = [
        {"beat_num": f"{b:04d}", "district": str(d), "sector": str(b // 10 % 10)}
        for b, d in zip(city.beat_number, city.beat_district, strict=True)
    ]
    district_props = [
        {"dist_num": str(d), "dist_label": ordinal(int(d))} for d in city.district_number
    ]
    layers: dict[str, tuple[list[dict[str, str]], GeomArray]] = {
        "community_areas": (area_props, city.area_ll),
        "districts": (district_props, city.district_ll),
        "beats": (beat_props, city.beat_ll),
        "wards": ([{"ward": str(w)} for w in city.ward_number], city.ward_ll),
    }
    paths: dict[str, Path] = {}
    for kind, (props, geoms) in layers.items():
        features = [
            {"type": "Feature", "properties": p, "geometry": mapping(g)}
            for p, g in zip(props, geoms, strict=True)
        ]
        path = folder / f"{kind}.geojson"
        path.write_text(_collection(features), encoding="utf-8")
        paths[kind] = path
    return paths


# --- Address grid ------------------------------------------------------------------------------
# Chicago numbers 800 addresses to the mile from State (x) and Madison (y): 100 = 660 ft.
FEET_PER_ADDRESS: Final = 5280 / 800
_NS_WEST: Final = (
    "0 STATE ST|36 DEARBORN ST|100 CLARK ST|140 LA SALLE ST|200 WELLS ST|300 FRANKLIN ST|"
    "500 CANAL ST|540 CLINTON ST|600 JEFFERSON ST|800 HALSTED ST|1000 MORGAN ST|1200 RACINE AVE|"
    "1400 LOOMIS ST|1600 ASHLAND AVE|1800 WOOD ST|2000 DAMEN AVE|2200 LEAVITT ST|"
    "2400 WESTERN AVE|2600 ROCKWELL ST|2800 CALIFORNIA AVE|3000 SACRAMENTO AVE|3200 KEDZIE AVE|"
    "3400 HOMAN AVE|3600 CENTRAL PARK AVE|3800 HAMLIN AVE|4000 PULASKI RD|4200 KEELER AVE|"
    "4400 KOSTNER AVE|4600 KILBOURN AVE|4800 CICERO AVE|5200 LARAMIE AVE|5400 LOCKWOOD AVE|"
    "5600 CENTRAL AVE|5800 MENARD AVE|6000 AUSTIN AVE|6400 NARRAGANSETT AVE|6800 OAK PARK AVE|"
    "7200 HARLEM AVE|7600 OLEANDER AVE|8000 OKETO AVE|8400 CUMBERLAND AVE|9000 ROSE ST|"
    "10000 MANNHEIM RD"
)
_NS_EAST: Final = (
    "0 STATE ST|45 WABASH AVE|100 MICHIGAN AVE|200 INDIANA AVE|300 PRAIRIE AVE|"
    "400 DR MARTIN LUTHER KING JR DR|600 ST LAWRENCE AVE|800 COTTAGE GROVE AVE|1000 ELLIS AVE|"
    "1200 WOODLAWN AVE|1400 DORCHESTER AVE|1600 STONY ISLAND AVE|2000 JEFFERY BLVD|"
    "2400 YATES BLVD|2800 BURNHAM AVE|3000 COMMERCIAL AVE|3200 HOUSTON AVE|3600 EWING AVE|"
    "4000 AVENUE O"
)
_EW_NORTH: Final = (
    "0 MADISON ST|100 WASHINGTON BLVD|150 RANDOLPH ST|200 LAKE ST|400 KINZIE ST|500 GRAND AVE|"
    "600 OHIO ST|800 CHICAGO AVE|1000 OAK ST|1200 DIVISION ST|1600 NORTH AVE|2000 ARMITAGE AVE|"
    "2400 FULLERTON AVE|2800 DIVERSEY AVE|3200 BELMONT AVE|3600 ADDISON ST|4000 IRVING PARK RD|"
    "4400 MONTROSE AVE|4800 LAWRENCE AVE|5200 FOSTER AVE|5600 BRYN MAWR AVE|6000 PETERSON AVE|"
    "6400 DEVON AVE|6800 PRATT BLVD|7200 TOUHY AVE|7600 HOWARD ST"
)
_EW_SOUTH_NAMED: Final = (
    "0 MADISON ST|100 MONROE ST|200 ADAMS ST|300 JACKSON BLVD|400 VAN BUREN ST|"
    "500 CONGRESS PKWY|600 HARRISON ST|800 POLK ST|1000 TAYLOR ST|1200 ROOSEVELT RD|"
    "2200 CERMAK RD|3900 PERSHING RD|5500 GARFIELD BLVD"
)


def _street_table(spec: str) -> tuple[FloatArray, list[str]]:
    pairs = sorted((float(a), n) for a, n in (item.split(" ", 1) for item in spec.split("|")))
    return np.array([p[0] for p in pairs]), [p[1] for p in pairs]


def street_tables() -> dict[str, tuple[FloatArray, list[str]]]:
    """Street centre lines by address: "ns_west", "ns_east", "ew_north", "ew_south"."""
    named = dict((int(a), n) for a, n in (i.split(" ", 1) for i in _EW_SOUTH_NAMED.split("|")))
    south = {a: f"{ordinal(a // 100)} ST" for a in range(1600, 13900, 100)} | named
    return {
        "ns_west": _street_table(_NS_WEST),
        "ns_east": _street_table(_NS_EAST),
        "ew_north": _street_table(_EW_NORTH),
        "ew_south": _street_table("|".join(f"{a} {n}" for a, n in south.items())),
    }


def nearest_street(addr: FloatArray, table: tuple[FloatArray, list[str]]) -> IntArray:
    """Index of the street in ``table`` nearest to each address (non-negative)."""
    at = table[0]
    i = np.clip(np.searchsorted(at, addr), 1, len(at) - 1)
    return np.where(addr - at[i - 1] < at[i] - addr, i - 1, i).astype(np.int64)
