"""A real paho subscriber for the transport tests (persistent session, QoS 1)."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contract.schema import Status, Telemetry


class Subscriber:
    """Collects telemetry and status messages; reconnects to a restarted broker by itself."""

    def __init__(self, port: int, topic_filter: str, *, persistent: bool = True) -> None:
        self.telemetry: list[Telemetry] = []
        self.status: list[Status] = []
        self.retained_status: list[Status] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._filter = topic_filter
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"test-sub-{uuid.uuid4().hex[:10]}",
            protocol=mqtt.MQTTv311,
            clean_session=not persistent,
        )
        self.client.reconnect_delay_set(1, 1)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise TimeoutError("subscriber did not subscribe")

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any
    ) -> None:
        client.subscribe(self._filter, qos=1)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            if msg.topic.endswith("/telemetry"):
                self.telemetry.append(Telemetry.model_validate_json(msg.payload))
            else:
                status = Status.model_validate_json(msg.payload)
                (self.retained_status if msg.retain else self.status).append(status)

    def seqs(self) -> list[int]:
        with self._lock:
            return [t.seq for t in self.telemetry]

    def wait_for(self, n: int, timeout: float = 10.0) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seqs = self.seqs()
            if len(seqs) >= n:
                return seqs
            time.sleep(0.05)
        return self.seqs()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def clear_retained(port: int, topic_filter: str = "veille/v1/test/#") -> list[str]:
    """Delete the retained messages under ``topic_filter`` (the broker is shared by tests)."""
    topics: list[str] = []
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"test-clean-{uuid.uuid4().hex[:8]}"
    )
    client.on_connect = lambda c, *a: c.subscribe(topic_filter, qos=1)
    client.on_message = lambda c, u, msg: topics.append(msg.topic) if msg.retain else None
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    time.sleep(0.5)
    for name in set(topics):
        client.publish(name, b"", qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()
    return topics
