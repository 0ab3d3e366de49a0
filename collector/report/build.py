"""Build the footprint report of a quarter, a year or a range of days from the ledger.

Energy comes from the daily roll-up (:mod:`collector.report.fast`); the PUE from the hourly
rows of the datacentres' meters only. ``progress`` receives one line per step (the command
prints them on stderr).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from collector.analysis.aggregate import ALL_DOMAINS
from collector.analysis.carbon import emissions
from collector.analysis.compliance_figures import ComplianceLine, lines_from_tallies
from collector.analysis.periods import (
    Period,
    periods_between,
    trailing_year,
)
from collector.analysis.pue import PueResult, pue_by_datacentre
from collector.analysis.supply import with_contracts
from collector.config import CollectorConfig
from collector.hosted.pue import with_imported
from collector.inventory import Inventory
from collector.ledger import Ledger
from collector.ledger import compliance as sql_compliance
from collector.ledger.imported import imported_periods
from collector.report.baseline import baseline_of, path_point
from collector.report.fast import PeriodFigures, period_figures
from collector.report.model import (
    Carbon,
    Comparison,
    Datacentre,
    EnergyLine,
    PeriodReport,
    SeriesPoint,
    Trajectory,
)
from collector.report.period_args import shift

Progress = Callable[[str], None]
SCALING = (
    "baseline pro-rata the period's hours (no seasonal profile); tCO2e location-based; "
    "straight line from the baseline year to the target year, read at the period's middle"
)
TOP = 10


class _Step:
    def __init__(self, label: str, progress: Progress) -> None:
        self.label, self.progress, self.t0 = label, progress, time.perf_counter()

    def __call__(self, what: str) -> None:
        self.progress(f"report {self.label}: {what} ({time.perf_counter() - self.t0:.1f} s)")


def build_report(
    ledger: Ledger,
    inventory: Inventory,
    cfg: CollectorConfig,
    period: Period,
    kind: str,
    *,
    public: bool = False,
    progress: Progress = lambda _line: None,
) -> PeriodReport:
    """The report of ``period`` (``kind``: "quarter", "year" or "range")."""
    tz = cfg.policy.timezone
    step = _Step(period.label, progress)
    step("kWh per domain, site and kind")
    fig = period_figures(ledger, inventory, period.first_day, period.next_day, tz)
    factors = cfg.carbon.factors

    def carbon(kwh: float) -> list[Carbon]:
        return [
            Carbon(c.name, c.method, c.g_per_kwh, c.kg_co2e / 1000, c.source, c.year)
            for c in emissions(max(kwh, 0.0), factors)
        ]

    step("sleep-policy compliance")
    compliance = _compliance(ledger, inventory, period, tz)
    comp = {c.name: c for c in compliance if c.scope == "domain"}
    total = _total(fig, carbon)
    whole = next((c for c in compliance if c.scope == "total"), None)
    if whole is not None:
        total = replace(total, sleep_compliance=whole.rate, sleep_wasted_kwh=whole.kwh_wasted)
    domains = [
        EnergyLine(
            "domain",
            d.domain,
            d.kwh,
            carbon(d.kwh),
            d.measured_kwh,
            d.estimated_kwh,
            fig.coverage.get(d.domain, 0.0),
            d.devices,
            comp[d.domain].rate if d.domain in comp else None,
            comp[d.domain].kwh_wasted if d.domain in comp else None,
        )
        for d in fig.domains
    ]
    sites = [EnergyLine("site", k, v, carbon(v)) for k, v in sorted(fig.by_site.items())]
    kinds = [
        EnergyLine("kind", k, v, carbon(v), own_kwh=fig.own_by_kind.get(k))
        for k, v in sorted(fig.by_kind.items())
    ]
    step("datacentres: PUE, REF, CUE")
    dcs, monthly = _datacentres(ledger, inventory, cfg, period, carbon, public)
    step("comparisons and trajectory")
    comparisons = []
    for against, other in (
        ("previous", shift(period, kind, tz)),
        ("year_before", shift(period, kind, tz, years=1)),
    ):
        o = period_figures(ledger, inventory, other.first_day, other.next_day, tz)
        okwh = sum(d.kwh for d in o.domains) if o.domains else None
        comparisons.append(
            Comparison(
                against,
                other.label,
                okwh,
                None if okwh is None else _location(carbon(okwh)),
                None if not okwh else (total.kwh - okwh) / okwh,
            )
        )
    trajectory = _trajectory(cfg, fig, period, carbon)
    weekly = _weekly(fig, period, tz)
    known = set(inventory.devices)
    top = sorted(fig.devices, key=lambda d: -d.kwh)[:TOP]
    step("done")
    return PeriodReport(
        kind=kind,
        label=period.label,
        first_day=period.first_day,
        last_day=period.next_day - timedelta(days=1),
        start=period.start,
        end=period.end,
        timezone=tz,
        generated_at=datetime.now(UTC),
        public=public,
        total=total,
        domains=domains,
        sites=[] if public else sites,
        kinds=kinds,
        datacentres=dcs,
        comparisons=comparisons,
        trajectory=trajectory,
        weekly_kwh=weekly,
        monthly_pue=monthly,
        sleep_compliance=total.sleep_compliance,
        sleep_wasted_kwh=total.sleep_wasted_kwh,
        top_devices=[] if public else [(d.device_id, d.kind, d.kwh) for d in top],
        unassigned=[]
        if public
        else sorted(d.device_id for d in fig.devices if d.device_id not in known),
        compliance=[c for c in compliance if not (public and c.scope == "site")],
    )


def _compliance(
    ledger: Ledger, inventory: Inventory, period: Period, tz: str
) -> list[ComplianceLine]:
    """Compliance lines from the ledger's SQL tallies (never one object per window)."""

    def site_of(device_id: str) -> str:
        device = inventory.get(device_id)
        return device.site if device else ""

    return lines_from_tallies(
        sql_compliance.device_tallies(ledger.engine, period.start, period.end),
        sql_compliance.night_tallies(ledger.engine, period.start, period.end),
        domain_of=inventory.domain_of,
        site_of=site_of,
        tz=tz,
    )


def _location(carbon: list[Carbon]) -> float | None:
    return next((c.tco2e for c in carbon if c.method == "location"), None)


def _total(fig: PeriodFigures, carbon: Callable[[float], list[Carbon]]) -> EnergyLine:
    kwh = sum(d.kwh for d in fig.domains)
    cov = fig.coverage.get(ALL_DOMAINS)
    return EnergyLine(
        "total",
        "*",
        kwh,
        carbon(kwh),
        sum(d.measured_kwh for d in fig.domains),
        sum(d.estimated_kwh for d in fig.domains),
        cov,
        len({d.device_id for d in fig.devices}),
    )


def _datacentres(
    ledger: Ledger,
    inventory: Inventory,
    cfg: CollectorConfig,
    period: Period,
    carbon: Callable[[float], list[Carbon]],
    public: bool,
) -> tuple[list[Datacentre], list[SeriesPoint]]:
    ids = [d.id for d in inventory.devices.values() if d.datacentre and d.pue_role != "none"]
    if not ids:
        return [], []
    a_start, _ = trailing_year(period.end)
    rows = ledger.hourly_for(ids, min(a_start, period.start), period.end)

    def pue(start: datetime, end: datetime) -> list[PueResult]:
        metered = pue_by_datacentre(
            rows,
            inventory,
            start=start,
            end=end,
            factors=cfg.carbon.factors,
            min_hour_coverage=cfg.analysis.pue_min_hour_coverage,
        )
        # hosted rooms from their operators' figures, then the supply contracts (REF)
        imported = imported_periods(ledger.engine, start, end)
        hosted = with_imported(metered, imported, start=start, end=end, factors=cfg.carbon.factors)
        return with_contracts(hosted, inventory, cfg.carbon)

    now = pue(period.start, period.end)
    annual: dict[str, PueResult] = {}
    if any(p.interim for p in now):
        annual = {p.datacentre: p for p in pue(a_start, period.end)}
    months: list[SeriesPoint] = []
    last = period.next_day - timedelta(days=1)
    for m in periods_between("month", period.first_day, last, cfg.policy.timezone):
        for p in pue(m.start, m.end):
            months.append(SeriesPoint(p.datacentre, m.label, p.pue))

    def clean(p: PueResult) -> PueResult:
        return replace(p, notes=()) if public else p

    out = [
        Datacentre(
            p.datacentre,
            clean(p),
            clean(annual[p.datacentre]) if p.datacentre in annual else None,
            carbon(p.facility_kwh),
            p.source,
        )
        for p in now
    ]
    return out, months


def _trajectory(
    cfg: CollectorConfig,
    fig: PeriodFigures,
    period: Period,
    carbon: Callable[[float], list[Carbon]],
) -> Trajectory | None:
    b = baseline_of(cfg.baseline)
    if b is None:
        return None
    both = [d for d in fig.domains if d.domain in b.kwh]
    names = [d.domain for d in both]
    kwh = sum(d.kwh for d in both)
    t = _location(carbon(kwh)) or 0.0
    tz = cfg.policy.timezone
    points = [
        path_point("kwh", kwh, b, sum(b.kwh[n] for n in names), period, tz),
        path_point("tco2e", t, b, sum(b.tco2e[n] for n in names), period, tz),
    ]
    return Trajectory(b.year, b.source, b.target_reduction, b.target_year, SCALING, names, points)


def _weekly(fig: PeriodFigures, period: Period, tz: str) -> list[SeriesPoint]:
    last = period.next_day - timedelta(days=1)
    weeks = periods_between("week", period.first_day, last, tz)
    acc: dict[tuple[str, str], float] = defaultdict(float)
    for (domain, day), kwh in fig.daily_by_domain.items():
        for w in weeks:
            if w.first_day <= day < w.next_day:
                acc[(domain, w.label)] += kwh
                break
    domains = sorted({d for d, _ in acc})
    return [SeriesPoint(d, w.label, acc.get((d, w.label))) for d in domains for w in weeks]
