"""The daily roll-up (table ``daily_energy``): kWh per device per local civil day.

Hourly rows are summed per device and per civil day of the authority's time zone (a day of
the March change holds 23 rows at most, October's 25). The analysis job calls
:func:`refresh_days` whenever it replaces a device's hourly rows, so the roll-up always says
what the hourly rows say; reports then aggregate days with SQL ``GROUP BY`` instead of loading
every hourly row (see :mod:`collector.report.fast`).

Columns: ``kwh``, ``measured_kwh``, ``estimated_kwh`` (sums of the hourly rows, kWh),
``coverage_hours`` (sum of the rows' coverage, hours with data) and ``hours`` (rows summed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    delete,
    func,
    select,
)

from collector.analysis.energy import HourlyEnergy
from collector.analysis.periods import local_midnight
from collector.ledger import tables as t

d = t.daily_energy

#: ``(device_ids, start, end) -> hourly rows`` (``Ledger.hourly_for``).
HourlyReader = Callable[[Sequence[str], datetime, datetime], list[HourlyEnergy]]


@dataclass(frozen=True, slots=True)
class DailyEnergy:
    """One device's kWh over one local day (or, summed, over several days)."""

    device_id: str
    day: date
    kwh: float
    measured_kwh: float
    estimated_kwh: float
    coverage_hours: float
    hours: int


def roll_up(rows: Iterable[HourlyEnergy], tz: str) -> list[DailyEnergy]:
    """Sum hourly rows per (device, local day): the pure reference of the table's contents."""
    zone = ZoneInfo(tz)
    acc: dict[tuple[str, date], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0, 0.0])
    for r in rows:
        a = acc[(r.device_id, r.hour.astimezone(zone).date())]
        a[0] += r.kwh
        a[1] += r.measured_kwh
        a[2] += r.estimated_kwh
        a[3] += r.coverage
        a[4] += 1
    return [
        DailyEnergy(dev, day, a[0], a[1], a[2], a[3], int(a[4]))
        for (dev, day), a in sorted(acc.items())
    ]


def _days_of(hours: Iterable[datetime], tz: str) -> set[date]:
    zone = ZoneInfo(tz)
    return {h.astimezone(zone).date() for h in hours}


def refresh_days(
    engine: Engine, read_hourly: HourlyReader, device_id: str, hours: Sequence[datetime], tz: str
) -> int:
    """Rebuild the device's daily rows for every local day that ``hours`` touch; returns the
    number of days written. ``read_hourly(device_ids, start, end)`` reads hourly rows."""
    days = sorted(_days_of(hours, tz))
    if not days:
        return 0
    start = local_midnight(days[0], tz)
    end = local_midnight(days[-1] + timedelta(days=1), tz)
    wanted = set(days)
    rows = [
        r
        for r in roll_up(read_hourly([device_id], start, end), tz)
        if r.day in wanted and r.device_id == device_id
    ]
    with engine.begin() as conn:
        conn.execute(delete(d).where(d.c.device_id == device_id, d.c.day.in_(days)))
        if rows:
            conn.execute(d.insert(), [_row(r) for r in rows])
    return len(rows)


def rebuild(engine: Engine, rows: Iterable[HourlyEnergy], tz: str) -> int:
    """Replace the whole roll-up with the roll-up of ``rows`` (back-fill, time-zone change)."""
    out = roll_up(rows, tz)
    with engine.begin() as conn:
        conn.execute(delete(d))
        for i in range(0, len(out), 10_000):
            conn.execute(d.insert(), [_row(r) for r in out[i : i + 10_000]])
    return len(out)


def is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(d.c.device_id).limit(1)).first() is None


def sums_by_device(conn: Connection, first_day: date, next_day: date) -> list[DailyEnergy]:
    """Per device, the sums over the days [first_day, next_day) (``day`` = first_day)."""
    q = (
        select(
            d.c.device_id,
            func.sum(d.c.kwh),
            func.sum(d.c.measured_kwh),
            func.sum(d.c.estimated_kwh),
            func.sum(d.c.coverage_hours),
            func.sum(d.c.hours),
        )
        .where(d.c.day >= first_day, d.c.day < next_day)
        .group_by(d.c.device_id)
    )
    return [
        DailyEnergy(r[0], first_day, r[1], r[2], r[3], r[4], int(r[5])) for r in conn.execute(q)
    ]


def kwh_by_group_day(
    conn: Connection, groups: dict[str, str], first_day: date, next_day: date, other: str
) -> list[tuple[str, date, float]]:
    """(group, day, kWh) over [first_day, next_day), summed in SQL. ``groups`` maps a device to
    its group (e.g. its domain); a device mapped to ``""`` is left out, a device not in
    ``groups`` goes to ``other``. The map travels in a temporary table."""
    tmp = Table(
        "report_groups",
        MetaData(),
        Column("device_id", String(128), primary_key=True),
        Column("grp", String(128), nullable=False),
        prefixes=["TEMPORARY"],
    )
    tmp.drop(conn, checkfirst=True)
    tmp.create(conn)
    items = [{"device_id": k, "grp": v} for k, v in groups.items()]
    for i in range(0, len(items), 10_000):
        conn.execute(tmp.insert(), items[i : i + 10_000])
    grp = func.coalesce(tmp.c.grp, other)
    q = (
        select(grp, d.c.day, func.sum(d.c.kwh))
        .select_from(d.outerjoin(tmp, tmp.c.device_id == d.c.device_id))
        .where(d.c.day >= first_day, d.c.day < next_day, grp != "")
        .group_by(grp, d.c.day)
    )
    out = [(r[0], r[1], float(r[2])) for r in conn.execute(q)]
    tmp.drop(conn)
    return out


def _row(r: DailyEnergy) -> dict[str, object]:
    return {
        "device_id": r.device_id,
        "day": r.day,
        "kwh": r.kwh,
        "measured_kwh": r.measured_kwh,
        "estimated_kwh": r.estimated_kwh,
        "coverage_hours": r.coverage_hours,
        "hours": r.hours,
    }
