"""The time-series sink against a real VictoriaMetrics: values, tags, energy, a down store."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collector.config import TimeseriesSettings
from collector.model import Sample
from collector.sinks.timeseries import TimeseriesSink
from contract.schema import Quality
from loopback import servers
from tests.sinks.promql import export, query

pytestmark = pytest.mark.integration

INVENTORY = {"domain": "ecoles", "site": "Mairie annexe, 2e étage", "kind": "workstation"}


def settings(url: str, spool: Path, batch_size: int = 100, **kw: Any) -> TimeseriesSettings:
    return TimeseriesSettings(
        url=url, batch_size=batch_size, flush_interval_seconds=0.1, spool_dir=spool, **kw
    )


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_values_and_tags_round_trip(
    victoria_metrics: servers._VictoriaMetrics, tmp_path: Path
) -> None:
    dev = unique("pc")
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    samples = [
        Sample(
            dev,
            t0 + timedelta(seconds=i, microseconds=i * 1500),
            "power_watts",
            40.0 + i / 4,
            "rapl",
            Quality.MEASURED,
            "package-0",
        )
        for i in range(50)
    ] + [Sample(dev, t0, "energy_joules_total", 1.5e9, "model", Quality.ESTIMATED)]
    sink = TimeseriesSink(
        settings(victoria_metrics.url, tmp_path),
        tags_for=lambda d: INVENTORY if d == dev else {},
    )
    try:
        sink.write(samples[:20])
        sink.write(samples[20:])
        assert sink.flush(10)
    finally:
        sink.close()
    victoria_metrics.flush()

    series = {
        s["metric"]["__name__"]: s for s in export(victoria_metrics.url, f'{{device_id="{dev}"}}')
    }
    assert set(series) == {"veille_power_watts", "veille_energy_joules_total"}
    power = series["veille_power_watts"]
    assert power["metric"] == {
        "__name__": "veille_power_watts",
        "device_id": dev,
        "source": "rapl",
        "quality": "measured",
        "component": "package-0",
        **INVENTORY,
    }
    assert power["values"] == [40.0 + i / 4 for i in range(50)]
    # nanoseconds in, milliseconds stored: truncated, never rounded to a neighbour
    t0_ms = int(t0.timestamp() * 1000)
    assert power["timestamps"] == [t0_ms + i * 1000 + (i * 1500) // 1000 for i in range(50)]
    energy = series["veille_energy_joules_total"]
    assert energy["values"] == [1.5e9]
    assert energy["metric"]["quality"] == "estimated" and "component" not in energy["metric"]
    assert sink.written_total == 51 and sink.dropped_total == 0 and sink.spooled_total == 0


def test_integrating_constant_power_gives_its_energy(
    victoria_metrics: servers._VictoriaMetrics, tmp_path: Path
) -> None:
    dev = unique("ups")
    watts, step = 250.0, 10
    t0 = (int(time.time()) // 60 - 120) * 60
    samples = [
        Sample(
            dev,
            datetime.fromtimestamp(t0 + i * step, UTC),
            "power_watts",
            watts,
            "snmp",
            Quality.MEASURED,
        )
        for i in range(121)  # 20 minutes
    ]
    sink = TimeseriesSink(settings(victoria_metrics.url, tmp_path))
    try:
        sink.write(samples)
        assert sink.flush(10)
    finally:
        sink.close()
    victoria_metrics.flush()

    selector = f'veille_power_watts{{device_id="{dev}"}}'
    (ten_min,) = query(victoria_metrics.url, f"integrate({selector}[10m])", at=t0 + 900)
    assert float(ten_min["value"][1]) == pytest.approx(watts * 600, rel=1e-9)  # 150 kJ
    (twenty,) = query(victoria_metrics.url, f"integrate({selector}[20m])", at=t0 + 1200)
    assert float(twenty["value"][1]) == pytest.approx(watts * 1200, rel=1e-9)


def test_down_store_fails_fast_spools_and_a_restarted_sink_replays(
    victoria_metrics: servers._VictoriaMetrics, tmp_path: Path
) -> None:
    dev = unique("pdu")
    t0 = int(time.time()) - 3600
    samples = [
        Sample(
            dev,
            datetime.fromtimestamp(t0 + i, UTC),
            "power_watts",
            float(i),
            "snmp",
            Quality.MEASURED,
        )
        for i in range(1000)
    ]
    nobody = f"http://127.0.0.1:{servers.free_port()}"  # nothing listens there
    down = TimeseriesSink(settings(nobody, tmp_path / "spool"))
    started = time.monotonic()
    down.write(samples)
    assert not down.flush(1.0)
    down.close()
    assert time.monotonic() - started < 5
    stats = down.stats()
    assert stats.written_total == 0 and stats.dropped_total == 0
    assert stats.spooled_total == 1000 and stats.spool.lines == 1000 and stats.spool.batches == 10
    assert stats.errors_total >= 1 and stats.last_error and "refused" in stats.last_error

    # the collector restarts with the store back: the spool on disk is replayed
    up = TimeseriesSink(settings(victoria_metrics.url, tmp_path / "spool"))
    try:
        assert up.flush(10)
    finally:
        up.close()
    assert up.written_total == 1000
    assert not list((tmp_path / "spool").iterdir())
    victoria_metrics.flush()
    (series,) = export(victoria_metrics.url, f'{{device_id="{dev}"}}')
    assert series["values"] == [float(i) for i in range(1000)]


def test_full_spool_drops_oldest_and_counts_every_sample(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nobody = f"http://127.0.0.1:{servers.free_port()}"
    sink = TimeseriesSink(settings(nobody, tmp_path, batch_size=10, max_spool_bytes=4096))
    now = datetime.now(UTC)
    total = 600
    for i in range(0, total, 50):
        sink.write(
            [
                Sample(
                    "pc-x",
                    now + timedelta(seconds=i + k),
                    "power_watts",
                    1.0,
                    "rapl",
                    Quality.MEASURED,
                )
                for k in range(50)
            ]
        )
    assert not sink.flush(1.0)
    sink.close()
    s = sink.stats()
    assert s.dropped_total > 0 and s.last_drop and "spool limit 4096 bytes" in s.last_drop
    assert "dropped" in caplog.text and "spool limit 4096 bytes" in caplog.text
    assert s.spool.size_bytes <= 4096
    # nothing unaccounted for: every sample is written, on disk or counted as dropped
    assert s.written_total + s.spool.lines + s.dropped_total == total
    assert s.spooled_total == s.spool.lines + s.dropped_total
