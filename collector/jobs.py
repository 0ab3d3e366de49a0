"""Periodic analysis: raw samples and states in the ledger → hourly kWh and violations.

Recomputes a sliding period (``analysis.lookback_hours``) so that late data (an agent's
backlog arriving after days away) is counted once it arrives. Idempotent: hourly rows of the
period are replaced, never added to; violations keep their identity (device, window) and move
through their life cycle (:mod:`collector.analysis.lifecycle`), one event per change of state;
each complete sleep window gets its outcome for the compliance figures
(:mod:`collector.analysis.compliance`). Then every known device's last reported settings are
judged (:mod:`collector.config_review`): configuration violations get the same kind of life
cycle (opened when found, resolved when the setting is reported fixed), one event per change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from collector.analysis.compliance import DeviceWatts, outcomes
from collector.analysis.energy import hourly_energy
from collector.analysis.lifecycle import Evaluation, advance
from collector.analysis.sleep import find_violations, is_exempt, resolutions
from collector.analysis.windows import windows_between
from collector.config import CollectorConfig, PolicyGroup
from collector.inventory import Device, Exemption, Inventory
from collector.ledger import Ledger, daily
from collector.model import (
    ACTIVE_STATES,
    ConfigViolationEvent,
    ExemptionRecord,
    StateObservation,
    ViolationEvent,
    ViolationRecord,
)
from contract.kinds import KINDS, kind_of

log = logging.getLogger(__name__)

DEFAULT_GROUP = "workstations"


@dataclass(frozen=True, slots=True)
class JobReport:
    devices: int
    hours: int
    violations: int
    events: tuple[ViolationEvent, ...] = ()
    config_events: tuple[ConfigViolationEvent, ...] = ()


def policy_group_for(
    device: Device | None, kind: str | None, cfg: CollectorConfig
) -> tuple[str, PolicyGroup] | None:
    """The sleep-policy group of a device: the inventory's, or the default group for an
    unlisted device of a kind checked by default (so a PC missing from the inventory is still
    checked). Start-up refuses an inventory that names a group the config does not have."""
    name = device.policy_group if device else None
    if name is None and kind_of(device.kind if device else kind).sleep_policy_by_default:
        name = DEFAULT_GROUP
    if name is None or name not in cfg.policy.groups:
        return None
    return name, cfg.policy.groups[name]


def with_recorded_exemptions(
    device: Device | None,
    device_id: str,
    kind: str | None,
    group: str,
    recorded: list[ExemptionRecord],
) -> Device | None:
    """The device's inventory line plus the exemptions operators recorded for it or its group
    (``veille-collector exempt``); each one stops applying after its day by itself."""
    mine = [e for e in recorded if e.target == (group if e.group else device_id)]
    if not mine:
        return device
    extra = tuple(
        Exemption(reason=f"{e.reason} (recorded by {e.by} on {e.at:%Y-%m-%d})", until=e.until)
        for e in mine
    )
    base = device or Device(id=device_id, kind=kind if kind in KINDS else "other")
    return base.model_copy(update={"exemptions": (*base.exemptions, *extra)})


def _hour_floor(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def evaluate_device(
    stored: list[ViolationRecord],
    obs: list[StateObservation],
    device: Device | None,
    group: tuple[str, PolicyGroup],
    cfg: CollectorConfig,
    *,
    now: datetime,
) -> Evaluation:
    """Find a device's violations in ``obs`` and resolve those found and those still open."""
    name, pg = group
    policy = cfg.policy
    gap = cfg.analysis.max_gap_seconds
    found = find_violations(obs, device, name, pg, policy, now=now, max_gap_seconds=gap)
    judged = (obs[0].ts, obs[-1].ts) if obs else None
    # Older violations still open are judged on the windows the observations cover.
    since = judged[0] if judged else now
    pending = [
        replace(r.violation, window_end=max(r.violation.window_end, since))
        for r in stored
        if r.state in ACTIVE_STATES and r.window_start < since
    ]
    resolved = resolutions([*found, *pending], obs, device, name, pg, policy, now=now)
    first = min([since, *(r.window_start for r in stored)])
    windows = windows_between(first, now, pg, policy)
    exempt = {w[0] for w in windows if is_exempt(device, w, policy)}
    return Evaluation(
        found=found,
        windows=[w for w in windows if w[0] not in exempt],
        judged=judged,
        resolved={start: at for (_d, start), at in resolved.items()},
        exempt=exempt,
    )


def recompute(
    ledger: Ledger,
    inventory: Inventory,
    cfg: CollectorConfig,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
) -> JobReport:
    """Recompute hourly kWh and sleep violations for every device seen in [start, end)."""
    start = _hour_floor(start)
    tz = cfg.policy.timezone
    kinds = {r.device_id: r.kind for r in ledger.devices()}
    recorded = ledger.exemptions()
    n_hours = n_viol = 0
    events: list[ViolationEvent] = []
    devices = ledger.devices_seen(start, end)
    for device_id in devices:
        samples = ledger.samples_for(device_id, start, end)
        hours = hourly_energy(
            samples, max_gap_seconds=cfg.analysis.max_gap_seconds, start=start, end=end
        )
        ledger.replace_hourly(device_id, hours)
        daily.refresh_days(ledger.engine, ledger.hourly_for, device_id, [h.hour for h in hours], tz)
        n_hours += len(hours)
        device = inventory.get(device_id)
        group = policy_group_for(device, kinds.get(device_id), cfg)
        if group is None:
            continue
        device = with_recorded_exemptions(
            device, device_id, kinds.get(device_id), group[0], recorded
        )
        # One extra day back, so a window that began before the period is judged whole.
        since = start - timedelta(days=1)
        obs = ledger.states_for(device_id, since, end)
        stored = ledger.violations_of(device_id, since)
        evaluation = evaluate_device(stored, obs, device, group, cfg, now=now)
        records, changes = advance(stored, evaluation, now=now)
        ledger.save_violations(records, changes)
        # Each complete window that ended in the period: compliant, violated, unknown, exempt.
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
    # imported here: config_review builds on this module's policy_group_for
    from collector.config_review import advance_configuration

    _records, config_events = advance_configuration(ledger, inventory, cfg, now=now)
    log.info(
        "analysis: %d devices, %d device-hours, %d violations, %d changes of state, "
        "%d configuration changes",
        len(devices),
        n_hours,
        n_viol,
        len(events),
        len(config_events),
    )
    return JobReport(len(devices), n_hours, n_viol, tuple(events), tuple(config_events))
