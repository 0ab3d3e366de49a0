"""Roll hourly energy up per "domaine du SI" and per device (reads kWh, writes kWh).

Reads :class:`HourlyEnergy` rows (kWh per device per UTC hour) and the inventory; writes totals
in kWh with their measured/estimated split and coverage (mean share of the device-hours with
data, 0..1). Devices the inventory does not list go to ``collector.domains.UNASSIGNED``.

Domain totals never count a kWh twice: for each stretch of time, a device whose upstream meter
(``metered_by``) has data there is left out of that stretch (see :mod:`collector.analysis.meters`).
Device figures are each device's own energy and are therefore not additive when ``metered_by``
is used.

PUE and reporting periods live in :mod:`collector.analysis.pue` and
:mod:`collector.analysis.periods`; they are re-exported here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from collector.analysis.energy import HourlyEnergy
from collector.analysis.meters import Counted, counted_rows
from collector.analysis.periods import quarter_bounds, quarter_label
from collector.analysis.pue import PueResult, pue_by_datacentre
from collector.domains import UNASSIGNED
from collector.inventory import Inventory

__all__ = [
    "DeviceEnergy",
    "DomainEnergy",
    "PueResult",
    "kwh_by_device",
    "kwh_by_domain",
    "pue_by_datacentre",
    "quarter_bounds",
    "quarter_label",
]


@dataclass(frozen=True, slots=True)
class DomainEnergy:
    """kWh of one domain. ``devices``: devices of the domain in the data, metered or not."""

    domain: str
    kwh: float
    measured_kwh: float
    estimated_kwh: float
    devices: int
    coverage: float


@dataclass(frozen=True, slots=True)
class DeviceEnergy:
    """A device's own kWh over the rows given; ``hours``: rows (device-hours) seen."""

    device_id: str
    domain: str
    kind: str
    kwh: float
    measured_kwh: float
    estimated_kwh: float
    hours: int
    coverage: float


@dataclass
class _Sum:
    kwh: float = 0.0
    measured: float = 0.0
    estimated: float = 0.0
    coverage: float = 0.0
    rows: int = 0

    def add(self, r: HourlyEnergy | Counted, coverage: float) -> None:
        self.kwh += r.kwh
        self.measured += r.measured_kwh
        self.estimated += r.estimated_kwh
        self.coverage += coverage
        self.rows += 1

    @property
    def mean_coverage(self) -> float:
        return self.coverage / self.rows if self.rows else 0.0


def _domain_order(inventory: Inventory, domain: str) -> tuple[int, str]:
    known = inventory.domains
    return (known.index(domain), "") if domain in known else (len(known), domain)


def kwh_by_domain(hourly: Iterable[HourlyEnergy], inventory: Inventory) -> list[DomainEnergy]:
    """kWh per domain, in the inventory's domain order, unknown domains last; heat-reuse
    meters are left out (:meth:`Inventory.counts_energy`)."""
    sums: dict[str, _Sum] = defaultdict(_Sum)
    devices: dict[str, set[str]] = defaultdict(set)
    counted = (r for r in hourly if inventory.counts_energy(r.device_id))
    for r, part in counted_rows(counted, inventory):
        domain = inventory.domain_of(r.device_id)
        devices[domain].add(r.device_id)
        if part.unmetered > 0:
            sums[domain].add(part, r.coverage)
    return [
        DomainEnergy(
            domain=d,
            kwh=sums[d].kwh,
            measured_kwh=sums[d].measured,
            estimated_kwh=sums[d].estimated,
            devices=len(devices[d]),
            coverage=sums[d].mean_coverage,
        )
        for d in sorted(devices, key=lambda d: _domain_order(inventory, d))
    ]


def kwh_by_device(hourly: Iterable[HourlyEnergy], inventory: Inventory) -> list[DeviceEnergy]:
    """Each device's own kWh (metered devices included, heat-reuse meters not), sorted by id."""
    sums: dict[str, _Sum] = defaultdict(_Sum)
    for r in hourly:
        if inventory.counts_energy(r.device_id):
            sums[r.device_id].add(r, r.coverage)
    out = []
    for device_id in sorted(sums):
        s, device = sums[device_id], inventory.get(device_id)
        out.append(
            DeviceEnergy(
                device_id=device_id,
                domain=device.effective_domain if device else UNASSIGNED,
                kind=device.kind if device else "other",
                kwh=s.kwh,
                measured_kwh=s.measured,
                estimated_kwh=s.estimated,
                hours=s.rows,
                coverage=s.mean_coverage,
            )
        )
    return out
