"""Reads and deletes on time alone, walked device by device through a ``(device_id, ts)``
index: ``samples`` and ``states`` have no index on ``ts`` by itself.

Every insert into a second index on ``samples.ts`` cost a quarter of the ledger writer's time
per reading (bench/README.md, "One index on samples"), and ``states`` never had one. The reads
that filter on time alone (the devices seen in a period, for the hourly job and the
configuration review; one metric's recent readings, for the dashboard figures; retention) go
device by device instead: a *loose index scan* (a recursive query that jumps from one device id
to the next, one index probe each) lists the devices, then each device's time range is one
more probe. The cost grows with the number of devices, not of rows, on SQLite and PostgreSQL
alike (standard SQL; PostgreSQL's wiki calls it "Loose indexscan").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CTE, ColumnElement, Select, Table, delete, exists, func, select
from sqlalchemy.engine import Connection

from collector.ledger import tables as t

#: The tables walked here: each has an index that begins (device_id, ts).
WALKED = (t.samples, t.states)
#: Device ids per DELETE (well under SQLite's 32,766 host parameters).
CHUNK = 500


def device_ids(table: Table) -> CTE:
    """Every distinct ``table.device_id`` in index order, and one NULL that ends the list
    (filter it out: ``.where(cte.c.device_id.is_not(None))``)."""
    if table not in WALKED:
        raise ValueError(f"{table.name} has no (device_id, ts) index to walk")
    first = select(func.min(table.c.device_id).label("device_id"))
    ids = first.cte(f"{table.name}_devices", recursive=True)
    after = table.alias(f"next_{table.name}")
    step = select(
        select(func.min(after.c.device_id))
        .where(after.c.device_id > ids.c.device_id)
        .scalar_subquery()
    ).where(ids.c.device_id.is_not(None))
    return ids.union_all(step)


def known_device(table: Table) -> ColumnElement[bool]:
    """``table.device_id`` is one of the devices that have rows there (lets the planner walk
    the index device by device)."""
    ids = device_ids(table)
    return table.c.device_id.in_(select(ids.c.device_id).where(ids.c.device_id.is_not(None)))


def devices_with_rows(table: Table, start: datetime, end: datetime) -> Select[str]:
    """The devices with at least one row of ``table`` in [start, end), in id order."""
    ids = device_ids(table)
    c = table.c
    inside = exists().where(c.device_id == ids.c.device_id, c.ts >= start, c.ts < end)
    return select(ids.c.device_id).where(ids.c.device_id.is_not(None), inside)


def delete_older(conn: Connection, table: Table, before: datetime) -> int:
    """Delete every device's rows of ``table`` older than ``before``; the number deleted. One
    DELETE per chunk of device ids (a statement that starts with a WITH has no row count in
    Python's sqlite3)."""
    ids = device_ids(table)
    listed = list(conn.execute(select(ids.c.device_id).where(ids.c.device_id.is_not(None))))
    deleted = 0
    for i in range(0, len(listed), CHUNK):
        chunk = [row.device_id for row in listed[i : i + CHUNK]]
        old = delete(table).where(table.c.device_id.in_(chunk), table.c.ts < before)
        deleted += conn.execute(old).rowcount
    return deleted
