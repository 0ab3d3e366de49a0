"""Reporting periods: civil quarters in the authority's time zone, as UTC bounds.

Reads a civil date and an IANA zone name; writes timezone-aware UTC datetimes (hour starts
line up with the ``hour`` of :class:`collector.analysis.energy.HourlyEnergy`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


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
