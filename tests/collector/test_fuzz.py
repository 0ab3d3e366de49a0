"""Fuzzing the payload validator (hypothesis): no escaped exception, no rejection without a
reason, no absurd value accepted.

The oracle reads ``collector/ingest/bounds.toml`` itself and checks an accepted message field
by field, without the validator's code. Profiles: ``make test`` runs 6,000 cases (5 × 1,200),
derandomised (the same cases each run); ``VEILLE_FUZZ=nightly`` runs 250,000 (5 × 50,000),
random each time (README, "Hostile input").
"""

from __future__ import annotations

import json
import os
import string
import tomllib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.ingest.validate import Limits, Rejected, ValidStatus, ValidTelemetry, validate
from collector.wire import AnyReading, Message
from contract.schema import Status
from tests.collector.hostile_cases import NOW, TOPIC, dump, good_doc, good_message

NIGHTLY = os.environ.get("VEILLE_FUZZ") == "nightly"
FUZZ = settings(
    max_examples=50_000 if NIGHTLY else 1_200,
    derandomize=not NIGHTLY,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
pytestmark = pytest.mark.timeout(3600 if NIGHTLY else 180)
LIMITS = Limits()
TABLE = tomllib.loads(
    (Path(__file__).parents[2] / "collector/ingest/bounds.toml").read_text(encoding="utf-8")
)

# -- the oracle: what no accepted message may hold -----------------------------------------


def _metric_range(metric: str) -> tuple[float, float] | None:
    if metric in TABLE["metrics"]:
        r = TABLE["metrics"][metric]
        return float(r["min"]), float(r["max"])
    units = sorted((u for u in TABLE["units"] if metric.endswith(u)), key=len)
    if not units:
        return None
    r = TABLE["units"][units[-1]]
    return float(r["min"]), float(r["max"])


def _clean(text: str | None) -> bool:
    if text is None:
        return True
    limit = TABLE["fields"]["string_max_chars"]
    return len(text) <= limit and all(ord(c) >= 0x20 and ord(c) != 0x7F for c in text)


def absurd(msg: Message, received_at: datetime) -> list[str]:
    """Every way an accepted message breaks the bounds table (empty: nothing absurd)."""
    f = TABLE["fields"]
    low = received_at - timedelta(days=30)
    high = received_at + timedelta(minutes=5)
    found = []
    readings: list[AnyReading] = list(msg.readings)
    if not 0 <= msg.seq <= f["seq_max"]:
        found.append("seq")
    stamps = [("sent_at", msg.sent_at)] + [(f"ts{i}", r.ts) for i, r in enumerate(readings)]
    for i, r in enumerate(readings):
        bounds = _metric_range(r.metric)
        if bounds is None or not bounds[0] <= r.value <= bounds[1]:
            found.append(f"value {r.metric}={r.value}")
        if not _clean(r.component):
            found.append(f"component {i}")
    if not _clean(msg.kind):
        found.append("kind")
    st_ = msg.state
    if st_ is not None:
        if st_.ts is not None:
            stamps.append(("state.ts", st_.ts))
        if st_.boot_time is not None and not (
            received_at - timedelta(days=f["uptime_max_days"]) <= st_.boot_time <= high
        ):
            found.append("boot_time")
        if st_.idle_seconds is not None and not 0 <= st_.idle_seconds <= f["idle_seconds_max"]:
            found.append("idle_seconds")
        if st_.sleep_settings is not None:
            for k, v in st_.sleep_settings.model_dump().items():
                if type(v) is int and not 0 <= v <= f["sleep_timeout_seconds_max"]:
                    found.append(k)
        found += [f"blocker {b!r}" for b in st_.sleep_blockers if not _clean(b)]
        if st_.sleep_states is not None:
            found += [
                f"sleep state reason {k}"
                for k, v in st_.sleep_states.unavailable.items()
                if not all(ord(c) >= 0x20 and ord(c) != 0x7F for c in v)
            ]
        end = None
        for s in st_.slept:
            if not (low <= s.start <= s.end <= msg.sent_at) or (end is not None and s.start < end):
                found.append("slept")
            end = s.end
    found += [name for name, ts in stamps if not low <= ts <= high]
    return found


def check(payload: bytes, topic: str = TOPIC) -> None:
    """The property: a verdict, or a rejection with code and reason; nothing else."""
    try:
        verdict = validate(topic, payload, NOW, LIMITS)
    except Rejected as rej:
        assert rej.code and isinstance(rej.code, str)
        assert rej.reason and isinstance(rej.reason, str)
        return
    site_chars = set(string.ascii_letters + string.digits + "_.:-")
    assert 1 <= len(verdict.site) <= 128 and set(verdict.site) <= site_chars, verdict.site
    assert verdict.site[0].isascii() and verdict.site[0].isalnum()
    if isinstance(verdict, ValidTelemetry):
        assert absurd(verdict.message, NOW) == [], payload[:300]
    else:
        assert isinstance(verdict, ValidStatus)
        ts = verdict.status.ts
        assert ts is None or ts <= NOW + timedelta(minutes=5)
        assert _clean(verdict.status.agent_version)


# -- strategies ------------------------------------------------------------------------------

offsets = st.builds(lambda m: timezone(timedelta(minutes=m)), st.integers(-23 * 60, 23 * 60))
near = st.builds(
    lambda s, tz: (NOW + timedelta(seconds=s)).astimezone(tz).isoformat(),
    st.integers(-40 * 86_400, 86_400),
    offsets,
)
extreme = st.builds(
    lambda d, tz: d.replace(tzinfo=tz).isoformat(),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)),
    offsets,
)
timestamps: st.SearchStrategy[Any] = st.one_of(
    near, near, extreme, st.just("1970-01-01T00:00:00Z"), st.text(max_size=30), st.integers()
)
numbers: st.SearchStrategy[Any] = st.one_of(
    st.floats(-10, 30_000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(10**25), 10**25),
    st.sampled_from([1e300, -1e300, 2**63, 2**64, 10**400, -1, 0, 1e-300, 5e-324]),
)
texts: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(["package-0", "dram", "system:process", "laptop", "1.2.3", ""]),
    st.text(max_size=200),
    st.text(alphabet=st.characters(max_codepoint=0x7F), min_size=120, max_size=140),
)
metrics = st.sampled_from(
    [
        "power_watts",
        "energy_joules_total",
        "uptime_seconds",
        "agent_cpu_seconds_total",
        "gpu_celsius",
        "cpu_ratio",
        "agent_resident_bytes",
        "agent_sent_bytes_total",
        "energy_counter_wraps_total",
        "power_watt",
        "Power_watts",
    ]
)


def _nest(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner)


json_values = st.recursive(st.none() | st.booleans() | numbers | texts, _nest, max_leaves=8)
anything: st.SearchStrategy[Any] = st.one_of(numbers, texts, timestamps, json_values)

reading = st.fixed_dictionaries(
    {
        "ts": timestamps,
        "metric": metrics,
        "value": numbers,
        "source": st.sampled_from(["rapl", "model", "os", "Bad source"]),
        "quality": st.sampled_from(["measured", "estimated", "guessed"]),
    },
    optional={"component": texts},
)
interval = st.fixed_dictionaries({"start": timestamps, "end": timestamps})
state = st.fixed_dictionaries(
    {"power_state": st.sampled_from(["active", "idle", "resumed", "asleep"])},
    optional={
        "ts": timestamps,
        "idle_seconds": numbers,
        "boot_time": timestamps,
        "on_battery": st.booleans(),
        "sleep_settings": st.fixed_dictionaries(
            {}, optional={"sleep_ac_seconds": numbers, "display_ac_seconds": numbers}
        ),
        "sleep_blockers": st.lists(texts, max_size=4),
        "slept": st.lists(interval, max_size=4),
    },
)
telemetry_docs = st.fixed_dictionaries(
    {
        "schema": st.sampled_from([1, 1, 1, 1, 2, 0, "1", True]),
        "device_id": st.sampled_from(["pc-1", "pc-1", "pc-1", "pc-2", "pc-1\u0000"]),
        "seq": st.one_of(st.integers(0, 1000), numbers),
        "sent_at": timestamps,
        "readings": st.lists(reading, max_size=4),
    },
    optional={"kind": texts, "state": state},
)


@FUZZ
@given(telemetry_docs)
def test_fuzz_structured_messages(doc: dict[str, Any]) -> None:
    check(json.dumps(doc).encode())


def _set(doc: Any, path: list[Any], value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def _leaves(doc: Any, prefix: list[Any]) -> list[list[Any]]:
    if isinstance(doc, dict):
        return [p for k, v in doc.items() for p in _leaves(v, [*prefix, k])] or [prefix]
    if isinstance(doc, list):
        return [p for i, v in enumerate(doc) for p in _leaves(v, [*prefix, i])] or [prefix]
    return [prefix]


PATHS = [p for p in _leaves(good_doc(), []) if p]


@FUZZ
@given(st.sampled_from(PATHS), anything)
def test_fuzz_one_field_of_a_valid_message(path: list[Any], value: Any) -> None:
    doc = good_doc()
    _set(doc, path, value)
    check(json.dumps(doc).encode())


GOOD = good_message().to_json()


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=600),
        st.builds(
            lambda at, cut, junk: GOOD[:at] + junk + GOOD[at + cut :],
            st.integers(0, len(GOOD)),
            st.integers(0, 8),
            st.binary(max_size=8),
        ),
    ),
    st.one_of(
        st.sampled_from([TOPIC, TOPIC.replace("telemetry", "status"), "veille/v1/a/b/c", ""]),
        st.builds("veille/v1/{}/pc-1/telemetry".format, st.text(max_size=140)),
    ),
)
def test_fuzz_raw_bytes(payload: bytes, topic: str) -> None:
    check(payload, topic)


@FUZZ
@given(st.fixed_dictionaries({"ts": timestamps, "agent_version": texts, "online": anything}))
def test_fuzz_status(extra: dict[str, Any]) -> None:
    doc = json.loads(Status(device_id="pc-1", online=True).to_json())
    doc.update(extra)
    check(dump(doc), TOPIC.replace("telemetry", "status"))


def test_the_oracle_flags_what_it_must() -> None:
    """The oracle itself: it passes the good message and catches each absurdity."""
    good = good_message()
    assert absurd(good, NOW) == []
    hot = good.model_copy(
        update={"readings": [good.readings[0].model_copy(update={"value": 1e300})]}
    )
    assert absurd(hot, NOW) == ["value power_watts=1e+300"]
    old = good.model_copy(update={"sent_at": datetime(1970, 1, 1, tzinfo=UTC)})
    assert "sent_at" in absurd(old, NOW)


@FUZZ
@given(st.text(max_size=140), st.sampled_from(["telemetry", "status"]))
def test_fuzz_site_in_the_topic(site: str, kind: str) -> None:
    payload = GOOD if kind == "telemetry" else Status(device_id="pc-1", online=True).to_json()
    check(payload, f"veille/v1/{site}/pc-1/{kind}")
