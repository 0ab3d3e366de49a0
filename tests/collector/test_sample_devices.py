"""The reads that filter samples on time alone walk ``ix_samples_device_ts`` device by device
(collector/ledger/sample_devices.py): same answers as a plain filter, and no full scan."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, inspect, select

from collector.ledger import Ledger
from collector.ledger import tables as t
from collector.ledger.sample_devices import devices_with_samples, known_device
from collector.model import Sample
from contract.schema import Quality

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
# ids that sort in awkward ways: prefixes of each other, digits, upper before lower case
IDS = ["pc", "pc-1", "pc-10", "pc-2", "PC-3", "srv.a", "z", "ups-9"]


def _fill(ledger: Ledger) -> list[Sample]:
    rng = random.Random(7)
    rows = [
        Sample(
            device_id,
            T0 + timedelta(minutes=rng.randrange(0, 3 * 24 * 60)),
            rng.choice(["power_watts", "uptime_seconds"]),
            float(n),
            "test",
            Quality.MEASURED,
        )
        for n, device_id in enumerate(rng.choice(IDS[:-1]) for _ in range(400))
    ]  # "ups-9" has no sample at all
    ledger.write_samples(rows)
    return rows


@pytest.mark.parametrize("hours", [(0, 1), (5, 7), (30, 31), (70, 72), (100, 101)])
def test_devices_seen_are_those_with_a_sample_in_the_range(
    ledger: Ledger, hours: tuple[int, int]
) -> None:
    rows = _fill(ledger)
    start, end = T0 + timedelta(hours=hours[0]), T0 + timedelta(hours=hours[1])
    expected = sorted({s.device_id for s in rows if start <= s.ts < end})
    assert ledger.devices_seen(start, end) == expected
    with ledger.engine.connect() as conn:
        found = list(conn.execute(devices_with_samples(start, end)).scalars())
    assert sorted(found) == expected


def test_one_metrics_readings_are_every_devices_in_time_order(ledger: Ledger) -> None:
    rows = _fill(ledger)
    start, end = T0 + timedelta(hours=10), T0 + timedelta(hours=40)
    got = ledger.samples_of_metric("power_watts", start, end)
    want = [s for s in rows if s.metric == "power_watts" and start <= s.ts < end]
    assert sorted((s.device_id, s.ts, s.value) for s in got) == sorted(
        (s.device_id, s.ts, s.value) for s in want
    )
    assert [s.ts for s in got] == sorted(s.ts for s in got)
    assert len({s.device_id for s in got}) > 3


def test_expiry_deletes_every_devices_old_samples_and_only_those(ledger: Ledger) -> None:
    rows = _fill(ledger)
    cut = T0 + timedelta(hours=36)
    raw, _ = ledger.expire(raw_before=cut, hourly_before=T0 - timedelta(days=1))
    assert raw == sum(1 for s in rows if s.ts < cut)
    assert ledger.count("samples") == sum(1 for s in rows if s.ts >= cut)
    assert ledger.devices_seen(T0, cut) == []


def test_an_empty_ledger_has_no_device(ledger: Ledger) -> None:
    assert ledger.devices_seen(T0, T0 + timedelta(days=1)) == []
    assert ledger.samples_of_metric("power_watts", T0, T0 + timedelta(days=1)) == []


def test_samples_have_the_one_index_and_these_reads_never_scan_the_table(tmp_path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}")
    ledger.migrate()
    _fill(ledger)
    indexes = {i["name"]: i["column_names"] for i in inspect(ledger.engine).get_indexes("samples")}
    assert indexes == {"ix_samples_device_ts": ["device_id", "ts"]}
    s = t.samples.c
    start, end = T0, T0 + timedelta(hours=1)
    queries = [
        devices_with_samples(start, end),
        select(t.samples).where(known_device(s.device_id), s.metric == "x", s.ts >= start),
        delete(t.samples).where(s.device_id.in_(["pc", "z"]), s.ts < start),
    ]
    with ledger.engine.connect() as conn:
        for q in queries:
            sql = str(q.compile(ledger.engine, compile_kwargs={"literal_binds": True}))
            plan = [r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
            steps = [p for p in plan if "samples" in p or "next_sample" in p]
            assert steps and all("USING" in p and "INDEX" in p for p in steps), plan
    ledger.close()
