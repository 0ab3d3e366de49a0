"""The MQTT client both sides build: protocol (3.1.1 or 5), credentials and TLS, in one place.

The agent and the collector differ only in their session (an agent starts clean, the collector
keeps a persistent session so the broker holds messages while it restarts) and in what they do
with the client once built.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Literal

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import Field, SecretStr, model_validator

from contract.settings import Section

Protocol = Literal["3.1.1", "5"]


class TlsSettings(Section):
    """TLS towards the broker. A client certificate needs its key, and the other way round."""

    ca_file: Path | None = Field(None, description="CA bundle that signed the broker.")
    cert_file: Path | None = Field(None, description="Client certificate (optional).")
    key_file: Path | None = Field(None, description="Client key (with cert_file).")

    @model_validator(mode="after")
    def _pair(self) -> TlsSettings:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together")
        return self


def make_client(
    client_id: str,
    *,
    protocol: Protocol,
    persistent: bool,
    username: str | None = None,
    password: SecretStr | None = None,
    tls: TlsSettings | None = None,
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
