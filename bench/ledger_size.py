"""Ledger bytes per device-day, and broker bytes per message, for the sizing table.

Builds the demo's simulated fleet (workstations that sleep at night and at weekends, servers
that never do), sends DAYS days of its messages at the agents' production interval (60 s)
through the collector's own ingest path (``Ingestor``: validation, dedupe, ledger batches)
into a fresh ledger, runs the hourly kWh and violations job as the collector does, then
measures:

- the ledger's size per table (SQLite ``dbstat``; PostgreSQL ``pg_total_relation_size``,
  indexes and TOAST included), split into raw rows (samples, states, message ids: kept
  ``retention.raw_days``) and roll-ups (hourly kWh, violations: kept ``retention.hourly_days``);
- the JSON payload of a telemetry message (what the broker queues for an offline collector).

Output: ``bench/results/ledger_size.json`` and a summary on stdout.
``.venv/bin/python bench/ledger_size.py [--days 2] [--desktops 120 --laptops 60 --servers 20]
[--postgres]`` (``--postgres`` also measures PostgreSQL, started on loopback).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collector.config import CollectorConfig  # noqa: E402
from collector.ingest.pipeline import Ingestor  # noqa: E402
from collector.inventory import Inventory  # noqa: E402
from collector.jobs import recompute  # noqa: E402
from collector.ledger.store import Ledger  # noqa: E402
from collector.metrics import CollectorMetrics  # noqa: E402
from collector.sim.agents import history  # noqa: E402
from collector.sim.fleet import build_fleet  # noqa: E402
from contract.schema import Telemetry, topic  # noqa: E402

INTERVAL = timedelta(seconds=60)  # agent.toml interval_seconds default
RAW_TABLES = ("samples", "states", "messages")
ROLLUP_TABLES = ("hourly_energy", "violations", "violation_events", "policy_windows")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--days", type=int, default=2)
    p.add_argument("--desktops", type=int, default=120)
    p.add_argument("--laptops", type=int, default=60)
    p.add_argument("--servers", type=int, default=20)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--postgres", action="store_true", help="measure PostgreSQL as well")
    p.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "ledger_size.json")
    return p.parse_args(argv)


def fill(url: str, a: argparse.Namespace, now: datetime) -> tuple[int, int, list[int]]:
    """Send the fleet's history into the ledger at ``url``; returns devices, messages, sizes.

    Fails unless every message was stored (none rejected, none lost)."""
    fleet = build_fleet(a.seed, desktops=a.desktops, laptops=a.laptops, servers=a.servers)
    inventory = Inventory(fleet.inventory_devices())
    cfg = CollectorConfig.model_validate({"ledger": {"url": url}, "mqtt": {"embedded": False}})
    ledger = Ledger(url)
    ledger.migrate()
    ingestor = Ingestor(ledger, CollectorMetrics())
    ingestor.start()
    start = now - timedelta(days=a.days)
    seq: dict[str, int] = {}
    sizes: list[int] = []
    for msg in history(fleet, start, now, interval=INTERVAL):
        seq[msg.device_id] = seq.get(msg.device_id, -1) + 1
        payload = Telemetry(
            device_id=msg.device_id,
            seq=seq[msg.device_id],
            sent_at=msg.ts,
            kind=msg.kind,
            readings=msg.readings,
            state=msg.state,
        ).to_json()
        sizes.append(len(payload))
        ingestor.submit(topic(msg.site, msg.device_id, "telemetry"), payload, msg.ts)
    ingestor.wait_idle(600)
    ingestor.stop()
    recompute(ledger, inventory, cfg, start=start, end=now, now=now)
    stored, rejected = ledger.count("messages"), ledger.count("dead_letters")
    ledger.close()
    if stored != len(sizes) or rejected:
        raise SystemExit(f"{len(sizes)} messages sent, {stored} stored, {rejected} rejected")
    return len(fleet.agents()), len(sizes), sizes


def sqlite_tables(path: Path) -> dict[str, int]:
    """Bytes per table, its indexes included (SQLite's dbstat virtual table)."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rows = con.execute(
            "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d "
            "LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1"
        ).fetchall()
    finally:
        con.close()
    return {str(name): int(size) for name, size in rows}


def postgres_tables(url: str) -> dict[str, int]:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r'"
        ).fetchall()
    return {str(name): int(size) for name, size in rows}


def per_device_day(tables: dict[str, int], devices: int, days: int) -> dict[str, Any]:
    raw = sum(tables.get(t, 0) for t in RAW_TABLES)
    rollup = sum(tables.get(t, 0) for t in ROLLUP_TABLES)
    return {
        "tables_bytes": tables,
        "total_bytes": sum(tables.values()),
        "raw_bytes_per_device_day": round(raw / devices / days),
        "rollup_bytes_per_device_day": round(rollup / devices / days),
    }


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    result: dict[str, Any] = {
        "date": now.isoformat(),
        "parameters": {
            **{k: v for k, v in vars(a).items() if k != "output"},
            "interval_seconds": 60,
        },
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.sqlite"
        devices, messages, sizes = fill(f"sqlite:///{path}", a, now)
        result["devices"] = devices
        result["messages"] = messages
        result["payload_bytes"] = {
            "mean": round(statistics.fmean(sizes)),
            "median": int(statistics.median(sizes)),
            "max": max(sizes),
        }
        result["sqlite"] = per_device_day(sqlite_tables(path), devices, a.days)
        result["sqlite"]["file_bytes"] = path.stat().st_size
    if a.postgres:
        from loopback.servers import postgres

        server = postgres()
        try:
            url = server.create_database("veille_size")
            fill(url, a, now)
            result["postgres"] = per_device_day(postgres_tables(url), devices, a.days)
        finally:
            server.stop()
    a.output.parent.mkdir(parents=True, exist_ok=True)
    a.output.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
