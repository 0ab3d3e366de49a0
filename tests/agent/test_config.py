"""Agent configuration: defaults, environment overrides, errors that name their key."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from agent.config import AgentConfig, default_device_id, detect_kind, load_agent_config
from contract.settings import ConfigError
from tests.agent.conftest import AGENT_FIXTURES, copy_sysfs


def test_defaults_and_device_id_names_no_one(tmp_path: Path) -> None:
    config = load_agent_config(None)
    assert config.interval_seconds == 60 and config.mqtt.protocol == "3.1.1"
    assert config.metrics.host == "127.0.0.1" and config.metrics.enabled is False
    assert config.blocker_details is False and config.sources is None
    assert config.kind in ("desktop", "laptop", "server")
    assert socket.gethostname().lower() not in config.device_id.lower()
    mid = tmp_path / "machine-id"
    mid.write_text("3d121f0c6f9f4e5b8e1f0d2c3b4a5968\n")
    assert default_device_id(mid) == default_device_id(mid)
    assert default_device_id(mid).startswith("m-")
    assert default_device_id(tmp_path / "none", hostname="PC-JDUPONT").startswith("h-")
    assert "JDUPONT" not in default_device_id(tmp_path / "none", hostname="PC-JDUPONT").upper()


def test_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "agent.toml"
    path.write_text(
        'site = "mairie-annexe"\nkind = "laptop"\n[mqtt]\nhost = "127.0.0.1"\nport = 8883\n'
        'username = "pc-0042"\n[mqtt.tls]\nca_file = "/etc/veille/ca.pem"\n'
    )
    monkeypatch.setenv("VEILLE_MQTT__PASSWORD", "s3cret")
    config = load_agent_config(path)
    assert config.site == "mairie-annexe" and config.kind == "laptop"
    assert config.mqtt.port == 8883 and config.mqtt.tls is not None
    assert config.mqtt.password is not None and config.mqtt.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(config)


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[mqtt]\nport = 70000\n", "mqtt.port"),
        ('sources = ["rapl", "snmp"]\n', "sources"),
        ('site = "a/b"\n', "site"),
        ('[mqtt]\nprotocol = "4"\n', "mqtt.protocol"),
        ("[profile]\nidle_watts = 90\nmax_watts = 20\n", "profile"),
        ("[spool]\nmax_age_days = 45\n", "spool.max_age_days"),
        ("intervall_seconds = 5\n", "intervall_seconds"),
    ],
)
def test_errors_name_their_key(tmp_path: Path, toml: str, key: str) -> None:
    path = tmp_path / "agent.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_agent_config(path)
    assert any(p.startswith(key) for p in err.value.problems), err.value.problems


def test_kind_detection_from_sysfs(tmp_path: Path) -> None:
    laptop = tmp_path / "laptop"
    copy_sysfs("power_supply_discharging", laptop / "class" / "power_supply")
    assert detect_kind(laptop) == "laptop"
    server = tmp_path / "server"
    (server / "class" / "dmi" / "id").mkdir(parents=True)
    (server / "class" / "dmi" / "id" / "chassis_type").write_text("23\n")
    assert detect_kind(server) == "server"
    desktop = tmp_path / "desktop"
    (desktop / "class" / "dmi" / "id").mkdir(parents=True)
    (desktop / "class" / "dmi" / "id" / "chassis_type").write_text("3\n")
    (desktop / "class" / "drm" / "card0-DP-1").mkdir(parents=True)
    assert detect_kind(desktop) == "desktop"
    assert AgentConfig(sysfs_root=laptop).kind == "laptop"
    assert AGENT_FIXTURES.is_dir()
