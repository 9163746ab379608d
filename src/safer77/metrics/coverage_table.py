"""The coverage of a warehouse as a table: per crime type x month, and merged into ranges
(for ``safer77 coverage`` and a release's manifest)."""

from __future__ import annotations

from typing import Any, Final

from safer77.metrics.coverage import (
    LEVEL_THRESHOLD,
    Coverage,
    next_month,
    scope_label,
)


def coverage_table(cov: Coverage) -> list[dict[str, Any]]:
    """Per crime type x month: the scope, the levels recorded (share of rows) and the loads,
    from the coverage records (for ``safer77 coverage``)."""
    out = []
    for ptype in sorted({t for ld in cov.loads for t in ld.types}):
        for month in cov.months():
            scope = cov.scope(ptype, month)
            loads = [
                ld for ld in cov.loads if month in ld.spans and (ld.general or ptype in ld.types)
            ]
            if not loads:
                continue
            counts = cov.filled.get((ptype, month), {})
            rows = counts.get("rows", 0)
            out.append(
                {
                    "crime_type": ptype,
                    "month": month,
                    "covered": scope is not None,
                    "scope": scope_label(scope),
                    "rows": rows,
                    **{
                        f"{lv}_share": round(counts.get(lv, 0) / rows, 4) if rows else None
                        for lv in ("district", "beat", "community_area", "ward", "point", "arrest")
                    },
                    "reason": None if scope else cov.uncovered_reason(ptype, month),
                    "loads": [ld.load_id for ld in loads],
                    "files": sorted({ld.name for ld in loads}),
                }
            )
    return out


_SHARE_LEVELS: Final = ("district", "beat", "community_area", "ward", "point")


def levels_recorded(row: dict[str, Any]) -> list[str]:
    """The levels a coverage row records for at least :data:`LEVEL_THRESHOLD` of its rows."""
    return [lv for lv in _SHARE_LEVELS if (row.get(f"{lv}_share") or 0.0) >= LEVEL_THRESHOLD]


def coverage_ranges(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive months of one crime type with the same scope, levels and files, merged
    into one row ``from``-``to`` (for the table view of ``safer77 coverage``)."""
    out: list[dict[str, Any]] = []
    for r in rows:
        sig = (
            r["reason"],
            r["crime_type"],
            r["covered"],
            r["scope"],
            tuple(levels_recorded(r)),
            tuple(r["files"]),
        )
        last = out[-1] if out else None
        if last and last["_sig"] == sig and next_month(last["to"]) == r["month"]:
            last["to"] = r["month"]
            last["rows"] += r["rows"]
            continue
        out.append(
            {
                "_sig": sig,
                "crime_type": r["crime_type"],
                "from": r["month"],
                "to": r["month"],
                "covered": r["covered"],
                "scope": r["scope"],
                "levels": ", ".join(levels_recorded(r)) or "none",
                "rows": r["rows"],
                "files": ", ".join(r["files"]),
                "reason": r["reason"],
            }
        )
    for r in out:
        del r["_sig"]
    return out
