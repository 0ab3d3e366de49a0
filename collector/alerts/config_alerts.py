"""Alert events from the configuration violations' life cycle (pure).

A change of state (:class:`~collector.model.ConfigViolationEvent`) and its record
(:class:`~collector.model.ConfigViolationRecord`) become one :class:`AlertEvent`:

- found open: ``config_violation_opened``, starting when it was found (``opened_at``);
- resolved (the setting was reported fixed) or exempted after it was open:
  ``config_violation_resolved``, ending then, with the very labels of the open alert (or
  Alertmanager would keep the open one).

Key: ``config:<device_id>:<rule>:<opened_at ISO 8601 UTC>``; the ``rule`` label names the rule
(``sleep_timeout``, ``screensaver``, ``cannot_sleep``); the description is the evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from collector.alerts.events import AlertEvent, AlertKind, Severity, config_key
from collector.inventory import Inventory
from collector.ledger.config_violations import Key
from collector.model import ACTIVE_STATES, ConfigViolationEvent, ConfigViolationRecord

#: How each rule reads in a summary (language-neutral: the evidence carries the values).
RULE_TITLES: dict[str, str] = {
    "sleep_timeout": "sleep timeout",
    "screensaver": "screensaver instead of sleep",
    "cannot_sleep": "cannot sleep",
}


def config_open_event(
    record: ConfigViolationRecord,
    inventory: Inventory,
    sites: Mapping[str, str] | None = None,
) -> AlertEvent:
    """The open alert of a configuration violation; ``sites``: fallback site per device."""
    device = inventory.get(record.device_id)
    site = (device.site if device else "") or (sites or {}).get(record.device_id) or "unknown"
    return AlertEvent(
        kind=AlertKind.CONFIG_VIOLATION_OPENED,
        key=config_key(record.device_id, record.rule, record.opened_at),
        device_id=record.device_id,
        datacentre=device.datacentre if device else None,
        domain=inventory.domain_of(record.device_id),
        site=site,
        group=record.policy_group or "unknown",
        severity=Severity.WARNING,
        summary=f"{record.device_id}: {RULE_TITLES.get(record.rule, record.rule)}",
        description=record.evidence,
        starts_at=record.opened_at,
        labels=(("rule", record.rule),),
    )


def config_alert_events(
    changes: Iterable[ConfigViolationEvent],
    records: Mapping[Key, ConfigViolationRecord],
    inventory: Inventory,
    sites: Mapping[str, str] | None = None,
) -> list[AlertEvent]:
    """The alert events of ``changes``; ``records`` holds each changed violation by key."""
    out: list[AlertEvent] = []
    for change in changes:
        record = records.get(change.key)
        if record is None:
            continue
        opened = config_open_event(record, inventory, sites)
        if change.state in ACTIVE_STATES:
            out.append(opened)
        elif change.previous in ACTIVE_STATES:
            ends = max(record.resolved_at or change.at, opened.starts_at)
            out.append(
                AlertEvent(
                    kind=AlertKind.CONFIG_VIOLATION_RESOLVED,
                    key=opened.key,
                    device_id=opened.device_id,
                    datacentre=opened.datacentre,
                    domain=opened.domain,
                    site=opened.site,
                    group=opened.group,
                    severity=opened.severity,
                    summary=opened.summary,
                    description=change.detail or str(change.state),
                    starts_at=opened.starts_at,
                    ends_at=ends,
                    labels=opened.labels,
                )
            )
    return out


def config_open_events(
    records: Sequence[ConfigViolationRecord],
    inventory: Inventory,
    sites: Mapping[str, str] | None = None,
) -> list[AlertEvent]:
    """The open alerts of the active records (for the digest and the stateful channels)."""
    return [config_open_event(r, inventory, sites) for r in records if r.state in ACTIVE_STATES]
