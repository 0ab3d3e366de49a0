"""The shipped systemd units pass `systemd-analyze verify` and are locked down.

`verify` checks that ExecStart= is executable, so the units are copied with one change: their
``/opt/veille/bin/`` becomes a temporary directory holding stand-in executables. No running
systemd is needed (`verify` and `security --offline=yes` read the files).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

SYSTEMD = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
UNITS = ["veille-agent.service", "veille-collector.service"]
PREFIX = "/opt/veille/bin/"


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("systemd-analyze")
    if binary is None:
        raise RuntimeError("systemd-analyze is not installed: run `make test`, which installs it")
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60, check=False)


def installed(unit: str, tmp_path: Path) -> Path:
    """The unit, with ExecStart pointing at a stand-in executable under tmp_path."""
    text = (SYSTEMD / unit).read_text()
    assert text.count(f"ExecStart={PREFIX}") == 1
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    for name in ("veille-agent", "veille-collector"):
        exe = bindir / name
        exe.write_text("#!/bin/sh\nexit 0\n")
        exe.chmod(0o755)
    out = tmp_path / unit
    out.write_text(text.replace(PREFIX, f"{bindir}/"))
    return out


@pytest.mark.parametrize("unit", UNITS)
def test_verify_passes_with_no_warning(unit: str, tmp_path: Path) -> None:
    done = analyze("verify", "--man=no", str(installed(unit, tmp_path)))
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr


def test_verify_would_catch_a_typo(tmp_path: Path) -> None:
    unit = installed("veille-collector.service", tmp_path)
    unit.write_text(unit.read_text().replace("ProtectSystem=strict", "ProtectSytem=strict"))
    done = analyze("verify", "--man=no", str(unit))
    assert "Unknown key 'ProtectSytem'" in done.stderr


@pytest.mark.parametrize("unit", UNITS)
def test_exposure_is_low(unit: str, tmp_path: Path) -> None:
    done = analyze("security", "--offline=yes", "--no-pager", str(installed(unit, tmp_path)))
    found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", done.stdout)
    assert found, done.stdout[-2000:] + done.stderr
    # systemd's scale: 0 (locked down) to 10 (unprotected); "OK" is below 5
    assert float(found.group(1)) <= 2.0, done.stdout[-3000:]


@pytest.mark.parametrize("unit", UNITS)
def test_hardening_directives(unit: str) -> None:
    text = (SYSTEMD / unit).read_text()
    for line in (
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=\n",
        "SystemCallFilter=@system-service",
        "MemoryDenyWriteExecute=yes",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    ):
        assert line in text, f"{unit}: {line.strip()}"
    assert re.search(r"^User=veille", text, flags=re.M)
    assert "StateDirectory=" in text
