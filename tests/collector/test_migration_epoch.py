"""Revision 0003_message_epoch on a ledger that already holds messages, SQLite and PostgreSQL:
old message ids keep their seq under epoch "" with no hash, a resend of an old message is
still a duplicate (not a conflict), and the same seq under an epoch is new data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from collector.ingest.pipeline import Ingestor
from collector.ledger import Ledger
from collector.ledger import tables as t
from collector.ledger.migrate import alembic_config, upgrade
from collector.metrics import CollectorMetrics
from contract.schema import Quality, Reading, Telemetry, topic
from loopback.servers import _Postgres

REVISION = "0003_message_epoch"
NOW = datetime.now(UTC).replace(microsecond=0)


def _payload(seq: int, epoch: str | None = None) -> bytes:
    reading = Reading(
        ts=NOW, metric="power_watts", value=50.0, source="model", quality=Quality.ESTIMATED
    )
    return Telemetry(
        device_id="pc-old", seq=seq, epoch=epoch, sent_at=NOW, readings=[reading]
    ).to_json()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    else:
        postgres: _Postgres = request.getfixturevalue("postgres")
        yield postgres.create_database("migration_epoch")


def test_upgrade_keeps_old_messages_and_their_dedupe(url: str) -> None:
    ledger = Ledger(url)
    scripts = ScriptDirectory.from_config(alembic_config(ledger.engine))
    before = scripts.get_revision(REVISION).down_revision
    assert isinstance(before, str)
    upgrade(ledger.engine, before)
    with ledger.engine.begin() as conn:  # as the collector stored it before the revision
        conn.execute(
            text("INSERT INTO messages (device_id, seq, received_at) VALUES ('pc-old', 7, :at)"),
            {"at": NOW},
        )
    ledger.migrate()
    with ledger.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(t.messages.c.epoch, t.messages.c.seq,
                                                      t.messages.c.content_hash))]  # fmt: skip
    assert rows == [("", 7, None)]
    metrics = CollectorMetrics()
    ingestor = Ingestor(ledger, metrics)
    ingestor.start()
    name = topic("mairie", "pc-old", "telemetry")
    ingestor.submit(name, _payload(7))  # the old agent resends seq 7: stored before
    ingestor.submit(name, _payload(7, epoch="0123456789abcdef"))  # a new spool's seq 7
    assert ingestor.wait_idle(20)
    ingestor.stop()
    try:
        assert metrics.messages.labels("duplicate")._value.get() == 1
        assert metrics.messages.labels("conflict")._value.get() == 0
        assert metrics.messages.labels("stored")._value.get() == 1
        assert ledger.count("messages") == 2 and ledger.dead_letters() == []
    finally:
        ledger.close()
