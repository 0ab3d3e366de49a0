"""kWh of a period of whole local days, aggregated where the data is (SQL ``GROUP BY`` over the
daily roll-up), with the pure functions kept for what needs hourly rows.

- Devices with no meter above them (``metered_by``) count whole: their figures are the sums of
  their daily rows, grouped by device in SQL.
- Devices behind a meter need the time-resolved nested-meter rule
  (:func:`collector.analysis.meters.counted_rows`): their hourly rows, and those of the meters
  above them, are read and counted by the pure function, exactly as :func:`kwh_by_domain` does.
- The PUE reads the hourly rows of the datacentres' meters only.
- Heat-reuse meters (:meth:`collector.inventory.Inventory.counts_energy`) count nowhere here:
  their energy is reused heat, already inside the datacentre's consumption (it gives ERF).

The result equals :func:`collector.analysis.rollup.kwh_by_domain` over every hourly row of the
period (a test checks it on SQLite and PostgreSQL), but reads ~1/24 of the rows, and holds one
figure per device in memory rather than one per device-hour.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from collector.analysis.aggregate import ALL_DOMAINS
from collector.analysis.meters import counted_rows, upstream
from collector.analysis.periods import hours_in, local_midnight
from collector.analysis.rollup import DeviceEnergy, DomainEnergy, _domain_order
from collector.domains import UNASSIGNED
from collector.inventory import Inventory
from collector.ledger import Ledger, daily


@dataclass
class _Sum:
    kwh: float = 0.0
    measured: float = 0.0
    estimated: float = 0.0
    coverage: float = 0.0
    rows: int = 0


@dataclass(frozen=True)
class PeriodFigures:
    """kWh per domain, per device (own energy) and per device kind, for [first_day, next_day);
    ``daily_by_domain``: (domain, local day) -> kWh counted once, for charts over time."""

    domains: list[DomainEnergy]
    devices: list[DeviceEnergy]
    by_kind: dict[str, float]
    by_site: dict[str, float]
    daily_by_domain: dict[tuple[str, date], float] = field(default_factory=dict)
    #: kind -> kWh the devices of that kind measured or were estimated to use themselves,
    #: the part inside a meter above them included (so the kinds add up to more than the
    #: total where meters are nested: a server's kWh is also its PDU's and its room's)
    own_by_kind: dict[str, float] = field(default_factory=dict)
    #: domain (and ``ALL_DOMAINS``) -> share of the period's device-hours with data, as
    #: :func:`collector.analysis.aggregate.energy_by_period` defines it
    coverage: dict[str, float] = field(default_factory=dict)


def chain_devices(inventory: Inventory) -> tuple[set[str], set[str]]:
    """(devices behind a meter, those devices and every meter above them)."""
    behind = {d for d in inventory.devices if upstream(d, inventory)}
    needed = set(behind)
    for dev in behind:
        needed.update(upstream(dev, inventory))
    return behind, needed


def period_figures(
    ledger: Ledger, inventory: Inventory, first_day: date, next_day: date, tz: str
) -> PeriodFigures:
    """The figures of the local days [first_day, next_day) in zone ``tz``."""
    behind, needed = chain_devices(inventory)
    start, end = local_midnight(first_day, tz), local_midnight(next_day, tz)
    sums: dict[str, _Sum] = defaultdict(_Sum)
    seen: dict[str, set[str]] = defaultdict(set)
    own: dict[str, daily.DailyEnergy] = {}
    outside = {dev for dev in inventory.devices if not inventory.counts_energy(dev)}
    groups = {
        dev: ("" if dev in behind or dev in outside else inventory.domain_of(dev))
        for dev in inventory.devices
    }
    with ledger.engine.connect() as conn:
        for r in daily.sums_by_device(conn, first_day, next_day):
            if r.device_id in outside:
                continue  # a heat-reuse meter: in the ERF, never in the totals
            own[r.device_id] = r
            if r.device_id in behind:
                continue
            domain = inventory.domain_of(r.device_id)
            s = sums[domain]
            s.kwh += r.kwh
            s.measured += r.measured_kwh
            s.estimated += r.estimated_kwh
            s.coverage += r.coverage_hours
            s.rows += r.hours
            seen[domain].add(r.device_id)
        per_day: dict[tuple[str, date], float] = defaultdict(float)
        for grp, day, kwh in daily.kwh_by_group_day(conn, groups, first_day, next_day, UNASSIGNED):
            per_day[(grp, day)] += kwh
    counted_kind: dict[str, float] = defaultdict(float)
    counted_site: dict[str, float] = defaultdict(float)
    own_kind: dict[str, float] = defaultdict(float)
    for dev, r in own.items():
        own_kind[_kind(inventory, dev)] += r.kwh
        if dev not in behind:
            counted_kind[_kind(inventory, dev)] += r.kwh
            counted_site[_site(inventory, dev)] += r.kwh
    if behind:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(tz)
        rows = ledger.hourly_for(sorted(needed), start, end)
        for row, part in counted_rows(rows, inventory):
            if row.device_id not in behind or row.device_id in outside:
                continue
            domain = inventory.domain_of(row.device_id)
            seen[domain].add(row.device_id)
            counted_kind[_kind(inventory, row.device_id)] += part.kwh
            counted_site[_site(inventory, row.device_id)] += part.kwh
            per_day[(domain, row.hour.astimezone(zone).date())] += part.kwh
            if part.unmetered > 0:
                s = sums[domain]
                s.kwh += part.kwh
                s.measured += part.measured_kwh
                s.estimated += part.estimated_kwh
                s.coverage += row.coverage
                s.rows += 1
    domains = [
        DomainEnergy(
            domain=dm,
            kwh=sums[dm].kwh,
            measured_kwh=sums[dm].measured,
            estimated_kwh=sums[dm].estimated,
            devices=len(seen[dm]),
            coverage=sums[dm].coverage / sums[dm].rows if sums[dm].rows else 0.0,
        )
        for dm in sorted(seen, key=lambda x: _domain_order(inventory, x))
    ]
    devices = [
        DeviceEnergy(
            device_id=dev,
            domain=inventory.domain_of(dev),
            kind=_kind(inventory, dev),
            kwh=r.kwh,
            measured_kwh=r.measured_kwh,
            estimated_kwh=r.estimated_kwh,
            hours=r.hours,
            coverage=r.coverage_hours / r.hours if r.hours else 0.0,
        )
        for dev, r in sorted(own.items())
    ]
    hours = hours_in(start, end)
    cov_hours: dict[str, float] = defaultdict(float)
    members: dict[str, int] = defaultdict(int)
    for dev, r in own.items():
        for key in (inventory.domain_of(dev), ALL_DOMAINS):
            cov_hours[key] += r.coverage_hours
            members[key] += 1
    coverage = {
        k: min(cov_hours[k] / (members[k] * hours), 1.0) if members[k] * hours else 0.0
        for k in members
    }
    for kind in own_kind:
        counted_kind.setdefault(kind, 0.0)  # a kind counted wholly in the meters above it
    return PeriodFigures(
        domains,
        devices,
        dict(counted_kind),
        dict(counted_site),
        daily_by_domain=dict(per_day),
        coverage=coverage,
        own_by_kind=dict(own_kind),
    )


def _kind(inventory: Inventory, device_id: str) -> str:
    device = inventory.get(device_id)
    return device.kind if device else "other"


def _site(inventory: Inventory, device_id: str) -> str:
    device = inventory.get(device_id)
    return device.site if device else ""
