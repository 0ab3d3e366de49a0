"""Sleep seen after the fact: the clock that counts sleep runs ahead of the one that does not.

Linux: CLOCK_BOOTTIME counts suspend, CLOCK_MONOTONIC does not, so their difference grows by
the time spent asleep. Windows: GetTickCount64 counts sleep, QueryUnbiasedInterruptTime does
not. Each poll compares the difference with the previous one; a growth over ``threshold``
seconds is a sleep that ended "now" (the end is as precise as the poll: at once on Linux,
where the kernel wakes the run loop on resume, within 5 s elsewhere; :mod:`agent.wake`). Intervals
wait in a bounded list until the next report takes them; overflow is counted.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from contract.wire import SleptInterval, utcnow

Clocks = Callable[[], tuple[float, float]]
"""(seconds counting sleep, seconds not counting it), same origin."""


def linux_clocks() -> tuple[float, float]:
    return time.clock_gettime(time.CLOCK_BOOTTIME), time.clock_gettime(time.CLOCK_MONOTONIC)


def windows_clocks() -> tuple[float, float]:  # pragma: no cover - Windows only
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    kernel32.GetTickCount64.restype = ctypes.c_ulonglong
    unbiased = ctypes.c_ulonglong()
    kernel32.QueryUnbiasedInterruptTime(ctypes.byref(unbiased))
    return kernel32.GetTickCount64() / 1e3, unbiased.value / 1e7


def system_clocks() -> Clocks | None:
    if hasattr(time, "CLOCK_BOOTTIME"):
        return linux_clocks
    if sys.platform == "win32":
        return windows_clocks
    return None


class SleepDetector:
    """Turns growth of (sleep-counting clock - other clock) into SleptIntervals."""

    def __init__(
        self,
        clocks: Clocks,
        *,
        wall: Callable[[], datetime] = utcnow,
        threshold_seconds: float = 2.0,
        max_pending: int = 100,
    ) -> None:
        self._clocks = clocks
        self._wall = wall
        self.threshold_seconds = threshold_seconds
        self.max_pending = max_pending
        self._gap: float | None = None
        self._pending: list[SleptInterval] = []
        self.dropped_total = 0

    def poll(self) -> bool:
        """Check the clocks; True if a sleep ended since the previous poll."""
        counting, other = self._clocks()
        gap = counting - other
        previous, self._gap = self._gap, gap
        if previous is None or gap - previous < self.threshold_seconds:
            return False
        end = self._wall()
        self._pending.append(SleptInterval(start=end - timedelta(seconds=gap - previous), end=end))
        if len(self._pending) > self.max_pending:
            del self._pending[0]
            self.dropped_total += 1
        return True

    def take(self) -> list[SleptInterval]:
        """The intervals seen since the last call (for the next report)."""
        out, self._pending = self._pending, []
        return out

    def give_back(self, intervals: list[SleptInterval]) -> None:
        """Put intervals back in front (their report could not be stored)."""
        self._pending[:0] = intervals
        overflow = len(self._pending) - self.max_pending
        if overflow > 0:
            del self._pending[:overflow]
            self.dropped_total += overflow
