"""The simulated fleet as inventory lines (``collector.inventory.Device``), and inventory TOML text.

The TOML is what ``collector.inventory.load_inventory`` reads: one ``[[device]]`` table per
device, power profiles in watts, exemption dates as TOML dates. Written by hand because the
standard library reads TOML but does not write it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

from collector.domains import default_domain
from collector.inventory import Device
from collector.sim.fleet import Fleet

POLICY_GROUP = "workstations"


def inventory_devices(fleet: Fleet) -> list[Device]:
    """Every simulated device, with domain, datacentre, PUE role and metering chain."""
    dc = fleet.datacentre
    out = [
        Device(
            id=w.id,
            kind=w.kind,
            domain=default_domain(w.kind),
            site=w.site,
            policy_group=POLICY_GROUP,
            idle_watts=w.idle_watts,
            max_watts=w.max_watts,
            exemptions=(w.exemption,) if w.exemption else (),
        )
        for w in fleet.workstations
    ]
    out += [
        Device(
            id=s.id,
            kind="server",
            domain=default_domain("server"),
            site=s.site,
            datacentre=dc,
            pue_role="it",
            metered_by=s.pdu,
            idle_watts=s.idle_watts,
            max_watts=s.max_watts,
        )
        for s in fleet.servers
    ]
    out += [
        Device(
            id=p.id,
            kind="pdu",
            domain=default_domain("pdu"),
            site=dc,
            datacentre=dc,
            pue_role="it",
            metered_by=fleet.facility.id,
        )
        for p in fleet.pdus
    ]
    out.append(
        Device(
            id=fleet.facility.id,
            kind="facility_meter",
            domain=default_domain("facility_meter"),
            site=dc,
            datacentre=dc,
            pue_role="facility",
        )
    )
    out.append(
        Device(
            id=fleet.poe.id,
            kind="poe_midspan",
            domain=default_domain("poe_midspan"),
            site=fleet.poe.site,
        )
    )
    return out


def _value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, str):
        # JSON string escapes are valid TOML basic-string escapes.
        return json.dumps(v, ensure_ascii=False)
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def inventory_toml(fleet: Fleet) -> str:
    """The inventory file for ``fleet`` (TOML, ``[[device]]`` tables)."""
    return devices_toml(
        inventory_devices(fleet),
        [
            "# Inventory of the simulated estate written by `veille-collector demo`.",
            f"# seed {fleet.seed}: site {fleet.site!r}, datacentre {fleet.datacentre!r}.",
        ],
    )


def devices_toml(
    devices: Iterable[Device], header: Iterable[str] = (), domains: Iterable[str] | None = None
) -> str:
    """Inventory TOML for ``devices``: ``header`` comment lines, an optional ``domains`` list,
    then one ``[[device]]`` table per device, default values left out."""
    lines = [*header]
    if domains is not None:
        lines.append("domains = [" + ", ".join(_value(d) for d in domains) + "]")
    lines.append("")
    defaults = Device(id="x").model_dump()
    for device in devices:
        lines.append("[[device]]")
        for key, value in device.model_dump(exclude={"exemptions"}).items():
            if value is None or (value == defaults[key] and key != "kind"):
                continue
            lines.append(f"{key} = {_value(value)}")
        if device.exemptions:
            items = ", ".join(
                f"{{ reason = {_value(e.reason)}, until = {_value(e.until)} }}"
                for e in device.exemptions
            )
            lines.append(f"exemptions = [{items}]")
        lines.append("")
    return "\n".join(lines)
