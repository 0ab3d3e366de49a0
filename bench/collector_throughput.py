"""Collector throughput end to end: MQTT in, validation, ledger, VictoriaMetrics out.

Starts a Mosquitto and a VictoriaMetrics on free 127.0.0.1 ports, then runs the same publisher
processes with the same messages twice (schema-v1 ``Telemetry`` at QoS 1, R readings and a
state block each, from M simulated devices, as a backlog is sent):

1. broker: a bare paho subscriber that only counts messages, for the broker's raw rate;
2. collector: a ``CollectorApp`` in a process of its own (SQLite ledger, time-series sink to
   VictoriaMetrics, /metrics). Its sustained rate is readings stored per second from the
   first to the last stored (``veille_collector_readings_total``, scraped every 0.2 s). Then
   the sink is flushed and nothing may be lost: ledger messages == messages the broker
   acknowledged, and ledger samples == VictoriaMetrics samples (``/api/v1/export``) ==
   readings sent.

Rates in readings per second, CPU in seconds, peak RSS (VmHWM) in bytes, into
``bench/results/collector_throughput.json`` (``--quick``: ``...quick.json``); exit 1 if
anything was lost. ``.venv/bin/python bench/collector_throughput.py [--quick] [--help]``
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: loopback/servers.py starts the servers

from _servers import (  # noqa: E402
    SERIES,
    Load,
    cpu_seconds,
    machine,
    peak_rss_bytes,
    receive,
    run_collector,
    run_counter,
    run_publisher,
    scrape,
    vm_count_samples,
)

from loopback.servers import Server, _VictoriaMetrics, mosquitto, victoria_metrics  # noqa: E402

AIM_READINGS_PER_SECOND = 100_000  # issue 10, on 2 cores
POLL_SECONDS = 0.2
READINGS = 'veille_collector_readings_total{path="mqtt"}'
CTX = mp.get_context("spawn")
COLLECTORS: list[Any] = []  # stopped in main() whatever happens (they are not daemonic)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--devices", type=int, default=200, help="simulated agents (200)")
    p.add_argument("--readings", type=int, default=50, help="readings per message (50)")
    p.add_argument("--total-readings", type=int, default=1_000_000, help="to send (1,000,000)")
    p.add_argument("--max-seconds", type=float, default=60.0, help="publishing stops then (60)")
    p.add_argument("--publishers", type=int, default=2, help="publisher processes (2)")
    p.add_argument(
        "--publisher",
        choices=("raw", "paho"),
        default="raw",
        help="raw: MQTT packets encoded beforehand, the load generator's CPU kept low "
        "(default); paho: a paho client per publisher, as before 2 December",
    )
    p.add_argument("--stall-seconds", type=float, default=60.0, help="give up without progress")
    p.add_argument("--protocol", choices=["3.1.1", "5"], default="5", help="collector's MQTT (5)")
    p.add_argument(
        "--window",
        type=int,
        default=2000,
        help="messages in flight to the collector before its acks: v5 receive_maximum, "
        "3.1.1 Mosquitto's max_inflight_messages (2000)",
    )
    p.add_argument(
        "--batch-messages",
        type=int,
        default=2000,
        help="ledger.batch_messages: messages per ledger transaction at most (2000)",
    )
    p.add_argument(
        "--collectors",
        type=int,
        default=1,
        help="collector processes sharing the load (MQTT v5 shared subscription) and the "
        "one SQLite ledger (1)",
    )
    p.add_argument(
        "--writer-process",
        action="store_true",
        help="ledger.writer_process: each collector writes the ledger from a child process",
    )
    p.add_argument("--quick", action="store_true", help="a smoke run: 100,000 readings, 10 s")
    p.add_argument("--profile", type=Path, help="py-spy the collector into this .svg or .txt")
    p.add_argument("--out", type=Path, help="results JSON (bench/results/...)")
    a = p.parse_args(argv)
    if a.collectors > 1 and a.protocol != "5":
        p.error("--collectors above 1 needs --protocol 5 (shared subscription)")
    if a.quick:
        a.total_readings, a.max_seconds = min(a.total_readings, 100_000), min(a.max_seconds, 10)
    name = "collector_throughput.quick.json" if a.quick else "collector_throughput.json"
    a.out = a.out or ROOT / "bench" / "results" / name
    return a


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a collector and of its children (the ledger writer process)."""
    own = cpu_seconds(pid)
    kids = psutil.Process(pid).children(recursive=True)
    return own + sum(float(c.cpu_times().user + c.cpu_times().system) for c in kids)


def pid_of(server: Server) -> int:
    if server.proc is None:
        raise RuntimeError(f"{server.name} is not running")
    return server.proc.pid


def make_load(a: argparse.Namespace) -> Load:
    messages = math.ceil(a.total_readings / a.readings)
    rounds = math.ceil(messages / a.devices) * math.ceil(a.readings / len(SERIES))
    # readings must stay younger than mqtt.max_backlog_days (30): spread them over 25 days
    step = min(60.0, timedelta(days=25).total_seconds() / max(rounds, 1))
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=rounds * step + 3600)
    return Load(a.devices, messages, a.readings, t0, step)


def start_publishers(port: int, load: Load, a: argparse.Namespace, tag: str) -> tuple[Any, ...]:
    """Publishers with their messages built, waiting for ``go.set()``."""
    ready = [CTX.Event() for _ in range(a.publishers)]
    go, results = CTX.Event(), CTX.Queue()
    procs = [
        CTX.Process(
            target=run_publisher,
            args=(port, load, w, a.publishers, a.max_seconds, tag, r, go, results, a.publisher),
            name=f"publisher-{w}",
            daemon=True,
        )
        for w, r in enumerate(ready)
    ]
    for proc in procs:
        proc.start()
    if not all(r.wait(600) for r in ready):
        raise RuntimeError("a publisher did not get ready (building its messages)")
    return procs, go, results


def broker_phase(broker: Server, load: Load, a: argparse.Namespace) -> dict[str, Any]:
    ready, (mine, theirs) = CTX.Event(), CTX.Pipe()
    counter = CTX.Process(
        target=run_counter, args=(broker.port, ready, theirs, 60.0), name="counter", daemon=True
    )
    counter.start()
    if not ready.wait(30):
        raise RuntimeError("the counting subscriber did not subscribe")
    procs, go, results = start_publishers(broker.port, load, a, "raw")
    cpu0 = cpu_seconds(pid_of(broker))
    go.set()
    pubs = [results.get(timeout=600) for _ in procs]
    acked = sum(p["acked"] for p in pubs)
    mine.send(acked)
    counted = receive(mine, counter, 120)
    span = counted["last"] - min(p["started"] for p in pubs)
    return {
        "published_messages": acked,
        "received_messages": counted["n"],
        "lost_messages": acked - counted["n"],
        "received_bytes": counted["bytes"],
        "seconds": round(span, 3),
        "messages_per_second": round(counted["n"] / span, 1),
        "readings_per_second": round(counted["n"] * load.readings / span, 1),
        "mosquitto_cpu_seconds": round(cpu_seconds(pid_of(broker)) - cpu0, 2),
        "publishers_cpu_seconds": round(sum(p["cpu_seconds"] for p in pubs), 2),
    }


def collector_phase(
    broker: Server, vm: _VictoriaMetrics, workdir: Path, load: Load, a: argparse.Namespace
) -> dict[str, Any]:
    workdir.mkdir(parents=True)
    children, links, hellos = [], [], []
    for n in range(a.collectors):
        mqtt_settings: dict[str, Any] = {
            "embedded": False,
            "port": broker.port,
            "client_id": f"bench-collector-{n}" if a.collectors > 1 else "bench-collector",
            "protocol": a.protocol,
            "receive_maximum": a.window,
        }
        if a.collectors > 1:
            mqtt_settings["shared_group"] = "bench"
        settings = {
            "mqtt": mqtt_settings,
            "ledger": {
                "url": f"sqlite:///{workdir / 'ledger.sqlite'}",
                "writer_process": a.writer_process,
                "batch_messages": a.batch_messages,
            },
            "timeseries": {"url": vm.url, "measurement": "bench"},
            "metrics": {"port": 0},
        }
        mine, theirs = CTX.Pipe()
        args = (settings, str(workdir / f"c{n}"), load.devices, theirs)
        # not daemonic: a collector may start its ledger writer process
        child = CTX.Process(target=run_collector, args=args, name=f"collector-{n}")
        child.start()
        COLLECTORS.append(child)
        hellos.append(receive(mine, child, 60))  # one at a time: the first migrates the ledger
        children.append(child)
        links.append(mine)
    pids, ports = [h["pid"] for h in hellos], [h["metrics_port"] for h in hellos]
    procs, go, results = start_publishers(broker.port, load, a, "col")
    spy = None
    if a.profile:  # .txt: collapsed stacks, one per line
        fmt = "raw" if a.profile.suffix == ".txt" else "flamegraph"
        cmd = ["record", "-o", str(a.profile), "-f", fmt, "--threads", "--subprocesses"]
        cmd += ["--pid", str(pids[0])]
        beside = Path(sys.executable).with_name("py-spy")  # installed in the venv
        exe = str(beside) if beside.exists() else shutil.which("py-spy") or "py-spy"
        spy = subprocess.Popen([exe, *cmd])
    cpu0, mq0 = sum(map(tree_cpu_seconds, pids)), cpu_seconds(pid_of(broker))
    vm0 = cpu_seconds(pid_of(vm))
    t_go = time.monotonic()
    go.set()
    pubs: list[dict[str, Any]] = []
    timeline: list[dict[str, float]] = []
    first: tuple[float, float] | None = None
    last, changed, expected = 0.0, t_go, math.inf
    while last < expected:
        time.sleep(POLL_SECONDS)
        now = time.monotonic()
        while not results.empty():
            pubs.append(results.get())
            if len(pubs) == len(procs):
                expected = sum(p["acked"] for p in pubs) * load.readings
        scraped = [scrape(port) for port in ports]
        readings = sum(m.get(READINGS, 0.0) for m in scraped)
        if readings and first is None:
            first = (now, readings)
        if readings != last:
            last, changed = readings, now
        if not timeline or now - t_go - timeline[-1]["t"] >= 1.0:
            depth = sum(m.get("veille_collector_queue_depth", 0.0) for m in scraped)
            timeline.append({"t": round(now - t_go, 2), "readings": readings, "queue": depth})
        if now - changed > a.stall_seconds:
            print(f"no progress for {a.stall_seconds:.0f} s: giving up", file=sys.stderr)
            break
    t_stored, cpu_stored = now, sum(map(tree_cpu_seconds, pids))
    vm_stored = cpu_seconds(pid_of(vm))
    for link in links:
        link.send(("flush", 300.0))
    flushed = [receive(link, child, 330) for link, child in zip(links, children, strict=True)]
    t_flushed, cpu_flushed = time.monotonic(), sum(map(tree_cpu_seconds, pids))
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(60)
    peak = max(map(peak_rss_bytes, pids))
    finals = [scrape(port) for port in ports]
    for link, child in zip(links, children, strict=True):
        link.send(("stop", 0.0))
        receive(link, child, 120)
    with sqlite3.connect(f"file:{workdir / 'ledger.sqlite'}?mode=ro", uri=True) as db:
        ledger_messages = db.execute("SELECT count(*) FROM messages").fetchone()[0]
        ledger_samples = db.execute("SELECT count(*) FROM samples").fetchone()[0]
    acked = sum(p["acked"] for p in pubs)
    sent = acked * load.readings
    vm_samples = vm_count_samples(vm.url, "bench_.+", load.t0, expect=sent)
    t_first, r_first = first or (t_go, 0.0)
    return {
        "published_messages": acked,
        "published_readings": sent,
        "publish_seconds": round(max(p["finished"] for p in pubs) - t_go, 3),
        "publishers_cpu_seconds": round(sum(p["cpu_seconds"] for p in pubs), 2),
        "first_stored_after_seconds": round(t_first - t_go, 3),
        "stored_after_seconds": round(t_stored - t_go, 3),
        "flushed_after_seconds": round(t_flushed - t_go, 3),
        "readings_per_second": round((last - r_first) / max(t_stored - t_first, 1e-9), 1),
        "readings_per_second_incl_sink": round(sent / (t_flushed - t_go), 1),
        "ledger_messages": ledger_messages,
        "ledger_samples": ledger_samples,
        "vm_samples": vm_samples,
        "lost": {
            "ledger_messages": acked - ledger_messages,
            "ledger_samples": sent - ledger_samples,
            "vm_samples": sent - vm_samples,
            "readings_metric": sent - int(sum(f.get(READINGS, 0.0) for f in finals)),
        },
        "cpu_seconds_to_stored": round(cpu_stored - cpu0, 2),
        "cpu_seconds_to_flushed": round(cpu_flushed - cpu0, 2),
        "cores_while_storing": round((cpu_stored - cpu0) / (t_stored - t_go), 2),
        "cpu_seconds_per_million_readings": round((cpu_stored - cpu0) / sent * 1e6, 2),
        "peak_rss_bytes": peak,
        "mosquitto_cpu_seconds": round(cpu_seconds(pid_of(broker)) - mq0, 2),
        "victoria_metrics_cpu_seconds_to_stored": round(vm_stored - vm0, 2),
        "victoria_metrics_cpu_seconds_to_flushed": round(cpu_seconds(pid_of(vm)) - vm0, 2),
        "collectors": len(pids),
        "collector_process": flushed[0],
        "collector_processes": flushed,
        "metrics": [{k: v for k, v in f.items() if "_total" in k} for f in finals],
        "timeline": timeline,
    }


def report(result: dict[str, Any]) -> None:
    raw, col = result["broker"], result["collector"]
    a_pub = result["parameters"]["publisher"]
    rows = [
        ("broker alone (paho counter)", raw["readings_per_second"], raw["lost_messages"]),
        ("collector, sustained", col["readings_per_second"], sum(col["lost"].values())),
        ("collector, until all in VM", col["readings_per_second_incl_sink"], ""),
    ]
    print(f"\n{'':<30} {'readings/s':>12} {'lost':>6}")
    for name, rate, lost in rows:
        print(f"{name:<30} {rate:>12,.0f} {lost!s:>6}")
    gc_s = sum(p["gc_seconds"] for p in col["collector_processes"])
    print(
        f"\n{col['published_readings']:,} readings in {col['published_messages']:,} messages; "
        f"{col['collectors']} collector process(es): {col['cpu_seconds_to_stored']} CPU s "
        f"({col['cpu_seconds_per_million_readings']} per million readings, "
        f"{col['cores_while_storing']} cores), of which GC {gc_s:.2f} s; peak RSS "
        f"{col['peak_rss_bytes'] / 1e6:.0f} MB; collector/broker {result['ratio']:.3f}\n"
        "publishers, Mosquitto and VictoriaMetrics run on the same cores as the collector "
        f"({a_pub} publishers {col['publishers_cpu_seconds']} CPU s, Mosquitto "
        f"{col['mosquitto_cpu_seconds']} CPU s, VictoriaMetrics "
        f"{col['victoria_metrics_cpu_seconds_to_flushed']} CPU s)\n"
        f"aim {AIM_READINGS_PER_SECOND:,} readings/s, nothing lost: "
        f"{'met' if result['aim_met'] else 'NOT met'}"
    )


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the servers stop
    a = parse_args(argv)
    load = make_load(a)
    workdir = Path(tempfile.mkdtemp(prefix="veille-bench-"))
    servers: list[Server] = []
    try:
        servers.append(broker := mosquitto(workdir / "mosquitto", max_inflight=a.window))
        servers.append(vm := victoria_metrics(workdir / "vm"))
        print(f"{load.messages:,} messages x {load.readings} readings from {load.devices} devices")
        raw = broker_phase(broker, load, a)
        print(f"broker alone: {raw['readings_per_second']:,.0f} readings/s")
        col = collector_phase(broker, vm, workdir / "collector", load, a)
        dropped = sum((p["sink"] or {}).get("dropped_total", 0) for p in col["collector_processes"])
        lost = sum(col["lost"].values()) + dropped + raw["lost_messages"]
        params = {k: v for k, v in vars(a).items() if k not in ("out", "profile")}
        result = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "parameters": {**params, **asdict(load), "t0": load.t0.isoformat()},
            "aim_readings_per_second": AIM_READINGS_PER_SECOND,
            "aim_met": col["readings_per_second"] >= AIM_READINGS_PER_SECOND and lost == 0,
            "lost_total": lost,
            "ratio": round(col["readings_per_second"] / raw["readings_per_second"], 4),
            "broker": raw,
            "collector": col,
        }
        report(result)
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"wrote {a.out}")
        return 0 if lost == 0 else 1
    finally:
        for child in COLLECTORS:
            if child.is_alive():
                child.terminate()
                child.join(30)
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
