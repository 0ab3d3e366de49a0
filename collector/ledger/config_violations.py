"""The ledger tables ``config_violations`` and ``config_violation_events``: rows to
:class:`~collector.model.ConfigViolationRecord` / :class:`~collector.model.ConfigViolationEvent`
and back. Nothing else runs this SQL. A save is an upsert by identity (device, rule, opened
at) plus the appended events, in one transaction; driver errors come out as
:mod:`collector.ledger.errors`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Engine, Row, and_, delete, or_, select

from collector.ledger.errors import translated
from collector.ledger.tables import config_violation_events as E
from collector.ledger.tables import config_violations as V
from collector.ledger.tables import utc
from collector.model import (
    ACTIVE_STATES,
    ConfigViolationEvent,
    ConfigViolationRecord,
    ViolationState,
)

Key = tuple[str, str, datetime]


def _record(r: Row[tuple[object, ...]]) -> ConfigViolationRecord:
    m = r._mapping
    return ConfigViolationRecord(
        device_id=m["device_id"],
        rule=m["rule"],
        state=ViolationState(m["state"]),
        evidence=m["evidence"] or "",
        policy_group=m["policy_group"] or "",
        opened_at=utc(m["opened_at"]),
        changed_at=utc(m["changed_at"]),
        resolved_at=None if m["resolved_at"] is None else utc(m["resolved_at"]),
    )


def _event(r: Row[tuple[object, ...]]) -> ConfigViolationEvent:
    m = r._mapping
    return ConfigViolationEvent(
        device_id=m["device_id"],
        rule=m["rule"],
        opened_at=utc(m["opened_at"]),
        at=utc(m["at"]),
        state=ViolationState(m["state"]),
        previous=ViolationState(m["previous"]) if m["previous"] else None,
        detail=m["detail"] or "",
    )


def save_config_violations(
    engine: Engine,
    records: Sequence[ConfigViolationRecord],
    events: Sequence[ConfigViolationEvent] = (),
) -> None:
    """Upsert ``records`` by identity and append ``events``, in one transaction."""
    if not records and not events:
        return
    with translated(), engine.begin() as conn:
        for r in sorted(records, key=lambda r: r.key):
            conn.execute(
                delete(V).where(
                    V.c.device_id == r.device_id, V.c.rule == r.rule, V.c.opened_at == r.opened_at
                )
            )
        if records:
            conn.execute(
                V.insert(),
                [
                    {
                        "device_id": r.device_id,
                        "rule": r.rule,
                        "opened_at": r.opened_at,
                        "state": r.state.value,
                        "evidence": r.evidence,
                        "policy_group": r.policy_group,
                        "changed_at": r.changed_at,
                        "resolved_at": r.resolved_at,
                    }
                    for r in records
                ],
            )
        if events:
            conn.execute(
                E.insert(),
                [
                    {
                        "device_id": e.device_id,
                        "rule": e.rule,
                        "opened_at": e.opened_at,
                        "at": e.at,
                        "state": e.state.value,
                        "previous": e.previous.value if e.previous else None,
                        "detail": e.detail,
                    }
                    for e in events
                ],
            )


def config_violations(
    engine: Engine, *, changed_since: datetime | None = None
) -> list[ConfigViolationRecord]:
    """The open records, and (with ``changed_since``) those that changed since then."""
    active = V.c.state.in_([s.value for s in ACTIVE_STATES])
    where = active if changed_since is None else or_(active, V.c.changed_at >= changed_since)
    q = select(V).where(where).order_by(V.c.device_id, V.c.rule, V.c.opened_at)
    with engine.connect() as conn:
        return [_record(r) for r in conn.execute(q)]


def config_violations_by_key(
    engine: Engine, keys: Iterable[Key]
) -> dict[Key, ConfigViolationRecord]:
    """The records of ``keys`` (those that exist)."""
    wanted = set(keys)
    devices = sorted({k[0] for k in wanted})
    out: dict[Key, ConfigViolationRecord] = {}
    with engine.connect() as conn:
        for i in range(0, len(devices), 500):
            q = select(V).where(V.c.device_id.in_(devices[i : i + 500]))
            for row in conn.execute(q):
                rec = _record(row)
                if rec.key in wanted:
                    out[rec.key] = rec
    return out


def config_violation_events(
    engine: Engine, start: datetime, end: datetime
) -> list[ConfigViolationEvent]:
    """The changes of state recorded in [start, end), in order."""
    q = select(E).where(and_(E.c.at >= start, E.c.at < end)).order_by(E.c.at, E.c.id)
    with engine.connect() as conn:
        return [_event(r) for r in conn.execute(q)]
