"""Log a flood as a trickle: the first few events of each window one by one, then a count.

A hostile or broken sender can make thousands of rejections a second; each is kept as a dead
letter and counted on /metrics, so the log needs only a sample of them and the total.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class RateLimitedLog:
    """At most ``burst`` lines per ``window_seconds``; then one line saying how many were not
    logged, when the next window opens."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        burst: int = 10,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        what: str = "events",
    ) -> None:
        self.logger = logger
        self.burst = burst
        self.window_seconds = window_seconds
        self.clock = clock
        self.what = what
        self._window_start = clock()
        self._logged = 0
        self.suppressed = 0

    def warning(self, msg: str, *args: object) -> None:
        now = self.clock()
        if now - self._window_start >= self.window_seconds:
            self._roll(now)
        if self._logged < self.burst:
            self._logged += 1
            self.logger.warning(msg, *args)
        else:
            self.suppressed += 1

    def _roll(self, now: float) -> None:
        if self.suppressed:
            self.logger.warning(
                "%d more %s in the last %.0f s not logged one by one",
                self.suppressed,
                self.what,
                now - self._window_start,
            )
        self._window_start, self._logged, self.suppressed = now, 0, 0
