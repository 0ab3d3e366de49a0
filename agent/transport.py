"""MQTT out: telemetry from the spool to the broker, in ``seq`` order, QoS 1, TLS optional.

``submit`` stores a schema-v1 message in the spool; a sender thread publishes the oldest
unsent messages while connected (at most ``mqtt.max_inflight`` unacknowledged) and deletes
each one only when its PUBACK arrives. On every (re)connection paho's own queue is dropped
and the backlog is sent again from the oldest unacknowledged message, so order is kept and a
message may at worst arrive twice (the collector drops duplicates by (device, epoch, seq)).
A retained ``status`` says online on connect; the last will says offline if the agent
vanishes; a graceful stop says offline itself. paho reconnects with exponential backoff
(``reconnect_min_seconds`` doubling up to ``reconnect_max_seconds``). With a signing key
(``[signing]``), every message, the last will included, carries its HMAC
(:mod:`contract.signing`). Works with MQTT 3.1.1 (the default; the embedded amqtt broker)
and MQTT 5 (Mosquitto, EMQX). Byte counts are payload bytes.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode

from agent import __version__
from agent.settings import AgentMqtt
from agent.spool import Spool
from contract.mqttclient import make_client
from contract.signing import sign
from contract.wire import Reading, StateBlock, Status, Telemetry, topic, utcnow

log = logging.getLogger(__name__)

IDLE_WAKE_SECONDS = 600.0
"""The sender thread's wake-up when nothing is in flight: every event that gives it work (a
submit, a connection, a disconnection, an acknowledgement) wakes it at once; this is only a
safety net. Each wake reads the spool in a write transaction, so once a second cost the
agent most of its CPU (bench/README.md, "Agent footprint")."""

INFLIGHT_WAKE_SECONDS = 1.0
"""The sender's safety net while messages are in flight: each acknowledgement wakes it at once
(``_on_publish``), so it no longer polls every 50 ms for the broker's answer."""

NETWORK_LOOP_SECONDS = 10.0
"""paho's network thread's wake-up when the socket is quiet and the client not connected
(paho's default: 1 s). Connected, it sleeps until the next keep-alive ping is due
(:func:`_until_ping`): a publish from another thread wakes it at once (paho's socket pair),
and so does anything the broker sends."""


class Publisher:
    """Sends the spool's messages to the broker and keeps the device's status topic."""

    def __init__(
        self,
        mqtt: AgentMqtt,
        *,
        site: str,
        device_id: str,
        spool: Spool,
        client_id: str | None = None,
        signing_key: bytes | None = None,
    ) -> None:
        self.settings = mqtt
        self._signing_key = signing_key
        self.site = site
        self.device_id = device_id
        self.spool = spool
        self._telemetry_topic = topic(site, device_id, "telemetry")
        self._status_topic = topic(site, device_id, "status")
        self._client = make_client(
            client_id or f"va-{device_id}",
            protocol=mqtt.protocol,
            persistent=False,
            username=mqtt.username,
            password=mqtt.password,
            tls=mqtt.tls,
        )
        self._client.reconnect_delay_set(mqtt.reconnect_min_seconds, mqtt.reconnect_max_seconds)
        self._client.max_inflight_messages_set(mqtt.max_inflight)
        self._client.will_set(
            self._status_topic,
            self._signed(Status(device_id=device_id, online=False, agent_version=__version__)),
            qos=1,
            retain=True,
        )
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish

        self._send_lock = threading.Lock()  # order: taken before paho's own locks
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._progress = threading.Condition()
        self._connected = False
        self._generation = 0
        self._sender_generation = 0
        self._inflight: list[tuple[int, paho.MQTTMessageInfo]] = []
        self._last_sent: int | None = None
        self._rejected_mids: set[int] = set()
        self._acked_mids: set[int] = set()  # acknowledged, maybe not yet is_published()
        self._thread: threading.Thread | None = None
        self.sent_total = 0
        self.bytes_sent_total = 0
        self.connections_total = 0

    def _signed(self, message: Telemetry | Status) -> bytes:
        """The message's JSON, signed with the device's key if it has one (contract/signing)."""
        payload = message.to_json()
        return payload if self._signing_key is None else sign(self._signing_key, payload)

    @property
    def connected(self) -> bool:
        return self._connected

    def start(self) -> None:
        """Connect in the background (retrying with backoff) and start sending."""
        self._client.connect_async(
            self.settings.host, self.settings.port, keepalive=self.settings.keepalive
        )
        # paho's loop_start, sleeping until the next ping instead of its 1 s default
        client = self._client
        quiet = min(NETWORK_LOOP_SECONDS, self.settings.keepalive / 4)
        client._thread_main = lambda: _network_loop(client, quiet)  # type: ignore[method-assign]
        client.loop_start()
        self._thread = threading.Thread(target=self._run, name="veille-sender", daemon=True)
        self._thread.start()

    def submit(
        self, readings: list[Reading], state: StateBlock | None = None, kind: str | None = None
    ) -> int:
        """Store one message with the next ``seq``; it is sent when the broker is reachable."""

        def build(seq: int) -> bytes:
            return self._signed(
                Telemetry(
                    device_id=self.device_id,
                    seq=seq,
                    epoch=self.spool.epoch,
                    sent_at=utcnow(),
                    kind=kind,
                    readings=readings,
                    state=state,
                )
            )

        seq = self.spool.append(build)
        self._wake.set()
        return seq

    def drain(self, timeout: float) -> bool:
        """Wait until every stored message is acknowledged; False on timeout."""
        deadline = time.monotonic() + timeout
        self._wake.set()
        with self._progress:
            while len(self.spool) > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._progress.wait(min(left, 0.1))
        return True

    def stop(self, graceful: bool = True) -> None:
        """Stop sending. Graceful: say offline (retained) and disconnect cleanly."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if graceful and self._connected:
            offline = self._signed(
                Status(
                    device_id=self.device_id, online=False, ts=utcnow(), agent_version=__version__
                )
            )
            info = self._client.publish(self._status_topic, offline, qos=1, retain=True)
            self.bytes_sent_total += len(offline)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout=3)
            self._client.disconnect()
            self._client.loop_stop()
        else:
            self._client.loop_stop()
            sock = self._client.socket()
            if sock is not None:
                sock.close()  # no DISCONNECT: the broker publishes the last will
        self._connected = False

    # paho callbacks, on paho's thread

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            log.warning(
                "broker %s:%s refused the agent: %s", self.settings.host, self.settings.port, reason
            )
            return
        online = self._signed(
            Status(device_id=self.device_id, online=True, ts=utcnow(), agent_version=__version__)
        )
        with self._send_lock:
            client.drop_out_messages()  # the spool resends them, in order
            self._rejected_mids.clear()
            self._acked_mids.clear()
            self._generation += 1
            self._connected = True
            self.connections_total += 1
            client.publish(self._status_topic, online, qos=1, retain=True)
            self.bytes_sent_total += len(online)
        log.info("connected to %s:%s", self.settings.host, self.settings.port)
        self._wake.set()

    def _on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if self._connected:
            log.info("disconnected from broker: %s", reason)
        self._connected = False
        self._wake.set()

    def _on_publish(
        self, client: paho.Client, userdata: Any, mid: int, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:  # MQTT 5 only: the broker refused this message
            self._rejected_mids.add(mid)
        # paho calls this before it marks the message published: remember it, or the sender
        # woken now would find it still in flight and have to poll for it
        self._acked_mids.add(mid)
        self._wake.set()

    # the sender thread

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(timeout=INFLIGHT_WAKE_SECONDS if self._inflight else IDLE_WAKE_SECONDS)
            self._wake.clear()
            try:
                self._pump()
            except Exception:  # keep sending whatever one bad round did
                log.exception("sender round failed")
            with self._progress:
                self._progress.notify_all()

    def _reap(self) -> None:
        keep = []
        for seq, info in self._inflight:
            try:
                done = info.mid in self._acked_mids or info.is_published()
            except (RuntimeError, ValueError):
                done = False
            if not done:
                keep.append((seq, info))
                continue
            self.spool.ack(seq)
            self._acked_mids.discard(info.mid)
            if info.mid in self._rejected_mids:
                self._rejected_mids.discard(info.mid)
                self.spool.count_drop("rejected")
            else:
                self.sent_total += 1
        self._inflight = keep

    def _pump(self) -> None:
        with self._send_lock:
            self._reap()
            if self._sender_generation != self._generation:
                # New connection: paho's queue was dropped; resend from the oldest unacked.
                self._inflight.clear()
                self._last_sent = None
                self._sender_generation = self._generation
            if not self._connected:
                return
            room = self.settings.max_inflight - len(self._inflight)
            if room <= 0:
                return
            for seq, payload in self.spool.peek(self._last_sent, room):
                info = self._client.publish(self._telemetry_topic, payload, qos=1)
                if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                    break  # connection lost: resent after the next connect
                self._inflight.append((seq, info))
                self._last_sent = seq
                self.bytes_sent_total += len(payload)


def _until_ping(client: paho.Client, default: float) -> float:
    """Seconds until paho's keep-alive check has something to do, when connected.

    paho (``Client._check_keepalive``) sends a PINGREQ once ``keepalive`` seconds passed since
    the last packet out or the last bytes in, and drops the connection when a ping's answer is
    that late; before then a wake-up only finds nothing to do. ``default`` when not connected
    (or if this paho keeps its times elsewhere).
    """
    keepalive = float(getattr(client, "_keepalive", 0) or 0)
    mutex = getattr(client, "_msgtime_mutex", None)
    if keepalive <= 0 or mutex is None or not client.is_connected():
        return default
    with mutex:
        out = getattr(client, "_last_msg_out", None)
        got = getattr(client, "_last_bytes_received", None)
    if not isinstance(out, float) or not isinstance(got, float):
        return default
    due = min(out, got) + keepalive - paho.time_func()
    return min(max(due, 0.01), keepalive)


def _network_loop(client: paho.Client, quiet_seconds: float) -> None:
    """What paho's ``loop_start`` thread runs, each wait until the next ping is due."""
    step = client._loop

    def loop(timeout: float) -> MQTTErrorCode:
        return step(_until_ping(client, quiet_seconds))

    client._loop = loop  # type: ignore[method-assign,assignment]
    try:
        client.loop_forever(timeout=quiet_seconds, retry_first_connection=True)
    finally:
        client._thread = None
