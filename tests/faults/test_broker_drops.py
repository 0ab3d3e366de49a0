"""A collector offline longer than the broker's queue holds: the broker drops the excess, and
the collector says so (Mosquitto's $SYS drop count on /metrics and one WARNING), instead of
nothing anywhere. The rest is stored once."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.ingest.broker_drops import LOG_EVERY_SECONDS, BrokerDrops
from collector.metrics import CollectorMetrics
from loopback.servers import Server, mosquitto
from tests.faults.helpers import (
    Publisher,
    in_process_collector,
    ledger_counts,
    telemetry_messages,
    wait_for,
)

QUEUE = 10


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Server]:
    server = mosquitto(tmp_path / "mosquitto", max_queued=QUEUE, sys_interval=1)
    yield server
    server.stop()


@pytest.mark.integration
def test_messages_the_broker_dropped_are_counted_and_said(
    tmp_path: Path, broker: Server, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    in_process_collector(broker.port, url, "fault-drops", tmp_path).stop()  # a session, offline
    sent = telemetry_messages(devices=5, per_device=20, readings=2)
    assert Publisher(broker.port, sent, "fault-drops-pub").start().join(30) == len(sent)
    caplog.set_level(logging.WARNING, logger="collector.ingest.broker_drops")
    app = in_process_collector(broker.port, url, "fault-drops", tmp_path)
    try:
        wait_for(lambda: app.metrics.broker_dropped._value.get() > 0, 15, "drops reported")
        assert app.ingestor is not None and app.ingestor.wait_idle(10)
        dropped = int(app.metrics.broker_dropped._value.get())
        stored, _ = ledger_counts(url)
    finally:
        app.stop()
    assert 0 < stored <= 2 * QUEUE  # what the session's queue (and in-flight list) held
    assert dropped == len(sent) - stored  # every message is either stored or counted dropped
    said = [r.getMessage() for r in caplog.records if r.name == "collector.ingest.broker_drops"]
    assert len(said) == 1 and f"dropped {dropped} messages" in said[0]


def test_drop_counts_are_read_and_said_at_most_every_five_minutes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="collector.ingest.broker_drops")
    now = [1000.0]
    metrics = CollectorMetrics()
    drops = BrokerDrops(metrics, clock=lambda: now[0])
    assert metrics.broker_dropped._value.get() == -1  # not said yet
    drops.handle(b"0")
    drops.handle(b"not a number")
    assert metrics.broker_dropped._value.get() == 0
    for total, later in ((5, 1.0), (9, 10.0), (9, LOG_EVERY_SECONDS), (12, 1.0)):
        now[0] += later
        drops.handle(str(total).encode())
    assert metrics.broker_dropped._value.get() == 12
    assert drops.total == 12
    said = [r.getMessage() for r in caplog.records]
    # 5: said; 9 ten seconds later: not again yet; 9 again: no growth; 12 after 311 s: said
    assert len(said) == 2 and "dropped 5 " in said[0] and "dropped 12 " in said[1]
