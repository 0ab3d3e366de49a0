"""Supply contracts applied to the datacentres' figures (pure): REF, market-based CUE and
location- and market-based carbon side by side (``[[carbon.contracts]]``).

A contract supplies a share of the energy of the datacentres it names, or of every datacentre
whose devices are on the sites it names. Location-based carbon is E_DC at the first
location-based factor (the grid); market-based carbon is each contract's share at its own
factor and the rest at the residual factor (``carbon.residual_factor``). Without a contract,
REF stays as the figures' source gave it (unknown otherwise) and the market-based figure is
all residual, said in the notes. Contract shares adding up to more than 1 for a datacentre
are a configuration error: the market-based figures are then left unknown, with a note.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from pydantic import ValidationError

from collector.analysis.indicators import SupplyContract, SupplyMix, cue_market, ref
from collector.analysis.notes import Note
from collector.analysis.pue import FactorShare, PueResult
from collector.config import CarbonSettings, ContractSettings
from collector.inventory import Inventory


def _contract(c: ContractSettings, carbon: CarbonSettings) -> SupplyContract:
    g = c.g_co2e_per_kwh if c.factor is None else carbon.factors[c.factor].g_co2e_per_kwh
    assert g is not None  # the config has one of the two
    return SupplyContract(
        name=c.name,
        share=c.share,
        renewable_share=c.renewable_share,
        g_co2e_per_kwh=g,
        source=c.source,
        year=c.year,
    )


def mix_of(datacentre: str, sites: set[str], carbon: CarbonSettings) -> SupplyMix:
    """The contracts supplying ``datacentre`` (on ``sites``); ValueError when their shares
    add up to more than 1."""
    mine = [
        _contract(c, carbon)
        for c in carbon.contracts
        if datacentre in c.datacentres or sites.intersection(c.sites)
    ]
    try:
        return SupplyMix(contracts=tuple(mine))
    except ValidationError:
        total = sum(c.share for c in mine)
        raise ValueError(f"contract shares add up to {total:g}, more than 1") from None


def _one(r: PueResult, sites: set[str], carbon: CarbonSettings) -> PueResult:
    location = next(((n, f) for n, f in carbon.factors.items() if f.method == "location"), None)
    residual_name = carbon.residual()
    notes = list(r.notes)
    loc = r.facility_kwh * location[1].g_co2e_per_kwh / 1000 if location else None
    loc_parts: tuple[FactorShare, ...] = ()
    if location:
        n, f = location
        loc_parts = (FactorShare(n, 1.0, f.g_co2e_per_kwh, f.source, f.year),)
    if residual_name is None or r.facility_kwh <= 0:
        return replace(r, co2e_location_kg=loc, location_factors=loc_parts)
    rf = carbon.factors[residual_name]
    residual = rf.g_co2e_per_kwh
    try:
        mix = mix_of(r.datacentre, sites, carbon)
    except ValueError:
        total = sum(
            c.share
            for c in carbon.contracts
            if r.datacentre in c.datacentres or sites & set(c.sites)
        )
        notes.append(Note("market_unknown", total=total))
        return replace(r, co2e_location_kg=loc, location_factors=loc_parts, notes=tuple(notes))
    g = sum(c.share * c.g_co2e_per_kwh for c in mix.contracts) + mix.uncontracted * residual
    names = tuple(c.name for c in mix.contracts)
    share = r.ref
    if names:
        share = ref(mix)
        listed = ", ".join(f"{c.name} ({c.source}, {c.year})" for c in mix.contracts)
        notes.append(Note("contracts", listed=listed))
    else:
        notes.append(Note("no_contract", factor=residual_name))
    if mix.uncontracted > 0 and names:
        notes.append(Note("residual_share", share=mix.uncontracted, factor=residual_name))
    parts = [
        FactorShare(c.name, c.share, c.g_co2e_per_kwh, c.source, c.year) for c in mix.contracts
    ]
    if mix.uncontracted > 0:
        parts.append(FactorShare(residual_name, mix.uncontracted, residual, rf.source, rf.year))
    return replace(
        r,
        ref=share,
        co2e_location_kg=loc,
        location_factors=loc_parts,
        market_factors=tuple(parts),
        co2e_market_kg=r.facility_kwh * g / 1000,
        cue_market_kg_per_kwh=cue_market(r.facility_kwh, r.it_kwh, mix, residual),
        contracts=names,
        notes=tuple(notes),
    )


def with_contracts(
    results: Iterable[PueResult], inventory: Inventory, carbon: CarbonSettings
) -> list[PueResult]:
    """``results`` with REF, market-based CUE and both carbon figures from the contracts."""
    sites: dict[str, set[str]] = {}
    for d in inventory.devices.values():
        if d.datacentre and d.site:
            sites.setdefault(d.datacentre, set()).add(d.site)
    return [_one(r, sites.get(r.datacentre, set()), carbon) for r in results]
