"""The shipped broker config (deploy/mosquitto) lets devices in only where they belong.

Mosquitto runs the shipped mosquitto.conf and acl (only directories and ports changed, see
tests/deploy/broker.py), with accounts made by the shipped issue-credentials script, over TLS on
127.0.0.1. MQTT 3.1.1 has no PUBACK reason: a denied QoS 1 publish is acknowledged and
dropped, so the proof is that the collector never receives it, while the device's next message
on its own topic (sent after it, on the same connection) does arrive. MQTT v5 says "Not
authorized" (135) in the PUBACK.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.deploy.broker import Broker, Client, shipped_broker

pytestmark = pytest.mark.integration

NOT_AUTHORIZED = 135  # MQTT v5 reason code; paho maps 3.1.1 CONNACK 5 onto it as well
TELEMETRY = "veille/v1/mairie/{}/telemetry"
STATUS = "veille/v1/mairie/{}/status"


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    with shipped_broker() as b:
        for account in ("veille-collector", "dev-a", "dev-b", "dev-gone"):
            done = b.issue("password", account)
            assert done.returncode == 0, done.stderr
        for device in ("dev-cert", "dev-cert-gone"):
            done = b.issue("cert", device)
            assert done.returncode == 0, done.stderr
        b.reload()
        yield b


@pytest.fixture()
def collector(broker: Broker) -> Iterator[Client]:
    c = Client(
        broker,
        "veille-collector",
        user="veille-collector",
        password=broker.password_of("veille-collector"),
    )
    assert c.connect() == 0
    assert [rc.value for rc in c.subscribe("veille/v1/+/+/telemetry")] == [1]
    yield c
    c.close()


def device(broker: Broker, name: str, v5: bool = False) -> Client:
    c = Client(broker, name, user=name, password=broker.password_of(name), v5=v5)
    assert c.connect() == 0, f"{name} refused"
    return c


def test_only_the_two_directories_and_the_ports_differ(broker: Broker) -> None:
    from tests.deploy.broker import DEPLOY

    shipped = (DEPLOY / "mosquitto.conf").read_text().splitlines()
    running = (broker.root / "mosquitto.conf").read_text().splitlines()
    changed = [
        (a, b) for a, b in zip(shipped, running, strict=True) if a != b and not a.startswith("#")
    ]
    keys = sorted(a.split()[0] for a, _ in changed)
    assert keys == sorted(
        ["listener", "listener", "password_file", "acl_file", "persistence_location"]
        + ["certfile", "keyfile"] * 2
        + ["cafile", "crlfile"]
    )
    for _, after in changed:
        assert str(broker.root) in after or after.endswith(" 127.0.0.1"), after


def test_a_device_publishes_its_own_topic_and_the_collector_receives_it(
    broker: Broker, collector: Client
) -> None:
    dev = device(broker, "dev-a")
    mid = dev.publish(TELEMETRY.format("dev-a"), b'{"schema": 1}')
    assert dev.puback(mid) == 0
    collector.wait_for(TELEMETRY.format("dev-a"))
    assert (TELEMETRY.format("dev-a"), b'{"schema": 1}') in collector.outcome.messages
    dev.close()


def test_a_device_cannot_publish_as_another_mqtt311(broker: Broker, collector: Client) -> None:
    dev = device(broker, "dev-a")
    dev.puback(dev.publish(TELEMETRY.format("dev-b"), b"spoofed"))
    dev.puback(dev.publish(STATUS.format("dev-b"), b"offline"))
    dev.puback(dev.publish(TELEMETRY.format("dev-a"), b"after"))
    collector.wait_for(TELEMETRY.format("dev-a"))  # sent after the spoof, on the same connection
    assert TELEMETRY.format("dev-b") not in collector.outcome.topics()
    assert b"spoofed" not in [p for _, p in collector.outcome.messages]
    dev.close()


def test_a_device_is_told_not_authorized_in_mqtt5(broker: Broker, collector: Client) -> None:
    dev = device(broker, "dev-a", v5=True)
    assert dev.puback(dev.publish(TELEMETRY.format("dev-b"), b"spoofed")) == NOT_AUTHORIZED
    assert dev.puback(dev.publish("veille/v1/alerts/device_silent", b"x")) == NOT_AUTHORIZED
    assert dev.puback(dev.publish(TELEMETRY.format("dev-a"), b"own")) == 0
    collector.wait_for(TELEMETRY.format("dev-a"))
    assert TELEMETRY.format("dev-b") not in collector.outcome.topics()
    dev.close()


def test_a_device_reads_nothing(broker: Broker, collector: Client) -> None:
    # Mosquitto grants the subscription, then checks read access on every message it would
    # deliver: the eavesdropper gets nothing, retained status included.
    spy = device(broker, "dev-b", v5=True)
    spy.subscribe("veille/v1/#")
    spy.subscribe("$SYS/#")
    dev = device(broker, "dev-a")
    dev.puback(dev.paho.publish(STATUS.format("dev-a"), b"online", qos=1, retain=True).mid)
    dev.puback(dev.publish(TELEMETRY.format("dev-a"), b"secret"))
    collector.wait_for(TELEMETRY.format("dev-a"))
    late = device(broker, "dev-b")
    late.subscribe(STATUS.format("+"))
    dev.puback(dev.publish(TELEMETRY.format("dev-a"), b"again"))
    collector.wait_for(TELEMETRY.format("dev-a"))
    time.sleep(0.5)  # the spy would have had them by now: delivered in the same broker loop
    assert spy.outcome.messages == []
    assert late.outcome.messages == []
    for c in (spy, dev, late):
        c.close()


@pytest.mark.parametrize("v5", [False, True])
def test_anonymous_and_wrong_password_are_refused(broker: Broker, v5: bool) -> None:
    anonymous = Client(broker, f"anon-{v5}", v5=v5)
    rc = anonymous.connect()
    anonymous.close()
    assert rc is not None and rc.value in (NOT_AUTHORIZED, 5), rc
    guess = Client(broker, f"guess-{v5}", user="dev-a", password="guess", v5=v5)
    rc = guess.connect()
    guess.close()
    assert rc is not None and rc.value in (NOT_AUTHORIZED, 134, 4), rc


def test_a_certificate_device_publishes_its_own_topic_only(
    broker: Broker, collector: Client
) -> None:
    dev = Client(broker, "dev-cert", cert="dev-cert", v5=True)
    assert dev.connect() == 0
    assert dev.puback(dev.publish(TELEMETRY.format("dev-a"), b"spoofed")) == NOT_AUTHORIZED
    assert dev.puback(dev.publish(TELEMETRY.format("dev-cert"), b"own")) == 0
    collector.wait_for(TELEMETRY.format("dev-cert"))
    dev.close()


def test_no_client_certificate_no_entry_on_the_certificate_port(broker: Broker) -> None:
    stranger = Client(broker, "dev-a", user="dev-a", password=broker.password_of("dev-a"))
    stranger.port = broker.cert_port
    rc = stranger.connect()
    stranger.close()
    assert rc is None or rc != 0


def test_a_revoked_password_is_refused(broker: Broker, collector: Client) -> None:
    password = broker.password_of("dev-gone")
    dev = device(broker, "dev-gone")
    done = broker.issue("revoke", "dev-gone")
    assert done.returncode == 0, done.stderr
    broker.reload()
    # Mosquitto checks connected clients again at a reload: the revoked one is cut off
    deadline = time.monotonic() + 5
    while dev.paho.is_connected() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not dev.paho.is_connected()
    dev.close()
    again = Client(broker, "dev-gone", user="dev-gone", password=password)
    rc = again.connect()
    again.close()
    assert rc is not None and rc.value in (NOT_AUTHORIZED, 134, 4), rc


def test_a_revoked_certificate_is_refused(broker: Broker) -> None:
    dev = Client(broker, "dev-cert-gone", cert="dev-cert-gone")
    assert dev.connect() == 0
    dev.close()
    done = broker.issue("revoke", "dev-cert-gone")
    assert done.returncode == 0, done.stderr
    assert "revoked" in done.stderr
    broker.reload()
    again = Client(broker, "dev-cert-gone", cert="dev-cert-gone")
    rc = again.connect()
    again.close()
    assert rc is None or rc != 0
    assert "certificate verify failed" in broker.server.log()
    # the others still get in
    other = Client(broker, "dev-cert", cert="dev-cert")
    assert other.connect() == 0
    other.close()


def test_bad_device_ids_are_refused_by_the_script(broker: Broker) -> None:
    for bad in ("a/b", "dev+", "#", "", "x" * 65):
        done = broker.issue("password", bad)
        assert done.returncode == 2
        assert "not a valid device id" in done.stderr or "usage" in done.stderr.lower() or bad == ""
    assert broker.issue("revoke", "never-issued").returncode == 2


def test_the_queue_holds_an_hour_of_the_documented_fleet() -> None:
    from tests.deploy.broker import DEPLOY

    conf = dict(
        line.split(None, 1)
        for line in (DEPLOY / "mosquitto.conf").read_text().splitlines()
        if line and not line.startswith("#") and " " in line
    )
    fleet, interval_seconds = 50_000, 60  # README "Scaling out"; agent interval_seconds default
    assert int(conf["max_queued_messages"]) >= fleet * 3600 // interval_seconds
    # bytes: what many messages of the largest measured size (856 bytes) need
    assert int(conf["max_queued_bytes"]) >= int(conf["max_queued_messages"]) * 856
    assert conf["persistence"] == "true" and conf["allow_anonymous"] == "false"
