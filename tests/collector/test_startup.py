"""`veille-collector run` refuses a configuration that cannot work, naming the key or the
inventory line, before it binds a port or touches the ledger; `check-config` says the same."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from collector.config import load_config
from contract.settings import ConfigError

PROFILE = (Path(__file__).parents[2] / "collector/snmp/profiles/ups_mib.toml").read_text()
V3 = '[[snmp.targets]]\ndevice_id = "pdu-a"\nhost = "127.0.0.1"\n[snmp.targets.v3]\nuser = "u"\n'


def _setup(tmp_path: Path, config: str, inventory: str = "") -> Path:
    (tmp_path / "inventory.toml").write_text(inventory, encoding="utf-8")
    path = tmp_path / "collector.toml"
    ledger = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    path.write_text(
        f'inventory = "inventory.toml"\n[ledger]\nurl = "{ledger}"\n{config}', encoding="utf-8"
    )
    return path


def _run(command: str, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collector.cli", command, "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def _device(id_: str, **keys: str) -> str:
    return f'[[device]]\nid = "{id_}"\n' + "".join(f'{k} = "{v}"\n' for k, v in keys.items())


CASES = [
    pytest.param(
        "",
        _device("pc-1", kind="desktop", policy_group="nuit"),
        "device pc-1.policy_group: 'nuit' is not defined in [policy.groups]",
        id="unknown policy group",
    ),
    pytest.param(
        "",
        _device("srv-1", kind="server", metered_by="pdu-x"),
        "device srv-1.metered_by: unknown device 'pdu-x'",
        id="unknown meter",
    ),
    pytest.param(
        "",
        _device("pdu-a", kind="pdu", metered_by="pdu-b")
        + _device("pdu-b", kind="pdu", metered_by="pdu-a"),
        "device pdu-a.metered_by: the meters form a loop: pdu-a -> pdu-b -> pdu-a",
        id="metering loop",
    ),
    pytest.param(
        '[[snmp.targets]]\ndevice_id = "pdu-a"\nhost = "127.0.0.1"\ncommunity = "public"\n'
        'profile = "apc_rpdu9"\n',
        "",
        "snmp.targets.0.profile: unknown profile 'apc_rpdu9' (device pdu-a); "
        "one of apc_cpdu, apc_epdu, apc_rpdu,",
        id="unknown forced profile",
    ),
    pytest.param(
        '[snmp]\nextra_profiles = "profiles"\n',
        "",
        "profiles/broken.toml: ",
        id="profile that does not parse",
    ),
    pytest.param(
        '[mqtt]\nembedded = false\n[mqtt.tls]\ncert_file = "client.pem"\n',
        "",
        "mqtt.tls: Value error, cert_file and key_file go together",
        id="TLS certificate without its key",
    ),
]


@pytest.mark.parametrize(("config", "inventory", "problem"), CASES)
def test_run_refuses_to_start(tmp_path: Path, config: str, inventory: str, problem: str) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "broken.toml").write_text(
        PROFILE.replace('name = "ups_mib"', 'name = "mine"').replace("[[power]]", "[[power]\n"),
        encoding="utf-8",
    )
    path = _setup(tmp_path, config, inventory)
    for command in ("run", "check-config"):
        res = _run(command, path)
        assert res.returncode == 2, (command, res.stdout, res.stderr)
        assert problem in res.stderr, (command, res.stderr)
    assert not (tmp_path / "ledger.sqlite").exists()  # refused before touching the ledger


def test_a_good_extra_profile_is_loaded(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "mine.toml").write_text(
        PROFILE.replace('name = "ups_mib"', 'name = "mine"'), encoding="utf-8"
    )
    config = '[snmp]\nextra_profiles = "profiles"\n[[snmp.targets]]\ndevice_id = "u"\n'
    config += 'host = "127.0.0.1"\ncommunity = "public"\nprofile = "mine"\n'
    res = _run("check-config", _setup(tmp_path, config))
    assert res.returncode == 0, res.stderr
    assert "SNMP profiles: " in res.stdout


def test_snmpv3_keys_from_the_environment_one_target_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PDU_A_AUTH", "auth-secret-1")
    monkeypatch.setenv("PDU_A_PRIV", "priv-secret-1")
    path = _setup(tmp_path, V3 + 'auth_key_env = "PDU_A_AUTH"\npriv_key_env = "PDU_A_PRIV"\n')
    (target,) = load_config(path).snmp.targets
    assert target.v3 is not None
    assert target.v3.auth_key.get_secret_value() == "auth-secret-1"
    assert target.v3.priv_key.get_secret_value() == "priv-secret-1"
    assert "secret" not in repr(target)


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        (
            'auth_key_env = "NOT_SET_ANYWHERE"\npriv_key = "p"\n',
            "auth_key_env: environment variable NOT_SET_ANYWHERE is not set",
        ),
        (
            'auth_key = "a"\nauth_key_env = "PDU_A_AUTH"\npriv_key = "p"\n',
            "set auth_key or auth_key_env, not both",
        ),
        ('auth_key_env = "no spaces"\npriv_key = "p"\n', "is not an environment variable name"),
    ],
)
def test_snmpv3_env_keys_fail_naming_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keys: str, problem: str
) -> None:
    monkeypatch.setenv("PDU_A_AUTH", "x")
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    with pytest.raises(ConfigError) as info:
        load_config(_setup(tmp_path, V3 + keys))
    assert any(p.startswith("snmp.targets.0.v3:") and problem in p for p in info.value.problems)


def test_the_spool_is_configured_not_the_working_directory(tmp_path: Path) -> None:
    path = _setup(
        tmp_path,
        '[timeseries]\nspool_dir = "/var/lib/veille/spool"\nmax_spool_bytes = 1048576\n',
    )
    ts = load_config(path).timeseries
    assert (str(ts.spool_dir), ts.max_spool_bytes) == ("/var/lib/veille/spool", 1048576)
