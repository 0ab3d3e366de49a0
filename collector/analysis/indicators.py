"""REF, market-based CUE and ERF of a datacentre from its supply contracts (kWh, shares, g/kWh).

- REF (ISO/IEC 30134-3) = renewable energy / E_DC: each supply contract covers a share of the
  datacentre's energy, of which a share is renewable (guarantees of origin). Nantes: half the
  servers' energy on a green contract at 31 g/kWh -> REF 0.5.
- CUE (ISO/IEC 30134-8) = kg CO2e of E_DC / E_IT kWh; market-based, each contract's share at
  its own factor and the rest at the residual factor given.
- ERF (ISO/IEC 30134-6) = reused energy / E_DC, only where a heat-reuse meter exists
  (otherwise None, never 0).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, model_validator

EPS = 1e-9


class SupplyContract(BaseModel):
    """One supply contract of a datacentre (or site): the share of its energy it supplies,
    the renewable share of that energy, and its emission factor with source and year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    share: float = Field(gt=0, le=1, description="Share of the datacentre's energy (0..1].")
    renewable_share: float = Field(ge=0, le=1, description="Renewable share of the contract.")
    g_co2e_per_kwh: float = Field(ge=0)
    source: str
    year: int = Field(ge=2000, le=2100)


class SupplyMix(BaseModel):
    """The contracts of one datacentre; their shares add up to at most 1 (the rest is bought
    without a contract, at the residual mix)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contracts: tuple[SupplyContract, ...]

    @model_validator(mode="after")
    def _shares(self) -> SupplyMix:
        total = sum(c.share for c in self.contracts)
        if total > 1 + EPS:
            raise ValueError(f"contract shares add up to {total:g}, more than 1")
        return self

    @property
    def uncontracted(self) -> float:
        return max(0.0, 1.0 - sum(c.share for c in self.contracts))


def ref(mix: SupplyMix) -> float:
    """Renewable Energy Factor (0..1): the renewable share of the datacentre's energy."""
    return sum(c.share * c.renewable_share for c in mix.contracts)


def cue_market(
    facility_kwh: float, it_kwh: float, mix: SupplyMix, residual_g_per_kwh: float
) -> float | None:
    """Market-based CUE in kg CO2e per IT kWh; None without IT energy."""
    if facility_kwh < 0 or it_kwh < 0 or residual_g_per_kwh < 0:
        raise ValueError("energies and the residual factor must not be negative")
    if it_kwh == 0:
        return None
    g = sum(c.share * c.g_co2e_per_kwh for c in mix.contracts)
    g += mix.uncontracted * residual_g_per_kwh
    return facility_kwh * g / 1000.0 / it_kwh


def erf(reused_kwh: Sequence[float] | None, facility_kwh: float) -> float | None:
    """Energy Reuse Factor: reused kWh (the heat-reuse meters' figures) over E_DC; None where
    no heat-reuse meter exists or without facility energy."""
    if reused_kwh is None or facility_kwh <= 0:
        return None
    if any(k < 0 for k in reused_kwh):
        raise ValueError("reused energy must not be negative")
    return sum(reused_kwh) / facility_kwh
