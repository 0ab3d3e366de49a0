"""The demo's one-night violator: two consecutive windows picked from the policy, awake over
the first one (a blocking app), asleep over the next, like every other night."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from collector.analysis.windows import windows_between
from collector.config import CollectorConfig
from collector.sim.behaviour import state_at
from collector.sim.fleet import build_fleet
from collector.sim.office import PARIS
from collector.sim.violator import BLOCKER, REPORT_DELAY, scenario, with_violator
from tests.sim.conftest import SEED, TODAY

CFG = CollectorConfig()
WEEK = timedelta(days=7)


@pytest.mark.parametrize(
    "now",
    [
        datetime(2025, 11, 13, 15, 0, tzinfo=PARIS),  # Thursday afternoon
        datetime(2025, 11, 13, 8, 0, tzinfo=PARIS),  # Thursday before the resume reports
        datetime(2025, 11, 10, 9, 0, tzinfo=PARIS),  # Monday morning, after a weekend
    ],
)
def test_two_consecutive_judged_windows(now: datetime) -> None:
    sc = scenario(CFG, now, WEEK)
    assert sc is not None
    windows = windows_between(now - WEEK, now, CFG.policy.groups["workstations"], CFG.policy)
    i = windows.index(sc.night)
    assert windows[i + 1] == sc.night_after  # consecutive
    assert sc.night_after[1] <= now - REPORT_DELAY  # its resume report is in by now
    assert sc.night[1] < sc.first_run <= sc.night_after[0]  # found before the next one starts


def test_no_scenario_in_a_replay_shorter_than_two_nights() -> None:
    now = datetime(2025, 11, 13, 15, 0, tzinfo=PARIS)
    assert scenario(CFG, now, timedelta(hours=20)) is None


def test_the_violator_stays_awake_over_one_night_only() -> None:
    now = datetime(2025, 11, 13, 15, 0, tzinfo=PARIS)
    sc = scenario(CFG, now, WEEK)
    assert sc is not None
    plain = build_fleet(SEED, today=TODAY)
    fleet = with_violator(plain, sc)
    assert fleet.violator is not None
    [ws] = [w for w in fleet.workstations if w.id == fleet.violator]
    [before] = [w for w in plain.workstations if w.id == fleet.violator]
    assert before.insomnia is None and ws.kind == "desktop"
    # two hours into each window
    awake = state_at(ws, sc.night[0] + timedelta(hours=2))
    assert (awake.power_state, awake.blockers) == ("idle", (BLOCKER,))
    assert state_at(ws, sc.night_after[0] + timedelta(hours=2)).power_state == "asleep"
    assert state_at(before, sc.night[0] + timedelta(hours=2)).power_state == "asleep"
    # nobody else changed
    others = [w for w in fleet.workstations if w.id != fleet.violator]
    assert others == [w for w in plain.workstations if w.id != fleet.violator]
