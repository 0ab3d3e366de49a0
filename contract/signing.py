"""Per-device message signatures: HMAC-SHA256 over the exact bytes of the unsigned message.

Optional, and off unless a device has a key (README, "No one speaks for another device"). The
agent writes its message as usual, computes the HMAC of those bytes with the device's key and
appends one last field before the closing brace::

    {"schema":1,"device_id":"pc-1",...,"signature":"hmac-sha256:<64 hex digits>"}

The collector, holding the same key for that device, removes that last field, computes the
HMAC of what is left and compares. No JSON canonicalisation is needed: the MAC covers the bytes
as sent. The field is an optional part of schema v1 (MQTT 3.1.1 has no user properties, so it
lives in the payload); a collector that predates it refuses a signed message as an unknown
field, so upgrade collectors before giving keys to agents. Only the standard library here:
the agent's running process uses it.
"""

from __future__ import annotations

import hashlib
import hmac
import re

ALGORITHM = "hmac-sha256"
FIELD = "signature"
SIGNATURE_PATTERN = r"^hmac-sha256:[0-9a-f]{64}$"
"""The signature field's value, as :class:`contract.schema.Telemetry` checks it."""

_TAIL = re.compile(rb',"signature":"hmac-sha256:([0-9a-f]{64})"\}\Z')
_PREFIX = b',"signature":"' + ALGORITHM.encode() + b":"


class SignatureError(ValueError):
    """A message whose signature is missing, malformed or wrong. ``code`` labels a metric."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def mac(key: bytes, unsigned: bytes) -> str:
    """The hex HMAC-SHA256 of ``unsigned`` under ``key``."""
    return hmac.new(key, unsigned, hashlib.sha256).hexdigest()


def sign(key: bytes, payload: bytes) -> bytes:
    """``payload`` (a JSON object without a signature) with its signature as the last field."""
    if not payload.endswith(b"}") or payload == b"{}":
        raise ValueError("only a non-empty JSON object can be signed")
    return payload[:-1] + _PREFIX + mac(key, payload).encode() + b'"}'


def verify(key: bytes, payload: bytes) -> None:
    """Return if ``payload`` carries a good signature under ``key``; raise SignatureError."""
    found = _TAIL.search(payload)
    if found is None:
        if b'"signature"' not in payload:
            raise SignatureError("unsigned", "unsigned message from a device that has a key")
        raise SignatureError(
            "signature_malformed",
            'signature is not the last field as "hmac-sha256:<64 hex digits>"',
        )
    unsigned = payload[: found.start()] + b"}"
    if not hmac.compare_digest(found.group(1).decode(), mac(key, unsigned)):
        raise SignatureError("bad_signature", "signature does not match the device's key")
