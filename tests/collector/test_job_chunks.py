"""The analysis job by chunks of devices (:mod:`collector.ledger.chunks`) writes exactly what
the job one device at a time wrote: the same hourly and daily rows, violations, events and
window outcomes, row for row, on SQLite and PostgreSQL.

The reference is the job as it was before chunks (one set of queries per device through the
:class:`Ledger` methods), kept as the oracle in ``bench/_job_oracle.py``. The ledger is a
simulated fleet's three days through the collector's own ingest path (devices awake at night,
laptops with exemptions, servers), plus a recorded exemption; the job runs twice (two
mornings), so violations are found, then go on or resolve.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from collector.config import CollectorConfig
from collector.ingest.pipeline import Ingestor
from collector.inventory import Inventory
from collector.jobs import recompute
from collector.ledger import Ledger
from collector.metrics import CollectorMetrics
from collector.model import ExemptionRecord
from collector.sim.agents import history
from collector.sim.fleet import Fleet, build_fleet
from contract.schema import Telemetry, topic
from loopback import servers

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from _job_oracle import per_device

# Thursday 3 December 2026, 09:00 UTC: three nights of data behind.
END = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
START = END - timedelta(days=3)
TABLES = ("hourly_energy", "daily_energy", "violations", "violation_events", "policy_windows")


def fill(url: str, fleet: Fleet) -> None:
    """Three days of the fleet's messages, every 15 minutes, and an operator's exemption."""
    ledger = Ledger(url)
    ledger.migrate()
    ingestor = Ingestor(ledger, CollectorMetrics())
    ingestor.start()
    seq: dict[str, int] = {}
    for msg in history(fleet, START, END, interval=timedelta(minutes=15)):
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
    assert ingestor.wait_idle(120)
    ingestor.stop()
    awake = next(w.id for w in fleet.workstations if w.insomnia and w.kind == "desktop")
    ledger.add_exemption(
        ExemptionRecord(awake, False, date(2026, 12, 1), "migration de nuit", "dsi", START)
    )
    ledger.close()


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            out = {}
            for name in TABLES:
                table = sa.Table(name, sa.MetaData(), autoload_with=conn)
                cols = [c for c in table.c if c.name != "id"]  # events' serial ids aside
                out[name] = sorted((tuple(r) for r in conn.execute(sa.select(*cols))), key=repr)
            return out
    finally:
        engine.dispose()


def run_both(one: str, other: str, fleet: Fleet, chunk: int) -> None:
    inventory = Inventory(fleet.inventory_devices())
    cfg = CollectorConfig.model_validate({"mqtt": {"embedded": False}})
    for now in (END - timedelta(days=1), END):  # two mornings: found, then on or resolved
        start = now - timedelta(hours=30)
        a, b = Ledger(one), Ledger(other)
        try:
            want = per_device(a, inventory, cfg, start=start, now=now)
            got = recompute(b, inventory, cfg, start=start, end=now, now=now, chunk=chunk)
        finally:
            a.close()
            b.close()
        assert got == want
        assert want.violations > 0 and want.events  # the fleet has devices awake at night
    expected, actual = dump(one), dump(other)
    assert all(expected[name] for name in TABLES)  # every table has rows to compare
    for name in TABLES:
        assert actual[name] == expected[name], name


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return build_fleet(11, desktops=8, laptops=5, servers=2, today=END.date())


@pytest.fixture(scope="module")
def sqlite_ledger(tmp_path_factory: pytest.TempPathFactory, fleet: Fleet) -> Path:
    path = tmp_path_factory.mktemp("chunks") / "filled.sqlite"
    fill(f"sqlite:///{path}", fleet)
    return path


@pytest.mark.parametrize("chunk", [1, 4, 200])
def test_chunks_write_what_the_per_device_job_wrote_sqlite(
    sqlite_ledger: Path, tmp_path: Path, fleet: Fleet, chunk: int
) -> None:
    one, other = tmp_path / "one.sqlite", tmp_path / "other.sqlite"
    shutil.copy(sqlite_ledger, one)
    shutil.copy(sqlite_ledger, other)
    run_both(f"sqlite:///{one}", f"sqlite:///{other}", fleet, chunk)


@pytest.fixture
def pg_pair(postgres: servers._Postgres, fleet: Fleet) -> Iterator[tuple[str, str]]:
    urls = (postgres.create_database("chunks_one"), postgres.create_database("chunks_other"))
    for url in urls:
        fill(url, fleet)
    yield urls


def test_chunks_write_what_the_per_device_job_wrote_postgresql(
    pg_pair: tuple[str, str], fleet: Fleet
) -> None:
    run_both(*pg_pair, fleet, chunk=4)


def test_chunk_must_be_positive(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}")
    ledger.migrate()
    cfg = CollectorConfig.model_validate({"mqtt": {"embedded": False}})
    with pytest.raises(ValueError, match="chunk"):
        recompute(ledger, Inventory([]), cfg, start=START, end=END, now=END, chunk=0)
    ledger.close()


def test_the_jobs_narrow_device_reads_say_what_the_records_say(sqlite_ledger: Path) -> None:
    ledger = Ledger(f"sqlite:///{sqlite_ledger}")
    try:
        records = ledger.devices()
        ids = sorted(r.device_id for r in records)
        assert len(ids) > 10 and ledger.device_ids() == ids
        assert sorted(ledger.device_kinds()) == sorted((r.device_id, r.kind) for r in records)
        states = sorted((r.device_id, r.power_state) for r in records if r.power_state)
        assert states and ledger.power_states() == states
        wanted = [ids[3], "not-known", ids[0], ids[3], ids[-1]]
        got = ledger.devices_of(wanted)
        assert [r.device_id for r in got] == [ids[3], ids[0], ids[-1]]
        assert got == [
            next(r for r in records if r.device_id == d) for d in (ids[3], ids[0], ids[-1])
        ]
    finally:
        ledger.close()
