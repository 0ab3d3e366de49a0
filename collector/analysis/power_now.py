"""Power now per *domaine du SI*, each watt counted once (reads W samples, writes W).

Each device's latest whole-device ``power_watts`` reading (no ``component``: RAPL parts are not
the device) no older than ``max_age_seconds`` counts, unless a meter above it (``metered_by``,
through the whole chain) also has a recent reading: then the meter already includes it, as
for kWh (:mod:`collector.analysis.meters`). A device with no recent reading is not counted
and is not guessed: ``devices`` says how many readings the figure rests on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from collector.analysis.meters import upstream
from collector.inventory import Inventory
from collector.model import Sample
from contract.schema import Quality

POWER = "power_watts"


@dataclass(frozen=True, slots=True)
class DomainPower:
    """Watts of one domain at ``at``: all, the measured part, and how many devices."""

    domain: str
    watts: float
    measured_watts: float
    devices: int


def latest_power(
    samples: Iterable[Sample], *, at: datetime, max_age_seconds: float
) -> dict[str, Sample]:
    """Each device's newest whole-device power sample in [at - max_age, at]."""
    best: dict[str, Sample] = {}
    for s in samples:
        if s.metric != POWER or s.component is not None or s.ts > at:
            continue
        if (at - s.ts).total_seconds() > max_age_seconds:
            continue
        if s.device_id not in best or s.ts >= best[s.device_id].ts:
            best[s.device_id] = s
    return best


def power_by_domain(
    samples: Iterable[Sample], inventory: Inventory, *, at: datetime, max_age_seconds: float
) -> list[DomainPower]:
    """Power now per domain (W), sorted by domain name; metered devices counted once."""
    if max_age_seconds <= 0:
        raise ValueError("max_age_seconds must be positive")
    latest = latest_power(samples, at=at, max_age_seconds=max_age_seconds)
    watts: dict[str, float] = defaultdict(float)
    measured: dict[str, float] = defaultdict(float)
    devices: dict[str, int] = defaultdict(int)
    for device_id, s in latest.items():
        if any(m in latest for m in upstream(device_id, inventory)):
            continue  # its meter's reading already includes it
        domain = inventory.domain_of(device_id)
        watts[domain] += s.value
        if s.quality == Quality.MEASURED:
            measured[domain] += s.value
        devices[domain] += 1
    return [DomainPower(d, watts[d], measured[d], devices[d]) for d in sorted(watts)]
