"""The devices that have samples, read from ``ix_samples_device_ts`` alone.

``samples`` has one index, (device_id, ts): every insert into a second index on ``ts`` cost a
quarter of the ledger writer's time per reading (bench/README.md, "One index on samples").
The reads that filter on time alone (the devices seen in an hour, the power readings of the
last minutes, retention) go device by device through that index instead: a *loose index scan*
(a recursive query that jumps from one device id to the next, one index probe each) lists the
devices, then each device's time range is one more probe. The cost grows with the number of
devices, not with the number of samples, on SQLite and PostgreSQL alike (standard SQL; see
SQLite's "skip-scan" notes and PostgreSQL's wiki page "Loose indexscan").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CTE, ColumnElement, Select, delete, exists, func, select
from sqlalchemy.engine import Connection

from collector.ledger import tables as t

S = t.samples.c
#: Device ids per DELETE (well under SQLite's 32,766 host parameters).
CHUNK = 500


def device_ids() -> CTE:
    """Every distinct ``samples.device_id`` in index order, and one NULL that ends the list
    (filter it out: ``.where(cte.c.device_id.is_not(None))``)."""
    ids = select(func.min(S.device_id).label("device_id")).cte("sample_devices", recursive=True)
    after = t.samples.alias("next_sample")
    step = select(
        select(func.min(after.c.device_id))
        .where(after.c.device_id > ids.c.device_id)
        .scalar_subquery()
    ).where(ids.c.device_id.is_not(None))
    return ids.union_all(step)


def known_device(column: ColumnElement[str]) -> ColumnElement[bool]:
    """``column`` is one of the devices that have samples (lets the planner walk the index
    device by device)."""
    ids = device_ids()
    return column.in_(select(ids.c.device_id).where(ids.c.device_id.is_not(None)))


def devices_with_samples(start: datetime, end: datetime) -> Select[str]:
    """The devices with at least one sample in [start, end), in id order."""
    ids = device_ids()
    inside = exists().where(S.device_id == ids.c.device_id, S.ts >= start, S.ts < end)
    return select(ids.c.device_id).where(ids.c.device_id.is_not(None), inside)


def delete_older(conn: Connection, before: datetime) -> int:
    """Delete every device's samples older than ``before``; the number deleted. One DELETE
    per chunk of device ids (a statement that starts with a WITH has no row count in
    Python's sqlite3)."""
    ids = device_ids()
    listed = list(conn.execute(select(ids.c.device_id).where(ids.c.device_id.is_not(None))))
    deleted = 0
    for i in range(0, len(listed), CHUNK):
        chunk = [row.device_id for row in listed[i : i + CHUNK]]
        old = delete(t.samples).where(S.device_id.in_(chunk), S.ts < before)
        deleted += conn.execute(old).rowcount
    return deleted
