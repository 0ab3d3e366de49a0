"""The run path's settings (agent/settings.py, no pydantic) against the checked models
(agent/config.py): the same fields and defaults, the same values through the child process
``veille-agent run`` uses, and the same errors naming the bad key."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from agent import config as checked
from agent import settings as plain
from agent.settings import config_from_json, load_run_config
from contract.errors import ConfigError
from contract.mqtt import TlsSettings

PAIRS: list[tuple[type[Any], type[BaseModel]]] = [
    (plain.AgentConfig, checked.AgentSettings),
    (plain.AgentMqtt, checked.MqttSection),
    (plain.AgentTls, TlsSettings),
    (plain.SpoolSettings, checked.SpoolSection),
    (plain.AgentMetrics, checked.MetricsSection),
    (plain.PowerProfile, checked.ProfileSection),
    (plain.SigningSettings, checked.SigningSection),
]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("VEILLE_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=lambda c: c.__name__)
def test_same_fields(ours: type[Any], theirs: type[BaseModel]) -> None:
    assert [f.name for f in dataclasses.fields(ours)] == list(theirs.model_fields)


def test_same_defaults(clean_env: None) -> None:
    through = checked.load_agent_config(None, kind="server", device_id="pc-1")
    assert through == plain.AgentConfig(kind="server", device_id="pc-1")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(text)
    return path


FULL = """device_id = "pc-0042"
site = "mairie"
kind = "laptop"
interval_seconds = 30
sources = ["rapl", "model"]
blocker_details = true
sysfs_root = "/host/sys"
idle_dir = "/var/lib/veille/idle"
[mqtt]
host = "broker.example"
port = 8883
username = "pc-0042"
protocol = "5"
keepalive = 30
reconnect_min_seconds = 2
reconnect_max_seconds = 60
max_inflight = 5
[mqtt.tls]
ca_file = "/etc/veille/ca.pem"
cert_file = "/etc/veille/agent.pem"
key_file = "/etc/veille/agent.key"
[spool]
path = "/var/lib/veille/spool.sqlite"
max_messages = 100
max_age_days = 2
[metrics]
enabled = true
port = 0
[profile]
idle_watts = 10
max_watts = 30
display_watts = 5
"""


def test_the_child_process_gives_the_same_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    path = _write(tmp_path, FULL)
    monkeypatch.setenv("VEILLE_MQTT__PASSWORD", "s3cret-pw")
    monkeypatch.setenv("VEILLE_SIGNING__KEY", "k" * 32)
    monkeypatch.setenv("VEILLE_MQTT__PORT", "8884")  # the environment overrides the file
    run = load_run_config(path)
    assert run == checked.load_agent_config(path)
    assert run.mqtt.port == 8884 and run.mqtt.tls == plain.AgentTls(
        Path("/etc/veille/ca.pem"), Path("/etc/veille/agent.pem"), Path("/etc/veille/agent.key")
    )
    assert run.mqtt.password is not None and run.mqtt.password.get_secret_value() == "s3cret-pw"
    assert run.signing.key is not None and run.signing.key.get_secret_value() == "k" * 32
    assert "s3cret-pw" not in repr(run) and "k" * 32 not in repr(run)


@pytest.mark.parametrize(
    "toml",
    [
        "[mqtt]\nport = 70000\n",
        'sources = ["rapl", "snmp"]\n',
        'kind = "rack_meter"\n',
        "[profile]\nidle_watts = 90\nmax_watts = 20\n",
        "intervall_seconds = 5\n[spool]\nmax_age_days = 45\n",
        "[signing]\nkey_file = '/nonexistent/signing.key'\n",
        "[signing]\nkey = 'short'\n",
        "[mqtt.tls]\ncert_file = '/etc/veille/agent.pem'\n",
        "not toml = = =\n",
    ],
)
def test_the_same_errors_name_their_key(tmp_path: Path, toml: str, clean_env: None) -> None:
    path = _write(tmp_path, toml)
    with pytest.raises(ConfigError) as in_process:
        checked.load_agent_config(path)
    with pytest.raises(ConfigError) as through_child:
        load_run_config(path)
    assert through_child.value.problems == in_process.value.problems
    assert through_child.value.source == in_process.value.source == str(path)


def test_run_reports_a_bad_key_and_exits_2(tmp_path: Path, clean_env: None) -> None:
    path = _write(tmp_path, "[mqtt]\nport = 70000\n")
    proc = subprocess.run(
        [sys.executable, "-m", "agent.cli", "run", "-c", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert f"configuration error in {path}:" in proc.stderr
    assert "mqtt.port: Input should be less than or equal to 65535" in proc.stderr


def test_signing_key_file_is_read_and_never_shown(tmp_path: Path, clean_env: None) -> None:
    key = tmp_path / "signing.key"
    key.write_text("0123456789abcdef-secret\n")
    path = _write(tmp_path, f"[signing]\nkey_file = '{key}'\n")
    run = load_run_config(path)
    assert run.signing.key is not None
    assert run.signing.key.get_secret_value() == "0123456789abcdef-secret"
    assert "secret" not in repr(run)
    with pytest.raises(ConfigError, match="not both"):
        checked.load_agent_config(path, signing={"key_file": str(key), "key": "x" * 20})


def test_json_with_a_field_the_agent_lacks_is_an_error() -> None:
    doc = checked.resolved_json(checked.load_agent_settings(None, device_id="pc-1"))
    doc["mqtt"]["new_key"] = 1
    with pytest.raises(ConfigError, match="new_key: not known to the agent"):
        config_from_json(doc)
