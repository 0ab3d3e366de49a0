"""What an offline collector's queue costs Mosquitto: memory and disk per queued message.

Starts Mosquitto (loopback/servers.py: persistent, max_queued_messages 1,000,000) on loopback,
opens the collector's persistent session (clean_session false, QoS 1 subscription to
veille/v1/+/+/telemetry), disconnects it, and publishes N telemetry-sized messages at QoS 1,
as agents would while the collector is away. Then reads the broker's resident memory
(/proc/PID/status VmRSS) and, after a clean stop, the size of its persistence file
(mosquitto.db), and finally reconnects the collector to check that every message was kept.

Output: ``bench/results/broker_queue.json``.
``.venv/bin/python bench/broker_queue.py [--messages 50000] [--payload-bytes 700]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from loopback.servers import Server, mosquitto  # noqa: E402


def rss_bytes(server: Server) -> int:
    assert server.proc is not None
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def collector(port: int, received: list[int] | None = None) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-collector", clean_session=False)
    if received is not None:
        c.on_message = lambda _c, _u, _m: received.append(1)
    c.connect("127.0.0.1", port)
    c.subscribe("veille/v1/+/+/telemetry", qos=1)
    c.loop_start()
    time.sleep(0.5)
    return c


def publish(port: int, n: int, payload: bytes) -> None:
    done = threading.Event()
    acked = [0]

    def on_publish(*_a: Any) -> None:
        acked[0] += 1
        if acked[0] == n:
            done.set()

    p = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-agents")
    p.max_inflight_messages_set(1000)
    p.max_queued_messages_set(0)
    p.on_publish = on_publish
    p.connect("127.0.0.1", port)
    p.loop_start()
    for i in range(n):
        p.publish(f"veille/v1/mairie/m-{i % 50000:05d}/telemetry", payload, qos=1)
    if not done.wait(600):
        raise RuntimeError(f"only {acked[0]} of {n} acknowledged")
    p.disconnect()
    p.loop_stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--messages", type=int, default=50_000)
    ap.add_argument("--payload-bytes", type=int, default=700)
    a = ap.parse_args(argv)
    payload = b"x" * a.payload_bytes
    with tempfile.TemporaryDirectory() as tmp:
        server = mosquitto(Path(tmp))
        try:
            c = collector(server.port)
            c.disconnect()
            c.loop_stop()
            time.sleep(0.5)
            rss_before = rss_bytes(server)
            publish(server.port, a.messages, payload)
            time.sleep(1)
            rss_after = rss_bytes(server)
            server.stop()  # a clean stop writes mosquitto.db
            db = Path(tmp) / "mosquitto.db"
            db_bytes = db.stat().st_size
            server.start()
            received: list[int] = []
            c = collector(server.port, received)
            deadline = time.monotonic() + 120
            while len(received) < a.messages and time.monotonic() < deadline:
                time.sleep(0.2)
            c.disconnect()
            c.loop_stop()
        finally:
            server.stop()
    n = a.messages
    result = {
        "messages": n,
        "payload_bytes": a.payload_bytes,
        "topic_bytes": len("veille/v1/mairie/m-00000/telemetry"),
        "rss_bytes_per_queued_message": round((rss_after - rss_before) / n),
        "disk_bytes_per_queued_message": round(db_bytes / n),
        "delivered_after_restart": len(received),
        "lost": n - len(received),
    }
    out = ROOT / "bench" / "results" / "broker_queue.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 1 if result["lost"] else 0


if __name__ == "__main__":
    sys.exit(main())
