"""Nested meters, exactly once, in time: samples -> hourly rows -> domain totals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from collector.analysis import coverage as cv
from collector.analysis.energy import HourlyEnergy, hourly_energy
from collector.analysis.meters import counted
from collector.analysis.rollup import kwh_by_domain
from collector.inventory import Device, Inventory
from collector.model import Sample
from contract.schema import Quality

T0 = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
INV = Inventory(
    [
        Device(id="meter", kind="pdu", domain="Environnement serveur"),
        Device(id="srv", kind="server", domain="Environnement serveur", metered_by="meter"),
    ]
)


def rows_of(
    device: str, watts: Callable[[float], float], gaps: list[tuple[int, int]]
) -> list[HourlyEnergy]:
    """One hour of power reads every 60 s, none inside the ``gaps`` (s from 10:00)."""
    times = [t for t in range(0, 3601, 60) if not any(a < t < b for a, b in gaps)]
    samples = [
        Sample(device, T0 + timedelta(seconds=t), "power_watts", watts(t), "snmp", Quality.MEASURED)
        for t in times
    ]
    return hourly_energy(samples, max_gap_seconds=90, start=T0, end=T0 + timedelta(hours=1))


def total(rows: list[HourlyEnergy]) -> float:
    return sum(d.kwh for d in kwh_by_domain(rows, INV))


def test_minutes_both_miss_are_counted_by_neither() -> None:
    # a collector outage 10:20-10:40: the meter (500 W) and the server (300 W) both miss it
    meter = rows_of("meter", lambda t: 500.0, [(1200, 2400)])
    srv = rows_of("srv", lambda t: 300.0, [(1200, 2400)])
    assert meter[0].covered == ((0.0, 1200.0), (2400.0, 3600.0))
    assert total(meter + srv) == pytest.approx(0.5 * 40 / 60)  # the meter's 40 min, once
    [domain] = kwh_by_domain(meter + srv, INV)
    assert domain.coverage == pytest.approx(40 / 60)  # missing, not zero, not filled twice


def test_the_meter_gap_is_filled_by_the_device_for_that_stretch_only() -> None:
    # the meter is polled from 10:30 on; the server draws 100 W, then 500 W from 10:30
    def srv_w(t: float) -> float:
        return 100.0 if t <= 1800 else 500.0

    meter = rows_of("meter", lambda t: 600.0, [(-60, 1800)])
    srv = rows_of("srv", srv_w, [])  # reads 100 W up to 10:30 included
    srv_exact = 100 * 1800 / 3.6e6
    assert total(meter + srv) == pytest.approx(0.6 * 0.5 + srv_exact, rel=1e-9)
    # an even share of the server's hour (the old fill-in) would have counted 0.15 kWh
    assert srv_exact == pytest.approx(0.05)


def test_a_gap_off_the_slot_grid_is_exact_for_a_steady_device() -> None:
    meter = rows_of("meter", lambda t: 1000.0, [(420, 1380)])  # 10:07-10:23 missing
    srv = rows_of("srv", lambda t: 250.0, [])
    expected = 1.0 * (3600 - 960) / 3600 + 0.25 * 960 / 3600
    assert total(meter + srv) == pytest.approx(expected, rel=1e-9)


def test_rows_without_intervals_fall_back_to_the_hour_share() -> None:
    meter = HourlyEnergy("meter", T0, 0.25, 0.5, 0.25, 0.0, "snmp", 0)
    srv = HourlyEnergy("srv", T0, 0.2, 1.0, 0.1, 0.1, "ipmi", 0)
    part = counted(srv, [meter])
    assert (part.kwh, part.measured_kwh, part.estimated_kwh) == pytest.approx((0.1, 0.05, 0.05))
    assert counted(srv, [None]).kwh == 0.2


def test_three_levels_count_each_stretch_once() -> None:
    inv = Inventory(
        [
            Device(id="dc", kind="facility_meter", domain="Environnement serveur"),
            Device(id="pdu", kind="pdu", domain="Environnement serveur", metered_by="dc"),
            Device(id="srv", kind="server", domain="Environnement serveur", metered_by="pdu"),
        ]
    )
    dc = rows_of("dc", lambda t: 900.0, [(-60, 1200)])  # from 10:20
    pdu = rows_of("pdu", lambda t: 600.0, [(-60, 600)])  # from 10:10
    srv = rows_of("srv", lambda t: 300.0, [])
    got = sum(d.kwh for d in kwh_by_domain(dc + pdu + srv, inv))
    assert got == pytest.approx((900 * 2400 + 600 * 600 + 300 * 600) / 3.6e6, rel=1e-9)


def test_coverage_codecs_round_trip_and_refuse_bad_text() -> None:
    iv = ((0.0, 1200.5), (1500.0, 3600.0))
    assert cv.encode_covered(iv) == "0-1200.5 1500-3600"
    assert cv.decode_covered(cv.encode_covered(iv)) == iv
    slots = tuple(k / 7 for k in range(12))
    assert cv.decode_slots(cv.encode_slots(slots)) == pytest.approx(slots, rel=1e-5)
    assert cv.from_columns(*cv.to_columns(iv, slots))[0] == iv
    assert cv.from_columns("0-10 x-1", cv.encode_slots(slots)) == (None, None)  # never stops
    assert cv.to_columns(None, None) == (None, None)
    with pytest.raises(ValueError, match="bad interval 'x-1'"):
        cv.decode_covered("0-10 x-1")
    with pytest.raises(ValueError, match="not inside the hour"):
        cv.decode_covered("0-4000")
    with pytest.raises(ValueError, match="12 non-negative"):
        cv.decode_slots("1,2")
