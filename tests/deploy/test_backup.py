"""deploy/ledger-backup: a ledger backed up and restored is the same ledger, row for row.

A ledger is filled through the collector's own ingest path with a simulated fleet's messages
and its hourly kWh job, then backed up with the shipped script (SQLite: while the collector's
connection is still open with rows only in the WAL; PostgreSQL: the real server on loopback),
restored into a fresh ledger, and every table is compared row by row. A damaged backup is
refused and leaves the ledger it would have replaced as it was.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from collector.config import CollectorConfig
from collector.ingest.pipeline import Ingestor
from collector.inventory import Inventory
from collector.jobs import recompute
from collector.ledger.store import Ledger
from collector.ledger.tables import metadata
from collector.metrics import CollectorMetrics
from collector.sim.agents import history
from collector.sim.fleet import build_fleet
from contract.schema import Telemetry, topic
from loopback import servers

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "ledger-backup"
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def fill(url: str) -> Ledger:
    """A ledger holding six hours of a small fleet, its hourly kWh and violations; left open."""
    fleet = build_fleet(7, desktops=4, laptops=2, servers=2)
    ledger = Ledger(url)
    ledger.migrate()
    ingestor = Ingestor(ledger, CollectorMetrics())
    ingestor.start()
    seq: dict[str, int] = {}
    start = NOW - timedelta(hours=6)
    for msg in history(fleet, start, NOW, interval=timedelta(minutes=5)):
        seq[msg.device_id] = seq.get(msg.device_id, -1) + 1
        payload = Telemetry(
            device_id=msg.device_id,
            seq=seq[msg.device_id],
            sent_at=msg.ts,
            kind=msg.kind,
            readings=msg.readings,
            state=msg.state,
        ).to_json()
        ingestor.submit(topic(msg.site, msg.device_id, "telemetry"), payload, msg.ts)
    ingestor.submit("veille/v1/s/bad/telemetry", b"{not json", NOW)  # one dead letter
    assert ingestor.wait_idle(120)
    ingestor.stop()
    cfg = CollectorConfig.model_validate({"ledger": {"url": url}, "mqtt": {"embedded": False}})
    recompute(ledger, Inventory(fleet.inventory_devices()), cfg, start=start, end=NOW, now=NOW)
    return ledger


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a fixed order."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            out = {}
            for name in names:
                table = sa.Table(name, sa.MetaData(), autoload_with=conn)
                rows = conn.execute(sa.select(table)).all()
                out[name] = sorted((tuple(r) for r in rows), key=repr)  # JSON has no order
            return out
    finally:
        engine.dispose()


def script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_sqlite_round_trip_while_the_collector_has_it_open(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'veille.sqlite'}"
    ledger = fill(url)
    try:
        wal = tmp_path / "veille.sqlite-wal"
        assert wal.exists() and wal.stat().st_size > 0  # rows not yet in the main file
        before = dump(url)
        done = script("backup", url, str(tmp_path / "backup.sqlite"))
        assert done.returncode == 0, done.stderr
    finally:
        ledger.close()
    assert len(before["samples"]) > 500 and len(before["hourly_energy"]) > 10
    assert len(before["dead_letters"]) == 1 and before["alembic_version"]

    restored = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    done = script("restore", str(tmp_path / "backup.sqlite"), restored)
    assert done.returncode == 0, done.stderr
    assert dump(restored) == before
    again = Ledger(restored)
    again.migrate()  # already at head: nothing to do, nothing lost
    assert again.count("samples") == len(before["samples"])
    again.close()


def test_sqlite_refuses_a_damaged_backup_and_keeps_the_ledger(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'veille.sqlite'}"
    fill(url).close()
    assert script("backup", url, str(tmp_path / "b.sqlite")).returncode == 0
    good = dump(url)
    damaged = tmp_path / "damaged.sqlite"
    data = (tmp_path / "b.sqlite").read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    done = script("restore", str(damaged), url)
    assert done.returncode == 1
    assert "damaged.sqlite" in done.stderr
    assert dump(url) == good
    assert script("backup", url, str(tmp_path / "b.sqlite")).returncode == 1  # no overwrite


@pytest.fixture()
def pg_urls(postgres: servers._Postgres) -> Iterator[tuple[str, str]]:
    yield postgres.create_database("veille_backup_a"), postgres.create_database("veille_backup_b")


@pytest.mark.integration
def test_postgres_round_trip(pg_urls: tuple[str, str], tmp_path: Path) -> None:
    source, target = pg_urls
    fill(source).close()
    before = dump(source)
    assert len(before["samples"]) > 500 and len(before["hourly_energy"]) > 10
    done = script("backup", source, str(tmp_path / "veille.dump"))
    assert done.returncode == 0, done.stderr
    done = script("restore", str(tmp_path / "veille.dump"), target)
    assert done.returncode == 0, done.stderr
    assert dump(target) == before

    # restoring over a ledger that has moved on puts it back as it was in the backup
    engine = sa.create_engine(target)
    with engine.begin() as conn:
        conn.execute(sa.delete(metadata.tables["samples"]))
    engine.dispose()
    assert script("restore", str(tmp_path / "veille.dump"), target).returncode == 0
    assert dump(target) == before

    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes((tmp_path / "veille.dump").read_bytes()[:4000])
    done = script("restore", str(damaged), target)
    assert done.returncode == 1
    assert dump(target) == before
