"""The processes ``collector_throughput.py`` runs (each on its own, so none takes another's
GIL: ``multiprocessing``, spawn), and what it measures them with:
- :func:`run_collector`: a ``CollectorApp`` (external broker, SQLite ledger, time-series sink,
  /metrics on a free port), driven over a pipe (``flush``, ``stop``);
- :func:`run_publisher`: builds its share of schema-v1 ``Telemetry`` messages (JSON bytes)
  before the start signal, publishes them at QoS 1, reports how many the broker acknowledged;
- :func:`run_counter`: a bare paho subscriber that only counts messages and bytes.

Times are ``time.monotonic()`` seconds (one clock for all processes on Linux). Traffic goes to
127.0.0.1 only.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import platform
import re
import sqlite3
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from importlib import metadata
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psutil
from _rawmqtt import RawPublisher, cpu_seconds_of_self
from paho.mqtt.enums import CallbackAPIVersion

from collector.app import CollectorApp, freeze_startup
from collector.config import CollectorConfig
from collector.inventory import Device, Inventory
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
# One agent round: five series per timestamp (RAPL package and DRAM, the package energy
# counter, the model's estimate, uptime), each a series of its own per device.
SERIES: tuple[tuple[str, str, str | None, Quality], ...] = (
    ("power_watts", "rapl", "package-0", Quality.MEASURED),
    ("power_watts", "rapl", "dram", Quality.MEASURED),
    ("energy_joules_total", "rapl", "package-0", Quality.MEASURED),
    ("power_watts", "model", None, Quality.ESTIMATED),
    ("uptime_seconds", "procfs", None, Quality.MEASURED),
)


@dataclass(frozen=True, slots=True)
class Load:
    """``messages`` in all, round-robin over ``devices``, ``readings`` each; a device's rounds
    are ``step_seconds`` apart from ``t0`` on, so no two samples of a series share a time."""

    devices: int
    messages: int
    readings: int
    t0: datetime
    step_seconds: float

    def device_id(self, n: int) -> str:
        return f"bench-{n:05d}"

    def site(self, n: int) -> str:
        return f"site-{n % 10}"


def build_messages(load: Load, worker: int, workers: int) -> list[tuple[str, bytes]]:
    """(topic, payload) of this worker's devices (``n % workers == worker``), in order."""
    out: list[tuple[str, bytes]] = []
    sent_at = datetime.now(UTC)
    rounds = -(-load.readings // len(SERIES))
    settings = SleepSettings(sleep_ac_seconds=1800, display_ac_seconds=600)
    for m in range(load.messages):
        n, seq = m % load.devices, m // load.devices
        if n % workers != worker:
            continue
        readings = []
        for k in range(load.readings):
            rnd = seq * rounds + k // len(SERIES)
            metric, source, component, quality = SERIES[k % len(SERIES)]
            value = rnd * 40.0 if metric.startswith("energy") else 20.0 + (n + rnd) % 50
            ts = load.t0 + timedelta(seconds=rnd * load.step_seconds)
            readings.append(
                Reading(
                    ts=ts, metric=metric, value=value, source=source, quality=quality,
                    component=component,
                )
            )  # fmt: skip
        state = StateBlock(
            power_state=PowerState.IDLE, ts=readings[-1].ts if readings else sent_at,
            idle_seconds=120.0, on_battery=False, sleep_settings=settings,
        )  # fmt: skip
        msg = Telemetry(
            device_id=load.device_id(n), seq=seq, sent_at=sent_at, kind="desktop",
            readings=readings, state=state,
        )  # fmt: skip
        out.append((topic(load.site(n), msg.device_id, "telemetry"), msg.to_json()))
    return out


def run_publisher(
    port: int, load: Load, worker: int, workers: int, max_seconds: float, tag: str,
    ready: Event, go: Event, results: Any, kind: str = "paho",
) -> None:  # fmt: skip
    """Publish this worker's share at QoS 1 (at most 400 unacknowledged), for at most
    ``max_seconds`` after ``go``; put {acked, attempted, bytes, started, finished,
    cpu_seconds} on ``results``. ``kind``: "paho" (a paho client) or "raw" (packets encoded
    beforehand, :mod:`_rawmqtt`: the load generator's own CPU kept off the measured cores)."""
    messages = build_messages(load, worker, workers)
    if kind == "raw":
        raw = RawPublisher(HOST, port, f"bench-{tag}-{worker}", window=400)
        packets = raw.encode(messages)
        ready.set()
        go.wait()
        started, cpu0 = time.monotonic(), cpu_seconds_of_self()
        summary = raw.publish(packets, deadline=started + max_seconds)
        finished, cpu1 = time.monotonic(), cpu_seconds_of_self()
        raw.close()
        results.put({**summary, "started": started, "finished": finished,
                     "cpu_seconds": round(cpu1 - cpu0, 3)})  # fmt: skip
        return
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{tag}-{worker}")
    client.max_inflight_messages_set(200)
    client.connect(HOST, port, keepalive=60)
    client.loop_start()
    ready.set()
    go.wait()
    started, cpu0 = time.monotonic(), cpu_seconds_of_self()
    window: deque[mqtt.MQTTMessageInfo] = deque()
    sent: list[mqtt.MQTTMessageInfo] = []
    size = 0
    for name, payload in messages:
        if time.monotonic() - started > max_seconds:
            break
        sent.append(client.publish(name, payload, qos=1))
        window.append(sent[-1])
        size += len(payload)
        while len(window) > 400:
            window.popleft().wait_for_publish(60)
    for info in window:
        info.wait_for_publish(60)
    finished, cpu1 = time.monotonic(), cpu_seconds_of_self()
    acked = sum(1 for info in sent if info.is_published())
    client.disconnect()
    client.loop_stop()
    summary = {"acked": acked, "attempted": len(sent), "bytes": size, "started": started}
    results.put({**summary, "finished": finished, "cpu_seconds": round(cpu1 - cpu0, 3)})


def run_counter(port: int, ready: Event, conn: Connection, quiet_seconds: float) -> None:
    """Count telemetry messages at QoS 1 until the total the parent sends on ``conn`` is
    reached (or none came for ``quiet_seconds``); send {n, bytes, first, last} back."""
    state = {"n": 0, "bytes": 0, "first": 0.0, "last": 0.0}

    def on_message(_c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        state["last"] = time.monotonic()
        state["first"] = state["first"] or state["last"]
        state["n"], state["bytes"] = state["n"] + 1, state["bytes"] + len(msg.payload)

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-count-{os.getpid()}")
    client.on_message = on_message
    client.on_connect = lambda c, *_: c.subscribe("veille/v1/+/+/telemetry", qos=1)
    client.on_subscribe = lambda *_: ready.set()
    client.connect(HOST, port, keepalive=60)
    client.loop_start()
    expected = int(conn.recv())
    seen, quiet_since = -1, time.monotonic()
    while state["n"] < expected and time.monotonic() - quiet_since < quiet_seconds:
        time.sleep(0.02)
        if state["n"] != seen:
            seen, quiet_since = int(state["n"]), time.monotonic()
    client.disconnect()
    client.loop_stop()
    conn.send(dict(state))


def run_collector(settings: dict[str, Any], workdir: str, devices: int, conn: Connection) -> None:
    """A CollectorApp knowing the benchmark's devices. ``flush``: wait until all received is
    stored and delivered, then report the sink's counters, the time the garbage collector
    took, and CPU seconds per thread. ``stop``: stop the app."""
    logging.basicConfig(level=logging.WARNING)
    clock = {"gc_seconds": 0.0, "since": 0.0}

    def on_gc(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            clock["since"] = time.perf_counter()
        else:
            clock["gc_seconds"] += time.perf_counter() - clock["since"]

    gc.callbacks.append(on_gc)
    load = Load(devices, 0, 0, datetime.now(UTC), 1.0)
    inventory = Inventory(
        Device(id=load.device_id(n), kind="desktop", site=load.site(n)) for n in range(devices)
    )
    cfg = CollectorConfig.model_validate(settings)
    app = CollectorApp(cfg, inventory, spool_dir=Path(workdir) / "spool")
    app.start(jobs=False)
    freeze_startup()  # as veille-collector run does
    conn.send({"pid": os.getpid(), "metrics_port": app.metrics_port})
    while True:
        command, timeout = conn.recv()
        if command == "stop":
            app.stop()
            conn.send({"stopped": True})
            return
        started = time.monotonic()
        ok = app.ingestor is not None and app.ingestor.wait_idle(timeout)
        ok = ok and (app.sink is None or app.sink.flush(timeout))
        names = {t.native_id: t.name for t in threading.enumerate()}
        threads: dict[str, float] = {}
        for th in psutil.Process().threads():
            name = names.get(th.id, "other")
            threads[name] = round(threads.get(name, 0.0) + th.user_time + th.system_time, 2)
        conn.send(
            {
                "flushed": ok,
                "flush_seconds": round(time.monotonic() - started, 3),
                "sink": asdict(app.sink.stats()) if app.sink is not None else None,
                "gc_seconds": round(clock["gc_seconds"], 2),
                "gc_collections_by_generation": [g["collections"] for g in gc.get_stats()],
                "thread_cpu_seconds": threads,
                "children": [  # the ledger writer process, with ledger.writer_process
                    {
                        "name": " ".join(c.cmdline()[-2:])[:80],
                        "cpu_seconds": round(c.cpu_times().user + c.cpu_times().system, 2),
                        "rss_bytes": c.memory_info().rss,
                    }
                    for c in psutil.Process().children()
                ],
            }
        )


# -- measuring, in the parent -----------------------------------------------------------------


def receive(conn: Connection, child: BaseProcess, timeout: float) -> Any:
    """A child's answer on ``conn``; an error if it died or stayed silent ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not conn.poll(0.2):
        if not child.is_alive():
            raise RuntimeError(f"{child.name} exited with {child.exitcode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{child.name} did not answer in {timeout:.0f} s")
    return conn.recv()


def scrape(port: int) -> dict[str, float]:
    """The collector's ``veille_collector_*`` samples from its /metrics."""
    with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    pattern = r"^(veille_collector_\w+(?:\{[^}]*\})?) (\S+)$"
    return {m.group(1): float(m.group(2)) for m in re.finditer(pattern, text, re.M)}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def peak_rss_bytes(pid: int) -> int:
    """A process's peak resident memory so far (VmHWM), in bytes."""
    found = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(found.group(1)) * 1024 if found else 0


def vm_count_samples(
    url: str, name_regex: str, since: datetime, expect: int | None = None, wait: float = 30.0
) -> int:
    """Samples VictoriaMetrics holds for series named ``name_regex``, after a force flush.
    With ``expect``: counted again (flushing again) until that many are there or ``wait``
    seconds have passed; rows VictoriaMetrics acknowledged can take a moment to be searchable
    after a flush under load (seen once: 98,600 of 1,000,000 missing at the first count,
    though the sink had every write acknowledged)."""
    deadline = time.monotonic() + wait
    while True:
        urllib.request.urlopen(f"{url}/internal/force_flush", timeout=30).close()
        match, start, end = f'{{__name__=~"{name_regex}"}}', since.timestamp() - 3600, time.time()
        query = urllib.parse.urlencode(
            {"match[]": match, "start": int(start), "end": int(end) + 3600}
        )
        n = 0
        with urllib.request.urlopen(f"{url}/api/v1/export?{query}", timeout=600) as resp:
            for line in resp:
                if line.strip():
                    n += len(json.loads(line)["values"])
        if expect is None or n >= expect or time.monotonic() > deadline:
            return n
        time.sleep(1.0)


def _first_line(argv: list[str]) -> str | None:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return None
    lines = (out.stdout or out.stderr).strip().splitlines()
    return lines[0] if lines else None


def machine() -> dict[str, Any]:
    """What ran the benchmark: CPUs, memory, kernel, Python and the versions that matter."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    models = [ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if "model name" in ln]
    versions: dict[str, str | None] = {"sqlite": sqlite3.sqlite_version}
    for name in ("paho-mqtt", "pydantic", "pydantic-core", "SQLAlchemy", "influxdb-client"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    versions["mosquitto"] = _first_line(["/usr/sbin/mosquitto", "-h"])
    versions["victoria-metrics"] = _first_line(["dpkg-query", "-Wf${Version}", "victoria-metrics"])
    repo = str(Path(__file__).resolve().parents[1])
    return {
        "nproc": os.cpu_count(),
        "cpu_model": models[0] if models else platform.processor(),
        "memory_bytes": psutil.virtual_memory().total,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "commit": _first_line(["git", "-C", repo, "describe", "--always", "--dirty"]),
        "versions": versions,
    }
