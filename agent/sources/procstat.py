"""The few host figures the agent needs, read from /proc on Linux, psutil elsewhere.

psutil costs the running service about 1 MB of memory (bench/README.md, "Agent footprint")
for four figures that Linux gives in two files; these readers give what psutil gives there
(the same files, the same arithmetic: ``tests/agent/test_procstat.py`` compares them with
psutil), and fall back to psutil where /proc is not there (Windows, macOS).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

PROC_STAT = Path("/proc/stat")


def _stat_lines(path: Path) -> list[str] | None:
    try:
        return path.read_text().splitlines()
    except OSError:
        return None


def cpu_busy_total(path: Path = PROC_STAT) -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, as psutil.cpu_times()
    counts them: all ten fields of /proc/stat's ``cpu`` line, idle = idle + iowait."""
    lines = _stat_lines(path)
    if lines and lines[0].startswith("cpu "):
        ticks = os.sysconf("SC_CLK_TCK")
        fields = [int(x) / ticks for x in lines[0].split()[1:11]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
        total = sum(fields)
        return total - idle, total
    import psutil

    t = psutil.cpu_times()
    total = sum(t)
    return total - (t.idle + getattr(t, "iowait", 0.0)), total


def boot_time(path: Path = PROC_STAT) -> float:
    """When the machine booted, seconds since the epoch (/proc/stat ``btime``, as psutil)."""
    for line in _stat_lines(path) or []:
        if line.startswith("btime "):
            return float(line.split()[1])
    import psutil

    return float(psutil.boot_time())


class BootTime:
    """:func:`boot_time`, read from /proc/stat again only when the wall clock was stepped.

    The kernel's ``btime`` is the wall clock minus CLOCK_BOOTTIME, truncated to the second: it
    moves only when the wall clock is set (NTP's slewing moves both clocks alike). Each call
    compares the two clocks (two cheap reads, no file); /proc/stat, which the kernel builds
    whole for every CPU and interrupt at each read, is read again when that difference moved
    by more than ``slack`` seconds since the last read, or lies within ``slack`` of a whole
    second (where the truncation could flip). Without CLOCK_BOOTTIME: every call reads.
    """

    def __init__(
        self,
        read: Callable[[], float] = boot_time,
        *,
        offset: Callable[[], float] | None = None,
        slack: float = 0.001,
    ) -> None:
        self._read = read
        self._offset = offset
        if offset is None and hasattr(time, "CLOCK_BOOTTIME"):
            self._offset = lambda: time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
        self._slack = slack
        self._last: tuple[float, float] | None = None  # (clocks' difference, btime)
        self.reads = 0

    def __call__(self) -> float:
        if self._offset is None:
            return self._read()
        offset = self._offset()
        last = self._last
        near_flip = abs(offset - round(offset)) < self._slack
        if last is None or near_flip or abs(offset - last[0]) > self._slack:
            self.reads += 1
            last = self._last = (offset, self._read())
        return last[1]


def logical_cpus() -> int:
    """Logical CPUs online (what psutil.cpu_count() says)."""
    return os.cpu_count() or 1


def memory_bytes() -> int:
    """Physical memory, bytes (psutil.virtual_memory().total: MemTotal)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        import psutil

        return int(psutil.virtual_memory().total)
