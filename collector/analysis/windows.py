"""Sleep windows of a policy group: when devices must be asleep (or off).

Reads a timezone-aware instant and the policy (``collector.config.PolicySettings`` and
``PolicyGroup``); writes UTC [start, end) windows. Everything is evaluated in the authority's
time zone (``policy.timezone``, Europe/Paris by default), so the windows follow DST: the night
of the last Sunday of March is one hour shorter, that of October one hour longer.

The model: a *working day* runs from ``group.morning`` to ``group.evening`` (to the next day's
evening when evening <= morning). Everything between two working days is a sleep window. A day
is not a working day on weekends (``group.weekends``: Friday evening to Monday morning) nor on
public holidays (``group.public_holidays``, from the ``holidays`` package for
``policy.holidays_country`` and, if set, ``policy.holidays_subdivision``: Alsace-Moselle's
Good Friday and 26 December). Maintenance windows (``policy.maintenance``, weekday + local
times) are not sleep: an instant inside one is in no window.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import holidays

from collector.config import PolicyGroup, PolicySettings

Window = tuple[datetime, datetime]

#: How far to look for a working day before giving up (long holiday bridges stay well below).
MAX_DAYS = 14


@lru_cache(maxsize=64)
def public_holidays(country: str, year: int, subdivision: str | None = None) -> frozenset[date]:
    """Public holidays of ``country`` (ISO code, e.g. "FR") in ``year``, with those of
    ``subdivision`` if given ("57": Moselle adds Good Friday and 26 December)."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def _aware(ts: datetime) -> datetime:
    if ts.tzinfo is None:
        raise ValueError(f"naive timestamp {ts.isoformat()}: must be timezone-aware")
    return ts


def is_working_day(day: date, group: PolicyGroup, policy: PolicySettings) -> bool:
    """False on weekends and public holidays when the group sleeps through them."""
    if group.weekends and day.weekday() >= 5:
        return False
    if not group.public_holidays:
        return True
    return day not in public_holidays(
        policy.holidays_country, day.year, policy.holidays_subdivision
    )


def _working(day: date, group: PolicyGroup, policy: PolicySettings) -> Window | None:
    """The UTC working interval that starts on local ``day``, or None on a day off."""
    if not is_working_day(day, group, policy):
        return None
    zone = ZoneInfo(policy.timezone)
    end_day = day if group.evening > group.morning else day + timedelta(days=1)
    start = datetime.combine(day, group.morning, tzinfo=zone)
    end = datetime.combine(end_day, group.evening, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _workings(first: date, last: date, group: PolicyGroup, policy: PolicySettings) -> list[Window]:
    """Working intervals from local day ``first`` to ``last``, widened to one on each side."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    for step, edge in ((-1, 0), (1, -1)):
        extra = 0
        while not is_working_day(days[edge], group, policy):
            extra += 1
            if extra > MAX_DAYS:
                raise ValueError(f"no working day within {MAX_DAYS} days of {days[edge]}")
            days.insert(len(days) if step > 0 else 0, days[edge] + timedelta(days=step))
    return [w for d in days if (w := _working(d, group, policy)) is not None]


def windows_between(
    start: datetime, end: datetime, group: PolicyGroup, policy: PolicySettings
) -> list[Window]:
    """Sleep windows (UTC [start, end)) overlapping [start, end), oldest first.

    Maintenance is not cut out of the windows here; see :func:`in_maintenance`.
    """
    if end <= start:
        return []
    zone = ZoneInfo(policy.timezone)
    first = _aware(start).astimezone(zone).date() - timedelta(days=1)
    last = _aware(end).astimezone(zone).date() + timedelta(days=1)
    intervals = _workings(first, last, group, policy)
    windows = [(a[1], b[0]) for a, b in pairwise(intervals) if a[1] < b[0]]
    return [w for w in windows if w[1] > start and w[0] < end]


def in_maintenance(ts: datetime, policy: PolicySettings) -> bool:
    """True when ``ts`` falls in a maintenance window (local weekday and times)."""
    local = _aware(ts).astimezone(ZoneInfo(policy.timezone))
    clock, weekday = local.time(), local.weekday()
    for m in policy.maintenance:
        start, end = time.fromisoformat(m.start), time.fromisoformat(m.end)
        if start < end:
            if weekday == m.weekday and start <= clock < end:
                return True
        elif (weekday == m.weekday and clock >= start) or (
            weekday == (m.weekday + 1) % 7 and clock < end
        ):
            return True
    return False


def maintenance_ends(start: datetime, end: datetime, policy: PolicySettings) -> list[datetime]:
    """UTC ends of the maintenance windows that end in (start, end], oldest first.

    Idle time is counted from such an end at the earliest: the machine was woken on purpose.
    """
    zone = ZoneInfo(policy.timezone)
    first = _aware(start).astimezone(zone).date() - timedelta(days=1)
    last = _aware(end).astimezone(zone).date()
    out = []
    for i in range((last - first).days + 1):
        day = first + timedelta(days=i)
        for m in policy.maintenance:
            if day.weekday() != m.weekday:
                continue
            m_start, m_end = time.fromisoformat(m.start), time.fromisoformat(m.end)
            end_day = day if m_start < m_end else day + timedelta(days=1)
            ends = datetime.combine(end_day, m_end, tzinfo=zone).astimezone(UTC)
            if start < ends <= end:
                out.append(ends)
    return sorted(out)


def policy_window(ts: datetime, group: PolicyGroup, policy: PolicySettings) -> Window | None:
    """The sleep window (UTC [start, end)) containing ``ts``; None in working hours or maintenance.

    >>> from collector.config import PolicyGroup, PolicySettings
    >>> w = policy_window(datetime(2026, 11, 17, 21, 0, tzinfo=UTC), PolicyGroup(),
    ...                   PolicySettings())
    >>> [t.isoformat() for t in w]
    ['2026-11-17T18:30:00+00:00', '2026-11-18T06:30:00+00:00']
    """
    if in_maintenance(ts, policy):
        return None
    for w in windows_between(ts, ts + timedelta(microseconds=1), group, policy):
        if w[0] <= ts < w[1]:
            return w
    return None
