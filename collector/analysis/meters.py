"""Which meter counts an hour: the ``metered_by`` chain of the inventory (no units).

A server behind a PDU, a PDU behind the datacentre's meter: the upstream meter's reading already
includes the device. Totals count the meter for the hours it has data, and the device only for
the part of an hour the meter does not cover, so no kWh is counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from collector.analysis.energy import HourlyEnergy
from collector.inventory import Inventory


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
    """The share of the row's kWh that counts: the part of the hour no meter upstream covers.

    1.0 when no meter above has data for that hour, 0.0 when one covers the whole hour, and in
    between for an hour a meter covers only in part (a PDU polled from 10:40 on).
    """
    above = [coverage.get((m, row.hour), 0.0) for m in upstream(row.device_id, inventory)]
    return max(0.0, 1.0 - max(above, default=0.0))
