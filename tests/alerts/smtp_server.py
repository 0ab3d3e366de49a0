"""A real SMTP server on loopback (aiosmtpd) with STARTTLS required and AUTH, and a certificate
for 127.0.0.1 made with ``cryptography`` for the test."""

from __future__ import annotations

import ipaddress
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from loopback.servers import free_port

USER = "veille"
PASSWORD = "Corr3ct-Horse-Battery"


def make_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1; returns (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Mailbox:
    host: str
    port: int
    ca_file: Path
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    tls_sessions: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, n: int, timeout: float = 10.0) -> list[EmailMessage]:
        done = threading.Event()
        deadline = datetime.now(UTC) + timedelta(seconds=timeout)
        while datetime.now(UTC) < deadline:
            with self.lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            done.wait(0.02)
        raise AssertionError(f"expected {n} message(s), got {len(self.messages)}")


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(msg, EmailMessage)
        with self.box.lock:
            self.box.messages.append(msg)
            self.box.recipients.append(list(envelope.rcpt_tos))
            if session.ssl is not None:
                self.box.tls_sessions += 1
        return "250 Message accepted for delivery"


def _authenticator(
    _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == USER.encode()
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(directory: Path) -> Iterator[Mailbox]:
    """aiosmtpd on 127.0.0.1: STARTTLS required, AUTH (PLAIN/LOGIN) required after it."""
    cert, key = make_cert(directory)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    box = Mailbox("127.0.0.1", free_port(), cert)
    controller = Controller(
        _Handler(box),
        hostname=box.host,
        port=box.port,
        tls_context=ctx,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=_authenticator,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
