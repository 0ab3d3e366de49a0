"""Turn raw SNMP values into power (W) and counter readings, following a profile. Pure code.

Input is what :mod:`collector.snmp.client` read (raw integers, unscaled); output is one
:class:`Row` per scalar or table row, with the value in W (power) or in the counter's unit
(energy: Wh, kWh, 0.1 kWh...), and the factor from raw to that unit, which the counter
tracking needs (a counter wraps in raw units).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from collector.snmp.client import SnmpValue
from collector.snmp.profiles import EnergySpec, ObjectSpec, PowerSpec, Profile
from collector.snmp.snmprec import Oid, parse_oid

SYS_OBJECT_ID: Oid = (1, 3, 6, 1, 2, 1, 1, 2, 0)
SYS_UPTIME: Oid = (1, 3, 6, 1, 2, 1, 1, 3, 0)
HR_SYSTEM_UPTIME: Oid = (1, 3, 6, 1, 2, 1, 25, 1, 1, 0)

_NEUTRAL = {"decimal_digits": 0, "power10": 0, "entity_scale": 9}


@dataclass(frozen=True, slots=True)
class RawData:
    """One read of a device: scalars by OID, and table columns as {row index: value}."""

    scalars: dict[Oid, SnmpValue | None] = field(default_factory=dict)
    columns: dict[Oid, dict[Oid, SnmpValue]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Row:
    """One value of one object: ``value = raw * factor``, in W or in the counter's unit."""

    index: Oid
    component: str
    raw: int
    factor: float
    marker: SnmpValue | None = None

    @property
    def value(self) -> float:
        return self.raw * self.factor


def _spec_oids(spec: ObjectSpec) -> list[Oid]:
    oids = [spec.oid_tuple]
    oids += [parse_oid(s.column) for s in spec.scaling]
    for test in ([spec.only_if] if spec.only_if is not None else []) + spec.exclude_if:
        oids.append(parse_oid(test.column))
    if isinstance(spec, EnergySpec) and spec.reset_marker is not None:
        oids.append(parse_oid(spec.reset_marker))
    return oids


def needed_oids(profile: Profile) -> tuple[list[Oid], list[Oid]]:
    """(scalars to GET, columns to walk) for one read of ``profile``, uptimes included."""
    scalars: list[Oid] = [SYS_UPTIME, HR_SYSTEM_UPTIME]
    columns: list[Oid] = []
    specs: list[ObjectSpec] = [*profile.power, *profile.energy]
    if profile.estimate is not None:
        est = profile.estimate
        specs += [s for s in (est.load, est.rated_w, est.rated_va) if s is not None]
    for spec in specs:
        target = columns if spec.table else scalars
        for oid in _spec_oids(spec):
            if oid not in target:
                target.append(oid)
    return scalars, columns


def rows_of(spec: ObjectSpec, raw: RawData) -> list[Row]:
    """The rows of ``spec`` that answer with a supported number, scaled."""
    if spec.table:
        items = list(raw.columns.get(spec.oid_tuple, {}).items())
    else:
        value = raw.scalars.get(spec.oid_tuple)
        items = [((), value)] if value is not None else []

    def aux(column: str, index: Oid) -> SnmpValue | None:
        oid = parse_oid(column)
        if spec.table:
            return raw.columns.get(oid, {}).get(index)
        return raw.scalars.get(oid)

    suffix = tuple(spec.index_suffix)
    rows: list[Row] = []
    for index, value in items:
        if not isinstance(value, int) or value in spec.unsupported:
            continue
        if value < 0 and not isinstance(spec, PowerSpec):
            continue  # a negative energy, load or rating is no reading (snmp/sanity.py)
        name_index = index
        if spec.index_first and (not index or index[0] not in spec.index_first):
            continue
        if suffix:
            if index[-len(suffix) :] != suffix:
                continue
            name_index = index[: -len(suffix)]
        if spec.only_if is not None and not spec.only_if.holds(aux(spec.only_if.column, index)):
            continue
        if any(test.holds(aux(test.column, index)) for test in spec.exclude_if):
            continue
        factor = spec.multiplier / spec.divisor
        for rule in spec.scaling:
            arg = aux(rule.column, index)
            n = arg if isinstance(arg, int) else _NEUTRAL[rule.rule]
            if rule.rule == "decimal_digits":
                factor /= 10.0**n
            elif rule.rule == "power10":
                factor *= 10.0**n
            else:
                factor *= 10.0 ** (3 * (n - 9))
        marker = None
        if isinstance(spec, EnergySpec) and spec.reset_marker is not None:
            marker = aux(spec.reset_marker, index)
        component = spec.component.format(index=".".join(str(a) for a in name_index))
        rows.append(Row(index, component, value, factor, marker))
    return rows


def total_power(profile: Profile, raw: RawData) -> tuple[PowerSpec, list[Row]] | None:
    """The first total power object that answers, with its rows (their sum is the total)."""
    for spec in profile.totals:
        rows = rows_of(spec, raw)
        if rows:
            return spec, rows
    return None


def fallback_power(profile: Profile, raw: RawData) -> tuple[PowerSpec, list[Row]] | None:
    """When no total answers: the first ``fallback_total`` breakdown (outlets), to be summed."""
    for spec in profile.fallbacks:
        rows = rows_of(spec, raw)
        if rows:
            return spec, rows
    return None


def breakdown_power(profile: Profile, raw: RawData) -> list[tuple[PowerSpec, Row]]:
    return [(spec, row) for spec in profile.breakdowns for row in rows_of(spec, raw)]


def energy_counters(profile: Profile, raw: RawData) -> tuple[EnergySpec, list[Row]] | None:
    """The first energy object that answers; each row is an independent counter."""
    for spec in profile.energy:
        rows = rows_of(spec, raw)
        if rows:
            return spec, rows
    return None


def uptime_seconds(raw: RawData) -> tuple[float, str] | None:
    """(seconds, source): hrSystemUptime (the host) when answered, else sysUpTime (the agent)."""
    for oid, source in ((HR_SYSTEM_UPTIME, "snmp_hrsystemuptime"), (SYS_UPTIME, "snmp_sysuptime")):
        ticks = raw.scalars.get(oid)
        if isinstance(ticks, int):
            return ticks / 100.0, source
    return None
