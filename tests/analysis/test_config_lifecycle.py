"""The configuration violations' life cycle, on literal findings (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from collector.analysis.config_lifecycle import advance_config
from collector.analysis.config_policy import ConfigFinding, check_configuration
from collector.config import PolicyGroup
from collector.model import ConfigViolationRecord, ViolationState
from contract.schema import SleepSettings, SleepStates

T0 = datetime(2026, 11, 17, 11, 0, tzinfo=UTC)
GROUP = PolicyGroup()  # 30 min maximum
OPEN, RESOLVED, EXEMPTED = ViolationState.OPEN, ViolationState.RESOLVED, ViolationState.EXEMPTED


def _findings(sleep: int | None, screensaver: bool | None = False) -> list[ConfigFinding]:
    settings = SleepSettings(sleep_ac_seconds=sleep, screensaver_enabled=screensaver)
    return check_configuration("pc-1", settings, SleepStates(available=["s3"]), GROUP)


def _run(
    stored: list[ConfigViolationRecord],
    sleep: int | None,
    at: datetime,
    screensaver: bool | None = False,
) -> tuple[list[ConfigViolationRecord], list[tuple[str, ViolationState, ViolationState | None]]]:
    records, events = advance_config(
        stored, _findings(sleep, screensaver), device_id="pc-1", group="workstations", now=at
    )
    by_key = {r.key: r for r in stored}
    by_key.update({r.key: r for r in records})
    return list(by_key.values()), [(e.rule, e.state, e.previous) for e in events]


def test_opened_once_refreshed_silently_then_resolved_when_fixed() -> None:
    stored, events = _run([], 4 * 3600, T0)
    assert events == [("sleep_timeout", OPEN, None)]
    [rec] = stored
    assert rec.opened_at == T0 and rec.policy_group == "workstations"
    assert rec.evidence == "sleep on AC after 4 h, longer than the maximum 30 min"
    # the same violation next run: no event, same identity
    again, events = _run(stored, 4 * 3600, T0 + timedelta(minutes=5))
    assert events == [] and [r.key for r in again] == [rec.key]
    # the timeout is changed, still too long: evidence refreshed, still no event
    again, events = _run(again, 0, T0 + timedelta(minutes=10))
    assert events == []
    assert [r.evidence for r in again] == ["sleep on AC set to never (maximum 30 min)"]
    # fixed: resolved at that run, with the compliant setting as the reason
    fixed_at = T0 + timedelta(hours=1)
    records, evs = advance_config(
        again, _findings(20 * 60), device_id="pc-1", group="workstations", now=fixed_at
    )
    assert [(e.state, e.previous, e.detail) for e in evs] == [
        (RESOLVED, OPEN, "sleep on AC after 20 min (maximum 30 min)")
    ]
    assert [(r.state, r.resolved_at, r.opened_at) for r in records] == [(RESOLVED, fixed_at, T0)]


def test_an_unknown_value_neither_opens_nor_resolves() -> None:
    stored, events = _run([], None, T0, screensaver=None)
    assert stored == [] and events == []
    stored, _ = _run([], 0, T0)
    again, events = _run(stored, None, T0 + timedelta(hours=1), screensaver=None)
    assert events == [] and [r.state for r in again] == [OPEN]


def test_broken_again_after_a_fix_is_a_new_violation() -> None:
    stored, _ = _run([], 0, T0)
    stored, _ = _run(stored, 600, T0 + timedelta(hours=1))
    later = T0 + timedelta(days=2)
    stored, events = _run(stored, 0, later)
    assert events == [("sleep_timeout", OPEN, None)]
    assert sorted((r.opened_at, r.state) for r in stored) == [(T0, RESOLVED), (later, OPEN)]


def test_screensaver_and_timeout_are_two_violations_and_exemption_ends_both() -> None:
    stored, events = _run([], 0, T0, screensaver=True)
    assert sorted(e[0] for e in events) == ["screensaver", "sleep_timeout"]
    records, evs = advance_config(
        stored,
        None,
        device_id="pc-1",
        group="",
        now=T0 + timedelta(hours=2),
        exempt_reason="exempt until 2026-12-31: kiosk",
    )
    assert {(e.rule, e.state, e.detail) for e in evs} == {
        ("screensaver", EXEMPTED, "exempt until 2026-12-31: kiosk"),
        ("sleep_timeout", EXEMPTED, "exempt until 2026-12-31: kiosk"),
    }
    assert all(r.resolved_at is None for r in records)
    # exempted ones are not open any more: nothing further happens to them
    assert advance_config(
        records, None, device_id="pc-1", group="", now=T0 + timedelta(hours=3)
    ) == ([], [])


def test_cannot_sleep_opens_from_the_reported_states() -> None:
    findings = check_configuration(
        "pc-1", SleepSettings(sleep_ac_seconds=600, screensaver_enabled=False),
        SleepStates(available=[]), GROUP,
    )  # fmt: skip
    records, events = advance_config([], findings, device_id="pc-1", group="workstations", now=T0)
    assert [(e.rule, e.state) for e in events] == [("cannot_sleep", OPEN)]
    assert records[0].evidence.startswith("no sleep state available")
