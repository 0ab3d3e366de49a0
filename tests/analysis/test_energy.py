"""hourly_energy: counters and power integration, gaps, hour boundaries, resets, restarts."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from collector.analysis.energy import ENERGY, hourly_energy
from collector.model import Sample
from contract.schema import Quality

T0 = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
M, E = Quality.MEASURED, Quality.ESTIMATED


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def s(
    t: float,
    metric: str,
    value: float,
    component: str | None = None,
    quality: Quality = M,
    device: str = "pc-1",
) -> Sample:
    return Sample(device, at(t), metric, value, "rapl", quality, component)


def ramp_watts(t: float) -> float:
    """100 W at 10:00 rising linearly to 300 W at 12:00."""
    return 100 + 200 * t / 7200


def ramp_joules(t: float) -> float:
    return 100 * t + 100 * t * t / 7200


@pytest.mark.parametrize(
    ("metric", "value"), [("power_watts", ramp_watts), ("energy_joules_total", ramp_joules)]
)
def test_counter_and_power_agree_on_the_same_load(metric, value) -> None:
    samples = [s(t, metric, value(t)) for t in range(0, 7201, 60)]
    rows = hourly_energy(samples, max_gap_seconds=180)
    assert [r.hour for r in rows] == [T0, T0 + timedelta(hours=1)]
    assert [r.kwh for r in rows] == pytest.approx([0.15, 0.25])
    assert [r.coverage for r in rows] == pytest.approx([1.0, 1.0])
    assert [r.measured_kwh for r in rows] == pytest.approx([0.15, 0.25])
    assert all(r.estimated_kwh == 0 and r.source == "rapl" for r in rows)


@pytest.mark.parametrize(
    ("metric", "value"),
    [("power_watts", lambda t: 200.0), ("energy_joules_total", lambda t: 200.0 * t)],
)
def test_a_gap_is_missing_not_bridged_nor_zero(metric, value) -> None:
    # data 10:00-10:20 and 10:50-11:00, nothing 11:00-12:00, then 12:00-12:10
    times = [*range(0, 1201, 60), *range(3000, 3601, 60), *range(7200, 7801, 60)]
    rows = hourly_energy([s(t, metric, value(t)) for t in times], max_gap_seconds=180)
    assert len(rows) == 3
    ten, eleven, twelve = rows
    assert ten.coverage == pytest.approx(30 / 60)
    assert ten.kwh == pytest.approx(0.1)  # 200 W for 30 min: not 0.2 (bridged)
    assert eleven.coverage == 0.0 and eleven.kwh == 0.0 and eleven.source == ""
    assert twelve.coverage == pytest.approx(10 / 60)
    assert twelve.kwh == pytest.approx(200 * 600 / 3_600_000)
    assert sum(r.kwh for r in rows) == pytest.approx(0.1 + 200 * 600 / 3_600_000)


def test_a_span_across_the_hour_is_spread_in_proportion() -> None:
    samples = [s(3000, "energy_joules_total", 5_000_000), s(4200, "energy_joules_total", 6_200_000)]
    rows = hourly_energy(samples, max_gap_seconds=1800)
    assert [r.hour.hour for r in rows] == [10, 11]
    assert [r.kwh for r in rows] == pytest.approx([1 / 6, 1 / 6])
    assert [r.coverage for r in rows] == pytest.approx([1 / 6, 1 / 6])


def test_start_and_end_give_every_hour_and_clip() -> None:
    samples = [s(t, "power_watts", 360.0) for t in range(3300, 4201, 60)]
    rows = hourly_energy(samples, max_gap_seconds=180, start=T0, end=at(3 * 3600))
    assert [r.hour.hour for r in rows] == [10, 11, 12]
    assert [r.kwh for r in rows] == pytest.approx([0.03, 0.06, 0.0])
    assert [r.coverage for r in rows] == pytest.approx([5 / 60, 10 / 60, 0.0])
    clipped = hourly_energy(samples, max_gap_seconds=180, start=at(3600), end=at(7200))
    assert [(r.hour.hour, round(r.kwh, 6)) for r in clipped] == [(11, 0.06)]


def test_a_counter_reset_by_hand_counts_the_new_value() -> None:
    reads = [(0, 1_000.0), (60, 2_000.0), (120, 500.0), (180, 1_100.0)]
    rows = hourly_energy([s(t, "energy_joules_total", v) for t, v in reads], max_gap_seconds=180)
    assert len(rows) == 1
    assert rows[0].resets == 1
    assert rows[0].kwh * 3_600_000 == pytest.approx(1_000 + 500 + 600)


def test_a_restart_is_not_bridged() -> None:
    # counter falls with a restart 30 s before the third read: 300 J since the restart
    samples = [
        s(0, "energy_joules_total", 10_000.0),
        s(0, "uptime_seconds", 5_000.0),
        s(60, "energy_joules_total", 10_600.0),
        s(60, "uptime_seconds", 5_060.0),
        s(120, "energy_joules_total", 300.0),
        s(120, "uptime_seconds", 30.0),
        s(180, "energy_joules_total", 900.0),
        s(180, "uptime_seconds", 90.0),
    ]
    row = hourly_energy(samples, max_gap_seconds=180)[0]
    assert row.resets == 1
    assert row.kwh * 3_600_000 == pytest.approx(600 + 300 + 600)
    assert row.coverage * 3600 == pytest.approx(60 + 30 + 60)


def test_a_counter_that_rose_across_a_restart_is_missing_not_guessed() -> None:
    samples = [
        s(0, "energy_joules_total", 10_000.0),
        s(0, "uptime_seconds", 5_000.0),
        s(60, "energy_joules_total", 10_900.0),
        s(60, "uptime_seconds", 20.0),
        s(120, "energy_joules_total", 11_500.0),
        s(120, "uptime_seconds", 80.0),
    ]
    row = hourly_energy(samples, max_gap_seconds=180)[0]
    assert row.resets == 1
    assert row.kwh * 3_600_000 == pytest.approx(600)
    assert row.coverage * 3600 == pytest.approx(60)


def test_power_is_not_integrated_across_a_restart() -> None:
    samples = [
        s(0, "power_watts", 100.0),
        s(0, "uptime_seconds", 5_000.0),
        s(60, "power_watts", 100.0),
        s(60, "uptime_seconds", 10.0),
        s(120, "power_watts", 100.0),
        s(120, "uptime_seconds", 70.0),
    ]
    row = hourly_energy(samples, max_gap_seconds=180)[0]
    assert row.kwh * 3_600_000 == pytest.approx(6_000)
    assert row.coverage * 3600 == pytest.approx(60)


def test_components_are_summed_and_coverage_is_their_mean() -> None:
    samples = [s(t, "energy_joules_total", 10.0 * t, "package-0") for t in range(0, 3601, 60)]
    samples += [s(t, "energy_joules_total", 2.0 * t, "dram") for t in range(0, 1801, 60)]
    row = hourly_energy(samples, max_gap_seconds=180)[0]
    assert row.kwh * 3_600_000 == pytest.approx(36_000 + 3_600)
    assert row.coverage == pytest.approx(0.75)


def test_the_device_total_is_preferred_to_component_power() -> None:
    samples = [s(t, "power_watts", 500.0) for t in range(0, 3601, 60)]
    samples += [s(t, "power_watts", 100.0, "outlet-1") for t in range(0, 3601, 60)]
    assert hourly_energy(samples, max_gap_seconds=180)[0].kwh == pytest.approx(0.5)


def test_power_fills_hours_the_counter_does_not_cover() -> None:
    samples = [s(t, "power_watts", 100.0, quality=E) for t in range(0, 7201, 60)]
    samples += [s(t, "energy_joules_total", 300.0 * t) for t in range(3600, 7201, 60)]
    ten, eleven = hourly_energy(samples, max_gap_seconds=180)
    assert (ten.kwh, ten.estimated_kwh, ten.measured_kwh) == pytest.approx((0.1, 0.1, 0.0))
    assert (eleven.kwh, eleven.measured_kwh, eleven.estimated_kwh) == pytest.approx((0.3, 0.3, 0))


def test_unsorted_input_gives_the_same_result() -> None:
    samples = [s(t, "power_watts", 200.0) for t in range(0, 3601, 60)]
    assert hourly_energy(samples[::-1], max_gap_seconds=180) == hourly_energy(
        samples, max_gap_seconds=180
    )


def test_refuses_several_devices_and_naive_times() -> None:
    with pytest.raises(ValueError, match="one device"):
        hourly_energy(
            [s(0, "power_watts", 1.0), s(60, "power_watts", 1.0, device="pc-2")],
            max_gap_seconds=180,
        )
    naive = Sample("pc-1", datetime(2026, 1, 1), "power_watts", 1.0, "rapl", M)
    with pytest.raises(ValueError, match="naive"):
        hourly_energy([naive], max_gap_seconds=180)
    assert hourly_energy([], max_gap_seconds=180) == []


def test_a_counter_below_its_resolution_gives_way_to_power() -> None:
    """A 0.1 kWh register does not move in 2 minutes at 1 kW: power integration counts."""
    t0 = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
    samples = []
    for i in range(5):
        ts = t0 + timedelta(seconds=30 * i)
        samples.append(Sample("pdu", ts, "energy_joules_total", 3.6e8, "pdu", Quality.MEASURED))
        samples.append(Sample("pdu", ts, "power_watts", 1000.0, "pdu", Quality.MEASURED))
    (row,) = hourly_energy(samples, max_gap_seconds=300)
    assert row.kwh == pytest.approx(1000 * 120 / 3.6e6)


def test_counters_of_parts_do_not_replace_whole_device_power() -> None:
    """RAPL counts the CPU package only; the server's IPMI power is the whole machine."""
    t0 = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
    samples = []
    for i in range(7):
        ts = t0 + timedelta(minutes=10 * i)
        samples.append(
            Sample(
                "srv",
                ts,
                "energy_joules_total",
                40.0 * 600 * i,
                "rapl",
                Quality.MEASURED,
                "package-0",
            )
        )
        samples.append(Sample("srv", ts, "power_watts", 250.0, "ipmi", Quality.MEASURED))
    (row,) = hourly_energy(samples, max_gap_seconds=900)
    assert row.kwh == pytest.approx(0.25)
    assert row.source == "ipmi"


def test_a_coarse_register_is_spread_over_the_stretch_since_its_last_step() -> None:
    # a PDU inlet at 140 W whose register counts whole kWh: it steps every 7 h 8 min, so most
    # hours see it flat. Hours before its first step and after its last fall back to power; a
    # step is spread over the hours since the previous one, never added on top of them.
    def kwh_register(t: float) -> float:
        return math.floor(140.0 * t / 3_600_000) * 3_600_000.0

    samples = []
    for t in range(0, 21 * 3600 + 1, 60):
        samples.append(Sample("pdu", at(t), "power_watts", 140.0, "pdu_inlet", M))
        register = kwh_register(t + 3_000_000 / 140)
        samples.append(Sample("pdu", at(t), ENERGY, register, "pdu_inlet", M, "in-1"))
    rows = hourly_energy(samples, max_gap_seconds=180)
    assert len(rows) == 21
    # each hour within a read's worth of the truth: no hour takes a whole kWh step
    assert [r.kwh for r in rows] == pytest.approx([0.14] * 21, rel=5e-3)
    assert sum(r.kwh for r in rows) == pytest.approx(21 * 0.14, rel=1e-3)
    assert all(r.coverage == pytest.approx(1.0) for r in rows)
