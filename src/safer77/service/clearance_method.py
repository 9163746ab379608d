"""The methodology's section on clearance from case records (``safer77 service clearance``).

The column definitions and the coverage rule's thresholds come from the code
(:func:`safer77.service.reports.columns`, :mod:`safer77.service.clearance`); the side-by-side
table is measured on CPD's real FOIA file by the commands it names, and written here by hand
(``ROWS``):
re-run them and update it when the counting rules change.
"""

from __future__ import annotations

from safer77.service.clearance import FULL_SHARE, OPEN_SHARE
from safer77.service.reports import columns

# Measured with the commands in MEASURED_WITH on the file of PROVENANCE.md (7,500 rows):
# rate (count); "—" where the year is flagged incomplete. The last column is CBS News'
# figure as its notebook prints it (cbs-news-data/chicago-homicide-clearance,
# chicago_homicide_clearance.ipynb, commit 461c8c0).
HEADER = (
    "year",
    "victims",
    "incidents",
    "cohort rate, victims",
    "cohort rate, incidents",
    "in-year UCR rate, victims",
    "in-year UCR rate, incidents",
    "incidents cleared in year ÷ victims",
    "CBS News notebook",
)
ROWS = """\
| 2007 (incomplete) | 39 | 38 | — (39) | — (38) | — (0) | — (0) | — | — |
| 2008 (incomplete) | 64 | 61 | — (64) | — (61) | — (0) | — (0) | — | — |
| 2009 (incomplete) | 99 | 94 | — (99) | — (94) | — (0) | — (0) | — | — |
| 2010 | 439 | 411 | 48.1% (211) | 45.7% (188) | 51.3% (225) | 50.1% (206) | 46.9% | 46.7% |
| 2011 | 441 | 426 | 45.4% (200) | 44.4% (189) | 49.9% (220) | 47.2% (201) | 45.6% | 45.1% |
| 2012 | 509 | 484 | 45.6% (232) | 44.6% (216) | 37.1% (189) | 36.8% (178) | 35.0% | 34.9% |
| 2013 | 424 | 411 | 45.3% (192) | 45.3% (186) | 55.0% (233) | 54.5% (224) | 52.8% | 52.7% |
| 2014 | 425 | 417 | 45.4% (193) | 44.8% (187) | 50.4% (214) | 50.4% (210) | 49.4% | 49.5% |
| 2015 | 493 | 466 | 41.4% (204) | 40.6% (189) | 46.0% (227) | 45.1% (210) | 42.6% | 42.6% |
| 2016 | 778 | 740 | 34.8% (271) | 33.5% (248) | 28.8% (224) | 28.0% (207) | 26.6% | 26.5% |
| 2017 | 660 | 613 | 31.7% (209) | 31.0% (190) | 35.9% (237) | 34.6% (212) | 32.1% | 32.1% |
| 2018 | 579 | 554 | 38.3% (222) | 37.7% (209) | 44.9% (260) | 44.6% (247) | 42.7% | 42.7% |
| 2019 | 500 | 480 | 32.8% (164) | 32.7% (157) | 53.0% (265) | 52.7% (253) | 50.6% | 50.6% |
| 2020 | 774 | 745 | 39.1% (303) | 38.9% (290) | 45.7% (354) | 45.5% (339) | 43.8% | 43.8% |
| 2021 | 800 | 767 | 26.4% (211) | 26.3% (202) | 49.9% (399) | 49.9% (383) | 47.9% | 47.9% |
| 2022 | 174 | 160 | 25.3% (44) | 25.0% (40) | 63.8% (111) | 63.7% (102) | 58.6% | 58.6% |"""

MEASURED_WITH = """\
export SAFER77_DATABASE_URL=sqlite:///scratch/svc.db   # a scratch service database
safer77 service db upgrade
safer77 service import cpd-homicides cpd_homicide_clearance_status_P744333.csv
safer77 service clearance --crime-type homicide --from 2007 --to 2022 --as-of 2022-05-06
safer77 service clearance --crime-type homicide --from 2007 --to 2022 --as-of 2022-05-06 \\
    --count incidents"""


def methodology_section() -> list[str]:
    """Markdown lines for docs/methodology.md."""
    lines = [
        "## Clearance from case records (`safer77 service clearance`)",
        "",
        "Two rates, named by their definitions; arrest and exceptional clearance are counted "
        "apart, unfounded reports are not offenses:",
        "",
        "- **cohort rate**: the offenses of year Y and the share of them cleared to date (the "
        "as-of date), whatever year the clearance came. It is at most 100% and it rises as "
        "old cases clear, so recent years read low.",
        "- **in-year UCR rate**: the clearances recorded in year Y, whatever year the offense "
        "happened, over the offenses of year Y, as the FBI's UCR program reports it. It can "
        "exceed 100%, and a year's wave of clearances of old cases (exceptional clearances "
        "such as BAR TO PROSECUTE among them) lifts it.",
        "",
        "The output's columns (CSV header and JSON key, the table's header, the definition; "
        "`--grain month` writes `month` for `year`):",
        "",
        "| key | table header | definition |",
        "|---|---|---|",
    ]
    for key, (header, text) in columns("year").items():
        lines.append(f"| `{key}` | {header} | {text} |")
    lines += [
        "",
        "### Victims or incidents (`--count`)",
        "",
        "By default an offense is one **victim** (`--count victims`): UCR counts one homicide "
        "offense per victim, and CPD's FOIA file has one row per victim. `--count incidents` "
        "counts one offense per distinct case (RD) number: an incident happened on its "
        "victims' earliest injury date and is cleared when any of its victims' cases is "
        "cleared, on the earliest such date, by arrest when an arrest cleared one of them that "
        "day. Both come from the same records, so a newspaper's figure built on the same file "
        "can be reproduced.",
        "",
        "### Years before complete coverage",
        "",
        "A release may cover a span of years and still hold some older cases: CPD's file is "
        "titled *Homicide status 2010-YTD*, yet it holds 504 rows injured from 1948 to 2009, "
        "kept because they were cleared or updated since 2010, nearly all of them cleared. "
        "Read as a cohort, such a year shows about 100%. The coverage start is derived from "
        "the records themselves, so a later release or another source needs no setting: it is "
        f"the first year whose offenses number at least {FULL_SHARE:.0%} of the busiest "
        f"year's and of which at least {OPEN_SHARE:.0%} are still uncleared on the as-of "
        "date. A year selected on its outcome fails one of the two (CPD's file: at most 99 "
        "rows a year before 2010 against 424 to 800 in 2010-2021, and 0 to 20% uncleared against "
        "over 50% after); an ordinary year passes both unless it clears 90% of its offenses "
        "or more, far above the US homicide clearance of about half. Every year from the "
        "start on counts as covered, so the current, partial year is not flagged. Years "
        "before it keep their counts, show no rates, and "
        "say `incomplete: before 2010, ...` in the `coverage` column. The start is found on "
        "the yearly counts of the rows being reported (same crime type, same `--count`), "
        "also with `--grain month`.",
        "",
        "### The two counts and the two rates on CPD's file",
        "",
        "Measured on `cpd_homicide_clearance_status_P744333.csv` (CPD FOIA P744333, "
        "accurate as of 2022-05-06; see PROVENANCE.md) with:",
        "",
        "```sh",
        MEASURED_WITH,
        "```",
        "",
        "Rate (count of cleared offenses); 2022 runs to April:",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|---|" + "---:|" * (len(HEADER) - 1),
        ROWS,
        "",
        "Why they differ:",
        "",
        "- **Victims and incidents.** 2010-2021 hold 6,822 victims in 6,514 incidents: 256 "
        "incidents have several victims (564 victims). Those incidents were cleared more often "
        "(49.2% against 37.2% for single-victim ones) and weigh more when each victim "
        "counts, so counting victims gives slightly higher rates (cohort 38.3% against 37.6% "
        "over 2010-2021).",
        "- **Cohort and in-year.** The cohort rate follows one year's offenses; the in-year "
        "rate counts what was cleared that year, and a third to three fifths of those "
        "clearances were of earlier years' offenses (221 of 2021's 399). So 2021 reads 26.4% "
        "as a cohort, its offenses having had little time to clear, and 49.9% in-year; "
        "2022's four months likewise (67 of 111 clearances of older offenses).",
        "- **CBS News.** CBS News' Chicago homicide clearance story, built on this file, "
        "divides the incidents (distinct RD numbers) cleared in year Y by the victims "
        "(homicide numbers) whose CompStat date falls in year Y, a ratio that mixes the two "
        "counts. Its numerators are exactly `ucr_cleared_in_year` with `--count incidents` "
        "(206, 201, 178, ... 339 in 2020, 383 in 2021), by arrest too; its denominators are "
        "the victims by CompStat date, which the service does not load (offenses are dated by "
        "injury): the two differ by 1 to 5 victims in 2010-2014 and 2016 and not at all in "
        "2015 and 2017-2022, so the column before last matches CBS' figure in those years "
        "and is within 0.5 points in the others. The mixed ratio is lower than either "
        "consistent in-year rate.",
        "",
    ]
    return lines
