"""The metric registry: each metric's name, meaning, unit and grain, pointing at its SQL file.

The methodology page and the docs are generated from these entries, so a published figure and
its definition cannot drift apart. A new metric is a SQL file plus an entry here.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Final


@dataclass(frozen=True)
class Metric:
    """One metric definition."""

    name: str
    title: str
    description: str
    unit: str
    grain: str
    definition: str  # which notion of "solved" it uses: arrest_rate_proxy | ucr_clearance | none
    caveats: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    public: bool = True

    @property
    def sql_file(self) -> str:
        return f"{self.name}.sql"

    def sql(self) -> str:
        """The metric's SQL text (DuckDB dialect, portable subset)."""
        return resources.files("safer77.metrics").joinpath("sql", self.sql_file).read_text("utf-8")


_PROXY_CAVEATS: Final = (
    "The Arrest flag is a proxy for clearance: it misses exceptional clearances (offender "
    "dead, prosecution declined) and has no clearance date, so recent months look less "
    "solved until arrests are recorded.",
    "An arrest for one incident can be recorded in a later month; the rate is by month of "
    "occurrence and rises as data are updated.",
    "Cells with fewer than 20 incidents are flagged low_n: their intervals are wide.",
)

METRICS: Final[dict[str, Metric]] = {
    m.name: m
    for m in (
        Metric(
            name="monthly_facts",
            title="Monthly incident facts",
            description="Incidents, arrests and arrest-flagged incidents per month of "
            "occurrence, beat, district, community area and crime type: the base every other "
            "count sums.",
            unit="incidents",
            grain="month x beat x district x community area x crime type",
            definition="none",
            public=False,
        ),
        Metric(
            name="arrest_rate_proxy",
            title="Arrest rate (proxy for clearance)",
            description="Share of incidents with the Arrest flag set, by month of occurrence, "
            "with a 95% Wilson score interval, for the city, each district, community area "
            "and beat, and each crime type, category (violent, property, index) and all crimes.",
            unit="share of incidents (0-1)",
            grain="month x level (city|district|community-area|beat) x crime type",
            definition="arrest_rate_proxy",
            caveats=_PROXY_CAVEATS,
            depends_on=("monthly_facts",),
        ),
        Metric(
            name="yoy_change",
            title="Change on the same month a year earlier",
            description="Incidents and arrest rate next to the same month one year earlier: "
            "percent change in incidents, percentage-point change in the arrest rate.",
            unit="percent / percentage points",
            grain="month x level x crime type",
            definition="arrest_rate_proxy",
            caveats=(
                "Low counts swing by large percentages; low_n flags cells where either "
                "month has fewer than 20 incidents.",
            ),
            depends_on=("monthly_facts", "arrest_rate_proxy"),
        ),
        Metric(
            name="open_incidents_by_age",
            title="Open incidents by age",
            description="Incidents with no arrest recorded, by days since they occurred "
            "(0-30, 31-90, 91-365, over 365; days of 24 hours before the newest incident).",
            unit="incidents",
            grain="level x crime type (all, categories) x age bucket",
            definition="arrest_rate_proxy",
            depends_on=("monthly_facts",),
            caveats=(
                "Open means no arrest flag: exceptionally cleared and unfounded cases are "
                "counted as open, so this overstates what is unsolved.",
            ),
        ),
    )
}

#: The notions of "solved" a published figure can use. The two UCR ones come from the case
#: service's records (``safer77 service export`` writes them into the warehouse).
DEFINITIONS: Final[dict[str, str]] = {
    "arrest_rate_proxy": "Incidents with the open data's Arrest flag set, over all incidents "
    "with the flag recorded. Not a clearance rate.",
    "ucr_clearance": "FBI UCR clearance (by arrest, or exceptionally with a NIBRS code A-E), "
    "counted in the month it was made whatever the offense date, from the case service's "
    "records (warehouse table service_clearance_cleared). Its ratio to the month's offenses can "
    "exceed 100%. Unfounded reports are not offenses. Not available from the open data.",
    "ucr_clearance_cohort": "The offenses of one month and the share of them cleared within 30, "
    "90 and 365 days and to date, by arrest and exceptionally apart, with a 95% Wilson interval; "
    "a window that has not elapsed for every offense of the month is marked incomplete "
    "(warehouse table service_clearance_cohort).",
}
