"""``poll --discover`` and ``profile new`` as the operator runs them: processes, real UDP."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from collector.snmp.estimate import Rating, device_power
from collector.snmp.newprofile import read_offline
from collector.snmp.profiles import Profile, ProfileError, check_profiles, default_profiles
from collector.snmp.responder import SnmpResponder
from contract.settings import ConfigError
from tests.snmp.conftest import SNMP_FIXTURES, recording

pytestmark = pytest.mark.integration


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collector.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_discover_lists_the_family_that_answers_and_its_reading(responder: SnmpResponder) -> None:
    res = _cli("poll", "--discover", f"127.0.0.1:{responder.port}", "--community", "dell-rpdu")
    assert res.returncode == 0, res.stderr
    assert "sysObjectID 1.3.6.1.4.1.674.10903.200.3.1" in res.stdout
    assert "* dell_rpdu" in res.stdout and "3810.0 W (measured)" in res.stdout
    assert "24 breakdown readings" in res.stdout


def test_discover_json_shows_an_estimate_and_what_it_needs(responder: SnmpResponder) -> None:
    base = ["poll", "--discover", f"127.0.0.1:{responder.port}", "--community", "powerwalker"]
    res = _cli(*base, "--json")
    out = json.loads(res.stdout)
    [family] = out["families"]
    assert family["profile"] == "ppc_eppc_ups" and family["power_watts"] is None
    assert "no rating" in family["derivation"] and res.returncode == 1
    rated = json.loads(_cli(*base, "--json", "--rated-va", "1000").stdout)
    assert rated["families"][0]["power_watts"] == pytest.approx(243)
    assert rated["families"][0]["quality"] == "estimated"


def test_discover_says_when_nothing_answers(responder: SnmpResponder) -> None:
    responder.add_dataset("no-power", [r for r in recording("dell-ups") if r.oid[6] != 674])
    res = _cli("poll", "--discover", f"127.0.0.1:{responder.port}", "--community", "no-power")
    assert res.returncode == 1
    assert "no known MIB family answers" in res.stdout and "profile new" in res.stdout


def test_profile_new_writes_a_profile_that_reads_the_walk(tmp_path: Path) -> None:
    out = tmp_path / "dell_ups_test.toml"
    walk = SNMP_FIXTURES / "dell-ups.snmprec"
    res = _cli(
        "profile", "new", str(walk), "--name", "dell_ups_test", "--vendor", "Dell",
        "--kind", "ups", "--mib", "DELL-SNMP-UPS-MIB",
        "--power-oid", "1.3.6.1.4.1.674.10902.2.120.2.6.0", "--output", str(out),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "reads 307 W" in res.stdout
    profile = Profile.model_validate(tomllib.loads(out.read_text()))
    assert profile.match.sys_object_id == ["1.3.6.1.4.1.674.10902.2"]
    assert "DELL-SNMP-UPS-MIB" in out.read_text().splitlines()[0]
    power = device_power(profile, read_offline(profile, recording("dell-ups")), Rating())
    assert power is not None and power.watts == 307
    again = _cli("profile", "new", str(walk), "--name", "dell_ups_test", "--vendor", "Dell",
                 "--kind", "ups", "--mib", "X", "--power-oid", "1.3.6.1.4.1.674.10902.2.120.2.6.0",
                 "--output", str(out))  # fmt: skip
    assert again.returncode == 2 and "exists" in again.stderr


def test_profile_new_lists_candidate_columns_when_the_power_oid_is_missing() -> None:
    res = _cli(
        "profile", "new", str(SNMP_FIXTURES / "dell-rpdu.snmprec"),
        "--name", "x", "--vendor", "Dell", "--kind", "pdu", "--mib", "DellrPDU-MIB",
    )  # fmt: skip
    assert res.returncode == 2
    assert "missing: --power-oid" in res.stderr
    assert "1.3.6.1.4.1.674.10903.200.2.200.130.2.2.1.8  24" in res.stderr


def test_profile_new_refuses_an_oid_that_reads_no_power(tmp_path: Path) -> None:
    res = _cli(
        "profile", "new", str(SNMP_FIXTURES / "dell-ups.snmprec"), "--name", "x",
        "--vendor", "Dell", "--kind", "ups", "--mib", "X",
        "--power-oid", "1.3.6.1.4.1.674.10902.2.100.1.0", "--output", str(tmp_path / "x.toml"),
    )  # fmt: skip
    assert res.returncode == 1 and "reads no power" in res.stderr
    assert not (tmp_path / "x.toml").exists()


def test_check_profiles_loads_all_and_names_the_file_and_key(tmp_path: Path) -> None:
    assert check_profiles() == default_profiles()
    (tmp_path / "broken.toml").write_text(
        'name = "broken"\nkind = "pdu"\nvendor = "x"\nmib = "x"\nsource = "pdu_inlet"\n'
        '[[power]]\noid = "1.3.6.1"\nmultiplier = -1\n'
    )
    with pytest.raises(ConfigError) as caught:
        check_profiles(tmp_path)
    assert isinstance(caught.value, ProfileError)
    assert caught.value.source.endswith("broken.toml")
    assert caught.value.problems == ["power.0.multiplier: Input should be greater than 0"]
