"""``veille-collector poll HOST:PORT``: read one device once, for the operator adding it.

Prints the detected profile, the power (W, with its quality: measured, or estimated from the
output load and how), the energy counters (kWh), the uptime, and any other MIB family of the
device that reads a different total, as text or JSON. ``--discover`` lists every known family
that answers and what each would read (:mod:`collector.snmp.discover`). Exit codes: 0 read,
1 the device did not answer, refused the credentials or has no known power object, 2 a bad
HOST:PORT.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from pydantic import SecretStr, ValidationError

from collector.config import SnmpTarget, SnmpV3
from collector.snmp.device import PollResult, read_device
from collector.snmp.errors import SnmpAuthError, SnmpError, SnmpTimeout
from collector.snmp.estimate import Rating
from collector.snmp.profiles import default_profiles

JOULES_PER_KWH = 3.6e6


def _split(host_port: str) -> tuple[str, int]:
    host, sep, port = host_port.rpartition(":")
    if not sep:
        return host_port, 161
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{host_port!r} is not HOST:PORT (port 1-65535)")
    return host.strip("[]"), int(port)


def _uptime_text(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days} d {hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _as_dict(target: str, result: PollResult | None, error: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"target": target, "error": error}
    if result is None:
        return out
    energy = result.energy_joules
    out.update(
        profile=result.profile,
        kind=result.kind,
        power_watts=result.power_watts,
        energy_joules=energy,
        energy_kwh=None if energy is None else energy / JOULES_PER_KWH,
        uptime_seconds=result.uptime_seconds,
        quality=None if result.quality is None else str(result.quality),
        derivation=result.derivation,
        disagreements=list(result.disagreements),
        refused=list(result.refused),
        samples=[
            {
                "metric": s.metric,
                "value": s.value,
                "source": s.source,
                "quality": str(s.quality),
                "component": s.component,
            }
            for s in result.samples
        ],
    )
    return out


def _print_text(target: str, result: PollResult) -> None:
    profile = default_profiles().get(result.profile or "")
    about = f" ({profile.kind}, {profile.vendor}, {profile.mib})" if profile else ""
    print(f"device   {target}")
    print(f"profile  {result.profile}{about}")
    total = next(s for s in result.samples if s.metric == "power_watts" and s.component is None)
    print(f"power    {result.power_watts:.1f} W ({total.source}, {total.quality})")
    if result.quality is not None and result.quality != "measured":
        print(f"         {result.derivation}")
    for text in result.disagreements:
        print(f"WARNING  two MIB families disagree: {text}")
    for text in result.refused:
        print(f"WARNING  read as unknown: {text}")
    counters = [s for s in result.samples if s.metric == "energy_joules_total"]
    if result.energy_joules is None:
        print("energy   - (no energy counter)")
    else:
        kwh = result.energy_joules / JOULES_PER_KWH
        print(f"energy   {kwh:.3f} kWh ({len(counters)} counter{'s' * (len(counters) > 1)})")
    uptime = next((s for s in result.samples if s.metric == "uptime_seconds"), None)
    if uptime is None:
        print("uptime   - (neither sysUpTime nor hrSystemUptime answers)")
    else:
        print(f"uptime   {_uptime_text(uptime.value)} ({uptime.source})")
    parts = [s for s in result.samples if s.metric == "power_watts" and s.component]
    for s in parts:
        print(f"  {s.component:<20} {s.value:10.1f} W  ({s.source})")


def make_target(
    host_port: str, community: str | None, v3: SnmpV3 | None, rating: Rating | None = None
) -> SnmpTarget:
    """The one-off target of a command line (ValueError / ValidationError if it is wrong)."""
    host, port = _split(host_port)
    r = rating or Rating()
    return SnmpTarget(
        device_id="poll",
        host=host,
        port=port,
        community=SecretStr(community) if community is not None else None,
        v3=v3,
        rated_w=r.rated_w,
        rated_va=r.rated_va,
        power_factor=r.power_factor,
    )


def error_text(exc: SnmpError) -> str:
    if isinstance(exc, SnmpTimeout):
        what = "no answer"
    elif isinstance(exc, SnmpAuthError):
        what = "SNMPv3 credentials refused"
    else:
        what = "SNMP error"
    return f"{what}: {exc}"


def poll_command(
    host_port: str,
    *,
    community: str | None,
    v3: SnmpV3 | None,
    as_json: bool,
    timeout: float = 2.0,
    rating: Rating | None = None,
) -> int:
    """Poll ``host_port`` once and print what veille would record; returns the exit code."""
    try:
        target = make_target(host_port, community, v3, rating)
    except (ValueError, ValidationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    label = f"{target.host}:{target.port}"
    try:
        result = asyncio.run(read_device(target, timeout=timeout, retries=1))
    except SnmpError as exc:
        message = error_text(exc)
        if as_json:
            print(json.dumps(_as_dict(label, None, message), indent=2))
        print(f"error: {message}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(_as_dict(label, result, None), indent=2))
    else:
        _print_text(label, result)
    return 0
