"""Accuracy on analytic signals: samples of a known load -> hourly kWh -> civil days.

Every case samples a load whose integral is known in closed form (the antiderivative ``E(t)``
below, in J), read every 60 s either as power (W, trapezoids) or as an energy counter (J), and
checks each hour's kWh within 0.1 % of the exact integral over the covered time, with the
coverage right. Square-wave edges fall between two reads (a read is never taken on an edge);
the trapezoid across an edge is then exact at the midpoint, and at most ΔP x 30 s off elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from collector.analysis.aggregate import ALL_DOMAINS, energy_by_period
from collector.analysis.coverage import Intervals, length, merge
from collector.analysis.energy import HourlyEnergy, hourly_energy
from collector.analysis.periods import period_of
from collector.inventory import Device, Inventory
from collector.model import Sample
from collector.snmp.counters import CounterState
from contract.schema import Quality

T0 = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
READ = 60
REL = 1e-3  # 0.1 %
J_PER_KWH = 3.6e6
SINE_PERIOD = 1200.0
HALF = 420.0  # square wave: 7 min high, 7 min low, edges at 30 s past a read


def constant(t: float) -> float:
    return 250.0 * t


def ramp(t: float) -> float:  # 100 W rising by 200 W an hour
    return 100.0 * t + (200.0 / 3600) * t * t / 2


def sine(t: float) -> float:  # 300 +- 200 W, period 20 min
    w = 2 * math.pi / SINE_PERIOD
    return 300.0 * t - 200.0 / w * math.cos(w * t) + 200.0 / w


def square(t: float) -> float:  # 100 W low, 400 W high, high first from 30 s
    n = math.floor((t - 30) / (2 * HALF))
    r = (t - 30) - 2 * HALF * n
    return 100.0 * t + 300.0 * (HALF * n + min(r, HALF))


def watts(e: Callable[[float], float], t: float) -> float:
    """dE/dt at a read (reads never fall on an edge)."""
    return (e(t + 1e-3) - e(t - 1e-3)) / 2e-3


@dataclass
class Case:
    name: str
    energy: Callable[[float], float]
    metric: str
    hours: int = 2
    gaps: list[tuple[float, float]] = field(default_factory=list)  # no reads strictly inside


CASES = [
    Case(name, e, metric)
    for name, e in [("constant", constant), ("ramp", ramp), ("sine", sine), ("square", square)]
    for metric in ("power_watts", "energy_joules_total")
] + [
    Case("gap across the hour, power", ramp, "power_watts", gaps=[(3000, 4200)]),
    Case("gap across the hour, counter", sine, "energy_joules_total", gaps=[(3300, 3960)]),
]


def covered_in(hour: int, reads: list[float], max_gap: float) -> Intervals:
    lo, hi = hour * 3600.0, (hour + 1) * 3600.0
    spans = [(a, b) for a, b in pairwise(reads) if b - a <= max_gap]
    return tuple((max(a, lo), min(b, hi)) for a, b in spans if min(b, hi) > max(a, lo))


def exact_kwh(e: Callable[[float], float], covered: Intervals) -> float:
    return sum(e(b) - e(a) for a, b in covered) / J_PER_KWH


def sample(t: float, metric: str, value: float, device: str = "dev") -> Sample:
    return Sample(device, T0 + timedelta(seconds=t), metric, value, "ipmi", Quality.MEASURED)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.name}-{c.metric}")
def test_hourly_kwh_is_the_integral(case: Case) -> None:
    end = case.hours * 3600
    reads = [t for t in range(0, end + 1, READ) if not any(a < t < b for a, b in case.gaps)]
    if case.metric == "power_watts":
        samples = [sample(t, case.metric, watts(case.energy, t)) for t in reads]
    else:
        samples = [sample(t, case.metric, case.energy(t)) for t in reads]
    rows = hourly_energy(samples, max_gap_seconds=90, start=T0, end=T0 + timedelta(seconds=end))
    assert len(rows) == case.hours
    for h, row in enumerate(rows):
        covered = covered_in(h, [float(t) for t in reads], 90)
        assert row.kwh == pytest.approx(exact_kwh(case.energy, covered), rel=REL), h
        assert row.coverage == pytest.approx(length(covered) / 3600, abs=1e-9), h
        assert row.covered == merge((a - h * 3600, b - h * 3600) for a, b in covered)


def test_counter32_wraps_and_a_reboot() -> None:
    """A Counter32 in J wraps in the first hour; the device reboots at 10:30:30 (counter from
    zero): the wrap is corrected at the source, the 30 s before the reboot are missing."""
    state, boot, restart = CounterState(), -50_000.0, 1830.0
    start_raw = 2**32 - 100_000  # wraps at about 10:13
    samples = []
    for t in range(0, 7201, READ):
        since_boot = t - (restart if t > restart else boot)
        raw = (
            math.floor(ramp(t) - ramp(restart)) if t > restart else start_raw + math.floor(ramp(t))
        )
        mono, _ = state.update("e", raw % 2**32, modulus=2**32, resettable=False, uptime=since_boot)
        samples += [sample(t, "energy_joules_total", mono), sample(t, "uptime_seconds", since_boot)]
    assert state.wraps == 1 and state.resets == 1
    rows = hourly_energy(samples, max_gap_seconds=90)
    first, second = rows
    assert first.resets == 1
    missing = (1800.0, restart)
    assert first.coverage == pytest.approx((3600 - (restart - 1800)) / 3600)
    want = exact_kwh(ramp, ((0.0, missing[0]), (restart, 3600.0)))
    assert first.kwh == pytest.approx(want, rel=REL)
    assert second.kwh == pytest.approx(exact_kwh(ramp, ((3600.0, 7200.0),)), rel=REL)
    assert second.coverage == pytest.approx(1.0)


def _local_day(day: date, watts_of: Callable[[float], float]) -> tuple[list[HourlyEnergy], float]:
    """A day of power reads over the civil day ``day`` in Paris; the load in W of UTC seconds
    since the day's start. Returns the hourly rows and the day's length in s."""
    p = period_of("day", day, "Europe/Paris")
    seconds = (p.end - p.start).total_seconds()
    samples = [
        Sample("srv", p.start + timedelta(seconds=t), "power_watts", watts_of(t), "ipmi",
               Quality.MEASURED)
        for t in range(0, int(seconds) + 1, READ)
    ]  # fmt: skip
    return hourly_energy(samples, max_gap_seconds=90, start=p.start, end=p.end), seconds


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)])
def test_the_days_of_the_changes(day: date, hours: int) -> None:
    inv = Inventory([Device(id="srv", kind="server")])
    rows, seconds = _local_day(day, lambda t: 200.0 + 100.0 * t / 86_400)
    assert seconds == hours * 3600 and len(rows) == hours
    [domain, total] = energy_by_period(rows, inv, [period_of("day", day, "Europe/Paris")])
    assert total.domain == ALL_DOMAINS and total.period.hours == hours
    exact = (200.0 * seconds + 100.0 * seconds**2 / 2 / 86_400) / J_PER_KWH
    assert total.kwh == pytest.approx(exact, rel=REL)
    assert total.kwh != pytest.approx(exact * 24 / hours, rel=REL)  # a 24-hour day is wrong
    assert total.coverage == pytest.approx(1.0) and total.measured_share == pytest.approx(1.0)
    assert domain.kwh == total.kwh and domain.domain == "Environnement serveur"
