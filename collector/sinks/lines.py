"""Samples to InfluxDB line protocol, one line per sample, timestamps in nanoseconds.

Every sample becomes ``<measurement>,<tags> <metric>=<value> <unix ns>``: the measurement is
``TimeseriesSettings.measurement`` ("veille") and the field is the sample's metric, so
VictoriaMetrics names the series ``veille_power_watts`` and InfluxDB keeps one ``veille``
table with a column per metric. Values stay in the SI unit their metric name carries.

Tags: ``device_id``, ``source``, ``quality``, ``component`` (when set), plus whatever the
inventory gives for the device (domain, site, kind, datacentre). The sample's own tags win over
inventory tags of the same name; empty tag values are left out, as line protocol requires.
Escaping is influxdb-client's (``Point``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from influxdb_client.client.write.point import Point
from influxdb_client.domain.write_precision import WritePrecision

from collector.model import Sample
from contract.schema import Quality

PRECISION = WritePrecision.NS
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NS_PER_US = 1_000

TagsFor = Callable[[str], dict[str, str]]


def no_tags(device_id: str) -> dict[str, str]:
    """The default inventory lookup: no extra tags."""
    return {}


def unix_ns(ts: datetime) -> int:
    """Nanoseconds since the epoch, exact (integer arithmetic; datetimes carry microseconds)."""
    if ts.tzinfo is None:
        raise ValueError(f"naive timestamp {ts.isoformat()}: samples must be timezone-aware")
    return (ts - _EPOCH) // timedelta(microseconds=1) * _NS_PER_US


@dataclass(frozen=True, slots=True)
class Encoded:
    """A batch as line protocol, and how many samples could not be encoded (not finite)."""

    lines: list[str]
    skipped: int


def payload(lines: Sequence[str]) -> bytes:
    """The request body for some lines: UTF-8, one line per sample, newline-terminated."""
    return ("\n".join(lines) + "\n").encode() if lines else b""


def _line(measurement: str, tags: dict[str, str], field: str, value: float, ns: int) -> str:
    point = Point(measurement)  # type: ignore[no-untyped-call]
    for key, tag in tags.items():
        point.tag(key, tag)  # type: ignore[no-untyped-call]
    point.field(field, value).time(ns, PRECISION)  # type: ignore[no-untyped-call]
    return str(point.to_line_protocol())  # type: ignore[no-untyped-call]


class Readable(Protocol):
    """What a line is made of: a :class:`Sample`, or a reading with its device's id beside."""

    @property
    def ts(self) -> datetime: ...
    @property
    def metric(self) -> str: ...
    @property
    def value(self) -> float: ...
    @property
    def source(self) -> str: ...
    @property
    def quality(self) -> Quality: ...
    @property
    def component(self) -> str | None: ...


def encode(batch: Sequence[Sample], measurement: str, tags_for: TagsFor = no_tags) -> Encoded:
    """Encode a batch; the inventory is asked once per device per batch."""
    return _encode(((s.device_id, s) for s in batch), measurement, tags_for)


def encode_readings(
    messages: Iterable[tuple[str, Sequence[Readable]]],
    measurement: str,
    tags_for: TagsFor = no_tags,
) -> Encoded:
    """Encode (device id, its readings) pairs: the same lines as :func:`encode` of their
    samples, without making a :class:`Sample` of each reading first (that cost more than
    the encoding)."""
    return _Encoder(measurement, tags_for).run(messages)


def _encode(points: Iterable[tuple[str, Readable]], measurement: str, tags_for: TagsFor) -> Encoded:
    return _Encoder(measurement, tags_for).run((d, (s,)) for d, s in points)


class _Encoder:
    """One batch's encoding. Each series' escaped prefix (``measurement,tags field``) is built
    once per batch by influxdb-client and reused: escaping stays the library's, and the
    per-line cost is a format."""

    def __init__(self, measurement: str, tags_for: TagsFor) -> None:
        self._measurement, self._tags_for = measurement, tags_for
        self._prefixes: dict[tuple[str, str, str, str | None, str], str] = {}
        self._stamps: dict[datetime, int] = {}

    def run(self, messages: Iterable[tuple[str, Sequence[Readable]]]) -> Encoded:
        prefixes, stamps = self._prefixes, self._stamps
        out: list[str] = []
        skipped = 0
        isfinite = math.isfinite
        for device_id, readings in messages:
            for s in readings:
                value = float(s.value)
                if not isfinite(value):
                    skipped += 1
                    continue
                key = (device_id, s.source, s.quality, s.component, s.metric)
                prefix = prefixes.get(key)
                if prefix is None:
                    prefix = prefixes[key] = self._prefix(device_id, s)
                ns = stamps.get(s.ts)
                if ns is None:
                    ns = stamps[s.ts] = unix_ns(s.ts)
                text = repr(value)
                if text.endswith(".0"):
                    text = text[:-2]
                out.append(f"{prefix}={text} {ns}")
        return Encoded(out, skipped)

    def _prefix(self, device_id: str, s: Readable) -> str:
        tags = {
            **self._tags_for(device_id),
            "device_id": device_id,
            "source": s.source,
            "quality": str(s.quality),
        }
        if s.component:
            tags["component"] = s.component
        probe = _line(self._measurement, tags, s.metric, 1.0, 0)  # "<series> <field>=1 0"
        return probe[: -len("=1 0")]
