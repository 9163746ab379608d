"""SQL that turns raw text columns (canonical names) into typed incident columns.

Every check that can fail names the field and says what was expected; the first failing field
of a row becomes its quarantine reason. Expressions are plain DuckDB SQL so that a load is one
vectorised pass over the file.
"""

from __future__ import annotations

from collections.abc import Callable

from safer77.schema import category_sql, primary_type_from_iucr_sql

#: Date formats accepted besides ISO 8601 (which a plain cast reads).
DATE_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
)

INT_FIELDS = ("id", "beat", "district", "ward", "community_area", "year")
FLOAT_FIELDS = ("x_coordinate", "y_coordinate", "latitude", "longitude")
BOOL_FIELDS = ("arrest", "domestic")
TS_FIELDS = ("date", "updated_on")
#: Fields where 0 means "unknown" in the portal's data.
ZERO_IS_NULL = (
    "beat",
    "district",
    "ward",
    "community_area",
    "x_coordinate",
    "y_coordinate",
    "latitude",
    "longitude",
)

_TRUE = "('true','t','y','yes','1')"
_FALSE = "('false','f','n','no','0')"


def _v(col: str) -> str:
    return f"v_{col}"


def _ts(expr: str) -> str:
    fmts = ", ".join(f"'{f}'" for f in DATE_FORMATS)
    return f"coalesce(TRY_CAST({expr} AS TIMESTAMP), try_strptime({expr}, [{fmts}]))"


def _expected(col: str) -> str:
    if col in INT_FIELDS:
        return "a whole number"
    if col in FLOAT_FIELDS:
        return "a number"
    if col in BOOL_FIELDS:
        return "true or false"
    if col in TS_FIELDS:
        return "a date like 05/31/2022 11:59:00 PM or 2022-05-31T23:59:00"
    if col == "iucr":
        return "an IUCR code of at most 4 letters or digits"
    return "a value"


def read_type(col: str) -> str:
    """The type a CSV reader can declare for a canonical column (checked while parsing)."""
    if col in INT_FIELDS or col in FLOAT_FIELDS:
        return "DOUBLE"  # whole numbers arrive as '0422' or '17.0'; checked for wholeness here
    if col in BOOL_FIELDS:
        return "BOOLEAN"  # true/false/True/t/1/yes...; a padded " true" is quarantined
    if col in TS_FIELDS:
        return "TIMESTAMP"
    return "VARCHAR"


def staged_select(
    present: set[str],
    source_name: Callable[[str], str],
    raw: str,
    typed: frozenset[str] = frozenset(),
) -> str:
    """SELECT over relation ``raw`` (columns named as canonical, plus ``_rn``).

    ``present`` are the canonical columns the file has; the others are NULL. Columns in
    ``typed`` arrive already parsed as :func:`read_type` says (the reader rejected values it
    could not parse); the others arrive as text and are parsed and checked here.
    Output: ``_rn``, ``incident_key`` (the ID; NULL when there is none), the typed canonical
    columns (``occurred_at`` for Date), ``category``, ``index_crime``, ``geo_assigned``,
    ``_bad_field`` and ``_reason`` (both NULL for good rows).

    Built as nested projections so that each derived value is computed once per row.
    """

    def col(name: str) -> str:
        return f'"{name}"' if name in present else "CAST(NULL AS VARCHAR)"

    def shown(name: str) -> str:  # the value as text, for messages
        return f"d_{name}::VARCHAR" if name in typed else _v(name)

    # Level 1: parse.
    lvl1: list[str] = ["_rn"]
    for name in ("case_number", "iucr", "primary_type", "fbi_code"):
        lvl1.append(f"nullif(upper(trim({col(name)})), '') AS {_v(name)}")
    for name in ("block", "description", "location_description"):
        lvl1.append(f"{col(name)} AS {_v(name)}")
    for name in INT_FIELDS + FLOAT_FIELDS + BOOL_FIELDS + TS_FIELDS:
        prefix = "b" if name in BOOL_FIELDS else "t" if name in TS_FIELDS else "d"
        if name in typed:
            lvl1.append(f'"{name}" AS {prefix}_{name}')
            continue
        lvl1.append(f"nullif(trim({col(name)}), '') AS {_v(name)}")
        if prefix == "d":
            lvl1.append(f"TRY_CAST(nullif(trim({col(name)}), '') AS DOUBLE) AS d_{name}")
        elif prefix == "t":
            lvl1.append(f"{_ts(f'nullif(trim({col(name)}), {_lit(str())})')} AS t_{name}")
        else:
            low = f"lower(trim({col(name)}))"
            lvl1.append(
                f"CASE WHEN {low} IN {_TRUE} THEN true WHEN {low} IN {_FALSE} THEN false "
                f"END AS b_{name}"
            )

    # Level 2: normalise codes and numbers.
    code, fbi_code = _v("iucr"), _v("fbi_code")
    iucr = f"CASE WHEN length({code}) < 4 THEN lpad({code}, 4, '0') ELSE {code} END"
    fbi = f"CASE WHEN length({fbi_code}) = 1 THEN '0' || {fbi_code} ELSE {fbi_code} END"
    lvl2: list[str] = ["*", f"{iucr} AS n_iucr", f"{fbi} AS n_fbi"]
    for name in INT_FIELDS:
        ok = f"d_{name} = trunc(d_{name}) AND abs(d_{name}) < 9e15"
        lvl2.append(f"CASE WHEN {ok} THEN CAST(d_{name} AS BIGINT) END AS i_{name}")

    # Level 3: crime type, category and the first problem of the row.
    ptype = f"coalesce({_v('primary_type')}, {primary_type_from_iucr_sql('n_iucr')})"
    bad: list[tuple[str, str, str]] = []  # (condition, canonical column, reason SQL)

    def unreadable(name: str) -> str:
        return f"'cannot read ' || {shown(name)} || ' as {_expected(name)}'"

    for name in INT_FIELDS:
        bad.append((f"d_{name} IS NOT NULL AND i_{name} IS NULL", name, unreadable(name)))
    for name in INT_FIELDS + FLOAT_FIELDS + BOOL_FIELDS + TS_FIELDS:
        if name in typed or name in INT_FIELDS:
            continue
        prefix = "b" if name in BOOL_FIELDS else "t" if name in TS_FIELDS else "d"
        bad.append((f"{_v(name)} IS NOT NULL AND {prefix}_{name} IS NULL", name, unreadable(name)))
    bad.append(("length(n_iucr) > 4", "iucr", unreadable("iucr")))
    bad.append(("t_date IS NULL", "date", "'missing date'"))
    for name in ("beat", "district", "ward", "community_area"):
        bad.append((f"i_{name} < 0", name, f"'negative number ' || {shown(name)}"))
    bad.append(
        (
            "i_community_area > 77",
            "community_area",
            f"'community area ' || {shown('community_area')} || ' is not one of 1-77'",
        )
    )
    bad.append(
        (
            "n_ptype IS NULL",
            "primary_type" if "primary_type" in present else "iucr",
            "'no crime type: Primary Type missing and IUCR not recognised'",
        )
    )
    code = " ".join(f"WHEN {cond} THEN {i}" for i, (cond, _, _) in enumerate(bad, start=1))
    lvl3 = ["*", f"CASE {code} END AS _bad"]
    category = category_sql("n_fbi", "n_ptype", _v("description"))

    # Level 4: output columns.
    field_case = " ".join(
        f"WHEN {i} THEN {_lit(source_name(name))}" for i, (_, name, _) in enumerate(bad, start=1)
    )
    reason_case = " ".join(f"WHEN {i} THEN {r}" for i, (_, _, r) in enumerate(bad, start=1))
    zero_null = {
        name: f"nullif({'i_' if name in INT_FIELDS else 'd_'}{name}, 0)" for name in ZERO_IS_NULL
    }
    out = [
        "_rn",
        "i_id AS incident_key",  # rows without an ID get a content key later
        "i_id AS id",
        f"{_v('case_number')} AS case_number",
        "t_date AS occurred_at",
        "CAST(date_trunc('month', t_date) AS DATE) AS month",
        f"{_v('block')} AS block",
        "n_iucr AS iucr",
        "n_ptype AS primary_type",
        f"{_v('description')} AS description",
        f"{_v('location_description')} AS location_description",
        "b_arrest AS arrest",
        "b_domestic AS domestic",
        *(f"{zero_null[n]} AS {n}" for n in ("beat", "district", "ward", "community_area")),
        "n_fbi AS fbi_code",
        f"{zero_null['x_coordinate']} AS x_coordinate",
        f"{zero_null['y_coordinate']} AS y_coordinate",
        "i_year AS year",
        "t_updated_on AS updated_on",
        f"{zero_null['latitude']} AS latitude",
        f"{zero_null['longitude']} AS longitude",
        "category",
        "category IS NOT NULL AS index_crime",
        "CAST(NULL AS VARCHAR) AS geo_assigned",
        f"CASE _bad {field_case} END AS _bad_field",
        f"CASE _bad {reason_case} END AS _reason",
    ]
    q1 = f"SELECT {', '.join(lvl1)} FROM {raw}"
    q2 = f"SELECT {', '.join(lvl2)} FROM ({q1}) AS l1"
    q3 = f"SELECT *, {ptype} AS n_ptype FROM ({q2}) AS l2"
    q4 = f"SELECT {', '.join(lvl3)}, {category} AS category FROM ({q3}) AS l3"
    return f"SELECT {', '.join(out)} FROM ({q4}) AS l4"


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
