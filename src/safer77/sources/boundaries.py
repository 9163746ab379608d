"""Boundary files: GeoJSON FeatureCollections and zipped (or plain) ESRI shapefiles.

Every geometry comes out in WGS84 longitude/latitude (EPSG:4326); State Plane inputs (the
City's own shapefiles, US feet) are reprojected.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapefile
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from safer77.errors import InvalidInput
from safer77.geo.projection import ILLINOIS_EAST
from safer77.schema import BOUNDARY_KINDS, normalise_name


@dataclass(frozen=True)
class BoundaryFeature:
    """One boundary polygon: its number (area, district, beat, ward) and name."""

    key: int
    name: str
    geometry: BaseGeometry


@dataclass(frozen=True)
class BoundaryFile:
    """Parsed features, and the features that could not be used: (record number, reason)."""

    kind: str
    features: list[BoundaryFeature]
    rejected: list[tuple[int, str, str]]  # (record number, field, reason)
    read: int


def normalise_kind(kind: str) -> str:
    """'community-areas', 'community_areas', 'districts', ... → the canonical kind name."""
    k = kind.strip().lower().replace("-", "_")
    aliases = {
        "community_area": "community_areas",
        "areas": "community_areas",
        "district": "districts",
        "beat": "beats",
        "ward": "wards",
        "zip": "zip_codes",
        "zips": "zip_codes",
        "zip_code": "zip_codes",
    }
    k = aliases.get(k, k)
    if k not in BOUNDARY_KINDS:
        raise InvalidInput(
            f"unknown boundary kind {kind!r}; expected one of: {', '.join(BOUNDARY_KINDS)}"
        )
    return k


def _pick(props: dict[str, Any], candidates: tuple[str, ...]) -> tuple[str | None, Any]:
    by_norm = {normalise_name(k): k for k in props}
    for cand in candidates:
        real = by_norm.get(normalise_name(cand))
        if real is not None and props[real] not in (None, ""):
            return real, props[real]
    return None, None


def _as_int(value: Any) -> int | None:
    try:
        f = float(str(value).strip())
    except ValueError:
        return None
    return int(f) if f.is_integer() else None


def _transformer_for(crs: CRS | None, sample: BaseGeometry | None) -> Transformer | None:
    if crs is None:
        if sample is None:
            return None
        minx, miny, maxx, maxy = sample.bounds
        if max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90:
            return None
        crs = CRS.from_user_input(ILLINOIS_EAST)  # projected, unlabelled: the City's own CRS
    if crs.equals(CRS.from_epsg(4326)) or crs.to_epsg() in (4326, 4269):
        return None
    return Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)


def _reproject(geom: BaseGeometry, tr: Transformer | None) -> BaseGeometry:
    if tr is None:
        return geom

    def _xy(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))

    return shapely.transform(geom, _xy)


def _collect(
    kind: str, rows: list[tuple[dict[str, Any], BaseGeometry | None]], tr: Transformer | None
) -> BoundaryFile:
    key_cands, name_cands = BOUNDARY_KINDS[kind]
    feats: list[BoundaryFeature] = []
    rejected: list[tuple[int, str, str]] = []
    for n, (props, geom) in enumerate(rows, start=1):
        key_field, raw_key = _pick(props, key_cands)
        key = _as_int(raw_key) if key_field else None
        if key is None:
            shown = key_field or "/".join(key_cands)
            rejected.append((n, shown, f"no usable number in {shown!r} (got {raw_key!r})"))
            continue
        if geom is None or geom.is_empty:
            rejected.append((n, "geometry", "missing or empty geometry"))
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            rejected.append((n, "geometry", f"expected a polygon, got {geom.geom_type}"))
            continue
        geom = _reproject(geom, tr)
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        _, raw_name = _pick(props, name_cands)
        name = str(raw_name).strip() if raw_name not in (None, "") else str(key)
        feats.append(BoundaryFeature(key=key, name=name, geometry=geom))
    return BoundaryFile(kind=kind, features=feats, rejected=rejected, read=len(rows))


def read_geojson(kind: str, path: Path) -> BoundaryFile:
    """Read a GeoJSON FeatureCollection of polygons."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"not a GeoJSON file ({exc})", file=str(path)) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InvalidInput("not a GeoJSON FeatureCollection", file=str(path))
    crs_name = ((doc.get("crs") or {}).get("properties") or {}).get("name")
    crs = None
    if crs_name and "CRS84" not in crs_name:
        crs = CRS.from_user_input(crs_name)
    rows: list[tuple[dict[str, Any], BaseGeometry | None]] = []
    for feat in doc.get("features") or []:
        g = feat.get("geometry")
        try:
            geom = shape(g) if g else None
        except (ValueError, TypeError, AttributeError):
            geom = None
        rows.append((feat.get("properties") or {}, geom))
    sample = next((g for _, g in rows if g is not None), None)
    return _collect(kind, rows, _transformer_for(crs, sample))


def read_shapefile(kind: str, path: Path) -> BoundaryFile:
    """Read a shapefile (``.shp``, or a ``.zip`` holding one) of polygons."""
    try:
        reader = shapefile.Reader(str(path))
    except (shapefile.ShapefileException, OSError, zipfile.BadZipFile) as exc:
        raise InvalidInput(f"not a readable shapefile ({exc})", file=str(path)) from None
    prj = _read_prj(path)
    with reader:
        names = [f[0] for f in reader.fields[1:]]
        rows: list[tuple[dict[str, Any], BaseGeometry | None]] = []
        for sr in reader.iterShapeRecords():
            geom = shape(sr.shape.__geo_interface__) if sr.shape.points else None
            rows.append((dict(zip(names, list(sr.record), strict=False)), geom))
    sample = next((g for _, g in rows if g is not None), None)
    return _collect(kind, rows, _transformer_for(prj, sample))


def _read_prj(path: Path) -> CRS | None:
    text: str | None = None
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as zf:
            prjs = [n for n in zf.namelist() if n.lower().endswith(".prj")]
            if prjs:
                text = zf.read(prjs[0]).decode("latin-1")
    else:
        prj = path.with_suffix(".prj")
        if prj.exists():
            text = prj.read_text(encoding="latin-1")
    return CRS.from_wkt(text) if text else None


def read_boundaries(kind: str, path: Path) -> BoundaryFile:
    """Read a boundary file of ``kind`` by its format (GeoJSON, .shp or zipped shapefile)."""
    kind = normalise_kind(kind)
    if not path.exists():
        raise InvalidInput("file not found", file=str(path))
    suffix = path.suffix.lower()
    if suffix in (".zip", ".shp"):
        result = read_shapefile(kind, path)
    elif suffix in (".geojson", ".json"):
        result = read_geojson(kind, path)
    else:
        raise InvalidInput(
            "unknown boundary format; expected .geojson, .json, .shp or .zip", file=str(path)
        )
    if not result.features:
        raise InvalidInput(f"no usable {kind} polygons in file", file=str(path))
    return result
