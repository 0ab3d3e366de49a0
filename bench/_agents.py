"""The simulated fleet of ``agents_50k.py``: publisher processes that each speak for many agents.

Each of ``workers`` processes holds ONE MQTT connection and publishes, under each of its
devices' own topics (``veille/v1/<site>/<device>/telemetry``), one schema-v1 message per device
every ``interval`` seconds: device n sends at ``start + k * interval + offset(n)``, the offsets
spread evenly over the interval (as agents started at random moments would be). A message is
what ``veille-agent run`` sends after one round: 5 readings (RAPL package and DRAM power, the
package energy counter, the model's estimate, uptime) and a state block, all timestamped when
the message is built, just before it is published (QoS 1). The bench's Mosquitto has no ACL,
so one connection may publish for many devices; in production each agent has its own
credentials and the ACL limits it to its own topics (deploy/).

Times are ``time.monotonic()`` unless named ``*_wall``. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.synchronize import Event
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contract.schema import (
    PowerState,
    Quality,
    Reading,
    SleepSettings,
    StateBlock,
    Telemetry,
    topic,
)

HOST = "127.0.0.1"
READINGS_PER_MESSAGE = 5
_SETTINGS = SleepSettings(sleep_ac_seconds=1800, display_ac_seconds=600)


def device_id(n: int) -> str:
    return f"bench-{n:05d}"


def site(n: int) -> str:
    return f"site-{n % 10}"


def agent_message(
    n: int,
    seq: int,
    boot_wall: float,
    *,
    name: Callable[[int], str] = device_id,
    site_of: Callable[[int], str] = site,
) -> tuple[str, bytes]:
    """Device ``n``'s message number ``seq``, every reading timestamped now, as
    ``veille-agent run`` sends after a round: RAPL package and DRAM power, the package energy
    counter, the model's estimate, uptime, and a state block. ``name`` and ``site_of`` give the
    device's id and site (a benchmark's own inventory)."""
    now = datetime.now(UTC)
    uptime = max(now.timestamp() - boot_wall, 0.0)
    values: tuple[tuple[str, str, str | None, Quality, float], ...] = (
        ("power_watts", "rapl", "package-0", Quality.MEASURED, 8.0 + n % 30),
        ("power_watts", "rapl", "dram", Quality.MEASURED, 1.5),
        ("energy_joules_total", "rapl", "package-0", Quality.MEASURED, uptime * 9.0),
        ("power_watts", "model", None, Quality.ESTIMATED, 25.0 + n % 40),
        ("uptime_seconds", "procfs", None, Quality.MEASURED, uptime),
    )
    readings = [
        Reading(ts=now, metric=m, value=v, source=s, quality=q, component=c)
        for m, s, c, q, v in values
    ]
    state = StateBlock(
        power_state=PowerState.IDLE, ts=now, idle_seconds=120.0, on_battery=False,
        sleep_settings=_SETTINGS,
    )  # fmt: skip
    msg = Telemetry(
        device_id=name(n), seq=seq, sent_at=now, kind="desktop", readings=readings,
        state=state,
    )  # fmt: skip
    return topic(site_of(n), msg.device_id, "telemetry"), msg.to_json()


def run_fleet(
    port: int, devices: int, worker: int, workers: int, interval: float, rounds: int,
    start_at: Any, ready: Event, go: Event, results: Any,
) -> None:  # fmt: skip
    """Publish for devices ``n % workers == worker`` from the monotonic time in ``start_at``
    (a ``multiprocessing.Value``, set by the parent before ``go``) on; put
    {acked, attempted, bytes, late_max, late_p99, finished} on ``results`` (``late``: how far
    behind its schedule a message was built, in s: the fleet kept its pace if small)."""
    mine = [n for n in range(devices) if n % workers == worker]
    offsets = sorted((interval * n / devices, n) for n in mine)
    boot_wall = time.time() - 3600.0
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"fleet-{worker}")
    client.max_inflight_messages_set(1000)
    client.connect(HOST, port, keepalive=60)
    client.loop_start()
    ready.set()
    go.wait()
    start = float(start_at.value)
    window: deque[mqtt.MQTTMessageInfo] = deque()
    acked = attempted = size = 0
    late: list[float] = []
    for k in range(rounds):
        for offset, n in offsets:
            due = start + k * interval + offset
            wait = due - time.monotonic()
            if wait > 0.001:
                time.sleep(wait)
            late.append(max(time.monotonic() - due, 0.0))
            name, payload = agent_message(n, k, boot_wall)
            window.append(client.publish(name, payload, qos=1))
            attempted, size = attempted + 1, size + len(payload)
            while len(window) > 5000 or (window and window[0].is_published()):
                info = window.popleft()
                info.wait_for_publish(60)
                acked += int(info.is_published())
    for info in window:
        info.wait_for_publish(60)
        acked += int(info.is_published())
    client.disconnect()
    client.loop_stop()
    late.sort()
    results.put(
        {
            "acked": acked,
            "attempted": attempted,
            "bytes": size,
            "late_max_seconds": round(late[-1], 3) if late else 0.0,
            "late_p99_seconds": round(late[int(0.99 * (len(late) - 1))], 3) if late else 0.0,
            "finished": time.monotonic(),
        }
    )
