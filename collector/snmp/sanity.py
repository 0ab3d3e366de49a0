"""Which values of a device's read a profile refuses, and why. Pure code.

:func:`collector.snmp.decode.rows_of` reads only numbers: an OctetString or an OID where a
profile expects a number is read as unknown, never turned into a figure, and so is a negative
energy register, load or rating. (A power object's rows keep their sign: a sensor's sum may
need it, and a total below 0 W is refused by :class:`collector.snmp.estimate.NegativePower`.)
This module says what was refused, for the poll's result and the log
(``1.3.6.1.4.1.318.1.1.12.1.16.0 answered the text '312', not a number``). Objects that did
not answer at all (noSuchObject) are not listed: profiles name alternatives, and most devices
answer only some of them.
"""

from __future__ import annotations

from collector.snmp.client import SnmpValue
from collector.snmp.decode import RawData
from collector.snmp.profiles import ObjectSpec, PowerSpec, Profile
from collector.snmp.snmprec import Oid, format_oid, parse_oid


def _why(value: SnmpValue, spec: ObjectSpec) -> str | None:
    if isinstance(value, str):
        return f"answered the text {value[:40]!r}, not a number"
    if isinstance(value, tuple):
        return f"answered the OID {format_oid(value)}, not a number"
    if value < 0 and not isinstance(spec, PowerSpec):
        return f"answered {value}, a negative value"
    return None


def _selected(spec: ObjectSpec, raw: RawData, index: Oid) -> bool:
    """Whether a row of a column is one ``spec`` reads (a column may mix sensor types)."""
    if spec.index_first and (not index or index[0] not in spec.index_first):
        return False
    suffix = tuple(spec.index_suffix)
    if suffix and index[-len(suffix) :] != suffix:
        return False
    if spec.only_if is not None:
        marker = raw.columns.get(parse_oid(spec.only_if.column), {}).get(index)
        return marker == spec.only_if.equals
    return True


def _specs(profile: Profile) -> list[ObjectSpec]:
    specs: list[ObjectSpec] = [*profile.power, *profile.energy]
    est = profile.estimate
    if est is not None:
        specs += [s for s in (est.load, est.rated_w, est.rated_va) if s is not None]
    return specs


def refused_values(profile: Profile, raw: RawData) -> tuple[str, ...]:
    """One reason per value of ``raw`` that ``profile`` reads and refuses, in profile order."""
    reasons: list[str] = []
    for spec in _specs(profile):
        items: list[tuple[Oid, SnmpValue]]
        if spec.table:
            column = raw.columns.get(spec.oid_tuple, {})
            items = [(spec.oid_tuple + i, v) for i, v in column.items() if _selected(spec, raw, i)]
        else:
            value = raw.scalars.get(spec.oid_tuple)
            items = [] if value is None else [(spec.oid_tuple, value)]
        for oid, value in items:
            if isinstance(value, int) and value in spec.unsupported:
                continue
            why = _why(value, spec)
            if why is not None:
                reasons.append(f"{format_oid(oid)} {why}")
    return tuple(dict.fromkeys(reasons))
