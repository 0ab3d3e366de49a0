"""The issue's scenarios that today's evaluation can classify, each with its expected result.

Sleep-window scenarios run :func:`find_violations` on what an agent reports (a state block
every 10 minutes: power state, idle seconds since the last input, blockers, slept
intervals); configuration scenarios run :func:`check_configuration` on settings parsed from
the recorded outputs in tests/fixtures/agent or sent as an agent's JSON. Scenarios about the
violation life cycle (reported-not-violating, repeat offenders, resolution) belong to the
ledger's life cycle, and a silent device (unknown vs compliant) to the compliance figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agent.state import sleepstates, windows
from collector.analysis.config_policy import check_configuration
from collector.analysis.sleep import StateObservation, find_violations
from collector.config import CollectorConfig, MaintenanceWindow, PolicyGroup, PolicySettings
from collector.inventory import Device, Exemption
from collector.jobs import policy_group_for
from contract.schema import SleepSettings, SleepStates, StateBlock
from tests.agent.conftest import fixture_text

PARIS = ZoneInfo("Europe/Paris")
GROUP = PolicyGroup()  # 19:30 -> 07:30, weekends and holidays, idle 30 min, grace 15 min
WEEKDAYS_ONLY = PolicyGroup(weekends=False)
POLICY = PolicySettings(maintenance=[MaintenanceWindow(weekday=2, start="22:00", end="23:00")])
MOSELLE = PolicySettings(holidays_subdivision="57")


def paris(mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(2026, mo, d, h, mi, tzinfo=PARIS)


def reports(
    start: datetime,
    end: datetime,
    *,
    state: str = "idle",
    input_at: datetime | None = None,
    blockers: tuple[str, ...] = (),
) -> list[StateObservation]:
    """A state block every 10 min in [start, end]; idle time counted from ``input_at``."""
    out = []
    t = start
    while t <= end:
        idle = 5.0 if state == "active" else (t - (input_at or start)).total_seconds()
        out.append(StateObservation("pc-1", t, state, idle, blockers))
        t += timedelta(minutes=10)
    return out


def sleeps(start: datetime, end: datetime) -> list[StateObservation]:
    """The report an agent sends on resuming, carrying the slept interval."""
    return [StateObservation("pc-1", end, "resumed", 0.0, (), ((start, end),))]


@dataclass(frozen=True)
class Scenario:
    observations: list[StateObservation]
    expected: str  # "violation", "no_violation" or "exempt"
    evidence: str = ""  # what the violation's evidence must contain
    device: Device | None = None
    group: PolicyGroup = field(default_factory=lambda: GROUP)
    policy: PolicySettings = field(default_factory=lambda: POLICY)
    idle_seconds: float | None = None


def desktop(*exemptions: Exemption) -> Device:
    return Device(id="pc-1", kind="desktop", exemptions=exemptions)


KIOSK = Exemption(reason="kiosk in the town hall lobby, open late", until=date(2027, 6, 30))
EXPIRED = Exemption(reason="budget meeting week", until=date(2026, 11, 16))
LATE = reports(paris(11, 17, 19, 0), paris(11, 17, 22, 0), input_at=paris(11, 17, 18, 55))
LATE += sleeps(paris(11, 17, 22, 5), paris(11, 18, 7, 40))

SCENARIOS = {
    "sleeps on time": Scenario(
        reports(paris(11, 17, 19, 0), paris(11, 17, 19, 50), input_at=paris(11, 17, 18, 55))
        + sleeps(paris(11, 17, 19, 55), paris(11, 18, 7, 40)),
        "no_violation",
    ),
    "sleeps late": Scenario(
        LATE,
        "violation",
        "awake and idle 2 h 15 min between 19:45 and 22:00 (Europe/Paris) on Tue 2026-11-17",
        idle_seconds=2.25 * 3600,
    ),
    "awake all weekend with a sleep blocker": Scenario(
        reports(
            paris(11, 20, 18, 0),
            paris(11, 23, 7, 0),
            input_at=paris(11, 20, 17, 50),
            blockers=("system:process:Teams.exe",),
        ),
        "violation",
        "between 19:45 on Fri 2026-11-20 and 07:00 on Mon 2026-11-23 (Europe/Paris);"
        " blocked by: system:process:Teams.exe",
        idle_seconds=(paris(11, 23, 7, 0) - paris(11, 20, 19, 45)).total_seconds(),
    ),
    # Reported awake until 21:00 and asleep 25 min later: not a violation (reporting it as
    # "in use" belongs to the life cycle).
    "in use at 21:00": Scenario(
        reports(paris(11, 17, 19, 0), paris(11, 17, 21, 0), state="active")
        + reports(paris(11, 17, 21, 10), paris(11, 17, 21, 20), input_at=paris(11, 17, 21, 0))
        + sleeps(paris(11, 17, 21, 25), paris(11, 18, 7, 40)),
        "no_violation",
    ),
    "exempt kiosk": Scenario(LATE, "exempt", device=desktop(KIOSK)),
    "expired exemption": Scenario(LATE, "violation", "2 h 15 min", device=desktop(EXPIRED)),
    "maintenance wake (patch night, Wednesday 22:00-23:00)": Scenario(
        sleeps(paris(11, 18, 19, 50), paris(11, 18, 22, 0))
        + reports(paris(11, 18, 22, 0), paris(11, 18, 22, 50), input_at=paris(11, 18, 22, 0))
        + sleeps(paris(11, 18, 22, 55), paris(11, 19, 7, 40)),
        "no_violation",
    ),
    "window across the October DST change": Scenario(
        reports(paris(10, 24, 19, 0), paris(10, 25, 7, 20), input_at=paris(10, 24, 18, 50)),
        "violation",
        # 11 h 35 min on the wall clock, 12 h 35 min really: the clock went back at 03:00.
        "awake and idle 12 h 35 min between 19:45 on Sat 2026-10-24 and 07:20 on Sun 2026-10-25",
        group=WEEKDAYS_ONLY,
        idle_seconds=12 * 3600 + 35 * 60,
    ),
    "public holiday (11 November, a Wednesday)": Scenario(
        reports(paris(11, 11, 10, 0), paris(11, 11, 12, 0), input_at=paris(11, 11, 9, 0)),
        "violation",
        "awake and idle 3 h between 09:00 and 12:00 (Europe/Paris) on Wed 2026-11-11",
    ),
    "Good Friday in Moselle (a regional holiday)": Scenario(
        reports(paris(4, 3, 10, 0), paris(4, 3, 12, 0), input_at=paris(4, 3, 9, 0)),
        "violation",
        "on Fri 2026-04-03",
        policy=MOSELLE,
    ),
    "Good Friday elsewhere in France (a working day)": Scenario(
        reports(paris(4, 3, 10, 0), paris(4, 3, 12, 0), input_at=paris(4, 3, 9, 0)),
        "no_violation",
        policy=PolicySettings(),
    ),
}


def classify(s: Scenario) -> tuple[str, str, float | None]:
    now = max(o.ts for o in s.observations) + timedelta(days=1)
    found = find_violations(s.observations, s.device, "workstations", s.group, s.policy, now=now)
    if found:
        (v,) = found
        return "violation", v.evidence, v.max_idle_seconds
    first = s.observations[0].ts.astimezone(PARIS).date()
    if s.device is not None and s.device.exempt_on(first) is not None:
        return "exempt", "", None
    return "no_violation", "", None


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_sleep_window_scenario(name: str) -> None:
    s = SCENARIOS[name]
    got, evidence, idle = classify(s)
    assert got == s.expected
    assert s.evidence in evidence
    if s.idle_seconds is not None:
        assert idle == pytest.approx(s.idle_seconds)


def test_the_exempt_kiosk_would_violate_without_its_exemption() -> None:
    assert classify(Scenario(LATE, "", device=desktop()))[0] == "violation"


def test_a_kiosk_is_exempt_by_kind_unless_the_inventory_puts_it_in_a_group() -> None:
    cfg = CollectorConfig()
    assert policy_group_for(Device(id="hall-1", kind="kiosk"), None, cfg) is None
    listed = Device(id="hall-2", kind="kiosk", policy_group="workstations")
    assert policy_group_for(listed, None, cfg) == (
        "workstations",
        cfg.policy.groups["workstations"],
    )


AGENT_4H = '{"power_state": "idle", "sleep_settings": {"sleep_ac_seconds": 14400}}'


def _recorded_fr_settings() -> SleepSettings:
    user = windows.parse_reg_query(fixture_text("windows/reg_query_desktop_screensaver_on.txt"))
    agent_side = windows.sleep_settings_from_powercfg(
        fixture_text("windows/powercfg_q_win11_fr.txt"), windows.screensaver_enabled(user)
    )
    return SleepSettings.model_validate_json(agent_side.to_json())  # through the wire


def _states(name: str) -> SleepStates:
    agent_side = sleepstates.parse_powercfg_available(fixture_text(f"windows/{name}"))
    return SleepStates.model_validate_json(agent_side.to_json())  # through the wire


CONFIG = {
    "a 4-hour sleep timeout (as an agent sends it)": (
        StateBlock.model_validate_json(AGENT_4H).sleep_settings,
        None,
        {"sleep_timeout": "violation", "screensaver": "unknown", "cannot_sleep": "unknown"},
        "sleep on AC after 4 h, longer than the maximum 30 min",
    ),
    "a screensaver set instead of sleep (recorded French Windows 11)": (
        _recorded_fr_settings(),
        _states("powercfg_a_win11_fr_s0.txt"),
        {"sleep_timeout": "violation", "screensaver": "violation", "cannot_sleep": "compliant"},
        "a screensaver is enabled instead of sleep (sleep after 2 h)",
    ),
    "a compliant machine (recorded English Windows 10)": (
        SleepSettings(sleep_ac_seconds=1800, screensaver_enabled=False),
        _states("powercfg_a_win10_en_s3.txt"),
        {"sleep_timeout": "compliant", "screensaver": "compliant", "cannot_sleep": "compliant"},
        "can sleep: s3",
    ),
    "a virtual machine that cannot sleep": (
        SleepSettings(sleep_ac_seconds=900, screensaver_enabled=False),
        SleepStates.model_validate_json(sleepstates.parse_sys_power("").to_json()),
        {"sleep_timeout": "compliant", "screensaver": "compliant", "cannot_sleep": "violation"},
        "no sleep state available (available: none)",
    ),
}


@pytest.mark.parametrize("name", list(CONFIG))
def test_configuration_scenario(name: str) -> None:
    settings, states, expected, evidence = CONFIG[name]
    findings = check_configuration("pc-1", settings, states, GROUP)
    assert {f.rule: f.outcome for f in findings} == expected
    assert any(evidence == f.evidence for f in findings), [f.evidence for f in findings]


def test_idle_just_after_a_maintenance_window_counts_from_its_end() -> None:
    woken = sleeps(paris(11, 18, 19, 50), paris(11, 18, 22, 0))
    # 10 min idle after the patch night ends (23:00), then asleep: no violation.
    seen = woken + reports(paris(11, 18, 22, 0), paris(11, 18, 23, 10), input_at=paris(11, 18, 18))
    seen += sleeps(paris(11, 18, 23, 15), paris(11, 19, 7, 40))
    assert classify(Scenario(seen, ""))[0] == "no_violation"
    # Left awake and idle until 00:10: 70 min idle after the patch night, a violation.
    late = woken + reports(paris(11, 18, 22, 0), paris(11, 19, 0, 10), input_at=paris(11, 18, 18))
    got, evidence, idle = classify(Scenario(late, ""))
    assert got == "violation" and idle == pytest.approx(70 * 60)
    assert evidence.startswith("awake and idle 1 h 10 min between 23:00 on Wed 2026-11-18")
