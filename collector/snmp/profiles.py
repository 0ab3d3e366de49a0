"""Device profiles: which SNMP objects give a device's power (W) and energy, read from TOML.

One file per vendor or MIB in ``collector/snmp/profiles/``. A profile says how to recognise a
device (sysObjectID prefixes, or objects it answers) and where its power and energy are, with
numeric OIDs only, the scale that turns a raw value into W or into the counter's unit, and
the raw values that mean "unsupported" (APC answers -1). Adding a vendor is a new TOML file
plus a recorded walk for its test, not new code (STYLE.md point 6).

A device that reports no watts (a UPS with only its output load, in %) has an ``[estimate]``
table instead: power = load x rated W, or load x rated VA x power factor, labelled estimated.
``never_current`` lists a family's peak, maximum and capacity objects: no power object may
read them. :func:`check_profiles` loads and validates every shipped profile at start-up.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from collector.snmp.rowrules import NumericOid, RowFilter, Scaling, SpecModel
from collector.snmp.snmprec import Oid, parse_oid
from contract.kinds import SnmpKind
from contract.settings import ConfigError, format_errors

PROFILES_DIR = Path(__file__).parent / "profiles"

#: Joules per raw unit of each energy counter unit.
JOULES_PER_UNIT = {"Wh": 3600.0, "kWh": 3.6e6, "0.1kWh": 3.6e5, "0.01kWh": 3.6e4}


class ObjectSpec(SpecModel):
    """One SNMP object: a scalar (GET) or a table column (walked, one value per row).

    value = raw * multiplier / divisor, then the ``scaling`` rules. Rows whose raw value is in
    ``unsupported`` are dropped; an object with no row left does not answer. ``index_suffix``
    keeps the rows whose index ends with these arcs (Raritan: sensor type 5 = W) and drops
    them from the component name. ``index_first`` keeps the rows whose index starts with one
    of these arcs: a group of scalars walked as one column (XPPC-MIB three-phase output: the
    objects 5, 6, 7 of ``…935.1.1.1.8.3`` are the loads of L1, L2, L3). ``only_if`` keeps the
    rows that pass its test, ``exclude_if`` drops those that pass any of its tests.
    """

    oid: NumericOid
    table: bool = False
    multiplier: float = Field(1.0, gt=0)
    divisor: float = Field(1.0, gt=0)
    unsupported: list[int] = Field(default_factory=list)
    scaling: list[Scaling] = Field(default_factory=list)
    only_if: RowFilter | None = None
    exclude_if: list[RowFilter] = Field(
        default_factory=list, description="Rows for which any of these tests holds are dropped."
    )
    index_suffix: list[int] = Field(default_factory=list)
    index_first: list[int] = Field(default_factory=list)
    component: str = Field("{index}", description="Component name; {index} = the row index.")

    @model_validator(mode="after")
    def _rows_need_a_table(self) -> ObjectSpec:
        if self.index_first and not self.table:
            raise ValueError("index_first selects rows of a column: set table = true")
        return self

    @property
    def oid_tuple(self) -> Oid:
        return parse_oid(self.oid)


class PowerSpec(ObjectSpec):
    """Power in W after scaling. ``total`` objects are tried in order, the first that answers
    is the device total (its rows summed); ``breakdown`` objects (outlets, phases) are reported
    per component and never added to the total."""

    role: Literal["total", "breakdown"] = "total"
    source: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]*$")
    fallback_total: bool = Field(
        False, description="A breakdown whose rows are summed when no total object answers."
    )
    note: str = ""


class EnergySpec(ObjectSpec):
    """An energy counter, one per row; ``unit`` is the counter's unit after scaling."""

    unit: Literal["Wh", "kWh", "0.1kWh", "0.01kWh"]
    counter_bits: Literal[32, 64] | None = Field(
        None, description="Wraps at 2**bits raw units; unset: never wraps (a fall is a reset)."
    )
    resettable: bool = False
    scope: Literal["device", "part"] = Field(
        "device",
        description="device: the rows together measure the whole device (inlets, cords, the "
        "UPS output), so they beat whole-device power; part: each row is a part (outlets) and "
        "never replaces the device's power.",
    )
    reset_marker: NumericOid | None = Field(
        None, description="Column whose change means the counter was reset (a reset date)."
    )
    note: str = ""

    @property
    def joules_per_unit(self) -> float:
        return JOULES_PER_UNIT[self.unit]


class EstimateSpec(SpecModel):
    """Power for a device that reports only its output load (%): load x rating.

    ``rated_w`` / ``rated_va`` are the device's own rating objects; a rating set on the target
    (``rated_w``, ``rated_va``, ``power_factor``) is used when the device has none.
    """

    load: ObjectSpec
    rated_w: ObjectSpec | None = None
    rated_va: ObjectSpec | None = None
    source: str = Field("ups_output", pattern=r"^[a-z][a-z0-9_]*$")


class MatchRules(SpecModel):
    sys_object_id: list[NumericOid] = Field(default_factory=list)
    answers: list[NumericOid] = Field(
        default_factory=list,
        description="Objects or subtrees the device must have something under "
        "(default: the first total power object).",
    )


class Profile(SpecModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: SnmpKind
    vendor: str
    mib: str
    source: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Sample source of the power.")
    priority: int = Field(
        50, description="Lower is tried first among profiles not matched by sysObjectID."
    )
    match: MatchRules = Field(default_factory=MatchRules)
    power: list[PowerSpec] = Field(default_factory=list)
    estimate: EstimateSpec | None = None
    energy: list[EnergySpec] = Field(default_factory=list)
    never_current: list[NumericOid] = Field(
        default_factory=list, description="Peak, maximum and capacity objects of this family."
    )
    notes: str = ""

    @model_validator(mode="after")
    def _has_total(self) -> Profile:
        if self.estimate is None and not any(
            p.role == "total" or p.fallback_total for p in self.power
        ):
            raise ValueError(
                "needs at least one [[power]] with role = 'total' (or fallback_total), "
                "or [estimate]"
            )
        for i, spec in enumerate(self.power):
            for bad in self.never_current:
                if _within(spec.oid, bad):
                    raise ValueError(
                        f"power.{i}.oid {spec.oid} is a peak/maximum/capacity object "
                        f"(never_current {bad}), never a current power"
                    )
        return self

    @property
    def totals(self) -> list[PowerSpec]:
        return [p for p in self.power if p.role == "total"]

    @property
    def breakdowns(self) -> list[PowerSpec]:
        return [p for p in self.power if p.role == "breakdown"]

    @property
    def fallbacks(self) -> list[PowerSpec]:
        """Breakdowns that are summed into the total when no total object answers."""
        return [p for p in self.power if p.role == "breakdown" and p.fallback_total]

    def sys_object_match(self, sys_object_id: Oid | None) -> int:
        """Length of the longest matching sysObjectID prefix (0: none matches)."""
        if sys_object_id is None:
            return 0
        best = 0
        for prefix in self.match.sys_object_id:
            p = parse_oid(prefix)
            if sys_object_id[: len(p)] == p:
                best = max(best, len(p))
        return best


def _within(oid: str, prefix: str) -> bool:
    a, b = parse_oid(oid), parse_oid(prefix)
    return a[: len(b)] == b


class ProfileError(ConfigError, ValueError):
    """A profile file is invalid; ``source`` is the file, ``problems`` name the keys."""


def load_profiles(directory: Path = PROFILES_DIR) -> dict[str, Profile]:
    """Every ``*.toml`` of ``directory``, by profile name; bad files fail naming the key."""
    profiles: dict[str, Profile] = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            profile = Profile.model_validate(data)
        except tomllib.TOMLDecodeError as exc:
            raise ProfileError(str(path), [f"TOML syntax: {exc}"]) from None
        except OSError as exc:
            raise ProfileError(str(path), [f"cannot read: {exc.strerror}"]) from None
        except ValidationError as exc:
            raise ProfileError(str(path), format_errors(exc)) from None
        if profile.name in profiles:
            raise ProfileError(str(path), [f"name: {profile.name!r} is used twice"])
        profiles[profile.name] = profile
    if not profiles:
        raise ProfileError(str(directory), ["no profile (*.toml) found"])
    return profiles


def check_profiles(directory: Path | None = None) -> dict[str, Profile]:
    """Load and validate every profile now (call it at start-up, not at the first poll).

    Raises :class:`ProfileError`, a ``contract.settings.ConfigError`` whose ``source`` is the
    profile file and whose ``problems`` name the key. The shipped set is cached for the poller.
    """
    if directory is None or directory == PROFILES_DIR:
        default_profiles.cache_clear()
        return default_profiles()
    return load_profiles(directory)


@functools.cache
def default_profiles() -> dict[str, Profile]:
    """The profiles shipped with veille (loaded once)."""
    return load_profiles(PROFILES_DIR)


def candidates(profiles: dict[str, Profile], sys_object_id: Oid | None) -> list[Profile]:
    """Profiles in the order to try: sysObjectID matches first (longest prefix), then the rest
    by priority; the device's answers decide among them."""

    def key(p: Profile) -> tuple[int, int, str]:
        return (-p.sys_object_match(sys_object_id), p.priority, p.name)

    return sorted(profiles.values(), key=key)
