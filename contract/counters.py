"""Counter-to-energy: the one function that turns two counter reads into an energy delta.

Energy counters (RAPL ``energy_uj``, PDU Wh registers, UPS energy) only grow, until they wrap
at their modulus or are reset (device restart, or an operator's reset). Read together with an
uptime, the two are told apart (DOMAIN.md): a fall while uptime rose is a wrap, a fall with a
restart (uptime fell) is a reset. Neither is ever dropped silently: the caller counts them.
Units are whatever the counter uses; callers convert to joules once, at the source.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Step(StrEnum):
    NORMAL = "normal"
    WRAP = "wrap"
    RESET = "reset"


@dataclass(frozen=True, slots=True)
class CounterDelta:
    """What happened between two reads, and the energy it stands for."""

    step: Step
    delta: float


def counter_delta(
    prev: float,
    new: float,
    *,
    modulus: float | None,
    prev_uptime: float | None = None,
    new_uptime: float | None = None,
) -> CounterDelta:
    """Energy between two reads of a counter.

    ``modulus`` is where the counter wraps (2**32 for a Counter32, ``max_energy_range_uj`` for
    RAPL), or None for a counter that cannot wrap. Uptimes, when known, tell a wrap from a
    reset; without them a fall is a wrap only if the wrapped delta is smaller than half the
    modulus (a plausible short interval), otherwise a reset.
    """
    if new >= prev:
        if prev_uptime is not None and new_uptime is not None and new_uptime < prev_uptime:
            # Restarted and already past the old value: the energy since the restart is `new`.
            return CounterDelta(Step.RESET, new)
        return CounterDelta(Step.NORMAL, new - prev)
    restarted = prev_uptime is not None and new_uptime is not None and new_uptime < prev_uptime
    if modulus is not None and not restarted:
        wrapped = new + modulus - prev
        uptime_known = prev_uptime is not None and new_uptime is not None
        if uptime_known or wrapped < modulus / 2:
            return CounterDelta(Step.WRAP, wrapped)
    return CounterDelta(Step.RESET, new)
