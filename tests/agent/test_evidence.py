"""Bad input reads as unknown: cut, empty and wrongly decoded outputs of the recorded commands.

Every broken variant is derived here from a recorded real output (tests/fixtures/agent), by
cutting it at every line or character, emptying it, or decoding its bytes with the wrong
code page. A parser may then say "unknown" (None, or ValueError that the probe turns into
unknown) or give the right value; it must never give another one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.commands import CommandError, recorded
from agent.state import linux, windows
from agent.state.probes import (
    GSETTINGS_SCHEMAS,
    INHIBIT_LIST,
    POWERCFG_QUERY,
    POWERCFG_REQUESTS,
    REG_DESKTOP,
    linux_state,
    windows_state,
)
from tests.agent.conftest import fixture_text

Q_EN = "windows/powercfg_q_win10_en.txt"
Q_FR = "windows/powercfg_q_win11_fr.txt"
#: The right values, read from the whole outputs (and worked out by hand from their hex).
Q_TRUTH = {
    Q_EN: {"sleep_ac": 1800, "sleep_dc": 900, "display_ac": 600, "display_dc": 300},
    Q_FR: {"sleep_ac": 7200, "sleep_dc": 600, "display_ac": 900, "display_dc": 180},
}


def _values(text: str) -> dict[str, int | None] | None:
    try:
        s = windows.sleep_settings_from_powercfg(text)
    except ValueError:
        return None
    return {
        "sleep_ac": s.sleep_ac_seconds,
        "sleep_dc": s.sleep_battery_seconds,
        "display_ac": s.display_ac_seconds,
        "display_dc": s.display_battery_seconds,
    }


def _line_cuts(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    return ["".join(lines[:i]) for i in range(len(lines) + 1)]


@pytest.mark.parametrize("name", [Q_EN, Q_FR])
def test_powercfg_query_cut_anywhere_is_right_or_unknown(name: str) -> None:
    text = fixture_text(name)
    truth = Q_TRUTH[name]
    cuts = _line_cuts(text) + [text[:i] for i in range(0, len(text), 7)]
    for cut in cuts:
        got = _values(cut)
        if got is None:
            continue
        for key, value in got.items():
            assert value in (None, truth[key]), (key, value, repr(cut[-80:]))


def _cut_inside(text: str, guid: str, marker: str) -> str:
    start = text.index(guid)
    return text[: text.index(marker, start) + len(marker)]


@pytest.mark.parametrize(
    "marker",
    [
        "Maximum Possible Setting: 0xffffffff\n",  # the old parser returned 0xffffffff here
        "Possible Settings increment: 0x00000001\n",
        "Current AC Power Setting Index: 0x00000708\n",
        "Current DC Power Setting Index: 0x000003",  # a cut number
    ],
)
def test_powercfg_query_cut_in_standby_block_is_unknown(marker: str) -> None:
    cut = _cut_inside(fixture_text(Q_EN), windows.STANDBYIDLE, marker)
    s = windows.sleep_settings_from_powercfg(cut)
    assert s.sleep_ac_seconds is None and s.sleep_battery_seconds is None
    assert s.display_ac_seconds is None  # its block never came
    assert windows.STANDBYIDLE not in windows.parse_powercfg_query(cut)


def test_sleep_never_with_hibernation_block_cut_is_unknown_not_never() -> None:
    text = fixture_text(Q_FR)
    cut = _cut_inside(text, windows.HIBERNATEIDLE, "0xffffffff\n")
    s = windows.sleep_settings_from_powercfg(cut)
    assert s.sleep_ac_seconds is None  # sleep is "never" but hibernation is not known
    assert s.sleep_battery_seconds == 600  # a timer of its own: known whatever follows


def test_powercfg_query_hibernation_absent_from_a_whole_sleep_subgroup_is_off() -> None:
    text = fixture_text(Q_FR)
    start = text.index("GUID du paramètre d'alimentation : " + windows.HIBERNATEIDLE)
    end = text.index("GUID du paramètre d'alimentation", start + 10)
    without = text[:start] + text[end:]
    s = windows.sleep_settings_from_powercfg(without)
    assert s.sleep_ac_seconds == 0  # sleep never, no hibernation setting shown: never
    # The same absence in an output garbled elsewhere (a block with one index line) proves
    # nothing: unknown.
    lines = without.splitlines(keepends=True)
    cut_line = next(i for i, ln in enumerate(lines) if "courant continu actuels" in ln)
    garbled = "".join(lines[:cut_line] + lines[cut_line + 1 :])
    assert windows.sleep_settings_from_powercfg(garbled).sleep_ac_seconds is None


def _misdecoded(text: str, encoding: str, read_as: str) -> str:
    return text.encode(encoding).decode(read_as, errors="replace")


@pytest.mark.parametrize(
    ("encoding", "read_as"), [("utf-16-le", "cp1252"), ("utf-16", "utf-8"), ("utf-16", "latin-1")]
)
def test_utf16_read_as_8bit_is_unknown(encoding: str, read_as: str) -> None:
    for name in (Q_EN, Q_FR):
        with pytest.raises(ValueError):
            windows.sleep_settings_from_powercfg(_misdecoded(fixture_text(name), encoding, read_as))
    for name in (
        "windows/powercfg_requests_win10_en.txt",
        "windows/powercfg_requests_win11_fr.txt",
    ):
        with pytest.raises(ValueError, match="NUL"):
            windows.parse_powercfg_requests(_misdecoded(fixture_text(name), encoding, read_as))
    inhibit = _misdecoded(fixture_text("linux/systemd_inhibit_debian12.txt"), encoding, read_as)
    with pytest.raises(ValueError):
        linux.parse_inhibitors(inhibit)


def test_french_oem_output_read_with_the_wrong_code_page_still_reads_right() -> None:
    # cp850 bytes read as UTF-8 or cp1252: accents are lost, the layout is ASCII and kept.
    text = fixture_text(Q_FR)
    for read_as in ("utf-8", "cp1252"):
        assert _values(_misdecoded(text, "cp850", read_as)) == Q_TRUTH[Q_FR]
    requests = fixture_text("windows/powercfg_requests_win11_fr.txt")
    right = windows.parse_powercfg_requests(requests)
    assert windows.parse_powercfg_requests(_misdecoded(requests, "cp850", "utf-8")) == right


def test_bom_is_read_but_a_misdecoded_bom_is_unknown() -> None:
    text = fixture_text("windows/powercfg_requests_win10_en.txt")
    right = windows.parse_powercfg_requests(text)
    assert windows.parse_powercfg_requests("\ufeff" + text) == right
    assert _values("\ufeff" + fixture_text(Q_EN)) == Q_TRUTH[Q_EN]
    utf8_bom_as_cp1252 = _misdecoded("\ufeff" + text, "utf-8", "cp1252")  # "ï»¿DISPLAY:"
    with pytest.raises(ValueError, match="sections"):
        windows.parse_powercfg_requests(utf8_bom_as_cp1252)


REQUESTS = [
    "windows/powercfg_requests_win10_en.txt",
    "windows/powercfg_requests_win11_fr.txt",
    "windows/powercfg_requests_win11_fr_none.txt",
]


@pytest.mark.parametrize("name", REQUESTS)
def test_requests_cut_anywhere_is_right_or_unknown(name: str) -> None:
    text = fixture_text(name)
    right = windows.parse_powercfg_requests(text, details=True)
    unknown = 0
    for cut in _line_cuts(text) + [text[:i] for i in range(0, len(text), 5)]:
        try:
            got = windows.parse_powercfg_requests(cut, details=True)
        except ValueError:
            unknown += 1
            continue
        assert got == right, repr(cut[-60:])
    assert unknown > 0


@pytest.mark.parametrize("text", ["", "\n\n", "   \r\n", "\ufeff"])
def test_empty_outputs_are_unknown_not_no_blockers(text: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        windows.parse_powercfg_requests(text)
    with pytest.raises(ValueError):
        linux.parse_inhibitors(text)


def test_requests_with_an_empty_blocking_section_is_unknown() -> None:
    text = fixture_text("windows/powercfg_requests_win11_fr_none.txt")
    garbled = text.replace("SYSTEM:\nAucun.\n", "SYSTEM:\n")
    with pytest.raises(ValueError, match="SYSTEM"):
        windows.parse_powercfg_requests(garbled)


INHIBIT = [
    "linux/systemd_inhibit_debian12.txt",
    "linux/systemd_inhibit_ubuntu2004.txt",
    "linux/systemd_inhibit_none.txt",
]


@pytest.mark.parametrize("name", INHIBIT)
def test_inhibitors_cut_anywhere_is_right_or_unknown(name: str) -> None:
    text = fixture_text(name)
    right = linux.parse_inhibitors(text, details=True)
    for cut in _line_cuts(text)[:-1] + [text[:i] for i in range(0, len(text) - 25, 9)]:
        with pytest.raises(ValueError):
            linux.parse_inhibitors(cut, details=True)
    assert linux.parse_inhibitors(text, details=True) == right


def test_inhibitors_with_a_row_missing_is_unknown() -> None:
    text = fixture_text("linux/systemd_inhibit_debian12.txt")
    lines = text.splitlines(keepends=True)
    dropped = "".join(ln for ln in lines if "rsync backup" not in ln)  # 8 rows, "9 listed"
    with pytest.raises(ValueError, match="8 rows read, the legend says 9"):
        linux.parse_inhibitors(dropped)


def test_no_inhibitors_legend_is_no_blockers() -> None:
    assert linux.parse_inhibitors("No inhibitors.\n") == []


def test_windows_probe_sends_unknown_blockers_when_output_is_empty(tmp_path: Path) -> None:
    run = recorded(
        {
            POWERCFG_QUERY: fixture_text(Q_EN),
            POWERCFG_REQUESTS: "",
            REG_DESKTOP: fixture_text("windows/reg_query_desktop_screensaver_none.txt"),
        }
    )
    state = windows_state(run, details=False, idle_dir=tmp_path)
    block = state.read()
    assert block.sleep_blockers == [] and block.sleep_blockers_known is False
    assert block.blockers_unknown
    assert state.blockers.last_error is not None  # type: ignore[attr-defined]
    assert "empty output" in state.blockers.last_error  # type: ignore[attr-defined]
    assert b'"sleep_blockers_known":false' in block.to_json()


def test_linux_probe_blockers_unknown_when_systemd_inhibit_fails(tmp_path: Path) -> None:
    run = recorded({INHIBIT_LIST: CommandError(INHIBIT_LIST, "failed", "Failed to connect")})
    block = linux_state(run, details=False, sysfs_root=tmp_path, etc_root=tmp_path).read()
    assert block.sleep_blockers_known is False and block.sleep_blockers == []
    ok = recorded({INHIBIT_LIST: fixture_text("linux/systemd_inhibit_debian12.txt")})
    block = linux_state(ok, details=False, sysfs_root=tmp_path, etc_root=tmp_path).read()
    assert block.sleep_blockers_known is True
    assert block.sleep_blockers == ["idle:inhibitor", "sleep:inhibitor"]


@pytest.mark.parametrize(
    "name",
    [
        "windows/reg_query_desktop_screensaver_on.txt",
        "windows/reg_query_desktop_screensaver_none.txt",
        "windows/reg_query_policy_screensaver_off.txt",
    ],
)
def test_reg_query_cut_anywhere_is_right_or_unknown(name: str) -> None:
    text = fixture_text(name)
    right = windows.parse_reg_query(text)
    for cut in _line_cuts(text) + [text[:i] for i in range(0, len(text), 11)]:
        try:
            got = windows.parse_reg_query(cut)
        except ValueError:
            continue
        assert got == right, repr(cut[-60:])


def test_reg_query_cut_before_scrnsave_is_not_read_as_no_screensaver(tmp_path: Path) -> None:
    text = fixture_text("windows/reg_query_desktop_screensaver_on.txt")
    cut = text[: text.index("SCRNSAVE.EXE")]
    with pytest.raises(ValueError, match="cut"):
        windows.parse_reg_query(cut)
    run = recorded(
        {
            POWERCFG_QUERY: fixture_text(Q_EN),
            POWERCFG_REQUESTS: fixture_text("windows/powercfg_requests_win10_en.txt"),
            REG_DESKTOP: cut,
        }
    )
    settings = windows_state(run, details=False, idle_dir=tmp_path).read().sleep_settings
    assert settings is not None and settings.screensaver_enabled is None
    assert settings.sleep_ac_seconds == 1800  # the timeouts are still known


def test_gsettings_cut_is_right_or_unknown_never_logind_alone() -> None:
    power = fixture_text("linux/gsettings_gnome_power.txt")
    logind = ("ignore", 1800.0)  # logind alone would say "never"
    right = linux.linux_sleep_settings(logind, linux.parse_gsettings(power))
    assert (right.sleep_ac_seconds, right.sleep_battery_seconds) == (3600, 900)
    for cut in _line_cuts(power) + [power[:i] for i in range(1, len(power), 3)]:
        read = linux.parse_gsettings(cut)
        if not read:
            continue  # nothing read: the probe says unknown (next test)
        s = linux.linux_sleep_settings(logind, read)
        assert s.sleep_ac_seconds in (None, 3600), repr(cut)
        assert s.sleep_battery_seconds in (None, 900), repr(cut)
    cut = power[
        : power.index("sleep-inactive-ac-timeout 3600") + len("sleep-inactive-ac-timeout 36")
    ]
    assert "sleep-inactive-ac-timeout" not in " ".join(linux.parse_gsettings(cut))


@pytest.mark.parametrize("output", ["", "org.gnome.settings-daemon.plugins.po", "\x00o\x00r\x00g"])
def test_gsettings_answering_nothing_readable_makes_settings_unknown(
    tmp_path: Path, output: str
) -> None:
    answers: dict[tuple[str, ...], str | CommandError] = {
        ("gsettings", "list-recursively", schema): CommandError((), "failed", "No such schema")
        for schema in GSETTINGS_SCHEMAS
    }
    answers[("gsettings", "list-recursively", GSETTINGS_SCHEMAS[0])] = output
    state = linux_state(recorded(answers), details=False, sysfs_root=tmp_path, etc_root=tmp_path)
    assert state.read().sleep_settings is None
    assert "no setting read" in (state.settings.last_error or "")  # type: ignore[attr-defined]
