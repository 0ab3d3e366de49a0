"""Choosing right when a device answers several MIB families, over real SNMP on loopback.

The second families below are profiles written in the test (in a temporary directory) that
read other objects of the same recorded device, the way a second MIB of the device would.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr

from collector.config import SnmpTarget
from collector.snmp.device import PollResult, poll_device
from collector.snmp.profiles import Profile, default_profiles, load_profiles
from collector.snmp.responder import SnmpResponder

pytestmark = pytest.mark.integration

HEAD = 'kind = "pdu"\nvendor = "test"\nmib = "TEST-MIB"\nsource = "pdu_inlet"\n'


def _with(tmp_path: Path, name: str, body: str) -> dict[str, Profile]:
    (tmp_path / f"{name}.toml").write_text(f'name = "{name}"\n{HEAD}{body}')
    return default_profiles() | load_profiles(tmp_path)


def _poll(responder: SnmpResponder, community: str, profiles: dict[str, Profile]) -> PollResult:
    target = SnmpTarget(
        device_id=f"choice-{community}",
        host="127.0.0.1",
        port=responder.port,
        community=SecretStr(community),
    )
    return asyncio.run(poll_device(target, timeout=1.0, retries=1, profiles=profiles))


def test_two_families_that_disagree_are_flagged_with_both_figures(
    responder: SnmpResponder, tmp_path: Path
) -> None:
    # A family that reads one Raritan outlet (68 W) as if it were the PDU's total.
    profiles = _with(
        tmp_path,
        "stray_outlet",
        'priority = 1\n[[power]]\noid = "1.3.6.1.4.1.13742.6.5.4.3.1.4.1.3.5"\n',
    )
    result = _poll(responder, "raritan-pdu_px2", profiles)
    assert (result.profile, result.power_watts) == ("raritan_pdu2", 138)  # sysObjectID first
    [flag] = result.disagreements
    assert "raritan_pdu2 (PDU2-MIB) reads 138.0 W" in flag
    assert "stray_outlet (TEST-MIB) reads 68.0 W" in flag


def test_families_within_five_percent_are_not_flagged(
    responder: SnmpResponder, tmp_path: Path
) -> None:
    # Sentry4's three phases sum to 1707 W; its cord total reads 1701 W (0.35 % apart).
    profiles = _with(
        tmp_path,
        "phases_as_total",
        '[[power]]\noid = "1.3.6.1.4.1.1718.4.1.5.3.1.8"\ntable = true\n',
    )
    result = _poll(responder, "sentry4", profiles)
    assert (result.profile, result.power_watts, result.disagreements) == ("sentry4", 1701, ())


def test_a_total_beats_a_sum_of_outlets_whatever_the_priority(
    responder: SnmpResponder, tmp_path: Path
) -> None:
    outlets = (
        'priority = 1\n[match]\nsys_object_id = ["1.3.6.1.4.1.13742.6"]\n'
        '[[power]]\noid = "1.3.6.1.4.1.13742.6.5.4.3.1.4"\ntable = true\nindex_suffix = [5]\n'
        'role = "breakdown"\nfallback_total = true\n'
    )
    profiles = _with(tmp_path, "outlets_only", outlets)
    result = _poll(responder, "raritan-pdu_px2", profiles)
    assert result.profile == "raritan_pdu2"
    assert result.derivation == "sum of 1.3.6.1.4.1.13742.6.5.2.3.1.4"


def test_the_sum_of_outlets_when_there_is_no_total(
    responder: SnmpResponder, tmp_path: Path
) -> None:
    # Dell's profile with its phase object pointing where this PDU answers nothing.
    text = (Path(__file__).parents[2] / "collector/snmp/profiles/dell_rpdu.toml").read_text()
    text = text.replace('name = "dell_rpdu"', 'name = "dell_no_phase"').replace(
        "200.2.200.120.2.1.6", "200.2.200.120.2.1.99"
    )
    (tmp_path / "dell_no_phase.toml").write_text(text)
    profiles = {"dell_no_phase": load_profiles(tmp_path)["dell_no_phase"]}
    result = _poll(responder, "dell-rpdu", profiles)
    assert result.error is None
    assert result.power_watts == 3754  # the 24 outlets of the recording
    assert result.derivation is not None and "breakdown" in result.derivation
    [total] = [s for s in result.samples if s.metric == "power_watts" and s.component is None]
    assert total.source == "pdu_outlet_sum"
    outlets = [s for s in result.samples if s.source == "pdu_outlet"]
    assert len(outlets) == 24 and sum(s.value for s in outlets) == 3754


def test_a_peak_or_maximum_is_never_read_as_the_current_power(tmp_path: Path) -> None:
    (tmp_path / "peaky.toml").write_text(
        f'name = "peaky"\n{HEAD}never_current = ["1.3.6.1.2.1.105.1.3.1.1.2"]\n'
        '[[power]]\noid = "1.3.6.1.2.1.105.1.3.1.1.2"\ntable = true\n'
    )
    with pytest.raises(ValueError, match=r"peaky.toml: .*power.0.oid .* peak/maximum/capacity"):
        load_profiles(tmp_path)
    # The shipped PoE profile reads consumption (69 W), never the 430 W capacity object.
    poe = default_profiles()["power_ethernet"]
    assert poe.never_current and all(not p.oid.startswith(poe.never_current[0]) for p in poe.power)


def test_the_legacy_raritan_is_read_from_pdu_mib_and_its_stray_pdu2_lines_flagged(
    responder: SnmpResponder,
) -> None:
    """The issue's case: PDU2-MIB lines in a PDU-MIB PX read a quarter of its real load."""
    result = _poll(responder, "raritan-pdu", default_profiles())
    assert (result.profile, result.power_watts) == ("raritan_pdu", 580)
    assert result.disagreements == (
        "raritan_pdu (PDU-MIB (Dominion PX)) reads 580.0 W but "
        "raritan_pdu2 (PDU2-MIB) reads 138.0 W",
    )


def test_an_estimate_chosen_over_a_measured_family_shows_both_figures(
    responder: SnmpResponder,
) -> None:
    # The Huawei card's UPS-MIB upsOutputPower reads 1 at 1656 VA: the sysObjectID family
    # estimates from the load instead, and the generic family's figure is shown, not dropped.
    target = SnmpTarget(
        device_id="choice-huawei",
        host="127.0.0.1",
        port=responder.port,
        community=SecretStr("huaweiups_ups2000"),
        rated_va=6000,
    )
    result = asyncio.run(poll_device(target, timeout=1.0, retries=1))
    assert (result.profile, result.quality) == ("huawei_ups", "estimated")
    assert result.power_watts == pytest.approx(27 / 100 * 6000 * 0.9)
    [flag] = result.disagreements
    assert "huawei_ups" in flag and "reads 1458.0 W (estimated)" in flag
    assert "ups_mib (UPS-MIB) reads 1.0 W" in flag


def test_ups_phases_are_a_breakdown_of_the_output_total(responder: SnmpResponder) -> None:
    # APC Galaxy VS: upsAdvOutputActivePower 6632 W; upsPhaseOutputPower 2432 + 2347 + 1773 W.
    result = _poll(responder, "apc-galaxy-vs", default_profiles())
    phases = {s.component: s.value for s in result.samples if s.source == "ups_phase"}
    assert phases == {"phase-1.1": 2432, "phase-1.2": 2347, "phase-1.3": 1773}
    assert (result.profile, result.power_watts, result.disagreements) == ("apc_ups", 6632, ())
