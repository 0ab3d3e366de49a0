"""A real Alertmanager for the demo: Debian's ``prometheus-alertmanager`` on a loopback port,
no cluster, one receiver that notifies nobody, so that the demo's alerts can be read back
through its API v2 (``GET /api/v2/alerts``). When the binary is not installed the demo says
so in one line and goes on without it (``scripts/install-test-deps.sh`` installs it).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

BINARY = "prometheus-alertmanager"
CONFIG = "route:\n  receiver: nobody\n  group_wait: 1s\nreceivers:\n  - name: nobody\n"


class AlertmanagerUnavailable(RuntimeError):
    """The demo's Alertmanager could not start (not installed, or did not become ready)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DemoAlertmanager:
    """One Alertmanager child process, started by :meth:`start`, stopped by :meth:`stop`."""

    def __init__(self, workdir: Path, binary: str | None = None) -> None:
        self.workdir = workdir
        self.binary = binary or shutil.which(BINARY) or (f"/usr/bin/{BINARY}")
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        if not Path(self.binary).exists():
            raise AlertmanagerUnavailable(f"{BINARY} is not installed")
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "alertmanager.yml"
        conf.write_text(CONFIG)
        argv = [
            self.binary,
            f"--config.file={conf}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",
            f"--storage.path={self.workdir / 'data'}",
        ]
        with (self.workdir / "alertmanager.log").open("ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AlertmanagerUnavailable(f"{BINARY} exited (see {self.workdir}/)")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AlertmanagerUnavailable(f"{BINARY} not ready after {timeout:.0f} s")

    def alerts(self) -> list[dict[str, Any]]:
        """The alerts it holds now (API v2; resolved ones are not listed)."""
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts", timeout=10) as resp:
            body: list[dict[str, Any]] = json.load(resp)
        return body

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
