"""Low-clearance clusters (pure): homicides grouped by place, victim sex and age band, location
type and period, each group's clearance against what comparable cases city-wide achieve.

**The test.** Cases of the same injury year are comparable (older cases have had longer to be
cleared). Under the null hypothesis each case in a group is cleared with its year's city-wide
clearance rate, independently; the number cleared is then Poisson-binomial, and the p-value is
its exact lower tail ``P(X <= observed)``. Groups smaller than ``min_n`` are not tested. The
p-values of all tested groups are adjusted with Benjamini-Hochberg: a group is flagged when its
adjusted value (q) is at most ``fdr``, so on data without any real low-clearance group the
chance of flagging anything is at most ``fdr``.

Clearance counts arrests and exceptional clearances, each also shown apart with a 95% Wilson
interval.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from safer77.errors import InvalidInput
from safer77.metrics.intervals import wilson


@dataclass(frozen=True)
class Outcome:
    """One homicide victim's case, reduced to what the grouping and the test need."""

    case: str  # case number: restricted, never published
    year: int  # injury year
    arrest: bool
    exceptional: bool
    attrs: dict[str, str | None] = field(default_factory=dict)

    @property
    def cleared(self) -> bool:
        return self.arrest or self.exceptional


AGE_BANDS: tuple[tuple[int, int, str], ...] = (
    (0, 17, "0-17"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 49, "35-49"),
    (50, 64, "50-64"),
    (65, 200, "65+"),
)


def age_band(age: int | None) -> str | None:
    if age is None:
        return None
    return next(label for low, high, label in AGE_BANDS if low <= age <= high)


def period(year: int, years: int = 3, first: int = 2010) -> str:
    """The ``years``-long period holding ``year`` (e.g. 2013-2015)."""
    start = first + (year - first) // years * years
    return f"{start}-{start + years - 1}" if years > 1 else str(start)


@dataclass(frozen=True)
class Group:
    key: dict[str, str]
    n: int
    cleared: int
    arrest: int
    exceptional: int
    rate: float
    low: float
    high: float
    arrest_rate: float
    arrest_low: float
    arrest_high: float
    exceptional_rate: float
    exceptional_low: float
    exceptional_high: float
    expected_rate: float  # what comparable cases (same years) achieve city-wide
    p_value: float
    q_value: float
    flagged: bool
    unsolved: tuple[str, ...]  # case numbers: restricted


def year_rates(cases: Sequence[Outcome]) -> dict[int, float]:
    n: dict[int, int] = defaultdict(int)
    c: dict[int, int] = defaultdict(int)
    for o in cases:
        n[o.year] += 1
        c[o.year] += o.cleared
    return {y: c[y] / n[y] for y in n}


def poisson_binomial_cdf(probs: Sequence[float], k: int) -> float:
    """``P(X <= k)`` for X a sum of independent Bernoulli(p_i), exactly (dynamic programme)."""
    dist = np.zeros(len(probs) + 1)
    dist[0] = 1.0
    for i, p in enumerate(probs, start=1):
        dist[1 : i + 1] = dist[1 : i + 1] * (1 - p) + dist[0:i] * p
        dist[0] *= 1 - p
    return float(min(1.0, dist[: k + 1].sum()))


def benjamini_hochberg(p: Sequence[float]) -> list[float]:
    """Adjusted p-values (q-values) of Benjamini and Hochberg, in the input order."""
    m = len(p)
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    ranked = np.asarray(p, dtype=float)[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return [float(v) for v in out]


def low_clearance_groups(
    cases: Sequence[Outcome],
    by: Sequence[str],
    *,
    min_n: int = 10,
    fdr: float = 0.05,
) -> list[Group]:
    """Every group of ``by`` attributes with at least ``min_n`` cases (cases missing one of
    the attributes are left out of that grouping), most significant first."""
    if not by:
        raise InvalidInput("group by at least one attribute")
    if not 0 < fdr < 1:
        raise InvalidInput("the false discovery rate must be between 0 and 1")
    rates = year_rates(cases)
    groups: dict[tuple[str, ...], list[Outcome]] = defaultdict(list)
    for o in cases:
        values = [o.attrs.get(b) for b in by]
        if all(v is not None for v in values):
            groups[tuple(str(v) for v in values)].append(o)
    tested = [(k, g) for k, g in sorted(groups.items()) if len(g) >= min_n]
    pvals = [
        poisson_binomial_cdf([rates[o.year] for o in g], sum(o.cleared for o in g))
        for _, g in tested
    ]
    qvals = benjamini_hochberg(pvals)
    out = []
    for (key, g), p, q in zip(tested, pvals, qvals, strict=True):
        n = len(g)
        cleared = sum(o.cleared for o in g)
        arrest = sum(o.arrest for o in g)
        exceptional = sum(o.exceptional for o in g)
        out.append(
            Group(
                key=dict(zip(by, key, strict=True)),
                n=n,
                cleared=cleared,
                arrest=arrest,
                exceptional=exceptional,
                rate=cleared / n,
                low=wilson(cleared, n)[0],
                high=wilson(cleared, n)[1],
                arrest_rate=arrest / n,
                arrest_low=wilson(arrest, n)[0],
                arrest_high=wilson(arrest, n)[1],
                exceptional_rate=exceptional / n,
                exceptional_low=wilson(exceptional, n)[0],
                exceptional_high=wilson(exceptional, n)[1],
                expected_rate=float(np.mean([rates[o.year] for o in g])),
                p_value=p,
                q_value=q,
                flagged=q <= fdr,
                unsolved=tuple(sorted(o.case for o in g if not o.cleared)),
            )
        )
    return sorted(out, key=lambda g: (g.p_value, -g.n, sorted(g.key.items())))
