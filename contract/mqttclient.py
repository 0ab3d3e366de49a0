"""The MQTT client both sides build: protocol (3.1.1 or 5), credentials and TLS, in one place.

No pydantic here: the agent's running process builds its client with this and never imports
pydantic. Settings are taken by shape (:class:`TlsFiles`, :class:`SecretValue`), so the
collector's pydantic settings and the agent's dataclasses both fit.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Literal, Protocol

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

Protocol_ = Literal["3.1.1", "5"]


class SecretValue(Protocol):
    """A secret (pydantic's ``SecretStr``, :class:`agent.settings.Secret`)."""

    def get_secret_value(self) -> str: ...


class TlsFiles(Protocol):
    """TLS towards the broker: CA bundle, client certificate and key (each optional)."""

    @property
    def ca_file(self) -> Path | None: ...
    @property
    def cert_file(self) -> Path | None: ...
    @property
    def key_file(self) -> Path | None: ...


def make_client(
    client_id: str,
    *,
    protocol: Protocol_,
    persistent: bool,
    username: str | None = None,
    password: SecretValue | None = None,
    tls: TlsFiles | None = None,
) -> paho.Client:
    """A paho client (callback API 2) with credentials and TLS set, not yet connected.

    ``persistent`` keeps the session across reconnections: ``clean_session=False`` on 3.1.1;
    on v5 the caller passes ``clean_start=False`` and a session expiry at connect.
    """
    v5 = protocol == "5"
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=paho.MQTTv5 if v5 else paho.MQTTv311,
        clean_session=None if v5 else not persistent,
    )
    if username:
        client.username_pw_set(username, password.get_secret_value() if password else None)
    if tls is not None:
        client.tls_set(
            ca_certs=str(tls.ca_file) if tls.ca_file else None,
            certfile=str(tls.cert_file) if tls.cert_file else None,
            keyfile=str(tls.key_file) if tls.key_file else None,
            cert_reqs=ssl.CERT_REQUIRED,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
    return client
