"""Violations with a life cycle, through the real ledger and the analysis job: a device that
breaks the policy two nights in a row and then sleeps; an exemption granted afterwards; late
data that shows compliance. Identity is (device, window); each change of state is one event,
and re-running the job changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from collector.config import CollectorConfig
from collector.inventory import Device, Exemption, Inventory
from collector.jobs import recompute
from collector.ledger import Ledger
from collector.ledger.store import Accepted
from collector.model import ViolationState
from contract.schema import PowerState, SleptInterval, StateBlock, Telemetry

# Monday 16 November 2026. Windows open 19:30 Paris (18:30 UTC) and close 07:30 (06:30 UTC).
MONDAY = datetime(2026, 11, 16, 18, 0, tzinfo=UTC)
NIGHT = timedelta(days=1)
OPEN, G, R = ViolationState.OPEN, ViolationState.ONGOING, ViolationState.RESOLVED


@pytest.fixture
def ledger(sqlite_ledger: Ledger) -> Ledger:
    return sqlite_ledger  # SQLite only (tests/conftest.py)


class Device1:
    """pc-1's messages, numbered in order."""

    def __init__(self) -> None:
        self.seq = 0

    def awake_evening(self, evening: datetime) -> list[Accepted]:
        """Idle and awake from 19:00 to 23:00 Paris, a state every 10 minutes."""
        out = []
        for i in range(25):
            at = evening + timedelta(minutes=10 * i)
            out.append(
                self._msg(at, StateBlock(power_state=PowerState.IDLE, idle_seconds=600.0 * i))
            )
        return out

    def sleeps(self, evening: datetime) -> list[Accepted]:
        """Goes to sleep at 19:40 Paris, reports the night on resume at 07:35."""
        slept = SleptInterval(
            start=evening + timedelta(minutes=100), end=evening + timedelta(hours=13, minutes=30)
        )
        return [
            self._msg(evening, StateBlock(power_state=PowerState.ACTIVE, idle_seconds=0.0)),
            self._msg(
                slept.end + timedelta(minutes=5),
                StateBlock(power_state=PowerState.RESUMED, idle_seconds=0.0, slept=[slept]),
            ),
        ]

    def _msg(self, at: datetime, state: StateBlock) -> Accepted:
        self.seq += 1
        msg = Telemetry(device_id="pc-1", seq=self.seq, sent_at=at, kind="desktop", state=state)
        return Accepted(msg, "mairie", at, 0.0)


def _run(ledger: Ledger, inv: Inventory, now: datetime) -> list[tuple[str, ViolationState]]:
    cfg = CollectorConfig()
    job = recompute(ledger, inv, cfg, start=now - timedelta(hours=48), end=now, now=now)
    return [(f"{e.window_start:%d}", e.state) for e in job.events]


def _states(ledger: Ledger) -> dict[str, tuple[ViolationState, int]]:
    return {
        f"{r.window_start:%d}": (r.state, r.streak)
        for r in ledger.violations(MONDAY - NIGHT, MONDAY + 7 * NIGHT)
    }


def test_open_then_ongoing_then_resolved_each_change_once(ledger: Ledger) -> None:
    inv = Inventory([Device(id="pc-1", kind="desktop", policy_group="workstations")])
    pc = Device1()
    ledger.store(pc.awake_evening(MONDAY))
    # Tuesday noon: Monday night broken, first offence.
    assert _run(ledger, inv, MONDAY + timedelta(hours=18)) == [("16", OPEN)]
    assert _run(ledger, inv, MONDAY + timedelta(hours=19)) == []  # nothing twice
    ledger.store(pc.awake_evening(MONDAY + NIGHT))
    # Wednesday noon: Tuesday night broken again, a repeat: ongoing, streak 2.
    assert _run(ledger, inv, MONDAY + NIGHT + timedelta(hours=18)) == [("17", G)]
    assert _states(ledger) == {"16": (OPEN, 1), "17": (G, 2)}
    ledger.store(pc.sleeps(MONDAY + 2 * NIGHT))
    # Thursday noon: it slept Wednesday night: both resolve, at the end of that window.
    events = _run(ledger, inv, MONDAY + 2 * NIGHT + timedelta(hours=18))
    assert sorted(events) == [("16", R), ("17", R)]
    assert _states(ledger) == {"16": (R, 1), "17": (R, 2)}
    (first, second) = ledger.violations(MONDAY - NIGHT, MONDAY + 7 * NIGHT)
    assert first.resolved_at == second.resolved_at == datetime(2026, 11, 19, 6, 30, tzinfo=UTC)
    assert first.opened_at == MONDAY + timedelta(hours=18)  # when it was first found
    assert _run(ledger, inv, MONDAY + 2 * NIGHT + timedelta(hours=19)) == []
    outcomes = {
        f"{o.window_start:%d}": o.status.value for o in ledger.outcomes(MONDAY, MONDAY + 7 * NIGHT)
    }
    assert outcomes == {"16": "violated", "17": "violated", "18": "compliant"}
    history = ledger.violation_events(MONDAY, MONDAY + 7 * NIGHT)
    assert [(e.previous, e.state) for e in history if e.window_start.day == 16] == [
        (None, OPEN),
        (OPEN, R),
    ]


def test_an_exemption_granted_later_exempts_the_window(ledger: Ledger) -> None:
    pc = Device1()
    ledger.store(pc.awake_evening(MONDAY))
    plain = Inventory([Device(id="pc-1", kind="desktop", policy_group="workstations")])
    assert _run(ledger, plain, MONDAY + timedelta(hours=18)) == [("16", OPEN)]
    exempt = Inventory(
        [
            Device(
                id="pc-1",
                kind="desktop",
                policy_group="workstations",
                exemptions=(Exemption(reason="patch night", until=date(2026, 11, 16)),),
            )
        ]
    )
    assert _run(ledger, exempt, MONDAY + timedelta(hours=19)) == [("16", ViolationState.EXEMPTED)]
    assert _states(ledger) == {"16": (ViolationState.EXEMPTED, 1)}


def test_a_backlog_arriving_late_opens_the_violation_once(ledger: Ledger) -> None:
    """Only the grace period was seen at first; the rest of the evening arrives later."""
    pc = Device1()
    ledger.store(pc.awake_evening(MONDAY)[:3])  # 19:00-19:20 Paris: inside the grace period
    inv = Inventory([Device(id="pc-1", kind="desktop", policy_group="workstations")])
    assert _run(ledger, inv, MONDAY + timedelta(hours=18)) == []
    ledger.store(pc.awake_evening(MONDAY)[3:])
    assert _run(ledger, inv, MONDAY + timedelta(hours=18, minutes=5)) == [("16", OPEN)]
    assert _states(ledger)["16"] == (OPEN, 1)
