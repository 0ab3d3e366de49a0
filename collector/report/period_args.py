"""The periods a report is asked for: ``--quarter 2026-Q3`` (or ``2026-T3``), ``--year 2026``,
``--from D --to D`` (local days, inclusive), and the periods it is compared with."""

from __future__ import annotations

import re
from datetime import date, timedelta

from collector.analysis.periods import Period, local_midnight, period_of


def parse_quarter(text: str, tz: str) -> Period:
    """``2026-Q3`` or ``2026-T3`` (French "trimestre")."""
    m = re.fullmatch(r"(\d{4})-[QqTt]([1-4])", text.strip())
    if not m:
        raise ValueError(f"--quarter {text!r}: expected YYYY-Q1..Q4 or YYYY-T1..T4")
    return period_of("quarter", date(int(m[1]), 3 * int(m[2]) - 2, 1), tz)


def parse_year(text: str, tz: str) -> Period:
    if not re.fullmatch(r"\d{4}", text.strip()):
        raise ValueError(f"--year {text!r}: expected YYYY")
    return period_of("year", date(int(text), 1, 1), tz)


def day_range(first: date, last: date, tz: str) -> Period:
    """The local days ``first`` .. ``last`` inclusive."""
    if last < first:
        raise ValueError(f"--to {last} is before --from {first}")
    nxt = last + timedelta(days=1)
    label = f"{first.isoformat()}_{last.isoformat()}"
    return Period("day", label, first, nxt, local_midnight(first, tz), local_midnight(nxt, tz))


def shift(p: Period, kind: str, tz: str, *, years: int = 0) -> Period:
    """The period before ``p`` (years=0) or the same period ``years`` earlier."""
    if years:
        first = years_back(p.first_day, years)
        if kind == "range":
            return day_range(first, years_back(p.next_day - timedelta(days=1), years), tz)
        return period_of(p.kind, first, tz)
    if kind == "range":
        length = p.next_day - p.first_day
        return day_range(p.first_day - length, p.first_day - timedelta(days=1), tz)
    return period_of(p.kind, p.first_day - timedelta(days=1), tz)


def years_back(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
