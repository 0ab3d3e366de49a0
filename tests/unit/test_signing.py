"""HMAC signatures (contract/signing.py) and their check in validation (signature.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collector.ingest.signature import DeviceKeys
from collector.ingest.validate import Limits, Rejected, ValidStatus, ValidTelemetry, validate
from contract import signing, wire

KEY = b"0123456789abcdef-key"
NOW = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
TOPIC = "veille/v1/mairie/pc-1/telemetry"


def _message(device: str = "pc-1", watts: float = 40.0) -> bytes:
    reading = wire.Reading(NOW, "power_watts", watts, "rapl", wire.Quality.MEASURED)
    return wire.Telemetry(device_id=device, seq=3, sent_at=NOW, readings=[reading]).to_json()


def test_sign_then_verify_and_every_altered_byte_fails() -> None:
    unsigned = _message()
    signed = signing.sign(KEY, unsigned)
    assert signed.startswith(unsigned[:-1]) and signed.endswith(b'"}')
    signing.verify(KEY, signed)
    for i in range(0, len(unsigned) - 1, 7):  # any byte of the message
        altered = signed[:i] + bytes([signed[i] ^ 0x01]) + signed[i + 1 :]
        with pytest.raises(signing.SignatureError):
            signing.verify(KEY, altered)
    with pytest.raises(signing.SignatureError) as other_key:
        signing.verify(b"another-key-0123456", signed)
    assert other_key.value.code == "bad_signature"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (_message(), "unsigned"),
        (b'{"signature":"hmac-sha256:' + b"0" * 64 + b'",' + _message()[1:], "signature_malformed"),
        (_message()[:-1] + b',"signature":"hmac-sha256:ABC"}', "signature_malformed"),
        (_message()[:-1] + b',"signature":"hmac-sha256:' + b"0" * 64 + b'"}', "bad_signature"),
    ],
    ids=["unsigned", "not-last", "not-hex", "zeros"],
)
def test_refusals_have_their_code(payload: bytes, code: str) -> None:
    with pytest.raises(signing.SignatureError) as err:
        signing.verify(KEY, payload)
    assert err.value.code == code and err.value.reason


def test_only_a_json_object_is_signed() -> None:
    for payload in (b"[1]", b"{}", b""):
        with pytest.raises(ValueError):
            signing.sign(KEY, payload)


KEYED = Limits(signing_keys=DeviceKeys.of({"pc-1": KEY}))


def test_validation_of_a_keyed_device() -> None:
    verdict = validate(TOPIC, signing.sign(KEY, _message()), NOW, KEYED)
    assert isinstance(verdict, ValidTelemetry)
    assert verdict.message.signature is not None
    assert verdict.message.signature.startswith("hmac-sha256:")
    for payload, code in (
        (_message(), "unsigned"),
        (signing.sign(b"forger-key-0123456", _message(watts=9999)), "bad_signature"),
    ):
        with pytest.raises(Rejected) as err:
            validate(TOPIC, payload, NOW, KEYED)
        assert err.value.code == code and "pc-1" in err.value.reason
    status = wire.Status("pc-1", True, NOW).to_json()
    with pytest.raises(Rejected, match="unsigned"):
        validate("veille/v1/mairie/pc-1/status", status, NOW, KEYED)
    ok = validate("veille/v1/mairie/pc-1/status", signing.sign(KEY, status), NOW, KEYED)
    assert isinstance(ok, ValidStatus) and ok.status.online


def test_devices_without_a_key_are_read_as_before() -> None:
    topic = "veille/v1/mairie/pc-2/telemetry"
    for payload in (_message("pc-2"), signing.sign(b"any-key-of-its-own-00", _message("pc-2"))):
        assert isinstance(validate(topic, payload, NOW, KEYED), ValidTelemetry)
        assert isinstance(validate(topic, payload, NOW, Limits()), ValidTelemetry)
