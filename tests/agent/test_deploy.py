"""The shipped deployment files: the example config is valid, the systemd unit verifies."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from agent.config import load_agent_config

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_example_config_loads_commented_and_uncommented(tmp_path: Path) -> None:
    example = DEPLOY / "agent.example.toml"
    assert load_agent_config(example).interval_seconds == 60
    # Uncomment every "# key = value" and "# [section]": the documented values must be valid.
    lines = []
    for line in example.read_text().splitlines():
        if re.match(r"^# (\[[a-z.]+\]|[a-z_]+ = )", line):
            line = line[2:]
        lines.append(line)
    active = tmp_path / "agent.toml"
    key = tmp_path / "signing.key"  # the documented key_file, read at start-up, must exist
    key.write_text("0123456789abcdef0123456789abcdef\n")
    active.write_text("\n".join(lines).replace("/etc/veille/signing.key", str(key)) + "\n")
    config = load_agent_config(active)
    assert config.signing.key is not None and len(config.signing.key.get_secret_value()) == 32
    assert config.mqtt.tls is not None and config.mqtt.tls.cert_file is not None
    assert config.profile.display_watts == 25.0
    assert config.sources == ["rapl", "battery", "model"]


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing (Debian package systemd)"
    unit = (DEPLOY / "systemd" / "veille-agent.service").read_text()
    assert (
        "User=veille" in unit
        and "NoNewPrivileges=yes" in unit
        and "CapabilityBoundingSet=\n" in unit
    )
    local = tmp_path / "veille-agent.service"
    local.write_text(
        unit.replace("/opt/veille/bin/veille-agent", shutil.which("true") or "/bin/true")
    )
    proc = subprocess.run(
        [analyze, "verify", str(local)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "veille-agent.service" not in proc.stderr, proc.stderr


def test_udev_rule_targets_rapl_counters_for_the_agent_group() -> None:
    rule = (DEPLOY / "udev" / "60-veille-rapl.rules").read_text()
    [active] = [ln for ln in rule.splitlines() if ln and not ln.startswith("#")]
    assert 'SUBSYSTEM=="powercap"' in active and 'KERNEL=="intel-rapl:*"' in active
    assert "chgrp veille /sys%p/energy_uj" in active and "chmod 0440 /sys%p/energy_uj" in active
    sysusers = (DEPLOY / "systemd" / "veille-agent.sysusers").read_text()
    assert re.search(r"^u veille ", sysusers, re.M)
