"""CPU cost of the store path alone: the Ingestor (validation, SQLite ledger) without MQTT.

The benchmark's 20,000 messages of 50 readings (``_servers.build_messages``) are queued first,
then the Ingestor's worker stores them into a SQLite ledger on a temporary directory; reported
are the process's CPU seconds (user + system, from ``getrusage``) and wall seconds for that,
and readings per CPU second. CPU time barely depends on what else the machine runs, so this
compares two versions of the code fairly on a shared machine: run it in a checkout of each
(see bench/README.md). Writes ``bench/results/ingest_cpu.json`` (``--out`` to change).

    .venv/bin/python bench/ingest_cpu.py [--messages 20000] [--runs 3] [--label L] [--out FILE]
    .venv/bin/python bench/ingest_cpu.py --writer-process   # ledger.writer_process: the
        # writer child's CPU is counted too
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _servers import Load, build_messages, machine  # noqa: E402

from collector.ingest.pipeline import Ingestor  # noqa: E402
from collector.ledger import Ledger  # noqa: E402
from collector.ledger.writer import LedgerWriter  # noqa: E402
from collector.metrics import CollectorMetrics  # noqa: E402

READINGS = 50
DEVICES = 200


def cpu_seconds() -> float:
    """This process's CPU seconds, and its live children's (the ledger writer)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    kids = psutil.Process().children(recursive=True)
    return (
        usage.ru_utime
        + usage.ru_stime
        + sum(c.cpu_times().user + c.cpu_times().system for c in kids)
    )


def one_run(messages: list[tuple[str, bytes]], writer_process: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="veille-ingest-cpu-") as tmp:
        ledger = Ledger(f"sqlite:///{Path(tmp) / 'ledger.sqlite'}")
        ledger.migrate()
        writer = None
        if writer_process:
            writer = LedgerWriter(ledger.url, dead_letter_payload_bytes=16_384)
            writer.count_online()  # started before the clock
        target = writer or ledger
        ingestor = Ingestor(target, CollectorMetrics(), max_queue=len(messages) + 1)
        for name, payload in messages:
            ingestor.submit(name, payload)
        cpu0, wall0 = cpu_seconds(), time.monotonic()
        ingestor.start()
        if not ingestor.wait_idle(1800):
            raise RuntimeError("the ingestor did not finish in 30 minutes")
        cpu, wall = cpu_seconds() - cpu0, time.monotonic() - wall0
        ingestor.stop()
        if writer is not None:
            writer.close()
        samples = ledger.count("samples")
        ledger.close()
    if samples != len(messages) * READINGS:
        raise RuntimeError(f"{samples} samples stored, {len(messages) * READINGS} sent")
    return {
        "cpu_seconds": round(cpu, 2),
        "wall_seconds": round(wall, 2),
        "readings_per_cpu_second": round(samples / cpu, 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--messages", type=int, default=20_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--writer-process", action="store_true", help="ledger.writer_process")
    p.add_argument("--label", help="which code this is (default: git HEAD of this checkout)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ingest_cpu.json")
    a = p.parse_args(argv)
    gc.set_threshold(50_000, 20, 100)  # as the collector sets it
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)
    messages = build_messages(Load(DEVICES, a.messages, READINGS, t0, 60.0), 0, 1)
    runs = [one_run(messages, a.writer_process) for _ in range(a.runs)]
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "code": a.label or commit or "unknown (not a git checkout)",
        "writer_process": a.writer_process,
        "messages": len(messages),
        "readings": len(messages) * READINGS,
        "runs": runs,
        "best_readings_per_cpu_second": max(r["readings_per_cpu_second"] for r in runs),
    }
    for r in runs:
        rate = r["readings_per_cpu_second"]
        print(f"{r['cpu_seconds']} CPU s, {r['wall_seconds']} s: {rate:,.0f} readings per CPU s")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
