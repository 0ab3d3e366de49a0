"""MQTT in, ledger out: valid messages stored once, bad ones dead-lettered with their reason.

Runs against both the embedded amqtt broker (MQTT 3.1.1) and a real Mosquitto (3.1.1 and v5).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from collector.broker import EmbeddedBroker
from collector.config import MqttSettings
from collector.ingest.mqtt import MqttIngest
from collector.ingest.pipeline import Ingestor
from collector.ingest.validate import Limits, Rejected, validate
from collector.ledger import Ledger
from collector.metrics import CollectorMetrics
from contract.schema import Quality, Reading, Status, Telemetry, topic
from loopback.servers import Server

NOW = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)


def telemetry(device: str, seq: int, watts: float = 40.0, at: datetime = NOW) -> Telemetry:
    return Telemetry(
        device_id=device,
        seq=seq,
        sent_at=at,
        readings=[
            Reading(
                ts=at, metric="power_watts", value=watts, source="model", quality=Quality.ESTIMATED
            )
        ],
    )


@pytest.mark.parametrize(
    ("topic_name", "payload", "code", "words"),
    [
        ("veille/v1/s/pc-1/telemetry", b"{not json", "bad_json", "not JSON"),
        (
            "veille/v1/s/pc-1/telemetry",
            b'{"schema": 2, "device_id": "pc-1"}',
            "schema_version",
            "newer than this collector",
        ),
        (
            "veille/v1/s/pc-2/telemetry",
            telemetry("pc-1", 1).to_json(),
            "device_mismatch",
            "differs",
        ),
        (
            "veille/v1/s/pc-1/telemetry",
            telemetry("pc-1", 1, watts=-5).to_json(),
            "bounds",
            "negative",
        ),
        (
            "veille/v1/s/pc-1/telemetry",
            telemetry("pc-1", 1, at=NOW + timedelta(hours=2)).to_json(),
            "clock",
            "future",
        ),
        (
            "veille/v1/s/pc-1/telemetry",
            telemetry("pc-1", 1, at=NOW - timedelta(days=90)).to_json(),
            "timestamp",
            "outside",
        ),
        (
            "veille/v1/s/pc-1/telemetry",
            b'{"schema": 1, "device_id": "pc-1", "seq": -1}',
            "schema",
            "seq",
        ),
        ("veille/v1/s/pc-1/telemetry", b"x" * 2048, "too_large", "exceeds"),
        ("other/topic", b"{}", "topic", "is not"),
    ],
)
def test_validate_rejects_with_reason(topic_name, payload, code, words) -> None:
    with pytest.raises(Rejected) as info:
        validate(topic_name, payload, NOW, Limits(max_payload_bytes=1024))
    assert info.value.code == code
    assert words in info.value.reason


def test_validate_accepts_a_good_message() -> None:
    ok = validate("veille/v1/mairie/pc-1/telemetry", telemetry("pc-1", 3).to_json(), NOW, Limits())
    assert ok.site == "mairie"
    assert ok.message.readings[0].value == 40.0  # type: ignore[union-attr]


@pytest.fixture
def ledger(sqlite_ledger: Ledger) -> Ledger:
    return sqlite_ledger  # SQLite only (tests/conftest.py)


def _publish(
    port: int, messages: list[tuple[str, bytes]], *, protocol: MQTTProtocolVersion
) -> None:
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-pub", protocol=protocol)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    infos = [pub.publish(t, p, qos=1) for t, p in messages]
    for info in infos:
        info.wait_for_publish(10)
    pub.disconnect()
    pub.loop_stop()


def _run_pipeline(ledger: Ledger, port: int, protocol: str) -> CollectorMetrics:
    metrics = CollectorMetrics()
    now = datetime.now(UTC)
    ingestor = Ingestor(ledger, metrics)
    ingestor.start()
    settings = MqttSettings(
        embedded=False,
        port=port,
        protocol=protocol,  # type: ignore[arg-type]
        client_id=f"collector-{protocol}",
    )
    sub = MqttIngest(settings, ingestor)
    sub.start()
    try:
        good = [telemetry("pc-1", i, watts=40 + i, at=now) for i in range(5)]
        messages = [(topic("mairie", "pc-1", "telemetry"), m.to_json()) for m in good]
        messages.append((topic("mairie", "pc-1", "telemetry"), good[2].to_json()))  # duplicate
        messages.append((topic("mairie", "pc-1", "telemetry"), b'{"schema": 1, "device'))
        messages.append(
            (
                topic("mairie", "pc-1", "status"),
                Status(device_id="pc-1", online=True, ts=now).to_json(),
            )
        )
        _publish(port, messages, protocol=mqtt.MQTTv5 if protocol == "5" else mqtt.MQTTv311)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (
            ledger.count("messages") < 5 or not ledger.dead_letters()
        ):
            time.sleep(0.05)
        assert ingestor.wait_idle(10)
    finally:
        sub.stop()
        ingestor.stop()
    return metrics


def _check(ledger: Ledger, metrics: CollectorMetrics) -> None:
    assert ledger.count("messages") == 5
    assert ledger.count("samples") == 5
    assert metrics.messages.labels("duplicate")._value.get() == 1
    (dead,) = ledger.dead_letters()
    assert "not JSON" in dead.reason
    assert dead.payload == b'{"schema": 1, "device'
    (device,) = ledger.devices()
    assert device.online is True and device.site == "mairie" and device.last_seq == 4


def test_embedded_broker_pipeline(ledger: Ledger) -> None:
    with EmbeddedBroker() as broker:
        metrics = _run_pipeline(ledger, broker.port, "3.1.1")
    _check(ledger, metrics)


@pytest.mark.integration
@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_mosquitto_pipeline(ledger: Ledger, mosquitto: Server, protocol: str) -> None:
    metrics = _run_pipeline(ledger, mosquitto.port, protocol)
    _check(ledger, metrics)
    values = sorted(
        s.value
        for s in ledger.samples_for(
            "pc-1", NOW - timedelta(days=1), datetime.now(UTC) + timedelta(1)
        )
    )
    assert values == [40, 41, 42, 43, 44]


@pytest.mark.parametrize(
    "payload",
    [
        b'{"schema":1,"device_id":"pc-1","seq":1,"schema":true}',
        b'{"schema":true,"device_id":"pc-1","seq":1}',
        b'{"schema":1.0,"device_id":"pc-1","seq":1}',
    ],
)
def test_the_fast_path_never_accepts_a_bad_schema_version(payload: bytes) -> None:
    with pytest.raises(Rejected) as info:
        validate("veille/v1/s/pc-1/telemetry", payload, NOW, Limits())
    assert info.value.code == "schema_version"
