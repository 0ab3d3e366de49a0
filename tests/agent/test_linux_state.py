"""Linux sleep evidence from recorded logind, systemd-inhibit and GNOME outputs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.commands import CommandError, recorded
from agent.state import linux
from agent.state.probes import (
    BUSCTL_IDLE,
    GSETTINGS_SCHEMAS,
    INHIBIT_LIST,
    LOGINCTL_IDLE,
    drm_display_on,
    linux_state,
    read_logind_conf,
)
from contract.wire import PowerState
from tests.agent.conftest import AGENT_FIXTURES, fixture_text

NOW = datetime.fromtimestamp(1767638400 + 1500, UTC)


def test_inhibitors_table_keeps_only_sleep_or_idle_blocks() -> None:
    text = fixture_text("linux/systemd_inhibit_debian12.txt")
    assert linux.parse_inhibitors(text) == ["idle:inhibitor", "sleep:inhibitor"]
    detailed = linux.parse_inhibitors(text, details=True)
    assert detailed == ["idle:inhibitor:firefox-esr", "sleep:inhibitor:systemd-inhibit"]
    assert "jdupont" not in " ".join(detailed)


def test_inhibitors_old_format_and_delay_only() -> None:
    old = fixture_text("linux/systemd_inhibit_ubuntu2004.txt")
    assert linux.parse_inhibitors(old, details=True) == ["idle:inhibitor:totem"]
    assert linux.parse_inhibitors(fixture_text("linux/systemd_inhibit_none.txt")) == []


def test_logind_idle_hints() -> None:
    assert linux.parse_loginctl_idle(fixture_text("linux/loginctl_idle_yes.txt"), NOW) == 1500
    assert linux.parse_loginctl_idle(fixture_text("linux/loginctl_idle_no.txt"), NOW) == 0
    assert linux.parse_busctl_idle(fixture_text("linux/busctl_idle_yes.txt"), NOW) == 1500
    with pytest.raises(ValueError):
        linux.parse_loginctl_idle("Failed to connect to bus", NOW)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30min", 1800),
        ("1h 30min", 5400),
        ("20s", 20),
        ("1800", 1800),
        ("2h", 7200),
        ("500ms", 0.5),
    ],
)
def test_timespans(text: str, seconds: float) -> None:
    assert linux.parse_timespan(text) == seconds


@pytest.mark.parametrize("bad", ["", "infinity", "10 parsecs", "abc"])
def test_bad_timespans(bad: str) -> None:
    with pytest.raises(ValueError):
        linux.parse_timespan(bad)


def test_logind_conf_drop_in_wins() -> None:
    etc = AGENT_FIXTURES / "linux" / "etc"
    assert read_logind_conf(etc, lib_root=Path("/nonexistent")) == ("suspend", 1200.0)
    main_only = (etc / "systemd" / "logind.conf").read_text()
    assert linux.parse_logind_conf(main_only) == ("ignore", 1800.0)


def _gsettings() -> dict[str, str]:
    out: dict[str, str] = {}
    for name in ("power", "session", "screensaver"):
        out.update(linux.parse_gsettings(fixture_text(f"linux/gsettings_gnome_{name}.txt")))
    return out


def test_settings_shortest_sleeping_timer_wins() -> None:
    s = linux.linux_sleep_settings(("suspend", 1200.0), _gsettings())
    assert (s.sleep_ac_seconds, s.sleep_battery_seconds) == (1200, 900)
    assert (s.display_ac_seconds, s.screensaver_enabled) == (300, True)
    ignore = linux.linux_sleep_settings(("ignore", 1800.0), {})
    assert (ignore.sleep_ac_seconds, ignore.display_ac_seconds) == (0, None)


def test_drm_dpms() -> None:
    sysfs = AGENT_FIXTURES / "sysfs"
    assert drm_display_on(sysfs / "drm_on") is True
    assert drm_display_on(sysfs / "drm_off") is False
    assert drm_display_on(sysfs / "missing") is None


def test_linux_state_falls_back_to_busctl_and_backs_off() -> None:
    calls: list[tuple[str, ...]] = []
    answers: dict[tuple[str, ...], str | CommandError] = {
        LOGINCTL_IDLE: CommandError(LOGINCTL_IDLE, "failed", "Unknown operation"),
        BUSCTL_IDLE: fixture_text("linux/busctl_idle_yes.txt"),
        INHIBIT_LIST: CommandError(INHIBIT_LIST, "failed", "Failed to connect to bus"),
    }
    for schema, name in zip(GSETTINGS_SCHEMAS, ("power", "session", "screensaver"), strict=True):
        answers[("gsettings", "list-recursively", schema)] = fixture_text(
            f"linux/gsettings_gnome_{name}.txt"
        )
    replay = recorded(answers)

    def run(argv):  # type: ignore[no-untyped-def]
        calls.append(tuple(argv))
        return replay(argv)

    state = linux_state(
        run,
        details=False,
        sysfs_root=AGENT_FIXTURES / "sysfs",
        etc_root=AGENT_FIXTURES / "linux" / "etc",
    )
    block = state.read()
    assert block.power_state is PowerState.IDLE  # idle since the hint, well past 300 s
    assert block.sleep_settings is not None and block.sleep_settings.sleep_ac_seconds == 1200
    assert block.sleep_blockers == []
    state.read()
    # the failing systemd-inhibit is not run again at once, settings are cached
    assert calls.count(INHIBIT_LIST) == 1
    assert calls.count(("gsettings", "list-recursively", GSETTINGS_SCHEMAS[0])) == 1
