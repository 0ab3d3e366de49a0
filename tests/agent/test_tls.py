"""TLS with a client certificate and a password, against a real Mosquitto on loopback."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from agent.config import AgentMqtt, AgentTls
from agent.settings import Secret
from agent.spool import Spool
from agent.transport import Publisher
from contract import schema, signing
from contract.wire import Quality, Reading, utcnow
from loopback.servers import Server, free_port

pytestmark = pytest.mark.integration


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_pki(d: Path) -> None:
    """A test CA, a server certificate for 127.0.0.1 and a client certificate."""
    ca = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    _openssl(*ca, "-subj", "/CN=veille test CA", "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
    for name, ext in (
        ("server", "subjectAltName=IP:127.0.0.1"),
        ("client", "extendedKeyUsage=clientAuth"),
    ):
        csr = ["req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}"]
        _openssl(*csr, "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)
        (d / f"{name}.ext").write_text(ext + "\n")
        sign = ["x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key"]
        _openssl(*sign, "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext",
                 "-out", f"{name}.pem", cwd=d)  # fmt: skip


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    if not shutil.which("mosquitto_passwd", path="/usr/bin:/usr/sbin"):
        pytest.fail("mosquitto_passwd is missing (Debian package mosquitto)")
    d = tmp_path_factory.mktemp("tls")
    _make_pki(d)
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(d / "passwd"), "pc-0042", "s3cret"], check=True
    )
    port = free_port()
    (d / "mosquitto.conf").write_text(
        f"user root\nlistener {port} 127.0.0.1\nallow_anonymous false\npassword_file {d}/passwd\n"
        f"cafile {d}/ca.pem\ncertfile {d}/server.pem\nkeyfile {d}/server.key\n"
        "require_certificate true\nlog_dest stdout\n"
    )
    binary = shutil.which("mosquitto", path="/usr/sbin:/usr/bin") or "mosquitto"
    server = Server("mosquitto-tls", [binary, "-c", str(d / "mosquitto.conf")], d, port)
    server.start()
    yield server, d
    server.stop()


def _settings(port: int, d: Path, *, client_cert: bool, password: str) -> AgentMqtt:
    tls = AgentTls(
        ca_file=d / "ca.pem",
        cert_file=d / "client.pem" if client_cert else None,
        key_file=d / "client.key" if client_cert else None,
    )
    return AgentMqtt(
        host="127.0.0.1",
        port=port,
        username="pc-0042",
        password=Secret(password),
        tls=tls,
        reconnect_max_seconds=2,
    )


def _reading() -> list[Reading]:
    return [
        Reading(
            ts=utcnow(), metric="power_watts", value=12.5, source="model", quality=Quality.ESTIMATED
        )
    ]


def test_tls_client_certificate_and_password(tls_broker: tuple[Server, Path]) -> None:
    server, d = tls_broker
    spool = Spool(":memory:", max_messages=100, max_age_seconds=3600)
    pub = Publisher(
        _settings(server.port, d, client_cert=True, password="s3cret"),
        site="t",
        device_id="pc-0042",
        spool=spool,
    )
    pub.start()
    pub.submit(_reading())
    assert pub.drain(10) and pub.sent_total == 1
    pub.stop()


@pytest.mark.parametrize(("client_cert", "password"), [(False, "s3cret"), (True, "wrong")])
def test_tls_refusals_keep_messages_spooled(
    tls_broker: tuple[Server, Path], client_cert: bool, password: str
) -> None:
    server, d = tls_broker
    spool = Spool(":memory:", max_messages=100, max_age_seconds=3600)
    pub = Publisher(
        _settings(server.port, d, client_cert=client_cert, password=password),
        site="t",
        device_id="pc-0042",
        spool=spool,
    )
    pub.start()
    pub.submit(_reading())
    time.sleep(1.5)
    assert not pub.connected and len(spool) == 1
    pub.stop(graceful=False)


def _subscriber(server: Server, d: Path, topic: str) -> tuple[paho.Client, list[bytes]]:
    got: list[bytes] = []
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"sub-{uuid.uuid4().hex[:6]}")
    client.username_pw_set("pc-0042", "s3cret")
    client.tls_set(
        ca_certs=str(d / "ca.pem"), certfile=str(d / "client.pem"), keyfile=str(d / "client.key")
    )
    client.on_connect = lambda c, *a: c.subscribe(topic, qos=1)
    client.on_message = lambda c, u, msg: got.append(bytes(msg.payload))
    client.connect("127.0.0.1", server.port)
    client.loop_start()
    return client, got


def test_run_over_tls_holds_no_pydantic(tls_broker: tuple[Server, Path], tmp_path: Path) -> None:
    """``veille-agent run`` as a process, in its production setting (TLS, client certificate,
    password, signing key): it sends signed messages, and neither its modules nor its memory
    map hold pydantic (the footprint aim, bench/README.md)."""
    server, d = tls_broker
    device = f"pc-fp-{uuid.uuid4().hex[:6]}"
    key = "f00tpr1nt-signing-key-0001"
    (tmp_path / "agent.toml").write_text(
        f'device_id = "{device}"\nsite = "fp"\n[mqtt]\nport = {server.port}\n'
        f'username = "pc-0042"\n[mqtt.tls]\nca_file = "{d}/ca.pem"\n'
        f'cert_file = "{d}/client.pem"\nkey_file = "{d}/client.key"\n'
        f'[spool]\npath = "{tmp_path}/spool.sqlite"\n'
    )
    client, got = _subscriber(server, d, f"veille/v1/fp/{device}/telemetry")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEILLE_")}
    env.update(VEILLE_MQTT__PASSWORD="s3cret", VEILLE_SIGNING__KEY=key)
    agent_bin = Path(sys.executable).parent / "veille-agent"
    proc = subprocess.Popen(
        [str(agent_bin), "run", "-v", "-c", str(tmp_path / "agent.toml")],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not got and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert got, "no telemetry from the agent"
        maps = Path(f"/proc/{proc.pid}/maps").read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        client.disconnect()
        client.loop_stop()
    signing.verify(key.encode(), got[0])  # signed with the device's key
    assert schema.Telemetry.model_validate_json(got[0]).device_id == device
    (line,) = [x for x in err.splitlines() if "loaded packages:" in x]
    packages = set(line.split("loaded packages:")[1].split())
    assert {"paho", "ssl", "sqlite3", "agent", "contract"} <= packages  # the list is real
    assert not {"pydantic", "pydantic_core", "pydantic_settings"} & packages
    assert "psutil" not in packages  # Linux: /proc read directly (agent/sources/procstat.py)
    assert "_ssl" in maps and "pydantic" not in maps
    assert "pydantic_core" in Path("/proc/self/maps").read_text()  # where it is, it shows
    assert "s3cret" not in err and key not in err
