"""Write the ledger (reads are in :mod:`collector.ledger.reads`). With those two and the
table helpers beside them (:mod:`collector.ledger.samples`, ``messages``, ``devices``,
``violations``…), the only modules that run SQL.

Writes come in batches (one transaction per batch): accepted telemetry (deduplicated by
device, agent epoch and seq, comparing content: the same key with other content is a conflict,
kept as a dead letter), status changes, dead letters, hourly kWh and violations. Write errors
come out as :mod:`collector.ledger.errors` (unavailable: retry; refused: split the batch).
Times go in and come out as timezone-aware UTC; SQLite stores them naive, so they are
re-tagged on the way out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from collector.analysis.compliance import WindowOutcome
from collector.analysis.energy import HourlyEnergy
from collector.ledger import chunks
from collector.ledger import tables as t
from collector.ledger import violations as vt
from collector.ledger.by_device import delete_older
from collector.ledger.devices import checked, touch_devices
from collector.ledger.errors import translated
from collector.ledger.messages import (
    Accepted,
    Rejection,
    StatusChange,
    conflict_row,
    dead_row,
    insert_message_ids,
    known_hashes,
)
from collector.ledger.reads import LedgerReads
from collector.ledger.retention import HistoryExpired, expire_history
from collector.ledger.samples import (
    Processors,
    SampleRows,
    insert_samples,
    sample_row,
    sqlite_sample_processors,
)
from collector.model import ExemptionRecord, Sample, ViolationEvent, ViolationRecord
from collector.wire import Message

log = logging.getLogger(__name__)

# the batch's types live with the message key; callers may take them from here
__all__ = ["Accepted", "Ledger", "Rejection", "StatusChange", "StoreResult"]


@dataclass(frozen=True, slots=True)
class StoreResult:
    stored_messages: int
    duplicates: int
    samples: int
    stored: tuple[int, ...] = ()  # indexes into the batch of the messages stored (not duplicates)
    conflicts: tuple[int, ...] = ()  # indexes of known keys with other content (dead-lettered)


#: Bytes of a rejected payload kept by default (``retention.dead_letter_payload_bytes``).
DEAD_LETTER_PAYLOAD_BYTES = 16_384


class Ledger(LedgerReads):
    """The ledger behind a SQLAlchemy URL (``sqlite:///veille.sqlite`` by default)."""

    def __init__(
        self, url: str, *, dead_letter_payload_bytes: int = DEAD_LETTER_PAYLOAD_BYTES
    ) -> None:
        self.url = url
        self.dead_letter_payload_bytes = dead_letter_payload_bytes
        self.engine: Engine = create_engine(url, future=True)
        self._sample_procs: Processors | None = None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            self._sample_procs = sqlite_sample_processors(self.engine.dialect)

    def migrate(self) -> None:
        """Bring the schema to the newest version (Alembic)."""
        from collector.ledger.migrate import upgrade

        upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- writes ---------------------------------------------------------------------------

    def _insert_ignore(self, table: Any) -> Any:
        dialect = sqlite if self.engine.dialect.name == "sqlite" else postgresql
        return dialect.insert(table).on_conflict_do_nothing()

    def store(
        self,
        batch: Sequence[Accepted],
        *,
        rejected: Sequence[Rejection] = (),
        statuses: Sequence[StatusChange] = (),
    ) -> StoreResult:
        """Store accepted messages, dead letters and status changes in one transaction.

        A (device, epoch, seq) seen before with the same content hash is a duplicate and
        skipped; with another content it is a conflict, kept as a dead letter with both hashes.
        Rows are locked in one global order, message ids by key then devices by id, so that
        several collectors writing to one PostgreSQL never deadlock each other. Raises
        :class:`~collector.ledger.errors.LedgerUnavailable` or ``LedgerRefused``.
        """
        order = sorted(range(len(batch)), key=lambda i: batch[i].key)
        kept: list[int] = []
        conflicts: list[int] = []
        rows = SampleRows(self._sample_procs)
        state_rows: list[dict[str, Any]] = []
        latest: dict[str, Accepted] = {}
        counts: dict[str, int] = {}
        dead = [self._capped(dead_row(r)) for r in rejected]
        with translated(), self.engine.begin() as conn:
            new = insert_message_ids(
                conn, self._insert_ignore(t.messages), [batch[i] for i in order]
            )
            known = known_hashes(conn, [batch[i] for i in order if batch[i].key not in new])
            for i in order:
                acc = batch[i]
                msg = acc.message
                if acc.key not in new:  # seen before, or earlier in this batch
                    before = known.get(acc.key)
                    if before and acc.content_hash and before != acc.content_hash:
                        conflicts.append(i)
                        dead.append(self._capped(conflict_row(acc, before)))
                    continue
                new.discard(acc.key)
                known[acc.key] = acc.content_hash or ""
                kept.append(i)
                rows.add(msg.device_id, msg.readings)
                for x in acc.extra_samples:
                    rows.add(x.device_id, (x,))
                if msg.state is not None:
                    state_rows.append(_state_row(msg))
                counts[msg.device_id] = counts.get(msg.device_id, 0) + 1
                last = latest.get(msg.device_id)
                if last is None or msg.observed_at >= last.message.observed_at:
                    latest[msg.device_id] = acc
            if rows.params:
                insert_samples(conn, rows)
            if state_rows:
                conn.execute(t.states.insert(), state_rows)
            touch_devices(conn, self._insert_ignore(t.devices), latest, counts)
            for st in sorted(statuses, key=lambda x: (x.device_id, x.ts)):
                values = {"site": st.site, "online": st.online, "status_at": st.ts}
                self._upsert_device(conn, st.device_id, values, first_seen=st.ts)
            if dead:
                conn.execute(t.dead_letters.insert(), dead)
        kept.sort()
        conflicts.sort()
        return StoreResult(
            len(kept), len(batch) - len(kept), len(rows.params), tuple(kept), tuple(conflicts)
        )

    def _upsert_device(
        self,
        conn: Connection,
        device_id: str,
        values: dict[str, Any],
        first_seen: datetime,
        messages: int = 0,
    ) -> None:
        # Insert-or-ignore first: two collectors may see a new device at the same time.
        conn.execute(
            self._insert_ignore(t.devices),
            {"device_id": device_id, "first_seen": first_seen, "messages": 0},
        )
        row = conn.execute(
            select(t.devices.c.last_seen, t.devices.c.epoch)
            .where(t.devices.c.device_id == device_id)
            .with_for_update()
        ).one()
        # A replayed backlog arrives after newer live data: never move last_seen backwards.
        values = checked(device_id, values, row.last_seen, row.epoch)
        conn.execute(
            update(t.devices)
            .where(t.devices.c.device_id == device_id)
            .values(messages=t.devices.c.messages + messages, **values)
        )

    def write_samples(self, rows: Iterable[Sample]) -> int:
        """Store samples that came by another path than MQTT (SNMP polls)."""
        batch = [sample_row(s) for s in rows]
        if batch:
            with self.engine.begin() as conn:
                conn.execute(t.samples.insert(), batch)
                for device_id in sorted({s["device_id"] for s in batch}):
                    last = max(s["ts"] for s in batch if s["device_id"] == device_id)
                    self._upsert_device(
                        conn, device_id, {"last_seen": last, "online": True}, first_seen=last
                    )
        return len(batch)

    def set_status(self, device_id: str, site: str, online: bool, ts: datetime) -> None:
        with translated(), self.engine.begin() as conn:
            self._upsert_device(
                conn, device_id, {"site": site, "online": online, "status_at": ts}, first_seen=ts
            )

    def dead_letter(self, topic: str, reason: str, payload: bytes, received_at: datetime) -> None:
        """Keep a rejected message: its reason, its size, and its first bytes only (a flood of
        1 MB rejections must not fill the disk)."""
        with translated(), self.engine.begin() as conn:
            conn.execute(
                t.dead_letters.insert(),
                self._capped(
                    {
                        "received_at": received_at,
                        "topic": topic,
                        "reason": reason,
                        "payload": payload,
                    }
                ),
            )

    def _capped(self, row: dict[str, Any]) -> dict[str, Any]:
        """A dead-letter row with its payload cut to ``dead_letter_payload_bytes``, the size as
        received in ``payload_bytes``, and the topic cut to its column's 512 characters."""
        payload: bytes = row["payload"]
        return {
            **row,
            "topic": row["topic"][:512],
            "payload": payload[: self.dead_letter_payload_bytes],
            "payload_bytes": len(payload),
        }

    def expire_dead_letters(self, before: datetime) -> int:
        """Delete dead letters received before ``before``; returns how many."""
        with self.engine.begin() as conn:
            gone = conn.execute(
                delete(t.dead_letters).where(t.dead_letters.c.received_at < before)
            ).rowcount
        return int(gone)

    def expire_history(self, policy_before: datetime, daily_before: date) -> HistoryExpired:
        """Delete the policy history and daily roll-ups that ``[retention]`` no longer keeps
        (:mod:`collector.ledger.retention`)."""
        return expire_history(self.engine, policy_before, daily_before)

    def replace_hourly(self, device_id: str, rows: Sequence[HourlyEnergy]) -> None:
        """Replace a device's hourly kWh for the hours in ``rows``."""
        if not rows:
            return
        if any(r.device_id != device_id for r in rows):
            raise ValueError(f"hourly rows of another device than {device_id}")
        with self.engine.begin() as conn:
            chunks.replace_hourly(conn, rows)

    def save_violations(
        self, records: Sequence[ViolationRecord], events: Sequence[ViolationEvent] = ()
    ) -> None:
        """Upsert violations by identity (device, window start) and append their events, in
        one transaction (see :mod:`collector.analysis.lifecycle`)."""
        if records or events:
            with self.engine.begin() as conn:
                vt.save(conn, records, events)

    def replace_outcomes(self, device_id: str, outcomes: Sequence[WindowOutcome]) -> None:
        """Replace a device's window outcomes for the windows in ``outcomes``."""
        if any(o.device_id != device_id for o in outcomes):
            raise ValueError(f"window outcomes of another device than {device_id}")
        if outcomes:
            with self.engine.begin() as conn:
                chunks.replace_outcomes(conn, outcomes)

    def add_exemption(self, e: ExemptionRecord) -> ExemptionRecord:
        """Record an exemption; returns it with its id."""
        with self.engine.begin() as conn:
            new_id = conn.execute(
                t.exemptions.insert().returning(t.exemptions.c.id),
                {
                    "target": e.target,
                    "is_group": e.group,
                    "until": e.until,
                    "reason": e.reason,
                    "recorded_by": e.by,
                    "recorded_at": e.at,
                },
            ).scalar_one()
        return replace(e, id=int(new_id))

    def expire(self, raw_before: datetime, hourly_before: datetime) -> tuple[int, int]:
        """Delete raw samples, states and message ids older than ``raw_before`` and hourly
        roll-ups older than ``hourly_before``. Returns (raw rows, hourly rows) deleted."""
        with self.engine.begin() as conn:
            raw = delete_older(conn, t.samples, raw_before)
            delete_older(conn, t.states, raw_before)
            conn.execute(delete(t.messages).where(t.messages.c.received_at < raw_before))
            hourly = conn.execute(
                delete(t.hourly_energy).where(t.hourly_energy.c.hour < hourly_before)
            ).rowcount
        return int(raw), int(hourly)


def _state_row(msg: Message) -> dict[str, Any]:
    st = msg.state
    assert st is not None
    return {
        "device_id": msg.device_id,
        "ts": msg.observed_at,
        "power_state": st.power_state.value,
        "idle_seconds": st.idle_seconds,
        "blockers": None if st.blockers_unknown else list(st.sleep_blockers),  # None: unknown
        "slept": [[x.start.isoformat(), x.end.isoformat()] for x in st.slept],
    }


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()
