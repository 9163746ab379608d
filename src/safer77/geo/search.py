"""Find a community area from what a resident types: its name (typos forgiven), its number, a
neighbourhood's name, or a ZIP code. Addresses go to :mod:`safer77.geo.address`.

The site's search box does the same in the browser (``publish/static/search.js``, from the
index :func:`search_index` writes); the API's ``/api/areas/search`` answers with
:func:`search`. Both follow these rules, in this order:

1. A number from 1 to 77 is that area.
2. Five digits are a ZIP code: the areas its polygon overlaps, when a ZIP boundary layer is
   loaded; otherwise the answer says that ZIP search is not available.
3. A name that is an area's or a neighbourhood's (case, accents, spacing and punctuation
   aside) is that area, or those areas; other names holding it follow.
4. Text inside names: every area whose name, or a neighbourhood of which, contains it.
5. A name at most two edits away (insert, delete or replace a letter) from an area's or a
   neighbourhood's name: those areas, nearest first.
6. Nothing: the answer says so and suggests the three nearest names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import shapely
from shapely.geometry.base import BaseGeometry

#: Neighbourhood → the community areas (numbers) it lies in.
#:
#: Source: the City of Chicago's "Neighborhoods 2012b" map (the Office of Tourism's 98
#: neighbourhoods; layer "Boundaries - Neighborhoods" on the data portal, as packaged in the
#: python-chicago package 0.4.1, ``Neighborhoods_2012b.csv``). Its names that are not
#: themselves community areas' names are placed here, by hand, in the community areas that
#: hold them; where the map groups one name under several primary neighbourhoods (Bronzeville
#: under Douglas and Grand Boulevard), each of their areas is listed. Names that already are a
#: community area's (Englewood, Hyde Park, …) need no entry.
NEIGHBOURHOODS: Final[dict[str, tuple[int, ...]]] = {
    "Andersonville": (77,),  # Edgewater
    "Back of the Yards": (61, 37),  # New City, Fuller Park
    "Boystown": (6,),  # Lake View
    "Bronzeville": (35, 38),  # Douglas, Grand Boulevard
    "Bucktown": (22,),  # Logan Square
    "Chinatown": (34,),  # Armour Square
    "East Village": (24,),  # West Town
    "Galewood": (25, 18),  # Austin; the map groups it with Montclare
    "Garfield Park": (26, 27),  # West and East Garfield Park
    "Gold Coast": (8,),  # Near North Side
    "Grand Crossing": (69,),  # Greater Grand Crossing
    "Grant Park": (32,),  # Loop
    "Greektown": (28,),  # Near West Side
    "Jackson Park": (42, 41),  # Woodlawn, Hyde Park
    "Little Italy": (28,),  # Near West Side
    "Little Village": (30,),  # South Lawndale
    "Magnificent Mile": (8,),  # Near North Side
    "Marquette Park": (66, 63),  # Chicago Lawn, Gage Park
    "Midway Airport": (56, 64),  # Garfield Ridge, Clearing
    "Millennium Park": (32,),  # Loop (the map spells it "Millenium")
    "Museum Campus": (33,),  # Near South Side
    "Old Town": (8, 7),  # Near North Side, Lincoln Park
    "Printers Row": (32,),  # Loop
    "River North": (8,),  # Near North Side
    "Rush and Division": (8,),  # Near North Side
    "Sauganash": (12,),  # Forest Glen
    "Sheffield and DePaul": (7,),  # Lincoln Park
    "Southeast Side": (46, 51, 52, 55),  # South Chicago, South Deering, East Side, Hegewisch
    "Streeterville": (8,),  # Near North Side
    "UIC": (28,),  # Near West Side
    "Ukrainian Village": (24,),  # West Town
    "United Center": (28,),  # Near West Side
    "West Loop": (28,),  # Near West Side
    "Wicker Park": (24,),  # West Town
    "Wrigleyville": (6,),  # Lake View
}

#: How many edits (insert, delete or replace one letter) a name may be from the query.
MAX_EDITS: Final = 2
ZIP = re.compile(r"^\d{5}$")


def normalise(text: str) -> str:
    """Lower case, no accents, ``&`` as "and", every run of other characters one space."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = text.lower().replace("&", " and ").replace("'", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance between ``a`` and ``b``; any value above ``limit`` (when given)
    may come back as ``limit + 1``."""
    if abs(len(a) - len(b)) > (limit if limit is not None else len(a) + len(b)):
        return (limit if limit is not None else 0) + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if limit is not None and min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


Kind = Literal["number", "zip", "name", "neighbourhood", "partial", "typo", "none"]


@dataclass(frozen=True)
class Found:
    """What a search found: the areas (numbers, best first), how it found them, a sentence to
    show, and, when nothing was found, the nearest names."""

    kind: Kind
    areas: tuple[int, ...]
    message: str
    suggestions: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Name:
    """A name the search knows: normalised, as shown, its areas, and whether it is an
    area's own name (or a neighbourhood's)."""

    norm: str
    shown: str
    areas: tuple[int, ...]
    is_area: bool


def names_index(areas: Mapping[int, str]) -> list[Name]:
    """Every area's name, then every neighbourhood's whose areas are among ``areas``."""
    out = [Name(normalise(n), n, (k,), True) for k, n in sorted(areas.items())]
    for name, keys in sorted(NEIGHBOURHOODS.items()):
        held = tuple(k for k in keys if k in areas)
        if held:
            out.append(Name(normalise(name), name, held, False))
    return out


def search(
    query: str,
    areas: Mapping[int, str],
    zips: Mapping[str, Sequence[int]] | None = None,
) -> Found:
    """The areas ``query`` names (see the module's rules). ``areas`` maps numbers to names;
    ``zips`` maps ZIP codes to the areas they overlap, or is None when no ZIP layer is
    loaded."""
    q = normalise(query)
    if not q:
        return Found("none", (), "Type an area's name or number, a neighbourhood or a ZIP code.")
    if q.isdigit() and len(q) <= 2:
        if int(q) in areas:
            return Found("number", (int(q),), f"Community area {int(q)}.")
        return Found("none", (), f"There is no community area {q}: they are numbered 1 to 77.")
    if ZIP.match(q):
        return _by_zip(q, areas, zips)
    index = names_index(areas)
    partial = _unique([n.areas for n in index if q in n.norm])
    for n in index:
        if n.norm == q:  # that name first, then the others that hold it (West Englewood)
            held = _unique([n.areas, partial])
            if n.is_area:
                return Found("name", held, f"{n.shown}.")
            return Found("neighbourhood", held, f"{n.shown} is in {_names(n.areas, areas)}.")
    if partial:
        return Found("partial", partial, f"{_count(len(partial))} with “{query}” in a name.")
    near = sorted(
        (d, n.norm, n.shown, n.areas)
        for n in index
        if (d := edit_distance(q, n.norm, MAX_EDITS)) <= MAX_EDITS
    )
    if near:
        meant = " or ".join(dict.fromkeys(shown for _, _, shown, _ in near[:3]))
        return Found("typo", _unique([a for *_, a in near]), f"Did you mean {meant}?")
    ranked = sorted((edit_distance(q, n.norm), n.norm, n.shown) for n in index)
    return Found(
        "none",
        (),
        f"No community area or neighbourhood matches “{query}”.",
        tuple(shown for *_, shown in ranked[:3]),
    )


def _by_zip(code: str, areas: Mapping[int, str], zips: Mapping[str, Sequence[int]] | None) -> Found:
    if zips is None:
        return Found(
            "zip",
            (),
            "ZIP code search is not available: this site was built without ZIP code "
            "boundaries. Search by an area's or a neighbourhood's name instead.",
        )
    held = tuple(k for k in zips.get(code, ()) if k in areas)
    if not held:
        return Found("zip", (), f"ZIP code {code} overlaps none of the community areas.")
    return Found("zip", held, f"ZIP code {code} overlaps {_count(len(held))}.")


def _unique(groups: Sequence[Sequence[int]]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(k for keys in groups for k in keys))


def _count(n: int) -> str:
    return "1 community area" if n == 1 else f"{n} community areas"


def _names(keys: Sequence[int], areas: Mapping[int, str]) -> str:
    names = [areas[k] for k in keys]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


#: A ZIP code overlaps an area when the overlap holds at least this share of the ZIP's
#: surface (so a boundary drawn a few metres apart does not count).
MIN_OVERLAP_SHARE: Final = 0.02


def zip_overlaps(
    zips: Sequence[tuple[int, BaseGeometry]],
    areas: Sequence[tuple[int, BaseGeometry]],
    min_share: float = MIN_OVERLAP_SHARE,
) -> dict[str, list[int]]:
    """ZIP code (five digits) → the areas it overlaps, largest overlap first. Shapes are in
    longitude/latitude; shares of a ZIP's surface are taken in those degrees, which is
    close enough within one city."""
    out: dict[str, list[int]] = {}
    for code, zgeom in zips:
        total = zgeom.area
        if total <= 0:
            continue
        shares = []
        for key, ageom in areas:
            if not shapely.intersects(zgeom, ageom):
                continue
            share = shapely.intersection(zgeom, ageom).area / total
            if share >= min_share:
                shares.append((-share, key))
        out[f"{code:05d}"] = [k for _, k in sorted(shares)]
    return out
