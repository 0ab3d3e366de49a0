"""The agent's pydantic-free messages (contract/wire.py) against the contract (contract/schema.py).

Field for field: both define the same fields with the same defaults; every message the agent
can build validates against the schema and dumps back to the same bytes; a message that sets
every field of every block exists here, so a field added to the schema and forgotten by the
agent (or the other way round) fails these tests.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from contract import schema, signing, wire, wire_read

PAIRS: list[tuple[type[Any], type[BaseModel]]] = [
    (wire.Reading, schema.Reading),
    (wire.SleepSettings, schema.SleepSettings),
    (wire.SleepStates, schema.SleepStates),
    (wire.SleptInterval, schema.SleptInterval),
    (wire.StateBlock, schema.StateBlock),
    (wire.Telemetry, schema.Telemetry),
    (wire.Status, schema.Status),
]

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _wire_name(model: type[BaseModel], name: str) -> str:
    alias = model.model_fields[name].alias
    return alias or name


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=lambda c: c.__name__)
def test_same_fields_and_defaults(ours: type[Any], theirs: type[BaseModel]) -> None:
    mine = {f.name: f for f in dataclasses.fields(ours)}
    assert set(mine) == set(theirs.model_fields)
    for name, info in theirs.model_fields.items():
        f = mine[name]
        if info.is_required():
            assert f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        elif info.default_factory is not None:
            assert f.default_factory is not dataclasses.MISSING, name
            assert f.default_factory() == info.default_factory()  # type: ignore[call-arg]
        else:
            assert f.default == info.default, name


def test_same_enums_and_names() -> None:
    assert [e.value for e in wire.Quality] == [e.value for e in schema.Quality]
    assert [e.value for e in wire.PowerState] == [e.value for e in schema.PowerState]
    assert typing.get_args(wire.SleepStateName) == typing.get_args(schema.SleepStateName)
    assert wire.SLEEPING_STATES == schema.SLEEPING_STATES
    assert (wire.SCHEMA_VERSION, wire.TOPIC_ROOT) == (schema.SCHEMA_VERSION, schema.TOPIC_ROOT)
    assert wire.topic("s", "d", "status") == schema.topic("s", "d", "status")


def full_message() -> wire.Telemetry:
    """Every field of every block set (nothing None, no list empty)."""
    return wire.Telemetry(
        device_id="pc-1",
        seq=41,
        epoch="3f9a1c0e5b7d2468",
        sent_at=T0 + timedelta(seconds=61, microseconds=250_000),
        kind="laptop",
        readings=[
            wire.Reading(T0, "power_watts", 12.5, "battery", wire.Quality.MEASURED, "package-0"),
            wire.Reading(T0, "uptime_seconds", 3600, "os", wire.Quality.ESTIMATED, "kernel"),
        ],
        state=wire.StateBlock(
            power_state=wire.PowerState.RESUMED,
            ts=T0,
            idle_seconds=12.25,
            boot_time=T0 - timedelta(days=2),
            on_battery=True,
            sleep_settings=wire.SleepSettings(900, 600, 300, 120, False),
            sleep_blockers=["system:process", "display:Teams.exe"],
            sleep_blockers_known=True,
            sleep_states=wire.SleepStates(["s3", "hibernate"], {"s0_low_power_idle": "é" * 400}),
            slept=[wire.SleptInterval(T0 - timedelta(hours=2), T0 - timedelta(hours=1))],
        ),
        signature="hmac-sha256:" + "0" * 64,
    )


def _missing_fields(doc: object, model: type[BaseModel], where: str) -> list[str]:
    """Schema fields (recursively) that ``doc`` does not set."""
    assert isinstance(doc, dict)
    missing = []
    for name, info in model.model_fields.items():
        key = _wire_name(model, name)
        if key not in doc or doc[key] in ([], {}):
            missing.append(f"{where}{key}")
            continue
        sub = [a for a in typing.get_args(info.annotation) or (info.annotation,)]
        for arg in sub:
            inner = typing.get_args(arg) or (arg,)
            for cls in inner:
                if isinstance(cls, type) and issubclass(cls, BaseModel):
                    items = doc[key] if isinstance(doc[key], list) else [doc[key]]
                    for item in items:
                        missing += _missing_fields(item, cls, f"{where}{key}.")
    return missing


def test_the_full_message_covers_every_schema_field() -> None:
    doc = json.loads(full_message().to_json())
    assert _missing_fields(doc, schema.Telemetry, "") == []
    status = wire.Status("pc-1", True, T0, "0.1.0", "hmac-sha256:" + "1" * 64)
    assert _missing_fields(json.loads(status.to_json()), schema.Status, "") == []


@pytest.mark.parametrize(
    "message",
    [
        full_message(),
        wire.Telemetry(device_id="pc-2", seq=0, sent_at=T0),  # every optional field left out
        wire.Telemetry(
            device_id="pc-3",
            seq=2**63 - 1,
            sent_at=T0,
            state=wire.StateBlock(wire.PowerState.IDLE, sleep_blockers_known=False),
        ),
    ],
    ids=["full", "minimal", "unknown-blockers"],
)
def test_agent_messages_validate_and_dump_to_the_same_bytes(message: wire.Telemetry) -> None:
    payload = message.to_json()
    parsed = schema.Telemetry.model_validate_json(payload)
    assert parsed.to_json() == payload
    # and back: the schema's bytes read into the agent's dataclasses give the same bytes
    assert wire_read.telemetry_from_json(parsed.to_json()).to_json() == payload


@pytest.mark.parametrize(
    "status",
    [
        wire.Status("pc-1", False),
        wire.Status("pc-1", True, T0, "0.1.0"),
        wire.Status("pc-1", True, T0, "0.1.0", "hmac-sha256:" + "a" * 64),
    ],
)
def test_status_validates_and_dumps_to_the_same_bytes(status: wire.Status) -> None:
    payload = status.to_json()
    assert schema.Status.model_validate_json(payload).to_json() == payload


def test_a_signed_message_is_the_message_with_its_signature_field() -> None:
    unsigned = dataclasses.replace(full_message(), signature=None)
    signed = signing.sign(b"0123456789abcdef", unsigned.to_json())
    value = json.loads(signed)["signature"]
    assert signed == dataclasses.replace(unsigned, signature=value).to_json()
    assert schema.Telemetry.model_validate_json(signed).signature == value


_ident = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.:-]{0,20}\Z")
_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
_values = st.floats(allow_nan=False, allow_infinity=False, width=64)
_readings = st.builds(
    wire.Reading,
    ts=_times,
    metric=st.sampled_from(["power_watts", "energy_joules_total", "uptime_seconds"]),
    value=_values | st.integers(-(2**53), 2**53),
    source=st.sampled_from(["rapl", "battery", "model", "os", "self"]),
    quality=st.sampled_from(wire.Quality),
    component=st.none() | st.text(max_size=64),
)
_opt_seconds = st.none() | st.integers(0, 10**9)
_states = st.builds(
    wire.StateBlock,
    power_state=st.sampled_from(wire.PowerState),
    ts=st.none() | _times,
    idle_seconds=st.none() | st.floats(0, 1e9),
    boot_time=st.none() | _times,
    on_battery=st.none() | st.booleans(),
    sleep_settings=st.none()
    | st.builds(
        wire.SleepSettings,
        _opt_seconds,
        _opt_seconds,
        _opt_seconds,
        _opt_seconds,
        st.none() | st.booleans(),
    ),
    sleep_blockers=st.just([]),
    sleep_blockers_known=st.none() | st.booleans(),
    sleep_states=st.none()
    | st.builds(
        wire.SleepStates,
        st.lists(st.sampled_from(typing.get_args(wire.SleepStateName)), max_size=4),
        st.dictionaries(st.sampled_from(typing.get_args(wire.SleepStateName)), st.text()),
    ),
    slept=st.lists(st.builds(wire.SleptInterval, _times, _times), max_size=3),
)
_messages = st.builds(
    wire.Telemetry,
    device_id=_ident,
    seq=st.integers(0, 2**63 - 1),
    sent_at=_times,
    epoch=st.none() | st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z"),
    kind=st.none() | st.sampled_from(["desktop", "laptop", "server"]),
    readings=st.lists(_readings, max_size=5),
    state=st.none() | _states,
)


@settings(max_examples=300, deadline=None)
@given(_messages)
def test_any_agent_message_validates_as_the_same_document(message: wire.Telemetry) -> None:
    payload = message.to_json()
    parsed = schema.Telemetry.model_validate_json(payload)
    # the same document (bytes may differ only in how a float's exponent is spelt)
    assert json.loads(parsed.to_json()) == json.loads(payload)
