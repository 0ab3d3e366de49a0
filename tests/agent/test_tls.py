"""TLS with a client certificate and a password, against a real Mosquitto on loopback."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import AgentMqtt, AgentTls
from agent.settings import Secret
from agent.spool import Spool
from agent.transport import Publisher
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
