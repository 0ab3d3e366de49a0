"""Alert events from the ledger's violation life cycle (pure).

A change of state (:class:`~collector.model.ViolationEvent`) and the record it changed
(:class:`~collector.model.ViolationRecord`) become one :class:`AlertEvent`:

- found open or ongoing: ``violation_opened``, or ``violation_repeated`` once its streak reaches
  ``alerts.repeat_threshold`` (a repeat offender, alerted at once);
- resolved or exempted after it was open or ongoing: ``violation_resolved``, ending at the time
  the device complied (or the exemption was recorded).

A violation found and resolved in the same evaluation was never announced: no event. The
summary is language-neutral (device and window in the authority's time zone); the
description is the evidence the analysis recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from collector.alerts.events import AlertEvent, AlertKind, Severity, violation_key
from collector.alerts.repeat import with_streak
from collector.inventory import Inventory
from collector.model import ACTIVE_STATES, ViolationEvent, ViolationRecord, ViolationState

Key = tuple[str, datetime]


def _window(record: ViolationRecord, tz: ZoneInfo) -> str:
    v = record.violation
    a, b = v.window_start.astimezone(tz), v.window_end.astimezone(tz)
    return f"{v.device_id}: {a:%Y-%m-%d %H:%M} → {b:%Y-%m-%d %H:%M}"


def _evidence(record: ViolationRecord) -> str:
    v = record.violation
    parts = [v.evidence] if v.evidence else []
    if v.blockers and not any(b in v.evidence for b in v.blockers):
        parts.append("blockers: " + ", ".join(v.blockers))
    return "; ".join(parts) or f"awake {v.awake_seconds / 60:.0f} min in the window"


def open_event(
    record: ViolationRecord,
    inventory: Inventory,
    *,
    tz: ZoneInfo,
    repeat_threshold: int,
    sites: Mapping[str, str] | None = None,
) -> AlertEvent:
    """The open (or repeated) alert of an active violation record; ``sites`` is the fallback
    site of devices the inventory does not place (the site of their MQTT topic)."""
    v = record.violation
    device = inventory.get(v.device_id)
    site = (device.site if device else "") or (sites or {}).get(v.device_id) or "unknown"
    event = AlertEvent(
        kind=AlertKind.VIOLATION_OPENED,
        key=violation_key(v.device_id, v.window_start),
        device_id=v.device_id,
        datacentre=device.datacentre if device else None,
        domain=inventory.domain_of(v.device_id),
        site=site,
        group=v.policy_group or "unknown",
        severity=Severity.WARNING,
        summary=_window(record, tz),
        description=_evidence(record),
        starts_at=min(v.first_seen, v.window_end),
    )
    return with_streak(event, record.streak, repeat_threshold)


def alert_events(
    changes: Iterable[ViolationEvent],
    records: Mapping[Key, ViolationRecord],
    inventory: Inventory,
    *,
    tz: ZoneInfo,
    repeat_threshold: int,
    sites: Mapping[str, str] | None = None,
) -> list[AlertEvent]:
    """The alert events of ``changes``; ``records`` holds each changed violation by key."""
    out: list[AlertEvent] = []
    for change in changes:
        record = records.get((change.device_id, change.window_start))
        if record is None:
            continue
        opened = open_event(
            record, inventory, tz=tz, repeat_threshold=repeat_threshold, sites=sites
        )
        if change.state in ACTIVE_STATES:
            out.append(opened)
        elif change.previous in ACTIVE_STATES:
            ends = record.resolved_at or change.at
            if change.state == ViolationState.EXEMPTED:
                ends = change.at
            out.append(
                AlertEvent(
                    kind=AlertKind.VIOLATION_RESOLVED,
                    key=opened.key,
                    device_id=opened.device_id,
                    datacentre=opened.datacentre,
                    domain=opened.domain,
                    site=opened.site,
                    group=opened.group,
                    severity=opened.severity,  # the same labels, or Alertmanager keeps it
                    summary=opened.summary,
                    description=change.detail or f"{change.state}",
                    starts_at=opened.starts_at,
                    ends_at=max(ends, opened.starts_at),
                    windows_in_row=opened.windows_in_row,
                )
            )
    return out


def open_events(
    records: Sequence[ViolationRecord],
    inventory: Inventory,
    *,
    tz: ZoneInfo,
    repeat_threshold: int,
    sites: Mapping[str, str] | None = None,
) -> list[AlertEvent]:
    """The open alerts of the active records (for the digest and the stateful channels)."""
    return [
        open_event(r, inventory, tz=tz, repeat_threshold=repeat_threshold, sites=sites)
        for r in records
        if r.state in ACTIVE_STATES
    ]
