"""No sample is lost, or written twice, when VictoriaMetrics is down for OUTAGE_SECONDS."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.config import TimeseriesSettings
from collector.model import Sample
from collector.sinks.timeseries import TimeseriesSink
from contract.schema import Quality
from loopback import servers
from tests.sinks.promql import export

pytestmark = pytest.mark.integration

OUTAGE_SECONDS = 30
DEVICES = 10
SAMPLES_PER_WRITE = 100
WRITE_EVERY_SECONDS = 0.02  # about 5,000 samples per second


class Load:
    """Writes numbered samples: value i, at base + i milliseconds, on device i % DEVICES."""

    def __init__(self, sink: TimeseriesSink, run: str) -> None:
        self.sink = sink
        self.run = run
        self.base_ms = (int(time.time()) - 3 * 3600) * 1000
        self.count = 0
        self.slowest_write_seconds = 0.0

    def run_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            batch = [
                Sample(
                    f"outage-{self.run}-{i % DEVICES}",
                    datetime.fromtimestamp((self.base_ms + i) / 1000, UTC),
                    "power_watts",
                    float(i),
                    "snmp",
                    Quality.MEASURED,
                )
                for i in range(self.count, self.count + SAMPLES_PER_WRITE)
            ]
            started = time.monotonic()
            self.sink.write(batch)
            self.slowest_write_seconds = max(self.slowest_write_seconds, time.monotonic() - started)
            self.count += SAMPLES_PER_WRITE
            time.sleep(WRITE_EVERY_SECONDS)


def test_every_sample_arrives_exactly_once_after_an_outage(
    victoria_metrics: servers._VictoriaMetrics, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:10]
    settings = TimeseriesSettings(
        url=victoria_metrics.url,
        batch_size=500,
        flush_interval_seconds=0.2,
        spool_dir=tmp_path,
        max_backoff_seconds=2.0,
    )
    sink = TimeseriesSink(settings)
    load = Load(sink, run)
    try:
        load.run_for(2)
        before = load.count
        victoria_metrics.stop()
        load.run_for(OUTAGE_SECONDS)
        during = sink.stats()
    finally:
        if victoria_metrics.proc is None:
            victoria_metrics.start()  # same port; the session fixture stays up for other tests
    load.run_for(2)
    assert sink.flush(60), sink.stats()
    sink.close()
    victoria_metrics.flush()

    assert during.errors_total > 0 and during.last_error
    assert during.spool.batches > 0
    assert during.spooled_total >= load.count - before - 2 * settings.batch_size - 10_000
    assert load.slowest_write_seconds < 2.0  # the store being down never stalls the caller
    after = sink.stats()
    assert after.dropped_total == 0 and after.spool.batches == 0 and after.pending == 0
    assert after.written_total == load.count
    assert not list(tmp_path.iterdir())

    series = export(victoria_metrics.url, f'{{device_id=~"outage-{run}-.*"}}')
    assert len(series) == DEVICES
    values = sorted(v for s in series for v in s["values"])
    assert len(values) == load.count  # no duplicate from a retried or replayed batch
    assert values == [float(i) for i in range(load.count)]
    for s in series:
        k = int(s["metric"]["device_id"].rsplit("-", 1)[1])
        assert all(int(v) % DEVICES == k for v in s["values"])
        assert s["timestamps"] == [load.base_ms + int(v) for v in s["values"]]
