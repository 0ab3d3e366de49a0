"""PoE night policy: access points left powered during the sleep windows (optional).

Reads power samples (:class:`collector.model.Sample`, metric ``power_watts``, W) of PoE
switches and midspans, one component per port, and ``policy.poe``
(:class:`collector.config.PoePolicy`): which ports feed access points, the threshold in W and
how long above it counts. Writes one :class:`PoeViolation` per port and sleep window of
``policy.poe.group`` in which the port drew more than ``max_port_watts`` for at least
``min_minutes``. Time above the threshold is the sum of the spans between consecutive
samples that are both above it and no further apart than ``max_gap_seconds``: a gap in the
data is never counted as drawn power. Samples inside maintenance windows are ignored.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from collector.analysis.windows import in_maintenance, windows_between
from collector.config import PolicySettings
from collector.model import Sample


@dataclass(frozen=True, slots=True)
class PoeViolation:
    """An access-point port powered during a sleep window (times UTC, W, seconds)."""

    device_id: str
    component: str
    window_start: datetime
    window_end: datetime
    first_above: datetime
    last_above: datetime
    seconds_above: float
    max_watts: float
    threshold_watts: float
    evidence: str


def _duration(seconds: float) -> str:
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _evidence(v: PoeViolation, tz: str) -> str:
    zone = ZoneInfo(tz)
    a, b = v.first_above.astimezone(zone), v.last_above.astimezone(zone)
    span = f"{a:%a %Y-%m-%d %H:%M} to {b:%a %Y-%m-%d %H:%M} ({tz})"
    return (
        f"{v.component} drew up to {v.max_watts:g} W (limit {v.threshold_watts:g} W) for"
        f" {_duration(v.seconds_above)} from {span}"
    )


def _port_violations(
    device_id: str,
    component: str,
    samples: list[Sample],
    policy: PolicySettings,
    max_gap: timedelta,
) -> list[PoeViolation]:
    poe = policy.poe
    assert poe is not None
    group = policy.groups[poe.group]
    times = [s.ts for s in samples]
    out = []
    for start, end in windows_between(samples[0].ts, samples[-1].ts + max_gap, group, policy):
        lo, hi = bisect.bisect_left(times, start), bisect.bisect_left(times, end)
        inside = [s for s in samples[lo:hi] if not in_maintenance(s.ts, policy)]
        above = [s for s in inside if s.value > poe.max_port_watts]
        seconds = sum(
            (b.ts - a.ts).total_seconds()
            for a, b in pairwise(inside)
            if a.value > poe.max_port_watts
            and b.value > poe.max_port_watts
            and b.ts - a.ts <= max_gap
        )
        if not above or seconds < poe.min_minutes * 60:
            continue
        v = PoeViolation(
            device_id,
            component,
            start,
            end,
            above[0].ts,
            above[-1].ts,
            seconds,
            max(s.value for s in above),
            poe.max_port_watts,
            "",
        )
        out.append(replace(v, evidence=_evidence(v, policy.timezone)))
    return out


def find_poe_violations(
    samples: Sequence[Sample], policy: PolicySettings, *, max_gap_seconds: float = 900.0
) -> list[PoeViolation]:
    """Violations of every access-point port in ``samples``, by device, port, then window.

    Empty when ``policy.poe`` is not set. Samples of other ports or metrics are ignored.
    """
    if policy.poe is None:
        return []
    ports = {(d, c) for d, comps in policy.poe.access_point_ports.items() for c in comps}
    by_port: dict[tuple[str, str], list[Sample]] = {}
    for s in samples:
        if s.metric == "power_watts" and s.component and (s.device_id, s.component) in ports:
            by_port.setdefault((s.device_id, s.component), []).append(s)
    out: list[PoeViolation] = []
    for (device_id, component), rows in sorted(by_port.items()):
        rows.sort(key=lambda s: s.ts)
        gap = timedelta(seconds=max_gap_seconds)
        out += _port_violations(device_id, component, rows, policy, gap)
    return out
