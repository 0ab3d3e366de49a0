"""Periodic analysis: raw samples and states in the ledger → hourly kWh and violations.

Recomputes a sliding period (``analysis.lookback_hours``) so that late data (an agent's
backlog arriving after days away) is counted once it arrives. Idempotent: rows of the period
are replaced, never added to.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from collector.analysis.energy import hourly_energy
from collector.analysis.sleep import StateObservation, find_violations, resolutions
from collector.config import CollectorConfig, PolicyGroup
from collector.inventory import Device, Inventory
from collector.ledger import Ledger
from collector.ledger.store import utc

log = logging.getLogger(__name__)

WORKSTATION_KINDS = ("desktop", "laptop", "thin_client")
DEFAULT_GROUP = "workstations"


@dataclass(frozen=True, slots=True)
class JobReport:
    devices: int
    hours: int
    violations: int


def policy_group_for(
    device: Device | None, kind: str | None, cfg: CollectorConfig
) -> tuple[str, PolicyGroup] | None:
    """The sleep-policy group of a device: the inventory's, or the default group for an
    unlisted workstation (so a PC missing from the inventory is still checked)."""
    name = device.policy_group if device else None
    if name is None and (device.kind if device else kind) in WORKSTATION_KINDS:
        name = DEFAULT_GROUP
    if name is None or name not in cfg.policy.groups:
        return None
    return name, cfg.policy.groups[name]


def _observations(rows: list[Any]) -> list[StateObservation]:
    return [
        StateObservation(
            device_id=r.device_id,
            ts=utc(r.ts),
            power_state=r.power_state,
            idle_seconds=r.idle_seconds,
            blockers=tuple(r.blockers or ()),
            slept=tuple(
                (datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in (r.slept or ())
            ),
        )
        for r in rows
    ]


def _hour_floor(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


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
    kinds = {r.device_id: r.kind for r in ledger.devices()}
    n_hours = n_viol = 0
    devices = ledger.devices_seen(start, end)
    for device_id in devices:
        samples = ledger.samples_for(device_id, start, end)
        rows = [
            {
                "hour": h.hour,
                "kwh": h.kwh,
                "coverage": h.coverage,
                "measured_kwh": h.measured_kwh,
                "estimated_kwh": h.estimated_kwh,
                "source": h.source,
                "resets": h.resets,
            }
            for h in hourly_energy(
                samples, max_gap_seconds=cfg.analysis.max_gap_seconds, start=start, end=end
            )
        ]
        ledger.replace_hourly(device_id, rows)
        n_hours += len(rows)
        device = inventory.get(device_id)
        group = policy_group_for(device, kinds.get(device_id), cfg)
        if group is None:
            continue
        # One extra day back, so a window that began before the period is judged whole.
        obs = _observations(ledger.states_for(device_id, start - timedelta(days=1), end))
        found = find_violations(
            obs,
            device,
            group[0],
            group[1],
            cfg.policy,
            now=now,
            max_gap_seconds=cfg.analysis.max_gap_seconds,
        )
        resolved = resolutions(found, obs, device, group[0], group[1], cfg.policy, now=now)
        ledger.replace_violations(
            device_id,
            [
                {
                    "window_start": v.window_start,
                    "window_end": v.window_end,
                    "first_seen": v.first_seen,
                    "last_seen": v.last_seen,
                    "max_idle_seconds": v.max_idle_seconds,
                    "awake_seconds": v.awake_seconds,
                    "blockers": list(v.blockers),
                    "target_state": v.target_state,
                    "evidence": v.evidence,
                    "resolved_at": resolved.get((v.device_id, v.window_start)),
                }
                for v in found
            ],
        )
        n_viol += len(found)
    log.info("analysis: %d devices, %d device-hours, %d violations", len(devices), n_hours, n_viol)
    return JobReport(len(devices), n_hours, n_viol)
