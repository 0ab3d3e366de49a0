"""Wire schema v1 as the agent builds it: plain dataclasses and ``json``, no pydantic.

The contract is :mod:`contract.schema` (pydantic models: the collector validates with them and
``veille-collector schema`` prints their JSON Schema). The agent's running process builds its
messages with these dataclasses instead, so it never imports pydantic (about 11 MB resident
memory saved; bench/README.md, "Agent footprint"). Same class names, same fields in the same
order, same JSON as ``Telemetry.to_json()`` (``model_dump_json(by_alias=True,
exclude_none=True)``): ``None`` fields left out, UTC times as ``...Z``, values as floats.
``tests/unit/test_wire.py`` checks field for field that every message built here validates
against :mod:`contract.schema` and dumps back to the same bytes, and that both define the same
fields, so the two cannot drift. Nothing is validated here: the schema's tests do that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

SCHEMA_VERSION: Literal[1] = 1
TOPIC_ROOT = "veille/v1"

JsonValue = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"]


class Quality(StrEnum):
    """Whether a value was measured by a sensor or estimated by a model."""

    MEASURED = "measured"
    ESTIMATED = "estimated"


class PowerState(StrEnum):
    """What the machine was doing when the state block was taken."""

    ACTIVE = "active"
    IDLE = "idle"
    RESUMED = "resumed"
    SHUTTING_DOWN = "shutting_down"


SleepStateName = Literal[
    "s0_low_power_idle",
    "suspend_to_idle",
    "s1",
    "s2",
    "s3",
    "suspend",
    "hibernate",
    "hybrid_sleep",
    "fast_startup",
    "other",
]
"""The same names as :data:`contract.schema.SleepStateName`."""

#: States that put the machine to sleep (:data:`contract.schema.SLEEPING_STATES`).
SLEEPING_STATES: frozenset[str] = frozenset(
    {"s0_low_power_idle", "suspend_to_idle", "s1", "s2", "s3", "suspend", "hibernate"}
)

REASON_MAX_CHARS = 300
"""``SleepStates.unavailable`` reasons are cut here, as the schema does."""


def iso(ts: datetime) -> str:
    """A timestamp as pydantic writes it: ISO 8601, UTC as ``Z``."""
    text = ts.astimezone(UTC).isoformat() if ts.tzinfo is not None else ts.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _drop_none(pairs: dict[str, JsonValue | None]) -> dict[str, JsonValue]:
    return {k: v for k, v in pairs.items() if v is not None}


def _opt_iso(ts: datetime | None) -> str | None:
    return None if ts is None else iso(ts)


class _Wire:
    """``to_json`` for every block: its ``to_wire`` document as pydantic would write it."""

    __slots__ = ()

    def to_wire(self) -> dict[str, JsonValue]:
        raise NotImplementedError

    def to_json(self) -> bytes:
        return dumps(self.to_wire())


@dataclass(frozen=True, slots=True)
class Reading(_Wire):
    """One measured or estimated value, in SI units (:class:`contract.schema.Reading`)."""

    ts: datetime
    metric: str
    value: float
    source: str
    quality: Quality
    component: str | None = None

    def to_wire(self) -> dict[str, JsonValue]:
        return _drop_none(
            {
                "ts": iso(self.ts),
                "metric": self.metric,
                "value": float(self.value),
                "source": self.source,
                "quality": self.quality.value,
                "component": self.component,
            }
        )


@dataclass(frozen=True, slots=True)
class SleepSettings(_Wire):
    """Configured timeouts, in seconds; 0 means never; None: not known on this OS."""

    sleep_ac_seconds: int | None = None
    sleep_battery_seconds: int | None = None
    display_ac_seconds: int | None = None
    display_battery_seconds: int | None = None
    screensaver_enabled: bool | None = None

    def to_wire(self) -> dict[str, JsonValue]:
        return _drop_none(
            {
                "sleep_ac_seconds": self.sleep_ac_seconds,
                "sleep_battery_seconds": self.sleep_battery_seconds,
                "display_ac_seconds": self.display_ac_seconds,
                "display_battery_seconds": self.display_battery_seconds,
                "screensaver_enabled": self.screensaver_enabled,
            }
        )


@dataclass(frozen=True, slots=True)
class SleepStates(_Wire):
    """The sleep states this machine offers, and the OS's reasons for the others."""

    available: list[SleepStateName] = field(default_factory=list)
    unavailable: dict[SleepStateName, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cut = {k: v[:REASON_MAX_CHARS] for k, v in self.unavailable.items()}
        object.__setattr__(self, "unavailable", cut)

    @property
    def can_sleep(self) -> bool | None:
        """True if a sleeping state is available; None if only unnamed states are."""
        if SLEEPING_STATES & set(self.available):
            return True
        return None if "other" in self.available else False

    def to_wire(self) -> dict[str, JsonValue]:
        reasons: dict[str, JsonValue] = {str(k): v for k, v in self.unavailable.items()}
        return {"available": list[JsonValue](self.available), "unavailable": reasons}


@dataclass(frozen=True, slots=True)
class SleptInterval(_Wire):
    """A sleep the agent detected after resuming."""

    start: datetime
    end: datetime

    def to_wire(self) -> dict[str, JsonValue]:
        return {"start": iso(self.start), "end": iso(self.end)}


@dataclass(frozen=True, slots=True)
class StateBlock(_Wire):
    """What the sleep policy needs to know (:class:`contract.schema.StateBlock`)."""

    power_state: PowerState
    ts: datetime | None = None
    idle_seconds: float | None = None
    boot_time: datetime | None = None
    on_battery: bool | None = None
    sleep_settings: SleepSettings | None = None
    sleep_blockers: list[str] = field(default_factory=list)
    sleep_blockers_known: bool | None = None
    sleep_states: SleepStates | None = None
    slept: list[SleptInterval] = field(default_factory=list)

    @property
    def blockers_unknown(self) -> bool:
        """True when the agent said it could not read its sleep blockers."""
        return self.sleep_blockers_known is False

    def to_wire(self) -> dict[str, JsonValue]:
        return _drop_none(
            {
                "power_state": self.power_state.value,
                "ts": _opt_iso(self.ts),
                "idle_seconds": None if self.idle_seconds is None else float(self.idle_seconds),
                "boot_time": _opt_iso(self.boot_time),
                "on_battery": self.on_battery,
                "sleep_settings": self.sleep_settings.to_wire() if self.sleep_settings else None,
                "sleep_blockers": list(self.sleep_blockers),
                "sleep_blockers_known": self.sleep_blockers_known,
                "sleep_states": self.sleep_states.to_wire() if self.sleep_states else None,
                "slept": [s.to_wire() for s in self.slept],
            }
        )


@dataclass(frozen=True, slots=True)
class Telemetry(_Wire):
    """One message on ``veille/v1/<site>/<device_id>/telemetry``."""

    device_id: str
    seq: int
    sent_at: datetime
    epoch: str | None = None
    kind: str | None = None
    readings: list[Reading] = field(default_factory=list)
    state: StateBlock | None = None
    signature: str | None = None
    schema_version: Literal[1] = SCHEMA_VERSION

    def to_wire(self) -> dict[str, JsonValue]:
        # The schema's field order (contract.schema.Telemetry), so the bytes are the same.
        return _drop_none(
            {
                "schema": self.schema_version,
                "device_id": self.device_id,
                "seq": self.seq,
                "epoch": self.epoch,
                "sent_at": iso(self.sent_at),
                "kind": self.kind,
                "readings": [r.to_wire() for r in self.readings],
                "state": self.state.to_wire() if self.state else None,
                "signature": self.signature,
            }
        )


@dataclass(frozen=True, slots=True)
class Status(_Wire):
    """The retained message on ``veille/v1/<site>/<device_id>/status`` (also the last will)."""

    device_id: str
    online: bool
    ts: datetime | None = None
    agent_version: str | None = None
    signature: str | None = None
    schema_version: Literal[1] = SCHEMA_VERSION

    def to_wire(self) -> dict[str, JsonValue]:
        return _drop_none(
            {
                "schema": self.schema_version,
                "device_id": self.device_id,
                "online": self.online,
                "ts": _opt_iso(self.ts),
                "agent_version": self.agent_version,
                "signature": self.signature,
            }
        )


def dumps(doc: dict[str, JsonValue]) -> bytes:
    """Compact UTF-8 JSON, as pydantic's ``model_dump_json`` writes it."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


TopicKind = Literal["telemetry", "status"]


def topic(site: str, device_id: str, kind: TopicKind) -> str:
    """The MQTT topic for one device's telemetry or status."""
    return f"{TOPIC_ROOT}/{site}/{device_id}/{kind}"


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
