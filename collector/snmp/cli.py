"""``veille-collector poll HOST:PORT``: read one device once, for the operator adding it.

Prints the detected profile, the power (W), the energy counters (kWh) and the uptime, as text
or JSON. Exit codes: 0 read, 1 the device did not answer, refused the credentials or has no
known power object, 2 a bad HOST:PORT.
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
        samples=[
            {"metric": s.metric, "value": s.value, "source": s.source, "component": s.component}
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
    print(f"power    {result.power_watts:.1f} W ({total.source})")
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


def poll_command(
    host_port: str,
    *,
    community: str | None,
    v3: SnmpV3 | None,
    as_json: bool,
    timeout: float = 2.0,
) -> int:
    """Poll ``host_port`` once and print what veille would record; returns the exit code."""
    try:
        host, port = _split(host_port)
        target = SnmpTarget(
            device_id="poll",
            host=host,
            port=port,
            community=SecretStr(community) if community is not None else None,
            v3=v3,
        )
    except (ValueError, ValidationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    label = f"{host}:{port}"
    try:
        result = asyncio.run(read_device(target, timeout=timeout, retries=1))
    except SnmpError as exc:
        if isinstance(exc, SnmpTimeout):
            what = "no answer"
        elif isinstance(exc, SnmpAuthError):
            what = "SNMPv3 credentials refused"
        else:
            what = "SNMP error"
        message = f"{what}: {exc}"
        if as_json:
            print(json.dumps(_as_dict(label, None, message), indent=2))
        print(f"error: {message}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(_as_dict(label, result, None), indent=2))
    else:
        _print_text(label, result)
    return 0
