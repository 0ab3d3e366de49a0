"""SNMP polling speed: veille next to prometheus-snmp-exporter, same devices, one run.

Serves every recorded walk of ``tests/fixtures/snmp/`` from one SNMP responder (its own
process, 127.0.0.1). Then, one after the other for the same time:

- **veille**: a process running veille's poller code over every device, round after round
  (profiles detected once, before the clock starts), ``--concurrency`` polls at once;
- **prometheus-snmp-exporter** (the Debian package, installed if missing with its service
  kept from starting): a generated ``snmp.yml`` with one module per device that GETs and walks
  exactly the objects veille's profile reads; ``--concurrency`` HTTP clients scrape it
  back to back (one scrape = one poll of one device).

The two alternate (``--repeats`` times each, so both see the machine's load alike) and the
median run of each is reported: polls/s and CPU per poll (the poller's own process CPU:
veille's process, the exporter's process; the responder and the HTTP clients are not
counted). Every exporter scrape is checked to carry the device's values. Writes
``bench/results/snmp_poll.json``.

    .venv/bin/python bench/snmp_poll.py [--seconds 20] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
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
sys.path.insert(0, str(ROOT))  # run as a script

from _snmp import devices, exporter_config, run_responder, run_veille  # noqa: E402

from loopback.servers import free_port, wait_tcp  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "snmp_poll.json"
PACKAGE = "prometheus-snmp-exporter"


def exporter_binary() -> str:
    """The Debian package's binary, installed (service kept stopped) if missing."""
    found = shutil.which(PACKAGE, path="/usr/bin:/usr/sbin:" + os.environ.get("PATH", ""))
    if found:
        return found
    print(f"installing {PACKAGE} (apt-get)...", file=sys.stderr)
    policy = Path("/usr/sbin/policy-rc.d")
    own_policy = not policy.exists()
    if own_policy:  # keep the package's own service (0.0.0.0:9116) from starting
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        cmd = ["apt-get", "install", "-y", "--no-install-recommends", PACKAGE]
        if subprocess.run(cmd, env=env, check=False).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, check=True)
            subprocess.run(cmd, env=env, check=True)
    finally:
        if own_policy:
            policy.unlink()
    found = shutil.which(PACKAGE, path="/usr/bin:/usr/sbin")
    if not found:
        raise RuntimeError(f"{PACKAGE} did not install")
    return found


def _version(binary: str) -> str:
    res = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    first = (res.stdout or res.stderr).strip().splitlines()
    return first[0] if first else "unknown"


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as resp:
        body: bytes = resp.read()
    return body.decode()


class Exporter:
    """prometheus-snmp-exporter on a free 127.0.0.1 port with the generated ``snmp.yml``."""

    def __init__(self, binary: str, snmp_port: int, workdir: Path) -> None:
        config = workdir / "snmp.yml"
        config.write_text(json.dumps(exporter_config(), indent=1))  # JSON is YAML
        http_port = free_port()
        self.version = _version(binary)
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{http_port}"],
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "exporter.log").open("w"),
        )
        wait_tcp(http_port, 10)
        self.names = [d["name"] for d in devices()]
        self.base = f"http://127.0.0.1:{http_port}/snmp?target=127.0.0.1:{snmp_port}&module="
        for name in self.names:  # warm-up, and check each module reads its device's objects
            body = _scrape(self.base + name)
            if not any(ln.startswith("veille_") for ln in body.splitlines()):
                raise RuntimeError(f"snmp_exporter read nothing from {name}:\n{body[-800:]}")

    def measure(self, seconds: float, concurrency: int) -> dict[str, Any]:
        """Scrape device after device from ``concurrency`` threads for ``seconds``."""
        ps = psutil.Process(self.proc.pid)
        c0 = ps.cpu_times()
        counts = {"polls": 0, "errors": 0}
        lock = threading.Lock()
        t0 = time.monotonic()

        def worker(offset: int) -> None:
            i = offset
            while time.monotonic() - t0 < seconds:
                try:
                    ok = "veille_" in _scrape(self.base + self.names[i % len(self.names)])
                except OSError:
                    ok = False
                with lock:
                    counts["polls" if ok else "errors"] += 1
                i += concurrency

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        c1 = ps.cpu_times()
        cpu = (c1.user - c0.user) + (c1.system - c0.system)
        return {**counts, "seconds": wall, "cpu_seconds": cpu}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def measure_veille(ctx: Any, snmp_port: int, seconds: float, concurrency: int) -> dict[str, Any]:
    mine, theirs = ctx.Pipe()
    proc = ctx.Process(target=run_veille, args=(snmp_port, seconds, concurrency, theirs))
    proc.start()
    result: dict[str, Any] = mine.recv()
    proc.join()
    return result


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median polls/s (runs alternate, so both see the same load)."""
    ordered = sorted(runs, key=lambda r: r["polls_per_second"])
    return ordered[len(ordered) // 2]


def _summary(r: dict[str, Any]) -> dict[str, Any]:
    polls = max(r["polls"], 1)
    return {
        **r,
        "polls_per_second": r["polls"] / r["seconds"],
        "cpu_ms_per_poll": 1000.0 * r["cpu_seconds"] / polls,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs of each")
    args = parser.parse_args()
    binary = exporter_binary()
    load_before = os.getloadavg()
    ctx = mp.get_context("spawn")
    here, there = ctx.Pipe()
    responder = ctx.Process(target=run_responder, args=(there,), daemon=True)
    responder.start()
    snmp_port = here.recv()
    runs: dict[str, list[dict[str, Any]]] = {"veille": [], "exporter": []}
    try:
        with tempfile.TemporaryDirectory(prefix="veille-snmp-bench-") as tmp:
            exporter = Exporter(binary, snmp_port, Path(tmp))
            try:
                for _ in range(args.repeats):
                    v = measure_veille(ctx, snmp_port, args.seconds, args.concurrency)
                    runs["veille"].append(_summary(v))
                    runs["exporter"].append(
                        _summary(exporter.measure(args.seconds, args.concurrency))
                    )
            finally:
                exporter.stop()
    finally:
        here.send("stop")
        responder.join(10)
    veille = {**_median_run(runs["veille"]), "runs": runs["veille"]}
    theirs = {**_median_run(runs["exporter"]), "runs": runs["exporter"]}
    theirs["version"] = exporter.version
    result = {
        "benchmark": "snmp_poll",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_1min_before_after": [load_before[0], os.getloadavg()[0]],
        },
        "devices": len(devices()),
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "veille": veille,
        "repeats": args.repeats,
        "prometheus_snmp_exporter": theirs,
        "veille_faster": veille["polls_per_second"] >= theirs["polls_per_second"],
        "veille_cheaper": veille["cpu_ms_per_poll"] <= theirs["cpu_ms_per_poll"],
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for name, r in (("veille", veille), ("snmp_exporter", theirs)):
        print(
            f"{name:<14} {r['polls_per_second']:8.1f} polls/s  {r['cpu_ms_per_poll']:6.2f} ms "
            f"CPU/poll  ({r['polls']} polls, {r['errors']} errors, {r['seconds']:.1f} s)"
        )
    print(f"wrote {RESULTS}")
    return 0 if veille["errors"] == 0 and theirs["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
