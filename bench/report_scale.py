"""The quarterly report at scale: a ledger of N devices' hourly rows and every workstation's
judged sleep window for a quarter, then ``veille-collector report --quarter`` on it, timed,
with its CPU time and peak memory.

    .venv/bin/python bench/report_scale.py [--devices 10000 50000] [--keep]
    .venv/bin/python bench/report_scale.py --backend postgresql --devices 1000 2000

For each N: generates ``bench/.data/ledger-N.sqlite`` (unless there already) and the inventory
``inventory-N.csv``, then runs the report command in a child process and records its wall time,
CPU time and peak resident memory (the child's own ``ru_maxrss``) in
``bench/results/report_scale.json``, and checks that the report's sleep-compliance totals are
the generated windows'. ``--backend postgresql`` copies the same ledger into a PostgreSQL
started on loopback (``loopback.servers.postgres``), runs the report on it (the server's CPU
time is recorded beside the child's), runs it on SQLite too, and checks that both give the
same figures in every CSV.

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
sys.path.insert(0, str(ROOT))  # run as a script: loopback/servers.py starts PostgreSQL

from _report_pg import same_figures, to_postgres, tree_cpu  # noqa: E402

DATA = ROOT / "bench" / ".data"
RESULTS = ROOT / "bench" / "results" / "report_scale.json"
QUARTER = "2026-T3"
TZ = "Europe/Paris"
FIRST, NEXT = date(2026, 7, 1), date(2026, 10, 1)
SERVERS_BEHIND_PDUS = 40  # devices in metering chains: their hourly rows are read
#: the sleep windows' outcomes, and their weights (a plausible estate: most comply)
OUTCOMES = (("compliant", 80), ("violated", 10), ("unknown", 7), ("exempt", 3))
WORKSTATIONS = ("desktop", "laptop")
_TALLIED = "status, window_end, wasted_quality, kwh_wasted, kwh_avoided"
#: the secondary indexes of policy_windows (as the migrations make them), created after the rows
WINDOW_INDEXES = (
    "ix_policy_windows_start ON policy_windows (window_start)",
    f"ix_policy_windows_device_tally ON policy_windows (policy_group, device_id, {_TALLIED})",
    f"ix_policy_windows_night_tally ON policy_windows (policy_group, window_start, {_TALLIED})",
)


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
    windows = _windows(conn, inv, rng)
    conn.commit()
    t1 = time.perf_counter()
    conn.executescript(
        "CREATE INDEX ix_hourly_hour ON hourly_energy (hour);"
        + "".join(f"CREATE INDEX {index};" for index in WINDOW_INDEXES)
    )
    conn.close()
    t2 = time.perf_counter()
    return {"hourly_rows": rows_written, **windows, "insert_s": t1 - t0, "index_s": t2 - t1}


def _nights() -> list[tuple[str, str]]:
    """(start, end) UTC texts of every night's window, 19:00 to 07:00 local, from the eve of
    the quarter to its last night; the report counts those that ended inside the quarter."""
    zone = ZoneInfo(TZ)

    def text(day: date, hour: int) -> str:
        local = datetime.combine(day, datetime.min.time(), tzinfo=zone).replace(hour=hour)
        return local.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.000000")

    days = (NEXT - FIRST).days + 1
    eve = FIRST - timedelta(days=1)
    return [
        (text(eve + timedelta(days=i), 19), text(eve + timedelta(days=i + 1), 7))
        for i in range(days)
    ]


def _windows(
    conn: sqlite3.Connection, inv: list[dict[str, str]], rng: random.Random
) -> dict[str, float]:
    """Every workstation's judged window of every night, in key order (device, start), as the
    analysis job writes them; returns the figures the report must find (windows that ended in
    the quarter, by outcome, and their kWh)."""
    for index in WINDOW_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {index.split()[0]}")
    sql = (
        "INSERT INTO policy_windows (device_id, window_start, window_end, policy_group, status, "
        "kwh_wasted, wasted_quality, kwh_avoided, slept_seconds) VALUES (?,?,?,?,?,?,?,?,?)"
    )
    nights = _nights()
    quarter_end = _hours()[-1] + timedelta(hours=1)
    last_text = quarter_end.strftime("%Y-%m-%d %H:%M:%S.000000")
    names = [o for o, _ in OUTCOMES]
    weights = [w for _, w in OUTCOMES]
    expect: dict[str, float] = {f"windows_{o}": 0 for o in names}
    expect |= {"kwh_wasted": 0.0, "kwh_avoided": 0.0}
    written = 0
    for dev in sorted((d for d in inv if d["kind"] in WORKSTATIONS), key=lambda r: r["id"]):
        idle_kw = _watts(dev["kind"]) / 1000
        rows = []
        statuses = rng.choices(names, weights, k=len(nights))
        for (start, end), status in zip(nights, statuses, strict=True):
            wasted = avoided = slept = 0.0
            quality = "estimated"
            if status == "violated":
                wasted = round(idle_kw * rng.uniform(1.0, 12.0), 6)
                quality = "measured" if rng.random() < 0.5 else "estimated"
            elif status == "compliant":
                slept = rng.uniform(8.0, 12.0) * 3600
                avoided = round(idle_kw * slept / 3600, 6)
            rows.append(
                (dev["id"], start, end, "workstations", status, wasted, quality, avoided, slept)
            )
            if end <= last_text:
                expect[f"windows_{status}"] += 1
                expect["kwh_wasted"] += wasted
                expect["kwh_avoided"] += avoided
        conn.executemany(sql, rows)
        written += len(rows)
    return {"window_rows": written, **expect}


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


def measure(
    n: int, url: str, inv_path: Path, out: Path, server_pid: int | None = None
) -> dict[str, object]:
    """Run ``veille-collector report --quarter`` on the ledger at ``url`` in a child: wall
    time, CPU time (user + sys of the child; and of the database server ``server_pid`` and its
    children, for PostgreSQL) and peak RSS."""
    cfg = DATA / f"collector-{n}.toml"
    cfg.write_text(f'inventory = "{inv_path}"\n\n[ledger]\nurl = "{url}"\n')
    cmd = [
        sys.executable,
        "-c",
        CHILD,
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
    server_before = tree_cpu(server_pid)
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
    run: dict[str, object] = {
        "report_s": wall,
        "report_cpu_s": cpu,
        "peak_rss_mb": _child_rss_kb(proc.stderr) / 1024,
        "load_average_1min": load,
        "steps": steps,
    }
    if server_pid is not None:
        run["server_cpu_s"] = tree_cpu(server_pid) - server_before
    return run


#: the report command, printing its own peak RSS at the end (``RUSAGE_CHILDREN`` would give the
#: largest of every child so far: the PostgreSQL server's ``initdb`` among them)
CHILD = (
    "import resource, sys\n"
    "from collector.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('peak_rss_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _child_rss_kb(stderr: str) -> float:
    line = next(x for x in stderr.splitlines() if x.startswith("peak_rss_kb "))
    return float(line.split()[1])


def check_sleep(out: Path, gen: dict[str, float]) -> dict[str, object]:
    """The report's sleep totals against the generated windows (an error if they differ)."""
    with (out / f"{QUARTER}_sleep.csv").open(encoding="utf-8") as fh:
        total = next(r for r in csv.DictReader(fh) if r["scope"] == "total")
    got = {f"windows_{o}": int(total[f"windows_{o}"]) for o, _ in OUTCOMES}
    wasted = float(total["kwh_wasted_measured"]) + float(total["kwh_wasted_estimated"])
    avoided = float(total["kwh_avoided_estimated"])
    if gen:
        for k, v in got.items():
            if v != gen[k]:
                raise SystemExit(f"report counts {v} {k}, the generator wrote {gen[k]}")
        for k, x in (("kwh_wasted", wasted), ("kwh_avoided", avoided)):
            if not math.isclose(x, gen[k], rel_tol=1e-9):
                raise SystemExit(f"report sums {x} {k}, the generator wrote {gen[k]}")
    return {
        "sleep_windows_read": sum(got.values()),
        "compliance_rate": float(total["compliance_rate"]),
    }


def _sizes(ns: list[int]) -> Iterator[int]:
    yield from sorted(set(ns))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, nargs="+", default=[10_000, 50_000])
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--keep", action="store_true", help="keep the generated ledgers")
    ap.add_argument("--regenerate", action="store_true")
    args = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": []}
    server = None
    if args.backend == "postgresql":
        from loopback.servers import postgres

        server = postgres()
    try:
        for n in _sizes(args.devices):
            run = _one_size(n, args.backend, server, args.regenerate)
            print(json.dumps(run), file=sys.stderr)
            results["runs"] = [
                r
                for r in results["runs"]
                if (r["devices"], r.get("backend", "sqlite")) != (n, args.backend)
            ] + [run]
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(results, indent=2) + "\n")
            if not args.keep:
                (DATA / f"ledger-{n}.sqlite").unlink()
    finally:
        if server is not None:
            server.stop()
    return 0


def _one_size(n: int, backend: str, server: object, regenerate: bool) -> dict[str, object]:
    db, inv = DATA / f"ledger-{n}.sqlite", DATA / f"inventory-{n}.csv"
    gen: dict[str, float] = {}
    expect_path = DATA / f"expect-{n}.json"
    if regenerate or not db.exists() or not inv.exists() or not expect_path.exists():
        print(f"generating {n} devices ...", file=sys.stderr)
        gen = generate(n, db, inv)
        print(f"  {gen}", file=sys.stderr)
        expect_path.write_text(json.dumps(gen))
    expected = json.loads(expect_path.read_text())
    _check_slots(db)
    from collector.ledger import Ledger

    led = Ledger(f"sqlite:///{db}")  # a ledger generated before a migration: bring it up to
    led.migrate()  # date here, not inside the measured report
    led.close()
    extra: dict[str, object] = {}
    # each report in its own child, which prints its own peak RSS
    if backend == "postgresql":
        from loopback.servers import _Postgres

        assert isinstance(server, _Postgres) and server.proc is not None
        url = server.create_database(f"report_{n}")
        extra["copy_s"] = to_postgres(db, url)
        fig = measure(n, url, inv, DATA / f"out-pg-{n}", server.proc.pid)
        sqlite_fig = measure(n, f"sqlite:///{db}", inv, DATA / f"out-{n}")
        diffs = same_figures(DATA / f"out-{n}", DATA / f"out-pg-{n}", QUARTER)
        if diffs:
            raise SystemExit("PostgreSQL and SQLite differ:\n" + "\n".join(diffs[:20]))
        extra["same_figures_as_sqlite"] = True
        extra["sqlite_report_s"] = sqlite_fig["report_s"]
        extra["sqlite_report_cpu_s"] = sqlite_fig["report_cpu_s"]
        out = DATA / f"out-pg-{n}"
    else:
        fig = measure(n, f"sqlite:///{db}", inv, DATA / f"out-{n}")
        out = DATA / f"out-{n}"
    return {
        "devices": n,
        "backend": backend,
        "quarter": QUARTER,
        "db_bytes": db.stat().st_size,
        **gen,
        **fig,
        **check_sleep(out, expected),
        **extra,
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


if __name__ == "__main__":
    sys.exit(main())
