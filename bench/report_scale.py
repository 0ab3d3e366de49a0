"""The quarterly report at scale: a SQLite ledger of N devices' hourly rows for a quarter, then
``veille-collector report --quarter`` on it, timed, with its peak memory.

    .venv/bin/python bench/report_scale.py [--devices 10000 50000] [--keep]

For each N: generates ``bench/.data/ledger-N.sqlite`` (unless there already) and the inventory
``inventory-N.csv``, then runs the report command in a child process and records its wall time
and peak resident memory (``ru_maxrss`` of the child) in ``bench/results/report_scale.json``.

Fast generation: the schema comes from the Alembic migrations, then the secondary indexes are
dropped, rows are written with ``executemany`` in primary-key order (device, hour) with
``journal_mode=OFF, synchronous=OFF``, and the indexes are created again at the end. The daily
roll-up is written by the generator from the same figures, as the analysis job would.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import random
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
RESULTS = ROOT / "bench" / "results" / "report_scale.json"
QUARTER = "2026-T3"
TZ = "Europe/Paris"
FIRST, NEXT = date(2026, 7, 1), date(2026, 10, 1)
SERVERS_BEHIND_PDUS = 40  # devices in metering chains: their hourly rows are read


def _inventory(n: int) -> list[dict[str, str]]:
    """A plausible estate: two datacentres (facility meter, UPS as IT meter, PDUs, servers
    behind them), then workstations, monitors, network, printers, phones."""
    rows: list[dict[str, str]] = []
    for dc in ("dc-a", "dc-b"):
        rows.append({"id": f"{dc}-meter", "kind": "facility_meter", "datacentre": dc})
        rows.append({"id": f"{dc}-ups", "kind": "ups", "datacentre": dc})
        for p in range(2):
            rows.append({"id": f"{dc}-pdu{p}", "kind": "pdu", "datacentre": dc})
            for s in range(SERVERS_BEHIND_PDUS // 4):
                rows.append(
                    {"id": f"{dc}-pdu{p}-srv{s}", "kind": "server", "metered_by": f"{dc}-pdu{p}"}
                )
    mix = [("desktop", 55), ("laptop", 20), ("monitor", 12), ("switch", 5), ("access_point", 3)]
    mix += [("printer", 3), ("phone", 2)]
    i = 0
    while len(rows) < n:
        for kind, weight in mix:
            for _ in range(weight):
                if len(rows) < n:
                    rows.append({"id": f"{kind}-{i:06d}", "kind": kind, "site": f"site-{i % 40}"})
                    i += 1
    return rows


def _watts(kind: str) -> float:
    return {
        "facility_meter": 30_000.0,
        "ups": 20_000.0,
        "pdu": 6_000.0,
        "server": 300.0,
        "desktop": 45.0,
        "laptop": 15.0,
        "monitor": 20.0,
        "switch": 80.0,
        "access_point": 12.0,
        "printer": 30.0,
        "phone": 4.0,
    }[kind]


def _hours() -> list[datetime]:
    zone = ZoneInfo(TZ)
    start = datetime.combine(FIRST, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(NEXT, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    return [start + timedelta(hours=h) for h in range(int((end - start).total_seconds() // 3600))]


def generate(n: int, db: Path, inv_path: Path) -> dict[str, float]:
    """Write the ledger and the inventory; returns timings (s) and counts."""
    t0 = time.perf_counter()
    inv = _inventory(n)
    with inv_path.open("w", newline="", encoding="utf-8") as fh:
        cols = ["id", "kind", "site", "datacentre", "metered_by"]
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(inv)
    db.unlink(missing_ok=True)
    from collector.ledger import Ledger

    led = Ledger(f"sqlite:///{db}")
    led.migrate()
    led.close()
    conn = sqlite3.connect(db)
    conn.executescript(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-200000;"
        "DROP INDEX IF EXISTS ix_hourly_hour;"
    )
    hours = _hours()
    zone = ZoneInfo(TZ)
    texts = [h.strftime("%Y-%m-%d %H:%M:%S.000000") for h in hours]
    local = [h.astimezone(zone) for h in hours]
    days = [lt.date().isoformat() for lt in local]
    # a working-day profile: full load 8-19 h on weekdays, a tenth otherwise
    profile = [
        1.0 if lt.weekday() < 5 and 8 <= lt.hour < 19 else 0.1 + 0.02 * math.sin(i)
        for i, lt in enumerate(local)
    ]
    rng = random.Random(n)
    hourly_sql = (
        "INSERT INTO hourly_energy (device_id, hour, kwh, coverage, measured_kwh, "
        "estimated_kwh, source, resets, covered, slot_kwh) VALUES (?,?,?,?,?,?,?,0,?,?)"
    )
    # the daily rows go through a staging table, then into daily_energy in key order (day, id)
    conn.execute(
        "CREATE TABLE daily_stage (device_id, day, kwh, measured_kwh, estimated_kwh, "
        "coverage_hours, hours)"
    )
    daily_sql = (
        "INSERT INTO daily_stage (device_id, day, kwh, measured_kwh, estimated_kwh, "
        "coverage_hours, hours) VALUES (?,?,?,?,?,?,?)"
    )
    rows_written = 0
    for dev in sorted(inv, key=lambda r: r["id"]):
        kind, kw = dev["kind"], _watts(dev["kind"]) / 1000 * rng.uniform(0.8, 1.2)
        flat = kind in ("facility_meter", "ups", "pdu", "server", "switch", "access_point")
        chain = "metered_by" in dev or kind == "pdu"
        batch = []
        per_day: dict[str, list[float]] = {}
        for i, text in enumerate(texts):
            kwh = kw * (1.0 if flat else profile[i])
            cov = 1.0 if rng.random() > 0.02 else 0.5
            kwh *= cov
            covered = ("0-3600" if cov == 1.0 else "0-1800") if chain else None
            slots = None
            if chain:
                k = 12 if cov == 1.0 else 6
                slots = ",".join([f"{kwh / k:.6g}"] * k + ["0"] * (12 - k))
            batch.append((dev["id"], text, kwh, cov, kwh, 0.0, "power", covered, slots))
            acc = per_day.setdefault(days[i], [0.0, 0.0, 0.0, 0.0, 0.0])
            acc[0] += kwh
            acc[1] += kwh
            acc[3] += cov
            acc[4] += 1
        conn.executemany(hourly_sql, batch)
        conn.executemany(
            daily_sql,
            [(dev["id"], d, a[0], a[1], a[2], a[3], int(a[4])) for d, a in per_day.items()],
        )
        rows_written += len(batch)
    conn.execute(
        "INSERT INTO daily_energy (day, device_id, kwh, measured_kwh, estimated_kwh, "
        "coverage_hours, hours) SELECT day, device_id, kwh, measured_kwh, estimated_kwh, "
        "coverage_hours, hours FROM daily_stage ORDER BY day, device_id"
    )
    conn.execute("DROP TABLE daily_stage")
    conn.commit()
    t1 = time.perf_counter()
    conn.executescript("CREATE INDEX ix_hourly_hour ON hourly_energy (hour);")
    conn.close()
    t2 = time.perf_counter()
    return {"hourly_rows": rows_written, "insert_s": t1 - t0, "index_s": t2 - t1}


def _check_slots(db: Path) -> None:
    """The generator's covered/slot texts must decode with the ledger's codecs."""
    from collector.analysis.coverage import from_columns

    conn = sqlite3.connect(db)
    row = conn.execute(
        "SELECT covered, slot_kwh FROM hourly_energy WHERE covered IS NOT NULL LIMIT 1"
    ).fetchone()
    conn.close()
    covered, slots = from_columns(row[0], row[1])
    if covered is None or slots is None:
        raise SystemExit(f"generator wrote unreadable covered/slot texts: {row}")


def measure(n: int, db: Path, inv_path: Path, out: Path) -> dict[str, object]:
    """Run ``veille-collector report --quarter`` on the ledger in a child; time and peak RSS."""
    cfg = DATA / f"collector-{n}.toml"
    cfg.write_text(f'inventory = "{inv_path}"\n\n[ledger]\nurl = "sqlite:///{db}"\n')
    cmd = [
        sys.executable,
        "-m",
        "collector.cli",
        "report",
        "-c",
        str(cfg),
        "--quarter",
        QUARTER,
        "--format",
        "csv,json,html",
        "--out",
        str(out),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"report failed ({proc.returncode}):\n{proc.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    load = os.getloadavg()[0]
    steps = [line for line in proc.stderr.splitlines() if line.startswith("report ")]
    return {
        "report_s": wall,
        "report_cpu_s": cpu,
        "peak_rss_mb": after.ru_maxrss / 1024,
        "load_average_1min": load,
        "steps": steps,
    }


def _sizes(ns: list[int]) -> Iterator[int]:
    yield from sorted(set(ns))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, nargs="+", default=[10_000, 50_000])
    ap.add_argument("--keep", action="store_true", help="keep the generated ledgers")
    ap.add_argument("--regenerate", action="store_true")
    args = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": []}
    for n in _sizes(args.devices):
        db, inv = DATA / f"ledger-{n}.sqlite", DATA / f"inventory-{n}.csv"
        gen: dict[str, float] = {}
        fig: dict[str, object]
        if args.regenerate or not db.exists() or not inv.exists():
            print(f"generating {n} devices ...", file=sys.stderr)
            gen = generate(n, db, inv)
            print(f"  {gen}", file=sys.stderr)
        _check_slots(db)
        # each size in its own child: ru_maxrss of RUSAGE_CHILDREN is the max over children,
        # so sizes are measured from the smallest up
        fig = measure(n, db, inv, DATA / f"out-{n}")
        run = {
            "devices": n,
            "quarter": QUARTER,
            "db_bytes": db.stat().st_size,
            **gen,
            **fig,
            "python": platform.python_version(),
            "machine": f"{platform.machine()} {os.cpu_count()} cpu",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        print(json.dumps(run), file=sys.stderr)
        results["runs"] = [r for r in results["runs"] if r["devices"] != n] + [run]
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        if not args.keep:
            db.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
