"""Mosquitto SIGKILLed and restarted with persistence: the messages it had saved for the
offline collector's session are delivered after the restart, each stored once.

Mosquitto writes its persistent store every ``autosave_interval`` (1 s here) and on a clean
stop, not per message: what it acknowledged after its last save dies with it. That is the
broker's limit (the README says how to size it); this test checks the collector's side: a
persistent session survives the crash and nothing it is given is lost or stored twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopback.servers import Server, mosquitto
from tests.faults.helpers import (
    Publisher,
    assert_all_stored_once,
    in_process_collector,
    keys_of,
    telemetry_messages,
    wait_for,
)

pytestmark = pytest.mark.integration

READINGS = 10


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Server]:
    server = mosquitto(tmp_path / "mosquitto", autosave_seconds=1)
    yield server
    server.stop()


def test_mosquitto_sigkilled_with_a_session_backlog(tmp_path: Path, broker: Server) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    first = telemetry_messages(devices=10, per_device=50, readings=READINGS)
    backlog = [(tp, p) for tp, p in telemetry_messages(10, 150, READINGS)[len(first) :]]
    app = in_process_collector(broker.port, url, "fault-broker", tmp_path)
    try:
        assert Publisher(broker.port, first, "fault-broker-pub1").start().join(60) == len(first)
        wait_for(lambda: app.ledger.count("messages") == len(first), 30, "first part stored")
    finally:
        app.stop()  # offline now; its session (and subscription) stays with the broker
    assert Publisher(broker.port, backlog, "fault-broker-pub2").start().join(60) == len(backlog)
    store = broker.workdir / "mosquitto.db"
    acked_at = time.time()
    wait_for(lambda: store.exists() and store.stat().st_mtime > acked_at + 0.1, 10, "saved")
    assert broker.proc is not None
    broker.proc.kill()  # SIGKILL: no clean shutdown, no last save
    broker.proc.wait(10)
    broker.start()
    app = in_process_collector(broker.port, url, "fault-broker", tmp_path)
    try:
        want = len(first) + len(backlog)
        wait_for(lambda: app.ledger.count("messages") >= want, 60, "the backlog delivered")
        assert app.ingestor is not None and app.ingestor.wait_idle(30)
    finally:
        app.stop()
    assert_all_stored_once(url, keys_of(first + backlog), READINGS)
