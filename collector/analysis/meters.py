"""Which meter counts each stretch of time: the ``metered_by`` chain of the inventory (kWh).

A server behind a PDU, a PDU behind the datacentre's meter: the upstream meter's reading already
includes the device. Totals count, for each stretch of time, the meter if it has data there,
else the devices behind it for that same stretch, so no kWh is counted twice and none is lost
to a meter's gap:

- the meters' covered intervals (:attr:`HourlyEnergy.covered`) are joined over the whole chain
  above the device; the device counts only its own energy outside them;
- the device's energy in a stretch is taken from its 5-minute slots (``slot_kwh``), in
  proportion to the part of the slot's *covered* time that falls in the stretch. Minutes that
  the meter and the device both miss (a collector outage) are counted by neither: they are
  missing, and lower the coverage, never counted twice;
- rows from before the intervals were recorded (``covered is None``) fall back to the hour's
  share: the part of the hour no meter above covers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from collector.analysis import coverage as cv
from collector.analysis.energy import HourlyEnergy
from collector.inventory import Inventory

RowKey = tuple[str, datetime]


@dataclass(frozen=True, slots=True)
class Counted:
    """The part of one row that counts in a total, kWh (``measured + estimated == kwh``);
    ``unmetered``: the share of the hour no meter above has data for (0..1)."""

    kwh: float
    measured_kwh: float
    estimated_kwh: float
    unmetered: float = 1.0


def upstream(device_id: str, inventory: Inventory) -> tuple[str, ...]:
    """The meters above ``device_id``, nearest first (a loop in the inventory stops the walk)."""
    chain: list[str] = []
    device = inventory.get(device_id)
    while device is not None and device.metered_by and device.metered_by not in chain:
        if device.metered_by == device_id:
            break
        chain.append(device.metered_by)
        device = inventory.get(device.metered_by)
    return tuple(chain)


def coverage_map(rows: Iterable[HourlyEnergy]) -> dict[tuple[str, datetime], float]:
    """(device_id, hour) -> the share of that hour the device has data for."""
    return {(r.device_id, r.hour): r.coverage for r in rows if r.coverage > 0}


def share_counted(
    row: HourlyEnergy, inventory: Inventory, coverage: dict[tuple[str, datetime], float]
) -> float:
    """The hour-level share (for rows without intervals): the part of the hour no meter
    upstream covers. 1.0 when no meter above has data, 0.0 when one covers the whole hour."""
    above = [coverage.get((m, row.hour), 0.0) for m in upstream(row.device_id, inventory)]
    return max(0.0, 1.0 - max(above, default=0.0))


def _in_gaps(row: HourlyEnergy, gaps: cv.Intervals) -> float:
    """kWh of ``row`` inside ``gaps``, slot by slot, in proportion to its covered time."""
    assert row.covered is not None and row.slot_kwh is not None
    kwh = 0.0
    for k, slot_kwh in enumerate(row.slot_kwh):
        if slot_kwh == 0.0:
            continue
        own = cv.intersect(row.covered, cv.slot(k))
        seconds = cv.length(own)
        if seconds > 0:
            kwh += slot_kwh * cv.length(cv.intersect(own, gaps)) / seconds
    return kwh


#: A meter's intervals when it has data for the whole hour: then no gap is left to fill.
_WHOLE_HOUR: cv.Intervals = ((0.0, cv.HOUR_SECONDS),)


def counted(row: HourlyEnergy, meters: Iterable[HourlyEnergy | None]) -> Counted:
    """The part of ``row`` that no meter above counts (``meters``: their rows for the same
    hour, None where a meter has no row)."""
    above = [m for m in meters if m is not None and m.coverage > 0]
    if not above:
        return Counted(row.kwh, row.measured_kwh, row.estimated_kwh)
    if row.covered is None or row.slot_kwh is None or any(m.covered is None for m in above):
        unmetered = share = max(0.0, 1.0 - max(m.coverage for m in above))
    elif any(m.covered == _WHOLE_HOUR for m in above):  # the usual case, decided at once
        return Counted(0.0, 0.0, 0.0, 0.0)
    else:
        gaps = cv.complement(cv.merge(i for m in above for i in m.covered or ()))
        if not gaps:  # the meters cover the whole hour: nothing of the row counts
            return Counted(0.0, 0.0, 0.0, 0.0)
        unmetered = cv.length(gaps) / cv.HOUR_SECONDS
        share = min(1.0, _in_gaps(row, gaps) / row.kwh) if row.kwh > 0 else 0.0
    return Counted(row.kwh * share, row.measured_kwh * share, row.estimated_kwh * share, unmetered)


def counted_rows(
    rows: Iterable[HourlyEnergy], inventory: Inventory
) -> list[tuple[HourlyEnergy, Counted]]:
    """Every row with the part of it that counts in a total, so no kWh is counted twice."""
    listed = list(rows)
    by_key: dict[RowKey, HourlyEnergy] = {(r.device_id, r.hour): r for r in listed}
    out = []
    for r in listed:
        meters = [by_key.get((m, r.hour)) for m in upstream(r.device_id, inventory)]
        out.append((r, counted(r, meters)))
    return out
