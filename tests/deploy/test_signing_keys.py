"""``issue-credentials signing-key``: one key, two copies (the agent's and the collector's),
secret files only; ``revoke`` voids it so the collector refuses the device whole."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from collector.ingest.rejection import Rejected
from collector.ingest.signature import DeviceKeys, check_signature
from contract import signing

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "issue-credentials"


def _issue(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "VEILLE_BROKER_DIR": str(tmp_path / "broker"),
        "VEILLE_ISSUED_DIR": str(tmp_path / "issued"),
        "VEILLE_SIGNING_KEYS_DIR": str(tmp_path / "keys"),
    }
    return subprocess.run(
        [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_signing_key_issued_then_voided(tmp_path: Path) -> None:
    done = _issue(tmp_path, "signing-key", "pc-0042")
    assert done.returncode == 0, done.stderr
    agent_copy = tmp_path / "issued" / "pc-0042.signing.key"
    collector_copy = tmp_path / "keys" / "pc-0042.key"
    secret = agent_copy.read_text().strip()
    assert len(secret) == 64 and collector_copy.read_text().strip() == secret
    assert agent_copy.stat().st_mode & 0o077 == 0  # the agent's copy: its owner only
    assert secret not in done.stdout + done.stderr  # a secret goes only to its files
    keys = DeviceKeys(tmp_path / "keys", recheck_seconds=0.0)
    message = b'{"schema":1,"device_id":"pc-0042","seq":0,"sent_at":"2026-01-05T08:00:00Z"}'
    check_signature("pc-0042", signing.sign(secret.encode(), message), keys)  # accepted

    assert _issue(tmp_path, "revoke", "pc-0042").returncode == 0
    assert collector_copy.exists() and collector_copy.read_text() == ""
    with pytest.raises(Rejected) as refused:
        check_signature("pc-0042", signing.sign(secret.encode(), message), keys)
    assert refused.value.code == "bad_signature" and "unusable" in refused.value.reason
    assert "voided-signing-key pc-0042" in _issue(tmp_path, "list").stdout


def test_a_bad_device_id_is_refused(tmp_path: Path) -> None:
    done = _issue(tmp_path, "signing-key", "a/b")
    assert done.returncode == 2 and "not a valid device id" in done.stderr
    assert not (tmp_path / "keys").exists() or not any((tmp_path / "keys").iterdir())
