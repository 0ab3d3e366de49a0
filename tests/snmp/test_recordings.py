"""Every recorded real device, served over real UDP, gives LibreNMS's expected power and energy."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from pydantic import SecretStr

from collector.config import SnmpTarget
from collector.snmp.cli import poll_command
from collector.snmp.counters import CounterState
from collector.snmp.poller import poll_device
from collector.snmp.responder import SnmpResponder
from tests.snmp.conftest import DEVICES, recording

pytestmark = pytest.mark.integration

KIND = {"poe-midspan": "poe_midspan"}


def _target(device: dict[str, Any], port: int) -> SnmpTarget:
    """The device's target; a load-only UPS gets the rating its expected.json entry sets."""
    rating = device.get("estimate") or {}
    return SnmpTarget(
        device_id=device["name"],
        host="127.0.0.1",
        port=port,
        community=SecretStr(device["snmpsim_community"]),
        rated_w=rating.get("rated_w"),
        rated_va=rating.get("rated_va"),
        power_factor=rating.get("power_factor"),
    )


def _rating_args(device: dict[str, Any]) -> list[str]:
    rating = device.get("estimate") or {}
    flags = {"rated_w": "--rated-w", "rated_va": "--rated-va", "power_factor": "--power-factor"}
    return [a for k, f in flags.items() if k in rating for a in (f, str(rating[k]))]


@pytest.mark.parametrize("device", DEVICES, ids=[d["name"] for d in DEVICES])
def test_recording_gives_expected_power_and_energy(
    device: dict[str, Any], responder: SnmpResponder
) -> None:
    result = asyncio.run(poll_device(_target(device, responder.port), timeout=1.0, retries=1))
    assert result.error is None
    assert result.kind == KIND.get(device["kind"], device["kind"])
    assert result.power_watts == pytest.approx(device["expected_power_w"], rel=0.01)
    if "expected_profile" in device:
        assert result.profile == device["expected_profile"]
    totals = [s for s in result.samples if s.metric == "power_watts" and s.component is None]
    assert [s.value for s in totals] == [result.power_watts]
    quality = device.get("expected_quality", "measured")
    assert totals[0].quality == quality == result.quality
    if quality == "estimated":
        assert totals[0].source.endswith("_estimated")
        assert result.derivation is not None and "output load" in result.derivation
    if device["expected_energy_kwh"] is not None:
        assert result.energy_joules == pytest.approx(
            device["expected_energy_kwh"] * 3.6e6, rel=0.01
        )
        counters = [s for s in result.samples if s.metric == "energy_joules_total"]
        assert counters and all(s.component for s in counters)
        assert sum(s.value for s in counters) == pytest.approx(result.energy_joules)
    # Uptime is read on every poll; the AP7900B recording has neither uptime object, and
    # hrSystemUptime (the host's) is preferred to sysUpTime (the agent's).
    oids = {r.oid for r in recording(device["name"])}
    hr, sys_up = (1, 3, 6, 1, 2, 1, 25, 1, 1, 0) in oids, (1, 3, 6, 1, 2, 1, 1, 3, 0) in oids
    assert (result.uptime_seconds is not None) == (hr or sys_up)
    if hr or sys_up:
        uptime = [s for s in result.samples if s.metric == "uptime_seconds"]
        assert uptime[0].source == ("snmp_hrsystemuptime" if hr else "snmp_sysuptime")


def test_breakdowns_carry_components_and_do_not_change_the_total(responder: SnmpResponder) -> None:
    raritan = next(d for d in DEVICES if d["name"] == "raritan-pdu_px2")
    result = asyncio.run(poll_device(_target(raritan, responder.port), timeout=1.0, retries=1))
    outlets = {s.component: s.value for s in result.samples if s.source == "pdu_outlet"}
    expected = {
        r["sensor_oid"]: r["sensor_current"]
        for r in raritan["readings"]
        if r.get("role") == "outlet"
    }
    assert len(outlets) == len(expected) == 12
    assert outlets["outlet-1.3"] == 68
    assert sum(outlets.values()) == sum(expected.values()) == 138
    assert result.power_watts == 138


def test_poll_command_json(responder: SnmpResponder, capsys: pytest.CaptureFixture[str]) -> None:
    code = poll_command(
        f"127.0.0.1:{responder.port}",
        community="schleifenbauer",
        v3=None,
        as_json=True,
        timeout=1.0,
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["profile"] == "schleifenbauer"
    assert out["kind"] == "pdu"
    assert out["power_watts"] == pytest.approx(140)
    assert out["energy_kwh"] == pytest.approx(132)
    assert out["uptime_seconds"] == pytest.approx(469961.52)
    assert out["error"] is None


def test_poll_command_text(responder: SnmpResponder, capsys: pytest.CaptureFixture[str]) -> None:
    code = poll_command(
        f"127.0.0.1:{responder.port}", community="apc_ap7900b", v3=None, as_json=False, timeout=1.0
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "apc_rpdu (pdu, APC" in out
    assert "312.0 W" in out
    assert "neither sysUpTime nor hrSystemUptime" in out


def test_poll_command_times_out_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    from loopback.servers import free_port

    port = free_port(socket.SOCK_DGRAM)
    code = poll_command(
        f"127.0.0.1:{port}", community="public", v3=None, as_json=False, timeout=0.2
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "no answer" in err and f"127.0.0.1:{port}" in err


def test_poll_command_rejects_a_bad_address(capsys: pytest.CaptureFixture[str]) -> None:
    assert poll_command("127.0.0.1:99999", community="x", v3=None, as_json=False) == 2
    assert "HOST:PORT" in capsys.readouterr().err


def test_forced_and_cached_profiles(responder: SnmpResponder) -> None:
    eaton = next(d for d in DEVICES if d["name"] == "eatonups")
    forced = _target(eaton, responder.port).model_copy(update={"profile": "eaton_xups"})
    assert asyncio.run(poll_device(forced, timeout=1.0, retries=0)).power_watts == 231
    wrong = forced.model_copy(update={"profile": "ups_mib"})
    result = asyncio.run(poll_device(wrong, timeout=1.0, retries=0))
    assert result.error is not None and "'ups_mib' finds no power" in result.error
    unknown = forced.model_copy(update={"profile": "nosuch"})
    assert "unknown profile 'nosuch'" in str(
        asyncio.run(poll_device(unknown, timeout=1.0, retries=0)).error
    )
    # A cached profile that stops answering (the card was swapped) is detected again.
    state = CounterState(profile="ups_mib")
    sentry = next(d for d in DEVICES if d["name"] == "sentry4")
    again = asyncio.run(
        poll_device(_target(sentry, responder.port), timeout=1.0, retries=0, state=state)
    )
    assert (again.profile, again.power_watts, state.profile) == ("sentry4", 1701, "sentry4")


@pytest.mark.parametrize("device", DEVICES, ids=[d["name"] for d in DEVICES])
def test_veille_collector_poll_command_for_every_recording(
    device: dict[str, Any], responder: SnmpResponder
) -> None:
    """The operator's command itself, as a process: expected power within 1 %, and energy."""
    import subprocess
    import sys

    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "collector.cli",
            "poll",
            f"127.0.0.1:{responder.port}",
            "--community",
            device["snmpsim_community"],
            "--json",
            "--timeout",
            "2",
            *_rating_args(device),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["power_watts"] == pytest.approx(device["expected_power_w"], rel=0.01)
    assert out["quality"] == device.get("expected_quality", "measured")
    if device["expected_energy_kwh"] is not None:
        assert out["energy_kwh"] == pytest.approx(device["expected_energy_kwh"], rel=0.01)
