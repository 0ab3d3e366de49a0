"""50,000 simulated agents at a 60 s interval: the collector's CPU share and reading-to-storage
latency, nothing lost.

Starts a Mosquitto and a VictoriaMetrics on free 127.0.0.1 ports (``loopback/servers.py``), a
``CollectorApp`` in its own process knowing every device (inventory of ``--devices``; SQLite
ledger, time-series sink to VictoriaMetrics, /metrics; no SNMP, no analysis jobs) and
``--publishers`` processes that speak for the fleet (``bench/_agents.py``: one MQTT connection
each, publishing under each device's own topic; each device one message of 5 readings and a
state block per ``--interval``, the devices spread evenly over the interval, every reading
timestamped when its message is built).

Latency, reading to storage: a reader in this process polls the ledger (SQLite, read-only)
every ``--poll`` s for new rows (``samples.id`` above the last seen, one ``uptime_seconds``
row per message) and takes, for each, the wall time it first saw the row minus the reading's
timestamp. A row is visible only once its transaction committed, so this is the time to
durable storage plus at most one poll period (and the query): an upper bound, by ``--poll``.
Reported over all messages and over the minutes after the first (the first minute also
creates every device's ledger row).

CPU: user + system seconds of the collector process (load-independent) over the run, and its
share of one core (CPU s / wall s); Mosquitto's CPU apart. Nothing lost: after a flush, ledger
messages == messages the broker acknowledged, ledger samples == VictoriaMetrics samples ==
5 x messages, every message seen by the reader. Exit 1 otherwise.

    .venv/bin/python bench/agents_50k.py                 # 2 minutes (a quick check)
    .venv/bin/python bench/agents_50k.py --minutes 10    # the figure for the table

Results: ``bench/results/agents_50k.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script

from _agents import READINGS_PER_MESSAGE, run_fleet  # noqa: E402
from _servers import (  # noqa: E402
    cpu_seconds,
    machine,
    peak_rss_bytes,
    receive,
    run_collector,
    scrape,
    vm_count_samples,
)

from loopback.servers import Server, mosquitto, victoria_metrics  # noqa: E402

AIM_P99_SECONDS = 5.0
STORED = 'veille_collector_messages_total{outcome="stored"}'
CTX = mp.get_context("spawn")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--devices", type=int, default=50_000, help="simulated agents (50,000)")
    p.add_argument("--minutes", type=int, default=2, help="rounds of --interval (2)")
    p.add_argument("--interval", type=float, default=60.0, help="agent interval, s (60)")
    p.add_argument("--publishers", type=int, default=3, help="publisher processes (3)")
    p.add_argument("--poll", type=float, default=0.25, help="ledger reader period, s (0.25)")
    p.add_argument("--stall-seconds", type=float, default=120.0, help="give up draining (120)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "agents_50k.json")
    return p.parse_args(argv)


class LedgerWatch(threading.Thread):
    """Polls the ledger for new message rows; ``latencies``: (seen monotonic, seen - reading
    timestamp in s) per message."""

    def __init__(self, path: Path, period: float) -> None:
        super().__init__(name="ledger-watch", daemon=True)
        self.path, self.period = path, period
        self.latencies: list[tuple[float, float]] = []
        self.query_seconds = 0.0
        self.stop_event = threading.Event()

    def run(self) -> None:
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        last = 0
        sql = "SELECT id, ts FROM samples WHERE id > ? AND metric = 'uptime_seconds' ORDER BY id"
        while not self.stop_event.wait(self.period):
            t0 = time.perf_counter()
            rows = db.execute(sql, (last,)).fetchall()
            seen_wall, seen = time.time(), time.monotonic()
            self.query_seconds += time.perf_counter() - t0
            for row_id, ts in rows:
                at = datetime.fromisoformat(ts)
                at = at if at.tzinfo else at.replace(tzinfo=UTC)
                self.latencies.append((seen, seen_wall - at.timestamp()))
                last = max(last, row_id)
        db.close()


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    s = sorted(values)

    def q(p: float) -> float:
        return round(s[min(len(s) - 1, int(p * len(s)))], 3)

    return {"n": len(s), "p50": q(0.5), "p90": q(0.9), "p99": q(0.99), "max": round(s[-1], 3)}


def ledger_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return {
            table: int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("messages", "samples", "devices", "dead_letters")
        }


def run(a: argparse.Namespace, broker: Server, vm_url: str, workdir: Path) -> dict[str, Any]:
    settings = {
        "mqtt": {"embedded": False, "port": broker.port, "client_id": "bench-collector"},
        "ledger": {"url": f"sqlite:///{workdir / 'ledger.sqlite'}"},
        "timeseries": {"url": vm_url, "measurement": "bench"},
        "metrics": {"port": 0},
    }
    mine, theirs = CTX.Pipe()
    child = CTX.Process(
        target=run_collector, args=(settings, str(workdir), a.devices, theirs), daemon=True
    )
    child.start()
    hello = receive(mine, child, 300)
    pid, metrics_port = hello["pid"], hello["metrics_port"]
    rss_started = peak_rss_bytes(pid)
    watch = LedgerWatch(workdir / "ledger.sqlite", a.poll)
    watch.start()
    ready, results = [CTX.Event() for _ in range(a.publishers)], CTX.Queue()
    go, start_at = CTX.Event(), CTX.Value("d", 0.0)
    fleet = [
        CTX.Process(
            target=run_fleet,
            args=(
                broker.port,
                a.devices,
                w,
                a.publishers,
                a.interval,
                a.minutes,
                start_at,
                r,
                go,
                results,
            ),
            daemon=True,
        )
        for w, r in enumerate(ready)
    ]
    for proc in fleet:
        proc.start()
    if not all(r.wait(120) for r in ready):
        raise RuntimeError("a publisher did not connect")
    start = start_at.value = time.monotonic() + 1.0
    go.set()
    t_since = datetime.now(UTC) - timedelta(hours=2)
    while time.monotonic() < start:
        time.sleep(0.01)
    cpu0, mq0 = cpu_seconds(pid), cpu_seconds(broker.proc.pid if broker.proc else pid)
    minutes: list[dict[str, float]] = []
    for k in range(a.minutes):
        end = start + (k + 1) * a.interval
        while time.monotonic() < end:
            time.sleep(0.2)
        stored = scrape(metrics_port).get(STORED, 0.0)
        minutes.append(
            {
                "minute": k + 1,
                "collector_cpu_seconds": cpu_seconds(pid) - cpu0,
                "stored_messages_by_then": stored,
                "sent_messages_by_then": round(a.devices * (k + 1)),
            }
        )
    pubs = [results.get(timeout=600) for _ in fleet]
    acked = sum(p["acked"] for p in pubs)
    seen, changed = -1, time.monotonic()
    while len(watch.latencies) < acked and time.monotonic() - changed < a.stall_seconds:
        time.sleep(0.2)  # the backlog, if any, drains: latencies are measured to the last one
        if len(watch.latencies) != seen:
            seen, changed = len(watch.latencies), time.monotonic()
    t_end, cpu_end = time.monotonic(), cpu_seconds(pid)
    mq_cpu = cpu_seconds(broker.proc.pid if broker.proc else pid) - mq0
    watch.stop_event.set()
    watch.join(10)
    mine.send(("flush", 300.0))
    flushed = receive(mine, child, 330)
    final, peak = scrape(metrics_port), peak_rss_bytes(pid)
    mine.send(("stop", 0.0))
    receive(mine, child, 120)
    counts = ledger_counts(workdir / "ledger.sqlite")
    readings = acked * READINGS_PER_MESSAGE
    vm_samples = vm_count_samples(vm_url, "bench_.+", t_since, expect=readings)
    wall = t_end - start
    lat = [d for _, d in watch.latencies]
    steady = [d for seen, d in watch.latencies if seen >= start + a.interval]
    cumulative = [m["collector_cpu_seconds"] for m in minutes]
    for m, before, now in zip(minutes, [0.0, *cumulative], cumulative, strict=False):
        m["collector_cpu_seconds"] = round(now - before, 2)
        lo, hi = start + (m["minute"] - 1) * a.interval, start + m["minute"] * a.interval
        m.update(percentiles([d for seen, d in watch.latencies if lo <= seen < hi]))
    lost = {
        "ledger_messages": acked - counts["messages"],
        "ledger_samples": readings - counts["samples"],
        "vm_samples": readings - vm_samples,
        "unacknowledged_by_broker": sum(p["attempted"] - p["acked"] for p in pubs),
    }
    return {
        "inventory_devices": a.devices,
        "ledger": counts,
        "messages_acked": acked,
        "readings": readings,
        "messages_per_second": round(acked / (a.minutes * a.interval), 1),
        "wall_seconds": round(wall, 2),
        "collector_cpu_seconds": round(cpu_end - cpu0, 2),
        "collector_core_share": round((cpu_end - cpu0) / wall, 4),
        "mosquitto_cpu_seconds": round(mq_cpu, 2),
        "latency_seconds_all": percentiles(lat),
        "latency_seconds_after_first_minute": percentiles(steady),
        "reader_poll_seconds": a.poll,
        "messages_unseen_by_reader": acked - len(lat),
        "drain_seconds_after_last_publish": round(t_end - start - a.minutes * a.interval, 2),
        "ingest_cpu_ms_per_message": round(
            1000 * flushed["thread_cpu_seconds"].get("ingest", 0.0) / max(acked, 1), 3
        ),
        "reader_query_seconds": round(watch.query_seconds, 2),
        "publishers": pubs,
        "per_minute": minutes,
        "collector_rss_bytes_after_start": rss_started,
        "collector_peak_rss_bytes": peak,
        "vm_samples": vm_samples,
        "lost": lost,
        "collector_process": flushed,
        "metrics": {k: v for k, v in final.items() if "_total" in k},
    }


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the servers stop
    a = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="veille-agents50k-"))
    servers: list[Server] = []
    try:
        servers.append(broker := mosquitto(workdir / "mosquitto", max_inflight=2000))
        servers.append(vm := victoria_metrics(workdir / "vm"))
        (workdir / "collector").mkdir()
        col = run(a, broker, vm.url, workdir / "collector")
        lost = sum(col["lost"].values())
        p99 = col["latency_seconds_after_first_minute"].get("p99", float("inf"))
        result = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "parameters": {k: v for k, v in vars(a).items() if k != "out"},
            "aim_p99_seconds": AIM_P99_SECONDS,
            "aim_met": lost == 0 and p99 < AIM_P99_SECONDS and not col["messages_unseen_by_reader"],
            "lost_total": lost,
            "collector": col,
        }
        lat = col["latency_seconds_after_first_minute"]
        print(
            f"{a.devices:,} agents x {a.minutes} min: {col['messages_acked']:,} messages, "
            f"lost {lost}; collector {col['collector_cpu_seconds']} CPU s in "
            f"{col['wall_seconds']} s = {100 * col['collector_core_share']:.1f} % of a core; "
            f"latency p50 {lat.get('p50')} s, p99 {lat.get('p99')} s (after the first minute)"
        )
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"wrote {a.out}")
        return 0 if lost == 0 else 1
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
