"""Configuration review of the fleet: each device's last reported settings against its group.

Reads the ledger's device records (:class:`collector.model.DeviceRecord`: the sleep settings
and sleep states an agent last sent), the inventory and the config; writes the
:class:`collector.analysis.config_policy.ConfigFinding` of every rule for every device the
sleep policy applies to. A device outside any policy group (servers and kiosks by default,
see :func:`collector.jobs.policy_group_for`) or exempt on ``today`` (in the inventory, or
recorded with ``veille-collector exempt``) is left out, so that a configuration violation
follows the same exemptions as a sleep-window one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from collector.analysis.config_policy import ConfigFinding, check_configuration
from collector.config import CollectorConfig
from collector.inventory import Inventory
from collector.jobs import policy_group_for, with_recorded_exemptions
from collector.model import DeviceRecord, ExemptionRecord


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
        group = policy_group_for(inventory.get(rec.device_id), rec.kind, cfg)
        if group is None:
            continue
        device = with_recorded_exemptions(
            inventory.get(rec.device_id), rec.device_id, rec.kind, group[0], list(recorded)
        )
        if device is not None and device.exempt_on(today) is not None:
            continue
        out += check_configuration(rec.device_id, rec.sleep_settings, rec.sleep_states, group[1])
    return out
