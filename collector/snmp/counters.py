"""Follow a device's energy counters across polls: wrap-corrected, monotonic raw values.

Raw counter values (in the counter's own raw unit) go in with the device's uptime (s); out
comes ``raw + offset``, where the offset grows by the modulus at each wrap, so the value keeps
rising. A reset lets the value fall (downstream reads a fall as a reset, never as negative
energy). Telling wraps from resets is :func:`contract.counters.counter_delta`'s job; this module
adds what SNMP devices need on top: a reset-date column that changed is a reset, and on a
counter that operators can reset, a fall is a wrap only if the wrapped step is plausible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from collector.snmp.client import SnmpValue
from contract.counters import Step, counter_delta


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
