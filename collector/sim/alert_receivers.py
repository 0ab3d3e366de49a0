"""The demo's own alert receivers on 127.0.0.1, so that its alerts go somewhere a person can
open: a webhook receiver (each call appended to ``alerts/webhook.jsonl``), an SMTP server
(aiosmtpd; each message saved as ``alerts/mail/NNN.eml``) and, when it is installed, a real
Alertmanager (:mod:`collector.sim.alertmanager_proc`; its alerts read back through API v2 after
each analysis run and saved as ``alerts/alertmanager-<run>.json``). MQTT alerts go to the
demo's embedded broker and the gauge to its /metrics.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from collector.sim.alertmanager_proc import AlertmanagerUnavailable, DemoAlertmanager

FROM = "veille-demo@localhost"
TO = "equipe-infra@localhost"


@dataclass
class _Mailbox:
    directory: Path
    received: int = 0
    subjects: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        data: bytes = envelope.content
        with self.lock:
            self.received += 1
            (self.directory / f"{self.received:03d}.eml").write_bytes(data)
            message = email.message_from_bytes(data, policy=email.policy.default)
            self.subjects.append(str(message["subject"] or ""))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AlertReceivers:
    """Start both receivers; ``config()`` is the ``[alerts]`` section that points at them."""

    def __init__(self, output: Path) -> None:
        self.directory = output / "alerts"
        (self.directory / "mail").mkdir(parents=True, exist_ok=True)
        self.webhook_file = self.directory / "webhook.jsonl"
        self.webhook_calls = 0
        self.mailbox = _Mailbox(self.directory / "mail")
        receivers = self

        class _Hook(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receivers.mailbox.lock:
                    receivers.webhook_calls += 1
                    with receivers.webhook_file.open("ab") as fh:
                        fh.write(body.rstrip(b"\n") + b"\n")
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
        self._http_thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self.smtp_port = _free_port()
        self._smtp = Controller(self.mailbox, hostname="127.0.0.1", port=self.smtp_port)
        self.alertmanager: DemoAlertmanager | None = DemoAlertmanager(
            self.directory / "alertmanager"
        )
        self.alertmanager_note = ""
        self.snapshots: list[tuple[str, int]] = []  # (run, alerts held) after each run

    def start(self) -> None:
        self._http_thread.start()
        self._smtp.start()
        assert self.alertmanager is not None
        try:
            self.alertmanager.start()
        except AlertmanagerUnavailable as exc:
            self.alertmanager = None
            self.alertmanager_note = f"alertmanager: not started ({exc}); going on without it"

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._smtp.stop()
        if self.alertmanager is not None:
            self.alertmanager.stop()

    def snapshot(self, run: str) -> list[dict[str, Any]]:
        """Alertmanager's alerts now (API v2), saved as ``alerts/alertmanager-<run>.json``."""
        if self.alertmanager is None:
            return []
        alerts = self.alertmanager.alerts()
        path = self.directory / f"alertmanager-{run}.json"
        path.write_text(json.dumps(alerts, indent=1, sort_keys=True), encoding="utf-8")
        self.snapshots.append((run, len(alerts)))
        return alerts

    def config(self) -> dict[str, object]:
        return {
            "webhook": {"url": f"http://127.0.0.1:{self._http.server_address[1]}/alerts"},
            "email": {
                "host": "127.0.0.1",
                "port": self.smtp_port,
                "starttls": False,
                "from": FROM,
                "to": [TO],
                "lang": "fr",
            },
            "mqtt": {},
            "digest_channels": ["email", "webhook"],
        } | ({"alertmanager": {"url": self.alertmanager.url}} if self.alertmanager else {})

    def summary(self) -> list[str]:
        """Where the alerts went, for the demo's printout."""
        rel = self.directory
        mails = ", ".join(f"« {s} »" for s in self.mailbox.subjects[:3])
        more = (
            "" if len(self.mailbox.subjects) <= 3 else f" and {len(self.mailbox.subjects) - 3} more"
        )
        lines = [
            f"webhook: {self.webhook_calls} calls received, saved in {self.webhook_file}",
            f"e-mail: {self.mailbox.received} messages received by the demo's SMTP server "
            f"({mails}{more}), saved in {rel / 'mail'}/",
        ]
        if self.alertmanager is not None:  # when absent, the demo said so once at the start
            held = ", ".join(f"{n} after {run}" for run, n in self.snapshots)
            lines.append(
                f"alertmanager: {self.alertmanager.url} (API v2), alerts held: {held}; "
                f"saved in {rel}/alertmanager-*.json"
            )
        return lines

    def mentions(self, device_id: str, alerts: list[dict[str, Any]]) -> str:
        """What each receiver got about ``device_id`` so far, read back from what it saved
        (``alerts``: Alertmanager's, from :meth:`snapshot`)."""
        kinds: list[str] = []
        calls = 0
        if self.webhook_file.exists():
            for line in self.webhook_file.read_text(encoding="utf-8").splitlines():
                mine = [e for e in json.loads(line)["events"] if e.get("device_id") == device_id]
                calls += bool(mine)
                kinds += [str(e["kind"]) for e in mine]
        mails = []
        for path in sorted((self.directory / "mail").glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = message.get_body(("plain",))
            if body is not None and device_id in body.get_content():
                mails.append(str(message["subject"] or ""))
        held = [a for a in alerts if a.get("labels", {}).get("device_id") == device_id]
        am = "" if self.alertmanager is None else f"; alertmanager: {len(held)} alert(s) held"
        return (
            f"webhook: {calls} call(s) ({', '.join(kinds) or 'none'}); e-mail: {len(mails)} "
            f"({'; '.join(f'« {s} »' for s in mails) or 'none'}){am}"
        )
