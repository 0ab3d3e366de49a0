"""Footprint of ``veille-agent run`` next to prometheus-node-exporter, on loopback only.

Starts a Mosquitto on a free 127.0.0.1 port, the agent at its default interval (60 s)
publishing to it, and prometheus-node-exporter bound to 127.0.0.1 and scraped once a minute
(as Prometheus would). The agent talks TLS to the broker, its production setting
(``--plain`` for a plain TCP listener; a throw-away CA made with openssl). Samples both
processes every 5 s for N minutes and reports resident memory (RSS, and USS: memory that is
the process's alone), CPU time per hour and share of a core (the commands a process runs
included), and wake-ups per hour, both processes over the same steady state: start-up (until
the agent's first message arrived, 10 s at least) is excluded and given apart
(``bench/_proc.py`` says what each count is). Writes ``bench/results/agent_footprint.json``.
Aim for the agent: < 30 MB RSS, < 0.05 % of a core.

    python bench/agent_footprint.py [minutes] [--plain] [--results FILE]   # default 2, TLS
    # the agent of an earlier commit, with the same venv (a before/after, run side by side):
    git archive c651784 agent contract | tar -x -C /tmp/before
    python bench/agent_footprint.py 10 --agent-src /tmp/before --results /tmp/before.json
    # the cost of one round, over many rounds (not the production figure: see bench/README.md)
    python bench/agent_footprint.py 3 --interval 5 --results /tmp/rounds.json

Installs the Debian package prometheus-node-exporter if missing (apt-get, its service kept
from starting), which needs root.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: loopback/servers.py starts the servers

from loopback.servers import free_port, wait_tcp  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from _proc import Sampler, machine_load, machine_ticks  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "agent_footprint.json"
WARMUP_SECONDS = 10.0
SAMPLE_SECONDS = 5.0
AIM_RSS_BYTES = 30e6
AIM_CORE_PERCENT = 0.05


def node_exporter_binary() -> str:
    found = shutil.which("prometheus-node-exporter") or shutil.which(
        "prometheus-node-exporter", path="/usr/bin:/usr/sbin"
    )
    if found:
        return found
    print("installing prometheus-node-exporter (apt-get)...", file=sys.stderr)
    policy = Path("/usr/sbin/policy-rc.d")
    own_policy = not policy.exists()
    if own_policy:  # keep the package's own service (0.0.0.0:9100) from starting
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        cmd = ["apt-get", "install", "-y", "--no-install-recommends", "prometheus-node-exporter"]
        if subprocess.run(cmd, env=env, check=False).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, check=True)
            subprocess.run(cmd, env=env, check=True)
    finally:
        if own_policy:
            policy.unlink()
    found = shutil.which("prometheus-node-exporter", path="/usr/bin:/usr/sbin")
    if not found:
        raise RuntimeError("prometheus-node-exporter did not install")
    return found


def make_pki(d: Path) -> None:
    """A throw-away CA and a server certificate for 127.0.0.1 (openssl)."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=bench CA", "-keyout", "ca.key", "-out", "ca.pem")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=server",
            "-keyout", "server.key", "-out", "server.csr")  # fmt: skip
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "server.ext",
            "-out", "server.pem")  # fmt: skip


def count_messages(
    port: int, topic: str, counter: list[float], stop: threading.Event, ca: Path | None
) -> None:
    """Count the agent's messages in ``counter[0]``; ``counter[1]``: when the first came."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-counter")
    if ca is not None:
        client.tls_set(ca_certs=str(ca))
    client.on_connect = lambda c, *a: c.subscribe(topic, qos=1)

    def on_message(*args: Any) -> None:
        counter[0] += 1
        if counter[1] == 0:
            counter[1] = time.monotonic()

    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.loop_start()
    stop.wait()
    client.disconnect()
    client.loop_stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("minutes", nargs="?", type=float, default=2.0)
    parser.add_argument("--plain", action="store_true", help="no TLS to the broker")
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"default {RESULTS}")
    parser.add_argument(
        "--agent-src",
        type=Path,
        help="run the agent of another checkout (a directory holding its agent/ and contract/, "
        "e.g. from `git archive`), with this venv's packages: a before/after in the same run",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=60.0,
        help="the agent's interval_seconds (default 60, the production setting); a short one "
        "gives many rounds to average the CPU of one round over",
    )
    args = parser.parse_args(argv)
    exporter = node_exporter_binary()
    mosquitto = shutil.which("mosquitto", path="/usr/sbin:/usr/bin") or "mosquitto"
    agent = Path(sys.executable).parent / "veille-agent"
    procs: list[subprocess.Popen[bytes]] = []
    stop = threading.Event()
    with tempfile.TemporaryDirectory(prefix="veille-bench-") as tmp:
        work = Path(tmp)
        mqtt_port, exporter_port = free_port(), free_port()
        ca = None if args.plain else work / "ca.pem"
        tls_conf = tls_toml = ""
        if ca is not None:
            make_pki(work)
            tls_conf = f"cafile {ca}\ncertfile {work}/server.pem\nkeyfile {work}/server.key\n"
            if os.geteuid() == 0:  # else mosquitto becomes "mosquitto", who cannot read them
                tls_conf += "user root\n"
            tls_toml = f'[mqtt.tls]\nca_file = "{ca}"\n'
        (work / "mosquitto.conf").write_text(
            f"listener {mqtt_port} 127.0.0.1\nallow_anonymous true\nlog_dest none\n{tls_conf}"
        )
        (work / "agent.toml").write_text(
            f'device_id = "bench-agent"\nsite = "bench"\ninterval_seconds = {args.interval}\n'
            f"[mqtt]\nport = {mqtt_port}\n"
            f'{tls_toml}[spool]\npath = "{work / "spool.sqlite"}"\n'
        )
        log = (work / "agent.log").open("wb")
        try:
            procs.append(subprocess.Popen([mosquitto, "-c", str(work / "mosquitto.conf")]))
            wait_tcp(mqtt_port)
            received = [0.0, 0.0]
            counter = threading.Thread(
                target=count_messages,
                args=(mqtt_port, "veille/v1/bench/+/telemetry", received, stop, ca),
                daemon=True,
            )
            counter.start()
            env = {**os.environ, "MALLOC_ARENA_MAX": "2"}  # as deploy/systemd sets it
            command, cwd = [str(agent)], None
            if args.agent_src is not None:  # `-m` puts the working directory first on the path
                cwd = args.agent_src.resolve()  # (its configuration child inherits both)
                env["PYTHONPATH"] = str(cwd)
                command = [sys.executable, "-m", "agent.cli"]
            started = time.monotonic()
            agent_proc = subprocess.Popen(
                [*command, "run", "--config", str(work / "agent.toml")],
                env=env,
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            procs.append(agent_proc)
            exporter_proc = subprocess.Popen(
                [exporter, f"--web.listen-address=127.0.0.1:{exporter_port}"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            procs.append(exporter_proc)
            wait_tcp(exporter_port)
            samplers = [
                Sampler("veille_agent", agent_proc.pid),
                Sampler("node_exporter", exporter_proc.pid),
            ]
            end = started + args.minutes * 60
            next_scrape = started
            steady_from: float | None = None  # start-up ends with the first message
            ticks = machine_ticks()
            while time.monotonic() < end or steady_from is None:
                if time.monotonic() >= next_scrape:
                    url = f"http://127.0.0.1:{exporter_port}/metrics"
                    with urllib.request.urlopen(url, timeout=10) as resp:
                        resp.read()
                    next_scrape += 60
                now = time.monotonic()
                for s in samplers:
                    s.sample()
                if steady_from is None and received[1] and now - started >= WARMUP_SECONDS:
                    steady_from, ticks = now, machine_ticks()
                if now - started > 120 and steady_from is None:
                    raise RuntimeError("no message from the agent in 2 minutes: see its log")
                time.sleep(SAMPLE_SECONDS)
            for s in samplers:
                s.sample()
            load = machine_load(ticks, machine_ticks())
            report = {
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "minutes": args.minutes,
                "machine": {
                    "python": platform.python_version(),
                    "kernel": platform.release(),
                    "cpus": psutil.cpu_count(),
                },
                "agent_interval_seconds": args.interval,
                "agent_tls": ca is not None,
                "agent_src": None if args.agent_src is None else str(args.agent_src),
                "node_exporter_scrape_seconds": 60,
                "messages_received": int(received[0]),
                "machine_during_steady_state": load,
                "processes": {s.name: s.report(started, steady_from) for s in samplers},
                "aims": {"rss_bytes": AIM_RSS_BYTES, "core_percent": AIM_CORE_PERCENT},
            }
        finally:
            stop.set()
            for p in reversed(procs):
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
            log.close()
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"{'process':<14} {'RSS MB':>7} {'USS MB':>7} {'CPU s/h':>8} {'% core':>7} "
        f"{'(ns) s/h':>8} {'wake-ups/h':>10}"
    )
    for name, r in report["processes"].items():
        print(
            f"{name:<14} {r['rss_bytes_last'] / 1e6:7.1f} {r['uss_bytes_last'] / 1e6:7.1f} "
            f"{r['cpu_seconds_per_hour']:8.2f} {r['core_percent']:7.4f} "
            f"{r['cpu_seconds_per_hour_ns']:8.3f} {r['wakeups_per_hour']:10.0f}"
        )
    rounds_per_hour = 3600 / args.interval
    a = report["processes"]["veille_agent"]
    print(
        f"veille_agent per round ({args.interval:g} s): "
        f"{a['cpu_seconds_per_hour_ns'] / rounds_per_hour * 1e3:.2f} ms of CPU (threads' ns "
        f"and children), {a['wakeups_per_hour'] / rounds_per_hour:.1f} wake-ups"
    )
    m = report["machine_during_steady_state"]
    print(
        f"machine: {m['busy_percent']} % busy, {m['steal_percent']} % stolen by the host, "
        f"load average {m['load_average_end']}"
    )
    agent_r = report["processes"]["veille_agent"]
    print(
        f"agent aim: RSS < {AIM_RSS_BYTES / 1e6:.0f} MB: "
        f"{'met' if agent_r['rss_bytes_last'] < AIM_RSS_BYTES else 'NOT met'}; "
        f"< {AIM_CORE_PERCENT} % core: "
        f"{'met' if agent_r['core_percent'] < AIM_CORE_PERCENT else 'NOT met'}; "
        f"{report['messages_received']} messages received; written {args.results}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
