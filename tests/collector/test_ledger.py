"""The ledger on SQLite and on a real PostgreSQL: migrations, dedupe, roll-ups, retention."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from collector.ledger import Ledger
from collector.ledger.store import Accepted
from contract.schema import Quality, Reading, Telemetry
from tests.servers import _Postgres

T0 = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    else:
        pg: _Postgres = request.getfixturevalue("postgres")
        url = pg.create_database(f"ledger_{abs(hash(request.node.name)) % 10**8}")
    led = Ledger(url)
    led.migrate()
    yield led
    led.close()


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
    assert dev.last_seen.replace(tzinfo=UTC) == T0 and dev.messages == 2


def test_hourly_rows_are_replaced_not_added(ledger: Ledger) -> None:
    row = {
        "hour": T0,
        "kwh": 1.0,
        "coverage": 1.0,
        "measured_kwh": 1.0,
        "estimated_kwh": 0.0,
        "source": "pdu",
        "resets": 0,
    }
    ledger.replace_hourly("pdu-a", [row])
    ledger.replace_hourly("pdu-a", [{**row, "kwh": 2.0}])
    (got,) = ledger.hourly_rows(T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert got.kwh == 2.0


def test_dead_letters_keep_raw_bytes(ledger: Ledger) -> None:
    ledger.dead_letter("veille/v1/s/d/telemetry", "not JSON", b"\xff\x00raw", T0)
    (dead,) = ledger.dead_letters()
    assert dead.payload == b"\xff\x00raw" and dead.reason == "not JSON"


def test_retention_expires_raw_and_keeps_rollups(ledger: Ledger) -> None:
    old, recent = T0 - timedelta(days=60), T0
    ledger.store([_acc("pc-1", 1, old), _acc("pc-1", 2, recent)])
    row = {
        "kwh": 1.0,
        "coverage": 1.0,
        "measured_kwh": 0.0,
        "estimated_kwh": 1.0,
        "source": "model",
        "resets": 0,
    }
    ledger.replace_hourly("pc-1", [{"hour": old, **row}])
    raw, hourly = ledger.expire(
        raw_before=T0 - timedelta(days=35), hourly_before=T0 - timedelta(days=1000)
    )
    assert (raw, hourly) == (1, 0)
    assert ledger.count("samples") == 1
    assert len(ledger.hourly_rows(old - timedelta(hours=1), T0)) == 1
