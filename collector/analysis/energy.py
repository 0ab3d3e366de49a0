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
- Counters are preferred hour by hour: an hour the counters do not cover at all falls back to
  power integration when power samples cover it.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise

from collector.model import Sample
from contract.counters import counter_delta
from contract.schema import Quality

ENERGY = "energy_joules_total"
POWER = "power_watts"
UPTIME = "uptime_seconds"
HOUR_SECONDS = 3600.0
JOULES_PER_KWH = 3_600_000.0


@dataclass(frozen=True, slots=True)
class HourlyEnergy:
    """Energy of one device over one UTC hour.

    ``kwh`` counts only the covered part of the hour (never extrapolated); ``coverage`` is the
    share of the hour with data (0..1); ``measured_kwh + estimated_kwh == kwh``; ``source`` the
    sources that contributed, joined by ``+``; ``resets`` the counter resets seen.
    """

    device_id: str
    hour: datetime
    kwh: float
    coverage: float
    measured_kwh: float
    estimated_kwh: float
    source: str
    resets: int


@dataclass
class _Hour:
    """Running sums for one hour of one path (counter or power)."""

    measured_joules: float = 0.0
    estimated_joules: float = 0.0
    covered_seconds: dict[str | None, float] = field(default_factory=lambda: defaultdict(float))
    sources: set[str] = field(default_factory=set)
    resets: int = 0


@dataclass(frozen=True, slots=True)
class _Read:
    t: float  # seconds since the epoch
    value: float
    estimated: bool
    source: str


class _Path:
    """Hour accumulators of one path, clipped to [lo, hi) (seconds since the epoch)."""

    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi = lo, hi
        self.hours: dict[float, _Hour] = defaultdict(_Hour)
        self.components: set[str | None] = set()

    def spread(
        self, t0: float, t1: float, w0: float, w1: float, comp: str | None, a: _Read, b: _Read
    ) -> None:
        """Add a linear power ramp w0 -> w1 (W) over [t0, t1], split at hour boundaries."""
        s, e = max(t0, self.lo), min(t1, self.hi)
        span = t1 - t0
        while s < e:
            h = math.floor(s / HOUR_SECONDS) * HOUR_SECONDS
            cut = min(e, h + HOUR_SECONDS)
            ws = w0 + (w1 - w0) * (s - t0) / span
            we = w0 + (w1 - w0) * (cut - t0) / span
            joules = (cut - s) * (ws + we) / 2
            acc = self.hours[h]
            if a.estimated or b.estimated:
                acc.estimated_joules += joules
            else:
                acc.measured_joules += joules
            acc.covered_seconds[comp] += cut - s
            acc.sources.update((a.source, b.source))
            s = cut

    def reset(self, t: float) -> None:
        if self.lo <= t < self.hi:
            self.hours[math.floor(t / HOUR_SECONDS) * HOUR_SECONDS].resets += 1

    def coverage(self, h: float) -> float:
        acc = self.hours.get(h)
        if acc is None or not self.components:
            return 0.0
        shares = (min(acc.covered_seconds.get(c, 0.0) / HOUR_SECONDS, 1.0) for c in self.components)
        return min(sum(shares) / len(self.components), 1.0)


def _epoch(ts: datetime) -> float:
    if ts.tzinfo is None:
        raise ValueError(f"naive timestamp {ts.isoformat()}: samples must be timezone-aware")
    return ts.timestamp()


def _by_component(samples: Sequence[Sample], metric: str) -> dict[str | None, list[_Read]]:
    """Reads of one metric per component, sorted by time; the device total alone if present."""
    out: dict[str | None, list[_Read]] = defaultdict(list)
    for s in samples:
        if s.metric == metric:
            est = s.quality == Quality.ESTIMATED
            out[s.component].append(_Read(_epoch(s.ts), s.value, est, s.source))
    if None in out and len(out) > 1:
        out = defaultdict(list, {None: out[None]})
    for reads in out.values():
        reads.sort(key=lambda r: r.t)
    return out


def _restarts(uptimes: list[_Read]) -> list[float]:
    """Restart instants (epoch s): where the uptime fell, at ``ts - uptime`` within the span."""
    out = []
    for u0, u1 in pairwise(uptimes):
        if u1.t > u0.t and u1.value < u0.value:
            out.append(min(max(u1.t - u1.value, math.nextafter(u0.t, math.inf)), u1.t))
    return out


def _restart_in(restarts: list[float], t0: float, t1: float) -> float | None:
    """The last restart in (t0, t1], if any."""
    i = bisect.bisect_right(restarts, t1)
    return restarts[i - 1] if i and restarts[i - 1] > t0 else None


def _counter_path(
    reads: dict[str | None, list[_Read]],
    uptimes: dict[str | None, list[_Read]],
    path: _Path,
    max_gap: float,
) -> None:
    for comp, series in reads.items():
        path.components.add(comp)
        restarts = _restarts(uptimes.get(comp) or uptimes.get(None) or [])
        for a, b in pairwise(series):
            if b.t <= a.t:
                continue
            fell = b.value < a.value
            restart = _restart_in(restarts, a.t, b.t)
            if fell or restart is not None:
                path.reset(b.t)
            if b.t - a.t > max_gap:
                continue
            if restart is not None:
                if fell and b.t > restart:
                    watts = b.value / (b.t - restart)
                    path.spread(restart, b.t, watts, watts, comp, a, b)
                continue
            watts = counter_delta(a.value, b.value, modulus=None).delta / (b.t - a.t)
            path.spread(a.t, b.t, watts, watts, comp, a, b)


def _power_path(
    reads: dict[str | None, list[_Read]],
    uptimes: dict[str | None, list[_Read]],
    path: _Path,
    max_gap: float,
) -> None:
    for comp, series in reads.items():
        path.components.add(comp)
        restarts = _restarts(uptimes.get(comp) or uptimes.get(None) or [])
        for a, b in pairwise(series):
            if b.t <= a.t or b.t - a.t > max_gap or _restart_in(restarts, a.t, b.t) is not None:
                continue
            path.spread(a.t, b.t, a.value, b.value, comp, a, b)


def _hour_range(
    reads: list[dict[str | None, list[_Read]]], start: datetime | None, end: datetime | None
) -> tuple[float, float]:
    """[lo, hi) in epoch seconds, widened to whole hours."""
    times = [r.t for by_comp in reads for series in by_comp.values() for r in series]
    lo = _epoch(start) if start is not None else min(times)
    hi = _epoch(end) if end is not None else max(times)
    return (
        math.floor(lo / HOUR_SECONDS) * HOUR_SECONDS,
        math.ceil(hi / HOUR_SECONDS) * HOUR_SECONDS,
    )


def _row(device_id: str, h: float, acc: _Hour | None, coverage: float, resets: int) -> HourlyEnergy:
    hour = datetime.fromtimestamp(h, UTC)
    if acc is None or coverage == 0.0:
        return HourlyEnergy(device_id, hour, 0.0, 0.0, 0.0, 0.0, "", resets)
    measured = acc.measured_joules / JOULES_PER_KWH
    estimated = acc.estimated_joules / JOULES_PER_KWH
    source = "+".join(sorted(acc.sources))
    return HourlyEnergy(
        device_id, hour, measured + estimated, coverage, measured, estimated, source, resets
    )


def _below_resolution(counter: _Hour | None, power: _Hour | None) -> bool:
    """A counter that did not move while power was drawn has not reached its next step
    (a register in 0.1 kWh over a few minutes): its zero is not a measurement, power is."""
    if counter is None or power is None:
        return False
    counted = counter.measured_joules + counter.estimated_joules
    drawn = power.measured_joules + power.estimated_joules
    return counted == 0.0 and drawn > 0.0


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
    counters = _by_component(samples, ENERGY)
    powers = _by_component(samples, POWER)
    if None in powers and None not in counters:
        # Counters of parts (RAPL package and dram) would replace the whole device's power:
        # a whole-device figure, even a power one, is the better measure of the device.
        counters = {}
    if not counters and not powers:
        return []
    uptimes = _by_component(samples, UPTIME)
    lo, hi = _hour_range([counters, powers], start, end)
    by_counter, by_power = _Path(lo, hi), _Path(lo, hi)
    _counter_path(counters, uptimes, by_counter, max_gap_seconds)
    _power_path(powers, uptimes, by_power, max_gap_seconds)

    device_id = next(iter(ids))
    rows = []
    for i in range(round((hi - lo) / HOUR_SECONDS)):
        h = lo + i * HOUR_SECONDS
        resets = by_counter.hours[h].resets if h in by_counter.hours else 0
        cov = by_counter.coverage(h)
        path = by_counter
        if cov == 0.0 or _below_resolution(by_counter.hours.get(h), by_power.hours.get(h)):
            cov, path = by_power.coverage(h), by_power
        rows.append(_row(device_id, h, path.hours.get(h), cov, resets))
    return rows
