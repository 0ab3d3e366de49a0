"""Typed data inside the collector: the records that cross the ledger boundary.

Values are in SI units, named with their unit (``power_watts``, ``energy_joules_total``,
``uptime_seconds``); durations in seconds; timestamps are timezone-aware UTC. The ledger takes
and returns these records, the analysis is pure functions over them, and nothing crosses that
boundary as a dict or a row. Hourly energy is :class:`collector.analysis.energy.HourlyEnergy`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from collector.wire import AnyReading
from contract.schema import Quality, SleepSettings, SleepStates


@dataclass(frozen=True, slots=True)
class Sample:
    """One validated reading of one device."""

    device_id: str
    ts: datetime
    metric: str
    value: float
    source: str
    quality: Quality
    component: str | None = None

    @classmethod
    def from_reading(cls, device_id: str, r: AnyReading) -> Sample:
        return cls(device_id, r.ts, r.metric, r.value, r.source, r.quality, r.component)


@dataclass(frozen=True, slots=True)
class StateObservation:
    """One state block as stored: ``idle_seconds`` since the last user input, None if unknown."""

    device_id: str
    ts: datetime
    power_state: str
    idle_seconds: float | None = None
    blockers: tuple[str, ...] = ()
    slept: tuple[tuple[datetime, datetime], ...] = ()
    blockers_known: bool = True  # False: the agent could not read its blockers


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """What the collector knows of a device that has reported (``None``: not known yet)."""

    device_id: str
    site: str | None = None
    kind: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    online: bool | None = None
    status_at: datetime | None = None
    power_state: str | None = None
    idle_seconds: float | None = None
    on_battery: bool | None = None
    sleep_settings: SleepSettings | None = None
    sleep_blockers: tuple[str, ...] | None = ()  # None: the agent could not read them
    sleep_states: SleepStates | None = None
    last_seq: int | None = None
    clock_skew_seconds: float | None = None
    messages: int = 0
    epoch: str | None = None  # agent epoch of its newest message ("" for an agent without)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A rejected message, kept with its first bytes, its size as received and the reason."""

    id: int
    received_at: datetime
    topic: str
    reason: str
    payload: bytes  # the first bytes of the payload, at most retention.dead_letter_payload_bytes
    payload_bytes: int  # the size of the payload as received

    @property
    def truncated(self) -> bool:
        return self.payload_bytes > len(self.payload)


@dataclass(frozen=True, slots=True)
class Violation:
    """A sleep window in which the device broke the policy (times UTC, durations in seconds)."""

    device_id: str
    window_start: datetime
    window_end: datetime
    first_seen: datetime
    last_seen: datetime
    max_idle_seconds: float
    awake_seconds: float
    blockers: tuple[str, ...]
    observations: int
    target_state: str
    evidence: str
    policy_group: str = ""


class ViolationState(StrEnum):
    """Where a violation is in its life cycle.

    open: found, the window before it was not a violation; ongoing: the device broke the policy
    in the window before too (a repeat); resolved: it complied in a later complete window (or
    later data showed it had complied); exempted: an exemption now covers the window.
    """

    OPEN = "open"
    ONGOING = "ongoing"
    RESOLVED = "resolved"
    EXEMPTED = "exempted"


ACTIVE_STATES = frozenset({ViolationState.OPEN, ViolationState.ONGOING})


@dataclass(frozen=True, slots=True)
class ViolationRecord:
    """A violation as the ledger keeps it. Identity: (device_id, window_start).

    ``streak`` counts the device's violated windows in a row ending with this one (1 for a
    first offence); ``opened_at`` is when it was first found, ``changed_at`` its last change
    of state, ``resolved_at`` when the device complied (the end of that window).
    """

    violation: Violation
    state: ViolationState
    streak: int
    opened_at: datetime
    changed_at: datetime
    resolved_at: datetime | None = None

    @property
    def device_id(self) -> str:
        return self.violation.device_id

    @property
    def window_start(self) -> datetime:
        return self.violation.window_start

    @property
    def key(self) -> tuple[str, datetime]:
        return (self.violation.device_id, self.violation.window_start)


@dataclass(frozen=True, slots=True)
class ViolationEvent:
    """One change of a violation's state, with its time (``previous`` None: newly found)."""

    device_id: str
    window_start: datetime
    at: datetime
    state: ViolationState
    previous: ViolationState | None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ExemptionRecord:
    """An exemption from the sleep policy recorded by an operator (``veille-collector exempt``).

    ``target`` is a device id, or a policy group's name when ``group`` is true. It applies up
    to and including the local day ``until``, then stops applying by itself. ``by`` and ``at``
    say who recorded it and when (UTC).
    """

    target: str
    group: bool
    until: date
    reason: str
    by: str
    at: datetime
    id: int = 0


@dataclass(frozen=True, slots=True)
class ReportTimes:
    """When one device went silent, for silence alerts: its last sample time (None: never
    reported) and each gap (last sample before, first sample after), oldest first."""

    device_id: str
    last: datetime | None
    gaps: tuple[tuple[datetime, datetime], ...] = ()


@dataclass(frozen=True, slots=True)
class ConfigViolationRecord:
    """A configuration violation (:mod:`collector.analysis.config_policy`: a sleep timeout over
    the group's maximum, a screensaver instead of sleep, a machine that cannot sleep) as the
    ledger keeps it. Identity: (device_id, rule, opened_at), so that a setting fixed and then
    broken again is a new violation, announced again. ``state`` is open, resolved (the setting
    was reported fixed) or exempted; ``evidence`` is the finding's text, with its values."""

    device_id: str
    rule: str
    state: ViolationState
    evidence: str
    policy_group: str
    opened_at: datetime
    changed_at: datetime
    resolved_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str, datetime]:
        return (self.device_id, self.rule, self.opened_at)


@dataclass(frozen=True, slots=True)
class ConfigViolationEvent:
    """One change of a configuration violation's state (``previous`` None: newly found);
    ``detail`` says why (the compliant setting, or the exemption)."""

    device_id: str
    rule: str
    opened_at: datetime
    at: datetime
    state: ViolationState
    previous: ViolationState | None
    detail: str = ""

    @property
    def key(self) -> tuple[str, str, datetime]:
        return (self.device_id, self.rule, self.opened_at)
