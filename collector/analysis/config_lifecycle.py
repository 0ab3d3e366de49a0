"""The life cycle of one device's configuration violations (pure; reads
:class:`~collector.analysis.config_policy.ConfigFinding`, reads and writes
:class:`~collector.model.ConfigViolationRecord` and :class:`~collector.model.ConfigViolationEvent`).

Identity is (device, rule, opened at). On each analysis run, for each rule:

- a ``violation`` finding with no open record opens one (an event, ``previous`` None); with an
  open record, the record keeps its identity and only its evidence is refreshed (no event), so
  the same open violation is never announced twice;
- a ``compliant`` finding resolves the open record: the setting was reported fixed;
- an ``unknown`` finding changes nothing: a value the agent could not read neither opens nor
  resolves (the evidence never rests on a guessed value);
- a device now out of the policy (exempt, or in no group) has its open records exempted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from collector.analysis.config_policy import ConfigFinding
from collector.model import (
    ACTIVE_STATES,
    ConfigViolationEvent,
    ConfigViolationRecord,
    ViolationState,
)


def _change(
    r: ConfigViolationRecord, state: ViolationState, now: datetime, detail: str
) -> tuple[ConfigViolationRecord, ConfigViolationEvent]:
    resolved = now if state == ViolationState.RESOLVED else None
    record = replace(r, state=state, changed_at=now, resolved_at=resolved)
    event = ConfigViolationEvent(r.device_id, r.rule, r.opened_at, now, state, r.state, detail)
    return record, event


def advance_config(
    stored: Sequence[ConfigViolationRecord],
    findings: Sequence[ConfigFinding] | None,
    *,
    device_id: str,
    group: str,
    now: datetime,
    exempt_reason: str = "",
) -> tuple[list[ConfigViolationRecord], list[ConfigViolationEvent]]:
    """The records to save (new or changed) and the events, for one device.

    ``stored``: the device's records (only the open ones matter); ``findings``: this run's,
    or None when the policy does not apply to the device now (``exempt_reason`` says why).
    """
    active = {r.rule: r for r in stored if r.device_id == device_id and r.state in ACTIVE_STATES}
    records: list[ConfigViolationRecord] = []
    events: list[ConfigViolationEvent] = []
    if findings is None:
        for r in active.values():
            record, event = _change(r, ViolationState.EXEMPTED, now, exempt_reason or "exempt")
            records.append(record)
            events.append(event)
        return records, events
    for f in findings:
        if f.device_id != device_id:
            raise ValueError(f"finding of {f.device_id} given for {device_id}")
        prev = active.get(f.rule)
        if f.outcome == "violation":
            if prev is None:
                new = ConfigViolationRecord(
                    device_id, f.rule, ViolationState.OPEN, f.evidence, group, now, now
                )
                records.append(new)
                events.append(
                    ConfigViolationEvent(
                        device_id, f.rule, now, now, ViolationState.OPEN, None, f.evidence
                    )
                )
            elif prev.evidence != f.evidence or prev.policy_group != group:
                records.append(replace(prev, evidence=f.evidence, policy_group=group))
        elif f.outcome == "compliant" and prev is not None:
            record, event = _change(prev, ViolationState.RESOLVED, now, f.evidence)
            records.append(record)
            events.append(event)
    return records, events
