"""Integration paths of :mod:`collector.analysis.energy`: counters (J) and power (W) -> joules
per UTC hour and per 5-minute slot, with the covered intervals (internal to the analysis).

A path is one way of measuring a device (its whole-device counters, its power, its part
counters). Each read pair within ``max_gap`` adds its energy, split at slot and hour
boundaries, to the accumulators of the hours it spans; restarts are never bridged.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise

from collector.analysis.coverage import HOUR_SECONDS, SLOT_SECONDS, SLOTS, Intervals, merge
from collector.model import Sample
from contract.counters import counter_delta
from contract.schema import Quality

Reads = dict[str | None, list["Read"]]


@dataclass
class Hour:
    """Running sums for one hour of one path."""

    measured_joules: float = 0.0
    estimated_joules: float = 0.0
    covered_seconds: dict[str | None, float] = field(default_factory=lambda: defaultdict(float))
    intervals: list[tuple[float, float]] = field(default_factory=list)
    slot_joules: list[float] = field(default_factory=lambda: [0.0] * SLOTS)
    sources: set[str] = field(default_factory=set)
    resets: int = 0

    @property
    def joules(self) -> float:
        return self.measured_joules + self.estimated_joules

    def covered(self) -> Intervals:
        return merge(self.intervals)


@dataclass(frozen=True, slots=True)
class Read:
    t: float  # seconds since the epoch
    value: float
    estimated: bool
    source: str


def epoch(ts: datetime) -> float:
    """Seconds since the epoch; ValueError for a naive timestamp."""
    if ts.tzinfo is None:
        raise ValueError(f"naive timestamp {ts.isoformat()}: samples must be timezone-aware")
    return ts.timestamp()


class Path:
    """Hour accumulators of one path, clipped to [lo, hi) (seconds since the epoch)."""

    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi = lo, hi
        self.hours: dict[float, Hour] = defaultdict(Hour)
        self.components: set[str | None] = set()

    def spread(
        self, t0: float, t1: float, w0: float, w1: float, comp: str | None, a: Read, b: Read
    ) -> None:
        """Add a linear power ramp w0 -> w1 (W) over [t0, t1], split at slot boundaries."""
        s, e = max(t0, self.lo), min(t1, self.hi)
        span = t1 - t0
        while s < e:
            h = math.floor(s / HOUR_SECONDS) * HOUR_SECONDS
            k = min(int((s - h) // SLOT_SECONDS), SLOTS - 1)
            cut = min(e, h + (k + 1) * SLOT_SECONDS)
            ws = w0 + (w1 - w0) * (s - t0) / span
            we = w0 + (w1 - w0) * (cut - t0) / span
            joules = (cut - s) * (ws + we) / 2
            acc = self.hours[h]
            if a.estimated or b.estimated:
                acc.estimated_joules += joules
            else:
                acc.measured_joules += joules
            acc.slot_joules[k] += joules
            acc.covered_seconds[comp] += cut - s
            acc.intervals.append((s - h, cut - h))
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


def by_component(
    samples: Iterable[Sample],
    metric: str,
    keep: Callable[[Sample], bool] = lambda s: True,
    *,
    total_alone: bool = True,
) -> Reads:
    """Reads of one metric per component, sorted by time. With ``total_alone``, the device
    total (component None) is used alone when present."""
    out: Reads = defaultdict(list)
    for s in samples:
        if s.metric == metric and keep(s):
            est = s.quality == Quality.ESTIMATED
            out[s.component].append(Read(epoch(s.ts), s.value, est, s.source))
    if total_alone and None in out and len(out) > 1:
        out = defaultdict(list, {None: out[None]})
    for reads in out.values():
        reads.sort(key=lambda r: r.t)
    return out


def restarts(uptimes: list[Read]) -> list[float]:
    """Restart instants (epoch s): where the uptime fell, at ``ts - uptime`` within the span."""
    out = []
    for u0, u1 in pairwise(uptimes):
        if u1.t > u0.t and u1.value < u0.value:
            out.append(min(max(u1.t - u1.value, math.nextafter(u0.t, math.inf)), u1.t))
    return out


def restart_in(found: list[float], t0: float, t1: float) -> float | None:
    """The last restart in (t0, t1], if any."""
    i = bisect.bisect_right(found, t1)
    return found[i - 1] if i and found[i - 1] > t0 else None


def _coarse(series: list[Read], max_gap: float) -> bool:
    """A register that stays flat between some reads and rises between others steps in coarse
    units (a PDU's kWh): what it read before its first step in view is not known."""
    flat = rose = False
    for a, b in pairwise(series):
        if 0 < b.t - a.t <= max_gap:
            flat = flat or b.value == a.value
            rose = rose or b.value > a.value
    return flat and rose


def counter_path(reads: Reads, uptimes: Reads, path: Path, max_gap: float) -> None:
    """Counters (J, monotonic but for resets) -> constant power between the reads where the
    counter rose.

    A register that steps in coarse units (a PDU's kWh) stays flat for several reads, then
    jumps: the jump is spread over the whole stretch since its previous rise, not over the
    last poll interval. Its stretch before its first rise in a run, and after its last, hold
    energy not yet known: they are left uncovered (power fills them hour by hour). A counter
    that never rises is a device drawing nothing: its flat stretches are 0 W.
    """
    for comp, series in reads.items():
        path.components.add(comp)
        found = restarts(uptimes.get(comp) or uptimes.get(None) or [])
        coarse = _coarse(series, max_gap)
        anchor: Read | None = None  # where the current stretch began, in a continuous run
        known = False  # the counter's energy is known at ``anchor`` (a rise, a restart)
        for a, b in pairwise(series):
            if b.t <= a.t:
                continue
            fell = b.value < a.value
            restart = restart_in(found, a.t, b.t)
            if fell or restart is not None:
                path.reset(b.t)
            if b.t - a.t > max_gap or restart is not None or fell:
                if not coarse:
                    _flat(path, anchor, a, comp)
                anchor, known = None, False
                if b.t - a.t <= max_gap:
                    _after_reset(path, a, b, restart, fell, comp)
                    anchor, known = b, True
                continue
            if anchor is None:
                anchor, known = a, False
            if b.value > a.value:
                if known or not coarse:
                    watts = (b.value - anchor.value) / (b.t - anchor.t)
                    path.spread(anchor.t, b.t, watts, watts, comp, anchor, b)
                anchor, known = b, True
        if not coarse:
            _flat(path, anchor, series[-1], comp)


def _flat(path: Path, anchor: Read | None, end: Read, comp: str | None) -> None:
    if anchor is not None and end.t > anchor.t:
        path.spread(anchor.t, end.t, 0.0, 0.0, comp, anchor, end)


def _after_reset(
    path: Path, a: Read, b: Read, restart: float | None, fell: bool, comp: str | None
) -> None:
    """The span of a reset: since a restart, the new value; without one (reset by hand),
    the new value over the span; a counter that rose across a restart is missing."""
    if restart is not None:
        if fell and b.t > restart:
            watts = b.value / (b.t - restart)
            path.spread(restart, b.t, watts, watts, comp, a, b)
        return
    watts = counter_delta(a.value, b.value, modulus=None).delta / (b.t - a.t)
    path.spread(a.t, b.t, watts, watts, comp, a, b)


def power_path(reads: Reads, uptimes: Reads, path: Path, max_gap: float) -> None:
    """Power samples (W) -> trapezoids between reads."""
    for comp, series in reads.items():
        path.components.add(comp)
        found = restarts(uptimes.get(comp) or uptimes.get(None) or [])
        for a, b in pairwise(series):
            if b.t <= a.t or b.t - a.t > max_gap or restart_in(found, a.t, b.t) is not None:
                continue
            path.spread(a.t, b.t, a.value, b.value, comp, a, b)
