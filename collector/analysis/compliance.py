"""Sleep-policy compliance of one device, window by window (reads observations, violations
and hourly kWh; writes one :class:`WindowOutcome` per complete sleep window).

A window is *violated* when :func:`collector.analysis.sleep.find_violations` found a violation
in it; *exempt* when an exemption covers it; *compliant* when the device left evidence that it
kept the policy there (a state report inside the window, or a slept interval overlapping it,
reported on resume); *unknown* when the device said nothing about that window at all: a silent
device is never counted as compliant, and a compliance rate leaves unknown windows out,
counting them apart (:func:`compliance_rate`).

Energy, in kWh, each figure labelled ``measured`` or ``estimated``:

- ``kwh_wasted`` (violated windows): the device's energy over its awake stretch in the window,
  taken from its hourly kWh pro rata of the stretch's share of each hour, less what it would have
  drawn asleep (``contract.kinds`` sleep power) over the same time. ``measured`` when the hourly
  kWh behind it was mostly measured.
- ``kwh_avoided`` (compliant windows): the time the device slept in the window times its idle
  power (the inventory's ``idle_watts``, else the kind's profile) less its sleep power: what
  the same device would have drawn staying awake and idle. Always ``estimated``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from collector.analysis.energy import HourlyEnergy
from collector.analysis.windows import Window
from collector.model import StateObservation, Violation
from contract.kinds import DEFAULT_SLEEP_WATTS, kind_of
from contract.schema import Quality

HOUR = timedelta(hours=1)


class WindowStatus(StrEnum):
    COMPLIANT = "compliant"
    VIOLATED = "violated"
    UNKNOWN = "unknown"
    EXEMPT = "exempt"


@dataclass(frozen=True, slots=True)
class WindowOutcome:
    """How one device went through one complete sleep window (UTC; kWh)."""

    device_id: str
    window_start: datetime
    window_end: datetime
    group: str
    status: WindowStatus
    kwh_wasted: float = 0.0
    wasted_quality: Quality = Quality.ESTIMATED
    kwh_avoided: float = 0.0
    slept_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class DeviceWatts:
    """The powers the energy figures need, in W."""

    idle_watts: float | None
    sleep_watts: float

    @classmethod
    def of(cls, kind: str | None, idle_watts: float | None) -> DeviceWatts:
        k = kind_of(kind)
        idle = (
            idle_watts if idle_watts is not None else (k.profile.idle_watts if k.profile else None)
        )
        return cls(idle, k.sleep_watts or DEFAULT_SLEEP_WATTS)


def _overlap(a: Window, b: Window) -> float:
    return max(0.0, (min(a[1], b[1]) - max(a[0], b[0])).total_seconds())


def _energy_between(hours: Sequence[HourlyEnergy], span: Window) -> tuple[float, float]:
    """(kWh, measured kWh) over ``span``, each hour pro rata of its overlap with the span."""
    kwh = measured = 0.0
    for h in hours:
        share = _overlap((h.hour, h.hour + HOUR), span) / 3600
        if share > 0:
            kwh += h.kwh * share
            measured += h.measured_kwh * share
    return kwh, measured


def outcomes(
    device_id: str,
    group: str,
    windows: Iterable[Window],
    *,
    violations: Sequence[Violation],
    exempt: Iterable[datetime],
    observations: Sequence[StateObservation],
    hourly: Sequence[HourlyEnergy],
    watts: DeviceWatts,
    now: datetime,
) -> list[WindowOutcome]:
    """One outcome per window that ended by ``now``."""
    found = {v.window_start: v for v in violations}
    exempt_starts = set(exempt)
    slept = sorted({iv for o in observations for iv in o.slept})
    times = sorted(o.ts for o in observations)
    out = []
    for w in windows:
        if w[1] > now:
            continue
        if w[0] in exempt_starts:
            out.append(WindowOutcome(device_id, w[0], w[1], group, WindowStatus.EXEMPT))
            continue
        v = found.get(w[0])
        if v is not None:
            awake = (v.first_seen, max(v.last_seen, v.first_seen))
            kwh, measured = _energy_between(hourly, awake)
            asleep_kwh = watts.sleep_watts * (awake[1] - awake[0]).total_seconds() / 3.6e6
            quality = Quality.MEASURED if kwh and measured / kwh >= 0.5 else Quality.ESTIMATED
            out.append(
                WindowOutcome(
                    device_id,
                    w[0],
                    w[1],
                    group,
                    WindowStatus.VIOLATED,
                    kwh_wasted=max(0.0, kwh - asleep_kwh),
                    wasted_quality=quality,
                )
            )
            continue
        slept_seconds = sum(_overlap(iv, w) for iv in slept)
        seen = any(w[0] <= t < w[1] for t in times)
        if not seen and slept_seconds == 0:
            out.append(WindowOutcome(device_id, w[0], w[1], group, WindowStatus.UNKNOWN))
            continue
        avoided = 0.0
        if watts.idle_watts is not None:
            avoided = max(0.0, watts.idle_watts - watts.sleep_watts) * slept_seconds / 3.6e6
        out.append(
            WindowOutcome(
                device_id,
                w[0],
                w[1],
                group,
                WindowStatus.COMPLIANT,
                kwh_avoided=avoided,
                slept_seconds=slept_seconds,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class ComplianceRate:
    """Windows by outcome over a set of devices and nights; ``rate`` is None with no known
    window (never 0 for want of data)."""

    compliant: int
    violated: int
    unknown: int
    exempt: int
    kwh_wasted: float
    kwh_avoided: float

    @property
    def rate(self) -> float | None:
        known = self.compliant + self.violated
        return self.compliant / known if known else None


def compliance_rate(items: Iterable[WindowOutcome]) -> ComplianceRate:
    counts = dict.fromkeys(WindowStatus, 0)
    wasted = avoided = 0.0
    for o in items:
        counts[o.status] += 1
        wasted += o.kwh_wasted
        avoided += o.kwh_avoided
    return ComplianceRate(
        counts[WindowStatus.COMPLIANT],
        counts[WindowStatus.VIOLATED],
        counts[WindowStatus.UNKNOWN],
        counts[WindowStatus.EXEMPT],
        wasted,
        avoided,
    )
