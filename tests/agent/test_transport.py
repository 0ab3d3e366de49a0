"""Publisher against real brokers on loopback: Mosquitto (3.1.1 and 5) and amqtt (3.1.1).

The outage test stops the real Mosquitto for OUTAGE_SECONDS while readings keep coming, starts
it again, and checks that a subscriber gets every message once, in order.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.config import AgentMqtt
from agent.spool import Spool
from agent.transport import Publisher
from contract.wire import Quality, Reading, utcnow
from loopback.servers import Server, free_port
from tests.agent.mqtt_helpers import Subscriber, clear_retained

pytestmark = pytest.mark.integration

OUTAGE_SECONDS = 30


@pytest.fixture(autouse=True)
def _no_retained_left(request: pytest.FixtureRequest) -> Iterator[None]:
    """Other suites subscribe to veille/v1/#: leave them no retained status of ours."""
    yield
    if "mosquitto" in request.fixturenames:
        clear_retained(request.getfixturevalue("mosquitto").port)


def _reading(value: float) -> list[Reading]:
    return [
        Reading(
            ts=utcnow(),
            metric="power_watts",
            value=value,
            source="model",
            quality=Quality.ESTIMATED,
        )
    ]


def _publisher(port: int, spool: Spool, device: str, **mqtt: Any) -> Publisher:
    settings = AgentMqtt(
        host="127.0.0.1", port=port, reconnect_min_seconds=1, reconnect_max_seconds=2, **mqtt
    )
    return Publisher(settings, site="test", device_id=device, spool=spool)


def _device() -> str:
    return f"dev-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_order_status_and_graceful_offline(mosquitto: Server, protocol: str) -> None:
    device = _device()
    sub = Subscriber(mosquitto.port, f"veille/v1/test/{device}/#")
    spool = Spool(":memory:", max_messages=1000, max_age_seconds=3600)
    pub = _publisher(mosquitto.port, spool, device, protocol=protocol)
    pub.start()
    seqs = [pub.submit(_reading(i), kind="desktop") for i in range(50)]
    assert seqs == list(range(50))
    assert pub.drain(10)
    assert pub.connected and pub.sent_total == 50
    assert sub.wait_for(50) == seqs
    assert sub.telemetry[7].readings[0].value == 7 and sub.telemetry[7].kind == "desktop"
    assert pub.bytes_sent_total > sum(len(t.to_json()) for t in sub.telemetry) * 0.9
    pub.stop(graceful=True)
    late = Subscriber(mosquitto.port, f"veille/v1/test/{device}/status", persistent=False)
    deadline = time.monotonic() + 5
    while not late.retained_status and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [s.online for s in late.retained_status] == [False]
    assert sub.status[0].online is True and sub.status[-1].online is False
    sub.close()
    late.close()


def test_last_will_when_the_agent_vanishes(mosquitto: Server) -> None:
    device = _device()
    sub = Subscriber(mosquitto.port, f"veille/v1/test/{device}/status", persistent=False)
    pub = _publisher(mosquitto.port, Spool(":memory:", max_messages=10, max_age_seconds=60), device)
    pub.start()
    deadline = time.monotonic() + 5
    while not pub.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    pub.stop(graceful=False)
    deadline = time.monotonic() + 5
    while len(sub.status) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [s.online for s in sub.status] == [True, False]
    sub.close()


def test_backlog_of_a_previous_run_is_sent_in_order(mosquitto: Server, tmp_path: Path) -> None:
    device = _device()
    path = tmp_path / "spool.sqlite"
    dead_port = free_port()  # nothing listens: the first run never connects
    first = _publisher(dead_port, Spool(path, max_messages=100, max_age_seconds=3600), device)
    first.start()
    for i in range(10):
        first.submit(_reading(i))
    assert not first.drain(0.5) and not first.connected
    first.stop(graceful=False)
    first.spool.close()

    sub = Subscriber(mosquitto.port, f"veille/v1/test/{device}/telemetry")
    second = _publisher(mosquitto.port, Spool(path, max_messages=100, max_age_seconds=3600), device)
    second.start()
    assert second.submit(_reading(10)) == 10  # seq continues after the restart
    assert second.drain(10)
    assert sub.wait_for(11) == list(range(11))
    second.stop()
    sub.close()


def test_embedded_amqtt_broker() -> None:
    from collector.broker import EmbeddedBroker

    broker = EmbeddedBroker()
    broker.start()
    try:
        device = _device()
        sub = Subscriber(broker.port, f"veille/v1/test/{device}/telemetry", persistent=False)
        pub = _publisher(
            broker.port, Spool(":memory:", max_messages=100, max_age_seconds=3600), device
        )
        pub.start()
        for i in range(20):
            pub.submit(_reading(i))
        assert pub.drain(10)
        assert sub.wait_for(20) == list(range(20))
        pub.stop()
        sub.close()
    finally:
        broker.stop()


def test_outage_every_reading_arrives_once_in_order(mosquitto: Server, tmp_path: Path) -> None:
    device = _device()
    sub = Subscriber(mosquitto.port, f"veille/v1/test/{device}/telemetry")
    spool = Spool(tmp_path / "spool.sqlite", max_messages=10_000, max_age_seconds=3600)
    pub = _publisher(mosquitto.port, spool, device)
    pub.start()
    for i in range(3):
        pub.submit(_reading(i))
    assert pub.drain(10)
    assert sub.wait_for(3) == [0, 1, 2]
    time.sleep(0.3)  # the subscriber's PUBACKs reach the broker before it stops

    mosquitto.stop()
    during: list[int] = []
    end = time.monotonic() + OUTAGE_SECONDS
    while time.monotonic() < end:
        during.append(pub.submit(_reading(len(during) + 3)))
        time.sleep(0.5)
    assert not pub.connected
    assert len(spool) == len(during)  # all of it waits in the spool
    mosquitto.start()

    assert pub.drain(10), f"{len(spool)} messages still spooled"
    total = 3 + len(during)
    got = sub.wait_for(total, timeout=10)
    assert got == list(range(total)), got
    assert [t.readings[0].value for t in sub.telemetry] == [float(i) for i in range(total)]
    assert spool.dropped_total == {"overflow": 0, "expired": 0, "rejected": 0}
    pub.stop()
    sub.close()


class CountingSpool(Spool):
    """The real spool, counting how often the sender reads it."""

    peeks = 0

    def peek(self, after: int | None, limit: int) -> list[tuple[int, bytes]]:
        self.peeks += 1
        return super().peek(after, limit)


def test_an_idle_agent_leaves_its_spool_alone(mosquitto: Server) -> None:
    """Nothing to send: the sender sleeps until something happens (each read of the spool is a
    write transaction; once a second was most of the agent's CPU), and still sends at once."""
    device = _device()
    sub = Subscriber(mosquitto.port, f"veille/v1/test/{device}/telemetry")
    spool = CountingSpool(":memory:", max_messages=100, max_age_seconds=3600)
    pub = _publisher(mosquitto.port, spool, device)
    pub.start()
    try:
        pub.submit(_reading(1))
        assert pub.drain(10)
        settled = spool.peeks
        time.sleep(3)
        assert spool.peeks == settled  # idle and connected: no read at all
        started = time.monotonic()
        pub.submit(_reading(2))
        assert sub.wait_for(2) == [0, 1]
        assert time.monotonic() - started < 2  # woken by the submit, not by a timer
    finally:
        pub.stop()


def test_the_network_thread_sleeps_until_a_ping_is_due(mosquitto: Server) -> None:
    """Connected and quiet, paho's thread is not run at all until the keep-alive ping is
    due (it woke every 10 s, or a quarter of the keep-alive, before), then pings on time."""
    spool = Spool(":memory:", max_messages=100, max_age_seconds=3600)
    pub = _publisher(mosquitto.port, spool, _device(), keepalive=12)
    pub.start()
    try:
        pub.submit(_reading(1))
        assert pub.drain(10)
        thread = pub._client._thread
        assert thread is not None and thread.native_id is not None
        time.sleep(0.5)
        with open(f"/proc/self/task/{thread.native_id}/schedstat") as fh:
            before = int(fh.read().split()[2])
        time.sleep(6)  # the old loop woke every 3 s here
        with open(f"/proc/self/task/{thread.native_id}/schedstat") as fh:
            assert int(fh.read().split()[2]) == before
        time.sleep(14)  # past the keep-alive: a ping, answered, and the connection kept
        assert pub.connected and pub.connections_total == 1
    finally:
        pub.stop()


def test_a_short_keepalive_keeps_the_connection_while_idle(mosquitto: Server) -> None:
    """paho's network thread wakes rarely when quiet, but often enough for the pings: with the
    shortest keep-alive (5 s; Mosquitto cuts a client silent for 7.5 s) an idle agent stays
    connected."""
    spool = Spool(":memory:", max_messages=100, max_age_seconds=3600)
    pub = _publisher(mosquitto.port, spool, _device(), keepalive=5)
    pub.start()
    try:
        pub.submit(_reading(1))
        assert pub.drain(10)
        time.sleep(20)  # a 15 s wake-up, regardless of the keep-alive, reconnects here
        assert pub.connected and pub.connections_total == 1
    finally:
        pub.stop()


def test_an_acknowledgement_is_taken_before_paho_marks_it_published() -> None:
    """paho calls on_publish before it marks the message published: the sender woken by it
    takes the acknowledgement then, instead of polling every 50 ms until paho catches up."""
    from paho.mqtt.client import MQTTMessageInfo
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.reasoncodes import ReasonCode

    spool = Spool(":memory:", max_messages=100, max_age_seconds=3600)
    pub = _publisher(free_port(), spool, _device())
    seq = pub.submit(_reading(1))
    info = MQTTMessageInfo(7)
    pub._inflight = [(seq, info)]
    pub._reap()
    assert len(spool) == 1  # no acknowledgement yet: still in flight
    pub._on_publish(pub._client, None, 7, ReasonCode(PacketTypes.PUBACK, identifier=0), None)
    assert not info.is_published()  # paho has not marked it yet
    pub._reap()
    assert len(spool) == 0 and pub.sent_total == 1 and pub._inflight == []
