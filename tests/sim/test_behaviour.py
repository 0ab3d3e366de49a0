"""Office-hours behaviour in Europe/Paris: who is at work, awake, asleep, and at what power."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from collector.sim import servers as srv_model
from collector.sim.behaviour import sleeps_between, state_at
from collector.sim.fleet import Fleet, Workstation
from collector.sim.office import PARIS, day_plan, local_day


def _local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=PARIS)


def _awake_share(stations: list[Workstation], ts: datetime) -> float:
    return sum(state_at(w, ts).power_state != "asleep" for w in stations) / len(stations)


def test_share_awake_at_night(fleet: Fleet) -> None:
    desktops = [w for w in fleet.workstations if w.kind == "desktop"]
    laptops = [w for w in fleet.workstations if w.kind == "laptop"]
    # 03:00 on the nights after Monday..Thursday of three ordinary weeks of November 2025.
    nights = [_local(date(2025, 11, d), 3) for d in (4, 5, 6, 7, 18, 19, 20, 21, 25, 26, 27, 28)]
    desk = sum(_awake_share(desktops, t) for t in nights) / len(nights)
    lap = sum(_awake_share(laptops, t) for t in nights) / len(nights)
    assert 0.10 <= desk <= 0.30
    assert lap < desk
    # Only the machines that cannot or will not sleep are awake at night.
    for t in nights:
        assert all(w.insomnia for w in fleet.workstations if state_at(w, t).power_state != "asleep")


def test_office_hours_are_busy(fleet: Fleet) -> None:
    ts = _local(date(2025, 11, 4), 10, 30)  # an ordinary Tuesday morning
    active = sum(state_at(w, ts).power_state == "active" for w in fleet.workstations)
    assert active >= 0.6 * len(fleet.workstations)


@pytest.mark.parametrize(
    "day",
    [date(2025, 11, 8), date(2025, 11, 9), date(2024, 11, 1), date(2025, 11, 11)],
    ids=["saturday", "sunday", "toussaint-friday", "armistice-tuesday"],
)
def test_no_office_activity_on_weekends_and_public_holidays(fleet: Fleet, day: date) -> None:
    assert all(day_plan(w, day).presence == () for w in fleet.workstations)
    for minutes in range(0, 24 * 60, 20):
        ts = _local(day, 0) + timedelta(minutes=minutes)
        for w in fleet.workstations:
            s = state_at(w, ts)
            assert s.power_state != "active", (w.id, ts)
            if s.power_state == "idle":
                assert w.insomnia is not None, (w.id, ts)


def test_arrivals_and_departures_in_office_hours(fleet: Fleet) -> None:
    starts, ends = [], []
    for d in range(3, 29):
        day = date(2025, 11, d)
        for w in fleet.workstations:
            presence = day_plan(w, day).presence
            if presence:
                starts.append(presence[0][0].astimezone(PARIS).time())
                ends.append(presence[-1][1].astimezone(PARIS).time())
    assert min(starts) >= time(7, 45) and max(starts) <= time(9, 30)
    assert max(ends) <= time(19, 0)
    assert sum(e >= time(16, 30) for e in ends) > 0.9 * len(ends)
    # Not everyone arrives at the same minute.
    assert len({s.replace(second=0, microsecond=0) for s in starts}) > 50


def test_power_by_state(fleet: Fleet) -> None:
    day = date(2025, 11, 4)
    for w in fleet.workstations:
        for minutes in range(0, 24 * 60, 15):
            s = state_at(w, _local(day, 0) + timedelta(minutes=minutes))
            bounds: dict[str, tuple[float, float]]
            if w.kind == "desktop":
                bounds = {"active": (75, 105), "idle": (38, 77), "asleep": (2, 3)}
            else:
                bounds = {"active": (12, 26), "idle": (5, 12), "asleep": (0.8, 1.2)}
            lo, hi = bounds[s.power_state]
            assert lo <= s.watts <= hi, (w.id, s)
            if s.power_state == "idle" and not s.display_on:
                assert s.idle_seconds >= w.display_off_seconds


def test_sleep_follows_the_configured_timeout(fleet: Fleet) -> None:
    day = date(2025, 11, 4)
    sleeper = next(
        w
        for w in fleet.workstations
        if w.kind == "desktop" and not w.insomnia and day_plan(w, day).presence
    )
    left = day_plan(sleeper, day).presence[-1][1]
    just_before = left + timedelta(seconds=sleeper.sleep_after_seconds - 60)
    just_after = left + timedelta(seconds=sleeper.sleep_after_seconds + 60)
    assert state_at(sleeper, just_before).power_state == "idle"
    assert state_at(sleeper, just_after).power_state == "asleep"
    back = day_plan(sleeper, local_day(left + timedelta(days=1))).presence
    slept = sleeps_between(sleeper, left, left + timedelta(days=1, hours=12))
    assert slept and slept[0][0] == left + timedelta(seconds=sleeper.sleep_after_seconds)
    if back:
        assert slept[0][1] == back[0][0]


def test_state_needs_an_aware_time(fleet: Fleet) -> None:
    with pytest.raises(ValueError, match="naive"):
        state_at(fleet.workstations[0], datetime(2025, 11, 4, 10))


def test_server_power_between_idle_and_max(fleet: Fleet) -> None:
    t0 = datetime(2025, 11, 3, tzinfo=UTC)
    for srv in fleet.servers:
        samples = [state_at(srv, t0 + timedelta(minutes=7 * i)) for i in range(1440)]
        assert all(srv.idle_watts <= s.watts <= srv.max_watts for s in samples)
        assert all(0.15 <= s.cpu_util <= 0.60 for s in samples)
        afternoon = state_at(srv, _local(date(2025, 11, 4), 14)).watts
        dawn = state_at(srv, _local(date(2025, 11, 4), 5)).watts
        assert afternoon > dawn + 30


def test_server_energy_counter_is_the_integral_of_its_power(fleet: Fleet) -> None:
    srv = fleet.servers[0]
    a = datetime(2025, 11, 4, 22, 7, 13, tzinfo=UTC)
    b = a + timedelta(hours=30)
    step = timedelta(seconds=30)
    n = int((b - a) / step)
    joules = sum(
        (srv_model.power_at(srv, a + i * step) + srv_model.power_at(srv, a + (i + 1) * step))
        / 2
        * step.total_seconds()
        for i in range(n)
    )
    assert srv_model.energy_between(srv, a, b) == pytest.approx(joules, rel=1e-6)
    boot = srv_model.last_boot(srv, b)
    assert boot <= b and b - boot < timedelta(days=32)
    assert boot.astimezone(PARIS).weekday() == 6  # the Sunday after Patch Tuesday
    assert srv_model.energy_since_boot(srv, boot) == 0.0
