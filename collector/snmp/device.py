"""Poll one SNMP device: find its profile, read its power (W), energy counters and uptime.

Reads through :mod:`collector.snmp.client` and writes typed samples in SI units:
``power_watts`` (the device total, component None; breakdowns such as outlets carry a
component), ``energy_joules_total`` per independent counter (wrap-corrected, monotonic) and
``uptime_seconds``. The uptime is read with every counter read, since it is what tells a
counter wrap from a device restart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from collector.config import SnmpTarget
from collector.model import Sample
from collector.snmp import decode
from collector.snmp.client import Endpoint, SnmpClient
from collector.snmp.counters import CounterState
from collector.snmp.detect import NoProfileError, detect, detect_checked, fetch
from collector.snmp.errors import SnmpError
from collector.snmp.estimate import PowerUnreadable, Rating, device_power, has_power
from collector.snmp.profiles import Profile, default_profiles
from collector.snmp.sanity import refused_values
from contract.schema import Quality, utcnow

__all__ = ["NoProfileError", "PollResult", "detect", "fetch", "poll_device", "read_device"]

_PROFILE_CACHE: dict[tuple[str, str, int, str], str] = {}


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll of one device gave; ``error`` is set (and the values None) on failure."""

    device_id: str
    profile: str | None
    kind: str | None
    power_watts: float | None
    energy_joules: float | None
    uptime_seconds: float | None
    samples: list[Sample] = field(default_factory=list)
    error: str | None = None
    wraps: int = 0
    resets: int = 0
    quality: Quality | None = None
    derivation: str | None = None
    disagreements: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()  # values read as unknown, with why (collector/snmp/sanity.py)


async def poll_device(
    target: SnmpTarget,
    *,
    timeout: float,
    retries: int,
    state: CounterState | None = None,
    client: SnmpClient | None = None,
    profiles: dict[str, Profile] | None = None,
) -> PollResult:
    """Poll ``target``; SNMP failures are returned in ``PollResult.error``, never raised."""
    try:
        return await read_device(
            target, timeout=timeout, retries=retries, state=state, client=client, profiles=profiles
        )
    except SnmpError as exc:
        return PollResult(target.device_id, None, None, None, None, None, error=str(exc))


async def read_device(
    target: SnmpTarget,
    *,
    timeout: float,
    retries: int,
    state: CounterState | None = None,
    client: SnmpClient | None = None,
    profiles: dict[str, Profile] | None = None,
) -> PollResult:
    """Like :func:`poll_device`, but raises :class:`SnmpError` (and its kinds) on failure."""
    own = client is None
    snmp = SnmpClient() if client is None else client
    try:
        return await _read(target, timeout, retries, state or CounterState(), snmp, profiles)
    finally:
        if own:
            snmp.close()


async def _read(
    target: SnmpTarget,
    timeout: float,
    retries: int,
    state: CounterState,
    client: SnmpClient,
    profiles: dict[str, Profile] | None,
) -> PollResult:
    known = profiles if profiles is not None else default_profiles()
    ep = Endpoint.from_target(target, timeout=timeout, retries=retries)
    key = (target.device_id, ep.host, ep.port, ep.v3.user if ep.v3 else ep.community or "")
    name = target.profile or state.profile or _PROFILE_CACHE.get(key)
    if target.profile and target.profile not in known:
        raise SnmpError(f"{ep}: unknown profile {name!r} (known: {', '.join(sorted(known))})")
    found: tuple[Profile, decode.RawData] | None = None
    refused: tuple[str, ...] = ()
    if name is not None and name in known:
        raw = await fetch(client, ep, known[name])
        refused = refused_values(known[name], raw)
        if has_power(known[name], raw):
            found = known[name], raw
        elif target.profile:
            raise NoProfileError(_no_power(f"{ep}: profile {name!r} finds no power", name, refused))
    if found is None:
        # Not detected yet, or the device changed (new firmware, swapped card): detect again.
        try:
            found, state.disagreements = await detect_checked(client, ep, known, _rating(target))
        except NoProfileError as exc:
            raise NoProfileError(_no_power(str(exc), name, refused)) from None
    profile, raw = found
    state.profile = _PROFILE_CACHE[key] = profile.name
    return _result(target, profile, raw, state)


def _no_power(message: str, name: str | None, refused: tuple[str, ...]) -> str:
    """The error of a poll without power; refused values, when there are, are the cause."""
    if not refused:
        return message
    return f"profile {name!r} read as unknown: {'; '.join(refused)} ({message})"


def _rating(target: SnmpTarget) -> Rating:
    return Rating(target.rated_w, target.rated_va, target.power_factor)


def _result(
    target: SnmpTarget, profile: Profile, raw: decode.RawData, state: CounterState
) -> PollResult:
    device_id = target.device_id
    ts = utcnow()
    samples: list[Sample] = []

    def add(
        metric: str,
        value: float,
        source: str,
        component: str | None = None,
        quality: Quality = Quality.MEASURED,
    ) -> None:
        samples.append(Sample(device_id, ts, metric, value, source, quality, component))

    try:
        total = device_power(profile, raw, _rating(target))
    except PowerUnreadable as exc:
        raise SnmpError(f"{device_id}: {exc}") from None
    if total is None:
        raise NoProfileError(f"{device_id}: profile {profile.name!r} finds no power")
    add("power_watts", total.watts, total.source, quality=total.quality)
    for part, row in decode.breakdown_power(profile, raw):
        add("power_watts", row.value, part.source or profile.source, row.component)
    up = decode.uptime_seconds(raw)
    uptime = state.observe_uptime(up[0] if up else None, time.monotonic())
    energy: float | None = None
    wraps_before, resets_before = state.wraps, state.resets
    counters = decode.energy_counters(profile, raw)
    if counters is not None:
        espec, erows = counters
        modulus = 2**espec.counter_bits if espec.counter_bits else None
        energy = 0.0
        for row in erows:
            mono, _ = state.update(
                f"{espec.oid}|{'.'.join(map(str, row.index))}",
                row.raw,
                modulus=modulus,
                resettable=espec.resettable,
                uptime=uptime,
                marker=row.marker,
            )
            joules = mono * row.factor * espec.joules_per_unit
            energy += joules
            add("energy_joules_total", joules, profile.source, row.component or profile.name)
    if up is not None and uptime is not None:
        add("uptime_seconds", uptime, up[1])
    return PollResult(
        device_id,
        profile.name,
        profile.kind,
        total.watts,
        energy,
        uptime,
        samples,
        wraps=state.wraps - wraps_before,
        resets=state.resets - resets_before,
        quality=total.quality,
        derivation=total.derivation,
        disagreements=state.disagreements,
        refused=refused_values(profile, raw),
    )
