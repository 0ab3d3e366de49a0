"""Run the shipped broker (deploy/mosquitto) on loopback, and MQTT clients that report back.

:func:`shipped_config` is the only change made to ``deploy/mosquitto/mosquitto.conf``: its two
directories (``/etc/mosquitto/veille/`` and ``/var/lib/mosquitto/``) become temporary ones and
its two ``listener`` lines get free loopback ports. Every other line is the shipped one, and
:func:`shipped_config` fails if the file no longer has exactly what it replaces.
Credentials come from the shipped ``issue-credentials`` script.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from loopback.servers import Server, _binary, free_port

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"
ETC = "/etc/mosquitto/veille/"
DATA = "/var/lib/mosquitto/"
PASSWORD_PORT = 8883
CERT_PORT = 8884


def shipped_config(text: str, etc: Path, data: Path, ports: dict[int, int]) -> str:
    """The shipped config with its directories and listener ports replaced, nothing else."""
    listeners = re.findall(r"^listener (\d+)$", text, flags=re.M)
    if sorted(int(p) for p in listeners) != sorted(ports):
        raise AssertionError(f"shipped listeners {listeners}, expected {sorted(ports)}")
    if DATA not in text or ETC not in text:
        raise AssertionError(f"shipped config no longer uses {ETC} and {DATA}")
    out = text.replace(ETC, f"{etc}/").replace(DATA, f"{data}/")
    for shipped, port in ports.items():
        out = re.sub(rf"^listener {shipped}$", f"listener {port} 127.0.0.1", out, flags=re.M)
    return out


@dataclass
class Broker:
    """The shipped broker in a temporary directory; ``issue(...)`` runs issue-credentials."""

    root: Path
    server: Server
    password_port: int
    cert_port: int
    env: dict[str, str] = field(repr=False)

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def issued(self) -> Path:
        return self.root / "issued"

    def issue(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(DEPLOY / "issue-credentials"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def password_of(self, user: str) -> str:
        for line in (self.issued / f"{user}.env").read_text().splitlines():
            if line.startswith("VEILLE_MQTT__PASSWORD="):
                return line.split("=", 1)[1]
        raise AssertionError(f"no password in {user}.env")

    def reload(self) -> None:
        """SIGHUP, as ``systemctl reload mosquitto`` does; waits for the broker to say so."""
        assert self.server.proc is not None
        before = self.server.log().count("Reloading config")
        self.server.proc.send_signal(1)
        _wait(lambda: self.server.log().count("Reloading config") > before, "reload")


def _wait(cond: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}")


@contextmanager
def shipped_broker() -> Iterator[Broker]:
    """Start Mosquitto with the shipped config, a CA, a server certificate and no account."""
    root = Path(tempfile.mkdtemp(prefix="veille-broker-"))
    data = root / "data"
    data.mkdir()
    root.chmod(0o755)  # the broker drops to the "mosquitto" user when started as root
    if os.geteuid() == 0:
        pw = pwd.getpwnam("mosquitto")
        os.chown(data, pw.pw_uid, pw.pw_gid)
    env = {
        **os.environ,
        "VEILLE_BROKER_DIR": str(root / "etc"),
        "VEILLE_ISSUED_DIR": str(root / "issued"),
    }
    ports = {PASSWORD_PORT: free_port(), CERT_PORT: free_port()}
    conf = root / "mosquitto.conf"
    conf.write_text(
        shipped_config((DEPLOY / "mosquitto.conf").read_text(), root / "etc", data, ports)
    )
    server = Server(
        "mosquitto", [_binary("mosquitto", "/usr/sbin"), "-c", str(conf)], root, ports[8883]
    )
    broker = Broker(root, server, ports[PASSWORD_PORT], ports[CERT_PORT], env)
    init = broker.issue("init-ca", "--server-name", "localhost", "--server-name", "127.0.0.1")
    assert init.returncode == 0, init.stderr
    shutil.copy(DEPLOY / "acl", root / "etc" / "acl")
    (root / "etc" / "acl").chmod(0o644)
    try:
        server.start()
        yield broker
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Outcome:
    """What a client saw: the CONNACK, PUBACK and SUBACK reason codes, the messages received."""

    connack: ReasonCode | None = None
    pubacks: dict[int, ReasonCode] = field(default_factory=dict)
    subacks: list[ReasonCode] = field(default_factory=list)
    messages: list[tuple[str, bytes]] = field(default_factory=list)
    connected: threading.Event = field(default_factory=threading.Event)
    subscribed: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def topics(self) -> list[str]:
        with self.lock:
            return [t for t, _ in self.messages]


class Client:
    """A paho client over TLS to the broker, recording everything it is told."""

    def __init__(
        self,
        broker: Broker,
        client_id: str,
        *,
        user: str | None = None,
        password: str | None = None,
        cert: str | None = None,
        v5: bool = False,
    ) -> None:
        protocol = mqtt.MQTTv5 if v5 else mqtt.MQTTv311
        self.outcome = Outcome()
        self.v5 = v5
        self.paho = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol)
        ctx = ssl.create_default_context(cafile=str(broker.etc / "ca.crt"))
        if cert is not None:
            ctx.load_cert_chain(broker.issued / f"{cert}.crt", broker.issued / f"{cert}.key")
        self.paho.tls_set_context(ctx)
        if user is not None:
            self.paho.username_pw_set(user, password)
        self.port = broker.cert_port if cert is not None else broker.password_port
        p = self.paho
        p.on_connect = self._on_connect
        p.on_publish = self._on_publish
        p.on_subscribe = self._on_subscribe
        p.on_message = self._on_message

    def _on_connect(self, _c: object, _u: object, _f: object, rc: ReasonCode, _p: object) -> None:
        self.outcome.connack = rc
        self.outcome.connected.set()

    def _on_publish(self, _c: object, _u: object, mid: int, rc: ReasonCode, _p: object) -> None:
        with self.outcome.lock:
            self.outcome.pubacks[mid] = rc

    def _on_subscribe(
        self, _c: object, _u: object, _mid: int, rcs: list[ReasonCode], _p: object
    ) -> None:
        self.outcome.subacks.extend(rcs)
        self.outcome.subscribed.set()

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self.outcome.lock:
            self.outcome.messages.append((msg.topic, bytes(msg.payload)))

    def connect(self) -> ReasonCode | None:
        """Connect; returns the CONNACK reason code (None: the TLS handshake failed)."""
        try:
            self.paho.connect("127.0.0.1", self.port)
        except (ssl.SSLError, ConnectionError):
            return None
        self.paho.loop_start()
        # A refused client certificate (TLS 1.3) shows only as a closed connection: no CONNACK
        self.outcome.connected.wait(5)
        return self.outcome.connack

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> int:
        info = self.paho.publish(topic, payload, qos=qos)
        return int(info.mid)

    def puback(self, mid: int) -> ReasonCode:
        _wait(lambda: mid in self.outcome.pubacks, f"PUBACK {mid}")
        return self.outcome.pubacks[mid]

    def subscribe(self, topic: str) -> list[ReasonCode]:
        self.outcome.subscribed.clear()
        self.paho.subscribe(topic, qos=1)
        assert self.outcome.subscribed.wait(10), "no SUBACK"
        return list(self.outcome.subacks)

    def wait_for(self, topic: str) -> None:
        _wait(lambda: topic in self.outcome.topics(), f"a message on {topic}")

    def close(self) -> None:
        self.paho.disconnect()
        self.paho.loop_stop()
