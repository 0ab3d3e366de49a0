"""Violations and their events in the ledger: rows to :mod:`collector.model` records and back.

Called by :class:`collector.ledger.store.Ledger` inside its transactions; nothing else runs
this SQL. Identity is the primary key (device_id, window_start); a save is an upsert.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, and_, delete, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from collector.ledger import tables as t
from collector.ledger.tables import utc
from collector.model import (
    ACTIVE_STATES,
    Violation,
    ViolationEvent,
    ViolationRecord,
    ViolationState,
)

V = t.violations
E = t.violation_events


def _opt(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def to_record(r: Row[tuple[object, ...]]) -> ViolationRecord:
    m = r._mapping
    v = Violation(
        device_id=m["device_id"],
        window_start=utc(m["window_start"]),
        window_end=utc(m["window_end"]),
        first_seen=utc(m["first_seen"]),
        last_seen=utc(m["last_seen"]),
        max_idle_seconds=m["max_idle_seconds"] or 0.0,
        awake_seconds=m["awake_seconds"] or 0.0,
        blockers=tuple(m["blockers"] or ()),
        observations=m["observations"],
        target_state=m["target_state"] or "",
        evidence=m["evidence"] or "",
        policy_group=m["policy_group"],
    )
    opened = _opt(m["opened_at"]) or v.first_seen
    return ViolationRecord(
        violation=v,
        state=ViolationState(m["state"]),
        streak=m["streak"],
        opened_at=opened,
        changed_at=_opt(m["changed_at"]) or opened,
        resolved_at=_opt(m["resolved_at"]),
    )


def _row(rec: ViolationRecord) -> dict[str, object]:
    v = rec.violation
    return {
        "device_id": v.device_id,
        "window_start": v.window_start,
        "window_end": v.window_end,
        "first_seen": v.first_seen,
        "last_seen": v.last_seen,
        "max_idle_seconds": v.max_idle_seconds,
        "awake_seconds": v.awake_seconds,
        "blockers": list(v.blockers),
        "observations": v.observations,
        "target_state": v.target_state,
        "evidence": v.evidence,
        "policy_group": v.policy_group,
        "state": rec.state.value,
        "streak": rec.streak,
        "opened_at": rec.opened_at,
        "changed_at": rec.changed_at,
        "resolved_at": rec.resolved_at,
    }


def save(
    conn: Connection, records: Sequence[ViolationRecord], events: Sequence[ViolationEvent]
) -> None:
    """Upsert ``records`` by identity (in one global key order) and append ``events``."""
    for rec in sorted(records, key=lambda r: r.key):
        conn.execute(
            delete(V).where(V.c.device_id == rec.device_id, V.c.window_start == rec.window_start)
        )
    if records:
        conn.execute(V.insert(), [_row(r) for r in records])
    if events:
        conn.execute(
            E.insert(),
            [
                {
                    "device_id": e.device_id,
                    "window_start": e.window_start,
                    "at": e.at,
                    "state": e.state.value,
                    "previous": e.previous.value if e.previous else None,
                    "detail": e.detail,
                }
                for e in events
            ],
        )


def in_period(start: datetime, end: datetime) -> Select[tuple[object, ...]]:
    """Violations whose window overlaps [start, end), oldest first."""
    return (
        select(V)
        .where(V.c.window_end > start, V.c.window_start < end)
        .order_by(V.c.window_start, V.c.device_id)
    )


def of_device(device_id: str, since: datetime) -> Select[tuple[object, ...]]:
    """A device's violations from ``since`` on, and its older ones still open or ongoing."""
    active = V.c.state.in_([s.value for s in ACTIVE_STATES])
    return (
        select(V)
        .where(V.c.device_id == device_id, or_(V.c.window_start >= since, active))
        .order_by(V.c.window_start)
    )


def of_devices(device_ids: Sequence[str], since: datetime) -> Select[tuple[object, ...]]:
    """:func:`of_device` for several devices at once, by device then window start."""
    active = V.c.state.in_([s.value for s in ACTIVE_STATES])
    return (
        select(V)
        .where(V.c.device_id.in_(device_ids), or_(V.c.window_start >= since, active))
        .order_by(V.c.device_id, V.c.window_start)
    )


def events_between(start: datetime, end: datetime) -> Select[tuple[object, ...]]:
    return select(E).where(and_(E.c.at >= start, E.c.at < end)).order_by(E.c.at, E.c.id)


def to_event(r: Row[tuple[object, ...]]) -> ViolationEvent:
    m = r._mapping
    return ViolationEvent(
        device_id=m["device_id"],
        window_start=utc(m["window_start"]),
        at=utc(m["at"]),
        state=ViolationState(m["state"]),
        previous=ViolationState(m["previous"]) if m["previous"] else None,
        detail=m["detail"],
    )
