"""The demo's own alert receivers on 127.0.0.1, so that its alerts go somewhere a person can
open: a webhook receiver (each call appended to ``alerts/webhook.jsonl``) and an SMTP server
(aiosmtpd; each message saved as ``alerts/mail/NNN.eml``). MQTT alerts go to the demo's
embedded broker and the gauge to its /metrics; Alertmanager is not embedded (a real one is
configured with ``[alerts.alertmanager] url``).
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

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

    def start(self) -> None:
        self._http_thread.start()
        self._smtp.start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._smtp.stop()

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
        }

    def summary(self) -> list[str]:
        """Where the alerts went, for the demo's printout."""
        rel = self.directory
        mails = ", ".join(f"« {s} »" for s in self.mailbox.subjects[:3])
        more = (
            "" if len(self.mailbox.subjects) <= 3 else f" and {len(self.mailbox.subjects) - 3} more"
        )
        return [
            f"webhook: {self.webhook_calls} calls received, saved in {self.webhook_file}",
            f"e-mail: {self.mailbox.received} messages received by the demo's SMTP server "
            f"({mails}{more}), saved in {rel / 'mail'}/",
        ]
