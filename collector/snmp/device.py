"""Poll one SNMP device: find its profile, read its power (W), energy counters and uptime.

Reads through :mod:`collector.snmp.client` and writes typed samples in SI units:
``power_watts`` (the device total, component None; breakdowns such as outlets carry a
component), ``energy_joules_total`` per independent counter (wrap-corrected, monotonic) and
``uptime_seconds``. The uptime is read with every counter read, since it is what tells a
counter wrap from a device restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from collector.config import SnmpTarget
from collector.model import Sample
from collector.snmp import decode
from collector.snmp.client import Endpoint, SnmpClient, SnmpValue
from collector.snmp.counters import CounterState
from collector.snmp.errors import SnmpError
from collector.snmp.profiles import Profile, candidates, default_profiles
from collector.snmp.snmprec import Oid, format_oid, parse_oid
from contract.schema import Quality, utcnow

_PROBES_PER_REQUEST = 20
_PROFILE_CACHE: dict[tuple[str, str, int, str], str] = {}


class NoProfileError(SnmpError):
    """The device answers, but none of the profiles finds its power."""


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
    if name is not None and name in known:
        raw = await fetch(client, ep, known[name])
        if decode.total_power(known[name], raw) is not None:
            found = known[name], raw
        elif target.profile:
            raise NoProfileError(f"{ep}: profile {name!r} finds no power on this device")
    # Not detected yet, or the device changed (new firmware, swapped card): detect again.
    profile, raw = found or await detect(client, ep, known)
    state.profile = _PROFILE_CACHE[key] = profile.name
    return _result(target.device_id, profile, raw, state)


async def fetch(client: SnmpClient, ep: Endpoint, profile: Profile) -> decode.RawData:
    """Read everything ``profile`` needs: one GET (uptimes included), one bulk walk."""
    scalars, columns = decode.needed_oids(profile)
    values = await client.get(ep, scalars)
    walked = await client.walk(ep, columns) if columns else {}
    table = {col: {oid[len(col) :]: v for oid, v in rows} for col, rows in walked.items()}
    return decode.RawData(values, table)


def _probes(profile: Profile) -> tuple[bool, list[tuple[Oid, bool, list[int]]]]:
    """(all must answer?, [(OID, is a table column, unsupported values)]) for ``profile``:
    its ``match.answers`` all, or else any of its total power objects."""
    if profile.match.answers:
        return True, [(parse_oid(o), True, []) for o in profile.match.answers]
    return False, [(p.oid_tuple, p.table, p.unsupported) for p in profile.totals]


def _base(oid: Oid, table: bool) -> Oid:
    # GETNEXT on a column gives its first row; on a scalar's parent, the scalar itself.
    return oid if table else oid[:-1]


def _answers(
    oid: Oid, table: bool, unsupported: Sequence[int], got: tuple[Oid, SnmpValue | None]
) -> bool:
    found, value = got
    inside = found[: len(oid)] == oid and len(found) > len(oid) if table else found == oid
    return inside and value is not None and value not in unsupported


async def detect(
    client: SnmpClient, ep: Endpoint, profiles: dict[str, Profile]
) -> tuple[Profile, decode.RawData]:
    """The profile for the device at ``ep``: sysObjectID first, then what it answers."""
    got = await client.get(ep, [decode.SYS_OBJECT_ID])
    sys_oid = got.get(decode.SYS_OBJECT_ID)
    ordered = candidates(profiles, sys_oid if isinstance(sys_oid, tuple) else None)
    bases = sorted({_base(o, t) for p in ordered for o, t, _ in _probes(p)[1]})
    replies: dict[Oid, tuple[Oid, SnmpValue | None]] = {}
    for i in range(0, len(bases), _PROBES_PER_REQUEST):
        chunk = bases[i : i + _PROBES_PER_REQUEST]
        replies.update(zip(chunk, await client.get_next(ep, chunk), strict=True))
    for profile in ordered:
        need_all, probes = _probes(profile)
        answered = [_answers(o, t, u, replies[_base(o, t)]) for o, t, u in probes]
        if not (all(answered) if need_all else any(answered)):
            continue
        raw = await fetch(client, ep, profile)
        if decode.total_power(profile, raw) is not None:
            return profile, raw
    shown = format_oid(sys_oid) if isinstance(sys_oid, tuple) else "none"
    raise NoProfileError(
        f"{ep}: no profile finds power on this device (sysObjectID {shown}); "
        "add a profile in collector/snmp/profiles/"
    )


def _result(
    device_id: str, profile: Profile, raw: decode.RawData, state: CounterState
) -> PollResult:
    ts = utcnow()
    samples: list[Sample] = []

    def add(metric: str, value: float, source: str, component: str | None = None) -> None:
        samples.append(Sample(device_id, ts, metric, value, source, Quality.MEASURED, component))

    found = decode.total_power(profile, raw)
    if found is None:
        raise NoProfileError(f"{device_id}: profile {profile.name!r} finds no power")
    spec, rows = found
    power = sum(row.value for row in rows)
    add("power_watts", power, spec.source or profile.source)
    for part, row in decode.breakdown_power(profile, raw):
        add("power_watts", row.value, part.source or profile.source, row.component)
    up = decode.uptime_seconds(raw)
    uptime = up[0] if up else None
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
    if up is not None:
        add("uptime_seconds", up[0], up[1])
    return PollResult(
        device_id,
        profile.name,
        profile.kind,
        power,
        energy,
        uptime,
        samples,
        wraps=state.wraps - wraps_before,
        resets=state.resets - resets_before,
    )
