"""The state block for the sleep policy, assembled from small probes that may each fail.

A probe is a function returning one fact (idle seconds, sleep settings, blockers, on
battery, boot time). :class:`Guarded` keeps a failing probe from costing a subprocess every
minute: after a failure it is retried only after ``retry_seconds`` (600 s), after an hour
when the command is not installed or not allowed (``missing``, ``denied``: an administrator's
fix, which a restart picks up at once), and its last error is kept for ``veille-agent
check``. Sleep settings and states change rarely and are cached.
Blockers that could not be read are sent as unknown (``sleep_blockers_known=false``), never
as an empty list that would read "no blocker". Power state:
``resumed`` when a sleep was seen since the last report, ``active`` when the last input is
recent (or unknown: no evidence is no accusation), else ``idle``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from agent.commands import CommandError
from agent.state.sleepdetect import SleepDetector
from contract.wire import PowerState, SleepSettings, SleepStates, StateBlock

log = logging.getLogger(__name__)

T = TypeVar("T")

LASTING = frozenset({"missing", "denied"})
"""Command failures that last until an administrator acts: retried once an hour."""


class StateReader(Protocol):
    """Reads the state block."""

    def read(self) -> StateBlock: ...


class Guarded(Generic[T]):
    """A probe that returns ``default`` on failure and waits before trying again."""

    def __init__(
        self,
        name: str,
        probe: Callable[[], T],
        default: T,
        *,
        retry_seconds: float = 600.0,
        lasting_retry_seconds: float = 3600.0,
        cache_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._probe = probe
        self._default = default
        self.retry_seconds = retry_seconds
        self.lasting_retry_seconds = lasting_retry_seconds
        self.cache_seconds = cache_seconds
        self._clock = clock
        self._next_try = float("-inf")
        self._value = default
        self.last_error: str | None = None

    def __call__(self) -> T:
        now = self._clock()
        if now < self._next_try:
            return self._value
        try:
            self._value = self._probe()
            self.last_error = None
            self._next_try = now + self.cache_seconds
        except (CommandError, OSError, ValueError) as exc:
            if self.last_error is None:
                log.info("%s unavailable: %s", self.name, exc)
            self.last_error = str(exc)
            self._value = self._default
            lasting = isinstance(exc, CommandError) and exc.kind in LASTING
            wait = max(self.retry_seconds, self.lasting_retry_seconds if lasting else 0.0)
            self._next_try = now + wait
        return self._value


@dataclass
class HostState:
    """The state block of this machine, from its probes."""

    idle: Callable[[], float | None]
    settings: Callable[[], SleepSettings | None]
    blockers: Callable[[], list[str] | None]
    on_battery: Callable[[], bool | None]
    boot_time: Callable[[], datetime | None]
    detector: SleepDetector | None = None
    sleep_states: Callable[[], SleepStates | None] = lambda: None
    active_within_seconds: float = 300.0
    last: StateBlock | None = field(default=None, init=False)

    def poll_sleep(self) -> bool:
        """Check for a sleep that just ended (cheap: two clock reads)."""
        return self.detector.poll() if self.detector else False

    def read(self) -> StateBlock:
        self.poll_sleep()
        slept = self.detector.take() if self.detector else []
        idle = self.idle()
        blockers = self.blockers()  # None: could not be read, which is not "none"
        if slept:
            power_state = PowerState.RESUMED
        elif idle is None or idle < self.active_within_seconds:
            power_state = PowerState.ACTIVE
        else:
            power_state = PowerState.IDLE
        self.last = StateBlock(
            power_state=power_state,
            idle_seconds=None if idle is None else round(idle, 1),
            boot_time=self.boot_time(),
            on_battery=self.on_battery(),
            sleep_settings=self.settings(),
            sleep_blockers=[] if blockers is None else blockers[:50],
            sleep_blockers_known=blockers is not None,
            sleep_states=self.sleep_states(),
            slept=slept,
        )
        return self.last


def display_on_from_state(state: StateBlock | None) -> bool | None:
    """Display on or off, guessed from idle time against the display-off timeout."""
    if state is None or state.idle_seconds is None or state.sleep_settings is None:
        return None
    s = state.sleep_settings
    timeout = s.display_battery_seconds if state.on_battery else s.display_ac_seconds
    if timeout is None:
        return None
    return timeout == 0 or state.idle_seconds < timeout
