"""Office days in Europe/Paris: when each user sits at their workstation (UTC spans).

A working day has an arrival (about 7:45-9:30), a lunch break, a departure (about
16:30-19:00) and, for desktops, meetings away from the desk; laptops go to meetings with
their user and run on battery there. Weekends and French public holidays (``holidays``
package) are days off; so are a few days of leave per user. Everything is derived from the
seed, the device id and the date, so any instant can be evaluated on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from collector.sim.draws import clamp, rng
from collector.sim.fleet import Workstation

PARIS = ZoneInfo("Europe/Paris")
Span = tuple[datetime, datetime]

LEAVE_RATE = 0.06  # share of working days a user is away (leave, sickness, training)
EARLIEST_ARRIVAL, LATEST_ARRIVAL = 7 * 60 + 45, 9 * 60 + 30
EARLIEST_DEPARTURE, LATEST_DEPARTURE = 16 * 60 + 30, 19 * 60
MEETING_MINUTES = (30, 45, 60, 90, 120)
#: How far to look for the previous or next day at the desk (leave plus bank holidays).
MAX_DAYS = 40


@dataclass(frozen=True, slots=True)
class DayPlan:
    """The spans (UTC) the user works at the machine, and (laptops) those on battery."""

    presence: tuple[Span, ...] = ()
    battery: tuple[Span, ...] = ()


NO_WORK = DayPlan()


@lru_cache(maxsize=16)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FR", years=year).keys())


def is_day_off(day: date) -> bool:
    """Weekends and French public holidays (1 November, 11 November, Ascension...)."""
    return day.weekday() >= 5 or day in _holidays(day.year)


def local_day(ts: datetime) -> date:
    return ts.astimezone(PARIS).date()


def at(day: date, minutes: float) -> datetime:
    """Local wall-clock ``minutes`` after midnight of ``day``, as UTC."""
    wall = datetime(day.year, day.month, day.day, tzinfo=PARIS) + timedelta(minutes=minutes)
    return wall.astimezone(UTC)


def _cut(spans: list[tuple[float, float]], hole: tuple[float, float]) -> list[tuple[float, float]]:
    out = []
    for a, b in spans:
        if hole[1] <= a or hole[0] >= b:
            out.append((a, b))
            continue
        if hole[0] > a:
            out.append((a, hole[0]))
        if hole[1] < b:
            out.append((hole[1], b))
    return out


@lru_cache(maxsize=65_536)
def day_plan(ws: Workstation, day: date) -> DayPlan:
    """The user's day at ``ws`` on local ``day`` (empty on days off and leave)."""
    if is_day_off(day):
        return NO_WORK
    r = rng(ws.seed, ws.id, day.isoformat())
    if r.random() < LEAVE_RATE:
        return NO_WORK
    friday = 20 if day.weekday() == 4 else 0
    arrive = clamp(ws.arrival_minutes + r.gauss(0, 12), EARLIEST_ARRIVAL, LATEST_ARRIVAL)
    leave = clamp(
        ws.departure_minutes - friday + r.gauss(0, 18), EARLIEST_DEPARTURE, LATEST_DEPARTURE
    )
    lunch = clamp(r.gauss(12 * 60 + 10, 15), 11 * 60 + 45, 13 * 60 + 15)
    back = lunch + clamp(ws.lunch_minutes + r.gauss(0, 8), 30, 90)
    spans = [(arrive, lunch), (back, leave)]
    if ws.part_time_wednesday and day.weekday() == 2:
        spans = [(arrive, lunch)]
    meetings = []
    for _ in range(r.choice((0, 0, 1, 1, 2))):
        start = r.choice((r.uniform(arrive + 30, lunch - 30), r.uniform(back + 15, leave - 60)))
        meetings.append((start, start + r.choice(MEETING_MINUTES)))
    battery: list[tuple[float, float]] = []
    for m in meetings:
        if ws.kind == "desktop":
            spans = _cut(spans, m)
        else:
            battery += [(max(a, m[0]), min(b, m[1])) for a, b in spans if m[0] < b and m[1] > a]
    spans = [(a, b) for a, b in spans if b - a >= 5]
    return DayPlan(
        presence=tuple((at(day, a), at(day, b)) for a, b in spans),
        battery=tuple((at(day, a), at(day, b)) for a, b in battery),
    )


def present(ws: Workstation, ts: datetime) -> bool:
    return any(a <= ts < b for a, b in day_plan(ws, local_day(ts)).presence)


def on_battery(ws: Workstation, ts: datetime) -> bool:
    return any(a <= ts < b for a, b in day_plan(ws, local_day(ts)).battery)


@lru_cache(maxsize=65_536)
def _end_before_day(ws: Workstation, day: date) -> datetime | None:
    """The last time the user left the machine on a day before ``day``."""
    for back in range(1, MAX_DAYS):
        presence = day_plan(ws, day - timedelta(days=back)).presence
        if presence:
            return presence[-1][1]
    return None


@lru_cache(maxsize=65_536)
def _start_after_day(ws: Workstation, day: date) -> datetime | None:
    """The first time the user sits down at the machine on a day after ``day``."""
    for ahead in range(1, MAX_DAYS):
        presence = day_plan(ws, day + timedelta(days=ahead)).presence
        if presence:
            return presence[0][0]
    return None


def previous_end(ws: Workstation, ts: datetime) -> datetime | None:
    """When the user last left the machine before ``ts`` (None: not within MAX_DAYS)."""
    day = local_day(ts)
    ends = [b for _a, b in day_plan(ws, day).presence if b <= ts]
    return max(ends) if ends else _end_before_day(ws, day)


def next_start(ws: Workstation, ts: datetime) -> datetime | None:
    """When the user next sits down at the machine after ``ts`` (None: not within MAX_DAYS)."""
    day = local_day(ts)
    starts = [a for a, _b in day_plan(ws, day).presence if a > ts]
    return min(starts) if starts else _start_after_day(ws, day)


def starts_between(ws: Workstation, lo: datetime, hi: datetime) -> list[datetime]:
    """Presence starts in (lo, hi], oldest first."""
    out: list[datetime] = []
    day, last = local_day(lo), local_day(hi)
    while day <= last:
        out += [a for a, _b in day_plan(ws, day).presence if lo < a <= hi]
        day += timedelta(days=1)
    return sorted(out)
