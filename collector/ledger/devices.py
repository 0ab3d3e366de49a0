"""The devices' rows of one stored batch, in a fixed number of statements.

Called by :meth:`collector.ledger.store.Ledger.store` inside its transaction. A batch from a
large fleet holds one message from each of hundreds of devices: updating their rows one
statement at a time (insert-or-ignore, select, update: three round trips through SQLAlchemy
each) was 82 % of the ingest CPU with 50,000 agents (bench/README.md). Here it is one
insert-or-ignore for all, one locking select per chunk of ids, and one ``executemany`` update
per set of columns, whatever the number of devices. The rules, :func:`checked`, are shared
with the one-device path (:meth:`~collector.ledger.store.Ledger._upsert_device`): a replayed
backlog never moves ``last_seen`` back, and a new agent epoch is logged once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert

from collector.ledger import tables as t
from collector.ledger.messages import Accepted
from collector.ledger.tables import utc

log = logging.getLogger(__name__)

D = t.devices
#: Ids per locking select (well under SQLite's 32,766 host parameters).
CHUNK = 500
#: What a replayed backlog (older than the row's last_seen) may still change.
_ALWAYS = ("site", "kind")


def row_values(acc: Accepted) -> dict[str, Any]:
    """The device columns that a device's latest message of a batch sets."""
    msg = acc.message
    values: dict[str, Any] = {
        "site": acc.site,
        "last_seen": msg.observed_at,
        "last_seq": msg.seq,
        "epoch": msg.epoch or "",
        "clock_skew_seconds": acc.clock_skew_seconds,
    }
    if msg.kind:
        values["kind"] = msg.kind
    if msg.state is not None:
        st = msg.state
        values.update(
            power_state=st.power_state.value,
            idle_seconds=st.idle_seconds,
            on_battery=st.on_battery,
            sleep_settings=st.sleep_settings.model_dump() if st.sleep_settings else None,
            sleep_blockers=None if st.blockers_unknown else list(st.sleep_blockers),
            sleep_states=st.sleep_states.model_dump() if st.sleep_states else None,
        )
    return values


def touch_devices(
    conn: Connection,
    insert_ignore: Insert,
    latest: Mapping[str, Accepted],
    counts: Mapping[str, int],
) -> None:
    """Create the rows of devices not seen before, then set each device's latest values and
    add its message count. Rows are locked in device-id order (no deadlock between collectors
    sharing one PostgreSQL)."""
    ids = sorted(latest)
    if not ids:
        return
    conn.execute(
        insert_ignore,
        [{"device_id": d, "first_seen": latest[d].message.observed_at, "messages": 0} for d in ids],
    )
    current: dict[str, tuple[Any, Any]] = {}
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        rows = conn.execute(
            select(D.c.device_id, D.c.last_seen, D.c.epoch)
            .where(D.c.device_id.in_(chunk))
            .order_by(D.c.device_id)
            .with_for_update()
        )
        current.update((r.device_id, (r.last_seen, r.epoch)) for r in rows)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for device_id in ids:
        values = checked(device_id, row_values(latest[device_id]), *current[device_id])
        params = {f"b_{k}": v for k, v in values.items()}
        params["b_device_id"], params["b_messages"] = device_id, counts[device_id]
        groups.setdefault(tuple(sorted(values)), []).append(params)
    for columns, rows_params in groups.items():
        stmt = (
            update(D)
            .where(D.c.device_id == bindparam("b_device_id"))
            .values(
                messages=D.c.messages + bindparam("b_messages"),
                **{c: bindparam(f"b_{c}", type_=D.c[c].type) for c in columns},
            )
        )
        conn.execute(stmt, rows_params)


def checked(
    device_id: str, values: dict[str, Any], last_seen: Any, epoch: str | None
) -> dict[str, Any]:
    """``values`` as the row (now at ``last_seen``, ``epoch``) may take them: only site and
    kind from a replayed backlog, older than the row; a changed epoch is logged (the agent's
    spool was recreated: its seq start again). Values without a time or an epoch (a status
    change, an SNMP poll) are taken as they are."""
    new_seen = values.get("last_seen")
    if last_seen is not None and new_seen is not None and utc(last_seen) > utc(new_seen):
        return {k: v for k, v in values.items() if k in _ALWAYS}
    if "epoch" in values and epoch is not None and epoch != values["epoch"]:
        log.warning(
            "device %s: new agent epoch %r (was %r): its spool was recreated, seq %s on "
            "are new data",
            device_id,
            values["epoch"],
            epoch,
            values.get("last_seq"),
        )
    return values
