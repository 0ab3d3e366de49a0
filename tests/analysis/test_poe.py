"""PoE night policy: access-point ports drawing power in the sleep windows, literal samples."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from collector.analysis.poe import find_poe_violations
from collector.config import MaintenanceWindow, PoePolicy, PolicySettings
from collector.model import Sample
from contract.schema import Quality

PARIS = ZoneInfo("Europe/Paris")
POE = PoePolicy(max_port_watts=2.0, min_minutes=30, access_point_ports={"poe-1": ["port-1"]})
POLICY = PolicySettings(poe=POE)


def paris(d: int, h: int, mi: int = 0) -> datetime:
    return datetime(2026, 11, d, h, mi, tzinfo=PARIS)


def port(
    start: datetime, end: datetime, watts: float, component: str = "port-1", step: int = 5
) -> list[Sample]:
    out, t = [], start
    while t <= end:
        out.append(Sample("poe-1", t, "power_watts", watts, "poe_pse", Quality.MEASURED, component))
        t += timedelta(minutes=step)
    return out


def test_access_point_powered_all_night() -> None:
    # Tuesday 17 November: 18:00 to Wednesday 08:00 at 6.5 W; the window is 19:30 -> 07:30.
    (v,) = find_poe_violations(port(paris(17, 18), paris(18, 8), 6.5), POLICY)
    assert (v.device_id, v.component) == ("poe-1", "port-1")
    assert v.first_above.astimezone(PARIS) == paris(17, 19, 30)
    assert v.last_above.astimezone(PARIS) == paris(18, 7, 25)
    assert v.seconds_above == pytest.approx((11 * 60 + 55) * 60)
    assert v.max_watts == 6.5 and v.threshold_watts == 2.0
    assert v.evidence == (
        "port-1 drew up to 6.5 W (limit 2 W) for 11 h 55 min from"
        " Tue 2026-11-17 19:30 to Wed 2026-11-18 07:25 (Europe/Paris)"
    )


def test_port_switched_off_at_night_is_compliant() -> None:
    day = port(paris(17, 8), paris(17, 19, 25), 6.5)
    night = port(paris(17, 19, 30), paris(18, 7, 25), 0.0)
    assert (
        find_poe_violations(day + night + port(paris(18, 7, 30), paris(18, 9), 6.5), POLICY) == []
    )


def test_short_draw_below_min_minutes_and_other_ports_are_ignored() -> None:
    short = port(paris(17, 22), paris(17, 22, 25), 6.5)  # 25 min above
    phone = port(paris(17, 18), paris(18, 8), 4.0, component="port-7")  # an IP phone
    assert find_poe_violations(short + phone, POLICY) == []


def test_a_gap_in_the_data_is_not_counted_as_power() -> None:
    # Two samples 3 h apart, both above: nothing measured in between, so nothing counted.
    sparse = port(paris(17, 21), paris(18, 3), 6.5, step=180)
    assert find_poe_violations(sparse, POLICY) == []


def test_maintenance_window_is_not_counted() -> None:
    policy = PolicySettings(
        poe=POE, maintenance=[MaintenanceWindow(weekday=1, start="22:00", end="23:00")]
    )  # Tuesdays
    patch = port(paris(17, 22), paris(17, 22, 55), 6.5)
    assert find_poe_violations(patch, policy) == []
    assert len(find_poe_violations(patch, POLICY)) == 1


def test_no_poe_policy_no_violation() -> None:
    assert find_poe_violations(port(paris(17, 18), paris(18, 8), 6.5), PolicySettings()) == []
