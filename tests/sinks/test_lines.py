"""Samples become line protocol with the right name, tags, value and nanosecond timestamp."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from collector.model import Sample
from collector.sinks.lines import encode, encode_readings, payload, unix_ns
from contract.schema import Quality

TS = datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def sample(**kw: object) -> Sample:
    base: dict[str, object] = {
        "device_id": "pc-001",
        "ts": TS,
        "metric": "power_watts",
        "value": 42.5,
        "source": "rapl",
        "quality": Quality.MEASURED,
    }
    base.update(kw)
    return Sample(**base)  # type: ignore[arg-type]


def test_unix_ns_is_exact_and_zone_independent() -> None:
    assert unix_ns(TS) == 1_709_294_400_123_456_000
    paris = TS.astimezone(timezone(timedelta(hours=1)))
    assert unix_ns(paris) == unix_ns(TS)
    with pytest.raises(ValueError, match="naive"):
        unix_ns(TS.replace(tzinfo=None))


def test_one_line_per_sample_with_tags_and_field() -> None:
    enc = encode([sample(component="package-0")], "veille", lambda d: {"site": "mairie"})
    assert enc.skipped == 0
    assert enc.lines == [
        "veille,component=package-0,device_id=pc-001,quality=measured,site=mairie,source=rapl "
        "power_watts=42.5 1709294400123456000"
    ]


def test_sample_tags_win_and_empty_tags_are_left_out() -> None:
    def inventory(device_id: str) -> dict[str, str]:
        return {"device_id": "spoofed", "datacentre": "", "site": "Hôtel de ville, aile B"}

    (line,) = encode([sample()], "veille", inventory).lines
    assert "device_id=pc-001" in line and "spoofed" not in line
    assert "datacentre" not in line and "component" not in line
    assert r"site=Hôtel\ de\ ville\,\ aile\ B" in line


def test_non_finite_values_are_counted_not_written() -> None:
    enc = encode([sample(value=float("nan")), sample(value=float("inf")), sample()], "veille")
    assert enc.skipped == 2
    assert len(enc.lines) == 1
    assert payload(enc.lines) == (enc.lines[0] + "\n").encode()
    assert payload([]) == b""


def test_readings_give_the_lines_of_their_samples() -> None:
    """``encode_readings`` (the ingest path, no Sample made) writes exactly what ``encode``
    writes for the same readings as samples, from either decoder's readings."""
    from collector.ingest import fast
    from collector.wire import AnyReading
    from contract.schema import Telemetry
    from tests.collector.hostile_cases import good_message

    payload_ = good_message().to_json()
    full = Telemetry.model_validate_json(payload_)
    wire = fast.decode(payload_)
    assert wire is not None
    tags = {"pc-1": {"site": "mairie", "kind": "laptop"}}
    for readings in (list[AnyReading](full.readings), list[AnyReading](wire.readings)):
        samples = [Sample.from_reading("pc-1", r) for r in readings]
        want = encode(samples, "veille", lambda d: tags[d])
        got = encode_readings([("pc-1", readings)], "veille", lambda d: tags[d])
        assert got == want and len(got.lines) == 2
        assert got.lines[0].startswith("veille,") and "component=package-0" in got.lines[0]
