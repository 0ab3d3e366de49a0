"""The ledger's reads: every query returns :mod:`collector.model` records, never rows.

Times come back timezone-aware UTC (SQLite stores them naive; :func:`tables.utc` re-tags them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Engine, Row, Select, func, select

from collector.analysis.compliance import WindowOutcome, WindowStatus
from collector.analysis.coverage import SLOTS, Intervals, decode_covered
from collector.analysis.energy import HourlyEnergy
from collector.ledger import tables as t
from collector.ledger import violations as vt
from collector.ledger.by_device import devices_with_rows, known_device
from collector.ledger.tables import utc
from collector.model import (
    DeadLetter,
    DeviceRecord,
    ExemptionRecord,
    ReportTimes,
    Sample,
    StateObservation,
    ViolationEvent,
    ViolationRecord,
)
from contract.schema import Quality, SleepSettings, SleepStates


class LedgerReads:
    """The read half of :class:`collector.ledger.store.Ledger`."""

    engine: Engine

    def samples_for(self, device_id: str, start: datetime, end: datetime) -> list[Sample]:
        q = (
            select(t.samples)
            .where(
                t.samples.c.device_id == device_id, t.samples.c.ts >= start, t.samples.c.ts < end
            )
            .order_by(t.samples.c.ts, t.samples.c.id)
        )
        with self.engine.connect() as conn:
            return [_sample(r) for r in conn.execute(q)]

    def samples_of_metric(self, metric: str, start: datetime, end: datetime) -> list[Sample]:
        """Every device's samples of ``metric`` in [start, end), oldest first (one query)."""
        s = t.samples.c
        q = (
            select(t.samples)
            .where(known_device(t.samples), s.metric == metric, s.ts >= start, s.ts < end)
            .order_by(s.ts, s.id)
        )
        with self.engine.connect() as conn:
            return [_sample(r) for r in conn.execute(q)]

    def states_for(self, device_id: str, start: datetime, end: datetime) -> list[StateObservation]:
        q = (
            select(t.states)
            .where(t.states.c.device_id == device_id, t.states.c.ts >= start, t.states.c.ts < end)
            .order_by(t.states.c.ts)
        )
        with self.engine.connect() as conn:
            return [_state(r) for r in conn.execute(q)]

    def devices_seen(self, start: datetime, end: datetime) -> list[str]:
        """Devices with samples or states in [start, end)."""
        with self.engine.connect() as conn:
            a = conn.execute(devices_with_rows(t.samples, start, end)).scalars()
            b = conn.execute(devices_with_rows(t.states, start, end)).scalars()
            return sorted(set(a) | set(b))

    def report_times(
        self, device_ids: list[str], start: datetime, end: datetime, longer_than: timedelta
    ) -> list[ReportTimes]:
        """Each device's last sample time before ``end`` and its gaps longer than
        ``longer_than`` that end in [start, end) (the one across ``start`` included), found
        in SQL: a few rows cross, whatever the volume of samples."""
        last: dict[str, datetime] = {}
        before: dict[str, datetime] = {}
        first: dict[str, datetime] = {}
        gaps: dict[str, list[tuple[datetime, datetime]]] = {d: [] for d in device_ids}
        s = t.samples.c
        with self.engine.connect() as conn:
            for i in range(0, len(device_ids), 500):
                chunk = device_ids[i : i + 500]
                inside = (s.device_id.in_(chunk), s.ts >= start, s.ts < end)
                for into, q in (
                    (
                        before,
                        select(s.device_id, func.max(s.ts))
                        .where(s.device_id.in_(chunk), s.ts < start)
                        .group_by(s.device_id),
                    ),
                    (
                        first,
                        select(s.device_id, func.min(s.ts)).where(*inside).group_by(s.device_id),
                    ),
                    (
                        last,
                        select(s.device_id, func.max(s.ts)).where(*inside).group_by(s.device_id),
                    ),
                ):
                    into.update((d, utc(ts)) for d, ts in conn.execute(q))
                for device_id, prev, ts in conn.execute(self._gaps(inside, longer_than)):
                    gaps[device_id].append((utc(prev), utc(ts)))
        for d, b in before.items():
            if d in first and first[d] - b > longer_than - timedelta(milliseconds=1):
                gaps[d].append((b, first[d]))
        return [
            ReportTimes(d, last.get(d, before.get(d)), tuple(sorted(gaps[d]))) for d in device_ids
        ]

    def _gaps(self, inside: tuple[ColumnElement[bool], ...], longer_than: timedelta) -> Select[Any]:
        s = t.samples.c
        lag = func.lag(s.ts, type_=t.samples.c.ts.type).over(
            partition_by=s.device_id, order_by=s.ts
        )
        seq = select(s.device_id, s.ts, lag.label("prev")).where(*inside).subquery()
        if self.engine.dialect.name == "sqlite":
            seconds = (func.julianday(seq.c.ts) - func.julianday(seq.c.prev)) * 86400.0
            # julianday() is a float: 1 ms of slack so that no gap is missed (the alert's
            # own rule, collector.alerts.facility, is exact)
            longer = seconds > longer_than.total_seconds() - 0.001
        else:
            longer = (seq.c.ts - seq.c.prev) > longer_than
        return select(seq.c.device_id, seq.c.prev, seq.c.ts).where(seq.c.prev.is_not(None), longer)

    def devices(self) -> list[DeviceRecord]:
        with self.engine.connect() as conn:
            return [
                _device(r) for r in conn.execute(select(t.devices).order_by(t.devices.c.device_id))
            ]

    def device_ids(self) -> list[str]:
        """Every known device's id, sorted in Python (one order on every database)."""
        with self.engine.connect() as conn:
            return sorted(conn.execute(select(t.devices.c.device_id)).scalars())

    def devices_of(self, device_ids: Sequence[str]) -> list[DeviceRecord]:
        """The records of those of ``device_ids`` that are known, in the order given."""
        wanted = list(dict.fromkeys(device_ids))
        found: dict[str, DeviceRecord] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                q = select(t.devices).where(t.devices.c.device_id.in_(wanted[i : i + 500]))
                found.update((r.device_id, r) for r in map(_device, conn.execute(q)))
        return [found[d] for d in wanted if d in found]

    def power_states(self) -> list[tuple[str, str]]:
        """(device, last reported power state) of the devices that reported one, by device."""
        d = t.devices.c
        q = select(d.device_id, d.power_state).where(d.power_state.is_not(None))
        with self.engine.connect() as conn:
            return sorted((dev, state) for dev, state in conn.execute(q) if state)

    def device_kinds(self) -> list[tuple[str, str | None]]:
        """(device, kind as last reported, None if never) of each known device, without the
        rest of its row: the analysis job needs only that (50,000 records are ~80 MB)."""
        d = t.devices.c
        with self.engine.connect() as conn:
            return [(dev, kind) for dev, kind in conn.execute(select(d.device_id, d.kind))]

    def hourly(self, start: datetime, end: datetime) -> list[HourlyEnergy]:
        """Every device's hourly kWh for the hours in [start, end)."""
        return self._hourly_rows(start, end, None)

    def hourly_for(
        self, device_ids: Sequence[str], start: datetime, end: datetime
    ) -> list[HourlyEnergy]:
        """The hourly kWh of ``device_ids`` only, for the hours in [start, end)."""
        out: list[HourlyEnergy] = []
        ids = sorted(set(device_ids))
        for i in range(0, len(ids), 500):
            out += self._hourly_rows(start, end, ids[i : i + 500])
        return out

    def _hourly_rows(
        self, start: datetime, end: datetime, device_ids: Sequence[str] | None
    ) -> list[HourlyEnergy]:
        q = select(t.hourly_energy).where(
            t.hourly_energy.c.hour >= start, t.hourly_energy.c.hour < end
        )
        if device_ids is not None:
            q = q.where(t.hourly_energy.c.device_id.in_(device_ids))
        with self.engine.connect() as conn:
            return [_hourly(r) for r in conn.execute(q)]

    def violations(self, start: datetime, end: datetime) -> list[ViolationRecord]:
        """Violations whose window overlaps [start, end), in every state, oldest first."""
        with self.engine.connect() as conn:
            return [vt.to_record(r) for r in conn.execute(vt.in_period(start, end))]

    def violations_of(self, device_id: str, since: datetime) -> list[ViolationRecord]:
        """A device's violations whose window starts at ``since`` or later, and its older ones
        still open or ongoing (those the next evaluation may resolve)."""
        with self.engine.connect() as conn:
            return [vt.to_record(r) for r in conn.execute(vt.of_device(device_id, since))]

    def violation_events(self, start: datetime, end: datetime) -> list[ViolationEvent]:
        """Changes of state that happened in [start, end), in order."""
        with self.engine.connect() as conn:
            return [vt.to_event(r) for r in conn.execute(vt.events_between(start, end))]

    def hourly_of(self, device_id: str, start: datetime, end: datetime) -> list[HourlyEnergy]:
        """One device's hourly kWh for the hours in [start, end), oldest first."""
        q = (
            select(t.hourly_energy)
            .where(
                t.hourly_energy.c.device_id == device_id,
                t.hourly_energy.c.hour >= start,
                t.hourly_energy.c.hour < end,
            )
            .order_by(t.hourly_energy.c.hour)
        )
        with self.engine.connect() as conn:
            return [_hourly(r) for r in conn.execute(q)]

    def outcomes(self, start: datetime, end: datetime) -> list[WindowOutcome]:
        """Every device's outcome in the sleep windows that ended in [start, end)."""
        pw = t.policy_windows
        q = (
            select(pw)
            .where(pw.c.window_end > start, pw.c.window_end <= end)
            .order_by(pw.c.window_start, pw.c.device_id)
        )
        with self.engine.connect() as conn:
            return [
                WindowOutcome(
                    device_id=r.device_id,
                    window_start=utc(r.window_start),
                    window_end=utc(r.window_end),
                    group=r.policy_group,
                    status=WindowStatus(r.status),
                    kwh_wasted=r.kwh_wasted,
                    wasted_quality=Quality(r.wasted_quality),
                    kwh_avoided=r.kwh_avoided,
                    slept_seconds=r.slept_seconds,
                )
                for r in conn.execute(q)
            ]

    def exemptions(self, *, active_on: date | None = None) -> list[ExemptionRecord]:
        """Recorded exemptions, oldest first; with ``active_on``, those still applying that day."""
        q = select(t.exemptions).order_by(t.exemptions.c.id)
        if active_on is not None:
            q = q.where(t.exemptions.c.until >= active_on)
        with self.engine.connect() as conn:
            return [
                ExemptionRecord(
                    target=r.target,
                    group=bool(r.is_group),
                    until=r.until,
                    reason=r.reason,
                    by=r.recorded_by,
                    at=utc(r.recorded_at),
                    id=r.id,
                )
                for r in conn.execute(q)
            ]

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        q = select(t.dead_letters).order_by(t.dead_letters.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [
                DeadLetter(
                    r.id,
                    utc(r.received_at),
                    r.topic,
                    r.reason,
                    bytes(r.payload),
                    len(r.payload) if r.payload_bytes is None else r.payload_bytes,
                )
                for r in conn.execute(q)
            ]

    def count_online(self) -> int:
        """Devices whose last status says online."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(t.devices).where(t.devices.c.online.is_(True))
                ).scalar_one()
            )

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(t.metadata.tables[table])
                ).scalar_one()
            )


@lru_cache(maxsize=4096)
def _covered(text: str) -> Intervals | None:
    """Decoded once per distinct text: most hours read ``0-3600``."""
    try:
        return decode_covered(text)
    except ValueError:
        return None


def _columns(
    covered: str | None, slot_kwh: str | None
) -> tuple[Intervals | None, tuple[float, ...] | None]:
    """:func:`collector.analysis.coverage.from_columns`, with the intervals' texts cached:
    a missing or unreadable text gives (None, None)."""
    if covered is None or slot_kwh is None:
        return None, None
    intervals = _covered(covered)
    if intervals is None:
        return None, None
    try:
        slots = tuple(map(float, slot_kwh.split(",")))
    except ValueError:
        return None, None
    # every slot >= 0 and none NaN (a NaN in the sum makes it unequal to itself)
    if len(slots) != SLOTS or min(slots) < 0 or (total := sum(slots)) != total:
        return None, None
    return intervals, slots


def _device(r: Row[tuple[object, ...]]) -> DeviceRecord:
    m = r._mapping
    settings, states, blockers = m["sleep_settings"], m["sleep_states"], m["sleep_blockers"]
    return DeviceRecord(
        device_id=m["device_id"],
        site=m["site"],
        kind=m["kind"],
        first_seen=_opt(m["first_seen"]),
        last_seen=_opt(m["last_seen"]),
        online=m["online"],
        status_at=_opt(m["status_at"]),
        power_state=m["power_state"],
        idle_seconds=m["idle_seconds"],
        on_battery=m["on_battery"],
        sleep_settings=SleepSettings.model_validate(settings) if settings else None,
        sleep_blockers=None if blockers is None else tuple(blockers),
        sleep_states=SleepStates.model_validate(states) if states else None,
        last_seq=m["last_seq"],
        clock_skew_seconds=m["clock_skew_seconds"],
        messages=m["messages"] or 0,
        epoch=m["epoch"],
    )


def _state(r: Row[tuple[object, ...]]) -> StateObservation:
    m = r._mapping
    return StateObservation(
        device_id=m["device_id"],
        ts=utc(m["ts"]),
        power_state=m["power_state"],
        idle_seconds=m["idle_seconds"],
        blockers=tuple(m["blockers"] or ()),
        blockers_known=m["blockers"] is not None,
        slept=tuple(
            (datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in (m["slept"] or ())
        ),
    )


def _opt(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _hourly(r: Row[tuple[object, ...]]) -> HourlyEnergy:
    m = r._mapping
    covered, slots = _columns(m["covered"], m["slot_kwh"])
    return HourlyEnergy(
        device_id=m["device_id"],
        hour=utc(m["hour"]),
        kwh=m["kwh"],
        coverage=m["coverage"],
        measured_kwh=m["measured_kwh"],
        estimated_kwh=m["estimated_kwh"],
        source=m["source"] or "",
        resets=m["resets"],
        covered=covered,
        slot_kwh=slots,
    )


def _sample(r: Row[tuple[object, ...]]) -> Sample:
    m = r._mapping
    return Sample(
        m["device_id"],
        utc(m["ts"]),
        m["metric"],
        m["value"],
        m["source"],
        Quality(m["quality"]),
        m["component"],
    )
