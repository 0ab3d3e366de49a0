"""Per-device signatures through a real Mosquitto: a forged reading under a keyed device's
name is a dead letter with its reason, counted on /metrics, while the genuine one is stored;
a device without a key is read as before."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from agent.config import AgentMqtt
from agent.spool import Spool
from agent.transport import Publisher
from collector.ingest.signature import DeviceKeys
from contract import signing, wire
from loopback.servers import Server
from tests.agent.mqtt_helpers import clear_retained
from tests.faults.helpers import in_process_collector, wait_for

pytestmark = pytest.mark.integration

KEY = b"k-3f9a1c0e5b7d2468ace0"
SITE = "sig"


def _reading(value: float, at: datetime) -> wire.Reading:
    return wire.Reading(
        ts=at, metric="power_watts", value=value, source="rapl", quality=wire.Quality.MEASURED
    )


def _raw_publish(port: int, messages: list[tuple[str, bytes, bool]]) -> None:
    """Another client of the same broker, publishing under someone else's topic."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"forger-{uuid.uuid4().hex[:6]}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    for topic, payload, retain in messages:
        client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def test_forged_messages_are_dead_letters_and_the_genuine_are_stored(
    tmp_path: Path, mosquitto: Server
) -> None:
    signed, plain = f"pc-sig-{uuid.uuid4().hex[:6]}", f"pc-plain-{uuid.uuid4().hex[:6]}"
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / f"{signed}.key").write_text(KEY.decode() + "\n")
    app = in_process_collector(
        mosquitto.port,
        f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        f"sig-{uuid.uuid4().hex[:6]}",
        tmp_path,
        signing_keys_dir=str(keys),
    )
    spool = Spool(":memory:", max_messages=100, max_age_seconds=86400)
    genuine = Publisher(
        AgentMqtt(host="127.0.0.1", port=mosquitto.port),
        site=SITE,
        device_id=signed,
        spool=spool,
        signing_key=KEY,
    )
    now = datetime.now(UTC).replace(microsecond=0)
    topic = wire.topic(SITE, signed, "telemetry")
    try:
        # The forger goes first, with the genuine messages' own (device, epoch, seq).
        def forged(seq: int, value: float) -> bytes:
            return wire.Telemetry(
                device_id=signed,
                seq=seq,
                epoch=spool.epoch,
                sent_at=now,
                readings=[_reading(value, now - timedelta(seconds=seq))],
            ).to_json()

        good = signing.sign(KEY, forged(2, 10.0))
        tampered = good.replace(b'"value":10.0', b'"value":9999.0')
        assert tampered != good
        status_spoof = wire.Status(device_id=signed, online=False, ts=now).to_json()
        _raw_publish(
            mosquitto.port,
            [
                (topic, forged(0, 9999.0), False),  # unsigned
                (topic, signing.sign(b"not-the-device-key-0000", forged(1, 9999.0)), False),
                (topic, tampered, False),  # signed by the key, then altered
                (topic, forged(3, 9999.0)[:-1] + b',"signature":"md5:00"}', False),
                (wire.topic(SITE, signed, "status"), status_spoof, True),
                (
                    wire.topic(SITE, plain, "telemetry"),
                    wire.Telemetry(
                        device_id=plain, seq=0, sent_at=now, readings=[_reading(42.0, now)]
                    ).to_json(),
                    False,
                ),
            ],
        )
        wait_for(lambda: app.ledger.count("dead_letters") >= 5, 30, "5 dead letters")
        genuine.start()
        for seq in range(3):
            genuine.submit([_reading(20.0 + seq, now - timedelta(seconds=seq))])
        assert genuine.drain(30)
        wait_for(lambda: app.ledger.count("messages") >= 4, 30, "3 genuine + 1 plain stored")

        def online() -> bool:
            return any(d.device_id == signed and d.online for d in app.ledger.devices())

        wait_for(online, 30, "the genuine (signed) online status stored")
        time.sleep(0.5)  # anything late
    finally:
        genuine.stop()
        app.stop()
        clear_retained(mosquitto.port, f"veille/v1/{SITE}/#")  # the broker is shared by tests

    values = sorted(
        s.value for s in app.ledger.samples_for(signed, now - timedelta(1), now + timedelta(1))
    )
    assert values == [20.0, 21.0, 22.0]  # the genuine ones, none of the forger's
    assert [
        s.value for s in app.ledger.samples_for(plain, now - timedelta(1), now + timedelta(1))
    ] == [42.0]
    reasons = sorted(d.reason for d in app.ledger.dead_letters() if signed in d.topic)
    assert reasons == sorted(
        [
            f"unsigned message from a device that has a key ({signed})",
            f"unsigned message from a device that has a key ({signed})",  # the status
            f"signature does not match the device's key ({signed})",
            f"signature does not match the device's key ({signed})",
            f'signature is not the last field as "hmac-sha256:<64 hex digits>" ({signed})',
        ]
    )
    registry = app.metrics.registry

    def rejects(reason: str) -> float | None:
        return registry.get_sample_value("veille_collector_rejects_total", {"reason": reason})

    assert (rejects("unsigned"), rejects("bad_signature"), rejects("signature_malformed")) == (
        2.0,
        2.0,
        1.0,
    )


def test_a_key_issued_later_is_read_without_restart(tmp_path: Path) -> None:
    keys = DeviceKeys(tmp_path, recheck_seconds=0.0)
    assert keys.key_for("pc-1") is None and len(keys) == 0
    (tmp_path / "pc-1.key").write_text("0123456789abcdef0123")
    assert keys.key_for("pc-1") == b"0123456789abcdef0123"
    (tmp_path / "pc-1.key").unlink()
    assert keys.key_for("pc-1") is None


def test_status_and_last_will_are_signed_by_the_agent() -> None:
    publisher = Publisher(
        AgentMqtt(host="127.0.0.1", port=1),
        site=SITE,
        device_id="pc-1",
        spool=Spool(":memory:", max_messages=10, max_age_seconds=60),
        signing_key=KEY,
    )
    publisher.submit([_reading(1.0, datetime.now(UTC))])
    ((_, payload),) = publisher.spool.peek(None, 10)
    signing.verify(KEY, payload)
    assert json.loads(payload)["signature"].startswith("hmac-sha256:")
    will = publisher._client._will_payload  # what the broker publishes if the agent vanishes
    signing.verify(KEY, bytes(will))


def test_keys_dir_is_relative_to_the_config_file(tmp_path: Path) -> None:
    from collector.config import load_config

    (tmp_path / "collector.toml").write_text('[mqtt]\nsigning_keys_dir = "keys"\n')
    cfg = load_config(tmp_path / "collector.toml")
    assert cfg.mqtt.signing_keys_dir == tmp_path / "keys"


def test_a_missing_keys_dir_stops_the_start(tmp_path: Path) -> None:
    from contract.errors import ConfigError

    with pytest.raises(ConfigError, match="not a readable directory"):
        DeviceKeys(tmp_path / "nowhere")
