"""Alert events: what analysis hands to the deliveries, typed and immutable.

One :class:`AlertEvent` is one change worth telling someone about: a sleep-policy violation
opened, repeated (a repeat offender, N windows in a row) or resolved; a configuration violation
(the device's own sleep settings) opened or resolved; PUE above its limit; a device that
stopped reporting; an access-point PoE port powered at night (the optional network policy).
Its ``key`` is stable across runs (a violation's is ``violation:<device_id>:<window_start ISO
8601 UTC>``) and, with its :attr:`AlertEvent.state`, identifies a delivery: the same (key,
state) is delivered once per channel. Times are timezone-aware UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class AlertKind(StrEnum):
    VIOLATION_OPENED = "violation_opened"
    VIOLATION_REPEATED = "violation_repeated"
    VIOLATION_RESOLVED = "violation_resolved"
    CONFIG_VIOLATION_OPENED = "config_violation_opened"
    CONFIG_VIOLATION_RESOLVED = "config_violation_resolved"
    PUE_ABOVE_LIMIT = "pue_above_limit"
    DEVICE_SILENT = "device_silent"
    POE_NIGHT_DRAW = "poe_night_draw"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


#: The Alertmanager ``alertname`` of each kind; a resolution ends the alert its violation opened.
ALERT_NAMES: dict[AlertKind, str] = {
    AlertKind.VIOLATION_OPENED: "VeilleSleepViolation",
    AlertKind.VIOLATION_REPEATED: "VeilleSleepViolation",
    AlertKind.VIOLATION_RESOLVED: "VeilleSleepViolation",
    AlertKind.CONFIG_VIOLATION_OPENED: "VeilleSleepSettings",
    AlertKind.CONFIG_VIOLATION_RESOLVED: "VeilleSleepSettings",
    AlertKind.PUE_ABOVE_LIMIT: "VeillePueAboveLimit",
    AlertKind.DEVICE_SILENT: "VeilleDeviceSilent",
    AlertKind.POE_NIGHT_DRAW: "VeillePoeNightDraw",
}


_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_VIOLATION_KINDS = frozenset(
    {
        AlertKind.VIOLATION_OPENED,
        AlertKind.VIOLATION_REPEATED,
        AlertKind.VIOLATION_RESOLVED,
        AlertKind.CONFIG_VIOLATION_OPENED,
        AlertKind.CONFIG_VIOLATION_RESOLVED,
    }
)
#: Open violations (window or configuration): in the digest, on the gauge.
OPEN_VIOLATIONS = frozenset(
    {AlertKind.VIOLATION_OPENED, AlertKind.VIOLATION_REPEATED, AlertKind.CONFIG_VIOLATION_OPENED}
)
#: Resolutions that only go to a digest channel that announced the violation.
RESOLUTIONS = frozenset({AlertKind.VIOLATION_RESOLVED, AlertKind.CONFIG_VIOLATION_RESOLVED})
#: Events that reach a digest channel only through the morning digest (unless repeat offender).
DIGEST_ONLY = frozenset({AlertKind.VIOLATION_OPENED, AlertKind.CONFIG_VIOLATION_OPENED})


def config_key(device_id: str, rule: str, opened_at: datetime) -> str:
    """The stable key of a configuration violation: device, rule, when it was opened (UTC)."""
    if opened_at.tzinfo is None:
        raise ValueError("opened_at must be timezone-aware")
    return f"config:{device_id}:{rule}:{opened_at.astimezone(UTC).isoformat()}"


def violation_key(device_id: str, window_start: datetime) -> str:
    """The stable key of a violation: its device and the start of its window, in UTC."""
    if window_start.tzinfo is None:
        raise ValueError("window_start must be timezone-aware")
    return f"violation:{device_id}:{window_start.astimezone(UTC).isoformat()}"


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One alert event. ``ends_at`` is set on resolution (and only then)."""

    kind: AlertKind
    key: str
    domain: str
    site: str
    group: str
    severity: Severity
    summary: str
    description: str
    starts_at: datetime
    device_id: str | None = None
    datacentre: str | None = None
    ends_at: datetime | None = None
    labels: tuple[tuple[str, str], ...] = ()
    repeat_offender: bool = False
    windows_in_row: int = 1

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("key must not be empty")
        if self.starts_at.tzinfo is None:
            raise ValueError("starts_at must be timezone-aware")
        if self.ends_at is not None:
            if self.ends_at.tzinfo is None:
                raise ValueError("ends_at must be timezone-aware")
            if self.ends_at < self.starts_at:
                raise ValueError("ends_at is before starts_at")
        if self.kind in _VIOLATION_KINDS and (self.kind in RESOLUTIONS) != (
            self.ends_at is not None
        ):
            raise ValueError(f"{self.kind}: ends_at is set on resolution, and only then")
        names = [k for k, _ in self.labels]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate label names in {names}")
        bad = [n for n in names if not _LABEL_NAME.fullmatch(n)]
        if bad:
            raise ValueError(f"label names must match [a-zA-Z_][a-zA-Z0-9_]*: {bad}")
        if self.windows_in_row < 1:
            raise ValueError("windows_in_row must be at least 1")

    @property
    def state(self) -> str:
        """What a delivery is deduplicated on, with the key: open, repeated or resolved."""
        if self.ends_at is not None:
            return "resolved"
        return "repeated" if self.kind is AlertKind.VIOLATION_REPEATED else "open"

    @property
    def resolved(self) -> bool:
        return self.ends_at is not None

    @property
    def alert_name(self) -> str:
        return ALERT_NAMES[self.kind]

    def label_map(self) -> dict[str, str]:
        """The identifying labels: device, domain, site, group, datacentre, then extra labels."""
        out = {"domain": self.domain, "site": self.site, "group": self.group}
        if self.device_id is not None:
            out["device_id"] = self.device_id
        if self.datacentre is not None:
            out["datacentre"] = self.datacentre
        out.update(self.labels)
        return out


@dataclass(frozen=True, slots=True)
class Digest:
    """The morning digest of one domain or site: its open violations, grouped by policy group."""

    scope: str  # "domain" or "site"
    name: str
    day: str  # ISO date in the authority's time zone
    events: tuple[AlertEvent, ...]
    generated_at: datetime

    @property
    def key(self) -> str:
        return f"digest:{self.scope}:{self.name}:{self.day}"

    def by_group(self) -> list[tuple[str, list[AlertEvent]]]:
        groups: dict[str, list[AlertEvent]] = {}
        for e in sorted(self.events, key=lambda e: (e.group, e.device_id or "", e.starts_at)):
            groups.setdefault(e.group, []).append(e)
        return sorted(groups.items())


@dataclass(frozen=True, slots=True)
class Batch:
    """What a channel's ``send`` receives: events, or one digest (``events`` = its events)."""

    events: tuple[AlertEvent, ...]
    digest: Digest | None = None

    def __len__(self) -> int:
        return len(self.events)
