"""Instantaneous PUE for dashboards: facility power / IT power now (reads W, writes a ratio).

This is *indicative* only: ISO/IEC 30134-2 defines PUE over energy, for a period (annual, or
interim when shorter). A ratio of two power readings moves with the weather and the load
within the day and must never be published as "the" PUE: :class:`InstantPue` says so in its
``note`` and carries ``indicative = True``.

The meters are the same as for the energy PUE (``pue_role``, top-level meters of each side
only); every meter needs a whole-device power reading no older than ``max_age_seconds``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from collector.analysis.pue import category_of, top_level
from collector.inventory import Device, Inventory
from collector.model import Sample

POWER = "power_watts"
NOTE = "indicative: a ratio of instantaneous powers, not an ISO/IEC 30134-2 PUE (energy)"


@dataclass(frozen=True, slots=True)
class InstantPue:
    """Facility and IT power (W) of one datacentre at ``at``; ``ratio`` None when a meter has
    no recent reading (``missing`` lists them) or IT power is zero."""

    datacentre: str
    at: datetime
    facility_watts: float
    it_watts: float
    ratio: float | None
    category: str
    missing: tuple[str, ...]
    indicative: bool = True
    note: str = NOTE


def _latest(samples: Iterable[Sample], at: datetime, max_age: float) -> dict[str, float]:
    best: dict[str, Sample] = {}
    for s in samples:
        if s.metric != POWER or s.component is not None or s.ts > at:
            continue
        if (at - s.ts).total_seconds() > max_age:
            continue
        if s.device_id not in best or s.ts > best[s.device_id].ts:
            best[s.device_id] = s
    return {d: s.value for d, s in best.items()}


def instantaneous_pue(
    samples: Iterable[Sample], inventory: Inventory, *, at: datetime, max_age_seconds: float
) -> list[InstantPue]:
    """The indicative ratio of every datacentre of the inventory at ``at``, sorted by name."""
    if max_age_seconds <= 0:
        raise ValueError("max_age_seconds must be positive")
    watts = _latest(samples, at, max_age_seconds)
    by_dc: dict[str, list[Device]] = {}
    for d in inventory.devices.values():
        if d.datacentre and d.pue_role != "none":
            by_dc.setdefault(d.datacentre, []).append(d)
    out = []
    for dc in sorted(by_dc):
        fac = top_level([d for d in by_dc[dc] if d.pue_role == "facility"], inventory)
        it = top_level([d for d in by_dc[dc] if d.pue_role == "it"], inventory)
        missing = tuple(sorted(d.id for d in fac + it if d.id not in watts))
        fac_w = sum(watts.get(d.id, 0.0) for d in fac)
        it_w = sum(watts.get(d.id, 0.0) for d in it)
        ok = fac and it and not missing and it_w > 0
        category, _ = category_of(it)
        out.append(InstantPue(dc, at, fac_w, it_w, fac_w / it_w if ok else None, category, missing))
    return out
