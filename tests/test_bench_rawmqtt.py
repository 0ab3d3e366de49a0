"""bench/_rawmqtt.py, the throughput benchmark's load generator, against the real Mosquitto:
every message arrives once, intact, and the count it reports is the broker's acknowledgements."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from loopback import servers

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from _rawmqtt import RawPublisher, _parse, remaining_length

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("n", [0, 1, 127, 128, 16_383, 16_384, 2_097_152, 268_435_455])
def test_remaining_length_reads_back(n: int) -> None:
    packet = b"\x40" + remaining_length(n) + b"x" * min(n, 20)
    parsed = _parse(packet + b"x" * (n - min(n, 20)))
    assert parsed is not None and len(parsed[1]) == n
    assert _parse(packet[:-1] if n else packet[:1]) is None  # incomplete: not a packet


def test_every_message_arrives_once_and_is_counted(mosquitto: servers.Server) -> None:
    got: list[tuple[str, bytes]] = []
    subscribed = threading.Event()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="rawpub-test-sub")
    sub.on_connect = lambda c, *_: c.subscribe("rawpub/#", qos=1)
    sub.on_subscribe = lambda *_: subscribed.set()
    sub.on_message = lambda _c, _u, m: got.append((m.topic, bytes(m.payload)))
    sub.connect("127.0.0.1", mosquitto.port)
    sub.loop_start()
    assert subscribed.wait(10)
    messages = [(f"rawpub/d{n % 7}", f"payload {n} ".encode() * (n % 300)) for n in range(3000)]
    pub = RawPublisher("127.0.0.1", mosquitto.port, "rawpub-test", window=50)
    summary = pub.publish(pub.encode(messages))
    pub.close()
    deadline = time.monotonic() + 20
    while len(got) < len(messages) and time.monotonic() < deadline:
        time.sleep(0.05)
    sub.loop_stop()
    sub.disconnect()
    assert summary == {
        "acked": 3000,
        "attempted": 3000,
        "bytes": sum(len(p) for _, p in messages),
    }
    assert sorted(got) == sorted(messages)


def test_a_deadline_in_the_past_sends_nothing(mosquitto: servers.Server) -> None:
    pub = RawPublisher("127.0.0.1", mosquitto.port, "rawpub-test-late")
    assert pub.publish(pub.encode([("rawpub/x", b"1")]), deadline=0.0) == {
        "acked": 0, "attempted": 0, "bytes": 0,
    }  # fmt: skip
    pub.close()
