"""Windows sleep evidence from recorded powercfg / reg outputs, English and French."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.commands import CommandError, recorded
from agent.state import windows
from agent.state.probes import (
    POWERCFG_QUERY,
    POWERCFG_REQUESTS,
    REG_DESKTOP,
    REG_DESKTOP_POLICY,
    windows_state,
)
from tests.agent.conftest import AGENT_FIXTURES, fixture_text


def test_powercfg_query_english_win10() -> None:
    s = windows.sleep_settings_from_powercfg(fixture_text("windows/powercfg_q_win10_en.txt"))
    assert (s.sleep_ac_seconds, s.sleep_battery_seconds) == (1800, 900)
    assert (s.display_ac_seconds, s.display_battery_seconds) == (600, 300)


def test_powercfg_query_french_win11_sleep_never_but_hibernate() -> None:
    s = windows.sleep_settings_from_powercfg(
        fixture_text("windows/powercfg_q_win11_fr.txt"), screensaver_enabled=False
    )
    # Sleep is "never" on AC, but hibernation after 2 h takes the machine down.
    assert (s.sleep_ac_seconds, s.sleep_battery_seconds) == (7200, 600)
    assert (s.display_ac_seconds, s.display_battery_seconds) == (900, 180)
    assert s.screensaver_enabled is False


def test_powercfg_query_reads_every_setting_in_both_languages() -> None:
    en = windows.parse_powercfg_query(fixture_text("windows/powercfg_q_win10_en.txt"))
    fr = windows.parse_powercfg_query(fixture_text("windows/powercfg_q_win11_fr.txt"))
    assert en[windows.HIBERNATEIDLE] == (0, 10800)
    assert fr["0e796bdb-100d-47d6-a2d5-f7d2daa51f51"] == (1, 1)  # CONSOLELOCK, enumerated
    assert en["bc5038f7-23e0-4960-96da-33abaf5935ec"] == (100, 100)  # max processor state


def test_powercfg_query_without_sleep_settings_is_an_error() -> None:
    with pytest.raises(ValueError):
        windows.sleep_settings_from_powercfg("Power Scheme GUID: x\n")


def test_requests_english_categories_only_by_default() -> None:
    text = fixture_text("windows/powercfg_requests_win10_en.txt")
    assert windows.parse_powercfg_requests(text) == [
        "display:process",
        "system:driver",
        "system:process",
        "execution:process",
    ]


def test_requests_details_name_apps_never_users_or_titles() -> None:
    text = fixture_text("windows/powercfg_requests_win10_en.txt")
    blockers = windows.parse_powercfg_requests(text, details=True)
    assert blockers == [
        "display:process:chrome.exe",
        "system:driver:Realtek High Definition Audio",
        "system:process:Teams.exe",
        "system:process:chrome.exe",
        "execution:process:MoUsoCoreWorker.exe",
    ]
    joined = " ".join(blockers)
    assert "jdupont" not in joined and "Budget" not in joined and "firefox" not in joined


def test_requests_french_win11() -> None:
    text = fixture_text("windows/powercfg_requests_win11_fr.txt")
    assert windows.parse_powercfg_requests(text, details=True) == [
        "system:service:wuauserv",
        "system:process:vlc.exe",
        "system:driver:Legacy Kernel Caller",
        "execution:process:Code.exe",
    ]
    joined = " ".join(windows.parse_powercfg_requests(text, details=True))
    assert "Martin" not in joined and "mmartin" not in joined and "Conseil" not in joined
    none = fixture_text("windows/powercfg_requests_win11_fr_none.txt")
    assert windows.parse_powercfg_requests(none, details=True) == []


@pytest.mark.parametrize(
    ("user", "policy", "expected"),
    [
        ("reg_query_desktop_screensaver_on.txt", None, True),
        ("reg_query_desktop_screensaver_none.txt", None, False),  # "(None)": no SCRNSAVE.EXE
        ("reg_query_desktop_screensaver_on.txt", "reg_query_policy_screensaver_off.txt", False),
    ],
)
def test_screensaver_from_reg_query(user: str, policy: str | None, expected: bool) -> None:
    u = windows.parse_reg_query(fixture_text(f"windows/{user}"))
    p = windows.parse_reg_query(fixture_text(f"windows/{policy}")) if policy else None
    assert windows.screensaver_enabled(u, p) is expected


def test_reg_query_values() -> None:
    values = windows.parse_reg_query(fixture_text("windows/reg_query_desktop_screensaver_on.txt"))
    assert values["ScreenSaveTimeOut"] == "900"
    assert values["SCRNSAVE.EXE"] == r"C:\Windows\system32\Mystify.scr"


def test_idle_files_most_active_fresh_session_wins(tmp_path: Path) -> None:
    now = datetime(2026, 1, 5, 18, 45, tzinfo=UTC)
    (tmp_path / "2.json").write_text(fixture_text("windows/idle_session2.json"))
    assert windows.read_idle_files(tmp_path, now) == pytest.approx(754.2 + 30)
    fresh = {"idle_seconds": 12.0, "written_at": (now - timedelta(seconds=5)).isoformat()}
    (tmp_path / "3.json").write_text(json.dumps(fresh))
    stale = {"idle_seconds": 0.0, "written_at": (now - timedelta(hours=2)).isoformat()}
    (tmp_path / "4.json").write_text(json.dumps(stale))
    (tmp_path / "5.json").write_text("{broken")
    assert windows.read_idle_files(tmp_path, now) == pytest.approx(17.0)
    assert windows.read_idle_files(tmp_path / "missing", now) is None
    assert windows.read_session_screensaver(tmp_path, now) is True  # session 2 runs one
    assert windows.read_session_screensaver(tmp_path, now + timedelta(hours=1)) is None


def test_windows_state_from_recorded_commands(tmp_path: Path) -> None:
    (tmp_path / "2.json").write_text(
        json.dumps({"idle_seconds": 2000, "written_at": datetime.now(UTC).isoformat()})
    )
    run = recorded(
        {
            POWERCFG_QUERY: fixture_text("windows/powercfg_q_win11_fr.txt"),
            POWERCFG_REQUESTS: fixture_text("windows/powercfg_requests_win11_fr.txt"),
            REG_DESKTOP: fixture_text("windows/reg_query_desktop_screensaver_on.txt"),
            REG_DESKTOP_POLICY: CommandError(
                REG_DESKTOP_POLICY, "failed", "ERREUR : clé introuvable"
            ),
        }
    )
    block = windows_state(run, details=False, idle_dir=tmp_path).read()
    assert block.power_state.value == "idle"
    assert block.idle_seconds is not None and block.idle_seconds >= 2000
    assert block.sleep_settings is not None and block.sleep_settings.screensaver_enabled is True
    assert block.sleep_blockers == [
        "system:service",
        "system:process",
        "system:driver",
        "execution:process",
    ]
    assert (AGENT_FIXTURES / "windows").is_dir()
