"""The analysis job's CPU per device: the job by chunks of devices against the job one device
at a time it replaced (``_job_oracle.py``, the oracle of ``tests/collector/test_job_chunks.py``),
on copies of one ledger, alternated so that both see the same machine.

The ledger is ``collector_memory.py``'s: N desktops with ``--hours`` of data (a power estimate
and the uptime every 10 minutes, a state every 30 minutes). Each run is ``collector.jobs.
recompute`` over those hours (hourly kWh, daily roll-up, violations, window outcomes, the
configuration review), in this process, timed with ``time.process_time`` (CPU) and
``time.monotonic`` (wall). Results: ``bench/results/analysis_job.json``.

    nice -n 10 .venv/bin/python bench/analysis_job.py                  # 1,000 devices, 24 h and 1 h
    .venv/bin/python bench/analysis_job.py --devices 200 --hours 1     # a smoke run
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script

from _job_oracle import per_device  # noqa: E402
from _servers import machine  # noqa: E402
from collector_memory import write_inventory, write_ledger  # noqa: E402

from collector.config import CollectorConfig  # noqa: E402
from collector.inventory import Inventory, load_inventory  # noqa: E402
from collector.jobs import JobReport, recompute  # noqa: E402
from collector.ledger import Ledger  # noqa: E402

Job = Callable[[Ledger, Inventory, CollectorConfig, datetime, datetime], JobReport]
JOBS: dict[str, Job] = {
    "per_device": lambda led, inv, cfg, start, now: per_device(led, inv, cfg, start=start, now=now),
    "chunks": lambda led, inv, cfg, start, now: recompute(
        led, inv, cfg, start=start, end=now, now=now
    ),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--devices", type=int, default=1_000)
    p.add_argument("--hours", type=int, nargs="+", default=[24, 1])
    p.add_argument("--repeats", type=int, default=2, help="runs of each job, alternated (2)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "analysis_job.json")
    return p.parse_args(argv)


def one(a: argparse.Namespace, hours: int, workdir: Path) -> dict[str, Any]:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    inventory_file, db = workdir / f"inv-{hours}.toml", workdir / f"ledger-{hours}.sqlite"
    write_inventory(inventory_file, a.devices)
    write_ledger(f"sqlite:///{db}", db, a.devices, hours, 10, now)
    inventory = load_inventory(inventory_file)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in JOBS}
    for k in range(a.repeats):
        for name, job in JOBS.items():
            copy = workdir / f"run-{name}-{k}.sqlite"
            shutil.copy(db, copy)
            ledger = Ledger(f"sqlite:///{copy}")
            cfg = CollectorConfig.model_validate(
                {"ledger": {"url": f"sqlite:///{copy}"}, "analysis": {"lookback_hours": hours}}
            )
            cpu0, wall0 = time.process_time(), time.monotonic()
            report = job(ledger, inventory, cfg, now - timedelta(hours=hours), now)
            cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
            ledger.close()
            copy.unlink()
            runs[name].append({"cpu_seconds": round(cpu, 3), "wall_seconds": round(wall, 3)})
            print(f"{hours:>3} h, {name:>10}: {cpu:6.2f} CPU s ({report.hours:,} hourly rows)")
    median = {n: statistics.median(r["cpu_seconds"] for r in rs) for n, rs in runs.items()}
    return {
        "hours_of_data": hours,
        "runs": runs,
        "cpu_ms_per_device": {n: round(m * 1000 / a.devices, 2) for n, m in median.items()},
        "ratio": round(median["per_device"] / median["chunks"], 2),
    }


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="veille-job-"))
    try:
        sizes = [one(a, hours, workdir) for hours in a.hours]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    import psutil

    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "parameters": {k: v for k, v in vars(a).items() if k != "out"},
        "load_average": list(psutil.getloadavg()),
        "devices": a.devices,
        "sizes": sizes,
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    for s in sizes:
        print(f"{s['hours_of_data']} h of data: CPU ms per device {s['cpu_ms_per_device']}")
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
