"""A device's power from its decoded objects: measured watts, or an estimate from load x rating.

Order: the profile's total objects (inlet, device or cord total); else a sum of the breakdowns
marked ``fallback_total`` (outlets, when the device has no total); else, for a device with an
``[estimate]`` table, its output load (%) times its rating: rated W, or rated VA x power
factor. The device's own rating objects come first, then the rating set on the target. An
estimate is labelled ``quality = "estimated"`` and its source says how it was derived.
A true 0 W is 0, never "missing"; a total below 0 W is refused, never recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.snmp import decode
from collector.snmp.profiles import ObjectSpec, Profile
from contract.schema import Quality

#: Power factor assumed for a VA rating when the target sets none.
DEFAULT_POWER_FACTOR = 0.9


class PowerUnreadable(ValueError):
    """The profile's objects answer, but give no usable power; the message says why."""


class NoRating(PowerUnreadable):
    """The device reports its load but no rating, and the target sets none."""


class NegativePower(PowerUnreadable):
    """The total reads below 0 W: not a consumption (a sign error, a sentinel, a light level)."""


@dataclass(frozen=True, slots=True)
class Rating:
    """A rating set on the target, for devices that do not report theirs."""

    rated_w: float | None = None
    rated_va: float | None = None
    power_factor: float | None = None


@dataclass(frozen=True, slots=True)
class DevicePower:
    """The device total: ``watts``, how it was read or derived, and its components."""

    watts: float
    source: str
    quality: Quality
    derivation: str
    rows: tuple[decode.Row, ...] = ()


def _scalar(spec: ObjectSpec | None, raw: decode.RawData) -> float | None:
    rows = decode.rows_of(spec, raw) if spec is not None else []
    return sum(r.value for r in rows) if rows else None


def has_power(profile: Profile, raw: decode.RawData) -> bool:
    """Whether ``raw`` holds something this profile reads power from (load counts)."""
    if decode.total_power(profile, raw) or decode.fallback_power(profile, raw):
        return True
    est = profile.estimate
    return est is not None and bool(decode.rows_of(est.load, raw))


def device_power(profile: Profile, raw: decode.RawData, rating: Rating) -> DevicePower | None:
    """The device's power (None: nothing answers); :class:`NoRating` if only a load does,
    :class:`NegativePower` if the measured total is below 0 W."""
    found = decode.total_power(profile, raw)
    how, suffix = "sum of {oid}", ""
    if found is None:
        found = decode.fallback_power(profile, raw)
        how, suffix = "sum of the breakdown {oid} (the device reports no total)", "_sum"
    if found is not None:
        spec, rows = found
        watts = sum(r.value for r in rows)
        if watts < 0:
            raise NegativePower(
                f"profile {profile.name!r}: {how.format(oid=spec.oid)} reads {watts:g} W, "
                "below 0: not a power draw, not recorded"
            )
        return DevicePower(
            watts,
            (spec.source or profile.source) + suffix,
            Quality.MEASURED,
            how.format(oid=spec.oid),
            tuple(rows),
        )
    est = profile.estimate
    if est is None:
        return None
    load_rows = decode.rows_of(est.load, raw)
    if not load_rows:
        return None
    load = sum(r.value for r in load_rows) / len(load_rows)
    pf = rating.power_factor if rating.power_factor is not None else DEFAULT_POWER_FACTOR
    device_w, device_va = _scalar(est.rated_w, raw), _scalar(est.rated_va, raw)
    for value, label, factor in (
        (device_w, f"the device's rated W ({est.rated_w.oid if est.rated_w else ''})", 1.0),
        (
            device_va,
            f"the device's rated VA ({est.rated_va.oid if est.rated_va else ''}) "
            f"x power factor {pf:g}",
            pf,
        ),
        (rating.rated_w, "the target's rated_w", 1.0),
        (rating.rated_va, f"the target's rated_va x power factor {pf:g}", pf),
    ):
        if value is not None and value > 0:
            watts = load / 100.0 * value * factor
            derivation = f"output load {load:g} % ({est.load.oid}) x {value:g} ({label})"
            return DevicePower(
                watts, f"{est.source}_estimated", Quality.ESTIMATED, derivation, tuple(load_rows)
            )
    raise NoRating(
        f"profile {profile.name!r}: the device reports its output load ({load:g} %) but no "
        "rating; set rated_w, or rated_va (and power_factor), on the target (collector.toml), "
        "or --rated-w / --rated-va with veille-collector poll"
    )
