"""The latest analysis figures for the dashboards, read from the ledger (kWh, ratios, counts).

After each analysis run the collector computes these and exports them as gauges on its
``/metrics`` (:mod:`collector.figures_metrics`), so that VictoriaMetrics (or Prometheus),
scraping ``/metrics``, keeps them as series over time and Grafana shows what the reports show:

- power now per domain (:mod:`collector.analysis.power_now`, each watt counted once);
- kWh per *domaine du SI* for today and for the current quarter (civil periods in the
  authority's time zone, each kWh counted once through nested meters), and the measured share;
- PUE per datacentre: *interim* over the quarter so far and *annual* over the trailing 12
  months, with its category and coverage, and the contractual limit; REF (when the renewable
  share of the supply is configured) and CUE per emission factor;
- the indicative instantaneous ratio with IT and facility power (``pue_now``);
- devices expected from the inventory (kinds an agent runs on or the collector polls), those
  of them with data in the last ``analysis.max_gap_seconds``, and devices reporting that the
  inventory does not list;
- sleep violations open now per domain, and violation windows per device over the last 7 days
  (the top offenders);
- sleep-policy compliance per domain over the windows that ended in the last 7 days (compliant
  / (compliant + violated), unknown windows counted apart: no series when none was judged),
  windows by outcome, and kWh wasted in violated windows today and this quarter;
- each device's last reported power state (for the device drill-down).

Nothing here is a new computation: the figures come from the same functions as the reports.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from collector.analysis.compliance_figures import ComplianceLine, lines_from_tallies
from collector.analysis.periods import period_of
from collector.analysis.power_now import POWER, DomainPower, power_by_domain
from collector.analysis.pue import PueResult, annual_pue, pue_by_datacentre
from collector.analysis.pue_now import instantaneous_pue
from collector.analysis.supply import with_contracts
from collector.config import CollectorConfig
from collector.inventory import Inventory
from collector.ledger import Ledger
from collector.ledger.compliance import device_tallies
from collector.model import ACTIVE_STATES, ViolationState
from collector.report.fast import period_figures
from contract.kinds import kind_of

OFFENDER_DAYS = 7
UNKNOWN_KIND = "other"


@dataclass(frozen=True, slots=True)
class DomainKwh:
    domain: str
    period: str  # "today" | "quarter"
    kwh: float
    measured_kwh: float


@dataclass(frozen=True, slots=True)
class PueFigure:
    """One datacentre's PUE over ``period`` ("interim": the quarter so far; "annual")."""

    datacentre: str
    period: str
    category: str
    pue: float | None
    coverage: float
    ref: float | None
    cue_kg_per_kwh: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class InstantFigure:
    """Indicative ratio of instantaneous powers (W); ``ratio`` None when a meter is missing."""

    datacentre: str
    it_watts: float
    facility_watts: float
    ratio: float | None


@dataclass(frozen=True, slots=True)
class DomainCompliance:
    """One domain's sleep windows that ended in the last 7 days, and kWh wasted by period."""

    domain: str
    rate: float | None
    windows: tuple[tuple[str, int], ...]  # outcome -> windows
    kwh_wasted: tuple[tuple[str, float], ...]  # period (today, quarter) -> kWh


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything :class:`collector.figures_metrics.FiguresCollector` exports, at ``at``."""

    at: datetime
    energy: tuple[DomainKwh, ...] = ()
    power: tuple[DomainPower, ...] = ()
    pue: tuple[PueFigure, ...] = ()
    pue_limits: tuple[tuple[str, float], ...] = ()
    instant: tuple[InstantFigure, ...] = ()
    devices_expected: tuple[tuple[str, int], ...] = ()
    devices_reporting: tuple[tuple[str, int], ...] = ()
    devices_unlisted: int = 0
    violations_open: tuple[tuple[str, int], ...] = ()
    violation_windows: tuple[tuple[str, str, int], ...] = ()  # device, domain, windows
    power_states: tuple[tuple[str, str], ...] = field(default=())  # device, state
    compliance: tuple[DomainCompliance, ...] = ()

    def measured_share(self, period: str) -> float | None:
        """Measured kWh / all kWh over ``period``; None without energy."""
        rows = [e for e in self.energy if e.period == period]
        total = sum(e.kwh for e in rows)
        return sum(e.measured_kwh for e in rows) / total if total > 0 else None


def _energy(
    ledger: Ledger, inventory: Inventory, today: date, quarter_first: date, tz: str
) -> list[DomainKwh]:
    """kWh per domain of today and of the quarter so far, from the daily roll-up (the reports'
    :func:`collector.report.fast.period_figures`: one figure per device in memory, not one
    per device-hour; a quarter of 50,000 devices is 110 M hourly rows)."""
    out: list[DomainKwh] = []
    tomorrow = today + timedelta(days=1)
    for label, first in (("today", today), ("quarter", quarter_first)):
        for d in period_figures(ledger, inventory, first, tomorrow, tz).domains:
            out.append(DomainKwh(d.domain, label, d.kwh, d.measured_kwh))
    return out


def _compliance(
    ledger: Ledger,
    inventory: Inventory,
    *,
    since: datetime,
    day_start: datetime,
    quarter_start: datetime,
    now: datetime,
) -> list[DomainCompliance]:
    """Per domain, from the ledger's SQL tallies of the judged windows (one row per device and
    outcome, never one object per window: a quarter of 10,000 devices is 0.9 M windows)."""

    def per_domain(start: datetime) -> dict[str, ComplianceLine]:
        lines = lines_from_tallies(
            device_tallies(ledger.engine, start, now),
            [],
            domain_of=inventory.domain_of,
            site_of=lambda _device: "",
            tz="UTC",
        )
        return {c.name: c for c in lines if c.scope == "domain"}

    week, today, quarter = (per_domain(t) for t in (since, day_start, quarter_start))
    out = []
    for domain in sorted(set(week) | set(today) | set(quarter)):
        w = week.get(domain)
        counts = {
            "compliant": w.compliant if w else 0,
            "violated": w.violated if w else 0,
            "unknown": w.unknown if w else 0,
            "exempt": w.exempt if w else 0,
        }
        wasted = tuple(
            (label, c[domain].kwh_wasted if domain in c else 0.0)
            for label, c in (("today", today), ("quarter", quarter))
        )
        rate = w.rate if w else None
        out.append(DomainCompliance(domain, rate, tuple(sorted(counts.items())), wasted))
    return out


def _pue_figure(period: str, r: PueResult) -> PueFigure:
    return PueFigure(
        r.datacentre,
        period,
        r.category,
        r.pue,
        r.coverage,
        r.ref,
        tuple(sorted(r.cue_kg_per_kwh.items())),
    )


def compute_figures(
    ledger: Ledger, inventory: Inventory, cfg: CollectorConfig, *, now: datetime
) -> Figures:
    """The dashboards' figures at ``now`` (UTC), from the ledger's hourly rows and states."""
    tz = cfg.policy.timezone
    local_day = now.astimezone(ZoneInfo(tz)).date()
    day_start = period_of("day", local_day, tz).start
    quarter = period_of("quarter", local_day, tz)
    quarter_start = quarter.start
    energy = _energy(ledger, inventory, local_day, quarter.first_day, tz)
    factors = cfg.carbon.factors
    cover = cfg.analysis.pue_min_hour_coverage
    # The PUE reads the hourly rows of the datacentres' meters only.
    meters = [d.id for d in inventory.devices.values() if d.datacentre and d.pue_role != "none"]
    pue: list[PueFigure] = []
    if quarter_start < now:
        interim = pue_by_datacentre(
            ledger.hourly_for(meters, quarter_start, now),
            inventory,
            start=quarter_start,
            end=now,
            factors=factors,
            min_hour_coverage=cover,
        )
        # REF and market-based CUE from the supply contracts, as in the reports
        pue += [_pue_figure("interim", r) for r in with_contracts(interim, inventory, cfg.carbon)]
    year = [r for m in meters for r in ledger.hourly_of(m, now - timedelta(days=366), now)]
    annual = annual_pue(year, inventory, end=now, factors=factors, min_hour_coverage=cover)
    pue += [_pue_figure("annual", r) for r in with_contracts(annual, inventory, cfg.carbon)]
    datacentres = sorted({p.datacentre for p in pue})
    limits = tuple(
        (dc, cfg.analysis.pue_limits.get(dc, cfg.analysis.pue_limit)) for dc in datacentres
    )

    max_age = cfg.analysis.max_gap_seconds
    recent = ledger.samples_of_metric(POWER, now - timedelta(seconds=max_age), now)
    power = power_by_domain(recent, inventory, at=now, max_age_seconds=max_age)
    instant = tuple(
        InstantFigure(p.datacentre, p.it_watts, p.facility_watts, p.ratio)
        for p in instantaneous_pue(recent, inventory, at=now, max_age_seconds=max_age)
    )

    kinds = dict(ledger.device_kinds())

    def kind(device_id: str) -> str:
        d = inventory.get(device_id)
        return (d.kind if d else None) or kinds.get(device_id) or UNKNOWN_KIND

    expected = Counter(
        d.kind for d in inventory.devices.values() if kind_of(d.kind).agent or kind_of(d.kind).snmp
    )
    seen = ledger.devices_seen(now - timedelta(seconds=max_age), now)
    reporting = Counter(kind(dev) for dev in seen if inventory.get(dev) is not None)
    unlisted = sum(1 for dev in seen if inventory.get(dev) is None)

    since = now - timedelta(days=OFFENDER_DAYS)
    violations = [r for r in ledger.violations(since, now) if r.state != ViolationState.EXEMPTED]
    open_now = Counter(
        inventory.domain_of(r.device_id) for r in violations if r.state in ACTIVE_STATES
    )
    windows = Counter(r.device_id for r in violations)
    compliance = _compliance(
        ledger, inventory, since=since, day_start=day_start, quarter_start=quarter_start, now=now
    )
    return Figures(
        at=now,
        energy=tuple(energy),
        power=tuple(power),
        pue=tuple(pue),
        pue_limits=limits,
        instant=instant,
        devices_expected=tuple(sorted(expected.items())),
        devices_reporting=tuple(sorted(reporting.items())),
        devices_unlisted=unlisted,
        violations_open=tuple(sorted(open_now.items())),
        violation_windows=tuple(
            (dev, inventory.domain_of(dev), n) for dev, n in sorted(windows.items())
        ),
        power_states=tuple(ledger.power_states()),
        compliance=tuple(compliance),
    )
