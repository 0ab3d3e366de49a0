"""The analysis job one device at a time, as it was before it worked by chunks of devices
(:mod:`collector.ledger.chunks`): the oracle of ``tests/collector/test_job_chunks.py`` (the
chunked job must write exactly what this writes) and the baseline of ``analysis_job.py``.
One set of queries per device, through the :class:`Ledger` methods."""

from __future__ import annotations

from datetime import datetime, timedelta

from collector.analysis.compliance import DeviceWatts, outcomes
from collector.analysis.energy import hourly_energy
from collector.analysis.lifecycle import advance
from collector.analysis.windows import windows_between
from collector.config import CollectorConfig
from collector.config_review import advance_configuration
from collector.inventory import Inventory
from collector.jobs import (
    JobReport,
    _hour_floor,
    evaluate_device,
    policy_group_for,
    with_recorded_exemptions,
)
from collector.ledger import Ledger, daily
from collector.model import ViolationEvent


def per_device(
    ledger: Ledger, inventory: Inventory, cfg: CollectorConfig, *, start: datetime, now: datetime
) -> JobReport:
    """The job one device at a time, as it was (the oracle)."""
    end = now
    start = _hour_floor(start)
    kinds = {r.device_id: r.kind for r in ledger.devices()}
    recorded = ledger.exemptions()
    n_hours = n_viol = 0
    events: list[ViolationEvent] = []
    devices = ledger.devices_seen(start, end)
    for device_id in devices:
        samples = ledger.samples_for(device_id, start, end)
        gap = cfg.analysis.max_gap_seconds
        hours = hourly_energy(samples, max_gap_seconds=gap, start=start, end=end)
        ledger.replace_hourly(device_id, hours)
        tz = cfg.policy.timezone
        daily.refresh_days(ledger.engine, ledger.hourly_for, device_id, [h.hour for h in hours], tz)
        n_hours += len(hours)
        device = inventory.get(device_id)
        group = policy_group_for(device, kinds.get(device_id), cfg)
        if group is None:
            continue
        device = with_recorded_exemptions(
            device, device_id, kinds.get(device_id), group[0], recorded
        )
        since = start - timedelta(days=1)
        obs = ledger.states_for(device_id, since, end)
        stored = ledger.violations_of(device_id, since)
        evaluation = evaluate_device(stored, obs, device, group, cfg, now=now)
        records, changes = advance(stored, evaluation, now=now)
        ledger.save_violations(records, changes)
        windows = [w for w in windows_between(since, now, group[1], cfg.policy) if w[1] > start]
        ledger.replace_outcomes(
            device_id,
            outcomes(
                device_id,
                group[0],
                windows,
                violations=evaluation.found,
                exempt=evaluation.exempt,
                observations=obs,
                hourly=ledger.hourly_of(device_id, since, end),
                watts=DeviceWatts.of(
                    device.kind if device else kinds.get(device_id),
                    device.idle_watts if device else None,
                ),
                now=now,
            ),
        )
        events += changes
        n_viol += len(evaluation.found)
    _records, config_events = advance_configuration(ledger, inventory, cfg, now=now)
    return JobReport(len(devices), n_hours, n_viol, tuple(events), tuple(config_events))
