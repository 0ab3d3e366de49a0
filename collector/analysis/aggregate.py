"""kWh per domain over civil periods (day, week, month, quarter, year), each with its coverage
and its measured/estimated split (reads hourly kWh rows and :class:`Period`, writes kWh).

- Every kWh counts once (nested meters, :func:`collector.analysis.meters.counted_rows`).
- ``coverage`` is the share of the period's device-hours with data: the devices of the domain
  that have rows in the period, times the hours the period really has (23 on the day of the
  March change, 25 in October), so a device silent for a day lowers it and is never taken as
  zero kWh. A missing row counts as a missing hour.
- ``measured_kwh + estimated_kwh == kwh``.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from collector.analysis.energy import HourlyEnergy
from collector.analysis.meters import counted_rows
from collector.analysis.periods import Period
from collector.inventory import Inventory

ALL_DOMAINS = "*"


@dataclass(frozen=True, slots=True)
class PeriodEnergy:
    """kWh of one domain (or :data:`ALL_DOMAINS`) over one period."""

    period: Period
    domain: str
    kwh: float
    measured_kwh: float
    estimated_kwh: float
    devices: int
    coverage: float

    @property
    def measured_share(self) -> float:
        return self.measured_kwh / self.kwh if self.kwh else 0.0


@dataclass
class _Acc:
    kwh: float = 0.0
    measured: float = 0.0
    estimated: float = 0.0
    covered_hours: float = 0.0


def _result(p: Period, domain: str, acc: _Acc, devices: int) -> PeriodEnergy:
    slots = devices * p.hours
    return PeriodEnergy(
        period=p,
        domain=domain,
        kwh=acc.kwh,
        measured_kwh=acc.measured,
        estimated_kwh=acc.estimated,
        devices=devices,
        coverage=min(acc.covered_hours / slots, 1.0) if slots else 0.0,
    )


def energy_by_period(
    hourly: Iterable[HourlyEnergy], inventory: Inventory, periods: Sequence[Period]
) -> list[PeriodEnergy]:
    """For each period (oldest first), one figure per domain in the data, then the total
    (domain :data:`ALL_DOMAINS`). Periods must not overlap; rows outside them are ignored."""
    ordered = sorted(periods, key=lambda p: p.start)
    starts = [p.start for p in ordered]
    for a, b in pairwise(ordered):
        if b.start < a.end:
            raise ValueError(f"periods {a.label} and {b.label} overlap")
    accs: dict[tuple[int, str], _Acc] = defaultdict(_Acc)
    devices: dict[tuple[int, str], set[str]] = defaultdict(set)
    for r, part in counted_rows(hourly, inventory):
        i = bisect.bisect_right(starts, r.hour) - 1
        if i < 0 or r.hour >= ordered[i].end:
            continue
        domain = inventory.domain_of(r.device_id)
        for key in ((i, domain), (i, ALL_DOMAINS)):
            acc = accs[key]
            acc.kwh += part.kwh
            acc.measured += part.measured_kwh
            acc.estimated += part.estimated_kwh
            acc.covered_hours += r.coverage
            devices[key].add(r.device_id)
    out = []
    for i, p in enumerate(ordered):
        domains = sorted(d for j, d in devices if j == i and d != ALL_DOMAINS)
        for d in [*domains, ALL_DOMAINS]:
            out.append(_result(p, d, accs[(i, d)], len(devices[(i, d)])))
    return out
