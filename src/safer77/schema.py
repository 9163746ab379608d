"""Canonical incident schema, header aliases and crime categories.

Pure data and pure functions: no I/O, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

#: Canonical incident columns, in the portal's order, as every source adapter names them.
INCIDENT_COLUMNS: Final[tuple[str, ...]] = (
    "id",
    "case_number",
    "date",
    "block",
    "iucr",
    "primary_type",
    "description",
    "location_description",
    "arrest",
    "domestic",
    "beat",
    "district",
    "ward",
    "community_area",
    "fbi_code",
    "x_coordinate",
    "y_coordinate",
    "year",
    "updated_on",
    "latitude",
    "longitude",
    "location",
)

#: The portal's CSV header, for writers (synthetic city, downloader CSV output).
PORTAL_CSV_HEADER: Final[tuple[str, ...]] = (
    "ID",
    "Case Number",
    "Date",
    "Block",
    "IUCR",
    "Primary Type",
    "Description",
    "Location Description",
    "Arrest",
    "Domestic",
    "Beat",
    "District",
    "Ward",
    "Community Area",
    "FBI Code",
    "X Coordinate",
    "Y Coordinate",
    "Year",
    "Updated On",
    "Latitude",
    "Longitude",
    "Location",
)

#: A file is an incident file only if it has a date and a way to tell the crime type.
REQUIRED_ANY: Final[tuple[tuple[str, ...], ...]] = (("date",), ("primary_type", "iucr"))

# Names seen in real exports that do not normalise to the canonical name: the portal's
# shapefile export cuts field names to 10 characters with an underscore in the middle.
_EXTRA_ALIASES: Final[dict[str, str]] = {
    "casember": "case_number",
    "descrtion": "description",
    "locattion": "location_description",
    "commuarea": "community_area",
    "xcoonate": "x_coordinate",
    "ycoonate": "y_coordinate",
    "primaype": "primary_type",
    "updaton": "updated_on",
}


def normalise_name(name: str) -> str:
    """Header name → comparison key: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", name.strip().lower())


_ALIASES: Final[dict[str, str]] = {
    **{normalise_name(c): c for c in INCIDENT_COLUMNS},
    **_EXTRA_ALIASES,
}


def canonical_column(name: str) -> str | None:
    """Map a source header name (CSV title case, API snake_case, shapefile-cut) to canonical."""
    return _ALIASES.get(normalise_name(name))


def missing_required(columns: set[str]) -> list[str]:
    """Names of required column groups not satisfied by ``columns`` (canonical names)."""
    return [" or ".join(group) for group in REQUIRED_ANY if not columns.intersection(group)]


# --- Crime categories -------------------------------------------------------------------------

#: FBI (NIBRS-style) codes used in Chicago's data → (category, UCR Part I index crime).
FBI_CODE_CATEGORY: Final[dict[str, tuple[str, bool]]] = {
    "01A": ("violent", True),  # murder and non-negligent manslaughter
    "02": ("violent", True),  # criminal sexual assault
    "03": ("violent", True),  # robbery
    "04A": ("violent", True),  # aggravated assault
    "04B": ("violent", True),  # aggravated battery
    "05": ("property", True),  # burglary
    "06": ("property", True),  # larceny
    "07": ("property", True),  # motor vehicle theft
    "09": ("property", True),  # arson
}

CATEGORIES: Final[tuple[str, ...]] = ("violent", "property", "index")

#: Used only when a row has no FBI code: primary type → category, all of them index crimes,
#: except ASSAULT/BATTERY which count only when aggravated, and non-criminal homicides.
PRIMARY_TYPE_CATEGORY: Final[dict[str, str]] = {
    "HOMICIDE": "violent",
    "CRIMINAL SEXUAL ASSAULT": "violent",
    "CRIM SEXUAL ASSAULT": "violent",
    "ROBBERY": "violent",
    "BURGLARY": "property",
    "THEFT": "property",
    "MOTOR VEHICLE THEFT": "property",
    "ARSON": "property",
}

#: The portal's primary types: what a published figure may be labelled with (anything else a
#: user typed into a case is published as OTHER OFFENSE).
PRIMARY_TYPES: Final[frozenset[str]] = frozenset(
    {
        "ARSON",
        "ASSAULT",
        "BATTERY",
        "BURGLARY",
        "CONCEALED CARRY LICENSE VIOLATION",
        "CRIM SEXUAL ASSAULT",
        "CRIMINAL SEXUAL ASSAULT",
        "CRIMINAL DAMAGE",
        "CRIMINAL TRESPASS",
        "DECEPTIVE PRACTICE",
        "GAMBLING",
        "HOMICIDE",
        "HUMAN TRAFFICKING",
        "INTERFERENCE WITH PUBLIC OFFICER",
        "INTIMIDATION",
        "KIDNAPPING",
        "LIQUOR LAW VIOLATION",
        "MOTOR VEHICLE THEFT",
        "NARCOTICS",
        "NON-CRIMINAL",
        "OBSCENITY",
        "OFFENSE INVOLVING CHILDREN",
        "OTHER NARCOTIC VIOLATION",
        "OTHER OFFENSE",
        "PROSTITUTION",
        "PUBLIC INDECENCY",
        "PUBLIC PEACE VIOLATION",
        "RITUALISM",
        "ROBBERY",
        "SEX OFFENSE",
        "STALKING",
        "THEFT",
        "VEHICULAR HIJACKING",
        "WEAPONS VIOLATION",
    }
)

#: When a file has IUCR but no primary type: unambiguous IUCR prefixes → primary type.
IUCR_PREFIX_PRIMARY_TYPE: Final[dict[str, str]] = {
    "01": "HOMICIDE",
    "02": "CRIMINAL SEXUAL ASSAULT",
    "03": "ROBBERY",
    "06": "BURGLARY",
    "08": "THEFT",
    "09": "MOTOR VEHICLE THEFT",
    "11": "DECEPTIVE PRACTICE",
    "18": "NARCOTICS",
    "20": "NARCOTICS",
    "21": "NARCOTICS",
    "22": "LIQUOR LAW VIOLATION",
}


@dataclass(frozen=True)
class Category:
    """The category of one incident."""

    category: str | None  # "violent", "property" or None
    index_crime: bool


def categorise(fbi_code: str | None, primary_type: str | None, description: str | None) -> Category:
    """Reference implementation of the category rule (the warehouse applies the same in SQL).

    The FBI code decides when present; otherwise the primary type, where ASSAULT and BATTERY
    count as violent only when the description says aggravated, and reckless homicide and
    involuntary manslaughter are not index crimes.
    """
    if fbi_code:
        cat = FBI_CODE_CATEGORY.get(fbi_code.upper())
        return Category(cat[0], cat[1]) if cat else Category(None, False)
    ptype = (primary_type or "").upper()
    desc = (description or "").upper()
    if ptype in ("ASSAULT", "BATTERY"):
        return Category("violent", True) if desc.startswith("AGG") else Category(None, False)
    if ptype == "HOMICIDE" and ("RECKLESS" in desc or "INVOLUNTARY" in desc):
        return Category(None, False)
    cat_name = PRIMARY_TYPE_CATEGORY.get(ptype)
    return Category(cat_name, cat_name is not None)


def category_sql(fbi: str, ptype: str, desc: str) -> str:
    """SQL expression for the category of :func:`categorise` (index crime: category not NULL).

    Arguments are SQL expressions for the normalised FBI code, primary type and description.
    """
    fbi_cases = " ".join(f"WHEN '{code}' THEN '{c}'" for code, (c, _) in FBI_CODE_CATEGORY.items())
    pt_cases = " ".join(f"WHEN '{p}' THEN '{c}'" for p, c in PRIMARY_TYPE_CATEGORY.items())
    by_type = (
        f"CASE WHEN {ptype} IN ('ASSAULT','BATTERY') THEN "
        f"(CASE WHEN upper(coalesce({desc},'')) LIKE 'AGG%' THEN 'violent' END) "
        f"WHEN {ptype} = 'HOMICIDE' AND (upper(coalesce({desc},'')) LIKE '%RECKLESS%' "
        f"OR upper(coalesce({desc},'')) LIKE '%INVOLUNTARY%') THEN NULL "
        f"ELSE (CASE {ptype} {pt_cases} END) END"
    )
    return f"CASE WHEN {fbi} IS NOT NULL THEN (CASE {fbi} {fbi_cases} END) ELSE {by_type} END"


def primary_type_from_iucr_sql(iucr: str) -> str:
    """SQL expression deriving the primary type from an IUCR code's unambiguous prefix."""
    cases = " ".join(f"WHEN '{p}' THEN '{t}'" for p, t in IUCR_PREFIX_PRIMARY_TYPE.items())
    return f"(CASE substr({iucr}, 1, 2) {cases} END)"


#: Age buckets (days since occurrence) for open incidents: (label, min_days, max_days or None).
AGE_BUCKETS: Final[tuple[tuple[str, int, int | None], ...]] = (
    ("0-30", 0, 30),
    ("31-90", 31, 90),
    ("91-365", 91, 365),
    (">365", 366, None),
)

#: Geographic levels of the statistics: CLI name → incidents column (None = the whole city).
LEVELS: Final[dict[str, str | None]] = {
    "city": None,
    "district": "district",
    "community-area": "community_area",
    "beat": "beat",
}

#: Boundary kinds → (key property candidates, name property candidates).
BOUNDARY_KINDS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "community_areas": (
        ("area_numbe", "area_num_1", "nid", "area_number", "comarea_id", "areano", "area_num"),
        ("community", "name"),
    ),
    "districts": (("dist_num", "district"), ("dist_label", "name")),
    "beats": (("beat_num", "beat"), ("beat_num", "name")),
    "wards": (("ward", "ward_id"), ("ward", "name")),
    # the City's "Boundaries - ZIP Codes": for search only (a ZIP code is not a statistic's
    # level); the number is the ZIP code
    "zip_codes": (("zip", "zip_code", "zipcode"), ("zip", "zip_code", "zipcode")),
}

LOW_N_THRESHOLD: Final[int] = 20
