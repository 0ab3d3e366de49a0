"""Bounds for every field of a message: physical limits, time window, sizes. Pure.

The limits are data, in ``bounds.toml`` next to this module (documented there and in the
README's "Hostile input"); this module only applies them. A value outside its bounds rejects
the whole message with the field's path and the bound it broke: half a message is never stored.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from collector.ingest.rejection import Rejected
from collector.wire import AnyReading, Message
from contract.schema import Status

BOUNDS_FILE = Path(__file__).with_name("bounds.toml")
#: Control characters (NUL included) are refused in free-text fields: they break logs and
#: PostgreSQL text columns.
_CONTROL = frozenset(chr(c) for c in (*range(0x20), 0x7F))


@dataclass(frozen=True, slots=True)
class Range:
    min: float
    max: float


@dataclass(frozen=True, slots=True)
class Bounds:
    """The table of ``bounds.toml``, typed."""

    units: dict[str, Range]
    metrics: dict[str, Range]
    seq_max: int
    idle_seconds_max: float
    uptime_max: timedelta
    sleep_timeout_seconds_max: int
    string_max_chars: int
    _by_metric: dict[str, Range] = field(default_factory=dict, compare=False, repr=False)

    def for_metric(self, metric: str) -> Range | None:
        """The metric's own bounds, else those of its longest matching unit suffix."""
        found = self._by_metric.get(metric)
        if found is None:
            found = self.metrics.get(metric)
            if found is None:
                suffixes = [s for s in self.units if metric.endswith(s)]
                if not suffixes:
                    return None
                found = self.units[max(suffixes, key=len)]
            self._by_metric[metric] = found
        return found


def _range(table: dict[str, object], where: str) -> Range:
    lo, hi = table.get("min"), table.get("max")
    if not isinstance(lo, int | float) or not isinstance(hi, int | float) or lo > hi:
        raise ValueError(f"{BOUNDS_FILE.name}: {where} needs numbers min <= max")
    return Range(float(lo), float(hi))


def parse_bounds(doc: dict[str, object]) -> Bounds:
    """Bounds from a parsed ``bounds.toml``; ValueError naming the bad table."""
    units = doc.get("units", {})
    metrics = doc.get("metrics", {})
    fields = doc.get("fields", {})
    if not isinstance(units, dict) or not isinstance(metrics, dict) or not isinstance(fields, dict):
        raise ValueError(f"{BOUNDS_FILE.name}: units, metrics and fields must be tables")
    try:
        return Bounds(
            units={k: _range(v, f"units.{k}") for k, v in units.items()},
            metrics={k: _range(v, f"metrics.{k}") for k, v in metrics.items()},
            seq_max=int(fields["seq_max"]),
            idle_seconds_max=float(fields["idle_seconds_max"]),
            uptime_max=timedelta(days=float(fields["uptime_max_days"])),
            sleep_timeout_seconds_max=int(fields["sleep_timeout_seconds_max"]),
            string_max_chars=int(fields["string_max_chars"]),
        )
    except KeyError as exc:
        raise ValueError(f"{BOUNDS_FILE.name}: fields.{exc.args[0]} is missing") from None


@cache
def default_bounds() -> Bounds:
    """The shipped table, read once."""
    return parse_bounds(tomllib.loads(BOUNDS_FILE.read_text(encoding="utf-8")))


@dataclass(frozen=True, slots=True)
class Window:
    """The times a message may speak of: ``oldest`` (received_at − max backlog) to
    ``horizon`` (received_at + allowed clock skew)."""

    received_at: datetime
    oldest: datetime
    horizon: datetime


def _in_window(path: str, ts: datetime, w: Window, oldest: datetime | None = None) -> None:
    low = w.oldest if oldest is None else oldest
    if ts > w.horizon:
        ahead = (ts - w.received_at).total_seconds()
        raise Rejected(
            "clock",
            f"{path} {ts.isoformat()} is {ahead:.0f} s in the future, beyond the allowed clock "
            "skew (agent clock wrong?)",
        )
    if ts < low:
        raise Rejected(
            "timestamp",
            f"{path} {ts.isoformat()} is outside [{low.isoformat()}, {w.horizon.isoformat()}]",
        )


def _text(path: str, value: str | None, b: Bounds) -> None:
    if value is None:
        return
    if len(value) > b.string_max_chars:
        raise Rejected("string", f"{path} is {len(value)} characters, above {b.string_max_chars}")
    if not _CONTROL.isdisjoint(value):
        raise Rejected("string", f"{path} holds a control character (NUL, newline…)")


def _texts(path: str, values: Iterable[str], b: Bounds) -> None:
    for i, v in enumerate(values):
        _text(f"{path}.{i}", v, b)


def check_telemetry(msg: Message, w: Window, b: Bounds) -> None:
    """Raise :class:`Rejected` at the first field outside its bounds."""
    if msg.seq > b.seq_max:
        raise Rejected("bounds", f"seq {msg.seq} is above {b.seq_max} (signed 64-bit)")
    _in_window("sent_at", msg.sent_at, w)
    _text("kind", msg.kind, b)
    # The hot path (50 readings a message): plain comparisons first, the reason only on failure.
    oldest, horizon, chars, lookup = w.oldest, w.horizon, b.string_max_chars, b.for_metric
    readings: Sequence[AnyReading] = msg.readings
    for i, r in enumerate(readings):
        if not oldest <= r.ts <= horizon:
            _in_window(f"readings.{i}.ts", r.ts, w)
        rng = lookup(r.metric)
        if rng is None or not rng.min <= r.value <= rng.max:
            where = "without bounds" if rng is None else f"outside [{rng.min:g}, {rng.max:g}]"
            if r.value < 0 and (rng is None or rng.min >= 0):
                where = f"negative, {where}"
            raise Rejected("bounds", f"readings.{i}: {r.metric} = {r.value:g} is {where}")
        c = r.component
        if c is not None and (len(c) > chars or not _CONTROL.isdisjoint(c)):
            _text(f"readings.{i}.component", c, b)
    st = msg.state
    if st is None:
        return
    if st.ts is not None:
        _in_window("state.ts", st.ts, w)
    if st.boot_time is not None:
        _in_window("state.boot_time", st.boot_time, w, oldest=w.received_at - b.uptime_max)
    if st.idle_seconds is not None and st.idle_seconds > b.idle_seconds_max:
        raise Rejected(
            "bounds", f"state.idle_seconds {st.idle_seconds:g} is above {b.idle_seconds_max:g}"
        )
    if st.sleep_settings is not None:
        for name, value in st.sleep_settings.model_dump().items():
            too_long = not isinstance(value, bool) and isinstance(value, int)
            if too_long and value > b.sleep_timeout_seconds_max:
                raise Rejected(
                    "bounds",
                    f"state.sleep_settings.{name} {value} is above {b.sleep_timeout_seconds_max}",
                )
    _texts("state.sleep_blockers", st.sleep_blockers, b)
    if st.sleep_states is not None:  # the OS's own words, up to 300 characters (the schema cuts)
        for name, reason in st.sleep_states.unavailable.items():
            if not _CONTROL.isdisjoint(reason):
                raise Rejected(
                    "string",
                    f"state.sleep_states.unavailable.{name} holds a control character "
                    "(NUL, newline…)",
                )
    previous_end: datetime | None = None
    for i, s in enumerate(st.slept):
        path = f"state.slept.{i}"
        _in_window(f"{path}.start", s.start, w)
        if s.end < s.start:
            raise Rejected("slept", f"{path} ends ({s.end.isoformat()}) before it starts")
        if s.end > msg.sent_at:
            raise Rejected("slept", f"{path} ends after sent_at {msg.sent_at.isoformat()}")
        if previous_end is not None and s.start < previous_end:
            raise Rejected("slept", f"{path} starts before the previous interval ends")
        previous_end = s.end


def check_status(status: Status, w: Window, b: Bounds) -> None:
    """A retained status may be old (a device off for months), never in the future."""
    if status.ts is not None:
        _in_window("ts", status.ts, w, oldest=w.received_at - b.uptime_max)
    _text("agent_version", status.agent_version, b)
