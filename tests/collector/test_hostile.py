"""Hostile input, case by case (issue 10's table): each is one dead letter with its reason,
never an escaped exception, never an absurd value stored, never a neighbour taken with it."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collector.config import MqttSettings
from collector.ingest.mqtt import MqttIngest
from collector.ingest.pipeline import Ingestor
from collector.ingest.validate import Limits, Rejected, ValidTelemetry, validate
from collector.ledger import Ledger
from collector.metrics import CollectorMetrics
from contract.schema import Status
from loopback.servers import Server, _Postgres
from tests.collector.hostile_cases import NOW, TOPIC, dump, good_doc, good_message, iso

LIMITS = Limits()


def _reject(payload: bytes, topic: str = TOPIC) -> Rejected:
    with pytest.raises(Rejected) as info:
        validate(topic, payload, NOW, LIMITS)
    assert info.value.reason, "a rejection always carries a reason"
    return info.value


def _mutated(change: Callable[[dict[str, Any]], None]) -> bytes:
    doc = good_doc()
    change(doc)
    return dump(doc)


def test_the_base_message_is_valid() -> None:
    ok = validate(TOPIC, good_message().to_json(), NOW, LIMITS)
    assert isinstance(ok, ValidTelemetry) and len(ok.message.readings) == 2


def test_timestamp_near_year_1_is_rejected_not_overflowing() -> None:
    rej = _reject(_mutated(lambda d: d.update(sent_at="0001-01-01T00:00:00+05:00")))
    assert rej.code == "schema" and "sent_at" in rej.reason and "out of range" in rej.reason


def test_reading_in_year_9999_is_rejected() -> None:
    rej = _reject(_mutated(lambda d: d["readings"][0].update(ts="9999-12-31T23:59:59Z")))
    assert rej.code == "clock" and "readings.0.ts" in rej.reason


def test_timestamp_overflowing_in_utc_near_9999_is_rejected() -> None:
    rej = _reject(_mutated(lambda d: d["state"].update(ts="9999-12-31T23:59:59-05:00")))
    assert rej.code == "schema" and "state.ts" in rej.reason


def test_deep_json_is_rejected_as_too_deep() -> None:
    deep = b'{"schema":1,"device_id":"pc-1","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    rej = _reject(deep)
    assert rej.code == "too_deep" and "deeper" in rej.reason


def test_moderately_deep_json_is_rejected_before_the_model() -> None:
    rej = _reject(b'{"schema":1,"device_id":"pc-1","x":' + b"[" * 20 + b"]" * 20 + b"}")
    assert rej.code == "too_deep"


def test_5000_digit_integer_is_rejected_as_number_range() -> None:
    payload = dump(good_doc()).replace(b'"seq":1', b'"seq":' + b"9" * 5000)
    rej = _reject(payload)
    assert rej.code == "number_range" and "digits" in rej.reason


def test_seq_above_2_63_is_rejected() -> None:
    rej = _reject(_mutated(lambda d: d.update(seq=2**63)))
    assert rej.code == "schema" and rej.reason.startswith("seq")


def test_seq_at_2_63_minus_1_is_accepted() -> None:
    ok = validate(TOPIC, _mutated(lambda d: d.update(seq=2**63 - 1)), NOW, LIMITS)
    assert isinstance(ok, ValidTelemetry) and ok.message.seq == 2**63 - 1


def test_sent_at_in_1970_is_rejected() -> None:
    rej = _reject(_mutated(lambda d: d.update(sent_at="1970-01-01T00:00:00Z")))
    assert rej.code == "timestamp" and "sent_at" in rej.reason


def test_boot_time_in_9999_is_rejected() -> None:
    rej = _reject(_mutated(lambda d: d["state"].update(boot_time="9999-01-01T00:00:00Z")))
    assert rej.code == "clock" and "state.boot_time" in rej.reason


def test_boot_time_of_a_server_up_for_a_year_is_accepted() -> None:
    long_up = iso(NOW - timedelta(days=365))
    ok = validate(TOPIC, _mutated(lambda d: d["state"].update(boot_time=long_up)), NOW, LIMITS)
    assert isinstance(ok, ValidTelemetry)


def test_1e300_watts_is_rejected() -> None:
    rej = _reject(_mutated(lambda d: d["readings"][0].update(value=1e300)))
    assert rej.code == "bounds" and "power_watts" in rej.reason and "20000" in rej.reason


def test_negative_cpu_power_is_rejected() -> None:
    rej = _reject(_mutated(lambda d: d["readings"][0].update(value=-3.0)))
    assert rej.code == "bounds" and "negative" in rej.reason


def test_infinite_power_written_as_1e400_is_rejected() -> None:
    payload = dump(good_doc()).replace(b'"value":12.5', b'"value":1e400')
    rej = _reject(payload)
    assert rej.code == "schema" and "finite" in rej.reason


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("readings.0.component", lambda d: d["readings"][0].update(component="pack\u0000age")),
        ("state.sleep_blockers.0", lambda d: d["state"].update(sleep_blockers=["a\u0000b"])),
        ("kind", lambda d: d.update(kind="lap\u0000top")),
    ],
)
def test_nul_characters_are_rejected(where: str, change: Callable[[dict[str, Any]], None]) -> None:
    rej = _reject(_mutated(change))
    assert rej.code == "string" and where in rej.reason and "control character" in rej.reason


def test_nul_in_a_sleep_state_reason_is_rejected() -> None:
    states = {"available": ["s3"], "unavailable": {"hibernate": "disabled\u0000 by policy"}}
    rej = _reject(_mutated(lambda d: d["state"].update(sleep_states=states)))
    assert rej.code == "string" and "unavailable.hibernate" in rej.reason


def test_a_sleep_state_reason_of_300_characters_is_accepted() -> None:
    states = {"available": ["s3"], "unavailable": {"hibernate": "x" * 300}}
    ok = validate(TOPIC, _mutated(lambda d: d["state"].update(sleep_states=states)), NOW, LIMITS)
    assert isinstance(ok, ValidTelemetry)


def test_overlong_blocker_name_is_rejected() -> None:
    rej = _reject(_mutated(lambda d: d["state"].update(sleep_blockers=["x" * 129])))
    assert rej.code == "string" and "above 128" in rej.reason


def test_reversed_slept_interval_is_rejected() -> None:
    a, b = iso(NOW - timedelta(hours=1)), iso(NOW - timedelta(hours=2))
    rej = _reject(_mutated(lambda d: d["state"].update(slept=[{"start": a, "end": b}])))
    assert rej.code == "slept" and "before it starts" in rej.reason


def test_overlapping_slept_intervals_are_rejected() -> None:
    spans = [(3, 1), (2, 0.5)]
    slept = [
        {"start": iso(NOW - timedelta(hours=s)), "end": iso(NOW - timedelta(hours=e))}
        for s, e in spans
    ]
    rej = _reject(_mutated(lambda d: d["state"].update(slept=slept)))
    assert rej.code == "slept" and "state.slept.1" in rej.reason


def test_slept_interval_ending_after_sent_at_is_rejected() -> None:
    slept = [{"start": iso(NOW - timedelta(minutes=1)), "end": iso(NOW + timedelta(minutes=1))}]
    rej = _reject(_mutated(lambda d: d["state"].update(slept=slept)))
    assert rej.code == "slept" and "after sent_at" in rej.reason


def test_20_year_slept_interval_is_rejected() -> None:
    slept = [{"start": iso(NOW - timedelta(days=20 * 365)), "end": iso(NOW - timedelta(hours=1))}]
    payload = _mutated(lambda d: d["state"].update(slept=slept))
    assert len(payload) < 1000
    rej = _reject(payload)
    assert rej.code == "timestamp" and "state.slept.0.start" in rej.reason


def test_status_in_year_9999_is_rejected() -> None:
    payload = Status(device_id="pc-1", online=False).to_json()[:-1] + b',"ts":"9999-01-01T00:00Z"}'
    rej = _reject(payload, TOPIC.replace("telemetry", "status"))
    assert rej.code == "clock" and rej.reason.startswith("ts")


def test_idle_seconds_of_a_century_is_rejected() -> None:
    rej = _reject(_mutated(lambda d: d["state"].update(idle_seconds=3.2e9)))
    assert rej.code == "bounds" and "idle_seconds" in rej.reason


# -- through the ingest worker and a real SQLite ledger --------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def any_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    pg: _Postgres = request.getfixturevalue("postgres")
    return pg.create_database(f"hostile_{abs(hash(request.node.name)) % 10**8}")


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[tuple[Ingestor, Ledger]]:
    yield from _ingest(f"sqlite:///{tmp_path / 'ledger.sqlite'}")


@pytest.fixture
def ingest_both(any_ledger: str) -> Iterator[tuple[Ingestor, Ledger]]:
    yield from _ingest(any_ledger)


def _ingest(url: str) -> Iterator[tuple[Ingestor, Ledger]]:
    ledger = Ledger(url)
    ledger.migrate()
    ingestor = Ingestor(ledger, CollectorMetrics(), limits=LIMITS)
    ingestor.start()
    yield ingestor, ledger
    ingestor.stop()
    ledger.close()


HOSTILE = {
    "year 1": lambda d: d.update(sent_at="0001-01-01T00:00:00+05:00"),
    "state ts 9999": lambda d: d["state"].update(ts="9999-12-31T00:00:00Z"),
    "seq 2^63": lambda d: d.update(seq=2**63),
    "1e300 W": lambda d: d["readings"][0].update(value=1e300),
    "NUL": lambda d: d.update(kind="\u0000"),
    "20-year sleep": lambda d: d["state"].update(
        slept=[{"start": "2006-11-17T09:00:00Z", "end": "2026-11-17T08:00:00Z"}]
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_one_hostile_message_in_a_batch_is_one_dead_letter(
    ingest_both: tuple[Ingestor, Ledger], case: str
) -> None:
    ingestor, ledger = ingest_both
    started = time.monotonic()
    for seq in range(50):
        ingestor.submit(TOPIC, good_message(seq).to_json(), NOW)
    doc = good_doc(seq=999)
    HOSTILE[case](doc)
    ingestor.submit(TOPIC, dump(doc), NOW)
    for seq in range(50, 100):
        ingestor.submit(TOPIC, good_message(seq).to_json(), NOW)
    assert ingestor.wait_idle(30)
    assert time.monotonic() - started < 5, "no stall, no retries"
    assert ledger.count("messages") == 100
    (dead,) = ledger.dead_letters()
    assert dead.reason and dead.topic == TOPIC
    # 100 messages × (2 readings + 1 h of sleep at one sample per 10 min, both ends: 7)
    assert ledger.count("samples") == 100 * (2 + 7)


def test_a_state_in_year_9999_does_not_freeze_last_seen(ingest: tuple[Ingestor, Ledger]) -> None:
    ingestor, ledger = ingest
    doc = good_doc(seq=1)
    doc["state"]["ts"] = "9999-12-31T00:00:00Z"
    ingestor.submit(TOPIC, dump(doc), NOW)
    later = NOW + timedelta(minutes=10)
    ingestor.submit(TOPIC, good_message(2, at=later).to_json(), later)
    assert ingestor.wait_idle(10)
    (device,) = ledger.devices()
    assert device.last_seen == later - timedelta(seconds=5)
    assert device.last_seq == 2
    assert "state.ts" in ledger.dead_letters()[0].reason


@pytest.mark.parametrize("site", ["s" * 200, "mai\u0000rie", "mairie\n", "", "mai rie", "+", "é"])
def test_a_site_in_the_topic_outside_the_identifier_rule_is_rejected(site: str) -> None:
    payload = good_message().to_json()
    rej = _reject(payload, f"veille/v1/{site}/pc-1/telemetry")
    assert rej.code == "topic" and "site" in rej.reason
    assert rej.reason.isprintable() and len(rej.reason) < 300


def test_a_reason_quoting_the_sender_is_one_line_and_capped() -> None:
    doc = good_doc()
    doc["device_id"] = "x\n" * 100_000
    rej = _reject(dump(doc))
    assert rej.code == "device_mismatch"
    assert rej.reason.isprintable() and len(rej.reason) <= 500


def test_a_hostile_site_is_one_dead_letter_on_both_ledgers(
    ingest_both: tuple[Ingestor, Ledger],
) -> None:
    """PostgreSQL refuses a 300-character site (VARCHAR(128)) or a NUL: refused before."""
    ingestor, ledger = ingest_both
    hostile = good_message(0, device="pc-9").to_json()
    ingestor.submit("veille/v1/" + "s" * 300 + "/pc-9/telemetry", hostile, NOW)
    ingestor.submit(TOPIC, good_message(1).to_json(), NOW)
    assert ingestor.wait_idle(10)
    assert ledger.count("messages") == 1
    (dead,) = ledger.dead_letters()
    assert dead.reason.startswith("site")


def test_the_readme_bounds_table_is_the_shipped_table() -> None:
    """The README's table of physical limits says what bounds.toml says, row by row."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = LIMITS.bounds
    rows = {}
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`") and cells[1][:1] in "0−-":
            name = cells[0].strip("`")
            lo, hi = (float(c.replace(",", "").replace("−", "-")) for c in cells[1:3])
            rows[name] = (lo, hi)
    expected = {k: (r.min, r.max) for k, r in {**table.units, **table.metrics}.items()}
    assert rows == expected


def test_a_flood_of_hostile_messages_is_not_a_flood_of_log_lines(
    ingest: tuple[Ingestor, Ledger], caplog: pytest.LogCaptureFixture
) -> None:
    ingestor, ledger = ingest
    with caplog.at_level(logging.WARNING, "collector.ingest.pipeline"):
        for _ in range(500):
            ingestor.submit(TOPIC, b"\x00" * 64, NOW)
        assert ingestor.wait_idle(30)
    assert ledger.count("dead_letters") == 500
    assert 1 <= len(caplog.records) <= 10


@pytest.mark.integration
def test_hostile_messages_through_mosquitto_leave_their_neighbours_stored(
    mosquitto: Server, tmp_path: Path
) -> None:
    """The whole path: a real Mosquitto, the MQTT subscriber, the worker, a SQLite ledger."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger.migrate()
    ingestor = Ingestor(ledger, CollectorMetrics(), limits=LIMITS)
    ingestor.start()
    sub = MqttIngest(
        MqttSettings(embedded=False, port=mosquitto.port, client_id="collector-hostile"), ingestor
    )
    sub.start()
    now = datetime.now(UTC)
    hostile_topic = "veille/v1/mairie/pc-h1/telemetry"
    messages = []
    for seq in range(100):
        messages.append((hostile_topic, good_message(seq, at=now, device="pc-h1").to_json()))
        if seq % 16 == 8:
            case = sorted(HOSTILE)[seq // 16]
            doc = json.loads(good_message(1000 + seq, at=now, device="pc-h1").to_json())
            HOSTILE[case](doc)
            messages.append((hostile_topic, dump(doc)))
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="hostile-publisher")
    try:
        pub.connect("127.0.0.1", mosquitto.port)
        pub.loop_start()
        for info in [pub.publish(t, p, qos=1) for t, p in messages]:
            info.wait_for_publish(10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
            ledger.count("messages") < 100 or ledger.count("dead_letters") < len(HOSTILE)
        ):
            time.sleep(0.05)
        assert ingestor.wait_idle(10)
    finally:
        pub.disconnect()
        pub.loop_stop()
        sub.stop()
        ingestor.stop()
    assert ledger.count("messages") == 100
    assert sorted(d.reason.split(" ")[0] for d in ledger.dead_letters()) == sorted(
        ["kind", "readings.0:", "sent_at:", "seq:", "state.slept.0.start", "state.ts"]
    )
    assert ledger.count("samples") == 100 * (2 + 7)
    ledger.close()


def test_a_large_rejected_payload_is_kept_cut_through_the_worker(
    ingest: tuple[Ingestor, Ledger],
) -> None:
    ingestor, ledger = ingest
    ingestor.submit(TOPIC, b"[" + b"7," * 50_000 + b"]", NOW)
    assert ingestor.wait_idle(10)
    (dead,) = ledger.dead_letters()
    assert dead.payload_bytes == 100_002 and len(dead.payload) == 16_384 and dead.truncated
