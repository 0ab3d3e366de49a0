"""The GLPI mapping file (TOML): GLPI's entity, location and type to veille's domain, site, kind
and policy group; and the pure function that turns GLPI assets into inventory lines.

Every key is documented in ``deploy/glpi-mapping.example.toml``. Paths match by whole segments
of GLPI's ``completename`` (``Entité racine > Mairie > DSI`` matches ``Entité racine > Mairie``),
case-insensitively, and the longest matching rule wins.

Which field comes from where:

- from GLPI through the mapping, always: kind (itemtype and type), domain (entity; no rule gives
  the kind's default domain), site and datacentre (location), policy group and PUE role (kind;
  the PUE role defaults to the kind's own, ``contract.kinds``, inside a datacentre);
- from the location rule, else kept from the existing inventory: ``metered_by``;
- kept from the existing inventory (GLPI has no such fields): power profile and exemptions.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import Field, ValidationError, field_validator, model_validator

from collector.glpi.assets import Field as AssetField
from collector.glpi.assets import GlpiAsset, Itemtype
from collector.glpi.csv_export import DEFAULT_COLUMNS
from collector.glpi.errors import RowProblem
from collector.inventory import Device, Inventory
from contract.kinds import KINDS, PueRole, kind_of
from contract.settings import ConfigError, Section, format_errors, read_toml


def _kind(value: str) -> str:
    if value not in KINDS:
        raise ValueError(f"unknown kind {value!r}; one of {', '.join(KINDS)}")
    return value


class DeviceIdRule(Section):
    source: AssetField = Field("name", description="The GLPI field veille's device id is.")
    lowercase: bool = True
    prefix: str = ""


class ItemtypeRule(Section):
    kind: str = Field(description="Kind when the GLPI type has no line in `types`.")
    types: dict[str, str] = Field(default_factory=dict, description="GLPI type -> kind.")

    @field_validator("kind")
    @classmethod
    def _known(cls, value: str) -> str:
        return _kind(value)

    @field_validator("types")
    @classmethod
    def _known_types(cls, value: dict[str, str]) -> dict[str, str]:
        for kind in value.values():
            _kind(kind)
        return {k.casefold(): v for k, v in value.items()}


class KindRule(Section):
    policy_group: str | None = None
    pue_role: PueRole | None = Field(
        None, description="Applied when the device is in a datacentre."
    )


class EntityRule(Section):
    match: str = Field(min_length=1)
    domain: str = Field(min_length=1)


class LocationRule(Section):
    match: str = Field(min_length=1)
    site: str = Field(min_length=1)
    datacentre: str | None = None
    metered_by: str | None = Field(None, description="The meter of every device here but itself.")


class CsvSettings(Section):
    columns: dict[AssetField, list[str]] = Field(default_factory=dict)


class GlpiMapping(Section):
    """The whole mapping file."""

    device_id: DeviceIdRule = Field(default_factory=DeviceIdRule)
    skip_statuses: list[str] = Field(default_factory=list)
    default_site: str | None = None
    keep: list[str] = Field(default_factory=list, description="Existing ids never removed.")
    itemtype: dict[Itemtype, ItemtypeRule] = Field(default_factory=dict)
    kind: dict[str, KindRule] = Field(default_factory=dict)
    entity: list[EntityRule] = Field(default_factory=list)
    location: list[LocationRule] = Field(default_factory=list)
    csv: CsvSettings = Field(default_factory=CsvSettings)

    @model_validator(mode="after")
    def _kinds(self) -> GlpiMapping:
        for kind in self.kind:
            _kind(kind)
        return self

    def csv_columns(self) -> dict[AssetField, tuple[str, ...]]:
        """Header labels per field: the file's own first, then GLPI's French and English."""
        return {
            f: (*self.csv.columns.get(f, ()), *DEFAULT_COLUMNS.get(f, ()))
            for f in (*DEFAULT_COLUMNS, *self.csv.columns)
        }


def load_mapping(path: Path) -> GlpiMapping:
    """Read and check the mapping file; ConfigError names every bad key."""
    try:
        return GlpiMapping.model_validate(read_toml(path))
    except ValidationError as exc:
        raise ConfigError(str(path), format_errors(exc)) from None


R = TypeVar("R", EntityRule, LocationRule)


def _segments(path: str) -> list[str]:
    return [s.strip().casefold() for s in path.split(">")]


def _matches(rule: str, value: str | None) -> int:
    """How many segments of ``rule`` prefix ``value`` (0: no match)."""
    if not value:
        return 0
    r, v = _segments(rule), _segments(value)
    return len(r) if v[: len(r)] == r else 0


def _best(rules: Sequence[R], value: str | None) -> list[R]:
    """Matching rules, longest first."""
    scored = [(n, i, r) for i, r in enumerate(rules) if (n := _matches(r.match, value))]
    return [r for _, _, r in sorted(scored, key=lambda t: (-t[0], t[1]))]


@dataclass(frozen=True, slots=True)
class Mapped:
    """The result of mapping: the new inventory lines, the refused rows, the skipped ones."""

    devices: list[Device] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    skipped: list[RowProblem] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def _device_id(asset: GlpiAsset, rule: DeviceIdRule) -> str | None:
    raw = asset.field(rule.source)
    if raw is None:
        return None
    ident = raw.strip()
    return rule.prefix + (ident.lower() if rule.lowercase else ident)


def map_asset(asset: GlpiAsset, m: GlpiMapping, existing: Device | None, ident: str) -> Device:
    """One asset as an inventory line (raises ValueError or ValidationError with the reason)."""
    rule = m.itemtype.get(asset.itemtype)
    if rule is None:
        raise ValueError(f"itemtype {asset.itemtype} has no [itemtype.{asset.itemtype}] rule")
    kind = rule.types.get((asset.type or "").casefold(), rule.kind)
    entity = _best(m.entity, asset.entity)
    locations = _best(m.location, asset.location)
    if locations:
        site, datacentre = locations[0].site, locations[0].datacentre
    elif m.default_site is not None:
        site, datacentre = m.default_site, None
    else:
        where = f"location {asset.location!r}" if asset.location else "no location"
        raise ValueError(f"{where} matches no [[location]] rule, and no default_site is set")
    meter = next((r.metered_by for r in locations if r.metered_by and r.metered_by != ident), None)
    kind_rule = m.kind.get(kind, KindRule())
    role = kind_rule.pue_role or kind_of(kind).pue_role
    pue_role: PueRole = role if datacentre else "none"
    return Device(
        id=ident,
        kind=kind,
        domain=entity[0].domain if entity else "",
        site=site,
        datacentre=datacentre,
        pue_role=pue_role,
        policy_group=kind_rule.policy_group,
        metered_by=meter or (existing.metered_by if existing else None),
        idle_watts=existing.idle_watts if existing else None,
        max_watts=existing.max_watts if existing else None,
        exemptions=existing.exemptions if existing else (),
    )


def map_assets(assets: Iterable[GlpiAsset], m: GlpiMapping, existing: Inventory) -> Mapped:
    """Every asset mapped; bad rows are problems, skipped statuses are listed, kept ids added."""
    out = Mapped()
    seen: dict[str, str] = {}
    skip = {s.casefold() for s in m.skip_statuses}
    for asset in assets:
        if asset.status and asset.status.casefold() in skip:
            out.skipped.append(RowProblem(asset.where, f"status {asset.status!r} is skipped"))
            continue
        if not asset.name:
            out.problems.append(RowProblem(asset.where, "missing name"))
            continue
        ident = _device_id(asset, m.device_id)
        label = f"{asset.itemtype} {asset.name!r}"
        if ident is None:
            reason = f"missing {m.device_id.source} (the device id comes from it)"
            out.problems.append(RowProblem(asset.where, f"{label}: {reason}"))
            continue
        if ident in seen:
            reason = f"device id {ident!r} also comes from {seen[ident]}"
            if seen[ident] == asset.where:
                reason = "listed twice by GLPI (changed while it was read? run the import again)"
            out.problems.append(RowProblem(asset.where, f"{label}: {reason}"))
            continue
        seen[ident] = asset.where
        try:
            out.devices.append(map_asset(asset, m, existing.get(ident), ident))
        except ValidationError as exc:
            reasons = "; ".join(format_errors(exc))
            out.problems.append(RowProblem(asset.where, f"{label}: {reasons}"))
        except ValueError as exc:
            out.problems.append(RowProblem(asset.where, f"{label}: {exc}"))
    for ident, device in existing.devices.items():
        if ident not in seen and any(fnmatch.fnmatchcase(ident, p) for p in m.keep):
            out.devices.append(device)
            out.kept.append(ident)
    return out
