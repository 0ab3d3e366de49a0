"""Bad configuration fails at start-up and names its key; the examples in deploy/ are valid."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from collector.config import load_config
from collector.inventory import load_inventory
from contract.settings import ConfigError

DEPLOY = Path(__file__).parents[2] / "deploy"


def _write(tmp_path: Path, text: str, name: str = "collector.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[mqtt]\nport = 70000\n", "mqtt.port"),
        ('[mqtt]\nprotocol = "4"\n', "mqtt.protocol"),
        ('[mqtt]\nshared_group = "g"\n', "mqtt"),
        ('[policy]\ntimezone = "Europe/Nantes"\n', "policy.timezone"),
        ('[policy.groups.ws]\nevening_start = "25:00"\n', "policy.groups.ws.evening_start"),
        ("[snmp]\nshard = 3\nshards = 2\n", "snmp"),
        ('[[snmp.targets]]\ndevice_id = "pdu"\nhost = "h"\n', "snmp.targets.0"),
        ('[ledger]\nurl = "mysql://x"\n', "ledger.url"),
        ("[mqtt]\nprot = 1\n", "mqtt.prot"),
        ('[policy]\nholidays_subdivision = "99"\n', "policy"),
        (
            "[policy.groups.ws]\nmax_sleep_timeout_minutes = 0\n",
            "policy.groups.ws.max_sleep_timeout_minutes",
        ),
        ('[policy.poe]\ngroup = "servers"\n', "policy"),
        ("[policy.poe]\nmax_port_watts = -1\n", "policy.poe.max_port_watts"),
    ],
)
def test_bad_value_names_its_key(tmp_path: Path, toml: str, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, toml))
    assert any(p.startswith(f"{key}:") for p in info.value.problems), info.value.problems


def test_environment_overrides_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEILLE_MQTT__PASSWORD", "s3cret")
    monkeypatch.setenv("VEILLE_MQTT__PORT", "8883")
    cfg = load_config(_write(tmp_path, '[mqtt]\nport = 1883\nusername = "c"\n'))
    assert cfg.mqtt.password is not None and cfg.mqtt.password.get_secret_value() == "s3cret"
    assert cfg.mqtt.port == 8883


def test_examples_are_valid() -> None:
    cfg = load_config(DEPLOY / "collector.example.toml")
    assert cfg.mqtt.embedded and "workstations" in cfg.policy.groups
    inv = load_inventory(DEPLOY / "inventory.example.toml")
    assert inv.domain_of("pc-compta-014") == "Environnement utilisateur"
    assert inv.domain_of("unknown-pc") == "Non affecté"
    assert inv.get("srv-app-01").metered_by == "pdu-dc-a"  # type: ignore[union-attr]


def test_inventory_errors_name_device_and_key(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[[device]]\nid = "pc-1"\nkind = "toaster"\n[[device]]\nid = "pc-2"\ndomain = "Cuisine"\n',
        "inv.toml",
    )
    with pytest.raises(ConfigError) as info:
        load_inventory(path)
    assert "device pc-1.kind" in str(info.value)


def test_inventory_csv(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "id,kind,site,exemption_reason,exemption_until\n"
        "pc-1,desktop,mairie,,\npc-2,laptop,mairie,labo de test,2030-01-01\n",
        "inv.csv",
    )
    inv = load_inventory(path)
    assert len(inv) == 2
    assert inv.get("pc-2").exemptions[0].reason == "labo de test"  # type: ignore[union-attr]


def test_check_config_cli_names_the_key(tmp_path: Path) -> None:
    bad = _write(tmp_path, "[mqtt]\nport = 0\n")
    res = subprocess.run(
        [sys.executable, "-m", "collector.cli", "check-config", "-c", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2
    assert "mqtt.port:" in res.stderr
    good = subprocess.run(
        [
            sys.executable,
            "-m",
            "collector.cli",
            "check-config",
            "-c",
            str(DEPLOY / "collector.example.toml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert good.returncode == 0, good.stderr
    assert "config OK" in good.stdout


def test_schema_command_prints_json_schema() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "collector.cli", "schema"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert '"schema"' in res.stdout and '"readings"' in res.stdout
