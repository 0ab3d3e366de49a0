"""The agent's loop: every ``interval_seconds`` read the state and the sources, then submit.

Sources are read in their registry order; one that fails is logged and skipped, the round goes
on. One that is unavailable for a lasting cause (no such hardware, a tool not installed, a file
not readable: ``SourceUnavailable(lasting=True)``) is tried again after ``retry_seconds``
(an hour), not every round: a machine without RAPL, BMC or battery no longer scans
``/sys/class/powercap``, ``/dev`` and ``/sys/class/power_supply`` for them every minute, nor
tries a missing ``ipmitool``; a restart tries at once. The fallback (the model estimate) is
read only when no source measured the whole device's ``power_watts`` (a reading without a
component). Between rounds the loop sleeps in one blocking wait (:mod:`agent.wake`): on Linux
the kernel wakes it on a resume from sleep (a clock-jump timerfd), elsewhere it wakes every
5 s to compare two clocks; either way a resume is reported at once. ``run_once`` builds the
message without sending it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from agent.settings import AgentConfig
from agent.sources import FALLBACK, Source, SourceUnavailable
from agent.spool import SpoolError
from agent.state.reader import StateReader
from agent.transport import Publisher
from agent.wake import Waiter, system_waiter
from contract.wire import Quality, Reading, StateBlock, Telemetry, utcnow

log = logging.getLogger(__name__)


def measures_whole_device(readings: list[Reading]) -> bool:
    return any(
        r.metric == "power_watts" and r.component is None and r.quality is Quality.MEASURED
        for r in readings
    )


class Agent:
    """Collects readings and the state block, and hands them to the publisher."""

    def __init__(
        self,
        config: AgentConfig,
        sources: Mapping[str, Source],
        state_reader: StateReader,
        publisher: Publisher | None,
        *,
        on_collect: Callable[[list[Reading], StateBlock], None] | None = None,
        waiter: Waiter | None = None,
        retry_seconds: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.sources = dict(sources)
        self.state_reader = state_reader
        self.publisher = publisher
        self.on_collect = on_collect
        self.errors_total: dict[str, int] = {}
        self._warned: set[str] = set()
        self._waiter = waiter
        self.retry_seconds = retry_seconds
        self._clock = clock
        self._retry_at: dict[str, float] = {}

    def _read(self, name: str, source: Source) -> list[Reading]:
        retry_at = self._retry_at.get(name)
        if retry_at is not None and self._clock() < retry_at:
            return []  # unavailable for a lasting cause: not tried again yet
        try:
            readings = source.read()
            self._retry_at.pop(name, None)
            return readings
        except SourceUnavailable as exc:
            if name not in self._warned:
                log.warning("source %s unavailable: %s", name, exc)
                self._warned.add(name)
            if exc.lasting:
                self._retry_at[name] = self._clock() + self.retry_seconds
        except Exception:
            log.exception("source %s failed", name)
        self.errors_total[name] = self.errors_total.get(name, 0) + 1
        return []

    def collect(self) -> tuple[list[Reading], StateBlock]:
        """Read the state block, then every source (the fallback only if needed)."""
        state = self.state_reader.read()
        readings: list[Reading] = []
        for name, source in self.sources.items():
            if name not in FALLBACK:
                readings.extend(self._read(name, source))
        if not measures_whole_device(readings):
            for name, source in self.sources.items():
                if name in FALLBACK:
                    readings.extend(self._read(name, source))
        if self.on_collect is not None:
            self.on_collect(readings, state)
        return readings, state

    def run_once(self) -> Telemetry:
        """One message as it would be sent (seq 0, nothing stored, nothing sent)."""
        readings, state = self.collect()
        return Telemetry(
            device_id=self.config.device_id,
            seq=0,
            sent_at=utcnow(),
            kind=self.config.kind,
            readings=readings,
            state=state,
        )

    def _round(self) -> None:
        readings, state = self.collect()
        if self.publisher is None:
            return
        try:
            self.publisher.submit(readings, state, self.config.kind)
        except SpoolError as exc:
            log.error("could not store telemetry: %s", exc)

    def wake(self) -> None:
        """Make :meth:`run_forever` look at its ``stop`` event now (call it after setting
        the event; a signal handler may). Without it, a stop is seen at the next round."""
        if self._waiter is not None:
            self._waiter.wake()

    def run_forever(self, stop: threading.Event) -> None:
        """Report every interval until ``stop`` is set; report at once after a resume."""
        poll_sleep = getattr(self.state_reader, "poll_sleep", None)
        own = self._waiter is None
        waiter = self._waiter = self._waiter or system_waiter()
        try:
            self._loop(stop, waiter, poll_sleep)
        finally:
            if own:
                waiter.close()
                self._waiter = None

    def _loop(
        self, stop: threading.Event, waiter: Waiter, poll_sleep: Callable[[], bool] | None
    ) -> None:
        interval = self.config.interval_seconds
        next_round = time.monotonic()
        while not stop.is_set():
            now = time.monotonic()
            if now >= next_round:
                self._round()
                next_round = max(next_round + interval, time.monotonic())
                continue
            jumped = waiter.wait(next_round - now)
            if jumped and poll_sleep is not None and not stop.is_set() and poll_sleep():
                log.info("resumed from sleep: reporting now")
                next_round = time.monotonic()
