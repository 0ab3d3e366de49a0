"""Collector memory with N known devices: RSS after start, and after the analysis job ran once
over a day of data.

For each ``--devices`` size (default 5,000 and 50,000, to tell per-device growth from fixed
cost): writes an inventory file of N desktops (``[[device]]`` TOML, read by the collector's own
``load_inventory``), a SQLite ledger migrated by Alembic with a row per device and a day of
agent data per device (``--sample-minutes``: a model power estimate and the uptime every 10
minutes, and a state observation every 30 minutes, all of the last 24 h: 50,000 devices are
14.4 M samples and 2.4 M states; the agents' real 60 s rounds would be 360 M rows, not
generated here), then in a child process of its own:

1. starts a ``CollectorApp`` with that inventory and ledger against a Mosquitto on a free
   127.0.0.1 port: SNMP off (no targets), no time-series sink, /metrics on; analysis jobs off,
   so that the job runs exactly when asked; then ``freeze_startup`` as ``veille-collector run``
   does: RSS after start (VmRSS, and USS);
2. the parent publishes one agent message per device (5 readings and a state block, QoS 1,
   from its own process): the child's peak RSS while it receives and stores them (VmHWM, reset
   just before), their wall and CPU time, and RSS once all are in the ledger;
3. runs the analysis job once (``CollectorApp.recompute``, what the scheduled job runs:
   ``analysis.lookback_hours`` = 24 over the day) and records its wall and CPU time, RSS after
   it and the peak (VmHWM); then a second run, to see whether memory keeps growing.

Results: ``bench/results/collector_memory.json``; per-device cost = (RSS at the largest size -
RSS at the smallest) / (device difference).

    .venv/bin/python bench/collector_memory.py                       # 5,000 and 50,000
    .venv/bin/python bench/collector_memory.py --devices 2000 --quick  # a smoke run
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script

from _agents import agent_message  # noqa: E402
from _servers import machine, receive  # noqa: E402

from loopback.servers import mosquitto  # noqa: E402

CTX = mp.get_context("spawn")
STEPS = ("after_start", "after_ingest", "first_job", "second_job")
TS = "%Y-%m-%d %H:%M:%S.%f"  # how the ledger's DateTime columns are stored in SQLite


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--devices", type=int, nargs="+", default=[5_000, 50_000])
    p.add_argument("--sample-minutes", type=int, default=10, help="one power sample per (10)")
    p.add_argument("--quick", action="store_true", help="one hour of data instead of a day")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "collector_memory.json")
    return p.parse_args(argv)


def device_id(n: int) -> str:
    return f"pc-{n:05d}"


def write_inventory(path: Path, n: int) -> None:
    lines = [
        f'[[device]]\nid = "{device_id(i)}"\nkind = "desktop"\nsite = "site-{i % 40}"\n'
        f'policy_group = "workstations"\nidle_watts = 20.0\nmax_watts = 65.0\n'
        for i in range(n)
    ]
    path.write_text("\n".join(lines))


def write_ledger(url: str, path: Path, n: int, hours: int, every_min: int, now: datetime) -> float:
    """A migrated ledger holding ``hours`` of data per device; returns the seconds it took."""
    from collector.ledger import Ledger

    t0 = time.monotonic()
    ledger = Ledger(url)
    ledger.migrate()
    ledger.close()
    start = now - timedelta(hours=hours)
    steps = hours * 60 // every_min
    times = [(start + timedelta(minutes=every_min * k)).strftime(TS) for k in range(steps)]
    state_times = times[:: max(1, 30 // every_min)]
    with sqlite3.connect(path) as db:
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
        first, last = times[0], times[-1]
        db.executemany(
            "INSERT INTO devices (device_id, site, kind, first_seen, last_seen, online, messages)"
            " VALUES (?, ?, 'desktop', ?, ?, 1, ?)",
            ((device_id(i), f"site-{i % 40}", first, last, steps) for i in range(n)),
        )
        for i in range(n):
            dev, watts = device_id(i), 20.0 + i % 40
            db.executemany(
                "INSERT INTO samples (device_id, ts, metric, component, value, source, quality)"
                " VALUES (?, ?, ?, NULL, ?, ?, ?)",
                [
                    row
                    for k, ts in enumerate(times)
                    for row in (
                        (dev, ts, "power_watts", watts, "model", "estimated"),
                        (
                            dev,
                            ts,
                            "uptime_seconds",
                            3600.0 + k * every_min * 60,
                            "procfs",
                            "measured",
                        ),
                    )
                ],
            )
            db.executemany(
                "INSERT INTO states (device_id, ts, power_state, idle_seconds) VALUES (?, ?, ?, ?)",
                [(dev, ts, "active", 30.0) for ts in state_times],
            )
    return time.monotonic() - t0


def _memory(pid: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss, hwm = (re.search(rf"{k}:\s+(\d+) kB", status) for k in ("VmRSS", "VmHWM"))
    full = psutil.Process(pid).memory_full_info()
    return {
        "rss_bytes": int(rss.group(1)) * 1024 if rss else 0,
        "peak_rss_bytes": int(hwm.group(1)) * 1024 if hwm else 0,
        "uss_bytes": int(full.uss),
    }


def _reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux ``clear_refs`` 5)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _cpu() -> float:
    t = psutil.Process().cpu_times()
    return float(t.user + t.system)


def run_child(
    settings: dict[str, Any], inventory: str, now_iso: str, expected: int, conn: Connection
) -> None:
    """Start the collector, take ``expected`` messages, then run the analysis job twice;
    report memory at each step."""
    import logging
    import os

    from collector.app import CollectorApp, freeze_startup
    from collector.config import CollectorConfig
    from collector.inventory import load_inventory

    logging.basicConfig(level=logging.WARNING)
    me = os.getpid()
    t0 = time.monotonic()
    app = CollectorApp(CollectorConfig.model_validate(settings), load_inventory(Path(inventory)))
    app.start(jobs=False)
    freeze_startup()
    out: dict[str, Any] = {"start_seconds": round(time.monotonic() - t0, 2)}
    time.sleep(2.0)
    out["after_start"] = _memory(me)
    reset = _reset_peak(me)
    cpu0, w0 = _cpu(), time.monotonic()
    conn.send("ready")  # the parent publishes now
    stored = 0
    while stored < expected and time.monotonic() - w0 < 1800:
        time.sleep(0.2)
        stored = app.ledger.count("messages")
    out["after_ingest"] = {
        "messages_stored": stored,
        "dead_letters": app.ledger.count("dead_letters"),
        "wall_seconds": round(time.monotonic() - w0, 2),
        "cpu_seconds": round(_cpu() - cpu0, 2),
        "peak_reset": reset,  # False: peak_rss_bytes is the peak since start
        **_memory(me),
    }
    now = datetime.fromisoformat(now_iso)
    for run in ("first_job", "second_job"):
        cpu0, w0 = _cpu(), time.monotonic()
        app.recompute(now)
        out[run] = {
            "wall_seconds": round(time.monotonic() - w0, 2),
            "cpu_seconds": round(_cpu() - cpu0, 2),
            **_memory(me),
        }
    app.stop()
    conn.send(out)


def messages(n: int) -> list[tuple[str, bytes]]:
    """One message per device, as ``veille-agent run`` sends after a round
    (:func:`_agents.agent_message`), under this benchmark's ids and sites."""
    boot = time.time() - 90_000.0  # an uptime of 25 h
    return [
        agent_message(i, 0, boot, name=device_id, site_of=lambda k: f"site-{k % 40}")
        for i in range(n)
    ]


def publish(port: int, payloads: list[tuple[str, bytes]]) -> float:
    """Publish at QoS 1 (at most 400 unacknowledged); returns the seconds it took."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="mem-publisher")
    client.max_inflight_messages_set(200)
    client.connect("127.0.0.1", port, keepalive=60)
    client.loop_start()
    t0 = time.monotonic()
    window: list[mqtt.MQTTMessageInfo] = []
    for name, payload in payloads:
        window.append(client.publish(name, payload, qos=1))
        if len(window) >= 400:
            for info in window:
                info.wait_for_publish(60)
            window = []
    for info in window:
        info.wait_for_publish(60)
    took = time.monotonic() - t0
    client.disconnect()
    client.loop_stop()
    return took


def one_size(n: int, a: argparse.Namespace, workdir: Path, broker_port: int) -> dict[str, Any]:
    hours = 1 if a.quick else 24
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    inventory, db = workdir / f"inventory-{n}.toml", workdir / f"ledger-{n}.sqlite"
    write_inventory(inventory, n)
    url = f"sqlite:///{db}"
    generated = write_ledger(url, db, n, hours, a.sample_minutes, now)
    with sqlite3.connect(db) as conn:
        samples = conn.execute("SELECT count(*) FROM samples").fetchone()[0]
        states = conn.execute("SELECT count(*) FROM states").fetchone()[0]
    settings = {
        "mqtt": {"embedded": False, "port": broker_port, "client_id": f"mem-{n}"},
        "ledger": {"url": url},
        "metrics": {"port": 0},
        "analysis": {"lookback_hours": hours},
    }
    payloads = messages(n)
    mine, theirs = CTX.Pipe()
    args = (settings, str(inventory), now.isoformat(), n, theirs)
    child = CTX.Process(target=run_child, args=args, daemon=True)
    child.start()
    receive(mine, child, 600)  # started
    published = publish(broker_port, payloads)
    del payloads
    got = receive(mine, child, 7200)
    got["after_ingest"]["publish_seconds"] = round(published, 2)
    child.join(60)
    with sqlite3.connect(db) as conn:
        hourly = conn.execute("SELECT count(*) FROM hourly_energy").fetchone()[0]
    return {
        "devices": n,
        "hours_of_data": hours,
        "samples": samples,
        "states": states,
        "ledger_bytes": db.stat().st_size,
        "generate_seconds": round(generated, 1),
        "hourly_rows_written": hourly,
        **got,
    }


def per_device(sizes: list[dict[str, Any]]) -> dict[str, float]:
    """RSS growth per device between the smallest and the largest size, at each step."""
    lo, hi = sizes[0], sizes[-1]
    span = hi["devices"] - lo["devices"]
    if span <= 0:
        return {}
    return {k: round((hi[k]["rss_bytes"] - lo[k]["rss_bytes"]) / span, 1) for k in STEPS}


def write(a: argparse.Namespace, sizes: list[dict[str, Any]]) -> None:
    s = sizes[-1]
    start, ingest, job, again = (s[k]["rss_bytes"] / 1e6 for k in STEPS)
    print(
        f"{s['devices']:>6,} devices: RSS after start {start:.0f} MB, after one message per "
        f"device {ingest:.0f} MB (peak {s['after_ingest']['peak_rss_bytes'] / 1e6:.0f} MB), "
        f"after the job "
        f"{job:.0f} MB (peak {s['first_job']['peak_rss_bytes'] / 1e6:.0f} MB; job "
        f"{s['first_job']['cpu_seconds']} CPU s), after a second job {again:.0f} MB"
    )
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "parameters": {k: v for k, v in vars(a).items() if k != "out"},
        "load_average": list(psutil.getloadavg()),
        "sizes": sizes,
        "rss_bytes_per_device": per_device(sizes),
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"wrote {a.out}; RSS per device (bytes): {result['rss_bytes_per_device']}")


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    a = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="veille-mem-"))
    broker = mosquitto(workdir / "mosquitto")
    try:
        sizes: list[dict[str, Any]] = []
        for n in sorted(a.devices):  # written after each size: a long run keeps what it has
            sizes.append(one_size(n, a, workdir, broker.port))
            write(a, sizes)
        return 0
    finally:
        broker.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
