"""Count each kWh once when meters are nested (server → rack PDU → datacentre meter).

A device with ``metered_by`` is already included in its meter's reading. For each hour, a
device counts only if no meter above it has data for that hour (coverage of at least half the
hour); otherwise the meter's figure stands for it. So a week of server agents still counts for
the hours before the PDUs were polled, and never twice after.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypeVar

from collector.inventory import Inventory

MIN_METER_COVERAGE = 0.5


class HourRow(Protocol):
    @property
    def device_id(self) -> str: ...
    @property
    def hour(self) -> datetime: ...
    @property
    def coverage(self) -> float: ...


def meters_above(device_id: str, inventory: Inventory) -> list[str]:
    """The chain of meters above a device, nearest first (cycles are cut)."""
    chain: list[str] = []
    d = inventory.get(device_id)
    while d is not None and d.metered_by and d.metered_by not in chain and d.metered_by != d.id:
        chain.append(d.metered_by)
        d = inventory.get(d.metered_by)
    return chain


H = TypeVar("H", bound=HourRow)


def counted(rows: Iterable[H], inventory: Inventory) -> list[H]:
    """The rows that count toward totals: those with no covered meter above them."""
    rows = list(rows)
    covered: dict[datetime, set[str]] = defaultdict(set)
    for r in rows:
        if r.coverage >= MIN_METER_COVERAGE:
            covered[r.hour].add(r.device_id)
    return [
        r
        for r in rows
        if not any(m in covered[r.hour] for m in meters_above(r.device_id, inventory))
    ]
