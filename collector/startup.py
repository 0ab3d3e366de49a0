"""The whole configuration checked at start-up: what no single key can check on its own.

``veille-collector run`` and ``check-config`` refuse to go on, naming the key or the inventory
line, when a device names a policy group the config does not define (it would silently never
be evaluated), when ``metered_by`` names an unknown device or forms a loop (its kWh would be
counted twice or never), or when an SNMP profile file does not parse or a target forces a
profile that does not exist (profiles, shipped and ``snmp.extra_profiles``, load here, not
at the first poll), or when the optional PoE night policy (``[policy.poe]``) names an
access-point port of a device that is not an SNMP target, or no port at all.
"""

from __future__ import annotations

from collector.config import CollectorConfig
from collector.inventory import Inventory
from collector.snmp.profiles import Profile, ProfileError, default_profiles, load_profiles
from contract.settings import ConfigError


def _groups(cfg: CollectorConfig, inventory: Inventory) -> list[str]:
    defined = ", ".join(sorted(cfg.policy.groups)) or "none"
    return [
        f"device {d.id}.policy_group: {d.policy_group!r} is not defined in [policy.groups] "
        f"(defined: {defined})"
        for d in inventory.devices.values()
        if d.policy_group is not None and d.policy_group not in cfg.policy.groups
    ]


def _meters(inventory: Inventory) -> list[str]:
    problems = []
    for d in inventory.devices.values():
        if d.metered_by is None:
            continue
        if d.metered_by not in inventory.devices:
            problems.append(f"device {d.id}.metered_by: unknown device {d.metered_by!r}")
            continue
        chain = [d.id]
        up = inventory.devices.get(d.metered_by)
        while up is not None and up.id not in chain:
            chain.append(up.id)
            up = inventory.devices.get(up.metered_by) if up.metered_by else None
        # a loop through this device; reported once, from its smallest id
        if up is not None and up.id == d.id and d.id == min(chain):
            loop = " -> ".join([*chain, d.id])
            problems.append(f"device {d.id}.metered_by: the meters form a loop: {loop}")
    return problems


def _snmp(cfg: CollectorConfig) -> tuple[list[str], dict[str, Profile]]:
    try:
        profiles = dict(default_profiles())
        if cfg.snmp.extra_profiles is not None:
            for name, profile in load_profiles(cfg.snmp.extra_profiles).items():
                if name in profiles:
                    return [
                        f"snmp.extra_profiles: profile {name!r} in {cfg.snmp.extra_profiles} "
                        "is also shipped with veille; give it another name"
                    ], {}
                profiles[name] = profile
    except ProfileError as exc:
        return [f"SNMP profile {exc}"], {}
    names = ", ".join(sorted(profiles))
    return [
        f"snmp.targets.{i}.profile: unknown profile {t.profile!r} (device {t.device_id}); "
        f"one of {names}"
        for i, t in enumerate(cfg.snmp.targets)
        if t.profile is not None and t.profile not in profiles
    ], profiles


def _poe(cfg: CollectorConfig) -> list[str]:
    poe = cfg.policy.poe
    if poe is None:
        return []
    key = "policy.poe.access_point_ports"
    if not poe.access_point_ports:
        return [f"{key}: empty: no access-point port would be judged (list the ports per device)"]
    targets = {t.device_id for t in cfg.snmp.targets}
    problems = []
    for device_id, ports in sorted(poe.access_point_ports.items()):
        if device_id not in targets:
            known = ", ".join(sorted(targets)) or "none"
            problems.append(
                f"{key}.{device_id}: not an SNMP target (snmp.targets device ids: {known})"
            )
        if not ports:
            problems.append(f"{key}.{device_id}: no port listed")
        dupes = sorted({p for p in ports if ports.count(p) > 1})
        if dupes:
            problems.append(f"{key}.{device_id}: ports listed twice: {', '.join(dupes)}")
    return problems


def check_startup(cfg: CollectorConfig, inventory: Inventory) -> dict[str, Profile]:
    """Raise ConfigError listing every problem; return the loaded SNMP profiles."""
    snmp_problems, profiles = _snmp(cfg)
    problems = _groups(cfg, inventory) + _meters(inventory) + snmp_problems + _poe(cfg)
    if problems:
        raise ConfigError("configuration", problems)
    return profiles
