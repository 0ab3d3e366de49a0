"""ENTITY-SENSOR-MIB on a recorded Arista switch: transceiver light levels are not a power draw.

The walk is LibreNMS's (tests/fixtures/snmp/README.md). Its only watts(6) sensors are the
transceivers' optical TX/RX power; read as consumption they summed to -100 W.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from collector.config import SnmpTarget
from collector.snmp import decode
from collector.snmp.estimate import NegativePower, Rating, device_power
from collector.snmp.newprofile import read_offline
from collector.snmp.poller import poll_device
from collector.snmp.profiles import ProfileError, default_profiles, load_profiles
from collector.snmp.responder import SnmpResponder
from collector.snmp.rowrules import RowFilter
from tests.snmp.conftest import EXPECTED, recording

ARISTA = next(d for d in EXPECTED["devices_without_power"] if d["name"] == "arista-eos")
DOM_ROWS = 8  # TX and RX power of the four transceivers kept in the excerpt


def test_transceiver_power_sensors_are_dropped_offline() -> None:
    profile = default_profiles()["entity_sensor"]
    spec = profile.power[0]
    raw = read_offline(profile, recording("arista-eos"))
    assert decode.rows_of(spec, raw) == []
    # Without the exclusion, the same rows are the eight DOM sensors, and they add up to a
    # negative "power": -1000000000 (no light on Ethernet2's receiver) at milli scale and
    # precision 4 is -100 W.
    bare = spec.model_copy(update={"exclude_if": []})
    rows = decode.rows_of(bare, raw)
    assert len(rows) == DOM_ROWS
    assert sum(r.value for r in rows) == pytest.approx(-100.0, abs=0.01)
    tx = {r.component: r.value for r in rows}
    assert tx["sensor-100301212"] == pytest.approx(0.0006322)
    # A total below 0 W is refused with the reason, never recorded as a power draw.
    bare_profile = profile.model_copy(update={"power": [bare]})
    with pytest.raises(
        NegativePower,
        match=r"'entity_sensor': sum of 1\.3\.6\.1\.2\.1\.99\.1\.1\.1\.4 reads -99\.99\d* W",
    ):
        device_power(bare_profile, raw, Rating())


@pytest.mark.integration
def test_the_switch_reads_no_power_over_snmp(responder: SnmpResponder) -> None:
    target = SnmpTarget(
        device_id="arista-eos",
        host="127.0.0.1",
        port=responder.port,
        community=SecretStr(ARISTA["snmpsim_community"]),
    )
    result = asyncio.run(poll_device(target, timeout=1.0, retries=1))
    assert result.power_watts is None
    assert result.error is not None and ARISTA["expected_error"] in result.error


@pytest.mark.integration
def test_poll_command_says_no_family_answers(responder: SnmpResponder) -> None:
    address = f"127.0.0.1:{responder.port}"
    argv = [sys.executable, "-m", "collector.cli", "poll", address, "--community", "arista-eos"]
    res = subprocess.run([*argv, "--json"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 1
    out = json.loads(res.stdout)
    assert "power_watts" not in out and ARISTA["expected_error"] in out["error"]
    found = subprocess.run([*argv, "--discover"], capture_output=True, text=True, timeout=60)
    assert "no known MIB family answers with power" in found.stdout


def test_row_tests_take_one_test_and_a_valid_expression(tmp_path: Path) -> None:
    assert RowFilter(column="1.3.6.1.2.1.47.1.1.1.1.2", matches=r"\bdom\b").holds("DOM RX Power")
    assert not RowFilter(column="1.3.6.1", matches="x").holds(None)  # a missing value fails
    assert not RowFilter(column="1.3.6.1", equals=6).holds("6")
    base = (
        'name = "bad"\nkind = "switch"\nvendor = "x"\nmib = "x"\nsource = "entity_sensor"\n'
        '[[power]]\noid = "1.3.6.1.2.1.99.1.1.1.4"\ntable = true\n'
    )
    (tmp_path / "bad.toml").write_text(
        base + "exclude_if = [{ column = \"1.3.6.1.2.1.47.1.1.1.1.2\", matches = '(' }]\n"
    )
    with pytest.raises(ProfileError, match=r"power.0.exclude_if.0: .*not a regular expression"):
        load_profiles(tmp_path)
    (tmp_path / "bad.toml").write_text(
        base + 'only_if = { column = "1.3.6.1", equals = 6, matches = "x" }\n'
    )
    with pytest.raises(ProfileError, match=r"power.0.only_if: .*exactly one of equals or matches"):
        load_profiles(tmp_path)
