"""Reporting periods: civil days, ISO weeks, months, quarters and years in the authority's time
zone (Europe/Paris by default), as UTC bounds.

Reads a civil date and an IANA zone name; writes timezone-aware UTC datetimes (hour starts
line up with the ``hour`` of :class:`collector.analysis.energy.HourlyEnergy`). Bounds are local
midnights converted to UTC, so the day of the March change has 23 hours and the day of the
October change 25, and every figure over them counts the hours there really were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

PeriodKind = Literal["day", "week", "month", "quarter", "year"]
KINDS: tuple[PeriodKind, ...] = ("day", "week", "month", "quarter", "year")
DEFAULT_TZ = "Europe/Paris"


@dataclass(frozen=True, slots=True)
class Period:
    """One civil period: ``kind``, ``label`` (``2026-03-29``, ``2026-W13``, ``2026-03``,
    ``2026-T1``, ``2026``), its first and next civil days, and its UTC bounds [start, end)."""

    kind: PeriodKind
    label: str
    first_day: date
    next_day: date
    start: datetime
    end: datetime

    @property
    def hours(self) -> int:
        return hours_in(self.start, self.end)


def _first_day(kind: PeriodKind, day: date) -> date:
    if kind == "day":
        return day
    if kind == "week":
        return day - timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    if kind == "quarter":
        return _quarter_start(day)
    return date(day.year, 1, 1)


def _next_day(kind: PeriodKind, first: date) -> date:
    if kind == "day":
        return first + timedelta(days=1)
    if kind == "week":
        return first + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    m = first.month - 1 + months
    return date(first.year + m // 12, m % 12 + 1, 1)


def _label(kind: PeriodKind, first: date) -> str:
    if kind == "day":
        return first.isoformat()
    if kind == "week":
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    if kind == "month":
        return f"{first.year}-{first.month:02d}"
    if kind == "quarter":
        return quarter_label(first)
    return str(first.year)


def local_midnight(day: date, tz: str) -> datetime:
    """The instant (UTC) of local midnight starting ``day`` in zone ``tz``."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def period_of(kind: PeriodKind, day: date, tz: str = DEFAULT_TZ) -> Period:
    """The civil period of ``kind`` containing ``day`` in zone ``tz``.

    >>> period_of("day", date(2026, 3, 29), "Europe/Paris").hours
    23
    """
    if kind not in KINDS:
        raise ValueError(f"period kind must be one of {', '.join(KINDS)}, not {kind!r}")
    first = _first_day(kind, day)
    nxt = _next_day(kind, first)
    return Period(
        kind, _label(kind, first), first, nxt, local_midnight(first, tz), local_midnight(nxt, tz)
    )


def periods_between(
    kind: PeriodKind, first: date, last: date, tz: str = DEFAULT_TZ
) -> list[Period]:
    """Every period of ``kind`` that meets the civil days ``first`` .. ``last`` (inclusive)."""
    if last < first:
        raise ValueError(f"last day {last} is before first day {first}")
    out = [period_of(kind, first, tz)]
    while out[-1].next_day <= last:
        out.append(period_of(kind, out[-1].next_day, tz))
    return out


def trailing_year(end: datetime) -> tuple[datetime, datetime]:
    """[end - 12 months, end): the window of an annual figure (ISO/IEC 30134-2)."""
    try:
        start = end.replace(year=end.year - 1)
    except ValueError:  # 29 February
        start = end.replace(year=end.year - 1, day=28)
    return start, end


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """UTC [start, end) of the civil quarter containing ``day`` in zone ``tz``.

    >>> quarter_bounds(date(2026, 11, 17), "Europe/Paris")[0].isoformat()
    '2026-09-30T22:00:00+00:00'
    """
    zone = ZoneInfo(tz)
    first = _quarter_start(day)
    nxt = date(first.year + 1, 1, 1) if first.month == 10 else date(first.year, first.month + 3, 1)
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(nxt, time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def quarter_label(day: date) -> str:
    """``2026-T4``: the year and French "trimestre" of ``day``."""
    return f"{day.year}-T{(day.month - 1) // 3 + 1}"


def hours_in(start: datetime, end: datetime) -> int:
    """Whole hours in [start, end)."""
    return max(0, int((end - start) / timedelta(hours=1)))


def is_interim(start: datetime, end: datetime) -> bool:
    """True when [start, end) is shorter than 12 months (ISO/IEC 30134-2 "interim" figure).

    A civil year in a zone with DST is exactly 8760 h (8784 h in a leap year) in UTC as well,
    so comparing with the same instant one year later is exact.
    """
    try:
        a_year_later = start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        a_year_later = start.replace(year=start.year + 1, day=28) + timedelta(days=1)
    return end < a_year_later
