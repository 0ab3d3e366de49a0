"""The sleep policy's operator commands: ``violations`` (a table with the evidence, then the
settings that break the policy),
``exempt`` (record an exemption: who, when, why, until) and ``exemptions`` (list them).

Dates on the command line are local days in the policy's time zone; stored times are UTC.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from collector.analysis.config_policy import ConfigFinding
from collector.config import load_config
from collector.config_review import review_configuration
from collector.inventory import load_inventory
from collector.ledger import Ledger
from collector.model import ExemptionRecord, ViolationRecord, ViolationState
from contract.settings import ConfigError


@dataclass(frozen=True, slots=True)
class ViolationLine:
    """One row of ``veille-collector violations`` (JSON keys are these field names)."""

    device_id: str
    domain: str
    state: str
    window_start: str
    window_end: str
    streak: int
    awake_hours: float
    max_idle_hours: float
    blockers: list[str]
    evidence: str
    opened_at: str
    resolved_at: str | None


def _line(r: ViolationRecord, domain: str) -> ViolationLine:
    v = r.violation
    return ViolationLine(
        device_id=v.device_id,
        domain=domain,
        state=r.state.value,
        window_start=v.window_start.isoformat(),
        window_end=v.window_end.isoformat(),
        streak=r.streak,
        awake_hours=round(v.awake_seconds / 3600, 2),
        max_idle_hours=round(v.max_idle_seconds / 3600, 2),
        blockers=list(v.blockers),
        evidence=v.evidence,
        opened_at=r.opened_at.isoformat(),
        resolved_at=r.resolved_at.isoformat() if r.resolved_at else None,
    )


def violations(
    path: Path | None,
    *,
    since: date | None,
    domain: str | None,
    states: list[str],
    as_json: bool,
) -> int:
    """Violations whose window overlaps [since, now), newest first, with their evidence."""
    cfg = load_config(path)
    inv = load_inventory(cfg.inventory)
    tz = ZoneInfo(cfg.policy.timezone)
    now = datetime.now(UTC)
    first = since or (now.astimezone(tz).date() - timedelta(days=7))
    start = datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC)
    wanted = {ViolationState(s) for s in states} if states else None
    ledger = Ledger(cfg.ledger.url)
    ledger.migrate()
    rows = [
        _line(r, inv.domain_of(r.device_id))
        for r in reversed(ledger.violations(start, now))
        if (wanted is None or r.state in wanted)
        and (domain is None or inv.domain_of(r.device_id) == domain)
    ]
    findings = [
        f
        for f in review_configuration(
            ledger.devices(),
            inv,
            cfg,
            today=now.astimezone(tz).date(),
            recorded=ledger.exemptions(),
        )
        if f.outcome != "compliant" and (domain is None or inv.domain_of(f.device_id) == domain)
    ]
    if as_json:
        doc = {
            "violations": [asdict(row) for row in rows],
            "configuration": [
                {
                    "device_id": f.device_id,
                    "rule": f.rule,
                    "outcome": f.outcome,
                    "evidence": f.evidence,
                }
                for f in findings
            ],
        }
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return 0
    _print_windows(rows, first, tz)
    _print_configuration(findings)
    return 0


def _print_configuration(findings: list[ConfigFinding]) -> None:
    """Settings that break the policy, from each device's last report; unknown apart."""
    bad = [f for f in findings if f.outcome == "violation"]
    unknown = [f for f in findings if f.outcome == "unknown"]
    print()
    if not bad:
        print("configuration: no device reports settings that break the policy")
    else:
        print(f"configuration: {len(bad)} settings break the policy (last report of each device)")
        for f in bad:
            print(f"  {f.rule:14} {f.device_id:22} {f.evidence}")
    if unknown:
        print(
            f"  {len(unknown)} settings unknown (not reported, or not readable): "
            + ", ".join(sorted({f"{f.device_id} {f.rule}" for f in unknown})[:8])
            + (" …" if len(unknown) > 8 else "")
        )


def _print_windows(rows: list[ViolationLine], first: date, tz: ZoneInfo) -> None:
    if not rows:
        print(f"no violation since {first.isoformat()}")
        return
    print(
        f"{'state':9} {'device':22} {'window (' + str(tz) + ')':27} "
        f"{'awake':>7} {'row':>4}  evidence"
    )
    for row in rows:
        a = datetime.fromisoformat(row.window_start).astimezone(tz)
        b = datetime.fromisoformat(row.window_end).astimezone(tz)
        window = f"{a:%a %d/%m %H:%M} → {b:%a %H:%M}"
        print(
            f"{row.state:9} {row.device_id:22} {window:27} {row.awake_hours:6.1f}h "
            f"{row.streak:4}  {row.evidence}"
        )


def exempt(
    path: Path | None, target: str, *, until: date, reason: str, group: bool, by: str | None
) -> int:
    """Record an exemption of a device (or a policy group) up to and including ``until``."""
    cfg = load_config(path)
    inv = load_inventory(cfg.inventory)
    problems = []
    today = datetime.now(UTC).astimezone(ZoneInfo(cfg.policy.timezone)).date()
    if until < today:
        problems.append(f"--until: {until.isoformat()} is in the past")
    if len(reason.strip()) < 3:
        problems.append("--reason: say why, in a few words")
    ledger = Ledger(cfg.ledger.url)
    ledger.migrate()
    if group and target not in cfg.policy.groups:
        problems.append(f"{target}: no such policy group; one of {', '.join(cfg.policy.groups)}")
    if (
        not group
        and inv.get(target) is None
        and target not in {d.device_id for d in ledger.devices()}
    ):
        problems.append(f"{target}: no such device in the inventory or the ledger")
    if problems:
        raise ConfigError("exempt", problems)
    record = ledger.add_exemption(
        ExemptionRecord(
            target=target,
            group=group,
            until=until,
            reason=reason.strip(),
            by=by or getpass.getuser(),
            at=datetime.now(UTC),
        )
    )
    what = f"policy group {target}" if group else target
    print(
        f"exemption #{record.id}: {what} exempt until {until.isoformat()} (inclusive): "
        f"{record.reason} — recorded by {record.by} at {record.at:%Y-%m-%d %H:%M} UTC"
    )
    return 0


def exemptions(path: Path | None, as_json: bool) -> int:
    """Every recorded exemption, with whether it still applies today."""
    cfg = load_config(path)
    ledger = Ledger(cfg.ledger.url)
    ledger.migrate()
    today = datetime.now(UTC).astimezone(ZoneInfo(cfg.policy.timezone)).date()
    rows = ledger.exemptions()
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "id": e.id,
                        "target": e.target,
                        "group": e.group,
                        "until": e.until.isoformat(),
                        "reason": e.reason,
                        "by": e.by,
                        "at": e.at.isoformat(),
                        "active": e.until >= today,
                    }
                    for e in rows
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    if not rows:
        print("no recorded exemption")
    for e in rows:
        status = "active " if e.until >= today else "expired"
        what = f"group {e.target}" if e.group else e.target
        print(
            f"#{e.id} {status} {what} until {e.until.isoformat()}: {e.reason} "
            f"(by {e.by}, {e.at:%Y-%m-%d})"
        )
    return 0
