"""Configuration violations from reported settings, with literal values."""

from __future__ import annotations

import pytest

from collector.analysis.config_policy import (
    RULES,
    Value,
    check_can_sleep,
    check_configuration,
    check_screensaver,
    check_sleep_timeout,
)
from collector.config import PolicyGroup
from contract.schema import SleepSettings, SleepStates

GROUP = PolicyGroup()  # max_sleep_timeout_minutes = 30


@pytest.mark.parametrize(
    ("seconds", "outcome", "evidence"),
    [
        (14400, "violation", "sleep on AC after 4 h, longer than the maximum 30 min"),
        (1860, "violation", "sleep on AC after 31 min, longer than the maximum 30 min"),
        (0, "violation", "sleep on AC set to never (maximum 30 min)"),
        (1800, "compliant", "sleep on AC after 30 min (maximum 30 min)"),
        (600, "compliant", "sleep on AC after 10 min (maximum 30 min)"),
        (None, "unknown", "sleep timeout on AC not reported"),
    ],
)
def test_sleep_timeout(seconds: int | None, outcome: str, evidence: str) -> None:
    f = check_sleep_timeout("pc-1", SleepSettings(sleep_ac_seconds=seconds), GROUP)
    assert (f.rule, f.outcome, f.evidence) == ("sleep_timeout", outcome, evidence)
    assert f.values == (
        Value("sleep_ac_seconds", seconds),
        Value("max_sleep_timeout_seconds", 1800),
    )


def test_sleep_timeout_follows_the_group_maximum() -> None:
    strict = PolicyGroup(max_sleep_timeout_minutes=15)
    f = check_sleep_timeout("pc-1", SleepSettings(sleep_ac_seconds=1200), strict)
    assert f.outcome == "violation"
    assert f.evidence == "sleep on AC after 20 min, longer than the maximum 15 min"
    loose = PolicyGroup(max_sleep_timeout_minutes=90)
    assert check_sleep_timeout("pc-1", SleepSettings(sleep_ac_seconds=5400), loose).outcome == (
        "compliant"
    )


def test_no_settings_at_all_is_unknown_for_every_rule() -> None:
    findings = check_configuration("pc-9", None, None, GROUP)
    assert [f.rule for f in findings] == list(RULES)
    assert {f.outcome for f in findings} == {"unknown"}
    assert all(f.device_id == "pc-9" for f in findings)


@pytest.mark.parametrize(
    ("enabled", "sleep", "outcome", "evidence"),
    [
        (True, 0, "violation", "a screensaver is enabled instead of sleep (sleep set to never)"),
        (True, 1200, "violation", "a screensaver is enabled instead of sleep (sleep after 20 min)"),
        (
            True,
            None,
            "violation",
            "a screensaver is enabled instead of sleep (sleep timeout unknown)",
        ),
        (False, 0, "compliant", "no screensaver"),
        (None, 1200, "unknown", "screensaver not reported"),
    ],
)
def test_screensaver(enabled: bool | None, sleep: int | None, outcome: str, evidence: str) -> None:
    settings = SleepSettings(sleep_ac_seconds=sleep, screensaver_enabled=enabled)
    f = check_screensaver("pc-2", settings)
    assert (f.outcome, f.evidence) == (outcome, evidence)
    assert Value("screensaver_enabled", enabled) in f.values


def test_cannot_sleep() -> None:
    none = SleepStates(
        available=["fast_startup"],
        unavailable={"s3": "The system firmware does not support this standby state.",
                     "hibernate": "Hibernation has not been enabled."},
    )  # fmt: skip
    f = check_can_sleep("vm-1", none)
    assert f.outcome == "violation"
    assert f.evidence == (
        "no sleep state available (available: fast_startup); s3: The system firmware does not"
        " support this standby state.; hibernate: Hibernation has not been enabled."
    )
    assert f.values == (Value("available_sleep_states", "fast_startup"),)
    empty = check_can_sleep("vm-2", SleepStates())
    assert (empty.outcome, empty.evidence) == (
        "violation",
        "no sleep state available (available: none)",
    )
    ok = check_can_sleep("pc-3", SleepStates(available=["s0_low_power_idle", "hibernate"]))
    assert (ok.outcome, ok.evidence) == ("compliant", "can sleep: s0_low_power_idle,hibernate")


def test_states_the_agent_could_not_name_are_unknown_not_a_violation() -> None:
    f = check_can_sleep("pc-de", SleepStates(available=["other"], unavailable={"s3": "…"}))
    assert f.outcome == "unknown"
    assert check_can_sleep("pc-x", None).outcome == "unknown"


def test_one_device_all_rules() -> None:
    settings = SleepSettings(sleep_ac_seconds=14400, screensaver_enabled=False)
    states = SleepStates(available=["s3"])
    got = {f.rule: f.outcome for f in check_configuration("pc-4", settings, states, GROUP)}
    assert got == {"sleep_timeout": "violation", "screensaver": "compliant",
                   "cannot_sleep": "compliant"}  # fmt: skip
