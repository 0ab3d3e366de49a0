"""Find which profile reads a device: sysObjectID first, then the most complete reading.

Every profile whose probe objects answer is read (once, at detection). Among those that find
power, the ones matching the device's sysObjectID win; among them, a total object beats a sum
of outlets, which beats an estimate from load; then ``priority``. Other families of the same
device whose measured totals differ by more than 5 % are reported with both figures, so a
device is never silently read from one of two disagreeing MIBs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from collector.snmp import decode
from collector.snmp.client import Endpoint, SnmpClient, SnmpValue
from collector.snmp.errors import SnmpError
from collector.snmp.estimate import DevicePower, PowerUnreadable, Rating, device_power, has_power
from collector.snmp.profiles import ObjectSpec, Profile, candidates
from collector.snmp.snmprec import Oid, format_oid, parse_oid
from contract.schema import Quality

_PROBES_PER_REQUEST = 20
#: Two families whose totals differ by more than this fraction are flagged.
DISAGREE_FRACTION = 0.05


class NoProfileError(SnmpError):
    """The device answers, but none of the profiles finds its power."""


async def fetch(client: SnmpClient, ep: Endpoint, profile: Profile) -> decode.RawData:
    """Read everything ``profile`` needs: one GET (uptimes included) and one bulk walk, sent
    together (neither waits for the other's answer)."""
    scalars, columns = decode.needed_oids(profile)
    if columns:
        values, walked = await asyncio.gather(client.get(ep, scalars), client.walk(ep, columns))
    else:
        values, walked = await client.get(ep, scalars), {}
    table = {col: {oid[len(col) :]: v for oid, v in rows} for col, rows in walked.items()}
    return decode.RawData(values, table)


def _probes(profile: Profile) -> tuple[bool, list[tuple[Oid, bool, list[int]]]]:
    """(all must answer?, [(OID, is a table column, unsupported values)]) for ``profile``:
    its ``match.answers`` all, or else any of its total, outlet-sum or load objects."""
    if profile.match.answers:
        return True, [(parse_oid(o), True, []) for o in profile.match.answers]
    specs: list[ObjectSpec] = [*profile.totals, *profile.fallbacks]
    if profile.estimate is not None:
        specs.append(profile.estimate.load)
    return False, [(p.oid_tuple, p.table, p.unsupported) for p in specs]


def _answers(
    oid: Oid, table: bool, unsupported: Sequence[int], got: tuple[Oid, SnmpValue | None]
) -> bool:
    found, value = got
    inside = found[: len(oid)] == oid and len(found) > len(oid) if table else found == oid
    return inside and value is not None and value not in unsupported


async def answering(
    client: SnmpClient, ep: Endpoint, profiles: dict[str, Profile]
) -> tuple[Oid | None, list[tuple[Profile, decode.RawData]]]:
    """(sysObjectID, every profile whose objects answer, with its read), in candidate order."""
    got = await client.get(ep, [decode.SYS_OBJECT_ID])
    value = got.get(decode.SYS_OBJECT_ID)
    sys_oid = value if isinstance(value, tuple) else None
    ordered = candidates(profiles, sys_oid)
    wanted = {(o, t) for p in ordered for o, t, _ in _probes(p)[1]}
    columns = sorted(o for o, t in wanted if t)
    scalars = sorted(o for o, t in wanted if not t)
    replies: dict[tuple[Oid, bool], tuple[Oid, SnmpValue | None]] = {}
    for i in range(0, len(columns), _PROBES_PER_REQUEST):
        chunk = columns[i : i + _PROBES_PER_REQUEST]
        got_next = await client.get_next(ep, chunk)
        replies.update({(o, True): g for o, g in zip(chunk, got_next, strict=True)})
    for i in range(0, len(scalars), _PROBES_PER_REQUEST):
        chunk = scalars[i : i + _PROBES_PER_REQUEST]
        values = await client.get(ep, chunk)
        replies.update({(o, False): (o, values.get(o)) for o in chunk})
    found: list[tuple[Profile, decode.RawData]] = []
    for profile in ordered:
        need_all, probes = _probes(profile)
        answered = [_answers(o, t, u, replies[(o, t)]) for o, t, u in probes]
        if not (all(answered) if need_all else any(answered)):
            continue
        raw = await fetch(client, ep, profile)
        if has_power(profile, raw):
            found.append((profile, raw))
    return sys_oid, found


def _completeness(profile: Profile, raw: decode.RawData) -> int:
    """0: a total object answers; 1: only a sum of outlets; 2: only an estimate."""
    if decode.total_power(profile, raw) is not None:
        return 0
    return 1 if decode.fallback_power(profile, raw) is not None else 2


def choose(
    sys_oid: Oid | None, found: list[tuple[Profile, decode.RawData]]
) -> tuple[Profile, decode.RawData] | None:
    """The sysObjectID-matching family first, then the most complete reading, then priority."""
    if not found:
        return None
    best = max(p.sys_object_match(sys_oid) for p, _ in found)
    same = [(p, r) for p, r in found if p.sys_object_match(sys_oid) == best]
    return min(same, key=lambda pr: (_completeness(*pr), pr[0].priority, pr[0].name))


def disagreements(
    chosen: tuple[Profile, decode.RawData],
    found: list[tuple[Profile, decode.RawData]],
    rating: Rating,
) -> tuple[str, ...]:
    """Other families of the same device whose measured total differs by > 5 %, with both.

    An estimate chosen over a measured family (the sysObjectID family estimates, a generic one
    measures) is compared too: the measured figure is shown, never silently dropped."""
    mine = _power(*chosen, rating)
    if mine is None:
        return ()
    label = "" if mine.quality is Quality.MEASURED else f" ({mine.quality.value})"
    out: list[str] = []
    for profile, raw in found:
        if profile is chosen[0]:
            continue
        other = _power(profile, raw, rating)
        if other is None or other.quality is not Quality.MEASURED:
            continue
        top = max(abs(mine.watts), abs(other.watts))
        if top > 0 and abs(mine.watts - other.watts) / top > DISAGREE_FRACTION:
            out.append(
                f"{chosen[0].name} ({chosen[0].mib}) reads {mine.watts:.1f} W{label} but "
                f"{profile.name} ({profile.mib}) reads {other.watts:.1f} W"
            )
    return tuple(out)


def _power(profile: Profile, raw: decode.RawData, rating: Rating) -> DevicePower | None:
    try:
        return device_power(profile, raw, rating)
    except PowerUnreadable:
        return None


async def detect_checked(
    client: SnmpClient, ep: Endpoint, profiles: dict[str, Profile], rating: Rating
) -> tuple[tuple[Profile, decode.RawData], tuple[str, ...]]:
    """The profile for the device at ``ep`` and the families that disagree with it."""
    sys_oid, found = await answering(client, ep, profiles)
    chosen = choose(sys_oid, found)
    if chosen is None:
        shown = format_oid(sys_oid) if sys_oid else "none"
        raise NoProfileError(
            f"{ep}: no profile finds power on this device (sysObjectID {shown}); "
            "add a profile in collector/snmp/profiles/"
        )
    return chosen, disagreements(chosen, found, rating)


async def detect(
    client: SnmpClient, ep: Endpoint, profiles: dict[str, Profile]
) -> tuple[Profile, decode.RawData]:
    """The profile for the device at ``ep``: sysObjectID first, then what it answers."""
    chosen, _ = await detect_checked(client, ep, profiles, Rating())
    return chosen
