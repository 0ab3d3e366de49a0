"""What ``snmp_poll.py`` runs, each in its own process (``multiprocessing``, spawn):

- :func:`run_responder`: every recorded walk of ``tests/fixtures/snmp/`` served by one
  :class:`SnmpResponder` on a free 127.0.0.1 UDP port (community = the walk's name);
- :func:`run_veille`: veille's poller code (``read_device``, one shared ``SnmpClient``,
  a ``CounterState`` per device so the profile is detected once, as in production) polling
  every device in rounds for a fixed time, reporting polls and its own CPU time;

and :func:`exporter_config`, the ``snmp.yml`` that makes prometheus-snmp-exporter read, per
device, exactly the objects veille's profile reads (the same GETs and walks).
"""

from __future__ import annotations

import asyncio
import json
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from collector.config import SnmpTarget
from collector.snmp import decode
from collector.snmp.client import SnmpClient
from collector.snmp.counters import CounterState
from collector.snmp.detect import choose
from collector.snmp.device import read_device
from collector.snmp.errors import SnmpError
from collector.snmp.estimate import has_power
from collector.snmp.newprofile import read_offline
from collector.snmp.profiles import Profile, candidates, default_profiles
from collector.snmp.responder import SnmpResponder
from collector.snmp.snmprec import Record, format_oid, load_snmprec

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "snmp"


def devices() -> list[dict[str, Any]]:
    """The recorded devices of ``expected.json``."""
    doc = json.loads((FIXTURES / "expected.json").read_text())
    out: list[dict[str, Any]] = doc["devices"]
    return out


def recording(name: str) -> list[Record]:
    return load_snmprec(FIXTURES / f"{name}.snmprec")


def run_responder(conn: Connection) -> None:
    """Serve every walk until told to stop; sends the UDP port first."""
    agent = SnmpResponder(host="127.0.0.1", port=0)
    for device in devices():
        agent.add_dataset(device["name"], recording(device["name"]))
    conn.send(agent.start())
    conn.recv()
    agent.stop()


def target(device: dict[str, Any], port: int) -> SnmpTarget:
    rating = device.get("estimate") or {}
    return SnmpTarget(
        device_id=device["name"],
        host="127.0.0.1",
        port=port,
        community=SecretStr(device["name"]),
        rated_va=rating.get("rated_va"),
        power_factor=rating.get("power_factor"),
    )


async def _poll_for(port: int, seconds: float, concurrency: int) -> dict[str, Any]:
    client = SnmpClient(concurrency)
    targets = [target(d, port) for d in devices()]
    states = {t.device_id: CounterState() for t in targets}
    slots = asyncio.Semaphore(concurrency)
    polls = errors = 0

    async def one(t: SnmpTarget) -> bool:
        async with slots:
            try:
                await read_device(
                    t, timeout=2.0, retries=1, state=states[t.device_id], client=client
                )
                return True
            except SnmpError:
                return False

    await asyncio.gather(*(one(t) for t in targets))  # detection, not timed
    cpu0, t0 = time.process_time(), time.monotonic()

    async def worker(offset: int) -> None:
        # Like the exporter's HTTP clients: each worker polls device after device, no rounds.
        nonlocal polls, errors
        i = offset
        while time.monotonic() - t0 < seconds:
            if await one(targets[i % len(targets)]):
                polls += 1
            else:
                errors += 1
            i += concurrency

    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
    client.close()
    return {"polls": polls, "errors": errors, "seconds": wall, "cpu_seconds": cpu}


def run_veille(port: int, seconds: float, concurrency: int, conn: Connection) -> None:
    conn.send(asyncio.run(_poll_for(port, seconds, concurrency)))


def profile_for(name: str) -> Profile:
    """The profile veille picks for a recording, found offline (as the poller would)."""
    records = recording(name)
    sys_oid = next((r.value for r in records if r.oid == decode.SYS_OBJECT_ID), None)
    sys_tuple = tuple(int(a) for a in sys_oid.strip(".").split(".")) if sys_oid else None
    found = []
    for p in candidates(default_profiles(), sys_tuple):
        raw = read_offline(p, records)
        if has_power(p, raw):
            found.append((p, raw))
    chosen = choose(sys_tuple, found)
    if chosen is None:
        raise RuntimeError(f"{name}: no profile reads it")
    return chosen[0]


def exporter_config() -> dict[str, Any]:
    """An ``snmp.yml`` (prometheus-snmp-exporter 0.21 format): one module per device.

    Module names are the devices' names; each module GETs the scalars and walks the columns
    that veille's profile for the device reads, with one gauge metric per object.
    """
    modules: dict[str, Any] = {}
    for device in devices():
        name = device["name"]
        records = recording(name)
        scalars, columns = decode.needed_oids(profile_for(name))
        metrics: list[dict[str, Any]] = []
        for i, oid in enumerate(scalars):
            metrics.append(
                {
                    "name": f"veille_s{i}",
                    "oid": format_oid(oid[:-1]),
                    "type": "gauge",
                    "indexes": [],
                }
            )
        for i, col in enumerate(columns):
            rows = [r.oid for r in records if r.oid[: len(col)] == col and len(r.oid) > len(col)]
            depth = max((len(o) - len(col) for o in rows), default=1)
            indexes = [{"labelname": f"i{k}", "type": "gauge"} for k in range(depth)]
            metrics.append(
                {
                    "name": f"veille_c{i}",
                    "oid": format_oid(col),
                    "type": "gauge",
                    "indexes": indexes,
                }
            )
        modules[name] = {
            "get": [format_oid(o) for o in scalars],
            "walk": [format_oid(c) for c in columns],
            "metrics": metrics,
            "version": 2,
            "max_repetitions": 24,
            "retries": 1,
            "timeout": "2s",
            "auth": {"community": name},
        }
    return modules  # 0.21: the top level is the modules (no "modules:" key)
