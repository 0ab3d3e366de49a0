"""Estimated power when nothing measures: CPU utilisation between an idle and a max figure.

``power_watts = idle + u x (max - idle) + display`` (the linear model of Cloud Carbon Footprint;
DOMAIN.md), with ``u`` the CPU utilisation since the previous read (0..1), the profile from
``agent.toml`` or the kind's defaults (:mod:`agent.sources.profiles`), and the display's watts
added while it is on. Always labelled ``estimated``; the display's share is also reported as
the component ``display``.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.settings import PowerProfile
from agent.sources import procstat
from agent.sources.base import reading
from agent.sources.procstat import cpu_busy_total
from agent.sources.profiles import KindProfile, profile_for
from contract.wire import Quality, Reading, utcnow

NAME = "model"


class CpuMeter:
    """CPU utilisation (0..1) since the previous call; the first call averages since boot."""

    def __init__(self) -> None:
        self._last: tuple[float, float] | None = None

    def __call__(self) -> float:
        busy, total = cpu_busy_total()
        if self._last is None:
            ratio = busy / total if total > 0 else 0.0
        else:
            d_total = total - self._last[0]
            ratio = (busy - self._last[1]) / d_total if d_total > 0 else 0.0
        self._last = (total, busy)
        return min(1.0, max(0.0, ratio))


def effective_watts(
    kind: str,
    profile: PowerProfile,
    *,
    logical_cpus: int,
    memory_gib: float,
) -> tuple[float, float, float, str]:
    """(idle, max, display) watts for this machine, and where the figures come from."""
    base: KindProfile = profile_for(kind)
    scale = logical_cpus if base.per_logical_cpu else 1
    idle = base.idle_watts * scale + base.memory_watts_per_gib * memory_gib
    top = base.max_watts * scale + base.memory_watts_per_gib * memory_gib
    display = base.display_watts
    origin = base.source
    if profile.idle_watts is not None or profile.max_watts is not None:
        origin = "agent.toml [profile]"
    idle = profile.idle_watts if profile.idle_watts is not None else idle
    top = profile.max_watts if profile.max_watts is not None else max(top, idle)
    display = profile.display_watts if profile.display_watts is not None else display
    return idle, top, display, origin


class ModelSource:
    """The estimate: idle/max profile times CPU utilisation, plus the display by its state."""

    def __init__(
        self,
        kind: str,
        profile: PowerProfile | None = None,
        *,
        cpu_utilisation: Callable[[], float] | None = None,
        display_on: Callable[[], bool | None] = lambda: None,
        logical_cpus: int | None = None,
        memory_bytes: int | None = None,
    ) -> None:
        logical_cpus = logical_cpus or procstat.logical_cpus()
        memory_bytes = memory_bytes or procstat.memory_bytes()
        self.idle_watts, self.max_watts, self.display_watts, self.origin = effective_watts(
            kind,
            profile or PowerProfile(),
            logical_cpus=logical_cpus,
            memory_gib=memory_bytes / 2**30,
        )
        self._cpu = cpu_utilisation or CpuMeter()
        self._display_on = display_on

    def read(self) -> list[Reading]:
        u = self._cpu()
        watts = self.idle_watts + u * (self.max_watts - self.idle_watts)
        ts = utcnow()
        out = []
        # Unknown display state counts as on: an estimate should not flatter the device.
        if self.display_watts > 0 and self._display_on() is not False:
            watts += self.display_watts
            out.append(
                reading(ts, "power_watts", self.display_watts, NAME, Quality.ESTIMATED, "display")
            )
        out.insert(0, reading(ts, "power_watts", watts, NAME, Quality.ESTIMATED))
        return out
