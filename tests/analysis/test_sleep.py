"""Sleep windows (time zone, weekends, holidays, DST) and violations with their evidence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from collector.analysis.sleep import (
    StateObservation,
    find_violations,
    policy_window,
    resolutions,
)
from collector.analysis.windows import maintenance_ends
from collector.config import MaintenanceWindow, PolicyGroup, PolicySettings
from collector.inventory import Device, Exemption

PARIS = ZoneInfo("Europe/Paris")
POLICY = PolicySettings(
    maintenance=[MaintenanceWindow(weekday=2, start="22:00", end="23:00")]  # Wednesdays
)
GROUP = PolicyGroup()  # 19:30 -> 07:30, weekends, holidays, idle 30 min, grace 15 min
NO_WEEKENDS = PolicyGroup(weekends=False)
NO_DAYS_OFF = PolicyGroup(weekends=False, public_holidays=False)


def paris(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=PARIS)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ts", "group", "window"),
    [
        # Tuesday evening: 19:30 -> Wednesday 07:30, CET
        (paris(2026, 11, 17, 21, 0), GROUP, (utc(2026, 11, 17, 18, 30), utc(2026, 11, 18, 6, 30))),
        (paris(2026, 11, 18, 7, 0), GROUP, (utc(2026, 11, 17, 18, 30), utc(2026, 11, 18, 6, 30))),
        (paris(2026, 11, 17, 10, 0), GROUP, None),
        # a whole weekend: Friday evening -> Monday morning
        (paris(2026, 11, 21, 13, 0), GROUP, (utc(2026, 11, 20, 18, 30), utc(2026, 11, 23, 6, 30))),
        # 14 July (a Tuesday): Monday evening -> Wednesday morning, CEST
        (paris(2026, 7, 14, 10, 0), GROUP, (utc(2026, 7, 13, 17, 30), utc(2026, 7, 15, 5, 30))),
        # 1 November 2026 is a Sunday: a day off even where weekends are worked
        (
            paris(2026, 11, 1, 12, 0),
            NO_WEEKENDS,
            (utc(2026, 10, 31, 18, 30), utc(2026, 11, 2, 6, 30)),
        ),
        (paris(2026, 11, 1, 12, 0), NO_DAYS_OFF, None),
        # DST nights: 29 March is 11 h long, 25 October 13 h
        (
            paris(2026, 3, 28, 23, 0),
            NO_WEEKENDS,
            (utc(2026, 3, 28, 18, 30), utc(2026, 3, 29, 5, 30)),
        ),
        (
            paris(2026, 10, 24, 23, 0),
            NO_WEEKENDS,
            (utc(2026, 10, 24, 17, 30), utc(2026, 10, 25, 6, 30)),
        ),
        # maintenance on Wednesday 22:00-23:00 is not a sleep window
        (paris(2026, 11, 18, 22, 30), GROUP, None),
        (paris(2026, 11, 18, 23, 30), GROUP, (utc(2026, 11, 18, 18, 30), utc(2026, 11, 19, 6, 30))),
    ],
)
def test_policy_window(ts, group, window) -> None:
    assert policy_window(ts, group, POLICY) == window


def obs(
    ts: datetime,
    state: str = "idle",
    idle: float | None = None,
    blockers: tuple[str, ...] = (),
    slept: tuple[tuple[datetime, datetime], ...] = (),
) -> StateObservation:
    return StateObservation("pc-1", ts, state, idle, blockers, slept)


NOW = paris(2026, 11, 18, 12, 0)


def every_10_min(start: datetime, end: datetime, **kw) -> list[StateObservation]:
    n = int((end - start) / timedelta(minutes=10))
    return [obs(start + timedelta(minutes=10 * i), **kw) for i in range(n + 1)]


def test_evidence_names_the_idle_stretch_and_the_blockers() -> None:
    seen = every_10_min(
        paris(2026, 11, 17, 21, 5), paris(2026, 11, 17, 23, 15), blockers=("Teams",)
    )
    (v,) = find_violations(seen, None, "workstations", GROUP, POLICY, now=NOW)
    assert v.evidence == (
        "awake and idle 2 h 10 min between 21:05 and 23:15 (Europe/Paris) on Tue 2026-11-17; "
        "blocked by: Teams"
    )
    assert (v.window_start, v.window_end) == (utc(2026, 11, 17, 18, 30), utc(2026, 11, 18, 6, 30))
    assert (v.first_seen, v.last_seen) == (utc(2026, 11, 17, 20, 5), utc(2026, 11, 17, 22, 15))
    assert (v.max_idle_seconds, v.awake_seconds, v.observations) == (7800.0, 7800.0, 14)
    assert (v.blockers, v.target_state, v.policy_group) == (("Teams",), "sleep", "workstations")


@pytest.mark.parametrize(
    ("seen_at", "idle_seconds", "violation"),
    [
        (paris(2026, 11, 17, 20, 0), 7200.0, False),  # idle since 18:00 but only 15 min past grace
        (paris(2026, 11, 17, 20, 20), 8400.0, True),  # 35 min past the 19:45 grace end
        (paris(2026, 11, 17, 19, 40), 7200.0, False),  # inside the grace period
    ],
)
def test_grace_period(seen_at, idle_seconds, violation) -> None:
    got = find_violations(
        [obs(seen_at, idle=idle_seconds)], None, "workstations", GROUP, POLICY, now=NOW
    )
    assert bool(got) is violation
    if got:
        assert got[0].max_idle_seconds == 35 * 60
        assert got[0].evidence.endswith("no sleep blocker reported")


@pytest.mark.parametrize(
    ("until", "violations"), [(date(2026, 11, 16), 1), (date(2026, 11, 17), 0)]
)
def test_an_exemption_expires(until, violations) -> None:
    device = Device(
        id="pc-1", kind="desktop", exemptions=(Exemption(reason="render", until=until),)
    )
    seen = [obs(paris(2026, 11, 17, 23, 0), idle=3 * 3600.0)]
    assert len(find_violations(seen, device, "workstations", GROUP, POLICY, now=NOW)) == violations


@pytest.mark.parametrize(("target", "violations"), [("off", 1), ("sleep", 0)])
def test_target_state_off_counts_any_awake_observation(target, violations) -> None:
    group = PolicyGroup(target_state=target)
    seen = [obs(paris(2026, 11, 17, 21, 0), "active", 20.0, ("Windows Update",))]
    got = find_violations(seen, None, "workstations", group, POLICY, now=NOW)
    assert len(got) == violations
    if got:
        assert got[0].target_state == "off"
        assert got[0].evidence == (
            "seen awake at 21:00 (Europe/Paris) on Tue 2026-11-17 (target: off); "
            "blocked by: Windows Update"
        )


@pytest.mark.parametrize(("slept", "violations"), [((), 1), ((((20, 20), (20, 50)),), 0)])
def test_a_sleep_ends_an_idle_stretch(slept, violations) -> None:
    intervals = tuple((paris(2026, 11, 17, *a), paris(2026, 11, 17, *b)) for a, b in slept)
    seen = [
        o
        for o in every_10_min(paris(2026, 11, 17, 20, 0), paris(2026, 11, 17, 21, 0))
        if not (intervals and intervals[0][0] < o.ts < intervals[0][1])
    ]
    seen[-1] = obs(seen[-1].ts, slept=intervals)
    # a long max gap: only the slept interval may split the stretch
    got = find_violations(seen, None, "workstations", GROUP, POLICY, now=NOW, max_gap_seconds=3600)
    assert len(got) == violations


def test_asleep_shutting_down_or_in_maintenance_is_compliant() -> None:
    seen = [
        obs(paris(2026, 11, 17, 22, 0), "shutting_down", 7200.0),
        obs(paris(2026, 11, 18, 22, 50), "idle", 7200.0),  # Wednesday maintenance
    ]
    now = paris(2026, 11, 19, 12, 0)
    assert find_violations(seen, None, "workstations", GROUP, POLICY, now=now) == []


@pytest.mark.parametrize(
    ("wednesday_idle", "now", "resolved_at"),
    [
        (False, paris(2026, 11, 19, 12, 0), utc(2026, 11, 19, 6, 30)),  # Wed night compliant
        (False, paris(2026, 11, 18, 23, 0), None),  # Wed night not over yet
        (True, paris(2026, 11, 19, 12, 0), None),  # Wed night violating too
        (True, paris(2026, 11, 20, 12, 0), utc(2026, 11, 20, 6, 30)),  # Thu night compliant
    ],
)
def test_violations_resolve_when_the_device_complies(wednesday_idle, now, resolved_at) -> None:
    seen = [obs(paris(2026, 11, 17, 23, 0), idle=3 * 3600.0)]
    if wednesday_idle:
        seen.append(obs(paris(2026, 11, 19, 1, 0), idle=3 * 3600.0))
    found = find_violations(seen, None, "workstations", GROUP, POLICY, now=now)
    assert found[0].window_start == utc(2026, 11, 17, 18, 30)
    got = resolutions(found, seen, None, "workstations", GROUP, POLICY, now=now)
    assert got.get(("pc-1", utc(2026, 11, 17, 18, 30))) == resolved_at


def test_refuses_observations_of_several_devices() -> None:
    seen = [obs(paris(2026, 11, 17, 23, 0)), StateObservation("pc-2", NOW, "idle", None)]
    with pytest.raises(ValueError, match="one device"):
        find_violations(seen, None, "workstations", GROUP, POLICY, now=NOW)


def test_maintenance_ends() -> None:
    policy = PolicySettings(
        maintenance=[
            MaintenanceWindow(weekday=2, start="22:00", end="23:00"),  # Wednesdays
            MaintenanceWindow(weekday=5, start="23:30", end="01:30"),  # Saturday night
        ]
    )
    ends = maintenance_ends(paris(2026, 11, 17, 12, 0), paris(2026, 11, 23, 12, 0), policy)
    assert ends == [utc(2026, 11, 18, 22, 0), utc(2026, 11, 22, 0, 30)]
    assert maintenance_ends(paris(2026, 11, 18, 23, 0), paris(2026, 11, 19), policy) == []
