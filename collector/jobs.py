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
from itertools import chain

from collector.analysis.compliance import DeviceWatts, WindowOutcome, outcomes
from collector.analysis.energy import HourlyEnergy, hourly_energy
from collector.analysis.lifecycle import Evaluation, advance
from collector.analysis.sleep import find_violations, is_exempt, resolutions
from collector.analysis.windows import windows_between
from collector.config import CollectorConfig, PolicyGroup
from collector.inventory import Device, Exemption, Inventory
from collector.ledger import Ledger, chunks
from collector.ledger import violations as vt
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

#: Devices whose rows the job reads and writes together (one statement per table and chunk).
CHUNK_DEVICES = 200


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
    chunk: int = CHUNK_DEVICES,
) -> JobReport:
    """Recompute hourly kWh and sleep violations for every device seen in [start, end).

    Devices go ``chunk`` at a time: one statement per table and chunk (:mod:`collector.ledger.
    chunks`), the rows of one device in memory at a time; every device's figures are its own,
    so the result does not depend on ``chunk``."""
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    start = _hour_floor(start)
    kinds = dict(ledger.device_kinds())
    recorded = ledger.exemptions()
    n_hours = n_viol = 0
    events: list[ViolationEvent] = []
    devices = ledger.devices_seen(start, end)
    for i in range(0, len(devices), chunk):
        ids = devices[i : i + chunk]
        n_hours += _energy(ledger, ids, cfg, start, end)
        judged = {}
        for device_id in ids:
            group = policy_group_for(inventory.get(device_id), kinds.get(device_id), cfg)
            if group is not None:
                judged[device_id] = group
        found, changes = _policy(ledger, judged, inventory, kinds, recorded, cfg, start, end, now)
        n_viol += found
        events += changes
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


def _energy(
    ledger: Ledger, ids: list[str], cfg: CollectorConfig, start: datetime, end: datetime
) -> int:
    """Hourly kWh of the devices ``ids`` over [start, end), and their daily roll-up, replaced
    in one transaction; returns the number of hourly rows."""
    gap = cfg.analysis.max_gap_seconds
    with ledger.engine.connect() as conn:
        rows = [
            h
            for _device, samples in chunks.samples_by_device(conn, ids, start, end)
            for h in hourly_energy(samples, max_gap_seconds=gap, start=start, end=end)
        ]
    with ledger.engine.begin() as conn:
        chunks.replace_hourly(conn, rows)
        chunks.refresh_days(conn, rows, cfg.policy.timezone)
    return len(rows)


@dataclass(frozen=True, slots=True)
class _Judged:
    """One device's new violation records, their changes of state, its window outcomes."""

    records: list[ViolationRecord]
    changes: list[ViolationEvent]
    outcomes: list[WindowOutcome]
    found: int


def _policy(
    ledger: Ledger,
    judged: dict[str, tuple[str, PolicyGroup]],
    inventory: Inventory,
    kinds: dict[str, str | None],
    recorded: list[ExemptionRecord],
    cfg: CollectorConfig,
    start: datetime,
    end: datetime,
    now: datetime,
) -> tuple[int, list[ViolationEvent]]:
    """Violations and window outcomes of the devices ``judged`` (device -> policy group),
    saved in one transaction; returns (violations found, changes of state in device order)."""
    if not judged:
        return 0, []
    ids = sorted(judged)
    # One extra day back, so a window that began before the period is judged whole.
    since = start - timedelta(days=1)
    done: dict[str, _Judged] = {}
    with ledger.engine.connect() as conn:
        stored = chunks.violations_of(conn, ids, since)
        hourly = chunks.hourly_of(conn, ids, since, end)
        seen = chunks.states_by_device(conn, ids, since, end)
        # devices without states last, with none: their windows count as slept
        for device_id, obs in chain(seen, ((d, []) for d in ids)):
            if device_id in done:
                continue
            done[device_id] = _judge(
                device_id,
                obs,
                stored.get(device_id, []),
                hourly.get(device_id, []),
                judged[device_id],
                inventory,
                kinds.get(device_id),
                recorded,
                cfg,
                since=since,
                start=start,
                now=now,
            )
    results = [done[d] for d in ids]  # in device order, as the events go out
    records = [r for j in results for r in j.records]
    changes = [e for j in results for e in j.changes]
    with ledger.engine.begin() as conn:
        vt.save(conn, records, changes)
        chunks.replace_outcomes(conn, [o for j in results for o in j.outcomes])
    return sum(j.found for j in results), changes


def _judge(
    device_id: str,
    obs: list[StateObservation],
    stored: list[ViolationRecord],
    hourly: list[HourlyEnergy],
    group: tuple[str, PolicyGroup],
    inventory: Inventory,
    kind: str | None,
    recorded: list[ExemptionRecord],
    cfg: CollectorConfig,
    *,
    since: datetime,
    start: datetime,
    now: datetime,
) -> _Judged:
    """One device's violations (found, advanced through their life cycle) and the outcome of
    each complete window that ended in the period: compliant, violated, unknown, exempt."""
    device = with_recorded_exemptions(inventory.get(device_id), device_id, kind, group[0], recorded)
    evaluation = evaluate_device(stored, obs, device, group, cfg, now=now)
    records, changes = advance(stored, evaluation, now=now)
    windows = [w for w in windows_between(since, now, group[1], cfg.policy) if w[1] > start]
    judged = outcomes(
        device_id,
        group[0],
        windows,
        violations=evaluation.found,
        exempt=evaluation.exempt,
        observations=obs,
        hourly=hourly,
        watts=DeviceWatts.of(
            device.kind if device else kind,
            device.idle_watts if device else None,
        ),
        now=now,
    )
    return _Judged(list(records), list(changes), list(judged), len(evaluation.found))
