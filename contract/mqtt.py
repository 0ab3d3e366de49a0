"""The MQTT settings both sides check (TLS files); the client itself is built by
:func:`contract.mqttclient.make_client` (re-exported here), which needs no pydantic.

The agent and the collector differ only in their session (an agent starts clean, the collector
keeps a persistent session so the broker holds messages while it restarts) and in what they do
with the client once built.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from contract.mqttclient import make_client as make_client  # re-exported: its old home
from contract.settings import Section


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
