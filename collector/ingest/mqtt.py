"""Subscribe to agents' telemetry and status over MQTT and hand each message to the Ingestor.

A persistent session at QoS 1 (fixed client id, clean session off), so the broker keeps
messages while the collector restarts. With ``mqtt.shared_group`` set (MQTT v5 only), several
collectors share the load through ``$share/<group>/...``. Works with Mosquitto, EMQX, VerneMQ
and the embedded amqtt broker (3.1.1). Reconnects with backoff on its own.

Acknowledgement is manual: a QoS 1 message gets its PUBACK only once the Ingestor has committed
it to the ledger. So the broker's in-flight window bounds what the collector holds: with MQTT v5
the collector asks for ``mqtt.receive_maximum`` (CONNECT Receive Maximum); with 3.1.1 it is the
broker's own limit (Mosquitto's ``max_inflight_messages``, 20 by default). An acknowledgement
is only ever sent on the connection its message came on: after a reconnection the broker sends
unacknowledged messages again, and the ledger drops the copies as duplicates.
"""

from __future__ import annotations

import logging
import threading
from functools import partial
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from collector.config import MqttSettings
from collector.ingest import broker_drops
from collector.ingest.pipeline import Ingestor
from contract.mqtt import make_client
from contract.schema import TOPIC_ROOT

log = logging.getLogger(__name__)

SESSION_EXPIRY_SECONDS = 7 * 24 * 3600


class MqttConnectError(RuntimeError):
    """The broker could not be reached or refused the collector."""


def subscriptions(settings: MqttSettings) -> list[str]:
    """The topic filters, shared when a group is configured."""
    filters = [f"{TOPIC_ROOT}/+/+/telemetry", f"{TOPIC_ROOT}/+/+/status"]
    if settings.shared_group:
        return [f"$share/{settings.shared_group}/{f}" for f in filters]
    return filters


class MqttIngest:
    """The collector's MQTT client."""

    def __init__(
        self,
        settings: MqttSettings,
        ingestor: Ingestor,
        *,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        self.settings = settings
        self.ingestor = ingestor
        self.host = host or settings.host
        self.port = port or settings.port
        v5 = settings.protocol == "5"
        self._v5 = v5
        self.client = make_client(
            settings.client_id,
            protocol=settings.protocol,
            persistent=True,
            username=settings.username,
            password=settings.password,
            tls=settings.tls,
        )
        self.client.manual_ack_set(True)  # PUBACK once stored, see the module docstring
        self._generation = 0  # one per connection: acks never cross to another one
        self._ack_lock = threading.Lock()
        self._accepting = True
        self.drops = broker_drops.BrokerDrops(ingestor.metrics)
        self._drops_mid: int | None = None
        self.client.reconnect_delay_set(min_delay=1, max_delay=60)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.connected = threading.Event()

    def start(self, timeout: float = 10.0) -> None:
        """Connect and subscribe; raise MqttConnectError if the broker is not there."""
        props = None
        if self._v5:
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
            props.ReceiveMaximum = self.settings.receive_maximum
        try:
            if self._v5:
                self.client.connect(
                    self.host, self.port, keepalive=30, clean_start=False, properties=props
                )
            else:
                self.client.connect(self.host, self.port, keepalive=30)
        except OSError as exc:
            raise MqttConnectError(f"MQTT broker {self.host}:{self.port}: {exc}") from exc
        self.client.loop_start()
        if not self.connected.wait(timeout):
            self.client.loop_stop()
            raise MqttConnectError(
                f"MQTT broker {self.host}:{self.port} did not accept the "
                f"collector within {timeout:.0f} s"
            )

    def quiesce(self) -> None:
        """Take no new message (the broker keeps them, unacknowledged, for the next session);
        those already handed on are still acknowledged once stored."""
        self._accepting = False

    def stop(self) -> None:
        """Disconnect; acknowledgements queued before are sent first."""
        self._accepting = False
        self.client.disconnect()
        self.client.loop_stop()

    def _next_connection(self) -> None:
        with self._ack_lock:
            self._generation += 1

    def _ack(self, generation: int, mid: int, qos: int) -> None:
        """Acknowledge one stored message, if its connection is still the current one."""
        with self._ack_lock:
            if generation == self._generation:
                self.client.ack(mid, qos)

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self._next_connection()
        if reason.is_failure:
            log.error("MQTT broker refused the collector: %s", reason)
            return
        topics: list[tuple[str, int]] = [
            (f, self.settings.qos) for f in subscriptions(self.settings)
        ]
        client.subscribe(topics)
        log.info("subscribing to %s", ", ".join(subscriptions(self.settings)))
        if self.settings.broker_drops:  # apart: a broker that refuses it refuses only that
            self._drops_mid = client.subscribe(broker_drops.TOPIC, qos=0)[1]

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, mid: int, codes: Any, _p: Any) -> None:
        failed = [c for c in codes if getattr(c, "is_failure", False)]
        if mid == self._drops_mid:
            if failed:
                log.info(
                    "the broker refused %s: its drop count is not exported", broker_drops.TOPIC
                )
            return
        if failed:
            log.error("the broker refused a subscription: %s", failed)
            return
        self.connected.set()  # only now is nothing published from here on missed

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected.clear()
        self._next_connection()
        if reason.is_failure:
            log.warning("MQTT connection lost (%s); reconnecting with backoff", reason)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        topic = msg.topic  # decoded from bytes on each access
        if topic == broker_drops.TOPIC:
            self.drops.handle(bytes(msg.payload))
            return
        if not self._accepting:
            return  # not acknowledged: the broker sends it again on the next connection
        ack = partial(self._ack, self._generation, msg.mid, msg.qos) if msg.qos else None
        self.ingestor.submit(topic, bytes(msg.payload), ack=ack)
