"""Graceful restarts lose nothing, and a graceful collector stop leaves nothing to resend.

The collector process gets SIGTERM in the middle of a stream, more is published while it is
down, and it starts again: at the stop it takes no new message, stores and acknowledges those
in hand, then disconnects, so its next run sees no duplicate. Mosquitto gets SIGTERM (it
saves its store) while real agents send through their spools: after its restart every
message is stored once.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.config import AgentMqtt
from agent.spool import Spool
from agent.transport import Publisher as AgentPublisher
from contract.wire import Quality, Reading
from loopback.servers import Server, mosquitto
from tests.faults.helpers import (
    SITE,
    CollectorProcess,
    Publisher,
    assert_all_stored_once,
    collector_toml,
    in_process_collector,
    keys_of,
    sqlite_count,
    telemetry_messages,
    wait_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Server]:
    server = mosquitto(tmp_path / "mosquitto")
    yield server
    server.stop()


def _metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"{name} not on /metrics")


def test_collector_sigterm_and_restart(tmp_path: Path, broker: Server) -> None:
    db = tmp_path / "ledger.sqlite"
    url = f"sqlite:///{db}"
    config = tmp_path / "collector.toml"
    metrics = collector_toml(config, port=broker.port, ledger_url=url, client_id="graceful")
    collector = CollectorProcess(config, tmp_path)
    sent = telemetry_messages(devices=20, per_device=150, readings=10)
    first, rest = sent[:1500], sent[1500:]
    collector.start()
    try:
        publisher = Publisher(broker.port, first, "graceful-pub1").start()
        wait_for(lambda: sqlite_count(db, "messages") >= 800, 60, "800 stored")
        collector.stop()  # SIGTERM, maybe while the first part is still arriving
        assert publisher.join(60) == len(first)
        # and the rest while it is down: its session keeps them
        assert Publisher(broker.port, rest, "graceful-pub2").start().join(60) == len(rest)
        assert sqlite_count(db, "messages") < len(sent)
        collector.start()
        wait_for(lambda: sqlite_count(db, "messages") >= len(sent), 60, "all stored")
        duplicate = 'veille_collector_messages_total{outcome="duplicate"}'
        assert _metric(metrics, duplicate) == 0  # the stop acknowledged all it had stored
    finally:
        collector.stop()
    assert_all_stored_once(url, keys_of(sent), 10)


def test_mosquitto_sigterm_and_restart_under_live_agents(tmp_path: Path, broker: Server) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    settings = AgentMqtt(
        host="127.0.0.1", port=broker.port, reconnect_min_seconds=1, reconnect_max_seconds=2
    )
    spools = [Spool(tmp_path / f"spool-{n}.sqlite", max_messages=10_000, max_age_seconds=3600)
              for n in range(5)]  # fmt: skip
    agents = [
        AgentPublisher(settings, site=SITE, device_id=f"pc-{n}", spool=s)
        for n, s in enumerate(spools)
    ]
    app = in_process_collector(broker.port, url, "graceful-broker", tmp_path)
    per_agent = 300
    try:
        for a in agents:
            a.start()
        for i in range(per_agent):
            for a in agents:
                a.submit([_reading(i)])
            if i == per_agent // 2:
                broker.stop()  # SIGTERM: Mosquitto saves its store
                broker.start()
        assert all(a.drain(60) for a in agents)
        want = len(agents) * per_agent
        wait_for(lambda: app.ledger.count("messages") >= want, 60, "all stored")
        assert app.ingestor is not None and app.ingestor.wait_idle(30)
    finally:
        for a in agents:
            a.stop()
        app.stop()
        for s in spools:
            s.close()
    expected = {(f"pc-{n}", seq) for n in range(len(agents)) for seq in range(per_agent)}
    assert_all_stored_once(url, expected, 1)


def _reading(i: int) -> Reading:
    return Reading(
        ts=datetime.now(UTC),
        metric="power_watts",
        value=float(i),
        source="model",
        quality=Quality.ESTIMATED,
    )
