"""Can it sleep at all: ``powercfg /a`` (English, French) and ``/sys/power`` from real outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.commands import recorded
from agent.state import sleepstates
from agent.state.probes import POWERCFG_AVAILABLE, linux_state, windows_state
from contract import schema
from contract.wire import SleepStates
from tests.agent.conftest import copy_sysfs, fixture_text


@pytest.mark.parametrize(
    ("name", "available", "can_sleep"),
    [
        ("powercfg_a_win10_en_s3.txt", ["s3"], True),
        ("powercfg_a_win11_en_s0.txt", ["s0_low_power_idle", "hibernate"], True),
        ("powercfg_a_win11_fr_s0.txt", ["s0_low_power_idle", "hibernate", "fast_startup"], True),
        ("powercfg_a_win11_fr_hibernate_only.txt", ["hibernate", "fast_startup"], True),
    ],
)
def test_powercfg_available(name: str, available: list[str], can_sleep: bool) -> None:
    states = sleepstates.parse_powercfg_available(fixture_text(f"windows/{name}"))
    assert states.available == available
    assert states.can_sleep is can_sleep


def test_powercfg_unavailable_reasons_in_the_users_language() -> None:
    en = sleepstates.parse_powercfg_available(fixture_text("windows/powercfg_a_win10_en_s3.txt"))
    assert set(en.unavailable) == {"s1", "s2", "hibernate", "s0_low_power_idle", "hybrid_sleep",
                                   "fast_startup"}  # fmt: skip
    assert en.unavailable["hibernate"] == "Hibernation has not been enabled."
    assert en.unavailable["hybrid_sleep"] == (
        "Hibernation is not available. The hypervisor does not support this standby state."
    )
    fr = sleepstates.parse_powercfg_available(
        fixture_text("windows/powercfg_a_win11_fr_hibernate_only.txt")
    )
    assert set(fr.unavailable) == {"s1", "s2", "s3", "s0_low_power_idle", "hybrid_sleep"}
    assert fr.unavailable["s3"].startswith("Le microprogramme du système")


def test_french_labels_survive_a_wrong_code_page() -> None:
    text = fixture_text("windows/powercfg_a_win11_fr_s0.txt").replace("’", "'")
    right = sleepstates.parse_powercfg_available(text)
    for read_as in ("utf-8", "cp1252"):
        wrong = text.encode("cp850").decode(read_as, errors="replace")
        assert sleepstates.parse_powercfg_available(wrong).available == right.available


def test_an_unknown_language_leaves_can_sleep_unknown() -> None:
    text = (
        "Auf diesem System sind folgende Standbyzustände verfügbar:\n"
        "    Ruhezustand\n"
        "\n"
        "Folgende Standbyzustände sind auf diesem System nicht verfügbar:\n"
        "    Standby (S3)\n"
        "        Die Systemfirmware unterstützt diesen Standbymodus nicht.\n"
    )  # written for the test in powercfg /a's layout: "Ruhezustand" is not in LABELS
    states = sleepstates.parse_powercfg_available(text)
    assert states.available == ["other"]
    assert states.can_sleep is None


@pytest.mark.parametrize("name", ["powercfg_a_win11_en_s0.txt", "powercfg_a_win11_fr_s0.txt"])
def test_powercfg_available_cut_is_right_or_unknown(name: str) -> None:
    text = fixture_text(f"windows/{name}")
    right = sleepstates.parse_powercfg_available(text).available
    lines = text.splitlines(keepends=True)
    for i in range(len(lines)):
        try:
            got = sleepstates.parse_powercfg_available("".join(lines[:i]))
        except ValueError:
            continue
        assert got.available == right


@pytest.mark.parametrize("text", ["", "\x00T\x00h\x00e", "Power Scheme GUID: x\n"])
def test_powercfg_available_garbled_is_an_error(text: str) -> None:
    with pytest.raises(ValueError):
        sleepstates.parse_powercfg_available(text)


def test_sys_power_laptop_s2idle(tmp_path: Path) -> None:
    root = copy_sysfs("power_s2idle", tmp_path)
    states = sleepstates.read_sys_power(root)
    assert states == SleepStates(available=["suspend_to_idle"])
    assert states.can_sleep is True


def test_sys_power_vm_offers_nothing(tmp_path: Path) -> None:
    # Captured on this project's build VM: an empty /sys/power/state, no mem_sleep.
    states = sleepstates.read_sys_power(copy_sysfs("power_vm_none", tmp_path))
    assert states is not None and states.available == [] and states.can_sleep is False
    assert sleepstates.read_sys_power(tmp_path / "missing") is None


@pytest.mark.parametrize(
    ("state", "mem_sleep", "available"),
    [
        ("freeze mem disk\n", "s2idle [deep]\n", ["suspend_to_idle", "s3", "hibernate"]),
        ("freeze standby mem\n", "s2idle [shallow] deep\n", ["suspend_to_idle", "s1"]),
        ("mem disk\n", None, ["suspend", "hibernate"]),  # kernel before mem_sleep (4.10)
    ],
)
def test_sys_power_variants(state: str, mem_sleep: str | None, available: list[str]) -> None:
    assert sleepstates.parse_sys_power(state, mem_sleep).available == available


def test_sys_power_unknown_word_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown state"):
        sleepstates.parse_sys_power("freeze m\x00em")


def test_state_block_carries_sleep_states(tmp_path: Path) -> None:
    run = recorded({POWERCFG_AVAILABLE: fixture_text("windows/powercfg_a_win10_en_s3.txt")})
    block = windows_state(run, details=False, idle_dir=tmp_path).read()
    assert block.sleep_states is not None and block.sleep_states.available == ["s3"]
    again = schema.StateBlock.model_validate_json(block.to_json())
    assert again.sleep_states is not None and again.sleep_states.available == ["s3"]
    root = copy_sysfs("power_s2idle", tmp_path / "sys")
    linux_block = linux_state(recorded({}), details=False, sysfs_root=root).read()
    assert linux_block.sleep_states == SleepStates(available=["suspend_to_idle"])


def test_older_agents_state_block_still_validates() -> None:
    old = schema.StateBlock.model_validate({"power_state": "idle", "sleep_blockers": []})
    assert old.sleep_states is None and old.sleep_blockers_known is None
    assert not old.blockers_unknown
    with pytest.raises(ValueError, match="must be empty"):
        schema.StateBlock.model_validate(
            {"power_state": "idle", "sleep_blockers": ["x"], "sleep_blockers_known": False}
        )
