"""Where a process's CPU goes, as the kernel counts it: for ``agent_footprint.py``.

Two counts of the same CPU time, taken together every few seconds:
- psutil's ``cpu_times()`` (``/proc/<pid>/stat``): user + system of every thread, living or
  gone, plus the commands the process ran and waited for (``children_*``: systemd-inhibit,
  gsettings, the configuration check at start-up), in clock ticks (10 ms);
- ``/proc/<pid>/task/<tid>/schedstat`` per thread: nanoseconds on the CPU and how many times
  the kernel gave it the CPU (a wake-up, mostly). The wake-ups are the figure that does not
  move with the machine's load; the nanoseconds do, on a shared VM (each wake-up costs more
  when the caches are cold and the host takes the CPU away: "steal").
And the machine: load average and the share of its CPU time that was busy or stolen.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import psutil


@dataclass
class Sample:
    t: float  # monotonic
    cpu: float  # psutil: user + system + children, s
    children: float  # of which the children, s
    threads: dict[int, tuple[str, int, int]]  # tid -> (comm, ns on CPU, times run)
    rss: int
    uss: int


def threads_of(pid: int) -> dict[int, tuple[str, int, int]]:
    out: dict[int, tuple[str, int, int]] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as fh:
                comm = fh.read().strip()
            with open(f"/proc/{pid}/task/{tid}/schedstat") as fh:
                ns, _wait, runs = (int(x) for x in fh.read().split()[:3])
        except (OSError, ValueError):
            continue
        out[int(tid)] = (comm, ns, runs)
    return out


@dataclass
class Sampler:
    """RSS, USS, CPU time and wake-ups of one process over time."""

    name: str
    pid: int
    samples: list[Sample] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.proc = psutil.Process(self.pid)

    def sample(self) -> None:
        with self.proc.oneshot():
            cpu = self.proc.cpu_times()
            mem = self.proc.memory_full_info()
        children = cpu.children_user + cpu.children_system
        self.samples.append(
            Sample(
                time.monotonic(),
                cpu.user + cpu.system + children,
                children,
                threads_of(self.pid),
                mem.rss,
                mem.uss,
            )
        )

    def report(self, started: float, steady_from: float) -> dict[str, Any]:
        """Figures over the steady state (samples from ``steady_from`` on); start-up apart."""
        steady = [s for s in self.samples if s.t >= steady_from]
        first, last = steady[0], steady[-1]
        span = last.t - first.t
        cpu = last.cpu - first.cpu
        threads = []
        ns_total = runs_total = 0
        for tid, (comm, ns, runs) in sorted(last.threads.items()):
            ns0, runs0 = first.threads.get(tid, (comm, 0, 0))[1:]
            ns_total += ns - ns0
            runs_total += runs - runs0
            threads.append({
                "tid": tid,
                "main": tid == self.pid,
                "comm": comm,
                "cpu_seconds_steady": round((ns - ns0) / 1e9, 4),
                "wakeups_steady": runs - runs0,
            })  # fmt: skip
        children = last.children - first.children
        precise = ns_total / 1e9 + children

        def per_hour(v: float) -> float | None:
            return round(v / span * 3600, 3) if span else None

        return {
            "pid": self.pid,
            "rss_bytes_last": last.rss,
            "rss_bytes_max": max(s.rss for s in self.samples),
            "uss_bytes_last": last.uss,
            "startup_seconds": round(steady_from - started, 1),
            "cpu_seconds_startup": round(first.cpu, 3),
            "cpu_seconds_steady": round(cpu, 3),
            "children_cpu_seconds_steady": round(children, 3),
            "steady_span_seconds": round(span, 1),
            "cpu_seconds_per_hour": per_hour(cpu),
            "core_percent": round(cpu / span * 100, 4) if span else None,
            # The same from the threads' nanoseconds (plus the children's ticks): not rounded
            # to 10 ms, so it can be read over a short run.
            "cpu_seconds_per_hour_ns": per_hour(precise),
            "core_percent_ns": round(precise / span * 100, 5) if span else None,
            "wakeups_per_hour": per_hour(runs_total),
            "threads": threads,
            "timeline": [  # (s since start, CPU s (ticks), RSS bytes, threads' CPU ns, runs)
                (
                    round(s.t - started, 1),
                    round(s.cpu, 3),
                    s.rss,
                    sum(v[1] for v in s.threads.values()),
                    sum(v[2] for v in s.threads.values()),
                )
                for s in self.samples
            ],
        }


def machine_ticks() -> tuple[int, int, int]:
    """(all, busy, steal) clock ticks of the whole machine since boot (/proc/stat)."""
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = f
    return sum(f), user + nice + system + irq + softirq, steal


def machine_load(before: tuple[int, int, int], after: tuple[int, int, int]) -> dict[str, Any]:
    """How loaded the machine was between two :func:`machine_ticks`, all cores together."""
    total = max(after[0] - before[0], 1)
    return {
        "busy_percent": round((after[1] - before[1]) / total * 100, 1),
        "steal_percent": round((after[2] - before[2]) / total * 100, 2),
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
    }
