"""``veille-collector poll --discover HOST:PORT``: which known MIB families answer, and reads.

For a device no profile was written for, or to check which branch veille chose: every profile
whose objects answer is read once, and its total power (measured, from outlets, or estimated
from load), its energy registers and its breakdowns are listed, with the one ``poll`` would
use marked, and any families whose totals disagree by more than 5 %.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict, dataclass

from pydantic import ValidationError

from collector.config import SnmpV3
from collector.snmp import decode
from collector.snmp.cli import error_text, make_target
from collector.snmp.client import Endpoint, SnmpClient
from collector.snmp.detect import answering, choose, disagreements
from collector.snmp.errors import SnmpError
from collector.snmp.estimate import PowerUnreadable, Rating, device_power
from collector.snmp.profiles import Profile, default_profiles
from collector.snmp.snmprec import Oid, format_oid


@dataclass(frozen=True, slots=True)
class FamilyReading:
    """What one answering profile would read."""

    profile: str
    mib: str
    kind: str
    sys_object_id_match: bool
    chosen: bool
    power_watts: float | None
    quality: str | None
    derivation: str
    energy_raw: list[float]
    energy_unit: str | None
    breakdowns: int


@dataclass(frozen=True, slots=True)
class Discovery:
    target: str
    sys_object_id: str | None
    families: list[FamilyReading]
    disagreements: list[str]


def _reading(
    profile: Profile, raw: decode.RawData, sys_oid: Oid | None, chosen: bool, rating: Rating
) -> FamilyReading:
    watts: float | None = None
    quality: str | None = None
    try:
        power = device_power(profile, raw, rating)
        derivation = "no power object answers" if power is None else power.derivation
        if power is not None:
            watts, quality = power.watts, str(power.quality)
    except PowerUnreadable as exc:
        derivation = str(exc)
    counters = decode.energy_counters(profile, raw)
    return FamilyReading(
        profile=profile.name,
        mib=profile.mib,
        kind=profile.kind,
        sys_object_id_match=profile.sys_object_match(sys_oid) > 0,
        chosen=chosen,
        power_watts=watts,
        quality=quality,
        derivation=derivation,
        energy_raw=[] if counters is None else [r.value for r in counters[1]],
        energy_unit=None if counters is None else counters[0].unit,
        breakdowns=len(decode.breakdown_power(profile, raw)),
    )


async def discover(
    ep: Endpoint, rating: Rating, profiles: dict[str, Profile] | None = None
) -> Discovery:
    """Read every answering family of the device at ``ep`` (raises SnmpError)."""
    client = SnmpClient()
    try:
        sys_oid, found = await answering(client, ep, profiles or default_profiles())
    finally:
        client.close()
    best = choose(sys_oid, found)
    families = [
        _reading(p, r, sys_oid, best is not None and p is best[0], rating) for p, r in found
    ]
    flagged = list(disagreements(best, found, rating)) if best is not None else []
    return Discovery(str(ep), format_oid(sys_oid) if sys_oid else None, families, flagged)


def _print(d: Discovery) -> None:
    print(f"device       {d.target} (sysObjectID {d.sys_object_id or 'none'})")
    if not d.families:
        print("no known MIB family answers with power: see `veille-collector profile new`")
    for f in d.families:
        mark = "*" if f.chosen else " "
        power = "-" if f.power_watts is None else f"{f.power_watts:.1f} W ({f.quality})"
        match = ", sysObjectID" if f.sys_object_id_match else ""
        print(f"{mark} {f.profile:<18} {f.mib} [{f.kind}{match}]  {power}")
        print(f"    {f.derivation}")
        if f.energy_raw:
            print(
                f"    energy registers: {', '.join(f'{v:g}' for v in f.energy_raw)} {f.energy_unit}"
            )
        if f.breakdowns:
            print(f"    {f.breakdowns} breakdown readings (outlets, phases)")
    for text in d.disagreements:
        print(f"WARNING two MIB families disagree: {text}")
    if d.families:
        print("* = the family `poll` reads")


def discover_command(
    host_port: str,
    *,
    community: str | None,
    v3: SnmpV3 | None,
    as_json: bool,
    timeout: float = 2.0,
    rating: Rating | None = None,
) -> int:
    """Print every answering family; exit 0 if one reads power, 1 if none or no answer."""
    try:
        target = make_target(host_port, community, v3, rating)
    except (ValueError, ValidationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ep = Endpoint.from_target(target, timeout=timeout, retries=1)
    try:
        found = asyncio.run(discover(ep, rating or Rating()))
    except SnmpError as exc:
        print(f"error: {error_text(exc)}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(asdict(found), indent=2))
    else:
        _print(found)
    return 0 if any(f.power_watts is not None for f in found.families) else 1
