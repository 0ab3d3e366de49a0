"""``alert_deliveries`` on SQLite and PostgreSQL: created by the migration, read back, kept once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from collector.alerts.delivered import DeliveryLog, DeliveryLogError
from collector.ledger import Ledger
from loopback.servers import _Postgres

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    else:
        pg: _Postgres = request.getfixturevalue("postgres")
        url = pg.create_database("alerts_delivered")
    led = Ledger(url)
    led.migrate()
    yield led
    led.close()


def test_record_then_read_back_once(ledger: Ledger) -> None:
    assert "alert_deliveries" in inspect(ledger.engine).get_table_names()
    log = DeliveryLog(ledger.engine)
    at = datetime(2026, 12, 1, 7, tzinfo=UTC)
    k = "violation:PC-1:2026-11-30T18:30:00+00:00"
    log.record("email", [(k, "open"), (k, "open")], at)
    log.record("email", [(k, "open")], at)  # again: kept once
    log.record("webhook", [(k, "resolved")], at)
    assert log.delivered("email", [(k, "open"), (k, "resolved")]) == {(k, "open")}
    assert log.delivered("webhook", [(k, "open"), (k, "resolved")]) == {(k, "resolved")}
    assert log.delivered("mqtt", [(k, "open")]) == set()
    assert ledger.count("alert_deliveries") == 2
    assert log.prune(at + timedelta(seconds=1)) == 2


def test_many_keys_are_read_in_chunks(ledger: Ledger) -> None:
    log = DeliveryLog(ledger.engine)
    idents = [(f"violation:PC-{i}:w", "open") for i in range(1200)]
    log.record("gauge", idents[::2], datetime.now(UTC))
    assert log.delivered("gauge", idents) == set(idents[::2])


def test_missing_table_is_a_delivery_log_error(tmp_path: Path) -> None:
    bare = Ledger(f"sqlite:///{tmp_path / 'bare.sqlite'}")  # not migrated
    with pytest.raises(DeliveryLogError, match="alert_deliveries: read failed"):
        DeliveryLog(bare.engine).delivered("email", [("k", "open")])
    with pytest.raises(DeliveryLogError, match="alert_deliveries: write failed"):
        DeliveryLog(bare.engine).record("email", [("k", "open")], datetime.now(UTC))
    bare.close()


def test_migration_matches_the_table_definition(ledger: Ledger) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from collector.ledger.tables import metadata

    with ledger.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    mine = [d for d in diffs if "alert_deliveries" in repr(d)]
    assert mine == []
