"""The figures a report shows, read from the ledger for one period.

kWh per domain (each kWh counted once through nested meters), PUE per datacentre, carbon
(location- and market-based), sleep violators with their evidence, the measured and estimated
shares, unassigned devices and rejected messages.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from collector.analysis.carbon import CarbonFigure, emissions
from collector.analysis.compliance import ComplianceRate, WindowOutcome, compliance_rate
from collector.analysis.rollup import (
    DomainEnergy,
    PueResult,
    kwh_by_device,
    kwh_by_domain,
    pue_by_datacentre,
)
from collector.analysis.supply import with_contracts
from collector.config import CollectorConfig
from collector.hosted.pue import with_imported
from collector.inventory import Inventory
from collector.ledger import Ledger
from collector.ledger.imported import imported_periods
from collector.model import DeadLetter, ViolationState


@dataclass(frozen=True, slots=True)
class ViolationRow:
    device_id: str
    domain: str
    window_start: datetime
    window_end: datetime
    awake_seconds: float
    max_idle_seconds: float
    blockers: tuple[str, ...]
    evidence: str
    resolved: bool
    state: ViolationState = ViolationState.OPEN


@dataclass(frozen=True, slots=True)
class Violator:
    device_id: str
    domain: str
    windows: int
    awake_hours: float
    blockers: tuple[str, ...]
    latest_evidence: str


@dataclass
class Summary:
    start: datetime
    end: datetime
    generated_at: datetime
    domains: list[DomainEnergy]
    pue: list[PueResult]
    carbon: list[CarbonFigure]
    violations: list[ViolationRow]
    violators: list[Violator]
    devices_reporting: int
    unassigned: list[str]
    dead_letters: list[DeadLetter]
    per_device: dict[str, float] = field(default_factory=dict)
    #: sleep-policy compliance per domain over the complete windows that ended in the period
    compliance: dict[str, ComplianceRate] = field(default_factory=dict)

    @property
    def total_kwh(self) -> float:
        return sum(d.kwh for d in self.domains)

    @property
    def measured_share(self) -> float:
        total = self.total_kwh
        return sum(d.measured_kwh for d in self.domains) / total if total else 0.0

    @property
    def estimated_share(self) -> float:
        total = self.total_kwh
        return sum(d.estimated_kwh for d in self.domains) / total if total else 0.0


def build_summary(
    ledger: Ledger,
    inventory: Inventory,
    cfg: CollectorConfig,
    *,
    start: datetime,
    end: datetime,
    top: int = 10,
) -> Summary:
    hourly = ledger.hourly(start, end)
    domains = sorted(kwh_by_domain(hourly, inventory), key=lambda d: -d.kwh)
    pue = pue_by_datacentre(
        hourly,
        inventory,
        start=start,
        end=end,
        factors=cfg.carbon.factors,
        min_hour_coverage=cfg.analysis.pue_min_hour_coverage,
    )
    # hosted rooms from their operators' figures, then the supply contracts (REF, market CUE)
    imported = imported_periods(ledger.engine, start, end)
    pue = with_imported(pue, imported, start=start, end=end, factors=cfg.carbon.factors)
    pue = with_contracts(pue, inventory, cfg.carbon)
    total = sum(d.kwh for d in domains)
    per_device = {d.device_id: d.kwh for d in kwh_by_device(hourly, inventory)}

    violations = [
        ViolationRow(
            device_id=r.device_id,
            domain=inventory.domain_of(r.device_id),
            window_start=r.violation.window_start,
            window_end=r.violation.window_end,
            awake_seconds=r.violation.awake_seconds,
            max_idle_seconds=r.violation.max_idle_seconds,
            blockers=r.violation.blockers,
            evidence=r.violation.evidence,
            resolved=r.state == ViolationState.RESOLVED,
            state=r.state,
        )
        for r in ledger.violations(start, end)
        if r.state != ViolationState.EXEMPTED
    ]
    windows = Counter(v.device_id for v in violations)
    violators = []
    for device_id, n in windows.most_common():
        mine = [v for v in violations if v.device_id == device_id]
        blockers = tuple(sorted({b for v in mine for b in v.blockers}))
        violators.append(
            Violator(
                device_id=device_id,
                domain=inventory.domain_of(device_id),
                windows=n,
                awake_hours=sum(v.awake_seconds for v in mine) / 3600,
                blockers=blockers,
                latest_evidence=max(mine, key=lambda v: v.window_start).evidence,
            )
        )
    violators.sort(key=lambda v: (-v.awake_hours, v.device_id))

    seen = {r.device_id for r in ledger.devices()}
    return Summary(
        start=start,
        end=end,
        generated_at=datetime.now(UTC),
        domains=domains,
        pue=pue,
        carbon=emissions(total, cfg.carbon.factors),
        violations=violations,
        violators=violators[:top],
        devices_reporting=len(seen),
        unassigned=sorted(d for d in seen if inventory.get(d) is None),
        dead_letters=ledger.dead_letters(20),
        per_device=per_device,
        compliance=compliance_by(ledger.outcomes(start, end), inventory.domain_of),
    )


def compliance_by(
    items: list[WindowOutcome], key: Callable[[str], str]
) -> dict[str, ComplianceRate]:
    """Compliance per ``key(device_id)`` (a domain, a site), plus ``"total"`` over all."""
    groups: dict[str, list[WindowOutcome]] = defaultdict(list)
    for o in items:
        groups[key(o.device_id)].append(o)
    out = {k: compliance_rate(v) for k, v in sorted(groups.items())}
    if items:
        out["total"] = compliance_rate(items)
    return out
