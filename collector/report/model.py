"""The footprint report of one civil period, as typed data (the JSON is these dataclasses).

Units: energies in kWh, emissions in t CO2e, shares 0..1, PUE a ratio, CUE kg CO2e per IT kWh,
times UTC (ISO 8601 in the JSON), days local civil dates. ``None`` means "not available" and is
printed so, never as 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from collector.analysis.compliance_figures import ComplianceLine
from collector.analysis.notes import Note
from collector.analysis.pue import FactorShare, PueResult
from collector.report.baseline import PathPoint

SOURCE_METERED: str = Note("source_metered")


@dataclass(frozen=True, slots=True)
class Carbon:
    """t CO2e of an energy under one emission factor."""

    factor: str
    method: str  # "location" or "market"
    g_co2e_per_kwh: float
    tco2e: float
    source: str
    year: int


@dataclass(frozen=True, slots=True)
class EnergyLine:
    """kWh of one domain, site, device kind or the total (``scope``), counted once."""

    scope: str  # "domain", "site", "kind" or "total"
    name: str
    kwh: float
    carbon: list[Carbon]
    measured_kwh: float | None = None
    estimated_kwh: float | None = None
    coverage: float | None = None
    devices: int | None = None
    #: sleep-policy compliance over the complete windows that ended in the period (None: no
    #: window judged) and kWh wasted by the violated ones (None: no window at all)
    sleep_compliance: float | None = None
    sleep_wasted_kwh: float | None = None
    #: kinds only: the kWh the devices of the kind used themselves, including what a meter
    #: above them counts (``kwh`` counts each kWh once, at the outermost meter)
    own_kwh: float | None = None

    def tco2e(self, method: str) -> float | None:
        """The first figure of ``method`` (the factors are in the order of the config)."""
        return next((c.tco2e for c in self.carbon if c.method == method), None)


@dataclass(frozen=True, slots=True)
class Datacentre:
    """A datacentre's indicators over the period, and the annual PUE (trailing 12 months).

    ``source``: where the figures come from (:data:`SOURCE_METERED`, or the imported file and
    operator once hosted rooms are imported)."""

    name: str
    period: PueResult
    annual: PueResult | None
    carbon: list[Carbon]
    source: str = SOURCE_METERED


@dataclass(frozen=True, slots=True)
class CarbonSide:
    """One method's carbon of a datacentre's E_DC: t CO2e, CUE (kg CO2e per IT kWh) and the
    factors or contracts it rests on (``factors`` empty: not available)."""

    method: str  # "location" or "market"
    tco2e: float | None
    cue: float | None
    factors: tuple[FactorShare, ...]


def carbon_sides(p: PueResult) -> tuple[CarbonSide, CarbonSide]:
    """Location- and market-based carbon of ``p``, side by side (from ``with_contracts``)."""
    loc = p.location_factors[0].name if p.location_factors else None
    return (
        CarbonSide(
            "location",
            None if p.co2e_location_kg is None else p.co2e_location_kg / 1000,
            p.cue_kg_per_kwh.get(loc) if loc else None,
            p.location_factors,
        ),
        CarbonSide(
            "market",
            None if p.co2e_market_kg is None else p.co2e_market_kg / 1000,
            p.cue_market_kg_per_kwh,
            p.market_factors,
        ),
    )


@dataclass(frozen=True, slots=True)
class Comparison:
    """The period's total against another period (``None``: no data for it)."""

    against: str  # "previous" or "year_before"
    label: str
    kwh: float | None
    tco2e_location: float | None
    change_kwh: float | None  # (this - that) / that


@dataclass(frozen=True, slots=True)
class Trajectory:
    baseline_year: int
    baseline_source: str
    target_reduction: float
    target_year: int
    scaling: str
    domains: list[str]  # the domains both measured and in the baseline
    points: list[PathPoint]


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One point of a chart: ``series`` (a domain or a datacentre), ``x`` label, value."""

    series: str
    x: str
    value: float | None


@dataclass
class PeriodReport:
    kind: str  # "quarter", "year" or "range"
    label: str
    first_day: date
    last_day: date
    start: datetime
    end: datetime
    timezone: str
    generated_at: datetime
    public: bool
    total: EnergyLine
    domains: list[EnergyLine]
    sites: list[EnergyLine]
    kinds: list[EnergyLine]
    datacentres: list[Datacentre]
    comparisons: list[Comparison]
    trajectory: Trajectory | None
    weekly_kwh: list[SeriesPoint]
    monthly_pue: list[SeriesPoint]
    sleep_compliance: float | None = None  # the total's, None: no window judged
    sleep_wasted_kwh: float | None = None
    top_devices: list[tuple[str, str, float]] = field(default_factory=list)  # id, kind, kWh
    unassigned: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: sleep-policy compliance per total, domain, site (not on the public page), policy group
    #: and night (:mod:`collector.analysis.compliance_figures`)
    compliance: list[ComplianceLine] = field(default_factory=list)
