"""Wire schema v1: the JSON document an agent publishes and the collector validates.

One message carries one device's readings. Units are SI and are part of each metric name
(``power_watts``, ``energy_joules_total``, ``uptime_seconds``). Timestamps are timezone-aware
UTC. The collector imports these models, so agent and collector can never disagree on the
contract; ``veille-collector schema`` prints the JSON Schema for agents in other languages.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from contract.signing import SIGNATURE_PATTERN

SCHEMA_VERSION = 1
TOPIC_ROOT = "veille/v1"

#: Unit suffixes a metric name may end with. A name without one is refused.
METRIC_UNITS = (
    "_watts",
    "_joules_total",
    "_seconds",
    "_seconds_total",
    "_bytes",
    "_bytes_total",
    "_ratio",
    "_celsius",
    "_total",
)

IDENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
"""device_id and site: safe in an MQTT topic (no ``/``, ``+``, ``#``) and in a label."""

EPOCH_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
"""An agent epoch: a random id, e.g. 16 hex digits (the agent's) or a UUID."""


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp must carry a timezone (use UTC, e.g. 2026-01-05T08:00:00Z)")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC time
        raise ValueError("timestamp is out of range once in UTC") from None


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class Quality(StrEnum):
    """Whether a value was measured by a sensor or estimated by a model."""

    MEASURED = "measured"
    ESTIMATED = "estimated"


class PowerState(StrEnum):
    """What the machine was doing when the state block was taken."""

    ACTIVE = "active"  # a user gave input recently
    IDLE = "idle"  # awake, no user input for a while
    RESUMED = "resumed"  # first report after a sleep
    SHUTTING_DOWN = "shutting_down"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Reading(_Frozen):
    """One measured or estimated value, in SI units."""

    ts: AwareDatetime
    metric: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)
    value: float
    source: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    quality: Quality
    component: str | None = Field(
        default=None,
        max_length=64,
        description="Part of the device the value is about: 'package-0', 'dram', 'outlet-3'.",
    )

    @field_validator("metric")
    @classmethod
    def _unit_in_name(cls, metric: str) -> str:
        if not metric.endswith(METRIC_UNITS):
            raise ValueError(f"metric {metric!r} must end with its unit, one of {METRIC_UNITS}")
        return metric

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("value must be a finite number")
        return value


class SleepSettings(_Frozen):
    """Configured timeouts, in seconds; 0 means never. None means not known on this OS."""

    sleep_ac_seconds: int | None = Field(default=None, ge=0)
    sleep_battery_seconds: int | None = Field(default=None, ge=0)
    display_ac_seconds: int | None = Field(default=None, ge=0)
    display_battery_seconds: int | None = Field(default=None, ge=0)
    screensaver_enabled: bool | None = None


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
"""A sleep state, named the same on every OS. ``s0_low_power_idle``: Windows Modern Standby;
``suspend_to_idle``: Linux ``freeze``/``s2idle``; ``suspend``: Linux ``mem`` of a kernel that
does not say which variant; ``other``: a state the agent could not name (another language)."""

#: States that put the machine to sleep (hybrid sleep needs S1-S3; fast startup is a shutdown).
SLEEPING_STATES: frozenset[str] = frozenset(
    {"s0_low_power_idle", "suspend_to_idle", "s1", "s2", "s3", "suspend", "hibernate"}
)


class SleepStates(_Frozen):
    """The sleep states this machine offers (``powercfg /a``, ``/sys/power/state``).

    ``unavailable`` maps a state to the reasons the OS gives (its own words, in its language).
    """

    available: list[SleepStateName] = Field(default_factory=list, max_length=16)
    unavailable: dict[SleepStateName, str] = Field(default_factory=dict, max_length=16)

    @field_validator("unavailable")
    @classmethod
    def _short_reasons(cls, value: dict[str, str]) -> dict[str, str]:
        return {k: v[:300] for k, v in value.items()}

    @property
    def can_sleep(self) -> bool | None:
        """True if a sleeping state is available; None if only unnamed states are."""
        if SLEEPING_STATES & set(self.available):
            return True
        return None if "other" in self.available else False


class SleptInterval(_Frozen):
    """A sleep the agent detected after resuming (CLOCK_BOOTTIME minus CLOCK_MONOTONIC)."""

    start: AwareDatetime
    end: AwareDatetime


class StateBlock(_Frozen):
    """What the sleep policy needs to know. Application names only, never user names."""

    power_state: PowerState
    ts: AwareDatetime | None = Field(
        default=None, description="When the state was read; default: the newest reading's ts."
    )
    idle_seconds: float | None = Field(default=None, ge=0)
    boot_time: AwareDatetime | None = None
    on_battery: bool | None = None
    sleep_settings: SleepSettings | None = None
    sleep_blockers: list[str] = Field(default_factory=list, max_length=50)
    sleep_blockers_known: bool | None = Field(
        default=None,
        description="False: the agent could not read its sleep blockers (the command failed or"
        " its output was empty, cut or garbled), so an empty sleep_blockers means unknown, not"
        " none. Absent (older agents): sleep_blockers is taken as read.",
    )
    sleep_states: SleepStates | None = Field(
        default=None, description="Sleep states available; absent when unknown."
    )
    slept: list[SleptInterval] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _unknown_means_empty(self) -> StateBlock:
        if self.sleep_blockers_known is False and self.sleep_blockers:
            raise ValueError("sleep_blockers must be empty when sleep_blockers_known is false")
        return self

    @property
    def blockers_unknown(self) -> bool:
        """True when the agent said it could not read its sleep blockers."""
        return self.sleep_blockers_known is False


class Telemetry(_Frozen):
    """One message on ``veille/v1/<site>/<device_id>/telemetry``."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_version: Literal[1] = Field(default=1, alias="schema")
    device_id: str = Field(pattern=IDENT_PATTERN)
    seq: int = Field(
        ge=0,
        le=2**63 - 1,
        description="Per-device sequence number (signed 64-bit); duplicates are dropped.",
    )
    epoch: str | None = Field(
        default=None,
        pattern=EPOCH_PATTERN,
        description="Random id made when the agent's spool was created: a recreated spool "
        "starts again at seq 0 under a new epoch. Optional (older agents send none).",
    )
    sent_at: AwareDatetime
    kind: str | None = Field(default=None, max_length=32, description="desktop, laptop, server…")
    readings: list[Reading] = Field(default_factory=list, max_length=10_000)
    state: StateBlock | None = None
    signature: str | None = Field(
        default=None,
        pattern=SIGNATURE_PATTERN,
        description="Optional HMAC of the message by the device's key, always the last field "
        "(contract/signing.py); checked by collectors that hold a key for the device.",
    )

    @property
    def observed_at(self) -> datetime:
        """When this message's state was true: the state's own ts, else the newest reading's
        (a backlog is sent long after it was read, so ``sent_at`` would be wrong)."""
        if self.state is not None and self.state.ts is not None:
            return self.state.ts
        return max((r.ts for r in self.readings), default=self.sent_at)

    def to_json(self) -> bytes:
        """Serialise with the wire field names (``schema``, not ``schema_version``)."""
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()


class Status(_Frozen):
    """The retained message on ``veille/v1/<site>/<device_id>/status`` (also the last will)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_version: Literal[1] = Field(default=1, alias="schema")
    device_id: str = Field(pattern=IDENT_PATTERN)
    online: bool
    ts: AwareDatetime | None = None
    agent_version: str | None = None
    signature: str | None = Field(default=None, pattern=SIGNATURE_PATTERN)

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()


TopicKind = Literal["telemetry", "status"]


def topic(site: str, device_id: str, kind: TopicKind) -> str:
    """The MQTT topic for one device's telemetry or status."""
    return f"{TOPIC_ROOT}/{site}/{device_id}/{kind}"


def parse_topic(name: str) -> tuple[str, str, str]:
    """Split a topic into (site, device_id, kind); raise ValueError on any other shape."""
    parts = name.split("/")
    if (
        len(parts) != 5
        or "/".join(parts[:2]) != TOPIC_ROOT
        or parts[4] not in ("telemetry", "status")
    ):
        raise ValueError(
            f"topic {name!r} is not {TOPIC_ROOT}/<site>/<device_id>/<telemetry|status>"
        )
    return parts[2], parts[3], parts[4]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
