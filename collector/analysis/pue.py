"""PUE, REF and CUE per datacentre over a period (reads kWh per hour, writes ratios).

PUE = E_DC / E_IT (ISO/IEC 30134-2, EN 50600-4-2), both energies in kWh over the same period.
Devices with ``pue_role = "facility"`` meter the datacentre's whole input (E_DC); devices with
``pue_role = "it"`` meter IT energy (E_IT). Only meters not behind another meter of the same
side (``metered_by``) are summed, so no kWh is counted twice.

Same period: an hour counts only when every meter of both sides has data for at least
``min_hour_coverage`` of it; ``coverage`` is the share of the period's hours that counted.
The measurement category comes from where IT energy is taken: UPS output (1), PDU output (2),
IT equipment input (3). A period shorter than 12 months gives an *interim* PUE.
REF = renewable energy / E_DC (30134-3), from the contract's renewable share (0..1).
CUE = kg CO2e of the datacentre's energy / E_IT kWh (30134-8), one per emission factor.
ERF = reused energy / E_DC (30134-6), where the datacentre has heat-reuse meters
(``pue_role = "reuse"``, kind ``heat_reuse_meter``): their kWh over the matched hours in which
every one of them has data too, against E_DC over those same hours; None without such a meter
(never 0). Their energy is never part of E_DC or E_IT.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from collector.analysis.energy import HourlyEnergy
from collector.analysis.meters import upstream
from collector.analysis.notes import Note
from collector.analysis.periods import hours_in, is_interim, trailing_year
from collector.config import EmissionFactor
from collector.inventory import Device, Inventory
from contract.kinds import kind_of

CATEGORY_LABELS: dict[int, str] = {n: Note(f"category_{n}") for n in (1, 2, 3)}
NO_IT_METER = Note("category_none")
MAX_LISTED = 5


@dataclass(frozen=True, slots=True)
class FactorShare:
    """A share (0..1) of E_DC at one emission factor or supply contract, with its source and
    year: what a carbon figure rests on."""

    name: str
    share: float
    g_co2e_per_kwh: float
    source: str
    year: int


@dataclass(frozen=True, slots=True)
class PueResult:
    """One datacentre over [start, end) (UTC). Energies in kWh over the matched hours only.

    ``pue`` is None without a facility meter or IT energy; ``ref`` is a share (0..1);
    ``cue_kg_per_kwh`` maps an emission factor's name to kg CO2e per IT kWh. ``source`` says
    where the energies come from: ``"metered by veille"`` or ``"imported from <operator>"``
    (:mod:`collector.hosted.pue`); ``erf`` only where reused energy is known.
    """

    datacentre: str
    start: datetime
    end: datetime
    facility_kwh: float
    it_kwh: float
    pue: float | None
    category: str
    interim: bool
    coverage: float
    ref: float | None
    cue_kg_per_kwh: dict[str, float]
    hours: int = 0
    notes: tuple[str, ...] = ()
    source: str = Note("source_metered")
    erf: float | None = None
    #: carbon of E_DC side by side (kg CO2e): location-based (the grid's factor) and
    #: market-based (the supply contracts, the rest at the residual factor), and the
    #: market-based CUE; set by :func:`collector.analysis.supply.with_contracts`
    co2e_location_kg: float | None = None
    co2e_market_kg: float | None = None
    cue_market_kg_per_kwh: float | None = None
    contracts: tuple[str, ...] = ()
    #: what each side rests on: the location-based factor (share 1), and the contracts then
    #: the residual factor (market-based)
    location_factors: tuple[FactorShare, ...] = ()
    market_factors: tuple[FactorShare, ...] = ()

    @property
    def figure(self) -> str:
        """``"annual"`` (12 months or more, the ISO/IEC 30134-2 PUE) or ``"interim"``."""
        return "interim" if self.interim else "annual"


def top_level(side: list[Device], inventory: Inventory) -> list[Device]:
    """The meters of one side that no other meter of the same side is above."""
    ids = {d.id for d in side}
    return [d for d in side if not ids.intersection(upstream(d.id, inventory))]


def category_of(it_meters: Sequence[Device]) -> tuple[str, list[str]]:
    """The measurement category label of the IT meters, and a note when they are mixed."""
    found = sorted({kind_of(d.kind).pue_category for d in it_meters})
    if not found:
        return NO_IT_METER, []
    notes: list[str] = []
    if len(found) > 1:
        cats = ", ".join(str(c) for c in found)
        notes.append(Note("mixed_categories", cats=cats))
    return CATEGORY_LABELS[found[0]], notes


def _missing_notes(
    meters: Sequence[Device], good: dict[str, set[datetime]], total: int
) -> list[str]:
    gaps = [(d.id, total - len(good.get(d.id, ()))) for d in meters]
    gaps = [(i, n) for i, n in gaps if n > 0]
    listed: list[str] = [Note("missing_hours", meter=i, hours=n) for i, n in gaps[:MAX_LISTED]]
    if len(gaps) > MAX_LISTED:
        listed.append(Note("more_missing", count=len(gaps) - MAX_LISTED))
    return listed


def _one(
    dc: str,
    devices: list[Device],
    rows: dict[tuple[str, datetime], HourlyEnergy],
    good: dict[str, set[datetime]],
    inventory: Inventory,
    start: datetime,
    end: datetime,
    share: float | None,
    factors: dict[str, EmissionFactor],
) -> PueResult:
    fac = top_level([d for d in devices if d.pue_role == "facility"], inventory)
    it = top_level([d for d in devices if d.pue_role == "it"], inventory)
    matched: set[datetime] = set()
    if fac and it:
        matched = set.intersection(*(good.get(d.id, set()) for d in fac + it))
    fac_kwh = sum(rows[(d.id, h)].kwh for d in fac for h in matched)
    reuse = top_level([d for d in devices if d.pue_role == "reuse"], inventory)
    erf, erf_note = _erf(reuse, matched, rows, good, fac)
    it_kwh = sum(rows[(d.id, h)].kwh for d in it for h in matched)
    estimated = sum(rows[(d.id, h)].estimated_kwh for d in fac + it for h in matched)
    total = hours_in(start, end)
    category, notes = category_of(it)
    interim = is_interim(start, end)
    if not fac:
        notes.append(Note("no_facility"))
    if interim:
        notes.append(Note("interim"))
    if estimated > 0:
        notes.append(Note("estimated", kwh=estimated))
    notes += _missing_notes(fac + it, good, total)
    if erf_note:
        notes.append(erf_note)
    pue = fac_kwh / it_kwh if fac and it_kwh > 0 else None
    cue = {}
    if pue is not None:
        cue = {n: fac_kwh * f.g_co2e_per_kwh / 1000 / it_kwh for n, f in sorted(factors.items())}
    return PueResult(
        datacentre=dc,
        start=start,
        end=end,
        facility_kwh=fac_kwh,
        it_kwh=it_kwh,
        pue=pue,
        category=category,
        interim=interim,
        coverage=len(matched) / total if total else 0.0,
        ref=share if share is not None and fac_kwh > 0 else None,
        cue_kg_per_kwh=cue,
        hours=len(matched),
        notes=tuple(notes),
        erf=erf,
    )


def _erf(
    reuse: list[Device],
    matched: set[datetime],
    rows: dict[tuple[str, datetime], HourlyEnergy],
    good: dict[str, set[datetime]],
    fac: list[Device],
) -> tuple[float | None, str | None]:
    """ERF over the matched hours the heat-reuse meters cover, and a note naming them."""
    if not reuse:
        return None, None
    hours = set.intersection(matched, *(good.get(d.id, set()) for d in reuse))
    fac_kwh = sum(rows[(d.id, h)].kwh for d in fac for h in hours)
    reused = sum(rows[(d.id, h)].kwh for d in reuse for h in hours)
    meters = ", ".join(d.id for d in reuse)
    note = Note("heat_reuse", meters=meters)
    if len(hours) < len(matched):
        note = Note("heat_reuse_partial", meters=meters, hours=len(hours), matched=len(matched))
    return (reused / fac_kwh if fac_kwh > 0 else None), note


def pue_by_datacentre(
    hourly: Iterable[HourlyEnergy],
    inventory: Inventory,
    *,
    start: datetime,
    end: datetime,
    renewable_share: dict[str, float] | None = None,
    factors: dict[str, EmissionFactor] | None = None,
    min_hour_coverage: float = 0.99,
) -> list[PueResult]:
    """PUE of every datacentre of the inventory over [start, end) (UTC), sorted by name.

    ``renewable_share``: datacentre -> renewable share of its supply (0..1), for REF.
    ``factors``: emission factors by name, for CUE. Raises ValueError on a bad share or period.
    """
    if end <= start:
        raise ValueError("end must be after start")
    for dc, share in (renewable_share or {}).items():
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"renewable_share[{dc!r}] must be between 0 and 1")
    rows = {(r.device_id, r.hour): r for r in hourly if start <= r.hour < end}
    good: dict[str, set[datetime]] = {}
    for (device_id, hour), r in rows.items():
        if r.coverage >= min_hour_coverage:
            good.setdefault(device_id, set()).add(hour)
    by_dc: dict[str, list[Device]] = {}
    for d in inventory.devices.values():
        if d.datacentre and d.pue_role != "none":
            by_dc.setdefault(d.datacentre, []).append(d)
    return [
        _one(
            dc,
            by_dc[dc],
            rows,
            good,
            inventory,
            start,
            end,
            (renewable_share or {}).get(dc),
            factors or {},
        )
        for dc in sorted(by_dc)
    ]


def annual_pue(
    hourly: Iterable[HourlyEnergy],
    inventory: Inventory,
    *,
    end: datetime,
    renewable_share: dict[str, float] | None = None,
    factors: dict[str, EmissionFactor] | None = None,
    min_hour_coverage: float = 0.99,
) -> list[PueResult]:
    """The annual PUE of every datacentre: the trailing 12 months up to ``end`` (UTC)."""
    start, stop = trailing_year(end)
    return pue_by_datacentre(
        hourly,
        inventory,
        start=start,
        end=stop,
        renewable_share=renewable_share,
        factors=factors,
        min_hour_coverage=min_hour_coverage,
    )
