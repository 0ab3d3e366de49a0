"""The analysis job's reads and writes for a chunk of devices: one statement per table and
chunk, instead of one set of statements per device (:func:`collector.jobs.recompute`).

Raw samples and states are streamed, ordered by device, and handed out one device at a time
(:func:`samples_by_device`, :func:`states_by_device`), so that memory holds one device's rows,
never a chunk's. The writes take the connection of the caller's transaction and replace rows
exactly as the one-device writes of :class:`collector.ledger.store.Ledger` do (the rows of the
hours, days and windows given, nothing else).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, delete, select

from collector.analysis.compliance import WindowOutcome
from collector.analysis.coverage import to_columns
from collector.analysis.energy import HourlyEnergy
from collector.analysis.periods import local_midnight
from collector.ledger import daily
from collector.ledger import tables as t
from collector.ledger import violations as vt
from collector.ledger.reads import _hourly, _state
from collector.ledger.tables import utc
from collector.model import Sample, StateObservation, ViolationRecord
from contract.schema import Quality

#: Rows fetched from the cursor at a time while streaming samples or states.
FETCH_ROWS = 2_000

S = t.samples.c
_QUALITY = {q.value: q for q in Quality}  # Quality(text), without the enum's call per row
H = t.hourly_energy
PW = t.policy_windows


def samples_by_device(
    conn: Connection, device_ids: Sequence[str], start: datetime, end: datetime
) -> Iterator[tuple[str, list[Sample]]]:
    """(device, its samples in [start, end) oldest first) for the devices of ``device_ids``
    that have samples there, by device id; the same rows and order as ``Ledger.samples_for``."""
    q = (
        select(S.device_id, S.ts, S.metric, S.value, S.source, S.quality, S.component)
        .where(S.device_id.in_(device_ids), S.ts >= start, S.ts < end)
        .order_by(S.device_id, S.ts, S.id)
    )
    rows = conn.execute(q.execution_options(yield_per=FETCH_ROWS))
    for device_id, group in groupby(rows, key=lambda r: r[0]):
        yield (
            device_id,
            [
                Sample(d, utc(ts), m, v, src, _QUALITY.get(q) or Quality(q), c)
                for d, ts, m, v, src, q, c in group
            ],
        )


def states_by_device(
    conn: Connection, device_ids: Sequence[str], start: datetime, end: datetime
) -> Iterator[tuple[str, list[StateObservation]]]:
    """(device, its state observations in [start, end) oldest first), by device id."""
    st = t.states.c
    q = (
        select(t.states)
        .where(st.device_id.in_(device_ids), st.ts >= start, st.ts < end)
        .order_by(st.device_id, st.ts, st.id)
    )
    rows = conn.execute(q.execution_options(yield_per=FETCH_ROWS))
    for device_id, group in groupby(rows, key=lambda r: r.device_id):
        yield device_id, [_state(r) for r in group]


def violations_of(
    conn: Connection, device_ids: Sequence[str], since: datetime
) -> dict[str, list[ViolationRecord]]:
    """``Ledger.violations_of`` for each device of ``device_ids`` (absent: none)."""
    out: dict[str, list[ViolationRecord]] = {}
    for r in conn.execute(vt.of_devices(device_ids, since)):
        rec = vt.to_record(r)
        out.setdefault(rec.device_id, []).append(rec)
    return out


def hourly_of(
    conn: Connection, device_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, list[HourlyEnergy]]:
    """``Ledger.hourly_of`` for each device of ``device_ids`` (absent: no rows)."""
    q = (
        select(H)
        .where(H.c.device_id.in_(device_ids), H.c.hour >= start, H.c.hour < end)
        .order_by(H.c.device_id, H.c.hour)
    )
    out: dict[str, list[HourlyEnergy]] = {}
    for r in conn.execute(q):
        row = _hourly(r)
        out.setdefault(row.device_id, []).append(row)
    return out


def replace_hourly(conn: Connection, rows: Sequence[HourlyEnergy]) -> None:
    """Replace the hourly rows of each (device, hour) in ``rows``."""
    if not rows:
        return
    gone = delete(H).where(H.c.device_id == bindparam("d"), H.c.hour == bindparam("h"))
    conn.execute(gone, [{"d": r.device_id, "h": r.hour} for r in rows])
    conn.execute(H.insert(), [_hourly_row(r) for r in rows])


def refresh_days(conn: Connection, rows: Sequence[HourlyEnergy], tz: str) -> int:
    """:func:`collector.ledger.daily.refresh_days` for every device of ``rows`` (hourly rows
    just written): rebuilds each device's daily rows of the local days its rows touch, from
    the hourly rows in the table; returns the number of daily rows written."""
    zone = ZoneInfo(tz)
    wanted = {(r.device_id, r.hour.astimezone(zone).date()) for r in rows}
    if not wanted:
        return 0
    days = sorted({day for _d, day in wanted})
    start = local_midnight(days[0], tz)
    end = local_midnight(days[-1] + timedelta(days=1), tz)
    ids = sorted({d for d, _day in wanted})
    hourly = [r for rs in hourly_of(conn, ids, start, end).values() for r in rs]
    out = [r for r in daily.roll_up(hourly, tz) if (r.device_id, r.day) in wanted]
    dd = daily.d
    gone = delete(dd).where(dd.c.device_id == bindparam("dev"), dd.c.day == bindparam("on"))
    conn.execute(gone, [{"dev": d, "on": day} for d, day in sorted(wanted)])
    if out:
        conn.execute(dd.insert(), [daily._row(r) for r in out])
    return len(out)


def replace_outcomes(conn: Connection, outcomes: Sequence[WindowOutcome]) -> None:
    """Replace the outcome of each (device, window) in ``outcomes``."""
    if not outcomes:
        return
    gone = delete(PW).where(PW.c.device_id == bindparam("d"), PW.c.window_start == bindparam("w"))
    conn.execute(gone, [{"d": o.device_id, "w": o.window_start} for o in outcomes])
    conn.execute(
        PW.insert(),
        [
            {
                "device_id": o.device_id,
                "window_start": o.window_start,
                "window_end": o.window_end,
                "policy_group": o.group,
                "status": o.status.value,
                "kwh_wasted": o.kwh_wasted,
                "wasted_quality": o.wasted_quality.value,
                "kwh_avoided": o.kwh_avoided,
                "slept_seconds": o.slept_seconds,
            }
            for o in outcomes
        ],
    )


def _hourly_row(h: HourlyEnergy) -> dict[str, object]:
    covered, slots = to_columns(h.covered, h.slot_kwh)
    return {
        "device_id": h.device_id,
        "hour": h.hour,
        "kwh": h.kwh,
        "coverage": h.coverage,
        "measured_kwh": h.measured_kwh,
        "estimated_kwh": h.estimated_kwh,
        "source": h.source,
        "resets": h.resets,
        "covered": covered,
        "slot_kwh": slots,
    }
