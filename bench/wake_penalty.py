"""What the same CPU work costs right after the process has slept, on this machine.

The agent's 60 s round costs 0.4 ms of CPU when rounds run back to back, and 25 to 80 ms in
the footprint runs (bench/README.md, "Agent footprint"). This measures the machine, not the
agent: one fixed piece of Python work (a loop, then a JSON encoding of 50 readings, about
what a round does) timed with the thread's own CPU clock and the wall clock, back to back and
after sleeping 0.1, 1, 5 and 60 s. On an ordinary machine the figures barely move; where they
grow with the sleep, any program that wakes once a minute (the agent, node_exporter) pays it
at each wake-up, whatever its own work.

    .venv/bin/python bench/wake_penalty.py            # about 6 minutes (five 60 s sleeps)
    .venv/bin/python bench/wake_penalty.py --quick    # without the 60 s sleeps

Writes ``bench/results/wake_penalty.json`` (``--out``): per sleep, each repeat's CPU and wall
milliseconds, their medians, and the median CPU's ratio to back to back.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
READINGS = [
    {"ts": f"2026-12-02T06:{m:02d}:00Z", "metric": "power_watts", "value": 20.0 + m,
     "source": "rapl", "quality": "measured", "component": "package-0"}
    for m in range(50)
]  # fmt: skip


def work() -> int:
    """The fixed work: about 0.5 ms back to back on this machine."""
    total = 0
    for i in range(10_000):
        total += i * i
    return total + len(json.dumps({"readings": READINGS}))


def measure(pause: float, repeats: int) -> dict[str, Any]:
    runs = []
    for _ in range(repeats):
        if pause:
            time.sleep(pause)
        cpu, wall = time.thread_time_ns(), time.perf_counter_ns()
        work()
        runs.append(
            {
                "cpu_ms": round((time.thread_time_ns() - cpu) / 1e6, 3),
                "wall_ms": round((time.perf_counter_ns() - wall) / 1e6, 3),
            }
        )
    return {
        "sleep_seconds": pause,
        "runs": runs,
        "cpu_ms_median": statistics.median(r["cpu_ms"] for r in runs),
        "wall_ms_median": statistics.median(r["wall_ms"] for r in runs),
    }


def steal_ticks() -> int:
    """Ticks the host took from this VM (``/proc/stat``, the cpu line's 8th value)."""
    with open("/proc/stat", encoding="ascii") as fh:
        return int(fh.readline().split()[8])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="without the 60 s sleeps")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/wake_penalty.json")
    a = p.parse_args(argv)
    pauses = [0.0, 0.1, 1.0, 5.0] + ([] if a.quick else [60.0])
    steal0, load = steal_ticks(), os.getloadavg()
    for _ in range(20):
        work()  # warm: imports, the JSON encoder's caches
    sizes = []
    for pause in pauses:
        sizes.append(measure(pause, a.repeats))
        s = sizes[-1]
        cpu, wall = s["cpu_ms_median"], s["wall_ms_median"]
        print(f"after {pause:5.1f} s asleep: {cpu:7.3f} ms CPU, {wall:7.3f} ms wall", flush=True)
    hot = sizes[0]["cpu_ms_median"] or 1e-9
    for s in sizes:
        s["cpu_ratio_to_back_to_back"] = round(s["cpu_ms_median"] / hot, 2)
    result = {
        "date": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "machine": {
            "nproc": os.cpu_count(),
            "kernel": platform.release(),
            "python": platform.python_version(),
        },
        "load_average_at_start": load,
        "steal_ticks_during_run": steal_ticks() - steal0,
        "sizes": sizes,
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
