"""The inventory: which device is what, where, and how it counts (TOML or CSV file).

Each device has a kind, a domain ("domaine du SI"), a site, an optional datacentre and PUE role,
a sleep-policy group, exemptions that expire, and a power profile (idle and max watts) used
when nothing measures it. A device that reports but is not listed is still accepted, and shown
as unassigned.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from collector.domains import DOMAINS, UNASSIGNED, default_domain
from contract.kinds import KINDS, PueRole, counts_energy
from contract.schema import IDENT_PATTERN
from contract.settings import ConfigError, format_errors, read_toml


class Exemption(BaseModel):
    """The device is exempt from the sleep policy until ``until`` (inclusive)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    reason: str = Field(min_length=3)
    until: date


class Device(BaseModel):
    """One inventory line."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=IDENT_PATTERN)
    kind: str = "other"
    domain: str = ""
    site: str = ""
    datacentre: str | None = None
    pue_role: PueRole = Field(
        "none",
        description="Role in the datacentre's PUE; when unset: the kind's role inside a "
        "datacentre (contract.kinds), none outside one.",
    )
    policy_group: str | None = None
    metered_by: str | None = Field(
        None,
        description="Id of the meter upstream whose reading already includes this device "
        "(a server behind a PDU, a PDU behind the datacentre meter). Totals count the meter "
        "for the hours it has data, and this device only for the hours it has none.",
    )
    idle_watts: float | None = Field(None, ge=0)
    max_watts: float | None = Field(None, ge=0)
    exemptions: tuple[Exemption, ...] = ()

    @field_validator("kind")
    @classmethod
    def _kind(cls, kind: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        return kind

    @model_validator(mode="before")
    @classmethod
    def _role(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("pue_role") is None:
            kind = KINDS.get(str(data.get("kind", "other")))
            in_dc = bool(data.get("datacentre"))
            data = {**data, "pue_role": kind.pue_role if kind and in_dc else "none"}
        return data

    @property
    def effective_domain(self) -> str:
        return self.domain or default_domain(self.kind)

    def exempt_on(self, day: date) -> Exemption | None:
        """The exemption in force on ``day``, if any."""
        return next((e for e in self.exemptions if day <= e.until), None)


class Inventory:
    """Devices by id, plus the domains allowed."""

    def __init__(self, devices: Iterable[Device], domains: Iterable[str] = DOMAINS) -> None:
        self.devices: dict[str, Device] = {}
        self.domains = tuple(domains)
        for d in devices:
            if d.id in self.devices:
                raise ConfigError("inventory", [f"device {d.id}: listed twice"])
            if d.domain and d.domain not in self.domains:
                raise ConfigError(
                    "inventory", [f"device {d.id}.domain: unknown domain {d.domain!r}"]
                )
            self.devices[d.id] = d

    def get(self, device_id: str) -> Device | None:
        return self.devices.get(device_id)

    def domain_of(self, device_id: str) -> str:
        d = self.devices.get(device_id)
        return d.effective_domain if d else UNASSIGNED

    def counts_energy(self, device_id: str) -> bool:
        """Whether the device's kWh count in the energy totals: not a heat-reuse meter
        (``pue_role = "reuse"``, or a kind outside the totals, :mod:`contract.kinds`)."""
        d = self.devices.get(device_id)
        return d is None or (d.pue_role != "reuse" and counts_energy(d.kind))

    def __len__(self) -> int:
        return len(self.devices)


def _devices(rows: Iterable[dict[str, object]], source: str) -> list[Device]:
    devices, problems = [], []
    for n, row in enumerate(rows):
        try:
            devices.append(Device.model_validate(row))
        except ValidationError as exc:
            name = row.get("id", f"#{n + 1}")
            problems += [f"device {name}.{p}" for p in format_errors(exc)]
    if problems:
        raise ConfigError(source, problems)
    return devices


def _csv_rows(path: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with path.open(newline="", encoding="utf-8") as fh:
        for raw in csv.DictReader(fh):
            row: dict[str, object] = {k: v for k, v in raw.items() if k and v not in ("", None)}
            if "exemption_reason" in row:
                row["exemptions"] = [
                    {"reason": row.pop("exemption_reason"), "until": row.pop("exemption_until", "")}
                ]
            rows.append(row)
    return rows


def load_inventory(path: Path | None) -> Inventory:
    """Read an inventory file (``.toml`` with ``[[device]]`` tables, or ``.csv``)."""
    if path is None:
        return Inventory([])
    if path.suffix.lower() == ".csv":
        try:
            rows = _csv_rows(path)
        except FileNotFoundError:
            raise ConfigError(str(path), ["file not found"]) from None
        return Inventory(_devices(rows, str(path)))
    data = read_toml(path)
    domains = data.get("domains", DOMAINS)
    return Inventory(_devices(data.get("device", []), str(path)), domains)
