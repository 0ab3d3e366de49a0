"""MQTT delivery: each event published, QoS 1, to ``<prefix>/<kind>`` (``veille/v1/alerts/
violation_opened``, ...); a digest to ``<prefix>/digest/<scope>/<name>``. Payloads are the JSON
of :mod:`collector.alerts.payload`.

Uses the collector's broker settings (``[mqtt]``: host, port, credentials, TLS) with a client id
of its own (``<client_id>-alerts``). Connects on first use; paho reconnects after that. A publish
not acknowledged within the timeout is a :class:`DeliveryError` (the dispatcher retries).
"""

from __future__ import annotations

import json
import threading
from typing import Any

import paho.mqtt.client as mqtt

from collector.alerts.errors import DeliveryError
from collector.alerts.events import Batch
from collector.alerts.payload import batch_json, event_json
from collector.config import MqttSettings
from contract.mqtt import make_client


class MqttTopicChannel:
    """Publishes alert events to an MQTT broker."""

    name = "mqtt"
    stateful = False

    def __init__(
        self,
        settings: MqttSettings,
        *,
        prefix: str = "veille/v1/alerts",
        qos: int = 1,
        host: str | None = None,
        port: int | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        self.prefix = prefix.rstrip("/")
        self.qos = qos
        self.host = host or settings.host
        self.port = port or settings.port
        self.timeout = timeout_seconds
        self._connected = threading.Event()
        self._started = False
        self.client = make_client(
            f"{settings.client_id}-alerts",
            protocol="3.1.1",
            persistent=False,
            username=settings.username,
            password=settings.password,
            tls=settings.tls,
        )
        self.client.reconnect_delay_set(min_delay=1, max_delay=60)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect

    def _on_connect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not reason.is_failure:
            self._connected.set()

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, _reason: Any, _p: Any) -> None:
        self._connected.clear()

    def _ensure_connected(self) -> None:
        where = f"mqtt: broker {self.host}:{self.port}"
        if not self._started:
            try:
                self.client.connect(self.host, self.port, keepalive=30)
            except OSError as exc:
                raise DeliveryError(f"{where}: {exc.strerror or exc}") from None
            self.client.loop_start()
            self._started = True
        if not self._connected.wait(self.timeout):
            raise DeliveryError(f"{where}: not connected after {self.timeout:.0f} s")

    def messages(self, batch: Batch) -> list[tuple[str, bytes]]:
        """The (topic, payload) pairs of a batch."""
        if batch.digest is not None:
            d = batch.digest
            return [(f"{self.prefix}/digest/{d.scope}/{d.name}", _dump(batch_json(batch)))]
        return [(f"{self.prefix}/{e.kind}", _dump(event_json(e))) for e in batch.events]

    def send(self, batch: Batch) -> None:
        self._ensure_connected()
        infos = [self.client.publish(t, p, qos=self.qos) for t, p in self.messages(batch)]
        for info in infos:
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                raise DeliveryError(f"mqtt: publish refused: {mqtt.error_string(info.rc)}")
            try:
                info.wait_for_publish(self.timeout)
            except (RuntimeError, ValueError) as exc:
                raise DeliveryError(f"mqtt: publish failed: {exc}") from None
            if not info.is_published():
                raise DeliveryError(f"mqtt: broker did not acknowledge within {self.timeout} s")

    def close(self) -> None:
        if self._started:
            self.client.disconnect()
            self.client.loop_stop()
            self._started = False


def _dump(body: dict[str, object]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()
