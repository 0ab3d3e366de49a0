"""Start real servers on loopback for the tests: Mosquitto, VictoriaMetrics, snmpd, PostgreSQL,
Alertmanager.

Each server runs as a child process on a free 127.0.0.1 port with its own temporary
directory, and can be stopped and started again on the same port (outage tests). Binaries come
from Debian packages that ``make test`` installs; a missing binary fails loudly, it never skips.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port that is free on 127.0.0.1 right now (TCP by default, UDP with SOCK_DGRAM)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binary(name: str, *dirs: str) -> str:
    for d in dirs:
        if Path(d, name).exists():
            return str(Path(d, name))
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed: run `make test`, which installs it")
    return found


def wait_tcp(port: int, timeout: float = 15.0) -> None:
    """Wait until something accepts TCP connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@dataclass
class Server:
    """A child process that can be stopped and restarted with the same arguments."""

    name: str
    argv: list[str]
    workdir: Path
    port: int
    host: str = "127.0.0.1"
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        log = (self.workdir / f"{self.name}.log").open("ab")
        self.proc = subprocess.Popen(
            self.argv, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT
        )
        self.wait_ready()

    def wait_ready(self) -> None:
        wait_tcp(self.port)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def log(self) -> str:
        path = self.workdir / f"{self.name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def mosquitto(
    workdir: Path,
    *,
    max_inflight: int = 100,
    autosave_seconds: int = 0,
    max_queued: int = 1_000_000,
    sys_interval: int = 10,
) -> Server:
    """A Mosquitto broker on a loopback port, MQTT 3.1.1 and v5, anonymous, persistent.

    ``max_inflight``: messages sent to a 3.1.1 client ahead of its acknowledgements (a v5
    client sets its own Receive Maximum). ``autosave_seconds``: save the persistent store that
    often (0: only on a clean stop, Mosquitto's default being 1800 s). ``max_queued``: messages
    kept per offline session. ``sys_interval``: seconds between $SYS updates."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = workdir / "mosquitto.conf"
    # As root, Mosquitto would switch to the `mosquitto` user, which cannot write pytest's
    # 0700 temporary directory: persistent sessions would be lost across a restart.
    run_as = "user root\n" if os.geteuid() == 0 else ""
    conf.write_text(
        run_as + f"listener {port} 127.0.0.1\n"
        "allow_anonymous true\n"
        "persistence true\n"
        f"persistence_location {workdir}/\n"
        f"max_queued_messages {max_queued}\n"
        f"sys_interval {sys_interval}\n"
        f"max_inflight_messages {max_inflight}\n"
        + (f"autosave_interval {autosave_seconds}\n" if autosave_seconds else "")
        + "message_size_limit 10485760\n"
        "log_dest stdout\n"
    )
    binary = _binary("mosquitto", "/usr/sbin")
    server = Server("mosquitto", [binary, "-c", str(conf)], workdir, port)
    server.start()
    return server


class _HttpServer(Server):
    """A server that is ready once ``GET ready_path`` answers 200."""

    ready_path = "/"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}{self.ready_path}", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready on {self.url}:\n{self.log()[-2000:]}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _VictoriaMetrics(_HttpServer):
    ready_path = "/health"

    def flush(self) -> None:
        """Make just-written series visible to queries at once."""
        urllib.request.urlopen(f"{self.url}/internal/force_flush", timeout=5).close()


def victoria_metrics(workdir: Path, extra_args: tuple[str, ...] = ()) -> _VictoriaMetrics:
    """VictoriaMetrics single-node on a loopback port, with no query latency offset;
    ``extra_args`` e.g. ``-promscrape.config=…`` to scrape the collector's /metrics."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    binary = _binary("victoria-metrics", "/usr/bin")
    server = _VictoriaMetrics(
        "victoria-metrics",
        [
            binary,
            f"-httpListenAddr=127.0.0.1:{port}",
            f"-storageDataPath={workdir / 'data'}",
            "-search.latencyOffset=0s",
            "-retentionPeriod=100y",
            *extra_args,
        ],
        workdir,
        port,
    )
    server.start()
    return server


class _Snmpd(Server):
    def wait_ready(self) -> None:
        time.sleep(0.3)  # UDP: nothing to connect to; the first test request retries anyway
        if self.proc and self.proc.poll() is not None:
            raise RuntimeError(f"snmpd exited:\n{self.log()[-2000:]}")


def snmpd(workdir: Path, community: str = "public") -> _Snmpd:
    """net-snmp's snmpd on a loopback UDP port, read-only community, no MIBs loaded."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port(socket.SOCK_DGRAM)
    conf = workdir / "snmpd.conf"
    conf.write_text(
        f"agentAddress udp:127.0.0.1:{port}\n"
        f"rocommunity {community} 127.0.0.1\n"
        "sysLocation veille-test\n"
        "sysContact tests@localhost\n"
        "[snmp] mibs :\n"
    )
    binary = _binary("snmpd", "/usr/sbin")
    server = _Snmpd(
        "snmpd",
        [
            binary,
            "-f",
            "-C",
            "-c",
            str(conf),
            "-Lo",
            "-p",
            str(workdir / "snmpd.pid"),
        ],
        workdir,
        port,
    )
    server.start()
    return server


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run `make test`, which installs it")
    return str(found[-1])


class _Postgres(Server):
    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        """Create a database; returns its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


def postgres() -> _Postgres:
    """A throwaway PostgreSQL cluster on a loopback port, trust auth for ``postgres``.

    As root the cluster runs as the ``postgres`` system user (PostgreSQL refuses root), in a
    directory of its own under /tmp that it owns.
    """
    import pwd
    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix="veille-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(workdir, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *prefix,
            _pg_bin("initdb"),
            "-D",
            str(workdir / "data"),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-instructions",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    server = _Postgres(
        "postgres",
        [
            *prefix,
            _pg_bin("postgres"),
            "-D",
            str(workdir / "data"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-k",
            str(workdir),
            "-c",
            "fsync=off",
            "-c",
            "max_connections=50",
        ],
        workdir,
        port,
    )
    server.start()
    return server


class _Alertmanager(_HttpServer):
    ready_path = "/-/ready"


def alertmanager(workdir: Path) -> _Alertmanager:
    """Debian's prometheus-alertmanager on a loopback port: no cluster, one receiver that
    notifies nobody (the tests read alerts back through API v2)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = workdir / "alertmanager.yml"
    conf.write_text("route:\n  receiver: nobody\n  group_wait: 1s\nreceivers:\n  - name: nobody\n")
    binary = _binary("prometheus-alertmanager", "/usr/bin")
    server = _Alertmanager(
        "alertmanager",
        [
            binary,
            f"--config.file={conf}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            f"--storage.path={workdir / 'data'}",
        ],
        workdir,
        port,
    )
    server.start()
    return server


class _Vmalert(_HttpServer):
    ready_path = "/health"


def vmalert(workdir: Path, rules: str, datasource: str, notifier: str) -> _Vmalert:
    """vmalert (Debian's victoria-metrics package) on a loopback port: ``rules`` (a glob)
    evaluated every second against ``datasource``, alerts sent to ``notifier``."""
    port = free_port()
    server = _Vmalert(
        "vmalert",
        [
            _binary("vmalert", "/usr/bin"),
            f"-rule={rules}",
            f"-datasource.url={datasource}",
            f"-notifier.url={notifier}",
            f"-httpListenAddr=127.0.0.1:{port}",
            "-evaluationInterval=1s",
        ],
        workdir,
        port,
    )
    server.start()
    return server
