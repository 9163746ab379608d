"""Community-area indicator tables (socioeconomic, health, internet, housing...).

A table is described by a small TOML mapping (``safer77/data/indicators/*.toml`` for the
known ones), so a new indicator needs no code: the column holding the area number, and for each
indicator either a ``column`` or a ``ratio = [numerator, denominator]`` with a ``scale``.
Long files (``community_area,indicator,value``) are read against the known catalog.

Indicator tables are small and feed rankings, so a bad one is refused whole, with file, line
and field: a missing or duplicate area, a non-numeric value, an unknown column or indicator.
"""

from __future__ import annotations

import gzip
import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from safer77.errors import InvalidInput, NotFound
from safer77.sources.tabular import read_rows

AREAS = range(1, 78)


@dataclass(frozen=True)
class Indicator:
    """One indicator a mapping defines: what it means and where its value comes from."""

    name: str
    description: str
    unit: str
    root_cause: str
    higher_is_better: bool = False
    column: str | None = None
    ratio: tuple[str, str] | None = None
    scale: float = 1.0

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,) if self.column else self.ratio or ()


@dataclass(frozen=True)
class Mapping:
    file: str
    title: str
    year: int | None
    area: str
    city_total: tuple[str, str] | None
    indicators: tuple[Indicator, ...]
    weight: str | None = None  # rows are sub-areas (tracts): weighted mean per area


@dataclass(frozen=True)
class Value:
    community_area: int
    indicator: str
    value: float


def builtin_mappings() -> dict[str, Path]:
    folder = resources.files("safer77").joinpath("data", "indicators")
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith(".toml")}


def load_mapping(name_or_path: str | Path) -> Mapping:
    """A built-in mapping by name (``census-2008-2012``) or a TOML file."""
    path = builtin_mappings().get(str(name_or_path), Path(name_or_path))
    if not path.exists():
        known = ", ".join(sorted(builtin_mappings()))
        raise NotFound(f"no indicator mapping {name_or_path!r} (built in: {known})")
    try:
        doc = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"not a TOML mapping ({exc})", file=str(path)) from None
    src = doc.get("source", {})
    if "area" not in src:
        raise InvalidInput("[source] needs `area` (the area-number column)", file=str(path))
    specs = []
    for name, spec in doc.get("indicators", {}).items():
        if ("column" in spec) == ("ratio" in spec):
            raise InvalidInput(
                f"indicator {name} needs exactly one of `column` or `ratio`", file=str(path)
            )
        ratio = spec.get("ratio")
        if ratio is not None and (not isinstance(ratio, list) or len(ratio) != 2):
            raise InvalidInput(
                f"indicator {name}: `ratio` is [numerator, denominator]", file=str(path)
            )
        specs.append(
            Indicator(
                name=name,
                description=str(spec.get("description", name)),
                unit=str(spec.get("unit", "")),
                root_cause=str(spec.get("root_cause", "other")),
                higher_is_better=bool(spec.get("higher_is_better", False)),
                column=spec.get("column"),
                ratio=(str(ratio[0]), str(ratio[1])) if ratio else None,
                scale=float(spec.get("scale", 1.0)),
            )
        )
    if not specs:
        raise InvalidInput("the mapping defines no [indicators.*]", file=str(path))
    city = src.get("city_total")
    aggregate = src.get("aggregate")
    if aggregate not in (None, "weighted_mean") or (aggregate and "weight" not in src):
        raise InvalidInput(
            '[source] aggregate must be "weighted_mean" with a `weight` column', file=str(path)
        )
    return Mapping(
        file=str(path),
        title=str(src.get("title", path.stem)),
        year=int(src["year"]) if "year" in src else None,
        area=str(src["area"]),
        city_total=(str(city["column"]), str(city["value"])) if city else None,
        indicators=tuple(specs),
        weight=str(src["weight"]) if aggregate else None,
    )


def builtin_indicator(name: str) -> tuple[str, Indicator] | None:
    """The built-in mapping that defines indicator ``name`` (its name and the definition)."""
    for mapping in sorted(builtin_mappings()):
        for ind in load_mapping(mapping).indicators:
            if ind.name == name:
                return mapping, ind
    return None


def _records(path: Path, required: list[str]) -> Iterator[tuple[int | None, str, dict[str, Any]]]:
    """``(line, where, fields)`` for a CSV (line numbers) or GeoJSON (feature numbers)."""
    suffixes = [s.lower() for s in path.suffixes]
    if {".geojson", ".json"} & set(suffixes):
        try:
            raw = gzip.decompress(path.read_bytes()) if suffixes[-1] == ".gz" else path.read_bytes()
            doc = json.loads(raw.decode("utf-8"))
        except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput(f"not a GeoJSON file ({exc})", file=str(path)) from None
        features = doc.get("features") if isinstance(doc, dict) else None
        if not isinstance(features, list):
            raise InvalidInput(
                "no `features` list: not a GeoJSON FeatureCollection", file=str(path)
            )
        for n, feature in enumerate(features, 1):
            props = {str(k).strip(): v for k, v in (feature.get("properties") or {}).items()}
            if n == 1:
                missing = [c for c in required if c not in props]
                if missing:
                    raise InvalidInput(
                        f"feature 1 has no property {missing[0]!r}",
                        file=str(path),
                        field=missing[0],
                    )
            yield None, f"feature {n}", props
        return
    for line, row in read_rows(path, []):
        if line == 2:
            missing = [c for c in required if c not in {k.strip() for k in row if k}]
            if missing:
                raise InvalidInput(
                    f"no column {missing[0]!r} in the header",
                    file=str(path),
                    line=1,
                    field=missing[0],
                )
        yield line, "", {(k or "").strip(): v for k, v in row.items()}


def _at(where: str, text: str) -> str:
    """GeoJSON errors name the feature; CSV errors carry the line in the error's location."""
    return f"{where}: {text}" if where else text


def _number(raw: Any, *, file: str, line: int | None, where: str, field: str) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise InvalidInput(_at(where, f"not a number: {raw!r}"), file=file, line=line, field=field)
    try:
        value = float(str(raw).replace(",", "").strip())
    except ValueError:
        raise InvalidInput(
            _at(where, f"not a number: {str(raw)[:30]!r}"), file=file, line=line, field=field
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput(_at(where, "not a finite number"), file=file, line=line, field=field)
    return value


def _area(raw: Any, *, file: str, line: int | None, where: str, field: str) -> int:
    value = _number(raw, file=file, line=line, where=where, field=field)
    if value is None:
        raise InvalidInput(_at(where, "no community area"), file=file, line=line, field=field)
    if not value.is_integer() or int(value) not in AREAS:
        raise InvalidInput(
            _at(where, f"{raw!r} is not a community area (1-77)"), file=file, line=line, field=field
        )
    return int(value)


def read_table(path: Path, mapping: Mapping) -> tuple[list[Value], int]:
    """Values of every mapped indicator for every area, and the number of rows read.

    Every one of the 77 areas must appear exactly once (a city-total row, when the mapping
    declares one, is skipped), or, for a mapping with a ``weight``, at least once: its rows
    (tracts) are averaged per area weighted by that column. Empty cells are missing values,
    not zeros.
    """
    path = Path(path)
    file = str(path)
    required = list(
        dict.fromkeys(
            [
                mapping.area,
                *([mapping.weight] if mapping.weight else []),
                *(c for i in mapping.indicators for c in i.columns),
            ]
        )
    )
    sums: dict[tuple[int, str], list[float]] = {}  # weighted: (area, indicator) -> [wv, w]
    seen: dict[int, str] = {}
    values: list[Value] = []
    rows = 0
    for line, where, rec in _records(path, required):
        rows += 1
        if mapping.city_total:
            col, label = mapping.city_total
            if (
                not str(rec.get(mapping.area) or "").strip()
                and str(rec.get(col, "")).strip() == label
            ):
                continue
        area = _area(rec.get(mapping.area), file=file, line=line, where=where, field=mapping.area)
        weight = None
        if mapping.weight:
            weight = _number(
                rec.get(mapping.weight), file=file, line=line, where=where, field=mapping.weight
            )
        if area in seen and not mapping.weight:
            raise InvalidInput(
                _at(where, f"community area {area} appears twice (first at {seen[area]})"),
                file=file,
                line=line,
                field=mapping.area,
            )
        seen.setdefault(area, where or f"line {line}")
        for ind in mapping.indicators:
            nums = [
                _number(rec.get(c), file=file, line=line, where=where, field=c) for c in ind.columns
            ]
            if any(n is None for n in nums):
                continue
            if ind.ratio:
                num, den = nums
                value = None if not den else (num or 0.0) / den * ind.scale
            else:
                value = (nums[0] or 0.0) * ind.scale
            if value is None:
                continue
            if mapping.weight:
                if weight and weight > 0:
                    acc = sums.setdefault((area, ind.name), [0.0, 0.0])
                    acc[0] += weight * value
                    acc[1] += weight
            else:
                values.append(Value(area, ind.name, value))
    values += [Value(a, name, wv / w) for (a, name), (wv, w) in sorted(sums.items()) if w > 0]
    missing = sorted(set(AREAS) - set(seen))
    if missing:
        shown = ", ".join(map(str, missing[:10])) + ("..." if len(missing) > 10 else "")
        raise InvalidInput(
            f"{len(missing)} community area(s) missing: {shown}", file=file, field=mapping.area
        )
    return values, rows


def read_long(path: Path, known: set[str]) -> tuple[list[Value], int]:
    """A long file (``community_area,indicator,value``) of indicators already in the catalog."""
    path = Path(path)
    file = str(path)
    values: list[Value] = []
    seen: dict[tuple[int, str], int] = {}
    rows = 0
    for line, row in read_rows(path, ["community_area", "indicator", "value"]):
        rows += 1
        where = ""
        area = _area(
            row["community_area"], file=file, line=line, where=where, field="community_area"
        )
        name = (row["indicator"] or "").strip()
        if name not in known:
            raise InvalidInput(
                f"unknown indicator {name[:40]!r}; define it in a mapping first",
                file=file,
                line=line,
                field="indicator",
            )
        if (area, name) in seen:
            raise InvalidInput(
                f"{name} for community area {area} appears twice (first on line "
                f"{seen[(area, name)]})",
                file=file,
                line=line,
                field="community_area",
            )
        seen[(area, name)] = line
        value = _number(row["value"], file=file, line=line, where=where, field="value")
        if value is not None:
            values.append(Value(area, name, value))
    return values, rows
