"""The ledger on SQLite and on a real PostgreSQL: migrations, dedupe, roll-ups, retention."""

from __future__ import annotations

import inspect as inspect_module
import typing
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect

from collector.analysis.energy import HourlyEnergy
from collector.ledger import Ledger
from collector.ledger.store import Accepted
from contract.schema import Quality, Reading, Telemetry

T0 = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)


def _acc(device: str, seq: int, at: datetime, watts: float = 10.0) -> Accepted:
    msg = Telemetry(
        device_id=device,
        seq=seq,
        sent_at=at,
        readings=[
            Reading(
                ts=at, metric="power_watts", value=watts, source="model", quality=Quality.ESTIMATED
            )
        ],
    )
    return Accepted(msg, "mairie", at, 0.0)


def test_migration_creates_every_table(ledger: Ledger) -> None:
    names = set(inspect(ledger.engine).get_table_names())
    assert {
        "devices",
        "messages",
        "samples",
        "states",
        "hourly_energy",
        "violations",
        "dead_letters",
        "alembic_version",
    } <= names
    ledger.migrate()  # idempotent


def test_duplicates_dropped_by_device_and_seq(ledger: Ledger) -> None:
    first = ledger.store([_acc("pc-1", 1, T0), _acc("pc-1", 2, T0), _acc("pc-2", 1, T0)])
    again = ledger.store([_acc("pc-1", 2, T0), _acc("pc-1", 3, T0)])
    assert (first.stored_messages, first.duplicates) == (3, 0)
    assert (again.stored_messages, again.duplicates, again.stored) == (1, 1, (1,))
    assert ledger.count("samples") == 4


def test_a_replayed_backlog_does_not_move_last_seen_back(ledger: Ledger) -> None:
    ledger.store([_acc("pc-1", 10, T0)])
    ledger.store([_acc("pc-1", 3, T0 - timedelta(days=2))])
    (dev,) = ledger.devices()
    assert dev.last_seen == T0 and dev.messages == 2  # read back timezone-aware


def test_hourly_rows_are_replaced_not_added(ledger: Ledger) -> None:
    row = HourlyEnergy("pdu-a", T0, 1.0, 1.0, 1.0, 0.0, "pdu", 0)
    ledger.replace_hourly("pdu-a", [row])
    ledger.replace_hourly("pdu-a", [replace(row, kwh=2.0, measured_kwh=2.0)])
    (got,) = ledger.hourly(T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert got == replace(row, kwh=2.0, measured_kwh=2.0)  # a typed record, times in UTC


def test_dead_letters_keep_raw_bytes(ledger: Ledger) -> None:
    ledger.dead_letter("veille/v1/s/d/telemetry", "not JSON", b"\xff\x00raw", T0)
    (dead,) = ledger.dead_letters()
    assert dead.payload == b"\xff\x00raw" and dead.reason == "not JSON"


def test_retention_expires_raw_and_keeps_rollups(ledger: Ledger) -> None:
    old, recent = T0 - timedelta(days=60), T0
    ledger.store([_acc("pc-1", 1, old), _acc("pc-1", 2, recent)])
    ledger.replace_hourly("pc-1", [HourlyEnergy("pc-1", old, 1.0, 1.0, 0.0, 1.0, "model", 0)])
    raw, hourly = ledger.expire(
        raw_before=T0 - timedelta(days=35), hourly_before=T0 - timedelta(days=1000)
    )
    assert (raw, hourly) == (1, 0)
    assert ledger.count("samples") == 1
    assert len(ledger.hourly(old - timedelta(hours=1), T0)) == 1


def test_the_ledger_api_takes_and_returns_typed_records_only() -> None:
    """No Any, dict or row crosses the ledger's public methods (mypy strict relies on it)."""
    checked = 0
    for name, fn in inspect_module.getmembers(Ledger, inspect_module.isfunction):
        if name.startswith("_"):
            continue
        for arg, hint in typing.get_type_hints(fn).items():
            text = repr(hint)
            assert not any(w in text for w in ("Any", "dict", "Row")), f"{name}({arg}): {text}"
            checked += 1
    assert checked > 30


def test_hourly_rows_keep_where_in_the_hour_their_data_is(ledger: Ledger) -> None:
    slots = tuple(0.01 * k / 3 for k in range(12))
    covered = ((0.0, 1200.5), (2100.0, 3600.0))
    row = HourlyEnergy("srv-1", T0, sum(slots), 0.75, sum(slots), 0.0, "ipmi", 0, covered, slots)
    ledger.replace_hourly("srv-1", [row])
    (got,) = ledger.hourly(T0, T0 + timedelta(hours=1))
    assert got.covered == row.covered
    assert got.slot_kwh == pytest.approx(slots, rel=1e-5)
    assert replace(got, slot_kwh=slots) == row


def test_a_batch_of_many_devices_sets_each_row_once_in_a_few_statements(ledger: Ledger) -> None:
    """One insert, one select per chunk and one update per column set, whatever the number of
    devices: each row still gets its own latest values and message count."""
    from contract.schema import PowerState, StateBlock

    batch = [_acc(f"pc-{i:04d}", 1, T0 + timedelta(seconds=i)) for i in range(700)]
    batch += [
        _acc("pc-0001", 2, T0 + timedelta(hours=1)),
        _acc("pc-0002", 2, T0 - timedelta(hours=1)),
    ]
    awake = Telemetry(
        device_id="pc-0003",
        seq=2,
        sent_at=T0 + timedelta(hours=2),
        readings=[
            Reading(
                ts=T0 + timedelta(hours=2),
                metric="power_watts",
                value=50.0,
                source="model",
                quality=Quality.ESTIMATED,
            )
        ],
        state=StateBlock(power_state=PowerState.IDLE, idle_seconds=12.0),
    )
    batch.append(Accepted(awake, "mairie", T0, 0.0))
    statements: list[str] = []
    from sqlalchemy import event

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(ledger.engine, "before_cursor_execute", count)
    try:
        result = ledger.store(batch)
    finally:
        event.remove(ledger.engine, "before_cursor_execute", count)
    assert result.stored_messages == 703
    device_statements = [s for s in statements if "devices" in s]
    assert len(device_statements) <= 6  # 1 insert, 2 selects (700 ids), 2 updates (2 column sets)
    rows = {d.device_id: d for d in ledger.devices()}
    assert len(rows) == 700
    assert rows["pc-0001"].messages == 2 and rows["pc-0001"].last_seq == 2
    assert rows["pc-0001"].last_seen == T0 + timedelta(hours=1)
    # pc-0002's second message is older than its first: last_seen stays at the newer one
    assert rows["pc-0002"].messages == 2 and rows["pc-0002"].last_seen == T0 + timedelta(seconds=2)
    assert rows["pc-0003"].power_state == "idle" and rows["pc-0003"].idle_seconds == 12.0
    assert rows["pc-0004"].power_state is None and rows["pc-0699"].messages == 1
