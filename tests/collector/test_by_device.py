"""The reads and deletes that filter samples and states on time alone walk their
``(device_id, ts)`` index device by device (collector/ledger/by_device.py): the same answers as
a plain filter, and no full scan."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Table, delete, inspect, select
from sqlalchemy.sql import ClauseElement

from collector.ledger import Ledger
from collector.ledger import tables as t
from collector.ledger.by_device import delete_older, device_ids, devices_with_rows, known_device
from collector.model import Sample
from contract.schema import Quality

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
# ids that sort in awkward ways: prefixes of each other, digits, upper before lower case
IDS = ["pc", "pc-1", "pc-10", "pc-2", "PC-3", "srv.a", "z", "ups-9"]


def _fill(ledger: Ledger) -> tuple[list[Sample], list[tuple[str, datetime]]]:
    """400 samples of 7 devices and 150 states of 5 ("ups-9" has none of either; "z" and
    "srv.a" only samples, "pc-10" only states... as the draw falls), over three days."""
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
    ]
    ledger.write_samples(rows)
    states = [
        (rng.choice(IDS[:5]), T0 + timedelta(minutes=rng.randrange(0, 3 * 24 * 60)))
        for _ in range(150)
    ]
    with ledger.engine.begin() as conn:
        conn.execute(
            t.states.insert(),
            [{"device_id": d, "ts": ts, "power_state": "idle"} for d, ts in states],
        )
    return rows, states


@pytest.mark.parametrize("hours", [(0, 1), (5, 7), (30, 31), (70, 72), (100, 101)])
def test_devices_seen_are_those_with_a_sample_or_a_state_in_the_range(
    ledger: Ledger, hours: tuple[int, int]
) -> None:
    rows, states = _fill(ledger)
    start, end = T0 + timedelta(hours=hours[0]), T0 + timedelta(hours=hours[1])
    by_samples = {s.device_id for s in rows if start <= s.ts < end}
    by_states = {d for d, ts in states if start <= ts < end}
    assert ledger.devices_seen(start, end) == sorted(by_samples | by_states)
    with ledger.engine.connect() as conn:
        for table, want in ((t.samples, by_samples), (t.states, by_states)):
            assert set(conn.execute(devices_with_rows(table, start, end)).scalars()) == want


def test_the_walk_lists_every_device_once(ledger: Ledger) -> None:
    rows, states = _fill(ledger)
    with ledger.engine.connect() as conn:
        wanted = {t.samples: {s.device_id for s in rows}, t.states: {d for d, _ in states}}
        for table, want in wanted.items():
            ids = device_ids(table)
            got = list(conn.execute(select(ids.c.device_id)).scalars())
            assert got[-1] is None  # the walk's end
            assert sorted(got[:-1]) == sorted(want) and len(got) == len(want) + 1


def test_one_metrics_readings_are_every_devices_in_time_order(ledger: Ledger) -> None:
    rows, _ = _fill(ledger)
    start, end = T0 + timedelta(hours=10), T0 + timedelta(hours=40)
    got = ledger.samples_of_metric("power_watts", start, end)
    want = [s for s in rows if s.metric == "power_watts" and start <= s.ts < end]
    assert sorted((s.device_id, s.ts, s.value) for s in got) == sorted(
        (s.device_id, s.ts, s.value) for s in want
    )
    assert [s.ts for s in got] == sorted(s.ts for s in got)
    assert len({s.device_id for s in got}) > 3


def test_expiry_deletes_every_devices_old_rows_and_only_those(ledger: Ledger) -> None:
    rows, states = _fill(ledger)
    cut = T0 + timedelta(hours=36)
    raw, _ = ledger.expire(raw_before=cut, hourly_before=T0 - timedelta(days=1))
    assert raw == sum(1 for s in rows if s.ts < cut)
    assert ledger.count("samples") == sum(1 for s in rows if s.ts >= cut)
    assert ledger.count("states") == sum(1 for _, ts in states if ts >= cut)
    assert ledger.devices_seen(T0, cut) == []


def test_an_empty_ledger_has_no_device(ledger: Ledger) -> None:
    assert ledger.devices_seen(T0, T0 + timedelta(days=1)) == []
    assert ledger.samples_of_metric("power_watts", T0, T0 + timedelta(days=1)) == []
    with ledger.engine.begin() as conn:
        assert delete_older(conn, t.samples, T0) == 0


def test_a_table_without_the_index_is_refused() -> None:
    with pytest.raises(ValueError, match="hourly_energy has no"):
        device_ids(t.hourly_energy)


def test_the_indexes_and_these_statements_never_scan_a_table(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}")
    ledger.migrate()
    _fill(ledger)
    indexes = {i["name"]: i["column_names"] for i in inspect(ledger.engine).get_indexes("samples")}
    assert indexes == {"ix_samples_device_ts": ["device_id", "ts"]}
    start, end = T0, T0 + timedelta(hours=1)

    def queries(table: Table) -> list[ClauseElement]:
        c = table.c
        return [
            devices_with_rows(table, start, end),
            select(table).where(known_device(table), c.ts >= start, c.ts < end),
            delete(table).where(c.device_id.in_(["pc", "z"]), c.ts < start),
        ]

    with ledger.engine.connect() as conn:
        for table in (t.samples, t.states):
            for q in queries(table):
                compiled = q.compile(ledger.engine, compile_kwargs={"literal_binds": True})
                plan = [r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]
                scans = [p for p in plan if re.match(rf"SCAN (next_)?{table.name}\b", p)]
                assert not scans, plan  # a table scan (the walk's own CTE may be scanned)
                assert any(p.startswith(f"SEARCH {table.name} USING") for p in plan), plan
    ledger.close()
