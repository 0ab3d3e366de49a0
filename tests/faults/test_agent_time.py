"""Agents and time: one offline for three simulated days that then sends its backlog through
its real spool, and agents whose clock is an hour off either way.

The backlog: a real agent ``Publisher`` whose broker is unreachable spools 864 messages (one
per 5 min over the last three days, a reading a minute), then reaches the broker and sends
them all; every one is stored once, and the device's last_seen is its newest reading.

Clocks (as documented in the README): an agent an hour *ahead* has every message refused as
``clock`` (sent_at in the future beyond ``mqtt.max_clock_skew_seconds``): each kept as a dead
letter with its reason, counted, acknowledged (so never resent for ever). An agent an hour
*behind* is stored (to the collector it looks like a backlog) and flagged with its clock skew,
about -3600 s, on the device (``veille-collector devices``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.config import AgentMqtt
from agent.spool import Spool
from agent.transport import Publisher as AgentPublisher
from contract.wire import Quality, Reading, topic
from loopback.servers import Server, free_port, mosquitto
from tests.faults.helpers import (
    SITE,
    Publisher,
    assert_all_stored_once,
    in_process_collector,
    payload,
    wait_for,
)

pytestmark = pytest.mark.integration

STEP = timedelta(minutes=5)
PER_MESSAGE = 5


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Server]:
    server = mosquitto(tmp_path / "mosquitto")
    yield server
    server.stop()


def test_three_days_offline_then_the_backlog(tmp_path: Path, broker: Server) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    spool = Spool(tmp_path / "agent-spool.sqlite", max_messages=20_160, max_age_seconds=14 * 86400)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=3)
    # the broker is unreachable while the agent measures: a port where nothing listens
    away = AgentMqtt(host="127.0.0.1", port=free_port(), reconnect_min_seconds=1)
    agent = AgentPublisher(away, site=SITE, device_id="pc-away", spool=spool)
    messages = int(timedelta(days=3) / STEP)
    for i in range(messages):
        at = start + i * STEP
        agent.submit(
            [
                Reading(
                    ts=at + timedelta(minutes=k),
                    metric="power_watts",
                    value=30.0 + k,
                    source="model",
                    quality=Quality.ESTIMATED,
                )
                for k in range(PER_MESSAGE)
            ]
        )
    assert len(spool) == messages
    app = in_process_collector(broker.port, url, "fault-backlog", tmp_path)
    back = AgentMqtt(
        host="127.0.0.1", port=broker.port, reconnect_min_seconds=1, reconnect_max_seconds=2
    )
    agent = AgentPublisher(back, site=SITE, device_id="pc-away", spool=spool)
    try:
        agent.start()
        assert agent.drain(60)  # the broker acknowledged the whole backlog
        wait_for(lambda: app.ledger.count("messages") >= messages, 60, "the backlog stored")
        assert app.ingestor is not None and app.ingestor.wait_idle(30)
        samples = app.ledger.samples_for("pc-away", start - STEP, now + STEP)
        (device,) = app.ledger.devices()
    finally:
        agent.stop()
        app.stop()
        spool.close()
    assert_all_stored_once(url, {("pc-away", s) for s in range(messages)}, PER_MESSAGE)
    assert samples[0].ts == start
    assert samples[-1].ts == start + (messages - 1) * STEP + timedelta(minutes=PER_MESSAGE - 1)
    assert device.last_seen == samples[-1].ts
    assert device.epoch == spool.epoch  # the spool's epoch travelled with every message


def test_agent_clock_an_hour_off(tmp_path: Path, broker: Server) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    now = datetime.now(UTC)
    ahead = [
        (topic(SITE, "pc-ahead", "telemetry"), _shifted("pc-ahead", seq, timedelta(hours=1)))
        for seq in range(20)
    ]
    behind = [
        (topic(SITE, "pc-behind", "telemetry"), _shifted("pc-behind", seq, -timedelta(hours=1)))
        for seq in range(20)
    ]
    app = in_process_collector(broker.port, url, "fault-clock", tmp_path)
    try:
        assert Publisher(broker.port, ahead + behind, "fault-clock-pub").start().join(30) == 40
        wait_for(
            lambda: app.ledger.count("messages") == 20 and len(app.ledger.dead_letters()) == 20,
            30,
            "all handled",
        )
        assert app.ingestor is not None and app.ingestor.wait_idle(10)  # counted too
        dead = app.ledger.dead_letters()
        devices = {d.device_id: d for d in app.ledger.devices()}
        rejects = app.metrics.rejects.labels("clock")._value.get()
    finally:
        app.stop()
    assert sorted(d.payload for d in dead) == sorted(p for _t, p in ahead)  # kept, intact
    assert all("in the future" in d.reason and "clock" in d.reason for d in dead)
    assert rejects == 20
    assert "pc-ahead" not in devices
    skew = devices["pc-behind"].clock_skew_seconds
    assert skew is not None and -3700 < skew < -3500, skew  # flagged: an hour behind
    assert_all_stored_once(url, {("pc-behind", s) for s in range(20)}, 3, dead_letters=20)
    last_seen = devices["pc-behind"].last_seen
    assert last_seen is not None and now - timedelta(hours=1, minutes=5) < last_seen


def _shifted(device: str, seq: int, offset: timedelta) -> bytes:
    """A message from an agent whose clock is ``offset`` off: sent_at and readings alike."""
    doc = json.loads(payload(device, seq, readings=3, at=datetime.now(UTC) + offset))
    doc["sent_at"] = (datetime.now(UTC) + offset).isoformat()
    return json.dumps(doc).encode()
