"""``veille-agent`` as a real process: once --json, check (RAPL denied), run against Mosquitto."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.schema import Quality, Telemetry
from loopback.servers import Server, free_port
from tests.agent.conftest import copy_sysfs
from tests.agent.mqtt_helpers import Subscriber, clear_retained

AGENT = [sys.executable, "-m", "agent.cli"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_retained_left(request: pytest.FixtureRequest) -> Iterator[None]:
    """Other suites subscribe to veille/v1/#: leave them no retained status of ours."""
    yield
    if "mosquitto" in request.fixturenames:
        clear_retained(request.getfixturevalue("mosquitto").port)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEILLE_")}
    env.update(extra)
    return env


def test_once_json_on_this_machine() -> None:
    script = Path(sys.executable).parent / "veille-agent"  # the installed console script
    proc = subprocess.run(
        [str(script), "once", "--json"], capture_output=True, text=True, timeout=60, env=_env()
    )
    assert proc.returncode == 0, proc.stderr
    msg = Telemetry.model_validate_json(proc.stdout)
    metrics = {r.metric: r for r in msg.readings}
    assert metrics["uptime_seconds"].value > 0 and metrics["uptime_seconds"].source == "os"
    power = [r for r in msg.readings if r.metric == "power_watts"]
    assert power, "no power reading"
    for r in power:
        assert r.source in ("rapl", "ipmi", "battery", "model")
        assert r.quality in (Quality.MEASURED, Quality.ESTIMATED)
        assert r.value >= 0
    assert msg.state is not None and msg.state.boot_time is not None
    assert {"agent_cpu_seconds_total", "agent_resident_bytes"} <= metrics.keys()
    assert msg.kind in ("desktop", "laptop", "server")


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs util-linux setpriv")
def test_check_explains_root_only_rapl(tmp_path: Path) -> None:
    sysfs = tmp_path / "sys"
    copy_sysfs("powercap_t0", sysfs / "class" / "powercap")
    for counter in (sysfs / "class" / "powercap").glob("*/energy_uj"):
        os.chown(counter, 12345, 12345)  # as on Linux >= 5.10: 0400, not ours
        counter.chmod(0o400)
    # root without the capabilities that bypass file permissions: a real EACCES
    cmd = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--", *AGENT, "check"]
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(VEILLE_SYSFS_ROOT=str(sysfs), VEILLE_MQTT__PORT=str(free_port())),
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr  # the model still answers
    assert "[--] rapl:" in proc.stdout and "root-only" in proc.stdout
    assert "60-veille-rapl.rules" in proc.stdout
    assert "[ok] model:" in proc.stdout
    assert "[--] mqtt" in proc.stdout


def test_check_rapl_readable(tmp_path: Path) -> None:
    sysfs = tmp_path / "sys"
    copy_sysfs("powercap_t0", sysfs / "class" / "powercap")
    proc = subprocess.run(
        [*AGENT, "check"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(VEILLE_SYSFS_ROOT=str(sysfs), VEILLE_MQTT__PORT=str(free_port())),
        cwd=ROOT,
    )
    assert "[ok] rapl: energy_joules_total[package-0]=262101" in proc.stdout


def test_bad_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    conf = tmp_path / "agent.toml"
    conf.write_text("interval_seconds = 0\n")
    proc = subprocess.run(
        [*AGENT, "once", "--config", str(conf)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
    )
    assert proc.returncode == 2
    assert "interval_seconds:" in proc.stderr


@pytest.mark.integration
def test_run_publishes_serves_metrics_and_stops_cleanly(mosquitto: Server, tmp_path: Path) -> None:
    device = f"run-{uuid.uuid4().hex[:8]}"
    metrics_port = free_port()
    conf = tmp_path / "agent.toml"
    conf.write_text(
        f'device_id = "{device}"\nsite = "test"\ninterval_seconds = 1\n'
        f"[mqtt]\nport = {mosquitto.port}\n"
        f'[spool]\npath = "{tmp_path / "spool.sqlite"}"\n'
        f"[metrics]\nenabled = true\nport = {metrics_port}\n"
    )
    sub = Subscriber(mosquitto.port, f"veille/v1/test/{device}/#", persistent=False)
    proc = subprocess.Popen(
        [*AGENT, "run", "--config", str(conf)],
        env=_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        seqs = sub.wait_for(3, timeout=20)
        assert seqs[:3] == [0, 1, 2]
        first = sub.telemetry[0]
        assert first.device_id == device and first.state is not None
        assert any(r.metric == "power_watts" for r in first.readings)
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as resp:
            body = resp.read().decode()
        assert 'veille_power_watts{component="",quality="' in body
        assert "veille_agent_resident_bytes" in body
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err.decode()[-2000:]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not (sub.status and not sub.status[-1].online):
        time.sleep(0.05)
    assert sub.status[0].online and not sub.status[-1].online
    sub.close()
