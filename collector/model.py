"""Typed data inside the collector: a validated sample, whatever protocol brought it.

Values are in SI units, named with their unit (``power_watts``, ``energy_joules_total``,
``uptime_seconds``); timestamps are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contract.schema import Quality, Reading


@dataclass(frozen=True, slots=True)
class Sample:
    """One validated reading of one device."""

    device_id: str
    ts: datetime
    metric: str
    value: float
    source: str
    quality: Quality
    component: str | None = None

    @classmethod
    def from_reading(cls, device_id: str, r: Reading) -> Sample:
        return cls(device_id, r.ts, r.metric, r.value, r.source, r.quality, r.component)
