"""The few host figures the agent needs, read from /proc on Linux, psutil elsewhere.

psutil costs the running service about 1 MB of memory (bench/README.md, "Agent footprint")
for four figures that Linux gives in two files; these readers give what psutil gives there
(the same files, the same arithmetic: ``tests/agent/test_procstat.py`` compares them with
psutil), and fall back to psutil where /proc is not there (Windows, macOS).
"""

from __future__ import annotations

import os
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
