"""Another client publishes under device B's id and topic first (seq 0-99); then B's own 100
messages arrive with the same seqs and other readings. Before, B's genuine messages were
dropped as duplicates without a word. Now each is a conflict: kept as a dead letter with its
reason, counted on /metrics, said in one line per batch; nothing is silently dropped.

The broker's per-device credentials and ACL are what stop the forger (MQTT does not tell a
subscriber who published); this is the collector's second wall. Real Mosquitto, 3.1.1.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.schema import topic
from loopback.servers import Server, mosquitto
from tests.faults.helpers import SITE, Publisher, in_process_collector, payload, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Server]:
    server = mosquitto(tmp_path / "mosquitto")
    yield server
    server.stop()


def test_genuine_messages_after_a_forger_are_conflicts_not_silent_duplicates(
    tmp_path: Path, broker: Server, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    name = topic(SITE, "pc-b", "telemetry")
    forged = [(name, payload("pc-b", seq, readings=2)) for seq in range(100)]
    genuine = [(name, payload("pc-b", seq, readings=3)) for seq in range(100)]
    caplog.set_level(logging.WARNING, logger="collector.ingest.pipeline")
    app = in_process_collector(broker.port, url, "fault-spoof", tmp_path)
    try:
        assert Publisher(broker.port, forged, "forger").start().join(30) == 100
        wait_for(lambda: app.ledger.count("messages") == 100, 30, "the forged ones stored")
        assert Publisher(broker.port, genuine, "pc-b").start().join(30) == 100
        wait_for(lambda: len(app.ledger.dead_letters(500)) == 100, 30, "conflicts kept")
        assert app.ingestor is not None and app.ingestor.wait_idle(10)
        dead = app.ledger.dead_letters(500)
        counted = app.metrics.messages.labels("conflict")._value.get()
        duplicates = app.metrics.messages.labels("duplicate")._value.get()
    finally:
        app.stop()
    assert sorted(d.payload for d in dead) == sorted(p for _n, p in genuine)  # all kept, intact
    assert all(d.reason.startswith("conflict: device pc-b epoch (none) seq ") for d in dead)
    assert counted == 100 and duplicates == 0
    said = [r for r in caplog.records if "other content" in r.getMessage()]
    assert sum(int(r.getMessage().split()[0]) for r in said) == 100  # one line per batch
