"""Hourly energy of one device, from its samples (reads ``Sample``, writes kWh per UTC hour).

Reads ``energy_joules_total`` counters (J) where the device has them, otherwise integrates
``power_watts`` (W) with the trapezoid rule (STYLE.md point 4). Writes one ``HourlyEnergy`` per
UTC hour: kWh, the share of the hour covered by data (0..1), and the measured/estimated split.

Rules (DOMAIN.md, "kWh from power samples"):

- A span between two reads longer than ``max_gap_seconds`` is a gap: it is missing data, it
  lowers the coverage, it is never bridged and never counted as zero.
- A restart (the uptime fell) is never bridged. For a counter that fell across a restart, the
  energy since the restart is its new value, spread from the restart (``ts - uptime_seconds``)
  to the read; the time before the restart is missing. A counter that *rose* across a restart
  is ambiguous (reset and already past, or a counter kept across the reboot): that span is
  missing rather than a guess.
- A counter that fell without a known restart was reset by hand: the energy since the reset is
  its new value (``contract.counters.counter_delta``), spread over the span. Either way it is
  counted in ``resets``. Wraps were already corrected at the source.
- ``component`` splits a device into independent counters (RAPL package/dram, the PDUs of a
  chain): each is followed on its own and the device's energy is their sum; coverage is their
  mean. A value with ``component=None`` is the device total and, when present, is used alone.
- Registers first (:mod:`collector.analysis.scope`): hour by hour, a whole-device energy
  counter (component None, or a source whose counters add up to the device: a PDU's inlet
  kWh, a UPS's output kWh) beats whole-device power (component None). Part counters (RAPL
  package/dram) never replace whole-device power: they and per-part power are used only for a
  device that has no whole-device figure in the range at all.
- An hour the counters cover less of than power does (a coarse register before its first
  step), or where a register has not stepped while power was drawn, falls back to power.
- Each row also says where in the hour its data is (``covered``, seconds from the hour start)
  and its kWh per 5-minute slot (``slot_kwh``), for the time-resolved nested-meter fill-in
  (:mod:`collector.analysis.meters`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from collector.analysis import paths
from collector.analysis.coverage import HOUR_SECONDS, Intervals
from collector.analysis.paths import Hour, Path, Reads
from collector.analysis.scope import Scope, counter_scopes, scope_of
from collector.model import Sample

ENERGY = "energy_joules_total"
POWER = "power_watts"
UPTIME = "uptime_seconds"
JOULES_PER_KWH = 3_600_000.0


@dataclass(frozen=True, slots=True)
class HourlyEnergy:
    """Energy of one device over one UTC hour.

    ``kwh`` counts only the covered part of the hour (never extrapolated); ``coverage`` is the
    share of the hour with data (0..1); ``measured_kwh + estimated_kwh == kwh``; ``source`` the
    sources that contributed, joined by ``+``; ``resets`` the counter resets seen.
    ``covered``: the stretches with data, seconds from the hour start (merged); ``slot_kwh``:
    kWh of each 5-minute slot. Both are None for rows from before they were recorded (the
    fill-in then falls back to the hour's share).
    """

    device_id: str
    hour: datetime
    kwh: float
    coverage: float
    measured_kwh: float
    estimated_kwh: float
    source: str
    resets: int
    covered: Intervals | None = None
    slot_kwh: tuple[float, ...] | None = None


def _hour_range(
    reads: list[Reads], start: datetime | None, end: datetime | None
) -> tuple[float, float]:
    """[lo, hi) in epoch seconds, widened to whole hours."""
    times = [r.t for by_comp in reads for series in by_comp.values() for r in series]
    lo = paths.epoch(start) if start is not None else min(times)
    hi = paths.epoch(end) if end is not None else max(times)
    return (
        math.floor(lo / HOUR_SECONDS) * HOUR_SECONDS,
        math.ceil(hi / HOUR_SECONDS) * HOUR_SECONDS,
    )


def _row(device_id: str, h: float, acc: Hour | None, coverage: float, resets: int) -> HourlyEnergy:
    hour = datetime.fromtimestamp(h, UTC)
    if acc is None or coverage == 0.0:
        return HourlyEnergy(device_id, hour, 0.0, 0.0, 0.0, 0.0, "", resets, (), (0.0,) * 12)
    measured = acc.measured_joules / JOULES_PER_KWH
    estimated = acc.estimated_joules / JOULES_PER_KWH
    source = "+".join(sorted(acc.sources))
    slots = tuple(j / JOULES_PER_KWH for j in acc.slot_joules)
    return HourlyEnergy(
        device_id,
        hour,
        measured + estimated,
        coverage,
        measured,
        estimated,
        source,
        resets,
        acc.covered(),
        slots,
    )


def _below_resolution(counter: Hour | None, power: Hour | None) -> bool:
    """A counter that did not move while power was drawn has not reached its next step
    (a register in 0.1 kWh over a few minutes): its zero is not a measurement, power is."""
    if counter is None or power is None:
        return False
    return counter.joules == 0.0 and power.joules > 0.0


def _has_data(path: Path) -> bool:
    return any(path.coverage(h) > 0.0 for h in path.hours)


def hourly_energy(
    samples: Sequence[Sample],
    *,
    max_gap_seconds: float,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[HourlyEnergy]:
    """kWh per UTC hour for ONE device, one row per hour of the range, oldest first.

    ``max_gap_seconds``: the longest span between two reads that may be interpolated (about
    2-3 poll intervals). ``start``/``end`` clip the computation and are widened to whole hours;
    by default the range runs from the first to the last energy or power sample. Hours without
    data are returned with ``coverage == 0`` (missing, not zero). Raises ValueError for samples
    of several devices, naive timestamps or a non-positive gap.
    """
    if max_gap_seconds <= 0:
        raise ValueError("max_gap_seconds must be positive")
    ids = {s.device_id for s in samples}
    if len(ids) > 1:
        raise ValueError(f"samples of one device expected, got {sorted(ids)}")
    scopes = counter_scopes()

    def whole(s: Sample) -> bool:
        return scope_of(s.source, s.component, scopes) == Scope.DEVICE

    device_counters = paths.by_component(samples, ENERGY, whole)
    part_counters = paths.by_component(samples, ENERGY, lambda s: not whole(s))
    powers = paths.by_component(samples, POWER)
    whole_power: Reads = {None: powers[None]} if None in powers else {}
    part_power: Reads = {} if None in powers else powers
    every = [device_counters, part_counters, powers]
    if not any(every):
        return []
    uptimes = paths.by_component(samples, UPTIME)
    lo, hi = _hour_range(every, start, end)
    counter, power = Path(lo, hi), Path(lo, hi)
    paths.counter_path(device_counters, uptimes, counter, max_gap_seconds)
    paths.power_path(whole_power, uptimes, power, max_gap_seconds)
    if not _has_data(counter) and not _has_data(power):
        # No whole-device figure at all: the parts (RAPL) are the best there is.
        counter, power = Path(lo, hi), Path(lo, hi)
        paths.counter_path(part_counters, uptimes, counter, max_gap_seconds)
        paths.power_path(part_power, uptimes, power, max_gap_seconds)

    device_id = next(iter(ids))
    rows = []
    for i in range(round((hi - lo) / HOUR_SECONDS)):
        h = lo + i * HOUR_SECONDS
        resets = counter.hours[h].resets if h in counter.hours else 0
        cov, path = counter.coverage(h), counter
        by_power = power.coverage(h)
        if cov < by_power or _below_resolution(counter.hours.get(h), power.hours.get(h)):
            cov, path = by_power, power
        rows.append(_row(device_id, h, path.hours.get(h), cov, resets))
    return rows
