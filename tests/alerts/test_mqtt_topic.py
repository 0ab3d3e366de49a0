"""MQTT delivery against a real Mosquitto on loopback: one message per event on
``veille/v1/alerts/<kind>``, QoS 1, JSON payload; a dead broker is a DeliveryError."""

from __future__ import annotations

import json
import queue
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collector.alerts.digest import build_digests
from collector.alerts.errors import DeliveryError
from collector.alerts.events import Batch
from collector.alerts.mqtt_topic import MqttTopicChannel
from collector.config import MqttSettings
from loopback.servers import Server, free_port
from tests.alerts.factory import opened, resolved

pytestmark = pytest.mark.integration


@pytest.fixture
def subscriber(mosquitto: Server) -> Iterator[queue.Queue[tuple[str, int, Any]]]:
    got: queue.Queue[tuple[str, int, Any]] = queue.Queue()
    ready = queue.Queue[int]()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="alerts-test-sub")
    client.on_message = lambda _c, _u, m: got.put((m.topic, m.qos, json.loads(m.payload)))
    client.on_subscribe = lambda *_a: ready.put(1)
    client.on_connect = lambda c, *_a: c.subscribe("test/alerts/#", qos=1)
    client.connect("127.0.0.1", mosquitto.port)
    client.loop_start()
    ready.get(timeout=10)
    yield got
    client.disconnect()
    client.loop_stop()


def test_each_event_on_its_kind_topic(
    mosquitto: Server, subscriber: queue.Queue[tuple[str, int, Any]]
) -> None:
    settings = MqttSettings(embedded=False, port=mosquitto.port, client_id="veille-test")
    channel = MqttTopicChannel(settings, prefix="test/alerts")
    try:
        channel.send(Batch((opened("PC-MQ-01", windows_in_row=5), resolved(opened("PC-MQ-02")))))
        first = subscriber.get(timeout=10)
        second = subscriber.get(timeout=10)
        now = datetime(2026, 12, 1, 7, tzinfo=UTC)
        [digest] = build_digests([opened("PC-MQ-03")], by="site", now=now, tz=ZoneInfo("UTC"))
        channel.send(Batch(digest.events, digest=digest))
        third = subscriber.get(timeout=10)
    finally:
        channel.close()
    assert first[0] == "test/alerts/violation_repeated"
    assert first[1] == 1
    assert first[2]["device_id"] == "PC-MQ-01" and first[2]["windows_in_row"] == 5
    assert second[0] == "test/alerts/violation_resolved"
    assert second[2]["state"] == "resolved"
    assert third[0] == "test/alerts/digest/site/hotel-de-ville"
    assert third[2]["digest"] == {
        "scope": "site",
        "name": "hotel-de-ville",
        "day": "2026-12-01",
        "count": 1,
    }
    assert [e["device_id"] for e in third[2]["events"]] == ["PC-MQ-03"]


def test_no_broker_is_a_delivery_error() -> None:
    settings = MqttSettings(embedded=False, port=free_port(), password="hunter2", username="u")
    channel = MqttTopicChannel(settings, timeout_seconds=1)
    with pytest.raises(DeliveryError, match=r"mqtt: broker 127\.0\.0\.1:\d+") as exc:
        channel.send(Batch((opened(),)))
    assert "hunter2" not in str(exc.value)
    channel.close()
