"""The ingest fast path (msgspec, ``collector/ingest/fast.py``) against the wire schema's
pydantic models: the same fields, and for every payload the same verdict, reason and values.

Payloads are written as agents write them (compact JSON, ``schema`` first), so the fast path
is tried on each; the same hypothesis strategies as ``test_fuzz.py`` feed it (6,000 cases in
``make test``, more with ``VEILLE_FUZZ=nightly``).
"""

from __future__ import annotations

import dataclasses
import json
import typing
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from collector.ingest import fast
from collector.ingest.validate import Limits, Rejected, ValidStatus, validate
from collector.wire import WireReading, WireTelemetry
from contract.schema import Reading, Telemetry
from tests.collector.hostile_cases import NOW, TOPIC, good_doc
from tests.collector.test_fuzz import FUZZ, PATHS, _set, anything, telemetry_docs

FAST, FULL = Limits(), Limits(fast_path=False)


def compact(doc: dict[str, Any]) -> bytes:
    """As an agent writes it: ``schema`` first, no spaces."""
    first = {"schema": doc.pop("schema")} if "schema" in doc else {}
    return json.dumps({**first, **doc}, separators=(",", ":")).encode()


def canon(msg: Telemetry | WireTelemetry) -> dict[str, Any]:
    """A message's content, whichever path read it."""
    state = msg.state.model_dump() if msg.state is not None else None
    readings = [
        {f: getattr(r, f) for f in Reading.model_fields}
        for r in typing.cast(list[Reading | WireReading], msg.readings)
    ]
    fields = ("schema_version", "device_id", "seq", "epoch", "sent_at", "kind")
    return {
        **{f: getattr(msg, f) for f in fields},
        "readings": readings,
        "state": state,
        "tz": [r["ts"].utcoffset() for r in readings] + [msg.sent_at.utcoffset()],
    }


def verdict(payload: bytes, limits: Limits, topic: str = TOPIC) -> tuple[str, Any]:
    try:
        valid = validate(topic, payload, NOW, limits)
    except Rejected as rej:
        return ("rejected", (rej.code, rej.reason))
    assert not isinstance(valid, ValidStatus)
    return ("accepted", (valid.site, canon(valid.message), valid.clock_skew_seconds))


def same(payload: bytes) -> None:
    """The property: both paths agree, what the fast path takes pydantic takes alike, and
    the writer process reads it again alike."""
    assert verdict(payload, FAST) == verdict(payload, FULL), payload[:300]
    wire = fast.decode(payload)
    if currently_in_test_context():  # --hypothesis-show-statistics: how often it was taken
        event("fast path" if wire is not None else "full path")
    if wire is not None:
        assert canon(wire) == canon(Telemetry.model_validate_json(payload)), payload[:300]
        # the ledger writer's unchecked read of the same accepted bytes: the same message
        again = fast.decode_accepted(payload)
        assert again is not None and canon(again) == canon(wire), payload[:300]
        assert again.signature == wire.signature


# -- the two descriptions of the schema -----------------------------------------------------


def test_the_structs_hold_the_schemas_fields_with_its_types() -> None:
    hints = typing.get_type_hints(WireReading)
    assert hints == {n: f.annotation for n, f in Reading.model_fields.items()}
    optional = [n for n, f in Reading.model_fields.items() if not f.is_required()]
    assert optional == ["component"] and Reading.model_fields["component"].default is None
    assert WireReading.__struct_fields__[-1] == "component"
    assert WireReading.__struct_defaults__ == (None,)
    wire = {f.name: f.type for f in dataclasses.fields(WireTelemetry)}
    assert set(wire) == set(Telemetry.model_fields)
    assert set(fast._Envelope.__struct_encode_fields__) == {
        f.alias or n for n, f in Telemetry.model_fields.items()
    }


def test_every_constraint_of_the_schema_is_one_the_fast_path_knows() -> None:
    """A new constraint or validator on the pydantic models fails here until the fast path
    (``collector/ingest/fast.py``) checks it too."""
    constraints = {
        (m.__name__, n, type(meta).__name__)
        for m in (Reading, Telemetry)
        for n, f in m.model_fields.items()
        for meta in f.metadata
    }
    assert constraints == {
        ("Reading", "ts", "AfterValidator"),  # timezone-aware, to UTC: UTC only here
        ("Reading", "metric", "MaxLen"),
        ("Reading", "metric", "_PydanticGeneralMetadata"),  # pattern
        ("Reading", "source", "MaxLen"),
        ("Reading", "source", "_PydanticGeneralMetadata"),
        ("Reading", "component", "MaxLen"),
        ("Telemetry", "device_id", "_PydanticGeneralMetadata"),
        ("Telemetry", "seq", "Ge"),
        ("Telemetry", "seq", "Le"),
        ("Telemetry", "epoch", "_PydanticGeneralMetadata"),
        ("Telemetry", "sent_at", "AfterValidator"),
        ("Telemetry", "kind", "MaxLen"),
        ("Telemetry", "readings", "MaxLen"),
        ("Telemetry", "signature", "_PydanticGeneralMetadata"),
    }
    validators = {
        (m.__name__, name)
        for m in (Reading, Telemetry)
        for name in (
            *m.__pydantic_decorators__.field_validators,
            *m.__pydantic_decorators__.model_validators,
        )
    }
    assert validators == {("Reading", "_unit_in_name"), ("Reading", "_finite")}


# -- the fast path is taken, and gives up where it must --------------------------------------


def test_an_agents_message_takes_the_fast_path() -> None:
    payload = compact(good_doc())
    wire = fast.decode(payload)
    assert isinstance(wire, WireTelemetry) and wire.state is not None
    assert canon(wire) == canon(Telemetry.model_validate_json(payload))
    assert wire.observed_at == Telemetry.model_validate_json(payload).observed_at


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["sent_at"], "2026-11-17T08:59:59.1234567Z"),  # msgspec would round, pydantic cuts
        (["readings", 0, "ts"], "2026-11-17T08:59:55.9999999Z"),
        (["readings", 0, "ts"], "2026-11-17T09:59:55+01:00"),  # pydantic moves it to UTC
        (["readings", 0, "value"], "12.5"),  # pydantic takes a number as a string
        (["seq"], 1.0),
        (["readings", 0, "metric"], "power_watts\n"),  # re's $ would take the newline
        (["device_id"], "pc-1\n"),
        (["state", "power_state"], "asleep"),
        (["readings", 0, "quality"], "guessed"),
    ],
)
def test_the_fast_path_leaves_the_doubtful_to_the_full_one(path: list[Any], value: Any) -> None:
    doc = good_doc()
    _set(doc, path, value)
    payload = compact(doc)
    assert fast.decode(payload) is None
    same(payload)


def test_a_time_in_utc_with_six_digits_is_read_alike() -> None:
    doc = good_doc()
    doc["readings"][0]["ts"] = "2026-11-17T08:59:55.123456+00:00"
    doc["readings"][1]["ts"] = "2026-11-17t08:59:55.5z"
    payload = compact(doc)
    wire = fast.decode(payload)
    assert wire is not None and wire.readings[0].ts.microsecond == 123456
    same(payload)


def test_a_nul_is_the_schemas_to_take_and_the_bounds_to_refuse() -> None:
    doc = good_doc()
    doc["kind"] = "lap\u0000top"
    payload = compact(doc)
    assert fast.decode(payload) is not None
    assert verdict(payload, FAST) == (
        "rejected",
        ("string", "kind holds a control character (NUL, newline…)"),
    )
    same(payload)


def test_a_lone_surrogate_is_refused_by_both() -> None:
    payload = compact(good_doc()).replace(b'"laptop"', b'"lap\\ud800"')
    assert fast.decode(payload) is None
    assert verdict(payload, FAST)[0] == "rejected"
    same(payload)


# -- fuzzed: same verdicts and reasons --------------------------------------------------------

fast_stamps = st.builds(
    lambda s, digits, end: (
        (NOW - timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%S")
        + ("." + "7" * digits if digits else "")
        + end
    ),
    st.integers(-600, 40 * 86_400),
    st.integers(0, 9),
    st.sampled_from(["Z", "z", "+00:00", "-00:00", "+0000", "+01:00", ""]),
)


@FUZZ
@given(telemetry_docs)
def test_fuzz_structured_messages_alike(doc: dict[str, Any]) -> None:
    same(compact(doc))


@FUZZ
@given(st.sampled_from(PATHS), st.one_of(anything, fast_stamps))
def test_fuzz_one_field_alike(path: list[Any], value: Any) -> None:
    doc = good_doc()
    _set(doc, path, value)
    same(compact(doc))


GOOD = compact(good_doc())


@FUZZ
@given(st.integers(0, len(GOOD)), st.integers(0, 8), st.binary(max_size=8))
def test_fuzz_bytes_of_a_message_alike(at: int, cut: int, junk: bytes) -> None:
    same(GOOD[:at] + junk + GOOD[at + cut :])
