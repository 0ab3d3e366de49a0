"""Window outcomes and compliance rates on literal data (collector.analysis.compliance)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collector.analysis.compliance import (
    DeviceWatts,
    WindowOutcome,
    WindowStatus,
    compliance_rate,
    outcomes,
)
from collector.analysis.energy import HourlyEnergy
from collector.model import StateObservation, Violation
from contract.schema import Quality

W = (datetime(2026, 11, 16, 18, 30, tzinfo=UTC), datetime(2026, 11, 17, 6, 30, tzinfo=UTC))
NOW = W[1] + timedelta(hours=3)
WATTS = DeviceWatts(idle_watts=70.0, sleep_watts=3.0)


def hours(watts: float, measured: bool = True) -> list[HourlyEnergy]:
    """The device drew ``watts`` all night, one row per hour."""
    kwh = watts / 1000
    start = W[0].replace(minute=0)
    return [
        HourlyEnergy(
            "pc-1",
            start + timedelta(hours=i),
            kwh,
            1.0,
            kwh if measured else 0.0,
            0.0 if measured else kwh,
            "ipmi",
            0,
        )
        for i in range(14)
    ]


def run(**kw: Any) -> list[WindowOutcome]:
    args: dict[str, Any] = {
        "violations": [],
        "exempt": [],
        "observations": [],
        "hourly": [],
        "watts": WATTS,
        "now": NOW,
    }
    args.update(kw)
    return outcomes("pc-1", "workstations", [W], **args)


def test_a_violation_wastes_the_energy_of_its_awake_stretch_less_sleep_power() -> None:
    awake_from, awake_to = W[0] + timedelta(minutes=15), W[0] + timedelta(hours=4, minutes=15)
    v = Violation(
        "pc-1", W[0], W[1], awake_from, awake_to, 3600.0, 14400.0, (), 24, "sleep", "awake"
    )
    (o,) = run(violations=[v], hourly=hours(60.0))
    assert o.status == WindowStatus.VIOLATED
    assert o.kwh_wasted == pytest.approx(4 * (0.060 - 0.003))  # 4 h at 60 W, less 3 W asleep
    assert o.wasted_quality == Quality.MEASURED
    (est,) = run(violations=[v], hourly=hours(60.0, measured=False))
    assert est.wasted_quality == Quality.ESTIMATED


def test_a_silent_device_is_unknown_never_compliant() -> None:
    (o,) = run()
    assert o.status == WindowStatus.UNKNOWN and o.kwh_avoided == 0


def test_a_slept_interval_reported_on_resume_makes_the_window_compliant() -> None:
    slept = ((W[0] + timedelta(minutes=20), W[1] - timedelta(minutes=20)),)
    resumed = StateObservation("pc-1", W[1] + timedelta(minutes=5), "resumed", 0.0, (), slept)
    (o,) = run(observations=[resumed])
    assert o.status == WindowStatus.COMPLIANT
    assert o.slept_seconds == pytest.approx(11 * 3600 + 20 * 60)
    assert o.kwh_avoided == pytest.approx((70 - 3) * o.slept_seconds / 3.6e6)


def test_exempt_and_unfinished_windows() -> None:
    (o,) = run(exempt=[W[0]])
    assert o.status == WindowStatus.EXEMPT
    assert run(now=W[1] - timedelta(minutes=1)) == []  # judged only once complete


def test_the_rate_leaves_unknown_windows_out_and_is_none_without_any_known() -> None:
    slept = ((W[0] + timedelta(minutes=20), W[1]),)
    compliant = run(observations=[StateObservation("pc-1", W[1], "resumed", 0.0, (), slept)])
    unknown = run()
    rate = compliance_rate(compliant + unknown + unknown)
    assert (rate.compliant, rate.unknown, rate.rate) == (1, 2, 1.0)
    assert compliance_rate(unknown).rate is None
