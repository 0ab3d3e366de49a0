"""Follow a device's energy counters across polls: wrap-corrected, monotonic raw values.

Raw counter values (in the counter's own raw unit) go in with the device's uptime (s); out
comes ``raw + offset``, where the offset grows by the modulus at each wrap, so the value keeps
rising. A reset lets the value fall (downstream reads a fall as a reset, never as negative
energy). Telling wraps from resets is :func:`contract.counters.counter_delta`'s job; this module
adds what SNMP devices need on top: a reset-date column that changed is a reset, and on a
counter that operators can reset, a fall is a wrap only if the wrapped step is plausible.

The uptime itself (sysUpTime, hrSystemUptime: TimeTicks) wraps after 2**32 hundredths of a
second, 497.1 days. :meth:`CounterState.observe_uptime` undoes that wrap: a fall is a restart
only if the time that passed does not explain it as a wrap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from collector.snmp.client import SnmpValue
from contract.counters import Step, counter_delta

#: TimeTicks wrap: 2**32 hundredths of a second (497.1 days), in seconds.
TICKS_WRAP_SECONDS = 2**32 / 100


def uptime_restarted(prev: float, new: float, elapsed: float | None) -> bool:
    """Whether an uptime read ``new`` after ``prev`` (``elapsed`` s later) means a restart.

    A rise is no restart. A fall is a wrap when ``new + 497.1 days - prev`` matches the time
    that passed (within 2 min or 10 %); without a clock, when ``prev`` was in its last day and
    ``new`` in its first.
    """
    if new >= prev:
        return False
    wrapped = new + TICKS_WRAP_SECONDS - prev
    if elapsed is not None:
        return abs(wrapped - elapsed) > max(120.0, 0.1 * elapsed)
    return not (prev > TICKS_WRAP_SECONDS - 86400 and wrapped < 86400)


@dataclass(slots=True)
class _Track:
    raw: int
    offset: int
    uptime: float | None
    marker: SnmpValue | None


@dataclass(slots=True)
class CounterState:
    """One target's state between polls: its detected profile and its counters."""

    profile: str | None = None
    tracks: dict[str, _Track] = field(default_factory=dict)
    wraps: int = 0
    resets: int = 0
    uptime_wraps: int = 0
    restarts: int = 0
    disagreements: tuple[str, ...] = ()
    _uptime: float | None = None
    _uptime_at: float | None = None
    _uptime_offset: float = 0.0

    def observe_uptime(self, uptime: float | None, now: float) -> float | None:
        """The uptime with its 497-day wraps undone (``now``: a monotonic clock, in s)."""
        if uptime is None:
            return None
        prev, at = self._uptime, self._uptime_at
        if prev is not None and at is not None:
            raw_prev = prev - self._uptime_offset
            if uptime < raw_prev:
                if uptime_restarted(raw_prev, uptime, now - at):
                    self._uptime_offset = 0.0
                    self.restarts += 1
                else:
                    self._uptime_offset += TICKS_WRAP_SECONDS
                    self.uptime_wraps += 1
        self._uptime, self._uptime_at = uptime + self._uptime_offset, now
        return self._uptime

    def update(
        self,
        key: str,
        raw: int,
        *,
        modulus: int | None,
        resettable: bool,
        uptime: float | None,
        marker: SnmpValue | None = None,
    ) -> tuple[int, Step | None]:
        """The monotonic raw value of counter ``key`` now, and what happened since last time
        (None on the first read)."""
        prev = self.tracks.get(key)
        if prev is None:
            self.tracks[key] = _Track(raw, 0, uptime, marker)
            return raw, None
        offset = prev.offset
        if marker != prev.marker:
            step = Step.RESET
        else:
            restarted = uptime is not None and prev.uptime is not None and uptime < prev.uptime
            if resettable and not restarted:
                # Without a restart, a fall is a wrap only if the wrapped step is small.
                step = counter_delta(prev.raw, raw, modulus=modulus).step
            else:
                step = counter_delta(
                    prev.raw, raw, modulus=modulus, prev_uptime=prev.uptime, new_uptime=uptime
                ).step
        if step is Step.WRAP and modulus is not None:
            offset += modulus
            self.wraps += 1
        elif step is Step.RESET:
            self.resets += 1
            if raw < prev.raw:
                offset = 0  # the value falls: the energy since the reset is the new value
        self.tracks[key] = _Track(raw, offset, uptime, marker)
        return raw + offset, step
