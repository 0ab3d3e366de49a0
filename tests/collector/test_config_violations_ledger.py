"""Configuration violations through the analysis job into the ledger, on SQLite and on the
real PostgreSQL: migration 0012, one record per (device, rule, found at), its events in order,
re-runs that change nothing, a fix that resolves it, a relapse that is a new violation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect

from collector.config import CollectorConfig
from collector.inventory import Device, Inventory
from collector.jobs import recompute
from collector.ledger import Ledger
from collector.ledger.config_violations import (
    config_violation_events,
    config_violations,
    config_violations_by_key,
)
from collector.ledger.store import Accepted
from collector.model import ViolationState
from contract.schema import PowerState, SleepSettings, SleepStates, StateBlock, Telemetry

T0 = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
CFG = CollectorConfig()
INV = Inventory([Device(id="pc-3", kind="laptop", policy_group="workstations")])
OPEN, RESOLVED = ViolationState.OPEN, ViolationState.RESOLVED


def _report(seq: int, at: datetime, sleep: int, screensaver: bool) -> Accepted:
    state = StateBlock(
        power_state=PowerState.ACTIVE,
        sleep_settings=SleepSettings(sleep_ac_seconds=sleep, screensaver_enabled=screensaver),
        sleep_states=SleepStates(available=["s0_low_power_idle"]),
    )
    msg = Telemetry(device_id="pc-3", seq=seq, sent_at=at, kind="laptop", state=state)
    return Accepted(msg, "mairie", at, 0.0)


def _run(ledger: Ledger, now: datetime) -> list[tuple[str, ViolationState, ViolationState | None]]:
    job = recompute(ledger, INV, CFG, start=now - timedelta(hours=48), end=now, now=now)
    return [(e.rule, e.state, e.previous) for e in job.config_events]


def test_life_cycle_in_the_ledger(ledger: Ledger) -> None:
    tables = set(inspect(ledger.engine).get_table_names())
    assert {"config_violations", "config_violation_events"} <= tables
    ledger.store([_report(1, T0, 3 * 3600, True)])
    found = T0 + timedelta(minutes=5)
    assert sorted(_run(ledger, found)) == [
        ("screensaver", OPEN, None),
        ("sleep_timeout", OPEN, None),
    ]
    assert _run(ledger, found + timedelta(minutes=5)) == []  # nothing twice
    [saver, timeout] = config_violations(ledger.engine)
    assert (saver.rule, saver.opened_at, saver.policy_group) == (
        "screensaver",
        found,
        "workstations",
    )
    assert timeout.evidence == "sleep on AC after 3 h, longer than the maximum 30 min"
    # the screensaver is switched off, the timeout stays: only the screensaver resolves
    ledger.store([_report(2, T0 + timedelta(hours=2), 3 * 3600, False)])
    fixed = T0 + timedelta(hours=2, minutes=5)
    assert _run(ledger, fixed) == [("screensaver", RESOLVED, OPEN)]
    assert [r.rule for r in config_violations(ledger.engine)] == ["sleep_timeout"]
    done = config_violations_by_key(ledger.engine, [saver.key])[saver.key]
    assert (done.state, done.resolved_at, done.opened_at) == (RESOLVED, fixed, found)
    # switched on again the next day: a new violation, with its own identity
    ledger.store([_report(3, T0 + timedelta(days=1), 3 * 3600, True)])
    again = T0 + timedelta(days=1, minutes=5)
    assert _run(ledger, again) == [("screensaver", OPEN, None)]
    changes = config_violation_events(ledger.engine, T0, T0 + timedelta(days=2))
    assert [(c.rule, c.state, c.at) for c in changes if c.rule == "screensaver"] == [
        ("screensaver", OPEN, found),
        ("screensaver", RESOLVED, fixed),
        ("screensaver", OPEN, again),
    ]
    everything = config_violations(ledger.engine, changed_since=T0)
    assert sorted((r.rule, r.state, r.opened_at) for r in everything) == [
        ("screensaver", OPEN, again),
        ("screensaver", RESOLVED, found),
        ("sleep_timeout", OPEN, found),
    ]


def test_a_device_outside_the_policy_is_never_judged(ledger: Ledger) -> None:
    server = Inventory([Device(id="pc-3", kind="server")])  # servers: exempt by kind
    ledger.store([_report(1, T0, 0, True)])
    now = T0 + timedelta(minutes=5)
    job = recompute(ledger, server, CFG, start=now - timedelta(hours=48), end=now, now=now)
    assert job.config_events == () and config_violations(ledger.engine) == []
