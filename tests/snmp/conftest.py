"""SNMP fixtures: the recorded walks served over real UDP, and an SNMPv3 net-snmp snmpd."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from collector.snmp.responder import SnmpResponder
from collector.snmp.snmprec import Record, load_snmprec
from loopback.servers import Server, free_port
from tests.conftest import FIXTURES

SNMP_FIXTURES = FIXTURES / "snmp"
EXPECTED: dict[str, Any] = json.loads((SNMP_FIXTURES / "expected.json").read_text())
DEVICES: list[dict[str, Any]] = EXPECTED["devices"]


def recording(name: str) -> list[Record]:
    return load_snmprec(SNMP_FIXTURES / f"{name}.snmprec")


@pytest.fixture(scope="session")
def recordings() -> dict[str, list[Record]]:
    return {p.stem: load_snmprec(p) for p in sorted(SNMP_FIXTURES.glob("*.snmprec"))}


@pytest.fixture(scope="session")
def responder(recordings: dict[str, list[Record]]) -> Iterator[SnmpResponder]:
    """Every recording on one loopback UDP port; the community is the recording's name."""
    agent = SnmpResponder(host="127.0.0.1", port=0)
    for name, records in recordings.items():
        agent.add_dataset(name, records)
    agent.start()
    yield agent
    agent.stop()


@dataclass(frozen=True)
class V3User:
    user: str
    auth_key: str
    priv_key: str


class _SnmpdV3(Server):
    """snmpd is ready when it answers an SNMPv3 authPriv GET (net-snmp's own snmpget)."""

    v3: V3User | None = None

    def wait_ready(self) -> None:
        assert self.v3 is not None
        deadline = time.monotonic() + 10
        argv = [
            "snmpget", "-v3", "-l", "authPriv", "-u", self.v3.user,
            "-a", "SHA", "-A", self.v3.auth_key, "-x", "AES", "-X", self.v3.priv_key,
            "-r", "0", "-t", "0.5", f"127.0.0.1:{self.port}", "1.3.6.1.2.1.1.3.0",
        ]  # fmt: skip
        while time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"snmpd exited:\n{self.log()[-2000:]}")
            if subprocess.run(argv, capture_output=True, timeout=5).returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError(f"snmpd (v3) not answering on {self.port}:\n{self.log()[-2000:]}")


def snmpd_v3(workdir: Path, user: V3User) -> _SnmpdV3:
    """net-snmp's snmpd on a loopback UDP port with one SNMPv3 authPriv (SHA/AES) user."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port(socket.SOCK_DGRAM)
    conf = workdir / "snmpd.conf"
    conf.write_text(
        f"agentAddress udp:127.0.0.1:{port}\n"
        f'createUser {user.user} SHA "{user.auth_key}" AES "{user.priv_key}"\n'
        f"rouser {user.user} priv\n"
        f"[snmp] persistentDir {workdir / 'persist'}\n"
        "[snmp] mibs :\n"
    )
    binary = shutil.which("snmpd") or "/usr/sbin/snmpd"
    argv = [binary, "-f", "-C", "-c", str(conf), "-Lo", "-p", str(workdir / "snmpd.pid")]
    server = _SnmpdV3("snmpd-v3", argv, workdir, port)
    server.v3 = user
    server.start()
    return server


@pytest.fixture(scope="session")
def v3_user() -> V3User:
    return V3User("veille-ro", "veille-auth-key-1", "veille-priv-key-1")


@pytest.fixture(scope="session")
def snmpd_v3_server(
    tmp_path_factory: pytest.TempPathFactory, v3_user: V3User
) -> Iterator[_SnmpdV3]:
    server = snmpd_v3(tmp_path_factory.mktemp("snmpd-v3"), v3_user)
    yield server
    server.stop()
