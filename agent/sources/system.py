"""Uptime, in seconds since boot, sleep included (``uptime_seconds``, source ``os``).

Linux reads CLOCK_BOOTTIME, which keeps counting while the machine sleeps; elsewhere the boot
time (:mod:`agent.sources.procstat`: /proc/stat or psutil) is subtracted from the wall clock.
Boot time itself goes in the state block.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from agent.sources import procstat
from agent.sources.base import reading
from contract.wire import Quality, Reading, utcnow

NAME = "os"


def uptime_seconds(boot_time: Callable[[], float] = procstat.boot_time) -> float:
    """Seconds since boot, sleep included."""
    if hasattr(time, "CLOCK_BOOTTIME"):
        return time.clock_gettime(time.CLOCK_BOOTTIME)
    return max(0.0, time.time() - boot_time())


def boot_datetime(boot_time: Callable[[], float] = procstat.boot_time) -> datetime:
    """When the machine booted, UTC (to the second, as the kernel's ``btime`` and psutil)."""
    return datetime.fromtimestamp(round(boot_time()), UTC)


class SystemSource:
    """``uptime_seconds`` for the collector: a fall means the machine restarted."""

    def __init__(self, uptime: Callable[[], float] = uptime_seconds) -> None:
        self._uptime = uptime

    def read(self) -> list[Reading]:
        return [reading(utcnow(), "uptime_seconds", self._uptime(), NAME, Quality.MEASURED)]
