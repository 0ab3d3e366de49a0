"""Configuration review of the fleet: each device's last reported settings against its group.

Reads the ledger's device records (:class:`collector.model.DeviceRecord`: the sleep settings
and sleep states an agent last sent), the inventory and the config; writes the
:class:`collector.analysis.config_policy.ConfigFinding` of every rule for every device the
sleep policy applies to. A device outside any policy group (servers and kiosks by default,
see :func:`collector.jobs.policy_group_for`) or exempt on ``today`` (in the inventory, or
recorded with ``veille-collector exempt``) is left out, so that a configuration violation
follows the same exemptions as a sleep-window one.

:func:`advance_configuration` is the analysis job's step: the same findings move the stored
configuration violations through their life cycle
(:mod:`collector.analysis.config_lifecycle`), saved with their events in the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from collector.analysis.config_lifecycle import advance_config
from collector.analysis.config_policy import ConfigFinding, check_configuration
from collector.config import CollectorConfig
from collector.inventory import Inventory
from collector.jobs import policy_group_for, with_recorded_exemptions
from collector.ledger import Ledger
from collector.ledger.config_violations import config_violations, save_config_violations
from collector.model import (
    ConfigViolationEvent,
    ConfigViolationRecord,
    DeviceRecord,
    ExemptionRecord,
)

#: Device records read (and judged) at a time.
DEVICE_CHUNK = 1_000


def _device_findings(
    rec: DeviceRecord,
    inventory: Inventory,
    cfg: CollectorConfig,
    today: date,
    recorded: Sequence[ExemptionRecord],
) -> tuple[str, list[ConfigFinding] | None, str]:
    """(policy group, findings, why not): findings None when the policy does not apply."""
    group = policy_group_for(inventory.get(rec.device_id), rec.kind, cfg)
    if group is None:
        return "", None, "no sleep-policy group applies to the device"
    device = with_recorded_exemptions(
        inventory.get(rec.device_id), rec.device_id, rec.kind, group[0], list(recorded)
    )
    exemption = device.exempt_on(today) if device is not None else None
    if exemption is not None:
        return group[0], None, f"exempt until {exemption.until}: {exemption.reason}"
    return (
        group[0],
        check_configuration(rec.device_id, rec.sleep_settings, rec.sleep_states, group[1]),
        "",
    )


def review_configuration(
    devices: Sequence[DeviceRecord],
    inventory: Inventory,
    cfg: CollectorConfig,
    *,
    today: date,
    recorded: Sequence[ExemptionRecord] = (),
) -> list[ConfigFinding]:
    """Findings of every device the policy applies to, by device id then rule.

    ``recorded``: the exemptions operators recorded (``Ledger.exemptions()``), for a device or
    its group, applied like the inventory's.
    """
    out: list[ConfigFinding] = []
    for rec in sorted(devices, key=lambda d: d.device_id):
        _group, findings, _why = _device_findings(rec, inventory, cfg, today, recorded)
        out += findings or []
    return out


def advance_configuration(
    ledger: Ledger, inventory: Inventory, cfg: CollectorConfig, *, now: datetime
) -> tuple[list[ConfigViolationRecord], list[ConfigViolationEvent]]:
    """Judge every known device's last reported settings, move its configuration violations
    through their life cycle, save them; returns (changed records, events)."""
    today = now.astimezone(ZoneInfo(cfg.policy.timezone)).date()
    recorded = ledger.exemptions()
    stored: dict[str, list[ConfigViolationRecord]] = {}
    for open_one in config_violations(ledger.engine):
        stored.setdefault(open_one.device_id, []).append(open_one)
    records: list[ConfigViolationRecord] = []
    events: list[ConfigViolationEvent] = []
    ids = ledger.device_ids()
    chunks = (
        ledger.devices_of(ids[i : i + DEVICE_CHUNK]) for i in range(0, len(ids), DEVICE_CHUNK)
    )
    for rec in (rec for chunk in chunks for rec in chunk):  # a chunk's records in memory at a time
        group, findings, why = _device_findings(rec, inventory, cfg, today, recorded)
        changed, changes = advance_config(
            stored.get(rec.device_id, []),
            findings,
            device_id=rec.device_id,
            group=group,
            now=now,
            exempt_reason=why,
        )
        records += changed
        events += changes
    save_config_violations(ledger.engine, records, events)
    return records, events
