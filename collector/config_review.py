"""Configuration review of the fleet: each device's last reported settings against its group.

Reads the ledger's device records (:class:`collector.model.DeviceRecord`: the sleep settings
and sleep states an agent last sent), the inventory and the config; writes the
:class:`collector.analysis.config_policy.ConfigFinding` of every rule for every device the
sleep policy applies to. A device outside any policy group (servers and kiosks by default,
see :func:`collector.jobs.policy_group_for`) or exempt on ``today`` is left out, so that a
configuration violation follows the same exemptions as a sleep-window one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from collector.analysis.config_policy import ConfigFinding, check_configuration
from collector.config import CollectorConfig
from collector.inventory import Inventory
from collector.jobs import policy_group_for
from collector.model import DeviceRecord


def review_configuration(
    devices: Sequence[DeviceRecord], inventory: Inventory, cfg: CollectorConfig, *, today: date
) -> list[ConfigFinding]:
    """Findings of every device the policy applies to, by device id then rule."""
    out: list[ConfigFinding] = []
    for rec in sorted(devices, key=lambda d: d.device_id):
        device = inventory.get(rec.device_id)
        group = policy_group_for(device, rec.kind, cfg)
        if group is None or (device is not None and device.exempt_on(today) is not None):
            continue
        out += check_configuration(rec.device_id, rec.sleep_settings, rec.sleep_states, group[1])
    return out
